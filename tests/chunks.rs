//! Chunk boundaries must not change the result: the page and the CLI feed
//! files in pieces, and a line or a two-line detector record may be split
//! anywhere.

mod common;

use common::sample;
use npe_lens::analysis::{Analysis, Options};
use npe_lens::report_from_dataset;
use serde_json::Value;

const FIXTURES: &[&str] = &[
    "kb160660-operational.log",
    "kb216504-detector-nodates.log",
    "kb239570-detector.log",
    "kb407328-detector-nodates.log",
];

fn report_in_chunks(name: &str, bytes: &[u8], cuts: &[usize]) -> Value {
    let mut analysis = Analysis::new(Options::default());
    analysis.begin_file(name);
    let mut from = 0;
    for &cut in cuts {
        analysis.feed(&bytes[from..cut]);
        from = cut;
    }
    analysis.feed(&bytes[from..]);
    analysis.end_file();
    serde_json::to_value(report_from_dataset(&analysis.finish())).unwrap()
}

#[test]
fn split_at_every_byte_offset() {
    for name in FIXTURES {
        let text = sample(name);
        let bytes = text.as_bytes();
        let whole = report_in_chunks(name, bytes, &[]);
        for cut in 0..=bytes.len() {
            let split = report_in_chunks(name, bytes, &[cut]);
            assert_eq!(split, whole, "{name}: split at byte {cut}");
        }
    }
}

#[test]
fn one_byte_at_a_time() {
    for name in FIXTURES {
        let text = sample(name);
        let bytes = text.as_bytes();
        let whole = report_in_chunks(name, bytes, &[]);
        let cuts: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(report_in_chunks(name, bytes, &cuts), whole, "{name}");
    }
}

#[test]
fn missing_final_newline_still_reads_the_last_line() {
    let text = sample(FIXTURES[0]).trim_end();
    let r = report_in_chunks("op.log", text.as_bytes(), &[10]);
    assert_eq!(r["totals"]["lines"], 4);
    assert_eq!(r["totals"]["messages_complete"], 1);
}

#[test]
fn crlf_line_ends_read_like_lf() {
    let text = sample(FIXTURES[0]);
    let crlf = text.replace('\n', "\r\n");
    let a = report_in_chunks("op.log", text.as_bytes(), &[]);
    let b = report_in_chunks("op.log", crlf.as_bytes(), &[]);
    assert_eq!(a["totals"], b["totals"]);
    assert_eq!(a["timings"], b["timings"]);
}

#[test]
fn utf8_byte_order_mark_is_skipped() {
    let text = sample(FIXTURES[0]);
    let with_bom = format!("\u{feff}{text}");
    let r = report_in_chunks("op.log", with_bom.as_bytes(), &[1]);
    assert_eq!(r["totals"]["unrecognized_lines"], 0);
    assert_eq!(r["totals"]["lines"], 4);
}
