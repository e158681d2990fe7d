//! The streaming analysis: bytes in, a [`Dataset`] out.
//!
//! The caller gives each file as a sequence of byte chunks of any size:
//! [`Analysis::begin_file`], any number of [`Analysis::feed`] calls,
//! [`Analysis::end_file`], and finally [`Analysis::finish`]. A line, or a
//! two-line detector record, may be split across chunks. A caller that
//! knows which file comes last begins it with [`Analysis::begin_last_file`]:
//! nothing read later can be compared with it, so it keeps less, and a
//! file given alone is read without hashing its lines at all.
//!
//! Only compact per-message and per-connection records are kept, plus a
//! bounded number of raw lines as evidence: memory follows the number of
//! messages, not the bytes read. Each file is tallied on its own and then
//! merged, so a file given twice (same bytes) is recognised at its end and
//! counted once. Records that a file shares with an earlier, overlapping
//! copy of the same log are found as they are read ([`crate::overlap`])
//! and counted once too.

use crate::absent::{Maybe, MaybeSeconds, Stamp};
use crate::decode::{Decoder, Encoding};
use crate::event::EventCode;
use crate::message::{tid_of, Cid, Connection, Message, Origin, Outcome};
use crate::overlap::{self, Seconds};
use crate::parse::fields::{self, Fields, KeyPlan, Millis};
use crate::parse::{Level, Line, LineReader, LogFormat, Record};
use crate::records::{Records, Segments};
use crate::symbols::{Sym, Symbols};
use crate::zone::{CachedZone, Zone};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Lines longer than this are cut when kept: a damaged file may hold a
/// line of many megabytes, and no NPE record comes near this size.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Raw lines kept as evidence per event kind: the first few show when a
/// problem began, the last few that it was still going on.
pub const SAMPLES_FIRST: usize = 3;

/// See [`SAMPLES_FIRST`].
pub const SAMPLES_LAST: usize = 2;

/// Messages kept with their raw line for each "slowest" list.
pub const SLOWEST_KEPT: usize = 5;

/// Unrecognized lines kept per file, to show the user what was not read.
pub const UNRECOGNIZED_KEPT: usize = 5;

/// Sample lines are cut to this many bytes for display.
const SAMPLE_BYTES: usize = 2000;

/// Settings of one analysis.
#[derive(Clone, Debug)]
pub struct Options {
    /// The zone detector-log headers are read in, and times are shown in.
    pub zone: Zone,
}

impl Default for Options {
    fn default() -> Options {
        Options { zone: Zone::utc() }
    }
}

/// A raw line kept as evidence.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SampleLine {
    /// The file's name.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// The line, cut to a displayable length, invalid UTF-8 replaced.
    pub text: String,
}

/// How the physical lines of one file (or of all files) were read.
///
/// `lines = recognized + continuation + blank + unrecognized`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LineCounts {
    /// Every physical line read.
    pub lines: u64,
    /// Records and detector headers.
    pub recognized: u64,
    /// Stack traces and multi-line message bodies.
    pub continuation: u64,
    /// Empty lines.
    pub blank: u64,
    /// Lines of no known shape.
    pub unrecognized: u64,
    /// Recognized FINE/FINER/FINEST tracing records (part of `recognized`).
    pub tracing: u64,
    /// Lines longer than [`MAX_LINE_BYTES`] (counted in one of the above).
    pub overlong: u64,
    /// Records an earlier, overlapping file held too (part of
    /// `recognized`); they were counted there and not again.
    pub repeated: u64,
}

impl LineCounts {
    fn add(&mut self, other: &LineCounts) {
        self.lines += other.lines;
        self.recognized += other.recognized;
        self.continuation += other.continuation;
        self.blank += other.blank;
        self.unrecognized += other.unrecognized;
        self.tracing += other.tracing;
        self.overlong += other.overlong;
        self.repeated += other.repeated;
    }
}

/// One input file as read.
#[derive(Clone, Debug)]
pub struct FileSummary {
    /// The name given for it.
    pub name: String,
    /// The format its lines were in.
    pub format: LogFormat,
    /// Bytes read.
    pub bytes: u64,
    /// How its lines were read.
    pub counts: LineCounts,
    /// The earliest record time in it.
    pub first: Option<Millis>,
    /// The latest record time in it.
    pub last: Option<Millis>,
    /// Set when the file has the same bytes as an earlier one, which
    /// this names; its lines were then not counted twice.
    pub duplicate_of: Option<String>,
    /// A few unrecognized lines.
    pub unrecognized_samples: Vec<SampleLine>,
    /// Records written out of time order (earlier than the one before).
    pub out_of_order: u64,
    /// The text encoding found, once the start of the file was read.
    pub encoding: Option<Encoding>,
    /// Earlier files this one overlaps, each with how many of this file's
    /// records it held too.
    pub overlaps: Vec<(String, u64)>,
}

impl FileSummary {
    fn new(name: &str) -> FileSummary {
        FileSummary {
            name: name.to_string(),
            format: LogFormat::Unknown,
            bytes: 0,
            counts: LineCounts::default(),
            first: None,
            last: None,
            duplicate_of: None,
            unrecognized_samples: Vec::new(),
            out_of_order: 0,
            encoding: None,
            overlaps: Vec::new(),
        }
    }
}

/// All that was seen of one kind of event.
#[derive(Clone, Debug)]
pub struct EventTally {
    /// The kind.
    pub code: EventCode,
    /// How many records of it.
    pub count: u64,
    /// Earliest time seen.
    pub first: Option<Millis>,
    /// Latest time seen.
    pub last: Option<Millis>,
    /// The first [`SAMPLES_FIRST`] lines.
    pub first_samples: Vec<SampleLine>,
    /// The last [`SAMPLES_LAST`] lines, oldest first (errors only).
    pub last_samples: Vec<SampleLine>,
}

impl EventTally {
    fn new(code: EventCode) -> EventTally {
        EventTally {
            code,
            count: 0,
            first: None,
            last: None,
            first_samples: Vec::new(),
            last_samples: Vec::new(),
        }
    }

    /// The kept lines, first ones then last ones, without repeats.
    pub fn samples(&self) -> Vec<SampleLine> {
        let mut all = self.first_samples.clone();
        for s in &self.last_samples {
            if !all.contains(s) {
                all.push(s.clone());
            }
        }
        all
    }

    fn merge(&mut self, other: EventTally) {
        self.count += other.count;
        self.first = min_time(self.first, other.first);
        self.last = max_time(self.last, other.last);
        for s in other.first_samples {
            if self.first_samples.len() < SAMPLES_FIRST {
                self.first_samples.push(s);
            }
        }
        for s in other.last_samples {
            push_last(&mut self.last_samples, s);
        }
    }
}

/// Counts of one host's events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostTally {
    /// Forward connections established to it (1203).
    pub forward_established: u64,
    /// Forward connection errors naming it (5203 `mta=`).
    pub forward_errors: u64,
    /// Connections from it rejected as unauthorized (5200).
    pub rejected: u64,
    /// Upstream connections accepted from it (1201).
    pub accepted: u64,
    /// Earliest event time.
    pub first: Option<Millis>,
    /// Latest event time.
    pub last: Option<Millis>,
}

impl HostTally {
    fn merge(&mut self, o: &HostTally) {
        self.forward_established += o.forward_established;
        self.forward_errors += o.forward_errors;
        self.rejected += o.rejected;
        self.accepted += o.accepted;
        self.first = min_time(self.first, o.first);
        self.last = max_time(self.last, o.last);
    }

    fn touch(&mut self, time: Option<Millis>) {
        self.first = min_time(self.first, time);
        self.last = max_time(self.last, time);
    }
}

/// A message kept with its raw line, for explanations and evidence.
#[derive(Clone, Debug)]
pub struct KeptMessage {
    /// The message.
    pub message: Message,
    /// Its record line.
    pub sample: SampleLine,
}

/// Which step a "slowest messages" list ranks by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `rtime`.
    Receive,
    /// `dtime`.
    Detection,
    /// `mtime − rtime − dtime`.
    Send,
    /// `mtime`.
    Total,
}

impl Step {
    /// All steps, in pipeline order.
    pub const ALL: [Step; 4] =
        [Step::Receive, Step::Detection, Step::Send, Step::Total];

    /// The step's value for a message, if trusted.
    pub fn of(self, m: &Message) -> Option<f64> {
        if !m.timing.has_trusted_parts() {
            return None;
        }
        match self {
            Step::Receive => m.timing.receive(),
            Step::Detection => m.timing.detection(),
            Step::Send => m.timing.send(),
            Step::Total => m.timing.send().and(m.timing.total()),
        }
    }

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Receive => "receive",
            Step::Detection => "detection",
            Step::Send => "send",
            Step::Total => "total",
        }
    }
}

/// Everything one analysis found, ready for statistics and diagnosis.
#[derive(Debug)]
pub struct Dataset {
    /// The zone used for detector headers and for display.
    pub zone: Zone,
    /// Whether any dated detector header was read in [`Dataset::zone`].
    pub zone_assumed: bool,
    /// The files, in the order given.
    pub files: Vec<FileSummary>,
    /// Line counts over all files except duplicates.
    pub counts: LineCounts,
    /// Every message, ordered by time (messages without time last).
    pub messages: Records<Message>,
    /// Every upstream connection seen, ordered by first time.
    pub connections: Records<Connection>,
    /// Per kind of event, ordered by kind.
    pub events: Vec<EventTally>,
    /// Error events per minute: minute start (UTC ms) → kind → count.
    pub error_minutes: BTreeMap<Millis, Vec<(EventCode, u32)>>,
    /// Per host named by an event (downstream, upstream, rejected).
    pub hosts: Vec<(Sym, HostTally)>,
    /// The slowest messages of each step, with their lines, slowest first.
    pub slowest: Vec<(Step, Vec<KeptMessage>)>,
    /// The first few rejected messages and artefacts, with their lines.
    pub notable: Vec<KeptMessage>,
    /// The interned strings messages and hosts refer to.
    pub symbols: Symbols,
}

impl Dataset {
    /// The tally of one kind of event, if any was seen.
    pub fn event(&self, code: EventCode) -> Option<&EventTally> {
        self.events.iter().find(|e| e.code == code)
    }

    /// How many events of a kind were seen.
    pub fn event_count(&self, code: EventCode) -> u64 {
        self.event(code).map_or(0, |e| e.count)
    }

    /// The file name of an [`Origin`].
    pub fn file_name(&self, origin: Origin) -> &str {
        self.files.get(origin.file as usize).map_or("?", |f| &f.name)
    }

    /// The bytes its message and connection records take.
    pub fn record_bytes(&self) -> RecordBytes {
        RecordBytes::of(self.messages.len(), self.connections.len())
    }
}

/// The bytes taken by the records an analysis keeps for every message
/// and every connection: their count times their size, without the
/// spare room of the containers holding them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecordBytes {
    /// [`Message`] records.
    pub messages: u64,
    /// [`Connection`] records.
    pub connections: u64,
}

impl RecordBytes {
    fn of(messages: usize, connections: usize) -> RecordBytes {
        let bytes = |n: usize, size: usize| (n * size) as u64;
        RecordBytes {
            messages: bytes(messages, std::mem::size_of::<Message>()),
            connections: bytes(connections, std::mem::size_of::<Connection>()),
        }
    }
}

/// What has been read so far, for progress displays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Bytes fed, all files.
    pub bytes: u64,
    /// Physical lines read.
    pub lines: u64,
    /// Messages found.
    pub messages: u64,
}

/// The state of one analysis in progress.
pub struct Analysis {
    zone: Zone,
    symbols: Symbols,
    total: Tally,
    files: Vec<FileSummary>,
    /// Files by their line digest, size and encoding: the same lines
    /// decoded from UTF-16 LE and BE are not the same bytes.
    fingerprints: FxHashMap<(u64, u64, Option<Encoding>), usize>,
    /// The record signatures of each file merged so far, by file index.
    earlier: Vec<(u32, Seconds)>,
    current: Option<FileState>,
    /// Whether the file announced as the last has begun.
    last_begun: bool,
    progress: Progress,
    zone_assumed: bool,
}

/// What of a file is kept for comparing files with each other.
#[derive(Clone, Copy, Debug)]
struct Comparing {
    /// The digest of its lines, for a file that may repeat another one
    /// whole: there is an earlier file, or one may follow.
    digest: bool,
    /// The per-second signatures of its records, for the files that may
    /// follow it.
    signatures: bool,
}

/// Per-file reading state.
struct FileState {
    index: u32,
    decoder: Decoder,
    reader: LineReader,
    carry: Vec<u8>,
    carry_dropped: u64,
    offset: u64,
    /// The file's lines, hashed one by one and folded in order: the
    /// same lines give the same digest.
    digest: u64,
    comparing: Comparing,
    summary: FileSummary,
    operational_votes: u64,
    detector_votes: u64,
    last_time: Option<Millis>,
    seconds: Seconds,
    /// The second of the last record, and whether an earlier file spans it.
    last_second: (i64, bool),
    held: Held,
    tally: Tally,
}

impl Analysis {
    /// Starts an analysis.
    pub fn new(options: Options) -> Analysis {
        Analysis {
            zone: options.zone,
            symbols: Symbols::new(),
            total: Tally::default(),
            files: Vec::new(),
            fingerprints: FxHashMap::default(),
            earlier: Vec::new(),
            current: None,
            last_begun: false,
            progress: Progress::default(),
            zone_assumed: false,
        }
    }

    /// Starts reading a file; ends the previous one if it was not ended.
    ///
    /// # Panics
    ///
    /// Panics after [`Analysis::begin_last_file`].
    pub fn begin_file(&mut self, name: &str) {
        self.begin(name, Comparing { digest: true, signatures: true });
    }

    /// Starts reading the last file; ends the previous one if it was not
    /// ended. Its records are compared with the earlier files' as usual,
    /// but it keeps no signatures for later ones, and when no earlier
    /// file was merged its lines are not hashed at all: a file given
    /// alone is read without any hashing.
    ///
    /// # Panics
    ///
    /// Panics when a file announced as the last has already begun.
    pub fn begin_last_file(&mut self, name: &str) {
        self.end_file();
        let digest = !self.fingerprints.is_empty();
        self.begin(name, Comparing { digest, signatures: false });
        self.last_begun = true;
    }

    /// Whether the file announced as the last has begun: no other may.
    pub fn last_begun(&self) -> bool {
        self.last_begun
    }

    fn begin(&mut self, name: &str, comparing: Comparing) {
        assert!(!self.last_begun, "{name}: begun after the last file");
        self.end_file();
        let summary = FileSummary::new(name);
        self.current = Some(FileState {
            index: self.files.len() as u32,
            decoder: Decoder::new(),
            reader: LineReader::new(),
            carry: Vec::new(),
            carry_dropped: 0,
            offset: 0,
            digest: 0,
            comparing,
            summary,
            operational_votes: 0,
            detector_votes: 0,
            last_time: None,
            seconds: Seconds::default(),
            last_second: (i64::MIN, false),
            held: Held::default(),
            tally: Tally::default(),
        });
        self.files.push(FileSummary::new(name));
    }

    /// Reads the next chunk of the current file.
    ///
    /// # Panics
    ///
    /// Panics if no file was begun.
    pub fn feed(&mut self, chunk: &[u8]) {
        let mut file =
            self.current.take().expect("feed called before begin_file");
        file.summary.bytes += chunk.len() as u64;
        self.progress.bytes += chunk.len() as u64;
        self.read(&mut file, Some(chunk));
        self.current = Some(file);
        self.progress.lines = self.lines_so_far();
        self.progress.messages = self.total.messages.len() as u64
            + self
                .current
                .as_ref()
                .map_or(0, |f| f.tally.messages.len() as u64);
    }

    /// Reads the next chunk of `file`, or at its end (`None`) what its
    /// decoder, its last unended line and its held records still hold.
    fn read(&mut self, file: &mut FileState, chunk: Option<&[u8]>) {
        let mut ctx = LineContext {
            zone: CachedZone::new(&self.zone),
            symbols: &mut self.symbols,
            earlier: &self.earlier,
            names: &self.files,
        };
        // The decoder is taken out for the call so that its output can be
        // read while the file state is updated.
        let mut decoder = std::mem::take(&mut file.decoder);
        match chunk {
            Some(chunk) => file.split(decoder.decode(chunk), &mut ctx),
            None => {
                file.split(decoder.finish(), &mut ctx);
                if !file.carry.is_empty() || file.carry_dropped > 0 {
                    file.carry_line(&mut ctx);
                }
                file.settle_held(&mut ctx);
            }
        }
        file.decoder = decoder;
    }

    fn lines_so_far(&self) -> u64 {
        let done: u64 = self
            .files
            .iter()
            .filter(|f| f.duplicate_of.is_none())
            .map(|f| f.counts.lines)
            .sum();
        done + self.current.as_ref().map_or(0, |f| f.summary.counts.lines)
    }

    /// Ends the current file: reads its last line if it had no line end,
    /// decides its format, and merges it unless it repeats an earlier file.
    pub fn end_file(&mut self) {
        let Some(mut file) = self.current.take() else {
            return;
        };
        self.read(&mut file, None);
        file.summary.encoding = file.decoder.encoding();
        if file.detector_votes > 0 && file.tally.dated_headers > 0 {
            self.zone_assumed = true;
        }
        file.summary.format =
            match (file.operational_votes, file.detector_votes) {
                (0, 0) => LogFormat::Unknown,
                (op, det) if op >= det => LogFormat::Operational,
                _ => LogFormat::Detector,
            };
        let key = (file.digest, file.summary.bytes, file.summary.encoding);
        let index = file.index as usize;
        if let Some(&earlier) = self.fingerprints.get(&key) {
            file.summary.duplicate_of = Some(self.files[earlier].name.clone());
        } else {
            self.fingerprints.insert(key, index);
            self.total.merge(file.tally);
            self.earlier.push((file.index, file.seconds));
        }
        self.files[index] = file.summary;
        self.progress.lines = self.lines_so_far();
        self.progress.messages = self.total.messages.len() as u64;
    }

    /// What has been read so far.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The bytes of the records kept so far, the current file's included.
    pub fn record_bytes(&self) -> RecordBytes {
        let tallies = std::iter::once(&self.total)
            .chain(self.current.as_ref().map(|f| &f.tally));
        let (messages, connections) = tallies.fold((0, 0), |(m, c), t| {
            (m + t.messages.len(), c + t.connections.len())
        });
        RecordBytes::of(messages, connections)
    }

    /// Ends the analysis and returns what it found.
    pub fn finish(mut self) -> Dataset {
        self.end_file();
        let mut counts = LineCounts::default();
        for f in self.files.iter().filter(|f| f.duplicate_of.is_none()) {
            counts.add(&f.counts);
        }
        let t = self.total;
        let mut messages = t.messages;
        // Logs are written in time order, so the messages usually are
        // already; a stable sort would still take a buffer of half their
        // size.
        let time_key = |m: &Message| (m.time.get().is_none(), m.time.get());
        if !messages.is_sorted_by_key(time_key) {
            messages.sort_by_key(time_key);
        }
        let mut connections = t.connections;
        connections.sort_by_key(|c| {
            (
                c.opened.get().or(c.closed.get()).is_none(),
                c.opened.get().or(c.closed.get()),
            )
        });
        let mut events: Vec<EventTally> = t.events.into_values().collect();
        events.sort_by_key(|e| e.code);
        let mut hosts: Vec<(Sym, HostTally)> = t.hosts.into_iter().collect();
        hosts.sort_by_key(|(s, _)| *s);
        let error_minutes = t
            .error_minutes
            .into_iter()
            .map(|(minute, by_code)| {
                let mut v: Vec<_> = by_code.into_iter().collect();
                v.sort();
                (minute, v)
            })
            .collect();
        let slowest = Step::ALL
            .iter()
            .zip(t.slowest)
            .map(|(step, mut kept)| {
                kept.sort_by(|a, b| b.0.total_cmp(&a.0));
                (*step, kept.into_iter().map(|(_, k)| k).collect())
            })
            .collect();
        Dataset {
            zone: self.zone,
            zone_assumed: self.zone_assumed,
            files: self.files,
            counts,
            messages: Records::from(messages),
            connections: Records::from(connections),
            events,
            error_minutes,
            hosts,
            slowest,
            notable: t.notable,
            symbols: self.symbols,
        }
    }
}

/// What every line handler needs besides the file state.
struct LineContext<'a> {
    zone: CachedZone<'a>,
    symbols: &'a mut Symbols,
    /// The record signatures of the files merged before this one.
    earlier: &'a [(u32, Seconds)],
    /// The files so far, for their names.
    names: &'a [FileSummary],
}

impl FileState {
    /// Splits decoded text into physical lines. A line ends at `\n`, at
    /// `\r\n`, or at a `\r` alone (old Mac line ends, and files where
    /// tools mixed them); a line cut by the chunk's end waits in the
    /// carry buffer for the rest.
    fn split(&mut self, bytes: &[u8], ctx: &mut LineContext<'_>) {
        if bytes.is_empty() {
            return;
        }
        if self.carry.last() == Some(&b'\r') && bytes[0] != b'\n' {
            // The previous chunk ended with a lone CR.
            self.carry.pop();
            self.carry_line(ctx);
        }
        // LF and CR are found together, in one pass over the chunk.
        let mut start = 0;
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let lone_cr = bytes[i] == b'\r'
                && bytes.get(i + 1).is_some_and(|&next| next != b'\n');
            if bytes[i] == b'\n' || lone_cr {
                self.end_line(&bytes[start..i], ctx);
                start = i + 1;
            }
        }
        // A CR at the very end stays in the carry until the next byte
        // tells whether a LF follows.
        self.append_carry(&bytes[start..]);
    }

    /// Ends the line whose last part is `tail`, joining it to the carry.
    fn end_line(&mut self, tail: &[u8], ctx: &mut LineContext<'_>) {
        if self.carry.is_empty() && self.carry_dropped == 0 {
            self.line(tail, tail.len(), ctx);
        } else {
            self.append_carry(tail);
            self.carry_line(ctx);
        }
    }

    fn append_carry(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_BYTES.saturating_sub(self.carry.len());
        let kept = bytes.len().min(room);
        self.carry.extend_from_slice(&bytes[..kept]);
        self.carry_dropped += (bytes.len() - kept) as u64;
    }

    /// Handles the line assembled in the carry buffer across chunks.
    fn carry_line(&mut self, ctx: &mut LineContext<'_>) {
        let line = std::mem::take(&mut self.carry);
        let length = line.len() + self.carry_dropped as usize;
        self.line(&line, length, ctx);
        self.carry = line;
        self.carry.clear();
        self.carry_dropped = 0;
    }

    /// Handles one physical line; `length` is its length in the file,
    /// which is more than `raw.len()` when an overlong line was cut.
    fn line(&mut self, raw: &[u8], length: usize, ctx: &mut LineContext<'_>) {
        let origin = Origin {
            file: self.index,
            line: self.summary.counts.lines + 1,
            offset: self.offset,
        };
        self.offset += length as u64 + 1;
        let counts = &mut self.summary.counts;
        counts.lines += 1;
        let mut line = raw;
        if length > MAX_LINE_BYTES {
            line = &line[..line.len().min(MAX_LINE_BYTES)];
            counts.overlong += 1;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Windows editors save UTF-8 with a byte-order mark.
        let line = if origin.line == 1 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        };
        // One hash per line serves both the duplicate-file digest and the
        // keys of records shared with overlapping files. Without a digest
        // to keep, there is no earlier file either, so no record asks.
        let hash = self.comparing.digest.then(|| {
            let hash = line_hash(line);
            self.digest =
                overlap::fold(overlap::fold(self.digest, hash), length as u64);
            hash
        });
        match self.reader.read(line, &mut ctx.zone) {
            Line::Operational(rec) => {
                counts.recognized += 1;
                self.operational_votes += 1;
                self.record(rec, line, hash, origin, ctx);
            }
            Line::DetectorBody(rec) => {
                counts.recognized += 1;
                self.detector_votes += 1;
                if rec.level.is_tracing() && rec.code == EventCode::Other(0) {
                    counts.tracing += 1;
                    return;
                }
                self.record(rec, line, hash, origin, ctx);
            }
            Line::DetectorHeader { dated } => {
                counts.recognized += 1;
                self.detector_votes += 1;
                self.tally.dated_headers += u64::from(dated);
            }
            Line::Continuation => counts.continuation += 1,
            Line::Blank => counts.blank += 1,
            Line::Unrecognized => {
                counts.unrecognized += 1;
                if self.summary.unrecognized_samples.len() < UNRECOGNIZED_KEPT {
                    let sample = sample_line(&self.summary.name, origin, line);
                    self.summary.unrecognized_samples.push(sample);
                }
            }
        }
    }

    fn record(
        &mut self,
        rec: Record<'_>,
        line: &[u8],
        hash: Option<u64>,
        origin: Origin,
        ctx: &mut LineContext<'_>,
    ) {
        let Some(t) = rec.time else {
            if !self.held.records.is_empty() {
                self.settle_held(ctx);
            }
            let name = &self.summary.name;
            self.tally.record(rec, line, origin, name, ctx.symbols);
            return;
        };
        let s = &mut self.summary;
        s.first = min_time(s.first, Some(t));
        s.last = max_time(s.last, Some(t));
        if self.last_time.is_some_and(|last| t < last) {
            s.out_of_order += 1;
        }
        self.last_time = Some(t);
        let key =
            || overlap::record_key(hash.unwrap_or_else(|| line_hash(line)), t);
        if self.comparing.signatures {
            self.seconds.add(t, key());
        }
        let second = overlap::second_of(t);
        if !self.held.records.is_empty() && self.held.second != second {
            self.settle_held(ctx);
        }
        if self.last_second.0 != second {
            // Asked once per second, not per record: a bundle may hold
            // dozens of rotated files.
            let spanned = ctx.earlier.iter().any(|(_, e)| e.spans(second));
            self.last_second = (second, spanned);
        }
        if self.last_second.1 {
            // An earlier file covers this second: hold the record until
            // the second is over and can be compared whole.
            self.held.second = second;
            self.held.push(rec, line, origin, key());
            return;
        }
        let name = &self.summary.name;
        self.tally.record(rec, line, origin, name, ctx.symbols);
    }

    /// Compares the held second with the earlier files, counts the
    /// records they hold too as repeats, and tallies the others in file
    /// order.
    fn settle_held(&mut self, ctx: &mut LineContext<'_>) {
        if self.held.records.is_empty() {
            return;
        }
        let held = std::mem::take(&mut self.held);
        let hashes: Vec<u64> = held.records.iter().map(|r| r.hash).collect();
        let mut repeated = vec![false; hashes.len()];
        for (index, earlier) in ctx.earlier {
            let open: Vec<usize> =
                (0..hashes.len()).filter(|&i| !repeated[i]).collect();
            if open.is_empty() {
                break;
            }
            let some: Vec<u64> = open.iter().map(|&i| hashes[i]).collect();
            let mut found = vec![false; some.len()];
            let n = earlier.repeated(held.second, &some, &mut found);
            if n == 0 {
                continue;
            }
            for (&i, f) in open.iter().zip(found) {
                repeated[i] |= f;
            }
            let name = &ctx.names[*index as usize].name;
            let overlaps = &mut self.summary.overlaps;
            match overlaps.iter_mut().find(|(other, _)| other == name) {
                Some((_, count)) => *count += n as u64,
                None => overlaps.push((name.clone(), n as u64)),
            }
        }
        for (r, repeat) in held.records.iter().zip(repeated) {
            let rec = held.record(r);
            let line = &held.bytes[r.line.clone()];
            if repeat {
                self.summary.counts.repeated += 1;
                self.tally.follow(rec, ctx.symbols);
            } else {
                let name = &self.summary.name;
                self.tally.record(rec, line, r.origin, name, ctx.symbols);
            }
        }
        // Keep the buffers for the next held second.
        let Held { mut records, mut bytes, .. } = held;
        records.clear();
        bytes.clear();
        self.held = Held { second: 0, records, bytes };
    }
}

/// The records of one second held back for comparison with earlier
/// files, with copies of their bytes.
#[derive(Default)]
struct Held {
    second: i64,
    records: Vec<HeldRecord>,
    bytes: Vec<u8>,
}

/// A held record; its byte parts are ranges of [`Held::bytes`].
struct HeldRecord {
    time: Option<Millis>,
    level: Level,
    code: EventCode,
    line: std::ops::Range<usize>,
    text: std::ops::Range<usize>,
    fields: Option<std::ops::Range<usize>>,
    origin: Origin,
    hash: u64,
}

impl Held {
    fn push(
        &mut self,
        rec: Record<'_>,
        line: &[u8],
        origin: Origin,
        hash: u64,
    ) {
        let mut keep = |part: &[u8]| {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(part);
            start..self.bytes.len()
        };
        let line = keep(line);
        let text = keep(rec.text);
        let fields = rec.fields.map(&mut keep);
        self.records.push(HeldRecord {
            time: rec.time,
            level: rec.level,
            code: rec.code,
            line,
            text,
            fields,
            origin,
            hash,
        });
    }

    fn record(&self, r: &HeldRecord) -> Record<'_> {
        Record {
            time: r.time,
            level: r.level,
            code: r.code,
            text: &self.bytes[r.text.clone()],
            fields: r.fields.clone().map(|f| &self.bytes[f]),
        }
    }
}

/// The downstream host each thread last forwarded to. NPE's thread ids
/// are small numbers, so most are looked up by place in a vector; every
/// message asks, and every forward connection tells.
#[derive(Default)]
struct ThreadHosts {
    /// By thread id, for ids below [`ThreadHosts::PLACES`].
    by_place: Vec<Sym>,
    others: FxHashMap<u32, Sym>,
}

impl ThreadHosts {
    /// Thread ids kept by place: a vector of at most 256 KiB.
    const PLACES: usize = 1 << 16;

    fn insert(&mut self, tid: u32, host: Sym) {
        let place = tid as usize;
        if place >= Self::PLACES {
            self.others.insert(tid, host);
            return;
        }
        if place >= self.by_place.len() {
            self.by_place.resize(place + 1, Sym::NONE);
        }
        self.by_place[place] = host;
    }

    /// The host of `tid`, if one was told.
    fn get(&self, tid: u32) -> Option<Sym> {
        match self.by_place.get(tid as usize) {
            Some(&host) => Some(host).filter(|h| h.is_some()),
            None => self.others.get(&tid).copied(),
        }
    }
}

/// Everything counted in one file, merged into the total at its end.
#[derive(Default)]
struct Tally {
    messages: Segments<Message>,
    connections: Segments<Connection>,
    /// Connections accepted and not yet closed (in a file: so far; in the
    /// total: in every file merged).
    open: FxHashMap<Cid, usize>,
    /// Connections closed without their accept (in the total: by cid).
    orphans: Vec<usize>,
    orphans_by_cid: FxHashMap<Cid, usize>,
    thread_downstream: ThreadHosts,
    events: FxHashMap<EventCode, EventTally>,
    error_minutes: FxHashMap<Millis, FxHashMap<EventCode, u32>>,
    hosts: FxHashMap<Sym, HostTally>,
    slowest: [Vec<(f64, KeptMessage)>; 4],
    /// The smallest value in each full `slowest` list, once asked for;
    /// `None` after the list changed. Nearly every message is faster
    /// than all it would displace, and one compare says so.
    slowest_floor: [Option<f64>; 4],
    notable: Vec<KeptMessage>,
    dated_headers: u64,
}

/// Rejected messages and artefacts kept with their lines.
const NOTABLE_KEPT: usize = 20;

/// The place and value of the fastest of a full "slowest" list: the
/// first of them when several tie.
fn fastest_kept(kept: &[(f64, KeptMessage)]) -> (usize, f64) {
    kept.iter()
        .enumerate()
        .map(|(i, k)| (i, k.0))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("the list is full")
}

impl Tally {
    fn record(
        &mut self,
        rec: Record<'_>,
        line: &[u8],
        origin: Origin,
        file_name: &str,
        symbols: &mut Symbols,
    ) {
        self.count_event(rec, line, origin, file_name);
        let list = rec.fields.unwrap_or(b"");
        match rec.code {
            EventCode::MessageComplete | EventCode::MessageError => {
                let outcome = if rec.code == EventCode::MessageError {
                    Outcome::Error
                } else {
                    Outcome::Complete
                };
                let mut m = Message::from_fields(
                    list, outcome, rec.time, origin, symbols,
                );
                if let Some(host) =
                    m.tid.get().and_then(|t| self.thread_downstream.get(t))
                {
                    m.downstream = host;
                }
                self.keep_message(&m, line, file_name);
                self.messages.push(m);
            }
            EventCode::ConnectionAccepted => {
                let c = self.connection(list, rec.time, origin, symbols);
                if let Some(host) = c.map(|c| self.connections[c].remote) {
                    let h = self.hosts.entry(host).or_default();
                    h.accepted += 1;
                    h.touch(rec.time);
                }
            }
            EventCode::ServiceClosed => {
                self.service_closed(list, rec.time, origin, symbols)
            }
            EventCode::ForwardEstablished => {
                let (tid, remote) = tid_and_remote(list, symbols);
                if remote.is_some() {
                    if let Some(tid) = tid {
                        self.thread_downstream.insert(tid, remote);
                    }
                    let h = self.hosts.entry(remote).or_default();
                    h.forward_established += 1;
                    h.touch(rec.time);
                }
            }
            EventCode::ForwardError => {
                let host = field(list, b"mta")
                    .map_or(Sym::NONE, |v| symbols.intern(fields::host_of(v)));
                if host.is_some() {
                    let h = self.hosts.entry(host).or_default();
                    h.forward_errors += 1;
                    h.touch(rec.time);
                }
            }
            EventCode::HostRejected => {
                let (_, remote) = tid_and_remote(list, symbols);
                if remote.is_some() {
                    let h = self.hosts.entry(remote).or_default();
                    h.rejected += 1;
                    h.touch(rec.time);
                }
            }
            _ => {}
        }
    }

    /// Follows a record an earlier file already counted: only what later
    /// records of this file depend on, the downstream host each thread
    /// forwards to.
    fn follow(&mut self, rec: Record<'_>, symbols: &mut Symbols) {
        if rec.code == EventCode::ForwardEstablished {
            let (tid, remote) =
                tid_and_remote(rec.fields.unwrap_or(b""), symbols);
            if let (Some(tid), true) = (tid, remote.is_some()) {
                self.thread_downstream.insert(tid, remote);
            }
        }
    }

    fn count_event(
        &mut self,
        rec: Record<'_>,
        line: &[u8],
        origin: Origin,
        file_name: &str,
    ) {
        let tally = self
            .events
            .entry(rec.code)
            .or_insert_with(|| EventTally::new(rec.code));
        tally.count += 1;
        tally.first = min_time(tally.first, rec.time);
        tally.last = max_time(tally.last, rec.time);
        if tally.first_samples.len() < SAMPLES_FIRST {
            tally.first_samples.push(sample_line(file_name, origin, line));
        } else if rec.code.is_error() {
            push_last(
                &mut tally.last_samples,
                sample_line(file_name, origin, line),
            );
        }
        if rec.code.is_error() {
            if let Some(t) = rec.time {
                let minute = t.div_euclid(60_000) * 60_000;
                *self
                    .error_minutes
                    .entry(minute)
                    .or_default()
                    .entry(rec.code)
                    .or_default() += 1;
            }
        }
    }

    /// Opens (or finds) the connection of a 1201 record; its index.
    fn connection(
        &mut self,
        list: &[u8],
        time: Option<Millis>,
        origin: Origin,
        symbols: &mut Symbols,
    ) -> Option<usize> {
        let [tid, cid, remote, ..] = CONNECTION_KEYS.pick(list);
        let tid = tid.and_then(tid_of);
        let cid = cid.map_or(Cid::None, |v| Cid::from_bytes(v, symbols));
        let remote = remote_host(remote, symbols);
        if !cid.is_some() {
            return None;
        }
        let index = self.connections.len();
        self.connections.push(Connection {
            cid,
            tid: Maybe::new(tid),
            opened: Stamp::new(time),
            closed: Stamp::NONE,
            remote,
            messages: Maybe::NONE,
            duration: MaybeSeconds::NONE,
            origin,
        });
        self.open.insert(cid, index);
        Some(index)
    }

    fn service_closed(
        &mut self,
        list: &[u8],
        time: Option<Millis>,
        origin: Origin,
        symbols: &mut Symbols,
    ) {
        let [tid, cid, remote, messages, duration] = CONNECTION_KEYS.pick(list);
        let tid = tid.and_then(tid_of);
        let cid = cid.map_or(Cid::None, |v| Cid::from_bytes(v, symbols));
        let remote = remote_host(remote, symbols);
        let messages = messages
            .and_then(fields::parse_count)
            .and_then(|n| u32::try_from(n).ok());
        let duration = duration.and_then(fields::parse_number);
        let index = match self.open.remove(&cid) {
            Some(i) if cid.is_some() => i,
            _ => {
                // Closed without an accept in this file: opened before the
                // file starts (rotation) or pasted alone. The merge joins
                // it to its accept if another file has it.
                self.orphans.push(self.connections.len());
                self.connections.push(Connection {
                    cid,
                    tid: Maybe::new(tid),
                    opened: Stamp::NONE,
                    closed: Stamp::NONE,
                    remote,
                    messages: Maybe::NONE,
                    duration: MaybeSeconds::NONE,
                    origin,
                });
                self.connections.len() - 1
            }
        };
        let c = &mut self.connections[index];
        c.closed = Stamp::new(time);
        c.messages = Maybe::new(messages);
        c.duration = MaybeSeconds::new(duration);
        if c.remote.is_none() {
            c.remote = remote;
        }
    }

    fn keep_message(&mut self, m: &Message, line: &[u8], file_name: &str) {
        for (i, step) in Step::ALL.iter().enumerate() {
            let Some(v) = step.of(m) else { continue };
            let kept = &mut self.slowest[i];
            if kept.len() == SLOWEST_KEPT {
                let floor = *self.slowest_floor[i]
                    .get_or_insert_with(|| fastest_kept(kept).1);
                if v <= floor {
                    continue;
                }
                kept.swap_remove(fastest_kept(kept).0);
                self.slowest_floor[i] = None;
            }
            let sample = sample_line(file_name, m.origin, line);
            kept.push((v, KeptMessage { message: m.clone(), sample }));
        }
        let notable = m.is_rejected() || m.timing.artifact.is_some();
        if notable && self.notable.len() < NOTABLE_KEPT {
            let sample = sample_line(file_name, m.origin, line);
            self.notable.push(KeptMessage { message: m.clone(), sample });
        }
    }

    fn merge(&mut self, mut other: Tally) {
        self.merge_connections(&mut other);
        self.messages.append(other.messages);
        for (code, tally) in other.events {
            match self.events.get_mut(&code) {
                Some(mine) => mine.merge(tally),
                None => {
                    self.events.insert(code, tally);
                }
            }
        }
        for (minute, by_code) in other.error_minutes {
            let mine = self.error_minutes.entry(minute).or_default();
            for (code, n) in by_code {
                *mine.entry(code).or_default() += n;
            }
        }
        for (host, tally) in other.hosts {
            self.hosts.entry(host).or_default().merge(&tally);
        }
        for (i, kept) in other.slowest.into_iter().enumerate() {
            let mine = &mut self.slowest[i];
            mine.extend(kept);
            mine.sort_by(|a, b| b.0.total_cmp(&a.0));
            mine.truncate(SLOWEST_KEPT);
            self.slowest_floor[i] = None;
        }
        for k in other.notable {
            if self.notable.len() < NOTABLE_KEPT {
                self.notable.push(k);
            }
        }
        self.dated_headers += other.dated_headers;
    }
}

impl Tally {
    /// Moves the connections of one file into the total, joining the two
    /// halves of a session that rotation split between files: the accept
    /// in the older file, the close in the newer one, in whichever order
    /// the files were given.
    fn merge_connections(&mut self, other: &mut Tally) {
        let mut keep = vec![true; other.connections.len()];
        for &i in &other.orphans {
            let close = &other.connections[i];
            let Some(&j) = self.open.get(&close.cid) else { continue };
            let accept = &mut self.connections[j];
            if in_order(accept.opened.get(), close.closed.get()) {
                accept.closed = close.closed;
                accept.messages = close.messages;
                accept.duration = close.duration;
                if accept.remote.is_none() {
                    accept.remote = close.remote;
                }
                self.open.remove(&close.cid);
                keep[i] = false;
            }
        }
        for (cid, &i) in &other.open {
            let Some(&j) = self.orphans_by_cid.get(cid) else { continue };
            let accept = &other.connections[i];
            let close = &mut self.connections[j];
            if in_order(accept.opened.get(), close.closed.get()) {
                close.opened = accept.opened;
                close.tid = Maybe::new(close.tid.get().or(accept.tid.get()));
                close.origin = accept.origin;
                if close.remote.is_none() {
                    close.remote = accept.remote;
                }
                self.orphans_by_cid.remove(cid);
                keep[i] = false;
            }
        }
        // Where each kept connection of `other` lands in the total.
        let mut at = self.connections.len();
        let moved: Vec<Option<usize>> = keep
            .iter()
            .map(|&k| {
                k.then(|| {
                    at += 1;
                    at - 1
                })
            })
            .collect();
        for (cid, i) in other.open.drain() {
            if let Some(j) = moved[i] {
                self.open.insert(cid, j);
            }
        }
        for &i in &other.orphans {
            if let Some(j) = moved[i] {
                let cid = other.connections[i].cid;
                self.orphans_by_cid.insert(cid, j);
            }
        }
        let connections = std::mem::take(&mut other.connections);
        if keep.iter().all(|&k| k) {
            self.connections.append(connections);
        } else {
            self.connections.append(
                connections
                    .into_iter()
                    .zip(keep)
                    .filter_map(|(c, k)| k.then_some(c))
                    .collect(),
            );
        }
    }
}

/// Whether an accept at `opened` can belong to a close at `closed`.
fn in_order(opened: Option<Millis>, closed: Option<Millis>) -> bool {
    match (opened, closed) {
        (Some(o), Some(c)) => o <= c,
        _ => true,
    }
}

/// The keys of connection records (1201, 1203, 1204, 1205, 5200) that
/// are read, and the order NPE writes them in; a 1205 close adds
/// `messages` and `time` to the keys of the others.
const CONNECTION_KEYS: KeyPlan<5, 6> = KeyPlan::new(
    [b"tid", b"cid", b"remote", b"messages", b"time"],
    [b"tid", b"cid", b"local", b"remote", b"messages", b"time"],
);

fn tid_and_remote(list: &[u8], symbols: &mut Symbols) -> (Option<u32>, Sym) {
    let [tid, _, remote, ..] = CONNECTION_KEYS.pick(list);
    (tid.and_then(tid_of), remote_host(remote, symbols))
}

/// The interned host of a `remote=host:port` value.
fn remote_host(remote: Option<&[u8]>, symbols: &mut Symbols) -> Sym {
    remote.map_or(Sym::NONE, |v| symbols.intern(fields::host_of(v)))
}

fn field<'a>(list: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    Fields::new(list).find(|f| f.key == key).map(|f| f.value)
}

/// The hash of one line. XXH3 is the fastest natively; it multiplies
/// 64-bit numbers into 128-bit ones, which WebAssembly has no
/// instruction for, so the page uses XXH64, which needs only 64-bit
/// products and parses a twentieth faster with it. Hashes are compared
/// only within one analysis, so the two never meet.
fn line_hash(line: &[u8]) -> u64 {
    #[cfg(not(target_arch = "wasm32"))]
    return xxhash_rust::xxh3::xxh3_64(line);
    #[cfg(target_arch = "wasm32")]
    return xxhash_rust::xxh64::xxh64(line, 0);
}

fn sample_line(file: &str, origin: Origin, line: &[u8]) -> SampleLine {
    let mut end = line.len().min(SAMPLE_BYTES);
    // Cut before a UTF-8 continuation byte, not in the middle of a
    // character, so the kept text stays valid UTF-8.
    while end < line.len() && end > 0 && (line[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let cut = &line[..end];
    SampleLine {
        file: file.to_string(),
        line: origin.line,
        text: crate::decode::text_from_bytes(cut),
    }
}

fn push_last(v: &mut Vec<SampleLine>, s: SampleLine) {
    if v.len() == SAMPLES_LAST {
        v.remove(0);
    }
    v.push(s);
}

fn min_time(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_time(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Analyzes whole inputs given as `(name, bytes)` pairs.
///
/// # Example
///
/// ```
/// use npe_lens::analysis::{analyze_bytes, Options};
///
/// let log = "12/Jun/12:08:32:31:506-0500 [INFO] (SMTP_MESSAGE.1300) \
///     Message complete (tid=27 cid=875 code=250 rtime=10.06s \
///     dtime=0.50s mtime=100.09s)\n";
/// let data = analyze_bytes(&[("op0.log", log.as_bytes())], Options::default());
/// assert_eq!(data.messages.len(), 1);
/// assert_eq!(data.messages[0].timing.send(), Some(89.53));
/// ```
pub fn analyze_bytes(inputs: &[(&str, &[u8])], options: Options) -> Dataset {
    let mut analysis = Analysis::new(options);
    for (i, (name, bytes)) in inputs.iter().enumerate() {
        if i + 1 == inputs.len() {
            analysis.begin_last_file(name);
        } else {
            analysis.begin_file(name);
        }
        analysis.feed(bytes);
        analysis.end_file();
    }
    analysis.finish()
}
