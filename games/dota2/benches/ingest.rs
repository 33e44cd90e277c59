//! Ingest: microseconds to parse and diff one GSI snapshot (issue 6, scenario 1).
//!
//! For a player-mode body (about 6 KB) and a spectator-mode body (about 53 KB),
//! each group times, per snapshot:
//!
//! - `parse_floor`: `serde_json::from_slice::<serde_json::Value>`, the parse floor;
//! - `parse`: `wardcast_dota2::parse` into the typed model;
//! - `process`: `Engine::process` alone (the parsed snapshot is cloned outside
//!   the timed part);
//! - `parse_process`: `wardcast_dota2::parse` + `Engine::process`, what the broker
//!   does per POST before publishing. The target is at most 2× `parse_floor`.
//!
//! The bodies alternate between two consecutive snapshots of the same match
//! (`benches/fixtures/*_a.json` then `*_b.json`), so every step the engine diffs
//! real changes: the clock moves a second, counters, cooldowns and health change.
//!
//! Run: `cargo bench -p wardcast-dota2 --bench ingest`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput};
use wardcast_dota2::{Engine, EngineConfig};

/// Two consecutive bodies of one match, as the game posts them (tab-indented).
struct Pair {
    name: &'static str,
    bodies: [&'static [u8]; 2],
}

const PAIRS: [Pair; 2] = [
    Pair {
        name: "player",
        bodies: [
            include_bytes!("fixtures/player_a.json"),
            include_bytes!("fixtures/player_b.json"),
        ],
    },
    Pair {
        name: "spectator",
        bodies: [
            include_bytes!("fixtures/spectator_a.json"),
            include_bytes!("fixtures/spectator_b.json"),
        ],
    },
];

/// An engine that has already seen both bodies, so the timed steps are steady
/// state (no first-snapshot baseline).
fn warm_engine(pair: &Pair) -> Engine {
    let mut engine = Engine::new(EngineConfig::default()).expect("default config is valid");
    for body in pair.bodies.iter().chain(pair.bodies.iter()) {
        let state = wardcast_dota2::parse(body).expect("fixture parses");
        black_box(engine.process(state));
    }
    engine
}

fn ingest(c: &mut Criterion) {
    for pair in &PAIRS {
        let mut group = c.benchmark_group(format!("ingest/{}", pair.name));
        group.throughput(Throughput::Bytes(pair.bodies[0].len() as u64));

        let mut i = 0usize;
        group.bench_function("parse_floor", |b| {
            b.iter(|| {
                i += 1;
                let body = pair.bodies[i & 1];
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)))
            })
        });

        let mut i = 0usize;
        group.bench_function("parse", |b| {
            b.iter(|| {
                i += 1;
                black_box(wardcast_dota2::parse(black_box(pair.bodies[i & 1])))
            })
        });

        let parsed = [
            wardcast_dota2::parse(pair.bodies[0]).expect("fixture parses"),
            wardcast_dota2::parse(pair.bodies[1]).expect("fixture parses"),
        ];
        let mut engine = warm_engine(pair);
        let mut i = 0usize;
        group.bench_function("process", |b| {
            b.iter_batched(
                || {
                    i += 1;
                    parsed[i & 1].clone()
                },
                |state| black_box(engine.process(state)),
                BatchSize::SmallInput,
            )
        });

        let mut engine = warm_engine(pair);
        let mut i = 0usize;
        group.bench_function("parse_process", |b| {
            b.iter(|| {
                i += 1;
                let state =
                    wardcast_dota2::parse(black_box(pair.bodies[i & 1])).expect("fixture parses");
                black_box(engine.process(state))
            })
        });
        group.finish();
    }
}

fn main() {
    // Two shared cores: fewer, longer samples than the default keep the noise
    // down. Command-line flags (`--sample-size`, a name filter, ...) still apply.
    let mut c = Criterion::default()
        .sample_size(60)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6))
        .configure_from_args();
    ingest(&mut c);
    c.final_summary();
}
