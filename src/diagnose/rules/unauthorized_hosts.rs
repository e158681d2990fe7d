//! `unauthorized-hosts`: connections refused because the sending host is
//! not allowed.
//!
//! **What it detects.** `5200 Connection is rejected from the
//! unauthorized host`, per remote host.
//!
//! **Why it matters.** NPE refuses to relay for hosts not listed in
//! `RequestProcessor.AllowHosts`. When the refused host is a legitimate
//! upstream MTA (or a load balancer in front of NPE), its mail never gets
//! in and queues there.
//!
//! **Example log lines.**
//!
//! ```text
//! 12/Jun/12:10:02:11:310+0000 [SEVERE] (SMTP_CONNECTION.5200) Connection is
//!     rejected from the unauthorized host (tid=44 local=10.0.0.5:10025
//!     remote=10.0.9.17:41822)
//! ```
//!
//! **What to check.** Whether each named host is one of yours; if so, add
//! it to `RequestProcessor.AllowHosts`.

use crate::analysis::Dataset;
use crate::diagnose::helpers::{
    count, event_minutes, event_samples, finding, plural, set_windows, when,
    windows_from_minutes,
};
use crate::diagnose::{Confidence, Context, Finding, Severity};
use crate::event::EventCode;

/// The finding's id.
pub const ID: &str = "unauthorized-hosts";

/// Hosts named in the explanation; the rest are counted in the evidence.
const HOSTS_NAMED: usize = 5;

/// Checks for connections refused from hosts that are not allowed.
pub fn check(cx: &Context<'_>) -> Option<Finding> {
    let data = cx.data;
    let total = data.event_count(EventCode::HostRejected);
    if total == 0 {
        return None;
    }
    let hosts = rejected_hosts(data);
    let minutes = event_minutes(data, &[EventCode::HostRejected]);
    let windows = windows_from_minutes(minutes.into_iter().map(|m| m.0));
    let named: Vec<String> = hosts
        .iter()
        .take(HOSTS_NAMED)
        .map(|(h, n)| format!("{h} ({})", plural(*n, "time", "times")))
        .collect();
    let mut f = finding(
        ID,
        Severity::Warning,
        Confidence::High,
        "Connections refused from hosts not allowed to send".to_string(),
    );
    f.explanation = format!(
        "NPE refused {} {} because the sending host is not in its list of \
         allowed hosts{}. If any of them is an upstream MTA or a load \
         balancer of yours, its mail cannot get through NPE and is queuing \
         there.",
        plural(total, "connection", "connections"),
        when(data, &windows),
        if named.is_empty() {
            String::new()
        } else {
            format!(": {}", named.join(", "))
        }
    );
    f.evidence = vec![format!(
        "5200 connection rejected: {} from {}",
        count(total),
        plural(hosts.len() as u64, "host", "hosts")
    )];
    f.evidence.extend(hosts.iter().map(|(h, n)| {
        format!("{h}: {} refused", plural(*n, "connection", "connections"))
    }));
    f.evidence.truncate(1 + 2 * HOSTS_NAMED);
    f.samples = event_samples(data, &[EventCode::HostRejected], 3);
    f.next_steps = vec![
        format!(
            "Check whether each host named above is one of your MTAs or load \
             balancers; if so, add it to RequestProcessor.AllowHosts on the \
             detection server's settings (and restart the server): {}.",
            hosts
                .iter()
                .take(HOSTS_NAMED)
                .map(|(h, _)| h.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "If a host is not yours, the refusal is NPE protecting itself from \
         relaying; find out why that host connects to the DLP server."
            .to_string(),
    ];
    f.affected = total;
    set_windows(&mut f, windows);
    Some(f)
}

/// The refused hosts with their counts, most refused first.
fn rejected_hosts(data: &Dataset) -> Vec<(String, u64)> {
    let mut hosts: Vec<(String, u64)> = data
        .hosts
        .iter()
        .filter(|(_, t)| t.rejected > 0)
        .map(|(h, t)| (data.symbols.resolve(*h).to_string(), t.rejected))
        .collect();
    hosts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    hosts
}

#[cfg(test)]
mod tests {
    use crate::diagnose::helpers::diagnose_text;
    use crate::diagnose::Severity;

    #[test]
    fn refused_hosts_are_named() {
        let line = |ip: &str| {
            format!(
                "12/Jun/12:10:02:11:310+0000 [SEVERE] (SMTP_CONNECTION.5200) \
                 Connection is rejected from the unauthorized host (tid=44 \
                 local=10.0.0.5:10025 remote={ip}:41822)\n"
            )
        };
        let log = line("10.0.9.17").repeat(3) + &line("192.0.2.8");
        let findings = diagnose_text(&log);
        let f = &findings[0];
        assert_eq!(f.id, super::ID);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.explanation.contains("10.0.9.17 (3 times)"), "{f:#?}");
        assert!(f.explanation.contains("192.0.2.8 (1 time)"));
        assert!(f.next_steps[0].contains("RequestProcessor.AllowHosts"));
    }
}
