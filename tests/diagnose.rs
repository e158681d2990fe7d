//! Finding id × fixture: each failure mode gives its finding, in its time
//! window, and nothing else at warning or above; healthy logs give
//! `healthy` alone.
//!
//! The fixtures under `fixtures/diagnose/` are made of lines in the shapes
//! of the vendor samples (`fixtures/samples/`), with hand-set timings; see
//! `fixtures/diagnose/README.md`. Operational fixtures are written at
//! `-0500` and read in that zone, so the times in explanations are the
//! times in the lines.

use npe_lens::analysis::{analyze_bytes, Options};
use npe_lens::diagnose::{diagnose, Finding, Severity, Window};
use npe_lens::generate::{generate, GenFormat, Scenario};
use npe_lens::stats::summarize;
use npe_lens::Zone;

macro_rules! fixture {
    ($name:literal) => {
        ($name, include_str!(concat!("fixtures/diagnose/", $name)))
    };
}

macro_rules! sample {
    ($name:literal) => {
        ($name, include_str!(concat!("fixtures/samples/", $name)))
    };
}

#[test]
fn kb160660_forward_outage_cites_the_slow_message() {
    let findings = run(&[sample!("kb160660-operational.log")], "-05:00");
    let f = only_trouble(&findings, "forward-hosts-unavailable");
    assert_eq!(f.severity, Severity::Critical);
    for part in [
        "10.1 s to receive",
        "0.5 s to inspect",
        "89.5 s to hand to the downstream MTA",
        "89.5 s of its 100.1 s",
        "line 4",
    ] {
        assert!(f.explanation.contains(part), "missing {part:?} in {f:#?}");
    }
    assert!(f.samples.iter().any(|s| s.line == 4));
}

#[test]
fn healthy_operational_log_is_healthy() {
    let findings = run(&[fixture!("healthy.log")], "-05:00");
    assert_eq!(ids(&findings), ["healthy"], "{findings:#?}");
}

#[test]
fn healthy_detector_log_is_healthy() {
    let findings = run(&[fixture!("healthy-detector.log")], "UTC");
    assert_eq!(ids(&findings), ["healthy"], "{findings:#?}");
}

#[test]
fn thirty_five_minute_outage_in_six_hours() {
    let findings = run(&[fixture!("forward-hosts-unavailable.log")], "-05:00");
    let f = only_trouble(&findings, "forward-hosts-unavailable");
    assert_eq!(f.windows.len(), 1, "{f:#?}");
    assert_eq!(minutes(&f.windows[0]), 35);
    assert!(f.explanation.contains("between 10:00 and 10:34"), "{f:#?}");
    assert!(f.evidence.iter().any(|e| e.contains("mx1.example.com")));
    assert!(f.explanation.contains("messages=0"));
}

#[test]
fn outage_then_slow_delivery_gives_both_windows() {
    let findings =
        run(&[fixture!("outage-then-slow-downstream.log")], "-05:00");
    let outage = find(&findings, "forward-hosts-unavailable");
    let slow = find(&findings, "slow-downstream");
    assert_eq!(findings[0].id, "forward-hosts-unavailable");
    assert!(outage.explanation.contains("between 10:00 and 10:34"));
    assert!(slow.explanation.contains("between 10:50 and 11:29"), "{slow:#?}");
    for a in &outage.windows {
        assert!(slow.windows.iter().all(|b| !overlap(a, b)));
    }
    assert_eq!(trouble_ids(&findings).len(), 2, "{findings:#?}");
}

#[test]
fn slow_downstream_story_and_window() {
    let findings = run(&[fixture!("slow-downstream.log")], "-05:00");
    let f = only_trouble(&findings, "slow-downstream");
    assert!(f.explanation.contains("to hand to the downstream MTA"));
    assert!(f.explanation.contains("all between 09:40 and 10:14"), "{f:#?}");
    assert!(f.evidence.iter().any(|e| e.contains("p95")));
    assert!(f.samples.iter().all(|s| s.file == "slow-downstream.log"));
}

#[test]
fn slow_detection_in_detector_log() {
    let findings = run(&[fixture!("slow-detection-detector.log")], "UTC");
    let f = only_trouble(&findings, "slow-detection");
    assert!(f.explanation.contains("Messaging Gateway"), "{f:#?}");
    assert!(f.explanation.contains("between 07:40 and 08:09"), "{f:#?}");
    assert!(f.next_steps.iter().any(|s| s.contains("MaximumComponentTime")));
}

#[test]
fn slow_receive_looks_at_size() {
    let findings = run(&[fixture!("slow-receive.log")], "-05:00");
    let f = only_trouble(&findings, "slow-receive");
    assert!(f.evidence.iter().any(|e| e.contains("median size")));
    assert!(f.explanation.contains("between 07:00 and 07:29"), "{f:#?}");
}

#[test]
fn filereader_loss_and_recovery() {
    let findings = run(&[fixture!("filereader-link.log")], "-05:00");
    let f = only_trouble(&findings, "filereader-link");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.explanation.contains("07:35"), "{f:#?}");
}

#[test]
fn refused_hosts_are_named_with_the_setting() {
    let findings = run(&[fixture!("unauthorized-hosts.log")], "-05:00");
    let f = only_trouble(&findings, "unauthorized-hosts");
    assert!(f.explanation.contains("10.0.9.17 (30 times)"), "{f:#?}");
    assert!(f.explanation.contains("192.0.2.8 (1 time)"));
    assert!(f.next_steps[0].contains("RequestProcessor.AllowHosts"));
}

#[test]
fn rejections_in_detector_log_grouped_by_reply() {
    let findings =
        run(&[fixture!("downstream-rejections-detector.log")], "UTC");
    let f = only_trouble(&findings, "downstream-rejections");
    assert!(f.evidence.iter().any(|e| e
        .contains("541 \"5.4.1 Content blocked by Internal Firewall\": 30")));
    assert!(f.explanation.contains("disposition=PASS"));
}

#[test]
fn vendor_rejection_sample_without_dates() {
    let findings = run(&[sample!("kb407328-detector-nodates.log")], "UTC");
    let f = find(&findings, "downstream-rejections");
    assert!(f.explanation.contains("Content blocked by Internal Firewall"));
}

#[test]
fn disconnect_burst_is_a_warning() {
    let findings = run(&[fixture!("peer-disconnects.log")], "-05:00");
    let f = only_trouble(&findings, "peer-disconnects");
    assert!(f.explanation.contains("between 08:10 and 08:15"), "{f:#?}");
}

#[test]
fn vendor_disconnect_sample_alone_is_not_reported() {
    let findings = run(&[sample!("kb160111-operational.log")], "UTC");
    assert!(trouble_ids(&findings).is_empty(), "{findings:#?}");
}

#[test]
fn pipelining_artifacts_are_info_and_never_slow_receive() {
    for files in [
        vec![fixture!("timing-artifacts.log")],
        vec![sample!("kb432573-operational-fragment.log")],
    ] {
        let findings = run(&files, "-05:00");
        let f = find(&findings, "timing-artifacts");
        assert_eq!(f.severity, Severity::Info);
        assert!(!ids(&findings).contains(&"slow-receive"));
        assert!(trouble_ids(&findings).is_empty(), "{findings:#?}");
    }
}

#[test]
fn detection_timeouts_from_vendor_samples() {
    let findings = run(
        &[
            sample!("kb216504-detector-nodates.log"),
            sample!("kb159771-detector.log"),
            sample!("kb160136-detection-operational.log"),
        ],
        "UTC",
    );
    let f = only_trouble(&findings, "detection-timeouts");
    assert!(f.explanation.contains("restarted 1 time"), "{f:#?}");
    assert!(f.evidence[0].contains("passed through on timeout: 2"));
}

#[test]
fn problem_in_one_of_several_files_is_found() {
    let findings = run(
        &[fixture!("mixed-newer-0.log"), fixture!("mixed-older-1.log")],
        "-05:00",
    );
    let f = only_trouble(&findings, "forward-hosts-unavailable");
    assert!(f.explanation.contains("between 07:00 and 07:34"), "{f:#?}");
    assert!(f.samples.iter().all(|s| s.file == "mixed-older-1.log"));
}

#[test]
fn findings_are_ordered_by_severity_then_affected() {
    let findings = run(
        &[
            fixture!("unauthorized-hosts.log"),
            fixture!("forward-hosts-unavailable.log"),
            fixture!("timing-artifacts.log"),
            fixture!("peer-disconnects.log"),
        ],
        "-05:00",
    );
    assert_eq!(findings[0].id, "forward-hosts-unavailable");
    for pair in findings.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            a.severity < b.severity
                || (a.severity == b.severity && a.affected >= b.affected),
            "{} before {}",
            a.id,
            b.id
        );
    }
    assert!(!ids(&findings).contains(&"healthy"));
}

/// The finding each generated scenario must give, besides which nothing
/// may reach warning.
const SCENARIOS: &[(&str, &[&str])] = &[
    ("healthy", &["healthy"]),
    ("outage", &["forward-hosts-unavailable"]),
    ("slow-downstream", &["slow-downstream"]),
    ("slow-detection", &["slow-detection"]),
    ("slow-receive", &["slow-receive"]),
    ("filereader-loss", &["filereader-link"]),
    ("unauthorized-hosts", &["unauthorized-hosts"]),
    ("rejections", &["downstream-rejections"]),
    ("pipelining", &["timing-artifacts"]),
    ("peer-disconnects", &["peer-disconnects"]),
    ("mixed", &["forward-hosts-unavailable", "slow-downstream"]),
];

#[test]
fn generated_scenarios_give_their_finding_in_their_window() {
    let zones = ["UTC", "+05:30", "America/Chicago"];
    let volumes = [600, 2_500];
    for (name, expected) in SCENARIOS {
        for seed in 1..=6_u64 {
            let zone = zones[seed as usize % zones.len()];
            let volume = volumes[(seed as usize / 2) % volumes.len()];
            let format = if seed % 2 == 0 {
                GenFormat::Operational
            } else {
                GenFormat::Detector
            };
            let label =
                format!("{name} seed {seed} {zone} {volume} {format:?}");
            check_scenario(&label, name, expected, seed, format, zone, volume);
        }
    }
}

// Helper functions follow.

fn check_scenario(
    label: &str,
    name: &str,
    expected: &[&str],
    seed: u64,
    format: GenFormat,
    zone: &str,
    volume: u64,
) {
    let zone = Zone::parse(zone).expect("a valid zone");
    let scenario = Scenario::named(name, seed, format, zone.clone(), volume)
        .expect("a named scenario");
    let names = scenario.file_names();
    let mut files: Vec<Vec<u8>> = vec![Vec::new(); names.len()];
    let truth =
        generate(&scenario, &mut |i, bytes| files[i].extend_from_slice(bytes));
    let inputs: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| n.as_str())
        .zip(files.iter().map(|f| &f[..]))
        .collect();
    let data = analyze_bytes(&inputs, Options { zone });
    let findings = diagnose(&data, &summarize(&data));
    let got = ids(&findings);
    for id in expected {
        let f = findings.iter().find(|f| f.id == *id).unwrap_or_else(|| {
            panic!("{label}: no {id} in {got:?}\n{findings:#?}")
        });
        let faults: Vec<Window> = truth
            .faults
            .iter()
            .map(|(_, first, last)| Window { first: *first, last: *last })
            .collect();
        if !faults.is_empty() && !f.windows.is_empty() {
            assert!(
                f.windows.iter().any(|w| faults.iter().any(|t| overlap(w, t))),
                "{label}: {id} windows miss the fault {faults:?}: {f:#?}"
            );
        }
    }
    let extra: Vec<&str> = trouble_ids(&findings)
        .into_iter()
        .filter(|id| !expected.contains(id))
        .collect();
    assert!(extra.is_empty(), "{label}: also {extra:?}\n{findings:#?}");
}

fn run(files: &[(&str, &str)], zone: &str) -> Vec<Finding> {
    let inputs: Vec<(&str, &[u8])> =
        files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    let zone = Zone::parse(zone).expect("a valid zone");
    let data = analyze_bytes(&inputs, Options { zone });
    diagnose(&data, &summarize(&data))
}

fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.id).collect()
}

fn trouble_ids(findings: &[Finding]) -> Vec<&'static str> {
    findings
        .iter()
        .filter(|f| f.severity <= Severity::Warning)
        .map(|f| f.id)
        .collect()
}

fn find<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} finding in {:?}", ids(findings)))
}

/// The finding `id`, which must be the only one at warning or above.
fn only_trouble<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    assert_eq!(trouble_ids(findings), [id], "{findings:#?}");
    find(findings, id)
}

fn minutes(w: &Window) -> i64 {
    (w.last - w.first + 1) / 60_000
}

fn overlap(a: &Window, b: &Window) -> bool {
    a.first <= b.last && b.first <= a.last
}

/// A receive of exactly the threshold is slow; a hair under it is not,
/// whether or not the rule looks at each message.
#[test]
fn slow_receive_starts_at_its_threshold() {
    let log = |rtime: &str| -> String {
        (0..12)
            .map(|i| {
                format!(
                    "12/Jun/12:08:{i:02}:10:000-0500 [INFO] \
                     (SMTP_MESSAGE.1300) Message complete (tid=1 cid={i} \
                     code=250 rtime={rtime}s dtime=0.5s mtime=31.5s)\n"
                )
            })
            .collect()
    };
    let at = run(&[("SmtpPrevent_operational0.log", &log("30"))], "UTC");
    assert!(ids(&at).contains(&"slow-receive"), "{:?}", ids(&at));
    let under = run(&[("SmtpPrevent_operational0.log", &log("29.99"))], "UTC");
    assert!(!ids(&under).contains(&"slow-receive"), "{:?}", ids(&under));
}
