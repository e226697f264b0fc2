//! The gRPC server end to end: a real server on 127.0.0.1:0 with a small
//! watch list, the default rules and fresh RocksDB state, driven by real
//! tonic clients.

use screener_proto::v1::{
    Agent, Amount, ClearHitRequest, CryptoTransfer, Decision, GetVerdictRequest,
    ListVerdictsRequest, Party, PartyIdentifier, PartyKind, PostalAddress, ReloadRequest,
    ScreenPartyRequest, ScreenWalletRequest, StatusRequest, Transaction, Verdict,
};
use screener_tests::{http_get, TestServer};
use std::collections::HashMap;
use tokio_stream::StreamExt;

fn person(name: &str, country: &str) -> Party {
    Party {
        name: name.into(),
        kind: PartyKind::Person as i32,
        postal_address: Some(PostalAddress {
            country: country.into(),
            ..PostalAddress::default()
        }),
        iban: german_iban(name.len() as u64),
        ..Party::default()
    }
}

/// Returns a German IBAN with valid check digits for account number
/// `number`.
fn german_iban(number: u64) -> String {
    let bban = format!("{number:018}");
    let rearranged = format!("{bban}DE00");
    let check = 98 - screener::validate::mod97(rearranged.chars());
    format!("DE{check:02}{bban}")
}

fn payment(id: &str, debtor: &str, creditor: &str, amount: &str) -> Transaction {
    Transaction {
        end_to_end_id: id.into(),
        instructed_amount: Some(Amount {
            value: amount.into(),
            currency: "EUR".into(),
        }),
        debtor: Some(person(debtor, "DE")),
        creditor: Some(person(creditor, "FR")),
        ..Transaction::default()
    }
}

fn decision(verdict: &Verdict) -> Decision {
    Decision::try_from(verdict.decision).expect("known decision")
}

#[tokio::test]
async fn listed_person_is_blocked_with_explained_hit() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;

    let verdict = client
        .screen(payment("T-1", "Anna Schmidt", "BOUT, Viktor", "120.00"))
        .await
        .expect("screen succeeds")
        .into_inner();

    let hit = verdict
        .hits
        .iter()
        .find(|h| h.entity_id == "P-1")
        .expect("the listed creditor is hit");
    assert_eq!(hit.role, "creditor");
    assert_eq!(hit.kind, "name");
    assert_eq!(hit.list, "test_watchlist");
    let explanation = hit.explanation.as_ref().expect("name hits are explained");
    assert!(!explanation.token_matches.is_empty());
    assert_ne!(decision(&verdict), Decision::Allow, "{verdict:?}");
    assert!(
        verdict.hits.iter().all(|h| h.role != "debtor"),
        "the debtor is not listed: {:?}",
        verdict.hits
    );
    assert!(!verdict.list_version.is_empty());
    assert!(!verdict.rule_version.is_empty());
    let timings = verdict.timings.expect("timings are reported");
    assert!(timings.total_us >= timings.match_us);
}

/// A verdict lists the rules that fired unless the server is set to list
/// every rule of the graph.
#[tokio::test]
async fn verdict_lists_fired_rules_only() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let verdict = client
        .screen(payment("T-fired", "Anna Schmidt", "BOUT, Viktor", "120.00"))
        .await
        .expect("screen succeeds")
        .into_inner();
    assert!(fired(&verdict, "sanctions_match"), "{:?}", verdict.rules);
    assert!(
        verdict.rules.iter().all(|rule| rule.fired),
        "{:?}",
        verdict.rules
    );
}

#[tokio::test]
async fn verdict_lists_every_rule_when_set() {
    use screener::config::VerdictRules;
    let server =
        TestServer::start(|config, _| config.rules.verdict_rules = VerdictRules::All).await;
    let mut client = server.client().await;
    let status = server
        .admin()
        .await
        .status(StatusRequest {})
        .await
        .expect("status succeeds")
        .into_inner();
    let verdict = client
        .screen(payment("T-all", "Anna Schmidt", "BOUT, Viktor", "120.00"))
        .await
        .expect("screen succeeds")
        .into_inner();
    assert_eq!(verdict.rules.len() as u64, status.rule_count);
    assert!(fired(&verdict, "sanctions_match"), "{:?}", verdict.rules);
    let unfired: Vec<_> = verdict.rules.iter().filter(|rule| !rule.fired).collect();
    assert!(!unfired.is_empty(), "{:?}", verdict.rules);
    assert!(unfired
        .iter()
        .all(|rule| rule.weight == 0.0 && rule.reason.is_empty()));
}

#[tokio::test]
async fn clean_payment_is_allowed() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let verdict = client
        .screen(payment("T-clean", "Anna Schmidt", "Jean Dupont", "42.50"))
        .await
        .expect("screen succeeds")
        .into_inner();
    assert_eq!(decision(&verdict), Decision::Allow, "{verdict:?}");
    assert!(verdict.hits.is_empty(), "{:?}", verdict.hits);
}

/// An IBAN printed in groups or in lower case is the same account as its
/// compact form, so the account's counts add up across the spellings.
#[tokio::test]
async fn iban_spellings_count_as_one_account() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let spellings = [
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "de89370400440532013000",
    ];
    let mut counts = Vec::new();
    for (n, iban) in spellings.iter().enumerate() {
        let mut tx = payment(
            &format!("T-IBAN-{n}"),
            "Anna Schmidt",
            "Jean Dupont",
            "10.00",
        );
        if let Some(debtor) = tx.debtor.as_mut() {
            debtor.iban = (*iban).to_string();
        }
        let verdict = client
            .screen(tx)
            .await
            .expect("screen succeeds")
            .into_inner();
        counts.push(verdict.aggregates.get("debtor_count_1h").copied());
    }
    assert_eq!(counts, [Some(1.0), Some(2.0), Some(3.0)]);
}

fn fired(verdict: &Verdict, rule_id: &str) -> bool {
    verdict
        .rules
        .iter()
        .any(|rule| rule.rule_id == rule_id && rule.fired)
}

#[tokio::test]
async fn new_counterparty_without_account_is_known_by_name() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let mut fires_for = async |id: &str, creditor: &str| {
        let mut tx = payment(id, "Anna Schmidt", creditor, "10775.00");
        if let Some(party) = tx.creditor.as_mut() {
            party.iban.clear();
        }
        let verdict = client
            .screen(tx)
            .await
            .expect("screen succeeds")
            .into_inner();
        fired(&verdict, "new_counterparty_large_amount")
    };

    assert!(fires_for("T-new-1", "Jean Dupont").await, "first payment");
    assert!(
        !fires_for("T-new-2", "DUPONT, Jean").await,
        "the same creditor, written surname first"
    );
    assert!(
        fires_for("T-new-3", "Marie Curie").await,
        "another creditor"
    );
}

#[tokio::test]
async fn listed_wallet_and_identifiers_are_hit() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let mut transaction = payment("T-crypto", "Anna Schmidt", "Jean Dupont", "10.00");
    transaction.crypto = Some(CryptoTransfer {
        destination_wallet: "0x098b716b8aaf21512996dc57eb0615e2383e2f96".into(),
        asset: "USDT".into(),
        ..CryptoTransfer::default()
    });
    transaction.creditor_agent = Some(Agent {
        bic: "GAZPRUMMXXX".into(),
        ..Agent::default()
    });
    transaction
        .debtor
        .as_mut()
        .expect("debtor")
        .identifiers
        .push(PartyIdentifier {
            scheme: "passport".into(),
            value: "21 N 0588027".into(),
            ..PartyIdentifier::default()
        });

    let verdict = client
        .screen(transaction)
        .await
        .expect("screen")
        .into_inner();

    let wallet = verdict
        .hits
        .iter()
        .find(|h| h.kind == "wallet")
        .expect("wallet hit");
    assert_eq!(wallet.entity_id, "W-1");
    assert_eq!(wallet.role, "destination_wallet");
    assert!(
        !wallet.notes.is_empty(),
        "asset mismatch is noted: {wallet:?}"
    );
    let bic = verdict
        .hits
        .iter()
        .find(|h| h.kind == "identifier" && h.role == "creditor_agent")
        .expect("BIC hit");
    assert_eq!(bic.entity_id, "O-1");
    let passport = verdict
        .hits
        .iter()
        .find(|h| h.kind == "identifier" && h.role == "debtor")
        .expect("passport hit");
    assert_eq!(passport.entity_id, "P-1");
    assert_eq!(decision(&verdict), Decision::Block, "{verdict:?}");
}

#[tokio::test]
async fn invalid_unary_request_names_the_field() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let mut transaction = payment("T-bad", "Anna", "Jean", "10");
    transaction
        .creditor
        .as_mut()
        .expect("creditor")
        .postal_address = Some(PostalAddress {
        country: "France".into(),
        ..PostalAddress::default()
    });
    let status = client
        .screen(transaction)
        .await
        .expect_err("invalid country");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("creditor.postal_address.country"),
        "{}",
        status.message()
    );
    let code = status
        .metadata()
        .get(screener::error::ERROR_CODE_METADATA)
        .expect("stable error code in metadata");
    assert_eq!(code.to_str().expect("ascii"), "invalid_argument");

    let missing_id = client
        .screen(Transaction::default())
        .await
        .expect_err("no id");
    assert!(
        missing_id.message().contains("end_to_end_id"),
        "{}",
        missing_id.message()
    );
}

#[tokio::test]
async fn stream_answers_every_transaction_and_survives_bad_ones() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let mut transactions = Vec::new();
    for i in 0..200 {
        let creditor = if i % 50 == 0 {
            "Viktor BOUT"
        } else {
            "Jean Dupont"
        };
        transactions.push(payment(
            &format!("S-{i}"),
            "Anna Schmidt",
            creditor,
            "99.00",
        ));
    }
    let mut bad = payment("S-bad", "Anna", "Jean", "12");
    bad.instructed_amount.as_mut().expect("amount").value = "twelve".into();
    transactions.insert(100, bad);

    let mut stream = client
        .screen_stream(tokio_stream::iter(transactions))
        .await
        .expect("stream opens")
        .into_inner();
    let mut verdicts = Vec::new();
    while let Some(verdict) = stream.next().await {
        verdicts.push(verdict.expect("verdict"));
    }

    assert_eq!(verdicts.len(), 201);
    let mut ids: Vec<&str> = verdicts.iter().map(|v| v.end_to_end_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 201, "every id answered once");
    let bad = verdicts
        .iter()
        .find(|v| v.end_to_end_id == "S-bad")
        .expect("bad id answered");
    let error = bad.error.as_ref().expect("error verdict");
    assert_eq!(error.field, "instructed_amount.value");
    assert_eq!(error.code, "invalid_argument");
    let flagged: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| v.hits.iter().any(|h| h.entity_id == "P-1"))
        .collect();
    assert_eq!(flagged.len(), 4, "every fiftieth creditor is listed");
}

#[tokio::test]
async fn retried_transaction_returns_stored_verdict() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let first = client
        .screen(payment("R-1", "Anna Schmidt", "Viktor Bout", "500.00"))
        .await
        .expect("first")
        .into_inner();
    assert!(!first.replayed);
    let second = client
        .screen(payment("R-1", "Anna Schmidt", "Viktor Bout", "500.00"))
        .await
        .expect("retry")
        .into_inner();
    assert!(second.replayed, "{second:?}");
    assert_eq!(second.decision, first.decision);
    assert_eq!(second.hits, first.hits);
    assert_eq!(second.screened_at_unix_ms, first.screened_at_unix_ms);

    let mut admin = server.admin().await;
    let stored = admin
        .get_verdict(GetVerdictRequest {
            end_to_end_id: "R-1".into(),
        })
        .await
        .expect("stored verdict")
        .into_inner();
    assert_eq!(stored.hits, first.hits);
    let missing = admin
        .get_verdict(GetVerdictRequest {
            end_to_end_id: "never-sent".into(),
        })
        .await
        .expect_err("unknown id");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let listed = admin
        .list_verdicts(ListVerdictsRequest {
            from_unix_ms: 0,
            to_unix_ms: 0,
            limit: 10,
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.verdicts.len(), 1, "a retry is not stored twice");
}

#[tokio::test]
async fn reused_id_with_other_content_rejected() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let first = client
        .screen(payment("R-2", "Anna Schmidt", "Jean Dupont", "500.00"))
        .await
        .expect("first")
        .into_inner();
    assert_eq!(decision(&first), Decision::Allow);

    // The same id on another payment, here to a listed person.
    let status = client
        .screen(payment("R-2", "Anna Schmidt", "Viktor Bout", "500.00"))
        .await
        .expect_err("a different payment under a screened id");
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    assert!(status.message().contains("R-2"), "{}", status.message());
    let code = status
        .metadata()
        .get(screener::error::ERROR_CODE_METADATA)
        .expect("stable error code in metadata");
    assert_eq!(code.to_str().expect("ascii"), "id_reused");

    // Any changed field counts, a remittance line too.
    let mut with_line = payment("R-2", "Anna Schmidt", "Jean Dupont", "500.00");
    with_line.remittance_information.push("invoice 7".into());
    let status = client.screen(with_line).await.expect_err("changed line");
    assert_eq!(status.code(), tonic::Code::AlreadyExists);

    // The stream returns the same error in place of a verdict.
    let changed = payment("R-2", "Anna Schmidt", "Jean Dupont", "1.00");
    let mut answers = client
        .screen_stream(tokio_stream::iter(vec![changed]))
        .await
        .expect("stream opens")
        .into_inner();
    let answer = answers
        .next()
        .await
        .expect("one answer")
        .expect("stream stays up");
    let error = answer.error.expect("an error, not a verdict");
    assert_eq!(error.code, "id_reused");
    assert_eq!(error.field, "end_to_end_id");
}

/// A transaction over `limits.max_message_bytes` is rejected alone, and the
/// stream goes on. Only a message over the decoding cap (four times the
/// limit, at least 4 MiB) ends the stream, with the reason.
#[tokio::test]
async fn oversized_stream_message_rejected_alone() {
    let server = TestServer::start(|config, _| config.limits.max_message_bytes = 64 * 1024).await;
    let mut client = server.client().await;
    let with_line = |id: &str, bytes: usize| {
        let mut tx = payment(id, "Anna Schmidt", "Jean Dupont", "5.00");
        tx.remittance_information.push("x".repeat(bytes));
        tx
    };
    let transactions = vec![
        payment("O-1", "Anna Schmidt", "Jean Dupont", "5.00"),
        with_line("O-2", 128 * 1024),
        payment("O-3", "Anna Schmidt", "Jean Dupont", "5.00"),
        with_line("O-4", 5 << 20),
    ];
    let mut answers = client
        .screen_stream(tokio_stream::iter(transactions))
        .await
        .expect("stream opens")
        .into_inner();
    let mut verdicts = HashMap::new();
    let status = loop {
        match answers.next().await.expect("the stream says why it ended") {
            Ok(verdict) => {
                verdicts.insert(verdict.end_to_end_id.clone(), verdict);
            }
            Err(status) => break status,
        }
    };
    assert!(verdicts["O-1"].error.is_none(), "{:?}", verdicts["O-1"]);
    assert!(verdicts["O-3"].error.is_none(), "{:?}", verdicts["O-3"]);
    let error = verdicts["O-2"].error.as_ref().expect("O-2 is rejected");
    assert_eq!(error.code, "invalid_argument");
    assert_eq!(error.field, "transaction");
    assert!(
        error.message.contains("limits.max_message_bytes"),
        "{}",
        error.message
    );
    assert!(!verdicts.contains_key("O-4"));
    assert!(
        status.message().contains("could not read"),
        "{}",
        status.message()
    );
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status}");
    assert!(
        status.message().contains("limits.max_message_bytes"),
        "{}",
        status.message()
    );
    let url = server.metrics_url.clone().expect("metrics enabled");
    let (_, body) = http_get(&url).await;
    let unreadable: f64 = parse_exposition(&body)
        .iter()
        .filter(|(name, labels, _)| {
            name == "screener_errors_total" && labels.contains("code=\"unreadable_message\"")
        })
        .map(|(_, _, value)| *value)
        .sum();
    assert!(unreadable >= 1.0, "{body}");
}

#[tokio::test]
async fn retry_with_attributes_in_other_order_is_replayed() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let keys: Vec<String> = (0..16).map(|n| format!("key-{n}")).collect();
    let mut first = payment("R-3", "Anna Schmidt", "Jean Dupont", "5.00");
    for key in &keys {
        first.attributes.insert(key.clone(), "v".into());
    }
    let answer = client.screen(first).await.expect("first").into_inner();
    assert!(!answer.replayed);
    // A map built in the reverse order encodes its entries in another order.
    let mut again = payment("R-3", "Anna Schmidt", "Jean Dupont", "5.00");
    for key in keys.iter().rev() {
        again.attributes.insert(key.clone(), "v".into());
    }
    let answer = client.screen(again).await.expect("retry").into_inner();
    assert!(answer.replayed, "{answer:?}");
}

#[tokio::test]
async fn party_and_wallet_lookups() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let party = client
        .screen_party(ScreenPartyRequest {
            name: "Gazprom Bank".into(),
            top_k: 3,
            ..ScreenPartyRequest::default()
        })
        .await
        .expect("party lookup")
        .into_inner();
    assert_eq!(
        party.hits.first().map(|h| h.entity_id.as_str()),
        Some("O-1")
    );

    let nothing = client
        .screen_party(ScreenPartyRequest {
            name: "--- !!!".into(),
            ..ScreenPartyRequest::default()
        })
        .await
        .expect("lookup of punctuation")
        .into_inner();
    assert!(nothing.hits.is_empty());
    assert!(
        nothing.note.contains("normalizes to nothing"),
        "{}",
        nothing.note
    );

    let wallet = client
        .screen_wallet(ScreenWalletRequest {
            address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT".into(),
            ..ScreenWalletRequest::default()
        })
        .await
        .expect("wallet lookup")
        .into_inner();
    assert_eq!(wallet.hits.len(), 1);
    assert_eq!(wallet.hits[0].entity_id, "W-1");

    let bad = client
        .screen_party(ScreenPartyRequest {
            name: "x".into(),
            top_k: 1000,
            ..ScreenPartyRequest::default()
        })
        .await
        .expect_err("top_k too large");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn cleared_hit_stops_counting_for_that_party() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    let before = client
        .screen(payment(
            "C-1",
            "Anna Schmidt",
            "Ahmad Khalil Hassan",
            "20.00",
        ))
        .await
        .expect("screen")
        .into_inner();
    assert!(before
        .hits
        .iter()
        .any(|h| h.entity_id == "P-2" && !h.cleared));
    assert_ne!(decision(&before), Decision::Allow);

    let mut admin = server.admin().await;
    admin
        .clear_hit(ClearHitRequest {
            party_name: "ahmad  khalil HASSAN".into(),
            list: "test_watchlist".into(),
            entity_id: "P-2".into(),
            analyst: "analyst-7".into(),
            reason: "different person, checked passport".into(),
        })
        .await
        .expect("clearance stored");

    let after = client
        .screen(payment(
            "C-2",
            "Anna Schmidt",
            "Ahmad Khalil Hassan",
            "20.00",
        ))
        .await
        .expect("screen")
        .into_inner();
    let hit = after
        .hits
        .iter()
        .find(|h| h.entity_id == "P-2")
        .expect("hit still reported");
    assert!(hit.cleared, "{hit:?}");
    assert_eq!(decision(&after), Decision::Allow, "{after:?}");

    let unknown = admin
        .clear_hit(ClearHitRequest {
            party_name: "x".into(),
            list: "test_watchlist".into(),
            entity_id: "NOPE".into(),
            analyst: "a".into(),
            reason: String::new(),
        })
        .await
        .expect_err("unknown entity");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn reload_rejects_broken_list_and_keeps_serving() {
    let server = TestServer::start(|_, _| {}).await;
    let mut admin = server.admin().await;
    let status = admin
        .status(StatusRequest {})
        .await
        .expect("status")
        .into_inner();
    assert_eq!(status.lists.len(), 1);
    assert_eq!(status.lists[0].entities, 5);
    let version = status.list_version.clone();

    // Replace the list with one that lost most entries: rejected.
    let path = server.dir.path().join("watchlist.csv");
    let shrunk: String = screener_tests::TEST_WATCHLIST
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, shrunk).expect("rewrite");
    let response = admin
        .reload(ReloadRequest {
            lists: true,
            rules: false,
        })
        .await
        .expect("reload call")
        .into_inner();
    assert!(!response.lists_reloaded);
    assert!(
        response.errors.iter().any(|e| e.contains("shrink")),
        "{:?}",
        response.errors
    );

    // A file that is not a list at all: rejected too.
    std::fs::write(&path, b"\x00\x01garbage").expect("rewrite");
    let response = admin
        .reload(ReloadRequest::default())
        .await
        .expect("reload call")
        .into_inner();
    assert!(!response.lists_reloaded);
    assert!(response.rules_reloaded, "rules reload on their own");

    // The old list still screens.
    let mut client = server.client().await;
    let verdict = client
        .screen(payment("RL-1", "Anna", "Viktor Bout", "1.00"))
        .await
        .expect("screen")
        .into_inner();
    assert_eq!(verdict.list_version, version);
    assert!(verdict.hits.iter().any(|h| h.entity_id == "P-1"));

    // A good new version is swapped in.
    let grown = format!(
        "{}P-3,person,Maria Example,,,,,,TEST,\n",
        screener_tests::TEST_WATCHLIST
    );
    std::fs::write(&path, grown).expect("rewrite");
    let response = admin
        .reload(ReloadRequest {
            lists: true,
            rules: false,
        })
        .await
        .expect("reload")
        .into_inner();
    assert!(response.lists_reloaded, "{:?}", response.errors);
    assert_ne!(response.list_version, version);
    let verdict = client
        .screen(payment("RL-2", "Anna", "Maria Example", "1.00"))
        .await
        .expect("screen")
        .into_inner();
    assert!(
        verdict.hits.iter().any(|h| h.entity_id == "P-3"),
        "{:?}",
        verdict.hits
    );
}

#[tokio::test]
async fn metrics_endpoint_exposes_counters() {
    let server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    client
        .screen(payment("M-1", "Anna", "Viktor Bout", "5.00"))
        .await
        .expect("screen");
    client
        .screen(payment("M-2", "Anna", "Jean Dupont", "5.00"))
        .await
        .expect("screen");
    let _ = client.screen(Transaction::default()).await;

    let url = server.metrics_url.clone().expect("metrics enabled");
    let (status, body) = http_get(&url).await;
    assert!(status.contains("200"), "{status}");
    let samples = parse_exposition(&body);
    let value = |name: &str, label: &str| -> f64 {
        samples
            .iter()
            .filter(|(n, labels, _)| n == name && labels.contains(label))
            .map(|(_, _, v)| *v)
            .sum()
    };
    assert!(value("screener_transactions_total", "decision=\"allow\"") >= 1.0);
    assert!(value("screener_hits_total", "list=\"test_watchlist\"") >= 1.0);
    assert!(value("screener_errors_total", "code=\"invalid_argument\"") >= 1.0);
    assert!(value("screener_stage_duration_seconds_count", "stage=\"total\"") >= 2.0);
    // The debtor of the second payment was screened in the first.
    assert!(value("screener_name_cache_lookups_total", "result=\"hit\"") >= 1.0);
    assert!(value("screener_name_cache_lookups_total", "result=\"miss\"") >= 1.0);
    assert!(value("screener_list_entities", "list=\"test_watchlist\"") >= 5.0);
    // The state gauges come from a periodic task; its first round runs at
    // start, but may follow this request. A new state folder has no stored
    // series to list.
    let mut state_samples = samples.clone();
    for _ in 0..50 {
        if state_samples
            .iter()
            .any(|(name, _, _)| name == "screener_state_stored_series_listed")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        state_samples = parse_exposition(&http_get(&url).await.1);
    }
    let state_value = |name: &str| -> Option<f64> {
        state_samples
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, v)| *v)
    };
    assert_eq!(
        state_value("screener_state_stored_series_listed"),
        Some(1.0)
    );
    assert!(state_value("screener_state_cached_series").is_some());
    // The test watch list states no publication date.
    let dated: Vec<f64> = samples
        .iter()
        .filter(|(n, labels, _)| n == "screener_list_dated" && labels.contains("test_watchlist"))
        .map(|(_, _, v)| *v)
        .collect();
    assert_eq!(dated, [0.0], "{body}");
    assert!(
        body.contains("# TYPE screener_stage_duration_seconds histogram"),
        "{body}"
    );

    let (not_found, _) = http_get(&url.replace("/metrics", "/nope")).await;
    assert!(not_found.contains("404"), "{not_found}");
}

/// Parses the Prometheus text format into (name, labels, value) samples,
/// checking that every sample line is well formed.
fn parse_exposition(body: &str) -> Vec<(String, String, f64)> {
    let mut samples = Vec::new();
    for line in body.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("malformed sample line {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("malformed value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels.trim_end_matches('}')),
            None => (series, ""),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "malformed metric name in {line:?}"
        );
        samples.push((name.to_string(), labels.to_string(), value));
    }
    samples
}

#[tokio::test]
async fn health_and_reflection_are_served() {
    let server = TestServer::start(|_, _| {}).await;
    let channel = server.channel().await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let response = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "screener.v1.Screener".into(),
        })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(
        response.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection")
        .into_inner();
    let response = responses.next().await.expect("one response").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"screener.v1.Screener".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"screener.v1.Admin".to_string()),
        "{names:?}"
    );
}

#[tokio::test]
async fn shutdown_drains_and_state_survives_restart() {
    let mut server = TestServer::start(|_, _| {}).await;
    let mut client = server.client().await;
    client
        .screen(payment("D-1", "Anna", "Viktor Bout", "5.00"))
        .await
        .expect("screen");
    server.stop().await;

    // The state store closes when the last engine handle drops.
    let TestServer {
        config,
        dir,
        engine,
        ..
    } = server;
    drop(engine);
    let restarted = TestServer::start_with(config, dir).await;
    let mut client = restarted.client().await;
    let again = client
        .screen(payment("D-1", "Anna", "Viktor Bout", "5.00"))
        .await
        .expect("screen")
        .into_inner();
    assert!(
        again.replayed,
        "the verdict outlived the restart: {again:?}"
    );
}

#[tokio::test]
async fn slow_reader_stalls_only_its_own_stream() {
    let server = TestServer::start(|config, _| {
        config.server.stream_buffer = 8;
        config.server.stream_concurrency = 4;
    })
    .await;

    // The stalled stream: a sender that would send 50,000 transactions, far
    // more than the HTTP/2 windows and stream buffers hold, and a response
    // stream that is never read.
    let (stalled_tx, stalled_rx) = tokio::sync::mpsc::channel::<Transaction>(16);
    let mut stalled_client = server.client().await;
    let _stalled = stalled_client
        .screen_stream(tokio_stream::wrappers::ReceiverStream::new(stalled_rx))
        .await
        .expect("stalled stream opens")
        .into_inner();
    let sender = tokio::spawn(async move {
        let mut sent = 0usize;
        for i in 0..50_000 {
            let tx = payment(
                &format!("STALL-{i}"),
                "Anna Schmidt",
                "Jean Dupont",
                "10.00",
            );
            match tokio::time::timeout(std::time::Duration::from_secs(2), stalled_tx.send(tx)).await
            {
                Ok(Ok(())) => sent += 1,
                _ => break,
            }
        }
        sent
    });

    // A second client on its own connection gets all its verdicts.
    let mut client = server.client().await;
    let transactions: Vec<_> = (0..500)
        .map(|i| payment(&format!("FREE-{i}"), "Anna Schmidt", "Jean Dupont", "10.00"))
        .collect();
    let mut stream = client
        .screen_stream(tokio_stream::iter(transactions))
        .await
        .expect("stream opens")
        .into_inner();
    let mut answered = 0usize;
    while let Some(verdict) = stream.next().await {
        assert!(verdict.expect("verdict").error.is_none());
        answered += 1;
    }
    assert_eq!(answered, 500);

    // The stalled stream was held back by its unread responses instead of
    // being read into memory without bound.
    let sent = sender.await.expect("sender task");
    assert!(
        sent < 50_000,
        "a stream whose verdicts are never read took all {sent} transactions"
    );
}

/// Returns one replay input line: a transaction of `amount` EUR from Anna
/// Schmidt to Jean Dupont.
fn replay_line(id: &str, amount: &str) -> String {
    format!(
        r#"{{"end_to_end_id":"{id}","instructed_amount":{{"value":"{amount}","currency":"EUR"}},"debtor":{{"name":"Anna Schmidt"}},"creditor":{{"name":"Jean Dupont"}}}}"#
    )
}

/// Writes `text` to a file named `name` and replays it on one stream.
/// Returns the exit code or the error message, and what the replay printed.
async fn replay_text(
    server: &TestServer,
    name: &str,
    text: &str,
) -> (Result<i32, String>, Vec<u8>) {
    let file = server.dir.path().join(name);
    std::fs::write(&file, text).expect("write file");
    let args = screener::replay::ReplayArgs {
        file,
        server: server.grpc_url.clone(),
        unary: false,
    };
    let mut out = Vec::new();
    let result = screener::replay::run_to(args, &mut out)
        .await
        .map_err(|error| format!("{error:#}"));
    (result, out)
}

/// An invalid transaction gets its verdict at once, without waiting for a
/// write, so it overtakes the valid ones sent before it on the stream.
/// Replay still prints every verdict in the order of its input lines.
#[tokio::test]
async fn replay_prints_verdicts_in_input_order() {
    let server = TestServer::start(|_, _| {}).await;
    let mut ids = Vec::new();
    let mut text = String::new();
    for n in 0..60 {
        let id = format!("ORDER-{n:02}");
        // Every tenth line has an amount the validator rejects.
        let amount = if n % 10 == 9 { "12,500.00" } else { "10.00" };
        text.push_str(&replay_line(&id, amount));
        text.push('\n');
        ids.push(id);
    }

    let (result, out) = replay_text(&server, "order.jsonl", &text).await;
    let code = result.expect("replay runs");
    assert_eq!(code, 2, "six lines are rejected");

    let printed: Vec<String> = String::from_utf8(out)
        .expect("UTF-8 output")
        .lines()
        .map(|line| {
            let verdict: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            verdict["end_to_end_id"]
                .as_str()
                .expect("id is a string")
                .to_owned()
        })
        .collect();
    assert_eq!(printed, ids);
}

/// Lines that reuse an id are screened in file order, so the first line is
/// the one screened and a later line with other content is the one
/// rejected, on every run.
#[tokio::test]
async fn replay_screens_reused_id_in_order() {
    let server = TestServer::start(|_, _| {}).await;
    let line = |amount: &str| replay_line("SAME-1", amount);
    let text = format!("{}\n{}\n{}\n", line("10.00"), line("11.00"), line("10.00"));

    let (result, out) = replay_text(&server, "same.jsonl", &text).await;
    let code = result.expect("replay runs");
    assert_eq!(code, 2, "the second line reuses the id");

    let printed: Vec<serde_json::Value> = String::from_utf8(out)
        .expect("UTF-8 output")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    assert_eq!(printed.len(), 3);
    assert!(printed[0]["error"].is_null(), "{}", printed[0]);
    assert_eq!(
        printed[0]["replayed"],
        serde_json::Value::Null,
        "{}",
        printed[0]
    );
    assert_eq!(printed[1]["error"]["code"], "id_reused", "{}", printed[1]);
    // The third line repeats the first exactly: a retry, whose verdict comes
    // from state.
    assert_eq!(printed[2]["replayed"], true, "{}", printed[2]);
}

#[tokio::test]
async fn replay_exit_code_reports_rejected_lines() {
    let server = TestServer::start(|_, _| {}).await;
    let good = r#"{"end_to_end_id":"R-1","instructed_amount":{"value":"10.00","currency":"EUR"},"debtor":{"name":"Anna Schmidt"},"creditor":{"name":"Jean Dupont"}}"#;
    let bad = r#"{"end_to_end_id":"R-2","instructed_amount":{"value":"12,500.00","currency":"EUR"},"debtor":{"name":"Anna Schmidt"},"creditor":{"name":"Jean Dupont"}}"#;
    let clean = server.dir.path().join("clean.jsonl");
    std::fs::write(&clean, format!("{good}\n")).expect("write file");
    let mixed = server.dir.path().join("mixed.jsonl");
    std::fs::write(&mixed, format!("{}\n{bad}\n", good.replace("R-1", "R-3"))).expect("write file");

    for unary in [false, true] {
        let args = |file: &std::path::Path| screener::replay::ReplayArgs {
            file: file.to_path_buf(),
            server: server.grpc_url.clone(),
            unary,
        };
        let code = screener::replay::run(args(&clean))
            .await
            .expect("replay runs");
        assert_eq!(code, 0, "unary {unary}: every line screened");
        let code = screener::replay::run(args(&mixed))
            .await
            .expect("replay runs");
        assert_eq!(code, 2, "unary {unary}: one line rejected");
        let broken = server.dir.path().join("broken.jsonl");
        let text = format!("{}\nnot json\n", good.replace("R-1", "R-4"));
        std::fs::write(&broken, text).expect("write file");
        let code = screener::replay::run(args(&broken))
            .await
            .expect("replay runs");
        assert_eq!(code, 2, "unary {unary}: one line is not JSON");
    }
}

#[tokio::test]
async fn replay_connect_errors_say_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("one.jsonl");
    std::fs::write(&file, "{}\n").expect("write file");
    // A port that was free a moment ago, so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let args = |server: String| screener::replay::ReplayArgs {
        file: file.clone(),
        server,
        unary: false,
    };

    let nothing_listening =
        screener::replay::run_to(args(format!("http://127.0.0.1:{port}")), &mut Vec::new())
            .await
            .expect_err("nothing listens");
    let message = format!("{nothing_listening:#}");
    assert!(message.contains("cannot connect"), "{message}");
    assert!(message.contains("screener serve"), "{message}");

    let no_scheme = screener::replay::run_to(args(format!("127.0.0.1:{port}")), &mut Vec::new())
        .await
        .expect_err("address without http://");
    let message = format!("{no_scheme:#}");
    assert!(message.contains("http://HOST:PORT"), "{message}");
    assert_eq!(
        message.matches("tcp connect error").count(),
        message.contains("tcp connect error") as usize,
        "{message}"
    );

    // A port that serves HTTP/1, such as the metrics endpoint.
    let server = TestServer::start(|_, _| {}).await;
    let metrics = server.metrics_url.clone().expect("metrics endpoint");
    let authority = metrics
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host and port")
        .to_string();
    let wrong_port = screener::replay::run_to(args(format!("http://{authority}")), &mut Vec::new())
        .await
        .expect_err("the metrics port is no gRPC server");
    let message = format!("{wrong_port:#}");
    assert!(message.contains("server.grpc_addr"), "{message}");

    // One call at a time: a failed call is a failed replay, not a
    // rejected line.
    let mut unary = args(format!("http://{authority}"));
    unary.unary = true;
    let failed = screener::replay::run_to(unary, &mut Vec::new())
        .await
        .expect_err("the metrics port is no gRPC server");
    let message = format!("{failed:#}");
    assert!(message.contains("Screen call failed"), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

/// A message over the decoding cap ends the stream; the error names the
/// first line that got no verdict, to resend from there.
#[tokio::test]
async fn replay_names_first_line_without_verdict() {
    let server = TestServer::start(|_, _| {}).await;
    let good = |id: &str| replay_line(id, "10.00");
    let huge = good("HUGE-2").replace(
        r#""creditor""#,
        &format!(
            r#""remittance_information":["{}"],"creditor""#,
            "x".repeat(5 << 20)
        ),
    );
    let text = format!("{}\n{huge}\n{}\n", good("HUGE-1"), good("HUGE-3"));

    let (result, _) = replay_text(&server, "huge.jsonl", &text).await;
    let error = result.expect_err("the stream ends");
    let message = format!("{error:#}");
    assert!(message.contains("ScreenStream failed"), "{message}");
    assert!(
        message.contains("the first line without a verdict"),
        "{message}"
    );
    assert!(message.contains("line 2"), "{message}");
}

#[tokio::test]
async fn small_messages_wait_for_a_slow_reader() {
    // The client sends small transactions one DATA frame each and reads no
    // verdict for a while, so the server stops reading and the frames
    // queue in its receive window. Flow control must hold the client back,
    // and HTTP/2's guard against floods of small frames must not drop the
    // connection.
    let server = TestServer::start(|config, _| {
        config.server.stream_concurrency = 1;
        config.server.stream_buffer = 1;
    })
    .await;
    let channel = tonic::transport::Endpoint::from_shared(server.grpc_url.clone())
        .expect("valid url")
        .initial_stream_window_size(65_535)
        .connect()
        .await
        .expect("channel connects");
    let mut client = screener_proto::v1::screener_client::ScreenerClient::new(channel);

    const TOTAL: usize = 5_000;
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    let feed = tokio::spawn(async move {
        for i in 0..TOTAL {
            let transaction = Transaction {
                end_to_end_id: format!("F-{i}"),
                instructed_amount: Some(Amount {
                    value: "1".into(),
                    currency: "EUR".into(),
                }),
                debtor: Some(Party {
                    name: "Anna Schmidt".into(),
                    ..Party::default()
                }),
                ..Transaction::default()
            };
            if sender.send(transaction).await.is_err() {
                break;
            }
            // Each message leaves as its own DATA frame.
            tokio::task::yield_now().await;
        }
    });

    let mut stream = client
        .screen_stream(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .expect("stream opens")
        .into_inner();
    // Setup wait, not a measurement: long enough for the windows to fill.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;

    let mut answered = 0;
    while let Some(verdict) = stream.next().await {
        let verdict = verdict
            .unwrap_or_else(|status| panic!("stream broken after {answered} verdicts: {status}"));
        assert!(verdict.error.is_none(), "{verdict:?}");
        answered += 1;
    }
    feed.await.expect("feed task");
    assert_eq!(answered, TOTAL);
}

/// A server that shuts down mid-replay makes the replay fail naming the
/// first line to resend. The stream usually ends without an error. When
/// the server's socket closes with request data unread, the client sees
/// the connection break instead, and the message then blames a stopped
/// server, not a wrong port.
#[tokio::test]
async fn replay_after_shutdown_names_resend_line() {
    let mut server = TestServer::start(|_, _| {}).await;
    let lines: Vec<String> = (0..20_000)
        .map(|i| replay_line(&format!("D-{i}"), "10.00"))
        .collect();
    let file = server.dir.path().join("long.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write file");
    let args = screener::replay::ReplayArgs {
        file,
        server: server.grpc_url.clone(),
        unary: false,
    };
    let replay = tokio::spawn(async move {
        let mut out = Vec::new();
        screener::replay::run_to(args, &mut out)
            .await
            .map_err(|error| format!("{error:#}"))
    });

    // Stop once the first transaction is stored, long before the last.
    let mut admin = server.admin().await;
    loop {
        let first = GetVerdictRequest {
            end_to_end_id: "D-0".into(),
        };
        if admin.get_verdict(first).await.is_ok() {
            break;
        }
        tokio::task::yield_now().await;
    }
    server.stop().await;

    let message = replay
        .await
        .expect("replay task")
        .expect_err("lines after the shutdown got no verdict");
    if message.starts_with("ScreenStream failed") {
        assert!(
            message.contains("did the server stop or crash?"),
            "{message}"
        );
        assert!(!message.contains("metrics one"), "{message}");
    } else {
        assert!(message.contains("got no verdict"), "{message}");
    }
    let line: usize = message
        .split("the first line without a verdict is ")
        .nth(1)
        .and_then(|rest| rest.rsplit("line ").next())
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or_else(|| panic!("no resend line in: {message}"));
    assert!((2..=20_000).contains(&line), "{message}");
}

#[tokio::test]
async fn bench_reports_a_stream_the_server_closed() {
    use screener::loadgen::{drive, BenchConfig, Sources};
    use std::time::Duration;

    let mut server = TestServer::start(|_, _| {}).await;
    let config = BenchConfig {
        server: server.grpc_url.clone(),
        streams: 2,
        rate: 200.0,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(30),
        drain: Duration::from_secs(5),
        seed: 1,
        run_id: "closed".into(),
        max_in_flight: 16,
        tick: Duration::from_micros(250),
        generator: Default::default(),
        sources: Sources::built_in(),
    };
    let run = tokio::spawn(drive(config));
    // Let the run send for a while, then shut the server down under it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.stop().await;

    let report = run.await.expect("the run task").expect("the run connects");
    assert!(report.answered > 0, "the run got verdicts before the stop");
    assert!(report.errors.unsent > 0, "the stop cut the schedule short");
    let failures = &report.errors.stream_failures;
    assert_eq!(failures.len(), 2, "{failures:?}");
    for failure in failures {
        assert!(
            failure.contains("the server closed the stream"),
            "{failure}"
        );
    }
    assert_eq!(report.exit_code(), 1);
    assert!(report.behind_note().is_none());
}

#[tokio::test]
async fn bench_send_lag_at_fixed_rate() {
    use screener::loadgen::{drive, BenchConfig, Sources};
    use std::time::Duration;

    let mut server = TestServer::start(|_, _| {}).await;
    let config = |rate: f64, run_id: &str| BenchConfig {
        server: server.grpc_url.clone(),
        streams: 1,
        rate,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(1),
        drain: Duration::from_secs(30),
        seed: 1,
        run_id: run_id.into(),
        max_in_flight: 8,
        tick: Duration::from_micros(250),
        generator: Default::default(),
        sources: Sources::built_in(),
    };

    let fixed = drive(config(50.0, "fixed")).await.expect("fixed-rate run");
    assert!(fixed.answered > 0);
    assert!(
        fixed.max_send_lag_us.is_some(),
        "a fixed rate has due times"
    );
    let open = drive(config(0.0, "open")).await.expect("open run");
    assert!(open.answered > 0);
    assert_eq!(open.max_send_lag_us, None, "maximum throughput has none");
    let json = serde_json::to_value(&open).expect("report serializes");
    assert!(json["max_send_lag_us"].is_null());
    let table = open.to_table();
    assert!(
        table.contains("no due times at maximum throughput"),
        "{table}"
    );
    server.stop().await;
}
