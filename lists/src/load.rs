//! The entry point for loading a list: pick the files, detect or take the
//! format, run its parser, and build the load report.

use std::path::{Path, PathBuf};

use crate::error::ListError;
use crate::formats;
use crate::report::{LoadCounts, LoadReport, LoadedList};
use crate::source::{digest_of, InputFile, LoadContext};

/// A published list format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// OFAC legacy CSV set: sdn.csv with alt.csv, add.csv and
    /// sdn_comments.csv beside it, or the cons_* set of the non-SDN list.
    OfacCsv,
    /// OFAC sdn_advanced.xml (and cons_advanced.xml).
    OfacAdvancedXml,
    /// UN Security Council consolidated list XML.
    UnXml,
    /// UK OFSI consolidated list CSV.
    UkOfsiCsv,
    /// EU financial sanctions consolidated list XML.
    EuXml,
    /// US Consolidated Screening List CSV.
    UsCsl,
    /// BIS Denied Persons List, tab-separated.
    BisDpl,
    /// OpenSanctions FollowTheMoney JSON lines.
    FtmJson,
    /// A user's own watch list in screener's documented CSV layout.
    WatchlistCsv,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::OfacCsv,
        Format::OfacAdvancedXml,
        Format::UnXml,
        Format::UkOfsiCsv,
        Format::EuXml,
        Format::UsCsl,
        Format::BisDpl,
        Format::FtmJson,
        Format::WatchlistCsv,
    ];

    /// The name used in config files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::OfacCsv => "ofac_csv",
            Format::OfacAdvancedXml => "ofac_advanced_xml",
            Format::UnXml => "un_xml",
            Format::UkOfsiCsv => "uk_ofsi_csv",
            Format::EuXml => "eu_xml",
            Format::UsCsl => "us_csl",
            Format::BisDpl => "bis_dpl",
            Format::FtmJson => "ftm_json",
            Format::WatchlistCsv => "watchlist_csv",
        }
    }

    /// Parses a format name as written in config files.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The list id used when the caller gives none.
    pub fn default_list_id(self) -> &'static str {
        match self {
            Format::OfacCsv | Format::OfacAdvancedXml => "ofac_sdn",
            Format::UnXml => "un_sc",
            Format::UkOfsiCsv => "uk_ofsi",
            Format::EuXml => "eu_fsf",
            Format::UsCsl => "us_csl",
            Format::BisDpl => "bis_dpl",
            Format::FtmJson => "opensanctions",
            Format::WatchlistCsv => "watchlist",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to load one list.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The format; detected from the content when `None`.
    pub format: Option<Format>,
    /// The list id given to every entity; the format's default when `None`.
    pub list_id: Option<String>,
}

/// Loads one list from a file, or from a folder holding an OFAC CSV set.
pub fn load(path: &Path, options: &LoadOptions) -> Result<LoadedList, ListError> {
    let first = InputFile::read(&primary_file(path)?)?;
    let format = match options.format {
        Some(format) => format,
        None => formats::detect(&first)?,
    };
    let mut files = vec![first];
    if format == Format::OfacCsv {
        files.extend(formats::ofac_csv::companion_files(&files[0])?);
    }
    let list_id = options
        .list_id
        .clone()
        .unwrap_or_else(|| formats::default_list_id(format, &files[0]));

    let mut context = LoadContext::default();
    let entities = formats::parse(format, &files, &list_id, &mut context)?;
    let report = LoadReport {
        list: list_id,
        format: format.as_str().to_string(),
        files: files.iter().map(|f| f.name.clone()).collect(),
        published: context.published,
        digest: digest_of(&files),
        counts: LoadCounts::of(&entities),
        warnings: context.warnings,
    };
    Ok(LoadedList { entities, report })
}

/// A folder stands for the OFAC CSV set inside it.
fn primary_file(path: &Path) -> Result<PathBuf, ListError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    formats::ofac_csv::main_file_in(path)
}
