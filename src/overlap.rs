//! Records shared by overlapping copies of one log.
//!
//! Log bundles often hold the same log twice without the two files being
//! equal: `SmtpPrevent_Operational0.log` copied on Monday, and the same
//! file copied on Tuesday after more lines were written (or after it was
//! rotated to `…1.log`). Each copy is a contiguous stretch of one stream
//! of records, so where their times overlap they hold the same lines.
//!
//! Every file therefore keeps, per second of record time, a signature of
//! its records: how many, the wrapping sum of their hashes, and the hash
//! of the first and the last one in file order. The records of its
//! earliest and latest second are also kept one by one, since a copy is
//! usually cut in the middle of a second. A later file's records that
//! fall in an earlier file's time span are held back one second at a
//! time and compared with that signature ([`Seconds::repeated`]); those
//! found in the earlier file are counted as repeats and not tallied
//! again. Memory follows the seconds a log spans, not its size: a day is
//! 86,400 signatures at most.
//!
//! Two files from two servers overlap in time but share no lines, so
//! nothing of them is dropped: a second's records are repeats only when
//! their hashes say so.

use crate::parse::fields::Millis;
use rustc_hash::FxHashMap;

/// The key of one record: the hash of its line and its time, which for
/// a detector record comes from the header line before it.
pub fn record_key(line_hash: u64, time: Millis) -> u64 {
    fold(line_hash, time as u64)
}

/// Folds a value into a running hash; the order of the values matters.
pub fn fold(hash: u64, value: u64) -> u64 {
    (hash.rotate_left(23) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The second a record time falls in.
pub fn second_of(time: Millis) -> i64 {
    time.div_euclid(1000)
}

/// What one second of a file held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Signature {
    count: u32,
    sum: u64,
    first: u64,
    last: u64,
}

impl Signature {
    fn of(hash: u64) -> Signature {
        Signature { count: 1, sum: hash, first: hash, last: hash }
    }

    fn add(&mut self, hash: u64) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(hash);
        self.last = hash;
    }
}

/// The record hashes of one second, one by one.
#[derive(Clone, Debug, Default)]
struct Edge {
    second: i64,
    hashes: Vec<u64>,
}

impl Edge {
    /// Keeps `hash` if `second` is this edge's second, or starts the edge
    /// again at `second` when `replace` says it is further out.
    fn offer(&mut self, second: i64, hash: u64, replace: bool) {
        if replace {
            self.second = second;
            self.hashes.clear();
        }
        if second == self.second {
            self.hashes.push(hash);
        }
    }
}

/// The per-second signatures of one file's records.
#[derive(Clone, Debug, Default)]
pub struct Seconds {
    signatures: FxHashMap<i64, Signature>,
    /// The second being added to, kept out of the map until the records
    /// move on: a log writes many records per second, in time order.
    current: Option<(i64, Signature)>,
    earliest: Option<Edge>,
    latest: Option<Edge>,
}

impl Seconds {
    /// Adds a record of the file, in file order.
    pub fn add(&mut self, time: Millis, hash: u64) {
        let second = second_of(time);
        match &mut self.current {
            Some((s, sig)) if *s == second => sig.add(hash),
            current => {
                if let Some((s, sig)) = current.take() {
                    self.signatures.insert(s, sig);
                }
                let sig = match self.signatures.remove(&second) {
                    Some(mut sig) => {
                        sig.add(hash);
                        sig
                    }
                    None => Signature::of(hash),
                };
                *current = Some((second, sig));
            }
        }
        let earliest = self
            .earliest
            .get_or_insert_with(|| Edge { second, hashes: Vec::new() });
        earliest.offer(second, hash, second < earliest.second);
        let latest = self
            .latest
            .get_or_insert_with(|| Edge { second, hashes: Vec::new() });
        latest.offer(second, hash, second > latest.second);
    }

    /// Whether `second` lies within the file's span of record times.
    pub fn spans(&self, second: i64) -> bool {
        match (&self.earliest, &self.latest) {
            (Some(e), Some(l)) => e.second <= second && second <= l.second,
            _ => false,
        }
    }

    fn signature(&self, second: i64) -> Option<Signature> {
        match self.current {
            Some((s, sig)) if s == second => Some(sig),
            _ => self.signatures.get(&second).copied(),
        }
    }

    /// Marks in `repeated` which of `hashes` (a later file's records of
    /// `second`, in file order) this file holds too; returns how many.
    ///
    /// At this file's first and last second the records are matched one
    /// by one. Inside its span a second either matches whole (same count
    /// and sum), or is the start or the end of the later copy and then
    /// holds fewer records, of which the first or the last must be this
    /// file's first or last of that second.
    pub fn repeated(
        &self,
        second: i64,
        hashes: &[u64],
        repeated: &mut [bool],
    ) -> usize {
        let Some(sig) = self.signature(second) else { return 0 };
        let edge = [&self.earliest, &self.latest]
            .into_iter()
            .flatten()
            .find(|e| e.second == second);
        if let Some(edge) = edge {
            let mut left = edge.hashes.clone();
            let mut found = 0;
            for (h, r) in hashes.iter().zip(repeated.iter_mut()) {
                if let Some(i) = left.iter().position(|x| x == h) {
                    left.swap_remove(i);
                    *r = true;
                    found += 1;
                }
            }
            return found;
        }
        let n = hashes.len();
        let sum = hashes.iter().fold(0u64, |s, h| s.wrapping_add(*h));
        let whole = n == sig.count as usize && sum == sig.sum;
        let part = n < sig.count as usize
            && (hashes.first() == Some(&sig.first)
                || hashes.last() == Some(&sig.last));
        if whole || part {
            repeated.iter_mut().for_each(|r| *r = true);
            n
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(records: &[(Millis, u64)]) -> Seconds {
        let mut s = Seconds::default();
        for &(t, h) in records {
            s.add(t, h);
        }
        s
    }

    fn check(s: &Seconds, second: i64, hashes: &[u64]) -> Vec<bool> {
        let mut out = vec![false; hashes.len()];
        let n = s.repeated(second, hashes, &mut out);
        assert_eq!(n, out.iter().filter(|r| **r).count());
        out
    }

    #[test]
    fn a_whole_inner_second_matches_by_count_and_sum() {
        let s = seconds(&[
            (1_000, 1),
            (2_100, 20),
            (2_200, 21),
            (2_300, 22),
            (3_000, 3),
        ]);
        assert_eq!(check(&s, 2, &[20, 21, 22]), [true; 3]);
        assert_eq!(check(&s, 2, &[20, 21, 99]), [false; 3]);
        assert_eq!(check(&s, 2, &[20, 21, 22, 23]), [false; 4]);
    }

    #[test]
    fn a_copy_cut_inside_a_second_matches_by_its_end_record() {
        let s = seconds(&[(1_000, 1), (2_100, 20), (2_200, 21), (3_000, 3)]);
        // The later copy ends after the first record of second 2, or
        // starts with its last record.
        assert_eq!(check(&s, 2, &[20]), [true]);
        assert_eq!(check(&s, 2, &[21]), [true]);
        assert_eq!(check(&s, 2, &[77]), [false]);
    }

    #[test]
    fn edge_seconds_match_record_by_record() {
        let s = seconds(&[(1_000, 10), (1_500, 11), (2_000, 2), (3_100, 30)]);
        assert_eq!(check(&s, 1, &[9, 10, 11]), [false, true, true]);
        assert_eq!(check(&s, 3, &[30, 31]), [true, false]);
        // A record written twice counts as a repeat once.
        assert_eq!(check(&s, 3, &[30, 30]), [true, false]);
    }

    #[test]
    fn seconds_outside_the_span_or_without_records_match_nothing() {
        let s = seconds(&[(1_000, 10), (5_000, 50)]);
        assert!(s.spans(3) && !s.spans(6) && !s.spans(0));
        assert_eq!(check(&s, 3, &[1]), [false]);
        assert_eq!(check(&s, 9, &[50]), [false]);
        assert!(!Seconds::default().spans(0));
    }

    #[test]
    fn records_out_of_time_order_still_sign_their_second() {
        let s = seconds(&[
            (1_000, 1),
            (4_000, 40),
            (2_000, 20),
            (4_500, 41),
            (5_000, 5),
        ]);
        assert_eq!(check(&s, 4, &[40, 41]), [true, true]);
        assert_eq!(check(&s, 2, &[20]), [true]);
    }
}
