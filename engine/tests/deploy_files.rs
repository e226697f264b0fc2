//! The Grafana dashboard and the Prometheus alert rules shipped in
//! `deploy/` query only metrics the server exports.

use std::collections::BTreeSet;
use std::path::Path;

/// Returns every `screener_...` metric name in `text`, without the
/// `_bucket`, `_count` and `_sum` series suffixes of a histogram.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("screener_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let base = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(name);
        names.insert(base.to_owned());
        rest = &tail[end..];
    }
    names
}

fn deploy_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn assert_known(file: &str) {
    let text = deploy_file(file);
    let names = metric_names(&text);
    assert!(!names.is_empty(), "{file} queries no screener metric");
    let unknown: Vec<&String> = names
        .iter()
        .filter(|name| !screener::metrics::ALL.contains(&name.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "{file} queries unknown metrics {unknown:?}"
    );
}

#[test]
fn dashboard_queries_known_metrics() {
    let text = deploy_file("grafana/screener.json");
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("dashboard is JSON");
    assert!(parsed["panels"].is_array());
    assert_known("grafana/screener.json");
}

#[test]
fn alert_rules_query_known_metrics() {
    assert_known("prometheus/alerts.yml");
}

#[test]
fn metric_names_strip_histogram_suffixes() {
    let names =
        metric_names("rate(screener_stage_duration_seconds_bucket[1m]) + screener_hits_total");
    let expected: BTreeSet<String> = ["screener_hits_total", "screener_stage_duration_seconds"]
        .map(String::from)
        .into();
    assert_eq!(names, expected);
}
