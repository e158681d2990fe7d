//! The records an analysis keeps: what it reports of their size is what
//! it stores, and rotated files given newest first still come out in
//! time order across many storage blocks.

use npe_lens::analysis::{Analysis, Options, RecordBytes};
use npe_lens::generate::{generate, GenFormat, Scenario};
use npe_lens::message::{Connection, Message};
use npe_lens::records::SEGMENT_LEN;
use npe_lens::Zone;
use std::mem::size_of;

/// Rotated files of a few storage blocks of messages, newest first, as
/// the generator names them.
fn rotated_files() -> Vec<(String, Vec<u8>)> {
    let messages = 3 * SEGMENT_LEN as u64 + 100;
    let mut scenario = Scenario::named(
        "mixed",
        5,
        GenFormat::Operational,
        Zone::utc(),
        messages,
    )
    .unwrap();
    scenario.files = 3;
    let names = scenario.file_names();
    let mut files: Vec<Vec<u8>> = vec![Vec::new(); names.len()];
    generate(&scenario, &mut |i, bytes| files[i].extend_from_slice(bytes));
    names.into_iter().zip(files).collect()
}

#[test]
fn record_bytes_are_the_records_stored() {
    let mut analysis = Analysis::new(Options::default());
    for (name, bytes) in rotated_files() {
        analysis.begin_file(&name);
        analysis.feed(&bytes);
        analysis.end_file();
    }
    let reading = analysis.record_bytes();
    let data = analysis.finish();

    let (messages, connections) = (data.messages.len(), data.connections.len());
    assert!(messages > 3 * SEGMENT_LEN && connections > 0);
    let stored = RecordBytes {
        messages: (messages * size_of::<Message>()) as u64,
        connections: (connections * size_of::<Connection>()) as u64,
    };
    assert_eq!(data.record_bytes(), stored);
    assert_eq!(reading, stored, "the same while reading");
    assert_eq!(data.messages.iter().count(), messages);
}

#[test]
fn rotated_files_given_newest_first_come_out_in_time_order() {
    let files = rotated_files();
    let mut analysis = Analysis::new(Options::default());
    let mut first_file_first = None;
    for (name, bytes) in &files {
        analysis.begin_file(name);
        analysis.feed(bytes);
        analysis.end_file();
        first_file_first = first_file_first.or(Some(name.clone()));
    }
    let data = analysis.finish();
    let times: Vec<_> = data.messages.iter().map(|m| m.time).collect();
    assert!(times.iter().all(Option::is_some));
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "messages in order");
    // The newest file was read first, so its records were moved.
    let last = &data.messages[data.messages.len() - 1];
    let newest = data.file_name(last.origin);
    assert_eq!(Some(newest.to_string()), first_file_first);
    let opened = data.connections.iter().map(|c| c.opened.or(c.closed));
    let timed: Vec<_> = opened.take_while(Option::is_some).collect();
    assert!(timed.windows(2).all(|w| w[0] <= w[1]), "connections in order");
}
