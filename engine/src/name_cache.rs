//! Results of recent name queries against one list snapshot.
//!
//! Parties repeat: a bank's customers send many payments, and employees and
//! suppliers are paid again and again. A query seen before gets its stored
//! result, without normalizing the name or searching the index. The result
//! is the same, because a snapshot never changes and the cache belongs to
//! one snapshot: a list reload starts an empty one.
//!
//! Each shard keeps two generations. A hit in the older one moves the entry
//! to the newer one, and when the newer one is full the older one is
//! dropped. So the cache never exceeds its capacity, and a name used since
//! the last turnover survives it.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use foldhash::fast::RandomState;
use screener_lists::{EntityKind, Gender, NameQuery, NameResult, PartialDate};

/// Shards, each behind its own lock.
const SHARDS: usize = 16;

/// Recent name query results of one snapshot.
pub struct NameCache {
    /// Keys are client input, so their hash is seeded at random.
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
    /// Entries per generation of one shard; 0 disables the cache.
    generation_capacity: usize,
}

/// Maps are keyed by the query hash itself, so they need no hasher of their own.
type ByHash = HashMap<u64, Entry, BuildHasherDefault<IdentityHasher>>;

#[derive(Default)]
struct Shard {
    newer: ByHash,
    older: ByHash,
}

struct Entry {
    query: NameQuery,
    result: Arc<NameResult>,
}

impl NameCache {
    /// Creates a cache of about `capacity` results; 0 caches nothing.
    /// Each of the 32 generations (two per shard) gets an equal whole share,
    /// so the capacity is rounded up to a multiple of 32.
    pub fn new(capacity: usize) -> NameCache {
        let shards = (0..SHARDS).map(|_| Mutex::default()).collect();
        NameCache {
            hasher: RandomState::default(),
            shards,
            generation_capacity: capacity.div_ceil(SHARDS * 2),
        }
    }

    /// Returns the cached result of `query`, or computes it with `screen`
    /// and keeps it.
    pub fn get_or_screen(
        &self,
        query: &NameQuery,
        screen: impl FnOnce(&NameQuery) -> NameResult,
    ) -> Arc<NameResult> {
        if self.generation_capacity == 0 {
            return Arc::new(screen(query));
        }
        let hash = self.hash(query);
        let shard = &self.shards[hash as usize % SHARDS];
        let found = lock(shard).get(hash, query);
        crate::metrics::record_name_cache(found.is_some());
        if let Some(result) = found {
            return result;
        }
        // The query is screened without the lock held. Two threads may then
        // screen one query at once, and both get the same result.
        let result = Arc::new(screen(query));
        lock(shard).insert(
            hash,
            Entry {
                query: query.clone(),
                result: Arc::clone(&result),
            },
            self.generation_capacity,
        );
        result
    }

    /// Returns the number of cached results.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                let shard = lock(shard);
                shard.newer.len() + shard.older.len()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn hash(&self, query: &NameQuery) -> u64 {
        self.hasher.hash_one(QueryKey::of(query))
    }
}

/// Every field of a query, with the threshold as its bits so that the key
/// can be hashed, and a NaN threshold equals itself.
#[derive(Hash, PartialEq, Eq)]
struct QueryKey<'a> {
    name: &'a str,
    kind: Option<EntityKind>,
    birth_date: Option<PartialDate>,
    country: Option<&'a str>,
    gender: Option<Gender>,
    lists: &'a [String],
    threshold: Option<u64>,
    top_k: Option<usize>,
}

impl QueryKey<'_> {
    fn of(query: &NameQuery) -> QueryKey<'_> {
        // Destructured without `..`, so a field added to `NameQuery` does not
        // compile here until the key includes it.
        let NameQuery {
            name,
            kind,
            birth_date,
            country,
            gender,
            lists,
            threshold,
            top_k,
        } = query;
        QueryKey {
            name,
            kind: *kind,
            birth_date: *birth_date,
            country: country.as_deref(),
            gender: *gender,
            lists,
            threshold: threshold.map(f64::to_bits),
            top_k: *top_k,
        }
    }
}

impl Shard {
    fn get(&mut self, hash: u64, query: &NameQuery) -> Option<Arc<NameResult>> {
        if let Some(entry) = self.newer.get(&hash) {
            return same_query(&entry.query, query).then(|| Arc::clone(&entry.result));
        }
        let entry = self.older.remove(&hash)?;
        if !same_query(&entry.query, query) {
            return None;
        }
        let result = Arc::clone(&entry.result);
        self.newer.insert(hash, entry);
        Some(result)
    }

    fn insert(&mut self, hash: u64, entry: Entry, generation_capacity: usize) {
        if self.newer.len() >= generation_capacity {
            self.older = std::mem::take(&mut self.newer);
        }
        // A different query with the same hash is replaced.
        self.newer.insert(hash, entry);
    }
}

/// Returns whether two queries have the same [`QueryKey`].
fn same_query(cached: &NameQuery, query: &NameQuery) -> bool {
    QueryKey::of(cached) == QueryKey::of(query)
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A shard is consistent between statements, so a poisoned lock is
    // still usable.
    shard
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Passes a `u64` key through as its own hash.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Maps call only `write_u64`. Other input is still mixed in.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn query(name: &str) -> NameQuery {
        NameQuery::new(name)
    }

    fn no_hits() -> NameResult {
        NameResult::Hits(Vec::new())
    }

    /// Screens `query` through `cache` `times` times; returns how many
    /// times the screening ran.
    fn screenings(cache: &NameCache, query: &NameQuery, times: usize) -> usize {
        let calls = Cell::new(0);
        for _ in 0..times {
            cache.get_or_screen(query, |_| {
                calls.set(calls.get() + 1);
                no_hits()
            });
        }
        calls.get()
    }

    #[test]
    fn repeated_query_screens_once() {
        let cache = NameCache::new(1024);
        assert_eq!(screenings(&cache, &query("Anna Schmidt"), 3), 1);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn differing_fields_are_separate_entries() {
        let cache = NameCache::new(1024);
        let base = query("Anna Schmidt");
        let variants = [
            base.clone(),
            NameQuery {
                country: Some("DE".into()),
                ..base.clone()
            },
            NameQuery {
                threshold: Some(0.9),
                ..base.clone()
            },
            NameQuery {
                top_k: Some(3),
                ..base.clone()
            },
            NameQuery {
                lists: vec!["un".into()],
                ..base.clone()
            },
        ];
        for variant in &variants {
            assert_eq!(screenings(&cache, variant, 1), 1, "{variant:?}");
        }
        assert_eq!(cache.len(), variants.len());
    }

    #[test]
    fn capacity_bounds_entries() {
        let capacity = SHARDS * 2 * 4;
        let cache = NameCache::new(capacity);
        for i in 0..capacity * 10 {
            cache.get_or_screen(&query(&format!("name {i}")), |_| no_hits());
        }
        assert!(cache.len() <= capacity, "{} entries", cache.len());
        assert!(!cache.is_empty());
    }

    #[test]
    fn small_capacity_still_caches() {
        let cache = NameCache::new(1);
        assert_eq!(screenings(&cache, &query("Anna Schmidt"), 2), 1);
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = NameCache::new(0);
        assert_eq!(screenings(&cache, &query("Anna Schmidt"), 2), 2);
        assert!(cache.is_empty());
    }

    #[test]
    fn hash_collision_is_a_miss() {
        let mut shard = Shard::default();
        let first = query("first");
        shard.insert(
            7,
            Entry {
                query: first.clone(),
                result: Arc::new(no_hits()),
            },
            8,
        );
        assert!(shard.get(7, &query("second")).is_none());
        assert!(shard.get(7, &first).is_some());
    }
}
