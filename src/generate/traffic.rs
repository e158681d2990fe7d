//! The simulated mail flow behind a generated log.
//!
//! Upstream MTAs open *connections* at a rate that follows the time of
//! day; each connection carries one to three *messages*, each with a
//! receive, detection and send time drawn from the healthy baseline or
//! from the fault whose window it starts in. Every connection is planned
//! whole when it opens and its records are queued by the time they are
//! written; [`Traffic`] hands them out in time order, so only the records
//! of connections still open are held in memory.

use super::{Fault, Scenario};
use crate::parse::fields::Millis;
use fastrand::Rng;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// One minute in milliseconds.
pub(super) const MINUTE_MS: Millis = 60_000;

/// Thread ids start here: the lower ones belong to the listener and the
/// FileReader link, as on a real RequestProcessor.
const FIRST_CONNECTION_TID: u16 = 20;

/// The thread that owns the FileReader link in the simulation.
pub(super) const FILEREADER_TID: u16 = 14;

/// Median receive time of a small message, in seconds: upstream MTAs on
/// the same network hand over a typical mail in well under a second.
const RECEIVE_MEDIAN: f64 = 0.35;

/// Spread (log-normal sigma) of the receive time; 0.8 keeps one message
/// in a thousand above about four seconds, a tail but not a fault.
const RECEIVE_SIGMA: f64 = 0.8;

/// Message size that doubles the receive time: a few megabytes take
/// visibly longer to transfer than a one-line note.
const SIZE_DOUBLING_BYTES: f64 = 4_000_000.0;

/// Median detection time in seconds for a healthy detection server.
const DETECTION_MEDIAN: f64 = 0.4;

/// Spread of the detection time; attachments make it vary more than the
/// receive time but rarely past a few seconds.
const DETECTION_SIGMA: f64 = 0.6;

/// Median send time in seconds: a healthy next hop answers within tenths
/// of a second.
const SEND_MEDIAN: f64 = 0.25;

/// Spread of the send time.
const SEND_SIGMA: f64 = 0.7;

/// No healthy duration is printed below 0.03 s or above 8 s: the
/// baseline must not look like a fault by accident.
const HEALTHY_RANGE: (f64, f64) = (0.03, 8.0);

/// Share of detection times NPE prints in whole seconds (`dtime=2s`).
const WHOLE_SECOND_DETECTION: f64 = 0.08;

/// How far the time-of-day rhythm moves the arrival rate: from 40 % of
/// the average at midnight to 160 % at noon.
const DIURNAL_SWING: f64 = 0.6;

/// Minute-to-minute jitter of the arrival rate, as a fraction.
const RATE_JITTER: f64 = 0.15;

/// A forward host that refuses connections keeps NPE waiting for its
/// connect timeout before the next one is tried.
const CONNECT_TIMEOUT_MS: (Millis, Millis) = (15_000, 25_000);

/// The slowest and quickest a slow fault's value is printed, relative to
/// the fault's nominal seconds.
const FAULT_SPREAD: (f64, f64) = (0.6, 1.4);

/// Detection waits this long for a FileReader that is gone before the
/// message passes through: the message-chain timeout.
const PASS_THROUGH_SECONDS: (f64, f64) = (28.0, 36.0);

/// Seconds between two FileReader reconnect attempts.
const RECONNECT_EVERY_MS: (Millis, Millis) = (10_000, 20_000);

/// One message in four of the rejected share is refused with a 550 in a
/// `Message complete` record instead of a message error.
const REFUSED_SHARE: f64 = 0.25;

/// A host and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Peer {
    /// IPv4 address.
    pub ip: u32,
    /// TCP port.
    pub port: u16,
}

/// How a message ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Accepted by the next hop: `Message complete` with code 250.
    Delivered,
    /// Refused by the next hop with a 550, still a `Message complete`.
    Refused,
    /// Not accepted by the forwarder: `Error while processing message`.
    Rejected,
    /// The PIPELINING + RSET defect: epoch rtime, `mtime=-0s`.
    Artifact,
}

/// One message as it will be logged.
#[derive(Clone, Copy, Debug)]
pub(super) struct MessageRec {
    /// Thread of the connection.
    pub tid: u16,
    /// Upstream connection id bits.
    pub conn: u128,
    /// Seeds the fields that do not matter to the statistics.
    pub seed: u64,
    /// Index of the downstream host.
    pub host: u8,
    /// How it ended.
    pub verdict: Verdict,
    /// Size in bytes.
    pub size: u32,
    /// rtime in centiseconds (the epoch value for artefacts).
    pub receive: u64,
    /// dtime in centiseconds.
    pub detection: u32,
    /// mtime − rtime − dtime in centiseconds.
    pub send: u32,
    /// When the message started (the `dlp_id`).
    pub started: Millis,
}

/// A step of a FileReader link failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LinkStep {
    /// 5101.
    Lost,
    /// 1102.
    Reconnecting,
    /// 5100.
    ConnectFailed,
    /// 1103.
    Reconnected,
}

/// One record to be written.
#[derive(Clone, Copy, Debug)]
pub(super) enum Rec {
    /// 1100.
    Starting,
    /// 1200.
    Listening,
    /// 1201.
    Accepted { tid: u16, conn: u128, peer: Peer },
    /// 1203.
    ForwardOpened { tid: u16, link: u128, host: u8, port: u16 },
    /// 1204.
    ForwardClosed { tid: u16, link: u128, host: u8, port: u16 },
    /// 1205.
    ServiceClosed {
        tid: u16,
        conn: u128,
        peer: Peer,
        messages: u8,
        centis: u32,
    },
    /// 1300 or the message error.
    Message(MessageRec),
    /// 5203.
    ForwardError { tid: u16, conn: u128, host: u8 },
    /// 5210.
    NoForwardHosts { tid: u16 },
    /// 5200.
    HostRejected { tid: u16, peer: Peer },
    /// 5204.
    PeerDropped,
    /// 5101, 1102, 5100, 1103.
    FileReader { step: LinkStep },
    /// Detector log only: the message passed through on a timeout.
    PassThrough { tid: u16 },
}

/// A record waiting in the queue; the heap pops the earliest first and,
/// among equal times, the one queued first.
struct Pending {
    at: Millis,
    seq: u64,
    rec: Rec,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A fault with its window resolved to UTC milliseconds.
#[derive(Clone, Copy, Debug)]
struct Window {
    fault: Fault,
    from: Millis,
    to: Millis,
}

impl Window {
    fn holds(&self, at: Millis) -> bool {
        self.from <= at && at < self.to
    }
}

/// The simulation: arrivals, connection plans and the queue of records.
pub(super) struct Traffic {
    rng: Rng,
    start: Millis,
    queue: BinaryHeap<Pending>,
    seq: u64,
    deferred: BinaryHeap<Reverse<(Millis, u64, u8)>>,
    thread_free_at: Vec<Millis>,
    windows: Vec<Window>,
    weights: Vec<f64>,
    per_weight: f64,
    budget: f64,
    artifacts: Vec<Millis>,
    rejected_share: f64,
    hosts: u8,
    upstreams: Vec<u32>,
    plans: Vec<MessageRec>,
}

impl Traffic {
    /// Sets up the flow of `scenario`, with its point faults queued.
    pub fn new(scenario: &Scenario, hosts: u8, upstreams: Vec<u32>) -> Self {
        let mut rng = Rng::with_seed(scenario.seed);
        let weights = minute_weights(scenario, &mut rng);
        let total: f64 = weights.iter().sum();
        let per_weight =
            scenario.messages as f64 / total.max(f64::MIN_POSITIVE);
        let windows = scenario
            .faults
            .iter()
            .map(|f| {
                let (from, to) = f.window(scenario.start, scenario.minutes);
                Window { fault: *f, from, to }
            })
            .collect();
        let mut traffic = Traffic {
            rng,
            start: scenario.start,
            queue: BinaryHeap::new(),
            seq: 0,
            deferred: BinaryHeap::new(),
            thread_free_at: Vec::new(),
            windows,
            weights,
            per_weight,
            budget: 0.0,
            artifacts: Vec::new(),
            rejected_share: 0.0,
            hosts,
            upstreams,
            plans: Vec::new(),
        };
        traffic.push(scenario.start, Rec::Starting);
        traffic.push(scenario.start + 1, Rec::Listening);
        traffic.queue_point_faults();
        traffic
    }

    /// Number of minutes the arrivals cover.
    pub fn minutes(&self) -> u32 {
        self.weights.len() as u32
    }

    /// Opens the connections of one minute, handing every record due
    /// before each opening to `emit`.
    pub fn run_minute(
        &mut self,
        minute: u32,
        emit: &mut dyn FnMut(Millis, &Rec),
    ) {
        let arrivals = self.arrivals(minute);
        for (at, messages) in arrivals {
            self.release_until(at, emit);
            self.open(at, messages);
        }
    }

    /// Hands out everything still queued, including deferred connections.
    pub fn finish(&mut self, emit: &mut dyn FnMut(Millis, &Rec)) {
        self.release_until(Millis::MAX, emit);
    }

    fn push(&mut self, at: Millis, rec: Rec) {
        self.seq += 1;
        self.queue.push(Pending { at, seq: self.seq, rec });
    }

    fn release_until(
        &mut self,
        until: Millis,
        emit: &mut dyn FnMut(Millis, &Rec),
    ) {
        loop {
            let next_deferred = self.deferred.peek().map(|d| d.0 .0);
            let next_record = self.queue.peek().map(|p| p.at);
            match (next_deferred, next_record) {
                (Some(d), r) if d <= until && r.is_none_or(|r| d < r) => {
                    let Reverse((at, _, messages)) =
                        self.deferred.pop().unwrap();
                    self.open(at, messages);
                }
                (_, Some(r)) if r <= until => {
                    let p = self.queue.pop().unwrap();
                    emit(p.at, &p.rec);
                }
                _ => return,
            }
        }
    }

    /// The connection openings of one minute, in time order.
    fn arrivals(&mut self, minute: u32) -> Vec<(Millis, u8)> {
        self.budget += self.weights[minute as usize] * self.per_weight;
        let base = self.start + Millis::from(minute) * MINUTE_MS;
        let mut out = Vec::new();
        while self.budget >= 1.0 {
            let messages =
                self.messages_per_connection().min(self.budget as u8);
            self.budget -= f64::from(messages);
            out.push((base + self.rng.i64(0..MINUTE_MS), messages));
        }
        out.sort_unstable();
        out
    }

    /// One to three messages, one on average 1.5: most sessions carry a
    /// single mail, busy senders reuse the connection.
    fn messages_per_connection(&mut self) -> u8 {
        match self.rng.u32(0..100) {
            0..60 => 1,
            60..88 => 2,
            _ => 3,
        }
    }
}

impl Traffic {
    /// Plans a connection opened at `at` and queues its records.
    fn open(&mut self, at: Millis, messages: u8) {
        if let Some(outage) = self.outage_at(at) {
            self.refuse(at, messages, outage);
            return;
        }
        let host = self.rng.u8(0..self.hosts);
        let conn = self.rng.u128(..);
        let link = self.rng.u128(..);
        let peer = self.upstream_peer();
        let port = self.rng.u16(32_768..61_000);
        let finished = self.plan_messages(at, host, conn, messages);
        let forward_closed = finished + self.rng.i64(2..40);
        let closed = forward_closed + self.rng.i64(1..15);
        let tid = self.thread(at, closed);
        let centis = ((closed - at) / 10) as u32;
        let carried = self.plans.len() as u8;
        self.push(at, Rec::Accepted { tid, conn, peer });
        let opened = at + self.rng.i64(3..25);
        self.push(opened, Rec::ForwardOpened { tid, link, host, port });
        self.queue_plans(tid);
        self.push(forward_closed, Rec::ForwardClosed { tid, link, host, port });
        let rec =
            Rec::ServiceClosed { tid, conn, peer, messages: carried, centis };
        self.push(closed, rec);
    }

    /// Plans the messages of a connection into `self.plans`; returns when
    /// the last one is done.
    fn plan_messages(
        &mut self,
        at: Millis,
        host: u8,
        conn: u128,
        n: u8,
    ) -> Millis {
        self.plans.clear();
        let mut cursor = at;
        for _ in 0..n {
            let m = self.plan_message(cursor, host, conn);
            cursor = m.started + done_after(&m) + self.rng.i64(10..200);
            self.plans.push(m);
        }
        if self.artifacts.last().is_some_and(|&t| t <= at) {
            self.artifacts.pop();
            let m = self.plan_artifact(cursor, host, conn);
            cursor = m.started + done_after(&m) + self.rng.i64(10..200);
            self.plans.push(m);
        }
        cursor
    }

    fn queue_plans(&mut self, tid: u16) {
        for i in 0..self.plans.len() {
            let mut m = self.plans[i];
            m.tid = tid;
            let done = m.started + done_after(&m);
            if self.is_passed_through(m.started) {
                let passed = m.started + m.receive as Millis * 10;
                let passed = passed + Millis::from(m.detection) * 10;
                self.push(passed, Rec::PassThrough { tid });
            }
            self.push(done, Rec::Message(m));
        }
    }

    /// The lowest thread id free at `from`, taken until `until`.
    fn thread(&mut self, from: Millis, until: Millis) -> u16 {
        let slot = self.thread_free_at.iter().position(|&t| t <= from);
        let slot = slot.unwrap_or_else(|| {
            self.thread_free_at.push(0);
            self.thread_free_at.len() - 1
        });
        self.thread_free_at[slot] = until;
        FIRST_CONNECTION_TID + slot as u16
    }

    fn upstream_peer(&mut self) -> Peer {
        let i = self.rng.usize(0..self.upstreams.len());
        Peer { ip: self.upstreams[i], port: self.rng.u16(1024..65_535) }
    }
}

impl Traffic {
    /// A connection during a downstream outage: every forward host is
    /// tried and refuses, the session closes with no message, and the
    /// upstream MTA queues its mail until after the outage.
    fn refuse(&mut self, at: Millis, messages: u8, outage: Window) {
        let conn = self.rng.u128(..);
        let peer = self.upstream_peer();
        let gave_up =
            at + self.rng.i64(CONNECT_TIMEOUT_MS.0..CONNECT_TIMEOUT_MS.1);
        let tid = self.thread(at, gave_up);
        self.push(at, Rec::Accepted { tid, conn, peer });
        for host in 0..self.hosts {
            self.push(gave_up, Rec::ForwardError { tid, conn, host });
        }
        self.push(gave_up, Rec::NoForwardHosts { tid });
        let centis = ((gave_up - at) / 10) as u32;
        let rec = Rec::ServiceClosed { tid, conn, peer, messages: 0, centis };
        self.push(gave_up, rec);
        let retry = outage.to + self.rng.i64(0..drain_ms(outage));
        self.seq += 1;
        self.deferred.push(Reverse((retry, self.seq, messages)));
    }

    fn outage_at(&self, at: Millis) -> Option<Window> {
        self.windows.iter().copied().find(|w| {
            matches!(w.fault, Fault::DownstreamOutage { .. }) && w.holds(at)
        })
    }

    fn is_passed_through(&self, at: Millis) -> bool {
        self.windows.iter().any(|w| {
            matches!(w.fault, Fault::FileReaderLoss { .. }) && w.holds(at)
        })
    }
}

impl Traffic {
    /// One ordinary message starting at `at`, shaped by the faults whose
    /// window holds `at`.
    fn plan_message(&mut self, at: Millis, host: u8, conn: u128) -> MessageRec {
        let size = self.message_size();
        let slower = 1.0 + f64::from(size) / SIZE_DOUBLING_BYTES;
        let healthy = [
            self.healthy(RECEIVE_MEDIAN, RECEIVE_SIGMA) * slower,
            self.healthy(DETECTION_MEDIAN, DETECTION_SIGMA),
            self.healthy(SEND_MEDIAN, SEND_SIGMA),
        ];
        let [receive, detection, send] = self.shaped_by_faults(at, healthy);
        MessageRec {
            tid: 0,
            conn,
            seed: self.rng.u64(..),
            host,
            verdict: self.verdict(),
            size,
            receive: centis(receive).into(),
            detection: self.printed_detection(detection),
            send: centis(send),
            started: at,
        }
    }

    /// Replaces healthy `[receive, detection, send]` seconds with those of
    /// the faults active at `at`.
    fn shaped_by_faults(&mut self, at: Millis, mut t: [f64; 3]) -> [f64; 3] {
        for i in 0..self.windows.len() {
            let w = self.windows[i];
            if !w.holds(at) {
                continue;
            }
            match w.fault {
                Fault::SlowReceive { receive_seconds: s, .. } => {
                    t[0] = self.spread(s);
                }
                Fault::SlowDetection { detection_seconds: s, .. } => {
                    t[1] = self.spread(s);
                }
                Fault::SlowDownstream { send_seconds: s, .. } => {
                    t[2] = self.spread(s);
                }
                Fault::FileReaderLoss { .. } => {
                    let (lo, hi) = PASS_THROUGH_SECONDS;
                    t[1] = lo + self.rng.f64() * (hi - lo);
                }
                _ => {}
            }
        }
        t
    }

    /// A message hit by the PIPELINING + RSET defect: NPE logs the epoch
    /// second as rtime and −0 as mtime.
    fn plan_artifact(
        &mut self,
        at: Millis,
        host: u8,
        conn: u128,
    ) -> MessageRec {
        MessageRec {
            tid: 0,
            conn,
            seed: self.rng.u64(..),
            host,
            verdict: Verdict::Artifact,
            size: self.message_size(),
            receive: (at / 10) as u64,
            detection: self.rng.u32(1..4) * 100,
            send: 0,
            started: at,
        }
    }

    fn verdict(&mut self) -> Verdict {
        if self.rng.f64() >= self.rejected_share {
            Verdict::Delivered
        } else if self.rng.f64() < REFUSED_SHARE {
            Verdict::Refused
        } else {
            Verdict::Rejected
        }
    }

    /// dtime in centiseconds; some are printed in whole seconds, and the
    /// rounding is part of what was logged.
    fn printed_detection(&mut self, seconds: f64) -> u32 {
        let c = centis(seconds);
        if c >= 75 && self.rng.f64() < WHOLE_SECOND_DETECTION {
            (c + 50) / 100 * 100
        } else {
            c
        }
    }

    /// Message size in bytes: log-normal around 30 kB, a few up to tens
    /// of megabytes.
    fn message_size(&mut self) -> u32 {
        let bytes = 30_000.0 * (1.6 * self.normal()).exp();
        bytes.clamp(600.0, 40_000_000.0) as u32
    }

    fn healthy(&mut self, median: f64, sigma: f64) -> f64 {
        let (lo, hi) = HEALTHY_RANGE;
        (median * (sigma * self.normal()).exp()).clamp(lo, hi)
    }

    fn spread(&mut self, seconds: f64) -> f64 {
        let (lo, hi) = FAULT_SPREAD;
        seconds * (lo + self.rng.f64() * (hi - lo))
    }

    /// A standard normal value (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.rng.f64();
        let v = self.rng.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

impl Traffic {
    /// Queues the faults that are not tied to a message: FileReader link
    /// records, unauthorized hosts, peer disconnects, and the times of
    /// pipelining artefacts.
    fn queue_point_faults(&mut self) {
        for i in 0..self.windows.len() {
            let w = self.windows[i];
            match w.fault {
                Fault::FileReaderLoss { .. } => self.queue_link_loss(w),
                Fault::UnauthorizedHosts { count } => {
                    self.queue_rejected_hosts(w, count)
                }
                Fault::PeerDisconnects { count } => {
                    for _ in 0..count {
                        let at = self.rng.i64(w.from..w.to.max(w.from + 1));
                        self.push(at, Rec::PeerDropped);
                    }
                }
                Fault::PipeliningArtifacts { count } => {
                    for _ in 0..count {
                        let at = self.rng.i64(w.from..w.to.max(w.from + 1));
                        self.artifacts.push(at);
                    }
                }
                Fault::DownstreamRejections { per_mille } => {
                    self.rejected_share = f64::from(per_mille.min(1000)) / 1e3;
                }
                _ => {}
            }
        }
        self.artifacts.sort_unstable_by(|a, b| b.cmp(a));
    }

    fn queue_link_loss(&mut self, w: Window) {
        self.push(w.from, Rec::FileReader { step: LinkStep::Lost });
        let reconnecting = Rec::FileReader { step: LinkStep::Reconnecting };
        self.push(w.from + 2, reconnecting);
        let (lo, hi) = RECONNECT_EVERY_MS;
        let mut at = w.from + self.rng.i64(lo..hi);
        while at < w.to {
            self.push(at, Rec::FileReader { step: LinkStep::ConnectFailed });
            at += self.rng.i64(lo..hi);
        }
        self.push(w.to, Rec::FileReader { step: LinkStep::Reconnected });
    }

    /// Refused connections from a few hosts that are not allowed; the
    /// same stray hosts come back again and again.
    fn queue_rejected_hosts(&mut self, w: Window, count: u32) {
        const STRAY_HOSTS: [u32; 3] = [0xc000_022c, 0xc633_6417, 0xcb00_7109];
        let strays = 2 + self.rng.usize(0..2);
        for _ in 0..count {
            let at = self.rng.i64(w.from..w.to.max(w.from + 1));
            let ip = STRAY_HOSTS[self.rng.usize(0..strays)];
            let peer = Peer { ip, port: self.rng.u16(1024..65_535) };
            let tid = FIRST_CONNECTION_TID + self.rng.u16(0..8);
            self.push(at, Rec::HostRejected { tid, peer });
        }
    }
}

/// How long the backlog of an outage takes to drain: half the outage, at
/// least two minutes, as the upstream retry queues flush.
fn drain_ms(outage: Window) -> Millis {
    ((outage.to - outage.from) / 2).max(2 * MINUTE_MS)
}

/// How long after its start a message's record is written.
fn done_after(m: &MessageRec) -> Millis {
    let detection = Millis::from(m.detection) * 10;
    if m.verdict == Verdict::Artifact {
        return detection + 5;
    }
    let receive = m.receive as Millis * 10;
    receive + detection + Millis::from(m.send) * 10
}

fn centis(seconds: f64) -> u32 {
    (seconds * 100.0).round().max(1.0) as u32
}

/// The relative arrival rate of each minute: a day-shaped curve in the
/// scenario's zone, with some jitter.
fn minute_weights(scenario: &Scenario, rng: &mut Rng) -> Vec<f64> {
    let offset = scenario.zone.offset_minutes_at(scenario.start);
    let local_start = scenario.start / MINUTE_MS + i64::from(offset);
    (0..scenario.minutes)
        .map(|m| {
            let of_day = (local_start + i64::from(m)).rem_euclid(1440) as f64;
            let phase = std::f64::consts::TAU * of_day / 1440.0;
            let jitter = 1.0 + RATE_JITTER * (2.0 * rng.f64() - 1.0);
            (1.0 - DIURNAL_SWING * phase.cos()) * jitter
        })
        .collect()
}
