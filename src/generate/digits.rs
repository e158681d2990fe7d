//! Writing numbers, identifiers and dates the way NPE prints them, into a
//! reused byte buffer and without allocating.
//!
//! Durations are kept as *centiseconds* (hundredths of a second, the
//! precision NPE logs with) so that every printed value is exact and the
//! ground truth can be read back from the same integers.

/// English month abbreviations, as both log formats print them.
pub(super) const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep",
    b"Oct", b"Nov", b"Dec",
];

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `n` in decimal.
pub(super) fn push_u64(out: &mut Vec<u8>, n: u64) {
    let mut tmp = [0u8; 20];
    let mut at = tmp.len();
    let mut n = n;
    loop {
        at -= 1;
        tmp[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[at..]);
}

/// Appends `n` with a comma every three digits: `123,456`.
pub(super) fn push_grouped(out: &mut Vec<u8>, n: u64) {
    if n < 1000 {
        push_u64(out, n);
        return;
    }
    push_grouped(out, n / 1000);
    out.push(b',');
    push_padded(out, n % 1000, 3);
}

/// Appends `n` zero-padded to `width` digits.
pub(super) fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut at = tmp.len();
    let mut n = n;
    while n > 0 || tmp.len() - at < width {
        at -= 1;
        tmp[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&tmp[at..]);
}

/// Appends centiseconds with two decimals: `100.09`, `0.50`.
pub(super) fn push_centis(out: &mut Vec<u8>, centis: u64) {
    push_u64(out, centis / 100);
    out.push(b'.');
    push_padded(out, centis % 100, 2);
}

/// Appends centiseconds with thousands separators and two decimals, the
/// way the pipelining defect prints its epoch rtime: `1,771,844,125.02`.
pub(super) fn push_grouped_centis(out: &mut Vec<u8>, centis: u64) {
    push_grouped(out, centis / 100);
    out.push(b'.');
    push_padded(out, centis % 100, 2);
}

/// Appends centiseconds without trailing zeros: `0.5`, `2`, `0.14`.
pub(super) fn push_centis_short(out: &mut Vec<u8>, centis: u64) {
    push_u64(out, centis / 100);
    let frac = centis % 100;
    if frac == 0 {
        return;
    }
    out.push(b'.');
    if frac.is_multiple_of(10) {
        push_u64(out, frac / 10);
    } else {
        push_padded(out, frac, 2);
    }
}

/// Appends the low `digits` hexadecimal digits of `n`, lower case.
pub(super) fn push_hex(out: &mut Vec<u8>, n: u128, digits: u32) {
    for i in (0..digits).rev() {
        out.push(HEX_LOWER[((n >> (4 * i)) & 0xf) as usize]);
    }
}

/// Appends the low `digits` hexadecimal digits of `n`, upper case, as
/// MTAs print queue ids.
pub(super) fn push_hex_upper(out: &mut Vec<u8>, n: u64, digits: u32) {
    for i in (0..digits).rev() {
        out.push(HEX_UPPER[((n >> (4 * i)) & 0xf) as usize]);
    }
}

/// Appends `n` in hexadecimal without leading zeros, as `dlp_id` is.
pub(super) fn push_hex_trimmed(out: &mut Vec<u8>, n: u64) {
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    push_hex(out, u128::from(n), digits);
}

/// Appends a random-looking version-4 UUID built from `bits`.
pub(super) fn push_uuid(out: &mut Vec<u8>, bits: u128) {
    let version = (bits & !(0xf << 76)) | (0x4 << 76);
    let v4 = (version & !(0x3 << 62)) | (0x2 << 62);
    push_hex(out, v4 >> 96, 8);
    out.push(b'-');
    push_hex(out, v4 >> 80, 4);
    out.push(b'-');
    push_hex(out, v4 >> 64, 4);
    out.push(b'-');
    push_hex(out, v4 >> 48, 4);
    out.push(b'-');
    push_hex(out, v4, 12);
}

/// Appends a dotted IPv4 address.
pub(super) fn push_ip(out: &mut Vec<u8>, ip: u32) {
    for (i, octet) in ip.to_be_bytes().iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        push_u64(out, u64::from(*octet));
    }
}

/// A calendar date and time of day, in whatever zone it was computed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Civil {
    /// Splits milliseconds since the epoch (already shifted into the
    /// wanted zone) into date and time of day.
    pub fn from_millis(ms: i64) -> Civil {
        let secs = ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
        }
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01: the
/// inverse of `days_from_civil` in the parser.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::fields::days_from_civil;

    fn text(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_as_npe_prints_them() {
        assert_eq!(text(|o| push_grouped(o, 123_456)), "123,456");
        assert_eq!(text(|o| push_grouped(o, 1_000_005)), "1,000,005");
        assert_eq!(text(|o| push_centis(o, 10_009)), "100.09");
        assert_eq!(text(|o| push_centis(o, 50)), "0.50");
        assert_eq!(text(|o| push_centis_short(o, 50)), "0.5");
        assert_eq!(text(|o| push_centis_short(o, 200)), "2");
        assert_eq!(text(|o| push_centis_short(o, 14)), "0.14");
        let epoch = 177_184_412_502;
        assert_eq!(text(|o| push_grouped_centis(o, epoch)), "1,771,844,125.02");
        assert_eq!(text(|o| push_hex_trimmed(o, 0x17eafa790eb)), "17eafa790eb");
        assert_eq!(text(|o| push_ip(o, 0x0a01_0203)), "10.1.2.3");
    }

    #[test]
    fn uuid_is_version_four() {
        let id = text(|o| push_uuid(o, u128::MAX));
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1, 0, 11_016, 19_000, 20_514, 60_000] {
            let c = Civil::from_millis(days * 86_400_000);
            let back =
                days_from_civil(c.year, i64::from(c.month), i64::from(c.day));
            assert_eq!(back, days);
        }
        let c = Civil::from_millis(1_772_438_400_000 + 3_723_000);
        assert_eq!((c.year, c.month, c.day), (2026, 3, 2));
        assert_eq!((c.hour, c.minute, c.second), (9, 2, 3));
    }
}
