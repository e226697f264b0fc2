//! Not built yet.

use crate::error::ListError;
use crate::model::Entity;
use crate::source::{InputFile, LoadContext};

/// Not built yet.
pub fn parse(
    file: &InputFile,
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let _ = (list_id, context);
    Err(ListError::UnknownFormat {
        path: file.path.clone(),
        reason: "not built yet".into(),
    })
}
