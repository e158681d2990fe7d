//! npe-lens reads Symantec DLP Network Prevent for Email (NPE) logs and
//! says where mail waits: receiving it from the upstream MTA, inspecting
//! it, or handing it to the downstream MTA.
//!
//! The pipeline:
//!
//! ```text
//! bytes (chunks) ─► lines ─► records ─► events ─► messages, connections
//!    analysis        parse     parse     event       message
//!                                                       │
//!        report ◄─ findings ◄─ statistics ◄─ timings ◄──┘
//!        report    diagnose     stats         timing
//!          │
//!          └──► charts (chart: aggregated series, SVG text)
//! ```
//!
//! The core does no I/O and reads no clock: the CLI and the WebAssembly
//! layer feed it bytes and show what it returns.
//!
//! # Example
//!
//! ```
//! use npe_lens::{analyze, Options};
//!
//! let log = "12/Jun/12:08:32:31:506-0500 [SEVERE] (SMTP_CONNECTION.5210) \
//!     All forward hosts unavailable (tid=27 cid=<> reason=No available \
//!     forward hosts)\n";
//! let report = analyze(&[("SmtpPrevent_operational0.log", log.as_bytes())],
//!     Options::default());
//! assert_eq!(report.totals.lines, 1);
//! ```
#![deny(missing_docs)]

pub mod absent;
pub mod analysis;
pub mod chart;
pub mod decode;
pub mod diagnose;
pub mod error;
pub mod event;
pub mod export;
pub mod generate;
pub mod html;
pub mod message;
pub mod overlap;
pub mod parse;
pub mod records;
pub mod redact;
pub mod report;
pub mod stats;
pub mod symbols;
pub mod timing;
pub mod view;
pub mod zone;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use analysis::{Analysis, Dataset, Options};
pub use error::{Error, ErrorKind};
pub use report::Report;
pub use zone::Zone;

/// Analyzes whole inputs, given as `(name, bytes)` pairs, into a report.
///
/// For large inputs read in chunks, use [`Analysis`] and then
/// [`report_from_dataset`].
pub fn analyze(inputs: &[(&str, &[u8])], options: Options) -> Report {
    let data = analysis::analyze_bytes(inputs, options);
    report_from_dataset(&data)
}

/// Computes statistics and findings for a finished dataset.
pub fn report_from_dataset(data: &Dataset) -> Report {
    let stats = stats::summarize(data);
    let findings = diagnose::diagnose(data, &stats);
    Report::build(data, &stats, findings)
}
