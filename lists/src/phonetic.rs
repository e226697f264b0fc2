//! A phonetic key for name tokens: consonant classes in order, vowels
//! dropped after the first letter, so that spellings which sound alike
//! share a key ("Qaddafi", "Gaddafi" and "Kadhafi" are all `KTF`).
//!
//! The key follows the ideas of Soundex and Metaphone, tuned for names
//! transliterated from Arabic, Persian, Russian and Asian scripts: k, q,
//! c and g are one class, d and t (and dh, th) another, f, v and ph a
//! third, kh and gh fall in with k, h, w and y act as vowels. It is written
//! here rather than taken from a crate because the query path computes it
//! for every token: the Double Metaphone of `rphonetic` 4.0 took about
//! 1.4 µs a token on the development machine, this key takes a fraction.

/// The maximum key length, in classes; longer tokens are keyed on their
/// start.
const MAX_KEY: usize = 12;

/// The fewest classes a key needs to be used: shorter keys ("MT", "AN")
/// are shared by too many unrelated tokens to say they sound alike.
pub const MIN_KEY_CLASSES: usize = 3;

/// Computes the phonetic key of a lower-case ASCII token as a hash.
/// Returns `None` when the key has fewer than [`MIN_KEY_CLASSES`] classes.
pub fn phonetic_key(token: &str) -> Option<u32> {
    let bytes = token.as_bytes();
    let mut key = [0u8; MAX_KEY];
    let mut len = 0;
    let mut previous = 0u8;
    let mut i = 0;
    while i < bytes.len() && len < MAX_KEY {
        let (class, width) = class_at(bytes, i);
        let is_first = i == 0;
        i += width;
        let class = match class {
            VOWEL if is_first => b'A',
            VOWEL => {
                previous = VOWEL;
                continue;
            }
            other => other,
        };
        if class != previous {
            key[len] = class;
            len += 1;
        }
        previous = class;
    }
    (len >= MIN_KEY_CLASSES).then(|| fnv1a(&key[..len]))
}

const VOWEL: u8 = b'*';

/// Returns the class of the letter (or two-letter group) at `i`, and its
/// width.
fn class_at(bytes: &[u8], i: usize) -> (u8, usize) {
    let next = bytes.get(i + 1).copied().unwrap_or(0);
    match (bytes[i], next) {
        (b'p', b'h') => (b'F', 2),
        (b'k' | b'g', b'h') => (b'K', 2),
        (b'd' | b't', b'h') => (b'T', 2),
        (b's' | b'c', b'h') => (b'S', 2),
        (b'z', b'h') => (b'J', 2),
        (c, _) => (single_class(c), 1),
    }
}

fn single_class(c: u8) -> u8 {
    match c {
        b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'h' | b'w' => VOWEL,
        b'b' | b'p' => b'P',
        b'c' | b'g' | b'k' | b'q' => b'K',
        b'd' | b't' => b'T',
        b'f' | b'v' => b'F',
        b's' | b'z' | b'x' => b'S',
        b'j' => b'J',
        b'l' => b'L',
        b'm' => b'M',
        b'n' => b'N',
        b'r' => b'R',
        _ => c,
    }
}

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

/// FNV-1a, 32 bits.
pub(crate) fn fnv1a(bytes: &[u8]) -> u32 {
    fnv1a_continue(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a hash over more bytes, so that
/// `fnv1a_continue(fnv1a(a), b)` equals `fnv1a` of `a` and `b` joined.
pub(crate) fn fnv1a_continue(hash: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(hash, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(FNV_PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continued_hash_equals_joined_hash() {
        for (a, b) in [
            ("gazprom", "bank"),
            ("", "x"),
            ("abd", ""),
            ("ab", "dulhai"),
        ] {
            let joined = format!("{a}{b}");
            assert_eq!(
                fnv1a_continue(fnv1a(a.as_bytes()), b.as_bytes()),
                fnv1a(joined.as_bytes()),
                "{a} {b}"
            );
        }
        assert_ne!(fnv1a(b"gazprombank"), fnv1a(b"gazprom"));
    }

    #[test]
    fn alike_spellings_share_key() {
        let key = phonetic_key("qaddafi");
        assert_eq!(phonetic_key("gaddafi"), key);
        assert_eq!(phonetic_key("kadhafi"), key);
        assert_eq!(phonetic_key("mohammed"), phonetic_key("muhamad"));
        assert_eq!(phonetic_key("yusuf"), phonetic_key("youssef"));
    }

    #[test]
    fn different_names_differ() {
        assert_ne!(phonetic_key("salek"), phonetic_key("malek"));
        assert_ne!(phonetic_key("hassan"), phonetic_key("karim"));
    }

    #[test]
    fn short_keys_are_not_used() {
        assert_eq!(phonetic_key(""), None);
        assert_eq!(phonetic_key("matt"), None);
        assert!(phonetic_key("mohammed").is_some());
    }
}
