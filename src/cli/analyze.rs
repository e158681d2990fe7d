//! `npe-lens analyze`: read the logs, print the report, write CSV.

use crate::cli::input;
use crate::{error, warn};
use npe_lens::analysis::Progress;
use npe_lens::chart;
use npe_lens::export::messages_csv;
use npe_lens::html::{render_html_report, Chart};
use npe_lens::redact::Redactor;
use npe_lens::report::{group, render_text};
use npe_lens::{Analysis, Options, Zone};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `npe-lens analyze`.
#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write one CSV row per message to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write a self-contained HTML report (no scripts, no network) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Replace addresses, message ids and host names by stable pseudonyms
    /// in every output, so the report can leave the company.
    #[arg(long)]
    pub redact: bool,
    /// Zone of detector-log timestamps and of displayed times: an IANA
    /// name (Europe/Berlin) or an offset (+05:30). Default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Log files, .gz files, .zip bundles or folders.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// Runs the analysis; the exit code follows the messages printed.
pub fn run(args: &AnalyzeArgs) -> Result<(), String> {
    let zone = match &args.tz {
        Some(text) => Zone::parse(text).map_err(|e| e.to_string())?,
        None => system_zone(),
    };
    let mut analysis = Analysis::new(Options { zone: zone.clone() });
    let mut progress = ProgressLine::new();
    let mut read_any = false;
    let inputs = input::expand(&args.paths);
    let last = inputs.iter().rposition(Result::is_ok);
    for (i, item) in inputs.into_iter().enumerate() {
        let path = match item {
            Ok(path) => path,
            Err((path, e)) => {
                error!("{}: cannot read: {e}", path.display());
                continue;
            }
        };
        let mut on_chunk =
            |name: &str, done: u64, size: Option<u64>, p: Progress| {
                progress.update(name, done, size, p.messages);
            };
        let is_last = last == Some(i);
        match input::read_path(&path, is_last, &mut analysis, &mut on_chunk) {
            Ok(()) => read_any = true,
            Err(e) => error!("{}: cannot read: {e}", path.display()),
        }
    }
    progress.clear();
    if !read_any {
        // Each unreadable input has had its own line on stderr.
        return Ok(());
    }
    let data = analysis.finish();
    for note in data.files.iter().flat_map(npe_lens::report::file_notes) {
        warn!("{note}");
    }
    let report = npe_lens::report_from_dataset(&data);
    let mut redactor = args.redact.then(|| Redactor::from_dataset(&data));
    let mut json = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    if let Some(r) = redactor.as_mut() {
        r.value(&mut json);
    }
    if let Some(path) = &args.csv {
        let csv = messages_csv(&data, redactor.as_mut());
        std::fs::write(path, csv).map_err(|e| {
            format!("{}: cannot write CSV: {e}", path.display())
        })?;
    }
    if let Some(path) = &args.html {
        let charts = report_charts(&data)?;
        let html = render_html_report(&json, &charts, &zone, args.redact);
        std::fs::write(path, html).map_err(|e| {
            format!("{}: cannot write HTML: {e}", path.display())
        })?;
    }
    let mut text = if args.json {
        serde_json::to_string_pretty(&json).map_err(|e| e.to_string())? + "\n"
    } else {
        render_text(&report, &zone)
    };
    if let (Some(r), false) = (redactor.as_mut(), args.json) {
        text = r.text(&text);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(|e| format!("stdout: {e}"))?;
    Ok(())
}

fn system_zone() -> Zone {
    let tz = jiff::tz::TimeZone::system();
    let name = tz.iana_name().unwrap_or("local").to_string();
    Zone::from_time_zone(&name, tz)
}

/// Plot width of the report's charts, in pixels: the page draws them at
/// its own width, about this on a laptop.
const CHART_WIDTH: u32 = 1000;

/// The three charts of the page, drawn for the HTML report.
fn report_charts(data: &npe_lens::Dataset) -> Result<Vec<Chart>, String> {
    let buckets = (CHART_WIDTH / 2) as usize;
    let series = chart::series_from_dataset(data, buckets);
    let drawn = [
        (
            chart::TIMING_TITLE,
            chart::render_timing_chart(&series, CHART_WIDTH, 620),
        ),
        (
            chart::ERRORS_TITLE,
            chart::render_error_chart(&series, CHART_WIDTH, 260),
        ),
        (
            chart::DISTRIBUTION_TITLE,
            chart::render_distribution_chart(&series, CHART_WIDTH, 320),
        ),
    ];
    drawn
        .into_iter()
        .map(|(title, svg)| {
            let svg = svg.map_err(|e| format!("cannot draw a chart: {e}"))?;
            Ok(Chart { title: title.to_string(), svg })
        })
        .collect()
}

/// A one-line progress display on stderr, shown only on a terminal.
struct ProgressLine {
    enabled: bool,
    last: Option<Instant>,
    shown: bool,
}

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl ProgressLine {
    fn new() -> ProgressLine {
        ProgressLine {
            enabled: std::io::stderr().is_terminal(),
            last: None,
            shown: false,
        }
    }

    fn update(
        &mut self,
        name: &str,
        done: u64,
        size: Option<u64>,
        messages: u64,
    ) {
        if !self.enabled
            || self.last.is_some_and(|t| t.elapsed() < PROGRESS_EVERY)
        {
            return;
        }
        self.last = Some(Instant::now());
        let mb = done as f64 / 1e6;
        let pct = size
            .filter(|&s| s > 0)
            .map(|s| format!(" ({:.0}%)", done as f64 * 100.0 / s as f64));
        eprint!(
            "\r\x1b[Knpe-lens: reading {name}: {mb:.0} MB{}, {} messages",
            pct.unwrap_or_default(),
            group(messages)
        );
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
