//! `healthy`: nothing wrong was found.
//!
//! **What it detects.** Messages were read and no rule raised a warning or
//! a critical finding.
//!
//! **Why it matters.** An administrator looking at queued mail needs to
//! know whether NPE is part of the problem; "nothing wrong here" moves the
//! search upstream or downstream.
//!
//! **What to check.** The upstream MTA's queue and its route to NPE.

use crate::diagnose::{Confidence, Context, Finding, Severity};

/// Reports health when there is something to judge by.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let s = cx.stats;
    let messages = s.messages_complete + s.message_errors;
    if messages == 0 {
        return None;
    }
    let t = &s.timings;
    Some(Finding {
        id: "healthy",
        severity: Severity::Info,
        confidence: Confidence::Medium,
        title: "No sign of trouble in these logs".to_string(),
        explanation: format!(
            "{messages} messages were handled. Half were received within \
             {:.2} s, inspected within {:.2} s and handed on within {:.2} s.",
            t.receive.p50, t.detection.p50, t.send.p50
        ),
        evidence: Vec::new(),
        samples: Vec::new(),
        windows: Vec::new(),
        first: cx.data.messages.first().and_then(|m| m.time.get()),
        last: cx.data.messages.iter().rev().find_map(|m| m.time.get()),
        next_steps: vec![
            "If mail still queues, look at the upstream MTA's queue and its \
             connection to NPE."
                .to_string(),
        ],
        affected: 0,
    })
}
