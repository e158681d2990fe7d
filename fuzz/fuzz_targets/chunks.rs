//! The chunked reader: any input, cut anywhere, gives the same report as
//! the whole input, and every physical line is counted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npe_lens::analysis::{Analysis, Options};
use npe_lens::report_from_dataset;

fn report(data: &[u8], cuts: &[usize]) -> serde_json::Value {
    let mut analysis = Analysis::new(Options::default());
    analysis.begin_file("fuzz.log");
    let mut from = 0;
    for &cut in cuts {
        analysis.feed(&data[from..cut]);
        from = cut;
    }
    analysis.feed(&data[from..]);
    analysis.end_file();
    serde_json::to_value(report_from_dataset(&analysis.finish())).unwrap()
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the chunk size; the rest is the file.
    let Some((&size, data)) = input.split_first() else { return };
    let step = usize::from(size % 31) + 1;
    let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
    let whole = report(data, &[]);
    let split = report(data, &cuts);
    assert_eq!(whole, split, "chunk size {step}");
    let mut physical = data.split(|&b| b == b'\n').count() as u64;
    if data.is_empty() || data.ends_with(b"\n") {
        physical -= 1;
    }
    assert_eq!(whole["totals"]["lines"], physical);
});
