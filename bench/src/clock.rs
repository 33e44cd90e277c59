//! The one clock every bench process reads.
//!
//! `CLOCK_MONOTONIC` is system-wide on Linux, so a timestamp taken by the
//! poster in the coordinator and one taken by a client in a worker process can
//! be subtracted directly.

use rustix::time::{clock_gettime, ClockId};

/// Nanoseconds on `CLOCK_MONOTONIC`.
pub fn now_ns() -> u64 {
    let t = clock_gettime(ClockId::Monotonic);
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(t.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}
