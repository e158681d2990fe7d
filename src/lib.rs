//! npe-lens reads Symantec DLP Network Prevent for Email (NPE) logs and
//! says where mail waits.
#![deny(missing_docs)]

pub mod error;
pub mod event;
pub mod generate;
pub mod message;
pub mod parse;
pub mod symbols;
pub mod timing;
pub mod zone;
