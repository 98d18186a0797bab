#!/usr/bin/env python3
"""Every enriched event newsflow writes validates against the documented JSON Schemas.

Runs `newsflow classify` over the project's own article fixtures and checks each event
against docs/schemas/enriched.v1.json (envelope, categories, story) and
docs/schemas/enrichment.v1.json (entities, amounts, details). Exits non-zero, naming the
article and the violation, on the first failure.

Usage: validate_events.py NEWSFLOW_BINARY SOURCE_DIR
"""
import glob
import json
import os
import subprocess
import sys

import jsonschema


def main():
    binary, src = sys.argv[1], sys.argv[2]
    schemas = [json.load(open(os.path.join(src, "docs/schemas", name)))
               for name in ("enriched.v1.json", "enrichment.v1.json")]
    validators = [jsonschema.Draft202012Validator(s) for s in schemas]
    inputs = sorted(glob.glob(os.path.join(src, "tests/fixtures/**/*.jsonl"), recursive=True))
    inputs.append(os.path.join(src, "deploy/samples/articles.jsonl"))
    out = subprocess.run([binary, "classify", "-X", "log.level=warn", *inputs],
                         capture_output=True, text=True, check=True).stdout
    events = [json.loads(line) for line in out.splitlines() if line]
    if len(events) < 20:
        print(f"only {len(events)} events from {len(inputs)} fixture files", file=sys.stderr)
        return 1
    for event in events:
        for v in validators:
            errors = sorted(v.iter_errors(event), key=lambda e: list(e.path))
            if errors:
                e = errors[0]
                print(f"{event.get('article_id')}: {'/'.join(map(str, e.path))}: {e.message}",
                      file=sys.stderr)
                return 1
    print(f"{len(events)} events from {len(inputs)} files validate against both schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
