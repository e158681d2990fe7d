//! `detection-timeouts`: detection gave up on messages, or restarted.
//!
//! **What it detects.** "Passed message through due to timeout" (of
//! message chains), "Detection timed out on message", "Error sending data
//! to message chains", and in the detection operational log
//! `DETECTION.12` (a message chain exceeded its component timeout) and
//! `DETECTION.13` (detection restarts because a chain took too long).
//!
//! **Why it matters.** A timed-out message normally passes uninspected
//! (unless a block was already decided), so policies are not applied to
//! it; header and modify actions may be skipped. A detection restart
//! interrupts every message in flight and the MTA has to resend them.
//!
//! **Example log lines.**
//!
//! ```text
//! WARNING: RPT(28) Passed message through due to timeout of message chains
//! 08/Feb/12:13:48:02:293+0000 [WARNING] (DETECTION.13) Intentionally
//!     restarting this process, as Message chain #8 is taking too long processing
//!     a message in Detection Chain. Working on item RequestProcessor.2, total
//!     data length: 0
//! ```
//!
//! Timeouts while the FileReader link is down are left to
//! `filereader-link`, which explains them.
//!
//! **What to check.** Detection server load, the content being scanned,
//! and `MessageChain.MaximumComponentTime`.

use crate::diagnose::helpers::{
    count, event_minutes, event_samples, event_total, filereader_aftermath,
    finding, owned, plural, set_windows, when, windows_from_minutes, within,
};
use crate::diagnose::{Confidence, Context, Finding, Severity};
use crate::event::EventCode;

/// The finding's id.
pub const ID: &str = "detection-timeouts";

/// The events this rule reads.
const CODES: &[EventCode] = &[
    EventCode::DetectionTimeout,
    EventCode::MessageChainError,
    EventCode::DetectionComponentTimeout,
    EventCode::DetectionRestart,
];

/// Checks for detection timeouts and restarts.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let total = event_total(data, CODES);
    let link_down = filereader_aftermath(data);
    let during_loss: u64 = event_minutes(data, CODES)
        .iter()
        .filter(|(m, _)| within(&link_down, *m))
        .map(|(_, n)| u64::from(*n))
        .sum();
    if total == during_loss {
        return None;
    }
    let timeouts = data.event_count(EventCode::DetectionTimeout);
    let chain = data.event_count(EventCode::MessageChainError);
    let component = data.event_count(EventCode::DetectionComponentTimeout);
    let restarts = data.event_count(EventCode::DetectionRestart);
    let windows = windows_from_minutes(
        event_minutes(data, CODES)
            .into_iter()
            .map(|m| m.0)
            .filter(|m| !within(&link_down, *m)),
    );
    let mut f = finding(
        ID,
        Severity::Warning,
        Confidence::High,
        "Detection timed out on messages".to_string(),
    );
    let mut text = format!(
        "Detection did not finish in time {} ({}): {} passed through \
         because detection timed out, {} failed to reach the message \
         chains, {} exceeded the detection component timeout, and \
         detection restarted {}.",
        plural(total, "time", "times"),
        when(data, &windows),
        plural(timeouts, "message", "messages"),
        plural(chain, "message", "messages"),
        plural(component, "message chain", "message chains"),
        plural(restarts, "time", "times")
    );
    text.push_str(
        " A timed-out message normally goes on uninspected, so DLP \
         policies were not applied to it; a restart interrupts every \
         message in flight and the upstream MTA sends them again.",
    );
    f.explanation = text;
    f.evidence = vec![format!(
        "passed through on timeout: {}; errors sending to message chains: \
         {}; DETECTION.12 component timeouts: {}; DETECTION.13 restarts: {}",
        count(timeouts),
        count(chain),
        count(component),
        count(restarts)
    )];
    f.samples = event_samples(data, CODES, 4);
    f.next_steps = owned(&[
        "Check the detection server's load (CPU, memory, FileReader \
         restarts) at those times.",
        "Find what was being scanned: very large or deeply nested \
         attachments and costly policies make message chains run long.",
        "Review MessageChain.MaximumComponentTime and the related \
         content-extraction timeouts; test any change before applying it \
         in production.",
    ]);
    f.affected = total;
    set_windows(&mut f, windows);
    Some(f)
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::diagnose_text;
    use crate::diagnose::Severity;

    const KB160136: &str = include_str!(
        "../../../tests/fixtures/samples/kb160136-detection-operational.log"
    );

    #[test]
    fn component_timeout_and_restart_are_found() {
        let findings = diagnose_text(KB160136);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.explanation.contains("restarted 1 time"), "{f:#?}");
        assert!(f
            .next_steps
            .iter()
            .any(|s| s.contains("MaximumComponentTime")));
    }
}
