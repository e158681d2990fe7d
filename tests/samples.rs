//! The vendor's published sample lines, read end to end.
//!
//! Every file under `tests/fixtures/samples/` is a fragment quoted in a
//! Broadcom knowledge article. Each must be read without loss, and the
//! figures the articles compute by hand must come out the same.

mod common;

use common::{sample, SAMPLES};
use npe_lens::{analyze, Options, Report};
use serde_json::Value;

fn report_of(name: &str, text: &str) -> Report {
    analyze(&[(name, text.as_bytes())], Options::default())
}

#[test]
fn every_line_is_accounted_for() {
    for (name, text) in SAMPLES {
        let r = report_of(name, text);
        let t = &r.totals;
        let physical = text.lines().count() as u64;
        assert_eq!(t.lines, physical, "{name}: totals.lines");
        assert_eq!(
            t.lines,
            t.recognized_lines
                + t.continuation_lines
                + t.blank_lines
                + t.unrecognized_lines,
            "{name}: line categories must add up"
        );
        assert_eq!(t.unrecognized_lines, 0, "{name}: {:?}", r.files);
    }
}

#[test]
fn formats_are_told_apart() {
    let want = [
        ("kb159771-detector.log", "detector"),
        ("kb160111-operational.log", "operational"),
        ("kb160136-detection-operational.log", "operational"),
        ("kb160660-operational.log", "operational"),
        ("kb216504-detector-nodates.log", "detector"),
        ("kb239570-detector.log", "detector"),
        ("kb407328-detector-nodates.log", "detector"),
        ("kb432573-operational-fragment.log", "operational"),
    ];
    for (name, format) in want {
        let r = report_of(name, sample(name));
        assert_eq!(r.files[0].format, format, "{name}");
    }
}

#[test]
fn kb160660_send_time_is_the_articles_arithmetic() {
    // 100.09 − 10.06 − 0.50 = 89.53 s, read by the article as a slow
    // downstream MTA.
    let r = report_of("op0.log", sample("kb160660-operational.log"));
    assert_eq!(r.totals.lines, 4);
    assert_eq!(r.totals.messages_complete, 1);
    assert_eq!(r.totals.message_errors, 0);
    assert_eq!(r.timings.send.count, 1);
    assert_eq!(r.timings.send.max, 89.53);
    assert_eq!(r.timings.receive.max, 10.06);
    assert_eq!(r.timings.detection.max, 0.50);
    assert_eq!(r.timings.total.max, 100.09);
    let events: Vec<&str> = r.events.iter().map(|e| e.name.as_str()).collect();
    assert!(events.contains(&"forward-error"), "{events:?}");
    assert!(events.contains(&"all-forward-hosts-unavailable"), "{events:?}");
}

#[test]
fn kb160660_times_carry_their_offset() {
    let r = report_of("op0.log", sample("kb160660-operational.log"));
    let json = serde_json::to_value(&r).unwrap();
    // 08:32:31.506 at −05:00 is 13:32:31.506 UTC.
    assert_eq!(json["files"][0]["first"], "2012-06-12T13:32:31.506Z");
}

#[test]
fn kb432573_pipelining_artifact_stays_out_of_statistics() {
    let r = report_of("frag.log", sample("kb432573-operational-fragment.log"));
    assert_eq!(r.totals.messages_complete, 1);
    assert_eq!(r.totals.timing_artifacts, 1);
    assert_eq!(r.artifacts.epoch_receive, 1);
    assert_eq!(r.timings.receive.count, 0);
    assert_eq!(r.timings.send.count, 0);
}

#[test]
fn kb407328_masked_message_error() {
    let r = report_of("det.log", sample("kb407328-detector-nodates.log"));
    assert_eq!(r.totals.message_errors, 1);
    assert_eq!(r.totals.messages_complete, 0);
    assert_eq!(r.totals.rejected_messages, 1);
    assert_eq!(r.artifacts.missing_total, 1);
    // Receive and detection of the failed message are real durations.
    assert_eq!(r.timings.receive.max, 5.09);
    assert_eq!(r.timings.total.count, 0);
}

#[test]
fn kb216504_stack_trace_belongs_to_its_record() {
    let r = report_of("det.log", sample("kb216504-detector-nodates.log"));
    assert_eq!(r.totals.continuation_lines, 11);
    assert_eq!(r.totals.blank_lines, 1);
    let names: Vec<&str> = r.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["detection-timeout", "message-chain-error"]);
}

#[test]
fn kb239570_tracing_is_counted_not_lost() {
    let r = report_of("det.log", sample("kb239570-detector.log"));
    assert_eq!(r.totals.lines, 10);
    assert_eq!(r.totals.tracing_lines, 4);
    assert_eq!(r.totals.connections, 1);
    assert!(r.zone.assumed_for_detector);
}

#[test]
fn detector_zone_shifts_times() {
    let text = sample("kb239570-detector.log");
    let zone = npe_lens::Zone::parse("America/Chicago").unwrap();
    let r = analyze(&[("d.log", text.as_bytes())], Options { zone });
    let json = serde_json::to_value(&r).unwrap();
    // 4:32:14 PM CDT (UTC−5) on 14 March 2022.
    assert_eq!(json["files"][0]["first"], "2022-03-14T21:32:14.000Z");
}

#[test]
fn json_has_the_contract_keys() {
    let r = report_of("op0.log", sample("kb160660-operational.log"));
    let json: Value = serde_json::to_value(&r).unwrap();
    for key in ["files", "totals", "timings", "findings"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    for key in ["name", "format", "lines", "first", "last"] {
        assert!(json["files"][0].get(key).is_some(), "files[].{key}");
    }
    for key in [
        "lines",
        "messages_complete",
        "message_errors",
        "connections",
        "unrecognized_lines",
    ] {
        assert!(json["totals"].get(key).is_some(), "totals.{key}");
    }
    for step in ["receive", "detection", "send", "total"] {
        for key in ["count", "mean", "p50", "p90", "p95", "p99", "max"] {
            assert!(json["timings"][step].get(key).is_some(), "{step}.{key}");
        }
    }
}
