//! What a load tells its caller: counts, publication date, digest and
//! every row or element that could not be used.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::model::{Entity, EntityKind};

/// A row or element that a loader skipped or only partly used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadWarning {
    /// The file name as given to the loader.
    pub file: String,
    /// "line 12" for text formats, an element path such as
    /// "/INDIVIDUALS/INDIVIDUAL[34]" for XML.
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
