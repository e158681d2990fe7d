//! Charts as SVG text: timings over time, forward-host errors over time,
//! and the distribution of each step.
//!
//! A chart is drawn in two stages. [`series_from_dataset`] aggregates the
//! messages of a [`Dataset`] to a fixed number of time *buckets* (about one
//! per pair of pixels of the plot), so hundreds of thousands of messages
//! become a few hundred points; the result, [`ChartSeries`], is plain data
//! that can cross a worker boundary as JSON. The `render_*` functions then
//! draw that data with plotters' SVG backend into a `String`. No text from
//! a log reaches a chart: labels are numbers, times, the zone's name and
//! fixed words (and plotters escapes `<`, `&` and quotes in any text).
//!
//! Durations are drawn on a base-10 logarithmic axis: receive, detection
//! and send times span from hundredths of a second to minutes, and a
//! linear axis would flatten everything but the worst message.

use crate::analysis::{Dataset, Step};
use crate::event::EventCode;
use crate::message::Message;
use crate::parse::fields::Millis;
use crate::stats::{percentiles, step_values_by_slot, time_range};
use crate::zone::Zone;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The smallest duration drawn, in seconds: NPE logs times to the
/// hundredth of a second, so zero and anything below are drawn here.
pub const FLOOR_SECONDS: f64 = 0.01;

/// The left edge of the distribution histograms, `log10(FLOOR_SECONDS)`.
pub const HISTOGRAM_LOW_LOG10: f64 = -2.0;

/// The width of one histogram bin on the `log10(seconds)` axis: ten bins
/// per decade separate 1.0 s from 1.3 s while keeping bins well filled.
pub const HISTOGRAM_BIN_LOG10: f64 = 0.1;

/// Histogram bins: seven decades, from 0.01 s up to 100,000 s (a day);
/// longer values fall in the last bin.
pub const HISTOGRAM_BINS: usize = 70;

/// The shortest bucket: error events are counted per minute, so a finer
/// time grid could not place them.
const MIN_BUCKET_MS: i64 = 60_000;

/// Bucket widths a time axis reads well with, in minutes; past the last
/// one, whole days.
const NICE_BUCKET_MINUTES: [i64; 11] =
    [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720];

/// Applies the shared axis and grid look to a mesh.
macro_rules! style_mesh {
    ($mesh:expr) => {
        $mesh
            .axis_style(INK)
            .bold_line_style(INK.mix(0.25))
            .light_line_style(INK.mix(0.08))
            .label_style(small_font())
            .axis_desc_style(small_font())
    };
}

/// The spread of one step's durations within a bucket, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Shortest.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Longest.
    pub max: f64,
}

/// One stretch of time on the chart's time axis.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Messages logged in it.
    pub messages: u32,
    /// Messages refused downstream or failed in it.
    pub rejected: u32,
    /// Forward connection errors and "all forward hosts unavailable"
    /// events in it.
    pub forward_errors: u32,
    /// Receive times (`rtime`), if any message had a trusted one.
    pub receive: Option<Spread>,
    /// Detection times (`dtime`).
    pub detection: Option<Spread>,
    /// Send times (`mtime − rtime − dtime`).
    pub send: Option<Spread>,
}

/// How one step's durations are distributed, on a log-seconds axis.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// `receive`, `detection` or `send`.
    pub step: String,
    /// Values counted.
    pub count: u64,
    /// Left edge of the first bin, `log10(seconds)`.
    pub low_log10: f64,
    /// Width of each bin, in `log10(seconds)`.
    pub bin_log10: f64,
    /// Values per bin; the first bin also holds everything below it, the
    /// last everything above.
    pub counts: Vec<u32>,
}

/// Everything the charts draw, aggregated to the pixel grid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    /// The zone times are shown in (a name [`Zone::parse`] reads).
    pub zone: String,
    /// Start of the first bucket, UTC milliseconds.
    pub start: Millis,
    /// Width of every bucket, milliseconds.
    pub bucket_ms: i64,
    /// The buckets, consecutive from `start`.
    pub buckets: Vec<Bucket>,
    /// Messages without a time of their own: in the histograms, not on
    /// the time axis.
    pub untimed_messages: u64,
    /// One histogram per step: receive, detection, send.
    pub histograms: Vec<Histogram>,
}

/// The steps drawn, in pipeline order, with their colours.
const STEPS: [(Step, RGBColor); 3] = [
    (Step::Receive, RGBColor(0x1f, 0x6f, 0xb4)),
    (Step::Detection, RGBColor(0xd9, 0x6b, 0x00)),
    (Step::Send, RGBColor(0x2a, 0x9d, 0x3f)),
];

/// Axis, grid and text colour: a mid grey readable on light and dark
/// backgrounds (the page restyles text for its theme).
const INK: RGBColor = RGBColor(0x6b, 0x6b, 0x6b);

/// The timing chart's title in reports.
pub const TIMING_TITLE: &str = "Time per message: receive, detection, send";

/// The error chart's title in reports.
pub const ERRORS_TITLE: &str = "Forward-host errors and refused messages";

/// The distribution chart's title in reports.
pub const DISTRIBUTION_TITLE: &str = "How long each step takes";

/// Pixels left of every plot, for the duration or count labels.
pub const PLOT_LEFT_PX: u32 = 64;

/// Pixels right of every plot.
pub const PLOT_RIGHT_PX: u32 = 16;

/// The pixel columns a chart `width` pixels wide plots its time axis on:
/// the page maps pointer positions to times with them.
pub fn plot_x_range(width: u32) -> (u32, u32) {
    (PLOT_LEFT_PX, width.saturating_sub(PLOT_RIGHT_PX).max(PLOT_LEFT_PX + 1))
}

/// Forward-error bars.
const ERROR_RED: RGBColor = RGBColor(0xc6, 0x28, 0x28);

/// Aggregates a dataset's messages and error events into about `buckets`
/// time buckets and three histograms.
///
/// Bucket widths are rounded up to a readable size (1, 2, 5, 10, 15, 30
/// minutes, …, whole days), so fewer buckets than asked may come back.
/// With nothing timed, `buckets` is empty.
pub fn series_from_dataset(data: &Dataset, buckets: usize) -> ChartSeries {
    let (histograms, untimed_messages) = histograms_of(data);
    let mut series = ChartSeries {
        zone: data.zone.name().to_string(),
        histograms,
        untimed_messages,
        ..ChartSeries::default()
    };
    let Some((first, last)) = time_range(data) else { return series };
    let bucket_ms = bucket_width(last - first, buckets.max(1));
    let start = first.div_euclid(bucket_ms) * bucket_ms;
    let n = ((last - start) / bucket_ms + 1) as usize;
    let mut out = vec![Bucket::default(); n];
    let slot =
        |m: &Message| Some(((m.time.get()? - start) / bucket_ms) as usize);
    let steps = STEPS.map(|(step, _)| step);
    step_values_by_slot(&data.messages, steps, slot, |i, [r, d, s], run| {
        out[i].messages += run.messages;
        out[i].rejected += run.rejected;
        out[i].receive = spread_of(r);
        out[i].detection = spread_of(d);
        out[i].send = spread_of(s);
    });
    for (minute, by_code) in &data.error_minutes {
        let i = ((minute - start) / bucket_ms) as usize;
        for (code, count) in by_code {
            if is_forward_error(*code) {
                out[i].forward_errors += count;
            }
        }
    }
    series.start = start;
    series.bucket_ms = bucket_ms;
    series.buckets = out;
    series
}

fn is_forward_error(code: EventCode) -> bool {
    matches!(
        code,
        EventCode::ForwardError | EventCode::AllForwardHostsUnavailable
    )
}

/// The narrowest readable bucket width that covers `span` in `buckets`.
fn bucket_width(span: Millis, buckets: usize) -> i64 {
    let wanted = span / buckets as i64 + 1;
    for minutes in NICE_BUCKET_MINUTES {
        if minutes * MIN_BUCKET_MS >= wanted {
            return minutes * MIN_BUCKET_MS;
        }
    }
    let day = 24 * 60 * MIN_BUCKET_MS;
    (wanted + day - 1) / day * day
}

fn spread_of(values: &mut [f64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    // Rank 0 and rank 1 are the smallest and the largest value.
    let [min, p50, p95, max] = percentiles(values, [0.0, 0.50, 0.95, 1.0]);
    Some(Spread { min, p50, p95, max })
}

/// The histogram of each step, and how many messages have no time: both
/// in one pass over the records.
fn histograms_of(data: &Dataset) -> (Vec<Histogram>, u64) {
    let mut out: Vec<Histogram> = STEPS
        .iter()
        .map(|(step, _)| Histogram {
            step: step.as_str().to_string(),
            count: 0,
            low_log10: HISTOGRAM_LOW_LOG10,
            bin_log10: HISTOGRAM_BIN_LOG10,
            counts: vec![0; HISTOGRAM_BINS],
        })
        .collect();
    let mut bins = BinCache::new();
    let mut untimed = 0;
    for m in &data.messages {
        untimed += u64::from(m.time.get().is_none());
        for ((step, _), h) in STEPS.iter().zip(&mut out) {
            if let Some(v) = step.of(m) {
                h.counts[bins.bin(v)] += 1;
                h.count += 1;
            }
        }
    }
    (out, untimed)
}

/// The [`histogram_bin`] of recent values. Logged times have three
/// decimals at most, so a few thousand values make up most of a log,
/// and a logarithm, which WebAssembly computes in software, costs many
/// times a look in this table.
struct BinCache {
    /// Each slot's value, as bits; NaN's bits, which no step value has,
    /// when empty.
    values: Vec<u64>,
    bins: Vec<u8>,
}

impl BinCache {
    const SLOTS_LOG2: u32 = 12;
    const BINS_FIT: () = assert!(HISTOGRAM_BINS <= 256, "a bin is a u8");

    fn new() -> BinCache {
        let () = Self::BINS_FIT;
        let slots = 1 << Self::SLOTS_LOG2;
        BinCache {
            values: vec![f64::NAN.to_bits(); slots],
            bins: vec![0; slots],
        }
    }

    fn bin(&mut self, seconds: f64) -> usize {
        let bits = seconds.to_bits();
        let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> (64 - Self::SLOTS_LOG2)) as usize;
        if self.values[slot] != bits {
            self.values[slot] = bits;
            self.bins[slot] = histogram_bin(seconds) as u8;
        }
        usize::from(self.bins[slot])
    }
}

fn histogram_bin(seconds: f64) -> usize {
    let x = (seconds.max(FLOOR_SECONDS).log10() - HISTOGRAM_LOW_LOG10)
        / HISTOGRAM_BIN_LOG10;
    // A tiny epsilon keeps exact decades (1.0 s) in the bin they start.
    ((x + 1e-9).floor().max(0.0) as usize).min(HISTOGRAM_BINS - 1)
}

/// A chart could not be drawn.
#[derive(Debug)]
pub struct ChartError(String);

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>>
    for ChartError
{
    fn from(e: DrawingAreaErrorKind<E>) -> ChartError {
        ChartError(e.to_string())
    }
}

/// The result of drawing.
type Drawn = Result<(), ChartError>;

/// Draws receive, detection and send time per time bucket: three panels
/// sharing the time axis, each with the min–max range as a band and the
/// median and 95th percentile as lines.
///
/// # Errors
///
/// Fails only if plotters reports a drawing error.
pub fn render_timing_chart(
    series: &ChartSeries,
    width: u32,
    height: u32,
) -> Result<String, ChartError> {
    svg_of(width, height, |root| {
        let zone = zone_of(series);
        let title = format!(
            "Time per message: receive, detection, send ({})",
            zone.name()
        );
        let root = root.titled(&title, title_font())?;
        let panels = root.split_evenly((3, 1));
        let ceiling = decade_ceiling(series);
        for (k, (panel, (step, color))) in panels.iter().zip(STEPS).enumerate()
        {
            let last = k == STEPS.len() - 1;
            timing_panel(panel, series, &zone, step, color, ceiling, last)?;
        }
        Ok(())
    })
}

fn timing_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    series: &ChartSeries,
    zone: &Zone,
    step: Step,
    color: RGBColor,
    ceiling: f64,
    with_time_labels: bool,
) -> Drawn {
    let (x0, x1) = time_bounds(series);
    let floor = FLOOR_SECONDS.log10();
    let mut chart = ChartBuilder::on(area)
        .margin_right(PLOT_RIGHT_PX)
        .x_label_area_size(if with_time_labels { 34 } else { 6 })
        .y_label_area_size(PLOT_LEFT_PX)
        .caption(step_title(step), small_font())
        .build_cartesian_2d(x0..x1, floor..ceiling)?;
    let format_x = |x: &f64| time_label(zone, series, *x);
    let format_y = |y: &f64| seconds_label(10f64.powf(*y));
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(if with_time_labels { 8 } else { 0 })
        .x_label_formatter(&format_x)
        .y_labels((ceiling - floor) as usize + 1)
        .y_label_formatter(&format_y)
        .y_desc("seconds (log)");
    style_mesh!(mesh).draw()?;
    let width = bucket_minutes(series);
    let band = buckets_of(series, step).map(|(x, s)| {
        let y0 = log_seconds(s.min);
        let y1 = log_seconds(s.max).max(y0 + 0.02);
        let corners = [(x, y0), (x + width, y1)];
        Rectangle::new(corners, color.mix(0.2).filled())
    });
    chart.draw_series(band)?.label("min–max").legend(move |(x, y)| {
        Rectangle::new([(x, y - 4), (x + 16, y + 4)], color.mix(0.2).filled())
    });
    let p95 = runs_of(series, step, |s| s.p95);
    let p95_style = color.mix(0.6).stroke_width(1);
    chart
        .draw_series(
            p95.into_iter().map(|run| PathElement::new(run, p95_style)),
        )?
        .label("95th percentile")
        .legend(move |(x, y)| {
            PathElement::new([(x, y), (x + 16, y)], p95_style)
        });
    let p50 = runs_of(series, step, |s| s.p50);
    let lone = p50.iter().filter(|run| run.len() == 1).map(|run| run[0]);
    chart.draw_series(lone.map(|p| Circle::new(p, 3, color.filled())))?;
    chart
        .draw_series(
            p50.into_iter()
                .map(|run| PathElement::new(run, color.stroke_width(2))),
        )?
        .label("median")
        .legend(move |(x, y)| {
            PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
        });
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(small_font())
        .border_style(INK.mix(0.4))
        .background_style(WHITE.mix(0.0))
        .draw()?;
    Ok(())
}

/// Draws forward-host errors (5203, 5210) and refused messages per time
/// bucket, on the same time axis as [`render_timing_chart`].
///
/// # Errors
///
/// Fails only if plotters reports a drawing error.
pub fn render_error_chart(
    series: &ChartSeries,
    width: u32,
    height: u32,
) -> Result<String, ChartError> {
    svg_of(width, height, |root| {
        let zone = zone_of(series);
        let title = format!(
            "Forward-host errors and refused messages ({})",
            zone.name()
        );
        let root = root.titled(&title, title_font())?;
        let (x0, x1) = time_bounds(series);
        let top = series
            .buckets
            .iter()
            .map(|b| b.forward_errors.max(b.rejected))
            .max()
            .unwrap_or(0)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin_right(PLOT_RIGHT_PX)
            .x_label_area_size(34)
            .y_label_area_size(PLOT_LEFT_PX)
            .build_cartesian_2d(x0..x1, 0u32..top + top / 10 + 1)?;
        let format_x = |x: &f64| time_label(&zone, series, *x);
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(8)
            .x_label_formatter(&format_x)
            .y_desc(format!("per {}", bucket_label(series.bucket_ms)));
        style_mesh!(mesh).draw()?;
        let width = bucket_minutes(series);
        let bars = series.buckets.iter().enumerate().filter_map(|(i, b)| {
            let x = bucket_x(series, i);
            (b.forward_errors > 0).then(|| {
                Rectangle::new(
                    [(x, 0), (x + width, b.forward_errors)],
                    ERROR_RED.filled(),
                )
            })
        });
        chart
            .draw_series(bars)?
            .label("forward-host errors (5203, 5210)")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 4), (x + 16, y + 4)],
                    ERROR_RED.filled(),
                )
            });
        let refused = series
            .buckets
            .iter()
            .enumerate()
            .map(|(i, b)| (bucket_x(series, i) + width / 2.0, b.rejected));
        let violet = RGBColor(0x6a, 0x3d, 0x9a);
        chart
            .draw_series(LineSeries::new(refused, violet.stroke_width(2)))?
            .label("refused or failed messages")
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], violet.stroke_width(2))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(small_font())
            .border_style(INK.mix(0.4))
            .background_style(WHITE.mix(0.0))
            .draw()?;
        Ok(())
    })
}

/// Draws how receive, detection and send times are distributed: the
/// share of messages per bin on a log-seconds axis, one line per step.
///
/// # Errors
///
/// Fails only if plotters reports a drawing error.
pub fn render_distribution_chart(
    series: &ChartSeries,
    width: u32,
    height: u32,
) -> Result<String, ChartError> {
    svg_of(width, height, |root| {
        let root = root.titled("How long each step takes", title_font())?;
        let shares: Vec<Vec<(f64, f64)>> =
            series.histograms.iter().map(shares_of).collect();
        let top =
            shares.iter().flatten().map(|p| p.1).fold(0.0, f64::max).max(1.0);
        let (lo, hi) = histogram_bounds(series);
        let mut chart = ChartBuilder::on(&root)
            .margin_right(PLOT_RIGHT_PX)
            .x_label_area_size(40)
            .y_label_area_size(PLOT_LEFT_PX)
            .build_cartesian_2d(lo..hi, 0.0..top * 1.1)?;
        let format_x = |x: &f64| seconds_label(10f64.powf(*x));
        let format_y = |y: &f64| format!("{y:.0} %");
        let mut mesh = chart.configure_mesh();
        mesh.x_labels((hi - lo) as usize + 1)
            .x_label_formatter(&format_x)
            .x_desc("seconds (log)")
            .y_label_formatter(&format_y)
            .y_desc("share of messages");
        style_mesh!(mesh).draw()?;
        for (points, (step, color)) in shares.into_iter().zip(STEPS) {
            let count = series
                .histograms
                .iter()
                .find(|h| h.step == step.as_str())
                .map_or(0, |h| h.count);
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(format!("{} ({count} messages)", step.as_str()))
                .legend(move |(x, y)| {
                    PathElement::new(
                        [(x, y), (x + 16, y)],
                        color.stroke_width(2),
                    )
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(small_font())
            .border_style(INK.mix(0.4))
            .background_style(WHITE.mix(0.0))
            .draw()?;
        Ok(())
    })
}

/// Runs a drawing function on a fresh SVG canvas and returns the text.
fn svg_of(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Drawn,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height))
            .into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

/// Chart fonts, in pixels. In a browser, plotters measures text with a
/// `<span>` whose style attribute names the size, and the page's
/// Content-Security-Policy allows exactly these two styles by hash:
/// changing a size means changing the hashes in `www/index.html`.
const TITLE_FONT_PX: u32 = 17;

/// See [`TITLE_FONT_PX`].
const LABEL_FONT_PX: u32 = 13;

fn title_font() -> TextStyle<'static> {
    ("sans-serif", TITLE_FONT_PX).into_font().color(&INK)
}

fn small_font() -> TextStyle<'static> {
    ("sans-serif", LABEL_FONT_PX).into_font().color(&INK)
}

fn zone_of(series: &ChartSeries) -> Zone {
    Zone::parse(&series.zone).unwrap_or_else(|_| Zone::utc())
}

fn step_title(step: Step) -> &'static str {
    match step {
        Step::Receive => "Receive (rtime): from the upstream MTA",
        Step::Detection => "Detection (dtime): DLP inspection",
        Step::Send => "Send (mtime − rtime − dtime): to the downstream MTA",
        Step::Total => "Total (mtime)",
    }
}

/// The spreads of one step, with the x position of their bucket.
fn buckets_of(
    series: &ChartSeries,
    step: Step,
) -> impl Iterator<Item = (f64, Spread)> + '_ {
    series.buckets.iter().enumerate().filter_map(move |(i, b)| {
        let spread = match step {
            Step::Receive => b.receive,
            Step::Detection => b.detection,
            _ => b.send,
        };
        spread.map(|s| (bucket_x(series, i), s))
    })
}

/// One figure of a step as lines through bucket centres, broken where
/// buckets hold no message so that a quiet hour is not drawn as a slope.
fn runs_of(
    series: &ChartSeries,
    step: Step,
    figure: fn(&Spread) -> f64,
) -> Vec<Vec<(f64, f64)>> {
    let half = bucket_minutes(series) / 2.0;
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last_x = f64::NEG_INFINITY;
    for (x, spread) in buckets_of(series, step) {
        let point = (x + half, log_seconds(figure(&spread)));
        match runs.last_mut() {
            Some(run) if x - last_x <= 2.0 * half + 1e-9 => run.push(point),
            _ => runs.push(vec![point]),
        }
        last_x = x;
    }
    runs
}

/// The time axis, in minutes since the first bucket (plotters picks
/// round tick values, and round minute counts from a round start read
/// as round clock times): the buckets, or one minute when there are none.
fn time_bounds(series: &ChartSeries) -> (f64, f64) {
    let n = series.buckets.len().max(1) as f64;
    (0.0, n * bucket_minutes(series))
}

fn bucket_minutes(series: &ChartSeries) -> f64 {
    series.bucket_ms.max(MIN_BUCKET_MS) as f64 / MIN_BUCKET_MS as f64
}

/// The x position of the start of bucket `i`.
fn bucket_x(series: &ChartSeries, i: usize) -> f64 {
    i as f64 * bucket_minutes(series)
}

/// The top of the duration axis: the decade above the longest time
/// drawn, at least 10 s.
fn decade_ceiling(series: &ChartSeries) -> f64 {
    let longest = series
        .buckets
        .iter()
        .flat_map(|b| [b.receive, b.detection, b.send])
        .flatten()
        .map(|s| s.max)
        .fold(10.0, f64::max);
    log_seconds(longest).ceil().max(1.0)
}

/// The decades the histograms' non-empty bins span, at least 0.01–10 s.
fn histogram_bounds(series: &ChartSeries) -> (f64, f64) {
    let mut hi = 1.0;
    for h in &series.histograms {
        if let Some(last) = h.counts.iter().rposition(|&c| c > 0) {
            let edge = h.low_log10 + (last + 1) as f64 * h.bin_log10;
            hi = f64::max(hi, (edge - 1e-9).ceil());
        }
    }
    (HISTOGRAM_LOW_LOG10, hi)
}

/// A histogram as (bin centre, percent of its values) points.
fn shares_of(h: &Histogram) -> Vec<(f64, f64)> {
    let total = h.count.max(1) as f64;
    h.counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let x = h.low_log10 + (i as f64 + 0.5) * h.bin_log10;
            (x, 100.0 * f64::from(c) / total)
        })
        .collect()
}

fn log_seconds(seconds: f64) -> f64 {
    seconds.max(FLOOR_SECONDS).log10()
}

/// `0.01 s`, `0.5 s`, `3 s`, `2 min`, `1.5 h`.
pub fn seconds_label(seconds: f64) -> String {
    let trim = |x: f64| {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let rounded = |x: f64| trim(round_significant(x, 2));
    if seconds < 60.0 {
        format!("{} s", rounded(seconds))
    } else if seconds < 3600.0 {
        format!("{} min", rounded(seconds / 60.0))
    } else {
        format!("{} h", rounded(seconds / 3600.0))
    }
}

fn round_significant(x: f64, digits: i32) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(digits - 1 - x.log10().floor() as i32);
    (x * scale).round() / scale
}

/// A tick label on the time axis: the clock, with the date when the
/// chart spans more than a day.
fn time_label(zone: &Zone, series: &ChartSeries, x: f64) -> String {
    let t = series.start + (x * MIN_BUCKET_MS as f64).round() as Millis;
    let span = series.buckets.len() as i64 * series.bucket_ms;
    if span > 24 * 60 * MIN_BUCKET_MS {
        let full = zone.format(t);
        full.get(5..16).unwrap_or(&full).to_string()
    } else {
        zone.format_clock(t)
    }
}

/// `1 minute`, `15 minutes`, `2 hours`, `1 day`.
fn bucket_label(ms: i64) -> String {
    let minutes = (ms / MIN_BUCKET_MS).max(1);
    let (n, unit) = if minutes % (24 * 60) == 0 {
        (minutes / (24 * 60), "day")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze_bytes, Options};

    fn dataset(log: &str) -> Dataset {
        analyze_bytes(&[("op0.log", log.as_bytes())], Options::default())
    }

    fn complete(time: &str, r: &str, d: &str, m: &str) -> String {
        format!(
            "{time} [INFO] (SMTP_MESSAGE.1300) Message complete (tid=1 \
             cid=9 code=250 rtime={r}s dtime={d}s mtime={m}s)\n"
        )
    }

    #[test]
    fn cached_bins_are_the_computed_ones() {
        // Far more values than slots, so slots are taken over many times,
        // with every value seen again later; and the edges of decades.
        let mut cache = BinCache::new();
        let mut rng = fastrand::Rng::with_seed(11);
        let values: Vec<f64> = (0..50_000)
            .map(|_| f64::from(rng.u32(0..200_000)) / 1000.0)
            .chain([0.0, 0.01, 0.1, 1.0, 10.0, 99.999, 1e9, -1.0, f64::NAN])
            .collect();
        for v in values.iter().chain(&values) {
            assert_eq!(cache.bin(*v), histogram_bin(*v), "{v}");
        }
    }

    #[test]
    fn buckets_take_spreads_and_errors() {
        let mut log = String::new();
        log += &complete("12/Jun/12:08:00:01:000-0500", "1", "0.5", "3.5");
        log += &complete("12/Jun/12:08:00:30:000-0500", "2", "0.5", "12.5");
        log += "12/Jun/12:08:03:00:000-0500 [SEVERE] \
                (SMTP_CONNECTION.5210) All forward hosts unavailable \
                (tid=27 cid=<> reason=No available forward hosts)\n";
        let s = series_from_dataset(&dataset(&log), 100);
        assert_eq!(s.bucket_ms, 60_000);
        assert_eq!(s.buckets.len(), 4);
        let send = s.buckets[0].send.expect("two send times");
        assert_eq!((send.min, send.max), (2.0, 10.0));
        assert_eq!(s.buckets[0].messages, 2);
        assert_eq!(s.buckets[3].forward_errors, 1);
        assert_eq!(s.histograms[2].count, 2);
    }

    #[test]
    fn lines_break_at_empty_buckets() {
        let mut log = String::new();
        log += &complete("12/Jun/12:08:00:01:000-0500", "1", "0.5", "3.5");
        log += &complete("12/Jun/12:08:01:01:000-0500", "1", "0.5", "3.5");
        log += &complete("12/Jun/12:08:05:01:000-0500", "1", "0.5", "3.5");
        let s = series_from_dataset(&dataset(&log), 100);
        let runs = runs_of(&s, Step::Send, |s| s.p50);
        let lengths: Vec<usize> = runs.iter().map(Vec::len).collect();
        assert_eq!(lengths, [2, 1]);
    }

    #[test]
    fn bucket_widths_are_readable() {
        assert_eq!(bucket_width(0, 500), 60_000);
        assert_eq!(bucket_width(3 * 3_600_000, 10), 30 * 60_000);
        assert_eq!(bucket_width(39 * 86_400_000, 20), 2 * 86_400_000);
    }

    #[test]
    fn histogram_bins_by_decade() {
        assert_eq!(histogram_bin(0.0), 0);
        assert_eq!(histogram_bin(0.01), 0);
        assert_eq!(histogram_bin(1.0), 20);
        assert_eq!(histogram_bin(1e9), HISTOGRAM_BINS - 1);
    }

    #[test]
    fn labels_read_as_durations() {
        assert_eq!(seconds_label(0.01), "0.01 s");
        assert_eq!(seconds_label(3.16), "3.2 s");
        assert_eq!(seconds_label(100.0), "1.7 min");
        assert_eq!(seconds_label(36_000.0), "10 h");
        assert_eq!(bucket_label(15 * 60_000), "15 minutes");
    }

    #[test]
    fn charts_render_as_svg() {
        let log =
            complete("12/Jun/12:08:32:31:506-0500", "10.06", "0.50", "100.09");
        let s = series_from_dataset(&dataset(&log), 300);
        for svg in [
            render_timing_chart(&s, 900, 600),
            render_error_chart(&s, 900, 260),
            render_distribution_chart(&s, 900, 320),
        ] {
            let svg = svg.expect("drawn");
            assert!(svg.starts_with("<svg"), "{svg}");
            assert!(svg.contains("<polyline") || svg.contains("<rect"));
        }
    }

    /// The page inserts chart markup into the DOM, so a label must never
    /// become markup, whatever plotters version is in use.
    #[test]
    fn svg_backend_escapes_text() {
        let svg = svg_of(200, 50, |root| {
            let text = Text::new("<b>&amp;", (5, 5), small_font());
            root.draw(&text)?;
            Ok(())
        })
        .expect("drawn");
        assert!(svg.contains("&lt;b&gt;&amp;amp;"), "{svg}");
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn empty_series_still_render() {
        let s = ChartSeries::default();
        assert!(render_timing_chart(&s, 600, 400).is_ok());
        assert!(render_error_chart(&s, 600, 200).is_ok());
        assert!(render_distribution_chart(&s, 600, 200).is_ok());
    }
}
