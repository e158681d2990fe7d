//! Messages and connections, the units the statistics count.
//!
//! A *message* is one `1300 Message complete` record or one `Error while
//! processing message` record: NPE writes exactly one of them for every
//! message it handled, with the timings and the final SMTP reply. A
//! *connection* is one upstream SMTP session, identified by its `cid`
//! (`875` in older logs, `Upstream-<UUID>` in newer ones): accepted
//! (1201), carrying some messages, closed (1205 with `messages=` and
//! `time=`). The *downstream host* of a message is the remote end of the
//! last forward connection (1203) opened on the same thread (`tid`) before
//! the message was logged: NPE logs no host on the message record itself.

use crate::absent::{Maybe, MaybeSeconds, Stamp};
use crate::parse::fields::{self, KeyPlan, Millis};
use crate::symbols::{Sym, Symbols};
use crate::timing::Timing;
use serde::Serialize;

/// A connection id (`cid`) in a compact form that needs no allocation.
///
/// NPE writes numeric ids (`875`) in older logs and `Upstream-<UUID>` /
/// `Downstream-<UUID>` in newer ones; both are stored as numbers and
/// written back exactly. Anything else (masked `#####`, upper-case hex,
/// a number of 2³² or more) is interned. No variant holds a 64-bit
/// number, so a cid aligns to four bytes and takes twenty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Cid {
    /// No cid, or `cid=<>`.
    #[default]
    None,
    /// A numeric id below 2³².
    Numeric(u32),
    /// `Upstream-<UUID>`, the sending side's connection.
    Upstream(Uuid),
    /// `Downstream-<UUID>`, the forward connection.
    Downstream(Uuid),
    /// Any other text.
    Text(Sym),
}

impl Cid {
    /// Reads a cid as logged.
    pub fn from_bytes(value: &[u8], symbols: &mut Symbols) -> Cid {
        if value.is_empty() {
            return Cid::None;
        }
        let number = fields::parse_count(value)
            .filter(|_| value[0] != b'0' && !value.contains(&b','))
            .and_then(|n| u32::try_from(n).ok());
        if let Some(n) = number {
            return Cid::Numeric(n);
        }
        let uuids = &mut symbols.uuids;
        if let Some(uuid) =
            value.strip_prefix(b"Upstream-").and_then(|s| uuids.read(s))
        {
            return Cid::Upstream(uuid);
        }
        if let Some(uuid) =
            value.strip_prefix(b"Downstream-").and_then(|s| uuids.read(s))
        {
            return Cid::Downstream(uuid);
        }
        Cid::Text(symbols.intern(value))
    }

    /// Writes the cid back as it was logged.
    pub fn to_text(self, symbols: &Symbols) -> String {
        match self {
            Cid::None => String::new(),
            Cid::Numeric(n) => n.to_string(),
            Cid::Upstream(u) => format!("Upstream-{}", uuid_text(u)),
            Cid::Downstream(u) => format!("Downstream-{}", uuid_text(u)),
            Cid::Text(sym) => symbols.resolve(sym).to_string(),
        }
    }

    /// Whether a cid is present.
    pub fn is_some(self) -> bool {
        self != Cid::None
    }
}

/// A UUID as four 32-bit words, first digits first.
///
/// Not a `u128`: that would align a [`Cid`], and every message and
/// connection record holding one, to sixteen bytes and pad each of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Uuid(pub [u32; 4]);

impl Uuid {
    /// The UUID whose 32 hex digits are those of `n`.
    pub const fn from_u128(n: u128) -> Uuid {
        Uuid([(n >> 96) as u32, (n >> 64) as u32, (n >> 32) as u32, n as u32])
    }
}

/// Reads a lower-case `8-4-4-4-12` UUID.
fn uuid_of(s: &[u8]) -> Option<Uuid> {
    let s: &[u8; 36] = s.try_into().ok()?;
    if s[8] != b'-' || s[13] != b'-' || s[18] != b'-' || s[23] != b'-' {
        return None;
    }
    let join = |a: &[u8], b: &[u8]| {
        let mut eight = [0u8; 8];
        eight[..4].copy_from_slice(a);
        eight[4..].copy_from_slice(b);
        eight
    };
    Some(Uuid([
        eight_hex(&s[..8])?,
        eight_hex(&join(&s[9..13], &s[14..18]))?,
        eight_hex(&join(&s[19..23], &s[24..28]))?,
        eight_hex(&s[28..])?,
    ]))
}

/// The UUIDs of connection ids read lately, each in a place picked by
/// its first digits.
///
/// An upstream connection's id is logged on its accept, on each of its
/// messages and on its close: comparing the 36 characters with those
/// read last time in the same place costs a fraction of reading the 32
/// hex digits again. Connections overlap, so the places are many; two
/// ids that share a place simply take turns.
#[derive(Clone, Debug)]
pub(crate) struct RecentUuids {
    /// The text of a UUID and its value; all zeros, which no UUID's text
    /// is, in a place not used yet.
    places: Box<[([u8; 36], Uuid)]>,
}

impl RecentUuids {
    /// Places for about as many connections at once: 52 KiB.
    const PLACES: usize = 1024;

    /// An empty cache.
    pub(crate) fn new() -> RecentUuids {
        let empty = ([0; 36], Uuid([0; 4]));
        RecentUuids { places: vec![empty; Self::PLACES].into() }
    }

    /// Reads a lower-case `8-4-4-4-12` UUID and remembers it.
    pub(crate) fn read(&mut self, s: &[u8]) -> Option<Uuid> {
        let text: &[u8; 36] = s.try_into().ok()?;
        // The first four digits, spread over the places by a multiply
        // with the golden ratio (Fibonacci hashing): its top bits.
        let first = u32::from_le_bytes(*text.first_chunk().expect("36 bytes"));
        let top =
            first.wrapping_mul(0x9E37_79B1) >> (32 - Self::PLACES.ilog2());
        let place = &mut self.places[top as usize % Self::PLACES];
        if fields::same_bytes(&place.0, text) {
            return Some(place.1);
        }
        let uuid = uuid_of(text)?;
        *place = (*text, uuid);
        Some(uuid)
    }
}

/// Repeats a byte in every lane of a word.
const fn lanes(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The value of eight lower-case hex digits, read eight at a time in one
/// word: every message and connection record carries such a cid, and a
/// digit at a time was the costliest step of reading one.
#[inline(always)]
fn eight_hex(digits: &[u8]) -> Option<u32> {
    let x = u64::from_le_bytes(digits.try_into().ok()?);
    // With every byte below 0x80, adding 0x80 - lo sets a byte's high bit
    // exactly when it is at least lo, with no carry into the next byte.
    let at_least = |lo: u8| x.wrapping_add(lanes(0x80 - lo));
    let digit = at_least(b'0') & !at_least(b'9' + 1);
    let letter = at_least(b'a') & !at_least(b'f' + 1);
    let high = lanes(0x80);
    if x & high != 0 || (digit | letter) & high != high {
        return None;
    }
    // '0'..'9' end in their value; 'a'..'f' end in 1..6 and have bit 6.
    let v = (x & lanes(0x0F)) + ((x >> 6) & lanes(0x01)) * 9;
    // Gather the nibbles, first digit highest: pairs, quads, then eight.
    let v =
        ((v & 0x000F_000F_000F_000F) << 4) | ((v >> 8) & 0x000F_000F_000F_000F);
    let v = ((v & 0x0000_00FF_0000_00FF) << 8)
        | ((v >> 16) & 0x0000_00FF_0000_00FF);
    let v = ((v & 0x0000_0000_0000_FFFF) << 16) | ((v >> 32) & 0xFFFF);
    Some(v as u32)
}

fn uuid_text(Uuid(words): Uuid) -> String {
    let hex: String = words.iter().map(|w| format!("{w:08x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Reads a thread id; masked values (`XX`, `#####`) give `None`.
pub fn tid_of(value: &[u8]) -> Option<u32> {
    fields::parse_count(value).and_then(|n| u32::try_from(n).ok())
}

/// How NPE finished with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// `Message complete`: the message was handed on, whatever the reply.
    Complete,
    /// `Error while processing message`: it was not completed.
    Error,
}

impl Outcome {
    /// A stable name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Error => "error",
        }
    }
}

/// Where a line came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// Index of the file in the analysis, in the order given.
    pub file: u32,
    /// 1-based line number.
    pub line: u64,
    /// Byte offset of the line's start in the (decompressed) file.
    ///
    /// TODO: For a UTF-16 file this counts the UTF-8 text it was decoded
    /// to, so it cannot be used to re-read the raw line from the file.
    /// Keeping a map from decoded to raw offsets per chunk would fix it.
    pub offset: u64,
}

/// One message NPE handled.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// When the record was written (UTC), if the line had a time.
    pub time: Stamp,
    /// Where the record is.
    pub origin: Origin,
    /// Complete or error.
    pub outcome: Outcome,
    /// The timings (`rtime`, `dtime`, `mtime`, and send).
    pub timing: Timing,
    /// Size in bytes, from `size`.
    pub size: Maybe<u64>,
    /// Envelope recipients, from `recipient_count`.
    pub recipients: Maybe<u32>,
    /// Domain of the envelope sender, from `sender`.
    pub sender_domain: Sym,
    /// SMTP reply code, from `code`.
    pub code: Maybe<u16>,
    /// Enhanced status, from `estatus`.
    pub estatus: Sym,
    /// DLP's verdict (not the delivery outcome), from `disposition`.
    pub disposition: Sym,
    /// Reply text, from `text`; kept only for replies other than 2xx, whose
    /// texts are mostly queue ids that would make every record unique.
    pub reply: Sym,
    /// Why the message failed, from `reason` (message errors only).
    pub reason: Sym,
    /// Thread id, from `tid`.
    pub tid: Maybe<u32>,
    /// Connection id, from `cid`.
    pub cid: Cid,
    /// Downstream MTA host, from the thread's last forward connection.
    pub downstream: Sym,
    /// Whether the sender was the null sender `<>`.
    pub null_sender: bool,
}

impl Message {
    /// Reads a message from the field list of its record.
    pub fn from_fields(
        list: &[u8],
        outcome: Outcome,
        time: Option<Millis>,
        origin: Origin,
        symbols: &mut Symbols,
    ) -> Message {
        let mut m = Message {
            time: Stamp::new(time),
            origin,
            outcome,
            timing: Timing::default(),
            size: Maybe::NONE,
            recipients: Maybe::NONE,
            sender_domain: Sym::NONE,
            code: Maybe::NONE,
            estatus: Sym::NONE,
            disposition: Sym::NONE,
            reply: Sym::NONE,
            reason: Sym::NONE,
            tid: Maybe::NONE,
            cid: Cid::None,
            downstream: Sym::NONE,
            null_sender: false,
        };
        let picked = MESSAGE_KEYS.pick(list);
        let [rtime, dtime, mtime, size, recipients, sender, code, ..] = picked;
        let [.., estatus, disposition, text, reason, tid, cid] = picked;
        let number = |v: Option<&[u8]>| v.and_then(fields::parse_number);
        let (rtime, dtime, mtime) =
            (number(rtime), number(dtime), number(mtime));
        m.size = Maybe::new(size.and_then(fields::parse_count));
        m.recipients = Maybe::new(
            recipients
                .and_then(fields::parse_count)
                .and_then(|n| u32::try_from(n).ok()),
        );
        if let Some(sender) = sender {
            m.null_sender = sender.is_empty();
            if let Some(domain) = fields::domain_of(sender) {
                m.sender_domain = intern_lower(domain, symbols);
            }
        }
        m.code = Maybe::new(
            code.and_then(fields::parse_count)
                .and_then(|n| u16::try_from(n).ok()),
        );
        m.estatus = estatus.map_or(Sym::NONE, |v| symbols.intern(v));
        m.disposition = disposition.map_or(Sym::NONE, |v| symbols.intern(v));
        let reply = text.unwrap_or(b"");
        m.reason = reason.map_or(Sym::NONE, |v| symbols.intern(v));
        m.tid = Maybe::new(tid.and_then(tid_of));
        m.cid = cid.map_or(Cid::None, |v| Cid::from_bytes(v, symbols));
        m.timing = Timing::from_logged(rtime, dtime, mtime);
        if outcome == Outcome::Error || m.code.get().is_some_and(|c| c >= 300) {
            m.reply = symbols.intern(truncate(reply, MAX_REPLY_BYTES));
        }
        m
    }

    /// Whether the next hop refused the message (a 4xx or 5xx reply, or
    /// a message error).
    pub fn is_rejected(&self) -> bool {
        self.outcome == Outcome::Error
            || self.code.get().is_some_and(|c| c >= 400)
    }
}

/// The keys of a message record that [`Message::from_fields`] reads, and
/// the order NPE writes them in: `Message complete` stops at `mtime`,
/// `Error while processing message` adds `reason`.
const MESSAGE_KEYS: KeyPlan<13, 15> = KeyPlan::new(
    [
        b"rtime",
        b"dtime",
        b"mtime",
        b"size",
        b"recipient_count",
        b"sender",
        b"code",
        b"estatus",
        b"disposition",
        b"text",
        b"reason",
        b"tid",
        b"cid",
    ],
    [
        b"tid",
        b"cid",
        b"message_id",
        b"dlp_id",
        b"size",
        b"sender",
        b"recipient_count",
        b"disposition",
        b"code",
        b"estatus",
        b"text",
        b"rtime",
        b"dtime",
        b"mtime",
        b"reason",
    ],
);

/// Reply texts longer than this are cut: they are shown as evidence, and
/// per-recipient replies can run long.
const MAX_REPLY_BYTES: usize = 300;

fn truncate(s: &[u8], max: usize) -> &[u8] {
    if s.len() <= max {
        return s;
    }
    // Cut on a character boundary so the stored text stays valid UTF-8.
    let mut end = max;
    while end > 0 && (s[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &s[..end]
}

/// Interns a domain in lower case, allocating only when it has capitals.
fn intern_lower(s: &[u8], symbols: &mut Symbols) -> Sym {
    if s.iter().any(u8::is_ascii_uppercase) {
        symbols.intern(&s.to_ascii_lowercase())
    } else {
        symbols.intern(s)
    }
}

/// One upstream SMTP session.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// Connection id, from `cid`.
    pub cid: Cid,
    /// Thread id, from `tid`.
    pub tid: Maybe<u32>,
    /// When the connection was accepted (1201), if seen.
    pub opened: Stamp,
    /// When the session closed (1205), if seen.
    pub closed: Stamp,
    /// The upstream host, from `remote` of 1201 or 1205.
    pub remote: Sym,
    /// Messages carried, from `messages` of 1205.
    pub messages: Maybe<u32>,
    /// Session length in seconds, from `time` of 1205.
    pub duration: MaybeSeconds,
    /// Where the first record of the connection is.
    pub origin: Origin,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million messages are kept at once, so padding counts: no field
    /// may align a record to more than eight bytes.
    #[test]
    fn records_align_to_eight_bytes_at_most() {
        use std::mem::{align_of, size_of};
        eprintln!(
            "Message {} bytes, Connection {} bytes, Cid {} bytes",
            size_of::<Message>(),
            size_of::<Connection>(),
            size_of::<Cid>()
        );
        assert!(align_of::<Message>() <= 8);
        assert!(align_of::<Connection>() <= 8);
        assert!(size_of::<Cid>() <= 20);
        // Values absent as a sentinel, not as an `Option`'s tag.
        assert_eq!(size_of::<Stamp>(), 8);
        assert_eq!(size_of::<MaybeSeconds>(), 8);
        assert_eq!(size_of::<Maybe<u16>>(), 2);
        assert!(size_of::<Message>() <= 136);
        assert!(size_of::<Connection>() <= 80);
    }

    const KB160660: &str = "tid=27 cid=Upstream-6d756ad9 message_id=<a@b> \
        dlp_id=17eafa790eb size=123,456 sender=<Someone@Example.COM> \
        recipient_count=3 disposition=PASS code=250 estatus=<> \
        text=<OK (a:250 2.0.0 accepted,b:250 2.0.0...)> rtime=10.06s \
        dtime=0.50s mtime=100.09s";

    #[test]
    fn message_complete_fields() {
        let mut symbols = Symbols::new();
        let m = Message::from_fields(
            KB160660.as_bytes(),
            Outcome::Complete,
            None,
            Origin::default(),
            &mut symbols,
        );
        assert_eq!(m.size.get(), Some(123_456));
        assert_eq!(m.recipients.get(), Some(3));
        assert_eq!(m.code.get(), Some(250));
        assert_eq!(m.timing.send(), Some(89.53));
        assert_eq!(symbols.resolve(m.sender_domain), "example.com");
        assert_eq!(symbols.resolve(m.disposition), "PASS");
        assert_eq!(m.tid.get(), Some(27));
        assert!(m.reply.is_none(), "2xx reply texts are not kept");
        assert!(!m.is_rejected());
    }

    #[test]
    fn cids_round_trip() {
        let mut symbols = Symbols::new();
        for text in [
            "875",
            "Upstream-6d756ad9-2602-4adc-a3cb-151780b9dc5a",
            "Downstream-2328463c-7b08-442e-a683-3bad1096dc71",
            "Upstream-XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX",
            "#####",
            "007",
            "4294967295",
            "4294967296",
            "18446744073709551616",
        ] {
            let cid = Cid::from_bytes(text.as_bytes(), &mut symbols);
            assert_eq!(cid.to_text(&symbols), text);
        }
        for text in [
            "Upstream-0123456789-abcdef-0123-456789abcdef",
            "Upstream-0123456g-89ab-cdef-0123-456789abcdef",
            "Upstream-0123456:-89ab-cdef-0123-456789abcdef",
            "Upstream-012345\u{e9}-89ab-cdef-0123-456789abcdef",
            "Upstream-0123456`-89ab-cdef-0123-456789abcdef",
        ] {
            let cid = Cid::from_bytes(text.as_bytes(), &mut symbols);
            assert!(matches!(cid, Cid::Text(_)), "{text}");
            assert_eq!(cid.to_text(&symbols), text);
        }
        let text = "Downstream-ffffffff-0000-9999-aaaa-f0a9e1b2c3d4";
        let cid = Cid::from_bytes(text.as_bytes(), &mut symbols);
        assert_eq!(
            cid,
            Cid::Downstream(Uuid::from_u128(
                0xffffffff_0000_9999_aaaa_f0a9e1b2c3d4
            ))
        );
        assert_eq!(cid.to_text(&symbols), text);
        let cid = Cid::from_bytes(b"875", &mut symbols);
        assert_eq!(cid, Cid::Numeric(875));
        let cid = Cid::from_bytes(b"4294967296", &mut symbols);
        assert!(matches!(cid, Cid::Text(_)), "past u32: kept as text");
        assert_eq!(Cid::from_bytes(b"", &mut symbols), Cid::None);
    }

    #[test]
    fn remembered_uuids_read_as_fresh_ones() {
        // Ids that share their first digits, and so their place, read in
        // turns, damaged ones among them.
        let mut rng = fastrand::Rng::with_seed(7);
        let ids: Vec<String> = (0..40)
            .map(|i| {
                let tail = format!("{:012x}", rng.u64(..1 << 48));
                let mut id = format!("{:08x}-1a2b-3c4d-5e6f-{tail}", i % 5);
                if i % 7 == 0 {
                    id.replace_range(30..31, "G");
                }
                id
            })
            .collect();
        let mut uuids = RecentUuids::new();
        for _ in 0..4000 {
            let id = ids[rng.usize(..ids.len())].as_bytes();
            assert_eq!(uuids.read(id), uuid_of(id));
        }
        assert_eq!(uuids.read(b"short"), None);
    }

    #[test]
    fn message_error_keeps_reply_and_reason() {
        let mut symbols = Symbols::new();
        let list = b"tid=XX size=XXX sender=<x> recipient_count=1 \
            disposition=PASS code=541 estatus=<> text=<5.4.1 Content blocked> \
            rtime=5.09s dtime=0.5s mtime=<> reason=<Message not accepted>";
        let m = Message::from_fields(
            list,
            Outcome::Error,
            None,
            Origin::default(),
            &mut symbols,
        );
        assert_eq!(m.size.get(), None);
        assert_eq!(m.code.get(), Some(541));
        assert_eq!(symbols.resolve(m.reply), "5.4.1 Content blocked");
        assert_eq!(symbols.resolve(m.reason), "Message not accepted");
        assert!(m.is_rejected());
        assert_eq!(m.timing.receive(), Some(5.09));
    }
}
