//! Helpers shared by the integration tests. The server harness and its
//! tests wait in `tests/pending/` until the engine modules are wired in.
