fn main() {
    eprintln!("screener: the engine is not wired into this build yet; see engine/src/lib.rs");
    std::process::exit(2);
}
