//! Property tests: evaluation never panics on any facts, is deterministic
//! and monotone in sanctions scores, and printed predicates parse back.

use std::sync::OnceLock;

use proptest::prelude::*;
use screener_rules::expr::{parse, BinaryOp, Expr, ExprKind, Name, SetRef, UnaryOp};
use screener_rules::{Decision, Evaluation, Facts, Role, RuleGraph, WalletSide};

fn graph() -> &'static RuleGraph {
    static GRAPH: OnceLock<RuleGraph> = OnceLock::new();
    GRAPH.get_or_init(|| RuleGraph::bundled_default().expect("default graph loads"))
}

/// Facts as plain data, so a case can be replayed with one value changed.
#[derive(Debug, Clone)]
struct RandomFacts {
    sanctions: Vec<Option<f64>>,
    cleared: Vec<Option<f64>>,
    identifiers: Vec<Option<bool>>,
    countries: Vec<Option<String>>,
    nationalities: Vec<Option<String>>,
    regions: Vec<Option<String>>,
    bics: Vec<Option<String>>,
    wallets: Vec<Option<f64>>,
    free_text: Option<f64>,
    amount: Option<(f64, String)>,
    channel: Option<String>,
    purpose: Option<String>,
    asset: Option<String>,
    new_counterparty: Option<bool>,
    aggregates: Vec<Option<f64>>,
}

impl RandomFacts {
    fn fill(&self, facts: &mut Facts) {
        facts.clear();
        for (i, role) in Role::ALL.into_iter().enumerate() {
            if let Some(score) = self.sanctions[i] {
                facts.set_sanctions_score(role, score);
            }
            if let Some(score) = self.cleared[i] {
                facts.set_cleared_hit(role, score);
            }
            if let Some(hit) = self.identifiers[i] {
                facts.set_identifier_hit(role, hit);
            }
            if let Some(code) = &self.countries[i] {
                facts.set_country(role, code);
            }
            if let Some(code) = &self.nationalities[i] {
                facts.set_nationality(role, code);
            }
            if let Some(code) = &self.regions[i] {
                facts.set_region(role, code);
            }
        }
        for (role, bic) in [Role::DebtorAgent, Role::CreditorAgent]
            .into_iter()
            .zip(&self.bics)
        {
            if let Some(bic) = bic {
                // An invalid BIC is rejected without changing the facts.
                let _ = facts.set_agent_bic(role, bic);
            }
        }
        for (side, score) in WalletSide::ALL.into_iter().zip(&self.wallets) {
            if let Some(score) = score {
                facts.set_wallet_score(side, *score);
            }
        }
        if let Some(score) = self.free_text {
            facts.set_free_text_score(score);
        }
        if let Some((amount, currency)) = &self.amount {
            facts.set_amount(*amount, currency);
        }
        if let Some(channel) = &self.channel {
            facts.set_channel(channel);
        }
        if let Some(purpose) = &self.purpose {
            facts.set_purpose(purpose);
        }
        if let Some(asset) = &self.asset {
            facts.set_crypto_asset(asset);
        }
        if let Some(new) = self.new_counterparty {
            facts.set_new_counterparty(new);
        }
        for (index, value) in self.aggregates.iter().enumerate() {
            if let Some(value) = value {
                facts
                    .set_aggregate(index, *value)
                    .expect("index within the graph's aggregates");
            }
        }
    }
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![4 => 0.0..=1.0f64, 1 => any::<f64>()]
}

fn code() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "IR", "kp", "DE", "KE", "MM", "RU", "UA-43", "UA-65", "EUR", "USD", "XAU", "XMR",
            "CHAR", "SEPA", "USDT", "MELIIRTH", "COBADEFFXXX", "",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,40}",
    ]
}

/// Generates one optional value per role.
fn roles<S: Strategy>(value: S) -> impl Strategy<Value = Vec<Option<S::Value>>> {
    prop::collection::vec(prop::option::of(value), Role::ALL.len())
}

fn random_facts() -> impl Strategy<Value = RandomFacts> {
    let count = graph().aggregates().len();
    (
        (roles(score()), roles(score()), roles(any::<bool>())),
        (roles(code()), roles(code()), roles(code())),
        (
            prop::collection::vec(prop::option::of(code()), 2),
            prop::collection::vec(prop::option::of(score()), 2),
        ),
        (
            prop::option::of(score()),
            prop::option::of((prop_oneof![0.0..2.0e6f64, any::<f64>()], code())),
            prop::option::of(code()),
            prop::option::of(code()),
            prop::option::of(code()),
            prop::option::of(any::<bool>()),
        ),
        prop::collection::vec(
            prop::option::of(prop_oneof![0.0..100.0f64, any::<f64>()]),
            count,
        ),
    )
        .prop_map(
            |(
                hits,
                places,
                (bics, wallets),
                (free_text, amount, channel, purpose, asset, new_counterparty),
                aggregates,
            )| {
                RandomFacts {
                    sanctions: hits.0,
                    cleared: hits.1,
                    identifiers: hits.2,
                    countries: places.0,
                    nationalities: places.1,
                    regions: places.2,
                    bics,
                    wallets,
                    free_text,
                    amount,
                    channel,
                    purpose,
                    asset,
                    new_counterparty,
                    aggregates,
                }
            },
        )
}

/// The parts of an evaluation that must repeat exactly: decision, score
/// bits, each rule's id, fired flag and weight bits, and override ids.
#[derive(Debug, PartialEq)]
struct Summary(Decision, u64, Vec<(String, bool, u64)>, Vec<String>);

fn summary(evaluation: &Evaluation) -> Summary {
    let rules = evaluation
        .rules()
        .map(|r| (r.id.to_owned(), r.fired, r.weight.to_bits()))
        .collect();
    let overrides = evaluation.overrides().map(|o| o.id.to_owned()).collect();
    Summary(
        evaluation.decision(),
        evaluation.score().to_bits(),
        rules,
        overrides,
    )
}

proptest! {
    #[test]
    fn random_facts_evaluate_without_panic(random in random_facts()) {
        let graph = graph();
        let mut facts = graph.new_facts();
        random.fill(&mut facts);
        let mut evaluation = Evaluation::new();
        prop_assert!(graph.evaluate(&facts, &mut evaluation).is_ok());
        prop_assert!(evaluation.score().is_finite());
        prop_assert_eq!(evaluation.rules().count(), graph.rule_ids().count());
        for index in 0..graph.aggregates().len() {
            // Filters read the same facts. Any result is fine, but a panic is not.
            let _ = graph.aggregate_applies(index, &facts);
        }
    }

    #[test]
    fn evaluating_twice_gives_same_result(random in random_facts()) {
        let graph = graph();
        let mut facts = graph.new_facts();
        random.fill(&mut facts);
        let mut reused = Evaluation::new();
        graph.evaluate(&facts, &mut reused).expect("same graph");
        let first = summary(&reused);
        graph.evaluate(&facts, &mut reused).expect("same graph");
        prop_assert_eq!(&first, &summary(&reused));
        let mut fresh = Evaluation::new();
        graph.evaluate(&facts, &mut fresh).expect("same graph");
        prop_assert_eq!(&first, &summary(&fresh));
    }

    #[test]
    fn decision_is_monotone_in_sanctions_score(
        random in random_facts(),
        role in prop::sample::select(Role::ALL.to_vec()),
        a in 0.0..=1.0f64,
        b in 0.0..=1.0f64,
    ) {
        let graph = graph();
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let role_index = Role::ALL.iter().position(|r| *r == role).expect("role in ALL");
        let mut decisions = Vec::new();
        for score in [low, high] {
            let mut changed = random.clone();
            changed.sanctions[role_index] = Some(score);
            let mut facts = graph.new_facts();
            changed.fill(&mut facts);
            let mut evaluation = Evaluation::new();
            graph.evaluate(&facts, &mut evaluation).expect("same graph");
            decisions.push(evaluation.decision());
        }
        prop_assert!(decisions[0] <= decisions[1], "score {} gave {:?} but {} gave {:?}", low, decisions[0], high, decisions[1]);
    }

    #[test]
    fn printed_expression_parses_back(expr in expression()) {
        let printed = expr.to_string();
        let parsed = parse(&printed);
        prop_assert_eq!(parsed.as_ref(), Ok(&expr), "printed as {}", printed);
    }
}

fn name(text: impl Into<String>) -> Name {
    Name {
        text: text.into(),
        span: 0..0,
    }
}

fn node(kind: ExprKind) -> Expr {
    Expr { kind, span: 0..0 }
}

fn identifier() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}".prop_filter("not a keyword", |s| {
        !["and", "or", "not", "in", "true", "false"].contains(&s.as_str())
    })
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        prop_oneof![0.0..1.0e6f64, (0u32..100_000).prop_map(f64::from)]
            .prop_map(|n| node(ExprKind::Number(n))),
        "\\PC{0,6}".prop_map(|s| node(ExprKind::String(s))),
        any::<bool>().prop_map(|b| node(ExprKind::Bool(b))),
        identifier().prop_map(|s| node(ExprKind::Feature(name(s)))),
    ]
}

/// Random syntax trees, shallow enough to stay under the nesting limit.
fn expression() -> impl Strategy<Value = Expr> {
    let binary_ops = vec![
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
    ];
    leaf().prop_recursive(5, 48, 3, move |inner| {
        let set = prop_oneof![
            identifier().prop_map(|s| SetRef::Named(name(s))),
            prop::collection::vec("\\PC{0,4}", 1..4)
                .prop_map(|items| SetRef::List(items.into_iter().map(name).collect())),
        ];
        prop_oneof![
            (
                prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]),
                inner.clone()
            )
                .prop_map(|(op, operand)| node(ExprKind::Unary {
                    op,
                    operand: Box::new(operand)
                })),
            (
                prop::sample::select(binary_ops.clone()),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, left, right)| {
                    node(ExprKind::Binary {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    })
                }),
            (inner.clone(), set, any::<bool>()).prop_map(|(value, set, negated)| {
                node(ExprKind::In {
                    value: Box::new(value),
                    set,
                    negated,
                })
            }),
            (identifier(), prop::collection::vec(inner, 0..3)).prop_map(|(text, args)| node(
                ExprKind::Call {
                    name: name(text),
                    args
                }
            )),
        ]
    })
}

/// Pieces of predicates, to build random but plausible expressions that
/// reach the type checker rather than stopping at the parser.
const PIECES: &[&str] = &[
    "amount",
    "sanctions(creditor)",
    "sanctions(any)",
    "country(any)",
    "country(debtor)",
    "region(any)",
    "currency",
    "channel",
    "new_counterparty",
    "identifier(any)",
    "debtor_count_1h",
    "missing(amount)",
    "fired(structuring)",
    "fired(nothing)",
    "unknown_feature",
    "wallet(source)",
    "free_text",
    "and",
    "or",
    "not",
    "in",
    "not in",
    "embargoed",
    "high_risk",
    "['IR', 'cu']",
    "==",
    "!=",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "(",
    ")",
    "0.95",
    "10000",
    "-1",
    "'IR'",
    "'SEPA'",
    "true",
    ",",
];

fn predicate_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..12).prop_map(|pieces| pieces.join(" "))
}

/// The default graph with one more rule, listed in a typology so it is used.
fn graph_with_rule(when: &str) -> String {
    let when = when.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "{}\n[[rule]]\nid = \"random\"\nwhen = \"{when}\"\nweight = 10\nreason = \"Random\"\n\n[[typology]]\nid = \"random_typology\"\nrules = [\"random\"]\nreview = 5\nblock = 10\n",
        screener_rules::DEFAULT_GRAPH
    )
}

proptest! {
    #[test]
    fn random_predicates_load_or_report(when in prop_oneof![predicate_text(), "\\PC{0,60}"]) {
        let text = graph_with_rule(&when);
        match RuleGraph::from_str("random.toml", &text) {
            Ok(graph) => {
                // A predicate that compiles also evaluates.
                let facts = graph.new_facts();
                let mut evaluation = Evaluation::new();
                prop_assert!(graph.evaluate(&facts, &mut evaluation).is_ok());
            }
            Err(report) => {
                prop_assert!(report.has_errors());
                prop_assert!(report.errors().all(|p| p.line > 0 && !p.message.is_empty()), "{}", report);
            }
        }
    }
}
