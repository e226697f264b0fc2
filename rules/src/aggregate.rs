//! Aggregates over past transactions that a graph declares, and that the
//! engine maintains in its state store and passes back in the facts.

use std::fmt;
use std::time::Duration;

/// The computation an aggregate runs over the transactions in its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateFunction {
    /// Number of transactions.
    Count,
    /// Sum of `field`, which is always `amount` (reference currency).
    Sum,
    /// Largest `field`, which is always `amount` (reference currency).
    Max,
    /// Number of different values of `field`, such as distinct source wallets.
    DistinctCount,
}

impl AggregateFunction {
    pub const ALL: [AggregateFunction; 4] = [
        AggregateFunction::Count,
        AggregateFunction::Sum,
        AggregateFunction::Max,
        AggregateFunction::DistinctCount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AggregateFunction::Count => "count",
            AggregateFunction::Sum => "sum",
            AggregateFunction::Max => "max",
            AggregateFunction::DistinctCount => "distinct_count",
        }
    }
}

/// The value that groups transactions into one aggregate series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateKey {
    DebtorAccount,
    CreditorAccount,
    SourceWallet,
    DestinationWallet,
    DebtorParty,
    CreditorParty,
    /// The debtor account and creditor account together.
    DebtorCreditorPair,
}

impl AggregateKey {
    pub const ALL: [AggregateKey; 7] = [
        AggregateKey::DebtorAccount,
        AggregateKey::CreditorAccount,
        AggregateKey::SourceWallet,
        AggregateKey::DestinationWallet,
        AggregateKey::DebtorParty,
        AggregateKey::CreditorParty,
        AggregateKey::DebtorCreditorPair,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AggregateKey::DebtorAccount => "debtor_account",
            AggregateKey::CreditorAccount => "creditor_account",
            AggregateKey::SourceWallet => "source_wallet",
            AggregateKey::DestinationWallet => "destination_wallet",
            AggregateKey::DebtorParty => "debtor_party",
            AggregateKey::CreditorParty => "creditor_party",
            AggregateKey::DebtorCreditorPair => "debtor_creditor_pair",
        }
    }
}

/// The transaction field an aggregate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateField {
    /// The amount in the graph's reference currency.
    Amount,
    DebtorAccount,
    CreditorAccount,
    SourceWallet,
    DestinationWallet,
    DebtorParty,
    CreditorParty,
}

impl AggregateField {
    pub const ALL: [AggregateField; 7] = [
        AggregateField::Amount,
        AggregateField::DebtorAccount,
        AggregateField::CreditorAccount,
        AggregateField::SourceWallet,
        AggregateField::DestinationWallet,
        AggregateField::DebtorParty,
        AggregateField::CreditorParty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AggregateField::Amount => "amount",
            AggregateField::DebtorAccount => "debtor_account",
            AggregateField::CreditorAccount => "creditor_account",
            AggregateField::SourceWallet => "source_wallet",
            AggregateField::DestinationWallet => "destination_wallet",
            AggregateField::DebtorParty => "debtor_party",
            AggregateField::CreditorParty => "creditor_party",
        }
    }
}

/// One aggregate the engine keeps in state: for every transaction that
/// passes the aggregate's filter (see [`crate::RuleGraph::aggregate_applies`]),
/// the engine adds the transaction to the series of its `key`, then passes
/// the series' value over `window`, this transaction included, with
/// [`crate::Facts::set_aggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateSpec {
    /// The id that predicates use to read the value.
    pub id: String,
    pub function: AggregateFunction,
    pub key: AggregateKey,
    /// `None` for `count`; `Amount` for `sum` and `max`; the counted field for `distinct_count`.
    pub field: Option<AggregateField>,
    /// Sliding window length, from 1 minute to 90 days.
    pub window: Duration,
    /// Whether only some transactions count; ask [`crate::RuleGraph::aggregate_applies`].
    pub filtered: bool,
}

impl fmt::Display for AggregateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.id, self.function.as_str())?;
        if let Some(field) = self.field {
            write!(f, "({})", field.as_str())?;
        }
        write!(
            f,
            " per {} over {}",
            self.key.as_str(),
            crate::window::format_window(self.window)
        )?;
        if self.filtered {
            write!(f, " (filtered)")?;
        }
        Ok(())
    }
}

/// Finds an enum value by its name, or lists the allowed names.
pub(crate) fn parse_name<T: Copy>(
    text: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|v| name(*v) == text)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            names.join(", ")
        })
}

/// Checks that `field` suits `function`, returning the field to record or
/// the reason it does not suit.
pub(crate) fn check_field(
    function: AggregateFunction,
    field: Option<AggregateField>,
) -> Result<Option<AggregateField>, String> {
    match (function, field) {
        (AggregateFunction::Count, None) => Ok(None),
        (AggregateFunction::Count, Some(_)) => Err(
            "`count` counts transactions and takes no `field`; remove it, or use distinct_count to count different values".into(),
        ),
        (AggregateFunction::Sum | AggregateFunction::Max, None | Some(AggregateField::Amount)) => {
            Ok(Some(AggregateField::Amount))
        }
        (AggregateFunction::Sum | AggregateFunction::Max, Some(other)) => Err(format!(
            "`{}` works on numbers, so `field` must be \"amount\", not \"{}\"",
            function.as_str(),
            other.as_str()
        )),
        (AggregateFunction::DistinctCount, None) => Err(
            "`distinct_count` needs a `field` to count, such as field = \"source_wallet\"".into(),
        ),
        (AggregateFunction::DistinctCount, Some(AggregateField::Amount)) => Err(
            "`distinct_count` counts identities such as wallets, accounts or parties, not amounts".into(),
        ),
        (AggregateFunction::DistinctCount, Some(field)) => Ok(Some(field)),
    }
}
