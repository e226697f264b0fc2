//! Feeds arbitrary bytes to the OFAC legacy CSV parser as a whole set:
//! the input is split at 0xFF bytes into sdn.csv, alt.csv, add.csv and
//! sdn_comments.csv, so the join of the files by entry number is fuzzed too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use screener_lists::formats;
use screener_lists::source::{InputFile, LoadContext};
use screener_lists::Format;

const NAMES: [&str; 4] = ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"];

fuzz_target!(|data: &[u8]| {
    let files: Vec<InputFile> = data
        .split(|&b| b == 0xFF)
        .zip(NAMES)
        .map(|(bytes, name)| InputFile::from_bytes(name, bytes.to_vec()))
        .collect();
    let _ = formats::parse(Format::OfacCsv, &files, "fuzz", &mut LoadContext::default());
});
