//! Free-text scanning: remittance information, memo and reference fields
//! searched with Aho-Corasick automata for listed wallet addresses and for
//! listed names distinctive enough to matter in running text.
//!
//! Names are searched in normalized text (folded, tokenized and mapped to
//! canonical forms like any name), on token boundaries, so "payment to
//! Gazprom-Neft OAO" finds the listed "GAZPROM NEFT JSC". A name counts as
//! distinctive when it has at least two words or numbers whose weights sum
//! to at least [`DISTINCTIVE_PAIR_SHARE`] of the weight of a token seen
//! only once, or one word of at least [`DISTINCTIVE_SINGLE_LEN`] letters
//! weighing at least [`DISTINCTIVE_SINGLE_SHARE`] of it. Common names
//! ("Mohammed Ali") would flag every other message and are left to
//! name screening of the parties.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Serialize;

use crate::index::NameIndex;
use crate::model::Entity;
use crate::normalize::normalize_text;
use crate::wallet::{canonicalize, ChainFamily, WalletIndex};

/// Share of a once-seen token's weight that the words of a name of two or
/// more words must reach together.
pub const DISTINCTIVE_PAIR_SHARE: f32 = 1.2;
/// Shortest single-word name searched in text.
pub const DISTINCTIVE_SINGLE_LEN: usize = 8;
/// Share of a once-seen token's weight that a single-word name must reach.
pub const DISTINCTIVE_SINGLE_SHARE: f32 = 0.9;

/// The kind of thing a text hit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextHitKind {
    Name,
    Wallet,
}

/// A listed name or address found in free text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextHit {
    pub kind: TextHitKind,
    pub list: String,
    pub entity_id: String,
    /// The listed name or address as the list writes it.
    pub listed: String,
    /// The text that matched: the original characters for an address, the
    /// normalized tokens for a name.
    pub found: String,
    /// Byte offset of an address in the scanned text; names are found in
    /// normalized text, whose offsets do not map back, so they have none.
    pub offset: Option<usize>,
}

/// The automata and what each pattern stands for.
#[derive(Debug, Default)]
pub struct TextScanner {
    /// Distinctive names, in normalized form.
    names: Option<AhoCorasick>,
    /// Per name pattern: (entity, name index) pairs.
    name_owners: Vec<Vec<(u32, u16)>>,
    /// EVM and bech32 addresses, matched ignoring ASCII case.
    folded_addresses: Option<AhoCorasick>,
    /// Every other address, matched exactly.
    exact_addresses: Option<AhoCorasick>,
    folded_owners: Vec<Vec<(u32, u16)>>,
    exact_owners: Vec<Vec<(u32, u16)>>,
}

impl TextScanner {
    pub fn build(index: &NameIndex, wallets: &WalletIndex) -> TextScanner {
        let (name_patterns, name_owners) = distinctive_names(index);
        let mut folded = (Vec::new(), Vec::new());
        let mut exact = (Vec::new(), Vec::new());
        for (address, owners) in wallets.addresses() {
            let target = match canonicalize(address).1 {
                ChainFamily::Evm | ChainFamily::Bech32 => &mut folded,
                _ => &mut exact,
            };
            target.0.push(address.to_string());
            target.1.push(owners.to_vec());
        }
        TextScanner {
            names: automaton(&name_patterns, false),
            name_owners,
            folded_addresses: automaton(&folded.0, true),
            exact_addresses: automaton(&exact.0, false),
            folded_owners: folded.1,
            exact_owners: exact.1,
        }
    }

    /// Number of name patterns searched.
    pub fn name_patterns(&self) -> usize {
        self.name_owners.len()
    }
}

fn automaton(patterns: &[String], ignore_case: bool) -> Option<AhoCorasick> {
    if patterns.is_empty() {
        return None;
    }
    // Every transaction with remittance text is searched, so the automaton
    // is a contiguous NFA. In the bundle bench it scans a line about a third
    // faster than a noncontiguous one, and the snapshot build was not
    // measurably slower.
    //
    // Patterns are built from list data of bounded size; a build failure
    // would mean an automaton over the size limit, and then the scanner
    // finds nothing for that kind rather than failing the snapshot.
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .ascii_case_insensitive(ignore_case)
        .build(patterns)
        .ok()
}

/// Collects the normalized text of every distinctive name, with its owners.
fn distinctive_names(index: &NameIndex) -> (Vec<String>, Vec<Vec<(u32, u16)>>) {
    let once = crate::index::token_weight(
        index.single_use_idf(),
        "xxxx",
        crate::normalize::TokenClass::Word,
    );
    let mut by_pattern: rustc_hash::FxHashMap<String, Vec<(u32, u16)>> = Default::default();
    for record in index.records.iter().filter(|r| !r.script) {
        let tokens = index.record_tokens(record);
        let substantive: Vec<&crate::index::VocabEntry> = tokens
            .iter()
            .map(|&t| &index.vocab[t as usize])
            .filter(|e| e.class.is_substantive())
            .collect();
        let weight: f32 = substantive.iter().map(|e| e.weight).sum();
        let distinctive = match substantive.len() {
            0 => false,
            1 => {
                substantive[0].text.len() >= DISTINCTIVE_SINGLE_LEN
                    && weight >= DISTINCTIVE_SINGLE_SHARE * once
            }
            _ => weight >= DISTINCTIVE_PAIR_SHARE * once,
        };
        if distinctive {
            let text: Vec<&str> = tokens
                .iter()
                .map(|&t| &*index.vocab[t as usize].text)
                .collect();
            by_pattern
                .entry(text.join(" "))
                .or_default()
                .push((record.entity, record.name));
        }
    }
    by_pattern.into_iter().unzip()
}

/// Scans `text` for listed addresses and distinctive names.
pub(crate) fn scan(scanner: &TextScanner, entities: &[Entity], text: &str) -> Vec<TextHit> {
    let mut hits = Vec::new();
    for (automaton, owners) in [
        (&scanner.folded_addresses, &scanner.folded_owners),
        (&scanner.exact_addresses, &scanner.exact_owners),
    ] {
        let Some(automaton) = automaton else { continue };
        for found in automaton.find_overlapping_iter(text) {
            if !on_word_boundary(text, found.start(), found.end()) {
                continue;
            }
            for &(e, w) in &owners[found.pattern().as_usize()] {
                let entity = &entities[e as usize];
                hits.push(TextHit {
                    kind: TextHitKind::Wallet,
                    list: entity.list.clone(),
                    entity_id: entity.id.clone(),
                    listed: entity.wallets[w as usize].address.clone(),
                    found: text[found.start()..found.end()].to_string(),
                    offset: Some(found.start()),
                });
            }
        }
    }
    if let Some(automaton) = &scanner.names {
        let normalized = normalize_text(text);
        for found in automaton.find_overlapping_iter(&normalized) {
            if !on_word_boundary(&normalized, found.start(), found.end()) {
                continue;
            }
            for &(e, n) in &scanner.name_owners[found.pattern().as_usize()] {
                let entity = &entities[e as usize];
                hits.push(TextHit {
                    kind: TextHitKind::Name,
                    list: entity.list.clone(),
                    entity_id: entity.id.clone(),
                    listed: entity.names[n as usize].full.clone(),
                    found: normalized[found.start()..found.end()].to_string(),
                    offset: None,
                });
            }
        }
    }
    hits.sort_by(|a, b| {
        (a.kind as u8, &a.list, &a.entity_id).cmp(&(b.kind as u8, &b.list, &b.entity_id))
    });
    hits.dedup_by(|a, b| {
        a.kind == b.kind && a.list == b.list && a.entity_id == b.entity_id && a.listed == b.listed
    });
    hits
}

fn on_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
    let after = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
    before && after
}
