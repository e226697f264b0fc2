//! The rule graph: how facts about a transaction become a decision.
//!
//! This crate knows nothing of tokio, gRPC or RocksDB; the engine supplies
//! the facts, including aggregates read from its state store.
