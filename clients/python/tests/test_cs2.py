"""Counter-Strike 2 through the same client, unchanged: a real broker fed
with the real 174-post CS2 capture the engine's tests and the CS2 demo use
(games/cs2/tests/fixtures, in this repository)."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List

import pytest
from conftest import REPO, T, Broker
from helpers import Recorder, subscribed

import wardcast

CAPTURE: List[Dict[str, Any]] = [
    post["body"]
    for post in json.loads(
        (
            REPO / "games" / "cs2" / "tests" / "fixtures" / "player_competitive_wingman_sequence_174posts_2025.json"
        ).read_text()
    )
]
"""The capture's bodies, in the order CS2 posted them."""
CS2 = {"classId": 22730, "title": "Counter-Strike 2"}


@pytest.fixture
def client(broker: Broker) -> Iterator[wardcast.Client]:
    c = wardcast.Client(broker.ws_url, name="pytest-cs2")
    yield c
    c.close()


def named(events: List[wardcast.Event], feature: str, name: str) -> List[wardcast.Event]:
    return [e for e in events if e.feature == feature and e.name == name]


def test_a_cs2_match_reaches_a_python_bot(broker: Broker, client: wardcast.Client) -> None:
    launched = Recorder()
    client.on("game_info", launched)
    assert client.connect(timeout=T)
    broker.post(CAPTURE[0])
    # The broker answers the post at once and the engine runs after it: the
    # launch is what says CS2 is now the source's game.
    launched.wait_for(lambda g: any(u["gameInfo"]["classId"] == 22730 for u in g), "CS2's gameLaunched")
    running = client.get_running_game_info(timeout=T)
    assert {k: running[k] for k in CS2} == CS2 and running["isRunning"] is True, running
    features = {f["name"] for f in client.get_features(timeout=T)["features"]}
    assert {"match_info", "kill", "team_round_win", "mvp", "bomb_planted"} <= features, features

    events = Recorder()
    client.on("event", events)
    kills = Recorder()
    client.on("kill", kills)
    result = subscribed(client, ["match_info", "kill", "team_round_win", "mvp", "bomb_planted", "roster_v2"])
    assert result["unsupportedFeatures"] == ["roster_v2"], "a Dota feature is not CS2's"

    # Posts 1-13 (numbered from 0, as in games/cs2/tests/expected): the match
    # starts, a bomb is planted, the player kills, CT defuses and wins round
    # 1, the player is MVP.
    for body in CAPTURE[1:14]:
        broker.post(body)
    got = events.wait_for(lambda e: bool(named(e, "mvp", "mvp")), "round 1's MVP")
    assert [e.data for e in named(got, "match_info", "match_start")] == [""]
    assert len(named(got, "bomb_planted", "bomb_planted")) == 1
    assert [e.data for e in named(got, "kill", "kill")] == [{"totalKills": 1}], "the legacy kill, with its count"
    assert [e.data for e in named(got, "match_info", "kill")] == [1], "Overwolf CS2's kill"
    assert len(named(got, "match_info", "round_end")) == 1
    assert [e.data for e in named(got, "team_round_win", "team_round_win")] == [
        {"winningTeam": "CT", "bomb": "defused"}
    ]
    assert [e.data for e in named(got, "mvp", "mvp")] == [{"totalMvps": 1}]
    heard = kills.wait_for(lambda k: len(k) == 2, "both kill events")
    assert sorted(json.dumps(k) for k in heard) == ["1", '{"totalKills": 1}'], "on('kill') hears both features' kill"
    live = client.info["live_data"]
    assert (live["map_name"], live["round_phase"], live["round_number"]) == ("de_dust2", "over", 2), live
    assert json.loads(live["score"]) == {"team_t": 0, "team_ct": 1}
    assert json.loads(client.info["match_info"]["roster_0"])["mvps"] == 1


def test_a_bot_started_before_cs2_hears_it_launch(broker: Broker, client: wardcast.Client) -> None:
    launched = Recorder()
    client.on("game_info", launched)
    # The broker's own source is waiting for a game (Dota's, the default).
    assert client.get_running_game_info(timeout=T)["isRunning"] is False
    broker.post(CAPTURE[0])
    got = launched.wait_for(lambda g: any(u["gameInfo"]["classId"] == 22730 for u in g), "CS2's gameLaunched")
    update = next(u for u in got if u["gameInfo"]["classId"] == 22730)
    assert update["reason"] == ["gameLaunched"] and update["gameInfo"]["isRunning"] is True, update
    assert update["gameInfo"]["title"] == "Counter-Strike 2"
    # It then subscribes to CS2's features, as an Overwolf app does on gameLaunched.
    assert subscribed(client, ["match_info"])["supportedFeatures"] == ["match_info"]
