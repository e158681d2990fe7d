//! `slow-receive`: receiving messages from the upstream MTA takes most of
//! the time.
//!
//! **What it detects.** Messages whose receive time (`rtime`) is long and
//! is their longest step, in numbers or in a sustained stretch. Records
//! of the PIPELINING + RSET defect, whose rtime is an epoch value, never
//! count: their timings are not trusted.
//!
//! **Why it matters.** A slow sender, a slow or lossy network from the
//! upstream MTA, or very large messages keep NPE's sessions busy; the
//! cause is upstream of DLP, not in it.
//!
//! **Example log lines.**
//!
//! ```text
//! 12/Jun/12:09:41:07:120+0000 [INFO] (SMTP_MESSAGE.1300) Message complete
//!     (tid=31 cid=Upstream-… size=31,457,280 … code=250 … rtime=58.20s
//!     dtime=1.10s mtime=60.02s)
//! ```
//!
//! **What to check.** The sizes of the slow messages, the network from the
//! upstream MTA, and the upstream MTA's own load.

use crate::analysis::{Dataset, Step};
use crate::diagnose::helpers::{
    count, finding, finish_slow, generalise, kept_slow, owned, percent,
    percentile, slow_evidence, story, Slowness,
};
use crate::diagnose::{Confidence, Context, Finding, Severity};

/// The finding's id.
pub const ID: &str = "slow-receive";

/// A receive step of this many seconds is slow: an ordinary message
/// arrives in well under a second on a LAN, and even 30 MB over a
/// 10 Mbit/s link takes about 25 s.
pub const SLOW_RECEIVE_SECONDS: f64 = 30.0;

/// Messages of at least this many bytes are "large": big enough that
/// their size alone can explain a long receive on a modest link.
pub const LARGE_MESSAGE_BYTES: u64 = 10 * 1024 * 1024;

/// When at least this share of the slow messages is large, size is the
/// likely explanation rather than the network or the sender.
pub const LARGE_SHARE: f64 = 0.5;

/// Checks for slow receives.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let s = cx.slowness(Step::Receive, SLOW_RECEIVE_SECONDS, &[])?;
    let large = large_count(&s);
    let mostly_large = large as f64 >= LARGE_SHARE * s.slow.len() as f64;
    let confidence =
        if mostly_large { Confidence::Low } else { Confidence::Medium };
    let mut f = finding(
        ID,
        Severity::Warning,
        confidence,
        "Receiving mail from the upstream MTA is slow".to_string(),
    );
    f.explanation = explanation(data, &s, large, mostly_large);
    f.evidence = slow_evidence(data, cx.stats, &s);
    f.evidence.push(size_evidence(data, &s, large));
    Some(finish_slow(f, data, &s, next_steps()))
}

fn large_count(s: &Slowness<'_>) -> u64 {
    s.slow.iter().filter(|m| m.size.get() >= Some(LARGE_MESSAGE_BYTES)).count()
        as u64
}

fn explanation(
    data: &Dataset,
    s: &Slowness<'_>,
    large: u64,
    mostly_large: bool,
) -> String {
    let example = kept_slow(data, s)
        .first()
        .map(|k| story(data, &k.message))
        .unwrap_or_default();
    let cause = if mostly_large {
        format!(
            "{} of them were {} MB or more, so their size may be all there \
             is to it.",
            count(large),
            LARGE_MESSAGE_BYTES / (1024 * 1024)
        )
    } else {
        "Most of them were not large, so look at the sender side: the \
         upstream MTA's load or the network between it and DLP."
            .to_string()
    };
    format!(
        "{example} {} Inspecting and handing on these messages was quick; \
         the time went to receiving them from the upstream MTA. {cause}",
        generalise(data, s)
    )
}

fn size_evidence(data: &Dataset, s: &Slowness<'_>, large: u64) -> String {
    let mut slow: Vec<f64> =
        s.slow.iter().filter_map(|m| m.size.get()).map(|b| b as f64).collect();
    let mut all: Vec<f64> = data
        .messages
        .iter()
        .filter_map(|m| m.size.get())
        .map(|b| b as f64)
        .collect();
    slow.sort_by(f64::total_cmp);
    all.sort_by(f64::total_cmp);
    format!(
        "median size: {} bytes for the slow messages, {} bytes for all; \
         {} of the slow messages ({}) were {} MB or more",
        count(percentile(&slow, 0.5) as u64),
        count(percentile(&all, 0.5) as u64),
        count(large),
        percent(large, s.slow.len() as u64),
        LARGE_MESSAGE_BYTES / (1024 * 1024)
    )
}

fn next_steps() -> Vec<String> {
    owned(&[
        "Compare the slow messages' sizes with the rest: very large mail \
         takes long to receive whatever the health of the path.",
        "Check the upstream MTA's load and queue at those times, and how \
         many connections it opens to DLP at once.",
        "Measure latency, packet loss and bandwidth between the upstream \
         MTA and the DLP server (and any load balancer in between).",
    ])
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::{complete_lines, diagnose_text};
    use crate::diagnose::{Confidence, Severity};

    #[test]
    fn slow_senders_are_found() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 200]);
        log.push_str(&complete_lines("09:40:00", 10, &[(45.0, 0.3, 46.0); 40]));
        let findings = diagnose_text(&log);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.confidence, Confidence::Medium);
        assert!(f.explanation.contains("45 s to receive"), "{f:#?}");
        assert!(f.evidence.iter().any(|e| e.contains("median size")));
    }

    #[test]
    fn pipelining_epoch_rtime_is_never_slow_receive() {
        let line = "12/Jun/12:09:00:00:000+0000 [INFO] (SMTP_MESSAGE.1300) \
            Message complete (tid=1 cid=1 size=160745 sender=<> \
            recipient_count=0 disposition=PASS code=250 estatus=<2.6.0> \
            text=<2.6.0 queued> rtime=1,771,844,125.02s dtime=2s \
            mtime=-0s)\n";
        let findings = diagnose_text(&line.repeat(50));
        assert!(!findings.iter().any(|f| f.id == super::ID));
    }
}
