//! Text encodings of log files: UTF-8 passes through untouched, UTF-16
//! is turned into UTF-8 on the fly.
//!
//! NPE writes its logs in UTF-8 (or plain ASCII), but logs copied on a
//! Windows server and saved again by an editor or by PowerShell's `>` arrive
//! as UTF-16 with a byte-order mark (BOM). The encoding is decided from the
//! first bytes of a file: a UTF-16 BOM, or, without one, the tell-tale NUL
//! byte beside every ASCII character. Anything else is read as bytes;
//! Latin-1 and other single-byte text stays readable because the parser
//! only looks at ASCII, and display text replaces what is not UTF-8.

/// Bytes needed to decide the encoding of a file.
const SNIFF_BYTES: usize = 64;

/// The encoding of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8, ASCII, or single-byte text: passed through.
    Bytes,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
}

/// Decodes one file's chunks into UTF-8.
#[derive(Debug)]
pub struct Decoder {
    encoding: Option<Encoding>,
    /// Bytes held back: the start of the file while sniffing, or an odd
    /// byte or half a surrogate pair at the end of a UTF-16 chunk.
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl Encoding {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Bytes => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder at the start of a file.
    pub fn new() -> Decoder {
        Decoder { encoding: None, pending: Vec::new(), out: Vec::new() }
    }

    /// The encoding found, once enough bytes were seen.
    pub fn encoding(&self) -> Option<Encoding> {
        self.encoding
    }

    /// Decodes the next chunk; the result may be empty while the start of
    /// the file is being sniffed.
    pub fn decode<'a>(&'a mut self, chunk: &'a [u8]) -> &'a [u8] {
        if self.encoding.is_none() {
            self.pending.extend_from_slice(chunk);
            if self.pending.len() < SNIFF_BYTES {
                return &[];
            }
            return self.start();
        }
        match self.encoding {
            Some(Encoding::Bytes) => {
                // The sniffed start of the file, a whole first chunk, is
                // no longer needed; keeping it for the whole file would
                // hold a chunk's size of memory for nothing.
                if self.out.capacity() > 0 {
                    self.out = Vec::new();
                }
                chunk
            }
            Some(e) => {
                self.pending.extend_from_slice(chunk);
                self.out.clear();
                let held = std::mem::take(&mut self.pending);
                let rest = utf16_to_utf8(&held, e, &mut self.out);
                self.pending = rest.to_vec();
                &self.out
            }
            None => unreachable!("the encoding was decided above"),
        }
    }

    /// Decodes what is still held back at the end of the file.
    pub fn finish(&mut self) -> &[u8] {
        if self.encoding.is_none() {
            self.start();
        } else {
            self.out.clear();
        }
        // A trailing odd byte or lone surrogate cannot be decoded.
        if self.encoding != Some(Encoding::Bytes) && !self.pending.is_empty() {
            self.out.extend_from_slice("\u{FFFD}".as_bytes());
            self.pending.clear();
        }
        &self.out
    }

    /// Decides the encoding from the sniffed bytes and decodes them.
    fn start(&mut self) -> &[u8] {
        let head = std::mem::take(&mut self.pending);
        // Always judge by the same number of bytes, however the file was
        // cut into chunks.
        let (encoding, skip) = sniff(&head[..head.len().min(SNIFF_BYTES)]);
        self.encoding = Some(encoding);
        match encoding {
            Encoding::Bytes => {
                self.out = head;
                &self.out
            }
            e => {
                self.out.clear();
                let rest = utf16_to_utf8(&head[skip..], e, &mut self.out);
                self.pending = rest.to_vec();
                &self.out
            }
        }
    }
}

/// The encoding of a file from its first bytes, and the length of its
/// UTF-16 byte-order mark to skip (a UTF-8 BOM is left to the line reader).
pub fn sniff(head: &[u8]) -> (Encoding, usize) {
    match head {
        [0xFF, 0xFE, ..] => return (Encoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => return (Encoding::Utf16Be, 2),
        _ => {}
    }
    let pairs = head.len() / 2;
    if pairs < 4 {
        return (Encoding::Bytes, 0);
    }
    let even_nuls = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nuls = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    // ASCII text in UTF-16 has a NUL in every other byte; demand nearly
    // all of them so that binary junk is not taken for text.
    if odd_nuls * 10 >= pairs * 9 && even_nuls == 0 {
        (Encoding::Utf16Le, 0)
    } else if even_nuls * 10 >= pairs * 9 && odd_nuls == 0 {
        (Encoding::Utf16Be, 0)
    } else {
        (Encoding::Bytes, 0)
    }
}

/// Appends the UTF-8 of as many whole UTF-16 units of `bytes` as can be
/// decoded; returns the bytes left over (an odd byte or half a pair).
fn utf16_to_utf8<'b>(
    bytes: &'b [u8],
    e: Encoding,
    out: &mut Vec<u8>,
) -> &'b [u8] {
    let unit = |i: usize| -> u16 {
        let pair = [bytes[i], bytes[i + 1]];
        match e {
            Encoding::Utf16Be => u16::from_be_bytes(pair),
            _ => u16::from_le_bytes(pair),
        }
    };
    let mut i = 0;
    while i + 1 < bytes.len() {
        let u = unit(i);
        let (c, used) = if (0xD800..0xDC00).contains(&u) {
            if i + 3 >= bytes.len() {
                break;
            }
            let low = unit(i + 2);
            if (0xDC00..0xE000).contains(&low) {
                let c = 0x10000
                    + ((u32::from(u) - 0xD800) << 10)
                    + (u32::from(low) - 0xDC00);
                (char::from_u32(c).unwrap_or('\u{FFFD}'), 4)
            } else {
                ('\u{FFFD}', 2)
            }
        } else {
            (char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}'), 2)
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        i += used;
    }
    &bytes[i..]
}

/// Text for display from log bytes: UTF-8 when they are valid UTF-8,
/// otherwise read as Latin-1 (ISO 8859-1), where every byte is a character,
/// so that `René` from a Western European server reads as such instead of
/// as replacement marks.
pub fn text_from_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], chunk: usize) -> Vec<u8> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for c in bytes.chunks(chunk.max(1)) {
            out.extend_from_slice(d.decode(c));
        }
        out.extend_from_slice(d.finish());
        out
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    fn utf16be(text: &str) -> Vec<u8> {
        let mut v = vec![0xFE, 0xFF];
        v.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        v
    }

    const TEXT: &str =
        "12/Jun/12:08:32:31:506-0500 [INFO] (SMTP_MESSAGE.1300) \
        Message complete (sender=<zoë@exämple.com> text=<ok 😀>)\r\n";

    #[test]
    fn utf8_passes_through_in_any_chunking() {
        for chunk in [1, 3, 64, 1000] {
            assert_eq!(decode_all(TEXT.as_bytes(), chunk), TEXT.as_bytes());
        }
    }

    #[test]
    fn utf16_with_bom_in_any_chunking() {
        for chunk in [1, 2, 3, 5, 64, 1000] {
            let le = decode_all(&utf16le(TEXT, true), chunk);
            assert_eq!(String::from_utf8(le).unwrap(), TEXT, "LE {chunk}");
            let be = decode_all(&utf16be(TEXT), chunk);
            assert_eq!(String::from_utf8(be).unwrap(), TEXT, "BE {chunk}");
        }
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let out = decode_all(&utf16le(TEXT, false), 7);
        assert_eq!(String::from_utf8(out).unwrap(), TEXT);
    }

    #[test]
    fn sniffing_does_not_depend_on_chunking() {
        // UTF-16-looking start, then text that is not: judged by the
        // start alone whether the first chunk is small or the whole file.
        let mut bytes = utf16le(&"a".repeat(40), false);
        bytes.extend(std::iter::repeat_n(b'b', 500));
        let whole = decode_all(&bytes, bytes.len());
        assert_eq!(decode_all(&bytes, 7), whole);
        assert_eq!(decode_all(&bytes, 1), whole);
    }

    #[test]
    fn short_files_are_not_lost() {
        assert_eq!(decode_all(b"abc", 10), b"abc");
        assert_eq!(decode_all(b"", 10), b"");
        let out = decode_all(&utf16le("ab", true), 10);
        assert_eq!(out, b"ab");
    }

    #[test]
    fn latin1_text_reads_as_latin1() {
        assert_eq!(text_from_bytes(b"Ren\xe9"), "René");
        assert_eq!(text_from_bytes("René".as_bytes()), "René");
    }

    #[test]
    fn binary_junk_is_bytes() {
        let junk: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        assert_eq!(sniff(&junk).0, Encoding::Bytes);
        assert_eq!(decode_all(&junk, 13), junk);
    }

    #[test]
    fn odd_trailing_byte_becomes_a_replacement() {
        let mut bytes = utf16le("abcd", true);
        bytes.push(0x41);
        let out = String::from_utf8(decode_all(&bytes, 4)).unwrap();
        assert_eq!(out, "abcd\u{FFFD}");
    }
}
