//! The one error type of the core.
//!
//! A bad line is never an error: it is counted and shown as unrecognized.
//! Errors are for whole-input failures and for settings the user gave,
//! such as a time zone that does not exist.

use std::fmt;

/// Where in the input something happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// The input file's name, as given.
    pub file: String,
    /// The 1-based line number, when known.
    pub line: Option<u64>,
}

/// An error of the core.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The time zone text is neither an offset nor a known zone name.
    BadZone(String),
    /// No input was given at all.
    NoInput,
    /// An input could not be read; the text says why.
    Unreadable {
        /// The input that failed.
        position: Position,
        /// What the reader said.
        reason: String,
    },
}

impl Error {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Where it went wrong, when the error concerns one input.
    pub fn position(&self) -> Option<&Position> {
        match &*self.0 {
            ErrorKind::Unreadable { position, .. } => Some(position),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::BadZone(text) => write!(
                f,
                "time zone: expected an IANA name such as Europe/Berlin or \
                 an offset such as +05:30, found \"{text}\""
            ),
            ErrorKind::NoInput => write!(f, "input: no log file was given"),
            ErrorKind::Unreadable { position, reason } => {
                write!(f, "{}", position.file)?;
                if let Some(line) = position.line {
                    write!(f, ": line {line}")?;
                }
                write!(f, ": {reason}")
            }
        }
    }
}

impl std::error::Error for Error {}
