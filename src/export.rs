//! Exports: the per-message CSV, the same bytes from the CLI and the page.
//!
//! One row per message, in the dataset's order, with the columns of
//! [`crate::report::MessageRow`]: time, file, line, outcome,
//! the four timings, size, code, downstream host and the rest. Redacted,
//! file names, hosts, sender domains and free texts become pseudonyms.

use crate::analysis::Dataset;
use crate::redact::Redactor;
use crate::report::MessageRow;

/// Writes every message of `data` as CSV, with a header row.
pub fn messages_csv(data: &Dataset, redactor: Option<&mut Redactor>) -> String {
    let rows = data.messages.iter().map(|m| MessageRow::from_message(data, m));
    rows_csv(rows, redactor)
}

/// Writes the given rows as CSV, with a header row (also when there are
/// no rows).
pub fn rows_csv(
    rows: impl Iterator<Item = MessageRow>,
    mut redactor: Option<&mut Redactor>,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut wrote_any = false;
    for mut row in rows {
        if let Some(r) = redactor.as_deref_mut() {
            row.redact(r);
        }
        // Writing to memory fails only for values serde cannot express,
        // and a row holds none.
        w.serialize(row).expect("a message row serializes");
        wrote_any = true;
    }
    if !wrote_any {
        w.write_record(HEADER).expect("writing to memory");
    }
    let bytes = w.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("rows are UTF-8")
}

/// The column names, in order; written alone when there are no rows.
pub const HEADER: [&str; 20] = [
    "time",
    "file",
    "line",
    "outcome",
    "receive",
    "detection",
    "send",
    "total",
    "artifact",
    "size",
    "recipients",
    "sender_domain",
    "code",
    "estatus",
    "disposition",
    "downstream",
    "tid",
    "cid",
    "reply",
    "reason",
];
