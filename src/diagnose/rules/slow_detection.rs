//! `slow-detection`: inspecting messages takes most of the time.
//!
//! **What it detects.** Messages whose detection time (`dtime`) is long
//! and is their longest step, in numbers or in a sustained stretch. Slow
//! detection while the FileReader link is down is left to
//! `filereader-link`.
//!
//! **Why it matters.** Detection runs while the upstream MTA waits for
//! its reply. An overloaded detection server or FileReader slows every
//! message; past the message chain's component timeout mail passes
//! uninspected, and in reflect mode behind a Symantec Messaging Gateway
//! the gateway gives up after its outbound session timeout (30 s by
//! default) with `421 4.4.2 Service timed out`.
//!
//! **Example log lines.**
//!
//! ```text
//! 12/Jun/12:09:41:07:120+0000 [INFO] (SMTP_MESSAGE.1300) Message complete
//!     (tid=31 cid=Upstream-… size=48,211 … code=250 … rtime=0.42s dtime=24.80s
//!     mtime=25.61s)
//! ```
//!
//! **What to check.** Detection server CPU and memory, FileReader
//! restarts, policy and content-extraction cost, the message chain
//! timeouts, and the gateway's session timeout in reflect mode.

use crate::analysis::{Dataset, Step};
use crate::diagnose::helpers::{
    count, event_total, filereader_aftermath, finding, finish_slow, generalise,
    kept_slow, owned, percentile, plural, seconds, slow_evidence, story,
    Slowness,
};
use crate::diagnose::{Confidence, Context, Finding, Severity};
use crate::event::EventCode;

/// The finding's id.
pub const ID: &str = "slow-detection";

/// A detection time of this many seconds is slow: inspection usually
/// takes well under a second, and ten seconds is a third of the gateway's
/// default 30 s session timeout, leaving little room for the other steps.
pub const SLOW_DETECTION_SECONDS: f64 = 10.0;

/// The Symantec Messaging Gateway's default outbound SMTP session
/// timeout in reflect mode: a scan that outlasts it gets the message
/// refused with `421 4.4.2 Service timed out` and sent again.
pub const REFLECT_SESSION_TIMEOUT_SECONDS: f64 = 30.0;

/// The detection events that often come with slow inspection.
const DETECTION_TROUBLE: &[EventCode] = &[
    EventCode::DetectionTimeout,
    EventCode::MessageChainError,
    EventCode::DetectionComponentTimeout,
    EventCode::DetectionRestart,
    EventCode::FileReaderLost,
    EventCode::FileReaderReconnecting,
];

/// Checks for slow detection.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let link_down = filereader_aftermath(data);
    let s = cx.slowness(Step::Detection, SLOW_DETECTION_SECONDS, &link_down)?;
    let near = near_timeout(&s);
    let severity =
        if percentile(&s.values(), 0.9) >= REFLECT_SESSION_TIMEOUT_SECONDS {
            Severity::Critical
        } else {
            Severity::Warning
        };
    let mut f = finding(
        ID,
        severity,
        Confidence::Medium,
        "Inspecting mail (DLP detection) is slow".to_string(),
    );
    f.explanation = explanation(data, &s, near);
    f.evidence = slow_evidence(data, cx.stats, &s);
    f.evidence.push(format!(
        "{} took {} or more, the gateway's default reflect-mode session \
         timeout",
        plural(near, "message", "messages"),
        seconds(REFLECT_SESSION_TIMEOUT_SECONDS)
    ));
    let trouble = event_total(data, DETECTION_TROUBLE);
    if trouble > 0 {
        f.evidence.push(format!(
            "{} detection timeouts, message chain errors, detection restarts \
             or FileReader reconnects were logged",
            count(trouble)
        ));
    }
    Some(finish_slow(f, data, &s, next_steps()))
}

/// Slow messages whose detection reached the reflect-mode timeout.
fn near_timeout(s: &Slowness<'_>) -> u64 {
    s.values().iter().filter(|v| **v >= REFLECT_SESSION_TIMEOUT_SECONDS).count()
        as u64
}

fn explanation(data: &Dataset, s: &Slowness<'_>, near: u64) -> String {
    let example = kept_slow(data, s)
        .first()
        .map(|k| story(data, &k.message))
        .unwrap_or_default();
    let mut text = format!(
        "{example} {} Receiving and handing on these messages was quick; \
         the time went to DLP inspecting them, which points at an \
         overloaded detection server or FileReader.",
        generalise(data, s)
    );
    let p90 = percentile(&s.values(), 0.9);
    text.push_str(&format!(
        " In reflect mode behind a Messaging Gateway, the gateway closes \
         the session after {} by default; the slow messages' 90th \
         percentile is {}{}.",
        seconds(REFLECT_SESSION_TIMEOUT_SECONDS),
        seconds(p90),
        if near > 0 {
            format!(
                ", and {} reached that limit",
                plural(near, "message", "messages")
            )
        } else {
            String::new()
        }
    ));
    text
}

fn next_steps() -> Vec<String> {
    owned(&[
        "Check the detection server's load at those times: CPU, memory \
         and the FileReader process (restarts, long garbage collections).",
        "Look for policies or content extraction that are costly on this \
         mail (large archives, many attachments, heavy regular \
         expressions or data profiles).",
        "Review MessageChain.MaximumComponentTime and the related \
         detection timeouts; test any change first.",
        "In reflect mode behind a Symantec Messaging Gateway, compare the \
         detection times with the gateway's Delivery MTA and Outbound \
         listener session timeouts (30 s by default); raise them if scans \
         legitimately take that long.",
    ])
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::{complete_lines, diagnose_text};
    use crate::diagnose::Severity;

    #[test]
    fn slow_inspection_is_found_and_named() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 200]);
        log.push_str(&complete_lines("09:40:00", 10, &[(0.4, 24.8, 25.6); 40]));
        let findings = diagnose_text(&log);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.explanation.contains("24.8 s to inspect"), "{f:#?}");
        assert!(f.explanation.contains("30 s"));
        assert!(!findings.iter().any(|f| f.id == "slow-downstream"));
    }

    #[test]
    fn detection_past_the_gateway_timeout_is_critical() {
        let log = complete_lines("09:00:00", 10, &[(0.4, 41.0, 41.6); 40]);
        let findings = diagnose_text(&log);
        assert_eq!(findings[0].id, super::ID);
        assert_eq!(findings[0].severity, Severity::Critical);
    }
}
