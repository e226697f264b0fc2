//! The facts of one transaction that the engine fills and the graph reads.

use std::sync::Arc;

use crate::compiled::Compiled;
use crate::error::RulesError;
use crate::features::{slot, Role, StringKind, WalletSide};
use crate::graph::RuleGraph;
use crate::value::Value;

/// The facts about one transaction, filled by the engine through setters
/// and read by [`RuleGraph::evaluate`]. Create it once per worker with
/// [`RuleGraph::new_facts`] and call [`Facts::clear`] between transactions:
/// setters never allocate, and strings are matched against the graph's
/// symbol table at set time.
///
/// A fact never set is missing. Score setters keep the highest score set
/// for a role since the last clear, so the engine can call them once per hit.
#[derive(Clone)]
pub struct Facts {
    graph: Arc<Compiled>,
    slots: [Value; slot::COUNT],
    aggregates: Vec<Value>,
}

impl Facts {
    pub(crate) fn new(graph: Arc<Compiled>) -> Self {
        let aggregates = vec![Value::Missing; graph.aggregates.len()];
        Facts {
            graph,
            slots: [Value::Missing; slot::COUNT],
            aggregates,
        }
    }

    /// Makes every fact missing again, keeping the buffers.
    pub fn clear(&mut self) {
        self.slots = [Value::Missing; slot::COUNT];
        self.aggregates.fill(Value::Missing);
    }

    /// Points the buffer at another graph, after a reload, and clears it.
    pub fn reset_for(&mut self, graph: &RuleGraph) {
        self.graph = Arc::clone(graph.compiled());
        self.aggregates.clear();
        self.aggregates
            .resize(self.graph.aggregates.len(), Value::Missing);
        self.clear();
    }

    /// Returns the version of the graph these facts are filled for.
    pub fn graph_version(&self) -> &str {
        &self.graph.version
    }

    /// Records a sanctions list match score (0..=1) of a party or agent.
    /// Scores are clamped to 0..=1; NaN is ignored.
    pub fn set_sanctions_score(&mut self, role: Role, score: f64) {
        self.keep_best(slot::SANCTIONS + role.index(), score);
    }

    /// Records the score of a hit on this party that an analyst cleared for
    /// this party and list entry. The engine drops cleared hits from the
    /// sanctions scores and reports them here, so rules can still see them
    /// through the `cleared(role)` feature.
    pub fn set_cleared_hit(&mut self, role: Role, score: f64) {
        self.keep_best(slot::CLEARED + role.index(), score);
    }

    /// Records whether an identifier of the party (LEI, BIC, passport, ...)
    /// is on a list. A later `true` is kept over a `false`.
    pub fn set_identifier_hit(&mut self, role: Role, hit: bool) {
        let slot = &mut self.slots[slot::IDENTIFIER + role.index()];
        if !slot.is_true() {
            *slot = Value::Bool(hit);
        }
    }

    /// Records the match score (0..=1) of a screened wallet address.
    pub fn set_wallet_score(&mut self, side: WalletSide, score: f64) {
        self.keep_best(slot::WALLET + side.index(), score);
    }

    /// Records the best score of a listed name or address found in free text
    /// such as remittance information.
    pub fn set_free_text_score(&mut self, score: f64) {
        self.keep_best(slot::FREE_TEXT, score);
    }

    /// Sets the amount and its currency, converting the amount into the
    /// graph's reference currency with the graph's rate table. Returns the
    /// converted amount. When the currency has no rate, the graph has no
    /// [currency] section, or the amount is negative or not finite, the
    /// `amount` feature stays missing and `None` is returned. `currency` is
    /// set either way, so a rule can test `missing(amount)`.
    pub fn set_amount(&mut self, amount: f64, currency: &str) -> Option<f64> {
        let code = self.intern(currency, StringKind::Code);
        self.slots[slot::CURRENCY] = code;
        self.slots[slot::AMOUNT] = Value::Missing;
        let Value::String(code) = code else {
            return None;
        };
        let rate = self.graph.currency.as_ref()?.rate(code)?;
        let converted = amount * rate;
        if !(amount >= 0.0 && converted.is_finite()) {
            return None;
        }
        self.slots[slot::AMOUNT] = Value::Number(converted);
        Some(converted)
    }

    /// Returns the amount in the reference currency, as set by [`Facts::set_amount`].
    /// The engine adds this to `sum` and `max` aggregates.
    pub fn amount(&self) -> Option<f64> {
        self.slots[slot::AMOUNT].number()
    }

    /// Sets the country of a party's address (ISO 3166-1 alpha-2; letters
    /// are upper-cased).
    pub fn set_country(&mut self, role: Role, code: &str) {
        self.slots[slot::COUNTRY + role.index()] = self.intern(code, StringKind::Country);
    }

    /// Sets a person's nationality (ISO 3166-1 alpha-2).
    pub fn set_nationality(&mut self, role: Role, code: &str) {
        self.slots[slot::NATIONALITY + role.index()] = self.intern(code, StringKind::Country);
    }

    /// Sets the subdivision of a party's address (ISO 3166-2, such as "UA-43").
    pub fn set_region(&mut self, role: Role, code: &str) {
        self.slots[slot::REGION + role.index()] = self.intern(code, StringKind::Region);
    }

    /// Sets the country of a role from its BIC, whose 5th and 6th
    /// characters are the ISO country code. An invalid BIC leaves the
    /// country as it was.
    pub fn set_agent_bic(&mut self, role: Role, bic: &str) -> Result<(), RulesError> {
        let country = bic_country(bic).map_err(|reason| RulesError::InvalidBic {
            bic: bic.to_owned(),
            reason,
        })?;
        let country = std::str::from_utf8(&country).unwrap_or_default();
        self.set_country(role, country);
        Ok(())
    }

    /// Sets the payment channel, compared exactly as given (such as "SEPA").
    pub fn set_channel(&mut self, channel: &str) {
        self.slots[slot::CHANNEL] = self.intern(channel, StringKind::Text);
    }

    /// Sets the ISO 20022 purpose code (such as "SALA"; upper-cased).
    pub fn set_purpose(&mut self, code: &str) {
        self.slots[slot::PURPOSE] = self.intern(code, StringKind::Code);
    }

    /// Sets the crypto asset ticker (such as "USDT"; upper-cased).
    pub fn set_crypto_asset(&mut self, asset: &str) {
        self.slots[slot::CRYPTO_ASSET] = self.intern(asset, StringKind::Code);
    }

    /// Sets whether the debtor has never paid this creditor before.
    pub fn set_new_counterparty(&mut self, new: bool) {
        self.slots[slot::NEW_COUNTERPARTY] = Value::Bool(new);
    }

    /// Sets the value of the aggregate at `index` in
    /// [`RuleGraph::aggregates`]. A value that is not finite is missing.
    pub fn set_aggregate(&mut self, index: usize, value: f64) -> Result<(), RulesError> {
        let count = self.aggregates.len();
        let Some(slot) = self.aggregates.get_mut(index) else {
            return Err(RulesError::AggregateIndex {
                index,
                count,
                version: self.graph.version.clone(),
            });
        };
        *slot = if value.is_finite() {
            Value::Number(value)
        } else {
            Value::Missing
        };
        Ok(())
    }

    pub(crate) fn compiled(&self) -> &Arc<Compiled> {
        &self.graph
    }

    pub(crate) fn slots(&self) -> &[Value] {
        &self.slots
    }

    pub(crate) fn aggregate_values(&self) -> &[Value] {
        &self.aggregates
    }

    fn keep_best(&mut self, slot: usize, score: f64) {
        if score.is_nan() {
            return;
        }
        let score = score.clamp(0.0, 1.0);
        let slot = &mut self.slots[slot];
        if slot.number().is_none_or(|best| score > best) {
            *slot = Value::Number(score);
        }
    }

    fn intern(&self, text: &str, kind: StringKind) -> Value {
        Value::String(self.graph.symbols.lookup(text, kind.is_upper_cased()))
    }
}

impl std::fmt::Debug for Facts {
    /// Shows the graph version and how many facts are set, not the values,
    /// because they describe parties of a payment.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |values: &[Value]| values.iter().filter(|v| **v != Value::Missing).count();
        f.debug_struct("Facts")
            .field("graph_version", &self.graph.version)
            .field("facts_set", &set(&self.slots))
            .field("aggregates_set", &set(&self.aggregates))
            .finish()
    }
}

/// Extracts the upper-cased country code of a BIC, or the reason the BIC is invalid.
fn bic_country(bic: &str) -> Result<[u8; 2], &'static str> {
    let bytes = bic.as_bytes();
    if bytes.len() != 8 && bytes.len() != 11 {
        return Err("it does not have 8 or 11 characters");
    }
    if !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return Err("it contains characters other than letters and digits");
    }
    let country = [bytes[4].to_ascii_uppercase(), bytes[5].to_ascii_uppercase()];
    if !country.iter().all(u8::is_ascii_uppercase) {
        return Err("characters 5 and 6 are not a country code");
    }
    Ok(country)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bic_country_reads_characters_five_and_six() {
        assert_eq!(bic_country("DEUTDEFF"), Ok(*b"DE"));
        assert_eq!(bic_country("bmrijpjt"), Ok(*b"JP"));
        assert_eq!(bic_country("CHASUS33XXX"), Ok(*b"US"));
        assert!(bic_country("DEUT").is_err());
        assert!(bic_country("DEUT12FF").is_err());
        assert!(bic_country("DEUT-DEFF").is_err());
        assert!(bic_country("DEUTDEFFX").is_err());
    }
}
