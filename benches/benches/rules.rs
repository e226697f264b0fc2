//! Rule graph evaluation on the default graph (config/rules/default.toml)
//! over a fixed mix of realistic transactions.
//!
//! Run: `cargo bench -p screener-benches --bench rules`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use screener_rules::{Decision, Evaluation, Facts, Role, RuleGraph, WalletSide};

#[global_allocator]
static ALLOCATOR: screener_benches::Allocator = screener_benches::Allocator;

/// The facts of one transaction, and the decision the default graph gives it.
#[derive(Clone)]
struct Transaction {
    amount: f64,
    currency: &'static str,
    debtor_country: &'static str,
    creditor_country: &'static str,
    creditor_agent_bic: &'static str,
    debtor_score: f64,
    creditor_score: f64,
    new_counterparty: bool,
    count_1h: f64,
    count_7d: f64,
    count_30d: f64,
    near_threshold_24h: f64,
    expected: Decision,
}

const CLEAN: Transaction = Transaction {
    amount: 120.0,
    currency: "EUR",
    debtor_country: "DE",
    creditor_country: "FR",
    creditor_agent_bic: "BNPAFRPPXXX",
    debtor_score: 0.31,
    creditor_score: 0.42,
    new_counterparty: false,
    count_1h: 1.0,
    count_7d: 9.0,
    count_30d: 35.0,
    near_threshold_24h: 0.0,
    expected: Decision::Allow,
};

/// 1000 transactions: mostly clean payments of varied amounts and
/// currencies, with large payments to new payees, structuring, sanctions
/// hits, embargoed countries and velocity spikes mixed in. Each kind's decision follows
/// from the default graph's weights and thresholds.
fn transactions() -> Vec<Transaction> {
    (0..1000)
        .map(|i| {
            let clean = Transaction {
                amount: 20.0 + f64::from(i % 97) * 41.0,
                currency: ["EUR", "USD", "GBP", "CHF"][i as usize % 4],
                ..CLEAN
            };
            match i % 100 {
                // Large amount 20 + new counterparty 30 reach review 50.
                0..=4 => Transaction {
                    amount: 25_000.0,
                    new_counterparty: true,
                    expected: Decision::Review,
                    ..clean
                },
                // Three near-threshold payments in 24 hours: structuring 50.
                5 | 6 => Transaction {
                    amount: 9_400.0,
                    currency: "EUR",
                    near_threshold_24h: 3.0,
                    expected: Decision::Review,
                    ..clean
                },
                // A 0.97 sanctions match blocks.
                7 | 8 => Transaction {
                    creditor_score: 0.97,
                    expected: Decision::Block,
                    ..clean
                },
                // An Iranian creditor bank: embargo 100 + FATF 60.
                9 => Transaction {
                    creditor_country: "IR",
                    creditor_agent_bic: "MELIIRTHXXX",
                    expected: Decision::Block,
                    ..clean
                },
                // 12 payments in an hour from an account with older history:
                // velocity 50.
                10 => Transaction {
                    count_1h: 12.0,
                    count_7d: 14.0,
                    count_30d: 40.0,
                    expected: Decision::Review,
                    ..clean
                },
                _ => clean,
            }
        })
        .collect()
}

fn aggregate_index(graph: &RuleGraph, id: &str) -> usize {
    graph
        .aggregates()
        .iter()
        .position(|a| a.id == id)
        .unwrap_or_else(|| panic!("default graph has no aggregate {id}"))
}

/// Aggregate positions looked up once, as the engine would at graph load.
struct Indexes {
    count_1h: usize,
    count_7d: usize,
    count_30d: usize,
    near_threshold: usize,
    sum_24h: usize,
}

fn fill(facts: &mut Facts, tx: &Transaction, indexes: &Indexes) {
    facts.clear();
    facts.set_amount(tx.amount, tx.currency);

    // Parties and agents, with the screening results for each.
    facts.set_country(Role::Debtor, tx.debtor_country);
    facts.set_country(Role::Creditor, tx.creditor_country);
    facts.set_sanctions_score(Role::Debtor, tx.debtor_score);
    facts.set_sanctions_score(Role::Creditor, tx.creditor_score);
    facts.set_sanctions_score(Role::DebtorAgent, 0.12);
    facts.set_sanctions_score(Role::CreditorAgent, 0.15);
    facts.set_identifier_hit(Role::Debtor, false);
    facts.set_identifier_hit(Role::Creditor, false);
    facts
        .set_agent_bic(Role::DebtorAgent, "COBADEFFXXX")
        .expect("valid BIC");
    facts
        .set_agent_bic(Role::CreditorAgent, tx.creditor_agent_bic)
        .expect("valid BIC");

    // Other transaction features.
    facts.set_wallet_score(WalletSide::Source, 0.0);
    facts.set_free_text_score(0.2);
    facts.set_channel("SEPA");
    facts.set_purpose("GDSV");
    facts.set_new_counterparty(tx.new_counterparty);

    // Aggregates, as the engine would read them from state.
    let sum_24h = tx.amount * tx.count_1h.max(1.0);
    for (index, value) in [
        (indexes.count_1h, tx.count_1h),
        (indexes.count_7d, tx.count_7d),
        (indexes.count_30d, tx.count_30d),
        (indexes.near_threshold, tx.near_threshold_24h),
        (indexes.sum_24h, sum_24h),
    ] {
        facts
            .set_aggregate(index, value)
            .expect("index from the graph");
    }
}

/// Decision counts in allow, review, block order.
fn expected_counts(transactions: &[Transaction]) -> [usize; 3] {
    let mut counts = [0; 3];
    for tx in transactions {
        counts[tx.expected as usize] += 1;
    }
    counts
}

fn bench_rules(c: &mut Criterion) {
    let graph = RuleGraph::bundled_default().expect("default graph loads");
    let indexes = Indexes {
        count_1h: aggregate_index(&graph, "debtor_count_1h"),
        count_7d: aggregate_index(&graph, "debtor_count_7d"),
        count_30d: aggregate_index(&graph, "debtor_count_30d"),
        near_threshold: aggregate_index(&graph, "debtor_near_threshold_24h"),
        sum_24h: aggregate_index(&graph, "debtor_sum_24h"),
    };
    let transactions = transactions();
    let expected = expected_counts(&transactions);
    let filled: Vec<Facts> = transactions
        .iter()
        .map(|tx| {
            let mut facts = graph.new_facts();
            fill(&mut facts, tx, &indexes);
            facts
        })
        .collect();

    // Check every transaction's decision once before timing.
    let mut evaluation = Evaluation::new();
    for (tx, facts) in transactions.iter().zip(&filled) {
        graph.evaluate(facts, &mut evaluation).expect("same graph");
        assert_eq!(
            evaluation.decision(),
            tx.expected,
            "amount {} to {}",
            tx.amount,
            tx.creditor_country
        );
    }

    let mut group = c.benchmark_group("rules");
    group.throughput(Throughput::Elements(transactions.len() as u64));
    group.bench_function("evaluate_default_graph", |b| {
        let mut evaluation = Evaluation::new();
        b.iter(|| {
            let mut counts = [0usize; 3];
            for facts in &filled {
                graph
                    .evaluate(black_box(facts), &mut evaluation)
                    .expect("same graph");
                counts[evaluation.decision() as usize] += 1;
            }
            assert_eq!(counts, expected);
            counts
        })
    });
    group.bench_function("fill_and_evaluate_default_graph", |b| {
        let mut facts = graph.new_facts();
        let mut evaluation = Evaluation::new();
        b.iter(|| {
            let mut counts = [0usize; 3];
            for tx in &transactions {
                fill(&mut facts, black_box(tx), &indexes);
                graph.evaluate(&facts, &mut evaluation).expect("same graph");
                counts[evaluation.decision() as usize] += 1;
            }
            assert_eq!(counts, expected);
            counts
        })
    });
    group.finish();
}

criterion_group!(benches, bench_rules);
criterion_main!(benches);
