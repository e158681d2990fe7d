//! `timing-artifacts`: timings that cannot be real.
//!
//! **What it detects.** Records whose `rtime` is an epoch value (about
//! 1.77 × 10⁹ s) or whose `mtime` is negative (`-0s`), usually with
//! `sender=<>` and `recipient_count=0`; and records whose `mtime` falls
//! well short of `rtime + dtime`.
//!
//! **Why it matters.** The first kind is a known defect of NPE 16.x and
//! 25.1, triggered when the upstream MTA uses SMTP PIPELINING with RSET in
//! one session: NPE fails to register the new envelope. The values are
//! not latencies, so they are kept out of every statistic and never read
//! as a slow receive. The mail itself is usually delivered.
//!
//! **Example log lines.**
//!
//! ```text
//! Message complete (tid=##### cid=##### … size=160745 sender=<>
//!     recipient_count=0 disposition=PASS code=250 estatus=<2.6.0> text=<2.6.0 …
//!     Queued mail for delivery> rtime=1,771,844,125.02s dtime=2s mtime=-0s)
//! ```
//!
//! **What to check.** The NPE version and the vendor's fix for the
//! PIPELINING + RSET defect; whether the upstream MTA pipelines RSET.

use crate::diagnose::helpers::{
    count, finding, plural, set_windows, when, windows_from_minutes,
};
use crate::diagnose::{Confidence, Context, Finding, Severity};

/// The finding's id.
pub const ID: &str = "timing-artifacts";

/// Checks for impossible timings.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let a = &cx.stats.artifacts;
    let pipelining = a.epoch_receive + a.negative_total;
    let total = pipelining + a.negative_send;
    if total == 0 {
        return None;
    }
    let times = data
        .messages
        .iter()
        .filter(|m| {
            m.timing.artifact.is_some_and(|k| {
                k.is_pipelining_artifact()
                    || k == crate::timing::Artifact::NegativeSend
            })
        })
        .filter_map(|m| m.time.get());
    let windows = windows_from_minutes(times);
    let mut f = finding(
        ID,
        Severity::Info,
        Confidence::High,
        "Some records carry impossible timings".to_string(),
    );
    let mut text = String::new();
    if pipelining > 0 {
        text.push_str(&format!(
            "{} {} an epoch timestamp as rtime or a negative mtime, \
             usually with an empty sender and no recipients. This is a \
             known defect of NPE 16.x and 25.1 when the upstream MTA uses \
             SMTP PIPELINING with RSET in one session, not a slow receive: \
             these values are left out of every timing figure.",
            plural(pipelining, "record", "records"),
            if pipelining == 1 { "carries" } else { "carry" }
        ));
    }
    if a.negative_send > 0 {
        text.push_str(&format!(
            " {} logged an mtime well below rtime + dtime and {} left out \
             of the send figures.",
            plural(a.negative_send, "record", "records"),
            if a.negative_send == 1 { "is" } else { "are" }
        ));
    }
    if !windows.is_empty() {
        text.push_str(&format!(" They were logged {}.", when(data, &windows)));
    }
    f.explanation = text.trim().to_string();
    f.evidence = vec![format!(
        "epoch rtime: {}; negative mtime: {}; mtime below rtime + dtime: {}",
        count(a.epoch_receive),
        count(a.negative_total),
        count(a.negative_send)
    )];
    f.samples = data
        .notable
        .iter()
        .filter(|k| {
            k.message
                .timing
                .artifact
                .is_some_and(|k| k != crate::timing::Artifact::MissingTotal)
        })
        .take(3)
        .map(|k| k.sample.clone())
        .collect();
    f.next_steps = vec![
        "Check the NPE version: the PIPELINING + RSET defect affects 16.x \
         and 25.1; apply the vendor's fix when available."
            .to_string(),
        "Until then the values can be ignored; the messages themselves are \
         normally delivered (see their code and text)."
            .to_string(),
    ];
    f.affected = total;
    set_windows(&mut f, windows);
    Some(f)
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::{complete_lines, diagnose_text};
    use crate::diagnose::Severity;

    const KB432573: &str = include_str!(
        "../../../tests/fixtures/samples/kb432573-operational-fragment.log"
    );

    #[test]
    fn pipelining_rset_epoch_rtime_is_info_only() {
        let findings = diagnose_text(KB432573);
        let f = findings.iter().find(|f| f.id == super::ID).unwrap();
        assert_eq!(f.severity, Severity::Info);
        assert!(f.explanation.contains("PIPELINING"), "{f:#?}");
        assert!(!findings.iter().any(|f| f.id == "slow-receive"));
    }

    #[test]
    fn many_artifacts_among_healthy_mail_stay_healthy() {
        let mut log = complete_lines("09:00:00", 10, &[(0.3, 0.2, 1.0); 100]);
        log.push_str(&complete_lines(
            "09:20:00",
            10,
            &[(1_771_844_125.02, 2.0, -0.0); 50],
        ));
        let findings = diagnose_text(&log);
        assert!(findings.iter().all(|f| f.severity == Severity::Info));
        assert!(findings.iter().any(|f| f.id == "healthy"));
        assert!(findings.iter().any(|f| f.id == super::ID));
    }
}
