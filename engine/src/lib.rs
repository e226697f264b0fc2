//! The screener engine: configuration, RocksDB state, the screening
//! pipeline, gRPC services, metrics and the command line.
//!
//! NOTE: the engine modules in this folder (config, catalog, policy, state,
//! pipeline, server, metrics, cli, offline, replay, eval, loadgen) type-check
//! together but have not yet been linked against RocksDB and run, so they
//! are not compiled into the crate yet. `engine/pending/lib.rs` is the crate
//! root that wires them, and `engine/pending/` and `tests/pending/` hold
//! their end-to-end tests.
