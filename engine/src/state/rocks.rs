//! Opening the RocksDB database: checking that a directory contains a screener
//! state of this format, the column families and their options, and the
//! compaction filter that expires old buckets.
//!
//! Expiry: the `aggregates` compaction filter drops a bucket once its end is
//! more than its window plus [`EXPIRY_SLACK_MS`] behind the expiry clock. The
//! slack keeps buckets that late transactions and clock skew between clients
//! still read. A compaction filter only runs when RocksDB compacts a file,
//! so `periodic_compaction_seconds` is one day: every file is rewritten, and
//! its expired buckets dropped, at least daily even when no writes push it
//! into a compaction. A bucket therefore stays on disk for at most its window
//! plus the slack plus about a day. Reads never see expired buckets anyway,
//! since they fold only the buckets of their window.

use std::path::{Path, PathBuf};

use rocksdb::CompactionDecision as FilterDecision;
use rocksdb::{
    BlockBasedOptions, ColumnFamilyDescriptor, DBCompressionType, ErrorKind, IteratorMode, Options,
    ReadOptions, SliceTransform, WriteOptions, DB,
};
use tracing::{info, warn};

use super::bucket::merge_operator;
use super::error::StateError;
use super::keys::{parse_bucket_key, BucketKeyParts, BUCKET_INDEX_LEN};
use super::options::{Clock, OpenOptions};

pub(crate) const CF_META: &str = "meta";
pub(crate) const CF_AGGREGATES: &str = "aggregates";
/// Transaction ids screened, as stores of the earlier layout wrote them. The
/// audit record now marks an id as seen. This family is still opened and
/// pruned, so those stores keep working.
pub(crate) const CF_SEEN: &str = "seen";
pub(crate) const CF_AUDIT: &str = "audit";
pub(crate) const CF_AUDIT_BY_TIME: &str = "audit_by_time";
pub(crate) const CF_CLEARANCES: &str = "clearances";
/// Aggregate deltas of recent write groups, until a checkpoint merges them
/// into `aggregates` (`journal.rs`). Stores of the earlier layout lack
/// this family, and opening them adds it.
pub(crate) const CF_JOURNAL: &str = "journal";

/// Our column families; RocksDB adds `default`, which stays empty.
pub(crate) const COLUMN_FAMILIES: [&str; 7] = [
    CF_META,
    CF_AGGREGATES,
    CF_SEEN,
    CF_AUDIT,
    CF_AUDIT_BY_TIME,
    CF_CLEARANCES,
    CF_JOURNAL,
];

/// The format marker stored under `format` in `meta`. Bump the version when
/// a stored layout changes in a way older builds would misread.
///
/// Format 2 keeps audit entries in the time index. This build still reads
/// format 1 stores and marks them as format 2 when it opens them, so that
/// builds of format 1 then reject them rather than fail on each new record.
pub const FORMAT_MARKER: &str = "screener-state/2";
/// The format this build upgrades on open: audit entries under their ids.
const PREVIOUS_FORMAT_MARKER: &str = "screener-state/1";
const MARKER_KEY: &[u8] = b"format";

/// How far past its window plus one bucket a bucket is kept: one hour.
pub const EXPIRY_SLACK_MS: u64 = 3_600_000;

const PERIODIC_COMPACTION_SECS: u64 = 86_400;

/// Level 0 files that start a compaction into level 1 (RocksDB's default
/// is 4; writes slow down at 20).
const L0_COMPACTION_TRIGGER: i32 = 8;

/// The contents of a state directory before opening.
enum DirContents {
    Nothing,
    RocksDb,
    Other(String),
}

/// Opens the database in `dir`, creating or resetting it as `options` allow.
pub(crate) fn open_db(dir: &Path, options: &OpenOptions) -> Result<DB, StateError> {
    match inspect(dir)? {
        DirContents::Nothing if options.create_if_missing => create(dir, options),
        DirContents::Nothing => Err(StateError::Missing {
            dir: dir.to_owned(),
        }),
        DirContents::Other(found) => Err(StateError::ForeignDirectory {
            dir: dir.to_owned(),
            found,
        }),
        DirContents::RocksDb => open_existing(dir, options),
    }
}

fn inspect(dir: &Path) -> Result<DirContents, StateError> {
    let io_error = |action, source| StateError::Io {
        dir: dir.to_owned(),
        action,
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(DirContents::Nothing)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
            return Err(StateError::NotADirectory {
                dir: dir.to_owned(),
            })
        }
        Err(error) => return Err(io_error("read", error)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| io_error("read", error))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    if names.is_empty() {
        return Ok(DirContents::Nothing);
    }
    if names.iter().any(|name| name == "CURRENT") {
        return Ok(DirContents::RocksDb);
    }
    names.sort();
    let mut found = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 5 {
        found.push_str(&format!(" and {} more", names.len() - 5));
    }
    Ok(DirContents::Other(found))
}

fn open_existing(dir: &Path, options: &OpenOptions) -> Result<DB, StateError> {
    let mut found = match DB::list_cf(&Options::default(), dir) {
        Ok(found) => found,
        Err(source) if options.allow_reset && source.kind() == ErrorKind::Corruption => {
            return reset(dir, options, "its database is corrupt");
        }
        Err(source) => return Err(open_error(dir, source)),
    };
    found.sort();
    let mut expected: Vec<String> = COLUMN_FAMILIES.iter().map(|cf| cf.to_string()).collect();
    expected.push("default".to_owned());
    expected.sort();
    // A store of the earlier layout lacks only the journal, which opening adds.
    let lacks_journal = !found.iter().any(|cf| cf == CF_JOURNAL)
        && expected
            .iter()
            .filter(|cf| *cf != CF_JOURNAL)
            .eq(found.iter());
    if found != expected && !lacks_journal {
        if options.allow_reset {
            return reset(dir, options, "its column families differ");
        }
        return Err(StateError::ForeignDatabase {
            dir: dir.to_owned(),
            found: found.join(", "),
            expected: expected.join(", "),
        });
    }
    let db = open_with_families(dir, options, lacks_journal)?;
    match read_marker(&db)? {
        Some(marker) if marker == FORMAT_MARKER => {
            info!(dir = %dir.display(), "state store opened");
            Ok(db)
        }
        Some(marker) if marker == PREVIOUS_FORMAT_MARKER => {
            write_marker(&db, dir)?;
            info!(
                dir = %dir.display(),
                from = PREVIOUS_FORMAT_MARKER,
                to = FORMAT_MARKER,
                "state store opened and marked with the new format; builds of the old format can no longer open it"
            );
            Ok(db)
        }
        None if is_empty(&db)? => {
            info!(dir = %dir.display(), "state store had no format marker and no data; marking it");
            write_marker(&db, dir)?;
            Ok(db)
        }
        _ if options.allow_reset => {
            drop(db);
            reset(dir, options, "its format marker is missing or differs")
        }
        None => Err(StateError::MissingMarker {
            dir: dir.to_owned(),
        }),
        Some(found) => Err(StateError::FormatVersion {
            dir: dir.to_owned(),
            found,
            expected: FORMAT_MARKER.to_owned(),
        }),
    }
}

fn reset(dir: &Path, options: &OpenOptions, reason: &str) -> Result<DB, StateError> {
    warn!(dir = %dir.display(), reason, "erasing the state directory because a reset was requested");
    DB::destroy(&Options::default(), dir).map_err(|source| open_error(dir, source))?;
    create(dir, options)
}

fn create(dir: &Path, options: &OpenOptions) -> Result<DB, StateError> {
    std::fs::create_dir_all(dir).map_err(|source| StateError::Io {
        dir: dir.to_owned(),
        action: "create",
        source,
    })?;
    let db = open_with_families(dir, options, true)?;
    write_marker(&db, dir)?;
    info!(dir = %dir.display(), "state store created");
    Ok(db)
}

/// Opens the database with our column families. With `create`, it makes
/// the database and the families it lacks.
fn open_with_families(dir: &Path, options: &OpenOptions, create: bool) -> Result<DB, StateError> {
    let mut db_options = Options::default();
    db_options.create_if_missing(create);
    db_options.create_missing_column_families(create);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as i32);
    db_options.increase_parallelism(cores);
    db_options.set_max_background_jobs(cores.clamp(2, 8));
    db_options.set_keep_log_file_num(4);
    // One thread writes, so memtable inserts need no synchronization.
    db_options.set_allow_concurrent_memtable_write(false);
    let families = COLUMN_FAMILIES.iter().map(|name| {
        ColumnFamilyDescriptor::new(*name, family_options(name, &options.expiry_clock))
    });
    DB::open_cf_descriptors(&db_options, dir, families).map_err(|source| open_error(dir, source))
}

fn family_options(name: &str, clock: &Clock) -> Options {
    let mut family = Options::default();
    // Levels 0 and 1 hold the newest data and are rewritten most often:
    // every flush writes level 0, and each level 0 compaction rewrites
    // level 1. Leaving those two uncompressed cut the background threads'
    // CPU by about a third under load. LZ4 compresses from level 2 on,
    // where most of the data lies.
    family.set_compression_per_level(&[
        DBCompressionType::None,
        DBCompressionType::None,
        DBCompressionType::Lz4,
        DBCompressionType::Lz4,
        DBCompressionType::Lz4,
        DBCompressionType::Lz4,
        DBCompressionType::Lz4,
    ]);
    // Level 0 compacts once 8 files wait rather than 4, so each compaction
    // merges more flushes into level 1 and rewrites it half as often. Under
    // sustained load that cut the background threads' CPU by a third or
    // more. Reads check up to 8 level 0 files, whose bloom filters settle
    // most of them.
    family.set_level_zero_file_num_compaction_trigger(L0_COMPACTION_TRIGGER);
    let mut table = BlockBasedOptions::default();
    if name != CF_AGGREGATES && name != CF_AUDIT_BY_TIME && name != CF_JOURNAL {
        // Point lookups by id: a bloom filter skips files without the key.
        table.set_bloom_filter(10.0, false);
        // Every transaction looks up its own id, which is almost always
        // new, so a whole-key bloom filter in the memtable settles most
        // of those lookups without a skip list search.
        family.set_memtable_prefix_bloom_ratio(0.02);
        family.set_memtable_whole_key_filtering(true);
    }
    family.set_block_based_table_factory(&table);
    if name == CF_AGGREGATES {
        // Prefix bloom filters: loading a series new to the cache skips
        // every file without that series.
        family.set_merge_operator_associative("screener-bucket-merge", merge_operator);
        let clock = clock.clone();
        family.set_compaction_filter(
            "screener-bucket-expiry",
            move |_level, key: &[u8], _value: &[u8]| match parse_bucket_key(key) {
                Some(parts) if bucket_expired(&parts, clock()) => FilterDecision::Remove,
                _ => FilterDecision::Keep,
            },
        );
        family.set_periodic_compaction_seconds(PERIODIC_COMPACTION_SECS);
        // Every read of this family scans the buckets of one series, so
        // the series key is the prefix of the bloom filters.
        family.set_prefix_extractor(SliceTransform::create(
            "screener-series-key",
            series_of_bucket_key,
            Some(is_bucket_key),
        ));
        family.set_memtable_prefix_bloom_ratio(0.1);
        table.set_bloom_filter(10.0, false);
        table.set_whole_key_filtering(false);
        family.set_block_based_table_factory(&table);
    }
    family
}

/// Returns a bucket key without its bucket index: the prefix extractor of
/// the aggregates family.
pub(crate) fn series_of_bucket_key(key: &[u8]) -> &[u8] {
    &key[..key.len().saturating_sub(BUCKET_INDEX_LEN)]
}

pub(crate) fn is_bucket_key(key: &[u8]) -> bool {
    key.len() > BUCKET_INDEX_LEN
}

/// Returns whether a bucket ended more than its window plus the slack
/// before `now_ms`.
pub(crate) fn bucket_expired(parts: &BucketKeyParts, now_ms: i64) -> bool {
    let width_ms = parts.width_secs.saturating_mul(1000);
    let end_ms = parts.bucket.saturating_add(1).saturating_mul(width_ms);
    let keep_until = end_ms
        .saturating_add(parts.window_secs.saturating_mul(1000))
        .saturating_add(EXPIRY_SLACK_MS);
    keep_until < now_ms.max(0) as u64
}

fn read_marker(db: &DB) -> Result<Option<String>, StateError> {
    let meta = handle(db, CF_META)?;
    let value = db
        .get_cf(meta, MARKER_KEY)
        .map_err(|source| StateError::Read {
            cf: CF_META,
            source,
        })?;
    Ok(value.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

fn write_marker(db: &DB, dir: &Path) -> Result<(), StateError> {
    let mut sync = WriteOptions::default();
    sync.set_sync(true);
    let meta = handle(db, CF_META)?;
    db.put_cf_opt(meta, MARKER_KEY, FORMAT_MARKER, &sync)
        .map_err(|source| open_error(dir, source))
}

fn is_empty(db: &DB) -> Result<bool, StateError> {
    for name in COLUMN_FAMILIES {
        if !family_empty(db, name)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Returns whether the column family `name` is empty.
pub(crate) fn family_empty(db: &DB, name: &'static str) -> Result<bool, StateError> {
    let family = handle(db, name)?;
    // A whole-family scan crosses series, so it must ignore the aggregates
    // prefix extractor.
    let mut options = ReadOptions::default();
    options.set_total_order_seek(true);
    match db
        .iterator_cf_opt(family, options, IteratorMode::Start)
        .next()
    {
        Some(item) => {
            item.map_err(|source| StateError::Read { cf: name, source })?;
            Ok(false)
        }
        None => Ok(true),
    }
}

/// Returns the handle of one of our column families, which open checked exist.
pub(crate) fn handle<'a>(
    db: &'a DB,
    name: &'static str,
) -> Result<&'a rocksdb::ColumnFamily, StateError> {
    db.cf_handle(name)
        .ok_or_else(|| StateError::ForeignDatabase {
            dir: db.path().to_owned(),
            found: format!("no {name}"),
            expected: COLUMN_FAMILIES.join(", "),
        })
}

fn open_error(dir: &Path, source: rocksdb::Error) -> StateError {
    // RocksDB reports a held LOCK file as an I/O error that names the file.
    let locked = source.kind() == ErrorKind::IOError && source.to_string().contains("LOCK");
    if locked {
        return StateError::InUse {
            dir: PathBuf::from(dir),
            source,
        };
    }
    StateError::Open {
        dir: PathBuf::from(dir),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_expiry_boundary() {
        // One-hour window, one-minute buckets: bucket 10 ends at 660 s.
        let parts = BucketKeyParts {
            window_secs: 3600,
            width_secs: 60,
            bucket: 10,
        };
        let keep_until = 660_000 + 3_600_000 + EXPIRY_SLACK_MS as i64;
        assert!(!bucket_expired(&parts, keep_until));
        assert!(bucket_expired(&parts, keep_until + 1));
    }

    #[test]
    fn huge_bucket_never_expires() {
        let parts = BucketKeyParts {
            window_secs: u32::MAX as u64,
            width_secs: u32::MAX as u64,
            bucket: u64::MAX,
        };
        assert!(!bucket_expired(&parts, i64::MAX));
    }
}
