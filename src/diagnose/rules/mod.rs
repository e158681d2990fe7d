//! The rules, one file per finding id.

use super::Rule;

pub mod forward_hosts_unavailable;
pub mod healthy;
pub mod slow_detection;
pub mod slow_downstream;
pub mod slow_receive;

/// Every rule except `healthy`, which [`super::diagnose`] adds last.
pub const RULES: &[Rule] = &[
    forward_hosts_unavailable::check,
    slow_downstream::check,
    slow_detection::check,
    slow_receive::check,
];
