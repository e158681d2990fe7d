//! Diagnosis: turning counts and timings into findings a mail
//! administrator can act on.
//!
//! A *rule* looks at the [`Dataset`] and its [`Stats`] and returns at most
//! one [`Finding`] under a stable kebab-case id (`slow-downstream`,
//! `forward-hosts-unavailable`, …). Ids are never renamed or reused:
//! scripts and tests rely on them. Each rule lives in its own file under
//! `rules/`, named after its id.

mod helpers;
mod rules;

use crate::analysis::{Dataset, SampleLine, Step};
use crate::message::Message;
use crate::parse::fields::Millis;
use crate::stats::Stats;
use serde::Serialize;
use std::cell::OnceCell;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Mail is not flowing or is being lost.
    Critical,
    /// Mail flows but something is wrong and may get worse.
    Warning,
    /// Worth knowing; no action needed by itself.
    Info,
}

impl Severity {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// How sure a rule is of its finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The log states it directly (an error code, a refusal).
    High,
    /// The timings point to it clearly.
    Medium,
    /// A pattern suggests it; other causes are possible.
    Low,
}

/// A stretch of time in which a problem was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Start, UTC milliseconds.
    #[serde(serialize_with = "crate::report::serialize_time")]
    pub first: Millis,
    /// End, UTC milliseconds.
    #[serde(serialize_with = "crate::report::serialize_time")]
    pub last: Millis,
}

/// One thing the analysis found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable kebab-case id, e.g. `slow-downstream`.
    pub id: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// One line saying what is wrong.
    pub title: String,
    /// Plain-words explanation built from the data.
    pub explanation: String,
    /// Facts behind it: counts, shares, percentiles, hosts.
    pub evidence: Vec<String>,
    /// A few log lines, with file and line number.
    pub samples: Vec<SampleLine>,
    /// When it was seen.
    pub windows: Vec<Window>,
    /// Earliest time it was seen.
    #[serde(serialize_with = "crate::report::serialize_opt_time")]
    pub first: Option<Millis>,
    /// Latest time it was seen.
    #[serde(serialize_with = "crate::report::serialize_opt_time")]
    pub last: Option<Millis>,
    /// What to check, most likely first.
    pub next_steps: Vec<String>,
    /// Messages (or events) affected, used to order findings of one
    /// severity.
    pub affected: u64,
}

/// What every rule reads.
pub struct Context<'a> {
    /// The messages, connections and events.
    pub data: &'a Dataset,
    /// Their statistics.
    pub stats: &'a Stats,
    /// [`helpers::forward_outage_windows`], which several rules ask for:
    /// made once.
    forward_outage: OnceCell<Vec<Window>>,
    /// The messages refused because NPE could not forward them, in time
    /// order: made once, since it takes a pass over every message.
    unavailable: OnceCell<Vec<&'a Message>>,
}

impl<'a> Context<'a> {
    /// The context of one diagnosis.
    pub fn new(data: &'a Dataset, stats: &'a Stats) -> Context<'a> {
        Context {
            data,
            stats,
            forward_outage: OnceCell::new(),
            unavailable: OnceCell::new(),
        }
    }

    /// The windows in which NPE could not reach its downstream MTA.
    pub fn forward_outage(&self) -> &[Window] {
        self.forward_outage.get_or_init(|| {
            helpers::forward_outage_windows(self.data, self.unavailable())
        })
    }

    /// The messages refused with "forwarding agent unavailable" (NPE's
    /// own `421 4.4.1` reply), in time order. Such a
    /// reply is a refusal, so a log without refusals has none and needs
    /// no pass to say so.
    pub fn unavailable(&self) -> &[&'a Message] {
        self.unavailable.get_or_init(|| {
            if !self.any_refused() {
                return Vec::new();
            }
            let data = self.data;
            let unavailable =
                |m: &&Message| helpers::is_forwarding_unavailable(data, m);
            data.messages.iter().filter(unavailable).collect()
        })
    }

    /// Whether the next hop refused any message: when it refused none,
    /// the rules about refusals need no pass over the messages.
    pub fn any_refused(&self) -> bool {
        self.stats.rejected > 0
    }

    /// The messages slow in `step` outside `skip`, when they are enough
    /// to matter. When no message took `threshold` seconds or more, the
    /// statistics say so and the messages are not walked.
    pub fn slowness(
        &self,
        step: Step,
        threshold: f64,
        skip: &[Window],
    ) -> Option<helpers::Slowness<'a>> {
        let summary = self.stats.timings.of(step);
        if summary.count == 0 || summary.max < threshold {
            return None;
        }
        Some(helpers::slowness(self.data, step, threshold, skip))
            .filter(helpers::Slowness::is_significant)
    }
}

/// A rule: the finding it makes of the data, if any.
pub type Rule = fn(&Context<'_>) -> Option<Finding>;

/// Runs every rule and orders the findings: critical first, then warning,
/// then info; within a severity, the one affecting most first. `healthy`
/// is added only when no warning or critical finding exists.
pub fn diagnose(data: &Dataset, stats: &Stats) -> Vec<Finding> {
    let cx = Context::new(data, stats);
    let mut findings: Vec<Finding> =
        rules::RULES.iter().filter_map(|rule| rule(&cx)).collect();
    let troubled = findings.iter().any(|f| f.severity <= Severity::Warning);
    if !troubled {
        if let Some(f) = rules::healthy::check(&cx) {
            findings.push(f);
        }
    }
    findings.sort_by(|a, b| {
        a.severity.cmp(&b.severity).then_with(|| b.affected.cmp(&a.affected))
    });
    findings
}
