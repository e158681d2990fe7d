//! The command-line interface: argument parsing, reading files, and
//! printing. The analysis itself is the library's.

pub mod analyze;
pub mod generate;
pub mod input;
pub mod messages;
