//! `--record FILE`: every accepted GSI body, appended as one JSON line.
//!
//! Each line is `{"t_ms": <ms since the first recorded body>, "unix_ms": <wall
//! time>, "body": <the body, compact>}`. The file is written by its own task fed
//! through a bounded channel, so a slow disk never delays the game's reply or
//! the fan-out; if the channel is full the body is skipped and counted.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::Error;

/// One line of a recording.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordLine {
    /// Milliseconds since the first body of the recording.
    pub t_ms: u64,
    /// Wall-clock receive time, Unix milliseconds.
    #[serde(default)]
    pub unix_ms: Option<u64>,
    /// The GSI body.
    pub body: serde_json::Value,
}

/// The sending side of a recorder.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Bodies to write. Bounded; a full queue drops the body with a warning.
    tx: mpsc::Sender<(Instant, Bytes)>,
}

/// How many bodies may wait for the disk.
const QUEUE: usize = 1024;

impl Recorder {
    /// Opens `path` for appending and starts the writer task.
    pub async fn open(path: &Path) -> Result<Self, Error> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| Error::Io(format!("cannot open recording {}", path.display()), e))?;
        let (tx, mut rx) = mpsc::channel::<(Instant, Bytes)>(QUEUE);
        let shown = path.display().to_string();
        tokio::spawn(async move {
            let mut out = tokio::io::BufWriter::new(file);
            let mut start: Option<Instant> = None;
            while let Some((at, body)) = rx.recv().await {
                let t0 = *start.get_or_insert(at);
                let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
                    continue;
                };
                let line = RecordLine {
                    t_ms: u64::try_from(at.duration_since(t0).as_millis()).unwrap_or(u64::MAX),
                    unix_ms: SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .ok()
                        .and_then(|d| u64::try_from(d.as_millis()).ok()),
                    body,
                };
                let mut text = serde_json::to_vec(&line).unwrap_or_default();
                text.push(b'\n');
                let written = async {
                    out.write_all(&text).await?;
                    // Flush when the queue is drained, so a crash loses little.
                    if rx.is_empty() {
                        out.flush().await?;
                    }
                    Ok::<(), std::io::Error>(())
                };
                if let Err(e) = written.await {
                    tracing::error!("recording to {shown} failed, stopping: {e}");
                    return;
                }
            }
            let _ = out.flush().await;
        });
        Ok(Self { tx })
    }

    /// Queues one accepted body.
    pub fn record(&self, received_at: Instant, body: Bytes) {
        if self.tx.try_send((received_at, body)).is_err() {
            tracing::warn!("recording queue full, a GSI body was not recorded");
        }
    }
}
