//! The screener engine: configuration, RocksDB state, the screening
//! pipeline, gRPC services, metrics and the command line.
//!
//! Parts:
//! - [`config`]: the TOML configuration and its environment overrides.
//! - [`catalog`] and [`policy`]: the list snapshot and rule graph now
//!   serving, each swapped whole on reload.
//! - [`state`]: aggregates, seen transaction ids, clearances and the audit
//!   log in RocksDB, with group commit.
//! - [`pipeline`]: screening one transaction from validation to the durable
//!   verdict; [`validate`] checks requests against the limits.
//! - [`engine`]: what the services share; [`server`]: gRPC services, health,
//!   reflection, metrics endpoint, signals and shutdown; [`metrics`]: every
//!   Prometheus metric.
//! - [`cli`], [`offline`], [`replay`], [`eval`] and [`loadgen`]: the
//!   `screener` command line.
//! - [`allocator`]: how long mimalloc, the binary's allocator, keeps freed
//!   memory.

pub mod allocator;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod currency;
pub mod engine;
pub mod error;
pub mod eval;
pub mod loadgen;
pub mod logging;
pub mod metrics;
pub mod name_cache;
pub mod offline;
pub mod pipeline;
pub mod policy;
pub mod replay;
pub mod server;
pub mod state;
pub mod validate;
