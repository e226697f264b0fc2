//! Where the shared test data lives.

use std::path::{Path, PathBuf};

/// Returns the shared data folder: `SCREENER_DATA_DIR`, else `../shared/data`
/// beside the repository. Prints "data missing, skipping" and returns
/// `None` when it is not there.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SCREENER_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("data missing, skipping");
        None
    }
}
