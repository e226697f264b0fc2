//! One module per published list format. Each exposes
//! `parse(files, list_id, context) -> Result<Vec<Entity>, ListError>`:
//! whole-file problems are errors, row problems are warnings in `context`.

use crate::error::ListError;
use crate::load::Format;
use crate::model::Entity;
use crate::source::{InputFile, LoadContext};

pub(crate) mod common;
mod detect;
pub mod ofac_advanced;
pub mod ofac_csv;
mod ofac_record;
mod ofac_remarks;
pub mod un_xml;
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
        Format::UnXml | Format::OfacAdvancedXml | Format::OfacCsv
    )
}

/// Runs the parser of `format` over the files.
pub fn parse(
    format: Format,
    files: &[InputFile],
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    match format {
        Format::UnXml => un_xml::parse(files, list_id, context),
        Format::OfacAdvancedXml => ofac_advanced::parse(files, list_id, context),
        Format::OfacCsv => ofac_csv::parse(files, list_id, context),
        _ => Err(ListError::UnknownFormat {
            path: files.first().map(|f| f.path.clone()).unwrap_or_default(),
            reason: format!("the {format} parser is not built yet"),
        }),
    }
}
