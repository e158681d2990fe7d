//! Views: the report, the charts and the tables of part of a dataset.
//!
//! A [`Filter`] narrows a finished [`Dataset`] to a time window and to
//! messages matching a downstream host, a reply code, a disposition, a
//! sender domain, a size range and a search pattern. [`report_for`]
//! builds the narrowed dataset and runs the statistics and the diagnosis
//! on it, so figures, findings and charts all describe the same part.
//!
//! Messages follow every criterion. Error events (forward errors,
//! FileReader loss, …) belong to no message: they follow the time window
//! only, counted per minute as the analysis kept them. Other events and
//! per-host tallies carry no times of their own beyond their first and
//! last: they are kept when that span meets the window (and, for
//! hosts, when the host filter names them).

use crate::analysis::{Dataset, EventTally, KeptMessage, SampleLine, Step};
use crate::chart::{self, ChartSeries};
use crate::message::Message;
use crate::parse::fields::Millis;
use crate::records::Records;
use crate::report::{MessageRow, Report};
use crate::symbols::Sym;
use regex::{Regex, RegexBuilder};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The largest compiled search pattern, in bytes: enough for any pattern
/// a person types, small enough that no pattern can exhaust memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Rows per step in the slowest-messages table of a [`View`].
pub const SLOWEST_ROWS: usize = 50;

/// What part of a dataset to look at. Every criterion is optional; an
/// empty filter keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Start of the time window, UTC milliseconds (inclusive).
    pub from: Option<Millis>,
    /// End of the time window, UTC milliseconds (exclusive).
    pub to: Option<Millis>,
    /// Downstream host, exactly as logged.
    pub host: Option<String>,
    /// SMTP reply code.
    pub code: Option<u16>,
    /// DLP disposition, e.g. `PASS`.
    pub disposition: Option<String>,
    /// Sender domain (compared without regard to case).
    pub sender_domain: Option<String>,
    /// Smallest size, bytes (inclusive).
    pub min_size: Option<u64>,
    /// Largest size, bytes (inclusive).
    pub max_size: Option<u64>,
    /// A regular expression (case-insensitive) searched in a message's
    /// reply text, failure reason, sender domain, downstream host,
    /// disposition, enhanced status and reply code.
    pub search: Option<String>,
}

impl Filter {
    /// Whether the filter has a time window.
    pub fn has_window(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    /// Whether a time lies in the window (any time does without one).
    pub fn in_window(&self, t: Millis) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }

    /// Whether a span `[first, last]` meets the window.
    fn meets_window(
        &self,
        first: Option<Millis>,
        last: Option<Millis>,
    ) -> bool {
        match (first.or(last), last.or(first)) {
            (Some(a), Some(b)) => {
                self.from.is_none_or(|f| b >= f)
                    && self.to.is_none_or(|e| a < e)
            }
            _ => !self.has_window(),
        }
    }
}

/// Why a filter cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError(String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

/// A filter ready to test messages: names resolved, pattern compiled.
struct Matcher<'a> {
    filter: &'a Filter,
    data: &'a Dataset,
    search: Option<Regex>,
    /// Whether each symbol's text matches the search, once looked at.
    seen: FxHashMap<Sym, bool>,
}

impl<'a> Matcher<'a> {
    fn new(
        data: &'a Dataset,
        filter: &'a Filter,
    ) -> Result<Matcher<'a>, FilterError> {
        let search = match filter.search.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => Some(
                RegexBuilder::new(p)
                    .case_insensitive(true)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        FilterError(format!("invalid search pattern: {e}"))
                    })?,
            ),
            _ => None,
        };
        Ok(Matcher { filter, data, search, seen: FxHashMap::default() })
    }

    fn text(&self, sym: Sym) -> &'a str {
        self.data.symbols.resolve(sym)
    }

    fn keeps(&mut self, m: &Message) -> bool {
        let f = self.filter;
        let time_ok = match m.time.get() {
            Some(t) => f.in_window(t),
            None => !f.has_window(),
        };
        time_ok
            && f.host.as_deref().is_none_or(|h| self.text(m.downstream) == h)
            && f.code.is_none_or(|c| m.code.get() == Some(c))
            && f.disposition
                .as_deref()
                .is_none_or(|d| self.text(m.disposition) == d)
            && f.sender_domain.as_deref().is_none_or(|d| {
                self.text(m.sender_domain).eq_ignore_ascii_case(d)
            })
            && f.min_size.is_none_or(|n| m.size.get().is_some_and(|s| s >= n))
            && f.max_size.is_none_or(|n| m.size.get().is_some_and(|s| s <= n))
            && self.searched(m)
    }

    fn searched(&mut self, m: &Message) -> bool {
        let Some(re) = &self.search else { return true };
        if m.code.get().is_some_and(|c| re.is_match(&c.to_string())) {
            return true;
        }
        let syms = [
            m.reply,
            m.reason,
            m.sender_domain,
            m.downstream,
            m.disposition,
            m.estatus,
        ];
        for sym in syms.into_iter().filter(|s| s.is_some()) {
            let text = self.data.symbols.resolve(sym);
            if *self.seen.entry(sym).or_insert_with(|| re.is_match(text)) {
                return true;
            }
        }
        false
    }
}

/// The indices of the messages a filter keeps, in dataset order.
///
/// # Errors
///
/// Fails when the search pattern is not a valid regular expression or
/// compiles too large.
pub fn matching(
    data: &Dataset,
    filter: &Filter,
) -> Result<Vec<usize>, FilterError> {
    let mut matcher = Matcher::new(data, filter)?;
    Ok(data
        .messages
        .iter()
        .enumerate()
        .filter(|(_, m)| matcher.keeps(m))
        .map(|(i, _)| i)
        .collect())
}

/// The part of a dataset a filter keeps, as a dataset of its own (see the
/// module documentation for what follows which criterion).
///
/// # Errors
///
/// As [`matching`].
pub fn filtered(
    data: &Dataset,
    filter: &Filter,
) -> Result<Dataset, FilterError> {
    let mut matcher = Matcher::new(data, filter)?;
    let positions = data.messages.iter().enumerate();
    let messages = data
        .messages
        .select(positions.filter(|(_, m)| matcher.keeps(m)).map(|(i, _)| i));
    let mut kept = |list: &[KeptMessage]| -> Vec<KeptMessage> {
        list.iter().filter(|k| matcher.keeps(&k.message)).cloned().collect()
    };
    let slowest =
        data.slowest.iter().map(|(step, list)| (*step, kept(list))).collect();
    let notable = kept(&data.notable);
    let error_minutes: BTreeMap<_, _> = data
        .error_minutes
        .iter()
        .filter(|(minute, _)| minute_meets(filter, **minute))
        .map(|(m, v)| (*m, v.clone()))
        .collect();
    let lines = line_spans(data, &messages);
    Ok(Dataset {
        zone: data.zone.clone(),
        zone_assumed: data.zone_assumed,
        files: data.files.clone(),
        counts: data.counts,
        events: events_in(data, filter, &error_minutes, &lines),
        connections: data.connections.select(
            data.connections
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    filter.meets_window(c.opened.get(), c.closed.get())
                })
                .map(|(i, _)| i),
        ),
        hosts: data
            .hosts
            .iter()
            .filter(|(sym, h)| {
                filter.meets_window(h.first, h.last)
                    && filter
                        .host
                        .as_deref()
                        .is_none_or(|name| data.symbols.resolve(*sym) == name)
            })
            .cloned()
            .collect(),
        messages,
        error_minutes,
        slowest,
        notable,
        symbols: data.symbols.clone(),
    })
}

/// Whether the minute starting at `minute` overlaps the window.
fn minute_meets(filter: &Filter, minute: Millis) -> bool {
    filter.meets_window(Some(minute), Some(minute + 59_999))
}

/// Per file, the first and last line of the kept messages: evidence
/// lines outside these spans belong to other times.
fn line_spans(
    data: &Dataset,
    messages: &Records<Message>,
) -> Vec<Option<(u64, u64)>> {
    let mut spans = vec![None; data.files.len()];
    for m in messages {
        let Some(span) = spans.get_mut(m.origin.file as usize) else {
            continue;
        };
        let line = m.origin.line;
        *span = Some(match *span {
            Some((a, b)) => (u64::min(a, line), u64::max(b, line)),
            None => (line, line),
        });
    }
    spans
}

/// The event tallies of a window: error events recounted from their
/// minutes, other events kept when their span meets the window.
fn events_in(
    data: &Dataset,
    filter: &Filter,
    minutes: &BTreeMap<Millis, Vec<(crate::event::EventCode, u32)>>,
    lines: &[Option<(u64, u64)>],
) -> Vec<EventTally> {
    if !filter.has_window() {
        return data.events.clone();
    }
    let mut out = Vec::new();
    for e in &data.events {
        let mut e = e.clone();
        if e.code.is_error() {
            let counted = minutes.iter().filter_map(|(minute, by_code)| {
                let n = by_code.iter().find(|(c, _)| *c == e.code)?.1;
                Some((*minute, n))
            });
            let (mut count, mut first, mut last) = (0, None, None);
            for (minute, n) in counted {
                count += u64::from(n);
                first = first.or(Some(minute));
                last = Some(minute + 59_999);
            }
            e.count = count;
            e.first = first.map(|t| t.max(e.first.unwrap_or(t)));
            e.last = last.map(|t| t.min(e.last.unwrap_or(t)));
        } else if !filter.meets_window(e.first, e.last) {
            continue;
        }
        if e.count == 0 {
            continue;
        }
        let inside = |s: &SampleLine| sample_inside(data, lines, s);
        e.first_samples.retain(inside);
        e.last_samples.retain(inside);
        out.push(e);
    }
    out
}

fn sample_inside(
    data: &Dataset,
    lines: &[Option<(u64, u64)>],
    s: &SampleLine,
) -> bool {
    let index = data.files.iter().position(|f| f.name == s.file);
    let span = index.and_then(|i| lines.get(i).copied().flatten());
    span.is_some_and(|(a, b)| (a..=b).contains(&s.line))
}

/// One message of a view's tables, with what the page needs to tell its
/// story: its index in the full dataset and where its line is.
#[derive(Clone, Debug, Serialize)]
pub struct ViewRow {
    /// Index in the full dataset's messages.
    pub index: usize,
    /// Byte offset of its line in its (decompressed) file.
    pub offset: u64,
    /// Index of its file, in the order given.
    pub file_index: u32,
    /// Its values.
    #[serde(flatten)]
    pub row: MessageRow,
}

/// Messages per SMTP reply code.
#[derive(Clone, Debug, Serialize)]
pub struct CodeCount {
    /// The code; `None` for messages without one.
    pub code: Option<u16>,
    /// Messages with it.
    pub messages: u64,
    /// Of which refused or failed.
    pub rejected: u64,
}

/// A filtered part of a dataset: the report, the chart data and the
/// tables the page shows for it.
#[derive(Clone, Debug, Serialize)]
pub struct View {
    /// Figures and findings of the part.
    pub report: Report,
    /// Its chart data.
    #[serde(rename = "chartData")]
    pub chart_data: ChartSeries,
    /// The slowest messages of each step and the largest, merged.
    pub slowest: Vec<ViewRow>,
    /// Messages per reply code, most frequent first.
    pub codes: Vec<CodeCount>,
    /// Messages in the part.
    pub messages: u64,
}

/// The report and the chart data (about `buckets` time buckets) of the
/// part of `data` that `filter` keeps.
///
/// # Errors
///
/// As [`matching`].
pub fn report_for(
    data: &Dataset,
    filter: &Filter,
    buckets: usize,
) -> Result<(Report, ChartSeries), FilterError> {
    let part = filtered(data, filter)?;
    let report = crate::report_from_dataset(&part);
    Ok((report, chart::series_from_dataset(&part, buckets)))
}

/// Everything the page shows for the part of `data` that `filter` keeps.
///
/// This makes the part's report and chart data afresh. For the whole
/// dataset, whose report the caller usually has already, [`Everything`]
/// gives the same view at a fraction of the cost.
///
/// # Errors
///
/// As [`matching`].
pub fn view_for(
    data: &Dataset,
    filter: &Filter,
    buckets: usize,
) -> Result<View, FilterError> {
    let (report, chart_data) = report_for(data, filter, buckets)?;
    let indices = matching(data, filter)?;
    let kept = indices.iter().map(|&i| (i, &data.messages[i]));
    Ok(View {
        report,
        chart_data,
        slowest: slowest_rows(data, kept.clone()),
        codes: codes_of(kept.map(|(_, m)| m)),
        messages: indices.len() as u64,
    })
}

/// The view of all of `data`, given its report and chart data: what
/// [`view_for`] gives for an empty filter, without selecting or listing
/// the messages first.
fn view_of_everything(
    data: &Dataset,
    report: Report,
    chart_data: ChartSeries,
) -> View {
    View {
        report,
        chart_data,
        slowest: slowest_rows(data, data.messages.iter().enumerate()),
        codes: codes_of(data.messages.iter()),
        messages: data.messages.len() as u64,
    }
}

/// The report, chart data and view of a whole dataset, each made at
/// most once and then kept.
///
/// The page asks for the view of everything as soon as an analysis
/// finishes, and again whenever its filters are cleared; for a million
/// messages, the chart data and the tables of that view take a pass
/// over every message each. An `Everything` belongs to the dataset its
/// report was made from, and must be asked only about that dataset.
#[derive(Clone, Debug)]
pub struct Everything {
    report: Report,
    /// The chart data, with the number of buckets asked for.
    chart: Option<(usize, ChartSeries)>,
    /// The view, with the number of buckets of its chart data.
    view: Option<(usize, View)>,
}

impl Everything {
    /// Starts from the report of a whole dataset
    /// ([`report_from_dataset`](crate::report_from_dataset)).
    pub fn new(report: Report) -> Everything {
        Everything { report, chart: None, view: None }
    }

    /// The chart data of `data` in about `buckets` time buckets, made
    /// the first time these buckets are asked for.
    pub fn chart(&mut self, data: &Dataset, buckets: usize) -> &ChartSeries {
        chart_of(&mut self.chart, data, buckets)
    }

    /// The view of all of `data`, chart data in about `buckets` time
    /// buckets: the same as [`view_for`] with an empty filter, made the
    /// first time these buckets are asked for.
    pub fn view(&mut self, data: &Dataset, buckets: usize) -> &View {
        if self.view.as_ref().is_some_and(|(b, _)| *b != buckets) {
            self.view = None;
        }
        let (_, view) = self.view.get_or_insert_with(|| {
            let chart = chart_of(&mut self.chart, data, buckets).clone();
            (buckets, view_of_everything(data, self.report.clone(), chart))
        });
        view
    }
}

/// The chart data kept in `slot` if it has `buckets` buckets, or else
/// chart data made anew and kept there.
fn chart_of<'a>(
    slot: &'a mut Option<(usize, ChartSeries)>,
    data: &Dataset,
    buckets: usize,
) -> &'a ChartSeries {
    if slot.as_ref().is_some_and(|(b, _)| *b != buckets) {
        *slot = None;
    }
    let (_, chart) = slot.get_or_insert_with(|| {
        (buckets, chart::series_from_dataset(data, buckets))
    });
    chart
}

/// What the slowest-messages table ranks a message by: each step, then
/// size.
fn rankings(m: &Message) -> [Option<f64>; 5] {
    [
        Step::Receive.of(m),
        Step::Detection.of(m),
        Step::Send.of(m),
        Step::Total.of(m),
        m.size.get().map(|s| s as f64),
    ]
}

/// The [`SLOWEST_ROWS`] slowest messages of each step and the largest
/// among `kept` (messages with their indices), without repeats, slowest
/// in total first.
fn slowest_rows<'a>(
    data: &Dataset,
    kept: impl Iterator<Item = (usize, &'a Message)>,
) -> Vec<ViewRow> {
    let mut tops = [(); 5].map(|_| Top::new(SLOWEST_ROWS));
    for (i, m) in kept {
        for (top, value) in tops.iter_mut().zip(rankings(m)) {
            if let Some(value) = value {
                top.offer((value, i));
            }
        }
    }
    let mut chosen: Vec<usize> = tops
        .into_iter()
        .flat_map(|top| top.into_ranked().into_iter().map(|(_, i)| i))
        .collect();
    chosen.sort_unstable();
    chosen.dedup();
    let total = |i: &usize| Step::Total.of(&data.messages[*i]).unwrap_or(-1.0);
    chosen.sort_by(|a, b| total(b).total_cmp(&total(a)));
    chosen.into_iter().map(|i| row_of(data, i)).collect()
}

/// The `n` largest values offered, with their message indices, kept in
/// room for `2 n` whatever the number offered.
struct Top {
    n: usize,
    kept: Vec<(f64, usize)>,
    /// The `n`th of the values kept, once `n` have been kept: a value
    /// that does not rank before it can never be among the `n` largest.
    floor: Option<(f64, usize)>,
}

impl Top {
    fn new(n: usize) -> Top {
        Top { n, kept: Vec::with_capacity(2 * n.max(1)), floor: None }
    }

    /// Largest first; equal values by index, the first first.
    fn order(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
        b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
    }

    fn offer(&mut self, value: (f64, usize)) {
        if let Some(floor) = &self.floor {
            if Top::order(&value, floor).is_ge() {
                return;
            }
        }
        self.kept.push(value);
        if self.kept.len() == 2 * self.n.max(1) {
            self.settle();
        }
    }

    /// Keeps the `n` largest of those offered so far.
    fn settle(&mut self) {
        self.kept.sort_by(Top::order);
        self.kept.truncate(self.n);
        if self.n > 0 && self.kept.len() == self.n {
            self.floor = self.kept.last().copied();
        }
    }

    /// The `n` largest, largest first.
    fn into_ranked(mut self) -> Vec<(f64, usize)> {
        self.settle();
        self.kept
    }
}

/// The table row of message `index`.
pub fn row_of(data: &Dataset, index: usize) -> ViewRow {
    let m = &data.messages[index];
    ViewRow {
        index,
        offset: m.origin.offset,
        file_index: m.origin.file,
        row: MessageRow::from_message(data, m),
    }
}

/// Messages and refused messages per reply code, most frequent first;
/// codes with as many messages in increasing order, no code first.
fn codes_of<'a>(kept: impl Iterator<Item = &'a Message>) -> Vec<CodeCount> {
    // Messages and refused ones by code + 1, 0 for no code: a slot for
    // every possible code (1 MiB) is counted several times faster than
    // a map, over a million messages.
    let mut tally = vec![(0u64, 0u64); usize::from(u16::MAX) + 2];
    for m in kept {
        let slot = &mut tally[m.code.get().map_or(0, |c| usize::from(c) + 1)];
        slot.0 += 1;
        slot.1 += u64::from(m.is_rejected());
    }
    let mut out: Vec<CodeCount> = tally
        .into_iter()
        .enumerate()
        .filter(|(_, (messages, _))| *messages > 0)
        .map(|(slot, (messages, rejected))| CodeCount {
            // At most u16::MAX once 1 is taken away.
            code: slot.checked_sub(1).map(|c| c as u16),
            messages,
            rejected,
        })
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.messages));
    out
}

/// The values the filters can pick from, most frequent first.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Facets {
    /// Downstream hosts.
    pub hosts: Vec<String>,
    /// Reply codes.
    pub codes: Vec<u16>,
    /// Dispositions.
    pub dispositions: Vec<String>,
    /// Sender domains (at most [`FACET_LIMIT`]).
    pub sender_domains: Vec<String>,
}

/// Values listed per facet.
pub const FACET_LIMIT: usize = 200;

/// The values present in a dataset, for filter controls.
pub fn facets_of(data: &Dataset) -> Facets {
    // Counted by handle in vectors, not in maps: a million messages
    // asked four maps each. A count saturates rather than wraps; only
    // the order of the counts is used.
    let symbols = data.symbols.len() + 1;
    let mut by_symbol = vec![[0u32; 3]; symbols];
    let mut codes = vec![0u32; usize::from(u16::MAX) + 1];
    for m in &data.messages {
        for (facet, sym) in [m.downstream, m.disposition, m.sender_domain]
            .into_iter()
            .enumerate()
        {
            let n = &mut by_symbol[sym.index()][facet];
            *n = n.saturating_add(1);
        }
        if let Some(c) = m.code.get() {
            let n = &mut codes[usize::from(c)];
            *n = n.saturating_add(1);
        }
    }
    // The absent value is counted above without a test, and dropped here.
    let names = |facet: usize| {
        let mut v: Vec<(&str, u32)> = data
            .symbols
            .handles()
            .filter(|s| s.is_some())
            .map(|s| (data.symbols.resolve(s), by_symbol[s.index()][facet]))
            .filter(|&(_, n)| n > 0)
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v.into_iter().take(FACET_LIMIT).map(|(s, _)| s.to_string()).collect()
    };
    let mut codes: Vec<(u16, u32)> =
        (0..=u16::MAX).zip(codes).filter(|&(_, n)| n > 0).collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Facets {
        hosts: names(0),
        codes: codes.into_iter().map(|(c, _)| c).collect(),
        dispositions: names(1),
        sender_domains: names(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze_bytes, Options};

    /// Five messages a minute apart; the fourth refused by another host.
    fn dataset() -> Dataset {
        let mut log = String::new();
        let forward = |min: u32, host: &str| {
            format!(
                "12/Jun/12:08:0{min}:00:000-0500 [INFO] (SMTP_CONNECTION.1203) \
                 Forward connection established (tid=1 cid=<> \
                 remote={host}:25)\n"
            )
        };
        for min in 0..5u32 {
            let host = if min == 3 { "mx2.test" } else { "mx1.test" };
            let (code, size) = if min == 3 { (550, 900) } else { (250, 100) };
            log += &forward(min, host);
            log += &format!(
                "12/Jun/12:08:0{min}:10:000-0500 [INFO] (SMTP_MESSAGE.1300) \
                 Message complete (tid=1 cid={c} size={size} \
                 sender=<a@Sender{min}.test> disposition={d} code={code} \
                 text=<{t}> rtime=1.0s dtime=0.5s mtime={mt}s)\n",
                c = 100 + min,
                d = if min == 2 { "BLOCK" } else { "PASS" },
                t = if min == 3 { "5.7.1 Relay denied" } else { "OK" },
                mt = 2 + min,
            );
        }
        log += "12/Jun/12:08:04:30:000-0500 [SEVERE] (SMTP_CONNECTION.5210) \
                All forward hosts unavailable (tid=27 cid=<> \
                reason=No available forward hosts)\n";
        analyze_bytes(&[("op0.log", log.as_bytes())], Options::default())
    }

    #[test]
    fn top_keeps_the_largest_as_a_full_sort_would() {
        // Many ties, more values than the room kept.
        let values: Vec<(f64, usize)> =
            (0..1000).map(|i| (((i * 7919) % 37) as f64, i)).collect();
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top = |values: &[(f64, usize)], n| {
            let mut top = Top::new(n);
            values.iter().for_each(|&v| top.offer(v));
            top.into_ranked()
        };
        for n in [0, 1, 5, 50, 2000] {
            let expected = &sorted[..n.min(sorted.len())];
            assert_eq!(top(&values, n), expected, "n = {n}");
            let mut reversed = values.clone();
            reversed.reverse();
            assert_eq!(top(&reversed, n), expected, "n = {n}, reversed");
        }
        assert_eq!(top(&[], 3), []);
    }

    fn count(data: &Dataset, filter: Filter) -> u64 {
        let (report, _) = report_for(data, &filter, 100).expect("valid");
        report.totals.messages_complete + report.totals.message_errors
    }

    fn minute(data: &Dataset, n: i64) -> Millis {
        data.messages[0].time.get().expect("timed") - 10_000 + n * 60_000
    }

    #[test]
    fn empty_filter_keeps_everything() {
        let data = dataset();
        let (report, chart) =
            report_for(&data, &Filter::default(), 100).expect("valid");
        let full = crate::report_from_dataset(&data);
        assert_eq!(report.totals.messages_complete, 5);
        assert_eq!(report.timings, full.timings);
        assert_eq!(chart, chart::series_from_dataset(&data, 100));
    }

    #[test]
    fn window_keeps_its_messages_and_errors() {
        let data = dataset();
        let window = |from, to| Filter {
            from: Some(minute(&data, from)),
            to: Some(minute(&data, to)),
            ..Filter::default()
        };
        assert_eq!(count(&data, window(1, 3)), 2);
        let (early, chart) = report_for(&data, &window(0, 2), 100).unwrap();
        assert!(early
            .findings
            .iter()
            .all(|f| f.id != "forward-hosts-unavailable"));
        assert_eq!(chart.buckets.iter().map(|b| b.messages).sum::<u32>(), 2);
        let (late, _) = report_for(&data, &window(4, 5), 100).unwrap();
        assert!(late
            .findings
            .iter()
            .any(|f| f.id == "forward-hosts-unavailable"));
    }

    #[test]
    fn each_criterion_narrows() {
        let data = dataset();
        let with = |f: fn(&mut Filter)| {
            let mut filter = Filter::default();
            f(&mut filter);
            count(&data, filter)
        };
        assert_eq!(with(|f| f.host = Some("mx2.test".into())), 1);
        let only =
            Filter { host: Some("mx2.test".into()), ..Filter::default() };
        let (report, _) = report_for(&data, &only, 100).unwrap();
        let hosts: Vec<&str> =
            report.downstream_hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(hosts, ["mx2.test"]);
        assert_eq!(with(|f| f.code = Some(550)), 1);
        assert_eq!(with(|f| f.disposition = Some("BLOCK".into())), 1);
        assert_eq!(with(|f| f.sender_domain = Some("SENDER1.test".into())), 1);
        assert_eq!(with(|f| f.min_size = Some(500)), 1);
        assert_eq!(with(|f| f.max_size = Some(500)), 4);
        assert_eq!(with(|f| f.search = Some("relay\\s+denied".into())), 1);
        assert_eq!(with(|f| f.search = Some("^55".into())), 1);
        assert_eq!(with(|f| f.search = Some("sender[0-2]".into())), 3);
    }

    #[test]
    fn bad_pattern_is_an_error() {
        let data = dataset();
        let filter = Filter { search: Some("(".into()), ..Filter::default() };
        let err = report_for(&data, &filter, 100).unwrap_err();
        assert!(err.to_string().starts_with("invalid search pattern"));
        let huge = Filter {
            search: Some("\\w{1000}{1000}".into()),
            ..Filter::default()
        };
        assert!(report_for(&data, &huge, 100).is_err());
    }

    #[test]
    fn view_lists_rows_codes_and_facets() {
        let data = dataset();
        let view = view_for(&data, &Filter::default(), 100).unwrap();
        assert_eq!(view.messages, 5);
        assert_eq!(view.slowest.len(), 5);
        assert_eq!(view.slowest[0].row.total, Some(6.0));
        assert_eq!(view.codes[0].code, Some(250));
        let facets = facets_of(&data);
        assert_eq!(facets.hosts, ["mx1.test", "mx2.test"]);
        assert_eq!(facets.codes, [250, 550]);
    }

    /// The page's several-file fixtures (two rotations of an operational
    /// log and a detector log) with a generated log in three rotations.
    fn several_files() -> Dataset {
        use crate::generate::{generate, GenFormat, Scenario};
        let mut scenario = Scenario::named(
            "mixed",
            5,
            GenFormat::Operational,
            crate::Zone::utc(),
            2_000,
        )
        .expect("a known scenario")
        .with_minutes(60);
        scenario.files = 3;
        let mut generated = vec![Vec::new(); 3];
        generate(&scenario, &mut |i, b| generated[i].extend_from_slice(b));
        // A fixture file as a named input.
        macro_rules! fixture {
            ($name:literal) => {
                (
                    $name,
                    &include_bytes!(concat!("../tests/fixtures/", $name))[..],
                )
            };
        }
        let inputs = [
            fixture!("SmtpPrevent_operational0.log"),
            fixture!("RequestProcessor0.log"),
            ("gen2.log", &generated[2]),
            fixture!("SmtpPrevent_operational1.log"),
            ("gen0.log", &generated[0]),
            ("gen1.log", &generated[1]),
        ];
        analyze_bytes(&inputs, Options::default())
    }

    #[test]
    fn the_view_of_everything_is_the_view_of_an_empty_filter() {
        let data = several_files();
        assert_eq!(data.files.len(), 6);
        let json = |v: &View| serde_json::to_string(v).unwrap();
        let mut everything = Everything::new(crate::report_from_dataset(&data));
        // Chart data first, as the page asks; then other buckets, and
        // the first ones again once the kept ones were replaced.
        for buckets in [300, 1, 300] {
            let general = view_for(&data, &Filter::default(), buckets).unwrap();
            assert_eq!(*everything.chart(&data, buckets), general.chart_data);
            let view = everything.view(&data, buckets);
            assert_eq!(view.messages, data.messages.len() as u64);
            assert!(view.slowest.len() > SLOWEST_ROWS);
            assert!(view.codes.len() > 1);
            assert_eq!(json(view), json(&general), "{buckets} buckets");
        }
    }
}
