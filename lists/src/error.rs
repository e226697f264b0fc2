//! Errors that stop a list from loading at all. Problems with single rows
//! are warnings in the load report, not errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("cannot read list file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("list file {path} is empty; check that the download completed")]
    Empty { path: PathBuf },
    #[error(
        "cannot tell the format of {path}: {reason}; name the format in the list config, \
         or with --format for `screener lists inspect` and `lists diff`"
    )]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("{path} is not a valid {format} file: {reason}")]
    Invalid {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
    #[error("{path}: {location}: field is {len} bytes, over the limit of {limit}; the file is probably corrupt")]
    Oversized {
        path: PathBuf,
        location: String,
        len: usize,
        limit: usize,
    },
    #[error("cannot decompress {path}: {reason}")]
    Decompress { path: PathBuf, reason: String },
}
