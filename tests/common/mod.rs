//! Fixtures shared by the integration tests.

/// The vendor's published sample lines, by file name.
pub const SAMPLES: &[(&str, &str)] = &[
    (
        "kb159771-detector.log",
        include_str!("../fixtures/samples/kb159771-detector.log"),
    ),
    (
        "kb160111-operational.log",
        include_str!("../fixtures/samples/kb160111-operational.log"),
    ),
    (
        "kb160136-detection-operational.log",
        include_str!("../fixtures/samples/kb160136-detection-operational.log"),
    ),
    (
        "kb160660-operational.log",
        include_str!("../fixtures/samples/kb160660-operational.log"),
    ),
    (
        "kb216504-detector-nodates.log",
        include_str!("../fixtures/samples/kb216504-detector-nodates.log"),
    ),
    (
        "kb239570-detector.log",
        include_str!("../fixtures/samples/kb239570-detector.log"),
    ),
    (
        "kb407328-detector-nodates.log",
        include_str!("../fixtures/samples/kb407328-detector-nodates.log"),
    ),
    (
        "kb432573-operational-fragment.log",
        include_str!("../fixtures/samples/kb432573-operational-fragment.log"),
    ),
];

/// One sample by name.
pub fn sample(name: &str) -> &'static str {
    SAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no sample {name}"))
        .1
}
