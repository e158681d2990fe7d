//! Events: what a record says happened, named after the meaning of its
//! code.
//!
//! An NPE record carries a `(CATEGORY.CODE)` tag such as
//! `(SMTP_CONNECTION.5210)`. Codes are documented in four families: 11xx
//! core events, 51xx core errors, 12xx/52xx connectivity, 13xx/53xx
//! messages. Public samples mask some codes (`SMTP_MESSAGE.XXXX`) and some
//! records come without any tag, so an event is recognised by its code
//! first and by its text when the code is masked or missing. A code this
//! module does not know is kept as [`EventCode::Other`], never dropped.

/// What a record means, by its code or, failing that, its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventCode {
    /// 1100: the service starts.
    Starting,
    /// 1101: the service stops.
    ShuttingDown,
    /// 1102: the RequestProcessor tries to reconnect to the FileReader.
    FileReaderReconnecting,
    /// 1103: the FileReader link is back.
    FileReaderReconnected,
    /// 5100: a FileReader reconnect attempt failed.
    FileReaderConnectFailed,
    /// 5101: the FileReader link was lost.
    FileReaderLost,
    /// 1200: listening for incoming connections.
    Listening,
    /// 1201: an upstream MTA connected.
    ConnectionAccepted,
    /// 1202: the peer closed the connection.
    PeerDisconnected,
    /// 1203: NPE connected to the downstream MTA.
    ForwardEstablished,
    /// 1204: the downstream connection closed.
    ForwardClosed,
    /// 1205: an upstream session ended (`messages=`, `time=`).
    ServiceClosed,
    /// 5200: a connection from a host that is not allowed was refused.
    HostRejected,
    /// 5201: local connection error.
    LocalConnectionError,
    /// 5202: error on the upstream (sending) side.
    SenderConnectionError,
    /// 5203: could not connect to or talk to a downstream MTA.
    ForwardError,
    /// 5204: the other party dropped the connection.
    PeerDisconnectedUnexpectedly,
    /// 5210: no configured downstream MTA was reachable.
    AllForwardHostsUnavailable,
    /// 1300: a message was handled.
    MessageComplete,
    /// 53xx (masked in public samples): a message was not completed.
    MessageError,
    /// Detector log: a message passed through because detection timed out.
    DetectionTimeout,
    /// Detector log: sending the message to detection failed.
    MessageChainError,
    /// `DETECTION.12`: a message chain exceeded its component timeout.
    DetectionComponentTimeout,
    /// `DETECTION.13`: detection restarts because a chain took too long.
    DetectionRestart,
    /// Any other tagged record; the number is its code (0 when masked).
    Other(u16),
}

impl EventCode {
    /// Classifies a record from its category, code and message text.
    ///
    /// `code` is `None` when the tag is masked (`XXXX`) or absent; the text
    /// then decides.
    pub fn classify(category: &[u8], code: Option<u16>, text: &[u8]) -> Self {
        if category == b"DETECTION" {
            return match code {
                Some(12) => EventCode::DetectionComponentTimeout,
                Some(13) => EventCode::DetectionRestart,
                Some(n) => EventCode::Other(n),
                None => EventCode::Other(0),
            };
        }
        if let Some(ev) = code.and_then(Self::from_code) {
            return ev;
        }
        Self::from_text(text).unwrap_or(EventCode::Other(code.unwrap_or(0)))
    }

    /// The event a documented SMTP Prevent code stands for.
    pub fn from_code(code: u16) -> Option<Self> {
        let ev = match code {
            1100 => EventCode::Starting,
            1101 => EventCode::ShuttingDown,
            1102 => EventCode::FileReaderReconnecting,
            1103 => EventCode::FileReaderReconnected,
            5100 => EventCode::FileReaderConnectFailed,
            5101 => EventCode::FileReaderLost,
            1200 => EventCode::Listening,
            1201 => EventCode::ConnectionAccepted,
            1202 => EventCode::PeerDisconnected,
            1203 => EventCode::ForwardEstablished,
            1204 => EventCode::ForwardClosed,
            1205 => EventCode::ServiceClosed,
            5200 => EventCode::HostRejected,
            5201 => EventCode::LocalConnectionError,
            5202 => EventCode::SenderConnectionError,
            5203 => EventCode::ForwardError,
            5204 => EventCode::PeerDisconnectedUnexpectedly,
            5210 => EventCode::AllForwardHostsUnavailable,
            1300 => EventCode::MessageComplete,
            _ => return None,
        };
        Some(ev)
    }

    /// The event a documented message text stands for, for records whose
    /// code is masked or missing.
    pub fn from_text(text: &[u8]) -> Option<Self> {
        let text = trim(text);
        for (prefix, ev) in TEXT_PREFIXES {
            if starts_with_ignore_case(text, prefix.as_bytes()) {
                return Some(*ev);
            }
        }
        for (needle, ev) in TEXT_CONTAINS {
            if memchr::memmem::find(text, needle.as_bytes()).is_some() {
                return Some(*ev);
            }
        }
        None
    }

    /// The documented numeric code, when there is one.
    pub fn number(self) -> Option<u16> {
        let n = match self {
            EventCode::Starting => 1100,
            EventCode::ShuttingDown => 1101,
            EventCode::FileReaderReconnecting => 1102,
            EventCode::FileReaderReconnected => 1103,
            EventCode::FileReaderConnectFailed => 5100,
            EventCode::FileReaderLost => 5101,
            EventCode::Listening => 1200,
            EventCode::ConnectionAccepted => 1201,
            EventCode::PeerDisconnected => 1202,
            EventCode::ForwardEstablished => 1203,
            EventCode::ForwardClosed => 1204,
            EventCode::ServiceClosed => 1205,
            EventCode::HostRejected => 5200,
            EventCode::LocalConnectionError => 5201,
            EventCode::SenderConnectionError => 5202,
            EventCode::ForwardError => 5203,
            EventCode::PeerDisconnectedUnexpectedly => 5204,
            EventCode::AllForwardHostsUnavailable => 5210,
            EventCode::MessageComplete => 1300,
            EventCode::Other(n) if n != 0 => n,
            _ => return None,
        };
        Some(n)
    }

    /// A short stable name, used as a key in reports and charts.
    pub fn name(self) -> String {
        let fixed = match self {
            EventCode::Starting => "starting",
            EventCode::ShuttingDown => "shutting-down",
            EventCode::FileReaderReconnecting => "filereader-reconnecting",
            EventCode::FileReaderReconnected => "filereader-reconnected",
            EventCode::FileReaderConnectFailed => "filereader-connect-failed",
            EventCode::FileReaderLost => "filereader-lost",
            EventCode::Listening => "listening",
            EventCode::ConnectionAccepted => "connection-accepted",
            EventCode::PeerDisconnected => "peer-disconnected",
            EventCode::ForwardEstablished => "forward-established",
            EventCode::ForwardClosed => "forward-closed",
            EventCode::ServiceClosed => "service-closed",
            EventCode::HostRejected => "host-rejected",
            EventCode::LocalConnectionError => "local-connection-error",
            EventCode::SenderConnectionError => "sender-connection-error",
            EventCode::ForwardError => "forward-error",
            EventCode::PeerDisconnectedUnexpectedly => {
                "peer-disconnected-unexpectedly"
            }
            EventCode::AllForwardHostsUnavailable => {
                "all-forward-hosts-unavailable"
            }
            EventCode::MessageComplete => "message-complete",
            EventCode::MessageError => "message-error",
            EventCode::DetectionTimeout => "detection-timeout",
            EventCode::MessageChainError => "message-chain-error",
            EventCode::DetectionComponentTimeout => {
                "detection-component-timeout"
            }
            EventCode::DetectionRestart => "detection-restart",
            EventCode::Other(n) => return format!("code-{n}"),
        };
        fixed.to_string()
    }

    /// Whether the event reports something that went wrong.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            EventCode::FileReaderConnectFailed
                | EventCode::FileReaderLost
                | EventCode::HostRejected
                | EventCode::LocalConnectionError
                | EventCode::SenderConnectionError
                | EventCode::ForwardError
                | EventCode::PeerDisconnectedUnexpectedly
                | EventCode::AllForwardHostsUnavailable
                | EventCode::MessageError
                | EventCode::DetectionTimeout
                | EventCode::MessageChainError
                | EventCode::DetectionComponentTimeout
                | EventCode::DetectionRestart
        )
    }
}

/// Message texts that identify a record on their own, by prefix.
const TEXT_PREFIXES: &[(&str, EventCode)] = &[
    ("Message complete", EventCode::MessageComplete),
    ("Error while processing message", EventCode::MessageError),
    ("Connection accepted", EventCode::ConnectionAccepted),
    ("Forward connection established", EventCode::ForwardEstablished),
    ("Forward connection closed", EventCode::ForwardClosed),
    ("Forward connection error", EventCode::ForwardError),
    ("Service connection closed", EventCode::ServiceClosed),
    ("Peer disconnected unexpectedly", EventCode::PeerDisconnectedUnexpectedly),
    ("Peer disconnected", EventCode::PeerDisconnected),
    ("All forward hosts unavailable", EventCode::AllForwardHostsUnavailable),
    ("Connection is rejected", EventCode::HostRejected),
    ("Local connection error", EventCode::LocalConnectionError),
    ("Sender connection error", EventCode::SenderConnectionError),
    ("Listening for incoming connections", EventCode::Listening),
    ("Reconnecting to FileReader", EventCode::FileReaderReconnecting),
    ("Reconnected to the FileReader", EventCode::FileReaderReconnected),
    ("Could not connect to the FileReader", EventCode::FileReaderConnectFailed),
    ("FileReader connection lost", EventCode::FileReaderLost),
    ("Starting Network Prevent", EventCode::Starting),
    ("Shutting down Network Prevent", EventCode::ShuttingDown),
    ("Detection timed out on message", EventCode::DetectionTimeout),
];

/// Texts recognised anywhere in the message, for detector-log records
/// that start with a thread tag such as `RPT(2c): `.
const TEXT_CONTAINS: &[(&str, EventCode)] = &[
    ("Passed message through due to timeout", EventCode::DetectionTimeout),
    ("Error sending data to message chains", EventCode::MessageChainError),
];

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    // The first byte rules out nearly every prefix: compare it alone
    // before comparing the whole prefix, since tracing records of a
    // detector log are tried against every known text.
    s.len() >= prefix.len()
        && s[0].eq_ignore_ascii_case(&prefix[0])
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_wins_over_text() {
        let ev = EventCode::classify(b"SMTP_CONNECTION", Some(5210), b"x");
        assert_eq!(ev, EventCode::AllForwardHostsUnavailable);
    }

    #[test]
    fn masked_code_falls_back_to_text() {
        let ev = EventCode::classify(
            b"SMTP_MESSAGE",
            None,
            b"Error while processing message",
        );
        assert_eq!(ev, EventCode::MessageError);
        let ev =
            EventCode::classify(b"", None, b"Peer disconnected unexpectedly");
        assert_eq!(ev, EventCode::PeerDisconnectedUnexpectedly);
    }

    #[test]
    fn unknown_code_is_kept() {
        let ev =
            EventCode::classify(b"SMTP_MESSAGE", Some(5317), b"Something new");
        assert_eq!(ev, EventCode::Other(5317));
        assert_eq!(ev.name(), "code-5317");
    }

    #[test]
    fn detector_timeout_text_after_thread_tag() {
        let ev = EventCode::from_text(
            b"RPT(2c): Passed message through due to timeout",
        );
        assert_eq!(ev, Some(EventCode::DetectionTimeout));
    }

    #[test]
    fn detection_family_codes() {
        let ev = EventCode::classify(b"DETECTION", Some(13), b"Intentionally");
        assert_eq!(ev, EventCode::DetectionRestart);
        let ev = EventCode::classify(b"DETECTION", Some(500), b"Script");
        assert_eq!(ev, EventCode::Other(500));
    }
}
