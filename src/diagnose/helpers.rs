//! Shared pieces of the rules: time windows, wording of numbers and
//! times, the "story" of one message, and the slow-step analysis the three
//! `slow-*` rules share.
//!
//! A *window* is a run of minutes in which a symptom was seen. Minutes are
//! merged into one window when the quiet gap between them is at most
//! [`MERGE_GAP_MINUTES`], so a flapping outage reads as one stretch of
//! trouble rather than a dozen.

use super::{Confidence, Finding, Severity, Window};
use crate::analysis::{Dataset, KeptMessage, SampleLine, Step};
use crate::event::EventCode;
use crate::message::Message;
use crate::parse::fields::Millis;
use crate::report::group;

/// One minute in milliseconds.
pub const MINUTE: Millis = 60_000;

/// Symptom minutes this close (quiet minutes between them) belong to one
/// window: upstream MTAs retry queued mail every few minutes, so an
/// outage is often logged as bursts a few minutes apart.
pub const MERGE_GAP_MINUTES: i64 = 5;

/// Fewer slow messages than this never make a `slow-*` warning: a handful
/// of slow messages happens in every busy log (a huge attachment, one
/// sluggish recipient domain).
pub const MIN_SLOW_MESSAGES: usize = 5;

/// A step is slow across the log when at least this share of the measured
/// messages are slow in it: one in fifty is more than a tail, and users
/// notice queued mail at about that rate.
pub const SLOW_SHARE: f64 = 0.02;

/// A minute counts as a symptom minute for a step when at least this
/// share of its messages are slow in that step: one slow message among
/// many in a minute is noise, a fifth of them is a pattern.
pub const MINUTE_SLOW_SHARE: f64 = 0.2;

/// A window is *sustained* when it holds at least this many symptom
/// minutes: three minutes in a row outlasts a single stuck connection.
pub const SUSTAINED_MINUTES: usize = 3;

/// A finding with the given identity and nothing else filled in.
pub fn finding(
    id: &'static str,
    severity: Severity,
    confidence: Confidence,
    title: String,
) -> Finding {
    Finding {
        id,
        severity,
        confidence,
        title,
        explanation: String::new(),
        evidence: Vec::new(),
        samples: Vec::new(),
        windows: Vec::new(),
        first: None,
        last: None,
        next_steps: Vec::new(),
        affected: 0,
    }
}

/// Fills `windows`, `first` and `last` of a finding.
pub fn set_windows(f: &mut Finding, windows: Vec<Window>) {
    f.first = windows.iter().map(|w| w.first).min();
    f.last = windows.iter().map(|w| w.last).max();
    f.windows = windows;
}

/// The start of the minute holding `t`.
pub fn minute_of(t: Millis) -> Millis {
    t.div_euclid(MINUTE) * MINUTE
}

/// Merges minute starts (any order, repeats allowed) into windows; each
/// window ends at the end of its last minute.
pub fn windows_from_minutes(
    minutes: impl IntoIterator<Item = Millis>,
) -> Vec<Window> {
    let mut sorted: Vec<Millis> = minutes.into_iter().map(minute_of).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<Window> = Vec::new();
    for m in sorted {
        match out.last_mut() {
            Some(w) if m - w.last <= MERGE_GAP_MINUTES * MINUTE + 1 => {
                w.last = m + MINUTE - 1;
            }
            _ => out.push(Window { first: m, last: m + MINUTE - 1 }),
        }
    }
    out
}

/// Whether an instant lies in any of the windows.
pub fn within(windows: &[Window], t: Millis) -> bool {
    windows.iter().any(|w| w.first <= t && t <= w.last)
}

/// The minutes in which any of the given error events was logged, with
/// how many.
pub fn event_minutes(
    data: &Dataset,
    codes: &[EventCode],
) -> Vec<(Millis, u32)> {
    data.error_minutes
        .iter()
        .filter_map(|(minute, by_code)| {
            let n: u32 = by_code
                .iter()
                .filter(|(c, _)| codes.contains(c))
                .map(|(_, n)| n)
                .sum();
            (n > 0).then_some((*minute, n))
        })
        .collect()
}

/// Total count of the given events.
pub fn event_total(data: &Dataset, codes: &[EventCode]) -> u64 {
    codes.iter().map(|c| data.event_count(*c)).sum()
}

/// The kept lines of the given events, at most `max`.
pub fn event_samples(
    data: &Dataset,
    codes: &[EventCode],
    max: usize,
) -> Vec<SampleLine> {
    let mut out = Vec::new();
    for code in codes {
        if let Some(tally) = data.event(*code) {
            out.extend(tally.samples());
        }
    }
    out.truncate(max);
    out
}

/// Owned copies of fixed texts, for a finding's next steps.
pub fn owned(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|s| s.to_string()).collect()
}

/// `n` with thousands separators.
pub fn count(n: u64) -> String {
    group(n)
}

/// `n` and the noun in the right number: `1 message`, `2 messages`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    let noun = if n == 1 { one } else { many };
    format!("{} {noun}", count(n))
}

/// `n` of `total` as a percentage: `5.8 %`, `<0.1 %`.
pub fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        return "0 %".to_string();
    }
    let p = 100.0 * n as f64 / total as f64;
    if p > 0.0 && p < 0.1 {
        return "<0.1 %".to_string();
    }
    format!("{p:.1} %")
}

/// A duration in seconds as people say it: `0.5 s`, `89.5 s`,
/// `1,230 s (20.5 min)`.
pub fn seconds(s: f64) -> String {
    if s >= 600.0 {
        return format!("{} s ({:.1} min)", count(s.round() as u64), s / 60.0);
    }
    let text = format!("{s:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text).to_string();
    if text == "0" && s > 0.0 {
        return format!("{s:.2} s");
    }
    format!("{text} s")
}

/// The windows in words, in the data's zone: `between 09:40 and 10:15 on
/// 2012-06-12`, or a list when there are several.
pub fn when(data: &Dataset, windows: &[Window]) -> String {
    let zone = &data.zone;
    let date = |t: Millis| zone.format(t)[..10].to_string();
    let span = |w: &Window| {
        let (a, b) = (zone.format_clock(w.first), zone.format_clock(w.last));
        if date(w.first) == date(w.last) && a == b {
            format!("at {a} on {}", date(w.first))
        } else if date(w.first) == date(w.last) {
            format!("between {a} and {b} on {}", date(w.first))
        } else {
            format!(
                "between {} and {}",
                zone.format(w.first),
                zone.format(w.last)
            )
        }
    };
    match windows {
        [] => "at times the log does not show".to_string(),
        [w] => span(w),
        _ => {
            let list: Vec<String> = windows.iter().take(4).map(span).collect();
            let more = windows.len().saturating_sub(4);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "in {} stretches ({}{tail})",
                windows.len(),
                list.join("; ")
            )
        }
    }
}

/// Where a message was logged: `logged at 2012-06-12 08:32:31 (op0.log,
/// line 4)`, or without the time when the line had none.
pub fn logged_at(data: &Dataset, m: &Message) -> String {
    let place =
        format!("{}, line {}", data.file_name(m.origin), count(m.origin.line));
    match m.time.get() {
        Some(t) => format!("logged at {} ({place})", data.zone.format(t)),
        None => format!("logged without a time ({place})"),
    }
}

/// The story of one message's timings, as the vendor tells it: how long
/// it took to receive, to inspect and to hand on, and which step took most
/// of the total.
pub fn story(data: &Dataset, m: &Message) -> String {
    let t = &m.timing;
    let (Some(r), Some(d)) = (t.receive(), t.detection()) else {
        return format!(
            "The message {} has no usable timing.",
            logged_at(data, m)
        );
    };
    let mut s = format!(
        "The message {} took {} to receive from the upstream MTA, {} to \
         inspect",
        logged_at(data, m),
        seconds(r),
        seconds(d)
    );
    let (Some(send), Some(total)) = (t.send(), t.total()) else {
        s.push_str(", and was not handed on.");
        return s;
    };
    let (step, part) = dominant_step(r, d, send);
    s.push_str(&format!(
        ", and then {} to hand to the downstream MTA: the {step} step took \
         {} of its {} in all.",
        seconds(send),
        seconds(part),
        seconds(total)
    ));
    s
}

/// The step that took longest, and its duration.
fn dominant_step(r: f64, d: f64, send: f64) -> (&'static str, f64) {
    if send >= r && send >= d {
        ("send", send)
    } else if d >= r {
        ("detection", d)
    } else {
        ("receive", r)
    }
}

/// Whether `step` is the longest of a message's three steps.
pub fn is_dominant(m: &Message, step: Step) -> bool {
    let t = &m.timing;
    let (Some(r), Some(d)) = (t.receive(), t.detection()) else {
        return false;
    };
    let Some(v) = step.of(m) else { return false };
    let send = t.send().unwrap_or(0.0);
    v >= r && v >= d && v >= send
}

/// The windows in which NPE could not reach its downstream MTA: forward
/// errors, "all forward hosts unavailable", and NPE's own `421 4.4.1`
/// replies. Slow sends inside them belong to that outage, not to a slow
/// next hop.
pub fn forward_outage_windows(
    data: &Dataset,
    unavailable: &[&Message],
) -> Vec<Window> {
    let events = event_minutes(data, FORWARD_CODES).into_iter().map(|m| m.0);
    let replies = unavailable.iter().filter_map(|m| m.time.get());
    windows_from_minutes(events.chain(replies))
}

/// The windows in which the RequestProcessor's link to the FileReader
/// was lost or being rebuilt.
pub fn filereader_windows(data: &Dataset) -> Vec<Window> {
    let codes = [EventCode::FileReaderLost, EventCode::FileReaderConnectFailed];
    let minutes = event_minutes(data, &codes);
    if minutes.is_empty() {
        data.event(EventCode::FileReaderReconnecting)
            .and_then(|e| Some((e.first?, e.last?)))
            .map(|(a, b)| windows_from_minutes([a, b]))
            .unwrap_or_default()
    } else {
        windows_from_minutes(minutes.into_iter().map(|m| m.0))
    }
}

/// [`filereader_windows`] stretched by [`MERGE_GAP_MINUTES`] at the end:
/// messages held during the loss are logged, slow or timed out, just
/// after the link returns. Slow detection and detection timeouts in them
/// belong to that loss.
pub fn filereader_aftermath(data: &Dataset) -> Vec<Window> {
    let mut windows = filereader_windows(data);
    for w in &mut windows {
        w.last += MERGE_GAP_MINUTES * MINUTE;
    }
    windows
}

/// The events that say the downstream MTA could not be reached.
pub const FORWARD_CODES: &[EventCode] =
    &[EventCode::ForwardError, EventCode::AllForwardHostsUnavailable];

/// Whether a message got NPE's own "forwarding agent unavailable" reply
/// (`421 4.4.1`).
pub fn is_forwarding_unavailable(data: &Dataset, m: &Message) -> bool {
    if m.code.get() != Some(421) {
        return false;
    }
    let estatus = data.symbols.resolve(m.estatus);
    let reply = data.symbols.resolve(m.reply);
    estatus.contains("4.4.1")
        || reply.contains("4.4.1")
        || reply.contains("Forwarding agent unavailable")
}

/// Which messages were slow in one step, and when.
pub struct Slowness<'a> {
    /// The step.
    pub step: Step,
    /// The duration above which a message is slow in it, in seconds.
    pub threshold: f64,
    /// Messages with a trusted value for the step.
    pub measured: u64,
    /// Messages slow in the step, where it was also their longest step,
    /// in time order.
    pub slow: Vec<&'a Message>,
    /// Sustained windows of slowness (see [`SUSTAINED_MINUTES`]).
    pub sustained: Vec<Window>,
    /// All windows holding a slow message.
    pub all: Vec<Window>,
}

impl Slowness<'_> {
    /// Whether the slowness is more than a tail: enough slow messages,
    /// and either a real share of all or a sustained window.
    pub fn is_significant(&self) -> bool {
        let n = self.slow.len();
        n >= MIN_SLOW_MESSAGES
            && (n as f64 >= SLOW_SHARE * self.measured as f64
                || !self.sustained.is_empty())
    }

    /// The windows to report: the sustained ones, or all of them when
    /// the slowness is spread out.
    pub fn windows(&self) -> Vec<Window> {
        if self.sustained.is_empty() {
            self.all.clone()
        } else {
            self.sustained.clone()
        }
    }

    /// The slow messages' values of the step, sorted.
    pub fn values(&self) -> Vec<f64> {
        let mut v: Vec<f64> =
            self.slow.iter().filter_map(|m| self.step.of(m)).collect();
        v.sort_by(f64::total_cmp);
        v
    }
}

/// Finds the messages slow in `step` (at least `threshold` seconds, and
/// the longest of their steps), leaving out those logged inside `skip`.
pub fn slowness<'a>(
    data: &'a Dataset,
    step: Step,
    threshold: f64,
    skip: &[Window],
) -> Slowness<'a> {
    let spell = spell(data, skip, |m| {
        let v = step.of(m)?;
        Some(v >= threshold && is_dominant(m, step))
    });
    Slowness {
        step,
        threshold,
        measured: spell.measured,
        slow: spell.hits,
        sustained: spell.sustained,
        all: spell.all,
    }
}

/// Messages showing a symptom, and when.
pub struct Spell<'a> {
    /// Messages the symptom could be judged on.
    pub measured: u64,
    /// Messages showing it, in time order.
    pub hits: Vec<&'a Message>,
    /// Sustained windows: at least [`SUSTAINED_MINUTES`] symptom minutes
    /// (where [`MINUTE_SLOW_SHARE`] of the minute's messages show it) and
    /// [`MIN_SLOW_MESSAGES`] hits.
    pub sustained: Vec<Window>,
    /// All windows holding a hit.
    pub all: Vec<Window>,
}

/// Judges every message outside `skip` with `symptom` (`None`: cannot be
/// judged; `Some(true)`: shows it) and finds when the symptom clusters.
pub fn spell<'a>(
    data: &'a Dataset,
    skip: &[Window],
    symptom: impl Fn(&Message) -> Option<bool>,
) -> Spell<'a> {
    let mut measured = 0;
    let mut hits = Vec::new();
    let mut per_minute = MinuteCounts::default();
    for m in &data.messages {
        if m.time.get().is_some_and(|t| within(skip, t)) {
            continue;
        }
        let Some(hit) = symptom(m) else { continue };
        measured += 1;
        if let Some(t) = m.time.get() {
            per_minute.add(minute_of(t), hit);
        }
        if hit {
            hits.push(m);
        }
    }
    let per_minute = per_minute.finish();
    let minutes: Vec<Millis> = per_minute
        .iter()
        .filter(|(_, (n, h))| {
            *h > 0 && *h as f64 >= MINUTE_SLOW_SHARE * *n as f64
        })
        .map(|(m, _)| *m)
        .collect();
    let sustained = windows_from_minutes(minutes.iter().copied())
        .into_iter()
        .filter(|w| {
            let inside = minutes.iter().filter(|t| within(&[*w], **t));
            inside.count() >= SUSTAINED_MINUTES
                && slow_in_window(&hits, w) >= MIN_SLOW_MESSAGES
        })
        .collect();
    let all = windows_from_minutes(hits.iter().filter_map(|m| m.time.get()));
    Spell { measured, hits, sustained, all }
}

/// Messages and hits per minute, counted in runs: the messages come in
/// time order, so a minute's messages arrive together and the map is
/// searched once a minute instead of once a message.
#[derive(Default)]
struct MinuteCounts {
    map: std::collections::BTreeMap<Millis, (u32, u32)>,
    /// The minute being counted, with its messages and hits so far.
    run: Option<(Millis, (u32, u32))>,
}

impl MinuteCounts {
    fn add(&mut self, minute: Millis, hit: bool) {
        if let Some((at, counts)) = &mut self.run {
            if *at == minute {
                counts.0 += 1;
                counts.1 += u32::from(hit);
                return;
            }
        }
        if let Some((at, counts)) = self.run.take() {
            self.flush(at, counts);
        }
        self.run = Some((minute, (1, u32::from(hit))));
    }

    fn flush(&mut self, minute: Millis, (n, hits): (u32, u32)) {
        let e = self.map.entry(minute).or_default();
        e.0 += n;
        e.1 += hits;
    }

    fn finish(mut self) -> std::collections::BTreeMap<Millis, (u32, u32)> {
        if let Some((at, counts)) = self.run.take() {
            self.flush(at, counts);
        }
        self.map
    }
}

/// How many of the messages were logged inside the window.
pub fn slow_in_window(slow: &[&Message], w: &Window) -> usize {
    slow.iter()
        .filter(|m| m.time.get().is_some_and(|t| within(&[*w], t)))
        .count()
}

/// The kept slowest messages of a step (with their lines) that are slow
/// in the sense of `s`.
pub fn kept_slow<'a>(
    data: &'a Dataset,
    s: &Slowness<'_>,
) -> Vec<&'a KeptMessage> {
    data.slowest
        .iter()
        .filter(|(step, _)| *step == s.step)
        .flat_map(|(_, kept)| kept)
        .filter(|k| s.slow.iter().any(|m| m.origin == k.message.origin))
        .collect()
}

/// Sample lines kept in a slow-step finding: enough to show the pattern.
const SLOW_SAMPLES: usize = 3;

/// Completes a slow-step finding: sample lines of its slowest messages,
/// the next steps, how many messages it affects, and its windows.
pub fn finish_slow(
    mut f: Finding,
    data: &Dataset,
    s: &Slowness<'_>,
    next_steps: Vec<String>,
) -> Finding {
    f.samples = kept_slow(data, s)
        .iter()
        .take(SLOW_SAMPLES)
        .map(|k| k.sample.clone())
        .collect();
    f.next_steps = next_steps;
    f.affected = s.slow.len() as u64;
    set_windows(&mut f, s.windows());
    f
}

/// The nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    crate::stats::percentile(sorted, p)
}

/// The standard evidence lines of a slow step: how many, the step's
/// percentiles over all messages, and the windows.
pub fn slow_evidence(
    data: &Dataset,
    stats: &crate::stats::Stats,
    s: &Slowness<'_>,
) -> Vec<String> {
    let all = stats.timings.of(s.step);
    let values = s.values();
    let mut out = vec![
        format!(
            "{} of {} measured messages ({}) spent at least {} in the {} \
             step, and it was their longest step",
            count(s.slow.len() as u64),
            count(s.measured),
            percent(s.slow.len() as u64, s.measured),
            seconds(s.threshold),
            s.step.as_str()
        ),
        format!(
            "{} time over all messages: median {}, p90 {}, p95 {}, p99 {}, \
             max {}",
            s.step.as_str(),
            seconds(all.p50),
            seconds(all.p90),
            seconds(all.p95),
            seconds(all.p99),
            seconds(all.max)
        ),
    ];
    if !values.is_empty() {
        out.push(format!(
            "among the slow messages: median {}, p90 {}, max {}",
            seconds(percentile(&values, 0.5)),
            seconds(percentile(&values, 0.9)),
            seconds(values[values.len() - 1])
        ));
    }
    for w in s.windows().iter().take(4) {
        out.push(format!(
            "{} slow messages {}",
            count(slow_in_window(&s.slow, w) as u64),
            when(data, &[*w])
        ));
    }
    out
}

/// The generalising sentence: `412 of 7,055 messages (5.8 %) spent more
/// than 30 s in the send step, all between 09:40 and 10:15.`
pub fn generalise(data: &Dataset, s: &Slowness<'_>) -> String {
    let n = s.slow.len() as u64;
    let windows = s.windows();
    let inside: usize =
        windows.iter().map(|w| slow_in_window(&s.slow, w)).sum();
    let place = if windows.is_empty() {
        String::new()
    } else if inside == s.slow.len() {
        format!(", all {}", when(data, &windows))
    } else {
        format!(", {} of them {}", count(inside as u64), when(data, &windows))
    };
    format!(
        "{} of {} messages ({}) spent at least {} in the {} step{place}.",
        count(n),
        count(s.measured),
        percent(n, s.measured),
        seconds(s.threshold),
        s.step.as_str()
    )
}

/// Analyzes inline log text and diagnoses it, for the rules' tests.
#[cfg(test)]
pub fn diagnose_text(log: &str) -> Vec<Finding> {
    let data = crate::analysis::analyze_bytes(
        &[("SmtpPrevent_operational0.log", log.as_bytes())],
        crate::analysis::Options::default(),
    );
    let stats = crate::stats::summarize(&data);
    super::diagnose(&data, &stats)
}

/// Builds operational `1300 Message complete` lines, one every
/// `every_seconds` from `start` (`HH:MM:SS` on 12 June 2012, UTC), with the
/// given timings, for the rules' tests.
#[cfg(test)]
pub fn complete_lines(
    start: &str,
    every_seconds: u32,
    timings: &[(f64, f64, f64)],
) -> String {
    let mut secs = clock_seconds(start);
    let mut out = String::new();
    for (i, (r, d, m)) in timings.iter().enumerate() {
        out.push_str(&format!(
            "{} [INFO] (SMTP_MESSAGE.1300) Message complete (tid=7 cid={i} \
             message_id=<m{i}@x> dlp_id=1 size=2,048 sender=<a@x.test> \
             recipient_count=1 disposition=PASS code=250 estatus=<2.0.0> \
             text=<2.0.0 Ok queued> rtime={r}s dtime={d}s mtime={m}s)\n",
            stamp(secs)
        ));
        secs += every_seconds;
    }
    out
}

/// An operational timestamp for a second of 12 June 2012, UTC.
#[cfg(test)]
pub fn stamp(secs: u32) -> String {
    format!(
        "12/Jun/12:{:02}:{:02}:{:02}:000+0000",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
fn clock_seconds(hms: &str) -> u32 {
    hms.split(':').fold(0, |acc, p| acc * 60 + p.parse::<u32>().unwrap_or(0))
}

/// The second of the day of a clock time, for the rules' tests.
#[cfg(test)]
pub fn at(hms: &str) -> u32 {
    clock_seconds(hms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_merge_across_short_gaps() {
        let w = windows_from_minutes([0, MINUTE, 4 * MINUTE, 30 * MINUTE]);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].first, w[0].last), (0, 5 * MINUTE - 1));
        assert_eq!(w[1].first, 30 * MINUTE);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(percent(412, 7055), "5.8 %");
        assert_eq!(percent(1, 100_000), "<0.1 %");
        assert_eq!(seconds(89.53), "89.5 s");
        assert_eq!(seconds(0.5), "0.5 s");
        assert_eq!(seconds(10.0), "10 s");
        assert_eq!(seconds(0.02), "0.02 s");
        assert_eq!(seconds(1230.0), "1,230 s (20.5 min)");
    }
}
