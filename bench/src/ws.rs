//! The little of RFC 6455 the bench client and the floor server need: frame
//! encoding in both directions, frame header parsing, and the upgrade request.
//!
//! The client is hand-rolled rather than tungstenite so that the load
//! generator, which shares the two cores with the server under test, spends
//! as little CPU and memory per connection as possible.

/// Continuation frame.
pub const OP_CONTINUATION: u8 = 0x0;
/// Text frame.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Close frame.
pub const OP_CLOSE: u8 = 0x8;
/// Ping frame.
pub const OP_PING: u8 = 0x9;
/// Pong frame.
pub const OP_PONG: u8 = 0xA;

fn push_len(len: usize, mask_bit: u8, out: &mut Vec<u8>) {
    if len < 126 {
        // `len < 126` fits in the seven length bits.
        out.push(mask_bit | (len as u8));
    } else if let Ok(short) = u16::try_from(len) {
        out.push(mask_bit | 126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

/// Appends an unmasked frame with FIN set (server to client).
pub fn encode_server(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(0x80 | opcode);
    push_len(payload.len(), 0, out);
    out.extend_from_slice(payload);
}

/// Appends a masked frame with FIN set (client to server).
pub fn encode_client(opcode: u8, payload: &[u8], mask: [u8; 4], out: &mut Vec<u8>) {
    out.push(0x80 | opcode);
    push_len(payload.len(), 0x80, out);
    out.extend_from_slice(&mask);
    out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
}

/// A frame header, as parsed from the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Whether this is the last frame of its message.
    pub fin: bool,
    /// The opcode.
    pub opcode: u8,
    /// The masking key, for client-to-server frames.
    pub mask: Option<[u8; 4]>,
    /// Bytes of header (including the masking key).
    pub header_len: usize,
    /// Bytes of payload.
    pub payload_len: usize,
}

impl Header {
    /// Header plus payload.
    pub fn frame_len(&self) -> usize {
        self.header_len.saturating_add(self.payload_len)
    }
}

/// Parses the frame header at the start of `buf`; `None` until it is complete.
pub fn parse_header(buf: &[u8]) -> Option<Header> {
    let b0 = *buf.first()?;
    let b1 = *buf.get(1)?;
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut at) = match b1 & 0x7F {
        126 => (
            usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])),
            4,
        ),
        127 => {
            let bytes: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            (usize::try_from(u64::from_be_bytes(bytes)).ok()?, 10)
        }
        n => (usize::from(n), 2),
    };
    let mask = if masked {
        let key: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(key)
    } else {
        None
    };
    Some(Header {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0F,
        mask,
        header_len: at,
        payload_len,
    })
}

/// The upgrade request a client sends for `path` on `host`.
pub fn upgrade_request(host: &str, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: d2FyZGNhc3QtYmVuY2gtMQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Where the head of an HTTP message ends (just past the blank line).
pub fn head_end(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find(buf, b"\r\n\r\n").map(|i| i + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_the_header_parser() {
        for len in [0usize, 5, 125, 126, 65_535, 65_536, 70_000] {
            let payload = vec![b'x'; len];
            let mut out = Vec::new();
            encode_server(OP_TEXT, &payload, &mut out);
            let h = parse_header(&out).expect("complete header");
            assert_eq!(
                (h.fin, h.opcode, h.mask, h.payload_len),
                (true, OP_TEXT, None, len)
            );
            assert_eq!(h.frame_len(), out.len());

            let mut out = Vec::new();
            encode_client(OP_PONG, &payload, [1, 2, 3, 4], &mut out);
            let h = parse_header(&out).expect("complete header");
            assert_eq!(h.mask, Some([1, 2, 3, 4]));
            assert_eq!(h.frame_len(), out.len());
            let unmasked: Vec<u8> = out[h.header_len..]
                .iter()
                .zip([1u8, 2, 3, 4].iter().cycle())
                .map(|(b, m)| b ^ m)
                .collect();
            assert_eq!(unmasked, payload);
        }
    }

    #[test]
    fn a_partial_header_is_incomplete() {
        let mut out = Vec::new();
        encode_server(OP_TEXT, &[b'y'; 300], &mut out);
        assert_eq!(parse_header(&out[..1]), None);
        assert_eq!(parse_header(&out[..3]), None);
        assert!(parse_header(&out[..4]).is_some());
    }
}
