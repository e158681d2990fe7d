//! Statistics over the messages of a [`Dataset`]: summaries per step,
//! a per-minute series for charts, and per-downstream-host figures.
//!
//! Percentiles use the nearest-rank method: the p-th percentile of n
//! sorted values is the value at rank ⌈p·n⌉, so every reported figure is a
//! value that occurred in the log.

use crate::analysis::{Dataset, Step};
use crate::message::Message;
use crate::parse::fields::Millis;
use crate::symbols::Sym;
use crate::timing::Artifact;
use serde::Serialize;

/// Count, mean and percentiles of one step's durations, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// How many values.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Summarizes values, leaving them reordered.
    pub fn from_values(values: &mut [f64]) -> Summary {
        let Some(max) = largest(values) else {
            return Summary::default();
        };
        let sum: f64 = values.iter().sum();
        let [p50, p90, p95, p99] =
            percentiles(values, [0.50, 0.90, 0.95, 0.99]);
        Summary {
            count: values.len() as u64,
            mean: round_millis(sum / values.len() as f64),
            p50,
            p90,
            p95,
            p99,
            max,
        }
    }
}

/// The largest value under `total_cmp`; `None` when there is none.
fn largest(values: &[f64]) -> Option<f64> {
    values.iter().copied().max_by(f64::total_cmp)
}

/// The nearest-rank percentile of sorted values; `p` in 0..=1.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[rank_index(sorted.len(), p)]
}

/// Where the nearest-rank `p` percentile of `n` values sits once sorted.
fn rank_index(n: usize, p: f64) -> usize {
    let rank = (p * n as f64).ceil() as usize;
    rank.clamp(1, n) - 1
}

/// The nearest-rank percentiles `ps` (ascending) of values in any order,
/// leaving them reordered; zeros when there are no values.
///
/// Each is found by selection rather than by sorting everything: for a
/// million send times, sorting was the costliest step of the report.
/// The median is selected first; everything after it is then no smaller,
/// so each higher rank is selected within the shrinking rest, which for
/// p90, p95 and p99 is half the values and less.
pub fn percentiles<const N: usize>(
    values: &mut [f64],
    ps: [f64; N],
) -> [f64; N] {
    debug_assert!(ps.windows(2).all(|w| w[0] <= w[1]), "{ps:?} not ascending");
    let mut out = [0.0; N];
    let n = values.len();
    if n == 0 {
        return out;
    }
    // `start` stays below `n`: each rank selected is at most `n - 1`.
    let mut start = 0;
    for (k, &p) in ps.iter().enumerate() {
        let i = rank_index(n, p).max(start) - start;
        let rest = &mut values[start..];
        let (_, nth, _) = rest.select_nth_unstable_by(i, f64::total_cmp);
        out[k] = *nth;
        start += i;
    }
    out
}

fn round_millis(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Summaries of the four steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Receive time (`rtime`).
    pub receive: Summary,
    /// Detection time (`dtime`).
    pub detection: Summary,
    /// Send time (`mtime − rtime − dtime`).
    pub send: Summary,
    /// Total time (`mtime`).
    pub total: Summary,
}

impl Timings {
    /// The summary of one step.
    pub fn of(&self, step: Step) -> &Summary {
        match step {
            Step::Receive => &self.receive,
            Step::Detection => &self.detection,
            Step::Send => &self.send,
            Step::Total => &self.total,
        }
    }
}

/// How many messages carried each kind of impossible timing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ArtifactCounts {
    /// rtime was an epoch value.
    pub epoch_receive: u64,
    /// mtime was negative.
    pub negative_total: u64,
    /// mtime was `<>`.
    pub missing_total: u64,
    /// mtime fell well short of rtime + dtime.
    pub negative_send: u64,
}

/// One minute of the log, for charts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Minute {
    /// Start of the minute, UTC milliseconds.
    pub start: Millis,
    /// Messages logged in it.
    pub messages: u32,
    /// Message errors and 4xx/5xx replies in it.
    pub rejected: u32,
    /// Error events in it (forward errors, FileReader loss, …).
    pub errors: u32,
    /// Forward errors and "all forward hosts unavailable" in it.
    pub forward_errors: u32,
    /// Median and maximum receive time.
    pub receive: [f64; 2],
    /// Median and maximum detection time.
    pub detection: [f64; 2],
    /// Median and maximum send time.
    pub send: [f64; 2],
}

/// Figures for one downstream host.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HostFigures {
    /// The host as logged.
    pub host: String,
    /// Messages sent through it.
    pub messages: u64,
    /// Of which refused by it.
    pub rejected: u64,
    /// Forward connections opened to it.
    pub forward_connections: u64,
    /// Forward connection errors naming it.
    pub forward_errors: u64,
    /// Its send times.
    pub send: Summary,
}

/// Everything computed from a dataset's messages.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Per-step summaries over trusted timings.
    pub timings: Timings,
    /// Impossible timings, by kind.
    pub artifacts: ArtifactCounts,
    /// `1300 Message complete` records.
    pub messages_complete: u64,
    /// `Error while processing message` records.
    pub message_errors: u64,
    /// Messages with a 4xx/5xx reply or a message error.
    pub rejected: u64,
    /// The per-minute series, from the first to the last minute with any
    /// message or error event; minutes without any are present with zeros.
    pub minutes: Vec<Minute>,
    /// Per downstream host, busiest first.
    pub downstream: Vec<HostFigures>,
}

/// A series longer than this many minutes (about two months) is cut to its
/// last minutes: it only feeds charts, and a wild timestamp must not make
/// it allocate without bound.
pub const MAX_SERIES_MINUTES: i64 = 60 * 24 * 62;

/// Computes the statistics of a dataset.
pub fn summarize(data: &Dataset) -> Stats {
    let mut stats = Stats::default();
    // Every step's values and the counts in one pass: the work per record
    // is small beside the cost of walking a million of them.
    let mut values = StepValues::with_capacity(data.messages.len());
    for m in &data.messages {
        values.add(m);
        match m.outcome {
            crate::message::Outcome::Complete => stats.messages_complete += 1,
            crate::message::Outcome::Error => stats.message_errors += 1,
        }
        stats.rejected += u64::from(m.is_rejected());
        match m.timing.artifact {
            Some(Artifact::EpochReceive) => stats.artifacts.epoch_receive += 1,
            Some(Artifact::NegativeTotal) => {
                stats.artifacts.negative_total += 1
            }
            Some(Artifact::MissingTotal) => stats.artifacts.missing_total += 1,
            Some(Artifact::NegativeSend) => stats.artifacts.negative_send += 1,
            None => {}
        }
    }
    stats.timings = values.summaries();
    stats.minutes = minutes_of(data);
    stats.downstream = downstream_of(data);
    stats
}

/// The values of each step over some messages, gathered in one pass.
struct StepValues([Vec<f64>; 4]);

impl StepValues {
    /// Room for the values of `n` messages in each buffer, reserved once:
    /// a step most messages lack leaves its room's pages untouched.
    fn with_capacity(n: usize) -> StepValues {
        StepValues(std::array::from_fn(|_| Vec::with_capacity(n)))
    }

    fn add(&mut self, m: &Message) {
        for (step, values) in Step::ALL.into_iter().zip(&mut self.0) {
            values.extend(step.of(m));
        }
    }

    fn summaries(self) -> Timings {
        let [mut receive, mut detection, mut send, mut total] = self.0;
        Timings {
            receive: Summary::from_values(&mut receive),
            detection: Summary::from_values(&mut detection),
            send: Summary::from_values(&mut send),
            total: Summary::from_values(&mut total),
        }
    }
}

/// The messages of one run of a slot that [`step_values_by_slot`] passes
/// on: how many, and how many of them were rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunCounts {
    /// Messages in the run.
    pub messages: u32,
    /// Of them, those the next hop refused.
    pub rejected: u32,
}

/// Calls `each` once per run of consecutive messages in the same slot,
/// with the slot, the values of `steps` in it (each buffer in message
/// order) and the run's counts. Messages without a slot are passed over.
///
/// Slots must come in runs: time buckets of messages in time order, as
/// a [`Dataset`] holds them, do. The buffers are reused from run to run,
/// so they never hold more than one run's values. One pass gives both
/// the values and the counts: each pass over a million records costs
/// about as much as the work done in it.
pub fn step_values_by_slot<'a, const N: usize>(
    messages: impl IntoIterator<Item = &'a Message>,
    steps: [Step; N],
    slot: impl Fn(&Message) -> Option<usize>,
    mut each: impl FnMut(usize, &mut [Vec<f64>; N], RunCounts),
) {
    let mut values: [Vec<f64>; N] = std::array::from_fn(|_| Vec::new());
    let mut counts = RunCounts::default();
    let mut current = None;
    for m in messages {
        let Some(i) = slot(m) else { continue };
        if let Some(done) = current.filter(|&c| c != i) {
            each(done, &mut values, counts);
            values.iter_mut().for_each(Vec::clear);
            counts = RunCounts::default();
        }
        current = Some(i);
        counts.messages += 1;
        counts.rejected += u32::from(m.is_rejected());
        for (k, step) in steps.iter().enumerate() {
            if let Some(v) = step.of(m) {
                values[k].push(v);
            }
        }
    }
    if let Some(i) = current {
        each(i, &mut values, counts);
    }
}

/// The first and last time of any message or error event.
///
/// Read from the ends: the messages of a dataset are in time order with
/// those without a time last, and the error minutes are sorted keys, so
/// a million messages need not be walked for it.
pub fn time_range(data: &Dataset) -> Option<(Millis, Millis)> {
    debug_assert!(data
        .messages
        .iter()
        .is_sorted_by_key(|m| (m.time.get().is_none(), m.time.get())));
    let first_message = data.messages.first().and_then(|m| m.time.get());
    let last_message = data.messages.iter().rev().find_map(|m| m.time.get());
    let minutes = &data.error_minutes;
    let first_minute = minutes.first_key_value().map(|(&t, _)| t);
    let last_minute = minutes.last_key_value().map(|(&t, _)| t);
    let lo = [first_message, first_minute].into_iter().flatten().min()?;
    let hi = [last_message, last_minute].into_iter().flatten().max()?;
    Some((lo, hi))
}

fn minute_of(t: Millis) -> Millis {
    t.div_euclid(60_000) * 60_000
}

fn minutes_of(data: &Dataset) -> Vec<Minute> {
    let Some((first, last)) = time_range(data) else {
        return Vec::new();
    };
    let last = minute_of(last);
    let first = minute_of(first).max(last - (MAX_SERIES_MINUTES - 1) * 60_000);
    let n = ((last - first) / 60_000 + 1) as usize;
    let mut minutes: Vec<Minute> = (0..n)
        .map(|i| Minute {
            start: first + i as i64 * 60_000,
            ..Minute::default()
        })
        .collect();
    let slot = |m: &Message| index_of(first, n, m.time.get()?);
    let steps = [Step::Receive, Step::Detection, Step::Send];
    step_values_by_slot(&data.messages, steps, slot, |i, [r, d, s], run| {
        minutes[i].messages += run.messages;
        minutes[i].rejected += run.rejected;
        minutes[i].receive = median_and_max(r);
        minutes[i].detection = median_and_max(d);
        minutes[i].send = median_and_max(s);
    });
    for (minute, by_code) in &data.error_minutes {
        let Some(i) = index_of(first, n, *minute) else { continue };
        for (code, count) in by_code {
            minutes[i].errors += count;
            if matches!(
                code,
                crate::event::EventCode::ForwardError
                    | crate::event::EventCode::AllForwardHostsUnavailable
            ) {
                minutes[i].forward_errors += count;
            }
        }
    }
    minutes
}

fn index_of(first: Millis, n: usize, t: Millis) -> Option<usize> {
    let i = (minute_of(t) - first).div_euclid(60_000);
    (0..n as i64).contains(&i).then_some(i as usize)
}

fn median_and_max(values: &mut [f64]) -> [f64; 2] {
    if values.is_empty() {
        return [0.0, 0.0];
    }
    let max = largest(values).unwrap_or_default();
    [percentiles(values, [0.5])[0], max]
}

fn downstream_of(data: &Dataset) -> Vec<HostFigures> {
    // Per host: its figures and its send times, in one walk. The send
    // times' buffers grow as they fill; the step buffers of the summary,
    // freed by now, leave them room.
    let mut by_host = ByHost::new(data);
    for m in &data.messages {
        if m.downstream.is_none() {
            continue;
        }
        let (figures, sends) = by_host.entry(m.downstream);
        figures.messages += 1;
        figures.rejected += u64::from(m.is_rejected());
        sends.extend(Step::Send.of(m));
    }
    for (host, tally) in &data.hosts {
        if tally.forward_established + tally.forward_errors == 0 {
            continue;
        }
        let entry = by_host.entry(*host);
        entry.0.forward_connections = tally.forward_established;
        entry.0.forward_errors = tally.forward_errors;
    }
    let mut out: Vec<HostFigures> = by_host
        .entries
        .into_iter()
        .map(|(host, (mut figures, mut sends))| {
            figures.host = data.symbols.resolve(host).to_string();
            figures.send = Summary::from_values(&mut sends);
            figures
        })
        .collect();
    out.sort_by(|a, b| {
        (b.messages + b.forward_errors)
            .cmp(&(a.messages + a.forward_errors))
            .then_with(|| a.host.cmp(&b.host))
    });
    out
}

/// A host's figures and its send times.
type HostEntry = (HostFigures, Vec<f64>);

/// Each host's figures and send times, found through the place of its
/// symbol in a vector rather than in a map: the per-host figures look up
/// a host for each of a million messages.
struct ByHost {
    /// For each symbol, its place in `entries`, or `usize::MAX`.
    slot_of: Vec<usize>,
    entries: Vec<(Sym, HostEntry)>,
}

impl ByHost {
    fn new(data: &Dataset) -> ByHost {
        let slot_of = vec![usize::MAX; data.symbols.len() + 1];
        ByHost { slot_of, entries: Vec::new() }
    }

    /// The entry of `host`, made empty on first sight.
    fn entry(&mut self, host: Sym) -> &mut HostEntry {
        let slot = &mut self.slot_of[host.index()];
        if *slot == usize::MAX {
            *slot = self.entries.len();
            self.entries.push((host, Default::default()));
        }
        &mut self.entries[*slot].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Summary::from_values(&mut v);
        assert_eq!(
            (s.p50, s.p90, s.p95, s.p99, s.max),
            (50.0, 90.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(s.mean, 50.5);
        let mut one = vec![7.0];
        let s = Summary::from_values(&mut one);
        assert_eq!((s.count, s.p50, s.p99), (1, 7.0, 7.0));
    }

    #[test]
    fn selected_percentiles_match_sorted_ones() {
        let mut rng = fastrand::Rng::with_seed(7);
        let sizes = [1, 2, 3, 10, 99, 100, 101, 1_000, 4_097, 20_000, 70_001];
        for (n, spread) in
            sizes.into_iter().flat_map(|n| [(n, false), (n, true)])
        {
            // Few distinct values, so ties straddle every rank; signed
            // zeros and a NaN, which `total_cmp` orders like any value.
            // Or values spread over seven orders of magnitude, some
            // negative.
            let pool = [-0.0, 0.0, 0.25, 1.0, 1.5, 2.0, 60.0, f64::NAN];
            let mut values: Vec<f64> = (0..n)
                .map(|_| match spread {
                    false => pool[rng.usize(..pool.len())],
                    true => (rng.f64() - 0.1) * 10f64.powi(rng.i32(-3..4)),
                })
                .collect();
            values.push(rng.f64() * 100.0);
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let s = Summary::from_values(&mut values);
            let want = [0.50, 0.90, 0.95, 0.99].map(|p| percentile(&sorted, p));
            let got = [s.p50, s.p90, s.p95, s.p99];
            let bits = |v: [f64; 4]| v.map(f64::to_bits);
            assert_eq!(bits(got), bits(want), "n={n}, spread: {spread}");
            assert_eq!(s.max.to_bits(), sorted[sorted.len() - 1].to_bits());
        }
    }

    /// Messages at the given minutes past 08:00 with the given rtime.
    fn messages_at(minutes_and_rtimes: &[(u32, f64)]) -> Dataset {
        let log: String = minutes_and_rtimes
            .iter()
            .map(|(min, r)| {
                format!(
                    "12/Jun/12:08:{min:02}:10:000-0500 [INFO] \
                     (SMTP_MESSAGE.1300) Message complete (tid=1 cid=5 \
                     code=250 rtime={r}s dtime=0.5s mtime=60s)\n"
                )
            })
            .collect();
        let input = [("op0.log", log.as_bytes())];
        crate::analysis::analyze_bytes(&input, Default::default())
    }

    #[test]
    fn step_values_come_one_run_of_slots_at_a_time() {
        let data = messages_at(&[(0, 3.0), (0, 1.0), (2, 5.0), (3, 2.0)]);
        let mut runs = Vec::new();
        let slot = |m: &Message| m.time.get().map(|t| minute_of(t) as usize);
        step_values_by_slot(
            &data.messages,
            [Step::Receive],
            slot,
            |i, v, n| {
                runs.push((i, v[0].clone(), n.messages));
            },
        );
        let values: Vec<_> = runs.iter().map(|(_, v, _)| v.clone()).collect();
        assert_eq!(values, [vec![3.0, 1.0], vec![5.0], vec![2.0]]);
        let counts: Vec<_> = runs.iter().map(|r| r.2).collect();
        assert_eq!(counts, [2, 1, 1]);
        assert!(runs.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn minutes_take_their_own_medians() {
        let data = messages_at(&[(0, 3.0), (0, 1.0), (0, 2.0), (2, 5.0)]);
        let minutes = summarize(&data).minutes;
        let receive: Vec<_> = minutes.iter().map(|m| m.receive).collect();
        assert_eq!(receive, [[2.0, 3.0], [0.0, 0.0], [5.0, 5.0]]);
        assert_eq!(minutes.iter().map(|m| m.messages).sum::<u32>(), 4);
    }

    #[test]
    fn the_time_range_spans_messages_and_error_minutes() {
        let at = |min: u32| 1_339_506_000_000 + i64::from(min) * 60_000;
        let data = messages_at(&[(3, 1.0), (5, 1.0)]);
        let (first, last) = time_range(&data).unwrap();
        assert_eq!((first, last), (at(3) + 10_000, at(5) + 10_000));

        // Errors a minute before the first message and after the last,
        // and a message without a time, which sorts last.
        let error = |min: u32| {
            format!(
                "12/Jun/12:08:{min:02}:40:000-0500 [SEVERE] \
                 (SMTP_CONNECTION.5203) Forward connection error \
                 (tid=2 cid=6 mta=[mx] reason=null)\n"
            )
        };
        let log = [
            error(2),
            "12/Jun/12:08:03:10:000-0500 [INFO] (SMTP_MESSAGE.1300) \
             Message complete (tid=1 cid=5 code=250 rtime=1s dtime=1s \
             mtime=3s)\n"
                .to_string(),
            error(9),
            "[INFO] (SMTP_MESSAGE.1300) Message complete (tid=1 cid=5 \
             code=250 rtime=1s dtime=1s mtime=3s)\n"
                .to_string(),
        ]
        .concat();
        let input = [("op0.log", log.as_bytes())];
        let data = crate::analysis::analyze_bytes(&input, Default::default());
        assert_eq!(data.messages.len(), 2);
        assert_eq!(time_range(&data), Some((at(2), at(9))));
    }

    #[test]
    fn empty_summary_is_zero() {
        assert_eq!(Summary::from_values(&mut []), Summary::default());
    }
}
