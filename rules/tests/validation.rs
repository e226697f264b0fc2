//! Validation: each kind of problem is found, all of them in one pass, each
//! with the file, the line (checked against the input text) and the node.

use std::path::PathBuf;

use screener_rules::{check, Problem, ProblemKind, RuleGraph, Severity, ValidationReport};

/// A small graph without problems; cases below change one part of it.
const VALID: &str = r#"
[currency]
reference = "EUR"
rates = { USD = 0.9 }

[sets]
embargoed = ["CU", "IR"]

[[aggregate]]
id = "count_1h"
function = "count"
key = "debtor_account"
window = "1h"

[[rule]]
id = "large"
when = "amount >= 10000"
weight = 50
reason = "Large amount"

[[rule]]
id = "embargo"
when = "country(creditor) in embargoed"
weight = 100
reason = "Embargoed country"

[[rule]]
id = "busy"
when = "count_1h > 10"
weight = 30
reason = "Busy account"

[[typology]]
id = "main"
rules = ["large", "embargo", "busy"]
review = 50
block = 100

[decision]
combine = "max"
"#;

/// Returns the 1-based line of the `n`th (1-based) occurrence of `needle`.
fn line_of(text: &str, needle: &str, n: usize) -> usize {
    let offset = text
        .match_indices(needle)
        .nth(n - 1)
        .unwrap_or_else(|| panic!("{needle:?} occurs fewer than {n} times"))
        .0;
    text[..offset].matches('\n').count() + 1
}

fn report_of(text: &str) -> ValidationReport {
    match RuleGraph::from_str("graph.toml", text) {
        Ok(_) => panic!("graph should not load:\n{text}"),
        Err(report) => report,
    }
}

/// Finds the problem of `kind` on `node`, or fails listing all problems.
fn find<'r>(report: &'r ValidationReport, kind: ProblemKind, node: &str) -> &'r Problem {
    report
        .problems()
        .iter()
        .find(|p| p.kind == kind && p.node.as_deref() == Some(node))
        .unwrap_or_else(|| panic!("no {kind:?} problem on {node}; problems:\n{report}"))
}

#[test]
fn valid_graph_loads_clean() {
    let graph = RuleGraph::from_str("graph.toml", VALID).expect("valid graph");
    assert!(graph.warnings().is_empty(), "{:?}", graph.warnings());
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"
[currency]
reference = "EUR"
rates = { USD = -1 }

[sets]
embargoed = ["CU", "Iran"]
unused_set = ["XX"]

[[aggregate]]
id = "count_1h"
function = "count"
key = "debtor_account"
window = "1w"

[[aggregate]]
id = "never_read"
function = "sum"
key = "debtor_account"
window = "24h"

[[rule]]
id = "large"
when = "amount >= "
weight = 50
reason = "Large amount"

[[rule]]
id = "typo"
when = "sanction(creditor) >= 0.9"
weight = 50
reason = "Typo"

[[rule]]
id = "mismatch"
when = "currency > 5"
weight = 10
reason = "Mismatch"

[[rule]]
id = "no_set"
when = "country(debtor) in nowhere"
weight = 10
reason = "No set"

[[rule]]
id = "embargo"
when = "country(creditor) in embargoed"
weight = 100
reason = "Embargoed"

[[rule]]
id = "ping"
when = "fired(pong)"
weight = 10
reason = "Ping"

[[rule]]
id = "pong"
when = "fired(ping)"
weight = 10
reason = "Pong"
colour = "red"

[[rule]]
id = "large"
when = "amount > 1"
weight = 2000
reason = "Duplicate"

[[rule]]
id = "orphan"
when = "amount > 1"
weight = "heavy"
reason = "Orphan"

[[rule]]
id = "score"
when = "sanctions(any) >= 90"
weight = 10
reason = "Score"

[[typology]]
id = "main"
rules = ["large", "typo", "mismatch", "no_set", "embargo", "ping", "pong", "score", "ghost"]
review = 120
block = 100

[decision]
combine = "average"
"#;
    let report = report_of(text);
    let expected: &[(ProblemKind, &str, &str, usize)] = &[
        // (kind, node, text on the problem's line, occurrence of that text)
        (ProblemKind::OutOfRange, "[currency]", "USD = -1", 1),
        (ProblemKind::InvalidValue, "set `embargoed`", "\"Iran\"", 1),
        (ProblemKind::BadWindow, "aggregate `count_1h`", "\"1w\"", 1),
        (
            ProblemKind::ExpressionSyntax,
            "rule `large`",
            "amount >= \"",
            1,
        ),
        (
            ProblemKind::UnknownFeature,
            "rule `typo`",
            "sanction(creditor)",
            1,
        ),
        (
            ProblemKind::TypeMismatch,
            "rule `mismatch`",
            "currency > 5",
            1,
        ),
        (ProblemKind::UnknownSet, "rule `no_set`", "nowhere", 1),
        (ProblemKind::Cycle, "rule `ping`", "fired(pong)", 1),
        (ProblemKind::UnknownKey, "rule `pong`", "colour", 1),
        (
            ProblemKind::DuplicateId,
            "rule `large`",
            "id = \"large\"",
            2,
        ),
        (ProblemKind::OutOfRange, "rule `large`", "weight = 2000", 1),
        (ProblemKind::WrongType, "rule `orphan`", "\"heavy\"", 1),
        (ProblemKind::OutOfRange, "rule `score`", ">= 90", 1),
        (
            ProblemKind::UnknownReference,
            "typology `main`",
            "\"ghost\"",
            1,
        ),
        (
            ProblemKind::OutOfRange,
            "typology `main`",
            "review = 120",
            1,
        ),
        (ProblemKind::InvalidValue, "[decision]", "\"average\"", 1),
        (
            ProblemKind::Unused,
            "aggregate `never_read`",
            "id = \"never_read\"",
            1,
        ),
        (ProblemKind::Unused, "set `unused_set`", "unused_set", 1),
        (ProblemKind::Unused, "rule `orphan`", "id = \"orphan\"", 1),
    ];
    for &(kind, node, needle, occurrence) in expected {
        let problem = find(&report, kind, node);
        assert_eq!(
            problem.line,
            line_of(text, needle, occurrence),
            "line of {kind:?} on {node}: {problem}"
        );
        assert_eq!(problem.file, "graph.toml");
    }
    let unused = report
        .problems()
        .iter()
        .filter(|p| p.kind == ProblemKind::Unused);
    assert!(unused.clone().all(|p| p.severity == Severity::Warning));
    assert!(
        report.problems().iter().all(|p| p.line > 0),
        "every problem has a line:\n{report}"
    );
}

#[test]
fn expression_errors_point_at_the_column() {
    let text = VALID.replace(
        "when = \"amount >= 10000\"",
        "when = \"amount >= 10000 and (channel == 'SEPA'\"",
    );
    let report = report_of(&text);
    let problem = find(&report, ProblemKind::ExpressionSyntax, "rule `large`");
    let line = line_of(&text, "and (channel", 1);
    assert_eq!(problem.line, line);
    // The parser stops at the end of the expression, just before the closing quote.
    let line_text = text.lines().nth(line - 1).expect("line exists");
    let closing_quote = line_text.rfind('"').expect("quoted") + 1;
    assert_eq!(problem.column, closing_quote, "{problem}");
    let expression = "amount >= 10000 and (channel == 'SEPA'";
    let end_column = expression.chars().count() + 1;
    assert!(
        problem
            .message
            .contains(&format!("column {end_column} of the expression")),
        "{problem}"
    );
}

#[test]
fn type_mismatches_are_reported() {
    let cases = [
        ("currency > 5", "orders numbers"),
        ("amount == 'EUR'", "same type"),
        ("amount and true", "joins conditions"),
        ("not amount", "needs a condition"),
        ("amount + channel > 1", "works on numbers"),
        ("amount in embargoed", "tests a string"),
        ("country(creditor) == 'Iran'", "can never equal"),
        ("country(creditor) == currency", "can never be equal"),
        ("country(any) == 'IR'", "works only with `in`"),
        ("amount", "must be a condition"),
    ];
    for (when, message) in cases {
        let text = VALID.replace("amount >= 10000", when);
        let report = report_of(&text);
        let problem = find(&report, ProblemKind::TypeMismatch, "rule `large`");
        assert!(problem.message.contains(message), "{when}: {problem}");
        assert_eq!(problem.line, line_of(&text, when, 1), "{when}");
    }
}

#[test]
fn unknown_features_and_arguments_are_reported() {
    let cases = [
        (
            "sanction(creditor) >= 0.9",
            ProblemKind::UnknownFeature,
            "did you mean `sanctions`",
        ),
        (
            "ammount >= 1",
            ProblemKind::UnknownFeature,
            "did you mean `amount`",
        ),
        (
            "sanctions >= 0.9",
            ProblemKind::UnknownFeature,
            "needs an argument",
        ),
        (
            "sanctions(payer) >= 0.9",
            ProblemKind::InvalidValue,
            "debtor, creditor",
        ),
        (
            "wallet(debtor) >= 0.9",
            ProblemKind::InvalidValue,
            "source, destination",
        ),
        (
            "amount(debtor) >= 1",
            ProblemKind::InvalidValue,
            "takes no argument",
        ),
        (
            "fired(nothing)",
            ProblemKind::UnknownReference,
            "not defined",
        ),
        ("missing", ProblemKind::InvalidValue, "needs an argument"),
    ];
    for (when, kind, message) in cases {
        let text = VALID.replace("amount >= 10000", when);
        let report = report_of(&text);
        let problem = find(&report, kind, "rule `large`");
        assert!(problem.message.contains(message), "{when}: {problem}");
    }
}

#[test]
fn thresholds_out_of_range_are_reported() {
    let cases = [
        ("review = 50", "review = 0", "typology `main`", "above 0"),
        (
            "review = 50",
            "review = 150",
            "typology `main`",
            "above block threshold",
        ),
        ("weight = 50", "weight = -5000", "rule `large`", "outside"),
        (
            "amount >= 10000",
            "sanctions(debtor) > 1.5",
            "rule `large`",
            "0..=1",
        ),
        (
            "amount >= 10000",
            "0.5 < -1 * wallet(source) and free_text < 2",
            "rule `large`",
            "0..=1",
        ),
        (
            "rates = { USD = 0.9 }",
            "rates = { USD = 0 }",
            "[currency]",
            "positive",
        ),
    ];
    for (from, to, node, message) in cases {
        let text = VALID.replace(from, to);
        let report = report_of(&text);
        let problem = find(&report, ProblemKind::OutOfRange, node);
        assert!(problem.message.contains(message), "{to}: {problem}");
        assert_eq!(problem.line, line_of(&text, to, 1), "{to}");
    }
}

#[test]
fn band_problems_are_reported() {
    let band_rule = r#"
[[rule]]
id = "banded"
value = "sanctions(any)"
bands = [{ below = 0.9, weight = 0 }, { below = 0.8, weight = 40 }, { below = 1.5, weight = 70 }, { below = 2, weight = 100 }]
reason = "Banded"
"#;
    let text = VALID
        .replace("[[typology]]", &format!("{band_rule}\n[[typology]]"))
        .replace("rules = [\"large\"", "rules = [\"banded\", \"large\"");
    let report = report_of(&text);
    let node = "rule `banded`";
    let messages: Vec<&str> = report
        .problems()
        .iter()
        .filter(|p| p.node.as_deref() == Some(node))
        .map(|p| p.message.as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("must increase")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("band bound 1.5 is outside 0..=1")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("last band must have no `below`")),
        "{messages:?}"
    );
    let line = line_of(&text, "bands = [", 1);
    assert!(report
        .problems()
        .iter()
        .filter(|p| p.node.as_deref() == Some(node))
        .all(|p| p.line == line));
}

#[test]
fn bad_windows_are_reported() {
    for window in ["1w", "0m", "91d", "h", "1.5h"] {
        let text = VALID.replace("window = \"1h\"", &format!("window = \"{window}\""));
        let report = report_of(&text);
        let problem = find(&report, ProblemKind::BadWindow, "aggregate `count_1h`");
        assert_eq!(problem.line, line_of(&text, "window =", 1), "{window}");
    }
}

#[test]
fn aggregate_definitions_are_checked() {
    let cases = [
        (
            "function = \"count\"",
            "function = \"count\"\nfield = \"amount\"",
            ProblemKind::InvalidValue,
            "takes no `field`",
        ),
        (
            "function = \"count\"",
            "function = \"distinct_count\"",
            ProblemKind::InvalidValue,
            "needs a `field`",
        ),
        (
            "function = \"count\"",
            "function = \"median\"",
            ProblemKind::InvalidValue,
            "allowed values",
        ),
        (
            "key = \"debtor_account\"",
            "key = \"iban\"",
            ProblemKind::InvalidValue,
            "debtor_creditor_pair",
        ),
        (
            "window = \"1h\"",
            "window = \"1h\"\nwhen = \"count_1h > 1\"",
            ProblemKind::InvalidValue,
            "only the current transaction",
        ),
        (
            "window = \"1h\"",
            "window = \"1h\"\nwhen = \"fired(large)\"",
            ProblemKind::InvalidValue,
            "cannot read rules",
        ),
    ];
    for (from, to, kind, message) in cases {
        let text = VALID.replace(from, to);
        let report = report_of(&text);
        let problem = find(&report, kind, "aggregate `count_1h`");
        assert!(problem.message.contains(message), "{to}: {problem}");
    }
    let shadow = VALID
        .replace("id = \"count_1h\"", "id = \"amount\"")
        .replace("count_1h > 10", "amount > 10");
    let report = report_of(&shadow);
    let problem = find(&report, ProblemKind::InvalidValue, "aggregate `amount`");
    assert!(problem.message.contains("built-in"), "{problem}");
}

#[test]
fn missing_keys_are_reported() {
    let cases = [
        ("weight = 50\n", "", "rule `large`", "`weight`"),
        ("when = \"amount >= 10000\"\n", "", "rule `large`", "`when`"),
        (
            "reason = \"Large amount\"\n",
            "",
            "rule `large`",
            "`reason`",
        ),
        ("review = 50\n", "", "typology `main`", "`review`"),
        (
            "key = \"debtor_account\"\n",
            "",
            "aggregate `count_1h`",
            "`key`",
        ),
        ("combine = \"max\"\n", "", "[decision]", "`combine`"),
    ];
    for (from, to, node, message) in cases {
        let text = VALID.replacen(from, to, 1);
        let report = report_of(&text);
        let problem = find(&report, ProblemKind::MissingKey, node);
        assert!(problem.message.contains(message), "{node}: {problem}");
    }
    let no_decision = VALID.replace("[decision]\ncombine = \"max\"\n", "");
    let report = report_of(&no_decision);
    find(&report, ProblemKind::MissingKey, "[decision]");
}

#[test]
fn amount_without_currency_is_reported() {
    let text = VALID.replace(
        "[currency]\nreference = \"EUR\"\nrates = { USD = 0.9 }\n",
        "",
    );
    let report = report_of(&text);
    let problem = find(&report, ProblemKind::MissingKey, "rule `large`");
    assert!(problem.message.contains("[currency]"), "{problem}");
    assert_eq!(problem.line, line_of(&text, "amount >= 10000", 1));
}

#[test]
fn decision_combine_options_are_checked() {
    let with_review = VALID.replace("combine = \"max\"", "combine = \"max\"\nreview = 10");
    let report = report_of(&with_review);
    assert!(find(&report, ProblemKind::InvalidValue, "[decision]")
        .message
        .contains("weighted_total"));

    let weighted = VALID.replace(
        "combine = \"max\"",
        "combine = \"weighted_total\"\nweights = { ghost = 2 }",
    );
    let report = report_of(&weighted);
    find(&report, ProblemKind::MissingKey, "[decision]");
    let problem = find(&report, ProblemKind::UnknownReference, "[decision]");
    assert_eq!(problem.line, line_of(&weighted, "ghost", 1));
}

#[test]
fn override_can_only_raise_the_decision() {
    let text = format!("{VALID}\n[[override]]\nid = \"lenient\"\nwhen = \"amount < 5\"\ndecision = \"allow\"\nreason = \"Small\"\n");
    let report = report_of(&text);
    let problem = find(&report, ProblemKind::InvalidValue, "override `lenient`");
    assert_eq!(problem.line, line_of(&text, "\"allow\"", 1));
}

#[test]
fn set_include_cycles_and_unknown_sets_are_reported() {
    let text = VALID.replace(
        "embargoed = [\"CU\", \"IR\"]",
        "embargoed = { values = [\"CU\"], include = [\"more\", \"absent\"] }\nmore = { include = [\"embargoed\"] }",
    );
    let report = report_of(&text);
    let cycle = find(&report, ProblemKind::Cycle, "set `more`");
    assert!(
        cycle.message.contains("more -> embargoed -> more")
            || cycle.message.contains("embargoed -> more -> embargoed"),
        "{cycle}"
    );
    let unknown = find(&report, ProblemKind::UnknownSet, "set `embargoed`");
    assert!(unknown.message.contains("absent"), "{unknown}");
}

#[test]
fn duplicates_across_files_name_both_files() {
    let extra = "[[rule]]\nid = \"large\"\nwhen = \"amount > 1\"\nweight = 1\nreason = \"Again\"\n";
    let report = match RuleGraph::from_sources(&[("base.toml", VALID), ("extra.toml", extra)]) {
        Ok(_) => panic!("duplicate id should not load"),
        Err(report) => report,
    };
    let problem = find(&report, ProblemKind::DuplicateId, "rule `large`");
    assert_eq!(problem.file, "extra.toml");
    assert_eq!(problem.line, 2);
    assert!(
        problem.message.contains(&format!(
            "base.toml:{}",
            line_of(VALID, "id = \"large\"", 1)
        )),
        "{problem}"
    );
}

#[test]
fn toml_syntax_errors_are_reported_with_lines() {
    let text = VALID.replace("weight = 50", "weight = = 50");
    let report = report_of(&text);
    let problem = report
        .problems()
        .iter()
        .find(|p| p.kind == ProblemKind::TomlSyntax)
        .unwrap_or_else(|| panic!("no TOML syntax error:\n{report}"));
    assert_eq!(problem.line, line_of(&text, "weight = = 50", 1));
    // The [decision] section is in the file that did not parse, not absent.
    assert!(
        !report
            .problems()
            .iter()
            .any(|p| p.message.contains("no [decision]")),
        "{report}"
    );
}

#[test]
fn unknown_keys_list_the_allowed_keys() {
    let text = VALID.replace("weight = 50", "wieght = 50");
    let report = report_of(&text);
    let problem = find(&report, ProblemKind::UnknownKey, "rule `large`");
    assert!(
        problem.message.contains("wieght") && problem.message.contains("weight"),
        "{problem}"
    );
    assert!(
        problem.message.contains("did you mean `weight`?"),
        "{problem}"
    );
    let top = format!("{VALID}\n[rulez]\nx = 1\n");
    let report = report_of(&top);
    assert!(
        report
            .problems()
            .iter()
            .any(|p| p.kind == ProblemKind::UnknownKey && p.message.contains("rulez")),
        "{report}"
    );
    let far = format!("{VALID}\n[zzzzzzzz]\nx = 1\n");
    let report = report_of(&far);
    let problem = report
        .problems()
        .iter()
        .find(|p| p.kind == ProblemKind::UnknownKey && p.message.contains("zzzzzzzz"))
        .unwrap_or_else(|| panic!("no unknown-key problem; problems:\n{report}"));
    assert!(!problem.message.contains("did you mean"), "{problem}");
}

#[test]
fn unused_nodes_are_warnings() {
    let text = format!(
        "{VALID}\n[[rule]]\nid = \"spare\"\nwhen = \"amount > 1\"\nweight = 1\nreason = \"Spare\"\n\n[[aggregate]]\nid = \"sum_24h\"\nfunction = \"sum\"\nkey = \"debtor_account\"\nwindow = \"24h\"\n"
    )
    .replace("embargoed = [\"CU\", \"IR\"]", "embargoed = [\"CU\", \"IR\"]\nspare_set = [\"XX\"]");
    let graph = RuleGraph::from_str("graph.toml", &text).expect("warnings do not stop loading");
    let warnings: Vec<(&str, usize)> = graph
        .warnings()
        .iter()
        .map(|p| (p.node.as_deref().unwrap_or(""), p.line))
        .collect();
    assert!(
        warnings.contains(&("rule `spare`", line_of(&text, "id = \"spare\"", 1))),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&("aggregate `sum_24h`", line_of(&text, "id = \"sum_24h\"", 1))),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&("set `spare_set`", line_of(&text, "spare_set", 1))),
        "{warnings:?}"
    );
    assert!(graph
        .warnings()
        .iter()
        .all(|p| p.severity == Severity::Warning && p.kind == ProblemKind::Unused));
}

#[test]
fn unreachable_typology_is_a_warning() {
    let text = VALID
        .replace("review = 50", "review = 500")
        .replace("block = 100", "block = 900");
    let graph = RuleGraph::from_str("graph.toml", &text).expect("a warning only");
    let warning = graph
        .warnings()
        .iter()
        .find(|p| p.kind == ProblemKind::OutOfRange)
        .expect("unreachable review threshold");
    assert!(warning.message.contains("at most 180"), "{warning}");
}

#[test]
fn unreadable_file_is_an_io_problem() {
    let missing = PathBuf::from("/nonexistent/screener/rules.toml");
    let report = check(std::slice::from_ref(&missing));
    let problem = report.problems().first().expect("one problem");
    assert_eq!(problem.kind, ProblemKind::Io);
    assert_eq!(problem.file, missing.display().to_string());
    assert!(report.has_errors());
    assert!(report.to_string().contains("rule graph is invalid"));
}

#[test]
fn check_reports_version_of_a_valid_graph() {
    let dir = std::env::temp_dir().join(format!("screener-rules-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("graph.toml");
    std::fs::write(&path, VALID).expect("write graph");
    let report = check(std::slice::from_ref(&path));
    let graph = RuleGraph::load(&[path]).expect("valid graph");
    assert_eq!(report.version(), Some(graph.version()));
    assert!(!report.has_errors());
    assert!(report.to_string().contains(graph.version()));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn printed_problem_names_file_line_and_node() {
    let text = VALID.replace("weight = 50", "weight = 5000");
    let report = report_of(&text);
    let line = line_of(&text, "weight = 5000", 1);
    let printed = report.to_string();
    assert!(
        printed.contains(&format!("graph.toml:{line}:")),
        "{printed}"
    );
    assert!(
        printed.contains("error[out-of-range] rule `large`"),
        "{printed}"
    );
}

#[test]
fn directory_loads_its_toml_files() {
    let dir = std::env::temp_dir().join(format!("screener-rules-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (sets_part, rest) = VALID.split_at(VALID.find("[[aggregate]]").expect("aggregate section"));
    std::fs::write(dir.join("a_sets.toml"), sets_part).expect("write part");
    std::fs::write(dir.join("b_rules.toml"), rest).expect("write part");
    std::fs::write(dir.join("notes.txt"), "not a graph file").expect("write notes");
    let from_dir = RuleGraph::load(std::slice::from_ref(&dir)).expect("directory loads");
    let from_parts = RuleGraph::from_sources(&[("a", sets_part), ("b", rest)]).expect("parts load");
    assert_eq!(from_dir.version(), from_parts.version());

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("empty dir");
    let report = check(std::slice::from_ref(&empty));
    let problem = report.problems().first().expect("one problem");
    assert_eq!(problem.kind, ProblemKind::Io);
    assert!(problem.message.contains("no .toml files"), "{problem}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rule_reusing_aggregate_id_reads_well() {
    let extra =
        "[[rule]]\nid = \"count_1h\"\nwhen = \"amount > 1\"\nweight = 1\nreason = \"Again\"\n";
    let report = match RuleGraph::from_sources(&[("base.toml", VALID), ("extra.toml", extra)]) {
        Ok(_) => panic!("duplicate id should not load"),
        Err(report) => report,
    };
    let problem = find(&report, ProblemKind::DuplicateId, "rule `count_1h`");
    assert!(
        problem.message.contains("an aggregate with this id"),
        "{problem}"
    );
}
