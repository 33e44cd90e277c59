#!/usr/bin/env python3
"""Check the Wardcast protocol v1 schemas and examples.

Usage: python3 protocol/check.py     (needs: pip install jsonschema)

1. Every schemas/<name>.schema.json must be a valid draft 2020-12 schema with the
   expected "$schema", "$id", "title" and "description", and no cross-file "$ref".
2. Every examples/<file>.json must be one JSON object that validates against the
   schema named by the first two dot-separated parts of <file> (after stripping
   ".json"): response.setRequiredFeatures.failure.json -> response.setRequiredFeatures.
3. A schema without an example, or an example without a schema, is a failure.

Prints one line per file and a final line "N passed, M failed"; exits 1 on any failure.
"""

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

ROOT = Path(__file__).resolve().parent
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "examples"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://wardcast.dev/protocol/v1/"
SUFFIX = ".schema.json"


def refs(node):
    """Every "$ref" value anywhere in a schema."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def load(path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def check_schema(path, name):
    """Returns (schema or None, list of problems)."""
    try:
        schema = load(path)
    except (OSError, ValueError) as e:
        return None, [f"not valid JSON: {e}"]
    problems = []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as e:
        problems.append(f"invalid draft 2020-12 schema: {e.message}")
    if schema.get("$schema") != DRAFT:
        problems.append(f'"$schema" must be {DRAFT}')
    if schema.get("$id") != f"{ID_BASE}{name}{SUFFIX}":
        problems.append(f'"$id" must be {ID_BASE}{name}{SUFFIX}')
    for field in ("title", "description"):
        if not isinstance(schema.get(field), str) or not schema[field]:
            problems.append(f'missing "{field}"')
    for ref in refs(schema):
        if not ref.startswith("#"):
            problems.append(f'cross-file "$ref" {ref!r} (schemas must be self-contained)')
    return (None if problems else schema), problems


def schema_name_of(example_path):
    parts = example_path.name[: -len(".json")].split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


def main():
    passed = failed = 0

    def report(ok, rel, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {rel}{': ' + detail if detail else ''}")

    schema_files = sorted(SCHEMAS.glob(f"*{SUFFIX}"))
    example_files = sorted(EXAMPLES.glob("*.json"))
    examples_by_schema = {}
    for ex in example_files:
        examples_by_schema.setdefault(schema_name_of(ex), []).append(ex)

    validators = {}
    for path in schema_files:
        name = path.name[: -len(SUFFIX)]
        rel = path.relative_to(ROOT)
        schema, problems = check_schema(path, name)
        if name not in examples_by_schema:
            problems.append("no example in examples/")
        if schema is not None:
            validators[name] = Draft202012Validator(schema, format_checker=FormatChecker())
        report(not problems, rel, "; ".join(problems))

    for path in example_files:
        rel = path.relative_to(ROOT)
        name = schema_name_of(path)
        if name is None or not (SCHEMAS / f"{name}{SUFFIX}").exists():
            report(False, rel, f"no schema schemas/{name}{SUFFIX}")
            continue
        if name not in validators:
            report(False, rel, f"schema {name} is itself invalid")
            continue
        try:
            message = load(path)
        except (OSError, ValueError) as e:
            report(False, rel, f"not valid JSON: {e}")
            continue
        if not isinstance(message, dict):
            report(False, rel, "not a single JSON object")
            continue
        errors = sorted(validators[name].iter_errors(message), key=lambda e: list(e.absolute_path))
        detail = "; ".join(
            f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
        )
        report(not errors, rel, f"against {name}: {detail}" if errors else f"against {name}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
