//! Which series may have buckets in the `aggregates` column family, so that
//! a series new to the cache skips the RocksDB read when it has none.
//!
//! Loading a series the cache lacks creates a RocksDB iterator and seeks
//! it, which checks the memtables and the prefix bloom filter of every
//! table file. In a profile of a load where most payments go to a new
//! payee, that was about a tenth of the workers' time, and most of those
//! series had never been written.
//!
//! Buckets reach RocksDB in two ways only: present when the store opened
//! (written by an earlier process, or merged from its journal at open), or
//! merged by a checkpoint while the series was cached. A series with
//! buckets in RocksDB that the cache lacks was therefore either there at
//! open, or evicted since. The filter contains both: a scan of the family
//! after open adds each series found, and eviction adds each series it
//! drops. Until the scan has finished, every series may exist.
//!
//! The filter is a bloom filter: a series it does not contain has no
//! buckets, and one it contains may have. Series are never removed from
//! it, so it fills as series are evicted. A full filter returns "may
//! exist" more often, which costs the read and nothing else.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

use foldhash::fast::RandomState;
use rocksdb::{Direction, IteratorMode, ReadOptions, DB};
use tracing::{debug, warn};

use super::error::StateError;
#[cfg(test)]
use super::rocks::family_empty;
use super::rocks::{handle, is_bucket_key, series_of_bucket_key, CF_AGGREGATES};

/// Filter bits per series of cache capacity: 8 bytes per series, against
/// a couple of hundred that the cache spends on each series it keeps.
const BITS_PER_CACHED_SERIES: usize = 64;

/// Filter size bounds in 64-bit words: 8 KiB and 2 GiB. A cache of more
/// than 2^28 series gets a filter that fills sooner, which costs reads, not
/// correctness.
const MIN_WORDS: usize = 1024;
const MAX_WORDS: usize = 1 << 28;

/// Bits set per series, all in one 64-bit word.
const BITS_PER_KEY: u32 = 4;

/// Keys read between checks for a closed store, and between iterators, so
/// that a scan neither delays closing nor pins table files for long.
const SCAN_CHUNK: usize = 16_384;

/// A bloom filter of series keys that may have buckets in RocksDB, blocked
/// into 64-bit words so a look-up reads one word.
pub(crate) struct StoredSeries {
    words: Box<[AtomicU64]>,
    hasher: RandomState,
    /// Set once the scan after open has added every series RocksDB contained.
    complete: AtomicBool,
}

impl StoredSeries {
    /// Makes an empty filter sized for a cache of `cache_capacity` series.
    pub(crate) fn new(cache_capacity: usize) -> Self {
        let words = (cache_capacity.saturating_mul(BITS_PER_CACHED_SERIES) / 64)
            .clamp(MIN_WORDS, MAX_WORDS)
            .next_power_of_two();
        StoredSeries {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::default(),
            complete: AtomicBool::new(false),
        }
    }

    /// Returns whether `series_key` may have buckets in RocksDB. True for
    /// every series until the scan after open finished.
    pub(crate) fn may_contain(&self, series_key: &[u8]) -> bool {
        if !self.complete.load(Ordering::Acquire) {
            return true;
        }
        let (word, mask) = self.position(series_key);
        self.words[word].load(Ordering::Relaxed) & mask == mask
    }

    /// Adds `series_key`.
    ///
    /// A caller that adds a series before removing it from the cache, under
    /// the lock that a look-up of the same series takes, makes the addition
    /// visible to that look-up.
    pub(crate) fn add(&self, series_key: &[u8]) {
        let (word, mask) = self.position(series_key);
        self.words[word].fetch_or(mask, Ordering::Relaxed);
    }

    /// Records that every series RocksDB contained at open was added.
    pub(crate) fn mark_complete(&self) {
        self.complete.store(true, Ordering::Release);
    }

    /// Makes every series "may exist" again, for tests that write buckets
    /// of series the cache never contained into a store already open.
    #[cfg(test)]
    pub(crate) fn mark_incomplete(&self) {
        self.complete.store(false, Ordering::Release);
    }

    /// Returns whether [`mark_complete`](Self::mark_complete) was called.
    pub(crate) fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    fn position(&self, series_key: &[u8]) -> (usize, u64) {
        let hash = self.hasher.hash_one(series_key);
        // The word count is a power of two. The low bits pick the word, and
        // four 6-bit fields of the high bits pick the bits in it.
        let word = hash as usize & (self.words.len() - 1);
        let mut mask = 0u64;
        for i in 0..BITS_PER_KEY {
            mask |= 1 << ((hash >> (64 - 6 * (i + 1))) & 63);
        }
        (word, mask)
    }
}

/// Adds every series of the aggregates family to `filter`, then marks it
/// complete. Returns early, leaving it incomplete, once `stop`'s sender is
/// dropped.
///
/// Each chunk reads through a new iterator, so the scan misses series
/// written after it passed their place. Those were cached when written,
/// and eviction adds them.
pub(crate) fn scan(db: &DB, filter: &StoredSeries, stop: &Receiver<()>) -> Result<(), StateError> {
    let family = handle(db, CF_AGGREGATES)?;
    let read_error = |source| StateError::Read {
        cf: CF_AGGREGATES,
        source,
    };
    let mut resume: Option<Vec<u8>> = None;
    let mut series = 0u64;
    let mut last_series: Vec<u8> = Vec::new();
    loop {
        if matches!(stop.try_recv(), Err(TryRecvError::Disconnected)) {
            debug!(series, "stopped the scan of stored aggregate series");
            return Ok(());
        }
        let mut options = ReadOptions::default();
        options.set_total_order_seek(true);
        options.fill_cache(false);
        let mode = match &resume {
            Some(key) => IteratorMode::From(key, Direction::Forward),
            None => IteratorMode::Start,
        };
        let mut read = 0;
        let mut next_resume = None;
        for item in db.iterator_cf_opt(family, options, mode) {
            let (key, _) = item.map_err(read_error)?;
            if resume.as_deref() == Some(&key[..]) {
                continue;
            }
            if is_bucket_key(&key) {
                let prefix = series_of_bucket_key(&key);
                if prefix != last_series.as_slice() {
                    filter.add(prefix);
                    last_series.clear();
                    last_series.extend_from_slice(prefix);
                    series += 1;
                }
            }
            read += 1;
            if read == SCAN_CHUNK {
                next_resume = Some(key.into_vec());
                break;
            }
        }
        match next_resume {
            Some(key) => resume = Some(key),
            None => break,
        }
    }
    filter.mark_complete();
    debug!(series, "scanned the stored aggregate series");
    Ok(())
}

/// Runs the scan on its thread and logs a failure. A failed scan leaves
/// the filter incomplete, so every series new to the cache is read.
pub(crate) fn run_scan(db: &DB, filter: &StoredSeries, stop: &Receiver<()>) {
    if let Err(error) = scan(db, filter, stop) {
        warn!(%error, "could not list the stored aggregate series; every series new to the cache is read from disk");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::state::bucket::BucketValue;
    use crate::state::keys::{bucket_key, series_key};
    use crate::state::{AggregateKind, AggregateSpec, OpenOptions, StateStore, SyncPolicy};

    #[test]
    fn incomplete_filter_contains_every_series() {
        let filter = StoredSeries::new(1000);
        assert!(filter.may_contain(b"never added"));
        filter.mark_complete();
        assert!(!filter.may_contain(b"never added"));
    }

    #[test]
    fn added_series_stay_contained() {
        let filter = StoredSeries::new(1000);
        filter.mark_complete();
        let keys: Vec<[u8; 4]> = (0..5000u32).map(u32::to_be_bytes).collect();
        for key in &keys {
            filter.add(key);
        }
        assert!(keys.iter().all(|key| filter.may_contain(key)));
    }

    #[test]
    fn few_series_never_added_are_contained() {
        // 64 bits per series of a 100,000-series cache and 10,000 added: a
        // word-blocked filter setting four bits per key contains well under
        // 1% of the keys never added.
        let filter = StoredSeries::new(100_000);
        filter.mark_complete();
        for i in 0..10_000u32 {
            filter.add(&i.to_be_bytes());
        }
        let false_positives = (10_000..110_000u32)
            .filter(|i| filter.may_contain(&i.to_be_bytes()))
            .count();
        assert!(false_positives < 1000, "{false_positives} of 100,000");
    }

    /// Returns a store with two buckets of each of `count` series written
    /// directly into its aggregates family, and those series' keys.
    fn store_with_series(dir: &std::path::Path, count: usize) -> (StateStore, Vec<Vec<u8>>) {
        let options = OpenOptions {
            sync: SyncPolicy::None,
            checkpoint_interval: Duration::from_secs(3600),
            expiry_clock: std::sync::Arc::new(|| 0),
            ..OpenOptions::default()
        };
        let store = StateStore::open(dir, options).expect("open");
        let spec = AggregateSpec::new("count_1h", AggregateKind::Count, Duration::from_secs(3600))
            .expect("valid spec");
        let db = &store.shared().db;
        let family = handle(db, CF_AGGREGATES).expect("aggregates family");
        let mut batch = rocksdb::WriteBatch::default();
        let mut value = Vec::new();
        BucketValue::Count(1).encode_into(&mut value);
        let series: Vec<Vec<u8>> = (0..count)
            .map(|i| series_key(spec.prefix(), format!("acct-{i}").as_bytes()))
            .collect();
        for key in &series {
            batch.put_cf(family, bucket_key(key, 7), &value);
            batch.put_cf(family, bucket_key(key, 8), &value);
        }
        db.write(batch).expect("write buckets");
        (store, series)
    }

    #[test]
    fn scan_adds_every_series_across_chunks() {
        let dir = tempfile::tempdir().expect("temp dir");
        // Two buckets each, so the keys span several chunks.
        let (store, series) = store_with_series(dir.path(), SCAN_CHUNK + 500);
        let filter = StoredSeries::new(1000);
        let (_keep_open, stop) = mpsc::channel::<()>();
        scan(&store.shared().db, &filter, &stop).expect("scan");
        assert!(filter.is_complete());
        let missing = series.iter().filter(|key| !filter.may_contain(key)).count();
        assert_eq!(missing, 0, "series the scan did not add");
    }

    #[test]
    fn closed_store_stops_the_scan() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _) = store_with_series(dir.path(), 10);
        let filter = StoredSeries::new(1000);
        let (closed, stop) = mpsc::channel::<()>();
        drop(closed);
        scan(&store.shared().db, &filter, &stop).expect("scan");
        assert!(
            !filter.is_complete(),
            "a stopped scan leaves the filter incomplete"
        );
        assert!(filter.may_contain(b"anything"));
    }

    #[test]
    fn empty_family_is_recognized() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _) = store_with_series(dir.path(), 0);
        assert!(family_empty(&store.shared().db, CF_AGGREGATES).expect("read"));
        drop(store);
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _) = store_with_series(dir.path(), 1);
        assert!(!family_empty(&store.shared().db, CF_AGGREGATES).expect("read"));
    }
}
