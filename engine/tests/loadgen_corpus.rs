//! The load generator's built-in corpora against the bundled lists: its
//! unlisted names must draw no hit, or "unlisted" traffic would raise real
//! alerts, and each of its listed names must be found.

use screener::loadgen::NameCorpus;
use screener_lists::matcher::{NameQuery, NameResult};
use screener_lists::snapshot::Snapshot;

fn bundle_snapshot() -> Snapshot {
    let bundle = screener_lists::source_root().join("bundle/bundle.toml");
    let lists = screener_lists::bundle::load_bundle(&bundle).expect("the bundle loads");
    Snapshot::build(lists)
}

fn hits(snapshot: &Snapshot, name: &str) -> Vec<String> {
    match snapshot.screen_name(&NameQuery::new(name)) {
        NameResult::Hits(hits) => hits
            .iter()
            .map(|hit| format!("{} ({})", hit.matched_name, hit.score))
            .collect(),
        NameResult::NormalizesToNothing => vec!["normalizes to nothing".to_string()],
    }
}

#[test]
fn unlisted_corpus_misses_bundle() {
    let snapshot = bundle_snapshot();
    let corpus = NameCorpus::builtin_unlisted();
    let flagged: Vec<_> = corpus
        .entries()
        .iter()
        .filter_map(|entry| {
            let found = hits(&snapshot, &entry.name);
            (!found.is_empty()).then(|| format!("{} -> {}", entry.name, found.join("; ")))
        })
        .collect();
    assert!(
        flagged.is_empty(),
        "{} built-in unlisted names hit the bundle:\n{}",
        flagged.len(),
        flagged.join("\n")
    );
}

#[test]
fn listed_corpus_hits_bundle() {
    let snapshot = bundle_snapshot();
    let corpus = NameCorpus::builtin_listed();
    let missed: Vec<_> = corpus
        .entries()
        .iter()
        .filter(|entry| hits(&snapshot, &entry.name).is_empty())
        .map(|entry| entry.name.clone())
        .collect();
    assert!(missed.is_empty(), "listed names not found: {missed:?}");
}
