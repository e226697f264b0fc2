//! Name scoring: aligns the tokens of a query name with the tokens of one
//! listed name and turns the alignment into a score from 0 to 1.
//!
//! Each query token carries the vocabulary tokens it may stand for, with a
//! similarity (1 for the same token, less for a misspelling; see
//! `index::similar_enough`). The aligner pairs query tokens with listed
//! tokens, most similar first, each
//! token used once; a query token may also pair with two adjacent listed
//! tokens written as one ("gazprombank" with "gazprom bank"), and two
//! adjacent query tokens with one listed token.
//!
//! With `w` the token weights (rarity, see [`crate::index`]) and `s` the
//! similarity of each pair:
//!
//! - query coverage `Q` = sum of `w·s` over matched query tokens, divided
//!   by the weight of all query tokens;
//! - listed coverage `L` = the same over the listed name's tokens;
//! - name score = `Q · (LISTED_BASE + (1 − LISTED_BASE) · L)`.
//!
//! Token weights are lowered for short tokens, because short tokens match
//! by chance; that discount applies to evidence, not to absence, so an
//! unmatched token counts in the denominator with its weight before the
//! length discount (a missing "ro" of "Han Yu-Ro" is a missing name part,
//! whatever its length).
//!
//! Unmatched query tokens therefore cost their full share, while unmatched
//! listed tokens cost at most `1 − LISTED_BASE`: a listed name with an
//! extra middle name is still a strong hit, but a query sharing only a
//! common given name with a listed name is not, because that given name is
//! a small share of the query's weight. A number on either side that finds
//! no equal number on the other multiplies the score by
//! [`NUMBER_MISMATCH_FACTOR`]. An alignment that matches no word or number
//! (only legal forms, titles or particles) scores 0.

use crate::index::{NameIndex, NameRecord, TokenId, VocabMatch, NO_TOKEN};
use crate::normalize::TokenClass;

/// Share of the name score that listed-side coverage cannot take away.
pub const LISTED_BASE: f32 = 0.6;

/// Score multiplier when numbers in the two names disagree.
pub const NUMBER_MISMATCH_FACTOR: f32 = 0.5;

/// A query token with the vocabulary tokens it may stand for.
#[derive(Debug, Clone)]
pub(crate) struct QueryToken {
    pub text: String,
    pub class: TokenClass,
    pub weight: f32,
    /// The weight before the length discount, which the token costs when
    /// unmatched.
    pub full_weight: f32,
    /// Sorted by token id.
    pub matches: Vec<VocabMatch>,
}

/// Two adjacent query tokens written as one, and the vocabulary tokens
/// equal to that joined form.
#[derive(Debug, Clone)]
pub(crate) struct QueryJoin {
    /// Index of the first of the two query tokens.
    pub first: usize,
    pub matches: Vec<VocabMatch>,
}

/// A normalized query name, matched against the vocabulary once.
#[derive(Debug, Clone, Default)]
pub(crate) struct PreparedName {
    pub tokens: Vec<QueryToken>,
    pub joins: Vec<QueryJoin>,
    pub total_weight: f32,
}

/// One pairing chosen by the aligner: query tokens `query.0..=query.1`
/// with listed tokens `listed.0..=listed.1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pair {
    pub query: (u8, u8),
    pub listed: (u8, u8),
    pub similarity: f32,
    /// Weight of the query tokens covered plus the listed tokens covered,
    /// to break ties between equally similar pairs.
    weight: f32,
}

/// The result of aligning a query with one listed name.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct NameScore {
    pub score: f32,
    pub query_coverage: f32,
    pub listed_coverage: f32,
    pub numbers_disagree: bool,
}

/// Reusable buffers for [`align`].
#[derive(Debug, Default)]
pub(crate) struct AlignScratch {
    candidates: Vec<Pair>,
    /// The pairs chosen by the last call of [`align`].
    pub chosen: Vec<Pair>,
}

fn similarity_to(matches: &[VocabMatch], token: TokenId) -> Option<f32> {
    matches
        .binary_search_by_key(&token, |m| m.token)
        .ok()
        .map(|i| matches[i].similarity)
}

/// Aligns `query` with the listed name `record` and scores it; the chosen
/// pairs stay in `scratch.chosen`.
pub(crate) fn align(
    query: &PreparedName,
    index: &NameIndex,
    record: &NameRecord,
    scratch: &mut AlignScratch,
) -> NameScore {
    let listed = index.record_tokens(record);
    let joined = index.record_joined(record);
    let weight_of = |t: TokenId| index.vocab[t as usize].weight;
    collect_pairs(query, listed, joined, &weight_of, &mut scratch.candidates);
    choose_pairs(&mut scratch.candidates, &mut scratch.chosen);

    let mut query_matched = 0.0;
    let mut listed_matched = 0.0;
    let mut substantive = false;
    let (mut query_used, mut listed_used) = (0u64, 0u64);
    for pair in &scratch.chosen {
        for q in pair.query.0..=pair.query.1 {
            let token = &query.tokens[q as usize];
            query_matched += token.weight * pair.similarity;
            substantive |= token.class.is_substantive();
            query_used |= 1 << q;
        }
        for l in pair.listed.0..=pair.listed.1 {
            listed_matched += weight_of(listed[l as usize]) * pair.similarity;
            listed_used |= 1 << l;
        }
    }
    if !substantive {
        return NameScore::default();
    }
    let query_missing: f32 = unused(query_used, query.tokens.len())
        .map(|q| (query.tokens[q].full_weight - query.tokens[q].weight).max(0.0))
        .sum();
    let listed_missing: f32 = unused(listed_used, listed.len())
        .map(|l| {
            let entry = &index.vocab[listed[l] as usize];
            (entry.full_weight - entry.weight).max(0.0)
        })
        .sum();
    let query_coverage = ratio(query_matched, query.total_weight + query_missing);
    let listed_coverage = ratio(listed_matched, record.total_weight + listed_missing);
    let numbers_disagree = has_unmatched_number(query, query_used, index, listed, listed_used);
    let mut score = query_coverage * (LISTED_BASE + (1.0 - LISTED_BASE) * listed_coverage);
    if numbers_disagree {
        score *= NUMBER_MISMATCH_FACTOR;
    }
    NameScore {
        score: score.clamp(0.0, 1.0),
        query_coverage,
        listed_coverage,
        numbers_disagree,
    }
}

/// Positions below `len` whose bit is not set in `used`.
fn unused(used: u64, len: usize) -> impl Iterator<Item = usize> {
    (0..len).filter(move |&i| used & (1 << i) == 0)
}

fn ratio(part: f32, whole: f32) -> f32 {
    if whole > 0.0 {
        (part / whole).min(1.0)
    } else {
        0.0
    }
}

fn collect_pairs(
    query: &PreparedName,
    listed: &[TokenId],
    joined: &[TokenId],
    weight_of: &impl Fn(TokenId) -> f32,
    out: &mut Vec<Pair>,
) {
    out.clear();
    for (q, token) in query.tokens.iter().enumerate() {
        for (l, &listed_token) in listed.iter().enumerate() {
            if let Some(similarity) = similarity_to(&token.matches, listed_token) {
                let weight = token.weight + weight_of(listed_token);
                out.push(pair(q, q, l, l, similarity, weight));
            }
            let next = joined[l];
            if next != NO_TOKEN {
                if let Some(similarity) = similarity_to(&token.matches, next) {
                    let weight = token.weight + weight_of(listed_token) + weight_of(listed[l + 1]);
                    out.push(pair(q, q, l, l + 1, similarity, weight));
                }
            }
        }
    }
    for join in &query.joins {
        let q = join.first;
        for (l, &listed_token) in listed.iter().enumerate() {
            if let Some(similarity) = similarity_to(&join.matches, listed_token) {
                let weight =
                    query.tokens[q].weight + query.tokens[q + 1].weight + weight_of(listed_token);
                out.push(pair(q, q + 1, l, l, similarity, weight));
            }
        }
    }
}

fn pair(
    q_from: usize,
    q_to: usize,
    l_from: usize,
    l_to: usize,
    similarity: f32,
    weight: f32,
) -> Pair {
    Pair {
        query: (q_from as u8, q_to as u8),
        listed: (l_from as u8, l_to as u8),
        similarity,
        weight,
    }
}

/// Greedy assignment: most similar pairs first, heavier first among
/// equals, each token in at most one pair.
fn choose_pairs(candidates: &mut [Pair], chosen: &mut Vec<Pair>) {
    candidates.sort_unstable_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(b.weight.total_cmp(&a.weight))
    });
    chosen.clear();
    let (mut query_used, mut listed_used) = (0u64, 0u64);
    for pair in candidates.iter() {
        let q = span_mask(pair.query);
        let l = span_mask(pair.listed);
        if query_used & q == 0 && listed_used & l == 0 {
            query_used |= q;
            listed_used |= l;
            chosen.push(*pair);
        }
    }
}

fn span_mask((from, to): (u8, u8)) -> u64 {
    let width = (to - from + 1) as u32;
    ((1u64 << width) - 1) << from
}

fn has_unmatched_number(
    query: &PreparedName,
    query_used: u64,
    index: &NameIndex,
    listed: &[TokenId],
    listed_used: u64,
) -> bool {
    let query_unmatched = query
        .tokens
        .iter()
        .enumerate()
        .any(|(q, t)| t.class == TokenClass::Number && query_used & (1 << q) == 0);
    let listed_unmatched = listed.iter().enumerate().any(|(l, &t)| {
        index.vocab[t as usize].class == TokenClass::Number && listed_used & (1 << l) == 0
    });
    query_unmatched || listed_unmatched
}
