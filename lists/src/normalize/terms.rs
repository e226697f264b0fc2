//! Words with a known role in names: legal forms, honorifics and titles,
//! name particles, and abbreviations common in company names. Each maps to
//! one canonical token, so equivalent spellings meet ("OAO", "JSC" and
//! "Open Joint Stock Company" all become `jsc`).

use rustc_hash::FxHashMap;
use std::sync::LazyLock;

use super::TokenClass;

/// A phrase of one or more folded tokens and what it stands for.
struct Term {
    phrase: &'static str,
    canonical: &'static str,
    class: TokenClass,
}

const fn legal(phrase: &'static str, canonical: &'static str) -> Term {
    Term {
        phrase,
        canonical,
        class: TokenClass::LegalForm,
    }
}

const fn title(phrase: &'static str) -> Term {
    Term {
        phrase,
        canonical: phrase,
        class: TokenClass::Honorific,
    }
}

const fn title_as(phrase: &'static str, canonical: &'static str) -> Term {
    Term {
        phrase,
        canonical,
        class: TokenClass::Honorific,
    }
}

const fn particle(phrase: &'static str) -> Term {
    Term {
        phrase,
        canonical: phrase,
        class: TokenClass::Particle,
    }
}

const fn abbreviation(phrase: &'static str, canonical: &'static str) -> Term {
    Term {
        phrase,
        canonical,
        class: TokenClass::Word,
    }
}

/// Every canonical form also appears as a phrase mapping to itself, so
/// normalizing a normalized name changes nothing.
const TERMS: &[Term] = &[
    // Joint-stock companies, Russian and English forms.
    legal("jsc", "jsc"),
    legal("ojsc", "jsc"),
    legal("pjsc", "jsc"),
    legal("cjsc", "jsc"),
    legal("oao", "jsc"),
    legal("pao", "jsc"),
    legal("zao", "jsc"),
    legal("ao", "jsc"),
    legal("jscb", "jsc"),
    legal("joint stock company", "jsc"),
    legal("joint stock co", "jsc"),
    legal("open joint stock company", "jsc"),
    legal("public joint stock company", "jsc"),
    legal("closed joint stock company", "jsc"),
    legal("aktsionernoe obshchestvo", "jsc"),
    legal("otkrytoe aktsionernoe obshchestvo", "jsc"),
    legal("zakrytoe aktsionernoe obshchestvo", "jsc"),
    legal("publichnoe aktsionernoe obshchestvo", "jsc"),
    // Limited liability companies.
    legal("llc", "llc"),
    legal("ooo", "llc"),
    legal("too", "llc"),
    legal("tov", "llc"),
    legal("limited liability company", "llc"),
    legal("obshchestvo s ogranichennoi otvetstvennostiu", "llc"),
    legal("obshchestvo s ogranichennoy otvetstvennostyu", "llc"),
    legal("llp", "llp"),
    legal("limited liability partnership", "llp"),
    legal("ltd", "ltd"),
    legal("limited", "ltd"),
    legal("pvt", "pvt"),
    legal("private", "pvt"),
    legal("pte", "pte"),
    legal("pty", "pty"),
    legal("inc", "inc"),
    legal("incorporated", "inc"),
    legal("corp", "corp"),
    legal("corporation", "corp"),
    legal("co", "co"),
    legal("company", "co"),
    legal("plc", "plc"),
    legal("public limited company", "plc"),
    legal("lp", "lp"),
    legal("limited partnership", "lp"),
    // Continental European and other forms.
    legal("gmbh", "gmbh"),
    legal("ag", "ag"),
    legal("kg", "kg"),
    legal("sa", "sa"),
    legal("s a", "sa"),
    legal("sociedad anonima", "sa"),
    legal("societe anonyme", "sa"),
    legal("sadecv", "sadecv"),
    legal("sa de cv", "sadecv"),
    legal("s a de c v", "sadecv"),
    legal("sas", "sas"),
    legal("sarl", "sarl"),
    legal("sal", "sal"),
    legal("srl", "srl"),
    legal("spa", "spa"),
    legal("sl", "sl"),
    legal("bv", "bv"),
    legal("b v", "bv"),
    legal("nv", "nv"),
    legal("n v", "nv"),
    legal("ab", "ab"),
    legal("oy", "oy"),
    legal("oyj", "oyj"),
    legal("asa", "asa"),
    legal("sdn bhd", "sdnbhd"),
    legal("sdnbhd", "sdnbhd"),
    legal("bhd", "bhd"),
    legal("berhad", "bhd"),
    legal("fze", "fze"),
    legal("fzco", "fzco"),
    legal("fzc", "fzc"),
    legal("fzllc", "fzllc"),
    legal("fz llc", "fzllc"),
    legal("dmcc", "dmcc"),
    // Honorifics, titles and generational suffixes.
    title("mr"),
    title("mrs"),
    title("ms"),
    title("miss"),
    title("dr"),
    title("prof"),
    title("sir"),
    title("sheikh"),
    title_as("shaikh", "sheikh"),
    title_as("shaykh", "sheikh"),
    title_as("sheik", "sheikh"),
    title_as("shaik", "sheikh"),
    title("haji"),
    title_as("hajji", "haji"),
    title_as("hadji", "haji"),
    title_as("alhaji", "haji"),
    title_as("alhaj", "haji"),
    title("mullah"),
    title_as("mulla", "mullah"),
    title_as("molla", "mullah"),
    title("maulavi"),
    title_as("mawlawi", "maulavi"),
    title_as("maulvi", "maulavi"),
    title_as("molvi", "maulavi"),
    title_as("mawlavi", "maulavi"),
    title_as("moulavi", "maulavi"),
    title("maulana"),
    title_as("mawlana", "maulana"),
    title("qari"),
    title("mufti"),
    title("imam"),
    title("emir"),
    title_as("amir", "emir"),
    title("general"),
    title_as("gen", "general"),
    title("colonel"),
    title_as("col", "colonel"),
    title("brigadier"),
    title("captain"),
    title_as("capt", "captain"),
    title("jr"),
    title_as("junior", "jr"),
    title("sr"),
    title_as("senior", "sr"),
    title("ii"),
    title("iii"),
    title("iv"),
    // Name particles: articles, patronymic and family links, prepositions.
    particle("al"),
    particle("el"),
    particle("ul"),
    particle("ur"),
    particle("ud"),
    particle("bin"),
    particle("ben"),
    particle("bint"),
    particle("ibn"),
    particle("abu"),
    particle("abou"),
    particle("ould"),
    particle("wa"),
    particle("van"),
    particle("von"),
    particle("der"),
    particle("den"),
    particle("de"),
    particle("la"),
    particle("le"),
    particle("du"),
    particle("del"),
    particle("della"),
    particle("da"),
    particle("das"),
    particle("dos"),
    particle("di"),
    particle("zu"),
    particle("y"),
    particle("the"),
    particle("and"),
    particle("of"),
    particle("for"),
    // Abbreviations in company names, mapped to their short form.
    abbreviation("comm", "comm"),
    abbreviation("communication", "comm"),
    abbreviation("communications", "comm"),
    abbreviation("grp", "grp"),
    abbreviation("group", "grp"),
    abbreviation("intl", "intl"),
    abbreviation("international", "intl"),
    abbreviation("tech", "tech"),
    abbreviation("technology", "tech"),
    abbreviation("technologies", "tech"),
    abbreviation("svc", "svc"),
    abbreviation("svcs", "svc"),
    abbreviation("service", "svc"),
    abbreviation("services", "svc"),
    abbreviation("mfg", "mfg"),
    abbreviation("manufacturing", "mfg"),
    abbreviation("natl", "natl"),
    abbreviation("national", "natl"),
    abbreviation("assn", "assn"),
    abbreviation("association", "assn"),
    abbreviation("hldg", "hldg"),
    abbreviation("hldgs", "hldg"),
    abbreviation("holding", "hldg"),
    abbreviation("holdings", "hldg"),
    abbreviation("inds", "inds"),
    abbreviation("industries", "inds"),
    abbreviation("industry", "inds"),
    abbreviation("trdg", "trdg"),
    abbreviation("trading", "trdg"),
    abbreviation("shpg", "shpg"),
    abbreviation("shipping", "shpg"),
    abbreviation("mgmt", "mgmt"),
    abbreviation("management", "mgmt"),
    abbreviation("dev", "dev"),
    abbreviation("development", "dev"),
    abbreviation("eng", "eng"),
    abbreviation("engineering", "eng"),
    abbreviation("invest", "invest"),
    abbreviation("investment", "invest"),
    abbreviation("investments", "invest"),
    abbreviation("bros", "bros"),
    abbreviation("brothers", "bros"),
    abbreviation("ctr", "ctr"),
    abbreviation("center", "ctr"),
    abbreviation("centre", "ctr"),
    abbreviation("univ", "univ"),
    abbreviation("university", "univ"),
    abbreviation("inst", "inst"),
    abbreviation("institute", "inst"),
    abbreviation("org", "org"),
    abbreviation("organization", "org"),
    abbreviation("organisation", "org"),
    abbreviation("dept", "dept"),
    abbreviation("department", "dept"),
    abbreviation("ent", "ent"),
    abbreviation("enterprise", "ent"),
    abbreviation("enterprises", "ent"),
    abbreviation("mkt", "mkt"),
    abbreviation("marketing", "mkt"),
];

/// The maximum length of a phrase in [`TERMS`], in tokens.
pub const MAX_PHRASE_TOKENS: usize = 5;

/// A recognised phrase: its canonical token, its class and how many input
/// tokens it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermMatch {
    pub canonical: &'static str,
    pub class: TokenClass,
    pub len: usize,
}

/// A phrase split into its tokens, with its term.
type SplitPhrase = (Vec<&'static str>, &'static Term);

/// Phrases keyed by their first token, longest first.
static BY_FIRST_TOKEN: LazyLock<FxHashMap<&'static str, Vec<SplitPhrase>>> = LazyLock::new(|| {
    let mut map: FxHashMap<&'static str, Vec<SplitPhrase>> = FxHashMap::default();
    for term in TERMS {
        let words: Vec<&'static str> = term.phrase.split(' ').collect();
        map.entry(words[0]).or_default().push((words, term));
    }
    for phrases in map.values_mut() {
        phrases.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
    }
    map
});

/// Finds the longest known phrase starting at `tokens[0]`.
pub fn match_term(tokens: &[&str]) -> Option<TermMatch> {
    let first = tokens.first()?;
    let phrases = BY_FIRST_TOKEN.get(first)?;
    phrases.iter().find_map(|(words, term)| {
        let fits = words.len() <= tokens.len() && words.iter().zip(tokens).all(|(w, t)| w == t);
        fits.then_some(TermMatch {
            canonical: term.canonical,
            class: term.class,
            len: words.len(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canonical_form_maps_to_itself() {
        for term in TERMS {
            let found = match_term(&[term.canonical]);
            assert_eq!(
                found.map(|m| (m.canonical, m.class)),
                Some((term.canonical, term.class)),
                "canonical form {:?} of {:?}",
                term.canonical,
                term.phrase
            );
        }
    }

    #[test]
    fn longest_phrase_wins() {
        let found = match_term(&["open", "joint", "stock", "company", "x"]);
        assert_eq!(found.map(|m| (m.canonical, m.len)), Some(("jsc", 4)));
        let found = match_term(&["sa", "de", "cv"]);
        assert_eq!(found.map(|m| (m.canonical, m.len)), Some(("sadecv", 3)));
    }

    #[test]
    fn phrase_length_bound_holds() {
        for term in TERMS {
            assert!(
                term.phrase.split(' ').count() <= MAX_PHRASE_TOKENS,
                "{}",
                term.phrase
            );
        }
    }
}
