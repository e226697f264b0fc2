//! Evaluation semantics on small graphs: missing values, `any` roles,
//! `fired`, bands with guards, weighted totals and overrides.

use screener_rules::{Decision, Evaluation, Facts, Role, RuleGraph};

/// Builds a graph whose single typology lists every rule with factor 1 and
/// blocks at 1, so each rule's firing is visible on its own.
fn graph_of(rules: &[(&str, &str)]) -> RuleGraph {
    let mut text = String::from(
        "[currency]\nreference = \"EUR\"\nrates = { USD = 0.5 }\n\n[sets]\nbad = [\"IR\", \"KP\"]\n\n\
         [[aggregate]]\nid = \"count_1h\"\nfunction = \"count\"\nkey = \"debtor_account\"\nwindow = \"1h\"\n\n",
    );
    for (id, when) in rules {
        text.push_str(&format!(
            "[[rule]]\nid = \"{id}\"\nwhen = \"{when}\"\nweight = 1\nreason = \"{id}\"\n\n"
        ));
    }
    let ids: Vec<String> = rules.iter().map(|(id, _)| format!("\"{id}\"")).collect();
    text.push_str(&format!(
        "[[typology]]\nid = \"all\"\nrules = [{}]\nreview = 1\nblock = 1\n\n[decision]\ncombine = \"max\"\n",
        ids.join(", ")
    ));
    match RuleGraph::from_str("test.toml", &text) {
        Ok(graph) => graph,
        Err(report) => panic!("test graph does not load:\n{report}\n{text}"),
    }
}

fn fired(graph: &RuleGraph, facts: &Facts) -> Vec<String> {
    let mut evaluation = Evaluation::new();
    graph.evaluate(facts, &mut evaluation).expect("same graph");
    evaluation.fired_rules().map(|r| r.id.to_owned()).collect()
}

#[test]
fn missing_values_follow_documented_rules() {
    let graph = graph_of(&[
        ("compare", "amount != 5"),
        ("negated", "not (amount >= 10000)"),
        ("is_missing", "missing(amount)"),
        ("in_set", "country(creditor) in bad"),
        ("not_in_set", "country(creditor) not in bad"),
        ("arithmetic", "missing(amount * 2)"),
        ("division", "missing(count_1h / 0)"),
        ("bool_feature", "not new_counterparty"),
        ("aggregate", "count_1h >= 0"),
    ]);
    let facts = graph.new_facts();
    let mut fired = fired(&graph, &facts);
    fired.sort();
    assert_eq!(
        fired,
        [
            "arithmetic",
            "bool_feature",
            "division",
            "is_missing",
            "negated"
        ],
        "with every fact missing"
    );
}

#[test]
fn set_values_evaluate_normally() {
    let graph = graph_of(&[
        ("compare", "amount != 5"),
        ("in_set", "country(creditor) in bad"),
        ("not_in_set", "country(creditor) not in bad"),
        ("division", "missing(count_1h / 0)"),
        ("aggregate", "count_1h >= 3"),
        ("converted", "amount == 50"),
    ]);
    let mut facts = graph.new_facts();
    facts.set_amount(100.0, "usd");
    facts.set_country(Role::Creditor, "fr");
    facts.set_aggregate(0, 3.0).expect("one aggregate");
    let mut fired = fired(&graph, &facts);
    fired.sort();
    assert_eq!(
        fired,
        [
            "aggregate",
            "compare",
            "converted",
            "division",
            "not_in_set"
        ]
    );
}

#[test]
fn any_role_reads_every_role() {
    let graph = graph_of(&[
        ("any_in", "country(any) in bad"),
        ("any_not_in", "country(any) not in bad"),
        ("best_score", "sanctions(any) >= 0.9"),
        ("any_identifier", "identifier(any)"),
        (
            "no_identifier",
            "not identifier(any) and not missing(identifier(any))",
        ),
    ]);
    let mut facts = graph.new_facts();
    assert!(
        fired(&graph, &facts).is_empty(),
        "nothing set, nothing fires"
    );

    facts.set_country(Role::Debtor, "DE");
    facts.set_identifier_hit(Role::Debtor, false);
    facts.set_sanctions_score(Role::Debtor, 0.5);
    assert_eq!(fired(&graph, &facts), ["any_not_in", "no_identifier"]);

    facts.set_country(Role::UltimateCreditor, "KP");
    facts.set_sanctions_score(Role::CreditorAgent, 0.95);
    facts.set_identifier_hit(Role::Creditor, true);
    assert_eq!(
        fired(&graph, &facts),
        ["any_in", "best_score", "any_identifier"]
    );
}

#[test]
fn score_setters_keep_the_best_score() {
    let graph = graph_of(&[
        ("strong", "sanctions(creditor) >= 0.9"),
        ("weak", "sanctions(creditor) < 0.5"),
    ]);
    let mut facts = graph.new_facts();
    facts.set_sanctions_score(Role::Creditor, 0.95);
    facts.set_sanctions_score(Role::Creditor, 0.3);
    facts.set_sanctions_score(Role::Creditor, f64::NAN);
    assert_eq!(fired(&graph, &facts), ["strong"]);
    facts.clear();
    facts.set_sanctions_score(Role::Creditor, -4.0);
    assert_eq!(
        fired(&graph, &facts),
        ["weak"],
        "negative scores clamp to 0"
    );
}

#[test]
fn fired_reads_rules_in_dependency_order() {
    // `combined` comes first in the file but reads rules defined after it.
    let graph = graph_of(&[
        ("combined", "fired(large) and fired(risky)"),
        ("large", "amount >= 1000"),
        ("risky", "country(creditor) in bad"),
    ]);
    let mut facts = graph.new_facts();
    facts.set_amount(5000.0, "EUR");
    facts.set_country(Role::Creditor, "IR");
    assert_eq!(fired(&graph, &facts), ["combined", "large", "risky"]);
    facts.set_country(Role::Creditor, "FR");
    assert_eq!(fired(&graph, &facts), ["large"]);
}

const BANDS_AND_TOTALS: &str = r#"
[[rule]]
id = "score_bands"
when = "not missing(channel)"
value = "sanctions(any)"
bands = [{ below = 0.5, weight = 0 }, { below = 0.8, weight = 10, reason = "middle" }, { weight = 30 }]
reason = "top"

[[rule]]
id = "trusted"
when = "channel == 'INTERNAL'"
weight = -20
reason = "Internal transfer"

[[typology]]
id = "names"
rules = ["score_bands", { rule = "trusted", factor = 0.5 }]
review = 10
block = 30

[[typology]]
id = "double"
rules = [{ rule = "score_bands", factor = 2 }]
review = 100
block = 200

[decision]
combine = "weighted_total"
review = 40
block = 80
weights = { double = 0.5 }

[[override]]
id = "top_score"
when = "sanctions(any) >= 0.99"
decision = "review"
reason = "Forced review"
"#;

fn evaluate(graph: &RuleGraph, channel: Option<&str>, score: f64) -> Evaluation {
    let mut facts = graph.new_facts();
    if let Some(channel) = channel {
        facts.set_channel(channel);
    }
    facts.set_sanctions_score(Role::Debtor, score);
    let mut evaluation = Evaluation::new();
    graph.evaluate(&facts, &mut evaluation).expect("same graph");
    evaluation
}

#[test]
fn bands_guards_and_weighted_total() {
    let graph = RuleGraph::from_str("bands.toml", BANDS_AND_TOTALS).expect("valid graph");

    // The guard fails without a channel, so the band rule does not fire.
    let evaluation = evaluate(&graph, None, 0.9);
    assert_eq!(evaluation.fired_rules().count(), 0);
    assert_eq!(evaluation.decision(), Decision::Allow);

    // Band 0.5..0.8 gives 10: names 10, double 20; total 10 + 0.5 * 20 = 20.
    let evaluation = evaluate(&graph, Some("SEPA"), 0.6);
    let rule = evaluation.fired_rules().next().expect("band rule fires");
    assert_eq!(
        (rule.id, rule.weight, rule.reason),
        ("score_bands", 10.0, "middle")
    );
    assert_eq!(evaluation.score(), 20.0);
    assert_eq!(evaluation.decision(), Decision::Allow);

    // Top band 30: names 30, double 60; total 30 + 30 = 60, review.
    let evaluation = evaluate(&graph, Some("SEPA"), 0.9);
    assert_eq!(evaluation.score(), 60.0);
    assert_eq!(evaluation.decision(), Decision::Review);
    assert_eq!(evaluation.reasons().collect::<Vec<_>>(), ["top"]);

    // The negative rule lowers the names typology by 0.5 * 20 = 10: total 50.
    let evaluation = evaluate(&graph, Some("INTERNAL"), 0.9);
    assert_eq!(evaluation.score(), 50.0);
    let names = evaluation
        .typologies()
        .find(|t| t.id == "names")
        .expect("typology");
    assert_eq!(names.score, 20.0);
    assert_eq!(names.decision, Decision::Review);
    assert_eq!(
        evaluation.reasons().collect::<Vec<_>>(),
        ["top"],
        "negative weights give no reason"
    );

    // The override raises the decision but never lowers it.
    let evaluation = evaluate(&graph, None, 0.995);
    assert_eq!(evaluation.decision(), Decision::Review);
    assert_eq!(
        evaluation.overrides().map(|o| o.id).collect::<Vec<_>>(),
        ["top_score"]
    );
}

#[test]
fn evaluation_switches_graphs() {
    let first = RuleGraph::from_str("bands.toml", BANDS_AND_TOTALS).expect("valid graph");
    let second = graph_of(&[("large", "amount >= 1000")]);
    let mut evaluation = evaluate(&first, Some("SEPA"), 0.9);
    assert_eq!(evaluation.graph_version(), first.version());

    let mut facts = second.new_facts();
    facts.set_amount(2000.0, "EUR");
    second
        .evaluate(&facts, &mut evaluation)
        .expect("facts of the second graph");
    assert_eq!(evaluation.graph_version(), second.version());
    assert_eq!(
        evaluation.rules().map(|r| r.id).collect::<Vec<_>>(),
        ["large"]
    );
    assert_eq!(evaluation.typologies().count(), 1);
    assert_ne!(first.version(), second.version());
}
