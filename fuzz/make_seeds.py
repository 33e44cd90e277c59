#!/usr/bin/env python3
"""Regenerates the committed seed corpora under fuzz/corpus/.

    python3 fuzz/make_seeds.py [GSI_SAMPLES_DIR]

GSI_SAMPLES_DIR defaults to ../shared/gsi-samples beside the repository (where
shared/ sits in a clone). Seeds for `gsi_engine` come from those real bodies
and from games/dota2/tests/cases/*/next.json; seeds for
`ws_requests` from protocol/examples/request.*.json plus malformed requests.
Bodies are written compact (no indentation) and large sections are trimmed so
that every file stays under 60 KB.
"""

import copy
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
SAMPLES = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "gsi-samples"
LIMIT = 60 * 1024

GSI_SEP = b"\x00"  # gsi_engine: separates bodies (and one-byte commands)
WS_SEP = b"\xff"   # ws_requests: separates frames
WS_PUBLISH = b"\xfe"  # ws_requests: a frame of just this byte publishes a batch


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def trimmed(body) -> bytes:
    """A body under LIMIT: drop the bulky hint and cosmetic sections first."""
    body = copy.deepcopy(body)
    out = compact(body)
    for key in ("wearables", "previously", "added", "minimap", "couriers", "neutralitems", "draft", "buildings"):
        if len(out) < LIMIT:
            break
        if isinstance(body, dict):
            body.pop(key, None)
        out = compact(body)
    assert len(out) < LIMIT, f"body still {len(out)} bytes"
    return out


def write(target: str, name: str, data: bytes) -> None:
    assert len(data) < LIMIT, f"{target}/{name}: {len(data)} bytes"
    path = FUZZ / "corpus" / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def load(name: str):
    return json.loads((SAMPLES / name).read_text())


def gsi_seeds() -> None:
    t = "gsi_engine"
    for name in (
        "menu_idle.json",
        "events_roshan_aegis_tip.json",
        "player_hero_demo_init.json",
        "player_hero_demo_strategy_time.json",
        "player_hero_demo_in_progress.json",
        "player_sections_composite.json",
        "spectator_hero_selection_captains_mode_2025.json",
        "spectator_ingame_10players_2021.json",
        "spectator_sections_composite_2026.json",
    ):
        write(t, "sample_" + name.removesuffix(".json"), trimmed(load(name)))

    # Sequences: a few single bodies, and 3-4 consecutive bodies joined.
    seq12 = load("player_match_lifecycle_sequence_12posts.json")
    for i in (0, 2, 9, 10, 11):
        write(t, f"seq12_body{i:02}", trimmed(seq12[i]))
    write(t, "seq12_join_08_11", GSI_SEP.join(trimmed(b) for b in seq12[8:12]))
    # The end of the match, then the engine asked for health and reset.
    write(t, "seq12_join_09_11_health_reset",
          GSI_SEP.join([trimmed(b) for b in seq12[9:12]] + [b"S", b"R", trimmed(seq12[0])]))

    seq54 = load("player_pregame_raw_sequence_54posts_2023.json")
    for i in (0, 10, 30, 53):
        write(t, f"seq54_body{i:02}", trimmed(seq54[i]))
    write(t, "seq54_join_40_43", GSI_SEP.join(trimmed(b) for b in seq54[40:44]))
    write(t, "seq54_join_50_53_fresh", GSI_SEP.join([trimmed(b) for b in seq54[50:54]] + [b"F"]))

    # Regressions: counters that jump by an absurd amount within one match
    # (kills -1 -> i64::MAX overflowed `to - from`; assists 0 -> 1e8 emitted one
    # event per unit until out of memory). Fixed in 2e93f6b; kept as seeds.
    write(t, "regress_kills_overflow",
          b'{"map":{"matchid":"1","clock_time":10},"player":{"steamid":"1","kills":-1}}' + GSI_SEP
          + b'{"map":{"matchid":"1","clock_time":11},"player":{"steamid":"1","kills":9223372036854775807}}')
    write(t, "regress_assists_fanout",
          b'{"map":{"matchid":"1"},"player":{"steamid":"1","assists":0}}' + GSI_SEP
          + b'{"map":{"matchid":"1"},"player":{"steamid":"1","assists":100000000}}')
    write(t, "regress_spectator_level_fanout",
          b'{"map":{"matchid":"2","radiant_ward_purchase_cooldown":0},"player":{"team2":{"player0":{"kills":0}}},'
          b'"hero":{"team2":{"player0":{"level":1}}}}' + GSI_SEP
          + b'{"map":{"matchid":"2","radiant_ward_purchase_cooldown":0},"player":{"team2":{"player0":{"kills":21}}},'
          b'"hero":{"team2":{"player0":{"level":1000000}}}}')

    # Engine cases: prev then next, so the step under test happens.
    cases = ROOT / "games" / "dota2" / "tests" / "cases"
    for case in sorted(p for p in cases.iterdir() if (p / "next.json").exists()):
        nxt = json.loads((case / "next.json").read_text())
        prev_path = case / "prev.json"
        bodies = []
        if prev_path.exists():
            prev = json.loads(prev_path.read_text())
            bodies = prev if isinstance(prev, list) else [prev]
        data = GSI_SEP.join([trimmed(b) for b in bodies] + [trimmed(nxt)])
        if len(data) >= LIMIT:
            data = trimmed(nxt)
        write(t, "case_" + case.name, data)


def ws_seeds() -> None:
    t = "ws_requests"
    examples = ROOT / "protocol" / "examples"
    reqs = {}
    for path in sorted(examples.glob("request.*.json")):
        value = json.loads(path.read_text())
        if value.get("method") == "resume":
            # The harness replaces @EPOCH@ with the live broker's epoch.
            value["params"]["epoch"] = "@EPOCH@"
            value["params"]["since"] = 1
        reqs[path.stem] = value
        write(t, path.stem, compact(value))

    sub = compact(reqs["request.setRequiredFeatures.object"])
    game = {"jsonrpc": "2.0", "id": 8, "method": "setRequiredFeatures",
            "params": {"features": ["game", "kill", "gold"], "dataFormat": "object"}}
    write(t, "session_game_info_snapshot", WS_SEP.join([
        WS_PUBLISH, compact(game), WS_PUBLISH, compact(reqs["request.getInfo"]),
    ]))
    # A session: subscribe, receive published batches, ask for info, resume.
    write(t, "session_subscribe_publish_getinfo", WS_SEP.join([
        sub, WS_PUBLISH, WS_PUBLISH,
        compact(reqs["request.getInfo"]),
        compact(reqs["request.getFeatures"]),
        compact(reqs["request.getRunningGameInfo"]),
    ]))
    if "request.resume" in reqs:
        write(t, "session_resume_then_publish", WS_SEP.join([
            compact(reqs["request.resume"]), WS_PUBLISH, compact(reqs["request.getInfo.emptyParams"]),
        ]))
        stale = copy.deepcopy(reqs["request.resume"])
        stale["params"]["epoch"] = "not-this-epoch"
        write(t, "resume_other_epoch", compact(stale))

    malformed = {
        "bad_invalid_json": b'{"jsonrpc":"2.0","id":1,"method":',
        "bad_empty": b"",
        "bad_array": b'[{"jsonrpc":"2.0","id":1,"method":"getInfo"}]',
        "bad_scalar": b"42",
        "bad_null_id": b'{"jsonrpc":"2.0","id":null,"method":"getInfo"}',
        "bad_object_id": b'{"jsonrpc":"2.0","id":{"a":1},"method":"getInfo"}',
        "bad_no_version": b'{"id":1,"method":"getInfo"}',
        "bad_unknown_method": b'{"jsonrpc":"2.0","id":5,"method":"deleteEverything","params":{}}',
        "bad_unknown_member": b'{"jsonrpc":"2.0","id":5,"method":"getInfo","x":1}',
        "bad_params_array": b'{"jsonrpc":"2.0","id":6,"method":"setRequiredFeatures","params":["kill"]}',
        "bad_features_not_strings": b'{"jsonrpc":"2.0","id":6,"method":"setRequiredFeatures","params":{"features":[1,null,{}]}}',
        "bad_data_format": b'{"jsonrpc":"2.0","id":6,"method":"setRequiredFeatures","params":{"features":["kill"],"dataFormat":"xml"}}',
        "bad_getinfo_params": b'{"jsonrpc":"2.0","id":2,"method":"getInfo","params":[1]}',
        "bad_resume_since": b'{"jsonrpc":"2.0","id":7,"method":"resume","params":{"features":["kill"],"epoch":"@EPOCH@","since":-1}}',
        "bad_deep_nesting": b'{"jsonrpc":"2.0","id":1,"method":"getInfo","params":' + b"[" * 200 + b"]" * 200 + b"}",
        "bad_binary": b"\x00\x01\x80\xc3\x28binary",
        "bad_unicode_names": '{"jsonrpc":"2.0","id":"é","method":"setRequiredFeatures","params":{"features":["kíll","\\u0000","\U0001F600"]}}'.encode(),
    }
    for name, data in malformed.items():
        write(t, name, data)
    # Feature lists: over the 1024 limit, at it with long names, unsupported only.
    over = {"jsonrpc": "2.0", "id": 9, "method": "setRequiredFeatures",
            "params": {"features": ["kill"] * 1025}}
    write(t, "bad_too_many_features", compact(over))
    at_limit = {"jsonrpc": "2.0", "id": 9, "method": "setRequiredFeatures",
                "params": {"features": [f"f{i}" for i in range(1024)]}}
    write(t, "many_unknown_features", compact(at_limit))
    long_name = {"jsonrpc": "2.0", "id": 9, "method": "setRequiredFeatures",
                 "params": {"features": ["kill", "x" * 257]}}
    write(t, "bad_long_feature_name", compact(long_name))
    unsupported = {"jsonrpc": "2.0", "id": 9, "method": "setRequiredFeatures",
                   "params": {"features": ["match_detected", "hero_pool"]}}
    write(t, "unsupported_only", compact(unsupported))
    # A mixed session: binary, garbage, then valid requests, twice subscribed.
    write(t, "session_mixed", WS_SEP.join([
        b"\x80\x81", b"{", sub, WS_PUBLISH, compact(reqs["request.setRequiredFeatures"]),
        WS_PUBLISH, compact(reqs["request.getInfo"]),
    ]))


def main() -> None:
    gsi_seeds()
    ws_seeds()
    total = sum(p.stat().st_size for p in (FUZZ / "corpus").rglob("*") if p.is_file())
    count = sum(1 for p in (FUZZ / "corpus").rglob("*") if p.is_file())
    print(f"{count} seed files, {total} bytes")


if __name__ == "__main__":
    main()
