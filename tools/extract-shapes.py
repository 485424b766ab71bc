#!/usr/bin/env python3
"""Extract the shape (keys and JSON types, no values) of Zou's recorded
responses for the golden tests: tests/golden/shapes.json.

usage: tools/extract-shapes.py [SAMPLES_DIR]   (default ../shared/reference/samples)
"""
import json
import sys
from pathlib import Path

ROUTES = ("GET__data__", "POST__data__", "PUT__data__", "GET__actions__", "POST__actions__", "PUT__actions__", "POST__auth__login", "GET__auth__authenticated")


def shape(value):
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def main():
    root = Path(__file__).resolve().parent.parent
    samples = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "reference" / "samples"
    shapes = {}
    for path in sorted(samples.glob("*.json")):
        if not path.name.startswith(ROUTES):
            continue
        sample = json.loads(path.read_text())
        if sample.get("status", 0) >= 300 or sample.get("content_type") != "application/json":
            continue
        shapes[path.name[: -len(".json")]] = shape(sample["response"])
    out = root / "tests" / "golden" / "shapes.json"
    out.write_text(json.dumps(shapes, indent=1, sort_keys=True) + "\n")
    print(f"{len(shapes)} shapes written to {out}")


if __name__ == "__main__":
    main()
