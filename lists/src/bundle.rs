//! The default bundle: published lists shipped with screener, described by
//! a manifest (`bundle/bundle.toml`) that names each list's id, format,
//! files, publication date and source.
//!
//! ```toml
//! [[list]]
//! id = "un_sc"
//! format = "un_xml"
//! paths = ["un/un_consolidated_2026-02-27.xml.gz"]
//! published = "2026-02-27"
//! source = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Deserialize;

use crate::error::ListError;
use crate::formats;
use crate::load::{load, Format, LoadOptions};
use crate::report::{LoadWarning, LoadedList};

/// How many lists load at once.
const LOAD_THREADS: usize = 2;

/// A bundle manifest: the lists it ships.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifest {
    #[serde(rename = "list")]
    pub lists: Vec<BundleList>,
}

/// One list of a bundle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleList {
    /// The list id given to its entities, such as "ofac_sdn".
    pub id: String,
    /// The format name, as [`Format::as_str`] writes it.
    pub format: String,
    /// The list's files, relative to the manifest's folder. The first is
    /// the one loaded; an OFAC CSV set lists its companion files after it.
    pub paths: Vec<PathBuf>,
    /// The publication date, "YYYY-MM-DD". A file that states its own
    /// date must state this one; for a file that states none (OFAC's CSV)
    /// the load report takes this date.
    pub published: Option<String>,
    /// The publisher's URL for the list.
    pub source: String,
}

impl BundleManifest {
    /// Reads and checks a manifest file.
    pub fn read(path: &Path) -> Result<BundleManifest, ListError> {
        let text = std::fs::read_to_string(path).map_err(|source| ListError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let manifest: BundleManifest = toml::from_str(&text).map_err(|e| invalid(path, e))?;
        for list in &manifest.lists {
            if Format::parse(&list.format).is_none() {
                return Err(invalid(
                    path,
                    format!(
                        "list {:?} names the unknown format {:?}",
                        list.id, list.format
                    ),
                ));
            }
            if list.paths.is_empty() {
                return Err(invalid(path, format!("list {:?} names no file", list.id)));
            }
        }
        Ok(manifest)
    }
}

fn invalid(path: &Path, reason: impl std::fmt::Display) -> ListError {
    ListError::Invalid {
        path: path.to_path_buf(),
        format: "bundle manifest",
        reason: reason.to_string(),
    }
}

/// Loads every list of a bundle manifest, two at a time, in manifest
/// order. A list whose format has no parser in this build is skipped with
/// a logged warning; any other failure stops the load with its error.
pub fn load_bundle(manifest_path: &Path) -> Result<Vec<LoadedList>, ListError> {
    let manifest = BundleManifest::read(manifest_path)?;
    let base = manifest_path.parent().unwrap_or(Path::new("."));
    let lists: Vec<&BundleList> = manifest
        .lists
        .iter()
        .filter(|list| {
            let available = Format::parse(&list.format).is_some_and(formats::parser_available);
            if !available {
                tracing::warn!(list = %list.id, format = %list.format, "no parser for this format in this build; list skipped");
            }
            available
        })
        .collect();

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<LoadedList, ListError>>>> =
        Mutex::new((0..lists.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..LOAD_THREADS.min(lists.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(list) = lists.get(index) else {
                    break;
                };
                let result = load_list(base, list);
                if let Ok(mut results) = results.lock() {
                    results[index] = Some(result);
                }
            });
        }
    });

    let results = results.into_inner().unwrap_or_default();
    results
        .into_iter()
        .zip(&lists)
        .map(|(result, list)| {
            result.unwrap_or_else(|| {
                Err(invalid(
                    manifest_path,
                    format!("list {:?} was not loaded", list.id),
                ))
            })
        })
        .collect()
}

/// Loads one list and checks it against its manifest entry.
fn load_list(base: &Path, list: &BundleList) -> Result<LoadedList, ListError> {
    let paths: Vec<PathBuf> = list.paths.iter().map(|p| base.join(p)).collect();
    for path in &paths {
        if !path.is_file() {
            return Err(ListError::Io {
                path: path.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "bundle list {:?} names this file but it is missing",
                        list.id
                    ),
                ),
            });
        }
    }
    let options = LoadOptions {
        format: Format::parse(&list.format),
        list_id: Some(list.id.clone()),
    };
    let mut loaded = load(&paths[0], &options)?;
    let report = &mut loaded.report;
    if report.files.len() != paths.len() {
        return Err(invalid(
            &paths[0],
            format!(
                "bundle list {:?} names {} files but {} were read: {}",
                list.id,
                paths.len(),
                report.files.len(),
                report.files.join(", ")
            ),
        ));
    }
    match (&report.published, &list.published) {
        (None, manifest) => report.published = manifest.clone(),
        (Some(stated), Some(manifest)) if stated != manifest => {
            report.warnings.push(LoadWarning {
                file: report.files[0].clone(),
                location: "bundle manifest".into(),
                message: format!(
                    "the manifest gives publication date {manifest} but the file states {stated}"
                ),
            });
        }
        _ => {}
    }
    tracing::info!(
        list = %list.id,
        entities = report.counts.entities,
        published = report.published.as_deref().unwrap_or("unknown"),
        "bundle list loaded"
    );
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_in(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("bundle.toml");
        std::fs::write(&path, text).expect("write manifest");
        path
    }

    const UN_SAMPLE: &str =
        "<CONSOLIDATED_LIST dateGenerated=\"2026-02-27T00:00:00Z\"><INDIVIDUALS><INDIVIDUAL>\
        <FIRST_NAME>A</FIRST_NAME><REFERENCE_NUMBER>X.1</REFERENCE_NUMBER></INDIVIDUAL>\
        </INDIVIDUALS></CONSOLIDATED_LIST>";

    #[test]
    fn manifest_loads_listed_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("un.xml"), UN_SAMPLE).expect("write list");
        let manifest = manifest_in(
            dir.path(),
            "[[list]]\nid = \"un\"\nformat = \"un_xml\"\npaths = [\"un.xml\"]\n\
             published = \"2026-02-27\"\nsource = \"https://example.org\"\n",
        );
        let lists = load_bundle(&manifest).expect("bundle loads");
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].report.list, "un");
        assert_eq!(lists[0].entities.len(), 1);
        assert!(lists[0].report.warnings.is_empty());
    }

    #[test]
    fn date_mismatch_is_a_warning() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("un.xml"), UN_SAMPLE).expect("write list");
        let manifest = manifest_in(
            dir.path(),
            "[[list]]\nid = \"un\"\nformat = \"un_xml\"\npaths = [\"un.xml\"]\n\
             published = \"2025-01-01\"\nsource = \"https://example.org\"\n",
        );
        let lists = load_bundle(&manifest).expect("bundle loads");
        let warnings = &lists[0].report.warnings;
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("2025-01-01"), "{warnings:?}");
    }

    #[test]
    fn missing_file_names_the_list() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = manifest_in(
            dir.path(),
            "[[list]]\nid = \"un\"\nformat = \"un_xml\"\npaths = [\"gone.xml\"]\n\
             source = \"https://example.org\"\n",
        );
        let error = load_bundle(&manifest).expect_err("file missing");
        assert!(error.to_string().contains("gone.xml"), "{error}");
        assert!(error.to_string().contains("\"un\""), "{error}");
    }

    #[test]
    fn unknown_format_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = manifest_in(
            dir.path(),
            "[[list]]\nid = \"x\"\nformat = \"pdf\"\npaths = [\"x.pdf\"]\nsource = \"s\"\n",
        );
        let error = load_bundle(&manifest).expect_err("unknown format");
        assert!(error.to_string().contains("\"pdf\""), "{error}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = manifest_in(
            dir.path(),
            "[[list]]\nid = \"x\"\nformat = \"un_xml\"\npaths = [\"x\"]\nsource = \"s\"\nurl = \"u\"\n",
        );
        let error = load_bundle(&manifest).expect_err("unknown key");
        assert!(error.to_string().contains("url"), "{error}");
        assert!(error.to_string().contains("bundle.toml"), "{error}");
    }
}
