//! What one wake-up of a session writes, and the write itself.
//!
//! Published frames are not copied per client: an [`Outgoing`] keeps the
//! publications it draws on and names the frames it wants of each, and the
//! write hands the kernel slices of the publications' shared [`Wire`] buffers
//! (one `writev` for everything due), beside the few frames rendered for this
//! client alone (responses, its snapshot, pings, conflated info). Nothing
//! stays buffered per connection between writes.
//!
//! [`Wire`]: crate::wire::Wire

use std::io::{self, IoSlice};
use std::ops::Range;
use std::sync::Arc;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::hub::Published;
use crate::wire::{self, DataFormat};

/// A run of bytes to write.
enum Piece {
    /// Frames `frames` of publication `publication`, in `format`, written from
    /// the publication's shared buffer.
    Shared {
        publication: usize,
        format: DataFormat,
        frames: Range<usize>,
    },
    /// Frames rendered for this client alone.
    Own(Vec<u8>),
}

/// The frames of one write, in order.
#[derive(Default)]
pub(crate) struct Outgoing {
    publications: Vec<Arc<Published>>,
    pieces: Vec<Piece>,
}

impl Outgoing {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Keeps `publications` for [`Outgoing::shared`]; the first one's index is returned.
    pub fn keep(&mut self, publications: impl IntoIterator<Item = Arc<Published>>) -> usize {
        let first = self.publications.len();
        self.publications.extend(publications);
        first
    }

    /// Queues frame `frame` of kept publication `publication`.
    pub fn shared(&mut self, publication: usize, frame: usize, format: DataFormat) {
        if let Some(Piece::Shared {
            publication: p,
            format: f,
            frames,
        }) = self.pieces.last_mut()
        {
            if *p == publication && *f == format && frames.end == frame {
                frames.end += 1;
                return;
            }
        }
        self.pieces.push(Piece::Shared {
            publication,
            format,
            frames: frame..frame + 1,
        });
    }

    /// Queues a text frame carrying `json`.
    pub fn text(&mut self, json: &[u8]) {
        self.own(|buf| wire::encode_text(json, buf));
    }

    /// Queues a ping.
    pub fn ping(&mut self) {
        self.own(wire::encode_ping);
    }

    fn own(&mut self, encode: impl FnOnce(&mut Vec<u8>)) {
        match self.pieces.last_mut() {
            Some(Piece::Own(buf)) => encode(buf),
            _ => {
                let mut buf = Vec::new();
                encode(&mut buf);
                self.pieces.push(Piece::Own(buf));
            }
        }
    }

    fn slice<'a>(&'a self, piece: &'a Piece) -> &'a [u8] {
        match piece {
            Piece::Own(buf) => buf,
            Piece::Shared {
                publication,
                format,
                frames,
            } => self
                .publications
                .get(*publication)
                .map_or(&[][..], |p| p.wire(*format).frames(frames.clone())),
        }
    }

    /// How many bytes the write holds.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(|p| self.slice(p).len()).sum()
    }

    /// Writes everything with as few `writev` calls as the socket takes (one,
    /// unless its buffer fills), then flushes.
    pub async fn write_to<W: AsyncWrite + Unpin>(&self, io: &mut W) -> io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = self
            .pieces
            .iter()
            .map(|p| IoSlice::new(self.slice(p)))
            .filter(|s| !s.is_empty())
            .collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = io.write_vectored(rest).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
        io.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::EventItem;
    use crate::catalogue::FeatureId;
    use crate::wire::{Frame, Payload, Target};
    use serde_json::json;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    fn publication(seqs: Range<u64>) -> Arc<Published> {
        let frames = seqs
            .map(|seq| {
                Frame::new(
                    seq,
                    Target::Feature(FeatureId(0)),
                    Payload::Events {
                        feature: "gold".into(),
                        events: vec![EventItem {
                            name: "gold".into(),
                            data: json!({ "gold": seq }),
                        }],
                    },
                )
            })
            .collect();
        Arc::new(Published::new(frames, None))
    }

    /// A writer that takes at most `chunk` bytes per call, like a full socket.
    struct Trickle {
        written: Vec<u8>,
        chunk: usize,
        calls: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.chunk);
            self.written.extend_from_slice(&buf[..n]);
            self.calls += 1;
            Poll::Ready(Ok(n))
        }
        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let mut left = self.chunk;
            let mut n = 0;
            for buf in bufs {
                let take = buf.len().min(left);
                self.written.extend_from_slice(&buf[..take]);
                n += take;
                left -= take;
                if left == 0 {
                    break;
                }
            }
            self.calls += 1;
            Poll::Ready(Ok(n))
        }
        fn is_write_vectored(&self) -> bool {
            true
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn frames_go_out_in_order_in_one_vectored_write_even_when_the_socket_takes_a_little_at_a_time(
    ) {
        let (a, b) = (publication(1..4), publication(4..6));
        let mut out = Outgoing::default();
        out.text(br#"{"id":1}"#);
        let first = out.keep([a.clone(), b.clone()]);
        out.shared(first, 0, DataFormat::String);
        out.shared(first, 1, DataFormat::String);
        out.shared(first + 1, 1, DataFormat::String);
        out.ping();
        out.shared(first, 2, DataFormat::String);

        let mut expected = Vec::new();
        wire::encode_text(br#"{"id":1}"#, &mut expected);
        expected.extend_from_slice(a.wire(DataFormat::String).frames(0..2));
        expected.extend_from_slice(b.wire(DataFormat::String).frames(1..2));
        wire::encode_ping(&mut expected);
        expected.extend_from_slice(a.wire(DataFormat::String).frames(2..3));
        assert_eq!(out.len(), expected.len());

        let mut whole = Trickle {
            written: Vec::new(),
            chunk: usize::MAX,
            calls: 0,
        };
        out.write_to(&mut whole).await.expect("write");
        assert_eq!(whole.written, expected);
        assert_eq!(whole.calls, 1, "one writev for the whole wake-up");

        let mut trickle = Trickle {
            written: Vec::new(),
            chunk: 7,
            calls: 0,
        };
        out.write_to(&mut trickle).await.expect("write");
        assert_eq!(trickle.written, expected);
    }
}
