//! The in-memory cache of series in front of the `aggregates` column family.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use foldhash::fast::RandomState;
use tracing::debug;

use super::series::SeriesCell;
use super::spec::AggregateSpec;

/// Series by key, bounded in number with approximate least-recently-used
/// eviction.
///
/// When the map grows an eighth past its capacity, the thread that grew it
/// evicts the least recently used series down to seven eighths of capacity.
/// A pass costs O(len), so about O(8) per inserted series over time. Series
/// with pending writes are never evicted, so the map can stay above capacity
/// while more series than that have writes in flight.
pub(crate) struct SeriesCache {
    /// Written by any thread that reads or updates a series it lacks, and by
    /// eviction; read by every aggregate read and update.
    /// Keys come from clients, so the hasher is seeded at random: a client
    /// cannot choose keys that collide.
    map: DashMap<Box<[u8]>, Arc<SeriesCell>, RandomState>,
    capacity: usize,
    /// Logical clock stamped on each use. Only inserts advance it, so a
    /// lookup writes no memory that other threads read. Series used between
    /// two inserts share one tick.
    tick: AtomicU64,
    /// Set while one thread evicts, so others skip eviction.
    evicting: AtomicBool,
    /// The number of cached series, kept here because counting a
    /// `DashMap` locks every shard. Each eviction pass recounts it.
    len: AtomicUsize,
}

impl SeriesCache {
    pub(crate) fn new(capacity: usize) -> Self {
        SeriesCache {
            map: DashMap::with_hasher(RandomState::default()),
            capacity: capacity.max(1),
            tick: AtomicU64::new(0),
            evicting: AtomicBool::new(false),
            len: AtomicUsize::new(0),
        }
    }

    /// Returns the cell of `series_key`, created empty (nothing loaded) when
    /// absent.
    pub(crate) fn cell(&self, spec: &AggregateSpec, series_key: &[u8]) -> Arc<SeriesCell> {
        if let Some(cell) = self.map.get(series_key) {
            cell.touch(self.tick.load(Ordering::Relaxed));
            return Arc::clone(&cell);
        }
        let tick = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
        let mut inserted = false;
        let cell = Arc::clone(&self.map.entry(series_key.into()).or_insert_with(|| {
            inserted = true;
            Arc::new(SeriesCell::new(series_key.into(), spec.clone(), tick))
        }));
        if inserted {
            let len = self.len.fetch_add(1, Ordering::Relaxed) + 1;
            if len > self.capacity + self.capacity / 8 {
                self.evict();
            }
        }
        cell
    }

    /// Returns the number of cached series.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    fn evict(&self) {
        if self.evicting.swap(true, Ordering::Acquire) {
            return;
        }
        let target = self.capacity - self.capacity / 8;
        let mut ticks: Vec<u64> = self.map.iter().map(|entry| entry.last_used()).collect();
        if ticks.len() > target {
            let remove = ticks.len() - target;
            let cutoff = *ticks.select_nth_unstable(remove - 1).1;
            let before = self.map.len();
            self.map
                .retain(|_, cell| cell.last_used() > cutoff || !cell.try_evict());
            debug!(before, after = self.map.len(), "evicted aggregate series");
        }
        // Inserts racing with this pass may leave the count off by a few
        // until the next pass.
        self.len.store(self.map.len(), Ordering::Relaxed);
        self.evicting.store(false, Ordering::Release);
    }
}
