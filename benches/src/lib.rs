//! Shared setup for the benches.

/// The allocator the `screener` binary uses, so that benches measure what
/// the server runs. Each bench names it with `#[global_allocator]`.
pub use mimalloc::MiMalloc as Allocator;
