//! Turning simulated records into log text, file by file, and keeping the
//! ground truth of what was written.
//!
//! Both formats share the record *body* `(CATEGORY.CODE) Text (fields)`.
//! The operational format puts a stamp and a bracketed level before it on
//! the same line; the detector format puts a java.util.logging *header*
//! line (wall-clock date, class, method) before a `LEVEL: ` body line.
//! Text is built in one reused buffer and handed to the sink whenever it
//! passes [`FLUSH_BYTES`].

use super::digits::{self, Civil, MONTHS};
use super::traffic::{
    LinkStep, MessageRec, Peer, Rec, Verdict, FILEREADER_TID,
};
use super::{GenFormat, Scenario, Truth};
use crate::parse::fields::Millis;
use crate::zone::Zone;
use fastrand::Rng;

/// Bytes gathered before the sink is called: large enough that the call
/// costs nothing, small enough that a 1 GB file never sits in memory.
const FLUSH_BYTES: usize = 64 * 1024;

/// The address NPE listens on and connects from.
const NPE_ADDRESS: &[u8] = b"10.20.0.15";

/// `RequestProcessor.ServerSocketPort`, whose default is 10025.
const ACCEPT_PORT: &[u8] = b"10025";

/// The logger every SMTP Prevent event comes from.
const LOG_MANAGER: &str = "com.vontu.mta.rp.log.SmtpLogManager";

/// Downstream (next-hop) MTAs; a scenario uses the first two or three.
pub(super) const DOWNSTREAM_HOSTS: [&[u8]; 3] =
    [b"mx-out1.corp.example", b"mx-out2.corp.example", b"10.20.3.40"];

/// The masked message-error code of the public samples is a 53xx code;
/// the first of that family stands in for it.
const MESSAGE_ERROR_TAG: &str = "SMTP_MESSAGE.5300";

/// One event record in every this many carries a stack trace in the
/// detector log's tracing noise.
const STACK_TRACE_EVERY: u32 = 3_000;

/// Sender domains and local parts the message fields are drawn from.
const DOMAINS: [&[u8]; 5] = [
    b"corp.example",
    b"sales.corp.example",
    b"partner.example.org",
    b"mail.example.net",
    b"lists.example.com",
];
const LOCAL_PARTS: [&[u8]; 8] = [
    b"j.smith",
    b"accounts",
    b"noreply",
    b"m.garcia",
    b"ops-alerts",
    b"k.tanaka",
    b"billing",
    b"a.novak",
];

/// How a record starts: level, logger, and the text before its fields.
struct Head {
    level: &'static str,
    class: &'static str,
    method: &'static str,
    tag: &'static str,
    text: &'static str,
}

const fn head(
    level: &'static str,
    method: &'static str,
    tag: &'static str,
    text: &'static str,
) -> Head {
    Head { level, class: LOG_MANAGER, method, tag, text }
}

/// The text of the record being written, per file, and the truth so far.
pub(super) struct Render<'a> {
    format: GenFormat,
    fine_noise: bool,
    keep_values: bool,
    start: Millis,
    span: Millis,
    files: usize,
    sink: &'a mut dyn FnMut(usize, &[u8]),
    buf: Vec<u8>,
    chrono: usize,
    clock: Clock,
    noise: Rng,
    truth: Truth,
}

impl<'a> Render<'a> {
    /// A renderer for `scenario` writing into `sink`.
    pub fn new(
        scenario: &Scenario,
        sink: &'a mut dyn FnMut(usize, &[u8]),
    ) -> Self {
        let files = scenario.files.max(1) as usize;
        Render {
            format: scenario.format,
            fine_noise: scenario.fine_noise,
            keep_values: scenario.keep_values,
            start: scenario.start,
            span: i64::from(scenario.minutes) * 60_000,
            files,
            sink,
            buf: Vec::with_capacity(FLUSH_BYTES + 4096),
            chrono: 0,
            clock: Clock::new(scenario.zone.clone()),
            noise: Rng::with_seed(scenario.seed ^ 0x9e37_79b9_7f4a_7c15),
            truth: Truth::empty(files),
        }
    }

    /// Writes one record written at `at`.
    pub fn write(&mut self, at: Millis, rec: &Rec) {
        let Some(head) = self.head_of(rec) else {
            return;
        };
        self.enter_file_of(at);
        self.note_time(at);
        if let Rec::Accepted { .. } = rec {
            self.truth.connections += 1;
        }
        self.begin(at, &head);
        self.fields(rec);
        self.end_line();
        if self.format == GenFormat::Detector && self.fine_noise {
            self.tracing_noise(at);
        }
        if self.buf.len() >= FLUSH_BYTES {
            self.flush();
        }
    }

    /// Hands the last bytes to the sink and returns the truth.
    pub fn finish(mut self) -> Truth {
        self.flush();
        self.truth
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            (self.sink)(self.files - 1 - self.chrono, &self.buf);
            self.buf.clear();
        }
    }

    /// Switches to the file that holds `at`: files split the span evenly,
    /// the oldest first, and anything after the span goes to the newest.
    fn enter_file_of(&mut self, at: Millis) {
        let offset = i128::from((at - self.start).max(0));
        let span = i128::from(self.span.max(1));
        let chrono = (offset * self.files as i128 / span) as usize;
        let chrono = chrono.min(self.files - 1);
        if chrono != self.chrono {
            self.flush();
            self.chrono = chrono;
        }
    }

    fn note_time(&mut self, at: Millis) {
        let printed = match self.format {
            GenFormat::Operational => at,
            GenFormat::Detector => at - at.rem_euclid(1000),
        };
        if self.truth.lines == 0 {
            self.truth.first = printed;
        }
        self.truth.last = printed;
    }

    fn end_line(&mut self) {
        self.buf.push(b'\n');
        self.truth.lines += 1;
        self.truth.lines_per_file[self.files - 1 - self.chrono] += 1;
    }

    /// Writes the stamp or header, the level, the tag and the text.
    fn begin(&mut self, at: Millis, head: &Head) {
        match self.format {
            GenFormat::Operational => {
                self.clock.operational(at, &mut self.buf);
                self.buf.extend_from_slice(b" [");
                self.buf.extend_from_slice(head.level.as_bytes());
                self.buf.extend_from_slice(b"] ");
            }
            GenFormat::Detector => {
                self.header(at, head.class, head.method);
                self.buf.extend_from_slice(head.level.as_bytes());
                self.buf.extend_from_slice(b": ");
            }
        }
        if !head.tag.is_empty() {
            self.buf.push(b'(');
            self.buf.extend_from_slice(head.tag.as_bytes());
            self.buf.extend_from_slice(b") ");
        }
        self.buf.extend_from_slice(head.text.as_bytes());
    }

    /// A java.util.logging header line.
    fn header(&mut self, at: Millis, class: &str, method: &str) {
        self.clock.detector(at, &mut self.buf);
        self.buf.extend_from_slice(class.as_bytes());
        self.buf.push(b' ');
        self.buf.extend_from_slice(method.as_bytes());
        self.end_line();
    }
}

impl Render<'_> {
    /// What a record starts with; `None` when the format has no such
    /// record (pass-through notes exist in the detector log only).
    fn head_of(&self, rec: &Rec) -> Option<Head> {
        let h = match rec {
            Rec::Starting => head(
                "INFO",
                "logServiceStarting",
                "SMTP_CORE.1100",
                "Starting Network Prevent for Email",
            ),
            Rec::Listening => head(
                "INFO",
                "logListening",
                "SMTP_CONNECTION.1200",
                "Listening for incoming connections",
            ),
            Rec::Accepted { .. } => head(
                "INFO",
                "logConnectionAccepted",
                "SMTP_CONNECTION.1201",
                "Connection accepted",
            ),
            Rec::ForwardOpened { .. } => head(
                "INFO",
                "logForwardConnectionEstablished",
                "SMTP_CONNECTION.1203",
                "Forward connection established",
            ),
            Rec::ForwardClosed { .. } => head(
                "INFO",
                "logForwardConnectionClosed",
                "SMTP_CONNECTION.1204",
                "Forward connection closed",
            ),
            Rec::ServiceClosed { .. } => head(
                "INFO",
                "logServiceConnectionClosed",
                "SMTP_CONNECTION.1205",
                "Service connection closed",
            ),
            Rec::Message(m) => message_head(m),
            _ => return self.fault_head_of(rec),
        };
        Some(h)
    }

    fn fault_head_of(&self, rec: &Rec) -> Option<Head> {
        let h = match rec {
            Rec::ForwardError { .. } => head(
                "SEVERE",
                "logForwardConnectionError",
                "SMTP_CONNECTION.5203",
                "Forward connection error",
            ),
            Rec::NoForwardHosts { .. } => head(
                "SEVERE",
                "logAllForwardHostsUnavailable",
                "SMTP_CONNECTION.5210",
                "All forward hosts unavailable",
            ),
            Rec::HostRejected { .. } => head(
                "SEVERE",
                "logUnauthorizedHost",
                "SMTP_CONNECTION.5200",
                "Connection is rejected from the unauthorized host",
            ),
            Rec::PeerDropped => head(
                "SEVERE",
                "logPeerDisconnectedUnexpectedly",
                "SMTP_CONNECTION.5204",
                "Peer disconnected unexpectedly",
            ),
            Rec::FileReader { step } => link_head(*step),
            Rec::PassThrough { .. } if self.format == GenFormat::Detector => {
                Head {
                    level: "WARNING",
                    class: "com.vontu.mta.rp.ResponseProcessor",
                    method: "respond",
                    tag: "",
                    text: "",
                }
            }
            _ => return None,
        };
        Some(h)
    }
}

fn message_head(m: &MessageRec) -> Head {
    if m.verdict == Verdict::Rejected {
        head(
            "INFO",
            "logMessageError",
            MESSAGE_ERROR_TAG,
            "Error while processing message",
        )
    } else {
        head(
            "INFO",
            "logMessageComplete",
            "SMTP_MESSAGE.1300",
            "Message complete",
        )
    }
}

/// The FileReader link records. No public sample shows the category of
/// the 11xx/51xx core codes; `SMTP_CORE` follows the pattern of the two
/// categories that are known.
fn link_head(step: LinkStep) -> Head {
    match step {
        LinkStep::Lost => head(
            "SEVERE",
            "logFileReaderConnectionLost",
            "SMTP_CORE.5101",
            "FileReader connection lost",
        ),
        LinkStep::Reconnecting => head(
            "INFO",
            "logReconnectingToFileReader",
            "SMTP_CORE.1102",
            "Reconnecting to FileReader",
        ),
        LinkStep::ConnectFailed => head(
            "SEVERE",
            "logFileReaderConnectFailed",
            "SMTP_CORE.5100",
            "Could not connect to the FileReader",
        ),
        LinkStep::Reconnected => head(
            "INFO",
            "logFileReaderReconnected",
            "SMTP_CORE.1103",
            "Reconnected to the FileReader successfully",
        ),
    }
}

impl Render<'_> {
    /// Writes ` (fields)` after the text, if the record has any.
    fn fields(&mut self, rec: &Rec) {
        match *rec {
            Rec::Starting | Rec::PeerDropped => {}
            Rec::Listening => {
                self.buf.extend_from_slice(b" (local=");
                self.buf.extend_from_slice(NPE_ADDRESS);
                self.buf.push(b')');
            }
            Rec::Accepted { tid, conn, peer } => {
                self.open_fields(tid);
                self.upstream_cid(conn);
                self.inbound_ends(peer);
                self.buf.push(b')');
            }
            Rec::ForwardOpened { tid, link, host, port }
            | Rec::ForwardClosed { tid, link, host, port } => {
                self.forward_fields(tid, link, host, port)
            }
            Rec::ServiceClosed { tid, conn, peer, messages, centis } => {
                self.open_fields(tid);
                self.upstream_cid(conn);
                self.inbound_ends(peer);
                self.buf.extend_from_slice(b" messages=");
                digits::push_u64(&mut self.buf, u64::from(messages));
                self.buf.extend_from_slice(b" time=");
                digits::push_centis_short(&mut self.buf, u64::from(centis));
                self.buf.extend_from_slice(b"s)");
            }
            Rec::Message(ref m) => self.message_fields(m),
            _ => self.fault_fields(rec),
        }
    }

    fn fault_fields(&mut self, rec: &Rec) {
        match *rec {
            Rec::ForwardError { tid, conn, host } => {
                self.open_fields(tid);
                self.upstream_cid(conn);
                self.buf.extend_from_slice(b" mta=[");
                self.buf.extend_from_slice(DOWNSTREAM_HOSTS[host as usize]);
                self.buf.extend_from_slice(b"] reason=null)");
            }
            Rec::NoForwardHosts { tid } => {
                self.open_fields(tid);
                let rest = b" cid=<> reason=No available forward hosts)";
                self.buf.extend_from_slice(rest);
            }
            Rec::HostRejected { tid, peer } => {
                self.open_fields(tid);
                self.inbound_ends(peer);
                self.buf.push(b')');
            }
            Rec::FileReader { step } => {
                self.open_fields(FILEREADER_TID);
                if step == LinkStep::ConnectFailed {
                    self.buf.extend_from_slice(b" timeout=.3s");
                }
                self.buf.push(b')');
            }
            Rec::PassThrough { tid } => {
                self.buf.extend_from_slice(b"RPT(");
                digits::push_hex_trimmed(&mut self.buf, u64::from(tid));
                let rest = b") Passed message through due to timeout \
                    of message chains";
                self.buf.extend_from_slice(rest);
            }
            _ => {}
        }
    }

    fn open_fields(&mut self, tid: u16) {
        self.buf.extend_from_slice(b" (tid=");
        digits::push_u64(&mut self.buf, u64::from(tid));
    }

    fn upstream_cid(&mut self, conn: u128) {
        self.buf.extend_from_slice(b" cid=Upstream-");
        digits::push_uuid(&mut self.buf, conn);
    }

    /// ` local=NPE:10025 remote=peer`: the two ends of an inbound session.
    fn inbound_ends(&mut self, peer: Peer) {
        self.buf.extend_from_slice(b" local=");
        self.buf.extend_from_slice(NPE_ADDRESS);
        self.buf.push(b':');
        self.buf.extend_from_slice(ACCEPT_PORT);
        self.buf.extend_from_slice(b" remote=");
        digits::push_ip(&mut self.buf, peer.ip);
        self.buf.push(b':');
        digits::push_u64(&mut self.buf, u64::from(peer.port));
    }

    fn forward_fields(&mut self, tid: u16, link: u128, host: u8, port: u16) {
        self.open_fields(tid);
        self.buf.extend_from_slice(b" cid=Downstream-");
        digits::push_uuid(&mut self.buf, link);
        self.buf.extend_from_slice(b" local=");
        self.buf.extend_from_slice(NPE_ADDRESS);
        self.buf.push(b':');
        digits::push_u64(&mut self.buf, u64::from(port));
        self.buf.extend_from_slice(b" remote=");
        self.buf.extend_from_slice(DOWNSTREAM_HOSTS[host as usize]);
        self.buf.extend_from_slice(b":25)");
    }
}

impl Render<'_> {
    /// The field list of a `Message complete` or message-error record, and
    /// its values in the truth.
    fn message_fields(&mut self, m: &MessageRec) {
        let mut rng = Rng::with_seed(m.seed);
        let bounce = m.verdict == Verdict::Artifact || rng.u32(0..100) == 0;
        let domain = DOMAINS[rng.usize(0..DOMAINS.len())];
        self.open_fields(m.tid);
        self.upstream_cid(m.conn);
        self.buf.extend_from_slice(b" message_id=<");
        digits::push_hex(&mut self.buf, u128::from(rng.u64(..)), 16);
        self.buf.push(b'@');
        self.buf.extend_from_slice(domain);
        self.buf.extend_from_slice(b"> dlp_id=");
        digits::push_hex_trimmed(&mut self.buf, m.started as u64);
        self.buf.extend_from_slice(b" size=");
        if m.verdict != Verdict::Artifact && rng.u32(0..3) == 0 {
            digits::push_grouped(&mut self.buf, u64::from(m.size));
        } else {
            digits::push_u64(&mut self.buf, u64::from(m.size));
        }
        self.sender(&mut rng, bounce, domain);
        let recipients = recipient_count(&mut rng, m.verdict);
        self.buf.extend_from_slice(b" recipient_count=");
        digits::push_u64(&mut self.buf, u64::from(recipients));
        self.buf.extend_from_slice(b" disposition=PASS");
        self.reply(&mut rng, m, recipients, domain);
        self.timings(&mut rng, m);
    }

    fn sender(&mut self, rng: &mut Rng, bounce: bool, domain: &[u8]) {
        self.buf.extend_from_slice(b" sender=<");
        if !bounce {
            self.buf.extend_from_slice(LOCAL_PARTS[rng.usize(0..8)]);
            self.buf.push(b'@');
            self.buf.extend_from_slice(domain);
        }
        self.buf.push(b'>');
    }

    /// `code`, `estatus` and `text`, in the style of the next hop: a
    /// Postfix-like queue id, an Exchange-like receipt with nested
    /// brackets, or a per-recipient summary in parentheses.
    fn reply(
        &mut self,
        rng: &mut Rng,
        m: &MessageRec,
        rcpts: u32,
        domain: &[u8],
    ) {
        let b = &mut self.buf;
        match m.verdict {
            Verdict::Rejected => b.extend_from_slice(
                b" code=541 estatus=<> text=<5.4.1 Content blocked by \
                Internal Firewall>",
            ),
            Verdict::Refused => {
                b.extend_from_slice(b" code=550 estatus=<5.7.1> text=<5.7.1 <");
                b.extend_from_slice(LOCAL_PARTS[rng.usize(0..8)]);
                b.extend_from_slice(
                    b"@example.org>: Recipient address rejected: \
                    Access denied (policy [AS(201806281)])>",
                );
            }
            Verdict::Artifact => receipt_reply(b, rng, m),
            Verdict::Delivered => match m.host {
                0 => {
                    b.extend_from_slice(
                        b" code=250 estatus=<2.0.0> text=<2.0.0 \
                        Ok: queued as ",
                    );
                    digits::push_hex_upper(b, rng.u64(..), 10);
                    b.push(b'>');
                }
                1 => receipt_reply(b, rng, m),
                _ => summary_reply(b, rng, rcpts, domain),
            },
        }
    }

    /// rtime, dtime and mtime (or the message error's `mtime=<>` and
    /// reason), and the same values in the truth, as printed.
    fn timings(&mut self, rng: &mut Rng, m: &MessageRec) {
        let b = &mut self.buf;
        b.extend_from_slice(b" rtime=");
        if m.verdict == Verdict::Artifact {
            digits::push_grouped_centis(b, m.receive);
        } else {
            digits::push_centis(b, m.receive);
        }
        b.extend_from_slice(b"s dtime=");
        let detection = u64::from(m.detection);
        if detection % 100 == 0 || rng.bool() {
            digits::push_centis_short(b, detection);
        } else {
            digits::push_centis(b, detection);
        }
        let total = m.receive + detection + u64::from(m.send);
        match m.verdict {
            Verdict::Artifact => b.extend_from_slice(b"s mtime=-0s)"),
            Verdict::Rejected => b.extend_from_slice(
                b"s mtime=<> reason=<Message not accepted by forwarder>)",
            ),
            _ => {
                b.extend_from_slice(b"s mtime=");
                digits::push_centis(b, total);
                b.extend_from_slice(b"s)");
            }
        }
        self.count_message(m, total);
    }

    fn count_message(&mut self, m: &MessageRec, total: u64) {
        let t = &mut self.truth;
        match m.verdict {
            Verdict::Artifact => {
                t.messages_complete += 1;
                t.artifacts += 1;
                return;
            }
            Verdict::Rejected => t.message_errors += 1,
            _ => t.messages_complete += 1,
        }
        if !self.keep_values {
            return;
        }
        t.receive.push(seconds_as_parsed(m.receive));
        t.detection.push(seconds_as_parsed(u64::from(m.detection)));
        if m.verdict != Verdict::Rejected {
            t.total.push(seconds_as_parsed(total));
            t.send.push(f64::from(m.send) / 100.0);
        }
    }
}

/// `2.6.0 <id@host> [InternalId=…, Hostname=…] N bytes in s, r KB/sec
/// Queued mail for delivery`.
fn receipt_reply(b: &mut Vec<u8>, rng: &mut Rng, m: &MessageRec) {
    b.extend_from_slice(b" code=250 estatus=<2.6.0> text=<2.6.0 <");
    digits::push_hex(b, u128::from(rng.u64(..)), 12);
    b.extend_from_slice(b"@");
    b.extend_from_slice(DOWNSTREAM_HOSTS[m.host as usize]);
    b.extend_from_slice(b"> [InternalId=");
    digits::push_u64(b, rng.u64(10_000_000_000..99_999_999_999));
    b.extend_from_slice(b", Hostname=");
    b.extend_from_slice(DOWNSTREAM_HOSTS[m.host as usize]);
    b.extend_from_slice(b"] ");
    let bytes = u64::from(m.size) + rng.u64(800..4000);
    digits::push_u64(b, bytes);
    b.extend_from_slice(b" bytes in ");
    let millis = rng.u64(40..2500);
    digits::push_u64(b, millis / 1000);
    b.push(b'.');
    digits::push_padded(b, millis % 1000, 3);
    b.extend_from_slice(b", ");
    let rate = bytes * 1000 / millis;
    digits::push_u64(b, rate / 1024);
    b.push(b'.');
    digits::push_padded(b, (rate % 1024) * 1000 / 1024, 3);
    b.extend_from_slice(b" KB/sec Queued mail for delivery>");
}

/// `OK (a@x:250 2.0.0 ID mail accepted for delivery,x:250 2.0.0...)`.
fn summary_reply(b: &mut Vec<u8>, rng: &mut Rng, rcpts: u32, domain: &[u8]) {
    b.extend_from_slice(b" code=250 estatus=<> text=<OK (");
    b.extend_from_slice(LOCAL_PARTS[rng.usize(0..8)]);
    b.push(b'@');
    b.extend_from_slice(domain);
    b.extend_from_slice(b":250 2.0.0 ");
    digits::push_hex_upper(b, rng.u64(..), 16);
    b.extend_from_slice(b" mail accepted for delivery");
    if rcpts > 1 {
        b.push(b',');
        b.extend_from_slice(DOMAINS[rng.usize(0..DOMAINS.len())]);
        b.extend_from_slice(b":250 2.0.0...");
    }
    b.extend_from_slice(b")>");
}

/// Most mail has one recipient, some a handful, a few a long list; the
/// defect always logs zero.
fn recipient_count(rng: &mut Rng, verdict: Verdict) -> u32 {
    if verdict == Verdict::Artifact {
        return 0;
    }
    match rng.u32(0..100) {
        0..70 => 1,
        70..95 => rng.u32(2..6),
        _ => rng.u32(6..41),
    }
}

/// The value the parser reads back from centiseconds printed with
/// decimals: whole part plus fraction, computed the same way.
fn seconds_as_parsed(centis: u64) -> f64 {
    (centis / 100) as f64 + (centis % 100) as f64 / 100.0
}

impl Render<'_> {
    /// FINE and FINEST tracing after an event record, about one a record,
    /// and now and then a failed hand-off with its stack trace.
    fn tracing_noise(&mut self, at: Millis) {
        let count = match self.noise.u32(0..20) {
            0..6 => 0,
            6..15 => 1,
            _ => 2,
        };
        for _ in 0..count {
            self.trace_record(at);
        }
        if self.noise.u32(0..STACK_TRACE_EVERY) == 0 {
            self.stack_trace(at);
        }
    }

    fn trace_record(&mut self, at: Millis) {
        const HANDLER: &str = "com.vontu.mta.rp.RequestProcessorHandler";
        const PEER: &str = "com.vontu.mta.rp.connection.ESMTPPeer";
        match self.noise.u32(0..5) {
            0 => {
                self.header(at, HANDLER, "handleLineFromDownstream");
                self.buf.extend_from_slice(
                    b"FINE: Received line from downstream for processing.",
                );
            }
            1 => {
                self.header(at, HANDLER, "handleLineFromUpstream");
                self.buf.extend_from_slice(
                    b"FINE: Received line from upstream for processing.",
                );
            }
            2 => {
                self.header(at, "com.vontu.mta.rp.ESMTPResponse", "parse");
                self.buf.extend_from_slice(
                    b"FINEST: Parsing response 250 2.0.0 Ok",
                );
            }
            3 => {
                self.header(at, PEER, "send");
                self.buf.extend_from_slice(b"FINEST: send: wrote ");
                digits::push_u64(&mut self.buf, self.noise.u64(6..512));
            }
            _ => {
                self.header(at, PEER, "send");
                self.buf.extend_from_slice(b"FINEST: send(): r: ");
                digits::push_u64(&mut self.buf, self.noise.u64(0..65_536));
                self.buf.extend_from_slice(b" q: 0");
            }
        }
        self.end_line();
    }

    /// An `Error sending data to message chains.` record, the exception
    /// and its frames, and the blank line java.util.logging leaves.
    fn stack_trace(&mut self, at: Millis) {
        const FRAMES: [&[u8]; 6] = [
            b"com.vontu.mta.rp.detection.RemoteDetectionRequestSubmitter.\
              readResponseFromMessageChains(\
              RemoteDetectionRequestSubmitter.java:",
            b"com.vontu.mta.rp.detection.RemoteDetectionRequestSubmitter.\
              doDetection(RemoteDetectionRequestSubmitter.java:",
            b"com.vontu.mta.rp.handlers.DataProcessingState.endTransfer(\
              DataProcessingState.java:",
            b"com.vontu.mta.rp.RequestProcessorHandler.handleLineFromUpstream(\
              RequestProcessorHandler.java:",
            b"com.vontu.mta.rp.EventLoop.process(EventLoop.java:",
            b"java.lang.Thread.run(Thread.java:",
        ];
        let class = "com.vontu.mta.rp.handlers.DataProcessingState";
        self.header(at, class, "endTransfer");
        self.buf.extend_from_slice(b"INFO: RPT(");
        digits::push_hex_trimmed(&mut self.buf, self.noise.u64(0x14..0x60));
        self.buf
            .extend_from_slice(b"): Error sending data to message chains. ");
        self.end_line();
        self.buf.extend_from_slice(
            b"com.vontu.mta.rp.detection.DetectionException: \
              java.net.SocketException: Connection reset",
        );
        self.end_line();
        for frame in FRAMES {
            self.buf.extend_from_slice(b" at ");
            self.buf.extend_from_slice(frame);
            digits::push_u64(&mut self.buf, self.noise.u64(40..900));
            self.buf.push(b')');
            self.end_line();
        }
        self.end_line();
    }
}

/// Formats record times, caching the part that only changes once a
/// second (and the zone offset with it).
struct Clock {
    zone: Zone,
    second: Option<i64>,
    operational: Vec<u8>,
    detector: Vec<u8>,
}

impl Clock {
    fn new(zone: Zone) -> Clock {
        Clock {
            zone,
            second: None,
            operational: Vec::new(),
            detector: Vec::new(),
        }
    }

    /// `dd/Mon/yy:HH:mm:ss:SSS±hhmm`, in the zone's offset at `at`.
    fn operational(&mut self, at: Millis, out: &mut Vec<u8>) {
        self.refresh(at);
        let (prefix, offset) = self.operational.split_at(19);
        out.extend_from_slice(prefix);
        digits::push_padded(out, at.rem_euclid(1000) as u64, 3);
        out.extend_from_slice(offset);
    }

    /// `Mon d, yyyy h:mm:ss AM ` in the zone's wall clock, no offset.
    fn detector(&mut self, at: Millis, out: &mut Vec<u8>) {
        self.refresh(at);
        out.extend_from_slice(&self.detector);
    }

    fn refresh(&mut self, at: Millis) {
        let second = at.div_euclid(1000);
        if self.second == Some(second) {
            return;
        }
        self.second = Some(second);
        let offset = self.zone.offset_minutes_at(second * 1000);
        let local =
            Civil::from_millis(second * 1000 + i64::from(offset) * 60_000);
        self.operational.clear();
        operational_stamp(&mut self.operational, &local, offset);
        self.detector.clear();
        detector_stamp(&mut self.detector, &local);
    }
}

/// Everything of an operational stamp but the milliseconds: the 19 bytes
/// `dd/Mon/yy:HH:mm:ss:`, then the 5 bytes `±hhmm`.
fn operational_stamp(out: &mut Vec<u8>, t: &Civil, offset: i32) {
    digits::push_padded(out, u64::from(t.day), 2);
    out.push(b'/');
    out.extend_from_slice(MONTHS[t.month as usize - 1]);
    out.push(b'/');
    digits::push_padded(out, t.year.rem_euclid(100) as u64, 2);
    for part in [t.hour, t.minute, t.second] {
        out.push(b':');
        digits::push_padded(out, u64::from(part), 2);
    }
    out.push(b':');
    out.push(if offset < 0 { b'-' } else { b'+' });
    let m = u64::from(offset.unsigned_abs());
    digits::push_padded(out, m / 60, 2);
    digits::push_padded(out, m % 60, 2);
}

fn detector_stamp(out: &mut Vec<u8>, t: &Civil) {
    out.extend_from_slice(MONTHS[t.month as usize - 1]);
    out.push(b' ');
    digits::push_u64(out, u64::from(t.day));
    out.extend_from_slice(b", ");
    digits::push_u64(out, t.year as u64);
    out.push(b' ');
    let hour12 = if t.hour.is_multiple_of(12) { 12 } else { t.hour % 12 };
    digits::push_u64(out, u64::from(hour12));
    out.push(b':');
    digits::push_padded(out, u64::from(t.minute), 2);
    out.push(b':');
    digits::push_padded(out, u64::from(t.second), 2);
    out.extend_from_slice(if t.hour < 12 { b" AM " } else { b" PM " });
}
