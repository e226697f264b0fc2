//! The in-memory cache of series in front of the `aggregates` column family.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockWriteGuard};

use foldhash::fast::RandomState;
use tracing::trace;

use super::series::SeriesCell;
use super::spec::AggregateSpec;
use super::stored::StoredSeries;

/// Shards at most. With 2^20 series that is 4,096 per shard, so one
/// eviction pass walks about 4,600 series.
const MAX_SHARDS: usize = 256;

/// Series per shard at least. Small caches keep one shard, so their
/// eviction is as exact as the capacity.
const MIN_SHARD_SERIES: usize = 1024;

/// One shard of series by key. Keys come from clients, so every hasher is
/// seeded at random and a client cannot choose keys that collide.
type Shard = HashMap<Box<[u8]>, Arc<SeriesCell>, RandomState>;

/// Series by key, bounded in number with approximate least-recently-used
/// eviction, in shards that each evict on their own.
///
/// When a shard grows an eighth past its share of the capacity, the thread
/// that grew it evicts the shard's least recently used series down to
/// seven eighths of its share, holding only that shard's lock. A pass
/// costs O(shard size), so about O(8) per inserted series over time, and a
/// pause is bounded by one shard rather than the whole cache. Series with
/// deltas RocksDB lacks are never evicted, so a shard can stay above its
/// share while more series than that have such deltas.
pub(crate) struct SeriesCache {
    /// Written by any thread that reads or updates a series it lacks, and by
    /// eviction; read by every aggregate read and update.
    shards: Box<[RwLock<Shard>]>,
    /// Picks the shard. Independent of the shards' own hashers, so the
    /// keys of one shard still spread over its table.
    shard_hasher: RandomState,
    /// Series one shard may contain before it evicts.
    shard_capacity: usize,
    /// Logical clock stamped on each use. Only inserts advance it, so a
    /// lookup writes no memory that other threads read. Series used between
    /// two inserts share one tick.
    tick: AtomicU64,
    /// The number of cached series over all shards.
    len: AtomicUsize,
    /// Series that may have buckets in RocksDB; eviction adds to it.
    stored: StoredSeries,
}

impl SeriesCache {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let shard_count = (capacity / MIN_SHARD_SERIES)
            .clamp(1, MAX_SHARDS)
            .next_power_of_two()
            .min(MAX_SHARDS);
        let shards = (0..shard_count)
            .map(|_| RwLock::new(Shard::with_hasher(RandomState::default())))
            .collect();
        SeriesCache {
            shards,
            shard_hasher: RandomState::default(),
            shard_capacity: capacity.div_ceil(shard_count),
            tick: AtomicU64::new(0),
            len: AtomicUsize::new(0),
            stored: StoredSeries::new(capacity),
        }
    }

    /// Returns the cell of `series_key`, created when absent: with nothing
    /// loaded when RocksDB may contain buckets of it, else complete and empty.
    pub(crate) fn cell(&self, spec: &AggregateSpec, series_key: &[u8]) -> Arc<SeriesCell> {
        let shard = self.shard(series_key);
        {
            // Nothing panics while a shard lock is held, and a shard is
            // valid between statements, so a poisoned lock is consistent.
            let map = shard.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(cell) = map.get(series_key) {
                cell.touch(self.tick.load(Ordering::Relaxed));
                return Arc::clone(cell);
            }
        }
        let tick = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
        let mut map = shard.write().unwrap_or_else(PoisonError::into_inner);
        // Another thread may have inserted it between the two locks.
        if let Some(cell) = map.get(series_key) {
            cell.touch(tick);
            return Arc::clone(cell);
        }
        let stored = self.stored.may_contain(series_key);
        let cell = Arc::new(SeriesCell::new(
            series_key.into(),
            spec.clone(),
            tick,
            stored,
        ));
        map.insert(series_key.into(), Arc::clone(&cell));
        self.len.fetch_add(1, Ordering::Relaxed);
        if map.len() > self.shard_capacity + self.shard_capacity / 8 {
            self.evict(&mut map);
        }
        cell
    }

    /// Returns the filter of series that may have buckets in RocksDB.
    pub(crate) fn stored(&self) -> &StoredSeries {
        &self.stored
    }

    /// Returns the number of cached series.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    fn shard(&self, series_key: &[u8]) -> &RwLock<Shard> {
        let hash = self.shard_hasher.hash_one(series_key);
        // The shard count is a power of two.
        &self.shards[hash as usize & (self.shards.len() - 1)]
    }

    /// Evicts the least recently used series of one shard down to seven
    /// eighths of its share.
    fn evict(&self, map: &mut RwLockWriteGuard<'_, Shard>) {
        let target = self.shard_capacity - self.shard_capacity / 8;
        let mut ticks: Vec<u64> = map.values().map(|cell| cell.last_used()).collect();
        if ticks.len() <= target {
            return;
        }
        let remove = ticks.len() - target;
        let cutoff = *ticks.select_nth_unstable(remove - 1).1;
        let before = map.len();
        // An evicted series joins the filter before it leaves the map, under
        // the shard's lock, so a look-up that misses it then reads RocksDB.
        map.retain(|_, cell| {
            if cell.last_used() > cutoff || !cell.try_evict() {
                return true;
            }
            self.stored.add(cell.key());
            false
        });
        self.len.fetch_sub(before - map.len(), Ordering::Relaxed);
        trace!(
            before,
            after = map.len(),
            "evicted aggregate series from one shard"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::AggregateKind;
    use std::time::Duration;

    fn spec() -> AggregateSpec {
        AggregateSpec::new("count_1h", AggregateKind::Count, Duration::from_secs(3600))
            .expect("valid spec")
    }

    #[test]
    fn small_capacity_keeps_one_shard() {
        let cache = SeriesCache::new(4);
        assert_eq!(cache.shards.len(), 1);
        let spec = spec();
        for key in 0..40u32 {
            cache.cell(&spec, &key.to_be_bytes());
        }
        assert!(cache.len() <= 4, "{} series", cache.len());
    }

    #[test]
    fn large_capacity_bounds_every_shard() {
        let capacity = 64 * MIN_SHARD_SERIES;
        let cache = SeriesCache::new(capacity);
        assert_eq!(cache.shards.len(), 64);
        let spec = spec();
        for key in 0..(capacity as u32) * 3 {
            cache.cell(&spec, &key.to_be_bytes());
        }
        let limit = cache.shard_capacity + cache.shard_capacity / 8;
        let mut total = 0;
        for shard in cache.shards.iter() {
            let len = shard.read().expect("lock").len();
            assert!(len <= limit, "a shard contains {len}, limit {limit}");
            total += len;
        }
        assert_eq!(cache.len(), total, "the count follows the shards");
        assert!(total <= capacity + capacity / 8, "{total} series");
    }

    #[test]
    fn recently_used_series_survive_eviction() {
        let cache = SeriesCache::new(MIN_SHARD_SERIES);
        let spec = spec();
        let hot = cache.cell(&spec, b"hot");
        for key in 0..(MIN_SHARD_SERIES as u32) * 4 {
            cache.cell(&spec, &key.to_be_bytes());
            // Used again after every insert, so it is never the oldest.
            let again = cache.cell(&spec, b"hot");
            assert!(Arc::ptr_eq(&hot, &again), "evicted after {key} inserts");
        }
    }
}
