//! The records an analysis keeps: what it reports of their size is what
//! it stores, and rotated files given newest first still come out in
//! time order across many storage blocks.

use npe_lens::analysis::{analyze_bytes, Analysis, Options, RecordBytes, Step};
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

/// An analysis that has read the rotated files, in the order given.
fn reading_of(files: &[(String, Vec<u8>)]) -> Analysis {
    let mut analysis = Analysis::new(Options::default());
    for (name, bytes) in files {
        analysis.begin_file(name);
        analysis.feed(bytes);
        analysis.end_file();
    }
    analysis
}

#[test]
fn record_bytes_are_the_records_stored() {
    let analysis = reading_of(&rotated_files());
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
    let first_file_first = files.first().map(|(name, _)| name.clone());
    let data = reading_of(&files).finish();
    let times: Vec<_> = data.messages.iter().map(|m| m.time.get()).collect();
    assert!(times.iter().all(Option::is_some));
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "messages in order");
    // The newest file was read first, so its records were moved.
    let last = &data.messages[data.messages.len() - 1];
    let newest = data.file_name(last.origin);
    assert_eq!(Some(newest.to_string()), first_file_first);
    let opened =
        data.connections.iter().map(|c| c.opened.get().or(c.closed.get()));
    let timed: Vec<_> = opened.take_while(Option::is_some).collect();
    assert!(timed.windows(2).all(|w| w[0] <= w[1]), "connections in order");
}

/// The slowest messages of each step are the largest values of that
/// step over all the messages, across the three files and their merge.
#[test]
fn slowest_lists_hold_the_largest_values() {
    let data = reading_of(&rotated_files()).finish();
    assert_eq!(data.slowest.len(), 4);
    for (step, kept) in &data.slowest {
        let mut all: Vec<f64> =
            data.messages.iter().filter_map(|m| step.of(m)).collect();
        all.sort_by(|a, b| b.total_cmp(a));
        all.truncate(npe_lens::analysis::SLOWEST_KEPT);
        let got: Vec<f64> =
            kept.iter().map(|k| step.of(&k.message).unwrap()).collect();
        assert_eq!(got, all, "{step:?}");
    }
}

/// A list that has just taken a slower message must not judge the next
/// one by the value it dropped.
#[test]
fn slowest_lists_follow_each_replacement() {
    let sends =
        [1.0, 2.0, 3.0, 4.0, 5.0, 100.0, 1.5, 7.0, 0.5, 6.0, 200.0, 2.5];
    let log: String = sends
        .iter()
        .enumerate()
        .map(|(i, send)| {
            format!(
                "12/Jun/12:08:00:{i:02}:410-0500 [INFO] (SMTP_MESSAGE.1300) \
                 Message complete (tid=1 cid={i} code=250 rtime=0.1s \
                 dtime=0.1s mtime={:.1}s)\n",
                send + 0.2
            )
        })
        .collect();
    let data =
        analyze_bytes(&[("op0.log", log.as_bytes())], Options::default());
    let (_, kept) = data
        .slowest
        .iter()
        .find(|(step, _)| *step == Step::Send)
        .expect("a send list");
    let got: Vec<f64> = kept
        .iter()
        .map(|k| (Step::Send.of(&k.message).unwrap() * 10.0).round() / 10.0)
        .collect();
    assert_eq!(got, [200.0, 100.0, 7.0, 6.0, 5.0]);
}

/// A message's downstream host is the last one its thread forwarded to,
/// whatever the size of the thread id.
#[test]
fn messages_take_the_host_their_thread_forwarded_to() {
    let forward = |tid: u32, host: &str| {
        format!(
            "12/Jun/12:08:00:00:000-0500 [INFO] (SMTP_CONNECTION.1203) \
             Forward connection established (tid={tid} cid=<> \
             remote={host}:25)\n"
        )
    };
    let message = |tid: u32| {
        format!(
            "12/Jun/12:08:00:01:000-0500 [INFO] (SMTP_MESSAGE.1300) \
             Message complete (tid={tid} cid=5 code=250 rtime=1s \
             dtime=1s mtime=3s)\n"
        )
    };
    let log = [
        forward(70_000, "mx-a.test"),
        forward(5, "mx-b.test"),
        forward(70_000, "mx-c.test"),
        message(70_000),
        message(5),
        message(6),
        message(70_001),
        forward(5, "mx-a.test"),
        message(5),
    ]
    .concat();
    let data =
        analyze_bytes(&[("op0.log", log.as_bytes())], Options::default());
    let hosts: Vec<&str> = data
        .messages
        .iter()
        .map(|m| data.symbols.resolve(m.downstream))
        .collect();
    assert_eq!(hosts, ["mx-c.test", "mx-b.test", "", "", "mx-a.test"]);
}

/// Counting the messages before a time by binary search gives what a
/// walk over them gives, across storage blocks and at every edge.
#[test]
fn partition_points_match_a_walk() {
    let data = reading_of(&rotated_files()).finish();
    let times: Vec<i64> =
        data.messages.iter().map(|m| m.time.get().unwrap()).collect();
    let (first, last) = (times[0], times[times.len() - 1]);
    let probes =
        [first - 1, first, first + 1, times[SEGMENT_LEN], last, last + 1];
    let probes = probes
        .into_iter()
        .chain((0..50).map(|i| first + (last - first) * i / 49));
    for t in probes {
        let walked = times.iter().filter(|&&m| m < t).count();
        let searched = data
            .messages
            .partition_point(|m| m.time.get().is_some_and(|m| m < t));
        assert_eq!(searched, walked, "before {t}");
    }
}
