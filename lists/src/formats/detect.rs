//! Tells a list's format from the start of its content.
//!
//! XML formats are recognised by their root element and, for OFAC's
//! advanced XML and the EU list, by elements only they use. FollowTheMoney
//! is recognised by its JSON object keys and the CSV formats by their first
//! lines. OFAC's CSV has no header, so it is recognised by 12-column rows
//! that start with an entry number.

use crate::error::ListError;
use crate::formats::ofac_csv;
use crate::load::Format;
use crate::source::InputFile;

/// How much of a file detection looks at.
const HEAD_BYTES: usize = 64 * 1024;

/// Detects the format of `file` from its first bytes.
pub fn detect(file: &InputFile) -> Result<Format, ListError> {
    let head = &file.bytes[..file.bytes.len().min(HEAD_BYTES)];
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let unknown = |reason: String| ListError::UnknownFormat {
        path: file.path.clone(),
        reason,
    };

    if head.starts_with('<') {
        return detect_xml(head).map_err(unknown);
    }
    if head.starts_with('{') {
        return detect_json_lines(head).map_err(unknown);
    }
    detect_text(head, file).map_err(unknown)
}

fn detect_xml(head: &str) -> Result<Format, String> {
    let Some(root) = root_element(head) else {
        return Err("it starts like XML but no root element was found in the first 64 KiB".into());
    };
    let local = root.rsplit(':').next().unwrap_or(root);
    match local {
        "CONSOLIDATED_LIST" => Ok(Format::UnXml),
        "Sanctions"
            if head.contains("ADVANCED_XML")
                || head.contains("ReferenceValueSets")
                || head.contains("DateOfIssue") =>
        {
            Ok(Format::OfacAdvancedXml)
        }
        "export" if head.contains("sanctionEntity") || head.contains("globalFileId") => {
            Ok(Format::EuXml)
        }
        other => Err(format!(
            "its XML root element <{other}> is not that of a known list \
             (UN CONSOLIDATED_LIST, OFAC Sanctions, EU export)"
        )),
    }
}

/// The name of the first element, skipping the declaration, comments,
/// processing instructions and a DOCTYPE.
fn root_element(head: &str) -> Option<&str> {
    let mut rest = head;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = &after[after.find('>')? + 1..];
        } else {
            let after = rest.strip_prefix('<')?;
            let end = after.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            return Some(&after[..end]).filter(|name| !name.is_empty());
        }
    }
}

fn detect_json_lines(head: &str) -> Result<Format, String> {
    let first = head.lines().next().unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(first)
        .map_err(|e| format!("the first line starts like JSON but is not a JSON object: {e}"))?;
    let is_ftm = value
        .get("schema")
        .is_some_and(serde_json::Value::is_string)
        && value
            .get("properties")
            .is_some_and(serde_json::Value::is_object);
    if is_ftm {
        Ok(Format::FtmJson)
    } else {
        Err(
            "the first JSON object has no \"schema\" and \"properties\"; \
             FollowTheMoney entities have both"
                .into(),
        )
    }
}

fn detect_text(head: &str, file: &InputFile) -> Result<Format, String> {
    if !head.contains('\n') && file.bytes.len() > HEAD_BYTES {
        return Err(format!(
            "its first line is longer than {HEAD_BYTES} bytes; no list format has lines that long"
        ));
    }
    let mut lines = head.lines().map(|l| l.trim_end_matches('\r'));
    let first = lines.next().unwrap_or_default();
    let lower = first.to_ascii_lowercase();

    if lower.starts_with("last updated") {
        let header = lines.next().unwrap_or_default();
        if header.contains("Group ID") || header.contains("Group Type") {
            return Ok(Format::UkOfsiCsv);
        }
        return Err(
            "it starts with a \"Last Updated\" line but the next line is not \
                    the UK OFSI header (no \"Group ID\" column)"
                .into(),
        );
    }
    if lower.contains("source,entity_number,type,programs,name") {
        return Ok(Format::UsCsl);
    }
    if first.contains('\t') && lower.contains("name") && lower.contains("effective_date") {
        return Ok(Format::BisDpl);
    }
    if lower.starts_with("id,kind,name") {
        return Ok(Format::WatchlistCsv);
    }
    // Only the watch list layout allows comment lines before its header.
    if first.starts_with('#') && super::watchlist::sniff(file) {
        return Ok(Format::WatchlistCsv);
    }
    detect_ofac_csv(first, file)
}

/// OFAC's legacy CSV has no header: every row starts with the entry
/// number, and the main file has 12 columns.
fn detect_ofac_csv(first: &str, file: &InputFile) -> Result<Format, String> {
    let fields = ofac_csv::split_record(first).fields;
    let numbered = fields
        .first()
        .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    let companion = match fields.len() {
        _ if !numbered => None,
        ofac_csv::MAIN_COLUMNS => return Ok(Format::OfacCsv),
        ofac_csv::ALT_COLUMNS => Some("alt.csv (aliases)"),
        ofac_csv::ADD_COLUMNS => Some("add.csv (addresses)"),
        ofac_csv::COMMENTS_COLUMNS => Some("sdn_comments.csv (remarks)"),
        _ => None,
    };
    match companion {
        Some(kind) => Err(format!(
            "it looks like the OFAC companion file {kind}; load sdn.csv or cons_prim.csv \
             (or the folder holding the set) instead of {}",
            file.logical_name()
        )),
        None => Err(format!(
            "its first line matches no known list layout: {:?}",
            first.chars().take(80).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_bytes(name: &str, bytes: &[u8]) -> Result<Format, ListError> {
        detect(&InputFile::from_bytes(name, bytes.to_vec()))
    }

    #[test]
    fn watchlist_with_leading_comments_is_detected() {
        let bytes = b"# Internal blocked customers\n# one row per party\nid,kind,name\nC-1,person,Jane Roe\n";
        assert_eq!(
            detect_bytes("blocked.csv", bytes).expect("detected"),
            Format::WatchlistCsv
        );
        let other = b"# a comment\nfoo,bar\n1,2\n";
        assert!(detect_bytes("other.csv", other).is_err());
    }

    #[test]
    fn each_format_from_a_small_sample() {
        let cases: [(&str, &[u8], Format); 10] = [
            (
                "sdn.csv",
                b"36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n",
                Format::OfacCsv,
            ),
            (
                "sdn_advanced.xml",
                b"<?xml version=\"1.0\"?>\n<Sanctions xmlns=\"https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML\"><DateOfIssue/>",
                Format::OfacAdvancedXml,
            ),
            (
                "un.xml",
                b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- UN -->\n<CONSOLIDATED_LIST dateGenerated=\"2026-02-27\">",
                Format::UnXml,
            ),
            (
                "ConList.csv",
                b"Last Updated,10/04/2025,,,\r\nName 6,Name 1,Name 2,Regime,Group Type,Group ID\r\n",
                Format::UkOfsiCsv,
            ),
            (
                "eu.xml",
                b"<?xml version=\"1.0\"?><export generationDate=\"2025-01-01\"><globalFileId>1</globalFileId><sanctionEntity>",
                Format::EuXml,
            ),
            (
                "csl.csv",
                b"_id,source,entity_number,type,programs,name,title\n",
                Format::UsCsl,
            ),
            (
                "dpl.txt",
                b"\"Name\"\t\"Street_Address\"\t\"City\"\t\"Effective_Date\"\n",
                Format::BisDpl,
            ),
            (
                "x.ftm.json",
                b"{\"id\":\"NK-1\",\"schema\":\"Person\",\"properties\":{\"name\":[\"A\"]}}\n",
                Format::FtmJson,
            ),
            (
                "mine.csv",
                b"id,kind,name,aliases\n1,person,John Smith,\n",
                Format::WatchlistCsv,
            ),
            (
                "cons_prim.csv",
                b"17014,\"X\",-0- ,\"UKRAINE-EO13662\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ",
                Format::OfacCsv,
            ),
        ];
        for (name, bytes, expected) in cases {
            let detected = detect_bytes(name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(detected, expected, "{name}");
        }
    }

    #[test]
    fn other_xml_is_unknown_and_named() {
        let error = detect_bytes("feed.xml", b"<rss version=\"2.0\"><channel/></rss>")
            .expect_err("not a list");
        assert!(matches!(error, ListError::UnknownFormat { .. }));
        let message = error.to_string();
        assert!(message.contains("feed.xml"), "{message}");
        assert!(message.contains("<rss>"), "{message}");
    }

    #[test]
    fn other_csv_is_unknown_and_named() {
        let error = detect_bytes("prices.csv", b"date,open,close\n2024-01-01,1,2\n")
            .expect_err("not a list");
        assert!(matches!(error, ListError::UnknownFormat { .. }));
        assert!(error.to_string().contains("prices.csv"), "{error}");
    }

    #[test]
    fn other_json_is_unknown() {
        let error = detect_bytes("x.json", b"{\"a\":1}\n").expect_err("not FtM");
        assert!(matches!(error, ListError::UnknownFormat { .. }));
    }

    #[test]
    fn ofac_companion_file_points_to_the_main_file() {
        let error = detect_bytes("alt.csv", b"36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n")
            .expect_err("companion alone");
        let message = error.to_string();
        assert!(message.contains("alt.csv"), "{message}");
        assert!(message.contains("sdn.csv"), "{message}");
    }

    #[test]
    fn overlong_first_line_is_unknown() {
        let line = format!("1,\"{}\"", "x".repeat(HEAD_BYTES));
        let error = detect_bytes("sdn.csv", line.as_bytes()).expect_err("overlong line");
        assert!(
            error.to_string().contains("first line is longer"),
            "{error}"
        );
    }

    #[test]
    fn binary_is_unknown() {
        let error =
            detect_bytes("blob.bin", &[0x89, b'P', b'N', b'G', 0, 1, 2]).expect_err("binary");
        assert!(matches!(error, ListError::UnknownFormat { .. }));
    }
}
