//! The chunked reader: any input, cut anywhere, gives the same report as
//! the whole input, and every physical line is counted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npe_lens::analysis::{Analysis, Options};
use npe_lens::decode::Decoder;
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

/// Lines of the decoded text: each ends at LF, CR LF or a lone CR, and a
/// last line without an end counts too.
fn physical_lines(data: &[u8]) -> u64 {
    let mut decoder = Decoder::new();
    let mut text = decoder.decode(data).to_vec();
    text.extend_from_slice(decoder.finish());
    let mut lines = 0;
    let mut open = false;
    for (i, &b) in text.iter().enumerate() {
        let lone_cr = b == b'\r' && text.get(i + 1) != Some(&b'\n');
        if b == b'\n' || lone_cr {
            lines += 1;
            open = false;
        } else if b != b'\r' {
            open = true;
        }
    }
    lines + u64::from(open)
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the chunk size; the rest is the file.
    let Some((&size, data)) = input.split_first() else { return };
    let step = usize::from(size % 31) + 1;
    let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
    let whole = report(data, &[]);
    let split = report(data, &cuts);
    assert_eq!(whole, split, "chunk size {step}");
    assert_eq!(whole["totals"]["lines"], physical_lines(data));
});
