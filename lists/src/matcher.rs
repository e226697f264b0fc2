//! Name screening: from a query name to the listed entities it could be,
//! each with a score and an explanation.
//!
//! A query is normalized like list names, its tokens are matched against
//! the vocabulary (exact, misspelled within the allowed edit distance, or
//! sounding alike), and names containing those tokens become candidates.
//! Candidates come only from the query's rarest tokens: tokens are taken in
//! falling weight until the tokens left could not lift a name to the
//! threshold on their own, so a common given name never drags in every
//! name that shares it. Each candidate is aligned and scored
//! ([`crate::score`]), qualified by kind, birth date, country and gender
//! ([`crate::qualify`]), and the best name of each entity is kept.

use serde::Serialize;
use std::cell::RefCell;

use crate::index::{NameIndex, NameRecord, VocabMatch};
use crate::model::{EntityKind, Gender, NameType, PartialDate};
use crate::normalize::{normalize_with, Token, MAX_TOKENS};
use crate::qualify::{qualify, Adjustment, Effect, QueryFacts, MAX_BONUS};
use crate::score::{align, AlignScratch, NameScore, PreparedName, QueryJoin, QueryToken};
use crate::snapshot::Snapshot;

/// The default score a hit must reach. A hit at 0.80 means that the query
/// and the listed name agree on the tokens that carry most of the query's
/// weight (its rare tokens), allowing misspellings, reordering and split or
/// joined words. It also means that no qualifier stated on both sides
/// contradicts the match strongly. An exact match of every token scores 1.0 before qualifiers; a
/// listed name with one rare extra token scores about 0.87; a query sharing
/// only one of two equally rare tokens scores about 0.4.
///
/// NOTE: rarity comes from the screened lists alone, which cannot tell that
/// "Zhang Yu" or "Mark Taylor" are common in the world. On the default
/// bundle such exact namesakes of listed persons still reach the threshold
/// when their birth date is less than a decade off.
pub const DEFAULT_THRESHOLD: f64 = 0.80;

/// The number of hits a query returns unless it sets `top_k`.
pub const DEFAULT_TOP_K: usize = 10;

/// Score multiplier for a match on a weak (low-quality) alias.
pub const WEAK_ALIAS_FACTOR: f32 = 0.9;

/// A name to screen, with what else the caller knows about the party.
#[derive(Debug, Clone, Default)]
pub struct NameQuery {
    pub name: String,
    pub kind: Option<EntityKind>,
    pub birth_date: Option<PartialDate>,
    /// ISO 3166-1 alpha-2 nationality or country of the party.
    pub country: Option<String>,
    pub gender: Option<Gender>,
    /// List ids to screen against; empty means all lists.
    pub lists: Vec<String>,
    /// Minimum score of a hit; [`DEFAULT_THRESHOLD`] when `None`.
    pub threshold: Option<f64>,
    /// Maximum number of hits; [`DEFAULT_TOP_K`] when `None`.
    pub top_k: Option<usize>,
}

impl NameQuery {
    /// Builds a query with a name and nothing else.
    pub fn new(name: impl Into<String>) -> NameQuery {
        NameQuery {
            name: name.into(),
            ..NameQuery::default()
        }
    }
}

/// The outcome of screening a name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameResult {
    /// Hits at or above the threshold, best first; empty when none.
    Hits(Vec<Hit>),
    /// Nothing of the name survived normalization (only punctuation,
    /// symbols or spaces), so it cannot be screened.
    NormalizesToNothing,
}

impl NameResult {
    /// Returns the hits, or none for a name that normalizes to nothing.
    pub fn hits(&self) -> &[Hit] {
        match self {
            NameResult::Hits(hits) => hits,
            NameResult::NormalizesToNothing => &[],
        }
    }
}

/// A listed entity that the query name may refer to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub list: String,
    pub entity_id: String,
    pub kind: EntityKind,
    /// The name or alias that matched, as the list writes it.
    pub matched_name: String,
    pub name_type: NameType,
    /// From 0 to 1; see [`DEFAULT_THRESHOLD`] for what values mean.
    pub score: f64,
    pub explanation: Explanation,
}

/// The reasons for a hit's score: token pairs, unmatched tokens and
/// adjustments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub matched_tokens: Vec<TokenMatch>,
    pub unmatched_query: Vec<String>,
    pub unmatched_listed: Vec<String>,
    /// Weighted share of the query's tokens matched.
    pub query_coverage: f64,
    /// Weighted share of the listed name's tokens matched.
    pub listed_coverage: f64,
    /// The name score before qualifiers.
    pub name_score: f64,
    /// Penalties and qualifiers, in the order applied.
    pub adjustments: Vec<Adjustment>,
}

/// A pairing of query tokens with listed tokens. Either side may be two
/// tokens written apart where the other side writes one ("gazprom bank").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenMatch {
    pub query: String,
    pub listed: String,
    pub similarity: f64,
    /// Weight of the listed tokens in the listed name's score.
    pub weight: f64,
}

/// Per-thread buffers reused across queries.
#[derive(Default)]
struct Scratch {
    /// Query number that last saw each record, to take it once.
    seen: Vec<u32>,
    query_number: u32,
    /// Per record seen by this query: the weight of the query tokens that
    /// reached it, an upper bound on its matched query weight.
    reached: Vec<f32>,
    /// Per record seen by this query: the last query token that reached it.
    last_token: Vec<u16>,
    /// Weight of query tokens whose postings were not visited, which any
    /// candidate may still match.
    unvisited: f32,
    candidates: Vec<u32>,
    scored: Vec<Scored>,
    align: AlignScratch,
}

#[derive(Debug, Clone, Copy)]
struct Scored {
    entity: u32,
    record: u32,
    score: f32,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Snapshot {
    /// Screens a name against the lists of the snapshot.
    pub fn screen_name(&self, query: &NameQuery) -> NameResult {
        let normalized = normalize_with(&query.name, |c| self.names.has_char(c));
        if normalized.is_empty() {
            return NameResult::NormalizesToNothing;
        }
        let threshold = query.threshold.unwrap_or(DEFAULT_THRESHOLD) as f32;
        let top_k = query.top_k.unwrap_or(DEFAULT_TOP_K);
        let allowed = self.list_filter(&query.lists);
        let facts = QueryFacts {
            kind: query.kind,
            birth_date: query.birth_date,
            country: query.country.as_deref(),
            gender: query.gender,
        };
        let forms = [normalized.latin, normalized.script];
        let prepared: Vec<PreparedName> = forms
            .into_iter()
            .filter(|tokens| !tokens.is_empty())
            .map(|tokens| prepare(&self.names, tokens))
            .collect();

        SCRATCH.with(|cell| {
            let scratch = &mut *cell.borrow_mut();
            scratch.scored.clear();
            for (form, name) in prepared.iter().enumerate() {
                begin_form(scratch, self.names.record_count());
                self.score_candidates(form, name, threshold, &facts, allowed.as_deref(), scratch);
            }
            let best = best_per_entity(&mut scratch.scored, top_k);
            let hits = best
                .iter()
                .map(|s| self.build_hit(&prepared, s, &facts, scratch))
                .collect();
            NameResult::Hits(hits)
        })
    }

    fn list_filter(&self, lists: &[String]) -> Option<Vec<bool>> {
        if lists.is_empty() {
            return None;
        }
        Some(self.lists().iter().map(|l| lists.contains(&l.id)).collect())
    }

    fn score_candidates(
        &self,
        form: usize,
        name: &PreparedName,
        threshold: f32,
        facts: &QueryFacts<'_>,
        allowed: Option<&[bool]>,
        scratch: &mut Scratch,
    ) {
        let bound = threshold - MAX_BONUS;
        collect_candidates(&self.names, name, bound, scratch);
        for i in 0..scratch.candidates.len() {
            let r = scratch.candidates[i];
            let reached = scratch.reached[r as usize] + scratch.unvisited;
            if reached < bound * name.total_weight {
                continue;
            }
            let record = &self.names.records[r as usize];
            if let Some(allowed) = allowed {
                if !allowed[self.entity_list_index(record.entity)] {
                    continue;
                }
            }
            let (score, _) =
                self.score_record(name, record, facts, threshold, &mut scratch.align, None);
            if score >= threshold {
                let entity = record.entity;
                let record = r | ((form as u32) << 31);
                scratch.scored.push(Scored {
                    entity,
                    record,
                    score,
                });
            }
        }
    }

    /// Scores one listed name fully: alignment, weak-alias factor and
    /// qualifiers. Returns the final score and the name score. Without
    /// `explain`, a name that cannot reach `threshold` even with every
    /// qualifier bonus is left unqualified; with it, each adjustment is
    /// recorded.
    fn score_record(
        &self,
        name: &PreparedName,
        record: &NameRecord,
        facts: &QueryFacts<'_>,
        threshold: f32,
        align_scratch: &mut AlignScratch,
        mut explain: Option<&mut Vec<Adjustment>>,
    ) -> (f32, NameScore) {
        let name_score = align(name, &self.names, record, align_scratch);
        let NameScore {
            score,
            numbers_disagree,
            ..
        } = name_score;
        if score <= 0.0 {
            return (0.0, name_score);
        }
        if let Some(out) = explain.as_deref_mut() {
            if numbers_disagree {
                out.push(Adjustment {
                    reason: "numbers in the names disagree".into(),
                    effect: Effect::Multiply(crate::score::NUMBER_MISMATCH_FACTOR.into()),
                });
            }
        }
        let mut score = score;
        if record.name_type == NameType::WeakAlias {
            score *= WEAK_ALIAS_FACTOR;
            if let Some(out) = explain.as_deref_mut() {
                out.push(Adjustment {
                    reason: "matched a weak alias".into(),
                    effect: Effect::Multiply(WEAK_ALIAS_FACTOR.into()),
                });
            }
        }
        if explain.is_none() && score + MAX_BONUS < threshold {
            return (score, name_score);
        }
        let entity = &self.entities()[record.entity as usize];
        let qualification = qualify(facts, entity, explain);
        let score = (score * qualification.factor + qualification.bonus).clamp(0.0, 1.0);
        (score, name_score)
    }

    fn build_hit(
        &self,
        prepared: &[PreparedName],
        scored: &Scored,
        facts: &QueryFacts<'_>,
        scratch: &mut Scratch,
    ) -> Hit {
        let form = (scored.record >> 31) as usize;
        let record = &self.names.records[(scored.record & !(1 << 31)) as usize];
        let name = &prepared[form];
        let mut adjustments = Vec::new();
        let (score, name_score) = self.score_record(
            name,
            record,
            facts,
            0.0,
            &mut scratch.align,
            Some(&mut adjustments),
        );
        let entity = &self.entities()[record.entity as usize];
        let listed_name = &entity.names[record.name as usize];
        Hit {
            list: entity.list.clone(),
            entity_id: entity.id.clone(),
            kind: entity.kind,
            matched_name: listed_name.full.clone(),
            name_type: listed_name.name_type,
            score: f64::from(score),
            explanation: explain_alignment(
                &self.names,
                name,
                record,
                name_score,
                &scratch.align,
                adjustments,
            ),
        }
    }
}

/// Matches each query token, and each adjacent pair written as one,
/// against the vocabulary, and weighs the tokens: a token weighs what its
/// exact vocabulary entry weighs, else what its most similar entry weighs,
/// else the weight of an unseen token (rarer than any listed one).
fn prepare(index: &NameIndex, tokens: Vec<Token>) -> PreparedName {
    let mut prepared = PreparedName {
        tokens: Vec::with_capacity(tokens.len()),
        ..PreparedName::default()
    };
    // Two adjacent tokens written as one ("gazprom bank" for "gazprombank").
    // Most pairs are ruled out without joining them.
    let mut joined = String::new();
    for (first, pair) in tokens.windows(2).enumerate() {
        if !pair[0].class.is_substantive() && !pair[1].class.is_substantive() {
            continue;
        }
        let (a, b) = (pair[0].text.as_str(), pair[1].text.as_str());
        if !index.may_be_joined_token(a, b) {
            continue;
        }
        joined.clear();
        joined.push_str(a);
        joined.push_str(b);
        if let Some(token) = index.token_id(&joined) {
            let matches = vec![VocabMatch {
                token,
                similarity: 1.0,
            }];
            prepared.joins.push(QueryJoin { first, matches });
        }
    }
    let mut candidates = Vec::new();
    for token in tokens {
        let mut matches = Vec::with_capacity(4);
        index.match_token(&token.text, token.class, &mut candidates, &mut matches);
        let (weight, full_weight) = query_token_weight(index, &token, &matches);
        matches.sort_unstable_by_key(|m| m.token);
        prepared.total_weight += weight;
        prepared.tokens.push(QueryToken {
            text: token.text,
            class: token.class,
            weight,
            full_weight,
            matches,
        });
    }
    prepared
}

/// Returns the token's weight and its weight before the length discount.
fn query_token_weight(index: &NameIndex, token: &Token, matches: &[VocabMatch]) -> (f32, f32) {
    let best = matches
        .iter()
        .max_by(|a, b| a.similarity.total_cmp(&b.similarity));
    match best {
        Some(m) => {
            let entry = &index.vocab[m.token as usize];
            (entry.weight, entry.full_weight)
        }
        None => {
            let full = crate::index::full_token_weight(index.unseen_idf, token.class);
            (full * crate::index::length_factor(&token.text), full)
        }
    }
}

/// Starts the candidate search of one form of the query name.
fn begin_form(scratch: &mut Scratch, records: usize) {
    if scratch.seen.len() < records {
        scratch.seen.resize(records, 0);
        scratch.reached.resize(records, 0.0);
        scratch.last_token.resize(records, 0);
    }
    if scratch.query_number == u32::MAX {
        scratch.seen.fill(0);
        scratch.query_number = 0;
    }
    scratch.query_number += 1;
    scratch.unvisited = 0.0;
}

/// Gathers the records reached by the query's tokens, rarest first, until
/// the tokens not yet used weigh less than `bound` of the query: a record
/// matching none of the used tokens cannot reach `bound` in query coverage,
/// and the score never exceeds query coverage plus the qualifier bonuses.
///
/// The remaining, commoner tokens add their weight to the candidates they
/// reach without adding candidates, so each candidate carries the weight
/// of the query tokens that can match it. A candidate whose reached weight
/// stays below `bound` is then skipped without aligning it. A token whose
/// postings are much longer than the candidate list is not visited, and its
/// weight counts for every candidate instead.
fn collect_candidates(index: &NameIndex, name: &PreparedName, bound: f32, scratch: &mut Scratch) {
    scratch.candidates.clear();
    let mut order: Vec<usize> = (0..name.tokens.len()).collect();
    order.sort_unstable_by(|&a, &b| name.tokens[b].weight.total_cmp(&name.tokens[a].weight));
    let mut remaining = name.total_weight;
    for &t in &order {
        let token = &name.tokens[t];
        let generating = remaining >= bound * name.total_weight;
        remaining -= token.weight;
        if !generating {
            let postings: usize = token
                .matches
                .iter()
                .map(|m| index.postings(m.token).len())
                .sum();
            if postings > 4 * scratch.candidates.len() + 64 {
                scratch.unvisited += token.weight;
                continue;
            }
        }
        for m in &token.matches {
            visit_postings(index, m, t as u16, token.weight, generating, scratch);
        }
    }
    for join in &name.joins {
        let weight = name.tokens[join.first].weight + name.tokens[join.first + 1].weight;
        let marker = (MAX_TOKENS + join.first) as u16;
        for m in &join.matches {
            visit_postings(index, m, marker, weight, true, scratch);
        }
    }
}

/// Adds the records containing a matched token: as new candidates when
/// `generating`, and to the reached weight of candidates already seen.
fn visit_postings(
    index: &NameIndex,
    m: &VocabMatch,
    token: u16,
    weight: f32,
    generating: bool,
    scratch: &mut Scratch,
) {
    let number = scratch.query_number;
    for &r in index.postings(m.token) {
        let at = r as usize;
        if scratch.seen[at] != number {
            if generating {
                scratch.seen[at] = number;
                scratch.reached[at] = weight;
                scratch.last_token[at] = token;
                scratch.candidates.push(r);
            }
        } else if scratch.last_token[at] != token {
            scratch.reached[at] += weight;
            scratch.last_token[at] = token;
        }
    }
}

/// Keeps the best-scoring record of each entity, best entities first,
/// at most `top_k`.
fn best_per_entity(scored: &mut Vec<Scored>, top_k: usize) -> Vec<Scored> {
    scored.sort_unstable_by(|a, b| a.entity.cmp(&b.entity).then(b.score.total_cmp(&a.score)));
    scored.dedup_by_key(|s| s.entity);
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entity.cmp(&b.entity)));
    scored.truncate(top_k);
    scored.clone()
}

fn explain_alignment(
    index: &NameIndex,
    name: &PreparedName,
    record: &NameRecord,
    score: NameScore,
    align: &AlignScratch,
    adjustments: Vec<Adjustment>,
) -> Explanation {
    let listed = index.record_tokens(record);
    let listed_text = |l: u8| index.vocab[listed[l as usize] as usize].text.to_string();
    let (mut query_used, mut listed_used) = (0u64, 0u64);
    let mut matched_tokens = Vec::new();
    for pair in &align.chosen {
        let query: Vec<&str> = (pair.query.0..=pair.query.1)
            .map(|q| name.tokens[q as usize].text.as_str())
            .collect();
        let listed_words: Vec<String> = (pair.listed.0..=pair.listed.1).map(listed_text).collect();
        let weight: f32 = (pair.listed.0..=pair.listed.1)
            .map(|l| index.vocab[listed[l as usize] as usize].weight)
            .sum();
        for q in pair.query.0..=pair.query.1 {
            query_used |= 1 << q;
        }
        for l in pair.listed.0..=pair.listed.1 {
            listed_used |= 1 << l;
        }
        matched_tokens.push(TokenMatch {
            query: query.join(" "),
            listed: listed_words.join(" "),
            similarity: round(pair.similarity),
            weight: round(weight),
        });
    }
    let unmatched_query = name
        .tokens
        .iter()
        .enumerate()
        .filter(|(q, _)| query_used & (1 << q) == 0)
        .map(|(_, t)| t.text.clone())
        .collect();
    let unmatched_listed = (0..listed.len() as u8)
        .filter(|l| listed_used & (1 << l) == 0)
        .map(listed_text)
        .collect();
    Explanation {
        matched_tokens,
        unmatched_query,
        unmatched_listed,
        query_coverage: round(score.query_coverage),
        listed_coverage: round(score.listed_coverage),
        name_score: round(score.score),
        adjustments,
    }
}

/// Rounds to four decimals, so explanations read cleanly.
fn round(value: f32) -> f64 {
    (f64::from(value) * 10_000.0).round() / 10_000.0
}
