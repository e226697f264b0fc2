//! What a transaction contributes to an aggregate, and what a read returns.

use super::bucket::BucketValue;
use super::distinct::{hash_value, DistinctSet};
use super::error::StateError;
use super::keys::{check_len, MAX_AGGREGATE_KEY_LEN, MAX_DISTINCT_VALUE_LEN};
use super::spec::{AggregateKind, AggregateSpec};

/// One transaction's contribution to one aggregate series.
#[derive(Clone, Copy, Debug)]
pub struct AggregateUpdate<'a> {
    pub spec: &'a AggregateSpec,
    /// The series key: an account, wallet, party, or a [`pair_key`](super::pair_key).
    /// 1 to 512 bytes.
    pub key: &'a [u8],
    pub contribution: Contribution<'a>,
}

/// The part of a transaction an aggregate counts. Each kind takes one:
/// count takes [`Event`](Self::Event), sum and max take
/// [`Amount`](Self::Amount), distinct count takes [`Value`](Self::Value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contribution<'a> {
    /// One more event.
    Event,
    /// An amount in minor units of the caller's choosing (cents, satoshi).
    Amount(u64),
    /// A value to count once, such as a counterparty account; 1 to 1024 bytes.
    Value(&'a [u8]),
}

impl Contribution<'_> {
    fn name(&self) -> &'static str {
        match self {
            Contribution::Event => "an event",
            Contribution::Amount(_) => "an amount",
            Contribution::Value(_) => "a value",
        }
    }
}

/// An aggregate's value over its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggregateValue {
    /// The count, sum, distinct count or maximum (0 for an empty window).
    pub value: u64,
    /// False when a distinct count is a HyperLogLog estimate.
    pub exact: bool,
}

impl AggregateUpdate<'_> {
    /// Checks the key and contribution, and builds the bucket delta.
    pub(crate) fn delta(&self) -> Result<BucketValue, StateError> {
        check_len("aggregate key", self.key, MAX_AGGREGATE_KEY_LEN)?;
        let kind = self.spec.kind();
        match (kind, self.contribution) {
            (AggregateKind::Count, Contribution::Event) => Ok(BucketValue::Count(1)),
            (AggregateKind::Sum, Contribution::Amount(amount)) => Ok(BucketValue::Sum(amount)),
            (AggregateKind::Max, Contribution::Amount(amount)) => Ok(BucketValue::Max(amount)),
            (AggregateKind::DistinctCount, Contribution::Value(value)) => {
                check_len("distinct value", value, MAX_DISTINCT_VALUE_LEN)?;
                Ok(BucketValue::Distinct(DistinctSet::single(hash_value(
                    value,
                ))))
            }
            (_, given) => Err(StateError::ContributionMismatch {
                id: self.spec.id().to_owned(),
                kind,
                given: given.name(),
                expected: match kind {
                    AggregateKind::Count => "Contribution::Event",
                    AggregateKind::Sum | AggregateKind::Max => "Contribution::Amount",
                    AggregateKind::DistinctCount => "Contribution::Value",
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn spec(kind: AggregateKind) -> AggregateSpec {
        AggregateSpec::new("agg", kind, Duration::from_secs(3600)).expect("valid spec")
    }

    #[test]
    fn contribution_must_match_kind() {
        let cases = [
            (AggregateKind::Count, Contribution::Amount(5)),
            (AggregateKind::Sum, Contribution::Event),
            (AggregateKind::Max, Contribution::Value(b"x")),
            (AggregateKind::DistinctCount, Contribution::Amount(1)),
        ];
        for (kind, contribution) in cases {
            let spec = spec(kind);
            let update = AggregateUpdate {
                spec: &spec,
                key: b"k",
                contribution,
            };
            assert!(
                matches!(update.delta(), Err(StateError::ContributionMismatch { .. })),
                "{kind} with {contribution:?}"
            );
        }
    }

    #[test]
    fn key_and_value_lengths_checked() {
        let count = spec(AggregateKind::Count);
        let long_key = vec![b'k'; MAX_AGGREGATE_KEY_LEN + 1];
        let update = AggregateUpdate {
            spec: &count,
            key: &long_key,
            contribution: Contribution::Event,
        };
        assert!(matches!(update.delta(), Err(StateError::TooLong { .. })));
        let distinct = spec(AggregateKind::DistinctCount);
        let update = AggregateUpdate {
            spec: &distinct,
            key: b"k",
            contribution: Contribution::Value(b""),
        };
        assert!(matches!(update.delta(), Err(StateError::Empty { .. })));
    }
}
