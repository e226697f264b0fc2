//! The screener engine: configuration, RocksDB state, the screening
//! pipeline, gRPC services, metrics and the command line.
