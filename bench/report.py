#!/usr/bin/env python3
"""Chart and README helpers for bench/run.sh.

  report.py chart BARS.csv RSS.csv OUT.png TITLE
      BARS.csv: label,articles_per_s lines; RSS.csv: seconds,rss_mb (with a header
      line). Writes a PNG: a bar per throughput figure, and the resident set size of
      newsflow over the backlog run with the 100 MB goal.
  report.py span LOG...
      Seconds from the first partition assignment to the last "at end" exit over the
      logs of `newsflow run -e` instances of one group: the time the group took.
  report.py readme README.md BLOCK.md
      Replaces what lies between the <!-- bench:begin --> and <!-- bench:end --> lines
      of README.md with the contents of BLOCK.md.
"""
import csv
import sys

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"


def chart(bars_csv, rss_csv, out_png, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(bars_csv, newline="") as f:
        bars = [(r[0], float(r[1] or 0)) for r in csv.reader(f) if r]
    secs, rss = [], []
    with open(rss_csv, newline="") as f:
        rows = csv.reader(f)
        next(rows, None)
        for r in rows:
            if r:
                secs.append(float(r[0]))
                rss.append(float(r[1]))

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 8), gridspec_kw={"height_ratios": [3, 2]})
    fig.suptitle(title, fontsize=11)
    labels = [b[0] for b in bars][::-1]
    values = [b[1] for b in bars][::-1]
    colors = ["#4c72b0" if not lab.startswith(("kcat", "passthrough")) else "#999999"
              for lab in labels]
    ax1.barh(labels, values, color=colors)
    for y, v in enumerate(values):
        ax1.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax1.set_xlabel("articles/s (grey: pass-through baselines with no processing)")
    ax1.set_xlim(0, max(values + [1]) * 1.18)
    ax1.tick_params(axis="y", labelsize=8)

    ax2.plot(secs, rss, color="#c44e52", linewidth=1.2, label="newsflow run VmRSS")
    ax2.axhline(100, color="#555555", linestyle="--", linewidth=0.8, label="goal: 100 MB")
    ax2.set_xlabel("seconds into the backlog run (one instance)")
    ax2.set_ylabel("RSS MB")
    ax2.set_ylim(0, max(rss + [100]) * 1.15)
    ax2.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100, metadata={"Software": None})


def span(*logs):
    from datetime import datetime

    def when(line):
        return datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

    start, end = None, None
    for log in logs:
        with open(log, errors="replace") as f:
            for line in f:
                if " consumer: assigned " in line and start is None:
                    start = when(line)
                elif " consumer: assigned " in line:
                    start = min(start, when(line))
                elif " at end and delivered: exiting" in line:
                    end = when(line) if end is None else max(end, when(line))
    print(f"{end - start:.3f}" if start is not None and end is not None else "0")


def readme(path, block_path):
    with open(path) as f:
        lines = f.read().split("\n")
    with open(block_path) as f:
        block = f.read().rstrip("\n").split("\n")
    try:
        b = next(i for i, l in enumerate(lines) if l.strip() == BEGIN)
        e = next(i for i, l in enumerate(lines) if l.strip() == END and i > b)
    except StopIteration:
        sys.exit(f"report.py: {path} has no {BEGIN} ... {END} lines")
    with open(path, "w") as f:
        f.write("\n".join(lines[: b + 1] + block + lines[e:]))


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "chart":
        chart(*sys.argv[2:])
    elif len(sys.argv) > 2 and sys.argv[1] == "span":
        span(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "readme":
        readme(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
