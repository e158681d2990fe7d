//! Turning one physical line into a [`Line`]: a record, a detector header,
//! a continuation, a blank or an unrecognized line.
//!
//! Two formats reach this module:
//!
//! * the *operational* log (`SmtpPrevent_operationalN.log`), one record a
//!   line: `dd/Mon/yy:HH:mm:ss:SSS±hhmm [LEVEL] (CATEGORY.CODE) Text (…)`;
//! * the *detector* log (`RequestProcessorN.log`,
//!   `SymantecDLPDetectorN.log`), java.util.logging two-line records: a
//!   *header* `Mon d, yyyy h:mm:ss AM|PM <class> <method>` and a *body*
//!   `LEVEL: message`. Stack traces and multi-line messages follow a body
//!   as *continuation* lines.
//!
//! Lines pasted from articles without their timestamp (`[SEVERE] (…) …`,
//! `Message complete (…)`, a dateless `<class> <method>` header) are read
//! too; their records have no time.
//!
//! Each line is classified on its own, so one reader serves both formats
//! and a file that mixes them; the only state carried from line to line
//! is the time of the last detector header, which its body inherits.

pub mod fields;

use crate::event::EventCode;
use fields::{DayCache, LocalTime, Millis};

/// The log format of a file, decided from the lines it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `SmtpPrevent_operationalN.log`: one record per line.
    Operational,
    /// `RequestProcessorN.log` / `SymantecDLPDetectorN.log`: two-line
    /// java.util.logging records.
    Detector,
    /// No line of either format was found.
    Unknown,
}

impl LogFormat {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Operational => "operational",
            LogFormat::Detector => "detector",
            LogFormat::Unknown => "unknown",
        }
    }
}

/// A java.util.logging level, or the bracketed level of the operational log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `SEVERE`.
    Severe,
    /// `WARNING`.
    Warning,
    /// `INFO`.
    Info,
    /// `CONFIG`.
    Config,
    /// `FINE`.
    Fine,
    /// `FINER`.
    Finer,
    /// `FINEST`.
    Finest,
    /// The record was pasted without a level.
    Missing,
}

impl Level {
    /// Reads a level name such as `SEVERE` or `FINEST`.
    pub fn from_name(name: &[u8]) -> Option<Level> {
        let level = match name {
            b"SEVERE" => Level::Severe,
            b"WARNING" => Level::Warning,
            b"INFO" => Level::Info,
            b"CONFIG" => Level::Config,
            b"FINE" => Level::Fine,
            b"FINER" => Level::Finer,
            b"FINEST" => Level::Finest,
            _ => return None,
        };
        Some(level)
    }

    /// FINE, FINER and FINEST: developer tracing, not operational events.
    pub fn is_tracing(self) -> bool {
        matches!(self, Level::Fine | Level::Finer | Level::Finest)
    }
}

/// One log record: the body of an operational line or of a detector
/// record, with the time it carries.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// When the record was written, if the line (or its detector header)
    /// had a timestamp.
    pub time: Option<Millis>,
    /// The level, as written.
    pub level: Level,
    /// The event the record stands for.
    pub code: EventCode,
    /// The message text before the field list.
    pub text: &'a [u8],
    /// The field list without its parentheses, if the record has one.
    pub fields: Option<&'a [u8]>,
}

/// What one physical line turned out to be.
#[derive(Clone, Copy, Debug)]
pub enum Line<'a> {
    /// An operational record (a line in the operational format).
    Operational(Record<'a>),
    /// The body of a detector record.
    DetectorBody(Record<'a>),
    /// A detector header; its time, if dated, applies to the next body.
    DetectorHeader {
        /// Whether the header carried a date (pasted ones may not).
        dated: bool,
    },
    /// A stack-trace line or the continuation of a multi-line message.
    Continuation,
    /// An empty line or one of only whitespace.
    Blank,
    /// Nothing this reader knows.
    Unrecognized,
}

/// Converts detector wall-clock times to UTC.
pub trait LocalToUtc {
    /// The UTC instant of a wall-clock time in the assumed zone.
    fn to_utc(&mut self, local: LocalTime) -> Millis;
}

/// Line-to-line state of one file: the time of the last detector header
/// and whether the previous line may be continued.
#[derive(Debug, Default)]
pub struct LineReader {
    header_time: Option<Millis>,
    in_detector_record: bool,
    days: DayCache,
    stamps: StampCache,
}

impl LineReader {
    /// A reader at the start of a file.
    pub fn new() -> LineReader {
        LineReader::default()
    }

    /// Classifies one line (without its line terminator).
    pub fn read<'a>(
        &mut self,
        line: &'a [u8],
        zone: &mut dyn LocalToUtc,
    ) -> Line<'a> {
        let Some(&first) = line.first() else {
            return Line::Blank;
        };
        if first.is_ascii_digit() {
            if let Some(rec) = parse_operational_line_with(line, &mut self.days)
            {
                self.in_detector_record = false;
                return Line::Operational(rec);
            }
        }
        if first == b'[' {
            if let Some(rec) = parse_bracketed_record(line, None) {
                self.in_detector_record = false;
                return Line::Operational(rec);
            }
        }
        if first == b' ' || first == b'\t' {
            if line.iter().all(u8::is_ascii_whitespace) {
                return Line::Blank;
            }
            return self.continuation_or_unrecognized();
        }
        if let Some(rec) = self.read_detector_body(line) {
            return Line::DetectorBody(rec);
        }
        if first.is_ascii_uppercase() {
            if let Some((local, rest)) = self.stamps.parse(line) {
                if is_class_and_method(rest) || rest.is_empty() {
                    self.header_time = Some(zone.to_utc(local));
                    self.in_detector_record = true;
                    return Line::DetectorHeader { dated: true };
                }
            }
        }
        if is_class_and_method(line) {
            // A header pasted without its date.
            self.header_time = None;
            self.in_detector_record = true;
            return Line::DetectorHeader { dated: false };
        }
        if let Some(rec) = parse_untagged_record(line) {
            self.in_detector_record = false;
            return Line::Operational(rec);
        }
        if is_exception_line(line) {
            return self.continuation_or_unrecognized();
        }
        Line::Unrecognized
    }

    fn continuation_or_unrecognized(&self) -> Line<'static> {
        if self.in_detector_record {
            Line::Continuation
        } else {
            Line::Unrecognized
        }
    }

    fn read_detector_body<'a>(&mut self, line: &'a [u8]) -> Option<Record<'a>> {
        // The longest level name, `WARNING`, ends at byte 7.
        let colon = memchr::memchr(b':', &line[..line.len().min(8)])?;
        let level = Level::from_name(&line[..colon])?;
        let body =
            line[colon + 1..].strip_prefix(b" ").unwrap_or(&line[colon + 1..]);
        let time = self.header_time.take();
        self.in_detector_record = true;
        let mut rec = parse_tagged_body(body, time).unwrap_or_else(|| {
            let (text, fields) = fields::split_field_list(body);
            let code =
                EventCode::from_text(text).unwrap_or(EventCode::Other(0));
            Record { time, level, code, text, fields }
        });
        rec.level = level;
        Some(rec)
    }
}

/// The longest detector stamp remembered: `September 30, 2022 12:59:59 PM`
/// fits, and longer ones are simply read each time.
const STAMP_CACHE_BYTES: usize = 32;

/// The text of the last detector stamp read, up to its AM/PM marker, and
/// the time it stands for. Detector logs write many records a second, so
/// most headers repeat the stamp of the one before, and comparing bytes
/// costs less than reading the date again.
#[derive(Debug, Default)]
struct StampCache {
    text: [u8; STAMP_CACHE_BYTES],
    len: usize,
    local: Option<LocalTime>,
}

impl StampCache {
    /// [`fields::parse_detector_stamp`], answered from the last stamp when
    /// the line repeats it.
    fn parse<'a>(&mut self, line: &'a [u8]) -> Option<(LocalTime, &'a [u8])> {
        if let Some(local) = self.local {
            let stamp = &self.text[..self.len];
            // A letter after the marker would make it another word.
            if line.starts_with(stamp)
                && !line.get(stamp.len()).is_some_and(u8::is_ascii_alphabetic)
            {
                let rest = &line[stamp.len()..];
                return Some((local, rest.strip_prefix(b" ").unwrap_or(rest)));
            }
        }
        let (local, rest) = fields::parse_detector_stamp(line)?;
        let mut len = line.len() - rest.len();
        if line[len - 1] == b' ' {
            // The stamp ends with its marker; the space was stripped.
            len -= 1;
        }
        if len <= STAMP_CACHE_BYTES {
            self.text[..len].copy_from_slice(&line[..len]);
            self.len = len;
            self.local = Some(local);
        }
        Some((local, rest))
    }
}

/// Reads an operational line that starts with its timestamp.
pub fn parse_operational_line(line: &[u8]) -> Option<Record<'_>> {
    parse_operational_line_with(line, &mut DayCache::default())
}

fn parse_operational_line_with<'a>(
    line: &'a [u8],
    days: &mut DayCache,
) -> Option<Record<'a>> {
    let time = fields::parse_operational_stamp_with(line, days)?;
    let rest = line.get(fields::OPERATIONAL_STAMP_LEN..)?;
    let rest = rest.strip_prefix(b" ")?;
    parse_bracketed_record(rest, Some(time))
}

/// Reads `[LEVEL] (CATEGORY.CODE) Text (fields)`; the tag may be missing.
fn parse_bracketed_record(
    s: &[u8],
    time: Option<Millis>,
) -> Option<Record<'_>> {
    if let Some(rec) = parse_known_head(s, time) {
        return Some(rec);
    }
    let s = s.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', s.get(..10).unwrap_or(s))?;
    let level = Level::from_name(&s[..close])?;
    let body = &s[close + 1..];
    let body = body.strip_prefix(b" ").unwrap_or(body);
    let mut rec = parse_tagged_body(body, time).or_else(|| {
        let (text, fields) = fields::split_field_list(body);
        let code = EventCode::from_text(text)?;
        Some(Record { time, level, code, text, fields })
    })?;
    rec.level = level;
    Some(rec)
}

/// A record head exactly as NPE writes it for one event: level, tag and
/// text, up to the ` (` that opens the field list.
struct KnownHead {
    head: &'static [u8],
    level: Level,
    code: EventCode,
    /// The text's length; it ends just before the head's closing ` (`.
    text_len: usize,
}

impl KnownHead {
    const fn new(head: &'static [u8], code: EventCode, text: &str) -> Self {
        KnownHead { head, level: Level::Info, code, text_len: text.len() }
    }
}

/// The heads of the records that make up nearly every line of an
/// operational log, most frequent first. Comparing a line's start with
/// them costs a fraction of reading its level, tag and text one by one,
/// and [`parse_known_head`] gives the same record the general path would.
const KNOWN_HEADS: [KnownHead; 5] = [
    KnownHead::new(
        b"[INFO] (SMTP_MESSAGE.1300) Message complete (",
        EventCode::MessageComplete,
        "Message complete",
    ),
    KnownHead::new(
        b"[INFO] (SMTP_CONNECTION.1201) Connection accepted (",
        EventCode::ConnectionAccepted,
        "Connection accepted",
    ),
    KnownHead::new(
        b"[INFO] (SMTP_CONNECTION.1203) Forward connection established (",
        EventCode::ForwardEstablished,
        "Forward connection established",
    ),
    KnownHead::new(
        b"[INFO] (SMTP_CONNECTION.1204) Forward connection closed (",
        EventCode::ForwardClosed,
        "Forward connection closed",
    ),
    KnownHead::new(
        b"[INFO] (SMTP_CONNECTION.1205) Service connection closed (",
        EventCode::ServiceClosed,
        "Service connection closed",
    ),
];

/// Reads a record that starts with one of [`KNOWN_HEADS`] and a field
/// list; `None` sends the line down the general path.
fn parse_known_head(s: &[u8], time: Option<Millis>) -> Option<Record<'_>> {
    // Every head starts with `[INFO] (SMTP_`; most other lines differ
    // within those bytes, before any head is compared in full.
    let Some((b"[INFO] (SMTP_", tail)) = s.split_first_chunk::<13>() else {
        return None;
    };
    // One byte tells the heads apart: the `M` of `MESSAGE.1300`, or the
    // last digit of `CONNECTION.120x`. Only that head is then compared.
    let known = match tail.first() {
        Some(b'M') => &KNOWN_HEADS[0],
        Some(b'C') => match tail.get(14) {
            Some(b'1') => &KNOWN_HEADS[1],
            Some(b'3') => &KNOWN_HEADS[2],
            Some(b'4') => &KNOWN_HEADS[3],
            Some(b'5') => &KNOWN_HEADS[4],
            _ => return None,
        },
        _ => return None,
    };
    if !s
        .get(..known.head.len())
        .is_some_and(|h| fields::same_bytes(h, known.head))
    {
        return None;
    }
    let open = known.head.len() - 2;
    let list = fields::field_list_at(&s[known.head.len()..])?;
    Some(Record {
        time,
        level: known.level,
        code: known.code,
        text: &s[open - known.text_len..open],
        fields: Some(list),
    })
}

/// Reads `(CATEGORY.CODE) Text (fields)`.
fn parse_tagged_body(body: &[u8], time: Option<Millis>) -> Option<Record<'_>> {
    let inner = body.strip_prefix(b"(")?;
    let close = memchr::memchr(b')', inner.get(..40).unwrap_or(inner))?;
    let tag = &inner[..close];
    let dot = memchr::memrchr(b'.', tag)?;
    let category = &tag[..dot];
    if category.is_empty()
        || !category.iter().all(|b| b.is_ascii_uppercase() || *b == b'_')
    {
        return None;
    }
    let code_text = &tag[dot + 1..];
    let code =
        fields::parse_count(code_text).and_then(|n| u16::try_from(n).ok());
    if code.is_none() && !code_text.iter().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let after = &inner[close + 1..];
    let after = after.strip_prefix(b" ").unwrap_or(after);
    let (text, fields) = fields::split_field_list(after);
    let code = EventCode::classify(category, code, text);
    Some(Record { time, level: Level::Missing, code, text, fields })
}

/// Reads a record pasted without timestamp and level, such as
/// `Message complete (tid=… rtime=10.06s …)`: only documented texts count.
fn parse_untagged_record(line: &[u8]) -> Option<Record<'_>> {
    if let Some(rec) = parse_tagged_body(line, None) {
        return Some(rec);
    }
    let (text, fields) = fields::split_field_list(line);
    let code = EventCode::from_text(text)?;
    Some(Record { time: None, level: Level::Missing, code, text, fields })
}

/// `com.vontu.mta.rp.log.SmtpLogManager logConnectionAccepted`: a dotted
/// Java class name, one space, a method name, nothing else.
fn is_class_and_method(s: &[u8]) -> bool {
    let Some(space) = memchr::memchr(b' ', s) else {
        return false;
    };
    let (class, method) = (&s[..space], &s[space + 1..]);
    is_java_name(class, true) && is_java_name(method, false)
}

fn is_java_name(s: &[u8], dotted: bool) -> bool {
    let Some(&first) = s.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return false;
    }
    if !s.iter().all(|&b| JAVA_NAME_BYTES[usize::from(b)]) {
        return false;
    }
    if dotted {
        memchr::memchr(b'.', s).is_some() && !s.ends_with(b".")
    } else {
        memchr::memchr(b'.', s).is_none()
    }
}

/// The bytes of a Java class or method name, dots included: looked up in
/// a table, since every header of a detector log is checked this way.
const JAVA_NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b'_' | b'$' | b'<' | b'>');
        b += 1;
    }
    table
};

/// `com.example.SomeException: message` or `Caused by: …`: the first line
/// of a Java stack trace.
fn is_exception_line(line: &[u8]) -> bool {
    if line.starts_with(b"Caused by: ") || line.starts_with(b"Suppressed: ") {
        return true;
    }
    match memchr::memchr(b':', line) {
        Some(colon) => is_java_name(&line[..colon], true),
        None => is_java_name(line, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Utc;

    impl LocalToUtc for Utc {
        fn to_utc(&mut self, local: LocalTime) -> Millis {
            local.as_naive_millis()
        }
    }

    fn kinds(text: &str) -> Vec<String> {
        let mut reader = LineReader::new();
        text.lines()
            .map(|l| match reader.read(l.as_bytes(), &mut Utc) {
                Line::Operational(r) => format!("op:{:?}", r.code),
                Line::DetectorBody(r) => format!("body:{:?}", r.code),
                Line::DetectorHeader { .. } => "header".into(),
                Line::Continuation => "cont".into(),
                Line::Blank => "blank".into(),
                Line::Unrecognized => "unknown".into(),
            })
            .collect()
    }

    #[test]
    fn operational_line_with_stamp() {
        let line = b"12/Jun/12:08:32:31:506-0500 [SEVERE] \
            (SMTP_CONNECTION.5210) All forward hosts unavailable \
            (tid=27 cid=<> reason=No available forward hosts)";
        let rec = parse_operational_line(line).unwrap();
        assert_eq!(rec.code, EventCode::AllForwardHostsUnavailable);
        assert_eq!(rec.level, Level::Severe);
        assert_eq!(rec.text, b"All forward hosts unavailable");
        assert!(rec.time.is_some());
    }

    #[test]
    fn pasted_lines_without_stamp() {
        let got = kinds(
            "[SEVERE] (SMTP_CONNECTION.5204) Peer disconnected unexpectedly\n\
             Message complete (tid=1 rtime=1s dtime=1s mtime=3s)\n\
             just some words",
        );
        assert_eq!(
            got,
            [
                "op:PeerDisconnectedUnexpectedly",
                "op:MessageComplete",
                "unknown"
            ]
        );
    }

    #[test]
    fn detector_records_and_stack_trace() {
        let got = kinds(
            "Mar 14, 2022 4:32:14 PM com.vontu.mta.rp.log.SmtpLogManager logX\n\
             INFO: (SMTP_CONNECTION.1201) Connection accepted (tid=35 cid=1)\n\
             com.vontu.mta.rp.handlers.DataProcessingState endTransfer\n\
             INFO: RPT(28): Error sending data to message chains. \n\
             com.vontu.mta.rp.detection.DetectionException: java.net.Soc: x\n\
             \tat com.vontu.Foo.bar(Foo.java:1)\n\
             \n\
             com.vontu.mta.rp.ResponseProcessor respond\n\
             WARNING: RPT(28) Passed message through due to timeout of x",
        );
        assert_eq!(
            got,
            [
                "header",
                "body:ConnectionAccepted",
                "header",
                "body:MessageChainError",
                "cont",
                "cont",
                "blank",
                "header",
                "body:DetectionTimeout"
            ]
        );
    }

    #[test]
    fn remembered_stamp_reads_as_a_fresh_one() {
        let mut stamps = StampCache::default();
        let lines: [&[u8]; 5] = [
            b"Mar 2, 2026 8:00:00 AM com.x.Y run",
            b"Mar 2, 2026 8:00:00 AM com.x.Y stop",
            b"Mar 2, 2026 8:00:00 AMX com.x.Y run",
            b"Mar 2, 2026 8:00:00 AM",
            b"Mar 2, 2026 8:00:01 AM  com.x.Y run",
        ];
        for line in lines {
            assert_eq!(stamps.parse(line), fields::parse_detector_stamp(line));
        }
    }

    #[test]
    fn body_takes_header_time_once() {
        let mut reader = LineReader::new();
        let header = b"May 28, 2012 12:34:51 PM com.x.Y respond";
        let line = reader.read(header, &mut Utc);
        assert!(matches!(line, Line::DetectorHeader { dated: true }));
        let Line::DetectorBody(rec) = reader.read(b"FINE: a", &mut Utc) else {
            panic!("not a body");
        };
        assert!(rec.time.is_some());
        let Line::DetectorBody(rec) = reader.read(b"FINE: b", &mut Utc) else {
            panic!("not a body");
        };
        assert!(rec.time.is_none());
    }

    #[test]
    fn masked_tag_in_detector_body() {
        let got = kinds(
            "INFO: (SMTP_MESSAGE.XXXX) Error while processing message (tid=XX)",
        );
        assert_eq!(got, ["body:MessageError"]);
    }

    /// The general path, without the known heads.
    fn general_record(s: &[u8]) -> Option<Record<'_>> {
        let close = memchr::memchr(b']', s)?;
        let level = Level::from_name(&s[1..close])?;
        let mut rec = parse_tagged_body(&s[close + 2..], None)?;
        rec.level = level;
        Some(rec)
    }

    fn same_record(a: Option<Record<'_>>, b: Option<Record<'_>>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => {
                (a.time, a.level, a.code, a.text, a.fields)
                    == (b.time, b.level, b.code, b.text, b.fields)
            }
            (a, b) => a.is_none() && b.is_none(),
        }
    }

    #[test]
    fn known_heads_read_as_the_general_path_does() {
        for known in &KNOWN_HEADS {
            let head = std::str::from_utf8(known.head).unwrap();
            for tail in [
                "tid=1 cid=2)",
                "tid=1 text=<a (b) c> x=1)",
                "tid=1 trailing",
                "tid=)",
                // Not a field list: the general path decides.
                "not fields) (tid=1)",
                "(tid=1)",
                ")",
                "",
            ] {
                let line = format!("{head}{tail}");
                let fast = parse_known_head(line.as_bytes(), None);
                let general = general_record(line.as_bytes());
                if tail.starts_with("tid=") {
                    assert_eq!(fast.map(|r| r.code), Some(known.code));
                }
                if fast.is_some() {
                    assert!(same_record(fast, general), "{line}");
                }
                let read = parse_bracketed_record(line.as_bytes(), None);
                assert!(same_record(read, general), "{line}");
            }
        }
    }

    #[test]
    fn near_known_heads_take_the_general_path() {
        for line in [
            "[INFO] (SMTP_MESSAGE.1300) Message completed (tid=1)",
            "[INFO] (SMTP_MESSAGE.1300)  Message complete (tid=1)",
            "[WARNING] (SMTP_MESSAGE.1300) Message complete (tid=1)",
            "[INFO] (SMTP_MESSAGE.1301) Message complete (tid=1)",
            "[INFO] (SMTP_MESSAGE.1300) Message complete tid=1)",
            "[INFO] (SMTP_MESSAGE.1300) Message complete (Tid=1)",
        ] {
            assert!(
                parse_known_head(line.as_bytes(), None).is_none(),
                "{line}"
            );
            let read = parse_bracketed_record(line.as_bytes(), None);
            assert!(same_record(read, general_record(line.as_bytes())));
        }
    }

    #[test]
    fn indented_line_outside_a_record_is_unrecognized() {
        assert_eq!(kinds("   at nothing"), ["unknown"]);
    }

    #[test]
    fn detection_operational_log_is_operational() {
        let got = kinds(
            "08/Feb/12:13:48:02:293+0000 [WARNING] (DETECTION.13) Intentionally \
             restarting this process",
        );
        assert_eq!(got, ["op:DetectionRestart"]);
    }
}
