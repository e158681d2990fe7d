//! `slow-downstream`: handing messages to the next hop takes most of the
//! time.
//!
//! **What it detects.** Messages whose send step (`mtime − rtime −
//! dtime`) is long and is their longest step, in numbers or in a
//! sustained stretch. Slow sends inside a forward outage are left to
//! `forward-hosts-unavailable`.
//!
//! **Why it matters.** NPE only acknowledges a message to the upstream
//! MTA once the downstream MTA has it, so a slow next hop holds every
//! upstream session open and mail backs up in the upstream queue.
//!
//! **Example log lines.**
//!
//! ```text
//! [INFO] (SMTP_MESSAGE.1300) Message complete (tid=27 cid=Upstream-…
//!     size=123,456 … code=250 … rtime=10.06s dtime=0.50s mtime=100.09s)
//! ```
//!
//! Here 100.09 − 10.06 − 0.50 = 89.53 s went to the downstream hop.
//!
//! **What to check.** The downstream MTA's load, connection limits and
//! timeouts; latency between DLP and it.

use crate::analysis::{Dataset, Step};
use crate::diagnose::helpers::{
    finding, finish_slow, generalise, kept_slow, owned, percentile, seconds,
    slow_evidence, story, Slowness,
};
use crate::diagnose::{Confidence, Context, Finding, Severity};
use crate::stats::Stats;

/// The finding's id.
pub const ID: &str = "slow-downstream";

/// A send step of this many seconds is slow: a healthy next hop on the
/// same network takes the DATA of a message in a second or two, and half
/// a minute is where upstream MTAs begin to hold sessions and queue.
pub const SLOW_SEND_SECONDS: f64 = 30.0;

/// When the slow sends' 90th percentile reaches this many seconds the
/// finding is critical: five minutes is half the ten minutes RFC 5321
/// lets a client wait for the reply to the end of DATA, so messages are
/// close to being abandoned and sent again.
pub const EXTREME_SEND_SECONDS: f64 = 300.0;

/// When at least this share of all messages is slow to send, the finding
/// is critical whatever the durations: a quarter of the mail is held up.
pub const EXTREME_SHARE: f64 = 0.25;

/// Checks for slow sends.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let s = cx.slowness(Step::Send, SLOW_SEND_SECONDS, cx.forward_outage())?;
    let mut f = finding(
        ID,
        severity(&s),
        Confidence::Medium,
        "Handing mail to the downstream MTA is slow".to_string(),
    );
    f.explanation = explanation(data, &s);
    f.evidence = evidence(data, cx.stats, &s);
    Some(finish_slow(f, data, &s, next_steps()))
}

fn severity(s: &Slowness<'_>) -> Severity {
    let values = s.values();
    let share = s.slow.len() as f64 / s.measured.max(1) as f64;
    if percentile(&values, 0.9) >= EXTREME_SEND_SECONDS
        || share >= EXTREME_SHARE
    {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

fn explanation(data: &Dataset, s: &Slowness<'_>) -> String {
    let example = kept_slow(data, s)
        .first()
        .map(|k| story(data, &k.message))
        .or_else(|| s.slow.last().map(|m| story(data, m)))
        .unwrap_or_default();
    format!(
        "{example} {} Receiving and inspecting these messages was quick; \
         the time went to the downstream MTA accepting them, so the next \
         hop (or the network to it) is where mail waits.",
        generalise(data, s)
    )
}

fn evidence(data: &Dataset, stats: &Stats, s: &Slowness<'_>) -> Vec<String> {
    let mut out = slow_evidence(data, stats, s);
    for h in stats.downstream.iter().filter(|h| h.send.count > 0).take(4) {
        out.push(format!(
            "downstream host {}: {} messages, send median {}, p95 {}, max {}",
            h.host,
            crate::diagnose::helpers::count(h.messages),
            seconds(h.send.p50),
            seconds(h.send.p95),
            seconds(h.send.max)
        ));
    }
    out
}

fn next_steps() -> Vec<String> {
    owned(&[
        "Look at the downstream MTA at those times: its load, queue, and \
         content scanning, and how long it takes to answer the end of \
         DATA.",
        "Check the downstream MTA's limits on concurrent connections from \
         the DLP server and its idle and session timeouts; a limit that is \
         reached makes NPE wait for a free connection.",
        "Measure network latency and packet loss between the DLP server \
         and the downstream MTA.",
        "If several downstream hosts are listed, compare their send times \
         above: one slow host points at that host, all slow at the \
         network or the shared next hop.",
    ])
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::{complete_lines, diagnose_text};
    use crate::diagnose::Severity;

    #[test]
    fn sustained_slow_sends_are_found_with_their_window() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 240]);
        log.push_str(&complete_lines("09:40:00", 10, &[(0.4, 0.3, 80.7); 60]));
        log.push_str(&complete_lines("09:50:00", 10, &[(0.3, 0.2, 1.0); 240]));
        let findings = diagnose_text(&log);
        let f = findings.iter().find(|f| f.id == super::ID).unwrap();
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.explanation.contains("80 s to hand"), "{f:#?}");
        assert!(f.explanation.contains("between 09:40 and 09:49"), "{f:#?}");
        assert_eq!(f.affected, 60);
    }

    #[test]
    fn a_handful_of_slow_sends_is_not_a_warning() {
        let mut timings = vec![(0.3, 0.2, 1.0); 3000];
        for i in 0..4 {
            timings[i * 700] = (0.3, 0.2, 95.0);
        }
        let findings = diagnose_text(&complete_lines("00:00:00", 5, &timings));
        assert!(findings.iter().all(|f| f.severity == Severity::Info));
        assert_eq!(findings[0].id, "healthy");
    }
}
