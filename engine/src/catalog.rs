//! The set of lists now serving: one immutable, indexed snapshot of the
//! bundle and the configured sources, with what each load reported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use screener_lists::{LoadOptions, LoadReport, LoadedList, NameQuery, NameResult, Snapshot};
use screener_proto::v1::ListStatus;

use crate::config::ListsConfig;
use crate::metrics;
use crate::name_cache::NameCache;
use crate::policy::unix_ms_now;

/// Name query results cached by a list set built without a config.
pub const DEFAULT_NAME_CACHE_ENTRIES: usize = 100_000;

/// An immutable snapshot of every configured list.
pub struct ListSet {
    snapshot: Snapshot,
    names: NameCache,
    reports: Vec<LoadReport>,
    loaded_at_unix_ms: i64,
}

impl ListSet {
    /// Loads the bundle and every configured source and builds the indexes.
    /// A list that fails to load fails the whole set, so a reload never
    /// serves a partial set.
    pub fn load(config: &ListsConfig) -> anyhow::Result<ListSet> {
        let mut lists: Vec<LoadedList> = Vec::new();
        if !config.bundle.is_empty() {
            let manifest = resolve_bundle(&config.bundle)?;
            let bundle = screener_lists::bundle::load_bundle(&manifest)
                .map_err(|e| anyhow::anyhow!("bundle {}: {e}", manifest.display()))?;
            lists.extend(bundle);
        }
        for source in &config.sources {
            let format = match &source.format {
                Some(name) => Some(screener_lists::Format::parse(name).ok_or_else(|| {
                    anyhow::anyhow!("list {}: unknown format {name:?}", source.id)
                })?),
                None => None,
            };
            let options = LoadOptions {
                format,
                list_id: Some(source.id.clone()),
            };
            let loaded = screener_lists::load(&source.path, &options)
                .map_err(|e| anyhow::anyhow!("list {}: {e}", source.id))?;
            tracing::info!(
                list = %source.id,
                path = %source.path.display(),
                entities = loaded.report.counts.entities,
                published = loaded.report.published.as_deref().unwrap_or("unknown"),
                "configured list loaded"
            );
            lists.push(loaded);
        }
        Ok(ListSet::with_name_cache(lists, config.name_cache_entries))
    }

    /// Indexes already loaded lists.
    pub fn from_lists(lists: Vec<LoadedList>) -> ListSet {
        ListSet::with_name_cache(lists, DEFAULT_NAME_CACHE_ENTRIES)
    }

    /// Indexes already loaded lists, caching up to `name_cache_entries`
    /// name query results.
    pub fn with_name_cache(lists: Vec<LoadedList>, name_cache_entries: usize) -> ListSet {
        for list in &lists {
            if !list.report.warnings.is_empty() {
                tracing::warn!(
                    list = %list.report.list,
                    warnings = list.report.warnings.len(),
                    first = %list.report.warnings[0],
                    "list loaded with skipped rows; `screener lists inspect` prints them all"
                );
            }
        }
        let reports = lists.iter().map(|l| l.report.clone()).collect();
        ListSet {
            snapshot: Snapshot::build(lists),
            names: NameCache::new(name_cache_entries),
            reports,
            loaded_at_unix_ms: unix_ms_now(),
        }
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Screens a name. A query seen before gets its result from the name cache.
    pub fn screen_name(&self, query: &NameQuery) -> Arc<NameResult> {
        self.names
            .get_or_screen(query, |query| self.snapshot.screen_name(query))
    }

    pub fn version(&self) -> &str {
        self.snapshot.version()
    }

    pub fn entity_count(&self) -> usize {
        self.snapshot.entities().len()
    }

    pub fn loaded_at_unix_ms(&self) -> i64 {
        self.loaded_at_unix_ms
    }

    /// Entities per list id.
    pub fn counts(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for report in &self.reports {
            *counts.entry(report.list.as_str()).or_default() += report.counts.entities;
        }
        counts
    }

    /// Rejects a new set when a list that is serving now is missing from it
    /// or lost more than `max_shrink_share` of its entities.
    pub fn check_against(&self, current: &ListSet, max_shrink_share: f64) -> anyhow::Result<()> {
        let new_counts = self.counts();
        let mut problems = Vec::new();
        for (list, old) in current.counts() {
            let new = new_counts.get(list).copied().unwrap_or(0);
            if old == 0 || new >= old {
                continue;
            }
            let lost = (old - new) as f64 / old as f64;
            if lost > max_shrink_share {
                problems.push(format!(
                    "list {list} would shrink from {old} to {new} entities ({:.0}% lost, limit {:.0}%); \
                     check the source file, or raise lists.max_shrink_share if the delisting is real",
                    lost * 100.0,
                    max_shrink_share * 100.0
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!(problems.join("; "))
        }
    }

    /// The per-list status for the Admin/Status call.
    pub fn statuses(&self) -> Vec<ListStatus> {
        self.reports
            .iter()
            .map(|report| ListStatus {
                list: report.list.clone(),
                format: report.format.clone(),
                entities: report.counts.entities as u64,
                names: report.counts.names as u64,
                wallets: report.counts.wallets as u64,
                published: report.published.clone().unwrap_or_default(),
                digest: report.digest.clone(),
                loaded_at_unix_ms: self.loaded_at_unix_ms,
                warnings: report.warnings.len() as u64,
            })
            .collect()
    }

    /// Sets the list size and age gauges.
    pub fn publish_gauges(&self) {
        let now_ms = unix_ms_now();
        for (list, entities) in self.counts() {
            metrics::set_list_entities(list, entities);
        }
        for report in &self.reports {
            let published = report.published.as_deref().and_then(date_to_unix_ms);
            let published_ms = published.unwrap_or(self.loaded_at_unix_ms);
            metrics::set_list_age(
                &report.list,
                (now_ms - published_ms).max(0) as f64 / 1000.0,
                published.is_some(),
            );
        }
    }
}

/// Finds the bundle manifest: as configured, else relative to the source
/// tree this binary was built from.
fn resolve_bundle(configured: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(configured);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if path.is_relative() {
        let from_source = screener_lists::source_root().join(path);
        if from_source.is_file() {
            return Ok(from_source);
        }
    }
    anyhow::bail!(
        "bundle manifest {configured} not found; run from the repository root, set lists.bundle to its path, \
         or set lists.bundle = \"\" and name lists in [[lists.sources]]"
    )
}

/// Days since 1970-01-01 for a "YYYY-MM-DD" date, as Unix milliseconds.
fn date_to_unix_ms(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from civil date (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_to_unix_ms() {
        assert_eq!(date_to_unix_ms("1970-01-01"), Some(0));
        assert_eq!(date_to_unix_ms("2000-03-01"), Some(951_868_800_000));
        assert_eq!(date_to_unix_ms("2025-11-19"), Some(1_763_510_400_000));
        assert_eq!(date_to_unix_ms("2025-13-01"), None);
        assert_eq!(date_to_unix_ms("soon"), None);
    }
}
