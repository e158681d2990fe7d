//! `filereader-link`: the RequestProcessor lost, or could not reach, the
//! FileReader that runs detection.
//!
//! **What it detects.** `1102 Reconnecting to FileReader`, `5100 Could not
//! connect to the FileReader`, `5101 FileReader connection lost`, and
//! whether `1103 Reconnected to the FileReader successfully` followed.
//!
//! **Why it matters.** Without its FileReader, NPE cannot inspect mail:
//! messages wait, time out in detection or pass uninspected, and the
//! upstream queue grows until the link is back.
//!
//! **Example log lines.**
//!
//! ```text
//! 12/Jun/12:10:02:11:310+0000 [SEVERE] (SMTP_CORE.5101) FileReader connection lost (tid=12)
//! 12/Jun/12:10:02:11:620+0000 [INFO] (SMTP_CORE.1102) Reconnecting to FileReader (tid=12)
//! 12/Jun/12:10:02:11:930+0000 [SEVERE] (SMTP_CORE.5100) Could not connect to
//!     the FileReader (tid=12 timeout=.3s)
//! 12/Jun/12:10:04:40:004+0000 [INFO] (SMTP_CORE.1103) Reconnected to the
//!     FileReader successfully (tid=12)
//! ```
//!
//! **What to check.** Whether the FileReader process restarted or
//! crashed, its memory, and detection server load at that time.

use crate::analysis::Dataset;
use crate::diagnose::helpers::{
    count, event_samples, event_total, filereader_windows, finding, owned,
    plural, set_windows, when,
};
use crate::diagnose::{Confidence, Context, Finding, Severity, Window};
use crate::event::EventCode;
use crate::parse::fields::Millis;

/// The finding's id.
pub const ID: &str = "filereader-link";

/// Events that say the link is down or being rebuilt.
const LINK_TROUBLE: &[EventCode] = &[
    EventCode::FileReaderLost,
    EventCode::FileReaderConnectFailed,
    EventCode::FileReaderReconnecting,
];

/// Detection trouble that a lost link causes.
const DETECTION_TIMEOUTS: &[EventCode] =
    &[EventCode::DetectionTimeout, EventCode::MessageChainError];

/// Checks the RequestProcessor's link to the FileReader.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let lost = data.event_count(EventCode::FileReaderLost);
    let failed = data.event_count(EventCode::FileReaderConnectFailed);
    let retries = data.event_count(EventCode::FileReaderReconnecting);
    let back = data.event_count(EventCode::FileReaderReconnected);
    if lost + failed + retries == 0 {
        return None;
    }
    let unresolved = is_unresolved(data);
    let severity = if unresolved && failed > 0 {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let windows = filereader_windows(data);
    let mut f = finding(
        ID,
        severity,
        Confidence::High,
        "NPE lost its link to the FileReader (detection)".to_string(),
    );
    f.explanation = format!(
        "The RequestProcessor, which takes mail in, lost or could not \
         reach the FileReader, which inspects it, {}: the link was lost {}, \
         {} failed and {}. While the link is down NPE cannot inspect mail, \
         so messages wait, time out in detection or pass uninspected.",
        when(data, &windows),
        plural(lost, "time", "times"),
        plural(failed, "reconnect attempt", "reconnect attempts"),
        if unresolved {
            "the log ends without a successful reconnect".to_string()
        } else {
            format!("it reconnected {}", plural(back, "time", "times"))
        }
    );
    f.evidence = vec![
        format!(
            "5101 connection lost: {}; 1102 reconnecting: {}; 5100 could \
             not connect: {}; 1103 reconnected: {}",
            count(lost),
            count(retries),
            count(failed),
            count(back)
        ),
        format!(
            "{} handled while the link was in trouble",
            plural(messages_in(data, &windows), "message", "messages")
        ),
    ];
    let timeouts = event_total(data, DETECTION_TIMEOUTS);
    if timeouts > 0 {
        f.evidence.push(format!(
            "{} of detection timeouts or message chain errors logged in \
             the log as a whole",
            plural(timeouts, "record", "records")
        ));
    }
    f.samples = event_samples(data, LINK_TROUBLE, 3);
    f.samples.extend(event_samples(
        data,
        &[EventCode::FileReaderReconnected],
        1,
    ));
    f.next_steps = next_steps();
    f.affected = lost + failed + retries;
    set_windows(&mut f, windows);
    Some(f)
}

/// Whether the last trouble came after the last successful reconnect.
fn is_unresolved(data: &Dataset) -> bool {
    let last_trouble: Option<Millis> = LINK_TROUBLE
        .iter()
        .filter_map(|c| data.event(*c).and_then(|e| e.last))
        .max();
    let last_back =
        data.event(EventCode::FileReaderReconnected).and_then(|e| e.last);
    match (last_trouble, last_back) {
        (_, None) => true,
        (Some(t), Some(b)) => t > b,
        (None, Some(_)) => false,
    }
}

fn messages_in(data: &Dataset, windows: &[Window]) -> u64 {
    let inside =
        |t: Millis| windows.iter().any(|w| w.first <= t && t <= w.last);
    data.messages.iter().filter(|m| m.time.get().is_some_and(inside)).count()
        as u64
}

fn next_steps() -> Vec<String> {
    owned(&[
        "Check whether the FileReader process restarted or crashed at \
         those times (the detection server's FileReader and BoxMonitor \
         logs) and why: memory, configuration updates, policy loading.",
        "Check the detection server's load (CPU, memory, disk) around the \
         loss.",
        "If the link keeps failing, restart the detection server's \
         services and watch for 1103 \"Reconnected to the FileReader \
         successfully\".",
    ])
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::diagnose_text;
    use crate::diagnose::Severity;

    const LOST_AND_BACK: &str = "\
12/Jun/12:10:02:11:310+0000 [SEVERE] (SMTP_CORE.5101) FileReader connection lost (tid=12)
12/Jun/12:10:02:11:620+0000 [INFO] (SMTP_CORE.1102) Reconnecting to FileReader (tid=12)
12/Jun/12:10:02:11:930+0000 [SEVERE] (SMTP_CORE.5100) Could not connect \
    to the FileReader (tid=12 timeout=.3s)
12/Jun/12:10:04:40:004+0000 [INFO] (SMTP_CORE.1103) Reconnected to the \
    FileReader successfully (tid=12)
";

    #[test]
    fn lost_and_recovered_is_a_warning() {
        let findings = diagnose_text(LOST_AND_BACK);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.explanation.contains("reconnected 1 time"), "{f:#?}");
        assert!(f.explanation.contains("at 10:02"));
    }

    #[test]
    fn never_reconnected_is_critical() {
        let log = LOST_AND_BACK.lines().take(3).collect::<Vec<_>>().join("\n");
        let findings = diagnose_text(&log);
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(findings[0].explanation.contains("without a successful"));
    }
}
