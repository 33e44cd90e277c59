//! A uniform view of "the players" of a snapshot: the local player in player
//! mode, every player in spectator mode.

use std::collections::BTreeMap;

use crate::model::{Ability, Hero, Item, Player, Slots};
use crate::model::{GameState, Mode};

/// One player's sections in one snapshot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlayerView<'a> {
    /// The match player id 0-9 in spectator mode; `None` for the local player.
    pub index: Option<u8>,
    /// `"radiant"` or `"dire"` in spectator mode.
    pub team: Option<&'static str>,
    pub player: Option<&'a Player>,
    pub hero: Option<&'a Hero>,
    pub abilities: Option<&'a BTreeMap<String, Ability>>,
    pub items: Option<&'a BTreeMap<String, Item>>,
}

impl PlayerView<'_> {
    /// The slot of this player in per-player trackers: 0-9, or 10 for the local player.
    pub fn slot(&self) -> usize {
        self.index.map_or(10, usize::from)
    }

    /// `"radiant"` or `"dire"`: the spectator team, else the player's `team_name`.
    pub fn side(&self) -> Option<&str> {
        self.team
            .or(self.player.and_then(|p| p.team_name.as_deref()))
            .filter(|t| matches!(*t, "radiant" | "dire"))
    }

    /// The hero's name without the `npc_dota_hero_` prefix (`"chen"`).
    pub fn hero_name(&self) -> Option<&str> {
        let name = self.hero?.name.as_deref()?;
        Some(name.strip_prefix(HERO_PREFIX).unwrap_or(name))
    }

    /// The match player index 0-9 (0-4 Radiant, 5-9 Dire): the spectator
    /// index, or in player mode the team slot (plus 5 on Dire). Bodies from
    /// before 2022 have no team slot; then the index is unknown, not guessed.
    /// Neither is a Dire index made from a player with no side.
    pub fn player_index(&self) -> Option<i64> {
        self.index.map(i64::from).or_else(|| {
            let slot = self.team_slot()?;
            Some(match self.side()? {
                "dire" => slot + 5,
                _ => slot,
            })
        })
    }

    /// The slot 0-4 within the team: from the spectator index (its `playerN`
    /// key is what places the player), else `player.team_slot` when it is in
    /// range (test fixtures and bad data send others).
    pub fn team_slot(&self) -> Option<i64> {
        self.index
            .map(|i| i64::from(i % 5))
            .or_else(|| self.player?.team_slot.filter(|slot| (0..5).contains(slot)))
    }
}

const HERO_PREFIX: &str = "npc_dota_hero_";

const TEAMS: [(&str, &str); 2] = [("team2", "radiant"), ("team3", "dire")];

/// The player index in a `playerN` key.
fn player_index(key: &str) -> Option<u8> {
    key.strip_prefix("player")?
        .parse()
        .ok()
        .filter(|i: &u8| *i < 10)
}

fn team_slots<'a, T>(
    slots: Option<&'a Slots<T>>,
    team: &str,
    key: &str,
) -> Option<&'a BTreeMap<String, T>> {
    slots?.teams.get(team)?.get(key)
}

/// Every player of a snapshot.
pub(crate) fn players(state: &GameState, mode: Mode) -> Vec<PlayerView<'_>> {
    if mode != Mode::Spectating {
        if state.player.is_none() && state.hero.is_none() {
            return Vec::new();
        }
        return vec![PlayerView {
            index: None,
            team: None,
            player: state.player.as_ref(),
            hero: state.hero.as_ref(),
            abilities: state
                .abilities
                .as_ref()
                .map(|s| &s.own)
                .filter(|m| !m.is_empty()),
            items: state
                .items
                .as_ref()
                .map(|s| &s.own)
                .filter(|m| !m.is_empty()),
        }];
    }
    let mut out = Vec::new();
    for (team_key, team) in TEAMS {
        let player_team = state.player.as_ref().and_then(|p| {
            if team_key == "team2" {
                p.team2.as_ref()
            } else {
                p.team3.as_ref()
            }
        });
        let hero_team = state.hero.as_ref().and_then(|h| {
            if team_key == "team2" {
                h.team2.as_ref()
            } else {
                h.team3.as_ref()
            }
        });
        let mut keys: Vec<&String> = player_team.into_iter().flat_map(|m| m.keys()).collect();
        keys.extend(hero_team.into_iter().flat_map(|m| m.keys()));
        keys.sort_by_key(|k| player_index(k));
        keys.dedup();
        for key in keys {
            let Some(index) = player_index(key) else {
                continue;
            };
            out.push(PlayerView {
                index: Some(index),
                team: Some(team),
                player: player_team.and_then(|m| m.get(key)),
                hero: hero_team.and_then(|m| m.get(key)),
                abilities: team_slots(state.abilities.as_ref(), team_key, key),
                items: team_slots(state.items.as_ref(), team_key, key),
            });
        }
    }
    out
}

/// "Me": the local player, or in spectator mode the player whose hero the
/// observer has selected.
pub(crate) fn me<'a>(players: &[PlayerView<'a>]) -> Option<PlayerView<'a>> {
    players
        .iter()
        .find(|p| p.index.is_none() || p.hero.and_then(|h| h.selected_unit) == Some(true))
        .copied()
}
