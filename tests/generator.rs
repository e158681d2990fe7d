//! Round trip through the generator: what it says it wrote is what the
//! analysis reads, for both formats and several time zones.

use npe_lens::analysis::{Analysis, Options};
use npe_lens::generate::{generate, GenFormat, Scenario, Truth};
use npe_lens::stats::Summary;
use npe_lens::{report_from_dataset, Report, Zone};

const ZONES: &[&str] = &["UTC", "+05:30", "America/Chicago"];

/// Generates a scenario and analyzes it, fed in uneven chunks the way a
/// reader would.
fn round_trip(scenario: &Scenario) -> (Truth, Report) {
    let names = scenario.file_names();
    let mut files: Vec<Vec<u8>> = vec![Vec::new(); names.len()];
    let truth =
        generate(scenario, &mut |i, bytes| files[i].extend_from_slice(bytes));
    let zone = scenario.zone.clone();
    let mut analysis = Analysis::new(Options { zone });
    for (name, bytes) in names.iter().zip(&files) {
        analysis.begin_file(name);
        for chunk in bytes.chunks(7_919) {
            analysis.feed(chunk);
        }
        analysis.end_file();
    }
    (truth, report_from_dataset(&analysis.finish()))
}

fn summary_of(values: &[f64]) -> Summary {
    Summary::from_values(&mut values.to_vec())
}

fn check(label: &str, truth: &Truth, r: &Report) {
    let t = &r.totals;
    assert!(truth.lines > 1_000 && !truth.send.is_empty(), "{label}: empty");
    assert_eq!(t.lines, truth.lines, "{label}: lines");
    assert_eq!(t.unrecognized_lines, 0, "{label}: unrecognized");
    assert_eq!(t.messages_complete, truth.messages_complete, "{label}");
    assert_eq!(t.message_errors, truth.message_errors, "{label}: errors");
    assert_eq!(t.connections, truth.connections, "{label}: connections");
    let artifacts = r.artifacts.epoch_receive + r.artifacts.negative_total;
    assert_eq!(artifacts, truth.artifacts, "{label}: artifacts");
    let steps = [
        ("receive", &truth.receive, &r.timings.receive),
        ("detection", &truth.detection, &r.timings.detection),
        ("send", &truth.send, &r.timings.send),
        ("total", &truth.total, &r.timings.total),
    ];
    for (step, values, got) in steps {
        assert_eq!(*got, summary_of(values), "{label}: {step}");
    }
    for (i, file) in r.files.iter().enumerate() {
        assert_eq!(
            file.lines, truth.lines_per_file[i],
            "{label}: {}",
            file.name
        );
    }
    let first = r.files.iter().filter_map(|f| f.first).min();
    let last = r.files.iter().filter_map(|f| f.last).max();
    assert_eq!(first, Some(truth.first), "{label}: first");
    assert_eq!(last, Some(truth.last), "{label}: last");
}

fn scenario(name: &str, seed: u64, format: GenFormat, zone: &str) -> Scenario {
    let zone = Zone::parse(zone).unwrap();
    Scenario::named(name, seed, format, zone, 1_500)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

#[test]
fn operational_counts_and_percentiles_match() {
    for (i, zone) in ZONES.iter().enumerate() {
        for name in ["healthy", "mixed", "rejections", "pipelining"] {
            let s = scenario(name, 11 + i as u64, GenFormat::Operational, zone);
            let (truth, report) = round_trip(&s);
            check(&format!("operational {name} {zone}"), &truth, &report);
        }
    }
}

#[test]
fn detector_counts_and_percentiles_match() {
    for (i, zone) in ZONES.iter().enumerate() {
        for name in ["healthy", "outage", "filereader-loss", "rejections"] {
            let mut s =
                scenario(name, 21 + i as u64, GenFormat::Detector, zone);
            s.fine_noise = true;
            let (truth, report) = round_trip(&s);
            check(&format!("detector {name} {zone}"), &truth, &report);
            assert!(report.totals.tracing_lines > 0, "noise was generated");
            assert_eq!(report.files[0].format, "detector");
        }
    }
}

#[test]
fn rotated_files_in_any_order_give_one_timeline() {
    let mut s = scenario("slow-downstream", 5, GenFormat::Operational, "UTC");
    s.files = 3;
    let (truth, report) = round_trip(&s);
    check("rotated", &truth, &report);
    // Index 0 is the newest file.
    let first_of = |i: usize| report.files[i].first.unwrap();
    assert!(first_of(0) > first_of(1) && first_of(1) > first_of(2));
}

#[test]
fn every_named_scenario_reads_without_loss() {
    for name in Scenario::NAMES {
        for format in [GenFormat::Operational, GenFormat::Detector] {
            let s = scenario(name, 3, format, "Europe/Berlin");
            let (truth, report) = round_trip(&s);
            check(&format!("{name} {format:?}"), &truth, &report);
        }
    }
}
