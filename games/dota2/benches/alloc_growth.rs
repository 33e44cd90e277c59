//! Allocation growth over a long run (issue 6, scenario 1): the engine must not
//! keep more heap the longer a match goes on.
//!
//! A counting global allocator (`stats_alloc`) tracks live heap bytes. Each
//! stream feeds 10,000 snapshots to one `Engine` (parse + process, as the
//! broker does), with `map.clock_time`, `map.game_time` and
//! `provider.timestamp` advancing one second per snapshot, and prints the live
//! bytes after 1,000 and after 10,000 snapshots. All temporaries (the body, the
//! parsed state's previous copy, the output) are dropped before each reading,
//! so what is left is what the engine retains. It exits non-zero if the live
//! bytes grew by more than [`ALLOWED_GROWTH`] between the two readings.
//!
//! Streams: the player pair and the spectator pair of `benches/fixtures/`
//! (alternating), and the 40-body spectator sequence of
//! `tests/sequences/spectator_10players_40.json` cycled.
//!
//! Run: `cargo bench -p wardcast-dota2 --bench alloc_growth`.

use std::alloc::System;
use std::hint::black_box;
use std::process::ExitCode;

use serde_json::Value;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use wardcast_dota2::{Engine, EngineConfig};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Growth tolerated between the 1,000th and the 10,000th snapshot, in bytes
/// (allocator-size noise of a map rehash or two; anything per-snapshot would
/// show as hundreds of kilobytes).
const ALLOWED_GROWTH: i64 = 4096;

/// Snapshots fed per stream.
const SNAPSHOTS: usize = 10_000;

/// Live heap bytes since `region` was created (`stats_alloc` already counts a
/// `realloc`'s growth as allocated and its shrinking as freed).
fn live(region: &Region<'_, System>) -> i64 {
    let s = region.change();
    let allocated = i64::try_from(s.bytes_allocated).unwrap_or(i64::MAX);
    let freed = i64::try_from(s.bytes_deallocated).unwrap_or(i64::MAX);
    allocated - freed
}

/// Sets a numeric field at `path` (objects only) if the path exists.
fn set(body: &mut Value, path: &[&str], value: i64) {
    let mut at = body;
    for key in path {
        match at.get_mut(*key) {
            Some(next) => at = next,
            None => return,
        }
    }
    *at = Value::from(value);
}

/// The `k`th body of a stream: the template's clock moved to `k` seconds past its own.
fn body_at(templates: &[Value], k: usize) -> Vec<u8> {
    let mut body = templates[k % templates.len()].clone();
    let secs = i64::try_from(k).unwrap_or(i64::MAX);
    let base = |path: &[&str]| {
        let mut at = &templates[0];
        for key in path {
            at = at.get(*key).unwrap_or(&Value::Null);
        }
        at.as_i64().unwrap_or(0)
    };
    set(
        &mut body,
        &["map", "clock_time"],
        base(&["map", "clock_time"]) + secs,
    );
    set(
        &mut body,
        &["map", "game_time"],
        base(&["map", "game_time"]) + secs,
    );
    set(
        &mut body,
        &["provider", "timestamp"],
        base(&["provider", "timestamp"]) + secs,
    );
    serde_json::to_vec(&body).expect("a JSON value serializes")
}

/// Feeds a stream and returns the live bytes after 1,000 and after 10,000 snapshots.
fn run(templates: &[Value]) -> (i64, i64) {
    let region = Region::new(GLOBAL);
    let mut engine = Engine::new(EngineConfig::default()).expect("default config is valid");
    let mut at_1k = 0;
    for k in 0..SNAPSHOTS {
        let body = body_at(templates, k);
        let state = wardcast_dota2::parse(&body).expect("stream body parses");
        drop(body);
        black_box(engine.process(state));
        if k + 1 == 1_000 {
            at_1k = live(&region);
        }
    }
    let at_10k = live(&region);
    drop(engine);
    (at_1k, at_10k)
}

fn parse_all(bodies: &[&[u8]]) -> Vec<Value> {
    bodies
        .iter()
        .map(|b| serde_json::from_slice(b).expect("fixture is JSON"))
        .collect()
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a filter argument selects streams by name.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let sequence: Vec<Value> = serde_json::from_slice(include_bytes!(
        "../tests/sequences/spectator_10players_40.json"
    ))
    .expect("sequence is a JSON array");
    let streams: Vec<(&str, Vec<Value>)> = vec![
        (
            "player pair",
            parse_all(&[
                include_bytes!("fixtures/player_a.json"),
                include_bytes!("fixtures/player_b.json"),
            ]),
        ),
        (
            "spectator pair",
            parse_all(&[
                include_bytes!("fixtures/spectator_a.json"),
                include_bytes!("fixtures/spectator_b.json"),
            ]),
        ),
        ("spectator sequence (40 cycled)", sequence),
    ];
    let mut ok = true;
    println!("live heap bytes held by one Engine, {SNAPSHOTS} snapshots per stream");
    println!(
        "{:<34} {:>14} {:>14} {:>10}",
        "stream", "after 1,000", "after 10,000", "growth"
    );
    for (name, templates) in &streams {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let (a, b) = run(templates);
        let growth = b - a;
        let verdict = if growth <= ALLOWED_GROWTH {
            "ok"
        } else {
            "GROWS"
        };
        ok &= growth <= ALLOWED_GROWTH;
        println!("{name:<34} {a:>14} {b:>14} {growth:>10} {verdict}");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
