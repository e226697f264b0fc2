//! Feeds arbitrary bytes to format detection, then to the parser of the
//! format it detects.
#![no_main]

use libfuzzer_sys::fuzz_target;
use screener_lists::formats;
use screener_lists::source::{InputFile, LoadContext};

fuzz_target!(|data: &[u8]| {
    let file = InputFile::from_bytes("fuzz", data.to_vec());
    if let Ok(format) = formats::detect(&file) {
        if formats::parser_available(format) {
            let _ = formats::parse(format, &[file], "fuzz", &mut LoadContext::default());
        }
    }
});
