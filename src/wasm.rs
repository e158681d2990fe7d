//! The WebAssembly boundary: what the page's JavaScript calls.
//!
//! One [`Analyzer`] handle wraps a streaming [`Analysis`]: the worker
//! creates it with the user's zone, feeds each file in chunks and asks
//! for the [`Report`](crate::Report) and the aggregated chart data at the
//! end. Three free functions draw the charts from that data; the page
//! calls them on its main thread, because plotters measures text through
//! `window.document`, which a worker does not have.
//!
//! Nothing here analyses anything: values are converted in and out, and
//! every error becomes a JavaScript `Error` through [`into_js_error`].

mod heap;

use crate::analysis::{Analysis, Dataset, Options, RecordBytes};
use crate::chart::{self, ChartSeries};
use crate::html::{render_html_report, Chart};
use crate::message::Connection;
use crate::redact::Redactor;
use crate::report::serialize_opt_time;
use crate::view::{self, Everything, Filter, ViewRow};
use crate::zone::Zone;
use js_sys::Uint8Array;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_SHAPES: &'static str = r#"
/** What has been read so far. */
export interface Progress { bytes: number; lines: number; messages: number; }

/** Count, mean and percentiles of one step, in seconds. */
export interface Summary {
  count: number; mean: number; p50: number; p90: number; p95: number;
  p99: number; max: number;
}

/** A log line kept as evidence. */
export interface SampleLine { file: string; line: number; text: string; }

/** One finding; `id` is stable (e.g. "forward-hosts-unavailable"). */
export interface Finding {
  id: string; severity: 'critical' | 'warning' | 'info';
  confidence: 'high' | 'medium' | 'low'; title: string;
  explanation: string; evidence: string[]; samples: SampleLine[];
  first: string | null; last: string | null; next_steps: string[];
  affected: number;
}

/** One input file as read (times are RFC 3339, UTC). */
export interface FileReport {
  name: string; format: 'operational' | 'detector' | 'unknown';
  lines: number; first: string | null; last: string | null; bytes: number;
  recognized_lines: number; unrecognized_lines: number;
  unrecognized_samples: SampleLine[]; duplicate_of: string | null;
}

/** The report; keys may be added, never renamed. */
export interface Report {
  zone: { name: string; assumed_for_detector: boolean };
  files: FileReport[];
  totals: {
    lines: number; messages_complete: number; message_errors: number;
    connections: number; unrecognized_lines: number;
    rejected_messages: number; timing_artifacts: number; files: number;
    duplicate_files: number;
  };
  timings: {
    receive: Summary; detection: Summary; send: Summary; total: Summary;
  };
  findings: Finding[];
  events: {
    name: string; code: number | null; count: number;
    first: string | null; last: string | null; error: boolean;
  }[];
  downstream_hosts: {
    host: string; messages: number; rejected: number;
    forward_connections: number; forward_errors: number; send: Summary;
  }[];
  minutes: {
    start: number; messages: number; rejected: number; errors: number;
    forward_errors: number;
  }[];
}

/** min, median, 95th percentile and max of one step in a bucket. */
export interface Spread { min: number; p50: number; p95: number; max: number; }

/** Chart data aggregated to the pixel grid (see `chartData`). */
export interface ChartSeries {
  zone: string; start: number; bucket_ms: number;
  buckets: {
    messages: number; rejected: number; forward_errors: number;
    receive: Spread | null; detection: Spread | null; send: Spread | null;
  }[];
  untimed_messages: number;
  histograms: {
    step: string; count: number; low_log10: number; bin_log10: number;
    counts: number[];
  }[];
}

/** What part of the analysis to look at (times: UTC milliseconds). */
export interface Filter {
  from?: number | null; to?: number | null; host?: string | null;
  code?: number | null; disposition?: string | null;
  sender_domain?: string | null; min_size?: number | null;
  max_size?: number | null; search?: string | null;
}

/** One message of the tables (a CSV row plus where it is). */
export interface ViewRow {
  index: number; offset: number; file_index: number;
  time: string | null; file: string; line: number; outcome: string;
  receive: number | null; detection: number | null; send: number | null;
  total: number | null; artifact: string | null; size: number | null;
  recipients: number | null; sender_domain: string; code: number | null;
  estatus: string; disposition: string; downstream: string; tid: string;
  cid: string; reply: string; reason: string;
}

/** The report, chart data and tables of a filtered part. */
export interface View {
  report: Report; chartData: ChartSeries; slowest: ViewRow[];
  codes: { code: number | null; messages: number; rejected: number }[];
  messages: number;
}

/** The values each filter can take, most frequent first. */
export interface Facets {
  hosts: string[]; codes: number[]; dispositions: string[];
  sender_domains: string[];
}

/** A message with its connection, for the page to find its lines. */
export interface Story {
  message: ViewRow;
  connection: {
    cid: string; remote: string; opened: string | null;
    closed: string | null; messages: number | null;
    duration: number | null; file_index: number; line: number;
    offset: number;
  } | null;
}

/** A chart as drawn on the page, for the HTML report. */
export interface ChartImage { title: string; svg: string; }

/**
 * Heap bytes live now and at most since the analysis started, and the
 * bytes of the message and connection records among them.
 */
export interface HeapBytes {
  live: number; peak: number; messages: number; connections: number;
}
"#;

/// Pixels of plot width per time bucket: two keeps the median line
/// smooth while every bucket stays visible as its own band.
const PIXELS_PER_BUCKET: u32 = 2;

/// The global the panic hook writes the panic's message to.
const PANIC_GLOBAL: &str = "npeLensPanic";

/// Installs the panic hook when the module is instantiated. A panic
/// reaches JavaScript only as `RuntimeError: unreachable`; the hook also
/// logs its message to the console and leaves it in the worker's global
/// `npeLensPanic`, where the worker reads it without calling into the
/// module again, whose memory cannot be trusted after a panic.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let global = js_sys::global();
        let message = JsValue::from_str(&info.to_string());
        // Nothing more can be done if even this fails.
        let _ = js_sys::Reflect::set(&global, &PANIC_GLOBAL.into(), &message);
    }));
}

/// Panics on purpose. No input is known to make the analyzer panic, so
/// the page's tests call this to prove that a panic becomes an error the
/// user can read, and that the page goes on with a fresh worker.
#[wasm_bindgen(js_name = panicForTests)]
pub fn panic_for_tests() {
    panic!("a panic requested by a test");
}

/// Turns any error of the core into a JavaScript `Error`.
fn into_js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Converts a value to a plain JavaScript object (maps as objects, 64-bit
/// integers as numbers).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).map_err(into_js_error)
}

/// Where an [`Analyzer`] is in its life.
enum State {
    /// Boxed: an analysis in progress is much larger than a dataset.
    Reading(Box<Analysis>),
    Finished(Dataset),
    /// Only while moving from one state to the next.
    Moving,
}

/// A streaming analysis of one or more log files.
#[wasm_bindgen]
pub struct Analyzer {
    state: State,
    in_file: bool,
    /// The last chunk, copied in from JavaScript. Kept and reused: a
    /// fresh allocation per chunk of many MiB leaves the module's
    /// memory, which never shrinks, fragmented and larger.
    chunk: Vec<u8>,
    /// The report of the whole dataset, made by [`Analyzer::finish`],
    /// with the chart data and the view of everything once made: the
    /// page asks for both right after, and for the view again whenever
    /// its filters are cleared.
    whole: Option<Everything>,
}

#[wasm_bindgen]
impl Analyzer {
    /// Starts an analysis. `zone` is an IANA name (`Europe/Berlin`) or an
    /// offset (`+05:30`); empty means UTC.
    ///
    /// # Errors
    ///
    /// Fails when the zone is neither.
    #[wasm_bindgen(constructor)]
    pub fn new(zone: &str) -> Result<Analyzer, JsError> {
        let zone = if zone.trim().is_empty() {
            Zone::utc()
        } else {
            Zone::parse(zone).map_err(into_js_error)?
        };
        let analysis = Box::new(Analysis::new(Options { zone }));
        heap::reset_peak();
        Ok(Analyzer {
            state: State::Reading(analysis),
            in_file: false,
            chunk: Vec::new(),
            whole: None,
        })
    }

    /// Starts reading a file, ending the previous one.
    ///
    /// # Errors
    ///
    /// Fails after [`Analyzer::finish`], and after the last file began.
    #[wasm_bindgen(js_name = beginFile)]
    pub fn begin_file(&mut self, name: &str) -> Result<(), JsError> {
        self.begin(name, false)
    }

    /// Starts reading the last file, ending the previous one: nothing
    /// read later is compared with it, so it keeps less, and a file given
    /// alone is read without hashing its lines.
    ///
    /// # Errors
    ///
    /// Fails after [`Analyzer::finish`], and after the last file began.
    #[wasm_bindgen(js_name = beginLastFile)]
    pub fn begin_last_file(&mut self, name: &str) -> Result<(), JsError> {
        self.begin(name, true)
    }

    fn begin(&mut self, name: &str, last: bool) -> Result<(), JsError> {
        let analysis = self.reading()?;
        if analysis.last_begun() {
            return Err(JsError::new(&format!(
                "{name}: no file may begin after the last one"
            )));
        }
        if last {
            analysis.begin_last_file(name);
        } else {
            analysis.begin_file(name);
        }
        self.in_file = true;
        Ok(())
    }

    /// Reads the next chunk of the current file.
    ///
    /// # Errors
    ///
    /// Fails when no file was begun, or after [`Analyzer::finish`].
    pub fn feed(&mut self, chunk: &Uint8Array) -> Result<(), JsError> {
        if !self.in_file {
            return Err(JsError::new("feed: no file begun"));
        }
        let mut buffer = std::mem::take(&mut self.chunk);
        buffer.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut buffer);
        let fed = self.reading().map(|analysis| analysis.feed(&buffer));
        self.chunk = buffer;
        fed
    }

    /// Ends the current file.
    ///
    /// # Errors
    ///
    /// Fails after [`Analyzer::finish`].
    #[wasm_bindgen(js_name = endFile)]
    pub fn end_file(&mut self) -> Result<(), JsError> {
        if self.in_file {
            self.reading()?.end_file();
            self.in_file = false;
        }
        Ok(())
    }

    /// What has been read so far: `{bytes, lines, messages}`.
    ///
    /// # Errors
    ///
    /// Fails after [`Analyzer::finish`].
    #[wasm_bindgen(unchecked_return_type = "Progress")]
    pub fn progress(&mut self) -> Result<JsValue, JsError> {
        let progress = self.reading()?.progress();
        to_js(&progress)
    }

    /// Ends the analysis and returns the report as a plain object.
    ///
    /// # Errors
    ///
    /// Fails when called twice.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        self.end_file()?;
        let analysis = match std::mem::replace(&mut self.state, State::Moving) {
            State::Reading(analysis) => analysis,
            other => {
                self.state = other;
                return Err(JsError::new("finish: already finished"));
            }
        };
        // No more chunks come: their buffer's room goes to what follows.
        self.chunk = Vec::new();
        let data = (*analysis).finish();
        let report = crate::report_from_dataset(&data);
        self.state = State::Finished(data);
        let js = to_js(&report);
        self.whole = Some(Everything::new(report));
        js
    }

    /// The chart data of a finished analysis, aggregated for a plot about
    /// `width` pixels wide.
    ///
    /// # Errors
    ///
    /// Fails before [`Analyzer::finish`].
    #[wasm_bindgen(js_name = chartData, unchecked_return_type = "ChartSeries")]
    pub fn chart_data(&mut self, width: u32) -> Result<JsValue, JsError> {
        let (data, whole) = self.everything("chartData")?;
        to_js(whole.chart(data, buckets_of(width)))
    }

    /// What the module's heap holds: bytes live now and at most since
    /// this analyzer was created, and the bytes of the records.
    #[wasm_bindgen(js_name = heapBytes, unchecked_return_type = "HeapBytes")]
    pub fn heap_bytes(&self) -> Result<JsValue, JsError> {
        let records = match &self.state {
            State::Reading(analysis) => analysis.record_bytes(),
            State::Finished(data) => data.record_bytes(),
            State::Moving => RecordBytes::default(),
        };
        to_js(&HeapBytes {
            live: heap::live() as u64,
            peak: heap::peak() as u64,
            messages: records.messages,
            connections: records.connections,
        })
    }
}

/// What [`Analyzer::heap_bytes`] returns.
#[derive(Serialize)]
struct HeapBytes {
    live: u64,
    peak: u64,
    messages: u64,
    connections: u64,
}

#[wasm_bindgen]
impl Analyzer {
    /// The report, chart data and tables of the part of a finished
    /// analysis that `filter` keeps, charts about `width` pixels wide.
    ///
    /// # Errors
    ///
    /// Fails before [`Analyzer::finish`], or when the filter is not one
    /// (a bad search pattern, a malformed object).
    #[wasm_bindgen(unchecked_return_type = "View")]
    pub fn view(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Filter")] filter: JsValue,
        width: u32,
    ) -> Result<JsValue, JsError> {
        let filter = filter_from_js(filter)?;
        let buckets = buckets_of(width);
        if filter == Filter::default() {
            let (data, whole) = self.everything("view")?;
            return to_js(whole.view(data, buckets));
        }
        let data = self.finished("view")?;
        to_js(&view::view_for(data, &filter, buckets).map_err(into_js_error)?)
    }

    /// The values the filters can take.
    ///
    /// # Errors
    ///
    /// Fails before [`Analyzer::finish`].
    #[wasm_bindgen(unchecked_return_type = "Facets")]
    pub fn facets(&self) -> Result<JsValue, JsError> {
        to_js(&view::facets_of(self.finished("facets")?))
    }

    /// Message `index` of the dataset with its connection.
    ///
    /// # Errors
    ///
    /// Fails before [`Analyzer::finish`] or for an index out of range.
    #[wasm_bindgen(unchecked_return_type = "Story")]
    pub fn story(&self, index: usize) -> Result<JsValue, JsError> {
        let data = self.finished("story")?;
        let m = data
            .messages
            .get(index)
            .ok_or_else(|| JsError::new("story: no such message"))?;
        let connection = m
            .cid
            .is_some()
            .then(|| data.connections.iter().find(|c| c.cid == m.cid))
            .flatten()
            .map(|c| ConnectionStory::of(data, c));
        to_js(&Story { message: view::row_of(data, index), connection })
    }

    /// The CSV of the messages `filter` keeps, with the columns of the
    /// CLI's `--csv`; `redact` replaces names by pseudonyms.
    ///
    /// # Errors
    ///
    /// As [`Analyzer::view`].
    pub fn csv(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Filter")] filter: JsValue,
        redact: bool,
    ) -> Result<String, JsError> {
        let data = self.finished("csv")?;
        let part = view::filtered(data, &filter_from_js(filter)?)
            .map_err(into_js_error)?;
        let mut redactor = redact.then(|| Redactor::from_dataset(data));
        Ok(crate::export::messages_csv(&part, redactor.as_mut()))
    }

    /// The JSON report of the part `filter` keeps, pretty-printed.
    ///
    /// # Errors
    ///
    /// As [`Analyzer::view`].
    pub fn json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Filter")] filter: JsValue,
        redact: bool,
    ) -> Result<String, JsError> {
        let json = self.report_json(filter, redact)?;
        serde_json::to_string_pretty(&json).map_err(into_js_error)
    }

    /// The self-contained HTML report of the part `filter` keeps, with
    /// the charts the page drew.
    ///
    /// # Errors
    ///
    /// As [`Analyzer::view`], or when `charts` are not chart images.
    #[wasm_bindgen(js_name = htmlReport)]
    pub fn html_report(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Filter")] filter: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChartImage[]")] charts: JsValue,
        redact: bool,
    ) -> Result<String, JsError> {
        let images: Vec<ChartImage> =
            serde_wasm_bindgen::from_value(charts).map_err(into_js_error)?;
        let charts: Vec<Chart> = images
            .into_iter()
            .map(|c| Chart { title: c.title, svg: c.svg })
            .collect();
        let json = self.report_json(filter, redact)?;
        let zone = &self.finished("htmlReport")?.zone;
        Ok(render_html_report(&json, &charts, zone, redact))
    }
}

impl Analyzer {
    fn finished(&self, what: &str) -> Result<&Dataset, JsError> {
        match &self.state {
            State::Finished(data) => Ok(data),
            _ => Err(JsError::new(&format!("{what}: call finish first"))),
        }
    }

    /// The finished dataset with what is kept of it as a whole.
    fn everything(
        &mut self,
        what: &str,
    ) -> Result<(&Dataset, &mut Everything), JsError> {
        match (&self.state, &mut self.whole) {
            (State::Finished(data), Some(whole)) => Ok((data, whole)),
            _ => Err(JsError::new(&format!("{what}: call finish first"))),
        }
    }

    /// The report of a filtered part as JSON, redacted if asked.
    fn report_json(
        &self,
        filter: JsValue,
        redact: bool,
    ) -> Result<serde_json::Value, JsError> {
        let data = self.finished("report")?;
        let filter = filter_from_js(filter)?;
        let (report, _) =
            view::report_for(data, &filter, 1).map_err(into_js_error)?;
        let mut json = serde_json::to_value(&report).map_err(into_js_error)?;
        if redact {
            Redactor::from_dataset(data).value(&mut json);
        }
        Ok(json)
    }

    fn reading(&mut self) -> Result<&mut Analysis, JsError> {
        match &mut self.state {
            State::Reading(analysis) => Ok(analysis),
            _ => Err(JsError::new("the analysis is already finished")),
        }
    }
}

/// The number of time buckets of a chart `width` pixels wide.
fn buckets_of(width: u32) -> usize {
    (width / PIXELS_PER_BUCKET).max(1) as usize
}

/// Reads a filter; `undefined` and `null` mean no filter.
fn filter_from_js(filter: JsValue) -> Result<Filter, JsError> {
    if filter.is_undefined() || filter.is_null() {
        return Ok(Filter::default());
    }
    serde_wasm_bindgen::from_value(filter)
        .map_err(|e| JsError::new(&format!("not a filter: {e}")))
}

/// A chart image handed over by the page.
#[derive(Deserialize)]
struct ChartImage {
    title: String,
    svg: String,
}

/// A message and its connection, as [`Analyzer::story`] returns them.
#[derive(Serialize)]
struct Story {
    message: ViewRow,
    connection: Option<ConnectionStory>,
}

/// What the page needs of a connection to find its lines.
#[derive(Serialize)]
struct ConnectionStory {
    cid: String,
    remote: String,
    #[serde(serialize_with = "serialize_opt_time")]
    opened: Option<i64>,
    #[serde(serialize_with = "serialize_opt_time")]
    closed: Option<i64>,
    messages: Option<u32>,
    duration: Option<f64>,
    file_index: u32,
    line: u64,
    offset: u64,
}

impl ConnectionStory {
    fn of(data: &Dataset, c: &Connection) -> ConnectionStory {
        ConnectionStory {
            cid: c.cid.to_text(&data.symbols),
            remote: data.symbols.resolve(c.remote).to_string(),
            opened: c.opened.get(),
            closed: c.closed.get(),
            messages: c.messages.get(),
            duration: c.duration.get(),
            file_index: c.origin.file,
            line: c.origin.line,
            offset: c.origin.offset,
        }
    }
}

/// The pixel columns, `[left, right]`, that a chart `width` pixels wide
/// plots its time axis on.
#[wasm_bindgen(js_name = chartPlotX)]
pub fn chart_plot_x(width: u32) -> Vec<u32> {
    let (left, right) = chart::plot_x_range(width);
    vec![left, right]
}

/// Reads chart data given back by [`Analyzer::chart_data`].
fn series_from_js(series: JsValue) -> Result<ChartSeries, JsError> {
    serde_wasm_bindgen::from_value(series).map_err(into_js_error)
}

/// Draws receive, detection and send time over time as SVG text.
///
/// Call it where a `document` exists (the page's main thread): plotters
/// measures caption and legend text through it.
///
/// # Errors
///
/// Fails when `series` is not chart data.
#[wasm_bindgen(js_name = renderTimingChart)]
pub fn render_timing_chart(
    #[wasm_bindgen(unchecked_param_type = "ChartSeries")] series: JsValue,
    width: u32,
    height: u32,
) -> Result<String, JsError> {
    let series = series_from_js(series)?;
    chart::render_timing_chart(&series, width, height).map_err(into_js_error)
}

/// Draws forward-host errors and refused messages over time as SVG text.
///
/// # Errors
///
/// Fails when `series` is not chart data.
#[wasm_bindgen(js_name = renderErrorChart)]
pub fn render_error_chart(
    #[wasm_bindgen(unchecked_param_type = "ChartSeries")] series: JsValue,
    width: u32,
    height: u32,
) -> Result<String, JsError> {
    let series = series_from_js(series)?;
    chart::render_error_chart(&series, width, height).map_err(into_js_error)
}

/// Draws the distribution of each step's durations as SVG text.
///
/// # Errors
///
/// Fails when `series` is not chart data.
#[wasm_bindgen(js_name = renderDistributionChart)]
pub fn render_distribution_chart(
    #[wasm_bindgen(unchecked_param_type = "ChartSeries")] series: JsValue,
    width: u32,
    height: u32,
) -> Result<String, JsError> {
    let series = series_from_js(series)?;
    chart::render_distribution_chart(&series, width, height)
        .map_err(into_js_error)
}
