//! The record splitter: every line of arbitrary input is classified
//! without a panic, whatever came before it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npe_lens::parse::fields::{LocalTime, Millis};
use npe_lens::parse::{LineReader, LocalToUtc};

struct Naive;

impl LocalToUtc for Naive {
    fn to_utc(&mut self, local: LocalTime) -> Millis {
        local.as_naive_millis()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut reader = LineReader::new();
    for line in data.split(|&b| b == b'\n') {
        let _ = reader.read(line, &mut Naive);
    }
});
