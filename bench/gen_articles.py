#!/usr/bin/env python3
"""Deterministic article generator for newsflow benchmarks.

Writes N article events (JSONL) of about SIZE bytes each: realistic titles and bodies
about deals, funding rounds, infrastructure builds and everyday news, with amounts,
companies, people and places, so that every stage of the pipeline has work to do.
Same arguments, same bytes: `gen_articles.py 100000 > articles.jsonl`.
"""
import json
import random
import sys

COMPANIES = ["Northwind Robotics", "Helios Cloud", "Meridian Foods", "Quantum Leap Labs",
             "Stonebridge Bank", "Altamira Partners", "Copperfield Ventures", "Bluecrest Dairy",
             "Orbital Telecom", "Harbor Lane Capital", "Redwood Semiconductor", "Vantage Grid",
             "Amazon", "Microsoft", "Nvidia", "OpenAI", "Oracle", "SoftBank", "Blackstone",
             "Sequoia Capital", "Andreessen Horowitz", "Tiger Global", "Intel", "Meta"]
PLACES = ["Ohio", "Texas", "Virginia", "Indiana", "Arizona", "Ireland", "Singapore",
          "Frankfurt", "Tokyo", "Sao Paulo", "Chile", "Norway", "Quebec", "Johannesburg"]
PEOPLE = ["Dana Whitlock", "Ravi Menon", "Claire Dubois", "Kenji Watanabe", "Maria Lopez",
          "Tom Becker", "Aisha Bello", "Lars Nilsson"]
ROUNDS = ["seed", "Series A", "Series B", "Series C", "Series D", "growth"]
FILLER = ("The company said the transaction had been approved by its board and would be "
          "funded from existing cash and new borrowing. Analysts said the move reflected "
          "growing demand from enterprise customers and a tight market for skilled staff. "
          "Shares rose in early trading after the announcement, while rivals declined to "
          "comment on the report. Executives told investors on a call that integration "
          "planning had already begun and that no job cuts were expected this year. ")


def money(rng):
    v = rng.choice([12, 45, 120, 300, 850, 1.2, 2.5, 6, 11, 50])
    unit = "billion" if v < 100 and isinstance(v, float) or v in (6, 11, 50) else "million"
    cur = rng.choice(["$", "$", "$", "€", "£"])
    return f"{cur}{v} {unit}"


def article(i, rng, size):
    a, b = rng.sample(COMPANIES, 2)
    kind = rng.randrange(5)
    amt = money(rng)
    if kind == 0:
        title = f"{a} agrees to acquire {b} for {amt}"
        lead = f"{a} said on Tuesday it had agreed to buy {b} in a deal valued at {amt}, subject to regulatory approval."
    elif kind == 1:
        title = f"{b} raises {amt} {rng.choice(ROUNDS)} round led by {a}"
        lead = f"{b} has raised {amt} in a {rng.choice(ROUNDS)} funding round led by {a}, valuing the startup at {money(rng)}."
    elif kind == 2:
        place = rng.choice(PLACES)
        title = f"{a} to build {rng.choice([100, 300, 500, 1000])} MW data center campus in {place}"
        lead = f"{a} plans to invest {amt} in a new data center campus in {place} to host AI compute clusters."
    elif kind == 3:
        title = f"{a} and {b} sign multi-year cloud partnership"
        lead = f"{a} and {b} announced a multi-year partnership worth {amt} covering cloud capacity and joint products."
    else:
        title = f"{a} reports quarterly results as {rng.choice(PEOPLE)} outlines plans"
        lead = f"{a} reported revenue of {amt} for the quarter. Chief executive {rng.choice(PEOPLE)} said demand remained steady."
    body = lead + " "
    while len(body) < size - len(title) - 200:
        body += FILLER
    body = body[: size - len(title) - 200]
    return {"id": f"bench-{i}", "title": title, "body": body, "source": "Bench Wire",
            "published_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "url": f"https://bench.example.com/{i}"}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    rng = random.Random(20261129)
    out = sys.stdout
    for i in range(n):
        out.write(json.dumps(article(i, rng, size), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
