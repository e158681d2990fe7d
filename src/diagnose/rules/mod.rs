//! The rules, one file per finding id.

use super::Rule;

pub mod healthy;

/// Every rule except `healthy`, which [`super::diagnose`] adds last.
pub const RULES: &[Rule] = &[];
