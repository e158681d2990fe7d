//! Messages to the user on stderr, and the flag that sets the exit code.
//!
//! Every message starts with `npe-lens: `. An input that cannot be read is
//! reported and skipped; the other inputs are still analyzed, and the
//! flag set by [`error!`](crate::error) makes the exit code 2.

use std::sync::atomic::{AtomicBool, Ordering};

static ERRORED: AtomicBool = AtomicBool::new(false);

/// Whether an error was reported.
pub fn errored() -> bool {
    ERRORED.load(Ordering::Relaxed)
}

/// Records that an error was reported.
pub fn set_errored() {
    ERRORED.store(true, Ordering::Relaxed);
}

/// Prints a warning: something the user should know, not a failure.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        eprintln!("npe-lens: warning: {}", format_args!($($arg)*))
    };
}

/// Prints an error and marks the run as failed.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => {{
        eprintln!("npe-lens: {}", format_args!($($arg)*));
        $crate::cli::messages::set_errored();
    }};
}
