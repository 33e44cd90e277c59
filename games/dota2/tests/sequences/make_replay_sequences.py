#!/usr/bin/env python3
"""Builds the replay and repeated-entry sequences from spectator_10players_40.json.

Every body is a real spectator body of that capture (pro match 6081890096,
2021) with only values changed: the clocks, the players' counters, the items,
a tower's health and the `events` window, whose entries use the fields real
bodies carry (see ../../../../protocol/features.md, "The events window").

    python3 crates/wardcast-dota2/tests/sequences/make_replay_sequences.py

writes:
- spectator_events_repeated_copies.json: one bounty rune entry arriving once,
  then twice, then three times in one array; a second pickup in the same
  second by a teammate; the capture's Roshan kill and Aegis repeated too.
- replay_future_entry.json: a window holding entries ahead of map.game_time:
  one fires when the clock reaches it, one leaves the window first.
- replay_rewind_5min.json: a rewind of 5 minutes (every counter, level and
  item goes back, a dead tower stands again, the window holds entries from
  the future), then one more second with a kill.
- replay_seek_forward_10min.json: a jump of 10 minutes ahead (counters up,
  items bought, a tower down, the window full of history), then one more
  second with a kill and a bounty rune.
Run UPDATE_EXPECT=1 cargo test -p wardcast-dota2 to refresh their
.expected.json files; engine_cases.rs checks their events by hand as well.
"""

import copy
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = json.loads((HERE / "spectator_10players_40.json").read_text())


def base(i=0, lean=True):
    """Body i of the capture; `lean` drops abilities and the draft (not used here)."""
    body = copy.deepcopy(SOURCE[i])
    if lean:
        body.pop("abilities", None)
        body.pop("draft", None)
    body["events"] = []
    return body


def players(body):
    """(team key, player key) of the ten players."""
    return [("team2" if i < 5 else "team3", f"player{i}") for i in range(10)]


def at(body, game_time, clock_time, timestamp_step=None):
    """Moves the body's clocks; the provider timestamp moves by the same amount."""
    first = SOURCE[0]
    body["map"]["game_time"] = game_time
    body["map"]["clock_time"] = clock_time
    body["provider"]["timestamp"] = first["provider"]["timestamp"] + (game_time - first["map"]["game_time"])
    return body


def shift_counters(body, delta_kills, delta_deaths, delta_last_hits, delta_level, gold):
    for team, key in players(body):
        p = body["player"][team][key]
        h = body["hero"][team][key]
        p["kills"] = max(0, p["kills"] + delta_kills)
        p["deaths"] = max(0, p["deaths"] + delta_deaths)
        p["assists"] = max(0, p["assists"] + delta_kills)
        p["kill_streak"] = min(p["kill_streak"], p["kills"])
        p["last_hits"] = max(0, p["last_hits"] + delta_last_hits)
        p["denies"] = max(0, p["denies"] + (1 if delta_last_hits > 0 else -1))
        p["gold"] = gold
        p["net_worth"] = max(600, p["net_worth"] + 100 * delta_last_hits)
        h["level"] = max(1, h["level"] + delta_level)
        h["xp"] = max(0, h["xp"] + 400 * delta_level)
        h["alive"] = True
        h["respawn_seconds"] = 0


def one_kill(body, killer, victim):
    """Player `killer` kills player `victim` (indices), as the counters show it."""
    pk = body["player"]["team2" if killer < 5 else "team3"][f"player{killer}"]
    pv = body["player"]["team2" if victim < 5 else "team3"][f"player{victim}"]
    hv = body["hero"]["team2" if victim < 5 else "team3"][f"player{victim}"]
    pk["kills"] += 1
    pk["kill_streak"] += 1
    pv["deaths"] += 1
    pv["kill_streak"] = 0
    hv["alive"] = False
    hv["respawn_seconds"] = 20


BOUNTY = {"event_type": "bounty_rune_pickup", "player_id": 1, "team": "radiant", "bounty_value": 36, "team_gold": 180}
BOUNTY_MATE = dict(BOUNTY, player_id=3)
ROSHAN = SOURCE[11]["events"][1]  # roshan_killed at 2107, as captured
AEGIS = SOURCE[11]["events"][0]  # aegis_picked_up at 2108, as captured
TIP = {"event_type": "tip", "sender_player_id": 3, "receiver_player_id": 0, "tip_amount": 50}
COURIER = {"event_type": "courier_killed", "courier_team": "dire", "killer_player_id": 1, "owning_player_id": 7}


def entry(kind, game_time):
    e = {"game_time": game_time}
    e.update(kind)
    return e


def repeated_copies():
    bodies = []
    t0, c0 = SOURCE[0]["map"]["game_time"], SOURCE[0]["map"]["clock_time"]
    b = entry(BOUNTY, t0 + 1)
    mate = entry(BOUNTY_MATE, t0 + 1)
    windows = [
        [],
        [b],
        [b, b],
        [b, b, b],
        [mate, b, b, b],
        [mate, mate, b, b, b],
    ]
    for n, window in enumerate(windows):
        bodies.append(at(base(n), t0 + n, c0 + n))
        bodies[-1]["events"] = window
    # The capture's own Roshan kill and Aegis, in copies as well.
    for n, window in [(10, [ROSHAN]), (11, [AEGIS, ROSHAN, ROSHAN]), (12, [AEGIS, AEGIS, ROSHAN, ROSHAN])]:
        body = base(n)
        body["events"] = [dict(e) for e in window] + [dict(x) for x in windows[-1]]
        bodies.append(body)
    return bodies


def future_entry():
    t0, c0 = SOURCE[0]["map"]["game_time"], SOURCE[0]["map"]["clock_time"]
    tip = entry(TIP, t0 + 3)
    courier = entry(COURIER, t0 + 8)
    b = entry(BOUNTY, t0 + 1)
    windows = [
        [],
        [tip, b],
        [tip, b],
        [tip, b],
        [courier, tip, b],
        [tip, b],
        [tip],
    ]
    times = [0, 1, 2, 3, 4, 5, 8]
    bodies = []
    for n, (window, dt) in enumerate(zip(windows, times)):
        body = at(base(n), t0 + dt, c0 + dt)
        body["events"] = window
        bodies.append(body)
    return bodies


def rewind():
    bodies = []
    for n in range(5):
        body = base(n, lean=False)
        body["events"] = [entry(BOUNTY, SOURCE[0]["map"]["game_time"] + 1)] if n >= 2 else []
        bodies.append(body)
    last = bodies[-1]
    t, c = last["map"]["game_time"] - 300, last["map"]["clock_time"] - 300
    back = at(base(4, lean=False), t, c)
    shift_counters(back, -1, -1, -40, -3, 400)
    for team, key in players(back):
        back["items"][team][key]["slot5"] = {"name": "empty"}
    # A tower that fell later stands again.
    back["buildings"]["dire"]["dota_badguys_tower1_bot"] = {"health": 1800, "max_health": 1800}
    # After a rewind the window holds entries from the future, and some history.
    back["events"] = [dict(ROSHAN), entry(TIP, t - 2)]
    bodies.append(back)
    on = at(copy.deepcopy(back), t + 1, c + 1)
    one_kill(on, 7, 2)
    bodies.append(on)
    return bodies


def seek_forward():
    bodies = []
    for n in range(3):
        bodies.append(base(n))
    t, c = bodies[-1]["map"]["game_time"] + 600, bodies[-1]["map"]["clock_time"] + 600
    ahead = at(base(2), t, c)
    shift_counters(ahead, 3, 2, 60, 4, 2500)
    for team, key in players(ahead):
        ahead["items"][team][key]["slot5"] = {"name": "item_black_king_bar", "purchaser": 0, "can_cast": True, "cooldown": 0, "passive": False}
    ahead["buildings"]["dire"].pop("dota_badguys_tower2_mid", None)
    ahead["events"] = [entry(ROSHAN, t - 40), entry(TIP, t - 10)]
    bodies.append(ahead)
    on = at(copy.deepcopy(ahead), t + 1, c + 1)
    one_kill(on, 1, 6)
    on["events"] = [entry(BOUNTY, t + 1)] + ahead["events"]
    bodies.append(on)
    return bodies


def write(name, bodies):
    (HERE / f"{name}.json").write_text(json.dumps(bodies, indent=1) + "\n")


write("spectator_events_repeated_copies", repeated_copies())
write("replay_future_entry", future_entry())
write("replay_rewind_5min", rewind())
write("replay_seek_forward_10min", seek_forward())
