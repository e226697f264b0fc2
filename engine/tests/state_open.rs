//! Opening state directories that are missing, foreign, corrupt, of another
//! format version, or already in use: each gives a clear error naming the
//! directory, and nothing is erased without `allow_reset`.

mod state_support;

use std::path::Path;

use screener::state::{OpenOptions, StateError, StateStore, FORMAT_MARKER};
use state_support::{entry, fast_options, open, reserve, T0};

fn reset_options() -> OpenOptions {
    OpenOptions {
        allow_reset: true,
        ..fast_options()
    }
}

/// Writes one committed transaction so the store contains data. It has no
/// aggregate updates, so plain RocksDB (without our merge operator) can
/// recover the directory.
fn write_one(dir: &Path) {
    let store = open(dir, fast_options());
    let reservation = reserve(&store, "t1");
    reservation
        .commit(entry(T0, b"v"))
        .expect("queued")
        .wait_blocking()
        .expect("durable");
}

/// Opens the directory with plain RocksDB and every column family it has.
fn raw_db(dir: &Path) -> rocksdb::DB {
    let families = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir).expect("list cfs");
    rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, families).expect("raw open")
}

fn assert_names_dir(error: &StateError, dir: &Path) {
    let message = error.to_string();
    assert!(
        message.contains(&dir.display().to_string()),
        "message does not name the directory: {message}"
    );
}

#[test]
fn missing_dir_without_create_fails() {
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("state");
    let options = OpenOptions {
        create_if_missing: false,
        ..fast_options()
    };
    let error = StateStore::open(&dir, options)
        .err()
        .expect("open must fail");
    assert!(matches!(error, StateError::Missing { .. }), "{error}");
    assert_names_dir(&error, &dir);
    assert!(!dir.exists(), "nothing is created");
}

#[test]
fn missing_dir_is_created() {
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("nested").join("state");
    open(&dir, fast_options());
    assert!(dir.join("CURRENT").exists());
}

#[test]
fn file_as_state_dir_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("state");
    std::fs::write(&file, b"not a directory").expect("write file");
    for options in [fast_options(), reset_options()] {
        let Err(error) = StateStore::open(&file, options) else {
            panic!("a file is no state directory");
        };
        assert!(matches!(error, StateError::NotADirectory { .. }), "{error}");
        assert_names_dir(&error, &file);
        assert!(error.to_string().contains("state.dir"), "{error}");
    }
    let contents = std::fs::read(&file).expect("the file is still there");
    assert_eq!(
        contents, b"not a directory",
        "a reset leaves the file alone"
    );
}

#[test]
fn foreign_files_rejected_even_with_reset() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "keep me").expect("write file");
    for options in [fast_options(), reset_options()] {
        let error = StateStore::open(dir.path(), options)
            .err()
            .expect("open must fail");
        assert!(
            matches!(error, StateError::ForeignDirectory { .. }),
            "{error}"
        );
        assert_names_dir(&error, dir.path());
        assert!(error.to_string().contains("notes.txt"), "{error}");
    }
    let kept = std::fs::read_to_string(dir.path().join("notes.txt")).expect("file kept");
    assert_eq!(kept, "keep me");
}

#[test]
fn foreign_rocksdb_rejected_then_reset() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        let db = rocksdb::DB::open(&options, dir.path()).expect("create foreign db");
        db.put(b"someone", b"else's data").expect("put");
    }
    let error = StateStore::open(dir.path(), fast_options())
        .err()
        .expect("open must fail");
    assert!(
        matches!(error, StateError::ForeignDatabase { .. }),
        "{error}"
    );
    assert_names_dir(&error, dir.path());
    assert!(error.to_string().contains("default"), "{error}");

    let store = open(dir.path(), reset_options());
    assert!(!store.is_seen("t1").expect("read"));
    drop(store);
    let families = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir.path()).expect("list");
    assert!(families.contains(&"aggregates".to_owned()), "{families:?}");
}

#[test]
fn other_format_version_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_one(dir.path());
    {
        let db = raw_db(dir.path());
        let meta = db.cf_handle("meta").expect("meta cf");
        db.put_cf(meta, b"format", b"screener-state/99")
            .expect("put marker");
    }
    let error = StateStore::open(dir.path(), fast_options())
        .err()
        .expect("open must fail");
    assert!(matches!(error, StateError::FormatVersion { .. }), "{error}");
    assert_names_dir(&error, dir.path());
    assert!(error.to_string().contains("screener-state/99"), "{error}");
    assert!(error.to_string().contains(FORMAT_MARKER), "{error}");

    let store = open(dir.path(), reset_options());
    assert!(!store.is_seen("t1").expect("read"), "reset starts empty");
}

#[test]
fn missing_marker_with_data_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_one(dir.path());
    {
        let db = raw_db(dir.path());
        let meta = db.cf_handle("meta").expect("meta cf");
        db.delete_cf(meta, b"format").expect("delete marker");
    }
    let error = StateStore::open(dir.path(), fast_options())
        .err()
        .expect("open must fail");
    assert!(matches!(error, StateError::MissingMarker { .. }), "{error}");
    assert_names_dir(&error, dir.path());
    let data_kept = raw_db(dir.path());
    let audit = data_kept.cf_handle("audit").expect("audit cf");
    assert!(data_kept.get_cf(audit, b"t1").expect("get").is_some());
}

#[test]
fn empty_unmarked_store_is_marked() {
    let dir = tempfile::tempdir().expect("temp dir");
    open(dir.path(), fast_options());
    {
        let db = raw_db(dir.path());
        let meta = db.cf_handle("meta").expect("meta cf");
        db.delete_cf(meta, b"format").expect("delete marker");
    }
    open(dir.path(), fast_options());
    let db = raw_db(dir.path());
    let meta = db.cf_handle("meta").expect("meta cf");
    let marker = db
        .get_cf(meta, b"format")
        .expect("get")
        .expect("marker written");
    assert_eq!(marker, FORMAT_MARKER.as_bytes());
}

#[test]
fn corrupt_current_file_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("CURRENT"), "garbage\n").expect("write");
    let error = StateStore::open(dir.path(), fast_options())
        .err()
        .expect("open must fail");
    assert!(matches!(error, StateError::Open { .. }), "{error}");
    assert_names_dir(&error, dir.path());
}

#[test]
fn corrupt_database_erased_on_reset() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_one(dir.path());
    std::fs::write(dir.path().join("CURRENT"), "garbage\n").expect("write");
    let store = StateStore::open(dir.path(), reset_options()).expect("reset opens");
    assert!(!store.is_seen("t1").expect("read"), "the old data is gone");
}

#[test]
fn reset_leaves_a_database_in_use_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = open(dir.path(), fast_options());
    let error = StateStore::open(dir.path(), reset_options())
        .err()
        .expect("open must fail");
    assert!(matches!(error, StateError::InUse { .. }), "{error}");
    let reservation = reserve(&first, "still-here");
    reservation
        .commit(entry(T0, b"v"))
        .expect("commit queued")
        .wait_blocking()
        .expect("the first store still writes");
}

#[test]
fn second_open_rejected_while_in_use() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _first = open(dir.path(), fast_options());
    let error = StateStore::open(dir.path(), fast_options())
        .err()
        .expect("open must fail");
    assert!(matches!(error, StateError::InUse { .. }), "{error}");
    assert_names_dir(&error, dir.path());
    assert!(error.to_string().to_lowercase().contains("lock"), "{error}");
    assert!(
        !error.to_string().contains("--reset-state"),
        "a reset cannot help while another process holds the directory: {error}"
    );
}

#[test]
fn legacy_seen_ids_pruned() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_one(dir.path());
    {
        // Stores of the earlier layout also kept each id in `seen`.
        let db = raw_db(dir.path());
        let seen = db.cf_handle("seen").expect("seen cf");
        db.put_cf(seen, b"t1", T0.to_be_bytes()).expect("put");
    }
    let store = open(dir.path(), fast_options());
    assert!(store.is_seen("t1").expect("read"));
    let (pruned, handle) = store.prune_audit(T0 + 1, 10).expect("prune");
    assert_eq!(pruned, 1);
    handle.expect("a write").wait_blocking().expect("durable");
    assert!(!store.is_seen("t1").expect("read"));
    drop(store);
    let db = raw_db(dir.path());
    let seen = db.cf_handle("seen").expect("seen cf");
    assert!(db.get_cf(seen, b"t1").expect("get").is_none());
}

/// Writes `t1` and `t2` one millisecond apart, then rewrites `t1` as
/// stores of format 1 kept it (the entry under the id and an empty value
/// in the time index) and marks the store as format 1.
fn write_both_layouts(dir: &Path) {
    let store = open(dir, fast_options());
    for (id, time, verdict) in [("t1", T0, b"old"), ("t2", T0 + 1, b"new")] {
        reserve(&store, id)
            .commit(entry(time, verdict))
            .expect("queued")
            .wait_blocking()
            .expect("durable");
    }
    drop(store);
    let db = raw_db(dir);
    let audit = db.cf_handle("audit").expect("audit cf");
    let by_time = db.cf_handle("audit_by_time").expect("audit_by_time cf");
    let time_key = [&T0.to_be_bytes()[..], b"t1"].concat();
    let stored = db
        .get_cf(by_time, &time_key)
        .expect("get")
        .expect("the entry is in the time index");
    db.put_cf(audit, b"t1", &stored).expect("put");
    db.put_cf(by_time, &time_key, b"").expect("put");
    let meta = db.cf_handle("meta").expect("meta cf");
    db.put_cf(meta, b"format", b"screener-state/1")
        .expect("put marker");
}

#[test]
fn earlier_audit_layout_still_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_both_layouts(dir.path());
    let store = open(dir.path(), fast_options());
    for (id, time, verdict) in [("t1", T0, b"old"), ("t2", T0 + 1, b"new")] {
        let record = store.audit(id).expect("read").expect("a record");
        assert_eq!(record.entry, entry(time, verdict), "{id}");
        assert!(store.is_seen(id).expect("read"), "{id}");
    }
    let range = store.audit_range(T0, T0 + 2, 10).expect("range");
    let ids: Vec<&str> = range.iter().map(|record| record.txn_id.as_str()).collect();
    assert_eq!(ids, ["t1", "t2"]);
    assert_eq!(range[0].entry.verdict, b"old");
    assert_eq!(range[1].entry.verdict, b"new");
    let (pruned, handle) = store.prune_audit(T0 + 2, 10).expect("prune");
    assert_eq!(pruned, 2);
    handle.expect("a write").wait_blocking().expect("durable");
    for id in ["t1", "t2"] {
        assert!(!store.is_seen(id).expect("read"), "{id}");
        assert!(store.audit(id).expect("read").is_none(), "{id}");
    }
    drop(store);

    // Opening marked the store with the current format, so builds that
    // know only format 1 reject it.
    let db = raw_db(dir.path());
    let meta = db.cf_handle("meta").expect("meta cf");
    let marker = db.get_cf(meta, b"format").expect("get").expect("a marker");
    assert_eq!(marker, FORMAT_MARKER.as_bytes());
    assert_ne!(FORMAT_MARKER, "screener-state/1");
}

#[test]
fn missing_audit_entry_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_one(dir.path());
    {
        let db = raw_db(dir.path());
        let by_time = db.cf_handle("audit_by_time").expect("audit_by_time cf");
        let time_key = [&T0.to_be_bytes()[..], b"t1"].concat();
        db.delete_cf(by_time, &time_key).expect("delete");
    }
    let store = open(dir.path(), fast_options());
    let Err(error) = store.audit("t1") else {
        panic!("an id whose entry is gone must be reported");
    };
    let message = error.to_string();
    // The id in hex, and the time its entry should be at.
    assert!(message.contains(&hex_of(b"t1")), "{message}");
    assert!(message.contains(&T0.to_string()), "{message}");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn corrupt_journal_record_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_one(dir.path());
    {
        let db = raw_db(dir.path());
        let journal = db.cf_handle("journal").expect("the store has a journal");
        db.put_cf(journal, 7u64.to_be_bytes(), [9, 0, 0, 0, 1])
            .expect("write a truncated record");
    }
    let Err(error) = StateStore::open(dir.path(), fast_options()) else {
        panic!("a corrupt journal record must fail the open");
    };
    let message = error.to_string();
    assert!(message.contains("journal"), "{message}");
    assert!(message.contains("0000000000000007"), "{message}");
    assert!(message.contains("backup"), "{message}");
}

#[test]
fn short_progress_marker_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_one(dir.path());
    {
        let db = raw_db(dir.path());
        let meta = db.cf_handle("meta").expect("the store has a meta family");
        db.put_cf(meta, b"checkpoint_progress", [0u8; 10])
            .expect("write a short marker");
    }
    let Err(error) = StateStore::open(dir.path(), fast_options()) else {
        panic!("a short progress marker must fail the open");
    };
    let message = error.to_string();
    assert!(
        message.contains("progress marker has 10 bytes"),
        "{message}"
    );
    assert!(message.contains("backup"), "{message}");
}
