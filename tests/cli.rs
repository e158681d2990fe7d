//! The `npe-lens` binary: exit codes, stderr, JSON, CSV, and the ways
//! logs arrive (plain, .gz, .zip bundles, folders, the same file twice).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KB160660: &str =
    include_str!("fixtures/samples/kb160660-operational.log");
const KB407328: &str =
    include_str!("fixtures/samples/kb407328-detector-nodates.log");

fn npe_lens(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npe-lens"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "status {:?}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
    })
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn json_report_of_the_kb_sample() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "SmtpPrevent_operational0.log", KB160660);
    let json =
        json_of(&npe_lens(&["analyze", "--json", "--tz", "UTC", s(&log)]));
    assert_eq!(json["totals"]["lines"], 4);
    assert_eq!(json["totals"]["messages_complete"], 1);
    assert_eq!(json["timings"]["send"]["max"], 89.53);
    assert_eq!(json["files"][0]["format"], "operational");
}

#[test]
fn readable_report_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "op0.log", KB160660);
    let out = npe_lens(&["analyze", "--tz", "UTC", s(&log)]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Timings (seconds)"), "{text}");
    assert!(text.contains("89.53"), "{text}");
}

#[test]
fn missing_input_exits_2_with_one_line() {
    let out = npe_lens(&["analyze", "/definitely/not/here.log"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("npe-lens: /definitely/not/here.log"), "{err}");
}

#[test]
fn bad_zone_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "op0.log", KB160660);
    let out = npe_lens(&["analyze", "--tz", "Nowhere/Special", s(&log)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("Nowhere/Special"), "{err}");
}

#[test]
fn one_unreadable_input_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "op0.log", KB160660);
    let out = npe_lens(&["analyze", "--json", s(&log), "/not/here.log"]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["totals"]["messages_complete"], 1);
}

#[test]
fn csv_has_one_row_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "op0.log", KB160660);
    let b = write(dir.path(), "RequestProcessor0.log", KB407328);
    let csv = dir.path().join("messages.csv");
    let out = npe_lens(&["analyze", "--csv", s(&csv), s(&a), s(&b)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let headers = reader.headers().unwrap().clone();
    for col in ["time", "receive", "detection", "send", "total", "code"] {
        assert!(headers.iter().any(|h| h == col), "no {col} in {headers:?}");
    }
    let rows: Vec<csv::StringRecord> =
        reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let send = headers.iter().position(|h| h == "send").unwrap();
    let code = headers.iter().position(|h| h == "code").unwrap();
    assert!(rows.iter().any(|r| &r[send] == "89.53"));
    assert!(rows.iter().any(|r| &r[code] == "541"));
}

#[test]
fn gzip_zip_and_folders_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("SmtpPrevent_operational1.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(KB160660.as_bytes()).unwrap();
    enc.finish().unwrap();
    let json = json_of(&npe_lens(&["analyze", "--json", s(&gz)]));
    assert_eq!(json["totals"]["messages_complete"], 1);

    let zip_path = dir.path().join("bundle.zip");
    let mut zip =
        zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("logs/SmtpPrevent_operational0.log", opts).unwrap();
    zip.write_all(KB160660.as_bytes()).unwrap();
    zip.start_file("logs/RequestProcessor0.log", opts).unwrap();
    zip.write_all(KB407328.as_bytes()).unwrap();
    zip.finish().unwrap();
    let json = json_of(&npe_lens(&["analyze", "--json", s(&zip_path)]));
    assert_eq!(json["totals"]["files"], 2);
    assert_eq!(json["totals"]["message_errors"], 1);
    let name = json["files"][0]["name"].as_str().unwrap();
    assert!(name.ends_with("bundle.zip/logs/RequestProcessor0.log"), "{name}");

    let folder = dir.path().join("collected");
    write(&folder, "a/SmtpPrevent_operational0.log", KB160660);
    write(&folder, "b/RequestProcessor0.log", KB407328);
    write(&folder, "b/notes.docx", "not a log");
    let json = json_of(&npe_lens(&["analyze", "--json", s(&folder)]));
    assert_eq!(json["totals"]["files"], 2);
}

#[test]
fn same_file_twice_is_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "x/SmtpPrevent_operational0.log", KB160660);
    let b = write(dir.path(), "y/SmtpPrevent_operational0.log", KB160660);
    let json = json_of(&npe_lens(&["analyze", "--json", s(&a), s(&b)]));
    assert_eq!(json["totals"]["messages_complete"], 1);
    assert_eq!(json["totals"]["lines"], 4);
    assert_eq!(json["totals"]["duplicate_files"], 1);
    assert_eq!(json["files"][1]["duplicate_of"], s(&a));
}

/// Every address (`local@domain`), domain and host name written in a log.
fn secrets_of(text: &str) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    for word in text.split(|c: char| " <>[]()=,;:".contains(c)) {
        let is_name = word.contains('.')
            && word.chars().any(|c| c.is_ascii_alphabetic())
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "@.-_".contains(c));
        let is_dotted_ip = word.split('.').count() == 4
            && word
                .split('.')
                .all(|p| !p.is_empty() && p.parse::<u8>().is_ok());
        if word.contains('@')
            || (is_name && word.ends_with(".example"))
            || is_dotted_ip
        {
            found.insert(word.to_string());
            if let Some((_, domain)) = word.split_once('@') {
                found.insert(domain.to_string());
            }
        }
    }
    found.into_iter().filter(|w| w.len() > 3).collect()
}

#[test]
fn redacted_html_and_csv_hold_no_input_address() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let out = npe_lens(&[
        "generate",
        "--scenario",
        "rejections",
        "--messages",
        "400",
        "--out",
        s(&logs),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut input = String::new();
    for entry in std::fs::read_dir(&logs).unwrap() {
        input += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    let secrets = secrets_of(&input);
    assert!(secrets.len() > 10, "the log has addresses: {secrets:?}");

    let html = dir.path().join("report.html");
    let csv = dir.path().join("messages.csv");
    let out = npe_lens(&[
        "analyze",
        "--redact",
        "--html",
        s(&html),
        "--csv",
        s(&csv),
        s(&logs),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&html).unwrap();
    let csv = std::fs::read_to_string(&csv).unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    for secret in &secrets {
        assert!(!html.contains(secret.as_str()), "{secret} in the HTML");
        assert!(!csv.contains(secret.as_str()), "{secret} in the CSV");
        assert!(!stdout.contains(secret.as_str()), "{secret} on stdout");
    }
    assert_eq!(csv.lines().count(), 401, "a header and one row per message");
    assert!(html.contains("data-finding-id=\"downstream-rejections\""));
    // Nothing in the report can reach the network.
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(
        html.contains("connect-src") || html.contains("default-src 'none'")
    );
}

/// The page writes its CSV with the same core function as `--csv`, so a
/// file analysed either way gives the same bytes.
#[test]
fn csv_matches_the_core_function() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/SmtpPrevent_operational1.log"),
    )
    .unwrap();
    let log = write(dir.path(), "SmtpPrevent_operational1.log", &text);
    for redact in [false, true] {
        let csv = dir.path().join("messages.csv");
        let mut args = vec!["analyze", "--tz", "UTC", "--csv", s(&csv)];
        if redact {
            args.push("--redact");
        }
        args.push(s(&log));
        assert!(npe_lens(&args).status.success());
        let written = std::fs::read_to_string(&csv).unwrap();
        let options = npe_lens::Options { zone: npe_lens::Zone::utc() };
        let data = npe_lens::analysis::analyze_bytes(
            &[(s(&log), text.as_bytes())],
            options,
        );
        let mut redactor =
            redact.then(|| npe_lens::redact::Redactor::from_dataset(&data));
        let core = npe_lens::export::messages_csv(&data, redactor.as_mut());
        assert_eq!(written, core, "redact: {redact}");
        let header = core.lines().next().unwrap();
        assert_eq!(header, npe_lens::export::HEADER.join(","));
    }
}

#[test]
fn html_report_holds_the_three_charts() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "op0.log", KB160660);
    let html = dir.path().join("report.html");
    let out =
        npe_lens(&["analyze", "--tz", "UTC", "--html", s(&html), s(&log)]);
    assert!(out.status.success());
    let html = std::fs::read_to_string(&html).unwrap();
    let images = html.matches("src=\"data:image/svg+xml;base64,").count();
    assert_eq!(images, 3, "{html}");
    assert!(html.contains(npe_lens::chart::TIMING_TITLE));
    assert!(!html.contains("<script"));
}

#[test]
fn junk_and_empty_files_are_named_and_the_rest_analyzed() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.log", "");
    let junk = dir.path().join("junk.log");
    let bytes: Vec<u8> =
        (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&junk, bytes).unwrap();
    let good = write(dir.path(), "op0.log", KB160660);
    let out = npe_lens(&["analyze", "--json", s(&empty), s(&junk), s(&good)]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("empty.log: the file is empty"), "{err}");
    assert!(err.contains("junk.log: this is not an NPE log"), "{err}");
    let json = json_of(&out);
    assert_eq!(json["totals"]["messages_complete"], 1);
    assert_eq!(json["files"][1]["format"], "unknown");
    let notes = json["files"][1]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
}

#[test]
fn messy_files_in_several_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messy");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    names.sort();
    // Two bundles that share one file, as collections sent twice do.
    for (bundle, part) in [("first.zip", 0), ("second.zip", 1)] {
        let path = dir.path().join(bundle);
        let mut zip =
            zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (i, file) in names.iter().enumerate() {
            if i % 2 == part || i == 0 {
                let inner = format!(
                    "server/logs/{}",
                    file.file_name().unwrap().to_str().unwrap()
                );
                zip.start_file(inner, opts).unwrap();
                zip.write_all(&std::fs::read(file).unwrap()).unwrap();
            }
        }
        zip.finish().unwrap();
    }
    let a = dir.path().join("first.zip");
    let b = dir.path().join("second.zip");
    let out = npe_lens(&["analyze", "--json", s(&a), s(&b)]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = json_of(&out);
    assert_eq!(json["totals"]["files"], names.len() as u64 + 1);
    assert_eq!(json["totals"]["duplicate_files"], 1, "{err}");
    assert!(err.contains("binary-junk.log: this is not an NPE log"), "{err}");
    assert!(err.contains("empty.log: the file is empty"), "{err}");
    let encodings: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["encoding"].as_str().unwrap())
        .collect();
    assert!(encodings.contains(&"utf-16le") && encodings.contains(&"utf-16be"));
}

#[test]
fn overlapping_copies_in_two_bundles_are_counted_once() {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messy");
    let monday =
        std::fs::read_to_string(fixtures.join("overlap-monday.log")).unwrap();
    let tuesday =
        std::fs::read_to_string(fixtures.join("overlap-tuesday.log")).unwrap();
    // What the two copies hold together, each line once.
    let distinct: std::collections::BTreeSet<&str> =
        monday.lines().chain(tuesday.lines()).collect();
    let shared = tuesday.lines().filter(|l| monday.contains(l)).count();
    assert!(shared > 0, "the fixtures overlap");
    let complete =
        distinct.iter().filter(|l| l.contains("Message complete")).count();
    let dir = tempfile::tempdir().unwrap();
    for (bundle, text) in [("mon.zip", &monday), ("tue.zip", &tuesday)] {
        let path = dir.path().join(bundle);
        let mut zip =
            zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("logs/SmtpPrevent_operational0.log", opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let (a, b) = (dir.path().join("mon.zip"), dir.path().join("tue.zip"));
    for (first, second) in [(&a, &b), (&b, &a)] {
        let out = npe_lens(&["analyze", "--json", s(first), s(second)]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let json = json_of(&out);
        let t = &json["totals"];
        assert_eq!(t["messages_complete"], complete as u64, "{err}");
        assert_eq!(t["repeated_records"], shared as u64, "{err}");
        let lines = monday.lines().count() + tuesday.lines().count();
        assert_eq!(t["lines"], lines as u64);
        assert_eq!(t["duplicate_files"], 0);
        assert!(
            err.contains(&format!("{shared} of its records are also in")),
            "{err}"
        );
        assert!(err.contains("an overlapping copy of the same log"), "{err}");
    }
}

#[test]
fn html_report_shows_injected_markup_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let payload = include_str!("fixtures/html-payload.log");
    let log = write(dir.path(), "op0.log", payload);
    let html = dir.path().join("report.html");
    let out = npe_lens(&["analyze", "--html", s(&html), s(&log)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&html).unwrap();
    // The payloads reach the report (as evidence) but only escaped.
    assert!(html.contains("__npeLensPwned"), "the payload text is shown");
    for raw in ["<script>window", "<img src=x", "onerror=\"window"] {
        assert!(!html.contains(raw), "{raw} left unescaped");
    }
    // The report's own policy forbids scripts even if one slipped through.
    assert!(html.contains("default-src 'none'"));
    assert!(!html.contains("script-src"));
}
