//! The value of one time bucket, its byte encoding, and how two values of
//! the same bucket combine.
//!
//! Encoding: a tag byte, then the payload.
//!
//! | tag | kind                   | payload                        |
//! |-----|------------------------|--------------------------------|
//! | 1   | count                  | u64 LE                         |
//! | 2   | sum                    | u64 LE                         |
//! | 3   | distinct, exact        | sorted u64 LE hashes           |
//! | 4   | max                    | u64 LE                         |
//! | 5   | distinct, sketch       | 1024 HyperLogLog registers     |
//!
//! The same encoding serves as the stored value, as a transaction's delta
//! in the journal, and as the merge operand a checkpoint writes, because
//! combining is associative and commutative:
//! addition for count and sum, maximum for max, set union for distinct.

use rocksdb::MergeOperands;

use super::distinct::{DistinctSet, REGISTERS};
use super::spec::AggregateKind;

/// One bucket's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BucketValue {
    Count(u64),
    Sum(u64),
    Max(u64),
    Distinct(DistinctSet),
}

const TAG_COUNT: u8 = 1;
const TAG_SUM: u8 = 2;
const TAG_EXACT: u8 = 3;
const TAG_MAX: u8 = 4;
const TAG_SKETCH: u8 = 5;

impl BucketValue {
    /// The aggregate kind this value belongs to.
    pub fn kind(&self) -> AggregateKind {
        match self {
            BucketValue::Count(_) => AggregateKind::Count,
            BucketValue::Sum(_) => AggregateKind::Sum,
            BucketValue::Max(_) => AggregateKind::Max,
            BucketValue::Distinct(_) => AggregateKind::DistinctCount,
        }
    }

    /// Combines `other` into `self`; `false` when their kinds differ.
    pub fn merge(&mut self, other: &BucketValue) -> bool {
        match (self, other) {
            (BucketValue::Count(a), BucketValue::Count(b)) => *a = a.saturating_add(*b),
            (BucketValue::Sum(a), BucketValue::Sum(b)) => *a = a.saturating_add(*b),
            (BucketValue::Max(a), BucketValue::Max(b)) => *a = (*a).max(*b),
            (BucketValue::Distinct(a), BucketValue::Distinct(b)) => a.union(b),
            _ => return false,
        }
        true
    }

    /// Appends the encoded value to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            BucketValue::Count(n) => encode_scalar(out, TAG_COUNT, *n),
            BucketValue::Sum(n) => encode_scalar(out, TAG_SUM, *n),
            BucketValue::Max(n) => encode_scalar(out, TAG_MAX, *n),
            BucketValue::Distinct(DistinctSet::Exact(hashes)) => {
                out.reserve(1 + hashes.len() * 8);
                out.push(TAG_EXACT);
                for hash in hashes {
                    out.extend_from_slice(&hash.to_le_bytes());
                }
            }
            BucketValue::Distinct(DistinctSet::Sketch(registers)) => {
                out.push(TAG_SKETCH);
                out.extend_from_slice(&registers[..]);
            }
        }
    }

    /// The encoded value.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9);
        self.encode_into(&mut out);
        out
    }

    /// Decodes a value, saying what is wrong when it is not one.
    pub fn decode(bytes: &[u8]) -> Result<BucketValue, String> {
        let (tag, payload) = bytes.split_first().ok_or("empty bucket value")?;
        match *tag {
            TAG_COUNT => decode_scalar(payload).map(BucketValue::Count),
            TAG_SUM => decode_scalar(payload).map(BucketValue::Sum),
            TAG_MAX => decode_scalar(payload).map(BucketValue::Max),
            TAG_EXACT => decode_exact(payload),
            TAG_SKETCH => {
                let registers: [u8; REGISTERS] = payload.try_into().map_err(|_| {
                    format!("sketch has {} bytes, expected {REGISTERS}", payload.len())
                })?;
                Ok(BucketValue::Distinct(DistinctSet::Sketch(Box::new(
                    registers,
                ))))
            }
            other => Err(format!("unknown bucket tag {other}")),
        }
    }
}

fn encode_scalar(out: &mut Vec<u8>, tag: u8, value: u64) {
    out.push(tag);
    out.extend_from_slice(&value.to_le_bytes());
}

fn decode_scalar(payload: &[u8]) -> Result<u64, String> {
    let bytes: [u8; 8] = payload
        .try_into()
        .map_err(|_| format!("counter has {} bytes, expected 8", payload.len()))?;
    Ok(u64::from_le_bytes(bytes))
}

fn decode_exact(payload: &[u8]) -> Result<BucketValue, String> {
    if payload.len() % 8 != 0 {
        return Err(format!(
            "exact set has {} bytes, not a multiple of 8",
            payload.len()
        ));
    }
    let hashes: Vec<u64> = payload
        .chunks_exact(8)
        .map(|chunk| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            u64::from_le_bytes(bytes)
        })
        .collect();
    if hashes.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err("exact set is not sorted and deduplicated".to_owned());
    }
    Ok(BucketValue::Distinct(DistinctSet::Exact(hashes)))
}

/// The RocksDB merge operator of the `aggregates` column family, used for
/// full and partial merges alike.
///
/// It returns `None`, which RocksDB reports as a corruption of the key, when
/// a value fails to decode or values of different kinds meet.
pub fn merge_operator(
    _key: &[u8],
    existing: Option<&[u8]>,
    operands: &MergeOperands,
) -> Option<Vec<u8>> {
    let mut values = existing.into_iter().chain(operands);
    let mut merged = BucketValue::decode(values.next()?).ok()?;
    for operand in values {
        let next = BucketValue::decode(operand).ok()?;
        if !merged.merge(&next) {
            return None;
        }
    }
    Some(merged.encode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::distinct::hash_value;

    fn distinct(values: &[&str]) -> BucketValue {
        let mut set = DistinctSet::Exact(Vec::new());
        for value in values {
            set.union(&DistinctSet::single(hash_value(value.as_bytes())));
        }
        BucketValue::Distinct(set)
    }

    #[test]
    fn encoding_round_trips() {
        let sketch = {
            let mut set = DistinctSet::Exact(Vec::new());
            for i in 0..500u32 {
                set.union(&DistinctSet::single(hash_value(&i.to_le_bytes())));
            }
            BucketValue::Distinct(set)
        };
        let values = [
            BucketValue::Count(3),
            BucketValue::Sum(u64::MAX),
            BucketValue::Max(0),
            distinct(&["a", "b"]),
            distinct(&[]),
            sketch,
        ];
        for value in values {
            assert_eq!(BucketValue::decode(&value.encode()), Ok(value.clone()));
        }
    }

    #[test]
    fn corrupt_values_rejected() {
        let cases: [&[u8]; 6] = [
            b"",
            b"\x01\x00",
            b"\x09\x00\x00\x00\x00\x00\x00\x00\x00",
            b"\x03\x01",
            b"\x05\x00",
            b"\x03\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00",
        ];
        for bytes in cases {
            assert!(BucketValue::decode(bytes).is_err(), "{bytes:?} decoded");
        }
    }

    #[test]
    fn merge_by_kind() {
        let mut count = BucketValue::Count(2);
        assert!(count.merge(&BucketValue::Count(3)));
        assert_eq!(count, BucketValue::Count(5));
        let mut sum = BucketValue::Sum(u64::MAX - 1);
        assert!(sum.merge(&BucketValue::Sum(5)));
        assert_eq!(sum, BucketValue::Sum(u64::MAX), "sum saturates");
        let mut max = BucketValue::Max(7);
        assert!(max.merge(&BucketValue::Max(3)));
        assert_eq!(max, BucketValue::Max(7));
        let mut set = distinct(&["a", "b"]);
        assert!(set.merge(&distinct(&["b", "c"])));
        assert_eq!(set, distinct(&["a", "b", "c"]));
    }

    #[test]
    fn merge_of_mixed_kinds_fails() {
        let mut count = BucketValue::Count(1);
        assert!(!count.merge(&BucketValue::Sum(1)));
    }
}
