//! Filling facts and evaluating allocate nothing once the buffers exist.
//! This binary has one test, because its counting allocator sees every
//! thread of the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use screener_rules::{Decision, Evaluation, Role, RuleGraph, WalletSide};

struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwards the caller's layout unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout in `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as `GlobalAlloc::realloc`, forwarded to `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn fill_and_evaluate_do_not_allocate() {
    let graph = RuleGraph::bundled_default().expect("default graph loads");
    let indexes: Vec<usize> = (0..graph.aggregates().len()).collect();
    let mut facts = graph.new_facts();
    let mut evaluation = Evaluation::new();
    // The first evaluation sizes the evaluation's buffers for the graph.
    graph.evaluate(&facts, &mut evaluation).expect("same graph");

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut blocks = 0;
    for i in 0..200 {
        facts.clear();
        facts.set_amount(f64::from(i) * 137.0, ["EUR", "usd", "XAU"][i as usize % 3]);
        facts.set_country(Role::Debtor, "de");
        facts.set_country(Role::Creditor, if i % 10 == 0 { "IR" } else { "FR" });
        facts.set_region(Role::Creditor, "UA-65");
        facts.set_nationality(
            Role::Debtor,
            "some nationality longer than thirty-two bytes",
        );
        facts.set_sanctions_score(Role::Creditor, f64::from(i % 100) / 100.0);
        facts.set_cleared_hit(Role::Debtor, 0.96);
        facts.set_identifier_hit(Role::Creditor, false);
        facts.set_wallet_score(WalletSide::Destination, 0.1);
        facts.set_free_text_score(0.3);
        facts
            .set_agent_bic(Role::CreditorAgent, "BNPAFRPPXXX")
            .expect("valid BIC");
        facts.set_channel("SEPA");
        facts.set_purpose("char");
        facts.set_crypto_asset("USDT");
        facts.set_new_counterparty(i % 2 == 0);
        for &index in &indexes {
            let _ = graph.aggregate_applies(index, &facts);
            facts
                .set_aggregate(index, f64::from(i))
                .expect("index from the graph");
        }
        graph.evaluate(&facts, &mut evaluation).expect("same graph");
        blocks += usize::from(evaluation.decision() == Decision::Block);
        // Reading the results borrows from the graph.
        let reasons = evaluation.reasons().count();
        assert!(reasons <= graph.rule_ids().count() + 1);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(blocks > 0, "the loop exercises blocking decisions");
    assert_eq!(allocations, 0, "allocations while filling and evaluating");
}
