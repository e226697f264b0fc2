//! Random and damaged input never makes a parser panic. Each parser gets
//! random bytes and mutated copies of a real sample (bytes flipped,
//! inserted, removed, the file cut short), for a bounded number of cases.
//! The fuzz targets in `fuzz/` run the same parsers for longer.

use proptest::prelude::*;

use screener_lists::formats;
use screener_lists::source::{InputFile, LoadContext};
use screener_lists::Format;

const ADVANCED_SAMPLE: &[u8] = include_bytes!("samples/sdn_advanced_sample.xml");
const UN_SAMPLE: &[u8] = include_bytes!("samples/un_sample.xml");
const SDN_SAMPLE: &[u8] = include_bytes!("samples/ofac_csv/sdn.csv");
const ALT_SAMPLE: &[u8] = include_bytes!("samples/ofac_csv/alt.csv");
const ADD_SAMPLE: &[u8] = include_bytes!("samples/ofac_csv/add.csv");
const COMMENTS_SAMPLE: &[u8] = include_bytes!("samples/ofac_csv/sdn_comments.csv");

/// One change to a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Cut { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
    ]
}

fn mutate(sample: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = sample.to_vec();
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::Flip { at, byte } => {
                if let Some(b) = bytes.get_mut(at % len) {
                    *b = *byte;
                }
            }
            Mutation::Insert { at, bytes: new } => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Remove { at, len: count } => {
                let start = (at % len).min(bytes.len());
                let end = (start + count).min(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Cut { at } => bytes.truncate(at % len),
        }
    }
    bytes
}

/// Runs a parser; an error is fine, a panic fails the test.
fn run(format: Format, files: Vec<InputFile>) {
    let mut context = LoadContext::default();
    let _ = formats::parse(format, &files, "fuzz", &mut context);
    if let Some(first) = files.first() {
        let _ = formats::detect(first);
    }
}

fn damaged(sample: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(mutation(), 1..6).prop_map(move |m| mutate(sample, &m))
}

/// Cases per property: 128, or `PROPTEST_CASES` for a longer run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn un_xml_survives_damage(bytes in damaged(UN_SAMPLE)) {
        run(Format::UnXml, vec![InputFile::from_bytes("un.xml", bytes)]);
    }

    #[test]
    fn ofac_advanced_survives_damage(bytes in damaged(ADVANCED_SAMPLE)) {
        run(Format::OfacAdvancedXml, vec![InputFile::from_bytes("sdn_advanced.xml", bytes)]);
    }

    #[test]
    fn ofac_csv_survives_damage(
        sdn in damaged(SDN_SAMPLE),
        alt in damaged(ALT_SAMPLE),
        add in damaged(ADD_SAMPLE),
        comments in damaged(COMMENTS_SAMPLE),
    ) {
        run(Format::OfacCsv, vec![
            InputFile::from_bytes("sdn.csv", sdn),
            InputFile::from_bytes("alt.csv", alt),
            InputFile::from_bytes("add.csv", add),
            InputFile::from_bytes("sdn_comments.csv", comments),
        ]);
    }

    #[test]
    fn parsers_survive_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        for format in [Format::UnXml, Format::OfacAdvancedXml, Format::OfacCsv] {
            run(format, vec![InputFile::from_bytes("random", bytes.clone())]);
        }
    }

    #[test]
    fn parsers_survive_xml_like_text(text in "(<[A-Za-z:]{1,12}( [a-zA-Z]{1,5}=\"[^\"<]{0,8}\")?/?>|</[A-Za-z]{1,12}>|[^<]{0,12}|&[a-z#0-9]{0,6};){0,64}") {
        for format in [Format::UnXml, Format::OfacAdvancedXml] {
            run(format, vec![InputFile::from_bytes("text.xml", text.clone().into_bytes())]);
        }
    }
}

#[test]
fn samples_parse_cleanly() {
    let cases = [
        (
            Format::UnXml,
            vec![InputFile::from_bytes("un.xml", UN_SAMPLE.to_vec())],
        ),
        (
            Format::OfacAdvancedXml,
            vec![InputFile::from_bytes(
                "sdn_advanced.xml",
                ADVANCED_SAMPLE.to_vec(),
            )],
        ),
        (
            Format::OfacCsv,
            vec![
                InputFile::from_bytes("sdn.csv", SDN_SAMPLE.to_vec()),
                InputFile::from_bytes("alt.csv", ALT_SAMPLE.to_vec()),
                InputFile::from_bytes("add.csv", ADD_SAMPLE.to_vec()),
                InputFile::from_bytes("sdn_comments.csv", COMMENTS_SAMPLE.to_vec()),
            ],
        ),
    ];
    for (format, files) in cases {
        let mut context = LoadContext::default();
        let entities =
            formats::parse(format, &files, "sample", &mut context).expect("sample parses");
        assert!(!entities.is_empty(), "{format}");
        assert!(
            context.warnings.is_empty(),
            "{format}: {:?}",
            context.warnings
        );
        assert_eq!(formats::detect(&files[0]).expect("detected"), format);
    }
}
