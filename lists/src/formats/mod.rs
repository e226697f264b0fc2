//! One module per published list format. Each exposes
//! `parse(files, list_id, context) -> Result<Vec<Entity>, ListError>`:
//! whole-file problems are errors, row problems are warnings in `context`.
//! The single-file formats (uk_ofsi, eu_xml, us_csl, bis_dpl, ftm,
//! watchlist) take one `&InputFile` and also expose `sniff(file) -> bool`,
//! which checks whether the content looks like that format.
//!
//! Shared helpers: `csv_table` (CSV columns by header name), `dates`,
//! `text`, `registry_numbers` (registry and tax numbers in free text) and
//! `country_shim` (country names to ISO codes).

use crate::error::ListError;
use crate::load::Format;
use crate::model::Entity;
use crate::source::{InputFile, LoadContext};

pub mod bis_dpl;
pub mod eu_xml;
pub mod ftm;
pub mod ofac_advanced;
pub mod ofac_csv;
pub mod uk_ofsi;
pub mod un_xml;
pub mod us_csl;
pub mod watchlist;

pub(crate) mod common;
mod country_shim;
mod csv_table;
mod dates;
mod detect;
mod ofac_record;
mod ofac_remarks;
mod registry_numbers;
mod text;
pub(crate) mod xml;

pub use detect::detect;

/// The list id for a format when the config names none; the OFAC CSV set
/// of the non-SDN list (cons_prim.csv) gets its own id.
pub fn default_list_id(format: Format, first: &InputFile) -> String {
    if format == Format::OfacCsv && first.logical_name().starts_with("cons_") {
        return "ofac_cons".to_string();
    }
    format.default_list_id().to_string()
}

/// True when this build has a parser for `format`.
pub fn parser_available(format: Format) -> bool {
    matches!(
        format,
        Format::UnXml
            | Format::OfacAdvancedXml
            | Format::OfacCsv
            | Format::UkOfsiCsv
            | Format::EuXml
            | Format::UsCsl
            | Format::BisDpl
            | Format::FtmJson
            | Format::WatchlistCsv
    )
}

/// Runs the parser of `format` over the files.
pub fn parse(
    format: Format,
    files: &[InputFile],
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let Some(first) = files.first() else {
        return Err(ListError::Invalid {
            path: Default::default(),
            format: "list",
            reason: "no input file was given".into(),
        });
    };
    match format {
        Format::UkOfsiCsv => uk_ofsi::parse(first, list_id, context),
        Format::EuXml => eu_xml::parse(first, list_id, context),
        Format::UsCsl => us_csl::parse(first, list_id, context),
        Format::BisDpl => bis_dpl::parse(first, list_id, context),
        Format::FtmJson => ftm::parse(first, list_id, context),
        Format::WatchlistCsv => watchlist::parse(first, list_id, context),
        Format::UnXml => un_xml::parse(files, list_id, context),
        Format::OfacAdvancedXml => ofac_advanced::parse(files, list_id, context),
        Format::OfacCsv => ofac_csv::parse(files, list_id, context),
    }
}
