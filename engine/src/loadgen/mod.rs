//! The load generator behind `screener bench`, and the transaction
//! generator that tests and benches reuse.
//!
//! - [`generator`]: realistic transactions from a seed: names from a
//!   corpus, a share of listed names with typos and reordering, valid
//!   wallet addresses per chain with a share of listed ones, amounts,
//!   currencies, countries and repeat senders.
//! - [`BenchArgs`] and [`run`]: drive a running server over N concurrent
//!   ScreenStream streams at a fixed rate or as fast as it answers, then
//!   report throughput, latency percentiles (HdrHistogram, corrected for
//!   coordinated omission at a fixed rate), verdicts by decision and
//!   errors, as a table or JSON. [`drive`] does the same from a
//!   [`BenchConfig`] and returns the [`BenchReport`].
//!
//! A run only connects to the one server address it is given and stops by
//! itself after the warm-up, the duration and at most two drain periods.

mod accounts;
mod args;
mod countries;
pub mod encoding;
mod error;
mod fields;
pub mod generator;
mod names;
mod pace;
mod perturb;
mod report;
mod runner;
mod stream;
mod wallets;

pub use accounts::{Account, AccountPool};
pub(crate) use args::check_server;
pub use args::{BenchArgs, OutputFormat};
pub use error::LoadgenError;
pub use names::{NameCorpus, NameEntry};
pub use perturb::Perturbation;
pub use report::{BenchReport, ErrorSummary, LatencySummary, Sources, WarmupCounts};
#[cfg(test)]
pub(crate) use runner::silent_server;
pub(crate) use runner::{connect, status_problem};
pub use runner::{drive, run, BenchConfig};
pub use wallets::{infer_chain, ListedWallets, Wallet};
