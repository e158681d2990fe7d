//! `peer-disconnects`: the other end keeps dropping connections.
//!
//! **What it detects.** `5204 Peer disconnected unexpectedly`, counted and
//! placed in time: bursts, or a steady trickle across the whole log.
//!
//! **Why it matters.** An occasional 5204 is normal (a sender gives up, a
//! network blip). Bursts mean the network or an MTA is dropping sessions,
//! and mail in those sessions must be sent again. A steady trickle all
//! day is typical of load-balancer health probes that open port 25 and
//! close without speaking SMTP: noise, not a fault.
//!
//! **Example log lines.**
//!
//! ```text
//! [SEVERE] (SMTP_CONNECTION.5204) Peer disconnected unexpectedly
//! ```
//!
//! **What to check.** Which peer the connections belong to (neighbouring
//! records with the same `tid`/`cid`), the network, and load-balancer
//! probes.

use crate::analysis::Dataset;
use crate::diagnose::helpers::{
    count, event_minutes, event_samples, finding, owned, plural, set_windows,
    when, windows_from_minutes,
};
use crate::diagnose::{Confidence, Context, Finding, Severity, Window};
use crate::event::EventCode;

/// The finding's id.
pub const ID: &str = "peer-disconnects";

/// Fewer disconnects than this in the whole log are not reported: a few
/// a day are normal on any SMTP server.
pub const NOTE_COUNT: u64 = 10;

/// A minute with at least this many disconnects belongs to a burst: more
/// than a probe or a stray sender would cause.
pub const BURST_PER_MINUTE: u32 = 3;

/// Bursts holding at least this many disconnects make a warning: twenty
/// dropped sessions in a stretch is a pattern an administrator should
/// look into.
pub const WARN_COUNT: u64 = 20;

/// Disconnects present in at least this share of the log's minutes, at
/// a low rate, read as a steady trickle (health probes), not bursts.
pub const STEADY_MINUTE_SHARE: f64 = 0.6;

/// Checks for repeated unexpected disconnects.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let code = EventCode::PeerDisconnectedUnexpectedly;
    let total = data.event_count(code);
    if total < NOTE_COUNT {
        return None;
    }
    let minutes = event_minutes(data, &[code]);
    let bursts = burst_windows(&minutes);
    let in_bursts: u64 = minutes
        .iter()
        .filter(|(m, _)| bursts.iter().any(|w| w.first <= *m && *m <= w.last))
        .map(|(_, n)| u64::from(*n))
        .sum();
    let span = cx.stats.minutes.len().max(1);
    let steady = minutes.len() as f64 >= STEADY_MINUTE_SHARE * span as f64
        && in_bursts < WARN_COUNT;
    let warn = in_bursts >= WARN_COUNT && !steady;
    let mut f = finding(
        ID,
        if warn { Severity::Warning } else { Severity::Info },
        if warn { Confidence::Medium } else { Confidence::Low },
        "Peers disconnected unexpectedly, repeatedly".to_string(),
    );
    let windows = if warn {
        bursts
    } else {
        windows_from_minutes(minutes.iter().map(|m| m.0))
    };
    f.explanation = explanation(data, total, in_bursts, warn, steady, &windows);
    f.evidence = vec![
        format!("5204 peer disconnected unexpectedly: {}", count(total)),
        format!(
            "{} in bursts of {} or more a minute; present in {} of the \
             log's {} minutes",
            count(in_bursts),
            BURST_PER_MINUTE,
            count(minutes.len() as u64),
            count(span as u64)
        ),
    ];
    f.samples = event_samples(data, &[code], 3);
    f.next_steps = next_steps();
    f.affected = total;
    set_windows(&mut f, windows);
    Some(f)
}

fn burst_windows(minutes: &[(i64, u32)]) -> Vec<Window> {
    windows_from_minutes(
        minutes.iter().filter(|(_, n)| *n >= BURST_PER_MINUTE).map(|m| m.0),
    )
}

fn explanation(
    data: &Dataset,
    total: u64,
    in_bursts: u64,
    warn: bool,
    steady: bool,
    windows: &[Window],
) -> String {
    let head = format!(
        "The other end of a connection dropped it without closing the SMTP \
         session {}.",
        plural(total, "time", "times")
    );
    if warn {
        format!(
            "{head} {} of them came in bursts {}: more than the odd \
             dropped session, so the network or an MTA was cutting \
             connections, and the mail in them has to be sent again.",
            count(in_bursts),
            when(data, windows)
        )
    } else if steady {
        format!(
            "{head} They are spread evenly over the log at a low rate, \
             which is what load-balancer health probes look like (each \
             opens the SMTP port and closes without a word): most likely \
             noise."
        )
    } else {
        format!(
            "{head} They came without a clear burst; occasional \
             disconnects are normal on any SMTP server."
        )
    }
}

fn next_steps() -> Vec<String> {
    owned(&[
        "Find which peer dropped the connections: the records with the \
         same tid or cid around each 5204 give the addresses (a local port \
         of 25 or 10025 means the upstream side, a remote port of 25 the \
         downstream side).",
        "If a load balancer probes the SMTP port, confirm its address and \
         rate; one 5204 per probe is expected and can be ignored.",
        "For bursts, check the network between the MTAs and the DLP server \
         (firewall session limits, resets) and whether an MTA refused or \
         cut connections at that time.",
    ])
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::{at, complete_lines, diagnose_text, stamp};
    use crate::diagnose::Severity;

    fn disconnect(secs: u32) -> String {
        format!(
            "{} [SEVERE] (SMTP_CONNECTION.5204) Peer disconnected \
             unexpectedly\n",
            stamp(secs)
        )
    }

    #[test]
    fn a_burst_is_a_warning() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 360]);
        for i in 0..40 {
            log.push_str(&disconnect(at("09:30:00") + i * 10));
        }
        let findings = diagnose_text(&log);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.explanation.contains("between 09:30 and 09:36"), "{f:#?}");
    }

    #[test]
    fn occasional_disconnects_are_not_reported() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 360]);
        for i in 0..5 {
            log.push_str(&disconnect(at("09:00:00") + i * 600));
        }
        let findings = diagnose_text(&log);
        assert!(!findings.iter().any(|f| f.id == super::ID));
    }

    #[test]
    fn a_steady_trickle_reads_as_probes() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 360]);
        for i in 0..60 {
            log.push_str(&disconnect(at("09:00:30") + i * 60));
        }
        let findings = diagnose_text(&log);
        let f = findings.iter().find(|f| f.id == super::ID).unwrap();
        assert_eq!(f.severity, Severity::Info);
        assert!(f.explanation.contains("health probes"));
    }
}
