//! The time zone assumed for detector-log headers, and for display.
//!
//! Operational timestamps carry their own offset; java.util.logging
//! headers (`Mar 14, 2022 4:32:14 PM`) carry none, so the user names the
//! zone the detection server ran in: an IANA name (`Europe/Berlin`) or a
//! fixed offset (`+05:30`, `-0500`, `UTC`). The same zone is used to show
//! times to the user.

use crate::error::{Error, ErrorKind};
use crate::parse::fields::{LocalTime, Millis};
use crate::parse::LocalToUtc;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

/// A named time zone.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone { name: "UTC".to_string(), tz: TimeZone::UTC }
    }

    /// Reads a zone as a user writes it: `UTC`, `Z`, `+05:30`, `-0500`,
    /// `+5` or an IANA name such as `America/Chicago`.
    ///
    /// # Errors
    ///
    /// Fails when the text is neither a valid offset nor a zone name known
    /// to the time zone database.
    pub fn parse(text: &str) -> Result<Zone, Error> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("utc") || text == "Z" {
            return Ok(Zone::utc());
        }
        if let Some(minutes) = offset_minutes(text) {
            return Ok(Zone::fixed(minutes));
        }
        match TimeZone::get(text) {
            Ok(tz) => Ok(Zone { name: text.to_string(), tz }),
            Err(_) => Err(Error::new(ErrorKind::BadZone(text.to_string()))),
        }
    }

    /// A fixed offset east of UTC, in minutes.
    pub fn fixed(minutes: i32) -> Zone {
        let offset = Offset::from_seconds(minutes.clamp(-1439, 1439) * 60)
            .unwrap_or(Offset::UTC);
        let sign = if minutes < 0 { '-' } else { '+' };
        let m = minutes.unsigned_abs();
        let name = format!("{sign}{:02}:{:02}", m / 60, m % 60);
        Zone { name, tz: TimeZone::fixed(offset) }
    }

    /// Wraps a zone already resolved by the caller (for example the
    /// system zone), under the given name.
    pub fn from_time_zone(name: &str, tz: TimeZone) -> Zone {
        Zone { name: name.to_string(), tz }
    }

    /// The name the zone was given, or its offset.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The UTC instant of a wall-clock time in this zone.
    ///
    /// A time skipped or repeated by a daylight-saving change resolves to
    /// the earlier offset, the way java.util.logging would have printed it
    /// before the change.
    pub fn utc_from_local(&self, local: LocalTime) -> Millis {
        let dt = DateTime::new(
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second,
            0,
        );
        match dt {
            Ok(dt) => match self.tz.to_ambiguous_timestamp(dt).compatible() {
                Ok(ts) => ts.as_millisecond(),
                Err(_) => local.as_naive_millis(),
            },
            Err(_) => local.as_naive_millis(),
        }
    }

    /// The offset from UTC, in minutes, at the given instant.
    pub fn offset_minutes_at(&self, at: Millis) -> i32 {
        match jiff::Timestamp::from_millisecond(at) {
            Ok(ts) => self.tz.to_offset(ts).seconds() / 60,
            Err(_) => 0,
        }
    }

    /// Formats an instant in this zone as `2012-06-12 08:32:31`.
    pub fn format(&self, at: Millis) -> String {
        let Ok(ts) = jiff::Timestamp::from_millisecond(at) else {
            return "?".to_string();
        };
        ts.to_zoned_datetime(self.tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    /// Formats an instant in this zone as `08:32`.
    pub fn format_clock(&self, at: Millis) -> String {
        let Ok(ts) = jiff::Timestamp::from_millisecond(at) else {
            return "?".to_string();
        };
        ts.to_zoned_datetime(self.tz.clone()).strftime("%H:%M").to_string()
    }
}

/// Formats an instant as RFC 3339 in UTC with milliseconds, for JSON.
pub fn rfc3339(at: Millis) -> String {
    match jiff::Timestamp::from_millisecond(at) {
        Ok(ts) => format!("{ts:.3}"),
        Err(_) => String::new(),
    }
}

/// `+05:30`, `-0500`, `+5`, `UTC+2`: minutes east of UTC.
fn offset_minutes(text: &str) -> Option<i32> {
    let text = text
        .strip_prefix("UTC")
        .or_else(|| text.strip_prefix("GMT"))
        .unwrap_or(text);
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    if h.is_empty() || h.len() > 2 || m.len() > 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m))
}

/// A [`LocalToUtc`] over a [`Zone`] that remembers the offset of the last
/// minute converted: detector headers arrive many to a minute.
pub struct CachedZone<'z> {
    zone: &'z Zone,
    key: Option<(i16, i8, i8, i8, i8)>,
    offset_ms: Millis,
}

impl<'z> CachedZone<'z> {
    /// A converter for `zone` with an empty cache.
    pub fn new(zone: &'z Zone) -> CachedZone<'z> {
        CachedZone { zone, key: None, offset_ms: 0 }
    }
}

impl LocalToUtc for CachedZone<'_> {
    fn to_utc(&mut self, local: LocalTime) -> Millis {
        let key =
            (local.year, local.month, local.day, local.hour, local.minute);
        let naive = local.as_naive_millis();
        if self.key != Some(key) {
            self.offset_ms = naive - self.zone.utc_from_local(local);
            self.key = Some(key);
        }
        naive - self.offset_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(h: i8) -> LocalTime {
        LocalTime {
            year: 2022,
            month: 3,
            day: 14,
            hour: h,
            minute: 0,
            second: 0,
        }
    }

    #[test]
    fn offsets_as_users_write_them() {
        assert_eq!(offset_minutes("+05:30"), Some(330));
        assert_eq!(offset_minutes("-0500"), Some(-300));
        assert_eq!(offset_minutes("+5"), Some(300));
        assert_eq!(offset_minutes("UTC+2"), Some(120));
        assert_eq!(offset_minutes("Europe/Berlin"), None);
        assert_eq!(Zone::parse("-05:00").unwrap().name(), "-05:00");
    }

    #[test]
    fn named_zone_follows_daylight_saving() {
        let zone = Zone::parse("America/Chicago").unwrap();
        // 14 March 2022 is after the spring change: CDT, UTC-5.
        let utc = zone.utc_from_local(local(16));
        assert_eq!(utc - local(16).as_naive_millis(), 5 * 3_600_000);
        let winter = LocalTime { month: 1, ..local(16) };
        let utc = zone.utc_from_local(winter);
        assert_eq!(utc - winter.as_naive_millis(), 6 * 3_600_000);
    }

    #[test]
    fn unknown_zone_is_an_error() {
        let err = Zone::parse("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    }

    #[test]
    fn cache_matches_uncached() {
        let zone = Zone::parse("Europe/Berlin").unwrap();
        let mut cached = CachedZone::new(&zone);
        for h in 0..24 {
            assert_eq!(cached.to_utc(local(h)), zone.utc_from_local(local(h)));
        }
    }
}
