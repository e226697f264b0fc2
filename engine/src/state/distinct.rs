//! Distinct counting: an exact set of 64-bit value hashes per bucket, which
//! turns into a HyperLogLog sketch when it grows past [`EXACT_CAP`].
//!
//! Values are hashed with the first 8 bytes of SHA-256, a hash that does not
//! change between builds or machines and that clients cannot steer into
//! collisions. "Exact" therefore means exact up to 64-bit hash collisions,
//! about one in 10^10 for a window of 100 000 distinct values.
//!
//! The sketch has 2^10 one-byte registers (1 KiB, the size of a full exact
//! set) and a standard error of 1.04 / sqrt(1024), about 3.3%.

use sha2::{Digest, Sha256};

/// Largest exact set a bucket holds; one more value turns it into a sketch.
pub const EXACT_CAP: usize = 128;

/// Largest number of hashes a window read unions exactly. Above it the read
/// estimates with a sketch, which bounds the work of a read on a busy key.
pub const WINDOW_EXACT_CAP: usize = 4096;

const PRECISION: u32 = 10;
/// Number of sketch registers.
pub const REGISTERS: usize = 1 << PRECISION;

/// The distinct values of one bucket, or of a window while reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistinctSet {
    /// Sorted, deduplicated value hashes.
    Exact(Vec<u64>),
    /// HyperLogLog registers.
    Sketch(Box<[u8; REGISTERS]>),
}

/// Hashes a distinct-count value to the 64 bits that are stored.
pub fn hash_value(value: &[u8]) -> u64 {
    let digest = Sha256::digest(value);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

impl DistinctSet {
    /// A set holding one hashed value.
    pub fn single(hash: u64) -> Self {
        DistinctSet::Exact(vec![hash])
    }

    /// Adds every value of `other` to `self`.
    pub fn union(&mut self, other: &DistinctSet) {
        match (&mut *self, other) {
            (DistinctSet::Exact(mine), DistinctSet::Exact(theirs)) => {
                let merged = merge_sorted(mine, theirs);
                if merged.len() > EXACT_CAP {
                    *self = DistinctSet::Sketch(sketch_of(&merged));
                } else {
                    *mine = merged;
                }
            }
            (DistinctSet::Exact(mine), DistinctSet::Sketch(theirs)) => {
                let mut registers = theirs.clone();
                insert_all(&mut registers, mine);
                *self = DistinctSet::Sketch(registers);
            }
            (DistinctSet::Sketch(mine), DistinctSet::Exact(theirs)) => insert_all(mine, theirs),
            (DistinctSet::Sketch(mine), DistinctSet::Sketch(theirs)) => {
                for (register, other) in mine.iter_mut().zip(theirs.iter()) {
                    *register = (*register).max(*other);
                }
            }
        }
    }

    /// The number of distinct values, estimated for a sketch.
    pub fn count(&self) -> u64 {
        match self {
            DistinctSet::Exact(hashes) => hashes.len() as u64,
            DistinctSet::Sketch(registers) => estimate(registers),
        }
    }

    /// Whether [`count`](Self::count) is exact; used by the state tests.
    #[allow(dead_code)]
    pub fn is_exact(&self) -> bool {
        matches!(self, DistinctSet::Exact(_))
    }
}

/// Counts the union of several buckets' sets: exact while every set is
/// exact and they hold at most [`WINDOW_EXACT_CAP`] hashes together.
pub fn union_count<'a>(sets: impl Iterator<Item = &'a DistinctSet> + Clone) -> (u64, bool) {
    let mut total = 0usize;
    let mut all_exact = true;
    for set in sets.clone() {
        match set {
            DistinctSet::Exact(hashes) => total += hashes.len(),
            DistinctSet::Sketch(_) => all_exact = false,
        }
    }
    if all_exact && total <= WINDOW_EXACT_CAP {
        let mut hashes: Vec<u64> = Vec::with_capacity(total);
        for set in sets {
            if let DistinctSet::Exact(more) = set {
                hashes.extend_from_slice(more);
            }
        }
        hashes.sort_unstable();
        hashes.dedup();
        return (hashes.len() as u64, true);
    }
    let mut registers = Box::new([0u8; REGISTERS]);
    for set in sets {
        match set {
            DistinctSet::Exact(hashes) => insert_all(&mut registers, hashes),
            DistinctSet::Sketch(theirs) => {
                for (register, other) in registers.iter_mut().zip(theirs.iter()) {
                    *register = (*register).max(*other);
                }
            }
        }
    }
    (estimate(&registers), false)
}

fn merge_sorted(left: &[u64], right: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        let next = left[i].min(right[j]);
        i += usize::from(left[i] == next);
        j += usize::from(right[j] == next);
        out.push(next);
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    out
}

fn sketch_of(hashes: &[u64]) -> Box<[u8; REGISTERS]> {
    let mut registers = Box::new([0u8; REGISTERS]);
    insert_all(&mut registers, hashes);
    registers
}

fn insert_all(registers: &mut [u8; REGISTERS], hashes: &[u64]) {
    for hash in hashes {
        let index = (hash >> (64 - PRECISION)) as usize;
        // The remaining 54 bits, with a guard bit so the rank is at most 55.
        let rest = (hash << PRECISION) | (1 << (PRECISION - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        registers[index] = registers[index].max(rank);
    }
}

/// The HyperLogLog estimate with linear counting for small cardinalities.
fn estimate(registers: &[u8; REGISTERS]) -> u64 {
    let m = REGISTERS as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let harmonic: f64 = registers.iter().map(|r| 2f64.powi(-i32::from(*r))).sum();
    let raw = alpha * m * m / harmonic;
    let zeros = registers.iter().filter(|r| **r == 0).count();
    let value = if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    value.round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_of(values: std::ops::Range<u32>) -> DistinctSet {
        let mut set = DistinctSet::Exact(Vec::new());
        for value in values {
            set.union(&DistinctSet::single(hash_value(&value.to_be_bytes())));
        }
        set
    }

    #[test]
    fn exact_up_to_cap() {
        let set = exact_of(0..EXACT_CAP as u32);
        assert!(set.is_exact());
        assert_eq!(set.count(), EXACT_CAP as u64);
    }

    #[test]
    fn duplicates_counted_once() {
        let mut set = exact_of(0..10);
        set.union(&exact_of(5..15));
        assert_eq!(set.count(), 15);
    }

    #[test]
    fn sketch_past_cap() {
        let set = exact_of(0..EXACT_CAP as u32 + 1);
        assert!(!set.is_exact());
        let count = set.count() as f64;
        assert!((count - 129.0).abs() < 129.0 * 0.1, "estimate {count}");
    }

    #[test]
    fn sketch_error_within_bound() {
        // 10 standard errors of 3.3%: deterministic input, so this only
        // fails if the estimator is wrong.
        for n in [1_000u32, 10_000, 100_000] {
            let set = exact_of(0..n);
            let count = set.count() as f64;
            let error = (count - f64::from(n)).abs() / f64::from(n);
            assert!(error < 0.1, "n {n}: estimate {count}");
        }
    }

    #[test]
    fn union_of_sketch_and_exact() {
        let mut sketch = exact_of(0..1000);
        sketch.union(&exact_of(500..1500));
        let count = sketch.count() as f64;
        assert!((count - 1500.0).abs() < 150.0, "estimate {count}");
        let mut exact = exact_of(0..3);
        exact.union(&sketch);
        assert!(!exact.is_exact());
    }

    #[test]
    fn window_union_exact_then_estimated() {
        let sets: Vec<DistinctSet> = (0..10).map(|i| exact_of(i * 50..i * 50 + 100)).collect();
        assert_eq!(union_count(sets.iter()), (550, true));
        let many: Vec<DistinctSet> = (0..64).map(|i| exact_of(i * 100..i * 100 + 100)).collect();
        let (count, exact) = union_count(many.iter());
        assert!(!exact, "6400 hashes exceed the window cap");
        assert!((count as f64 - 6400.0).abs() < 640.0, "estimate {count}");
    }
}
