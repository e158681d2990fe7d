//! The WebAssembly boundary, run in headless Chromium through
//! wasm-bindgen-test-runner: the handle the worker drives, its errors,
//! and the chart renderers the page's main thread calls.
#![cfg(target_arch = "wasm32")]

use js_sys::Uint8Array;
use npe_lens::wasm::{
    render_distribution_chart, render_error_chart, render_timing_chart,
    Analyzer,
};
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Broadcom KB 160660: a forward-host failure, then one message whose
/// send time (mtime − rtime − dtime) is 89.53 s.
const KB160660: &str =
    include_str!("fixtures/samples/kb160660-operational.log");

/// An odd chunk size, so lines and fields are split across chunks.
const CHUNK: usize = 7;

fn json(value: JsValue) -> Value {
    serde_wasm_bindgen::from_value(value).expect("a plain object")
}

fn analyzed(zone: &str, log: &str) -> Analyzer {
    let mut analyzer = Analyzer::new(zone).map_err(JsValue::from).unwrap();
    analyzer.begin_file("SmtpPrevent_operational0.log").unwrap();
    for chunk in log.as_bytes().chunks(CHUNK) {
        let chunk = Uint8Array::from(chunk);
        analyzer.feed(&chunk).map_err(JsValue::from).unwrap();
    }
    analyzer.end_file().unwrap();
    analyzer
}

#[wasm_bindgen_test]
fn kb160660_in_chunks_gives_its_timings() {
    let mut analyzer = analyzed("America/Chicago", KB160660);
    let progress = json(analyzer.progress().unwrap());
    assert_eq!(progress["lines"], 4);
    assert_eq!(progress["messages"], 1);
    assert_eq!(progress["bytes"], KB160660.len());

    let report = json(analyzer.finish().map_err(JsValue::from).unwrap());
    assert_eq!(report["zone"]["name"], "America/Chicago");
    assert_eq!(report["totals"]["lines"], 4);
    assert_eq!(report["totals"]["messages_complete"], 1);
    let timings = &report["timings"];
    assert_eq!(timings["receive"]["p50"], 10.06);
    assert_eq!(timings["detection"]["p50"], 0.5);
    assert_eq!(timings["send"]["p50"], 89.53);
    assert_eq!(timings["total"]["max"], 100.09);
    assert!(report["findings"].is_array());
}

#[wasm_bindgen_test]
fn empty_zone_means_utc() {
    let mut analyzer = analyzed("", KB160660);
    let report = json(analyzer.finish().map_err(JsValue::from).unwrap());
    assert_eq!(report["zone"]["name"], "UTC");
}

#[wasm_bindgen_test]
fn unknown_zone_is_an_error() {
    assert!(Analyzer::new("Mars/Olympus_Mons").is_err());
    assert!(Analyzer::new("+99:00").is_err());
    assert!(Analyzer::new("-05:00").is_ok());
}

#[wasm_bindgen_test]
fn calls_out_of_order_fail_instead_of_panicking() {
    let mut analyzer = Analyzer::new("UTC").map_err(JsValue::from).unwrap();
    let chunk = Uint8Array::from(&b"no file begun\n"[..]);
    assert!(analyzer.feed(&chunk).is_err());
    assert!(analyzer.chart_data(800).is_err());
    analyzer.finish().map_err(JsValue::from).unwrap();
    assert!(analyzer.finish().is_err());
    assert!(analyzer.begin_file("late.log").is_err());
}

#[wasm_bindgen_test]
fn the_last_file_is_still_compared_and_ends_the_list() {
    let mut analyzer = Analyzer::new("UTC").map_err(JsValue::from).unwrap();
    let whole = Uint8Array::from(KB160660.as_bytes());
    analyzer.begin_file("a.log").unwrap();
    analyzer.feed(&whole).map_err(JsValue::from).unwrap();
    analyzer.begin_last_file("b.log").unwrap();
    analyzer.feed(&whole).map_err(JsValue::from).unwrap();
    // Refused, not a panic: the worker goes on.
    assert!(analyzer.begin_file("c.log").is_err());
    assert!(analyzer.begin_last_file("c.log").is_err());
    let report = json(analyzer.finish().map_err(JsValue::from).unwrap());
    assert_eq!(report["totals"]["duplicate_files"], 1);
    assert_eq!(report["files"][1]["duplicate_of"], "a.log");
    assert_eq!(report["totals"]["messages_complete"], 1);
}

#[wasm_bindgen_test]
fn charts_render_to_svg_text() {
    let mut analyzer = analyzed("UTC", KB160660);
    analyzer.finish().map_err(JsValue::from).unwrap();
    let data = analyzer.chart_data(900).map_err(JsValue::from).unwrap();
    let series = json(data.clone());
    assert_eq!(series["zone"], "UTC");
    assert_eq!(series["untimed_messages"], 1);
    let forward: u64 = series["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| b["forward_errors"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(forward, 2);

    let drawn = [
        render_timing_chart(data.clone(), 900, 600),
        render_error_chart(data.clone(), 900, 260),
        render_distribution_chart(data, 900, 320),
    ];
    for svg in drawn {
        let svg = svg.map_err(JsValue::from).unwrap();
        assert!(svg.starts_with("<svg"), "not SVG: {}", &svg[..80]);
        assert!(svg.contains("<text"), "no labels");
        assert!(svg.contains("<rect") || svg.contains("<polyline"));
    }
}

#[wasm_bindgen_test]
fn chart_renderers_reject_other_data() {
    let not_series = JsValue::from_str("not chart data");
    assert!(render_timing_chart(not_series, 900, 600).is_err());
}

/// A filter as the page builds it.
fn filter(value: serde_json::Value) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(&value, &serializer).unwrap()
}

#[wasm_bindgen_test]
fn views_stories_and_exports_after_finish() {
    let mut analyzer = analyzed("UTC", KB160660);
    assert!(analyzer.view(JsValue::NULL, 600).is_err(), "before finish");
    analyzer.finish().map_err(JsValue::from).unwrap();

    let all = json(analyzer.view(JsValue::UNDEFINED, 600).unwrap());
    assert_eq!(all["messages"], 1);
    assert_eq!(all["report"]["totals"]["messages_complete"], 1);
    assert_eq!(all["slowest"][0]["send"], 89.53);
    let again =
        json(analyzer.view(filter(serde_json::json!({})), 600).unwrap());
    assert_eq!(again, all, "the view of everything, kept");
    let chart = analyzer.chart_data(600).map_err(JsValue::from).unwrap();
    assert_eq!(json(chart), all["chartData"]);
    let none = json(
        analyzer.view(filter(serde_json::json!({"code": 550})), 600).unwrap(),
    );
    assert_eq!(none["messages"], 0);
    let bad = analyzer.view(filter(serde_json::json!({"search": "("})), 600);
    assert!(bad.is_err(), "a bad pattern is an error, not a panic");

    let story = json(analyzer.story(0).map_err(JsValue::from).unwrap());
    assert_eq!(story["message"]["line"], 4);
    assert!(analyzer.story(7).is_err());

    let csv = analyzer.csv(JsValue::NULL, false).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let header = npe_lens::export::HEADER.join(",");
    assert_eq!(csv.lines().next(), Some(header.as_str()));
    let charts = filter(serde_json::json!([{"title": "t", "svg": "<svg/>"}]));
    let html = analyzer.html_report(JsValue::NULL, charts, true).unwrap();
    assert!(html.contains("data:image/svg+xml;base64,"));
    assert!(html.contains("Redacted"));
}

#[wasm_bindgen_test]
fn heap_bytes_count_the_records_kept() {
    use npe_lens::message::{Connection, Message};
    use std::mem::size_of;

    // One message and one connection (the 1205 with no 1201 before it).
    let mut analyzer = analyzed("UTC", KB160660);
    let reading = json(analyzer.heap_bytes().unwrap());
    assert_eq!(reading["messages"], size_of::<Message>());
    assert_eq!(reading["connections"], size_of::<Connection>());

    let report = json(analyzer.finish().map_err(JsValue::from).unwrap());
    assert_eq!(report["totals"]["connections"], 1);
    let heap = json(analyzer.heap_bytes().unwrap());
    assert_eq!(heap["messages"], size_of::<Message>());
    assert_eq!(heap["connections"], size_of::<Connection>());
    let bytes = |key: &str| heap[key].as_u64().unwrap();
    assert!(bytes("live") >= bytes("messages") + bytes("connections"));
    assert!(bytes("peak") >= bytes("live"));
}

#[wasm_bindgen_test]
fn memory_grows_in_large_steps_and_the_room_is_used() {
    use core::arch::wasm32::memory_size;
    const PAGE: usize = 64 * 1024;
    const BLOCK: usize = 64 * 1024;

    // Blocks of one page each, until one of them makes the memory grow.
    let mut kept: Vec<Vec<u8>> = Vec::new();
    let before = memory_size::<0>();
    while memory_size::<0>() == before {
        kept.push(vec![1; BLOCK]);
    }
    let grown = memory_size::<0>();
    assert!(
        (grown - before) * PAGE >= 16 << 20,
        "grew by {} pages only",
        grown - before
    );
    // The next eight MiB of requests fit in the room made.
    for _ in 0..(8 << 20) / BLOCK {
        kept.push(vec![1; BLOCK]);
    }
    assert_eq!(memory_size::<0>(), grown);
}
