//! The timing of one message, and the checks that keep impossible values
//! out of the statistics.
//!
//! Every `Message complete` record (and every message error) carries three
//! durations in seconds:
//!
//! * `rtime`, the *receive* time: from the upstream connection to the
//!   final `.` of the message;
//! * `dtime`, the *detection* time spent in DLP inspection;
//! * `mtime`, the *total* time NPE held the message, until the downstream
//!   MTA had it.
//!
//! The *send* time, handing the message to the downstream MTA, is what is
//! left: `mtime − rtime − dtime`. Vendor support reads it that way: with
//! rtime 10.06 s, dtime 0.50 s and mtime 100.09 s, 89.53 s went to the
//! downstream hop, which is the one to look at.

use crate::absent::MaybeSeconds;
use serde::Serialize;

/// Receive times above this many seconds (about three years) are not
/// durations but epoch timestamps: the PIPELINING + RSET defect of NPE
/// 16.x and 25.1 writes seconds since 1970 (about 1.77 × 10⁹) into rtime.
pub const EPOCH_RECEIVE_SECONDS: f64 = 1.0e8;

/// Durations are printed with two decimals at most and dtime sometimes in
/// whole seconds (`dtime=2s`), so mtime − rtime − dtime can come out
/// slightly negative for a message that went straight through. A deficit
/// up to this many seconds is read as a send time of zero; a larger one is
/// an inconsistent record.
pub const SEND_ROUNDING_SECONDS: f64 = 1.0;

/// Why a message's timing is kept out of the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Artifact {
    /// rtime is an epoch value (the PIPELINING + RSET defect).
    EpochReceive,
    /// mtime is negative, including `-0s` (the same defect).
    NegativeTotal,
    /// mtime is `<>`: no total was computed, as on message errors.
    MissingTotal,
    /// mtime is well below rtime + dtime.
    NegativeSend,
}

impl Artifact {
    /// A stable name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Artifact::EpochReceive => "epoch-receive",
            Artifact::NegativeTotal => "negative-total",
            Artifact::MissingTotal => "missing-total",
            Artifact::NegativeSend => "negative-send",
        }
    }

    /// Whether the artifact comes from the PIPELINING + RSET defect, so
    /// that none of the record's timings can be trusted.
    pub fn is_pipelining_artifact(self) -> bool {
        matches!(self, Artifact::EpochReceive | Artifact::NegativeTotal)
    }
}

/// The timing of one message, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    receive: MaybeSeconds,
    detection: MaybeSeconds,
    total: MaybeSeconds,
    send: MaybeSeconds,
    /// Why some of these are not to be trusted, if they are not.
    pub artifact: Option<Artifact>,
}

impl Timing {
    /// Builds the timing from the three logged values and checks it.
    pub fn from_logged(
        receive: Option<f64>,
        detection: Option<f64>,
        total: Option<f64>,
    ) -> Timing {
        let mut t = Timing {
            receive: MaybeSeconds::new(receive),
            detection: MaybeSeconds::new(detection),
            total: MaybeSeconds::new(total),
            send: MaybeSeconds::NONE,
            artifact: None,
        };
        if receive.is_some_and(|r| r >= EPOCH_RECEIVE_SECONDS) {
            t.artifact = Some(Artifact::EpochReceive);
            return t;
        }
        match total {
            None => {
                t.artifact = Some(Artifact::MissingTotal);
                return t;
            }
            Some(m) if m < 0.0 || (m == 0.0 && m.is_sign_negative()) => {
                t.artifact = Some(Artifact::NegativeTotal);
                return t;
            }
            Some(_) => {}
        }
        if let (Some(r), Some(d), Some(m)) = (receive, detection, total) {
            let send = m - r - d;
            if send >= 0.0 {
                t.send = MaybeSeconds::new(Some(round_centis(send)));
            } else if send > -SEND_ROUNDING_SECONDS {
                t.send = MaybeSeconds::new(Some(0.0));
            } else {
                t.artifact = Some(Artifact::NegativeSend);
            }
        }
        t
    }

    /// Receive time, from `rtime`.
    pub fn receive(&self) -> Option<f64> {
        self.receive.get()
    }

    /// Detection time, from `dtime`.
    pub fn detection(&self) -> Option<f64> {
        self.detection.get()
    }

    /// Total time, from `mtime`.
    pub fn total(&self) -> Option<f64> {
        self.total.get()
    }

    /// Send time, `mtime − rtime − dtime`, when all three are known and
    /// consistent.
    pub fn send(&self) -> Option<f64> {
        self.send.get()
    }

    /// Whether receive and detection can enter the statistics.
    pub fn has_trusted_parts(&self) -> bool {
        !self.artifact.is_some_and(Artifact::is_pipelining_artifact)
    }
}

/// Rounds to hundredths, the precision NPE logs with, so that
/// 100.09 − 10.06 − 0.50 reads 89.53 and not 89.53000000000001.
fn round_centis(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_is_what_is_left() {
        let t = Timing::from_logged(Some(10.06), Some(0.50), Some(100.09));
        assert_eq!(t.send(), Some(89.53));
        assert_eq!(t.artifact, None);
    }

    #[test]
    fn pipelining_rset_epoch_rtime() {
        // KB 432573: the defect writes an epoch value into rtime and -0s
        // into mtime; neither is a latency.
        let t =
            Timing::from_logged(Some(1_771_844_125.02), Some(2.0), Some(-0.0));
        assert_eq!(t.artifact, Some(Artifact::EpochReceive));
        assert_eq!(t.send(), None);
        assert!(!t.has_trusted_parts());
    }

    #[test]
    fn negative_zero_total_alone_is_flagged() {
        let t = Timing::from_logged(Some(1.0), Some(2.0), Some(-0.0));
        assert_eq!(t.artifact, Some(Artifact::NegativeTotal));
    }

    #[test]
    fn missing_total_keeps_receive_and_detection() {
        let t = Timing::from_logged(Some(5.09), Some(0.5), None);
        assert_eq!(t.artifact, Some(Artifact::MissingTotal));
        assert!(t.has_trusted_parts());
    }

    #[test]
    fn rounding_deficit_is_zero_send() {
        let t = Timing::from_logged(Some(0.4), Some(2.0), Some(1.9));
        assert_eq!(t.send(), Some(0.0));
        let t = Timing::from_logged(Some(5.0), Some(2.0), Some(1.0));
        assert_eq!(t.artifact, Some(Artifact::NegativeSend));
    }
}
