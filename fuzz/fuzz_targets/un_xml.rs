//! Feeds arbitrary bytes to the UN consolidated list XML parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use screener_lists::formats;
use screener_lists::source::{InputFile, LoadContext};
use screener_lists::Format;

fuzz_target!(|data: &[u8]| {
    let file = InputFile::from_bytes("fuzz.xml", data.to_vec());
    let _ = formats::parse(Format::UnXml, &[file], "fuzz", &mut LoadContext::default());
});
