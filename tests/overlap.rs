//! Overlapping copies of one log, and rotated files given in any order.
//!
//! A bundle may hold the same log copied at two moments: the copies
//! overlap without being equal. Whatever the order they are given in,
//! the analysis must count what the whole log holds, once.

use npe_lens::analysis::{Analysis, Options};
use npe_lens::generate::{generate, GenFormat, Scenario};
use npe_lens::{report_from_dataset, Report, Zone};

/// A generated log of one file, as lines with their line ends.
fn log(format: GenFormat, seed: u64, messages: u64) -> Vec<Vec<u8>> {
    log_from(format, seed, messages, 0)
}

/// The same, starting `later` milliseconds after the default start.
fn log_from(
    format: GenFormat,
    seed: u64,
    messages: u64,
    later: i64,
) -> Vec<Vec<u8>> {
    let mut scenario =
        Scenario::named("mixed", seed, format, Zone::utc(), messages)
            .expect("a known scenario")
            .with_minutes(30);
    scenario.start += later;
    let mut bytes = Vec::new();
    generate(&scenario, &mut |_, b| bytes.extend_from_slice(b));
    bytes.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

/// The lines from `a` to `b` (fractions of the log) as one file's bytes.
/// Cuts move forward to the start of a record, so a detector record is
/// never split from its header.
fn slice(lines: &[Vec<u8>], a: f64, b: f64) -> Vec<u8> {
    let at = |f: f64| {
        let mut i = (lines.len() as f64 * f) as usize;
        while i < lines.len() && !starts_record(&lines[i]) {
            i += 1;
        }
        i
    };
    lines[at(a)..at(b)].concat()
}

/// Operational lines start with the day of the month; detector records
/// with the month name of their header.
fn starts_record(line: &[u8]) -> bool {
    line.first().is_some_and(u8::is_ascii_digit)
        || line.first().is_some_and(u8::is_ascii_uppercase)
            && !line.starts_with(b"INFO")
            && !line.starts_with(b"WARNING")
            && !line.starts_with(b"SEVERE")
            && !line.starts_with(b"FINE")
}

/// The report of `files`, read in chunks. Announcing the last file lets
/// the analysis keep less for it; the report must be the same either way.
fn analyze<B: AsRef<[u8]>>(files: &[(&str, B)]) -> Report {
    let report_of = |announce_last: bool| {
        let mut analysis = Analysis::new(Options::default());
        for (i, (name, bytes)) in files.iter().enumerate() {
            if announce_last && i + 1 == files.len() {
                analysis.begin_last_file(name);
            } else {
                analysis.begin_file(name);
            }
            for chunk in bytes.as_ref().chunks(4_093) {
                analysis.feed(chunk);
            }
            analysis.end_file();
        }
        report_from_dataset(&analysis.finish())
    };
    let announced = report_of(true);
    let json = |r: &Report| serde_json::to_value(r).expect("a report");
    assert_eq!(json(&announced), json(&report_of(false)), "last announced");
    announced
}

/// What must not change when the same log is given in overlapping
/// pieces: every count but the lines read.
fn assert_same_log(label: &str, got: &Report, whole: &Report) {
    let (g, w) = (&got.totals, &whole.totals);
    assert_eq!(g.messages_complete, w.messages_complete, "{label}: complete");
    assert_eq!(g.message_errors, w.message_errors, "{label}: errors");
    assert_eq!(g.connections, w.connections, "{label}: connections");
    assert_eq!(g.rejected_messages, w.rejected_messages, "{label}");
    let events = |r: &Report| {
        r.events.iter().map(|e| (e.name.clone(), e.count)).collect::<Vec<_>>()
    };
    assert_eq!(events(got), events(whole), "{label}: events");
    assert_eq!(got.timings, whole.timings, "{label}: timings");
    let ids = |r: &Report| r.findings.iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(ids(got), ids(whole), "{label}: findings");
}

#[test]
fn overlapping_copies_count_shared_records_once_in_either_order() {
    for format in [GenFormat::Operational, GenFormat::Detector] {
        let lines = log(format, 11, 3_000);
        let whole_bytes = lines.concat();
        let whole = analyze(&[("whole.log", &whole_bytes)]);
        // Monday's copy ends at 60 %; Tuesday's starts at 40 %.
        let monday = slice(&lines, 0.0, 0.6);
        let tuesday = slice(&lines, 0.4, 1.0);
        let shared = analyze(&[("shared.log", &slice(&lines, 0.4, 0.6))]);
        for (label, files) in [
            ("older first", [("mon.log", &monday), ("tue.log", &tuesday)]),
            ("newer first", [("tue.log", &tuesday), ("mon.log", &monday)]),
        ] {
            let got = analyze(&files);
            let label = format!("{format:?}, {label}");
            assert_same_log(&label, &got, &whole);
            let t = &got.totals;
            assert_eq!(
                t.lines,
                whole.totals.lines + shared.totals.lines,
                "{label}: every physical line is still counted"
            );
            let second = &got.files[1];
            assert!(second.repeated_records > 0, "{label}");
            assert_eq!(t.repeated_records, second.repeated_records);
            assert_eq!(got.files[0].repeated_records, 0, "{label}");
            let note = second.notes.iter().find(|n| n.contains("overlapping"));
            let note = note.unwrap_or_else(|| panic!("{label}: no note"));
            assert!(note.contains(&got.files[0].name), "{label}: {note}");
        }
    }
}

#[test]
fn a_copy_inside_another_adds_nothing() {
    let lines = log(GenFormat::Operational, 12, 2_000);
    let whole_bytes = lines.concat();
    let whole = analyze(&[("whole.log", &whole_bytes)]);
    let part = slice(&lines, 0.25, 0.5);
    let records = analyze(&[("part.log", &part)]).totals.recognized_lines;
    let got = analyze(&[("whole.log", &whole_bytes), ("part.log", &part)]);
    assert_same_log("part after whole", &got, &whole);
    assert_eq!(got.files[1].repeated_records, records);
    // The part first: the whole log then repeats all of its records.
    let got = analyze(&[("part.log", &part), ("whole.log", &whole_bytes)]);
    assert_same_log("part before whole", &got, &whole);
    assert_eq!(got.files[1].repeated_records, records);
}

#[test]
fn a_copy_cut_while_the_log_was_written_loses_only_its_cut_line() {
    let lines = log(GenFormat::Operational, 13, 2_000);
    let whole_bytes = lines.concat();
    let whole = analyze(&[("whole.log", &whole_bytes)]);
    // The copy stops a third of the way into its last line.
    let mut early = slice(&lines, 0.0, 0.5);
    let body = &early[..early.len() - 1];
    let start = body.iter().rposition(|&b| b == b'\n').expect("lines") + 1;
    early.truncate(start + (early.len() - start) / 3);
    let got = analyze(&[("early.log", &early), ("whole.log", &whole_bytes)]);
    let t = &got.totals;
    // The cut record is read from the complete copy; the damaged one in
    // the early copy is the only extra, as an unrecognized line or a
    // record of its own.
    let extra = (t.messages_complete + t.message_errors)
        - (whole.totals.messages_complete + whole.totals.message_errors);
    assert!(extra <= 1, "{extra} messages counted twice");
    let extra = t.connections - whole.totals.connections;
    assert!(extra <= 1, "{extra} connections counted twice");
    assert!(got.files[1].repeated_records > 0);
}

#[test]
fn logs_of_two_servers_at_the_same_time_share_nothing() {
    // The generator starts every server with the same two lines, which
    // two real servers would not write in the same millisecond.
    let a = log(GenFormat::Operational, 21, 1_500).concat();
    let b = log_from(GenFormat::Operational, 22, 1_500, 61_234).concat();
    let (ra, rb) = (analyze(&[("a.log", &a)]), analyze(&[("b.log", &b)]));
    let got = analyze(&[("a.log", &a), ("b.log", &b)]);
    assert!(got.files[0].last > got.files[1].first, "they overlap in time");
    let messages = |r: &Report| r.totals.messages_complete;
    assert_eq!(messages(&got), messages(&ra) + messages(&rb));
    assert_eq!(
        got.totals.connections,
        ra.totals.connections + rb.totals.connections
    );
}

#[test]
fn a_session_split_by_rotation_is_one_connection_in_either_order() {
    for format in [GenFormat::Operational, GenFormat::Detector] {
        let lines = log(format, 31, 2_000);
        let whole_bytes = lines.concat();
        let whole = analyze(&[("whole.log", &whole_bytes)]);
        // Rotation: the older file ends where the newer one starts.
        let older = slice(&lines, 0.0, 0.5);
        let newer = slice(&lines, 0.5, 1.0);
        for files in [
            [("log1.log", &older), ("log0.log", &newer)],
            [("log0.log", &newer), ("log1.log", &older)],
        ] {
            let got = analyze(&files);
            let label = format!("{format:?}, {} first", files[0].0);
            assert_same_log(&label, &got, &whole);
            assert_eq!(got.totals.repeated_records, 0, "{label}");
            assert_eq!(got.totals.lines, whole.totals.lines, "{label}");
        }
    }
}

#[test]
fn every_fixture_reads_the_same_when_announced_as_the_last_file() {
    let mut read = 0;
    for folder in ["diagnose", "messy", "samples"] {
        let dir = std::path::Path::new("tests/fixtures").join(folder);
        for entry in std::fs::read_dir(&dir).expect("the fixtures") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "log") {
                let bytes = std::fs::read(&path).expect("a fixture");
                // Alone, and as the last of two different files.
                analyze(&[("alone.log", &bytes)]);
                analyze(&[("first.log", &whole_day()), ("last.log", &bytes)]);
                read += 1;
            }
        }
    }
    assert!(read > 30, "only {read} fixtures found");
}

/// A generated log unlike any fixture.
fn whole_day() -> Vec<u8> {
    log(GenFormat::Operational, 14, 500).concat()
}

#[test]
fn a_last_file_that_repeats_an_earlier_one_is_still_found() {
    let bytes = whole_day();
    let got = analyze(&[("a.log", &bytes), ("b.log", &bytes)]);
    assert_eq!(got.totals.duplicate_files, 1);
    assert_eq!(got.files[1].duplicate_of.as_deref(), Some("a.log"));
    assert_eq!(
        got.totals.messages_complete,
        analyze(&[("a.log", &bytes)]).totals.messages_complete
    );
}

#[test]
#[should_panic(expected = "b.log: begun after the last file")]
fn no_file_may_follow_the_last() {
    let mut analysis = Analysis::new(Options::default());
    analysis.begin_last_file("a.log");
    analysis.end_file();
    analysis.begin_file("b.log");
}
