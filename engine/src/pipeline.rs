//! Screening one transaction: validate, match every party, wallet,
//! identifier and remittance line, apply clearances, update aggregates,
//! evaluate the rule graph, and commit the verdict durably before it is
//! returned.

use std::time::{Duration, Instant};

use prost::Message;
use screener_lists::{EntityKind, IdentifierKind, NameQuery, NameResult, PartialDate, TextHitKind};
use screener_proto::v1::{
    ClearHitRequest, Decision as ProtoDecision, Hit, HitExplanation, Party, PartyKind,
    RuleResult as ProtoRuleResult, ScreenPartyRequest, ScreenPartyResponse, ScreenWalletRequest,
    ScreenWalletResponse, StageTimings, TokenMatch, Transaction, TypologyResult as ProtoTypology,
    Verdict,
};
use screener_rules::{
    AggregateField, AggregateFunction, AggregateKey, Decision, Evaluation, Facts, Role, WalletSide,
};
use sha2::{Digest, Sha256};

use crate::catalog::ListSet;
use crate::config::VerdictRules;
use crate::engine::Engine;
use crate::error::ServerError;
use crate::metrics;
use crate::offline::identifier_kind;
use crate::policy::{unix_ms_now, RuleSet};
use crate::state::{
    pair_key, AggregateUpdate, AuditEntry, AuditRecord, Begin, Clearance, ClearanceKey,
    ClearanceStatus, CommitHandle, Contribution, Decision as StateDecision, Reservation,
    StateError,
};

/// Hit kinds as they appear in verdicts and metrics.
pub const KIND_NAME: &str = "name";
pub const KIND_WALLET: &str = "wallet";
pub const KIND_IDENTIFIER: &str = "identifier";
pub const KIND_TEXT: &str = "text";

/// Score given to exact wallet, identifier and free-text address hits.
const EXACT_HIT_SCORE: f64 = 1.0;

/// How many times a transaction id held by a concurrent request is waited
/// for before giving up with a retryable error.
const MAX_IN_FLIGHT_WAITS: usize = 3;

/// Screens one transaction end to end.
///
/// Moving a future copies all of it, so this one is kept small: the
/// transaction comes boxed, and the work between reserving the id and
/// awaiting the commit runs in [`screen_reserved`], which does not await.
pub async fn screen(
    engine: &Engine,
    mut transaction: Box<Transaction>,
) -> Result<Verdict, ServerError> {
    let started = Instant::now();
    crate::validate::check_transaction(&transaction, &engine.config().limits)?;

    // A retried transaction gets its stored verdict and is not counted again.
    let digest = request_digest(&mut transaction);
    let reservation = match reserve(engine, &transaction.end_to_end_id, &digest).await? {
        Reserved::New(reservation) => reservation,
        Reserved::Stored(verdict) => return Ok(*verdict),
    };
    let screened = screen_reserved(engine, &transaction, reservation, digest, started)?;
    drop(transaction);
    screened.commit.await.map_err(state_error)?;

    let Screened {
        mut verdict,
        mut timings,
        commit_started,
        ..
    } = screened;
    timings.state_us += micros(commit_started.elapsed());
    timings.total_us = micros(started.elapsed());
    record_metrics(&verdict, &timings);
    verdict.timings = Some(timings);
    Ok(verdict)
}

/// A screened transaction whose verdict and aggregate updates are on their
/// way to the state store.
struct Screened {
    verdict: Verdict,
    commit: CommitHandle,
    /// Every stage but the commit. `state_us` is the aggregate updates so far.
    timings: StageTimings,
    commit_started: Instant,
}

/// Matches a reserved transaction, applies its aggregates, evaluates the
/// rules and queues the verdict with the aggregate updates as one commit.
fn screen_reserved(
    engine: &Engine,
    transaction: &Transaction,
    mut reservation: Reservation,
    digest: Vec<u8>,
    started: Instant,
) -> Result<Screened, ServerError> {
    // One list snapshot and one rule graph for the whole transaction.
    let lists = engine.lists();
    let rules = engine.rules();
    let normalize_done = Instant::now();

    // Matching.
    let mut screening = Screening::default();
    match_transaction(engine, &lists, transaction, &mut screening);
    apply_clearances(engine, &lists, transaction, &mut screening)?;
    let match_done = Instant::now();

    // Facts, aggregates and the rule graph.
    let now_ms = unix_ms_now();
    let mut facts = rules.graph().new_facts();
    fill_facts(transaction, &screening, &mut facts);
    let state_started = Instant::now();
    let aggregates = apply_aggregates(&rules, transaction, &mut facts, &mut reservation, now_ms)?;
    let state_apply = state_started.elapsed();
    let mut evaluation = Evaluation::new();
    rules
        .graph()
        .evaluate(&facts, &mut evaluation)
        .map_err(|e| ServerError::State(format!("rule evaluation failed: {e}")))?;
    let rules_done = Instant::now();

    // The verdict, committed with the aggregate updates in one batch.
    let mut verdict = build_verdict(
        transaction,
        &screening,
        &evaluation,
        &lists,
        &rules,
        now_ms,
        engine.config().rules.verdict_rules,
    );
    verdict.aggregates = aggregates;
    let commit_started = Instant::now();
    let commit = commit(reservation, &verdict, &evaluation, digest, now_ms)?;
    let timings = StageTimings {
        normalize_us: micros(normalize_done - started),
        match_us: micros(match_done - normalize_done),
        rules_us: micros(rules_done - match_done).saturating_sub(micros(state_apply)),
        state_us: micros(state_apply),
        total_us: 0,
    };
    Ok(Screened {
        verdict,
        commit,
        timings,
        commit_started,
    })
}

enum Reserved {
    New(Reservation),
    Stored(Box<Verdict>),
}

/// Returns a SHA-256 digest of the transaction as the client sent it.
/// Attributes are hashed in key order, since the encoding of a map does not
/// fix one.
fn request_digest(transaction: &mut Transaction) -> Vec<u8> {
    let attributes = std::mem::take(&mut transaction.attributes);
    let encoded = transaction.encode_to_vec();
    transaction.attributes = attributes;
    let mut hasher = Sha256::new();
    hasher.update((encoded.len() as u64).to_be_bytes());
    hasher.update(&encoded);
    let mut pairs: Vec<(&String, &String)> = transaction.attributes.iter().collect();
    pairs.sort();
    for (key, value) in pairs {
        for part in [key, value] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
    }
    hasher.finalize().to_vec()
}

/// Reserves the transaction id, or returns the verdict stored for it when
/// the request is a retry of the one screened.
async fn reserve(engine: &Engine, id: &str, digest: &[u8]) -> Result<Reserved, ServerError> {
    for _ in 0..MAX_IN_FLIGHT_WAITS {
        match engine.state().begin(id).map_err(state_error)? {
            Begin::New(reservation) => return Ok(Reserved::New(reservation)),
            Begin::Seen(record) => return stored(&record, digest),
            Begin::InFlight(wait) => {
                if let Some(record) = wait.wait().await {
                    return stored(&record, digest);
                }
                // The other request failed before committing; try to take the id.
            }
        }
    }
    Err(ServerError::State(format!(
        "transaction {id:?} is being screened by another request that keeps failing"
    )))
}

/// Returns the stored verdict of `record` if `digest` is that of the request
/// it was made for. Records of the earlier format have no digest and are
/// returned as they are.
fn stored(record: &AuditRecord, digest: &[u8]) -> Result<Reserved, ServerError> {
    let stored = &record.entry.request_digest;
    if !stored.is_empty() && stored.as_slice() != digest {
        return Err(ServerError::IdReused {
            id: record.txn_id.clone(),
        });
    }
    Ok(Reserved::Stored(Box::new(replayed(&record.entry.verdict)?)))
}

fn replayed(bytes: &[u8]) -> Result<Verdict, ServerError> {
    let mut verdict = Verdict::decode(bytes)
        .map_err(|e| ServerError::State(format!("stored verdict cannot be decoded: {e}")))?;
    verdict.replayed = true;
    metrics::record_replayed();
    Ok(verdict)
}

fn state_error(error: StateError) -> ServerError {
    match error {
        StateError::TooLong { .. } | StateError::Empty { .. } => {
            ServerError::invalid("end_to_end_id", error.to_string())
        }
        other => {
            crate::error::log_state_failure(&other);
            ServerError::State(other.to_string())
        }
    }
}

fn micros(duration: Duration) -> u64 {
    duration.as_micros().min(u64::MAX as u128) as u64
}

/// Everything matching found for one transaction.
#[derive(Default)]
struct Screening {
    hits: Vec<Hit>,
    /// Best uncleared score per role for names and identifiers.
    best: [f64; 6],
    /// Best cleared score per role.
    cleared: [f64; 6],
    identifier_hit: [bool; 6],
    wallet_score: [f64; 2],
    text_score: f64,
    notes: Vec<String>,
}

const ROLES: [Role; 6] = Role::ALL;

fn role_index(role: Role) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(0)
}

fn match_transaction(
    engine: &Engine,
    lists: &ListSet,
    tx: &Transaction,
    screening: &mut Screening,
) {
    let parties = [
        (Role::Debtor, &tx.debtor),
        (Role::Creditor, &tx.creditor),
        (Role::UltimateDebtor, &tx.ultimate_debtor),
        (Role::UltimateCreditor, &tx.ultimate_creditor),
    ];
    for (role, party) in parties {
        if let Some(party) = party {
            match_party(engine, lists, role, party, screening);
        }
    }
    for (role, agent) in [
        (Role::DebtorAgent, &tx.debtor_agent),
        (Role::CreditorAgent, &tx.creditor_agent),
    ] {
        let Some(agent) = agent else { continue };
        if !agent.name.trim().is_empty() {
            let query = NameQuery {
                name: agent.name.clone(),
                kind: Some(EntityKind::Organization),
                country: non_empty(&agent.country),
                threshold: Some(engine.config().lists.name_threshold),
                top_k: Some(engine.config().limits.max_hits_per_party),
                ..NameQuery::default()
            };
            name_hits(lists, role, &agent.name, &query, screening);
        }
        if !agent.bic.is_empty() {
            identifier_hits(
                lists,
                role,
                Some(&IdentifierKind::Bic),
                &agent.bic,
                screening,
            );
        }
    }
    if let Some(crypto) = &tx.crypto {
        let asset = non_empty(&crypto.asset);
        for (side, address) in [
            (WalletSide::Source, &crypto.source_wallet),
            (WalletSide::Destination, &crypto.destination_wallet),
        ] {
            if address.trim().is_empty() {
                continue;
            }
            wallet_hits(lists, side, address, asset.as_deref(), screening);
        }
    }
    for line in &tx.remittance_information {
        text_hits(lists, line, screening);
    }
}

fn match_party(
    engine: &Engine,
    lists: &ListSet,
    role: Role,
    party: &Party,
    screening: &mut Screening,
) {
    if !party.name.trim().is_empty() {
        let country = non_empty(&party.nationality).or_else(|| {
            party
                .postal_address
                .as_ref()
                .and_then(|a| non_empty(&a.country))
        });
        let query = NameQuery {
            name: party.name.clone(),
            kind: match PartyKind::try_from(party.kind) {
                Ok(PartyKind::Person) => Some(EntityKind::Person),
                Ok(PartyKind::Organization) => Some(EntityKind::Organization),
                _ => None,
            },
            birth_date: PartialDate::parse_iso(&party.birth_date),
            country,
            threshold: Some(engine.config().lists.name_threshold),
            top_k: Some(engine.config().limits.max_hits_per_party),
            ..NameQuery::default()
        };
        name_hits(lists, role, &party.name, &query, screening);
    }
    for identifier in &party.identifiers {
        let kind = identifier_kind(&identifier.scheme);
        identifier_hits(lists, role, kind.as_ref(), &identifier.value, screening);
    }
}

fn name_hits(
    lists: &ListSet,
    role: Role,
    name: &str,
    query: &NameQuery,
    screening: &mut Screening,
) {
    let result = lists.screen_name(query);
    let hits = match &*result {
        NameResult::Hits(hits) => hits,
        NameResult::NormalizesToNothing => {
            // NOTE: validation rejects names without a letter or digit, so a
            // transaction gets here only for letters that transliterate to
            // nothing. Such a party is then not screened and only noted.
            screening.notes.push(format!(
                "{} name normalizes to nothing (only punctuation or symbols) and was not screened",
                role.as_str()
            ));
            return;
        }
    };
    let index = role_index(role);
    for hit in hits {
        screening.best[index] = screening.best[index].max(hit.score);
        let explanation = HitExplanation {
            token_matches: hit
                .explanation
                .matched_tokens
                .iter()
                .map(|t| TokenMatch {
                    query_token: t.query.clone(),
                    list_token: t.listed.clone(),
                    similarity: t.similarity,
                    weight: t.weight,
                })
                .collect(),
            unmatched_query_tokens: hit.explanation.unmatched_query.clone(),
            unmatched_list_tokens: hit.explanation.unmatched_listed.clone(),
            adjustments: hit
                .explanation
                .adjustments
                .iter()
                .map(|a| format!("{} ({})", a.reason, describe_effect(a.effect)))
                .collect(),
            name_score: hit.explanation.name_score,
        };
        screening.hits.push(Hit {
            role: role.as_str().to_string(),
            kind: KIND_NAME.to_string(),
            entity_name: entity_name(lists, &hit.list, &hit.entity_id),
            programs: programs(lists, &hit.list, &hit.entity_id),
            list: hit.list.clone(),
            entity_id: hit.entity_id.clone(),
            matched_value: hit.matched_name.clone(),
            query_value: name.to_string(),
            score: hit.score,
            explanation: Some(explanation),
            notes: Vec::new(),
            cleared: false,
        });
    }
}

/// Returns a score adjustment as "x0.95" or "+0.05".
pub fn describe_effect(effect: screener_lists::Effect) -> String {
    match effect {
        screener_lists::Effect::Multiply(factor) => format!("x{factor:.2}"),
        screener_lists::Effect::Add(bonus) => format!("{bonus:+.2}"),
    }
}

fn identifier_hits(
    lists: &ListSet,
    role: Role,
    kind: Option<&IdentifierKind>,
    value: &str,
    screening: &mut Screening,
) {
    let index = role_index(role);
    for hit in lists.snapshot().screen_identifier(kind, value) {
        screening.identifier_hit[index] = true;
        screening.best[index] = screening.best[index].max(EXACT_HIT_SCORE);
        screening.hits.push(Hit {
            role: role.as_str().to_string(),
            kind: KIND_IDENTIFIER.to_string(),
            entity_name: entity_name(lists, &hit.list, &hit.entity_id),
            programs: programs(lists, &hit.list, &hit.entity_id),
            list: hit.list,
            entity_id: hit.entity_id,
            matched_value: hit.listed_value,
            query_value: value.to_string(),
            score: EXACT_HIT_SCORE,
            notes: vec![format!("identifier kind {:?}", hit.kind)],
            ..Hit::default()
        });
    }
}

/// Looks up an identifier in `lists` and returns a ScreenParty response
/// whose hits are of kind identifier. `screener screen --identifier
/// --json` prints it.
pub fn identifier_response(
    lists: &ListSet,
    kind: Option<&IdentifierKind>,
    value: &str,
) -> ScreenPartyResponse {
    let mut screening = Screening::default();
    identifier_hits(lists, Role::Debtor, kind, value, &mut screening);
    for hit in &mut screening.hits {
        hit.role = "party".to_string();
    }
    ScreenPartyResponse {
        hits: screening.hits,
        list_version: lists.version().to_string(),
        note: String::new(),
    }
}

fn wallet_hits(
    lists: &ListSet,
    side: WalletSide,
    address: &str,
    asset: Option<&str>,
    screening: &mut Screening,
) {
    let result = lists.snapshot().screen_wallet(address, asset);
    let role = match side {
        WalletSide::Source => "source_wallet",
        WalletSide::Destination => "destination_wallet",
    };
    if let screener_lists::Validity::Invalid(reason) = &result.validity {
        screening.notes.push(format!("{role} {reason}"));
    }
    let side_index = match side {
        WalletSide::Source => 0,
        WalletSide::Destination => 1,
    };
    for hit in result.hits {
        screening.wallet_score[side_index] = EXACT_HIT_SCORE;
        screening.hits.push(Hit {
            role: role.to_string(),
            kind: KIND_WALLET.to_string(),
            entity_name: entity_name(lists, &hit.list, &hit.entity_id),
            programs: programs(lists, &hit.list, &hit.entity_id),
            list: hit.list,
            entity_id: hit.entity_id,
            matched_value: format!("{} {}", hit.listed_asset, hit.listed_address),
            query_value: address.to_string(),
            score: EXACT_HIT_SCORE,
            notes: hit.note.into_iter().collect(),
            ..Hit::default()
        });
    }
}

/// Score of a listed name found in free text: below an exact address, since
/// a name in a memo can be a mention rather than a party.
const TEXT_NAME_SCORE: f64 = 0.9;

fn text_hits(lists: &ListSet, line: &str, screening: &mut Screening) {
    for hit in lists.snapshot().scan_text(line) {
        let score = match hit.kind {
            TextHitKind::Wallet => EXACT_HIT_SCORE,
            TextHitKind::Name => TEXT_NAME_SCORE,
        };
        screening.text_score = screening.text_score.max(score);
        screening.hits.push(Hit {
            role: "remittance_information".to_string(),
            kind: KIND_TEXT.to_string(),
            entity_name: entity_name(lists, &hit.list, &hit.entity_id),
            programs: programs(lists, &hit.list, &hit.entity_id),
            list: hit.list,
            entity_id: hit.entity_id,
            matched_value: hit.listed,
            query_value: hit.found,
            score,
            ..Hit::default()
        });
    }
}

fn entity_name(lists: &ListSet, list: &str, id: &str) -> String {
    lists
        .snapshot()
        .entity(list, id)
        .and_then(|e| e.primary_name())
        .map(|n| n.full.clone())
        .unwrap_or_default()
}

fn programs(lists: &ListSet, list: &str, id: &str) -> Vec<String> {
    lists
        .snapshot()
        .entity(list, id)
        .map(|e| e.programs.clone())
        .unwrap_or_default()
}

fn non_empty(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_ascii_uppercase())
}

/// The digest of an entity's content, which a clearance is tied to.
pub fn entity_digest(entity: &screener_lists::Entity) -> Vec<u8> {
    let encoded = serde_json::to_vec(entity).unwrap_or_default();
    Sha256::digest(&encoded).to_vec()
}

/// The form of a party name a clearance is keyed by: case, accents,
/// punctuation and spacing folded, so that the same party written slightly
/// differently stays cleared.
pub fn clearance_name(name: &str) -> String {
    let tokens = screener_lists::normalize::normalize(name);
    if tokens.is_empty() {
        return name.trim().to_lowercase();
    }
    tokens.latin_text()
}

/// Marks name hits that an analyst cleared for this party, as long as the
/// list entry is unchanged, and moves their score out of the role's best.
fn apply_clearances(
    engine: &Engine,
    lists: &ListSet,
    tx: &Transaction,
    screening: &mut Screening,
) -> Result<(), ServerError> {
    if screening.hits.is_empty() {
        return Ok(());
    }
    let mut best = [0.0f64; 6];
    for hit in screening.hits.iter_mut() {
        let Some(role) = ROLES.into_iter().find(|r| r.as_str() == hit.role) else {
            continue;
        };
        let index = role_index(role);
        if hit.kind != KIND_NAME {
            best[index] = best[index].max(hit.score);
            continue;
        }
        let party = party_name(tx, role);
        let Some(entity) = lists.snapshot().entity(&hit.list, &hit.entity_id) else {
            best[index] = best[index].max(hit.score);
            continue;
        };
        let key = ClearanceKey {
            party_name: &clearance_name(party),
            list: &hit.list,
            entity_id: &hit.entity_id,
        };
        let status = engine
            .state()
            .clearance(key, &entity_digest(entity))
            .map_err(state_error)?;
        match status {
            ClearanceStatus::Applies(clearance) => {
                hit.cleared = true;
                hit.notes.push(format!(
                    "cleared by {} on {}: {}",
                    clearance.analyst, clearance.cleared_at_ms, clearance.note
                ));
                screening.cleared[index] = screening.cleared[index].max(hit.score);
            }
            ClearanceStatus::Voided(clearance) => {
                hit.notes.push(format!(
                    "a clearance by {} no longer applies because the list entry changed",
                    clearance.analyst
                ));
                best[index] = best[index].max(hit.score);
            }
            ClearanceStatus::None => best[index] = best[index].max(hit.score),
        }
    }
    screening.best = best;
    Ok(())
}

fn party_name(tx: &Transaction, role: Role) -> &str {
    let party = match role {
        Role::Debtor => tx.debtor.as_ref().map(|p| p.name.as_str()),
        Role::Creditor => tx.creditor.as_ref().map(|p| p.name.as_str()),
        Role::UltimateDebtor => tx.ultimate_debtor.as_ref().map(|p| p.name.as_str()),
        Role::UltimateCreditor => tx.ultimate_creditor.as_ref().map(|p| p.name.as_str()),
        Role::DebtorAgent => tx.debtor_agent.as_ref().map(|a| a.name.as_str()),
        Role::CreditorAgent => tx.creditor_agent.as_ref().map(|a| a.name.as_str()),
    };
    party.unwrap_or("")
}

/// Sets every transaction feature the rule graph reads.
fn fill_facts(tx: &Transaction, screening: &Screening, facts: &mut Facts) {
    for (index, role) in ROLES.into_iter().enumerate() {
        facts.set_sanctions_score(role, screening.best[index]);
        if screening.cleared[index] > 0.0 {
            facts.set_cleared_hit(role, screening.cleared[index]);
        }
        facts.set_identifier_hit(role, screening.identifier_hit[index]);
    }
    facts.set_wallet_score(WalletSide::Source, screening.wallet_score[0]);
    facts.set_wallet_score(WalletSide::Destination, screening.wallet_score[1]);
    facts.set_free_text_score(screening.text_score);
    if let Some(amount) = &tx.instructed_amount {
        if let Ok(value) = crate::validate::parse_amount(&amount.value) {
            facts.set_amount(value, &amount.currency.to_ascii_uppercase());
        }
    }
    let parties = [
        (Role::Debtor, &tx.debtor),
        (Role::Creditor, &tx.creditor),
        (Role::UltimateDebtor, &tx.ultimate_debtor),
        (Role::UltimateCreditor, &tx.ultimate_creditor),
    ];
    for (role, party) in parties {
        let Some(party) = party else { continue };
        if let Some(country) = party
            .postal_address
            .as_ref()
            .and_then(|a| non_empty(&a.country))
        {
            facts.set_country(role, &country);
        }
        if let Some(nationality) = non_empty(&party.nationality) {
            facts.set_nationality(role, &nationality);
        }
    }
    for (role, agent) in [
        (Role::DebtorAgent, &tx.debtor_agent),
        (Role::CreditorAgent, &tx.creditor_agent),
    ] {
        let Some(agent) = agent else { continue };
        if !agent.bic.is_empty() {
            // The BIC was validated, so its country letters are present.
            let _ = facts.set_agent_bic(role, &agent.bic.to_ascii_uppercase());
        }
        if let Some(country) = non_empty(&agent.country) {
            facts.set_country(role, &country);
        }
    }
    if !tx.channel.is_empty() {
        facts.set_channel(&tx.channel.to_ascii_lowercase());
    }
    if !tx.purpose_code.is_empty() {
        facts.set_purpose(&tx.purpose_code.to_ascii_uppercase());
    }
    if let Some(crypto) = &tx.crypto {
        if !crypto.asset.is_empty() {
            facts.set_crypto_asset(&crypto.asset.to_ascii_uppercase());
        }
    }
}

/// Returns the party's account: its IBAN in compact form (no spaces, upper
/// case), so that one account counts once however it is printed, else its
/// account id.
fn account(party: &Option<Party>) -> Option<std::borrow::Cow<'_, str>> {
    let party = party.as_ref()?;
    if !party.iban.trim().is_empty() {
        return Some(crate::validate::compact_iban(&party.iban));
    }
    let id = party.account_id.trim();
    (!id.is_empty()).then_some(std::borrow::Cow::Borrowed(id))
}

fn party_key(party: &Option<Party>) -> Option<String> {
    let party = party.as_ref()?;
    let name = clearance_name(&party.name);
    (!name.is_empty()).then_some(name)
}

/// Identifies one side of a payment in the debtor-creditor pair: its
/// account, else its wallet, else its normalized name. The wallet and name
/// forms begin with a NUL byte, which validation keeps out of accounts, so
/// neither can equal an account.
fn counterparty(party: &Option<Party>, wallet: Option<Vec<u8>>) -> Option<Vec<u8>> {
    if let Some(account) = account(party) {
        return Some(account.as_bytes().to_vec());
    }
    let (tag, id): (&[u8], Vec<u8>) = match wallet {
        Some(wallet) => (b"\0wallet\0", wallet),
        None => (b"\0name\0", party_key(party)?.into_bytes()),
    };
    Some([tag, &id].concat())
}

/// Series key bytes for an aggregate key or counted field.
fn key_bytes(tx: &Transaction, key: AggregateKey) -> Option<Vec<u8>> {
    let wallet = |pick: fn(&screener_proto::v1::CryptoTransfer) -> &str| {
        tx.crypto
            .as_ref()
            .map(pick)
            .filter(|w| !w.trim().is_empty())
            .map(|w| {
                screener_lists::wallet::canonicalize(w.trim())
                    .0
                    .into_bytes()
            })
    };
    match key {
        AggregateKey::DebtorAccount => account(&tx.debtor).map(|a| a.as_bytes().to_vec()),
        AggregateKey::CreditorAccount => account(&tx.creditor).map(|a| a.as_bytes().to_vec()),
        AggregateKey::SourceWallet => wallet(|c| &c.source_wallet),
        AggregateKey::DestinationWallet => wallet(|c| &c.destination_wallet),
        AggregateKey::DebtorParty => party_key(&tx.debtor).map(String::into_bytes),
        AggregateKey::CreditorParty => party_key(&tx.creditor).map(String::into_bytes),
        AggregateKey::DebtorCreditorPair => {
            let debtor = counterparty(&tx.debtor, wallet(|c| &c.source_wallet))?;
            let creditor = counterparty(&tx.creditor, wallet(|c| &c.destination_wallet))?;
            Some(pair_key(&debtor, &creditor))
        }
    }
}

/// Returns the key whose bytes a distinct-count field counts, or `None`
/// for the amount.
fn field_key(field: AggregateField) -> Option<AggregateKey> {
    match field {
        AggregateField::Amount => None,
        AggregateField::DebtorAccount => Some(AggregateKey::DebtorAccount),
        AggregateField::CreditorAccount => Some(AggregateKey::CreditorAccount),
        AggregateField::SourceWallet => Some(AggregateKey::SourceWallet),
        AggregateField::DestinationWallet => Some(AggregateKey::DestinationWallet),
        AggregateField::DebtorParty => Some(AggregateKey::DebtorParty),
        AggregateField::CreditorParty => Some(AggregateKey::CreditorParty),
    }
}

/// Amounts are kept in hundredths of the reference currency.
const AMOUNT_SCALE: f64 = 100.0;

/// Adds the transaction to every aggregate it counts towards and passes
/// each aggregate's value, this transaction included, to the facts. An
/// aggregate whose key the transaction lacks (no debtor account, say) is
/// left missing, and rules on it read false.
fn apply_aggregates(
    rules: &RuleSet,
    tx: &Transaction,
    facts: &mut Facts,
    reservation: &mut Reservation,
    now_ms: i64,
) -> Result<std::collections::HashMap<String, f64>, ServerError> {
    let graph = rules.graph();
    let amount_minor = facts
        .amount()
        .map(|a| (a * AMOUNT_SCALE).round().clamp(0.0, u64::MAX as f64) as u64);
    // Several aggregates share a key (the default graph keys five by the
    // debtor account), so each kind of key is built once. A slot is an
    // index into `keys`, or `None` when the transaction lacks that key.
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut slots: [Option<Option<usize>>; AggregateKey::ALL.len()] = Default::default();
    let mut key_slot = |kind: AggregateKey, keys: &mut Vec<Vec<u8>>| -> Option<usize> {
        let position = AggregateKey::ALL.iter().position(|k| *k == kind)?;
        *slots[position].get_or_insert_with(|| {
            keys.push(key_bytes(tx, kind)?);
            Some(keys.len() - 1)
        })
    };
    let mut planned: Vec<(usize, usize, Option<usize>)> = Vec::new();
    for (index, aggregate) in graph.aggregates().iter().enumerate() {
        let Some(key) = key_slot(aggregate.key, &mut keys) else {
            continue;
        };
        if !graph.aggregate_applies(index, facts) {
            continue;
        }
        let value_slot = match aggregate.function {
            AggregateFunction::DistinctCount => {
                let Some(value) = aggregate
                    .field
                    .and_then(field_key)
                    .and_then(|kind| key_slot(kind, &mut keys))
                else {
                    continue;
                };
                Some(value)
            }
            AggregateFunction::Sum | AggregateFunction::Max if amount_minor.is_none() => continue,
            _ => None,
        };
        planned.push((index, key, value_slot));
    }
    let pair = key_slot(AggregateKey::DebtorCreditorPair, &mut keys);

    let mut updates = Vec::with_capacity(planned.len() + 1);
    for &(index, key, value_slot) in &planned {
        let Some(spec) = rules.spec(index) else {
            continue;
        };
        let contribution = match (graph.aggregates()[index].function, value_slot) {
            (AggregateFunction::Count, _) => Contribution::Event,
            (AggregateFunction::DistinctCount, Some(slot)) => Contribution::Value(&keys[slot]),
            (_, _) => Contribution::Amount(amount_minor.unwrap_or(0)),
        };
        updates.push(AggregateUpdate {
            spec,
            key: &keys[key],
            contribution,
        });
    }
    if let Some(pair) = pair {
        updates.push(AggregateUpdate {
            spec: rules.pair_seen(),
            key: &keys[pair],
            contribution: Contribution::Event,
        });
    }
    let results = reservation.apply(&updates, now_ms).map_err(state_error)?;

    let mut seen = std::collections::HashMap::with_capacity(planned.len());
    for (position, &(index, _, _)) in planned.iter().enumerate() {
        let Some(result) = results.get(position) else {
            continue;
        };
        let aggregate = &graph.aggregates()[index];
        let value = match aggregate.function {
            AggregateFunction::Sum | AggregateFunction::Max => result.value as f64 / AMOUNT_SCALE,
            _ => result.value as f64,
        };
        seen.insert(aggregate.id.clone(), value);
        facts
            .set_aggregate(index, value)
            .map_err(|e| ServerError::State(format!("aggregate {index}: {e}")))?;
    }
    if pair.is_some() {
        if let Some(result) = results.last() {
            facts.set_new_counterparty(result.value <= 1);
        }
    }
    Ok(seen)
}

fn proto_decision(decision: Decision) -> ProtoDecision {
    match decision {
        Decision::Allow => ProtoDecision::Allow,
        Decision::Review => ProtoDecision::Review,
        Decision::Block => ProtoDecision::Block,
    }
}

fn build_verdict(
    tx: &Transaction,
    screening: &Screening,
    evaluation: &Evaluation,
    lists: &ListSet,
    rules: &RuleSet,
    now_ms: i64,
    verdict_rules: VerdictRules,
) -> Verdict {
    let mut reasons: Vec<String> = evaluation.reasons().map(str::to_string).collect();
    reasons.extend(screening.notes.iter().cloned());
    Verdict {
        end_to_end_id: tx.end_to_end_id.clone(),
        decision: proto_decision(evaluation.decision()) as i32,
        score: evaluation.score(),
        hits: screening.hits.clone(),
        rules: evaluation
            .rules()
            .filter(|r| r.fired || verdict_rules == VerdictRules::All)
            .map(|r| ProtoRuleResult {
                rule_id: r.id.to_string(),
                fired: r.fired,
                weight: r.weight,
                reason: if r.fired {
                    r.reason.to_string()
                } else {
                    String::new()
                },
            })
            .collect(),
        typologies: evaluation
            .typologies()
            .map(|t| ProtoTypology {
                typology_id: t.id.to_string(),
                score: t.score,
                decision: proto_decision(t.decision) as i32,
            })
            .collect(),
        list_version: lists.version().to_string(),
        rule_version: rules.version().to_string(),
        timings: None,
        replayed: false,
        error: None,
        screened_at_unix_ms: now_ms,
        reasons,
        aggregates: Default::default(),
    }
}

/// Queues the verdict's audit record with the reservation's aggregate
/// updates. The returned handle resolves once they are durable.
fn commit(
    reservation: Reservation,
    verdict: &Verdict,
    evaluation: &Evaluation,
    request_digest: Vec<u8>,
    now_ms: i64,
) -> Result<CommitHandle, ServerError> {
    let entry = AuditEntry {
        screened_at_ms: now_ms,
        decision: match evaluation.decision() {
            Decision::Allow => StateDecision::Allow,
            Decision::Review => StateDecision::Review,
            Decision::Block => StateDecision::Block,
        },
        list_version: verdict.list_version.clone(),
        rule_version: verdict.rule_version.clone(),
        request_digest,
        verdict: verdict.encode_to_vec(),
    };
    reservation.commit(entry).map_err(state_error)
}

fn record_metrics(verdict: &Verdict, timings: &StageTimings) {
    let decision = match ProtoDecision::try_from(verdict.decision) {
        Ok(ProtoDecision::Block) => Decision::Block,
        Ok(ProtoDecision::Review) => Decision::Review,
        _ => Decision::Allow,
    };
    metrics::record_decision(decision.as_str());
    for hit in &verdict.hits {
        let kind = match hit.kind.as_str() {
            KIND_NAME => KIND_NAME,
            KIND_WALLET => KIND_WALLET,
            KIND_IDENTIFIER => KIND_IDENTIFIER,
            _ => KIND_TEXT,
        };
        metrics::record_hit(&hit.list, kind);
    }
    for rule in verdict.rules.iter().filter(|rule| rule.fired) {
        metrics::record_rule_fired(&rule.rule_id);
    }
    let stages = [
        ("normalize", timings.normalize_us),
        ("match", timings.match_us),
        ("rules", timings.rules_us),
        ("state", timings.state_us),
        ("total", timings.total_us),
    ];
    for (stage, us) in stages {
        metrics::record_stage(stage, Duration::from_micros(us));
    }
}

/// Name search for onboarding checks.
pub fn screen_party(
    engine: &Engine,
    request: ScreenPartyRequest,
) -> Result<ScreenPartyResponse, ServerError> {
    let limits = &engine.config().limits;
    if request.name.trim().is_empty() {
        return Err(ServerError::invalid("name", "is required"));
    }
    if request.name.chars().count() > limits.max_field_chars {
        return Err(ServerError::invalid(
            "name",
            format!("is longer than {} characters", limits.max_field_chars),
        ));
    }
    if !(0.0..=1.0).contains(&request.min_score) {
        return Err(ServerError::invalid("min_score", "must be between 0 and 1"));
    }
    if request.top_k > 100 {
        return Err(ServerError::invalid("top_k", "must be at most 100"));
    }
    let birth_date = if request.birth_date.is_empty() {
        None
    } else {
        Some(PartialDate::parse_iso(&request.birth_date).ok_or_else(|| {
            ServerError::invalid(
                "birth_date",
                "is not a date; write YYYY, YYYY-MM or YYYY-MM-DD",
            )
        })?)
    };
    crate::validate::check_country("country", request.country.trim())?;
    let lists = engine.lists();
    if !request.lists.is_empty() {
        let known = lists.counts();
        let unknown = request
            .lists
            .iter()
            .find(|id| !known.contains_key(id.as_str()));
        if let Some(unknown) = unknown {
            let ids: Vec<&str> = known.keys().copied().collect();
            return Err(ServerError::invalid(
                "lists",
                format!(
                    "no list has the id {unknown:?}; the lists loaded are {}",
                    ids.join(", ")
                ),
            ));
        }
    }
    let query = NameQuery {
        name: request.name.clone(),
        kind: match PartyKind::try_from(request.kind) {
            Ok(PartyKind::Person) => Some(EntityKind::Person),
            Ok(PartyKind::Organization) => Some(EntityKind::Organization),
            _ => None,
        },
        birth_date,
        country: non_empty(&request.country),
        lists: request.lists.clone(),
        threshold: Some(if request.min_score > 0.0 {
            request.min_score
        } else {
            engine.config().lists.name_threshold
        }),
        top_k: Some(if request.top_k == 0 {
            10
        } else {
            request.top_k as usize
        }),
        ..NameQuery::default()
    };
    Ok(party_response(&lists, &query))
}

/// Screens `query.name` against `lists` and returns the ScreenParty
/// response. `screener screen --json` prints the same response.
pub fn party_response(lists: &ListSet, query: &NameQuery) -> ScreenPartyResponse {
    let mut screening = Screening::default();
    name_hits(lists, Role::Debtor, &query.name, query, &mut screening);
    // The only note name_hits makes is that the name normalizes to nothing.
    let note = if screening.notes.is_empty() {
        String::new()
    } else {
        "the name normalizes to nothing (only punctuation or symbols), so it matches nothing"
            .to_string()
    };
    for hit in &mut screening.hits {
        hit.role = "party".to_string();
    }
    ScreenPartyResponse {
        hits: screening.hits,
        list_version: lists.version().to_string(),
        note,
    }
}

/// Wallet look-up for onboarding checks.
pub fn screen_wallet(
    engine: &Engine,
    request: ScreenWalletRequest,
) -> Result<ScreenWalletResponse, ServerError> {
    let address = request.address.trim();
    if address.is_empty() {
        return Err(ServerError::invalid("address", "is required"));
    }
    if address.len() > 256 {
        return Err(ServerError::invalid(
            "address",
            "is longer than 256 characters",
        ));
    }
    let lists = engine.lists();
    Ok(wallet_response(
        &lists,
        address,
        non_empty(&request.asset).as_deref(),
    ))
}

/// Looks up a wallet address in `lists` and returns the ScreenWallet
/// response. `screener screen --wallet --json` prints the same response.
pub fn wallet_response(
    lists: &ListSet,
    address: &str,
    asset: Option<&str>,
) -> ScreenWalletResponse {
    let result = lists.snapshot().screen_wallet(address, asset);
    let mut screening = Screening::default();
    wallet_hits(
        lists,
        WalletSide::Destination,
        address,
        asset,
        &mut screening,
    );
    for hit in &mut screening.hits {
        hit.role = "wallet".to_string();
    }
    if let screener_lists::Validity::Invalid(reason) = &result.validity {
        for hit in &mut screening.hits {
            hit.notes.push(format!("address is invalid: {reason}"));
        }
    }
    ScreenWalletResponse {
        hits: screening.hits,
        list_version: lists.version().to_string(),
        chain_family: result.family.as_str().to_string(),
        canonical_address: result.canonical,
    }
}

/// The stored verdict of a transaction.
pub fn stored_verdict(engine: &Engine, id: &str) -> Result<Option<Verdict>, ServerError> {
    let Some(record) = engine.state().audit(id).map_err(state_error)? else {
        return Ok(None);
    };
    let verdict = Verdict::decode(record.entry.verdict.as_slice()).map_err(|e| {
        ServerError::State(format!("stored verdict of {id:?} cannot be decoded: {e}"))
    })?;
    Ok(Some(verdict))
}

/// Stored verdicts screened between two times, oldest first.
pub fn verdicts_between(
    engine: &Engine,
    from_ms: i64,
    to_ms: i64,
    limit: usize,
) -> Result<Vec<Verdict>, ServerError> {
    let to_ms = to_ms.min(crate::state::MAX_TIME_MS);
    let from_ms = from_ms.max(0);
    let records = engine
        .state()
        .audit_range(from_ms, to_ms, limit)
        .map_err(state_error)?;
    records
        .iter()
        .map(|record| {
            Verdict::decode(record.entry.verdict.as_slice()).map_err(|e| {
                ServerError::State(format!(
                    "stored verdict of {:?} cannot be decoded: {e}",
                    record.txn_id
                ))
            })
        })
        .collect()
}

/// Records an analyst's clearance of a party name against a list entry.
/// The clearance is tied to the entry's current content: when the list
/// changes the entry, the clearance stops applying.
pub async fn clear_hit(engine: &Engine, request: ClearHitRequest) -> Result<(), ServerError> {
    for (field, value) in [
        ("party_name", &request.party_name),
        ("list", &request.list),
        ("entity_id", &request.entity_id),
        ("analyst", &request.analyst),
    ] {
        if value.trim().is_empty() {
            return Err(ServerError::invalid(field, "is required"));
        }
    }
    let lists = engine.lists();
    let entity = lists
        .snapshot()
        .entity(&request.list, &request.entity_id)
        .ok_or_else(|| ServerError::NotFound {
            what: format!("entity {:?} on list {:?}", request.entity_id, request.list),
        })?;
    let name = clearance_name(&request.party_name);
    let key = ClearanceKey {
        party_name: &name,
        list: &request.list,
        entity_id: &request.entity_id,
    };
    let clearance = Clearance {
        entity_digest: entity_digest(entity),
        cleared_at_ms: unix_ms_now(),
        analyst: request.analyst.clone(),
        note: request.reason.clone(),
    };
    let handle = engine
        .state()
        .put_clearance(key, &clearance)
        .map_err(state_error)?;
    handle.await.map_err(state_error)?;
    tracing::info!(list = %request.list, entity = %request.entity_id, analyst = %request.analyst, "hit cleared");
    Ok(())
}
