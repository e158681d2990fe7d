//! Messy input: encodings, line ends, damage. Nothing crashes, nothing is
//! lost: every physical line is counted, and the records in the damaged
//! files are still read.

use npe_lens::analysis::{Analysis, Options};
use npe_lens::report_from_dataset;
use serde_json::Value;

/// One fixture and what reading it must give.
struct Case {
    name: &'static str,
    bytes: &'static [u8],
    messages: u64,
    unrecognized: u64,
    format: &'static str,
}

macro_rules! case {
    ($name:literal, $messages:expr, $unrecognized:expr, $format:literal) => {
        Case {
            name: $name,
            bytes: include_bytes!(concat!("fixtures/messy/", $name)),
            messages: $messages,
            unrecognized: $unrecognized,
            format: $format,
        }
    };
}

const CASES: &[Case] = &[
    case!("utf8-bom.log", 1, 0, "operational"),
    case!("utf16le-bom.log", 1, 0, "operational"),
    case!("utf16be-bom.log", 1, 0, "operational"),
    case!("latin1.log", 1, 0, "operational"),
    case!("crlf.log", 1, 0, "operational"),
    case!("cr-only.log", 1, 0, "operational"),
    case!("mixed-line-ends.log", 1, 0, "operational"),
    case!("truncated-last-line.log", 1, 0, "operational"),
    case!("nul-bytes.log", 1, 1, "operational"),
    case!("empty.log", 0, 0, "unknown"),
    case!("out-of-order.log", 3, 0, "operational"),
    case!("clock-change.log", 2, 0, "operational"),
];

const JUNK: &[u8] = include_bytes!("fixtures/messy/binary-junk.log");

/// Physical lines as a person counts them: a line ends at LF, at CR LF,
/// or at a CR alone; a last line without an end still counts. UTF-16 is
/// counted on its code units.
fn physical_lines(bytes: &[u8]) -> u64 {
    let units: Vec<u16> = match bytes {
        [0xFF, 0xFE, rest @ ..] => {
            rest.chunks(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect()
        }
        [0xFE, 0xFF, rest @ ..] => {
            rest.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect()
        }
        _ => bytes.iter().map(|&b| u16::from(b)).collect(),
    };
    let (cr, lf) = (u16::from(b'\r'), u16::from(b'\n'));
    let mut lines = 0;
    let mut open = false;
    for (i, &u) in units.iter().enumerate() {
        if u == lf || (u == cr && units.get(i + 1) != Some(&lf)) {
            lines += 1;
            open = false;
        } else if u != cr {
            open = true;
        }
    }
    lines + u64::from(open)
}

fn report(name: &str, bytes: &[u8], chunk: usize) -> Value {
    let mut analysis = Analysis::new(Options::default());
    analysis.begin_file(name);
    for piece in bytes.chunks(chunk.max(1)) {
        analysis.feed(piece);
    }
    analysis.end_file();
    serde_json::to_value(report_from_dataset(&analysis.finish())).unwrap()
}

#[test]
fn every_case_is_read_without_loss() {
    for case in CASES {
        let r = report(case.name, case.bytes, 1 << 20);
        let t = &r["totals"];
        let label = case.name;
        assert_eq!(t["lines"], physical_lines(case.bytes), "{label}: lines");
        assert_eq!(
            t["messages_complete"].as_u64().unwrap()
                + t["message_errors"].as_u64().unwrap(),
            case.messages,
            "{label}: messages"
        );
        assert_eq!(t["unrecognized_lines"], case.unrecognized, "{label}");
        assert_eq!(r["files"][0]["format"], case.format, "{label}: format");
    }
}

#[test]
fn chunking_never_changes_the_result() {
    for case in CASES {
        let whole = report(case.name, case.bytes, 1 << 20);
        for chunk in [1, 2, 3, 7, 64, 333] {
            let split = report(case.name, case.bytes, chunk);
            assert_eq!(split, whole, "{}: chunks of {chunk}", case.name);
        }
    }
}

#[test]
fn utf16_is_named_in_the_report() {
    let r = report("le.log", CASES[1].bytes, 4096);
    assert_eq!(r["files"][0]["encoding"], "utf-16le");
    let r = report("be.log", CASES[2].bytes, 4096);
    assert_eq!(r["files"][0]["encoding"], "utf-16be");
}

#[test]
fn latin1_text_is_shown_as_latin1() {
    let r = report("latin1.log", CASES[3].bytes, 4096);
    let text = r.to_string();
    assert!(text.contains("René"), "{text}");
}

#[test]
fn clock_change_keeps_time_moving_forward() {
    // 01:59 at −05:00 and then 01:30 at −06:00: local time went back,
    // UTC did not.
    let r = report("clock.log", CASES[11].bytes, 4096);
    assert_eq!(r["files"][0]["out_of_order_records"], 0);
    assert_eq!(r["files"][0]["first"], "2012-11-04T06:59:00.000Z");
    assert_eq!(r["files"][0]["last"], "2012-11-04T07:30:00.000Z");
}

#[test]
fn out_of_order_records_are_counted_and_named() {
    let r = report("ooo.log", CASES[10].bytes, 4096);
    assert!(r["files"][0]["out_of_order_records"].as_u64().unwrap() >= 1);
    let notes = r["files"][0]["notes"].to_string();
    assert!(notes.contains("earlier than the one before"), "{notes}");
}

#[test]
fn binary_junk_is_not_an_npe_log() {
    let r = report("junk.log", JUNK, 4096);
    assert_eq!(r["files"][0]["format"], "unknown");
    assert_eq!(r["totals"]["lines"], physical_lines(JUNK));
    let notes = r["files"][0]["notes"].to_string();
    assert!(notes.contains("not an NPE log"), "{notes}");
}

#[test]
fn a_ten_megabyte_line_is_cut_counted_and_passed() {
    let sample = CASES[0].bytes;
    let mut bytes = sample.to_vec();
    bytes.extend(std::iter::repeat_n(b'A', 10 << 20));
    bytes.push(b'\n');
    bytes.extend_from_slice(&sample[3..]);
    for chunk in [4 << 20, 65_537] {
        let r = report("long.log", &bytes, chunk);
        assert_eq!(r["totals"]["lines"], 9, "chunks of {chunk}");
        assert_eq!(r["totals"]["unrecognized_lines"], 1);
        assert_eq!(r["totals"]["messages_complete"], 2);
        let notes = r["files"][0]["notes"].to_string();
        assert!(notes.contains("longer than 64 KiB"), "{notes}");
    }
}

#[test]
fn files_of_every_kind_together() {
    let mut analysis = Analysis::new(Options::default());
    let mut expected = 0;
    for case in CASES {
        analysis.begin_file(case.name);
        analysis.feed(case.bytes);
        analysis.end_file();
        expected += physical_lines(case.bytes);
    }
    let r = report_from_dataset(&analysis.finish());
    // Several fixtures hold the same records but different bytes: all
    // their lines count.
    assert_eq!(r.totals.lines, expected);
}
