//! Interned strings: hosts, domains, reply texts and other values that
//! repeat across many messages are stored once and referred to by a
//! [`Sym`].

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
    /// The bytes each string was interned from, and its handle. A table
    /// rather than a map so that keys are compared with [`same_bytes`]:
    /// most values looked up are already here, and the byte-by-byte
    /// `memcmp` WebAssembly gets made the comparison a cost of its own.
    index: HashTable<(Box<[u8]>, Sym)>,
}

impl Default for Symbols {
    fn default() -> Symbols {
        Symbols::new()
    }
}

impl Symbols {
    /// An empty table; [`Sym::NONE`] resolves to the empty string.
    pub fn new() -> Symbols {
        Symbols { strings: vec!["".into()], index: HashTable::new() }
    }

    /// The handle of `bytes`, interning it on first sight.
    ///
    /// Empty input gives [`Sym::NONE`]. Bytes that are not UTF-8 are read
    /// as Latin-1.
    pub fn intern(&mut self, bytes: &[u8]) -> Sym {
        if bytes.is_empty() {
            return Sym::NONE;
        }
        let hash = |key: &[u8]| FxBuildHasher.hash_one(key);
        let hashed = hash(bytes);
        let found = self.index.find(hashed, |(k, _)| same_bytes(k, bytes));
        if let Some(&(_, sym)) = found {
            return sym;
        }
        let sym = Sym(self.strings.len() as u32);
        let text = crate::decode::text_from_bytes(bytes);
        self.strings.push(text.into_boxed_str());
        self.index.insert_unique(hashed, (bytes.into(), sym), |(k, _)| hash(k));
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
}
