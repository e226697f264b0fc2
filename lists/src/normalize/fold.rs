//! Unicode folding: compatibility decomposition (NFKD), diacritics
//! removed, case folded, and letters of non-Latin scripts transliterated to
//! Latin with `any_ascii`. The same folding runs over list names and query
//! names, so both sides meet in one alphabet.

use std::sync::OnceLock;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds `text` into lower-case ASCII letters and digits, appending to
/// `out` with one space at every token boundary. Punctuation, symbols and
/// hyphens are boundaries; apostrophes join the letters around them
/// ("O'Brien" and "Sa’id" fold to "obrien" and "said"). Each Chinese
/// character and each Hangul syllable becomes its own token, because names
/// in those scripts are written without spaces, one syllable a character.
pub fn fold_to_latin(text: &str, out: &mut String) {
    for c in text.chars() {
        if c.is_ascii() {
            // ASCII has no compatibility decomposition and no combining
            // marks, so the lookups below would return `c` itself.
            push_folded_ascii(c, out);
            continue;
        }
        if let Some(folded) = latin_folds().get(c) {
            for &byte in folded {
                if byte == b' ' {
                    push_boundary(out);
                } else {
                    out.push(char::from(byte));
                }
            }
            continue;
        }
        fold_char_to_latin(c, out);
    }
    trim_trailing_boundary(out);
}

/// Folds one character that is not ASCII, through the Unicode tables.
fn fold_char_to_latin(c: char, out: &mut impl FoldSink) {
    if is_syllable_character(c) {
        out.boundary();
        push_transliterated(c, out);
        out.boundary();
        return;
    }
    decompose_compatible(c, |d| push_folded(d, out));
}

/// A destination for folded output: letters, and token boundaries.
trait FoldSink {
    fn letter(&mut self, c: char);
    fn boundary(&mut self);
}

impl FoldSink for String {
    fn letter(&mut self, c: char) {
        self.push(c);
    }

    fn boundary(&mut self) {
        push_boundary(self);
    }
}

/// Records folded output with a space for each boundary, to replay later.
impl FoldSink for Vec<u8> {
    fn letter(&mut self, c: char) {
        let mut buffer = [0u8; 4];
        self.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
    }

    fn boundary(&mut self) {
        self.push(b' ');
    }
}

/// The Latin folding of every non-ASCII BMP character, worked out once,
/// since the decomposition and transliteration tables cost more per
/// character than the rest of folding. Boundaries are recorded as spaces.
struct LatinFolds {
    /// `bytes[start[c - 0x80]..start[c - 0x7F]]` is the folding of `c`.
    start: Box<[u32]>,
    bytes: Box<[u8]>,
}

const FIRST_NON_ASCII: u32 = 0x80;

impl LatinFolds {
    /// Returns the recorded folding of `c`, or `None` outside the BMP and
    /// for surrogate code points.
    fn get(&self, c: char) -> Option<&[u8]> {
        let at = (c as u32).checked_sub(FIRST_NON_ASCII)? as usize;
        let (from, to) = (*self.start.get(at)?, *self.start.get(at + 1)?);
        self.bytes.get(from as usize..to as usize)
    }
}

fn latin_folds() -> &'static LatinFolds {
    static FOLDS: OnceLock<LatinFolds> = OnceLock::new();
    FOLDS.get_or_init(|| {
        let mut start = Vec::with_capacity((BMP_CHARS - FIRST_NON_ASCII + 1) as usize);
        let mut bytes = Vec::new();
        for code in FIRST_NON_ASCII..BMP_CHARS {
            start.push(bytes.len() as u32);
            if let Some(c) = char::from_u32(code) {
                fold_char_to_latin(c, &mut bytes);
            }
        }
        start.push(bytes.len() as u32);
        LatinFolds {
            start: start.into_boxed_slice(),
            bytes: bytes.into_boxed_slice(),
        }
    })
}

/// Folds `text` keeping non-Latin letters in their script (lower-cased,
/// marks removed), for indexing the original-script form of a name beside
/// its transliteration. Returns false, leaving `out` as it was, when the
/// text has no letter outside the Latin script.
pub fn fold_keeping_script(text: &str, out: &mut String) -> bool {
    if !text.chars().any(is_non_latin_letter) {
        return false;
    }
    for c in text.chars() {
        if is_syllable_character(c) {
            push_boundary(out);
            out.push(c);
            push_boundary(out);
            continue;
        }
        decompose_compatible(c, |d| push_script_char(d, out));
    }
    trim_trailing_boundary(out);
    true
}

fn push_folded(c: char, out: &mut impl FoldSink) {
    if c.is_ascii_alphanumeric() {
        out.letter(c.to_ascii_lowercase());
    } else if is_apostrophe(c) || is_combining_mark(c) {
        // Joins the letters on each side; marks are dropped.
    } else if is_alphanumeric(c) {
        push_transliterated(c, out);
    } else {
        out.boundary();
    }
}

fn push_folded_ascii(c: char, out: &mut String) {
    if c.is_ascii_alphanumeric() {
        out.push(c.to_ascii_lowercase());
    } else if !is_apostrophe(c) {
        push_boundary(out);
    }
}

fn push_script_char(c: char, out: &mut String) {
    if is_apostrophe(c) || is_combining_mark(c) {
        return;
    }
    if is_alphanumeric(c) {
        push_lowercase(c, out);
    } else {
        push_boundary(out);
    }
}

fn push_transliterated(c: char, out: &mut impl FoldSink) {
    for t in any_ascii::any_ascii_char(c).chars() {
        if t.is_ascii_alphanumeric() {
            out.letter(t.to_ascii_lowercase());
        } else if !is_apostrophe(t) {
            out.boundary();
        }
    }
}

fn push_boundary(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

fn trim_trailing_boundary(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{02BC}'
            | '\u{02BB}'
            | '\u{02BF}'
            | '\u{02BE}'
            | '\u{00B4}'
    )
}

/// Chinese characters (CJK unified ideographs and extension A) and Hangul
/// syllables.
fn is_syllable_character(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{AC00}'..='\u{D7A3}')
}

/// Tells whether `c` is a letter that is neither ASCII nor in the Latin blocks (Latin-1
/// Supplement to Latin Extended-B, and Latin Extended Additional).
fn is_non_latin_letter(c: char) -> bool {
    !c.is_ascii()
        && is_alphabetic(c)
        && !matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
}

/// One bit per character of the Basic Multilingual Plane, for the Unicode
/// properties that folding reads for every character. The standard library
/// searches a compressed table for each non-ASCII character, which took
/// more time than the rest of folding a name in a non-Latin script.
struct BmpBits {
    alphabetic: Box<[u64]>,
    alphanumeric: Box<[u64]>,
    /// The lower-case form of each character when it is one BMP character,
    /// else 0, which sends the look-up to the standard library.
    lowercase: Box<[u16]>,
}

const BMP_CHARS: u32 = 0x1_0000;

fn bmp_bits() -> &'static BmpBits {
    static BITS: OnceLock<BmpBits> = OnceLock::new();
    BITS.get_or_init(|| {
        let words = (BMP_CHARS / 64) as usize;
        let mut alphabetic = vec![0u64; words].into_boxed_slice();
        let mut alphanumeric = vec![0u64; words].into_boxed_slice();
        let mut lowercase = vec![0u16; BMP_CHARS as usize].into_boxed_slice();
        // Surrogate code points are not characters and stay unset.
        for c in (0..BMP_CHARS).filter_map(char::from_u32) {
            let (word, bit) = ((c as u32 / 64) as usize, c as u32 % 64);
            if c.is_alphabetic() {
                alphabetic[word] |= 1 << bit;
            }
            if c.is_alphanumeric() {
                alphanumeric[word] |= 1 << bit;
            }
            let mut lower = c.to_lowercase();
            if let (Some(only), None) = (lower.next(), lower.next()) {
                if let Ok(code) = u16::try_from(only as u32) {
                    lowercase[c as usize] = code;
                }
            }
        }
        BmpBits {
            alphabetic,
            alphanumeric,
            lowercase,
        }
    })
}

fn bmp_bit(words: &[u64], c: char) -> bool {
    let code = c as u32;
    words[(code / 64) as usize] >> (code % 64) & 1 == 1
}

/// Returns `c.is_alphabetic()`, from a bit table within the BMP.
fn is_alphabetic(c: char) -> bool {
    if (c as u32) < BMP_CHARS {
        bmp_bit(&bmp_bits().alphabetic, c)
    } else {
        c.is_alphabetic()
    }
}

/// Appends `c.to_lowercase()` to `out`, from a table within the BMP.
fn push_lowercase(c: char, out: &mut String) {
    let single = bmp_bits()
        .lowercase
        .get(c as usize)
        .filter(|&&code| code != 0)
        .and_then(|&code| char::from_u32(u32::from(code)));
    match single {
        Some(lower) => out.push(lower),
        None => out.extend(c.to_lowercase()),
    }
}

/// Returns `c.is_alphanumeric()`, from a bit table within the BMP.
fn is_alphanumeric(c: char) -> bool {
    if (c as u32) < BMP_CHARS {
        bmp_bit(&bmp_bits().alphanumeric, c)
    } else {
        c.is_alphanumeric()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> String {
        let mut out = String::new();
        fold_to_latin(text, &mut out);
        out
    }

    #[test]
    fn bit_tables_match_the_standard_library() {
        for c in (0..0x3_0000).filter_map(char::from_u32) {
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "alphabetic {c:?}");
            assert_eq!(
                is_alphanumeric(c),
                c.is_alphanumeric(),
                "alphanumeric {c:?}"
            );
            let mut lower = String::new();
            push_lowercase(c, &mut lower);
            assert_eq!(
                lower,
                c.to_lowercase().collect::<String>(),
                "lowercase {c:?}"
            );
        }
    }

    #[test]
    fn ascii_shortcut_matches_decomposition() {
        for byte in 0u8..128 {
            let c = char::from(byte);
            for text in [format!("a{c}b"), format!("{c}x"), format!("x{c}")] {
                let mut reference = String::new();
                for c in text.chars() {
                    decompose_compatible(c, |d| push_folded(d, &mut reference));
                }
                trim_trailing_boundary(&mut reference);
                assert_eq!(folded(&text), reference, "for {text:?}");
            }
        }
    }

    #[test]
    fn recorded_folds_match_the_tables() {
        // Every character below U+30000 between letters, at the start and at
        // the end, through the recorded table and through the Unicode
        // tables directly.
        for c in (0x80..0x3_0000).filter_map(char::from_u32) {
            for text in [format!("a{c}b"), format!("{c}x"), format!("x{c}")] {
                let mut reference = String::new();
                for c in text.chars() {
                    if c.is_ascii() {
                        push_folded_ascii(c, &mut reference);
                    } else {
                        fold_char_to_latin(c, &mut reference);
                    }
                }
                trim_trailing_boundary(&mut reference);
                assert_eq!(folded(&text), reference, "for {text:?}");
            }
        }
    }

    #[test]
    fn fold_removes_diacritics_and_case() {
        assert_eq!(folded("ESTÊVÃO Müller-Łukasz"), "estevao muller lukasz");
    }

    #[test]
    fn fold_joins_apostrophes() {
        assert_eq!(folded("MU’TASSIM O'Brien"), "mutassim obrien");
    }

    #[test]
    fn fold_transliterates_scripts() {
        assert_eq!(folded("Владимир Путин"), "vladimir putin");
        assert_eq!(folded("习近平"), "xi jin ping");
        assert_eq!(folded("김정은"), "gim jeong eun");
        assert_eq!(folded("محمد"), "mhmd");
    }

    #[test]
    fn fold_keeps_digits() {
        assert_eq!(folded("11420 Corp."), "11420 corp");
    }

    #[test]
    fn script_form_kept_for_cyrillic_only() {
        let mut out = String::new();
        assert!(fold_keeping_script("Владимир ПУТИН", &mut out));
        assert_eq!(out, "владимир путин");
        let mut latin = String::new();
        assert!(!fold_keeping_script("José Müller", &mut latin));
        assert!(latin.is_empty());
    }
}
