//! A seeded generator of realistic NPE logs, with the ground truth of
//! what it wrote.
//!
//! A [`Scenario`] names a log format, a zone, a span of time, a message
//! volume and a list of [`Fault`]s, each active in its own *window* (a
//! stretch of minutes from the start of the log, or the whole span for
//! faults that are counts). [`generate`] simulates the mail flow, writes
//! the records in time order through a callback, one rotated file after
//! another, and returns a [`Truth`]: line counts and the timing values
//! exactly as printed, for checking an analysis against.
//!
//! The same scenario always gives the same bytes: every random choice
//! comes from one seeded generator. Nothing here touches files or clocks;
//! the CLI decides where the bytes go.

mod digits;
mod render;
mod traffic;

use crate::parse::fields::Millis;
use crate::zone::Zone;
use render::{Render, DOWNSTREAM_HOSTS};
use traffic::{Traffic, MINUTE_MS};

/// Which log to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenFormat {
    /// `SmtpPrevent_operationalN.log`: one stamped record a line.
    Operational,
    /// `SymantecDLPDetectorN.log`: two-line java.util.logging records.
    Detector,
}

/// Something going wrong during part of the log.
///
/// Windows are given in minutes from the start of the log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// The downstream MTAs refuse connections: every session in the
    /// window logs 5203 for each forward host, 5210 and a 1205 with
    /// `messages=0`, and no message completes; the mail arrives again
    /// after the window.
    DownstreamOutage {
        /// First minute of the window.
        start_minute: u32,
        /// Length of the window.
        minutes: u32,
    },
    /// The next hop is slow to take messages: mtime far above
    /// rtime + dtime.
    SlowDownstream {
        /// First minute of the window.
        start_minute: u32,
        /// Length of the window.
        minutes: u32,
        /// Typical send time in the window, in seconds.
        send_seconds: f64,
    },
    /// Detection is slow: high dtime.
    SlowDetection {
        /// First minute of the window.
        start_minute: u32,
        /// Length of the window.
        minutes: u32,
        /// Typical detection time in the window, in seconds.
        detection_seconds: f64,
    },
    /// The upstream MTA is slow to hand messages over: high rtime.
    SlowReceive {
        /// First minute of the window.
        start_minute: u32,
        /// Length of the window.
        minutes: u32,
        /// Typical receive time in the window, in seconds.
        receive_seconds: f64,
    },
    /// The link to the FileReader is lost: 5101, 1102, repeated 5100,
    /// then 1103; messages in the window wait out the detection timeout.
    FileReaderLoss {
        /// First minute of the window.
        start_minute: u32,
        /// Length of the window.
        minutes: u32,
    },
    /// 5200 from a few hosts that are not allowed, spread over the log.
    UnauthorizedHosts {
        /// Number of refused connections.
        count: u32,
    },
    /// The next hop rejects a share of messages: message errors with
    /// code 541 and `mtime=<>`, and some 1300 records with code 550.
    DownstreamRejections {
        /// Rejected messages per thousand.
        per_mille: u32,
    },
    /// Messages hit by the PIPELINING + RSET defect: epoch rtime,
    /// `mtime=-0s`, `sender=<>`, `recipient_count=0`.
    PipeliningArtifacts {
        /// Number of such messages.
        count: u32,
    },
    /// Bare `5204 Peer disconnected unexpectedly` records.
    PeerDisconnects {
        /// Number of records.
        count: u32,
    },
}

impl Fault {
    /// A stable kebab-case name for the kind of fault.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::DownstreamOutage { .. } => "downstream-outage",
            Fault::SlowDownstream { .. } => "slow-downstream",
            Fault::SlowDetection { .. } => "slow-detection",
            Fault::SlowReceive { .. } => "slow-receive",
            Fault::FileReaderLoss { .. } => "filereader-loss",
            Fault::UnauthorizedHosts { .. } => "unauthorized-hosts",
            Fault::DownstreamRejections { .. } => "downstream-rejections",
            Fault::PipeliningArtifacts { .. } => "pipelining-artifacts",
            Fault::PeerDisconnects { .. } => "peer-disconnects",
        }
    }

    /// The window as `(start_minute, minutes)`; `None` for faults that
    /// are spread over the whole log.
    pub fn minutes(&self) -> Option<(u32, u32)> {
        match *self {
            Fault::DownstreamOutage { start_minute, minutes }
            | Fault::SlowDownstream { start_minute, minutes, .. }
            | Fault::SlowDetection { start_minute, minutes, .. }
            | Fault::SlowReceive { start_minute, minutes, .. }
            | Fault::FileReaderLoss { start_minute, minutes } => {
                Some((start_minute, minutes))
            }
            _ => None,
        }
    }

    /// The UTC window of the fault in a log starting at `start` and
    /// spanning `span_minutes`.
    pub fn window(&self, start: Millis, span_minutes: u32) -> (Millis, Millis) {
        let (first, length) = self.minutes().unwrap_or((0, span_minutes));
        let from = start + i64::from(first) * MINUTE_MS;
        (from, from + i64::from(length) * MINUTE_MS)
    }

    /// The same fault with its window scaled by `num / den`.
    fn scaled(mut self, num: u32, den: u32) -> Fault {
        let scale = |m: &mut u32| {
            *m = (u64::from(*m) * u64::from(num) / u64::from(den.max(1))) as u32
        };
        match &mut self {
            Fault::DownstreamOutage { start_minute, minutes }
            | Fault::SlowDownstream { start_minute, minutes, .. }
            | Fault::SlowDetection { start_minute, minutes, .. }
            | Fault::SlowReceive { start_minute, minutes, .. }
            | Fault::FileReaderLoss { start_minute, minutes } => {
                scale(start_minute);
                scale(minutes);
                *minutes = (*minutes).max(1);
            }
            _ => {}
        }
        self
    }
}

/// Everything that decides a generated log.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Seed of every random choice.
    pub seed: u64,
    /// Which log to write.
    pub format: GenFormat,
    /// Operational stamps carry this zone's offset at each instant;
    /// detector headers are wall-clock times in it.
    pub zone: Zone,
    /// Start of the log, UTC.
    pub start: Millis,
    /// Span of the log in minutes.
    pub minutes: u32,
    /// Approximate number of messages, spread over the span with a
    /// time-of-day rhythm.
    pub messages: u64,
    /// Number of rotated files, split by time; index 0 is the newest.
    pub files: u32,
    /// Detector log only: FINE/FINEST tracing and now and then a stack
    /// trace between the records.
    pub fine_noise: bool,
    /// What goes wrong.
    pub faults: Vec<Fault>,
    /// Whether [`Truth`] collects per-message values; off for benchmarks
    /// that write millions of messages.
    pub keep_values: bool,
}

/// 2026-03-02T08:00:00Z, the default start of a generated log.
pub const DEFAULT_START: Millis = 1_772_438_400_000;

/// Six hours: long enough for a fault window, a backlog and the quiet
/// before and after to all show.
pub const DEFAULT_MINUTES: u32 = 360;

impl Scenario {
    /// The names [`Scenario::named`] knows.
    pub const NAMES: &'static [&'static str] = &[
        "healthy",
        "outage",
        "slow-downstream",
        "slow-detection",
        "slow-receive",
        "filereader-loss",
        "unauthorized-hosts",
        "rejections",
        "pipelining",
        "peer-disconnects",
        "mixed",
    ];

    /// A named scenario over [`DEFAULT_MINUTES`] from [`DEFAULT_START`],
    /// in one file, without tracing noise; `None` for an unknown name.
    ///
    /// Windows are placed for the default span; use
    /// [`Scenario::with_minutes`] to change the span and keep them in
    /// proportion.
    pub fn named(
        name: &str,
        seed: u64,
        format: GenFormat,
        zone: Zone,
        messages: u64,
    ) -> Option<Scenario> {
        Some(Scenario {
            seed,
            format,
            zone,
            start: DEFAULT_START,
            minutes: DEFAULT_MINUTES,
            messages,
            files: 1,
            fine_noise: false,
            faults: named_faults(name)?,
            keep_values: true,
        })
    }

    /// The same scenario over `minutes`, with every fault window moved
    /// and stretched in proportion.
    pub fn with_minutes(mut self, minutes: u32) -> Scenario {
        let old = self.minutes;
        self.faults =
            self.faults.iter().map(|f| f.scaled(minutes, old)).collect();
        self.minutes = minutes;
        self
    }

    /// The file names, by index: 0 is the newest.
    pub fn file_names(&self) -> Vec<String> {
        let stem = match self.format {
            GenFormat::Operational => "SmtpPrevent_operational",
            GenFormat::Detector => "SymantecDLPDetector",
        };
        (0..self.files.max(1)).map(|i| format!("{stem}{i}.log")).collect()
    }
}

/// The faults of a named scenario, with windows for [`DEFAULT_MINUTES`].
fn named_faults(name: &str) -> Option<Vec<Fault>> {
    let faults = match name {
        "healthy" => vec![],
        "outage" => {
            vec![Fault::DownstreamOutage { start_minute: 150, minutes: 20 }]
        }
        "slow-downstream" => vec![Fault::SlowDownstream {
            start_minute: 120,
            minutes: 45,
            send_seconds: 60.0,
        }],
        "slow-detection" => vec![Fault::SlowDetection {
            start_minute: 200,
            minutes: 40,
            detection_seconds: 25.0,
        }],
        "slow-receive" => vec![Fault::SlowReceive {
            start_minute: 90,
            minutes: 40,
            receive_seconds: 45.0,
        }],
        "filereader-loss" => {
            vec![Fault::FileReaderLoss { start_minute: 240, minutes: 6 }]
        }
        "unauthorized-hosts" => vec![Fault::UnauthorizedHosts { count: 40 }],
        "rejections" => vec![Fault::DownstreamRejections { per_mille: 30 }],
        "pipelining" => vec![Fault::PipeliningArtifacts { count: 25 }],
        "peer-disconnects" => vec![Fault::PeerDisconnects { count: 60 }],
        "mixed" => vec![
            Fault::DownstreamOutage { start_minute: 100, minutes: 15 },
            Fault::SlowDownstream {
                start_minute: 220,
                minutes: 40,
                send_seconds: 45.0,
            },
        ],
        _ => return None,
    };
    Some(faults)
}

/// What a generated log holds, computed from the values as printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Truth {
    /// Physical lines written, all files together.
    pub lines: u64,
    /// Physical lines per file, by file index (0 is the newest).
    pub lines_per_file: Vec<u64>,
    /// `1300 Message complete` records, pipelining artefacts included.
    pub messages_complete: u64,
    /// `Error while processing message` records.
    pub message_errors: u64,
    /// Upstream connections: distinct `cid`s accepted (1201) and closed
    /// (1205).
    pub connections: u64,
    /// Messages hit by the PIPELINING + RSET defect.
    pub artifacts: u64,
    /// rtime of every message but the artefacts, in seconds.
    pub receive: Vec<f64>,
    /// dtime of every message but the artefacts, in seconds.
    pub detection: Vec<f64>,
    /// Send time (mtime − rtime − dtime, rounded to hundredths) of every
    /// completed message but the artefacts.
    pub send: Vec<f64>,
    /// mtime of every completed message but the artefacts.
    pub total: Vec<f64>,
    /// Time of the first record, UTC, as printed (whole seconds in the
    /// detector log).
    ///
    /// A detector header printed in the hour a daylight-saving change
    /// repeats is ambiguous; the truth keeps the instant it was written
    /// at, which a reader resolving to the earlier offset may not.
    pub first: Millis,
    /// Time of the last record, UTC, as printed.
    pub last: Millis,
    /// Each fault's kind name and UTC window.
    pub faults: Vec<(String, Millis, Millis)>,
}

impl Truth {
    fn empty(files: usize) -> Truth {
        Truth { lines_per_file: vec![0; files], ..Truth::default() }
    }
}

/// Downstream hosts a scenario uses: two or three, by seed.
fn downstream_count(seed: u64) -> u8 {
    let n = 2 + (seed % 2) as u8;
    n.min(DOWNSTREAM_HOSTS.len() as u8)
}

/// The upstream MTAs that send to NPE: three or four hosts of one subnet.
fn upstream_hosts(seed: u64) -> Vec<u32> {
    let count = 3 + (seed >> 1) % 2;
    (0..count as u32).map(|i| 0x0a14_010b + i).collect()
}

/// Writes the log of `scenario` through `sink` and returns its truth.
///
/// `sink(file_index, bytes)` receives each file's bytes in order, in
/// chunks of about 64 KiB; the files are written one after the other,
/// the oldest (highest index) first. A file with no record gets no call.
pub fn generate(
    scenario: &Scenario,
    sink: &mut dyn FnMut(usize, &[u8]),
) -> Truth {
    let hosts = downstream_count(scenario.seed);
    let mut traffic =
        Traffic::new(scenario, hosts, upstream_hosts(scenario.seed));
    let mut render = Render::new(scenario, sink);
    let mut emit = |at: Millis, rec: &traffic::Rec| render.write(at, rec);
    for minute in 0..traffic.minutes() {
        traffic.run_minute(minute, &mut emit);
    }
    traffic.finish(&mut emit);
    let mut truth = render.finish();
    truth.faults = scenario
        .faults
        .iter()
        .map(|f| {
            let (from, to) = f.window(scenario.start, scenario.minutes);
            (f.name().to_string(), from, to)
        })
        .collect();
    truth
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::fields::parse_operational_stamp;

    /// Generates `scenario` and returns the bytes of each file by index.
    fn files_of(scenario: &Scenario) -> (Vec<Vec<u8>>, Truth) {
        let mut files = vec![Vec::new(); scenario.files.max(1) as usize];
        let truth = generate(scenario, &mut |i, bytes| {
            files[i].extend_from_slice(bytes)
        });
        (files, truth)
    }

    /// A named scenario over two hours with 600 messages.
    fn small(name: &str, seed: u64, format: GenFormat) -> Scenario {
        Scenario::named(name, seed, format, Zone::utc(), 600)
            .expect("named scenario")
            .with_minutes(120)
    }

    fn lines(bytes: &[u8]) -> Vec<&str> {
        let text = std::str::from_utf8(bytes).expect("generated text is UTF-8");
        text.lines().collect()
    }

    fn newlines(bytes: &[u8]) -> u64 {
        bytes.iter().filter(|&&b| b == b'\n').count() as u64
    }

    #[test]
    fn same_seed_same_bytes() {
        for format in [GenFormat::Operational, GenFormat::Detector] {
            let mut s = small("mixed", 7, format);
            s.files = 3;
            s.fine_noise = true;
            let (a, truth_a) = files_of(&s);
            let (b, truth_b) = files_of(&s);
            assert_eq!(a, b, "{format:?}");
            assert_eq!(truth_a, truth_b);
        }
    }

    #[test]
    fn different_seeds_differ() {
        let (a, _) = files_of(&small("healthy", 1, GenFormat::Operational));
        let (b, _) = files_of(&small("healthy", 2, GenFormat::Operational));
        assert_ne!(a, b);
    }

    #[test]
    fn truth_counts_every_newline() {
        for format in [GenFormat::Operational, GenFormat::Detector] {
            let mut s = small("mixed", 5, format);
            s.files = 4;
            s.fine_noise = true;
            s.faults.push(Fault::PeerDisconnects { count: 9 });
            s.faults
                .push(Fault::FileReaderLoss { start_minute: 70, minutes: 3 });
            let (files, truth) = files_of(&s);
            let per_file: Vec<u64> =
                files.iter().map(|f| newlines(f)).collect();
            assert_eq!(per_file, truth.lines_per_file, "{format:?}");
            assert_eq!(per_file.iter().sum::<u64>(), truth.lines);
            assert!(files.iter().all(|f| f.ends_with(b"\n")));
        }
    }

    #[test]
    fn every_named_scenario_exists() {
        for name in Scenario::NAMES {
            let s = small(name, 1, GenFormat::Operational);
            let (_, truth) = files_of(&s);
            assert!(truth.messages_complete > 300, "{name}");
            assert_eq!(truth.faults.len(), s.faults.len(), "{name}");
        }
        let zone = Zone::utc();
        let unknown = Scenario::named("sunny", 1, GenFormat::Detector, zone, 9);
        assert!(unknown.is_none());
    }

    #[test]
    fn rotation_puts_newest_records_in_file_zero() {
        let mut s = small("healthy", 3, GenFormat::Operational);
        s.files = 3;
        let (files, _) = files_of(&s);
        let span = |f: &[u8]| {
            let ls = lines(f);
            let first = parse_operational_stamp(ls[0].as_bytes()).unwrap();
            let last = parse_operational_stamp(ls.last().unwrap().as_bytes());
            (first, last.unwrap())
        };
        let (newest, middle, oldest) =
            (span(&files[0]), span(&files[1]), span(&files[2]));
        assert!(oldest.1 <= middle.0 && middle.1 <= newest.0);
        assert_eq!(oldest.0, DEFAULT_START);
        let names = s.file_names();
        assert_eq!(names[0], "SmtpPrevent_operational0.log");
        assert_eq!(names[2], "SmtpPrevent_operational2.log");
    }

    #[test]
    fn records_are_in_time_order() {
        let mut s = small("outage", 4, GenFormat::Operational);
        s.faults.push(Fault::UnauthorizedHosts { count: 20 });
        let (files, _) = files_of(&s);
        let times: Vec<Millis> = lines(&files[0])
            .iter()
            .map(|l| parse_operational_stamp(l.as_bytes()).unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn operational_stamps_carry_the_zone_offset() {
        let chicago = Zone::parse("America/Chicago").unwrap();
        let s =
            Scenario::named("healthy", 1, GenFormat::Operational, chicago, 50);
        let (files, _) = files_of(&s.unwrap().with_minutes(30));
        // 2 March 2026 is before the spring change: CST, six hours behind.
        let first = lines(&files[0])[0];
        assert!(first.starts_with("02/Mar/26:02:00:00:000-0600 "), "{first}");
    }

    #[test]
    fn detector_headers_are_wall_clock_without_offset() {
        let header = |zone: Zone| {
            let s =
                Scenario::named("healthy", 1, GenFormat::Detector, zone, 50);
            let (files, _) = files_of(&s.unwrap().with_minutes(30));
            lines(&files[0])[0].to_string()
        };
        let utc = header(Zone::utc());
        let plus5 = header(Zone::fixed(300));
        assert!(utc.starts_with("Mar 2, 2026 8:00:00 AM com.vontu."), "{utc}");
        assert!(
            plus5.starts_with("Mar 2, 2026 1:00:00 PM com.vontu."),
            "{plus5}"
        );
        assert!(!utc.contains('+') && !plus5.contains('+'));
    }

    #[test]
    fn formats_share_the_traffic() {
        let (_, op) = files_of(&small("rejections", 9, GenFormat::Operational));
        let mut det = small("rejections", 9, GenFormat::Detector);
        det.fine_noise = true;
        let (_, det) = files_of(&det);
        assert_eq!(op.messages_complete, det.messages_complete);
        assert_eq!(op.message_errors, det.message_errors);
        assert_eq!(op.send, det.send);
        assert!(op.message_errors > 0);
    }

    #[test]
    fn outage_stops_deliveries_and_drains_after() {
        let s = small("outage", 2, GenFormat::Operational);
        let (from, to) = s.faults[0].window(s.start, s.minutes);
        let (files, _) = files_of(&s);
        let in_window = |code: &str| {
            lines(&files[0])
                .iter()
                .filter(|l| l.contains(code))
                .map(|l| parse_operational_stamp(l.as_bytes()).unwrap())
                .filter(|t| (from..to).contains(t))
                .count()
        };
        assert_eq!(in_window("(SMTP_MESSAGE.1300)"), 0);
        assert!(in_window("(SMTP_CONNECTION.5210)") > 5);
        assert!(in_window("messages=0 ") > 5);
    }

    fn count(lines: &[&str], needle: &str) -> usize {
        lines.iter().filter(|l| l.contains(needle)).count()
    }

    #[test]
    fn every_connection_is_accepted_and_closed() {
        let (files, truth) = files_of(&small("outage", 5, GenFormat::Detector));
        let ls = lines(&files[0]);
        let accepted = count(&ls, "(SMTP_CONNECTION.1201)");
        assert_eq!(accepted as u64, truth.connections);
        assert_eq!(count(&ls, "(SMTP_CONNECTION.1205)"), accepted);
    }

    #[test]
    fn filereader_loss_reconnects_at_the_end() {
        let s = small("filereader-loss", 2, GenFormat::Operational);
        let (files, _) = files_of(&s);
        let ls = lines(&files[0]);
        assert_eq!(count(&ls, ".5101) FileReader connection lost"), 1);
        assert!(count(&ls, "Could not connect to the FileReader") > 3);
        let last = ls.iter().rposition(|l| l.contains(".5100)")).unwrap();
        let back = ls.iter().position(|l| l.contains(".1103)")).unwrap();
        assert!(last < back);
    }

    #[test]
    fn unauthorized_hosts_carry_no_cid() {
        let s = small("unauthorized-hosts", 2, GenFormat::Operational);
        let (files, _) = files_of(&s);
        let ls = lines(&files[0]);
        let rejected: Vec<_> =
            ls.iter().filter(|l| l.contains(".5200)")).collect();
        assert_eq!(rejected.len(), 40);
        assert!(rejected.iter().all(|l| !l.contains("cid=")));
    }

    #[test]
    fn healthy_values_stay_healthy() {
        let s = Scenario::named(
            "healthy",
            6,
            GenFormat::Operational,
            Zone::utc(),
            5000,
        );
        let (_, truth) = files_of(&s.unwrap());
        for (name, values) in [
            ("receive", &truth.receive),
            ("detection", &truth.detection),
            ("send", &truth.send),
        ] {
            let slow = values.iter().filter(|&&v| v > 5.0).count();
            assert!(slow * 500 < values.len(), "{name}: {slow} slow");
        }
        assert_eq!(truth.total.len() as u64, truth.messages_complete);
    }

    #[test]
    fn artifacts_stay_out_of_the_values() {
        let (_, truth) =
            files_of(&small("pipelining", 8, GenFormat::Operational));
        assert!(truth.artifacts > 0);
        let values = truth.messages_complete - truth.artifacts;
        assert_eq!(truth.total.len() as u64, values);
        assert!(truth.receive.iter().all(|&r| r < 1.0e6));
    }

    #[test]
    fn message_errors_keep_receive_and_detection_only() {
        let (_, truth) =
            files_of(&small("rejections", 3, GenFormat::Operational));
        let all = truth.messages_complete + truth.message_errors;
        assert_eq!(truth.receive.len() as u64, all);
        assert_eq!(truth.detection.len() as u64, all);
        assert_eq!(truth.send.len() as u64, truth.messages_complete);
    }

    #[test]
    fn values_can_be_left_out() {
        let mut s = small("healthy", 1, GenFormat::Operational);
        let (_, with) = files_of(&s);
        s.keep_values = false;
        let (_, without) = files_of(&s);
        assert!(without.receive.is_empty() && without.send.is_empty());
        assert_eq!(with.lines, without.lines);
    }

    #[test]
    fn sink_receives_bounded_chunks() {
        let s = Scenario::named(
            "healthy",
            1,
            GenFormat::Operational,
            Zone::utc(),
            20_000,
        );
        let mut largest = 0;
        generate(&s.unwrap(), &mut |_, bytes| {
            largest = largest.max(bytes.len())
        });
        assert!(largest > 0 && largest < 2 * 64 * 1024, "{largest}");
    }
}
