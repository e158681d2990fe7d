//! Interned strings: hosts, domains, reply texts and other values that
//! repeat across many messages are stored once and referred to by a
//! [`Sym`].

use crate::message::RecentUuids;
use crate::parse::fields::same_bytes;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// A handle to an interned string; [`Sym::NONE`] stands for "absent".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

impl Sym {
    /// The absent value.
    pub const NONE: Sym = Sym(0);

    /// Whether this is [`Sym::NONE`].
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// Whether a value is present.
    pub fn is_some(self) -> bool {
        self.0 != 0
    }

    /// The handle's place in its table, below [`Symbols::len`] + 1: for
    /// tallies kept in a vector rather than a map.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The table of interned strings of one analysis.
#[derive(Clone, Debug)]
pub struct Symbols {
    strings: Vec<Box<str>>,
    /// The bytes each string was interned from, by handle.
    raw: Vec<Box<[u8]>>,
    /// Every handle but [`Sym::NONE`], found by the hash of its bytes. A
    /// table rather than a map so that keys are compared with
    /// [`same_bytes`]: most values looked up are already here, and the
    /// byte-by-byte `memcmp` WebAssembly gets made the comparison a cost
    /// of its own.
    index: HashTable<Sym>,
    /// The two handles last found for values of each [`recent_slot`],
    /// the latest first: the statuses, dispositions and hosts of
    /// consecutive records repeat, and a comparison or two with the
    /// values found lately finds most of them without hashing. Two,
    /// because values often take turns in one slot: `2.0.0` and `2.6.0`,
    /// or `mail1.example.com` and `mail2.example.com`.
    recent: [[Sym; 2]; RECENT],
    /// The UUIDs of connection ids read lately: like the strings, values
    /// that come back, answered without reading them again.
    pub(crate) uuids: RecentUuids,
}

/// Values remembered by [`Symbols::recent`].
const RECENT: usize = 64;

/// Where in [`Symbols::recent`] a value is remembered: a mix of its
/// length and its first and last bytes, cheaper than a hash.
fn recent_slot(bytes: &[u8]) -> usize {
    let (first, last) = (bytes[0], bytes[bytes.len() - 1]);
    let mixed = bytes.len() ^ usize::from(first) << 2 ^ usize::from(last) << 4;
    mixed % RECENT
}

impl Default for Symbols {
    fn default() -> Symbols {
        Symbols::new()
    }
}

impl Symbols {
    /// An empty table; [`Sym::NONE`] resolves to the empty string.
    pub fn new() -> Symbols {
        Symbols {
            strings: vec!["".into()],
            raw: vec![Box::default()],
            index: HashTable::new(),
            recent: [[Sym::NONE; 2]; RECENT],
            uuids: RecentUuids::new(),
        }
    }

    /// The handle of `bytes`, interning it on first sight.
    ///
    /// Empty input gives [`Sym::NONE`]. Bytes that are not UTF-8 are read
    /// as Latin-1.
    #[inline]
    pub fn intern(&mut self, bytes: &[u8]) -> Sym {
        if bytes.is_empty() {
            return Sym::NONE;
        }
        let slot = recent_slot(bytes);
        let [latest, before] = self.recent[slot];
        let is = |sym: Sym| {
            sym.is_some() && same_bytes(&self.raw[sym.index()], bytes)
        };
        if is(latest) {
            return latest;
        }
        let sym = if is(before) { before } else { self.look_up(bytes) };
        self.recent[slot] = [sym, latest];
        sym
    }

    /// [`Symbols::intern`] for a value not found among the recent ones.
    #[inline(never)]
    fn look_up(&mut self, bytes: &[u8]) -> Sym {
        let hash = |key: &[u8]| FxBuildHasher.hash_one(key);
        let hashed = hash(bytes);
        let raw = &self.raw;
        let found =
            self.index.find(hashed, |s| same_bytes(&raw[s.index()], bytes));
        if let Some(&sym) = found {
            return sym;
        }
        let sym = Sym(self.strings.len() as u32);
        let text = crate::decode::text_from_bytes(bytes);
        self.strings.push(text.into_boxed_str());
        self.raw.push(bytes.into());
        let raw = &self.raw;
        self.index.insert_unique(hashed, sym, |s| hash(&raw[s.index()]));
        sym
    }

    /// The handles of the table, [`Sym::NONE`] first.
    pub fn handles(&self) -> impl Iterator<Item = Sym> {
        (0..self.strings.len() as u32).map(Sym)
    }

    /// The string behind a handle.
    pub fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym.0 as usize).map_or("", |s| s)
    }

    /// How many distinct strings are stored.
    pub fn len(&self) -> usize {
        self.strings.len() - 1
    }

    /// Whether no string is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_handle() {
        let mut s = Symbols::new();
        let a = s.intern(b"example.com");
        assert_eq!(s.intern(b"example.com"), a);
        assert_ne!(s.intern(b"example.org"), a);
        assert_eq!(s.resolve(a), "example.com");
        assert_eq!(s.intern(b""), Sym::NONE);
        assert_eq!(s.resolve(Sym::NONE), "");
    }

    #[test]
    fn values_remembered_in_one_slot_keep_their_own_handles() {
        // Same length, first and last bytes: the same recent slot.
        assert_eq!(recent_slot(b"axb"), recent_slot(b"ayb"));
        assert_eq!(recent_slot(b"axb"), recent_slot(b"azb"));
        let mut s = Symbols::new();
        let (x, y) = (s.intern(b"axb"), s.intern(b"ayb"));
        assert_ne!(x, y);
        for _ in 0..3 {
            assert_eq!(s.intern(b"axb"), x);
            assert_eq!(s.intern(b"axb"), x);
            assert_eq!(s.intern(b"ayb"), y);
        }
        // A third value pushes out the one used longest ago, in turns.
        let z = s.intern(b"azb");
        for order in [[x, y, z], [z, x, y], [y, y, x], [z, z, z]] {
            for sym in order {
                let text = s.resolve(sym).to_string();
                assert_eq!(s.intern(text.as_bytes()), sym);
            }
        }
        assert_eq!((s.resolve(x), s.resolve(y)), ("axb", "ayb"));
        assert_eq!(s.resolve(z), "azb");
        assert_eq!(s.len(), 3);
    }
}
