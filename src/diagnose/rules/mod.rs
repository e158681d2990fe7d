//! The rules, one file per finding id.

use super::Rule;

pub mod detection_timeouts;
pub mod downstream_rejections;
pub mod filereader_link;
pub mod forward_hosts_unavailable;
pub mod healthy;
pub mod peer_disconnects;
pub mod slow_detection;
pub mod slow_downstream;
pub mod slow_receive;
pub mod timing_artifacts;
pub mod unauthorized_hosts;

/// Every rule except `healthy`, which [`super::diagnose`] adds last.
pub const RULES: &[Rule] = &[
    forward_hosts_unavailable::check,
    slow_downstream::check,
    slow_detection::check,
    slow_receive::check,
    filereader_link::check,
    unauthorized_hosts::check,
    downstream_rejections::check,
    peer_disconnects::check,
    timing_artifacts::check,
    detection_timeouts::check,
];
