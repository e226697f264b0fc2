//! The shipped default graph: it loads clean, and a table of transactions
//! gets the decisions that reading config/rules/default.toml predicts.

use screener_rules::{Decision, Evaluation, Facts, Role, RuleGraph, WalletSide};

fn default_graph() -> RuleGraph {
    match RuleGraph::bundled_default() {
        Ok(graph) => graph,
        Err(report) => panic!("default graph does not load:\n{report}"),
    }
}

/// One transaction being described for a test case.
struct Tx<'g> {
    graph: &'g RuleGraph,
    facts: Facts,
}

impl Tx<'_> {
    /// Sets an aggregate by id, as the engine would after reading state.
    fn aggregate(&mut self, id: &str, value: f64) {
        let index = self
            .graph
            .aggregates()
            .iter()
            .position(|a| a.id == id)
            .unwrap_or_else(|| panic!("default graph has no aggregate {id}"));
        self.facts
            .set_aggregate(index, value)
            .expect("index comes from the graph");
    }
}

/// Builds a clean domestic payment of 250 EUR between two German parties
/// with weak name matches and quiet accounts. Every case starts from it.
fn baseline(graph: &RuleGraph) -> Tx<'_> {
    let mut tx = Tx {
        graph,
        facts: graph.new_facts(),
    };
    let facts = &mut tx.facts;
    facts.set_amount(250.0, "EUR");
    for role in [Role::Debtor, Role::Creditor] {
        facts.set_country(role, "DE");
        facts.set_sanctions_score(role, 0.35);
        facts.set_identifier_hit(role, false);
    }
    for role in [Role::DebtorAgent, Role::CreditorAgent] {
        facts.set_agent_bic(role, "COBADEFFXXX").expect("valid BIC");
        facts.set_sanctions_score(role, 0.1);
    }
    facts.set_channel("SEPA");
    facts.set_purpose("SALA");
    facts.set_new_counterparty(false);
    facts.set_free_text_score(0.0);
    tx.aggregate("debtor_count_1h", 1.0);
    tx.aggregate("debtor_count_7d", 10.0);
    tx.aggregate("debtor_count_30d", 40.0);
    tx.aggregate("debtor_near_threshold_24h", 0.0);
    tx.aggregate("debtor_sum_24h", 250.0);
    tx
}

struct Case {
    name: &'static str,
    change: fn(&mut Tx),
    decision: Decision,
    /// Every rule expected to fire, in any order.
    fired: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "clean small domestic payment",
        change: |_| {},
        decision: Decision::Allow,
        fired: &[],
    },
    Case {
        // Band 0.95+ gives 100, the sanctions block threshold; the override also holds.
        name: "sanctions 0.97 on creditor",
        change: |tx| tx.facts.set_sanctions_score(Role::Creditor, 0.97),
        decision: Decision::Block,
        fired: &["sanctions_match"],
    },
    Case {
        // Band 0.80..0.90 gives 40, the sanctions review threshold.
        name: "sanctions 0.85 on debtor",
        change: |tx| tx.facts.set_sanctions_score(Role::Debtor, 0.85),
        decision: Decision::Review,
        fired: &["sanctions_match"],
    },
    Case {
        // Band 0.90..0.95 gives 70: review, not block, and below the override.
        name: "sanctions 0.92 on ultimate creditor",
        change: |tx| tx.facts.set_sanctions_score(Role::UltimateCreditor, 0.92),
        decision: Decision::Review,
        fired: &["sanctions_match"],
    },
    Case {
        // 70 from the band and 30 from the agent rule reach 100.
        name: "sanctions 0.92 on creditor agent",
        change: |tx| tx.facts.set_sanctions_score(Role::CreditorAgent, 0.92),
        decision: Decision::Block,
        fired: &["sanctions_match", "sanctioned_agent"],
    },
    Case {
        name: "listed destination wallet",
        change: |tx| {
            tx.facts.set_wallet_score(WalletSide::Source, 0.0);
            tx.facts.set_wallet_score(WalletSide::Destination, 1.0);
        },
        decision: Decision::Block,
        fired: &["listed_wallet"],
    },
    Case {
        name: "listed identifier of creditor",
        change: |tx| tx.facts.set_identifier_hit(Role::Creditor, true),
        decision: Decision::Block,
        fired: &["listed_identifier"],
    },
    Case {
        name: "free text resembles a listed name",
        change: |tx| tx.facts.set_free_text_score(0.9),
        decision: Decision::Review,
        fired: &["free_text_match"],
    },
    Case {
        // Embargo 100 and FATF call for action 60 make geography 160.
        name: "creditor in Iran",
        change: |tx| tx.facts.set_country(Role::Creditor, "IR"),
        decision: Decision::Block,
        fired: &["embargoed_country", "fatf_call_for_action"],
    },
    Case {
        name: "creditor agent BIC in Iran",
        change: |tx| {
            tx.facts
                .set_agent_bic(Role::CreditorAgent, "MELIIRTH")
                .expect("valid BIC");
        },
        decision: Decision::Block,
        fired: &["embargoed_country", "fatf_call_for_action"],
    },
    Case {
        name: "debtor nationality North Korea",
        change: |tx| tx.facts.set_nationality(Role::Debtor, "kp"),
        decision: Decision::Block,
        fired: &["embargoed_country", "fatf_call_for_action"],
    },
    Case {
        name: "debtor address in Crimea",
        change: |tx| tx.facts.set_region(Role::Debtor, "UA-43"),
        decision: Decision::Block,
        fired: &["embargoed_country"],
    },
    Case {
        name: "creditor address in Kherson oblast",
        change: |tx| tx.facts.set_region(Role::Creditor, "UA-65"),
        decision: Decision::Review,
        fired: &["partly_occupied_region"],
    },
    Case {
        name: "creditor in Myanmar",
        change: |tx| tx.facts.set_country(Role::Creditor, "MM"),
        decision: Decision::Review,
        fired: &["fatf_call_for_action"],
    },
    Case {
        name: "small payment to grey-list country",
        change: |tx| tx.facts.set_country(Role::Creditor, "KE"),
        decision: Decision::Allow,
        fired: &["fatf_increased_monitoring"],
    },
    Case {
        // 20 + 40 in geography reaches review 50; large_amount adds 20 elsewhere.
        name: "large payment to grey-list country",
        change: |tx| {
            tx.facts.set_country(Role::Creditor, "KE");
            tx.facts.set_amount(20_000.0, "EUR");
        },
        decision: Decision::Review,
        fired: &[
            "fatf_increased_monitoring",
            "large_amount_to_high_risk",
            "large_amount",
        ],
    },
    Case {
        name: "charity payment to Lebanon",
        change: |tx| {
            tx.facts.set_country(Role::Creditor, "LB");
            tx.facts.set_purpose("char");
        },
        decision: Decision::Review,
        fired: &["fatf_increased_monitoring", "charity_to_high_risk"],
    },
    Case {
        name: "structuring under the threshold",
        change: |tx| {
            tx.facts.set_amount(9_500.0, "EUR");
            tx.aggregate("debtor_near_threshold_24h", 3.0);
            tx.aggregate("debtor_sum_24h", 28_400.0);
        },
        decision: Decision::Review,
        fired: &["structuring"],
    },
    Case {
        name: "two near-threshold payments only",
        change: |tx| {
            tx.facts.set_amount(9_500.0, "EUR");
            tx.aggregate("debtor_near_threshold_24h", 2.0);
        },
        decision: Decision::Allow,
        fired: &[],
    },
    Case {
        // 12 in an hour against a mean of 60 / 720 per hour.
        name: "velocity spike on a quiet account",
        change: |tx| {
            tx.aggregate("debtor_count_1h", 12.0);
            tx.aggregate("debtor_count_7d", 20.0);
            tx.aggregate("debtor_count_30d", 60.0);
        },
        decision: Decision::Review,
        fired: &["velocity_spike"],
    },
    Case {
        // Every payment of the account lies in the last 7 days, as for
        // every account in the first week after a deployment: its 30-day
        // mean is no baseline yet.
        name: "burst from an account without older history",
        change: |tx| {
            tx.aggregate("debtor_count_1h", 12.0);
            tx.aggregate("debtor_count_7d", 60.0);
            tx.aggregate("debtor_count_30d", 60.0);
        },
        decision: Decision::Allow,
        fired: &[],
    },
    Case {
        // A steady 5 an hour since the account began 8 days ago: 960 in
        // 30 days, of which 840 in the last 7.
        name: "steady account a little over a week old",
        change: |tx| {
            tx.aggregate("debtor_count_1h", 5.0);
            tx.aggregate("debtor_count_7d", 840.0);
            tx.aggregate("debtor_count_30d", 960.0);
        },
        decision: Decision::Allow,
        fired: &[],
    },
    Case {
        // 12 in an hour is under ten times a mean of 2000 / 720 per hour.
        name: "busy account at its usual rate",
        change: |tx| {
            tx.aggregate("debtor_count_1h", 12.0);
            tx.aggregate("debtor_count_30d", 2_000.0);
        },
        decision: Decision::Allow,
        fired: &[],
    },
    Case {
        // 15,000 USD is 12,930 EUR: large amount 20 and new counterparty 30.
        name: "large USD payment to new counterparty",
        change: |tx| {
            tx.facts.set_amount(15_000.0, "USD");
            tx.facts.set_new_counterparty(true);
        },
        decision: Decision::Review,
        fired: &["large_amount", "new_counterparty_large_amount"],
    },
    Case {
        name: "large payment to known counterparty",
        change: |tx| {
            tx.facts.set_amount(15_000.0, "EUR");
        },
        decision: Decision::Allow,
        fired: &["large_amount"],
    },
    Case {
        name: "payment of two million",
        change: |tx| {
            tx.facts.set_amount(2_000_000.0, "EUR");
        },
        decision: Decision::Review,
        fired: &["large_amount"],
    },
    Case {
        name: "currency without a rate",
        change: |tx| {
            assert_eq!(tx.facts.set_amount(1_000.0, "XAU"), None);
        },
        decision: Decision::Review,
        fired: &["unknown_currency"],
    },
    Case {
        name: "many senders to one wallet",
        change: |tx| {
            tx.facts.set_crypto_asset("USDT");
            tx.aggregate("destination_senders_24h", 12.0);
        },
        decision: Decision::Review,
        fired: &["wallet_fan_in"],
    },
    Case {
        name: "privacy coin alone",
        change: |tx| tx.facts.set_crypto_asset("xmr"),
        decision: Decision::Allow,
        fired: &["privacy_coin"],
    },
    Case {
        name: "cleared strong hit small payment",
        change: |tx| tx.facts.set_cleared_hit(Role::Creditor, 0.97),
        decision: Decision::Allow,
        fired: &[],
    },
    Case {
        name: "cleared strong hit large payment",
        change: |tx| {
            tx.facts.set_cleared_hit(Role::Creditor, 0.97);
            tx.facts.set_amount(60_000.0, "EUR");
        },
        decision: Decision::Review,
        fired: &["cleared_hit_large_amount", "large_amount"],
    },
];

#[test]
fn default_graph_loads_without_problems() {
    let graph = default_graph();
    assert!(
        graph.warnings().is_empty(),
        "warnings: {:?}",
        graph.warnings()
    );
    assert_eq!(graph.version().len(), 12);
    assert!(graph.rule_ids().count() >= 10);
    assert!(graph.aggregates().len() >= 3);
    assert_eq!(graph.reference_currency(), Some("EUR"));
}

#[test]
fn default_graph_decides_table_of_cases() {
    let graph = default_graph();
    let mut evaluation = Evaluation::new();
    for case in CASES {
        let mut tx = baseline(&graph);
        (case.change)(&mut tx);
        graph
            .evaluate(&tx.facts, &mut evaluation)
            .expect("facts belong to the graph");
        let mut fired: Vec<&str> = evaluation.fired_rules().map(|r| r.id).collect();
        fired.sort_unstable();
        let mut expected = case.fired.to_vec();
        expected.sort_unstable();
        assert_eq!(fired, expected, "fired rules for {:?}", case.name);
        assert_eq!(
            evaluation.decision(),
            case.decision,
            "decision for {:?}",
            case.name
        );
        assert_eq!(evaluation.graph_version(), graph.version());
    }
}

#[test]
fn strong_sanctions_hit_applies_override() {
    let graph = default_graph();
    let mut evaluation = Evaluation::new();
    let mut tx = baseline(&graph);
    tx.facts.set_sanctions_score(Role::Creditor, 0.97);
    graph
        .evaluate(&tx.facts, &mut evaluation)
        .expect("same graph");
    let overrides: Vec<&str> = evaluation.overrides().map(|o| o.id).collect();
    assert_eq!(overrides, ["strong_sanctions_match"]);
    let reasons: Vec<&str> = evaluation.reasons().collect();
    assert!(
        reasons.contains(&"A party matches a sanctions or watch list entry (score 0.95 or more)"),
        "{reasons:?}"
    );
    assert_eq!(
        reasons.len(),
        2,
        "one rule reason and one override reason: {reasons:?}"
    );
}

#[test]
fn band_reason_replaces_rule_reason() {
    let graph = default_graph();
    let mut evaluation = Evaluation::new();
    let mut tx = baseline(&graph);
    tx.facts.set_sanctions_score(Role::Debtor, 0.85);
    graph
        .evaluate(&tx.facts, &mut evaluation)
        .expect("same graph");
    let rule = evaluation
        .fired_rules()
        .find(|r| r.id == "sanctions_match")
        .expect("sanctions_match fires");
    assert_eq!(rule.weight, 40.0);
    assert_eq!(
        rule.reason,
        "A party resembles a sanctions or watch list entry (score 0.80 to 0.90)"
    );
}

#[test]
fn typology_scores_add_rule_weights() {
    let graph = default_graph();
    let mut evaluation = Evaluation::new();
    let mut tx = baseline(&graph);
    tx.facts.set_country(Role::Creditor, "IR");
    graph
        .evaluate(&tx.facts, &mut evaluation)
        .expect("same graph");
    let geography = evaluation
        .typologies()
        .find(|t| t.id == "geography")
        .expect("geography typology");
    // embargoed_country 100 + fatf_call_for_action 60.
    assert_eq!(geography.score, 160.0);
    assert_eq!(geography.decision, Decision::Block);
    assert_eq!(
        evaluation.score(),
        160.0,
        "max combine reports the top typology score"
    );
    let sanctions = evaluation
        .typologies()
        .find(|t| t.id == "sanctions")
        .expect("sanctions typology");
    assert_eq!(sanctions.score, 0.0);
    assert_eq!(sanctions.decision, Decision::Allow);
}

#[test]
fn structuring_filter_selects_near_threshold_amounts() {
    let graph = default_graph();
    let near = graph
        .aggregates()
        .iter()
        .position(|a| a.id == "debtor_near_threshold_24h")
        .expect("aggregate exists");
    let count = graph
        .aggregates()
        .iter()
        .position(|a| a.id == "debtor_count_1h")
        .expect("aggregate exists");
    let mut facts = graph.new_facts();
    for (amount, applies) in [
        (8_999.0, false),
        (9_000.0, true),
        (9_999.99, true),
        (10_000.0, false),
    ] {
        facts.clear();
        facts.set_amount(amount, "EUR");
        assert_eq!(
            graph.aggregate_applies(near, &facts),
            applies,
            "amount {amount}"
        );
        assert!(
            graph.aggregate_applies(count, &facts),
            "unfiltered aggregate counts {amount}"
        );
    }
    facts.clear();
    assert!(
        !graph.aggregate_applies(near, &facts),
        "a missing amount passes no amount filter"
    );
    assert!(!graph.aggregate_applies(graph.aggregates().len(), &facts));
}

#[test]
fn facts_from_another_graph_are_rejected() {
    let graph = default_graph();
    let other = default_graph();
    let facts = other.new_facts();
    let mut evaluation = Evaluation::new();
    let error = graph
        .evaluate(&facts, &mut evaluation)
        .expect_err("different compiled graph");
    assert!(error.to_string().contains("reset_for"), "{error}");
    let mut facts = facts;
    facts.reset_for(&graph);
    assert!(graph.evaluate(&facts, &mut evaluation).is_ok());
}

#[test]
fn clear_makes_facts_missing_again() {
    let graph = default_graph();
    let mut evaluation = Evaluation::new();
    let mut tx = baseline(&graph);
    tx.facts.set_country(Role::Creditor, "IR");
    graph
        .evaluate(&tx.facts, &mut evaluation)
        .expect("same graph");
    assert_eq!(evaluation.decision(), Decision::Block);
    tx.facts.clear();
    assert_eq!(tx.facts.amount(), None);
    graph
        .evaluate(&tx.facts, &mut evaluation)
        .expect("same graph");
    assert_eq!(evaluation.decision(), Decision::Allow);
    assert_eq!(evaluation.fired_rules().count(), 0);
}
