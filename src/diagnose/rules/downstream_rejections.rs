//! `downstream-rejections`: messages the next hop refused.
//!
//! **What it detects.** Message errors (`Error while processing
//! message`) and messages completed with a 4xx or 5xx reply, grouped by
//! reply code and text. NPE's own "forwarding agent unavailable" replies
//! are left to `forward-hosts-unavailable`.
//!
//! **Why it matters.** NPE relays the downstream MTA's reply to the
//! upstream MTA: a 5xx bounces the message to its sender, a 4xx makes the
//! upstream MTA queue and retry. The record's `disposition=PASS` is DLP's
//! own verdict (the message was allowed), not the delivery outcome.
//!
//! **Example log lines.**
//!
//! ```text
//! INFO: (SMTP_MESSAGE.XXXX) Error while processing message (tid=XX
//!     cid=Upstream-… disposition=PASS code=541 estatus=<> text=<5.4.1 Content
//!     blocked by Internal Firewall> rtime=5.09s dtime=0.5s mtime=<>
//!     reason=<Message not accepted by forwarder>)
//! ```
//!
//! **What to check.** The system that wrote the reply text (usually the
//! downstream MTA or a filter behind it) and its rule for that message.

use crate::analysis::Dataset;
use crate::diagnose::helpers::{
    count, finding, is_forwarding_unavailable, owned, percent, plural,
    set_windows, spell, when, Spell, MIN_SLOW_MESSAGES, SLOW_SHARE,
};
use crate::diagnose::{Confidence, Context, Finding, Severity};
use crate::message::Message;

/// The finding's id.
pub const ID: &str = "downstream-rejections";

/// Reply groups listed in the evidence.
const GROUPS_SHOWN: usize = 6;

/// Checks for messages the next hop refused.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    if !cx.any_refused() {
        return None;
    }
    let data = cx.data;
    let s = spell(data, &[], |m| {
        Some(m.is_rejected() && !is_forwarding_unavailable(data, m))
    });
    if !is_noticeable(&s) {
        return None;
    }
    let groups = reply_groups(data, &s.hits);
    let windows = if s.sustained.is_empty() {
        s.all.clone()
    } else {
        s.sustained.clone()
    };
    let mut f = finding(
        ID,
        severity(&s),
        Confidence::High,
        "The downstream MTA refused messages".to_string(),
    );
    f.explanation = explanation(data, &s, &groups);
    f.evidence = evidence(&s, &groups);
    f.samples = data
        .notable
        .iter()
        .filter(|k| k.message.is_rejected())
        .filter(|k| !is_forwarding_unavailable(data, &k.message))
        .take(3)
        .map(|k| k.sample.clone())
        .collect();
    f.next_steps = next_steps();
    f.affected = s.hits.len() as u64;
    set_windows(&mut f, windows);
    Some(f)
}

/// Whether refusals are worth a mention: a few of them, or a real share
/// of few messages (a pasted sample). One unknown recipient among
/// thousands of messages is everyday mail, not a finding.
fn is_noticeable(s: &Spell<'_>) -> bool {
    let n = s.hits.len();
    n > 0
        && (n >= MIN_SLOW_MESSAGES
            || n as f64 >= SLOW_SHARE * s.measured as f64)
}

/// A warning when refusals are more than the odd unknown recipient:
/// enough of them, and a real share of the mail or a sustained stretch;
/// otherwise worth knowing only.
fn severity(s: &Spell<'_>) -> Severity {
    let n = s.hits.len();
    let many = n as f64 >= SLOW_SHARE * s.measured as f64;
    if n >= MIN_SLOW_MESSAGES && (many || !s.sustained.is_empty()) {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// One reply: code, enhanced status and text, with its messages.
struct Group<'a> {
    code: String,
    text: String,
    messages: Vec<&'a Message>,
}

fn reply_groups<'a>(data: &Dataset, hits: &[&'a Message]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    for m in hits {
        let code =
            m.code.get().map_or("no code".to_string(), |c| c.to_string());
        let text = data.symbols.resolve(m.reply).to_string();
        match groups.iter_mut().find(|g| g.code == code && g.text == text) {
            Some(g) => g.messages.push(m),
            None => groups.push(Group { code, text, messages: vec![m] }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.messages.len()));
    groups
}

fn explanation(data: &Dataset, s: &Spell<'_>, groups: &[Group<'_>]) -> String {
    let n = s.hits.len() as u64;
    let top = &groups[0];
    let example = top.messages[0];
    let passed = s
        .hits
        .iter()
        .filter(|m| data.symbols.resolve(m.disposition) == "PASS")
        .count() as u64;
    let mut text = format!(
        "{} of {} messages ({}) were refused {}. The most common reply, \
         {} \"{}\", came back for {}; for example the message {} was \
         answered that way{}.",
        count(n),
        count(s.measured),
        percent(n, s.measured),
        when(
            data,
            &if s.sustained.is_empty() {
                s.all.clone()
            } else {
                s.sustained.clone()
            }
        ),
        top.code,
        top.text,
        plural(top.messages.len() as u64, "message", "messages"),
        crate::diagnose::helpers::logged_at(data, example),
        reason_of(data, example)
    );
    if passed > 0 {
        text.push_str(&format!(
            " {} of them carry disposition=PASS: that is DLP's verdict (it \
             let the message go), not the delivery outcome. The refusal \
             comes from the next hop, whose reply NPE passes back to the \
             upstream MTA.",
            count(passed)
        ));
    }
    text
}

fn reason_of(data: &Dataset, m: &Message) -> String {
    let reason = data.symbols.resolve(m.reason);
    if reason.is_empty() {
        String::new()
    } else {
        format!(" (NPE's reason: \"{reason}\")")
    }
}

fn evidence(s: &Spell<'_>, groups: &[Group<'_>]) -> Vec<String> {
    let permanent = s
        .hits
        .iter()
        .filter(|m| m.code.get().is_some_and(|c| c >= 500))
        .count();
    let mut out = vec![format!(
        "{} refused: {} permanently (5xx, bounced to the sender), {} \
         otherwise (4xx or no code, retried or failed in NPE)",
        count(s.hits.len() as u64),
        count(permanent as u64),
        count((s.hits.len() - permanent) as u64)
    )];
    for g in groups.iter().take(GROUPS_SHOWN) {
        out.push(format!(
            "{} \"{}\": {}",
            g.code,
            g.text,
            plural(g.messages.len() as u64, "message", "messages")
        ));
    }
    if groups.len() > GROUPS_SHOWN {
        out.push(format!(
            "{} other replies",
            count((groups.len() - GROUPS_SHOWN) as u64)
        ));
    }
    out
}

fn next_steps() -> Vec<String> {
    owned(&[
        "Read the reply texts above: they come from the next hop (or a \
         filter behind it), which decided to refuse; check its logs and \
         rules for these messages.",
        "Find a refused message by sender, time and Message-ID in the \
         downstream MTA's log to see which of its checks refused it; look \
         for a pattern (attachment types, sizes, recipients).",
        "Do not read disposition=PASS as delivered: it is DLP's verdict; \
         the code and text say what the next hop did.",
    ])
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::{complete_lines, diagnose_text};
    use crate::diagnose::Severity;

    const KB407328: &str = include_str!(
        "../../../tests/fixtures/samples/kb407328-detector-nodates.log"
    );

    #[test]
    fn vendor_rejection_sample_is_explained() {
        let findings = diagnose_text(KB407328);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Info);
        assert!(f.explanation.contains("541"), "{f:#?}");
        assert!(f.explanation.contains("Content blocked by Internal Firewall"));
        assert!(f.explanation.contains("disposition=PASS"));
    }

    #[test]
    fn many_refusals_are_a_warning() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 100]);
        let refused = complete_lines("09:20:00", 10, &[(0.3, 0.2, 1.0); 30])
            .replace(
                "code=250 estatus=<2.0.0> text=<2.0.0 Ok queued>",
                "code=550 estatus=<5.7.1> text=<5.7.1 Rejected by policy>",
            );
        log.push_str(&refused);
        let findings = diagnose_text(&log);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.explanation.contains("Rejected by policy"), "{f:#?}");
    }
}
