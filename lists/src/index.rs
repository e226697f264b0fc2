//! The name index: every list name normalized into tokens, a vocabulary of
//! those tokens with their rarity, postings from tokens to names, and two
//! fuzzy routes into the vocabulary, so a query token finds the listed
//! tokens it may be a misspelling of without scanning every name:
//!
//! - a symmetric-delete table: every vocabulary token is stored under the
//!   hashes of the strings made by deleting up to one character (tokens of
//!   3 or 4 characters) or two characters (longer tokens); a query token
//!   looks up its own deletions, and shared keys give the candidates,
//!   which are then checked with the real edit distance;
//! - phonetic keys ([`crate::phonetic`]), for spellings that sound alike
//!   but differ in more characters ("Qaddafi", "Kadhafi").
//!
//! Adjacent tokens of each name are also stored joined ("gazprom bank" as
//! "gazprombank"), so a query that writes a name as one word reaches it.

use std::sync::Mutex;

use rustc_hash::FxHashMap;

use crate::model::{Entity, NameType};
use crate::normalize::{normalize, Token, TokenClass};
use crate::phonetic::{fnv1a, fnv1a_continue, phonetic_key};

pub(crate) type TokenId = u32;

/// Marks a position with no joined token (the last token of a name).
pub(crate) const NO_TOKEN: TokenId = u32::MAX;

/// One token of the vocabulary.
#[derive(Debug, Clone)]
pub(crate) struct VocabEntry {
    pub text: Box<str>,
    pub class: TokenClass,
    /// How many indexed names contain the token.
    pub df: u32,
    /// Rarity times length factor times class factor; see [`token_weight`].
    pub weight: f32,
    /// The weight without the length factor, which an unmatched token
    /// costs; see `score`.
    pub full_weight: f32,
    /// The entry only exists as two adjacent name tokens joined.
    pub joined_only: bool,
    /// Phonetic key hash, 0 for entries without one.
    pub phonetic: u32,
}

/// One indexed form of one name of an entity.
#[derive(Debug, Clone)]
pub(crate) struct NameRecord {
    /// Index of the entity in the snapshot.
    pub entity: u32,
    /// Index of the name in the entity's `names`.
    pub name: u16,
    pub name_type: NameType,
    /// The record contains the name's original-script tokens rather than
    /// its transliteration.
    pub script: bool,
    /// Range of the record's tokens in `NameIndex::name_tokens`.
    pub start: u32,
    pub len: u16,
    /// Sum of the weights of the record's tokens.
    pub total_weight: f32,
}

/// Tokens of the query matched against the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct VocabMatch {
    pub token: TokenId,
    pub similarity: f32,
}

/// The index over all names of a snapshot.
#[derive(Debug, Default)]
pub struct NameIndex {
    lookup: FxHashMap<Box<str>, TokenId>,
    pub(crate) vocab: Vec<VocabEntry>,
    pub(crate) records: Vec<NameRecord>,
    /// Tokens of every record, back to back.
    pub(crate) name_tokens: Vec<TokenId>,
    /// Parallel to `name_tokens`: the token at a position joined with the
    /// next one, or `NO_TOKEN`.
    pub(crate) joined_tokens: Vec<TokenId>,
    postings_start: Vec<u32>,
    postings: Vec<u32>,
    deletes: HashTable,
    phonetic: HashTable,
    /// Weight of a query token found nowhere in the vocabulary.
    pub(crate) unseen_idf: f32,
    /// Vocabulary matches of query words seen before.
    token_cache: TokenCache,
    /// Bits set by the vocabulary's tokens, so that most lookups of a text
    /// that is no token (a query's adjacent words joined, a word with two
    /// letters swapped) end before the larger `lookup` map is read.
    token_filter: TokenFilter,
    /// One bit per BMP character found in a vocabulary token.
    chars: Vec<u64>,
}

/// A one-hash Bloom filter over token texts, with about 16 bits per token,
/// so that roughly one text in 16 that is not a token passes.
#[derive(Debug, Default)]
struct TokenFilter {
    words: Vec<u64>,
    mask: u32,
}

impl TokenFilter {
    fn build<'a>(tokens: impl ExactSizeIterator<Item = &'a str>) -> TokenFilter {
        let bits = (tokens.len().max(1) * 16).next_power_of_two().max(64);
        let mut filter = TokenFilter {
            words: vec![0; bits / 64],
            mask: (bits - 1) as u32,
        };
        for text in tokens {
            let bit = fnv1a(text.as_bytes()) & filter.mask;
            filter.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        filter
    }

    /// Tells whether `text` may be a token; false only when it is not. An
    /// index whose filter was never built lets every text through.
    fn may_contain(&self, text: &str) -> bool {
        self.may_contain_hash(fnv1a(text.as_bytes()))
    }

    fn may_contain_hash(&self, hash: u32) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let bit = hash & self.mask;
        self.words[(bit / 64) as usize] >> (bit % 64) & 1 == 1
    }
}

/// Vocabulary matches of query words, kept because payment traffic repeats
/// names and finding the typo candidates of a word is the costliest step
/// of a query. Sharded to keep lock contention low; a full shard is
/// emptied, so memory stays bounded.
#[derive(Debug, Default)]
struct TokenCache {
    shards: [Mutex<CacheShard>; TOKEN_CACHE_SHARDS],
}

/// One shard of the token cache: query word to its vocabulary matches.
type CacheShard = FxHashMap<Box<str>, Box<[VocabMatch]>>;

const TOKEN_CACHE_SHARDS: usize = 16;
/// Words kept per shard, so the cache contains at most 131,072 words.
const TOKEN_CACHE_SHARD_WORDS: usize = 8_192;
/// Longest word cached, so client input cannot make entries large.
const MAX_CACHED_WORD_BYTES: usize = 64;

impl TokenCache {
    fn shard(&self, text: &str) -> &Mutex<CacheShard> {
        let index = fnv1a(text.as_bytes()) as usize % TOKEN_CACHE_SHARDS;
        &self.shards[index]
    }

    /// Appends the cached matches of `text` to `out`; false when not cached.
    fn extend(&self, text: &str, out: &mut Vec<VocabMatch>) -> bool {
        let Ok(shard) = self.shard(text).lock() else {
            return false;
        };
        match shard.get(text) {
            Some(matches) => {
                out.extend_from_slice(matches);
                true
            }
            None => false,
        }
    }

    fn insert(&self, text: &str, matches: &[VocabMatch]) {
        let Ok(mut shard) = self.shard(text).lock() else {
            return;
        };
        if shard.len() >= TOKEN_CACHE_SHARD_WORDS {
            shard.clear();
        }
        shard.insert(text.into(), matches.into());
    }
}

/// Sorted (hash, token) pairs with a directory on the top bits of the
/// hash, for lookups without a general-purpose hash map. A pair's hash and
/// token sit side by side, so a lookup touches the directory and one run
/// of pairs.
#[derive(Debug, Default)]
struct HashTable {
    pairs: Vec<(u32, TokenId)>,
    directory: Vec<u32>,
    shift: u32,
}

/// Maximum keys in one lookup batch, enough for a 14-byte word and its one- and
/// two-byte deletions (1 + 14 + 91).
const MAX_BATCH_KEYS: usize = 128;

impl HashTable {
    fn build(mut pairs: Vec<(u32, TokenId)>) -> HashTable {
        pairs.sort_unstable();
        pairs.dedup();
        let bits = (usize::BITS - pairs.len().leading_zeros()).clamp(4, 24);
        let shift = 32 - bits;
        let mut directory = vec![0u32; (1usize << bits) + 1];
        for (key, _) in &pairs {
            directory[(key >> shift) as usize + 1] += 1;
        }
        for i in 1..directory.len() {
            directory[i] += directory[i - 1];
        }
        pairs.shrink_to_fit();
        HashTable {
            pairs,
            directory,
            shift,
        }
    }

    /// Appends the tokens stored under `key` to `out`.
    fn extend(&self, key: u32, out: &mut Vec<TokenId>) {
        self.extend_all(&[key], out);
    }

    /// Appends the tokens stored under each of `keys` to `out`, in the
    /// order of the keys. The directory entries of up to [`MAX_BATCH_KEYS`]
    /// keys are read first, in a loop whose loads do not depend on each
    /// other, so their cache misses overlap instead of queueing.
    fn extend_all(&self, keys: &[u32], out: &mut Vec<TokenId>) {
        if self.directory.is_empty() {
            return;
        }
        for keys in keys.chunks(MAX_BATCH_KEYS) {
            let mut ranges = [(0u32, 0u32); MAX_BATCH_KEYS];
            for (key, range) in keys.iter().zip(ranges.iter_mut()) {
                let bucket = (key >> self.shift) as usize;
                *range = (self.directory[bucket], self.directory[bucket + 1]);
            }
            for (&key, &(from, to)) in keys.iter().zip(ranges.iter()) {
                let run = self.pairs.get(from as usize..to as usize).unwrap_or(&[]);
                out.extend(run.iter().filter(|p| p.0 == key).map(|p| p.1));
            }
        }
    }

    fn bytes(&self) -> usize {
        (self.pairs.capacity() * 2 + self.directory.capacity()) * 4
    }
}

/// Weight of a token: its inverse document frequency, lowered for short
/// tokens (which collide by chance) and for legal forms, honorifics and
/// particles (which tell little about who a party is).
pub(crate) fn token_weight(idf: f32, text: &str, class: TokenClass) -> f32 {
    full_token_weight(idf, class) * length_factor(text)
}

/// Returns how much a token's length lets it count as evidence, since
/// short tokens collide by chance.
pub(crate) fn length_factor(text: &str) -> f32 {
    match text.chars().count() {
        1 => 0.3,
        2 => 0.6,
        3 => 0.85,
        _ => 1.0,
    }
}

/// Computes a token's weight without the length factor.
pub(crate) fn full_token_weight(idf: f32, class: TokenClass) -> f32 {
    let role = match class {
        TokenClass::Word | TokenClass::Number => 1.0,
        TokenClass::Particle => 0.2,
        TokenClass::LegalForm | TokenClass::Honorific => 0.15,
    };
    idf * role
}

fn idf(records: usize, df: u32) -> f32 {
    (1.0 + records as f32 / df.max(1) as f32).ln()
}

impl NameIndex {
    /// Indexes every name of the entities; `entities[i]` becomes entity
    /// number `i` in the records.
    pub fn build(entities: &[Entity]) -> NameIndex {
        let mut index = NameIndex::default();
        for (e, entity) in entities.iter().enumerate() {
            for (n, name) in entity.names.iter().enumerate().take(u16::MAX as usize) {
                let normalized = normalize(&name.full);
                for (script, tokens) in [(false, &normalized.latin), (true, &normalized.script)] {
                    if !tokens.is_empty() {
                        index.add_record(e as u32, n as u16, name.name_type, script, tokens);
                    }
                }
            }
        }
        index.compute_weights();
        index.add_joined_tokens();
        index.build_postings();
        index.deletes = HashTable::build(index.deletion_pairs());
        let phonetic = index.phonetic_pairs();
        index.phonetic = HashTable::build(phonetic);
        index.token_filter = TokenFilter::build(index.vocab.iter().map(|e| &*e.text));
        index.chars = vec![0; 0x1_0000 / 64];
        for c in index.vocab.iter().flat_map(|e| e.text.chars()) {
            if let Some(word) = index.chars.get_mut(c as usize / 64) {
                *word |= 1 << (c as u32 % 64);
            }
        }

        index
    }

    fn add_record(
        &mut self,
        entity: u32,
        name: u16,
        name_type: NameType,
        script: bool,
        tokens: &[Token],
    ) {
        let start = self.name_tokens.len() as u32;
        for token in tokens {
            let id = self.intern(&token.text, token.class, false);
            self.name_tokens.push(id);
        }
        self.records.push(NameRecord {
            entity,
            name,
            name_type,
            script,
            start,
            len: tokens.len() as u16,
            total_weight: 0.0,
        });
    }

    fn intern(&mut self, text: &str, class: TokenClass, joined: bool) -> TokenId {
        if let Some(&id) = self.lookup.get(text) {
            let entry = &mut self.vocab[id as usize];
            if !joined && entry.joined_only {
                entry.joined_only = false;
                entry.class = class;
            }
            return id;
        }
        let id = self.vocab.len() as TokenId;
        self.vocab.push(VocabEntry {
            text: text.into(),
            class,
            df: 0,
            weight: 0.0,
            full_weight: 0.0,
            joined_only: joined,
            phonetic: 0,
        });
        self.lookup.insert(text.into(), id);
        id
    }

    pub(crate) fn record_tokens(&self, record: &NameRecord) -> &[TokenId] {
        &self.name_tokens[record.start as usize..record.start as usize + record.len as usize]
    }

    pub(crate) fn record_joined(&self, record: &NameRecord) -> &[TokenId] {
        &self.joined_tokens[record.start as usize..record.start as usize + record.len as usize]
    }

    fn compute_weights(&mut self) {
        let mut last_seen = vec![u32::MAX; self.vocab.len()];
        for (r, record) in self.records.iter().enumerate() {
            let range = record.start as usize..record.start as usize + record.len as usize;
            for &token in &self.name_tokens[range] {
                if last_seen[token as usize] != r as u32 {
                    last_seen[token as usize] = r as u32;
                    self.vocab[token as usize].df += 1;
                }
            }
        }
        let count = self.records.len();
        self.unseen_idf = idf(count, 1) + std::f32::consts::LN_2;
        for entry in &mut self.vocab {
            entry.full_weight = full_token_weight(idf(count, entry.df), entry.class);
            entry.weight = entry.full_weight * length_factor(&entry.text);
        }
        for r in 0..self.records.len() {
            let total: f32 = self
                .record_tokens(&self.records[r])
                .iter()
                .map(|&t| self.vocab[t as usize].weight)
                .sum();
            self.records[r].total_weight = total;
        }
    }

    /// Stores each pair of adjacent tokens joined, where at least one of
    /// them is substantive ("al qaida" as "alqaida"). An entry that exists
    /// only joined weighs what its two parts weigh together.
    fn add_joined_tokens(&mut self) {
        self.joined_tokens = vec![NO_TOKEN; self.name_tokens.len()];
        let mut text = String::new();
        for p in 0..self.name_tokens.len().saturating_sub(1) {
            let (a, b) = (self.name_tokens[p], self.name_tokens[p + 1]);
            if !self.same_record(p) {
                continue;
            }
            let (ea, eb) = (&self.vocab[a as usize], &self.vocab[b as usize]);
            if !ea.class.is_substantive() && !eb.class.is_substantive() {
                continue;
            }
            let weight = ea.weight + eb.weight;
            let full_weight = ea.full_weight + eb.full_weight;
            text.clear();
            text.push_str(&ea.text);
            text.push_str(&eb.text);
            let id = self.intern(&text, TokenClass::Word, true);
            let entry = &mut self.vocab[id as usize];
            if entry.joined_only {
                entry.weight = entry.weight.max(weight);
                entry.full_weight = entry.full_weight.max(full_weight);
            }
            self.joined_tokens[p] = id;
        }
    }

    fn same_record(&self, position: usize) -> bool {
        let r = self
            .records
            .partition_point(|rec| (rec.start as usize) <= position)
            - 1;
        let record = &self.records[r];
        position + 1 < record.start as usize + record.len as usize
    }

    fn build_postings(&mut self) {
        let mut pairs: Vec<(TokenId, u32)> = Vec::with_capacity(self.name_tokens.len() * 2);
        for (r, record) in self.records.iter().enumerate() {
            let range = record.start as usize..record.start as usize + record.len as usize;
            let tokens = self.name_tokens[range.clone()].iter();
            let joined = self.joined_tokens[range].iter().filter(|&&t| t != NO_TOKEN);
            pairs.extend(tokens.chain(joined).map(|&t| (t, r as u32)));
        }
        pairs.sort_unstable();
        pairs.dedup();
        self.postings_start = vec![0; self.vocab.len() + 1];
        for &(token, _) in &pairs {
            self.postings_start[token as usize + 1] += 1;
        }
        for i in 1..self.postings_start.len() {
            self.postings_start[i] += self.postings_start[i - 1];
        }
        self.postings = pairs.into_iter().map(|(_, r)| r).collect();
    }

    fn deletion_pairs(&self) -> Vec<(u32, TokenId)> {
        let mut pairs = Vec::new();
        for (id, entry) in self.vocab.iter().enumerate() {
            if fuzzy_eligible(entry) {
                for_each_deletion(entry.text.as_bytes(), |key| {
                    pairs.push((key, id as TokenId))
                });
            }
        }
        pairs
    }

    fn phonetic_pairs(&mut self) -> Vec<(u32, TokenId)> {
        let mut pairs = Vec::new();
        for (id, entry) in self.vocab.iter_mut().enumerate() {
            if fuzzy_eligible(entry) && entry.text.len() >= PHONETIC_MIN_LEN {
                if let Some(key) = phonetic_key(&entry.text) {
                    entry.phonetic = key;
                    pairs.push((key, id as TokenId));
                }
            }
        }
        pairs
    }

    /// Names containing a token (or a joined pair equal to it).
    pub(crate) fn postings(&self, token: TokenId) -> &[u32] {
        let (from, to) = (
            self.postings_start[token as usize] as usize,
            self.postings_start[token as usize + 1] as usize,
        );
        &self.postings[from..to]
    }

    /// Tells whether `c` occurs in a vocabulary token. True for every
    /// character outside the BMP, and for an index never built.
    pub(crate) fn has_char(&self, c: char) -> bool {
        match self.chars.get(c as usize / 64) {
            Some(word) => word >> (c as u32 % 64) & 1 == 1,
            None => true,
        }
    }

    /// Tells whether `first` and `second` written as one may be a token;
    /// false only when it is not. Saves joining the two to look them up.
    pub(crate) fn may_be_joined_token(&self, first: &str, second: &str) -> bool {
        let hash = fnv1a_continue(fnv1a(first.as_bytes()), second.as_bytes());
        self.token_filter.may_contain_hash(hash)
    }

    pub(crate) fn token_id(&self, text: &str) -> Option<TokenId> {
        if !self.token_filter.may_contain(text) {
            return None;
        }
        self.lookup.get(text).copied()
    }

    /// Finds the vocabulary tokens that `text` may stand for: itself, and
    /// for words, the tokens within the allowed edit distance (see
    /// [`similar_enough`]), sounding alike, or equal once doubled letters
    /// are made single ("yyu" for "yu"). Words without a vowel (an
    /// abbreviation, or the consonant skeleton that transliterated Arabic
    /// or Hebrew script gives) match only exactly: they pack more of a name
    /// into each letter, so one changed letter is another name. Appends to
    /// `out` without duplicates.
    pub(crate) fn match_token(
        &self,
        text: &str,
        class: TokenClass,
        candidates: &mut Vec<TokenId>,
        out: &mut Vec<VocabMatch>,
    ) {
        let cacheable = class == TokenClass::Word
            && (MIN_FUZZY_LEN..=MAX_CACHED_WORD_BYTES).contains(&text.len());
        if cacheable && self.token_cache.extend(text, out) {
            return;
        }
        let start = out.len();
        self.match_token_uncached(text, class, candidates, out);
        if cacheable {
            self.token_cache.insert(text, &out[start..]);
        }
    }

    fn match_token_uncached(
        &self,
        text: &str,
        class: TokenClass,
        candidates: &mut Vec<TokenId>,
        out: &mut Vec<VocabMatch>,
    ) {
        let exact = self.token_id(text);
        if let Some(id) = exact {
            out.push(VocabMatch {
                token: id,
                similarity: 1.0,
            });
        }
        let fuzzy = class == TokenClass::Word
            && text.is_ascii()
            && text.len() >= MIN_FUZZY_LEN
            && text
                .bytes()
                .any(|b| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u'));
        if !fuzzy {
            return;
        }
        candidates.clear();
        let mut single = [0u8; 64];
        if let Some(id) = squeeze(text, &mut single).and_then(|s| self.token_id(s)) {
            candidates.push(id);
        }
        if text.len() == 3 {
            // Three letters match their own letters swapped, looked up
            // directly, or a four-letter token with one letter more, whose
            // one-deletion keys include these three letters.
            self.push_swaps(text.as_bytes(), candidates);
            self.deletes.extend(fnv1a(text.as_bytes()), candidates);
        } else {
            let mut keys = [0u32; MAX_BATCH_KEYS];
            let mut count = 0;
            for_each_deletion(text.as_bytes(), |key| {
                if count == keys.len() {
                    self.deletes.extend_all(&keys, candidates);
                    count = 0;
                }
                keys[count] = key;
                count += 1;
            });
            self.deletes.extend_all(&keys[..count], candidates);
        }
        let key = phonetic_key(text).filter(|_| text.len() >= PHONETIC_MIN_LEN);
        if let Some(key) = key {
            self.phonetic.extend(key, candidates);
        }
        candidates.sort_unstable();
        candidates.dedup();
        for &id in candidates.iter().filter(|&&id| Some(id) != exact) {
            let entry = &self.vocab[id as usize];
            let sounds_alike = key.is_some() && key == Some(entry.phonetic);
            if let Some(similarity) = similar_enough(text, &entry.text, sounds_alike) {
                out.push(VocabMatch {
                    token: id,
                    similarity,
                });
            }
        }
    }

    fn push_swaps(&self, text: &[u8], candidates: &mut Vec<TokenId>) {
        for at in 0..text.len() - 1 {
            let mut swapped = [0u8; 3];
            swapped.copy_from_slice(text);
            swapped.swap(at, at + 1);
            let found = std::str::from_utf8(&swapped)
                .ok()
                .and_then(|s| self.token_id(s));
            candidates.extend(found);
        }
    }

    /// Heap bytes held by the index, an estimate from the capacities of
    /// its vectors and maps.
    pub fn heap_bytes(&self) -> usize {
        let vocab_text: usize = self.vocab.iter().map(|e| e.text.len() * 2).sum();
        let map = self.lookup.capacity() * (std::mem::size_of::<Box<str>>() + 4 + 1);
        vocab_text
            + map
            + self.vocab.capacity() * std::mem::size_of::<VocabEntry>()
            + self.records.capacity() * std::mem::size_of::<NameRecord>()
            + (self.name_tokens.capacity() + self.joined_tokens.capacity()) * 4
            + (self.postings_start.capacity() + self.postings.capacity()) * 4
            + self.deletes.bytes()
            + self.phonetic.bytes()
            + (self.token_filter.words.capacity() + self.chars.capacity()) * 8
    }

    /// Number of indexed name forms (each name's Latin form, plus its
    /// original-script form where it has one).
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// Inverse document frequency of a token found in one name only.
    pub(crate) fn single_use_idf(&self) -> f32 {
        idf(self.records.len(), 1)
    }

    pub fn vocabulary_len(&self) -> usize {
        self.vocab.len()
    }
}

/// Shortest token with fuzzy lookups; shorter tokens match only exactly.
const MIN_FUZZY_LEN: usize = 3;

/// Shortest token given a phonetic key.
const PHONETIC_MIN_LEN: usize = 5;

fn fuzzy_eligible(entry: &VocabEntry) -> bool {
    !entry.joined_only
        && entry.class == TokenClass::Word
        && entry.text.is_ascii()
        && entry.text.len() >= MIN_FUZZY_LEN
}

/// How many deletions the symmetric-delete table stores for a token of
/// `len` bytes, and a query token looks up: one up to 7 bytes, two from 8
/// to 14, one again for longer tokens, whose neighbourhoods would
/// otherwise grow with the square of their length. Two tokens within the
/// edit distance that [`similar_enough`] allows without a shared phonetic
/// key then always share a key of this table; pairs that need the
/// phonetic key to be allowed come from the phonetic table.
fn max_deletions(len: usize) -> usize {
    match len {
        0..=2 => 0,
        3..=7 => 1,
        8..=14 => 2,
        _ => 1,
    }
}

/// Calls `f` with the hash of `bytes` and of every string made by deleting
/// up to [`max_deletions`] bytes from it. Keys may repeat.
fn for_each_deletion(bytes: &[u8], mut f: impl FnMut(u32)) {
    let len = bytes.len();
    let depth = max_deletions(len);
    f(fnv1a_skipping(bytes, usize::MAX, usize::MAX));
    if depth >= 1 {
        for a in 0..len {
            f(fnv1a_skipping(bytes, a, usize::MAX));
        }
    }
    if depth >= 2 {
        for a in 0..len {
            for b in a + 1..len {
                f(fnv1a_skipping(bytes, a, b));
            }
        }
    }
}

/// FNV-1a of `bytes` without the bytes at `skip_a` and `skip_b`; equal
/// to [`fnv1a`] of the shortened string.
fn fnv1a_skipping(bytes: &[u8], skip_a: usize, skip_b: usize) -> u32 {
    if skip_a == usize::MAX {
        return fnv1a(bytes);
    }
    let mut shortened = [0u8; 64];
    let mut len = 0;
    for (i, &b) in bytes.iter().enumerate().take(64) {
        if i != skip_a && i != skip_b {
            shortened[len] = b;
            len += 1;
        }
    }
    fnv1a(&shortened[..len])
}

/// Writes `text` with runs of one letter made single into `buffer`;
/// `None` when nothing changes or the text does not fit.
fn squeeze<'a>(text: &str, buffer: &'a mut [u8; 64]) -> Option<&'a str> {
    let bytes = text.as_bytes();
    if bytes.len() > buffer.len() || !bytes.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let mut len = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if i == 0 || bytes[i - 1] != b {
            buffer[len] = b;
            len += 1;
        }
    }
    std::str::from_utf8(&buffer[..len]).ok()
}

fn squeezed_equal(a: &str, b: &str) -> bool {
    let (mut x, mut y) = (a.bytes().peekable(), b.bytes().peekable());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q => {
                while x.peek() == Some(&p) {
                    x.next();
                }
                while y.peek() == Some(&q) {
                    y.next();
                }
            }
            _ => return false,
        }
    }
}

/// Decides whether two different tokens may be spellings of one name, and
/// how alike they are.
///
/// Tokens equal once doubled letters are made single always may
/// ("hassan", "hasan"; "all", "al"); their similarity is
/// `1 − (length difference) / (2·L)`, with `L` the longer length, since a
/// doubled letter is the mildest of spelling differences. Otherwise, with
/// `d` the edit distance in which a swap of adjacent letters counts half
/// an edit (the commonest typing error, which keeps every letter): tokens
/// of 3 characters match only by one swap ("adb", "abd"); `d ≤ 1` is
/// allowed from 4 characters; `d ≤ 2` from 8 characters, or from 5 when
/// the tokens share a phonetic key; `d ≤ 3` from 7 characters when they
/// share that key, where more than 2 edits also need a Jaro-Winkler
/// similarity of at least 0.85. The similarity is then `1 − d / L`.
/// Jaro-Winkler is not used for the value: it rewards a shared start, and
/// names that share "abdul" or "moham" are not thereby the same name,
/// while it scores a swap in a short token as a large change.
pub(crate) fn similar_enough(a: &str, b: &str, sounds_alike: bool) -> Option<f32> {
    let longer = a.len().max(b.len());
    if squeezed_equal(a, b) {
        let difference = a.len().abs_diff(b.len()) as f32;
        return Some(1.0 - difference / (2.0 * longer as f32));
    }
    let max_distance = match longer {
        0..=2 => return None,
        3..=4 => 1,
        5..=6 => 1 + usize::from(sounds_alike),
        7 => 1 + 2 * usize::from(sounds_alike),
        _ => 2 + usize::from(sounds_alike),
    };
    if a.len().abs_diff(b.len()) > max_distance {
        return None;
    }
    let half_edits = edit_cost_within(a.as_bytes(), b.as_bytes(), 2 * max_distance)?;
    if longer == 3 && !(a.len() == 3 && b.len() == 3 && half_edits == 1) {
        return None;
    }
    if half_edits > 4 && strsim::jaro_winkler(a, b) < 0.85 {
        return None;
    }
    Some(1.0 - half_edits as f32 / (2.0 * longer as f32))
}

/// Computes the optimal-string-alignment distance between `a` and `b` in
/// half edits: an insertion, deletion or substitution costs 2, a swap of two
/// adjacent bytes costs 1. `None` when it exceeds `max_half`. Rows live on
/// the stack for tokens up to 63 bytes; longer ones fall back to strsim,
/// where a swap costs a whole edit.
fn edit_cost_within(a: &[u8], b: &[u8], max_half: usize) -> Option<usize> {
    const WIDTH: usize = 64;
    if a.len() >= WIDTH || b.len() >= WIDTH {
        let a = std::str::from_utf8(a).ok()?;
        let b = std::str::from_utf8(b).ok()?;
        return Some(2 * strsim::osa_distance(a, b)).filter(|&d| d <= max_half);
    }
    // Three rows in one buffer, used in turn, so moving to the next row
    // copies nothing. Costs stay below 2 * (63 + 63) and fit in a u16.
    let mut rows = [0u16; 3 * WIDTH];
    let width = b.len() + 1;
    for (j, cell) in rows[WIDTH..WIDTH + width].iter_mut().enumerate() {
        *cell = 2 * j as u16;
    }
    let max_half = max_half.min(u16::MAX as usize) as u16;
    let (mut two_back, mut previous, mut current) = (0, WIDTH, 2 * WIDTH);
    let mut previous_min = 0u16;
    for i in 1..=a.len() {
        rows[current] = 2 * i as u16;
        let mut row_min = rows[current];
        for j in 1..=b.len() {
            let cost = 2 * u16::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[previous + j] + 2)
                .min(rows[current + j - 1] + 2)
                .min(rows[previous + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[two_back + j - 2] + 1);
            }
            rows[current + j] = d;
            row_min = row_min.min(d);
        }
        // A swap reaches back two rows, so a row over the bound ends the
        // search only when the row before it is over the bound too.
        if row_min > max_half && previous_min > max_half {
            return None;
        }
        previous_min = row_min;
        (two_back, previous, current) = (previous, current, two_back);
    }
    let distance = rows[previous + b.len()];
    (distance <= max_half).then_some(usize::from(distance))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, Name};

    fn entity(id: &str, names: &[&str]) -> Entity {
        let mut e = Entity::new("test", id, EntityKind::Person);
        e.names = names
            .iter()
            .map(|n| Name::new(*n, NameType::Primary))
            .collect();
        e
    }

    fn matches(index: &NameIndex, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        index.match_token(text, TokenClass::Word, &mut Vec::new(), &mut out);
        out.iter()
            .map(|m| index.vocab[m.token as usize].text.to_string())
            .collect()
    }

    #[test]
    fn deletions_find_one_typo() {
        let index = NameIndex::build(&[entity("1", &["Abdulhai Salek"])]);
        assert_eq!(matches(&index, "abdulhia"), ["abdulhai"]);
        assert_eq!(matches(&index, "slek"), ["salek"]);
    }

    #[test]
    fn cached_word_matches_like_a_fresh_one() {
        let index = NameIndex::build(&[entity(
            "1",
            &[
                "Abdulhai Salek",
                "Muammar Qaddafi",
                "Malek Talek Kalek Balek",
                "Abdulrahmanibnhassanalkhatib",
            ],
        )]);
        // Words with no match, with one, and with several ("zalek").
        for word in [
            "abdulhia",
            "kadhafi",
            "nobodyknows",
            "zalek",
            "abdulrahmanibnhassanalkhatim",
        ] {
            let mut fresh = Vec::new();
            index.match_token_uncached(word, TokenClass::Word, &mut Vec::new(), &mut fresh);
            let first = matches(&index, word);
            let second = matches(&index, word);
            assert_eq!(first, second, "{word}");
            let expected: Vec<String> = fresh
                .iter()
                .map(|m| index.vocab[m.token as usize].text.to_string())
                .collect();
            assert_eq!(first, expected, "{word}");
            assert!(word == "nobodyknows" || !first.is_empty(), "{word}");
        }
        assert!(matches(&index, "zalek").len() > 3);
    }

    #[test]
    fn phonetic_route_finds_far_spellings() {
        let index = NameIndex::build(&[entity("1", &["Muammar Qaddafi"])]);
        assert_eq!(matches(&index, "kadhafi"), ["qaddafi"]);
    }

    #[test]
    fn short_tokens_match_only_exactly() {
        let index = NameIndex::build(&[entity("1", &["Ali Omar"])]);
        assert!(matches(&index, "aly").is_empty());
    }

    #[test]
    fn doubled_letters_and_swaps_match() {
        let index = NameIndex::build(&[entity("1", &["Han Yu-Ro Abd Al-Tikriti"])]);
        assert_eq!(matches(&index, "yyu"), ["yu"]);
        assert_eq!(matches(&index, "adb"), ["abd"]);
        assert_eq!(matches(&index, "all"), ["al"]);
    }

    #[test]
    fn edit_cost_counts_swaps_half() {
        let cost = |a: &str, b: &str, max| edit_cost_within(a.as_bytes(), b.as_bytes(), max);
        for (a, b) in [
            ("qaddafi", "kadhafi"),
            ("", "abc"),
            ("salek", "malek"),
            ("abdulhai", "abdul"),
        ] {
            let whole_edits = strsim::osa_distance(a, b);
            assert_eq!(cost(a, b, 99), Some(2 * whole_edits), "{a} {b}");
        }
        assert_eq!(cost("faiz", "afiz", 99), Some(1));
        assert_eq!(cost("abdulhai", "abdulhia", 99), Some(1));
        assert_eq!(cost("salek", "malek", 1), None);
    }

    #[test]
    fn swap_after_costly_row_still_counts() {
        // Row 7 of this pair is over the bound of 6, and row 8 comes back to
        // 6 through a swap that reaches back to row 6.
        let (a, b) = ("bcaacaac", "acbcaca");
        assert_eq!(reference_cost(a.as_bytes(), b.as_bytes()), 6);
        assert_eq!(edit_cost_within(a.as_bytes(), b.as_bytes(), 6), Some(6));
    }

    /// Optimal-string-alignment distance in half edits, with whole rows
    /// kept, to check the three-row version against.
    fn reference_cost(a: &[u8], b: &[u8]) -> usize {
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = 2 * i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = 2 * j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = if a[i - 1] == b[j - 1] { 0 } else { 2 };
                let mut best = (d[i - 1][j] + 2)
                    .min(d[i][j - 1] + 2)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        d[a.len()][b.len()]
    }

    proptest::proptest! {
        #[test]
        fn edit_cost_agrees_with_full_table(
            a in "[abcd]{0,12}",
            b in "[abcd]{0,12}",
            max in 0usize..30,
        ) {
            let expected = reference_cost(a.as_bytes(), b.as_bytes());
            let found = edit_cost_within(a.as_bytes(), b.as_bytes(), max);
            proptest::prop_assert_eq!(found, Some(expected).filter(|&d| d <= max));
        }
    }

    #[test]
    fn token_filter_passes_every_token() {
        let names: Vec<String> = (0..2_000).map(|i| format!("Name{i} Other{i}")).collect();
        let entities: Vec<Entity> = names
            .iter()
            .enumerate()
            .map(|(i, name)| entity(&i.to_string(), &[name]))
            .collect();
        let index = NameIndex::build(&entities);
        for (id, entry) in index.vocab.iter().enumerate() {
            assert_eq!(
                index.token_id(&entry.text),
                Some(id as TokenId),
                "{}",
                entry.text
            );
        }
        assert!(index.may_be_joined_token("name7", "other7"));
        let absent = (0..2_000)
            .filter(|i| index.token_filter.may_contain(&format!("absent{i}")))
            .count();
        assert!(
            absent < 500,
            "{absent} of 2000 absent texts passed the filter"
        );
    }

    #[test]
    fn unmatchable_script_form_left_out() {
        let index = NameIndex::build(&[
            entity("1", &["Saddam Hussein", "صدام حسين"]),
            entity("2", &["Xi Jinping"]),
        ]);
        let known = |c| index.has_char(c);
        // Scripts with no letter in the vocabulary: the script form is left
        // out, and none of its tokens matched anything.
        for query in ["习近平", "प्रणय गीता पाटिल", "김정은", "Иван 习近平"]
        {
            let full = crate::normalize::normalize(query);
            assert!(!full.script.is_empty(), "{query}");
            for token in &full.script {
                assert!(
                    matches(&index, &token.text).is_empty(),
                    "{query}: {}",
                    token.text
                );
            }
            let left_out = crate::normalize::normalize_with(query, known);
            assert!(left_out.script.is_empty(), "{query}");
            assert_eq!(left_out.latin, full.latin, "{query}");
        }
        // Kept: a script the vocabulary has, and a word that is all ASCII.
        for query in ["صدام حسين", "习近平 xi", "Иван صدام"] {
            let full = crate::normalize::normalize(query);
            assert_eq!(
                crate::normalize::normalize_with(query, known),
                full,
                "{query}"
            );
        }
    }

    #[test]
    fn batched_lookups_match_single_ones() {
        let pairs: Vec<(u32, TokenId)> = (0..5_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) % 3_000, i))
            .collect();
        let table = HashTable::build(pairs.clone());
        // More keys than one batch takes, some absent, some repeated.
        let keys: Vec<u32> = (0..300u32).map(|k| k * 11 % 3_500).collect();
        let mut batched = Vec::new();
        table.extend_all(&keys, &mut batched);
        let mut expected = Vec::new();
        for &key in &keys {
            let mut tokens: Vec<TokenId> =
                pairs.iter().filter(|p| p.0 == key).map(|p| p.1).collect();
            tokens.sort_unstable();
            expected.extend(tokens);
        }
        assert_eq!(batched, expected);
        assert!(!batched.is_empty());
    }

    #[test]
    fn vowelless_tokens_match_only_exactly() {
        let index = NameIndex::build(&[entity("1", &["ghfry"])]);
        assert!(matches(&index, "dhfry").is_empty());
        assert_eq!(matches(&index, "ghfry"), ["ghfry"]);
    }

    #[test]
    fn joined_pairs_are_indexed() {
        let index = NameIndex::build(&[entity("1", &["Gazprom Bank"])]);
        let id = index.token_id("gazprombank").expect("joined token indexed");
        assert_eq!(index.postings(id), [0]);
    }

    #[test]
    fn rare_tokens_weigh_more() {
        let index = NameIndex::build(&[
            entity("1", &["Mohammed Salek"]),
            entity("2", &["Mohammed Omar"]),
            entity("3", &["Mohammed Rami"]),
        ]);
        let weight = |t: &str| index.vocab[index.token_id(t).expect("indexed") as usize].weight;
        assert!(weight("salek") > weight("mohammed"));
    }
}
