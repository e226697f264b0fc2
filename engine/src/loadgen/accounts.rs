//! Parties and the pool of debtor accounts. The pool is a fixed set of
//! senders that transactions reuse with Zipf-like frequency: a few
//! accounts send often and most rarely, so per-account aggregates (counts
//! and sums over time windows, new counterparties) build up as in real
//! traffic.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use screener_proto::v1::{Agent, Party, PartyKind, PostalAddress};

use super::countries::random_country;
use super::fields;
use super::names::{NameCorpus, NameEntry};

/// A party with the bank that holds its account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub party: Party,
    pub agent: Agent,
}

/// Builds a party for a name: the entry's country (or a drawn one) as
/// address country and, for persons, nationality; an IBAN where the
/// country uses IBANs, else a domestic account number; and a BIC of a
/// bank in that country.
pub fn account_for(entry: &NameEntry, rng: &mut impl Rng) -> Account {
    let country = entry
        .country
        .clone()
        .unwrap_or_else(|| random_country(rng).to_string());
    let (iban, account_id) = match fields::iban(&country, rng) {
        Some(iban) => (iban, String::new()),
        None => (String::new(), fields::account_id(rng)),
    };
    let is_person = entry.kind != PartyKind::Organization;
    let party = Party {
        name: entry.name.clone(),
        kind: entry.kind as i32,
        postal_address: Some(PostalAddress {
            country: country.clone(),
            ..PostalAddress::default()
        }),
        birth_date: entry.birth_date.clone().unwrap_or_default(),
        nationality: if is_person {
            country.clone()
        } else {
            String::new()
        },
        iban,
        account_id,
        ..Party::default()
    };
    let agent = Agent {
        bic: fields::bic(&country, rng),
        country,
        ..Agent::default()
    };
    Account { party, agent }
}

/// A fixed set of debtor accounts drawn with probability proportional to
/// 1 / rank^exponent.
#[derive(Debug, Clone)]
pub struct AccountPool {
    accounts: Vec<Account>,
    /// Running sums of the rank weights, for drawing by binary search.
    cumulative_weights: Vec<f64>,
}

impl AccountPool {
    /// Builds `size` accounts (at least one) from `names`. The same seed,
    /// names, size and exponent give the same pool, so generators with
    /// different seeds still share their senders.
    pub fn new(names: &NameCorpus, size: usize, exponent: f64, seed: u64) -> AccountPool {
        let mut rng = StdRng::seed_from_u64(seed);
        let size = size.max(1);
        let accounts = (0..size)
            .map(|_| account_for(names.choose(&mut rng), &mut rng))
            .collect();
        let mut total = 0.0;
        let cumulative_weights = (1..=size)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(exponent);
                total
            })
            .collect();
        AccountPool {
            accounts,
            cumulative_weights,
        }
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Always false: a pool holds at least one account.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Draws an account; rank 1 is the most frequent sender.
    pub fn choose(&self, rng: &mut impl Rng) -> &Account {
        self.choose_indexed(rng).1
    }

    /// Draws an account as [`choose`](Self::choose) does, with its index
    /// in the pool.
    pub fn choose_indexed(&self, rng: &mut impl Rng) -> (usize, &Account) {
        let total = self.cumulative_weights.last().copied().unwrap_or(0.0);
        let target = rng.random::<f64>() * total;
        let index = self
            .cumulative_weights
            .partition_point(|&sum| sum <= target)
            .min(self.accounts.len() - 1);
        (index, &self.accounts[index])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_is_the_same_for_the_same_seed() {
        let names = NameCorpus::builtin_unlisted();
        let first = AccountPool::new(&names, 50, 1.0, 7);
        let second = AccountPool::new(&names, 50, 1.0, 7);
        assert_eq!(first.accounts, second.accounts);
    }

    #[test]
    fn top_ranks_send_most() {
        let names = NameCorpus::builtin_unlisted();
        let pool = AccountPool::new(&names, 1_000, 1.0, 7);
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = vec![0u32; pool.len()];
        for _ in 0..20_000 {
            let account = pool.choose(&mut rng);
            let index = pool
                .accounts
                .iter()
                .position(|a| std::ptr::eq(a, account))
                .expect("account from the pool");
            counts[index] += 1;
        }
        // With exponent 1 over 1,000 ranks, rank 1 has weight 1/H(1000),
        // about 13%; the last 500 ranks together have about 9%.
        let top = counts[0];
        let bottom_half: u32 = counts[500..].iter().sum();
        assert!(top > 1_500, "rank 1 drawn {top} times");
        assert!(top > counts[9] * 5, "rank 1 {top}, rank 10 {}", counts[9]);
        assert!(
            bottom_half < 3_000,
            "last 500 ranks drawn {bottom_half} times"
        );
    }

    #[test]
    fn exponent_zero_is_uniform() {
        let names = NameCorpus::builtin_unlisted();
        let pool = AccountPool::new(&names, 4, 0.0, 7);
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0u32; 4];
        for _ in 0..8_000 {
            let account = pool.choose(&mut rng);
            let index = pool
                .accounts
                .iter()
                .position(|a| std::ptr::eq(a, account))
                .expect("account from the pool");
            counts[index] += 1;
        }
        for count in counts {
            assert!((1_700..2_300).contains(&count), "{counts:?}");
        }
    }
}
