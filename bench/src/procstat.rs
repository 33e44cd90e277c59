//! CPU time and resident memory of a process, from `/proc/PID/stat`,
//! `/proc/PID/task/*/schedstat` and `/proc/PID/status`.
//!
//! `utime + stime` come in clock ticks (10 ms), too coarse for a short run at
//! small N, so CPU time is read in nanoseconds from each thread's
//! `schedstat` (time on CPU, user and kernel alike) and summed; the ticks are
//! kept as a cross-check.

use std::io;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// User plus system CPU time of every thread, in clock ticks.
    pub cpu_ticks: u64,
    /// CPU time of the live threads in nanoseconds (`schedstat`); 0 if unreadable.
    pub cpu_ns: u64,
    /// Resident set size, in KiB.
    pub rss_kib: u64,
}

/// Clock ticks per second (`_SC_CLK_TCK`, normally 100).
pub fn ticks_per_sec() -> u64 {
    rustix::param::clock_ticks_per_second().max(1)
}

/// Converts clock ticks to seconds.
pub fn ticks_to_secs(ticks: u64) -> f64 {
    ticks as f64 / ticks_per_sec() as f64
}

/// Reads `utime + stime` and `VmRSS` of `pid`.
pub fn sample(pid: u32) -> io::Result<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(Sample {
        cpu_ticks: parse_cpu(&stat).ok_or_else(|| bad("/proc/PID/stat"))?,
        cpu_ns: schedstat_ns(pid),
        rss_kib: parse_rss(&status).ok_or_else(|| bad("/proc/PID/status"))?,
    })
}

/// CPU seconds between two readings (of the same processes, summed).
///
/// `schedstat` covers live threads only, so a thread that exits in between
/// makes its delta too small; `utime + stime` keep dead threads' time but
/// count in ticks. The tick delta is used once it is 50 ticks or more (2 %
/// resolution) or when the nanosecond delta went backwards; below that, the
/// nanosecond delta.
pub fn cpu_delta_secs(before: &Sample, after: &Sample) -> f64 {
    let ticks = after.cpu_ticks.saturating_sub(before.cpu_ticks);
    let by_ticks = ticks_to_secs(ticks);
    if ticks >= 50 || after.cpu_ns < before.cpu_ns || after.cpu_ns == 0 {
        by_ticks
    } else {
        (after.cpu_ns - before.cpu_ns) as f64 / 1e9
    }
}

/// The sum of the first `schedstat` field (ns on CPU) over the threads of `pid`.
fn schedstat_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Open file descriptors of `pid` (entries of `/proc/PID/fd`); 0 if unreadable.
pub fn fd_count(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// The machine's CPU time so far, busy and total, in clock ticks summed over
/// every CPU (the first line of `/proc/stat`; idle and iowait are not busy).
pub fn machine_ticks() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return (0, 0);
    };
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest is inside user)
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// The 1-minute load average (`/proc/loadavg`), if readable.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("unreadable {what}"))
}

/// `utime` + `stime` (fields 14 and 15; the command name in field 2 may hold
/// spaces and parentheses, so fields are counted after its last `)`).
fn parse_cpu(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    // `after` starts at field 3 (state); utime is field 14.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_and_rss() {
        let stat = "4242 (tokio (x) y) S 1 2 3 4 5 6 7 8 9 10 321 45 0 0 20 0 3 0 100 1000 50";
        assert_eq!(parse_cpu(stat), Some(366));
        let status = "Name:\tx\nVmPeak:\t 100 kB\nVmRSS:\t   2048 kB\nThreads:\t3\n";
        assert_eq!(parse_rss(status), Some(2048));
        let me = sample(std::process::id()).expect("own /proc entry");
        assert!(me.rss_kib > 0);
        assert!(fd_count(std::process::id()) >= 3);
        assert!(load_average().is_some());
        let (busy, total) = machine_ticks();
        assert!(total > 0 && busy <= total);
        let later = Sample {
            cpu_ticks: me.cpu_ticks + 1,
            cpu_ns: me.cpu_ns + 7_000_000,
            ..me
        };
        assert!((cpu_delta_secs(&me, &later) - 0.007).abs() < 1e-9);
        let many = Sample {
            cpu_ticks: me.cpu_ticks + 100,
            ..later
        };
        assert!((cpu_delta_secs(&me, &many) - ticks_to_secs(100)).abs() < 1e-9);
    }
}
