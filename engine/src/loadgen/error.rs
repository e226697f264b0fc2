//! The load generator's error type.

use std::path::PathBuf;

/// An error that stops a load run before or while driving a server; each message names
/// the file, option or address and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    #[error("cannot read {path}: {error}; check the path given to {option}")]
    ReadFile {
        path: PathBuf,
        option: &'static str,
        error: std::io::Error,
    },
    #[error("{path} line {line}: {reason}")]
    InvalidLine {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error(
        "{path} contains no names: write one name per line, or a CSV file with a full_name or name column"
    )]
    NoNames { path: PathBuf },
    #[error(
        "{path} contains no wallet addresses: write one address per line, or give a folder of such .txt files"
    )]
    NoWallets { path: PathBuf },
    #[error("invalid value for {option}: {reason}")]
    InvalidOption {
        option: &'static str,
        reason: String,
    },
    #[error(
        "invalid server address {server:?}: {reason}; write it as http://HOST:PORT, such as http://127.0.0.1:50051"
    )]
    InvalidServer { server: String, reason: String },
    #[error(
        "cannot connect to {server}: {reason}; start the server with `screener serve` or pass --server"
    )]
    Connect { server: String, reason: String },
    #[error(
        "cannot start the pacing thread: {error}; check the process and thread limits (ulimit -u)"
    )]
    Pacer { error: std::io::Error },
    #[error("cannot write the JSON report to {path}: {error}")]
    WriteReport {
        path: PathBuf,
        error: std::io::Error,
    },
}
