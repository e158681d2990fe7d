//! Tokenizers shared by both log formats.
//!
//! A *field list* is the parenthesised `key=value` tail of an NPE record,
//! as in `Message complete (tid=27 cid=875 size=123,456 text=<…> …)`.
//! Values come in three shapes:
//!
//! * *angled*: `<…>`, which may hold nested `<…>`, brackets, parentheses,
//!   commas and spaces (`text=<2.6.0 <id@host> [InternalId=1, …] …>`);
//!   `<>` is the empty value;
//! * *bracketed*: `[…]`, as in `mta=[mta]`;
//! * *bare*: everything up to the next ` key=`, so a bare value may hold
//!   spaces (`reason=No available forward hosts`).
//!
//! Numbers may carry thousands separators (`123,456`), a leading dot
//! (`.3s`), a sign (`-0s`) and an `s` suffix for seconds.
//!
//! The module also reads both timestamp styles: the operational
//! `12/Jun/12:08:32:31:506-0500` (two-digit year, milliseconds after a
//! colon, numeric offset) and the java.util.logging header
//! `Mar 14, 2022 4:32:14 PM` (12-hour clock, whole seconds, no zone).

use wide::u8x16;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// A calendar date and wall-clock time with no zone attached, as the
/// detector log writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalTime {
    /// Full year, e.g. 2022.
    pub year: i16,
    /// Month, 1 to 12.
    pub month: i8,
    /// Day of the month, 1 to 31.
    pub day: i8,
    /// Hour on a 24-hour clock.
    pub hour: i8,
    /// Minute.
    pub minute: i8,
    /// Second.
    pub second: i8,
}

impl LocalTime {
    /// Milliseconds since the epoch if this wall-clock time were UTC.
    pub fn as_naive_millis(&self) -> Millis {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let secs = days * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs * 1_000
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
///
/// This is the well-known civil-from-days inverse; it is exact for every
/// year a log can hold.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// TODO: java.util.logging prints month names in the server's locale, so a
// detector log from a German or French server has `Mär` or `mars` and its
// headers go unrecognized. A table of the common locales' abbreviations
// would cover them; no such log has been seen yet.

/// Month number (1–12) from an English three-letter abbreviation.
///
/// Any letter case is accepted; full month names are matched by their
/// first three letters by the callers.
pub fn month_from_abbrev(name: &[u8]) -> Option<i8> {
    if name.len() != 3 {
        return None;
    }
    let lower = [
        name[0].to_ascii_lowercase(),
        name[1].to_ascii_lowercase(),
        name[2].to_ascii_lowercase(),
    ];
    let month = match &lower {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(month)
}

/// Length in bytes of an operational timestamp: `dd/Mon/yy:HH:mm:ss:SSS±hhmm`.
pub const OPERATIONAL_STAMP_LEN: usize = 27;

/// Reads an operational timestamp at the start of `s`.
///
/// Returns the instant in UTC milliseconds; `None` when `s` does not start
/// with a well-formed stamp. Two-digit years are read as 20yy.
pub fn parse_operational_stamp(s: &[u8]) -> Option<Millis> {
    parse_operational_stamp_with(s, &mut DayCache::default())
}

/// The date part of the last operational stamp read, `dd/Mon/yy`, and its
/// day number: consecutive records nearly always fall on the same day,
/// and turning a date into days is the costliest step of reading a stamp.
/// The same goes, one level up, for the stamp's minute and offset.
#[derive(Clone, Copy, Debug, Default)]
pub struct DayCache {
    /// All zeros, which no valid stamp starts with, until a date is read.
    date: [u8; 9],
    days: i64,
    /// `dd/Mon/yy:HH:mm:` of the last stamp whose minute was read.
    minute_head: [u8; 16],
    /// `±hhmm` of that stamp.
    minute_offset: [u8; 5],
    /// The UTC start of that minute; `None` until a minute is read.
    minute_start: Option<Millis>,
}

impl DayCache {
    /// The day number of a `dd/Mon/yy` date, read or remembered.
    fn days(&mut self, date: &[u8]) -> Option<i64> {
        if date == self.date {
            return Some(self.days);
        }
        let day = two_digits(date[0], date[1])?;
        let month = month_from_abbrev(&date[3..6])?;
        let year = 2000 + two_digits(date[7], date[8])?;
        if day == 0 || day > 31 {
            return None;
        }
        self.days = days_from_civil(year, i64::from(month), day);
        self.date.copy_from_slice(date);
        Some(self.days)
    }
}

/// [`parse_operational_stamp`], remembering the day between calls.
pub fn parse_operational_stamp_with(
    s: &[u8],
    cache: &mut DayCache,
) -> Option<Millis> {
    if s.len() < OPERATIONAL_STAMP_LEN {
        return None;
    }
    let s = &s[..OPERATIONAL_STAMP_LEN];
    let second = two_digits(s[16], s[17])?;
    let millis = three_digits(&s[19..22])?;
    if s[18] != b':' || second > 60 {
        return None;
    }
    let minute = cache.minute(s)?;
    Some(minute + second * 1_000 + millis)
}

impl DayCache {
    /// The UTC start of the minute of a whole stamp, everything but its
    /// seconds and milliseconds: remembered while the date, hour, minute
    /// and offset repeat, as they do for the many records of a busy
    /// minute, and read (and checked) in full otherwise.
    fn minute(&mut self, s: &[u8]) -> Option<Millis> {
        let (head, offset) = (&s[..16], &s[22..]);
        if let Some(start) = self.minute_start {
            if self.minute_head == head && self.minute_offset == offset {
                return Some(start);
            }
        }
        if s[2] != b'/' || s[6] != b'/' || s[9] != b':' || s[12] != b':' {
            return None;
        }
        if s[15] != b':' {
            return None;
        }
        let days = self.days(&s[..9])?;
        let hour = two_digits(s[10], s[11])?;
        let minute = two_digits(s[13], s[14])?;
        let sign = match s[22] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let off_h = two_digits(s[23], s[24])?;
        let off_m = two_digits(s[25], s[26])?;
        if hour > 23 || minute > 59 {
            return None;
        }
        let local = ((days * 24 + hour) * 60 + minute) * 60_000;
        let start = local - sign * (off_h * 60 + off_m) * 60_000;
        self.minute_head.copy_from_slice(head);
        self.minute_offset.copy_from_slice(offset);
        self.minute_start = Some(start);
        Some(start)
    }
}

fn two_digits(a: u8, b: u8) -> Option<i64> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
    } else {
        None
    }
}

fn three_digits(s: &[u8]) -> Option<i64> {
    let hi = two_digits(s[0], s[1])?;
    let lo = two_digits(s[2], b'0')? / 10;
    Some(hi * 10 + lo)
}

/// Reads a java.util.logging header such as
/// `Mar 14, 2022 4:32:14 PM com.vontu.mta.rp.log.SmtpLogManager logX`.
///
/// Returns the wall-clock time and the rest of the line after the AM/PM
/// marker (the class and method). `None` when the line does not start with
/// such a date.
pub fn parse_detector_stamp(s: &[u8]) -> Option<(LocalTime, &[u8])> {
    let mut c = Cursor { s, at: 0 };
    let month = month_from_abbrev(c.take_alpha()?.get(..3)?)?;
    c.expect(b' ')?;
    let day = c.take_number(2)?;
    c.expect(b',')?;
    c.expect(b' ')?;
    let year = c.take_number(4)?;
    c.expect(b' ')?;
    let hour12 = c.take_number(2)?;
    c.expect(b':')?;
    let minute = c.take_number(2)?;
    c.expect(b':')?;
    let second = c.take_number(2)?;
    c.expect(b' ')?;
    let marker = c.take_alpha()?;
    let pm = match marker {
        b"PM" | b"pm" => true,
        b"AM" | b"am" => false,
        _ => return None,
    };
    if !(1..=12).contains(&hour12) || day == 0 || day > 31 {
        return None;
    }
    if minute > 59 || second > 60 {
        return None;
    }
    let hour = (hour12 % 12) + if pm { 12 } else { 0 };
    let time = LocalTime {
        year: year as i16,
        month,
        day: day as i8,
        hour: hour as i8,
        minute: minute as i8,
        second: second as i8,
    };
    let rest = c.rest();
    Some((time, rest.strip_prefix(b" ").unwrap_or(rest)))
}

struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn expect(&mut self, b: u8) -> Option<()> {
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    fn take_alpha(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        while self.s.get(self.at).is_some_and(u8::is_ascii_alphabetic) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.s[start..self.at])
    }

    fn take_number(&mut self, max_digits: usize) -> Option<i64> {
        let start = self.at;
        let mut n = 0i64;
        while let Some(d) = self.s.get(self.at).filter(|b| b.is_ascii_digit()) {
            if self.at - start == max_digits {
                return None;
            }
            n = n * 10 + i64::from(d - b'0');
            self.at += 1;
        }
        (self.at > start).then_some(n)
    }

    fn rest(&self) -> &'a [u8] {
        &self.s[self.at..]
    }
}

/// Reads a decimal number as NPE writes it: thousands separators, an
/// optional sign, an optional leading dot and an optional `s` suffix.
///
/// `<>` and the empty string are `None`, as are masked values such as
/// `#####` or `XXX`.
pub fn parse_number(s: &[u8]) -> Option<f64> {
    let (negative, digits) = signed_number(s)?;
    let short = is_short(digits);
    // The whole part, with thousands separators, up to a `.` if any.
    let mut int: u64 = 0;
    let mut any_digit = false;
    let mut at = 0;
    while let Some(&b) = digits.get(at) {
        match b {
            b'0'..=b'9' => int = push_digit(int, b - b'0', short)?,
            b',' => {}
            _ => break,
        }
        any_digit |= b != b',';
        at += 1;
    }
    // The fraction: digits only, the first twelve of them kept.
    let mut frac: i64 = 0;
    let mut frac_scale: i64 = 1;
    if let Some(rest) = digits.get(at..).filter(|r| !r.is_empty()) {
        let (b".", rest) = rest.split_at(1) else { return None };
        for &b in rest {
            if !b.is_ascii_digit() {
                return None;
            }
            if frac_scale < 1_000_000_000_000 {
                frac = frac * 10 + i64::from(b - b'0');
                frac_scale *= 10;
            }
        }
        any_digit |= !rest.is_empty();
    }
    if !any_digit {
        return None;
    }
    // Through i64 where the value allows: the same result, and fewer
    // instructions than converting a u64.
    let whole = i64::try_from(int).map_or(int as f64, |i| i as f64);
    let value = whole + frac as f64 / frac_scale as f64;
    Some(if negative { -value } else { value })
}

/// Whether a number's text is negative, and its text without the unit
/// `s` and the sign; `None` when nothing or too much is left.
fn signed_number(s: &[u8]) -> Option<(bool, &[u8])> {
    let s = s.strip_suffix(b"s").unwrap_or(s);
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    Some(match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    })
}

/// `n` with the decimal digit `d` appended, or `None` past [`u64::MAX`].
///
/// A number of `short` text, at most 19 characters, cannot pass the
/// limit and takes a plain multiply: an overflow-checked one becomes a
/// 128-bit product in WebAssembly, done in software.
fn push_digit(n: u64, d: u8, short: bool) -> Option<u64> {
    if short {
        Some(n * 10 + u64::from(d))
    } else {
        n.checked_mul(10)?.checked_add(u64::from(d))
    }
}

/// Whether a number's text is too short for its value to pass
/// [`u64::MAX`], whatever its characters.
fn is_short(s: &[u8]) -> bool {
    s.len() < 20
}

/// Reads a whole, non-negative number such as `size=123,456`.
pub fn parse_count(s: &[u8]) -> Option<u64> {
    let short = is_short(s);
    let mut n: u64 = 0;
    let mut any = false;
    for &b in s {
        match b {
            b'0'..=b'9' => {
                n = push_digit(n, b - b'0', short)?;
                any = true;
            }
            b',' => {}
            _ => return None,
        }
    }
    any.then_some(n)
}

/// The host part of `host:port`, or the whole value when it has no port.
///
/// Bracketed IPv6 (`[::1]:25`) keeps its brackets off.
pub fn host_of(endpoint: &[u8]) -> &[u8] {
    if let Some(rest) = endpoint.strip_prefix(b"[") {
        if let Some(end) = memchr::memchr(b']', rest) {
            return &rest[..end];
        }
    }
    // The port is a few bytes from the end: a plain loop finds its `:`
    // sooner than a general search is set up.
    match endpoint.iter().rposition(|&b| b == b':') {
        Some(i) if endpoint[i + 1..].iter().all(u8::is_ascii_digit) => {
            &endpoint[..i]
        }
        _ => endpoint,
    }
}

/// The port of `host:port`, if it has one.
pub fn port_of(endpoint: &[u8]) -> Option<u16> {
    let i = memchr::memrchr(b':', endpoint)?;
    let digits = &endpoint[i + 1..];
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    parse_count(digits).and_then(|n| u16::try_from(n).ok())
}

/// The domain of an address such as `<someone@example.com>`.
///
/// `None` for the null sender `<>` and for values without `@`.
pub fn domain_of(address: &[u8]) -> Option<&[u8]> {
    let at = memchr::memrchr(b'@', address)?;
    let domain = &address[at + 1..];
    (!domain.is_empty()).then_some(domain)
}

/// One `key=value` pair of a field list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The key, e.g. `rtime`.
    pub key: &'a [u8],
    /// The value without its `<…>` or `[…]` delimiters; empty for `<>`.
    pub value: &'a [u8],
}

/// Splits a record body into its text and its field list.
///
/// `Message complete (tid=27 cid=875)` gives `("Message complete",
/// Some("tid=27 cid=875"))`. The field list starts at the first ` (`
/// followed by a `key=` and ends at the last `)` of the line; a body
/// without one, such as `Peer disconnected unexpectedly`, gives `None`.
pub fn split_field_list(body: &[u8]) -> (&[u8], Option<&[u8]>) {
    // Looking for `(` alone and checking the byte before it finds the same
    // ` (` as a two-byte search, without setting up a substring searcher
    // for every line.
    let mut from = 1;
    while let Some(i) = body.get(from..).and_then(|s| memchr::memchr(b'(', s)) {
        let paren = from + i;
        from = paren + 1;
        if body[paren - 1] != b' ' {
            continue;
        }
        if let Some(list) = field_list_at(&body[paren + 1..]) {
            return (&body[..paren - 1], Some(list));
        }
    }
    (body, None)
}

/// The field list of `inner`, the text after an opening ` (`: up to the
/// last `)` of the line (or to its end), if `inner` starts with `key=`.
pub fn field_list_at(inner: &[u8]) -> Option<&[u8]> {
    key_len_at(inner)?;
    // Nearly every record ends with its list's `)`: a plain loop from the
    // end finds it at once, where a general search would first be set up.
    let end = inner.iter().rposition(|&b| b == b')').unwrap_or(inner.len());
    Some(&inner[..end])
}

/// Whether a byte may appear in a key: lower-case letters, digits and
/// underscores. A table, because the field scanner asks for every byte of
/// every key on every record.
const KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_';
        b += 1;
    }
    table
};

/// Length of `key` when `s` starts with `key=` (lower-case letters, digits
/// and underscores, starting with a letter).
fn key_len_at(s: &[u8]) -> Option<usize> {
    let first = *s.first()?;
    if !first.is_ascii_lowercase() {
        return None;
    }
    let n = s.iter().position(|&b| !KEY_BYTES[usize::from(b)])?;
    (s[n] == b'=').then_some(n)
}

/// An iterator over the `key=value` pairs of a field list.
///
/// A stretch that is not a pair (damaged or unexpected text) is skipped up
/// to the next space, so the pairs after it are still found.
pub struct Fields<'a> {
    s: &'a [u8],
    at: usize,
    /// The length of the key at `at`, when scanning the value before it
    /// has already read it: each key is then read once, not twice.
    key_len: Option<usize>,
}

impl<'a> Fields<'a> {
    /// Iterates over the pairs of `list`, the text inside the parentheses.
    pub fn new(list: &'a [u8]) -> Fields<'a> {
        Fields { s: list, at: 0, key_len: None }
    }

    /// Moves to the next key, past spaces and stretches that are not
    /// pairs; returns its length.
    fn find_key(&mut self) -> Option<usize> {
        loop {
            while self.s.get(self.at) == Some(&b' ') {
                self.at += 1;
            }
            let rest = self.s.get(self.at..).filter(|r| !r.is_empty())?;
            match key_len_at(rest) {
                Some(n) => return Some(n),
                None => {
                    self.at += memchr::memchr(b' ', rest).unwrap_or(rest.len())
                }
            }
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let klen = match self.key_len.take() {
            Some(n) => n,
            None => self.find_key()?,
        };
        let key = &self.s[self.at..self.at + klen];
        let (value, end, next_key) = scan_value(self.s, self.at + klen + 1);
        self.at = end;
        if next_key.is_some() {
            // The next key starts after the one space that ends the value.
            self.at += 1;
            self.key_len = next_key;
        }
        Some(Field { key, value })
    }
}

/// A scanned value: its text without delimiters, the offset just after
/// it, and the length of the key that follows after one space, if a key
/// follows.
type Scanned<'a> = (&'a [u8], usize, Option<usize>);

/// Scans the value that starts at `s[start]`.
fn scan_value(s: &[u8], start: usize) -> Scanned<'_> {
    match s.get(start) {
        Some(b'<') => scan_delimited(s, start, b'<', b'>'),
        Some(b'[') => scan_delimited(s, start, b'[', b']'),
        _ => {
            let next = next_key_start(s, start);
            let end = next.map_or(s.len(), |(space, _)| space);
            let mut value_end = end;
            while value_end > start && s[value_end - 1] == b' ' {
                value_end -= 1;
            }
            (&s[start..value_end], end, next.map(|(_, klen)| klen))
        }
    }
}

/// The offset of the space before the next ` key=` at or after `from`,
/// and the length of that key.
fn next_key_start(s: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    while let Some(space) = find_byte(s, at, b' ') {
        if let Some(klen) = key_len_at(&s[space + 1..]) {
            return Some((space, klen));
        }
        at = space + 1;
    }
    None
}

/// The bits of a 16-byte block's bytes that equal `a` or `b`, first byte
/// lowest: two vector compares and one mask, SSE2 on x86-64 and simd128
/// on wasm32 (the `wide` crate picks them, and plain code elsewhere).
fn block_hits(block: &[u8; 16], a: u8, b: u8) -> u32 {
    let v = u8x16::new(*block);
    (v.simd_eq(u8x16::splat(a)) | v.simd_eq(u8x16::splat(b))).to_bitmask()
}

/// The offset of the first `a` or `b` in `s` at or after `from`.
///
/// Values are mostly a few to some tens of bytes long, too short for the
/// set-up of a general search such as `memchr2` to pay: sixteen bytes at
/// a time, the first block usually holds the answer. A rest shorter than
/// a block is read as the last sixteen bytes of `s`, shifted past the
/// bytes already searched.
fn find_either(s: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    let mut at = from;
    while let Some(block) = s.get(at..).and_then(|r| r.first_chunk::<16>()) {
        let hits = block_hits(block, a, b);
        if hits != 0 {
            return Some(at + hits.trailing_zeros() as usize);
        }
        at += 16;
    }
    if at >= s.len() {
        return None;
    }
    match s.len().checked_sub(16) {
        Some(last) => {
            let block = s[last..].first_chunk::<16>().expect("sixteen bytes");
            let hits = block_hits(block, a, b) >> (at - last);
            (hits != 0).then(|| at + hits.trailing_zeros() as usize)
        }
        None => s[at..].iter().position(|&c| c == a || c == b).map(|i| at + i),
    }
}

/// Whether `a` and `b` hold the same bytes.
///
/// Sixteen bytes at a time, with the last block read from the end so
/// that the rest needs no byte-by-byte loop. WebAssembly has
/// no `memcmp` of its own: the one it gets compares byte by byte, and
/// record heads and interned values are compared on most lines.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    // The 16, 8 or 4 bytes of `s` from `at` on, as one number.
    fn w16(s: &[u8], at: usize) -> u128 {
        u128::from_ne_bytes(*s[at..].first_chunk().expect("16 bytes"))
    }
    fn w8(s: &[u8], at: usize) -> u64 {
        u64::from_ne_bytes(*s[at..].first_chunk().expect("8 bytes"))
    }
    fn w4(s: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes(*s[at..].first_chunk().expect("4 bytes"))
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 16 {
        let mut at = 0;
        while at + 16 < n {
            if w16(a, at) != w16(b, at) {
                return false;
            }
            at += 16;
        }
        w16(a, n - 16) == w16(b, n - 16)
    } else if n >= 8 {
        w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8)
    } else if n >= 4 {
        w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

/// The offset of the first `b` in `s` at or after `from`.
fn find_byte(s: &[u8], from: usize, b: u8) -> Option<usize> {
    find_either(s, from, b, b)
}

/// Scans a `<…>` or `[…]` value.
///
/// The value ends at a closing delimiter that is followed by the end of the
/// list or by ` key=`. Among such candidates the first one where nesting
/// is balanced wins; when none balances (the text holds a stray `<` or
/// `>`), the first candidate wins, so one odd reply text cannot swallow
/// the `rtime`, `dtime` and `mtime` after it.
fn scan_delimited(s: &[u8], start: usize, open: u8, close: u8) -> Scanned<'_> {
    debug_assert_eq!(s.get(start), Some(&open));
    // The value opens at `start`: the search begins inside it.
    let mut depth = 1i32;
    let mut first_candidate = None;
    let mut at = start + 1;
    // Only the delimiters change the nesting, so jump from one to the next.
    while let Some(i) = find_either(s, at, open, close) {
        at = i + 1;
        if s[i] == open {
            depth += 1;
            continue;
        }
        depth -= 1;
        if let Some(next_key) = value_end_at(&s[i + 1..]) {
            if depth == 0 {
                return (&s[start + 1..i], i + 1, next_key);
            }
            first_candidate.get_or_insert((i, next_key));
        }
    }
    match first_candidate {
        Some((i, next_key)) => (&s[start + 1..i], i + 1, next_key),
        // No closing delimiter at all: the value runs to the next key.
        None => {
            let next = next_key_start(s, start);
            let end = next.map_or(s.len(), |(space, _)| space);
            (&s[start + 1..end], end, next.map(|(_, klen)| klen))
        }
    }
}

/// Whether `after`, the text after a closing delimiter, ends the value:
/// `Some(None)` at the end of the list (maybe with trailing spaces),
/// `Some(Some(n))` before a space and a key of length `n`.
fn value_end_at(after: &[u8]) -> Option<Option<usize>> {
    match after.split_first() {
        None => Some(None),
        Some((&b' ', rest)) => match key_len_at(rest) {
            Some(n) => Some(Some(n)),
            None => rest.iter().all(|&b| b == b' ').then_some(None),
        },
        Some(_) => None,
    }
}

/// The keys a reader takes from one kind of record, and the order in
/// which NPE writes that record's keys.
///
/// NPE writes the keys of each record kind in one fixed order, so a
/// reader that expects that order can check each key against the one
/// it expects instead of reading it byte by byte and looking it up:
/// [`KeyPlan::pick`] walks the usual order and falls back to the general
/// [`Fields`] scan at the first surprise, giving the same values either
/// way.
pub struct KeyPlan<const N: usize, const M: usize> {
    /// The keys the reader wants, in the order of its result.
    wanted: [&'static [u8]; N],
    /// The keys in the order NPE writes them, wanted or not.
    usual: [&'static [u8]; M],
    /// For each key of `usual`, its place in `wanted`, or [`NOT_WANTED`].
    slots: [u8; M],
    /// Each key of `usual` with its `=`, to compare sixteen bytes at once.
    heads: [KeyHead; M],
}

/// A key and its `=` as the low bytes of a 128-bit word: a list's next
/// sixteen bytes hold that key exactly when they equal the word in the
/// bytes the mask keeps. One compare of two words instead of a call to
/// compare slices of a length known only at run time.
#[derive(Clone, Copy)]
struct KeyHead {
    word: u128,
    mask: u128,
}

impl KeyHead {
    /// The head of `key`, which with its `=` must fit in sixteen bytes.
    const fn new(key: &[u8]) -> KeyHead {
        assert!(key.len() < 16, "a key longer than fifteen bytes");
        let mut word = (b'=' as u128) << (8 * key.len());
        let mut i = 0;
        while i < key.len() {
            word |= (key[i] as u128) << (8 * i);
            i += 1;
        }
        let mask = u128::MAX >> (8 * (15 - key.len()));
        KeyHead { word, mask }
    }

    /// Whether `rest` starts with this key and its `=`; `key` is the key
    /// the head was made from, for lists that end within sixteen bytes.
    fn starts(&self, rest: &[u8], key: &[u8]) -> bool {
        match rest.first_chunk::<16>() {
            Some(bytes) => u128::from_le_bytes(*bytes) & self.mask == self.word,
            None => rest.starts_with(key) && rest.get(key.len()) == Some(&b'='),
        }
    }
}

/// A usual key that the reader does not take.
const NOT_WANTED: u8 = u8::MAX;

/// The values [`KeyPlan::pick`] found, in the order of the wanted keys:
/// `None` for a key the list lacks, `Some(b"")` for an empty value.
pub type Picked<'a, const N: usize> = [Option<&'a [u8]>; N];

impl<const N: usize, const M: usize> KeyPlan<N, M> {
    /// A plan for taking `wanted` out of lists usually written as `usual`.
    ///
    /// # Panics
    ///
    /// At compile time, where plans are made: when a key is not a valid
    /// key or appears twice in `usual`.
    pub const fn new(
        wanted: [&'static [u8]; N],
        usual: [&'static [u8]; M],
    ) -> Self {
        assert!(N < NOT_WANTED as usize);
        let mut slots = [NOT_WANTED; M];
        let mut heads = [KeyHead { word: 0, mask: 0 }; M];
        let mut i = 0;
        while i < M {
            assert!(is_plain_key(usual[i]), "not a key");
            heads[i] = KeyHead::new(usual[i]);
            let mut j = 0;
            while j < i {
                assert!(!equal_in_const(usual[i], usual[j]), "a key twice");
                j += 1;
            }
            let mut w = 0;
            while w < N {
                if equal_in_const(usual[i], wanted[w]) {
                    slots[i] = w as u8;
                }
                w += 1;
            }
            i += 1;
        }
        KeyPlan { wanted, usual, slots, heads }
    }

    /// The values of the wanted keys in `list`, as a loop over [`Fields`]
    /// keeping the last value of each wanted key would find them.
    pub fn pick<'a>(&self, list: &'a [u8]) -> Picked<'a, N> {
        self.pick_usual(list).unwrap_or_else(|| self.pick_any(list))
    }

    /// Reads `list` in the usual order of keys; `None` as soon as it
    /// holds anything else. The list may end after any of the usual
    /// keys.
    fn pick_usual<'a>(&self, list: &'a [u8]) -> Option<Picked<'a, N>> {
        let mut picked = [None; N];
        let mut at = 0;
        for (i, key) in self.usual.iter().enumerate() {
            let rest = &list[at..];
            if !self.heads[i].starts(rest, key) {
                return None;
            }
            let start = at + key.len() + 1;
            let (value, end, more) = match list.get(start) {
                Some(&open @ (b'<' | b'[')) => self
                    .closed_before_next(i, list, start, open)
                    .unwrap_or_else(|| {
                        let (value, end, next_key) = scan_value(list, start);
                        (value, end, next_key.is_some())
                    }),
                // A bare value ends at the first space when the expected
                // key follows it; it is then exactly the ` key=` that
                // the general scan stops at.
                _ => match find_byte(list, start, b' ') {
                    Some(space) => (&list[start..space], space, true),
                    None => (&list[start..], list.len(), false),
                },
            };
            if let Some(slot) = picked.get_mut(usize::from(self.slots[i])) {
                *slot = Some(value);
            }
            if !more {
                return Some(picked);
            }
            at = end + 1;
        }
        // More keys than the usual order has.
        None
    }

    /// The `<…>` or `[…]` value of usual key `i`, opening at `start`,
    /// when its first delimiter after the opening one closes it and the
    /// next usual key follows after one space: the common case, and
    /// then exactly the value [`scan_delimited`] finds, without its
    /// search for nesting or its byte-by-byte reading of the next key.
    /// `None` sends the value to the general scan.
    fn closed_before_next<'a>(
        &self,
        i: usize,
        list: &'a [u8],
        start: usize,
        open: u8,
    ) -> Option<(&'a [u8], usize, bool)> {
        let next = *self.usual.get(i + 1)?;
        let close = if open == b'<' { b'>' } else { b']' };
        let at = find_either(list, start + 1, open, close)?;
        let rest = list[at + 1..].strip_prefix(b" ")?;
        (list[at] == close && self.heads[i + 1].starts(rest, next))
            .then(|| (&list[start + 1..at], at + 1, true))
    }

    /// Reads `list` in any order of keys.
    fn pick_any<'a>(&self, list: &'a [u8]) -> Picked<'a, N> {
        let mut picked = [None; N];
        for Field { key, value } in Fields::new(list) {
            if let Some(w) = self.wanted.iter().position(|&k| k == key) {
                picked[w] = Some(value);
            }
        }
        picked
    }
}

/// Whether `key` is a key as [`key_len_at`] reads one.
const fn is_plain_key(key: &[u8]) -> bool {
    if key.is_empty() || !key[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 0;
    while i < key.len() {
        if !KEY_BYTES[key[i] as usize] {
            return false;
        }
        i += 1;
    }
    true
}

/// [`same_bytes`] for the plans built at compile time.
const fn equal_in_const(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &str) -> Vec<(String, String)> {
        Fields::new(list.as_bytes())
            .map(|f| {
                let k = String::from_utf8_lossy(f.key).into_owned();
                let v = String::from_utf8_lossy(f.value).into_owned();
                (k, v)
            })
            .collect()
    }

    fn value(list: &str, key: &str) -> String {
        pairs(list)
            .into_iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key} in {list}"))
            .1
    }

    #[test]
    fn operational_stamp_with_negative_offset() {
        let t =
            parse_operational_stamp(b"12/Jun/12:08:32:31:506-0500").unwrap();
        // 2012-06-12T13:32:31.506Z
        let want = days_from_civil(2012, 6, 12) * 86_400_000
            + (13 * 3600 + 32 * 60 + 31) * 1000
            + 506;
        assert_eq!(t, want);
    }

    #[test]
    fn remembered_minute_reads_as_a_fresh_stamp() {
        let mut cache = DayCache::default();
        for stamp in [
            "12/Jun/12:08:32:31:506-0500",
            "12/Jun/12:08:32:59:999-0500",
            "12/Jun/12:08:32:60:000-0500",
            "12/Jun/12:08:32:61:000-0500",
            "12/Jun/12:08:32:3x:000-0500",
            "12/Jun/12:08:32:31;506-0500",
            "12/Jun/12:08:32:31:5o6-0500",
            "12/Jun/12:08:32:31:506+0500",
            "12/Jun/12:08:32:31:506+0530",
            "12/Jun/12:08:33:00:000+0530",
            "12/Jun/12:24:33:00:000+0530",
            "12/Jun/12:08:60:00:000+0530",
            "13/Jun/12:08:33:00:000+0530",
            "12/Jun/12:08:32:31:506 0500",
            "12/Jun/12:08:32:31:506-0500",
            concat!("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "31:506\0\0\0\0\0"),
        ] {
            let fresh = parse_operational_stamp(stamp.as_bytes());
            let cached =
                parse_operational_stamp_with(stamp.as_bytes(), &mut cache);
            assert_eq!(cached, fresh, "{stamp}");
        }
    }

    #[test]
    fn operational_stamp_rejects_damage() {
        assert!(
            parse_operational_stamp(b"12/Jux/12:08:32:31:506-0500").is_none()
        );
        assert!(
            parse_operational_stamp(b"12/Jun/12:08:32:31:506 0500").is_none()
        );
        assert!(parse_operational_stamp(b"12/Jun/12:08:32").is_none());
    }

    #[test]
    fn detector_stamp_twelve_hour_clock() {
        let (t, rest) =
            parse_detector_stamp(b"Mar 14, 2022 4:32:14 PM com.x.Y logZ")
                .unwrap();
        assert_eq!((t.year, t.month, t.day), (2022, 3, 14));
        assert_eq!((t.hour, t.minute, t.second), (16, 32, 14));
        assert_eq!(rest, b"com.x.Y logZ");
        let (t, _) =
            parse_detector_stamp(b"May 1, 2012 12:04:51 AM a b").unwrap();
        assert_eq!((t.day, t.hour), (1, 0));
        let (t, _) =
            parse_detector_stamp(b"May 28, 2012 12:34:51 PM a b").unwrap();
        assert_eq!(t.hour, 12);
    }

    #[test]
    fn detector_stamp_is_not_message_text() {
        assert!(parse_detector_stamp(b"Message complete (tid=1)").is_none());
        assert!(parse_detector_stamp(b"May 28 2012").is_none());
    }

    #[test]
    fn numbers_as_npe_writes_them() {
        assert_eq!(parse_number(b"1,771,844,125.02s"), Some(1_771_844_125.02));
        assert_eq!(parse_number(b"0.50s"), Some(0.5));
        assert_eq!(parse_number(b"2s"), Some(2.0));
        assert_eq!(parse_number(b".3s"), Some(0.3));
        assert_eq!(parse_number(b"-0s"), Some(-0.0));
        assert_eq!(parse_number(b"-1.5s"), Some(-1.5));
        assert_eq!(parse_number(b""), None);
        assert_eq!(parse_number(b"#####"), None);
        assert_eq!(parse_count(b"123,456"), Some(123_456));
        assert_eq!(parse_count(b"XXX"), None);
    }

    #[test]
    fn negative_zero_is_negative() {
        assert!(parse_number(b"-0s").unwrap().is_sign_negative());
    }

    #[test]
    fn angled_value_with_nesting_brackets_and_commas() {
        let list = "code=250 estatus=<2.6.0> text=<2.6.0 <a@b> \
                    [InternalId=1, Hostname=h] 1 bytes in 1.8, 9 KB/sec> \
                    rtime=1,771,844,125.02s dtime=2s mtime=-0s";
        assert_eq!(
            value(list, "text"),
            "2.6.0 <a@b> [InternalId=1, Hostname=h] 1 bytes in 1.8, 9 KB/sec"
        );
        assert_eq!(value(list, "estatus"), "2.6.0");
        assert_eq!(value(list, "rtime"), "1,771,844,125.02s");
        assert_eq!(value(list, "mtime"), "-0s");
    }

    #[test]
    fn angled_value_with_parentheses_and_dots() {
        let list = "text=<OK (a:250 2.0.0 queued,b:250 2.0.0...)> rtime=10.06s";
        assert_eq!(
            value(list, "text"),
            "OK (a:250 2.0.0 queued,b:250 2.0.0...)"
        );
        assert_eq!(value(list, "rtime"), "10.06s");
    }

    #[test]
    fn angled_value_with_stray_bracket_keeps_later_fields() {
        let list = "text=<5.3.4 size > limit> rtime=1s dtime=2s mtime=3s";
        assert_eq!(value(list, "text"), "5.3.4 size > limit");
        assert_eq!(value(list, "mtime"), "3s");
        let list = "text=<oops < here> rtime=1s mtime=3s";
        assert_eq!(value(list, "text"), "oops < here");
        assert_eq!(value(list, "mtime"), "3s");
    }

    #[test]
    fn empty_angled_value() {
        let list = "cid=<> reason=No available forward hosts";
        assert_eq!(value(list, "cid"), "");
        assert_eq!(value(list, "reason"), "No available forward hosts");
    }

    #[test]
    fn bracketed_and_bare_values() {
        let list = "tid=27 cid=875 mta=[mta] reason=null";
        assert_eq!(
            pairs(list),
            vec![
                ("tid".into(), "27".into()),
                ("cid".into(), "875".into()),
                ("mta".into(), "mta".into()),
                ("reason".into(), "null".into()),
            ]
        );
    }

    #[test]
    fn angled_reason_at_end_of_list() {
        let list = "mtime=<> reason=<Message not accepted by forwarder>";
        assert_eq!(value(list, "mtime"), "");
        assert_eq!(value(list, "reason"), "Message not accepted by forwarder");
    }

    #[test]
    fn junk_between_pairs_is_skipped() {
        let list = "tid=1 ### cid=2";
        assert_eq!(value(list, "cid"), "2");
    }

    #[test]
    fn field_list_is_found_after_text() {
        let (text, list) =
            split_field_list(b"Message complete (tid=27 text=<a (b)> x=1)");
        assert_eq!(text, b"Message complete");
        assert_eq!(list.unwrap(), b"tid=27 text=<a (b)> x=1");
        let (text, list) = split_field_list(b"Peer disconnected unexpectedly");
        assert_eq!(text, b"Peer disconnected unexpectedly");
        assert!(list.is_none());
        let (text, _) = split_field_list(b"Odd (not a list) text (tid=1)");
        assert_eq!(text, b"Odd (not a list) text");
    }

    #[test]
    fn block_search_finds_the_first_hit_anywhere() {
        // Every length across two blocks and a tail, every position of
        // the hit, and bytes that differ from the target in one bit or by
        // their high bit, which a sloppy mask would take for it.
        for len in 0..40 {
            for hit in 0..=len {
                let near = [b'!', b'\xA0', b'\x00', b'0', b'`'];
                let mut s: Vec<u8> = (0..len).map(|i| near[i % 5]).collect();
                if hit < len {
                    s[hit] = b' ';
                }
                for from in 0..=len {
                    let want = (hit < len && hit >= from).then_some(hit);
                    assert_eq!(find_byte(&s, from, b' '), want, "{s:?} {from}");
                }
            }
        }
        assert_eq!(find_byte(b"ab", 3, b' '), None);
        let s = b"0123456789<abcdefghij>klmnopqrstuvwxyz<";
        for from in 0..=s.len() {
            let want = s[from..]
                .iter()
                .position(|&c| c == b'<' || c == b'>')
                .map(|i| from + i);
            assert_eq!(find_either(s, from, b'<', b'>'), want, "{from}");
        }
    }

    /// `parse_number` as a plain loop over the digits, one state flag,
    /// to check the faster one against.
    fn number_by_state(s: &[u8]) -> Option<f64> {
        let (negative, digits) = signed_number(s)?;
        let (mut int, mut frac, mut scale) = (0u64, 0u64, 1u64);
        let (mut in_frac, mut any) = (false, false);
        for &b in digits {
            match b {
                b'0'..=b'9' if in_frac => {
                    if scale < 1_000_000_000_000 {
                        frac = frac * 10 + u64::from(b - b'0');
                        scale *= 10;
                    }
                    any = true;
                }
                b'0'..=b'9' => {
                    int = int
                        .checked_mul(10)?
                        .checked_add(u64::from(b - b'0'))?;
                    any = true;
                }
                b',' if !in_frac => {}
                b'.' if !in_frac => in_frac = true,
                _ => return None,
            }
        }
        let value = int as f64 + frac as f64 / scale as f64;
        any.then_some(if negative { -value } else { value })
    }

    #[test]
    fn numbers_read_as_a_character_loop_reads_them() {
        let alphabet = b"0123456789,.-+sx ";
        let mut rng = fastrand::Rng::with_seed(5);
        let mut fixed: Vec<Vec<u8>> = [
            "",
            "s",
            ".",
            "-",
            "+.",
            "1.",
            ".5",
            "0.84s",
            "1,234.5",
            "1.2.3",
            "1.2,3",
            ",",
            ",5",
            "-0",
            "12345678901234567890",
            "1e3",
            "0.1234567890123456",
            "9223372036854775808.5",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
        for _ in 0..200_000 {
            let len = rng.usize(0..26);
            fixed.push(
                (0..len)
                    .map(|_| alphabet[rng.usize(..alphabet.len())])
                    .collect(),
            );
        }
        for text in &fixed {
            let (got, want) = (parse_number(text), number_by_state(text));
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn numbers_up_to_the_limit_and_not_past_it() {
        let max = u64::MAX;
        assert_eq!(parse_count(max.to_string().as_bytes()), Some(max));
        assert_eq!(parse_count(b"18,446,744,073,709,551,615"), Some(max));
        for past in [
            "18446744073709551616",
            "18446744073709551620",
            "99999999999999999999",
        ] {
            assert_eq!(parse_count(past.as_bytes()), None, "{past}");
            assert_eq!(parse_number(past.as_bytes()), None, "{past}");
        }
        let edge = (max - 9) / 10;
        for d in 0..=9u64 {
            let text = format!("{edge}{d}");
            assert_eq!(parse_count(text.as_bytes()), Some(edge * 10 + d));
            let above = format!("{}{d}", edge + 1);
            let want =
                (edge + 1).checked_mul(10).and_then(|n| n.checked_add(d));
            assert_eq!(parse_count(above.as_bytes()), want, "{above}");
        }
        assert_eq!(parse_number(b"1,234.5s"), Some(1234.5));
    }

    #[test]
    fn same_bytes_tells_every_one_byte_difference() {
        // Every length across the 4-, 8- and 16-byte paths and two
        // blocks, with one byte changed at each position, by one bit.
        for len in 0..50 {
            let a: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "{len}");
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 1;
                assert!(!same_bytes(&a, &b), "{len} {at}");
            }
            if len > 0 {
                assert!(!same_bytes(&a, &a[..len - 1]), "{len}");
            }
        }
    }

    const PLAN: KeyPlan<4, 5> = KeyPlan::new(
        [b"mtime", b"text", b"tid", b"sender"],
        [b"tid", b"sender", b"code", b"text", b"mtime"],
    );

    const USUAL: &str = "tid=27 sender=<a@b> code=250 \
                         text=<2.6.0 <q@h> [Id=1, H=h] 9 KB/sec> mtime=1.5s";

    #[test]
    fn plan_reads_the_usual_order() {
        let picked = PLAN.pick(USUAL.as_bytes());
        assert_eq!(picked[0], Some(&b"1.5s"[..]));
        assert_eq!(picked[1], Some(&b"2.6.0 <q@h> [Id=1, H=h] 9 KB/sec"[..]));
        assert_eq!(picked[2], Some(&b"27"[..]));
        assert_eq!(picked[3], Some(&b"a@b"[..]));
        assert!(PLAN.pick_usual(USUAL.as_bytes()).is_some());
        // A list may stop after any usual key.
        let short: Picked<'_, 4> = [None, None, Some(b"1"), Some(b"")];
        assert_eq!(PLAN.pick(b"tid=1 sender=<>"), short);
        assert!(PLAN.pick_usual(b"tid=1 sender=<>").is_some());
    }

    #[test]
    fn key_heads_match_exactly_the_key_and_its_equals_sign() {
        for key in [&b"t"[..], b"tid", b"recipient_count", b"message_id"] {
            let head = KeyHead::new(key);
            let mut good = key.to_vec();
            good.push(b'=');
            for tail in [&b""[..], b"1", b"<a@b> next=1 and more than 16"] {
                let rest = [&good[..], tail].concat();
                assert!(head.starts(&rest, key));
                // Any one byte of the key or its `=` changed, or the
                // rest cut inside them, and it no longer matches.
                for i in 0..good.len() {
                    let mut bad = rest.clone();
                    bad[i] ^= 0x20;
                    assert!(!head.starts(&bad, key));
                    assert!(!head.starts(&rest[..i], key));
                }
            }
        }
    }

    #[test]
    fn plan_falls_back_on_any_other_order() {
        for list in [
            "sender=<a@b> tid=27 mtime=2s",
            "tid=27 extra=1 mtime=2s",
            "tid=27 sender=<a@b> code=250 text=<x> mtime=1s more=2",
            "tid=2 7 sender=<a@b>",
            "  tid=27 sender=<a@b>",
            "tid=27 sender=<a@b> text=<x> mtime=1s mtime=2s",
        ] {
            assert!(PLAN.pick_usual(list.as_bytes()).is_none(), "{list}");
            assert_eq!(
                PLAN.pick(list.as_bytes()),
                PLAN.pick_any(list.as_bytes())
            );
        }
    }

    #[test]
    fn delimited_values_read_as_the_general_scan_reads_them() {
        // The first `>` of `sender` followed by another key, by nothing,
        // by two spaces or by the expected key cut short; values with
        // nesting, balanced or not, whose first delimiter opens.
        for list in [
            "tid=1 sender=<a> b=1 c> code=250 text=<x> mtime=1s",
            "tid=1 sender=<a>code=250 text=<x> mtime=1s",
            "tid=1 sender=<a>  code=250 text=<x> mtime=1s",
            "tid=1 sender=<a<b>> code=250 text=<x> mtime=1s",
            "tid=1 sender=<a>> code=250 text=<x> mtime=1s",
            "tid=1 sender=<a < code=250 text=<x> mtime=1s",
            "tid=1 sender=<a <b> c> code=250 text=<x> mtime=1s",
            "tid=1 sender=<a <b> code=250 text=<x> mtime=1s",
            "tid=1 sender=<a <b> code=1> code=250 text=<x> mtime=1s",
            "tid=1 sender=<a> <b> code=250 text=<x> mtime=1s",
            "tid=1 sender=<a> code",
            "tid=1 sender=<a> cod=1",
            "tid=1 sender=<a> text=<x> mtime=1s",
            "tid=1 sender=<a> code=250 text=<x>",
            "tid=1 sender=<a> code=250 text=<x> mtime=<1s>",
        ] {
            assert_eq!(
                PLAN.pick(list.as_bytes()),
                PLAN.pick_any(list.as_bytes()),
                "{list}"
            );
        }
    }

    #[test]
    fn plan_agrees_with_the_general_scan_on_damaged_lists() {
        // Every cut of the usual list, and every byte replaced by one of
        // the bytes that steer the scan, read the same both ways.
        let usual = USUAL.as_bytes();
        let steering = [b' ', b'<', b'>', b'[', b']', b'=', b'x', b'_'];
        let mut lists: Vec<Vec<u8>> =
            (0..=usual.len()).map(|n| usual[..n].to_vec()).collect();
        for i in 0..usual.len() {
            for &b in &steering {
                let mut list = usual.to_vec();
                list[i] = b;
                lists.push(list);
            }
        }
        let fast = lists.iter().filter(|l| PLAN.pick_usual(l).is_some());
        // Most damage leaves the usual order in place, so both paths are
        // really compared, not only the fallback with itself.
        assert!(fast.count() > lists.len() / 2);
        for list in &lists {
            assert_eq!(
                PLAN.pick(list),
                PLAN.pick_any(list),
                "{}",
                String::from_utf8_lossy(list)
            );
        }
    }

    #[test]
    fn endpoints_and_domains() {
        assert_eq!(host_of(b"10.0.0.1:25"), b"10.0.0.1");
        assert_eq!(host_of(b"x.x.x.x"), b"x.x.x.x");
        assert_eq!(host_of(b"[::1]:25"), b"::1");
        assert_eq!(port_of(b"10.0.0.1:10025"), Some(10025));
        assert_eq!(port_of(b"X.X.X.X:X"), None);
        assert_eq!(
            domain_of(b"someone@example.com"),
            Some(&b"example.com"[..])
        );
        assert_eq!(domain_of(b""), None);
    }
}
