//! Finds the real published lists used by the integration tests.
//!
//! The data sits in `shared/data` beside the repository (two levels above
//! this crate's manifest), or wherever `SCREENER_DATA_DIR` points. A clone
//! without it still passes: each test prints "data missing, skipping" and
//! returns.

#![allow(dead_code)]

use std::path::PathBuf;

/// The data folder, if present.
pub fn data_dir() -> Option<PathBuf> {
    let beside_repo = screener_lists::source_root().join("../shared/data");
    if beside_repo.is_dir() {
        return Some(beside_repo);
    }
    let from_env = std::env::var_os("SCREENER_DATA_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_dir());
    if from_env.is_none() {
        eprintln!("data missing, skipping");
    }
    from_env
}

/// A file or folder under the data folder, such as
/// "lists/un_consolidated/un_consolidated_2026-02-27.xml". Prints
/// "data missing, skipping" and returns `None` when it is absent.
pub fn data_path(relative: &str) -> Option<PathBuf> {
    let path = data_dir()
        .map(|dir| dir.join(relative))
        .filter(|p| p.exists());
    if path.is_none() {
        eprintln!("data missing, skipping ({relative})");
    }
    path
}

/// Counts the non-overlapping occurrences of `needle` in `haystack`, the
/// independent scan the tests compare loader counts against.
pub fn count_occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    // The standard library's substring search is compiled optimized even in
    // debug test builds, which matters on a 121 MB file.
    match (std::str::from_utf8(haystack), std::str::from_utf8(needle)) {
        (Ok(haystack), Ok(needle)) => haystack.matches(needle).count(),
        _ => haystack
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count(),
    }
}
