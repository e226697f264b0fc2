//! Values during evaluation, and the symbol table that turns strings into
//! integers so that comparing and set membership never touch string bytes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A feature value or intermediate result. `Missing` means the engine did
/// not set the fact, or an operation on it had no defined result.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) enum Value {
    #[default]
    Missing,
    Bool(bool),
    Number(f64),
    String(StrId),
}

impl Value {
    /// Reads the value as a condition, where a missing or non-boolean value is false.
    pub fn is_true(self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub fn number(self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
}

/// An interned string. A string that the graph mentions is its symbol
/// number with [`KNOWN`] set. Any other string is a 63-bit FNV-1a hash, so
/// two unknown strings compare equal when their hashes do, with a collision
/// chance of about 2^-63 per pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrId(u64);

const KNOWN: u64 = 1 << 63;

impl StrId {
    /// Returns the symbol number of a string the graph mentions.
    pub fn symbol(self) -> Option<usize> {
        (self.0 & KNOWN != 0).then_some((self.0 & !KNOWN) as usize)
    }
}

/// FNV-1a, a fast hash for the short keys of the symbol table.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(FNV_OFFSET)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Maximum length of a value that a lookup upper-cases on the stack. Longer
/// values can never equal a code literal, which validation limits to 16 characters.
const MAX_UPPER_CASED: usize = 32;

/// Every string literal and set member of a graph, numbered.
#[derive(Debug, Default)]
pub(crate) struct Symbols {
    numbers: HashMap<Box<str>, u32, BuildHasherDefault<Fnv>>,
}

impl Symbols {
    /// Numbers a string the graph mentions; the same string gets the same number.
    pub fn intern(&mut self, text: &str) -> StrId {
        let next = self.numbers.len() as u32;
        let number = *self.numbers.entry(text.into()).or_insert(next);
        StrId(KNOWN | u64::from(number))
    }

    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    /// Finds a fact's string without allocating, upper-casing ASCII letters
    /// first when `upper_case` is set.
    pub fn lookup(&self, text: &str, upper_case: bool) -> StrId {
        if !upper_case || !text.bytes().any(|b| b.is_ascii_lowercase()) {
            return self.lookup_exact(text);
        }
        let mut buffer = [0u8; MAX_UPPER_CASED];
        match buffer.get_mut(..text.len()) {
            Some(upper) => {
                upper.copy_from_slice(text.as_bytes());
                upper.make_ascii_uppercase();
                // Upper-casing ASCII bytes keeps UTF-8 valid.
                match std::str::from_utf8(upper) {
                    Ok(upper) => self.lookup_exact(upper),
                    Err(_) => unknown(text.bytes()),
                }
            }
            None => unknown(text.bytes().map(|b| b.to_ascii_uppercase())),
        }
    }

    fn lookup_exact(&self, text: &str) -> StrId {
        match self.numbers.get(text) {
            Some(&number) => StrId(KNOWN | u64::from(number)),
            None => unknown(text.bytes()),
        }
    }
}

fn unknown(bytes: impl Iterator<Item = u8>) -> StrId {
    let mut hash = FNV_OFFSET;
    for byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
    }
    StrId(hash & !KNOWN)
}

/// A set of strings as a bit per symbol.
#[derive(Debug, Clone, Default)]
pub(crate) struct SymbolSet {
    bits: Vec<u64>,
}

impl SymbolSet {
    pub fn insert(&mut self, id: StrId) {
        if let Some(symbol) = id.symbol() {
            let word = symbol / 64;
            if self.bits.len() <= word {
                self.bits.resize(word + 1, 0);
            }
            self.bits[word] |= 1 << (symbol % 64);
        }
    }

    pub fn contains(&self, id: StrId) -> bool {
        id.symbol().is_some_and(|symbol| {
            self.bits
                .get(symbol / 64)
                .is_some_and(|word| word & (1 << (symbol % 64)) != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_interned_strings() {
        let mut symbols = Symbols::default();
        let ir = symbols.intern("IR");
        let sepa = symbols.intern("sepa");
        assert_eq!(symbols.intern("IR"), ir);
        assert_eq!(symbols.lookup("IR", true), ir);
        assert_eq!(symbols.lookup("ir", true), ir);
        assert_ne!(symbols.lookup("ir", false), ir);
        assert_eq!(symbols.lookup("sepa", false), sepa);
    }

    #[test]
    fn unknown_strings_compare_by_content() {
        let symbols = Symbols::default();
        assert_eq!(symbols.lookup("XX", false), symbols.lookup("XX", false));
        assert_eq!(symbols.lookup("xx", true), symbols.lookup("XX", false));
        assert_ne!(symbols.lookup("XX", false), symbols.lookup("XY", false));
        let long = "a".repeat(MAX_UPPER_CASED + 5);
        assert_eq!(
            symbols.lookup(&long, true),
            symbols.lookup(&long.to_uppercase(), false)
        );
    }

    #[test]
    fn set_contains_only_its_members() {
        let mut symbols = Symbols::default();
        let mut set = SymbolSet::default();
        for code in ["CU", "IR", "KP"] {
            set.insert(symbols.intern(code));
        }
        let fr = symbols.intern("FR");
        for i in 0..100 {
            symbols.intern(&format!("S{i}"));
        }
        let late = symbols.intern("LATE");
        assert!(set.contains(symbols.lookup("IR", false)));
        assert!(!set.contains(fr));
        assert!(!set.contains(late));
        assert!(!set.contains(symbols.lookup("ZZ", false)));
    }
}
