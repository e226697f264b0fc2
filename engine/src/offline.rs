//! Commands that work on files without a server: `screen`, `lists inspect`,
//! `lists diff` and `rules check`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use screener_lists::{
    Entity, EntityKind, IdentifierKind, LoadOptions, LoadedList, NameQuery, NameResult,
    PartialDate, Snapshot,
};
use serde::Serialize;

use crate::catalog::ListSet;
use crate::cli::{ListsCommand, ScreenArgs};
use crate::pipeline;

/// Finds the bundle manifest: ./bundle/bundle.toml, else the one in the
/// source tree this binary was built from.
pub fn default_bundle() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from("bundle/bundle.toml"),
        screener_lists::source_root().join("bundle/bundle.toml"),
    ];
    candidates.into_iter().find(|p| p.is_file())
}

/// Loads one path: a bundle manifest (a .toml file, or a folder holding
/// bundle.toml) gives several lists.
pub fn load_path(path: &Path, format: Option<&str>) -> anyhow::Result<Vec<LoadedList>> {
    if path.extension().is_some_and(|e| e == "toml") {
        return Ok(screener_lists::bundle::load_bundle(path)?);
    }
    let manifest = path.join("bundle.toml");
    if format.is_none() && path.is_dir() && manifest.is_file() {
        return Ok(screener_lists::bundle::load_bundle(&manifest)?);
    }
    let format = match format {
        Some(name) => Some(screener_lists::Format::parse(name).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown list format {name:?}; use one of {}",
                format_names()
            )
        })?),
        None => None,
    };
    let options = LoadOptions {
        format,
        list_id: None,
    };
    Ok(vec![screener_lists::load(path, &options)?])
}

fn format_names() -> String {
    screener_lists::Format::ALL
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `screener screen`: one name, wallet or identifier against list files.
pub fn screen(args: ScreenArgs) -> anyhow::Result<i32> {
    check_screen_args(&args)?;
    let lists = if args.lists.is_empty() {
        let bundle = default_bundle().ok_or_else(|| {
            anyhow::anyhow!("no --list given and no bundle/bundle.toml found; run from the repository root or pass --list FILE")
        })?;
        load_path(&bundle, None)?
    } else {
        let mut lists = Vec::new();
        for path in &args.lists {
            lists.extend(load_path(path, None)?);
        }
        lists
    };
    // The same list set and conversions as the server: `--json` prints
    // the response ScreenParty or ScreenWallet would return.
    let set = ListSet::from_lists(lists);
    let snapshot = set.snapshot();

    if let Some(address) = &args.wallet {
        if args.json {
            let response = pipeline::wallet_response(&set, address, args.asset.as_deref());
            print_json(&response)?;
            return Ok(hits_status(response.hits.len()));
        }
        let result = snapshot.screen_wallet(address, args.asset.as_deref());
        print_block(&describe_wallet(snapshot, &result));
        return Ok(hits_status(result.hits.len()));
    }
    if let Some(spec) = &args.identifier {
        let (kind, value) = parse_identifier(spec)?;
        if kind == Some(IdentifierKind::Imo) {
            if let Some(problem) = screener_lists::identifier::imo_problem(value) {
                anyhow::bail!("--identifier {spec:?} is not an IMO number: {problem}");
            }
        }
        if args.json {
            let response = pipeline::identifier_response(&set, kind.as_ref(), value);
            print_json(&response)?;
            return Ok(hits_status(response.hits.len()));
        }
        let hits = snapshot.screen_identifier(kind.as_ref(), value);
        if hits.is_empty() {
            print_block("no listed identifier matches");
        }
        for h in &hits {
            print_block(&format!(
                "HIT {} {} {} listed as {} {}",
                h.list,
                h.entity_id,
                entity_label(snapshot, &h.list, &h.entity_id),
                serde_name(&h.kind),
                h.listed_value
            ));
        }
        return Ok(hits_status(hits.len()));
    }
    let Some(name) = &args.name else {
        eprintln!("screener: give a name, --wallet ADDRESS or --identifier KIND:VALUE");
        return Ok(EXIT_USAGE);
    };
    let query = NameQuery {
        name: name.clone(),
        kind: args.kind.as_deref().map(parse_kind).transpose()?,
        birth_date: args
            .birth_date
            .as_deref()
            .map(|d| {
                PartialDate::parse_iso(d).ok_or_else(|| {
                    anyhow::anyhow!("--birth-date {d:?} is not YYYY, YYYY-MM or YYYY-MM-DD")
                })
            })
            .transpose()?,
        country: args.country.as_deref().map(str::to_ascii_uppercase),
        threshold: args.threshold,
        top_k: Some(args.top),
        ..NameQuery::default()
    };
    if args.json {
        let response = pipeline::party_response(&set, &query);
        print_json(&response)?;
        return Ok(if response.note.is_empty() {
            hits_status(response.hits.len())
        } else {
            EXIT_UNSCREENABLE
        });
    }
    let result = snapshot.screen_name(&query);
    if matches!(result, NameResult::NormalizesToNothing) {
        anyhow::bail!(
            "the name {name:?} normalizes to nothing (only punctuation or symbols), so it cannot \
             be screened; give a name with letters or digits"
        );
    }
    print_block(&describe_name_result(snapshot, &result));
    Ok(match result {
        NameResult::NormalizesToNothing => EXIT_UNSCREENABLE,
        NameResult::Hits(hits) => hits_status(hits.len()),
    })
}

/// Exit status of `screen` when the value was screened and nothing matched.
pub const EXIT_NO_HITS: i32 = 0;
/// Exit status of `screen` when the name normalizes to nothing, so that it
/// cannot be screened. Errors exit with 1 as well.
pub const EXIT_UNSCREENABLE: i32 = 1;
/// Exit status of `screen` for a wrong command line, as clap gives it.
pub const EXIT_USAGE: i32 = 2;
/// Exit status of `screen` when at least one listed entry matched.
pub const EXIT_HITS: i32 = 3;

fn hits_status(hits: usize) -> i32 {
    if hits == 0 {
        EXIT_NO_HITS
    } else {
        EXIT_HITS
    }
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Rejects options `screen` cannot use, before any list is loaded.
fn check_screen_args(args: &ScreenArgs) -> anyhow::Result<()> {
    if let Some(threshold) = args.threshold {
        if !(threshold > 0.0 && threshold <= 1.0) {
            anyhow::bail!("invalid --threshold {threshold}: it must be above 0 and at most 1, for example 0.8");
        }
    }
    if args.top == 0 {
        anyhow::bail!("invalid --top 0: no hit would be printed; use 1 or more");
    }
    if let Some(country) = &args.country {
        crate::validate::check_country("--country", country)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
    }
    if args.wallet.as_ref().is_some_and(|w| w.trim().is_empty()) {
        anyhow::bail!("missing --wallet value: give an address");
    }
    if let Some(spec) = &args.identifier {
        let value = spec
            .split_once(':')
            .map_or(spec.as_str(), |(_, value)| value);
        if value.trim().is_empty() {
            anyhow::bail!("missing value in --identifier {spec:?}: write KIND:VALUE or VALUE");
        }
    }
    if args.wallet.is_none()
        && args.identifier.is_none()
        && args.name.as_ref().is_some_and(|n| n.trim().is_empty())
    {
        anyhow::bail!("missing name: give a name to screen");
    }
    Ok(())
}

fn parse_kind(text: &str) -> anyhow::Result<EntityKind> {
    EntityKind::ALL
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "unknown kind {text:?}; use person, organization, vessel, aircraft or wallet"
            )
        })
}

/// Reads "KIND:VALUE" (or a bare VALUE matching any kind).
pub fn parse_identifier(spec: &str) -> anyhow::Result<(Option<IdentifierKind>, &str)> {
    let Some((kind, value)) = spec.split_once(':') else {
        return Ok((None, spec));
    };
    let kind = identifier_kind(kind)
        .ok_or_else(|| anyhow::anyhow!("unknown identifier kind {kind:?}; use passport, national_id, imo, bic, lei, tax_id or registration_number"))?;
    Ok((Some(kind), value))
}

/// Maps a scheme name as clients write it to an identifier kind.
pub fn identifier_kind(scheme: &str) -> Option<IdentifierKind> {
    let kind = match scheme
        .trim()
        .to_ascii_lowercase()
        .replace(['-', ' '], "_")
        .as_str()
    {
        "passport" => IdentifierKind::Passport,
        "national_id" | "nid" | "id" => IdentifierKind::NationalId,
        "imo" => IdentifierKind::Imo,
        "bic" | "swift" | "swift_bic" => IdentifierKind::Bic,
        "lei" => IdentifierKind::Lei,
        "tax_id" | "tin" | "vat" => IdentifierKind::TaxId,
        "registration_number" | "registration" => IdentifierKind::RegistrationNumber,
        _ => return None,
    };
    Some(kind)
}

/// Returns the name a value serializes to, such as "national_id".
fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Returns the primary name of a listed entity, in parentheses, or nothing.
fn entity_label(snapshot: &Snapshot, list: &str, id: &str) -> String {
    snapshot
        .entity(list, id)
        .and_then(Entity::primary_name)
        .map(|name| format!("({})", name.full))
        .unwrap_or_default()
}

fn describe_wallet(snapshot: &Snapshot, result: &screener_lists::WalletResult) -> String {
    let validity = match &result.validity {
        screener_lists::Validity::Valid => "valid".to_owned(),
        screener_lists::Validity::Unchecked => {
            "format only: this family has no checksum to check".to_owned()
        }
        screener_lists::Validity::Invalid(reason) => format!("invalid: {reason}"),
    };
    let mut out = format!(
        "address {} ({}), {validity}\n",
        result.canonical,
        result.family.as_str(),
    );
    if result.hits.is_empty() {
        out.push_str("no listed address matches\n");
    }
    for hit in &result.hits {
        out.push_str(&format!(
            "HIT {} {} {} listed as {} {}\n",
            hit.list,
            hit.entity_id,
            entity_label(snapshot, &hit.list, &hit.entity_id),
            hit.listed_asset,
            hit.listed_address
        ));
        if let Some(note) = &hit.note {
            out.push_str(&format!("    note: {note}\n"));
        }
    }
    out
}

fn describe_name_result(snapshot: &Snapshot, result: &NameResult) -> String {
    let hits = match result {
        NameResult::NormalizesToNothing => {
            return "the name normalizes to nothing (only punctuation or symbols), so it matches nothing\n".into()
        }
        NameResult::Hits(hits) if hits.is_empty() => return "no hits\n".into(),
        NameResult::Hits(hits) => hits,
    };
    let mut out = String::new();
    for hit in hits {
        let primary = snapshot
            .entity(&hit.list, &hit.entity_id)
            .and_then(Entity::primary_name)
            .map(|n| n.full.as_str())
            .unwrap_or("");
        out.push_str(&format!(
            "{:.3} {} {} {} ({}) matched {:?} as {}\n",
            hit.score,
            hit.list,
            hit.entity_id,
            primary,
            hit.kind.as_str(),
            hit.matched_name,
            serde_name(&hit.name_type)
        ));
        for token in &hit.explanation.matched_tokens {
            out.push_str(&format!(
                "    {:?} ~ {:?} similarity {:.2} weight {:.2}\n",
                token.query, token.listed, token.similarity, token.weight
            ));
        }
        if !hit.explanation.unmatched_query.is_empty() {
            out.push_str(&format!(
                "    unmatched in query: {:?}\n",
                hit.explanation.unmatched_query
            ));
        }
        if !hit.explanation.unmatched_listed.is_empty() {
            out.push_str(&format!(
                "    unmatched in listed name: {:?}\n",
                hit.explanation.unmatched_listed
            ));
        }
        for adjustment in &hit.explanation.adjustments {
            out.push_str(&format!(
                "    {} ({})\n",
                adjustment.reason,
                crate::pipeline::describe_effect(adjustment.effect)
            ));
        }
    }
    out
}

/// Prints `text`, ending it with a newline when it has none.
fn print_block(text: &str) {
    if text.is_empty() || text.ends_with('\n') {
        print!("{text}");
    } else {
        println!("{text}");
    }
}

/// `screener lists ...`.
pub fn lists(command: ListsCommand) -> anyhow::Result<i32> {
    match command {
        ListsCommand::Inspect {
            paths,
            format,
            json,
            all_warnings,
        } => inspect(&paths, format.as_deref(), json, all_warnings),
        ListsCommand::Diff {
            old,
            new,
            format,
            json,
        } => diff(&old, &new, format.as_deref(), json),
    }
}

fn inspect(
    paths: &[PathBuf],
    format: Option<&str>,
    json: bool,
    all_warnings: bool,
) -> anyhow::Result<i32> {
    if paths.is_empty() {
        anyhow::bail!("name at least one list file, OFAC CSV folder or bundle.toml");
    }
    for path in paths {
        let started = std::time::Instant::now();
        let lists = load_path(path, format)?;
        let elapsed = started.elapsed();
        for list in &lists {
            if json {
                println!("{}", serde_json::to_string_pretty(&list.report)?);
                continue;
            }
            print_block(&list.report.to_string());
            if all_warnings {
                for warning in &list.report.warnings {
                    println!("  warning: {warning}");
                }
            }
        }
        if !json {
            println!(
                "loaded {} in {:.2} s",
                path.display(),
                elapsed.as_secs_f64()
            );
        }
    }
    Ok(0)
}

/// What changed between two versions of a list.
#[derive(Debug, Default, Serialize)]
pub struct ListDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Entity ids whose content changed, with the fields that differ.
    pub changed: BTreeMap<String, Vec<&'static str>>,
}

/// Compares two entity sets by (list, id).
pub fn diff_entities(old: &[Entity], new: &[Entity]) -> ListDiff {
    let key = |e: &Entity| format!("{}:{}", e.list, e.id);
    let old_by_id: BTreeMap<String, &Entity> = old.iter().map(|e| (key(e), e)).collect();
    let new_by_id: BTreeMap<String, &Entity> = new.iter().map(|e| (key(e), e)).collect();
    let mut diff = ListDiff::default();
    for (id, entity) in &new_by_id {
        match old_by_id.get(id) {
            None => diff.added.push(id.clone()),
            Some(previous) if previous != entity => {
                diff.changed
                    .insert(id.clone(), changed_fields(previous, entity));
            }
            Some(_) => {}
        }
    }
    diff.removed = old_by_id
        .keys()
        .filter(|id| !new_by_id.contains_key(*id))
        .cloned()
        .collect();
    diff
}

fn changed_fields(old: &Entity, new: &Entity) -> Vec<&'static str> {
    let checks: [(&'static str, bool); 14] = [
        ("kind", old.kind != new.kind),
        ("names", old.names != new.names),
        ("birth_dates", old.birth_dates != new.birth_dates),
        ("birth_places", old.birth_places != new.birth_places),
        ("nationalities", old.nationalities != new.nationalities),
        ("countries", old.countries != new.countries),
        ("gender", old.gender != new.gender),
        ("addresses", old.addresses != new.addresses),
        ("identifiers", old.identifiers != new.identifiers),
        ("wallets", old.wallets != new.wallets),
        ("programs", old.programs != new.programs),
        ("listed_on", old.listed_on != new.listed_on),
        ("remarks", old.remarks != new.remarks),
        ("linked_to", old.linked_to != new.linked_to),
    ];
    checks
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name)
        .collect()
}

fn diff(old: &Path, new: &Path, format: Option<&str>, json: bool) -> anyhow::Result<i32> {
    let old_entities: Vec<Entity> = load_path(old, format)?
        .into_iter()
        .flat_map(|l| l.entities)
        .collect();
    let new_entities: Vec<Entity> = load_path(new, format)?
        .into_iter()
        .flat_map(|l| l.entities)
        .collect();
    check_same_lists(old, &old_entities, new, &new_entities)?;
    let diff = diff_entities(&old_entities, &new_entities);
    if json {
        println!("{}", serde_json::to_string_pretty(&diff)?);
        return Ok(0);
    }
    let names: BTreeMap<String, &str> = old_entities
        .iter()
        .chain(new_entities.iter())
        .map(|e| {
            (
                format!("{}:{}", e.list, e.id),
                e.primary_name().map(|n| n.full.as_str()).unwrap_or(""),
            )
        })
        .collect();
    let name_of = |id: &String| names.get(id).copied().unwrap_or("");
    for id in &diff.added {
        println!("+ {id} {}", name_of(id));
    }
    for id in &diff.removed {
        println!("- {id} {}", name_of(id));
    }
    for (id, fields) in &diff.changed {
        println!("~ {id} {} ({})", name_of(id), fields.join(", "));
    }
    println!(
        "{} added, {} removed, {} changed ({} -> {} entities)",
        diff.added.len(),
        diff.removed.len(),
        diff.changed.len(),
        old_entities.len(),
        new_entities.len()
    );
    Ok(0)
}

/// Rejects a diff of two different lists (OFAC against UK OFSI, say), which
/// would report every entry as removed and added. Two files that share
/// some lists but not all get a warning.
fn check_same_lists(
    old: &Path,
    old_entities: &[Entity],
    new: &Path,
    new_entities: &[Entity],
) -> anyhow::Result<()> {
    let ids = |entities: &[Entity]| -> std::collections::BTreeSet<String> {
        entities.iter().map(|e| e.list.clone()).collect()
    };
    let (old_ids, new_ids) = (ids(old_entities), ids(new_entities));
    let join = |ids: &std::collections::BTreeSet<String>| {
        ids.iter().cloned().collect::<Vec<_>>().join(", ")
    };
    if old_ids.is_empty() || new_ids.is_empty() || old_ids == new_ids {
        return Ok(());
    }
    if old_ids.is_disjoint(&new_ids) {
        anyhow::bail!(
            "{} contains list {} and {} contains list {}, no list in common; \
             give two versions of one list",
            old.display(),
            join(&old_ids),
            new.display(),
            join(&new_ids)
        );
    }
    eprintln!(
        "warning: {} contains lists {} and {} contains lists {}; entries of a list on one side only count as added or removed",
        old.display(),
        join(&old_ids),
        new.display(),
        join(&new_ids)
    );
    Ok(())
}

/// `screener rules check`: prints every problem; exit code 1 on errors.
pub fn check_rules(paths: Vec<PathBuf>) -> anyhow::Result<i32> {
    let paths = if paths.is_empty() {
        crate::config::RulesConfig::default()
            .paths
            .iter()
            .map(|path| crate::policy::resolve(path))
            .collect()
    } else {
        paths
    };
    let report = screener_rules::check(&paths);
    print_block(&report.to_string());
    Ok(if report.has_errors() { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::Parser;
    use screener_lists::{Name, NameType};

    #[test]
    fn folder_with_manifest_loads_as_bundle() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("internal.csv"),
            "id,name,kind\nW-1,Acme Trading Ltd,organization\nW-2,Jan Novak,person\n",
        )
        .expect("write list");
        std::fs::write(
            dir.path().join("bundle.toml"),
            "[[list]]\nid = \"internal\"\nformat = \"watchlist_csv\"\npaths = [\"internal.csv\"]\nsource = \"https://example.org/internal.csv\"\n",
        )
        .expect("write manifest");
        let lists = load_path(dir.path(), None).expect("the folder loads as a bundle");
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].report.list, "internal");
        assert_eq!(lists[0].entities.len(), 2);
    }

    fn screen_args(argv: &[&str]) -> ScreenArgs {
        let mut full = vec!["screener", "screen"];
        full.extend_from_slice(argv);
        match crate::cli::Cli::try_parse_from(full)
            .expect("arguments parse")
            .command
        {
            crate::cli::Command::Screen(args) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn screen_rejects_unusable_options() {
        let cases: [(&[&str], &str); 7] = [
            (&["--country", "Korea", "x"], "--country"),
            (&["--threshold", "2", "x"], "--threshold"),
            (&["--threshold", "0", "x"], "--threshold"),
            (&["--top", "0", "x"], "--top"),
            (&["--wallet", " "], "--wallet"),
            (&["--identifier", "imo:"], "--identifier"),
            (&["  "], "name"),
        ];
        for (argv, named) in cases {
            let error = check_screen_args(&screen_args(argv)).expect_err("rejected");
            assert!(error.to_string().contains(named), "{argv:?}: {error}");
        }
        assert!(check_screen_args(&screen_args(&["--threshold", "0.9", "x"])).is_ok());
        assert!(check_screen_args(&screen_args(&["--identifier", "9187629"])).is_ok());
    }

    fn person(id: &str, name: &str) -> Entity {
        let mut entity = Entity::new("test", id, EntityKind::Person);
        entity.names.push(Name::new(name, NameType::Primary));
        entity
    }

    #[test]
    fn diff_finds_added_removed_and_changed() {
        let old = vec![
            person("1", "Anna"),
            person("2", "Boris"),
            person("3", "Chen"),
        ];
        let mut renamed = person("2", "Boris");
        renamed.programs.push("SDGT".into());
        let new = vec![person("1", "Anna"), renamed, person("4", "Dana")];
        let diff = diff_entities(&old, &new);
        assert_eq!(diff.added, vec!["test:4".to_string()]);
        assert_eq!(diff.removed, vec!["test:3".to_string()]);
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed.get("test:2"), Some(&vec!["programs"]));
    }

    #[test]
    fn diff_of_two_lists_is_an_error() {
        let old = vec![person("1", "Anna")];
        let mut other = person("1", "Anna");
        other.list = "uk_ofsi".into();
        let (a, b) = (Path::new("a.csv"), Path::new("b.csv"));
        let error = check_same_lists(a, &old, b, &[other.clone()]).expect_err("two lists");
        let message = error.to_string();
        assert!(
            message.contains("test") && message.contains("uk_ofsi"),
            "{message}"
        );
        // Sharing one list is a warning, not an error.
        let both = vec![person("2", "Boris"), other];
        assert!(check_same_lists(a, &old, b, &both).is_ok());
        assert!(check_same_lists(a, &old, b, &old).is_ok());
    }

    #[test]
    fn identifier_spec_parses_kind_and_value() {
        let (kind, value) = parse_identifier("imo:9187629").expect("valid spec");
        assert_eq!(kind, Some(IdentifierKind::Imo));
        assert_eq!(value, "9187629");
        assert!(parse_identifier("shoe_size:42").is_err());
        assert_eq!(parse_identifier("AB123").expect("bare").0, None);
    }
}
