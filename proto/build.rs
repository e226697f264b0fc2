//! Compiles the .proto contract with protox, a pure-Rust protobuf compiler,
//! so that building needs no system `protoc`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/screener/v1/screener.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("screener_descriptor.bin");
    let encoded = prost::Message::encode_to_vec(&descriptors);
    std::fs::write(&descriptor_path, &encoded)?;

    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_path)
        .skip_protoc_run()
        .compile_fds(descriptors)?;

    // serde implementations following the protobuf JSON mapping, keeping
    // the .proto field names, for JSON-lines replay files and CLI output.
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)?
        .preserve_proto_field_names()
        .build(&[".screener.v1"])?;
    Ok(())
}
