//! The report a load returns to its caller: counts, publication date,
//! digest and every row or element that could not be used.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::model::{Entity, EntityKind};

/// A row or element that a loader skipped or only partly used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadWarning {
    /// The file name as given to the loader.
    pub file: String,
    /// "line 12" for text formats, an element path such as
    /// "`/INDIVIDUALS/INDIVIDUAL[34]`" for XML.
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.location, self.message)
    }
}

/// Counts over a set of entities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadCounts {
    pub entities: usize,
    pub by_kind: BTreeMap<String, usize>,
    /// All names, primary and alias.
    pub names: usize,
    /// Names other than the primary one.
    pub aliases: usize,
    pub addresses: usize,
    pub identifiers: usize,
    pub wallets: usize,
}

impl LoadCounts {
    /// Counts the given entities.
    pub fn of(entities: &[Entity]) -> LoadCounts {
        let mut counts = LoadCounts::default();
        for kind in EntityKind::ALL {
            counts.by_kind.insert(kind.as_str().to_string(), 0);
        }
        for entity in entities {
            counts.entities += 1;
            *counts
                .by_kind
                .entry(entity.kind.as_str().to_string())
                .or_default() += 1;
            counts.names += entity.names.len();
            counts.aliases += entity.names.len().saturating_sub(1);
            counts.addresses += entity.addresses.len();
            counts.identifiers += entity.identifiers.len();
            counts.wallets += entity.wallets.len();
        }
        counts
    }
}

/// How many warnings a printed report lists before it only counts the rest.
const WARNINGS_SHOWN: usize = 20;

impl std::fmt::Display for LoadReport {
    /// Prints the report for a person to read, as `screener lists inspect`
    /// shows it: counts, publication date, digest and the first warnings.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "list:        {} ({})", self.list, self.format)?;
        writeln!(f, "files:       {}", self.files.join(", "))?;
        let published = self.published.as_deref().unwrap_or("not stated");
        writeln!(f, "published:   {published}")?;
        writeln!(f, "digest:      {}", self.digest)?;

        let counts = &self.counts;
        let kinds: Vec<String> = counts
            .by_kind
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        writeln!(f, "entities:    {} ({})", counts.entities, kinds.join(", "))?;
        writeln!(
            f,
            "names:       {} ({} aliases)",
            counts.names, counts.aliases
        )?;
        writeln!(f, "addresses:   {}", counts.addresses)?;
        writeln!(f, "identifiers: {}", counts.identifiers)?;
        writeln!(f, "wallets:     {}", counts.wallets)?;

        write!(f, "warnings:    {}", self.warnings.len())?;
        for warning in self.warnings.iter().take(WARNINGS_SHOWN) {
            write!(f, "\n  {warning}")?;
        }
        if self.warnings.len() > WARNINGS_SHOWN {
            write!(
                f,
                "\n  ... and {} more",
                self.warnings.len() - WARNINGS_SHOWN
            )?;
        }
        Ok(())
    }
}

/// The result of loading one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The list id given to every entity, such as "ofac_sdn".
    pub list: String,
    /// The format name, such as "ofac_advanced_xml".
    pub format: String,
    /// The files read, in the order read.
    pub files: Vec<String>,
    /// Publication date as the file states it, "YYYY-MM-DD".
    pub published: Option<String>,
    /// Lower-case hex SHA-256 over the raw bytes of every input file, in
    /// the order read.
    pub digest: String,
    pub counts: LoadCounts,
    pub warnings: Vec<LoadWarning>,
}

/// A loaded list: its entities and the report of the load.
#[derive(Debug, Clone)]
pub struct LoadedList {
    pub entities: Vec<Entity>,
    pub report: LoadReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(warnings: usize) -> LoadReport {
        let mut entity = Entity::new("un_sc", "QDi.1", EntityKind::Person);
        entity.names.push(crate::model::Name::new(
            "A B",
            crate::model::NameType::Primary,
        ));
        entity.names.push(crate::model::Name::new(
            "C D",
            crate::model::NameType::Alias,
        ));
        LoadReport {
            list: "un_sc".into(),
            format: "un_xml".into(),
            files: vec!["un.xml".into()],
            published: Some("2026-02-27".into()),
            digest: "abc".into(),
            counts: LoadCounts::of(&[entity]),
            warnings: (0..warnings)
                .map(|i| LoadWarning {
                    file: "un.xml".into(),
                    location: format!("line {i}"),
                    message: "bad".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn report_prints_counts_and_dates() {
        let text = report(0).to_string();
        assert!(text.contains("un_sc (un_xml)"), "{text}");
        assert!(text.contains("published:   2026-02-27"), "{text}");
        assert!(text.contains("entities:    1 (person 1)"), "{text}");
        assert!(text.contains("names:       2 (1 aliases)"), "{text}");
        assert!(text.contains("warnings:    0"), "{text}");
    }

    #[test]
    fn report_lists_twenty_warnings_then_counts() {
        let text = report(25).to_string();
        assert!(text.contains("un.xml: line 19: bad"), "{text}");
        assert!(!text.contains("line 20:"), "{text}");
        assert!(text.contains("... and 5 more"), "{text}");
    }
}
