//! The report: what the CLI prints, what `--json` writes and what the page
//! shows, built from a [`Dataset`], its [`Stats`] and the findings.
//!
//! JSON keys are a contract: keys may be added, never renamed. Times are
//! RFC 3339 strings in UTC; the readable text shows them in the report's
//! zone.

use crate::analysis::{Dataset, LineCounts, SampleLine, Step};
use crate::diagnose::Finding;
use crate::message::Message;
use crate::parse::fields::Millis;
use crate::stats::{ArtifactCounts, HostFigures, Minute, Stats, Timings};
use crate::zone::{rfc3339, Zone};
use serde::{Serialize, Serializer};
use std::fmt::Write;

/// Serializes UTC milliseconds as an RFC 3339 string.
pub fn serialize_time<S: Serializer>(
    t: &Millis,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// Serializes optional UTC milliseconds as an RFC 3339 string or null.
pub fn serialize_opt_time<S: Serializer>(
    t: &Option<Millis>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// The zone used, and whether it mattered.
#[derive(Clone, Debug, Serialize)]
pub struct ZoneReport {
    /// Its name or offset.
    pub name: String,
    /// Whether dated detector-log headers were read in it (they carry no
    /// zone of their own).
    pub assumed_for_detector: bool,
}

/// One input file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// Its name.
    pub name: String,
    /// `operational`, `detector` or `unknown`.
    pub format: &'static str,
    /// Physical lines.
    pub lines: u64,
    /// Earliest record time.
    #[serde(serialize_with = "serialize_opt_time")]
    pub first: Option<Millis>,
    /// Latest record time.
    #[serde(serialize_with = "serialize_opt_time")]
    pub last: Option<Millis>,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read as records or headers.
    pub recognized_lines: u64,
    /// Stack traces and multi-line bodies.
    pub continuation_lines: u64,
    /// Empty lines.
    pub blank_lines: u64,
    /// Lines of no known shape.
    pub unrecognized_lines: u64,
    /// A few of them.
    pub unrecognized_samples: Vec<SampleLine>,
    /// Records earlier than the record before them.
    pub out_of_order_records: u64,
    /// The earlier file with the same bytes, when this one repeats it.
    pub duplicate_of: Option<String>,
    /// Records that earlier, overlapping files held too (counted there,
    /// not again here).
    pub repeated_records: u64,
    /// `utf-8` (which includes ASCII and single-byte text), `utf-16le` or
    /// `utf-16be`.
    pub encoding: &'static str,
    /// Problems with the file, one plain sentence each, naming it and
    /// saying what was done or what to do.
    pub notes: Vec<String>,
}

/// Counts over all files (duplicates counted once).
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    /// Every physical line read:
    /// `recognized + continuation + blank + unrecognized`.
    pub lines: u64,
    /// `1300 Message complete` records.
    pub messages_complete: u64,
    /// `Error while processing message` records.
    pub message_errors: u64,
    /// Upstream connections seen.
    pub connections: u64,
    /// Lines of no known shape.
    pub unrecognized_lines: u64,
    /// Records and detector headers.
    pub recognized_lines: u64,
    /// Stack traces and multi-line bodies.
    pub continuation_lines: u64,
    /// Empty lines.
    pub blank_lines: u64,
    /// FINE/FINER/FINEST tracing records (among the recognized).
    pub tracing_lines: u64,
    /// Messages with a 4xx/5xx reply or a message error.
    pub rejected_messages: u64,
    /// Messages whose timings were kept out of the statistics.
    pub timing_artifacts: u64,
    /// Files given.
    pub files: u64,
    /// Files that repeated an earlier one.
    pub duplicate_files: u64,
    /// Records read again in overlapping copies of a log (among the
    /// recognized lines), counted once.
    pub repeated_records: u64,
}

/// One kind of event.
#[derive(Clone, Debug, Serialize)]
pub struct EventReport {
    /// Stable name, e.g. `forward-error`.
    pub name: String,
    /// The documented code, if any.
    pub code: Option<u16>,
    /// How many.
    pub count: u64,
    /// Earliest.
    #[serde(serialize_with = "serialize_opt_time")]
    pub first: Option<Millis>,
    /// Latest.
    #[serde(serialize_with = "serialize_opt_time")]
    pub last: Option<Millis>,
    /// Whether the kind is an error (counted per minute for charts).
    pub error: bool,
}

/// One message, with its values resolved, as the CSV and tables show it.
#[derive(Clone, Debug, Serialize)]
pub struct MessageRow {
    /// Record time.
    #[serde(serialize_with = "serialize_opt_time")]
    pub time: Option<Millis>,
    /// File name.
    pub file: String,
    /// Line number.
    pub line: u64,
    /// `complete` or `error`.
    pub outcome: &'static str,
    /// rtime, seconds.
    pub receive: Option<f64>,
    /// dtime, seconds.
    pub detection: Option<f64>,
    /// mtime − rtime − dtime, seconds.
    pub send: Option<f64>,
    /// mtime, seconds.
    pub total: Option<f64>,
    /// Why the timing is not trusted, if it is not.
    pub artifact: Option<&'static str>,
    /// Bytes.
    pub size: Option<u64>,
    /// Envelope recipients.
    pub recipients: Option<u32>,
    /// Sender domain.
    pub sender_domain: String,
    /// SMTP reply code.
    pub code: Option<u16>,
    /// Enhanced status.
    pub estatus: String,
    /// DLP verdict.
    pub disposition: String,
    /// Downstream host.
    pub downstream: String,
    /// Thread id.
    pub tid: String,
    /// Connection id.
    pub cid: String,
    /// Reply text (non-2xx only).
    pub reply: String,
    /// Failure reason (message errors).
    pub reason: String,
}

impl MessageRow {
    /// Replaces the row's addresses, hosts and free texts by pseudonyms.
    pub fn redact(&mut self, r: &mut crate::redact::Redactor) {
        for field in [
            &mut self.file,
            &mut self.sender_domain,
            &mut self.downstream,
            &mut self.reply,
            &mut self.reason,
        ] {
            *field = r.text(field);
        }
    }

    /// Resolves a message against its dataset.
    pub fn from_message(data: &Dataset, m: &Message) -> MessageRow {
        let s = |sym| data.symbols.resolve(sym).to_string();
        MessageRow {
            time: m.time.get(),
            file: data.file_name(m.origin).to_string(),
            line: m.origin.line,
            outcome: m.outcome.as_str(),
            receive: m.timing.receive(),
            detection: m.timing.detection(),
            send: m.timing.send(),
            total: m.timing.total(),
            artifact: m.timing.artifact.map(|a| a.as_str()),
            size: m.size.get(),
            recipients: m.recipients.get(),
            sender_domain: s(m.sender_domain),
            code: m.code.get(),
            estatus: s(m.estatus),
            disposition: s(m.disposition),
            downstream: s(m.downstream),
            tid: m.tid.get().map(|t| t.to_string()).unwrap_or_default(),
            cid: m.cid.to_text(&data.symbols),
            reply: s(m.reply),
            reason: s(m.reason),
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The zone used.
    pub zone: ZoneReport,
    /// Input files in the order given.
    pub files: Vec<FileReport>,
    /// Counts over all files.
    pub totals: Totals,
    /// Per-step summaries, seconds.
    pub timings: Timings,
    /// What was found, most important first.
    pub findings: Vec<Finding>,
    /// Impossible timings, by kind.
    pub artifacts: ArtifactCounts,
    /// Every kind of event seen.
    pub events: Vec<EventReport>,
    /// Per downstream host.
    pub downstream_hosts: Vec<HostFigures>,
    /// The per-minute series: the minutes with any message or error
    /// event, in time order. Quiet minutes are left out, so a log whose
    /// timestamps span months stays small; charts use their own series.
    pub minutes: Vec<Minute>,
}

impl Report {
    /// Builds the report.
    pub fn build(
        data: &Dataset,
        stats: &Stats,
        findings: Vec<Finding>,
    ) -> Report {
        let files = data.files.iter().map(file_report).collect();
        let c: &LineCounts = &data.counts;
        let a = &stats.artifacts;
        let totals = Totals {
            lines: c.lines,
            messages_complete: stats.messages_complete,
            message_errors: stats.message_errors,
            connections: data.connections.len() as u64,
            unrecognized_lines: c.unrecognized,
            recognized_lines: c.recognized,
            continuation_lines: c.continuation,
            blank_lines: c.blank,
            tracing_lines: c.tracing,
            rejected_messages: stats.rejected,
            timing_artifacts: a.epoch_receive
                + a.negative_total
                + a.missing_total
                + a.negative_send,
            files: data.files.len() as u64,
            duplicate_files: data
                .files
                .iter()
                .filter(|f| f.duplicate_of.is_some())
                .count() as u64,
            repeated_records: c.repeated,
        };
        let events = data
            .events
            .iter()
            .map(|e| EventReport {
                name: e.code.name(),
                code: e.code.number(),
                count: e.count,
                first: e.first,
                last: e.last,
                error: e.code.is_error(),
            })
            .collect();
        Report {
            zone: ZoneReport {
                name: data.zone.name().to_string(),
                assumed_for_detector: data.zone_assumed,
            },
            files,
            totals,
            timings: stats.timings,
            findings,
            artifacts: stats.artifacts,
            events,
            downstream_hosts: stats.downstream.clone(),
            minutes: stats
                .minutes
                .iter()
                .filter(|m| m.messages > 0 || m.errors > 0)
                .cloned()
                .collect(),
        }
    }
}

fn file_report(f: &crate::analysis::FileSummary) -> FileReport {
    FileReport {
        name: f.name.clone(),
        format: f.format.as_str(),
        lines: f.counts.lines,
        first: f.first,
        last: f.last,
        bytes: f.bytes,
        recognized_lines: f.counts.recognized,
        continuation_lines: f.counts.continuation,
        blank_lines: f.counts.blank,
        unrecognized_lines: f.counts.unrecognized,
        unrecognized_samples: f.unrecognized_samples.clone(),
        out_of_order_records: f.out_of_order,
        duplicate_of: f.duplicate_of.clone(),
        repeated_records: f.counts.repeated,
        encoding: f.encoding.map_or("utf-8", |e| e.as_str()),
        notes: file_notes(f),
    }
}

/// One sentence per problem with a file, for stderr and the page alike.
pub fn file_notes(f: &crate::analysis::FileSummary) -> Vec<String> {
    let mut notes = Vec::new();
    let name = &f.name;
    let c = &f.counts;
    if let Some(other) = &f.duplicate_of {
        notes.push(format!(
            "{name}: same bytes as {other}; its lines were counted once"
        ));
        return notes;
    }
    if c.lines == 0 {
        notes.push(format!("{name}: the file is empty; nothing to analyze"));
        return notes;
    }
    if f.format == crate::parse::LogFormat::Unknown {
        notes.push(format!(
            "{name}: this is not an NPE log (none of its {} lines has the \
             shape of an operational or detector record); the other files \
             were analyzed",
            group(c.lines)
        ));
        return notes;
    }
    if let Some(first) = f.unrecognized_samples.first() {
        notes.push(format!(
            "{name}: {} of {} lines were not recognized and are counted \
             apart, the first at line {}",
            group(c.unrecognized),
            group(c.lines),
            group(first.line)
        ));
    }
    if c.overlong > 0 {
        notes.push(format!(
            "{name}: {} lines longer than 64 KiB were cut; NPE records are \
             far shorter, so the file may be damaged",
            group(c.overlong)
        ));
    }
    if f.out_of_order > 0 {
        notes.push(format!(
            "{name}: {} records are earlier than the one before them (a \
             clock change, or files joined out of order); each is placed \
             by its own time",
            group(f.out_of_order)
        ));
    }
    for (other, n) in &f.overlaps {
        notes.push(format!(
            "{name}: {} of its records are also in {other}, an overlapping \
             copy of the same log; they were counted once",
            group(*n)
        ));
    }
    notes
}

/// Renders the report as text for a terminal, findings first.
pub fn render_text(report: &Report, zone: &Zone) -> String {
    let mut out = String::new();
    let t = &report.totals;
    let _ = writeln!(
        out,
        "npe-lens: {} messages ({} errors) in {} lines of {} file(s); \
         times in {}",
        group(t.messages_complete + t.message_errors),
        group(t.message_errors),
        group(t.lines),
        t.files,
        zone.name()
    );
    out.push('\n');
    write_findings(&mut out, report, zone);
    write_timings(&mut out, &report.timings);
    write_files(&mut out, report, zone);
    out
}

fn write_findings(out: &mut String, report: &Report, zone: &Zone) {
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings: no message records were read.\n");
        return;
    }
    for f in &report.findings {
        let _ = writeln!(
            out,
            "[{}] {} ({})",
            f.severity.as_str().to_uppercase(),
            f.title,
            f.id
        );
        if let (Some(a), Some(b)) = (f.first, f.last) {
            let _ = writeln!(
                out,
                "  when: {} to {}",
                zone.format(a),
                zone.format(b)
            );
        }
        let _ = writeln!(out, "{}", indent(&wrap(&f.explanation, 76), "  "));
        for e in &f.evidence {
            let _ = writeln!(out, "{}", indent(&wrap(e, 74), "  - "));
        }
        for s in f.samples.iter().take(3) {
            let _ = writeln!(
                out,
                "  {}:{}: {}",
                s.file,
                s.line,
                clip(&s.text, 160)
            );
        }
        if !f.next_steps.is_empty() {
            let _ = writeln!(out, "  What to check:");
            for (i, step) in f.next_steps.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{}",
                    indent(&wrap(step, 72), &format!("  {}. ", i + 1))
                );
            }
        }
        out.push('\n');
    }
}

fn write_timings(out: &mut String, t: &Timings) {
    let _ = writeln!(
        out,
        "Timings (seconds)     count      p50      p95      p99      max"
    );
    for step in Step::ALL {
        let s = t.of(step);
        let _ = writeln!(
            out,
            "  {:<16} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            step.as_str(),
            group(s.count),
            s.p50,
            s.p95,
            s.p99,
            s.max
        );
    }
    out.push('\n');
}

fn write_files(out: &mut String, report: &Report, zone: &Zone) {
    let _ = writeln!(out, "Files");
    for f in &report.files {
        let span = match (f.first, f.last) {
            (Some(a), Some(b)) => {
                format!("{} to {}", zone.format(a), zone.format(b))
            }
            _ => "no timestamps".to_string(),
        };
        let _ = write!(
            out,
            "  {} ({}, {} lines, {})",
            f.name,
            f.format,
            group(f.lines),
            span
        );
        if f.unrecognized_lines > 0 {
            let _ =
                write!(out, ", {} unrecognized", group(f.unrecognized_lines));
        }
        if let Some(d) = &f.duplicate_of {
            let _ = write!(out, ", same bytes as {d}: counted once");
        }
        out.push('\n');
    }
}

/// `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max).collect();
    cut.push('…');
    cut
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if col > 0 && col + 1 + len > width {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
    }
    out
}

fn indent(text: &str, first: &str) -> String {
    let pad = " ".repeat(first.chars().count());
    text.lines()
        .enumerate()
        .map(
            |(i, l)| {
                if i == 0 {
                    format!("{first}{l}")
                } else {
                    format!("{pad}{l}")
                }
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(7_055_123), "7,055,123");
    }

    #[test]
    fn wrapping_keeps_words() {
        assert_eq!(wrap("aa bb cc", 5), "aa bb\ncc");
        assert_eq!(indent("a\nb", "- "), "- a\n  b");
    }
}
