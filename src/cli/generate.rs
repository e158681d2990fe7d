//! `npe-lens generate`: writes a seeded, realistic log with known faults
//! into a directory, one file per rotation index, for demos, tests and
//! benchmarks.
//!
//! The library does the generating; this module only reads the options,
//! opens the files and copies the bytes into them.

use npe_lens::generate::{self, GenFormat, Scenario};
use npe_lens::zone::Zone;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Buffer per output file: the generator hands over 64 KiB at a time, so
/// a buffer of the same size turns each hand-over into about one write.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// Options of `npe-lens generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Named scenario: healthy, outage, slow-downstream, slow-detection,
    /// slow-receive, filereader-loss, unauthorized-hosts, rejections,
    /// pipelining, peer-disconnects or mixed.
    #[arg(long, default_value = "healthy")]
    pub scenario: String,
    /// Seed of every random choice; the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Log format to write.
    #[arg(long, value_enum, default_value_t = FormatArg::Operational)]
    pub format: FormatArg,
    /// Zone of the server: operational stamps carry its offset, detector
    /// headers its wall clock (`UTC`, `+05:30`, `America/Chicago`).
    #[arg(long, default_value = "UTC")]
    pub zone: String,
    /// Approximate number of messages.
    #[arg(long, default_value_t = 5000)]
    pub messages: u64,
    /// Number of rotated files; index 0 holds the newest records.
    #[arg(long, default_value_t = 1)]
    pub files: u32,
    /// Start of the log, RFC 3339.
    #[arg(long, default_value = "2026-03-02T08:00:00Z")]
    pub start: String,
    /// Span of the log in minutes; fault windows scale with it.
    #[arg(long, default_value_t = 360)]
    pub minutes: u32,
    /// Detector log only: add FINE/FINEST tracing and stack traces.
    #[arg(long)]
    pub noise: bool,
    /// Directory to write the files into; created if missing.
    #[arg(long)]
    pub out: PathBuf,
}

/// The log formats `--format` accepts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// `SmtpPrevent_operationalN.log`.
    Operational,
    /// `SymantecDLPDetectorN.log`.
    Detector,
}

/// Generates the scenario and writes its files into `--out`, printing one
/// line per file.
///
/// # Errors
///
/// Fails on an unknown scenario, zone or start time, and when a file
/// cannot be created or written.
pub fn run(args: &GenerateArgs) -> Result<(), String> {
    let scenario = scenario_from(args)?;
    std::fs::create_dir_all(&args.out).map_err(|e| {
        format!("generate: cannot create {}: {e}", args.out.display())
    })?;
    let names = scenario.file_names();
    let mut outputs = open_files(&args.out, &names)?;
    let mut failure = None;
    let truth = generate::generate(&scenario, &mut |i, bytes| {
        let out = &mut outputs[i];
        if failure.is_none() {
            if let Err(e) = out.writer.write_all(bytes) {
                failure = Some(format!("{}: {e}", out.path.display()));
            }
        }
        out.bytes += bytes.len() as u64;
    });
    if let Some(message) = failure {
        return Err(format!("generate: cannot write {message}"));
    }
    for (i, out) in outputs.iter_mut().enumerate() {
        out.writer.flush().map_err(|e| {
            format!("generate: cannot write {}: {e}", out.path.display())
        })?;
        let lines = truth.lines_per_file[i];
        println!("{}\t{} bytes\t{lines} lines", out.path.display(), out.bytes);
    }
    Ok(())
}

/// One output file and what went into it.
struct Output {
    path: PathBuf,
    writer: BufWriter<File>,
    bytes: u64,
}

fn open_files(dir: &Path, names: &[String]) -> Result<Vec<Output>, String> {
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let file = File::create(&path).map_err(|e| {
                format!("generate: cannot create {}: {e}", path.display())
            })?;
            let writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
            Ok(Output { path, writer, bytes: 0 })
        })
        .collect()
}

/// The scenario the options describe.
fn scenario_from(args: &GenerateArgs) -> Result<Scenario, String> {
    let zone = Zone::parse(&args.zone)
        .map_err(|e| format!("generate: --zone: {e}"))?;
    let start: jiff::Timestamp = args.start.parse().map_err(|e| {
        format!(
            "generate: --start: expected RFC 3339 such as \
            2026-03-02T08:00:00Z, got \"{}\": {e}",
            args.start
        )
    })?;
    let format = match args.format {
        FormatArg::Operational => GenFormat::Operational,
        FormatArg::Detector => GenFormat::Detector,
    };
    let named =
        Scenario::named(&args.scenario, args.seed, format, zone, args.messages);
    let Some(scenario) = named else {
        return Err(format!(
            "generate: --scenario: unknown \"{}\", expected one of {}",
            args.scenario,
            Scenario::NAMES.join(", ")
        ));
    };
    let mut scenario = scenario.with_minutes(args.minutes.max(1));
    scenario.start = start.as_millisecond();
    scenario.files = args.files.max(1);
    scenario.fine_noise = args.noise;
    // Only the line counts are printed; per-message values would cost
    // tens of megabytes on a gigabyte run for nothing.
    scenario.keep_values = false;
    Ok(scenario)
}
