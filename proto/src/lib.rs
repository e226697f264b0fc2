//! The `screener.v1` gRPC contract: messages, client and server stubs
//! generated from `proto/screener/v1/screener.proto`, and the encoded file
//! descriptor set that the server offers through gRPC reflection. Every
//! message also implements serde following the protobuf JSON mapping, with
//! the .proto field names.

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

pub mod v1 {
    tonic::include_proto!("screener.v1");
    include!(concat!(env!("OUT_DIR"), "/screener.v1.serde.rs"));
}

/// The encoded `FileDescriptorSet` of the contract, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/screener_descriptor.bin"));
