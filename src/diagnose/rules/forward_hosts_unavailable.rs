//! `forward-hosts-unavailable`: NPE could not reach its downstream MTA.
//!
//! **What it detects.** Forward connection errors (5203), "All forward
//! hosts unavailable" (5210), and messages answered with NPE's own
//! `421 4.4.1 Fatal: Forwarding agent unavailable.`
//!
//! **Why it matters.** NPE only accepts mail it can hand on. With no
//! next hop it refuses or drops the upstream session (1205 with
//! `messages=0`), and mail piles up in the upstream MTA's queue. Messages
//! that still get through often show it too: a send step far longer than
//! receiving and inspecting them.
//!
//! **Example log lines.**
//!
//! ```text
//! 12/Jun/12:08:32:31:506-0500 [SEVERE] (SMTP_CONNECTION.5203) Forward
//!     connection error (tid=27 cid=875 mta=[mta] reason=null)
//! 12/Jun/12:08:32:31:506-0500 [SEVERE] (SMTP_CONNECTION.5210) All forward
//!     hosts unavailable (tid=27 cid=<> reason=No available forward hosts)
//! ```
//!
//! **What to check.** Whether the downstream MTA still accepts DLP's
//! connections (connection limits per client, idle and session timeouts),
//! the network between DLP and it, and the configured next hops.

use crate::analysis::{Dataset, Step};
use crate::diagnose::helpers::{
    count, event_minutes, event_samples, finding, is_forwarding_unavailable,
    owned, percent, plural, seconds, set_windows, story, when, within,
    FORWARD_CODES,
};
use crate::diagnose::{Confidence, Context, Finding, Severity, Window};
use crate::event::EventCode;
use crate::message::Message;
use crate::parse::fields::Millis;

/// The finding's id.
pub const ID: &str = "forward-hosts-unavailable";

/// A message whose send step took at least this long is cited as the
/// outage seen from a message that got through: half a minute is far
/// beyond the second or two a healthy next hop needs.
pub const CITED_SEND_SECONDS: f64 = 30.0;

/// Forward errors from one host alone, with no 5210 and no 4.4.1 reply,
/// are a warning only up to this count: NPE fails over to its other
/// forward hosts, but many failures mean one of them is gone.
pub const LONE_FORWARD_ERRORS: u64 = 10;

/// Checks for forward connection failures.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let errors = data.event_count(EventCode::ForwardError);
    let all_down = data.event_count(EventCode::AllForwardHostsUnavailable);
    let replies = cx.unavailable();
    let total = errors + all_down + replies.len() as u64;
    if total == 0 {
        return None;
    }
    let critical =
        all_down > 0 || !replies.is_empty() || errors > LONE_FORWARD_ERRORS;
    let severity =
        if critical { Severity::Critical } else { Severity::Warning };
    let windows = cx.forward_outage();
    let mut f = finding(
        ID,
        severity,
        Confidence::High,
        "NPE could not connect to the downstream MTA".to_string(),
    );
    f.explanation = explanation(data, errors, all_down, replies, windows);
    f.evidence = evidence(data, errors, all_down, replies, windows);
    f.samples = event_samples(data, FORWARD_CODES, 4);
    f.samples.extend(cited_message(data, windows).map(|k| k.sample.clone()));
    f.samples.extend(unavailable_samples(data));
    f.next_steps = next_steps();
    f.affected = total;
    set_windows(&mut f, windows.to_vec());
    Some(f)
}

fn explanation(
    data: &Dataset,
    errors: u64,
    all_down: u64,
    replies: &[&Message],
    windows: &[Window],
) -> String {
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(format!(
            "{} (5203)",
            plural(
                errors,
                "forward connection error",
                "forward connection errors"
            )
        ));
    }
    if all_down > 0 {
        parts.push(format!(
            "\"all forward hosts unavailable\" {} (5210)",
            plural(all_down, "time", "times")
        ));
    }
    if !replies.is_empty() {
        parts.push(format!(
            "{} answered \"421 4.4.1 Forwarding agent unavailable\"",
            plural(replies.len() as u64, "message", "messages")
        ));
    }
    let mut s = format!(
        "NPE logged {} {}. It hands every message to a downstream MTA \
         before it accepts it from the upstream one, so while it cannot \
         connect, mail waits in the upstream MTA's queue.",
        parts.join(", "),
        when(data, windows)
    );
    let empty = empty_sessions(data, windows);
    if empty > 0 {
        s.push_str(&format!(
            " {} in that time closed without carrying a message (1205 \
             with messages=0).",
            plural(empty, "upstream session", "upstream sessions")
        ));
    }
    if let Some(k) = cited_message(data, windows) {
        s.push_str(&format!(
            " Mail that did get through shows the same trouble. {} So the \
             time went to handing the message on, which points at the \
             downstream MTA or the network to it.",
            story(data, &k.message)
        ));
    }
    s
}

/// Upstream sessions closed with `messages=0` inside the windows (or,
/// when no record has a time, anywhere).
fn empty_sessions(data: &Dataset, windows: &[Window]) -> u64 {
    data.connections
        .iter()
        .filter(|c| c.messages.get() == Some(0))
        .filter(|c| match c.closed.get() {
            Some(t) => windows.is_empty() || within(windows, t),
            None => true,
        })
        .count() as u64
}

/// The message with the slowest send step logged during the outage (or
/// without a time), when it was slow enough to tell the outage's story.
/// Slow sends at other times belong to `slow-downstream`.
fn cited_message<'a>(
    data: &'a Dataset,
    windows: &[Window],
) -> Option<&'a crate::analysis::KeptMessage> {
    data.slowest
        .iter()
        .filter(|(step, _)| *step == Step::Send)
        .flat_map(|(_, kept)| kept)
        .filter(|k| k.message.time.get().is_none_or(|t| within(windows, t)))
        .find(|k| Step::Send.of(&k.message) >= Some(CITED_SEND_SECONDS))
}

fn evidence(
    data: &Dataset,
    errors: u64,
    all_down: u64,
    replies: &[&Message],
    windows: &[Window],
) -> Vec<String> {
    let mut out = vec![format!(
        "5203 forward connection error: {}; 5210 all forward hosts \
         unavailable: {}; 421 4.4.1 replies: {}",
        count(errors),
        count(all_down),
        count(replies.len() as u64)
    )];
    let shown = &windows[..windows.len().min(4)];
    let minutes = event_minutes(data, FORWARD_CODES);
    for (w, handled) in shown.iter().zip(messages_in(data, shown)) {
        let n: u32 = minutes
            .iter()
            .filter(|(m, _)| within(&[*w], *m))
            .map(|(_, n)| n)
            .sum();
        out.push(format!(
            "{} and {} handled {}",
            plural(u64::from(n), "forward error event", "forward error events"),
            plural(handled, "message", "messages"),
            when(data, &[*w])
        ));
    }
    for (host, tally) in &data.hosts {
        if tally.forward_errors == 0 {
            continue;
        }
        let tried = tally.forward_errors + tally.forward_established;
        out.push(format!(
            "downstream host {}: {} failed of {} forward connection \
             attempts ({})",
            data.symbols.resolve(*host),
            count(tally.forward_errors),
            count(tried),
            percent(tally.forward_errors, tried)
        ));
    }
    let empty = empty_sessions(data, windows);
    if empty > 0 {
        out.push(format!(
            "{} closed with messages=0",
            plural(empty, "upstream session", "upstream sessions")
        ));
    }
    if let Some(k) = cited_message(data, windows) {
        let send = Step::Send.of(&k.message).unwrap_or(0.0);
        out.push(format!(
            "slowest send step: {} ({}, line {})",
            seconds(send),
            k.sample.file,
            count(k.sample.line)
        ));
    }
    out
}

/// How many messages were logged in each window. Messages are in time
/// order, those without a time last, so each window's are a run found
/// by two binary searches.
fn messages_in(data: &Dataset, windows: &[Window]) -> Vec<u64> {
    let before = |t: Millis| {
        data.messages.partition_point(|m| m.time.get().is_some_and(|m| m < t))
    };
    let count = |w: &Window| before(w.last.saturating_add(1)) - before(w.first);
    windows.iter().map(|w| count(w) as u64).collect()
}

/// Lines of messages that got the 421 4.4.1 reply.
fn unavailable_samples(data: &Dataset) -> Vec<crate::analysis::SampleLine> {
    data.notable
        .iter()
        .filter(|k| is_forwarding_unavailable(data, &k.message))
        .take(2)
        .map(|k| k.sample.clone())
        .collect()
}

fn next_steps() -> Vec<String> {
    owned(&[
        "Check that the downstream MTA is up and still accepts \
         connections from the DLP server: its limits on connections per \
         client, its idle and session timeouts, and whether it has started \
         refusing or throttling DLP.",
        "Test the network path from the DLP server to the downstream MTA \
         (connect to its SMTP port from the DLP server, look for \
         firewall drops and latency).",
        "Check the next hops configured for NPE (forward hostnames or \
         MX lookup): every listed host should resolve and answer.",
        "If mail still flows but slowly, compare rtime, dtime and mtime \
         of recent messages: a long send step (mtime − rtime − dtime) \
         points at the downstream MTA or the network to it.",
    ])
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::{complete_lines, diagnose_text, stamp};
    use crate::diagnose::Severity;

    const KB160660: &str = include_str!(
        "../../../tests/fixtures/samples/kb160660-operational.log"
    );

    #[test]
    fn kb160660_tells_the_slow_send_story() {
        let findings = diagnose_text(KB160660);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.explanation.contains("89.5 s of its 100.1 s"), "{f:#?}");
        assert!(f.explanation.contains("10.1 s to receive"));
        assert!(f.explanation.contains("0.5 s to inspect"));
        assert!(f.explanation.contains("messages=0"));
        assert!(!findings.iter().any(|f| f.id == "slow-downstream"));
    }

    #[test]
    fn outage_window_inside_healthy_traffic() {
        let mut log = complete_lines("09:00:00", 30, &[(0.3, 0.2, 0.9); 200]);
        for i in 0..35 {
            let t = crate::diagnose::helpers::at("10:00:00") + i * 60;
            log.push_str(&format!(
                "{} [SEVERE] (SMTP_CONNECTION.5210) All forward hosts \
                 unavailable (tid=27 cid=<> reason=No available forward \
                 hosts)\n",
                stamp(t)
            ));
        }
        let findings = diagnose_text(&log);
        let f = findings.iter().find(|f| f.id == super::ID).unwrap();
        assert_eq!(f.windows.len(), 1);
        let w = f.windows[0];
        assert_eq!((w.last - w.first + 1) / 60_000, 35);
        assert!(f.explanation.contains("between 10:00 and 10:34"), "{f:#?}");
    }

    #[test]
    fn forwarding_agent_reply_counts() {
        let log = "12/Jun/12:08:00:00:000+0000 [INFO] (SMTP_MESSAGE.5301) \
            Error while processing message (tid=1 cid=1 size=10 sender=<a@b> \
            recipient_count=1 disposition=PASS code=421 estatus=<4.4.1> \
            text=<Fatal: Forwarding agent unavailable.> rtime=1s dtime=0.1s \
            mtime=<> reason=<x>)\n";
        let findings = diagnose_text(log);
        assert_eq!(findings[0].id, super::ID);
        assert_eq!(findings[0].severity, Severity::Critical);
        // The reply alone marks the outage's window.
        assert_eq!(findings[0].windows.len(), 1, "{:#?}", findings[0]);
    }
}
