//! Record lists: the messages and connections an analysis keeps.
//!
//! A log of a million messages keeps a million records. In one `Vec`,
//! every doubling copies them into a block twice as large while the old
//! block still exists, and WebAssembly memory, once grown, never shrinks:
//! the page would keep room for one and a half times its records.
//! [`Segments`] stores them in blocks of [`SEGMENT_LEN`] instead, grows by
//! one block at a time and never moves the records it holds.
//!
//! A finished [`Dataset`](crate::Dataset) holds its lists as [`Records`]:
//! the segments, shared, and for a filtered part the *positions* of the
//! records it keeps. Filtering then costs four bytes per kept record
//! instead of a copy of each.

use std::ops::{Index, IndexMut};
use std::sync::Arc;

/// Records per block of a [`Segments`]: a few hundred KiB of messages,
/// small beside a large log and large enough that the list of blocks
/// stays short.
pub const SEGMENT_LEN: usize = 4096;

/// A growable list stored in blocks of [`SEGMENT_LEN`] records.
///
/// Every block but the last is full, so a record's position gives its
/// block and its place in it. The first block grows like a `Vec`, so a
/// small list stays small; later blocks take their full size at once.
#[derive(Clone, Debug, PartialEq)]
pub struct Segments<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Segments<T> {
    fn default() -> Segments<T> {
        Segments { blocks: Vec::new(), len: 0 }
    }
}

impl<T> Segments<T> {
    /// An empty list; it allocates nothing until the first push.
    pub fn new() -> Segments<T> {
        Segments::default()
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a record at the end.
    pub fn push(&mut self, record: T) {
        match self.blocks.last_mut() {
            Some(block) if block.len() < SEGMENT_LEN => block.push(record),
            Some(_) => {
                let mut block = Vec::with_capacity(SEGMENT_LEN);
                block.push(record);
                self.blocks.push(block);
            }
            None => self.blocks.push(vec![record]),
        }
        self.len += 1;
    }

    /// Moves every record of `other` to the end, in order. Each block of
    /// `other` is freed once emptied, so at most one block more than the
    /// records is held at any moment.
    pub fn append(&mut self, other: Segments<T>) {
        if self.is_empty() {
            *self = other;
        } else if self.len.is_multiple_of(SEGMENT_LEN) {
            self.len += other.len;
            self.blocks.extend(other.blocks);
        } else {
            for block in other.blocks {
                for record in block {
                    self.push(record);
                }
            }
        }
    }

    /// The record at `position`, if there is one.
    pub fn get(&self, position: usize) -> Option<&T> {
        self.blocks.get(position / SEGMENT_LEN)?.get(position % SEGMENT_LEN)
    }

    /// The record at `position`, to change it, if there is one.
    pub fn get_mut(&mut self, position: usize) -> Option<&mut T> {
        let block = self.blocks.get_mut(position / SEGMENT_LEN)?;
        block.get_mut(position % SEGMENT_LEN)
    }

    /// The records from `position` to the end of its block.
    ///
    /// # Panics
    ///
    /// Panics if `position` is out of range.
    fn block_from(&self, position: usize) -> &[T] {
        &self.blocks[position / SEGMENT_LEN][position % SEGMENT_LEN..]
    }

    /// The records in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + Clone + '_ {
        self.blocks.iter().flatten()
    }

    /// Whether the records are in the order of `key`.
    pub fn is_sorted_by_key<K: PartialOrd>(
        &self,
        mut key: impl FnMut(&T) -> K,
    ) -> bool {
        let mut previous = None;
        for record in self.iter() {
            let k = key(record);
            if previous.as_ref().is_some_and(|p| *p > k) {
                return false;
            }
            previous = Some(k);
        }
        true
    }

    /// Sorts the records by `key`, keeping equal records in their order.
    ///
    /// Sorts their positions, four bytes each, and then moves each
    /// record once into its place, instead of sorting into a copy.
    ///
    /// # Panics
    ///
    /// Panics with 2³² records or more.
    pub fn sort_by_key<K: Ord>(&mut self, mut key: impl FnMut(&T) -> K) {
        let n = u32::try_from(self.len).expect("fewer than 2^32 records");
        let mut order: Vec<u32> = (0..n).collect();
        order.sort_unstable_by(|&a, &b| {
            key(&self[a as usize]).cmp(&key(&self[b as usize])).then(a.cmp(&b))
        });
        self.permute(&mut order);
    }

    /// Moves the record at `order[i]` to position `i`, for every `i`,
    /// following each cycle of the permutation; `order` is used up.
    fn permute(&mut self, order: &mut [u32]) {
        for start in 0..order.len() {
            let mut here = start;
            loop {
                let from = order[here] as usize;
                // Marks the position done.
                order[here] = here as u32;
                if from == start {
                    break;
                }
                self.swap(here, from);
                here = from;
            }
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        let (a, b) = (a.min(b), a.max(b));
        let (block_a, block_b) = (a / SEGMENT_LEN, b / SEGMENT_LEN);
        if block_a == block_b {
            self.blocks[block_a].swap(a % SEGMENT_LEN, b % SEGMENT_LEN);
        } else {
            let (low, high) = self.blocks.split_at_mut(block_b);
            std::mem::swap(
                &mut low[block_a][a % SEGMENT_LEN],
                &mut high[0][b % SEGMENT_LEN],
            );
        }
    }
}

impl<T> Index<usize> for Segments<T> {
    type Output = T;

    fn index(&self, position: usize) -> &T {
        &self.blocks[position / SEGMENT_LEN][position % SEGMENT_LEN]
    }
}

impl<T> IndexMut<usize> for Segments<T> {
    fn index_mut(&mut self, position: usize) -> &mut T {
        &mut self.blocks[position / SEGMENT_LEN][position % SEGMENT_LEN]
    }
}

impl<T> IntoIterator for Segments<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    /// The records in order, taken out of their blocks.
    fn into_iter(self) -> Self::IntoIter {
        self.blocks.into_iter().flatten()
    }
}

impl<T> FromIterator<T> for Segments<T> {
    fn from_iter<I: IntoIterator<Item = T>>(records: I) -> Segments<T> {
        let mut all = Segments::new();
        for record in records {
            all.push(record);
        }
        all
    }
}

/// The records of a finished dataset, or of the part of one that a
/// filter keeps. Read-only; the full list is shared, not copied.
#[derive(Debug)]
pub struct Records<T> {
    all: Arc<Segments<T>>,
    /// Positions in `all` of the records kept, in order; `None` keeps
    /// them all.
    kept: Option<Vec<u32>>,
}

impl<T> Default for Records<T> {
    fn default() -> Records<T> {
        Records::from(Segments::new())
    }
}

impl<T> From<Segments<T>> for Records<T> {
    fn from(all: Segments<T>) -> Records<T> {
        Records { all: Arc::new(all), kept: None }
    }
}

impl<T> Records<T> {
    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.kept.as_ref().map_or(self.all.len(), Vec::len)
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&T> {
        match &self.kept {
            None => self.all.get(index),
            Some(kept) => self.all.get(*kept.get(index)? as usize),
        }
    }

    /// The first record, if any.
    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// How many records lead for which `pred` holds, when it holds for
    /// a leading run of them and for none after: a binary search, as on
    /// a slice.
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if pred(&self[middle]) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// The records in order.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { records: self, front: 0, back: self.len(), run: [].iter() }
    }

    /// The records at `indices` (increasing, each below
    /// [`Records::len`]), sharing the full list; all of them when
    /// `indices` names every record.
    ///
    /// # Panics
    ///
    /// Panics if an index is out of range.
    pub fn select(
        &self,
        indices: impl IntoIterator<Item = usize>,
    ) -> Records<T> {
        let to_all = |i: usize| match &self.kept {
            None => {
                assert!(i < self.all.len(), "index {i} out of range");
                u32::try_from(i).expect("fewer than 2^32 records")
            }
            Some(kept) => kept[i],
        };
        let kept: Vec<u32> = indices.into_iter().map(to_all).collect();
        let every = kept.len() == self.len();
        Records {
            all: Arc::clone(&self.all),
            kept: if every { self.kept.clone() } else { Some(kept) },
        }
    }
}

impl<T> Index<usize> for Records<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match &self.kept {
            None => &self.all[index],
            Some(kept) => &self.all[kept[index] as usize],
        }
    }
}

impl<'a, T> IntoIterator for &'a Records<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The records of a [`Records`] in order, from either end.
#[derive(Debug)]
pub struct Iter<'a, T> {
    records: &'a Records<T>,
    /// The next index from the front.
    front: usize,
    /// One past the next index from the back.
    back: usize,
    /// When all records are kept, the rest of the block `front` is in:
    /// the report walks every record a dozen times, and a slice's own
    /// iterator costs far less per record than finding each by index.
    /// It may reach past `back`; `front` says when to stop.
    run: std::slice::Iter<'a, T>,
}

impl<T> Clone for Iter<'_, T> {
    fn clone(&self) -> Self {
        Iter {
            records: self.records,
            front: self.front,
            back: self.back,
            run: self.run.clone(),
        }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if self.front == self.back {
            return None;
        }
        self.front += 1;
        if self.records.kept.is_some() {
            return Some(&self.records[self.front - 1]);
        }
        if let Some(record) = self.run.next() {
            return Some(record);
        }
        self.run = self.records.all.block_from(self.front - 1).iter();
        self.run.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.back - self.front;
        (left, Some(left))
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        Some(&self.records[self.back])
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<T> FromIterator<T> for Records<T> {
    fn from_iter<I: IntoIterator<Item = T>>(records: I) -> Records<T> {
        Records::from(records.into_iter().collect::<Segments<T>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Enough records for three full blocks and part of a fourth.
    const MANY: usize = 3 * SEGMENT_LEN + 17;

    fn numbers(n: usize) -> Segments<usize> {
        (0..n).collect()
    }

    #[test]
    fn an_empty_list_has_nothing_to_give() {
        let empty: Segments<u8> = Segments::new();
        assert!(empty.is_empty());
        assert_eq!(empty.get(0), None);
        assert_eq!(empty.iter().count(), 0);
        assert!(empty.is_sorted_by_key(|&b| b));
        let records = Records::from(empty);
        assert_eq!((records.len(), records.first()), (0, None));
        assert_eq!(records.select([]).len(), 0);
    }

    #[test]
    fn records_keep_their_order_across_blocks() {
        let all = numbers(MANY);
        assert_eq!(all.len(), MANY);
        assert!(all.iter().copied().eq(0..MANY));
        assert!(all.iter().rev().copied().eq((0..MANY).rev()));
        for i in [0, SEGMENT_LEN - 1, SEGMENT_LEN, MANY - 1] {
            assert_eq!((all[i], all.get(i)), (i, Some(&i)));
        }
        assert_eq!(all.get(MANY), None);
    }

    #[test]
    fn blocks_after_the_first_are_allocated_whole() {
        let all = numbers(SEGMENT_LEN + 1);
        assert_eq!(all.blocks.len(), 2);
        assert_eq!(all.blocks[1].capacity(), SEGMENT_LEN);
    }

    #[test]
    #[should_panic]
    fn indexing_past_the_end_panics() {
        let all = numbers(SEGMENT_LEN + 1);
        let _ = all[SEGMENT_LEN + 1];
    }

    #[test]
    fn records_can_be_changed_in_place() {
        let mut all = numbers(MANY);
        all[SEGMENT_LEN] = 7;
        *all.get_mut(MANY - 1).unwrap() = 8;
        assert_eq!((all[SEGMENT_LEN], all[MANY - 1]), (7, 8));
        assert_eq!(all.get_mut(MANY), None);
    }

    #[test]
    fn appending_keeps_both_in_order() {
        // Into nothing, onto a full block, and onto a partial one.
        for first in [0, SEGMENT_LEN, SEGMENT_LEN + 5] {
            let mut all = numbers(first);
            all.append((first..MANY).collect());
            assert_eq!(all.len(), MANY, "first {first}");
            assert!(all.iter().copied().eq(0..MANY), "first {first}");
            all.push(MANY);
            assert_eq!(all[MANY], MANY);
        }
    }

    #[test]
    fn sorting_is_stable_across_blocks() {
        // Descending keys with ties, tagged with their original position.
        let mut all: Segments<(usize, usize)> =
            (0..MANY).map(|i| ((MANY - i) / 3, i)).collect();
        assert!(!all.is_sorted_by_key(|r| r.0));
        all.sort_by_key(|r| r.0);
        assert!(all.is_sorted_by_key(|r| r.0));
        assert!(all.is_sorted_by_key(|r| *r), "ties keep their order");
        assert_eq!(all.len(), MANY);
    }

    #[test]
    fn sorting_follows_every_cycle_of_the_order() {
        // Rotated by one block: one cycle through every block.
        let mut all: Segments<usize> =
            (0..MANY).map(|i| (i + SEGMENT_LEN) % MANY).collect();
        all.sort_by_key(|&i| i);
        assert!(all.iter().copied().eq(0..MANY));
        let mut reversed: Segments<usize> = (0..MANY).rev().collect();
        reversed.sort_by_key(|&i| i);
        assert!(reversed.iter().copied().eq(0..MANY));
    }

    #[test]
    fn records_iterate_from_both_ends_across_blocks() {
        let all = Records::from(numbers(MANY));
        assert!(all.iter().copied().eq(0..MANY));
        assert_eq!(all.iter().len(), MANY);
        // Taking from both ends meets in the middle of a block, and a
        // clone goes on from where it was made.
        let mut it = all.iter();
        let mut front = Vec::new();
        let mut back = Vec::new();
        for step in 0.. {
            let got = if step % 3 == 0 { it.next_back() } else { it.next() };
            let Some(&n) = got else { break };
            if step % 3 == 0 {
                back.push(n)
            } else {
                front.push(n)
            }
            if step == SEGMENT_LEN + 1 {
                let rest: Vec<usize> = it.clone().copied().collect();
                assert_eq!(rest.len(), it.len());
                assert_eq!(rest.first(), Some(&(front.last().unwrap() + 1)));
            }
        }
        back.reverse();
        front.extend(back);
        assert!(front.into_iter().eq(0..MANY));
        // A selection goes through its positions.
        let odd = all.select((0..MANY).filter(|i| i % 2 == 1));
        assert!(odd.iter().copied().eq((0..MANY).filter(|i| i % 2 == 1)));
    }

    #[test]
    fn a_selection_shares_the_records_it_keeps() {
        let all = Records::from(numbers(MANY));
        let odd = all.select((0..MANY).filter(|i| i % 2 == 1));
        assert_eq!(odd.len(), MANY / 2);
        assert_eq!(
            (odd[0], odd.first(), odd.get(MANY / 2)),
            (1, Some(&1), None)
        );
        assert!(odd.iter().copied().eq((1..MANY).step_by(2)));
        assert!(odd.iter().rev().copied().eq((1..MANY).step_by(2).rev()));
        assert!(Arc::ptr_eq(&all.all, &odd.all));

        // A selection of a selection names the full list's records.
        let some = odd.select([0, 2, SEGMENT_LEN]);
        assert!(some.iter().copied().eq([1, 5, 2 * SEGMENT_LEN + 1]));
    }

    #[test]
    fn selecting_everything_keeps_no_positions() {
        let all = Records::from(numbers(MANY));
        let every = all.select(0..MANY);
        assert_eq!(every.kept, None);
        assert_eq!(every.len(), MANY);
    }

    #[test]
    #[should_panic]
    fn selecting_past_the_end_panics() {
        let all = Records::from(numbers(3));
        let _ = all.select([3]);
    }
}
