//! The transaction generator: realistic screening traffic from a seed.
//!
//! Each transaction has a debtor from a pool of repeat senders, a creditor
//! drawn from the names corpus, their banks, an amount in a fiat currency,
//! and a crypto transfer to one destination wallet. A share of transactions
//! pays a creditor (with the same account and wallet) that the debtor paid
//! before in the same stream. A share of creditors gets a name made for the
//! occasion (the given names of one entry with
//! the family name of another), so that not every name has been seen
//! before. A share of transactions carries a listed name (with typos or
//! reordering) on the debtor or creditor, and a share sends to a listed
//! wallet. The same seed and options give the same sequence of
//! transactions.
//!
//! ```
//! use screener::loadgen::generator::{Generator, GeneratorOptions};
//!
//! let mut generator = Generator::new(7, GeneratorOptions::default());
//! let transaction = generator.next();
//! assert_eq!(transaction.end_to_end_id, "gen-0");
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use screener_proto::v1::{Amount, CryptoTransfer, Transaction};
use serde::Serialize;

use super::accounts::{account_for, Account, AccountPool};
use super::error::LoadgenError;
use super::fields;
use super::names::NameCorpus;
use super::perturb::{perturb, Perturbation};
use super::wallets::{random_wallet, ListedWallets, Wallet};

/// Largest debtor pool accepted by [`GeneratorOptions::validate`].
pub const MAX_ACCOUNTS: usize = 10_000_000;

/// Creditors kept per debtor for repeat payments. A new creditor beyond
/// these replaces one of them at random.
const PAYEES_PER_DEBTOR: usize = 4;

/// What the generator draws from and how often it injects listed data.
#[derive(Debug, Clone)]
pub struct GeneratorOptions {
    /// Start of every end_to_end_id; ids are "{id_prefix}-{sequence}" with
    /// the sequence counting from 0.
    pub id_prefix: String,
    /// Unlisted names for debtors and creditors.
    pub names: Arc<NameCorpus>,
    /// Listed names injected into a share of transactions.
    pub listed_names: Arc<NameCorpus>,
    /// Listed wallets injected into a share of transactions.
    pub listed_wallets: Arc<ListedWallets>,
    /// Share of transactions, 0 to 1, whose debtor or creditor carries a
    /// listed name.
    pub listed_share: f64,
    /// Share of transactions, 0 to 1, that send to a listed wallet.
    pub listed_wallet_share: f64,
    /// Share of transactions, 0 to 1, whose creditor name joins the given
    /// names of one corpus entry to the family name of another. Over the
    /// 50,000 evaluation negatives nearly every such name is new; over the
    /// built-in corpus of a few hundred names they repeat within seconds.
    pub new_name_share: f64,
    /// Share of transactions, 0 to 1, that pay a creditor the debtor paid
    /// before, with the same account and destination wallet, when it has
    /// one. The rest draw a new creditor and wallet.
    pub repeat_payee_share: f64,
    /// Number of debtor accounts that transactions reuse.
    pub accounts: usize,
    /// Seed of the debtor pool, separate from the generator's seed so that
    /// generators with different seeds share their senders.
    pub account_seed: u64,
    /// Zipf exponent of debtor reuse: 0 draws debtors uniformly, 1 makes
    /// the top sender about 13% of traffic over 1,000 accounts.
    pub zipf_exponent: f64,
}

impl Default for GeneratorOptions {
    /// The built-in corpora, 1% listed names, 1% listed wallets, no made-up
    /// creditor names, no repeat payees, and 10,000 debtor accounts with
    /// Zipf exponent 1.
    fn default() -> Self {
        GeneratorOptions {
            id_prefix: "gen".to_string(),
            names: Arc::new(NameCorpus::builtin_unlisted()),
            listed_names: Arc::new(NameCorpus::builtin_listed()),
            listed_wallets: Arc::new(ListedWallets::builtin()),
            listed_share: 0.01,
            listed_wallet_share: 0.01,
            new_name_share: 0.0,
            repeat_payee_share: 0.0,
            accounts: 10_000,
            account_seed: 0x5eed,
            zipf_exponent: 1.0,
        }
    }
}

impl GeneratorOptions {
    /// Checks every option and reports the first one out of range.
    pub fn validate(&self) -> Result<(), LoadgenError> {
        for (option, share) in [
            ("--listed-share", self.listed_share),
            ("--listed-wallet-share", self.listed_wallet_share),
            ("--new-name-share", self.new_name_share),
            ("--repeat-payee-share", self.repeat_payee_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(LoadgenError::InvalidOption {
                    option,
                    reason: format!("{share} is not a share between 0 and 1"),
                });
            }
        }
        if !(1..=MAX_ACCOUNTS).contains(&self.accounts) {
            return Err(LoadgenError::InvalidOption {
                option: "--accounts",
                reason: format!("{} is not between 1 and {MAX_ACCOUNTS}", self.accounts),
            });
        }
        if !(0.0..=10.0).contains(&self.zipf_exponent) {
            return Err(LoadgenError::InvalidOption {
                option: "--zipf-exponent",
                reason: format!("{} is not between 0 and 10", self.zipf_exponent),
            });
        }
        Ok(())
    }
}

/// Which party of a transaction carries an injected listed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    Debtor,
    Creditor,
}

/// A listed name that the generator put on a party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedParty {
    pub role: PartyRole,
    /// The name as the list writes it.
    pub listed_name: String,
    pub perturbation: Perturbation,
}

/// A generated transaction with what was injected into it, so a test can
/// check that the screener flags the listed ones.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedTransaction {
    pub transaction: Transaction,
    pub listed_party: Option<ListedParty>,
    /// The listed address as the list writes it, when the destination
    /// wallet is listed. The sent address may differ in letter case.
    pub listed_wallet: Option<String>,
}

/// Generates a deterministic sequence of transactions from a seed.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: StdRng,
    options: GeneratorOptions,
    /// The debtor pool, shared read-only with generators forked from this
    /// one.
    accounts: Arc<AccountPool>,
    /// Creditors each debtor (by pool index) paid in this generator's
    /// transactions, kept only when repeat payees are on.
    payees: HashMap<usize, Vec<Payee>>,
    sequence: u64,
}

/// A creditor a debtor paid, with the wallet it was paid to.
#[derive(Debug, Clone)]
struct Payee {
    account: Account,
    wallet: Wallet,
}

impl Generator {
    /// Builds a generator. Options out of range are clamped here (shares
    /// to 0..1, at least one account, a negative or non-finite exponent to
    /// 0); call [`GeneratorOptions::validate`] first to reject them.
    pub fn new(seed: u64, mut options: GeneratorOptions) -> Generator {
        options.listed_share = clamp_share(options.listed_share);
        options.listed_wallet_share = clamp_share(options.listed_wallet_share);
        options.new_name_share = clamp_share(options.new_name_share);
        options.repeat_payee_share = clamp_share(options.repeat_payee_share);
        options.accounts = options.accounts.clamp(1, MAX_ACCOUNTS);
        if !options.zipf_exponent.is_finite() || options.zipf_exponent < 0.0 {
            options.zipf_exponent = 0.0;
        }
        let accounts = Arc::new(AccountPool::new(
            &options.names,
            options.accounts,
            options.zipf_exponent,
            options.account_seed,
        ));
        Generator {
            rng: StdRng::seed_from_u64(seed),
            options,
            accounts,
            payees: HashMap::new(),
            sequence: 0,
        }
    }

    /// Returns a generator with the same options and debtor pool but its
    /// own seed and id prefix, starting at sequence 0. Forking is cheap;
    /// building the pool is not, so a run builds it once and forks one
    /// generator per stream.
    pub fn fork(&self, seed: u64, id_prefix: String) -> Generator {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            options: GeneratorOptions {
                id_prefix,
                ..self.options.clone()
            },
            accounts: Arc::clone(&self.accounts),
            payees: HashMap::new(),
            sequence: 0,
        }
    }

    /// Returns the next transaction.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Transaction {
        self.next_labelled().transaction
    }

    /// Returns the next transaction with what was injected into it.
    pub fn next_labelled(&mut self) -> GeneratedTransaction {
        let sequence = self.sequence;
        self.sequence += 1;

        // Parties: a repeat sender, and a creditor it paid before or one
        // from the corpus.
        let (debtor_index, debtor) = self.accounts.choose_indexed(&mut self.rng);
        let mut debtor = debtor.clone();
        let repeat = self.repeat_payee(debtor_index);
        let mut creditor = match &repeat {
            Some(payee) => payee.account.clone(),
            None => self.new_creditor(),
        };
        let keep =
            (repeat.is_none() && self.options.repeat_payee_share > 0.0).then(|| creditor.clone());

        // Listed data, each with its own share.
        let listed_party = self
            .rng
            .random_bool(self.options.listed_share)
            .then(|| self.inject_listed_name(&mut debtor, &mut creditor));
        let to_listed_wallet = self.rng.random_bool(self.options.listed_wallet_share);
        let (wallet, listed_wallet) = if to_listed_wallet {
            let wallet = self.options.listed_wallets.choose(&mut self.rng);
            let listed = self
                .options
                .listed_wallets
                .wallets()
                .iter()
                .find(|w| w.address.eq_ignore_ascii_case(&wallet.address))
                .map(|w| w.address.clone());
            (wallet, listed)
        } else {
            match &repeat {
                Some(payee) => (payee.wallet.clone(), None),
                None => (random_wallet(&mut self.rng), None),
            }
        };
        if let Some(account) = keep {
            // The payee keeps an unlisted wallet even when this payment went
            // to a listed one.
            let wallet = if to_listed_wallet {
                random_wallet(&mut self.rng)
            } else {
                wallet.clone()
            };
            self.keep_payee(debtor_index, Payee { account, wallet });
        }

        let currency = fields::currency(&mut self.rng);
        let amount = fields::amount(&mut self.rng, currency);
        let transaction = Transaction {
            end_to_end_id: format!("{}-{sequence}", self.options.id_prefix),
            instructed_amount: Some(Amount {
                value: amount,
                currency: currency.to_string(),
            }),
            debtor: Some(debtor.party),
            creditor: Some(creditor.party),
            debtor_agent: Some(debtor.agent),
            creditor_agent: Some(creditor.agent),
            remittance_information: fields::remittance(&mut self.rng),
            purpose_code: fields::purpose_code(&mut self.rng).to_string(),
            channel: "crypto".to_string(),
            crypto: Some(CryptoTransfer {
                transaction_hash: fields::transaction_hash(&wallet.chain, &mut self.rng),
                destination_wallet: wallet.address,
                asset: wallet.asset,
                chain: wallet.chain,
                ..CryptoTransfer::default()
            }),
            ..Transaction::default()
        };
        GeneratedTransaction {
            transaction,
            listed_party,
            listed_wallet,
        }
    }

    /// Number of transactions generated so far.
    pub fn generated(&self) -> u64 {
        self.sequence
    }

    pub fn options(&self) -> &GeneratorOptions {
        &self.options
    }

    /// Returns, at the repeat payee share, a creditor that the debtor paid
    /// before, when it has one.
    fn repeat_payee(&mut self, debtor: usize) -> Option<Payee> {
        // No draw at a share of 0, so such runs repeat earlier ones exactly.
        if self.options.repeat_payee_share <= 0.0
            || !self.rng.random_bool(self.options.repeat_payee_share)
        {
            return None;
        }
        let known = self.payees.get(&debtor)?;
        if known.is_empty() {
            return None;
        }
        let index = self.rng.random_range(0..known.len());
        known.get(index).cloned()
    }

    /// Draws a creditor from the corpus, with a made-up name at the new
    /// name share.
    fn new_creditor(&mut self) -> Account {
        let mut creditor_entry = self.options.names.choose(&mut self.rng).clone();
        // No draw at a share of 0, so such runs repeat earlier ones exactly.
        if self.options.new_name_share > 0.0 && self.rng.random_bool(self.options.new_name_share) {
            let other = self.options.names.choose(&mut self.rng);
            creditor_entry.name = joined_name(&creditor_entry.name, &other.name);
        }
        account_for(&creditor_entry, &mut self.rng)
    }

    /// Keeps a creditor as one of the debtor's payees, in place of one of
    /// them at random once the debtor has its full number.
    fn keep_payee(&mut self, debtor: usize, payee: Payee) {
        let known = self.payees.entry(debtor).or_default();
        if known.len() < PAYEES_PER_DEBTOR {
            known.push(payee);
        } else {
            let replaced = self.rng.random_range(0..known.len());
            known[replaced] = payee;
        }
    }

    /// Replaces the debtor (one time in three) or the creditor with a new
    /// account named after a perturbed listed name.
    fn inject_listed_name(&mut self, debtor: &mut Account, creditor: &mut Account) -> ListedParty {
        let entry = self.options.listed_names.choose(&mut self.rng).clone();
        let (sent_name, perturbation) = perturb(&entry.name, entry.kind, &mut self.rng);
        let role = if self.rng.random_bool(1.0 / 3.0) {
            PartyRole::Debtor
        } else {
            PartyRole::Creditor
        };
        let mut sent_entry = entry.clone();
        sent_entry.name = sent_name;
        if self.rng.random_bool(0.5) {
            sent_entry.birth_date = None;
        }
        let account = account_for(&sent_entry, &mut self.rng);
        match role {
            PartyRole::Debtor => *debtor = account,
            PartyRole::Creditor => *creditor = account,
        }
        ListedParty {
            role,
            listed_name: entry.name,
            perturbation,
        }
    }
}

/// Joins the given names of `first` to the family name of `second`: every
/// word of `first` but its last, then the last word of `second`. A
/// one-word `first` (such as a name in Han script) is kept whole and
/// followed by the last word of `second`.
fn joined_name(first: &str, second: &str) -> String {
    let given = match first.trim().rsplit_once(char::is_whitespace) {
        Some((given, _)) => given.trim_end(),
        None => first.trim(),
    };
    let family = second.split_whitespace().next_back().unwrap_or_default();
    if family.is_empty() {
        return given.to_string();
    }
    format!("{given} {family}")
}

fn clamp_share(share: f64) -> f64 {
    if share.is_nan() {
        0.0
    } else {
        share.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn same_seed_same_transactions() {
        let mut first = Generator::new(42, GeneratorOptions::default());
        let mut second = Generator::new(42, GeneratorOptions::default());
        for _ in 0..500 {
            assert_eq!(first.next_labelled(), second.next_labelled());
        }
    }

    #[test]
    fn different_seeds_differ_but_share_senders() {
        let mut first = Generator::new(1, GeneratorOptions::default());
        let mut second = Generator::new(2, GeneratorOptions::default());
        let a: Vec<Transaction> = (0..200).map(|_| first.next()).collect();
        let b: Vec<Transaction> = (0..200).map(|_| second.next()).collect();
        assert_ne!(a, b);
        let ibans = |txs: &[Transaction]| -> HashSet<String> {
            txs.iter()
                .filter_map(|t| t.debtor.as_ref())
                .map(|d| format!("{}{}", d.iban, d.account_id))
                .collect()
        };
        assert!(ibans(&a).intersection(&ibans(&b)).count() > 0);
    }

    #[test]
    fn fork_equals_a_new_generator_with_that_seed() {
        let template = Generator::new(1, GeneratorOptions::default());
        let mut forked = template.fork(8, "x".to_string());
        let options = GeneratorOptions {
            id_prefix: "x".to_string(),
            ..GeneratorOptions::default()
        };
        let mut fresh = Generator::new(8, options);
        for _ in 0..100 {
            assert_eq!(forked.next_labelled(), fresh.next_labelled());
        }
    }

    #[test]
    fn ids_are_unique_and_prefixed() {
        let options = GeneratorOptions {
            id_prefix: "run7-s3".to_string(),
            ..GeneratorOptions::default()
        };
        let mut generator = Generator::new(9, options);
        let ids: HashSet<String> = (0..1_000).map(|_| generator.next().end_to_end_id).collect();
        assert_eq!(ids.len(), 1_000);
        assert!(ids.iter().all(|id| id.starts_with("run7-s3-")));
        assert_eq!(generator.generated(), 1_000);
    }

    #[test]
    fn listed_shares_roughly_honoured() {
        let options = GeneratorOptions {
            listed_share: 0.05,
            listed_wallet_share: 0.02,
            ..GeneratorOptions::default()
        };
        let mut generator = Generator::new(11, options);
        let draws = 20_000;
        let (mut names, mut wallets) = (0u32, 0u32);
        for _ in 0..draws {
            let generated = generator.next_labelled();
            names += u32::from(generated.listed_party.is_some());
            wallets += u32::from(generated.listed_wallet.is_some());
        }
        // Expected 1,000 and 400; the bounds are many standard deviations
        // wide (about 31 and 20).
        assert!((800..1_200).contains(&names), "{names} listed names");
        assert!((280..520).contains(&wallets), "{wallets} listed wallets");
    }

    #[test]
    fn listed_party_is_on_the_named_role() {
        let options = GeneratorOptions {
            listed_share: 1.0,
            ..GeneratorOptions::default()
        };
        let listed = NameCorpus::builtin_listed();
        let mut generator = Generator::new(5, options);
        let mut exact_seen = 0;
        for _ in 0..300 {
            let generated = generator.next_labelled();
            let party = generated.listed_party.expect("share 1 always injects");
            assert!(listed.entries().iter().any(|e| e.name == party.listed_name));
            let sent = match party.role {
                PartyRole::Debtor => generated.transaction.debtor,
                PartyRole::Creditor => generated.transaction.creditor,
            }
            .expect("party present")
            .name;
            if party.perturbation == Perturbation::Exact {
                assert_eq!(sent, party.listed_name);
                exact_seen += 1;
            }
        }
        assert!(exact_seen > 0);
    }

    #[test]
    fn zero_shares_inject_nothing() {
        let options = GeneratorOptions {
            listed_share: 0.0,
            listed_wallet_share: 0.0,
            ..GeneratorOptions::default()
        };
        let mut generator = Generator::new(5, options);
        for _ in 0..2_000 {
            let generated = generator.next_labelled();
            assert_eq!(generated.listed_party, None);
            assert_eq!(generated.listed_wallet, None);
        }
    }

    #[test]
    fn transactions_fill_the_contract_fields() {
        let mut generator = Generator::new(3, GeneratorOptions::default());
        for _ in 0..200 {
            let tx = generator.next();
            let amount = tx.instructed_amount.expect("amount");
            assert!(amount.value.parse::<f64>().is_ok(), "{}", amount.value);
            assert_eq!(amount.currency.len(), 3);
            let debtor = tx.debtor.expect("debtor");
            assert!(!debtor.name.is_empty());
            assert!(!debtor.iban.is_empty() || !debtor.account_id.is_empty());
            assert!(!tx.creditor.expect("creditor").name.is_empty());
            let crypto = tx.crypto.expect("crypto");
            assert!(!crypto.destination_wallet.is_empty());
            assert!(!crypto.asset.is_empty() && !crypto.chain.is_empty());
        }
    }

    #[test]
    fn validate_rejects_out_of_range_options() {
        let bad_share = GeneratorOptions {
            listed_share: 1.5,
            ..GeneratorOptions::default()
        };
        let message = bad_share.validate().expect_err("share over 1").to_string();
        assert!(message.contains("--listed-share"), "{message}");
        let no_accounts = GeneratorOptions {
            accounts: 0,
            ..GeneratorOptions::default()
        };
        assert!(no_accounts.validate().is_err());
        let nan_exponent = GeneratorOptions {
            zipf_exponent: f64::NAN,
            ..GeneratorOptions::default()
        };
        assert!(nan_exponent.validate().is_err());
        assert!(GeneratorOptions::default().validate().is_ok());
        let bad_new_names = GeneratorOptions {
            new_name_share: -0.5,
            ..GeneratorOptions::default()
        };
        let message = bad_new_names.validate().expect_err("negative").to_string();
        assert!(message.contains("--new-name-share"), "{message}");
    }

    #[test]
    fn joined_name_takes_given_and_family() {
        assert_eq!(
            joined_name("Anna Maria Kovacs", "Li Wei Zhang"),
            "Anna Maria Zhang"
        );
        assert_eq!(joined_name("  Omar  Haddad ", "Ivan Petrov"), "Omar Petrov");
        assert_eq!(joined_name("王伟", "Ivan Petrov"), "王伟 Petrov");
        assert_eq!(joined_name("Omar Haddad", "   "), "Omar");
    }

    /// Creditor names in `count` transactions, with no listed names.
    fn creditor_names(new_name_share: f64, count: usize) -> Vec<String> {
        let mut generator = Generator::new(
            9,
            GeneratorOptions {
                listed_share: 0.0,
                new_name_share,
                ..GeneratorOptions::default()
            },
        );
        (0..count)
            .map(|_| generator.next().creditor.expect("creditor").name)
            .collect()
    }

    #[test]
    fn new_name_share_makes_unseen_names() {
        let corpus: HashSet<String> = NameCorpus::builtin_unlisted()
            .entries()
            .iter()
            .map(|entry| entry.name.clone())
            .collect();
        let unseen = |names: &[String]| names.iter().filter(|n| !corpus.contains(*n)).count();

        let plain = creditor_names(0.0, 400);
        assert_eq!(unseen(&plain), 0, "every creditor comes from the corpus");

        let all_new = creditor_names(1.0, 400);
        assert!(unseen(&all_new) > 300, "{} of 400 unseen", unseen(&all_new));
        let distinct: HashSet<&String> = all_new.iter().collect();
        assert!(distinct.len() > 300, "{} distinct of 400", distinct.len());

        let half = unseen(&creditor_names(0.5, 1_000));
        assert!((350..=650).contains(&half), "{half} of 1,000 unseen");
    }

    /// Returns the debtor account, and the creditor account with the
    /// destination wallet, of each of `count` transactions with nothing
    /// listed injected.
    fn payments(repeat_payee_share: f64, accounts: usize, count: usize) -> Vec<(String, String)> {
        let mut generator = Generator::new(
            11,
            GeneratorOptions {
                listed_share: 0.0,
                listed_wallet_share: 0.0,
                repeat_payee_share,
                accounts,
                ..GeneratorOptions::default()
            },
        );
        (0..count)
            .map(|_| {
                let tx = generator.next();
                let debtor = tx.debtor.expect("debtor");
                let creditor = tx.creditor.expect("creditor");
                let wallet = tx.crypto.expect("crypto").destination_wallet;
                (
                    format!("{}{}", debtor.iban, debtor.account_id),
                    format!("{}{}|{wallet}", creditor.iban, creditor.account_id),
                )
            })
            .collect()
    }

    /// Transactions whose debtor paid the same creditor, at the same
    /// wallet, in an earlier transaction.
    fn repeated(payments: &[(String, String)]) -> usize {
        let mut seen = HashSet::new();
        payments
            .iter()
            .filter(|payment| !seen.insert((*payment).clone()))
            .count()
    }

    #[test]
    fn repeat_payee_share_reuses_creditors() {
        let none = payments(0.0, 10, 1_000);
        assert_eq!(repeated(&none), 0, "every pair is new");

        // One debtor: after its first payment, every payment repeats one.
        let all = payments(1.0, 1, 200);
        assert_eq!(repeated(&all), 199);
        let creditors: HashSet<&String> = all.iter().map(|(_, creditor)| creditor).collect();
        assert_eq!(creditors.len(), 1, "the only payee is the first creditor");

        let half = repeated(&payments(0.5, 10, 2_000));
        assert!((850..=1_150).contains(&half), "{half} of 2,000 repeated");
    }

    #[test]
    fn payees_per_debtor_are_bounded() {
        // Between one new creditor and the next, the debtor repeats only
        // creditors it keeps, so at most that many distinct ones.
        let payments = payments(0.9, 1, 3_000);
        let mut seen: HashSet<&String> = HashSet::new();
        let mut since_new: HashSet<&String> = HashSet::new();
        let mut max_distinct = 0;
        for (_, creditor) in &payments {
            if seen.insert(creditor) {
                since_new.clear();
            } else {
                since_new.insert(creditor);
                max_distinct = max_distinct.max(since_new.len());
            }
        }
        assert_eq!(max_distinct, PAYEES_PER_DEBTOR);
    }
}
