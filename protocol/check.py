#!/usr/bin/env python3
"""Check the Wardcast protocol v1 schemas and examples.

Usage: python3 protocol/check.py     (needs: pip install jsonschema)

1. Every schemas/<name>.schema.json must be a valid draft 2020-12 schema with the
   expected "$schema", "$id", "title" and "description", and no cross-file "$ref".
2. Every examples/<file>.json must be one JSON object that validates against the
   schema named by the first two dot-separated parts of <file> (after stripping
   ".json"): response.setRequiredFeatures.failure.json -> response.setRequiredFeatures.
3. A schema without an example, or an example without a schema, is a failure.
4. Payloads: every schemas/data/<event>.schema.json validates examples/data/<event>.json
   (an event's data object as in dataFormat "object"), every
   schemas/info/<category>.<key>.schema.json validates examples/info/<category>.<key>.json,
   and schemas/status.schema.json validates examples/status.json (GET /status). Each payload
   schema needs its example and vice versa. Payload examples may be any JSON value.
   Dota 2's payloads are in schemas/data/ and schemas/info/; each other game's, whose event
   names collide with Dota's, in a folder of its own with the same rules: Counter-Strike 2's
   schemas/cs2/data/<event>.schema.json ($id https://wardcast.dev/protocol/v1/cs2/data/...)
   with examples/cs2/data/<event>.json, and schemas/cs2/info/<category>.<key>.schema.json
   with examples/cs2/info/<category>.<key>.json. An info value the game sends as JSON text
   (a string) is described, and its example given, as the parsed text.
5. Catalogue: every event and info key that examples/response.getFeatures.json lists as
   supported has a payload schema, and every payload schema belongs to a feature listed there.
   examples/status.json lists the same features and keys, in the same order.
   Counter-Strike 2 the same way: examples/cs2/response.getFeatures.json (what the broker
   answers getFeatures for a CS2 source; games/cs2/tests/schemas.rs keeps it equal to the
   catalogue) must validate against schemas/response.getFeatures.schema.json, and its supported
   events and keys <-> schemas/cs2/{data,info}/, both ways.
6. features.md: every line of its ```json blocks is a notification that validates against its
   schema, and each event's data / info value in it (dataFormat "string") validates against the
   payload schema. A block whose opening fence follows the line `<!-- game: cs2 -->` (blank
   lines between are allowed) holds Counter-Strike 2 notifications: their payloads are checked
   against schemas/cs2/ instead.

Prints one line per check and a final line "N passed, M failed"; exits 1 on any failure.
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


PAYLOAD_KINDS = ("data", "info")
# game -> its payload folder under schemas/ and examples/ ("" for Dota 2, the first game).
GAMES = {"dota2": "", "cs2": "cs2/"}
GAME_MARKER = "<!-- game: "  # features.md: "<!-- game: cs2 -->" before a ```json block
STATUS = "status"
OVERVIEW = "overview"  # GET /api/overview, the dashboard's document


def errors_of(validator, value):
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    return "; ".join(f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])


def main():
    passed = failed = 0

    def report(ok, rel, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {rel}{': ' + detail if detail else ''}")

    def compile_schema(path, name, has_example):
        """Checks one schema file; returns its validator or None."""
        schema, problems = check_schema(path, name)
        if not has_example:
            problems.append("no example in examples/")
        report(not problems, path.relative_to(ROOT), "; ".join(problems))
        return Draft202012Validator(schema, format_checker=FormatChecker()) if schema is not None else None

    # 1-3. Messages: schemas/<kind>.<name>.schema.json and examples/<kind>.<name>[.<variant>].json.
    documents = (STATUS, OVERVIEW)  # HTTP documents, paired in step 4
    schema_files = [p for p in sorted(SCHEMAS.glob(f"*{SUFFIX}")) if p.name[: -len(SUFFIX)] not in documents]
    example_files = [p for p in sorted(EXAMPLES.glob("*.json")) if p.stem not in documents]
    examples_by_schema = {}
    for ex in example_files:
        examples_by_schema.setdefault(schema_name_of(ex), []).append(ex)

    validators = {}
    for path in schema_files:
        name = path.name[: -len(SUFFIX)]
        v = compile_schema(path, name, name in examples_by_schema)
        if v is not None:
            validators[name] = v

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
        detail = errors_of(validators[name], message)
        report(not detail, rel, f"against {name}: {detail}" if detail else f"against {name}")

    # 4. Payloads: schemas/{data,info}/<stem>.schema.json <-> examples/{data,info}/<stem>.json,
    #    and schemas/status.schema.json <-> examples/status.json.
    pairs = [(STATUS, SCHEMAS / f"{STATUS}{SUFFIX}", EXAMPLES / f"{STATUS}.json"),
             (OVERVIEW, SCHEMAS / f"{OVERVIEW}{SUFFIX}", EXAMPLES / f"{OVERVIEW}.json")]
    # game -> kind -> stem -> validator or None
    payloads = {game: {kind: {} for kind in PAYLOAD_KINDS} for game in GAMES}
    owner = {}  # pair name -> (game, kind, stem)
    for game, folder in GAMES.items():
        for kind in PAYLOAD_KINDS:
            sub = f"{folder}{kind}"
            stems = {p.name[: -len(SUFFIX)] for p in (SCHEMAS / sub).glob(f"*{SUFFIX}")}
            stems |= {p.name[: -len(".json")] for p in (EXAMPLES / sub).glob("*.json")}
            for stem in sorted(stems):
                pairs.append((f"{sub}/{stem}", SCHEMAS / sub / f"{stem}{SUFFIX}", EXAMPLES / sub / f"{stem}.json"))
                owner[f"{sub}/{stem}"] = (game, kind, stem)
    payload = payloads["dota2"]
    status_validator = None
    for name, schema_path, example_path in pairs:
        v = None
        if schema_path.exists():
            v = compile_schema(schema_path, name, example_path.exists())
            if name in owner:
                game, kind, stem = owner[name]
                payloads[game][kind][stem] = v
            elif name == STATUS:
                status_validator = v
        if not example_path.exists():
            continue
        rel = example_path.relative_to(ROOT)
        if not schema_path.exists():
            report(False, rel, f"no schema {schema_path.relative_to(ROOT)}")
            continue
        if v is None:
            report(False, rel, f"schema {name} is itself invalid")
            continue
        try:
            value = load(example_path)
        except (OSError, ValueError) as e:
            report(False, rel, f"not valid JSON: {e}")
            continue
        detail = errors_of(v, value)
        report(not detail, rel, f"against {name}: {detail}" if detail else f"against {name}")

    # 5. Catalogue cross-check against the getFeatures examples (and the status example).
    def cross_check(features, game):
        """Supported events / info keys of `features` <-> the game's payload schemas."""
        folder, game_payload = GAMES[game], payloads[game]
        problems = []
        listed = {"data": set(), "info": set()}
        for f in features:
            for event in f.get("events", []):
                listed["data"].add(event)
                if f.get("supported") and event not in game_payload["data"]:
                    problems.append(f"supported event {f['name']}/{event} has no schemas/{folder}data/{event}{SUFFIX}")
            for k in f.get("info", []):
                stem = f"{k.get('category')}.{k.get('key')}"
                listed["info"].add(stem)
                if f.get("supported") and k.get("supported") and stem not in game_payload["info"]:
                    problems.append(f"supported info key {f['name']}/{stem} has no schemas/{folder}info/{stem}{SUFFIX}")
        for kind in PAYLOAD_KINDS:
            for stem in sorted(set(game_payload[kind]) - listed[kind]):
                problems.append(f"schemas/{folder}{kind}/{stem}{SUFFIX} belongs to no feature in getFeatures")
        return problems

    try:
        features = load(EXAMPLES / "response.getFeatures.json")["result"]["features"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        report(False, "catalogue", f"cannot read examples/response.getFeatures.json: {e}")
        features = []
    if features:
        problems = cross_check(features, "dota2")
        try:
            status = load(EXAMPLES / f"{STATUS}.json")
            want = [(f["name"], [(e, 0, None) for e in f["events"]]
                     + [(k["key"], 1, k["category"]) for k in f["info"]]) for f in features]
            got = [(f["name"], [(k["name"], k["type"], k.get("category")) for k in f["keys"]])
                   for f in status["features"]]
            if want != got:
                problems.append("examples/status.json does not list the getFeatures features and keys in order")
        except (OSError, ValueError, KeyError, TypeError) as e:
            problems.append(f"cannot compare examples/status.json: {e}")
        report(not problems, "catalogue (getFeatures example vs payload schemas)", "; ".join(problems))

    # 5b. The other games' getFeatures examples: examples/<game>/response.getFeatures.json.
    for game, folder in GAMES.items():
        if not folder:
            continue
        path = EXAMPLES / folder / "response.getFeatures.json"
        rel = path.relative_to(ROOT)
        try:
            message = load(path)
            features = message["result"]["features"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            report(False, rel, f"cannot read: {e}")
            continue
        name = "response.getFeatures"
        if name not in validators:
            report(False, rel, f"schema {name} is itself invalid")
        else:
            detail = errors_of(validators[name], message)
            report(not detail, rel, f"against {name}: {detail}" if detail else f"against {name}")
        problems = cross_check(features, game)
        report(not problems, f"catalogue {game} ({folder}response.getFeatures.json vs schemas/{folder})",
               "; ".join(problems))

    # 6. features.md: the wire examples.
    md = ROOT / "features.md"
    if md.exists():
        lines, block, game, last = [], False, "dota2", ""
        for n, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                if not block and line.strip() == "```json":
                    block = True
                    marked = last.strip()
                    game = "dota2"
                    if marked.startswith(GAME_MARKER) and marked.endswith("-->"):
                        game = marked[len(GAME_MARKER): -len("-->")].strip()
                else:
                    block = False
            elif block and line.strip():
                lines.append((n, line, game))
            if line.strip():
                last = line
        for n, line, game in lines:
            rel = f"features.md:{n}" + ("" if game == "dota2" else f" ({game})")
            if game not in GAMES:
                report(False, rel, f"unknown game {game!r} (known: {', '.join(GAMES)})")
                continue
            payload, folder = payloads[game], GAMES[game]
            try:
                message = json.loads(line)
                name = f"notification.{message['method']}"
            except (ValueError, KeyError, TypeError) as e:
                report(False, rel, f"not a notification: {e}")
                continue
            if name not in validators:
                report(False, rel, f"no valid schema {name}")
                continue
            problems = [errors_of(validators[name], message)] if errors_of(validators[name], message) else []
            params = message.get("params", {})
            for event in params.get("events", []) if name == "notification.onNewEvents" else []:
                v = payload["data"].get(event.get("name"))
                data = event.get("data")
                if v is None:
                    problems.append(f"no valid schema {folder}data/{event.get('name')}")
                    continue
                if not isinstance(data, str):
                    problems.append(f"{event['name']}: data is not a string (dataFormat \"string\")")
                    continue
                try:
                    value = None if data == "" else json.loads(data)
                except ValueError as e:
                    problems.append(f"{event['name']}: data is not JSON text: {e}")
                    continue
                detail = errors_of(v, value)
                if detail:
                    problems.append(f"{event['name']}: {detail}")
            for cat, keys in params.get("info", {}).items() if name == "notification.onInfoUpdates2" else []:
                for key, raw in keys.items():
                    v = payload["info"].get(f"{cat}.{key}")
                    if v is None:
                        problems.append(f"no valid schema {folder}info/{cat}.{key}")
                        continue
                    if raw is None:
                        continue
                    if not isinstance(raw, str):
                        problems.append(f"{cat}.{key}: value is not a string (dataFormat \"string\")")
                        continue
                    candidates = [raw]
                    try:
                        parsed = json.loads(raw)
                        if not isinstance(parsed, str):
                            candidates.append(parsed)
                    except ValueError:
                        pass
                    if all(errors_of(v, c) for c in candidates):
                        problems.append(f"{cat}.{key}: {errors_of(v, candidates[-1])}")
            report(not problems, rel, "; ".join(problems) if problems else f"against {name} and payload schemas")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
