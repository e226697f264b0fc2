//! Length limits on client input and the byte layout of every stored key.
//!
//! Column families and their keys (integers big-endian, so RocksDB's
//! bytewise order is numeric order):
//!
//! | CF               | key                                                     | value |
//! |------------------|---------------------------------------------------------|-------|
//! | `meta`           | `format`                                                | `screener-state/<version>` |
//! | `aggregates`     | aggregate prefix, `[key len u16][key]`, `[bucket u64]` | bucket value (`bucket.rs`) |
//! | `seen`           | transaction id (written by earlier versions only; pruned with its audit record) | screened-at ms, i64 |
//! | `audit`          | transaction id                                          | `[3][screened-at ms i64]`, or the audit entry in stores of format 1 (`audit.rs`) |
//! | `audit_by_time`  | `[screened-at ms u64][transaction id]`                  | audit entry, or empty in stores of format 1 |
//! | `clearances`     | `[u16 len][party name][u16 len][list][u16 len][entity id]` | clearance (`clearance.rs`) |
//!
//! The aggregate prefix is `[id len u8][id][kind u8][window s u32][width s
//! u32]`. Every part is length-prefixed or fixed-width, so no series key is a
//! prefix of another series' key and a range scan over one series returns only
//! its buckets.

use super::error::StateError;

/// Longest transaction id. pacs.008 EndToEndId allows 35 characters; crypto
/// transaction hashes and client-made ids need more.
pub const MAX_TXN_ID_LEN: usize = 256;
/// Longest aggregate id.
pub const MAX_AGGREGATE_ID_LEN: usize = 64;
/// Longest aggregate key (an account, wallet, party or a pair of them).
pub const MAX_AGGREGATE_KEY_LEN: usize = 512;
/// Longest value counted by a distinct-count aggregate. Only its hash is stored.
pub const MAX_DISTINCT_VALUE_LEN: usize = 1024;
/// Longest list or rule version string.
pub const MAX_VERSION_LEN: usize = 256;
/// Largest encoded verdict.
pub const MAX_VERDICT_LEN: usize = 4 << 20;
/// Longest normalised party name, list id or entity id in a clearance.
pub const MAX_CLEARANCE_FIELD_LEN: usize = 1024;
/// Longest entity content digest.
pub const MAX_DIGEST_LEN: usize = 128;
/// Longest analyst id or clearance note.
pub const MAX_NOTE_LEN: usize = 8192;

/// Rejects an empty value or one longer than `max` bytes.
pub(crate) fn check_len(field: &'static str, value: &[u8], max: usize) -> Result<(), StateError> {
    if value.is_empty() {
        return Err(StateError::Empty { field });
    }
    check_max(field, value, max)
}

/// Rejects a value longer than `max` bytes; empty is allowed.
pub(crate) fn check_max(field: &'static str, value: &[u8], max: usize) -> Result<(), StateError> {
    if value.len() > max {
        return Err(StateError::TooLong {
            field,
            len: value.len(),
            max,
        });
    }
    Ok(())
}

/// Builds a length-prefixed key for a pair of values, such as a debtor and
/// creditor account, so that `("ab", "c")` and `("a", "bc")` differ.
pub fn pair_key(first: &[u8], second: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(first.len() + second.len() + 4);
    append_len_prefixed(&mut key, first);
    append_len_prefixed(&mut key, second);
    key
}

/// Appends `[len u16 BE][bytes]`; callers bound `bytes` below 64 KiB.
pub(crate) fn append_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Splits `[len u16 BE][bytes]` off the front of `input`.
pub(crate) fn take_len_prefixed<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u16::from_be_bytes(take_array(input)?) as usize;
    take_bytes(input, len)
}

pub(crate) fn take_bytes<'a>(input: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    if input.len() < len {
        return None;
    }
    let (head, rest) = input.split_at(len);
    *input = rest;
    Some(head)
}

pub(crate) fn take_array<const N: usize>(input: &mut &[u8]) -> Option<[u8; N]> {
    take_bytes(input, N)?.try_into().ok()
}

/// The key of one series: an aggregate prefix and a key value.
pub(crate) fn series_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + key.len() + 10);
    append_series_key(&mut out, prefix, key);
    out
}

/// Appends the key of a series, as [`series_key`] returns it, to `out`.
pub(crate) fn append_series_key(out: &mut Vec<u8>, prefix: &[u8], key: &[u8]) {
    out.extend_from_slice(prefix);
    append_len_prefixed(out, key);
}

/// Bytes of the bucket index at the end of a bucket key.
pub(crate) const BUCKET_INDEX_LEN: usize = 8;

/// The key of one bucket of a series.
pub(crate) fn bucket_key(series: &[u8], bucket: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(series.len() + BUCKET_INDEX_LEN);
    append_bucket_key(&mut out, series, bucket);
    out
}

/// Appends the key of one bucket of a series to `out`.
pub(crate) fn append_bucket_key(out: &mut Vec<u8>, series: &[u8], bucket: u64) {
    out.extend_from_slice(series);
    out.extend_from_slice(&bucket.to_be_bytes());
}

/// The parts of an aggregate bucket key that expiry needs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BucketKeyParts {
    pub window_secs: u64,
    pub width_secs: u64,
    pub bucket: u64,
}

/// Parses an aggregate bucket key; `None` when it is not one of ours.
pub(crate) fn parse_bucket_key(key: &[u8]) -> Option<BucketKeyParts> {
    let mut rest = key;
    let id_len = take_array::<1>(&mut rest)?[0] as usize;
    take_bytes(&mut rest, id_len)?;
    take_array::<1>(&mut rest)?;
    let window_secs = u32::from_be_bytes(take_array(&mut rest)?) as u64;
    let width_secs = u32::from_be_bytes(take_array(&mut rest)?) as u64;
    take_len_prefixed(&mut rest)?;
    let bucket = u64::from_be_bytes(take_array(&mut rest)?);
    if !rest.is_empty() || width_secs == 0 {
        return None;
    }
    Some(BucketKeyParts {
        window_secs,
        width_secs,
        bucket,
    })
}

/// The `audit_by_time` key: time first, so a range scan walks time order.
#[cfg(test)]
pub(crate) fn time_key(time_ms: i64, txn_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + txn_id.len());
    append_time_key(&mut out, time_ms, txn_id.as_bytes());
    out
}

/// Appends an `audit_by_time` key to `out`.
pub(crate) fn append_time_key(out: &mut Vec<u8>, time_ms: i64, txn_id: &[u8]) {
    out.extend_from_slice(&(time_ms.max(0) as u64).to_be_bytes());
    out.extend_from_slice(txn_id);
}

/// Splits an `audit_by_time` key into its time and transaction id.
pub(crate) fn parse_time_key(key: &[u8]) -> Option<(i64, &[u8])> {
    let mut rest = key;
    let time = u64::from_be_bytes(take_array(&mut rest)?);
    Some((i64::try_from(time).ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_key_is_unambiguous() {
        assert_ne!(pair_key(b"ab", b"c"), pair_key(b"a", b"bc"));
        assert_eq!(pair_key(b"a", b"b"), pair_key(b"a", b"b"));
    }

    #[test]
    fn bucket_key_parses_back() {
        let prefix = [
            &[3u8][..],
            b"agg",
            &[1],
            &3600u32.to_be_bytes(),
            &60u32.to_be_bytes(),
        ]
        .concat();
        let key = bucket_key(&series_key(&prefix, b"DE89370400440532013000"), 42);
        let parts = parse_bucket_key(&key).expect("our own key parses");
        assert_eq!(
            parts,
            BucketKeyParts {
                window_secs: 3600,
                width_secs: 60,
                bucket: 42
            }
        );
    }

    #[test]
    fn foreign_bucket_keys_rejected() {
        assert_eq!(parse_bucket_key(b""), None);
        assert_eq!(parse_bucket_key(b"\x05ab"), None);
        let prefix = [
            &[1u8][..],
            b"a",
            &[1],
            &60u32.to_be_bytes(),
            &1u32.to_be_bytes(),
        ]
        .concat();
        let mut key = bucket_key(&series_key(&prefix, b"k"), 7);
        key.push(0);
        assert_eq!(parse_bucket_key(&key), None, "trailing byte");
    }

    #[test]
    fn length_checks() {
        assert!(matches!(
            check_len("id", b"", 4),
            Err(StateError::Empty { .. })
        ));
        assert!(matches!(
            check_len("id", b"12345", 4),
            Err(StateError::TooLong { len: 5, max: 4, .. })
        ));
        assert!(check_len("id", b"1234", 4).is_ok());
        assert!(check_max("note", b"", 4).is_ok());
    }

    #[test]
    fn time_key_orders_by_time() {
        assert!(time_key(1, "z") < time_key(2, "a"));
        assert_eq!(parse_time_key(&time_key(77, "tx")), Some((77, &b"tx"[..])));
    }
}
