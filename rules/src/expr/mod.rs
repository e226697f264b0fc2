//! The predicate language: a lexer, a parser to [`Expr`], and a printer
//! (`Display` on [`Expr`]) whose output parses back to the same tree.
//!
//! ```text
//! amount >= 10000 and country(creditor) in high_risk
//! sanctions(any) >= 0.9 or missing(amount)
//! debtor_count_1h > 10 * debtor_count_30d / 720
//! ```

pub mod ast;
mod lexer;
mod parser;

pub use ast::{BinaryOp, Expr, ExprKind, Name, SetRef, UnaryOp};
pub use parser::{parse, MAX_DEPTH, MAX_TOKENS};

/// A predicate that does not parse, with the place it stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseError {
    /// 1-based column in characters.
    pub column: usize,
    /// Byte offset of the same place, for locating it in a file.
    pub offset: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(text: &str, offset: usize, message: String) -> Self {
        let offset = offset.min(text.len());
        let column = text.get(..offset).map_or(offset, |s| s.chars().count()) + 1;
        ParseError {
            column,
            offset,
            message,
        }
    }
}

#[cfg(test)]
mod tests;
