//! Sanctions and watch lists: loading every published format into one
//! [`Entity`] model, and matching names, wallets and identifiers against
//! them.
//!
//! Loading: [`load()`] reads one list (files from [`source`], format from
//! [`formats::detect`] or the caller, parser from [`formats`]) and returns
//! its entities with a [`LoadReport`]. [`load_bundle`] loads every list of
//! a bundle manifest such as the default `bundle/bundle.toml`. [`countries`]
//! maps the country names lists write to ISO codes, and [`script`] names
//! the writing system of a name.
//! Matching: [`Snapshot::build`] indexes a set of loaded lists once;
//! [`normalize`] folds names into tokens, [`index`] holds the name index,
//! [`score`] and [`qualify`] score a listed name against a query,
//! [`matcher`] screens names ([`Snapshot::screen_name`]), [`wallet`] and
//! [`identifier`] match addresses and document numbers exactly after
//! canonicalization, and [`text_scan`] finds listed names and addresses in
//! free text. [`accuracy`] measures name screening on the evaluation set.
//!
//! This crate knows nothing of tokio, gRPC or RocksDB; the engine wraps it.

pub mod accuracy;
pub mod bundle;
pub mod countries;
pub mod error;
pub mod formats;
pub mod identifier;
pub mod index;
pub mod load;
pub mod matcher;
pub mod model;
pub mod normalize;
pub mod phonetic;
pub mod qualify;
pub mod report;
pub mod score;
pub mod script;
pub mod snapshot;
pub mod source;
pub mod text_scan;
pub mod wallet;

/// Returns the root of the source tree: the parent of the running crate's
/// directory as Cargo sets it at run time (`cargo run`, `cargo test`,
/// `cargo bench`), else the checkout the build came from. Every crate of the
/// workspace is one level below the root.
///
/// Outside Cargo the build-time value decides. Cargo shares one build of
/// this crate between checkouts that use the same target folder and
/// judges it fresh by file times, so its `CARGO_MANIFEST_DIR` can name
/// another checkout. The project's scripts therefore also set
/// `SCREENER_SOURCE_ROOT`, and Cargo rebuilds this crate whenever that
/// value changes.
pub fn source_root() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        return std::path::PathBuf::from(dir).join("..");
    }
    match option_env!("SCREENER_SOURCE_ROOT") {
        Some(root) if !root.is_empty() => std::path::PathBuf::from(root),
        _ => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."),
    }
}

pub use bundle::{load_bundle, BundleList, BundleManifest};
pub use error::ListError;
pub use identifier::IdentifierHit;
pub use load::{load, Format, LoadOptions};
pub use matcher::{
    Explanation, Hit, NameQuery, NameResult, TokenMatch, DEFAULT_THRESHOLD, DEFAULT_TOP_K,
};
pub use model::{
    Address, BirthDate, Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameParts,
    NameType, PartialDate, WalletAddress,
};
pub use qualify::{Adjustment, Effect};
pub use report::{LoadCounts, LoadReport, LoadWarning, LoadedList};
pub use snapshot::{IndexStats, ListInfo, Snapshot};
pub use text_scan::{TextHit, TextHitKind};
pub use wallet::{ChainFamily, Validity, WalletHit, WalletResult};
