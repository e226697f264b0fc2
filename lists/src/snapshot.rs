//! The snapshot: one immutable set of loaded lists with every index built
//! over it, serving name, wallet, identifier and free-text screening.
//!
//! A snapshot never changes after [`Snapshot::build`]; the engine keeps the
//! current one in an `ArcSwap` and builds a new one beside it on reload. It
//! is `Send + Sync`: queries borrow it immutably and keep their scratch
//! buffers per thread.

use rustc_hash::FxHashMap;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Instant;

use crate::identifier::{self, IdentifierHit, IdentifierIndex};
use crate::index::NameIndex;
use crate::model::{Entity, IdentifierKind};
use crate::report::{LoadCounts, LoadedList};
use crate::text_scan::{self, TextHit, TextScanner};
use crate::wallet::{self, WalletIndex, WalletResult};

/// One list inside a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListInfo {
    pub id: String,
    pub format: String,
    /// Publication date as the list states it, "YYYY-MM-DD".
    pub published: Option<String>,
    /// SHA-256 of the list's input files, from its load report.
    pub digest: String,
    pub counts: LoadCounts,
}

/// Sizes of the indexes, for reports and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    pub entities: usize,
    /// Indexed name forms: each name's Latin form plus its
    /// original-script form where it has one.
    pub name_forms: usize,
    pub vocabulary: usize,
    /// Heap bytes of the name index (an estimate from capacities).
    pub name_index_bytes: usize,
    pub wallets: usize,
    pub identifiers: usize,
    pub text_name_patterns: usize,
    pub build_millis: u64,
}

/// An immutable, fully indexed set of lists.
#[derive(Debug)]
pub struct Snapshot {
    version: String,
    digest: String,
    lists: Vec<ListInfo>,
    entities: Vec<Entity>,
    /// Index into `lists` of each entity's list.
    entity_list: Vec<u16>,
    /// Entity index by list id, then entity id.
    by_key: FxHashMap<String, FxHashMap<String, u32>>,
    pub(crate) names: NameIndex,
    wallets: WalletIndex,
    identifiers: IdentifierIndex,
    text: TextScanner,
    stats: IndexStats,
}

impl Snapshot {
    /// Builds every index over the lists. Lists with the same id are
    /// merged under that id; an entity id that repeats within a list keeps
    /// its first entry for lookups by id, and all entries for screening.
    pub fn build(lists: Vec<LoadedList>) -> Snapshot {
        let started = Instant::now();
        let mut infos: Vec<ListInfo> = Vec::new();
        let mut entities = Vec::new();
        let mut entity_list = Vec::new();
        for loaded in lists {
            let position = infos
                .iter()
                .position(|l| l.id == loaded.report.list)
                .unwrap_or_else(|| {
                    infos.push(ListInfo {
                        id: loaded.report.list.clone(),
                        format: loaded.report.format.clone(),
                        published: loaded.report.published.clone(),
                        digest: loaded.report.digest.clone(),
                        counts: LoadCounts::default(),
                    });
                    infos.len() - 1
                });
            let info = &mut infos[position];
            if info.digest != loaded.report.digest {
                info.digest =
                    combined_digest([info.digest.as_str(), loaded.report.digest.as_str()]);
            }
            add_counts(&mut info.counts, &LoadCounts::of(&loaded.entities));
            entity_list.extend(std::iter::repeat_n(position as u16, loaded.entities.len()));
            entities.extend(loaded.entities);
        }
        Snapshot::assemble(infos, entities, entity_list, started)
    }

    /// Builds a snapshot from entities alone, one list per distinct
    /// `Entity::list`, each with a digest of its entities' JSON form. For
    /// tests and for callers that make entities without a load report.
    pub fn from_entities(entities: Vec<Entity>) -> Snapshot {
        let mut by_list: Vec<(String, Vec<Entity>)> = Vec::new();
        for entity in entities {
            match by_list.iter_mut().find(|(id, _)| *id == entity.list) {
                Some((_, list)) => list.push(entity),
                None => by_list.push((entity.list.clone(), vec![entity])),
            }
        }
        let lists = by_list
            .into_iter()
            .map(|(id, entities)| {
                let json = serde_json::to_vec(&entities).unwrap_or_default();
                let report = crate::report::LoadReport {
                    list: id,
                    format: "entities".into(),
                    files: Vec::new(),
                    published: None,
                    digest: hex::encode(Sha256::digest(&json)),
                    counts: LoadCounts::of(&entities),
                    warnings: Vec::new(),
                };
                LoadedList { entities, report }
            })
            .collect();
        Snapshot::build(lists)
    }

    fn assemble(
        lists: Vec<ListInfo>,
        entities: Vec<Entity>,
        entity_list: Vec<u16>,
        started: Instant,
    ) -> Snapshot {
        let mut by_key: FxHashMap<String, FxHashMap<String, u32>> = FxHashMap::default();
        for (i, entity) in entities.iter().enumerate() {
            by_key
                .entry(entity.list.clone())
                .or_default()
                .entry(entity.id.clone())
                .or_insert(i as u32);
        }
        let names = NameIndex::build(&entities);
        let wallets = WalletIndex::build(&entities);
        let identifiers = IdentifierIndex::build(&entities);
        let text = TextScanner::build(&names, &wallets);
        let digest = combined_digest(lists.iter().map(|l| l.digest.as_str()));
        let stats = IndexStats {
            entities: entities.len(),
            name_forms: names.record_count(),
            vocabulary: names.vocabulary_len(),
            name_index_bytes: names.heap_bytes(),
            wallets: wallets.len(),
            identifiers: identifiers.len(),
            text_name_patterns: text.name_patterns(),
            build_millis: started.elapsed().as_millis() as u64,
        };
        tracing::info!(
            lists = lists.len(),
            entities = stats.entities,
            name_forms = stats.name_forms,
            build_ms = stats.build_millis,
            "list snapshot built"
        );
        Snapshot {
            version: format!("{}-{}", lists.len(), &digest[..16]),
            digest,
            lists,
            entities,
            entity_list,
            by_key,
            names,
            wallets,
            identifiers,
            text,
            stats,
        }
    }

    /// A short version string: the number of lists and the start of the
    /// digest. Equal inputs give equal versions.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Lower-case hex SHA-256 over the digests of the lists, in order.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// Looks up an entity by list id and entity id.
    pub fn entity(&self, list: &str, id: &str) -> Option<&Entity> {
        let i = self.by_key.get(list)?.get(id)?;
        self.entities.get(*i as usize)
    }

    pub fn stats(&self) -> IndexStats {
        self.stats
    }

    pub(crate) fn entity_list_index(&self, entity: u32) -> usize {
        self.entity_list[entity as usize] as usize
    }

    /// Screens a wallet address; `asset` is the ticker the caller has for
    /// it, if any.
    pub fn screen_wallet(&self, address: &str, asset: Option<&str>) -> WalletResult {
        wallet::screen(&self.wallets, &self.entities, address, asset)
    }

    /// Screens an identity document or registry number; with `kind`, only
    /// listed identifiers of that kind match.
    pub fn screen_identifier(
        &self,
        kind: Option<&IdentifierKind>,
        value: &str,
    ) -> Vec<IdentifierHit> {
        identifier::screen(&self.identifiers, &self.entities, kind, value)
    }

    /// Scans free text for listed addresses and distinctive listed names.
    pub fn scan_text(&self, text: &str) -> Vec<TextHit> {
        text_scan::scan(&self.text, &self.entities, text)
    }
}

fn add_counts(total: &mut LoadCounts, more: &LoadCounts) {
    total.entities += more.entities;
    total.names += more.names;
    total.aliases += more.aliases;
    total.addresses += more.addresses;
    total.identifiers += more.identifiers;
    total.wallets += more.wallets;
    for (kind, count) in &more.by_kind {
        *total.by_kind.entry(kind.clone()).or_default() += count;
    }
}

fn combined_digest<'a>(digests: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for digest in digests {
        hasher.update(digest.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}
