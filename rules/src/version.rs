//! The version of a graph: a SHA-256 digest over the canonical content of
//! its files, so that comments, whitespace, key order and the order of the
//! files do not change it, but any change to a value does.

use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};

use crate::source::SourceFile;

/// Characters of the digest shown as the version.
pub const VERSION_LEN: usize = 12;

/// Bumped when the canonical form changes, so old and new digests differ.
const CANONICAL_FORM: &str = "screener-rules canonical v1\n";

/// Computes the full hex digest, or `None` when a file is not valid TOML.
pub(crate) fn digest(sources: &[SourceFile]) -> Option<String> {
    let mut canonical = Vec::with_capacity(sources.len());
    for source in sources {
        let table = DeTable::parse(&source.text).ok()?;
        let mut text = String::new();
        write_table(table.get_ref(), &mut text);
        canonical.push(text);
    }
    canonical.sort();
    let mut hasher = Sha256::new();
    hasher.update(CANONICAL_FORM);
    for text in &canonical {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    Some(hex::encode(hasher.finalize()))
}

/// Writes a table as JSON with keys sorted.
fn write_table(table: &DeTable<'_>, out: &mut String) {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by(|a, b| a.0.get_ref().cmp(b.0.get_ref()));
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key.get_ref(), out);
        out.push(':');
        write_value(value.get_ref(), out);
    }
    out.push('}');
}

fn write_value(value: &DeValue<'_>, out: &mut String) {
    match value {
        DeValue::String(s) => write_string(s, out),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => out.push_str(&n.to_string()),
            Err(_) => write_string(i.as_str(), out),
        },
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(n) => out.push_str(&format!("{n:?}")),
            Err(_) => write_string(f.as_str(), out),
        },
        DeValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        DeValue::Datetime(d) => write_string(&d.to_string(), out),
        DeValue::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item.get_ref(), out);
            }
            out.push(']');
        }
        DeValue::Table(table) => write_table(table, out),
    }
}

fn write_string(s: &str, out: &mut String) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(files: &[&str]) -> String {
        let sources: Vec<SourceFile> = files
            .iter()
            .enumerate()
            .map(|(i, text)| SourceFile::new(format!("f{i}.toml"), *text))
            .collect();
        digest(&sources).expect("valid TOML")
    }

    #[test]
    fn digest_ignores_layout_comments_and_file_order() {
        let a = digest_of(&["a = 1\nb = 'x'\n", "[t]\nc = 2.5\n"]);
        let b = digest_of(&["# comment\n[t]\nc    = 2.5\n", "b = \"x\"\na = 1"]);
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn digest_changes_with_any_value() {
        let base = digest_of(&["a = 1\nb = 'x'\n"]);
        assert_ne!(base, digest_of(&["a = 2\nb = 'x'\n"]));
        assert_ne!(base, digest_of(&["a = 1\nb = 'y'\n"]));
        assert_ne!(base, digest_of(&["a = 1\nb = 'x'\nc = true\n"]));
        // The same keys split differently across files are another graph.
        assert_ne!(
            digest_of(&["a = 1\nb = 2\n"]),
            digest_of(&["a = 1\n", "b = 2\n"])
        );
    }
}
