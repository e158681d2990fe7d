//! The key=value scanner, numbers and timestamps on arbitrary bytes: no
//! panic, and every value lies inside the list it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npe_lens::parse::fields::{self, Fields};

fuzz_target!(|data: &[u8]| {
    let (text, list) = fields::split_field_list(data);
    assert!(text.len() <= data.len());
    if let Some(list) = list {
        let range = list.as_ptr_range();
        for f in Fields::new(list) {
            let start = f.value.as_ptr();
            assert!(range.start <= start && start <= range.end);
            let _ = fields::parse_number(f.value);
            let _ = fields::parse_count(f.value);
            let _ = fields::host_of(f.value);
            let _ = fields::port_of(f.value);
            let _ = fields::domain_of(f.value);
        }
    }
    let _ = fields::parse_operational_stamp(data);
    let _ = fields::parse_detector_stamp(data);
});
