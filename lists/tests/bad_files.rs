//! Files that cannot load give an error naming the file and what is wrong
//! with it. Detection recognises every published file by its content.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use screener_lists::{load, Format, ListError, LoadOptions};

const UN_FILE: &str = "lists/un_consolidated/un_consolidated_2026-02-27.xml";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

fn forced(format: Format) -> LoadOptions {
    LoadOptions {
        format: Some(format),
        list_id: None,
    }
}

const UN_SAMPLE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
    <CONSOLIDATED_LIST dateGenerated=\"2026-02-27T00:00:00Z\">\n<INDIVIDUALS>\n<INDIVIDUAL>\n\
    <FIRST_NAME>ERIC</FIRST_NAME><SECOND_NAME>BADEGE</SECOND_NAME>\n\
    <REFERENCE_NUMBER>CDi.001</REFERENCE_NUMBER>\n</INDIVIDUAL>\n</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n";

const OFAC_ROW: &str =
    "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\u{1a}";

#[test]
fn empty_file_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "un.xml", b"\n\n");
    let error = load(&path, &LoadOptions::default()).expect_err("empty");
    assert!(matches!(error, ListError::Empty { .. }), "{error}");
    assert!(error.to_string().contains("un.xml"), "{error}");
}

#[test]
fn truncated_xml_names_element_and_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cut = UN_SAMPLE.find("<REFERENCE_NUMBER>").expect("marker");
    let path = write(dir.path(), "un.xml", &UN_SAMPLE.as_bytes()[..cut]);
    let error = load(&path, &LoadOptions::default()).expect_err("truncated");
    let message = error.to_string();
    assert!(message.contains("un.xml"), "{message}");
    assert!(message.contains("truncated"), "{message}");
    assert!(
        message.contains("/CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL"),
        "{message}"
    );
    assert!(message.contains(&format!("byte {cut}")), "{message}");
}

#[test]
fn truncated_real_un_file_is_an_error() {
    let Some(path) = common::data_path(UN_FILE) else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read UN file");
    let dir = tempfile::tempdir().expect("temp dir");
    let half = write(dir.path(), "un_half.xml", &bytes[..bytes.len() / 2]);
    let error = load(&half, &LoadOptions::default()).expect_err("truncated");
    let message = error.to_string();
    assert!(message.contains("un_half.xml"), "{message}");
    assert!(message.contains("truncated"), "{message}");
    assert!(message.contains("/CONSOLIDATED_LIST/"), "{message}");
}

#[test]
fn truncated_gzip_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(UN_SAMPLE.repeat(50).as_bytes())
        .expect("compress");
    let compressed = encoder.finish().expect("finish");
    let path = write(dir.path(), "un.xml.gz", &compressed[..compressed.len() / 2]);
    let error = load(&path, &LoadOptions::default()).expect_err("cut gzip");
    assert!(matches!(error, ListError::Decompress { .. }), "{error}");
    assert!(error.to_string().contains("un.xml.gz"), "{error}");
}

#[test]
fn wrong_forced_format_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let un = write(dir.path(), "un.xml", UN_SAMPLE.as_bytes());
    let sdn = write(dir.path(), "sdn.csv", OFAC_ROW.as_bytes());
    let cases = [
        (&un, Format::OfacAdvancedXml, "not <Sanctions>"),
        (&un, Format::OfacCsv, "no line is an OFAC row"),
        (&sdn, Format::UnXml, "text outside the root element"),
        (
            &sdn,
            Format::OfacAdvancedXml,
            "text outside the root element",
        ),
    ];
    for (path, format, expected) in cases {
        let error = load(path, &forced(format)).expect_err("wrong format");
        let message = error.to_string();
        assert!(
            matches!(error, ListError::Invalid { .. }),
            "{format}: {message}"
        );
        assert!(message.contains(expected), "{format}: {message}");
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(message.contains(name), "{format}: {message}");
    }
}

#[test]
fn invalid_utf8_in_xml_names_the_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = UN_SAMPLE.as_bytes().to_vec();
    let at = UN_SAMPLE.find("ERIC").expect("marker");
    bytes[at] = 0xFF;
    let path = write(dir.path(), "un.xml", &bytes);
    let error = load(&path, &LoadOptions::default()).expect_err("invalid UTF-8");
    let message = error.to_string();
    assert!(
        message.contains(&format!("not valid UTF-8 at byte {at}")),
        "{message}"
    );
    assert!(message.contains("un.xml"), "{message}");
}

#[test]
fn oversized_fields_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let long = "A".repeat(screener_lists::source::MAX_FIELD_BYTES + 10);
    let xml = UN_SAMPLE.replace("ERIC", &long);
    let csv = OFAC_ROW.replace("AEROCARIBBEAN AIRLINES", &long);
    for (name, text, format) in [
        ("un.xml", xml, Format::UnXml),
        ("sdn.csv", csv, Format::OfacCsv),
    ] {
        let path = write(dir.path(), name, text.as_bytes());
        let error = load(&path, &forced(format)).expect_err("oversized");
        assert!(
            matches!(error, ListError::Oversized { .. }),
            "{name}: {error}"
        );
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[test]
fn file_of_another_kind_is_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &[u8]); 4] = [
        ("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        ("feed.xml", b"<?xml version=\"1.0\"?><rss><channel/></rss>"),
        ("prices.csv", b"date,open,close\n2024-01-01,1,2\n"),
        ("notes.json", b"{\"title\": \"notes\"}\n"),
    ];
    for (name, bytes) in cases {
        let path = write(dir.path(), name, bytes);
        let error = load(&path, &LoadOptions::default()).expect_err("not a list");
        assert!(
            matches!(error, ListError::UnknownFormat { .. }),
            "{name}: {error}"
        );
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[test]
fn every_real_file_is_detected() {
    let cases = [
        (UN_FILE, Format::UnXml),
        (
            "lists/ofac_sdn_advanced_2025/sdn_advanced_2025-03-04.xml.bz2",
            Format::OfacAdvancedXml,
        ),
        ("lists/ofac_sdn_csv_2021/sdn.csv", Format::OfacCsv),
        (
            "lists/ofac_sdn_csv_2024/sdn_2024-05-03.csv",
            Format::OfacCsv,
        ),
        (
            "lists/ofac_consolidated_2025/cons_prim.csv",
            Format::OfacCsv,
        ),
        (
            "lists/uk_ofsi_conlist_2025/ConList_2025-04-10.csv",
            Format::UkOfsiCsv,
        ),
        ("lists/us_csl_2023/csl.csv", Format::UsCsl),
        ("lists/us_csl_2023/dpl.txt", Format::BisDpl),
        (
            "lists/opensanctions_samples/eu_fsf_sample.ftm.json",
            Format::FtmJson,
        ),
        (
            "lists/opensanctions_samples/zala_cluster.ftm.json",
            Format::FtmJson,
        ),
    ];
    for (relative, expected) in cases {
        let Some(path) = common::data_path(relative) else {
            continue;
        };
        let file = screener_lists::source::InputFile::read(&path).expect("file reads");
        let detected = screener_lists::formats::detect(&file).expect(relative);
        assert_eq!(detected, expected, "{relative}");
    }
}

#[test]
fn ofac_companion_alone_points_to_main_file() {
    let Some(path) = common::data_path("lists/ofac_sdn_csv_2021/alt.csv") else {
        return;
    };
    let error = load(&path, &LoadOptions::default()).expect_err("companion alone");
    assert!(matches!(error, ListError::UnknownFormat { .. }), "{error}");
    assert!(error.to_string().contains("sdn.csv"), "{error}");
}
