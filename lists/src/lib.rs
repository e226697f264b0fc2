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
//!
//! This crate knows nothing of tokio, gRPC or RocksDB; the engine wraps it.

pub mod bundle;
pub mod countries;
pub mod error;
pub mod formats;
pub mod load;
pub mod model;
pub mod report;
pub mod script;
pub mod source;

pub use bundle::{load_bundle, BundleList, BundleManifest};
pub use error::ListError;
pub use load::{load, Format, LoadOptions};
pub use model::{
    Address, BirthDate, Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameParts,
    NameType, PartialDate, WalletAddress,
};
pub use report::{LoadCounts, LoadReport, LoadWarning, LoadedList};
