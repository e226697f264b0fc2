//! Name normalization: one pipeline for list names and query names alike.
//!
//! A name is folded to lower-case Latin ([`fold`]), split into tokens at
//! spaces, punctuation and hyphens, and reordered when written
//! "SURNAME, Given". Each token is then classed. Legal forms, honorifics
//! and particles are recognised and mapped to canonical forms ([`terms`])
//! so that they can weigh little in scoring, and digits are kept as number
//! tokens. A name in a non-Latin script also keeps a token list in its own
//! script beside the transliteration.

mod fold;
mod terms;

pub use fold::{fold_keeping_script, fold_to_latin};

use terms::{match_term, MAX_PHRASE_TOKENS};

/// The maximum number of tokens kept from one name. Longer names are cut
/// here; no published list name comes near it.
pub const MAX_TOKENS: usize = 48;

/// The role of a token in a name, which sets how much it weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenClass {
    /// An ordinary name word.
    Word,
    /// A token containing a digit; numbers must agree between two names.
    Number,
    /// A company legal form such as LLC, JSC or GmbH.
    LegalForm,
    /// A title, honorific or generational suffix (Mr, Sheikh, Jr).
    Honorific,
    /// A particle that may be present or absent (al, bin, van, de).
    Particle,
}

impl TokenClass {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenClass::Word => "word",
            TokenClass::Number => "number",
            TokenClass::LegalForm => "legal form",
            TokenClass::Honorific => "honorific",
            TokenClass::Particle => "particle",
        }
    }

    /// Returns whether the token carries identity: words and numbers do,
    /// the rest only qualify a name.
    pub fn is_substantive(self) -> bool {
        matches!(self, TokenClass::Word | TokenClass::Number)
    }
}

/// One normalized token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub class: TokenClass,
}

/// A normalized name: its Latin tokens and, for names written in another
/// script, the tokens in that script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalizedName {
    pub latin: Vec<Token>,
    /// Empty when the name has no letter outside the Latin script.
    pub script: Vec<Token>,
}

impl NormalizedName {
    /// True when nothing of the name survived normalization.
    pub fn is_empty(&self) -> bool {
        self.latin.is_empty() && self.script.is_empty()
    }

    /// Returns the Latin tokens joined by single spaces.
    pub fn latin_text(&self) -> String {
        join_tokens(&self.latin)
    }
}

/// Normalizes a name.
pub fn normalize(name: &str) -> NormalizedName {
    normalize_with(name, |_| true)
}

/// Normalizes a name as [`normalize`] does, but leaves the script form out
/// when it cannot match: when every one of its words has a non-ASCII
/// character for which `known` is false, and the Latin form is not empty.
/// With `known` true for every character of an index's vocabulary, the
/// script form left out is one that no vocabulary token could match, since
/// words with non-ASCII characters match only exactly and never join a
/// phrase.
pub fn normalize_with(name: &str, known: impl Fn(char) -> bool) -> NormalizedName {
    let (main, reordered) = split_surname_first(name);
    // The parts are folded into one text and tokenized together, so a
    // phrase that spans them ("DER BERG, Anna van") is read as in the
    // reordered name, and normalizing the output again changes nothing.
    // Folding rarely lengthens a name by much (a ligature, a transliterated
    // letter), so one allocation is usually enough.
    let mut folded_latin = String::with_capacity(name.len() + 16);
    let mut folded_script = String::new();
    let mut has_script = false;
    for part in [reordered, Some(main)].into_iter().flatten() {
        fold_to_latin(part, &mut folded_latin);
        folded_latin.push(' ');
        has_script |= fold_keeping_script(part, &mut folded_script);
        folded_script.push(' ');
    }
    let mut latin = Vec::with_capacity(4);
    let mut script = Vec::new();
    tokenize(&folded_latin, MAX_TOKENS, &mut latin);
    let script_may_match = || {
        folded_script
            .split(' ')
            .any(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii() || known(c)))
    };
    if has_script && (latin.is_empty() || script_may_match()) {
        tokenize(&folded_script, MAX_TOKENS, &mut script);
    }
    finish(&mut latin);
    finish(&mut script);
    NormalizedName { latin, script }
}

/// Normalizes running text (a memo or remittance field) into canonical
/// tokens joined by single spaces, with no reordering and no token limit,
/// for searching names in it.
pub fn normalize_text(text: &str) -> String {
    let mut folded = String::new();
    fold_to_latin(text, &mut folded);
    let mut tokens = Vec::new();
    tokenize(&folded, usize::MAX, &mut tokens);
    join_tokens(&tokens)
}

/// Joins token texts with single spaces.
pub fn join_tokens(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&token.text);
    }
    out
}

/// Splits "SURNAME, Given" into ("SURNAME", Some("Given")), so the given
/// part is tokenized first. A name with no comma or several commas, or
/// whose part after the comma is only legal forms, titles or suffixes
/// ("ACME, Inc.", "LAVILLA, Jr"), stays as it is.
fn split_surname_first(name: &str) -> (&str, Option<&str>) {
    // 0xD8 is the first byte of the Arabic comma; most names have neither.
    if !name.bytes().any(|b| b == b',' || b == 0xD8) {
        return (name, None);
    }
    let mut commas = name.match_indices([',', '\u{060C}']);
    let Some((at, comma)) = commas.next() else {
        return (name, None);
    };
    if commas.next().is_some() {
        return (name, None);
    }
    let (before, after) = (&name[..at], &name[at + comma.len()..]);
    let mut folded = String::new();
    fold_to_latin(after, &mut folded);
    let mut after_tokens = Vec::new();
    tokenize(&folded, MAX_TOKENS, &mut after_tokens);
    let only_qualifiers = after_tokens
        .iter()
        .all(|t| matches!(t.class, TokenClass::LegalForm | TokenClass::Honorific));
    if before.trim().is_empty() || only_qualifiers {
        return (name, None);
    }
    (before, Some(after))
}

/// Splits folded text into tokens, recognising known phrases.
fn tokenize(folded: &str, limit: usize, out: &mut Vec<Token>) {
    // Names have few words: they are gathered on the stack, and only a
    // long text spills to the heap.
    let mut inline = [""; INLINE_WORDS];
    let mut spilled = Vec::new();
    let mut count = 0;
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if count < INLINE_WORDS {
            inline[count] = word;
        } else {
            if spilled.is_empty() {
                spilled.extend_from_slice(&inline);
            }
            spilled.push(word);
        }
        count += 1;
    }
    let words: &[&str] = if count <= INLINE_WORDS {
        &inline[..count]
    } else {
        &spilled
    };
    let mut i = 0;
    while i < words.len() && out.len() < limit {
        let window = &words[i..words.len().min(i + MAX_PHRASE_TOKENS)];
        match match_term(window) {
            Some(term) => {
                out.push(Token {
                    text: term.canonical.to_string(),
                    class: term.class,
                });
                i += term.len;
            }
            None => {
                out.push(Token {
                    text: words[i].to_string(),
                    class: classify_plain(words[i]),
                });
                i += 1;
            }
        }
    }
}

/// Words of a folded text kept on the stack while tokenizing.
const INLINE_WORDS: usize = 32;

fn classify_plain(word: &str) -> TokenClass {
    if word.bytes().any(|b| b.is_ascii_digit()) {
        TokenClass::Number
    } else {
        TokenClass::Word
    }
}

/// Reclassifies the tokens of a name made only of legal forms, titles and
/// particles ("The Company Ltd") as words, so that such a name still has
/// something to match.
fn finish(tokens: &mut [Token]) {
    if tokens.iter().all(|t| !t.class.is_substantive()) {
        for token in tokens.iter_mut() {
            token.class = TokenClass::Word;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(name: &str) -> Vec<String> {
        normalize(name).latin.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn surname_first_is_reordered() {
        assert_eq!(texts("SALEK, Abdulhai"), ["abdulhai", "salek"]);
    }

    #[test]
    fn phrase_across_reordered_parts_is_one_term() {
        assert_eq!(texts("DE CV, Grupo SA"), ["grupo", "sadecv"]);
        // Found by the idempotence property: "n" and "v" from the two
        // parts joined into the legal form "nv" only on a second pass.
        let once = normalize("\u{1D54D}{,\u{05DF}");
        assert_eq!(once.latin, normalize(&once.latin_text()).latin);
    }

    #[test]
    fn suffix_after_comma_stays() {
        assert_eq!(texts("RUBEN LAVILLA, JR"), ["ruben", "lavilla", "jr"]);
        assert_eq!(texts("ACME, Inc."), ["acme", "inc"]);
    }

    #[test]
    fn legal_forms_meet() {
        assert_eq!(texts("OAO Gazprom"), ["jsc", "gazprom"]);
        assert_eq!(
            texts("Open Joint Stock Company Gazprom"),
            ["jsc", "gazprom"]
        );
        assert_eq!(texts("Grupo SA de CV"), ["grupo", "sadecv"]);
    }

    #[test]
    fn hyphens_split_and_digits_stay() {
        let name = normalize("ABD-AL-MAJID 11420");
        let classes: Vec<TokenClass> = name.latin.iter().map(|t| t.class).collect();
        assert_eq!(
            classes,
            [
                TokenClass::Word,
                TokenClass::Particle,
                TokenClass::Word,
                TokenClass::Number
            ]
        );
    }

    #[test]
    fn qualifier_only_name_keeps_words() {
        let name = normalize("The Company Limited");
        assert_eq!(name.latin_text(), "the co ltd");
        assert!(name.latin.iter().all(|t| t.class == TokenClass::Word));
    }

    #[test]
    fn punctuation_only_normalizes_to_nothing() {
        assert!(normalize(" -- ,.; ").is_empty());
        assert!(normalize("").is_empty());
    }

    #[test]
    fn script_form_is_kept() {
        let name = normalize("Владимир Путин");
        assert_eq!(name.latin_text(), "vladimir putin");
        assert_eq!(join_tokens(&name.script), "владимир путин");
    }
}
