//! `wardcast replay`: post a recording to a running broker at the recorded pace.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use tokio::time::Instant;

use crate::record::RecordLine;
use crate::Error;

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// A JSONL recording (`wardcast serve --record`) or a JSON array of bodies.
    pub file: PathBuf,
    /// Where to post, e.g. `http://127.0.0.1:7314/gsi`.
    pub target: String,
    /// Playback speed: 2.0 plays twice as fast.
    pub speed: f64,
    /// The gap between bodies that carry no time (a JSON array).
    pub interval: Duration,
    /// Replaces `auth.token` in every body, for a broker run with `--gsi-token`.
    pub token: Option<String>,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Bodies posted.
    pub posted: usize,
    /// Bodies the broker accepted (2xx).
    pub accepted: usize,
    /// Bodies the broker refused, with the first refusal's status and message.
    pub refused: usize,
    /// The first refusal, as `status: message`.
    pub first_refusal: Option<String>,
}

/// One body and when to send it, in ms from the start.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedBody {
    /// When to post it, before speed scaling.
    pub at_ms: u64,
    /// The body.
    pub body: Value,
}

/// Reads a recording: a JSON array of bodies (sent `interval` apart) or JSON lines
/// of `{"t_ms", "body"}` (sent at their times).
pub fn load(path: &Path, interval: Duration) -> Result<Vec<TimedBody>, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Io(format!("cannot read {}", path.display()), e))?;
    let step = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
    if text.trim_start().starts_with('[') {
        let bodies: Vec<Value> = serde_json::from_str(&text).map_err(|e| {
            Error::Input(format!(
                "{}: not a JSON array of GSI bodies: {e}",
                path.display()
            ))
        })?;
        return Ok(bodies
            .into_iter()
            .zip(0u64..)
            .map(|(body, i)| TimedBody {
                at_ms: i.saturating_mul(step),
                body,
            })
            .collect());
    }
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: RecordLine = serde_json::from_str(line).map_err(|e| {
            Error::Input(format!(
                "{}:{}: not a recording line {{\"t_ms\",\"body\"}}: {e}",
                path.display(),
                n + 1
            ))
        })?;
        out.push(TimedBody {
            at_ms: line.t_ms,
            body: line.body,
        });
    }
    Ok(out)
}

/// Posts every body to the target at the recorded pace, reporting progress on stderr.
pub async fn replay(options: &ReplayOptions) -> Result<ReplaySummary, Error> {
    if !(options.speed.is_finite() && options.speed > 0.0) {
        return Err(Error::Input("--speed must be a positive number".into()));
    }
    let bodies = load(&options.file, options.interval)?;
    let uri: hyper::Uri = options
        .target
        .parse()
        .map_err(|e| Error::Input(format!("bad --target {:?}: {e}", options.target)))?;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut progress = Progress::new(bodies.len());
    let mut summary = ReplaySummary::default();
    let start = Instant::now();
    for mut timed in bodies {
        let due = Duration::from_secs_f64(timed.at_ms as f64 / 1000.0 / options.speed);
        tokio::time::sleep_until(start + due).await;
        if let Some(token) = &options.token {
            if let Some(obj) = timed.body.as_object_mut() {
                obj.insert("auth".into(), serde_json::json!({ "token": token }));
            }
        }
        let body = Bytes::from(serde_json::to_vec(&timed.body).unwrap_or_default());
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header("content-type", "application/json")
            .header("user-agent", "wardcast-replay")
            .body(Full::new(body))
            .map_err(|e| Error::Input(format!("bad request: {e}")))?;
        let response = client.request(request).await.map_err(|e| {
            Error::Input(format!(
                "cannot reach the broker at {}: {e}",
                options.target
            ))
        })?;
        summary.posted += 1;
        let status = response.status();
        if status.is_success() {
            summary.accepted += 1;
        } else {
            summary.refused += 1;
            if summary.first_refusal.is_none() {
                let text = response
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                summary.first_refusal = Some(format!(
                    "{status}: {}",
                    String::from_utf8_lossy(&text).trim()
                ));
            }
        }
        progress.update(&summary);
    }
    progress.finish(&summary, start.elapsed());
    Ok(summary)
}

/// Progress on stderr. On a terminal, an `indicatif` bar with the rate and
/// the time left; otherwise (CI, a pipe, a file) plain lines, one each time
/// another tenth of the bodies is posted or [`PLAIN_EVERY`] has passed. The
/// summary at the end is the same either way.
struct Progress {
    bar: ProgressBar,
    /// Plain lines instead of the bar: when the last one was printed, and at
    /// which tenth of the bodies.
    plain: Option<(std::time::Instant, usize)>,
    total: usize,
}

/// The longest gap between two plain progress lines.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    fn new(total: usize) -> Self {
        let len = u64::try_from(total).unwrap_or(u64::MAX);
        let tty = std::io::stderr().is_terminal();
        let target = if tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        if let Ok(style) = ProgressStyle::with_template(
            "replay: [{bar:20}] {pos}/{len} posted, {msg} ({per_sec:1}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("0 refused");
        Self {
            bar,
            plain: (!tty).then(|| (std::time::Instant::now(), 0)),
            total,
        }
    }

    fn update(&mut self, s: &ReplaySummary) {
        self.bar.set_message(format!("{} refused", s.refused));
        self.bar
            .set_position(u64::try_from(s.posted).unwrap_or(u64::MAX));
        let Some((last_at, last_tenth)) = &mut self.plain else {
            return;
        };
        let tenth = s.posted * 10 / self.total.max(1);
        if tenth > *last_tenth || last_at.elapsed() >= PLAIN_EVERY {
            *last_tenth = tenth;
            *last_at = std::time::Instant::now();
            eprintln!(
                "{}",
                plain_line(s, self.total, self.bar.per_sec(), self.bar.eta())
            );
        }
    }

    fn finish(&self, s: &ReplaySummary, took: Duration) {
        self.bar.finish_and_clear();
        eprintln!(
            "replay: done, {} posted in {:.1} s: {} accepted, {} refused",
            s.posted,
            took.as_secs_f64(),
            s.accepted,
            s.refused
        );
        if let Some(first) = &s.first_refusal {
            eprintln!("replay: first refusal: {first}");
        }
    }
}

/// A plain progress line: `replay: 40/120 posted, 0 refused (12.5/s, 6 s left)`.
fn plain_line(s: &ReplaySummary, total: usize, per_sec: f64, eta: Duration) -> String {
    format!(
        "replay: {}/{total} posted, {} refused ({per_sec:.1}/s, {} s left)",
        s.posted,
        s.refused,
        eta.as_secs_f64().round()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_line_names_the_count_the_rate_and_the_time_left() {
        let s = ReplaySummary {
            posted: 40,
            accepted: 39,
            refused: 1,
            first_refusal: None,
        };
        assert_eq!(
            plain_line(&s, 120, 12.46, Duration::from_millis(6400)),
            "replay: 40/120 posted, 1 refused (12.5/s, 6 s left)"
        );
    }
}
