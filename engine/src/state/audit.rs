//! Audit records: the verdict given for each transaction, with the list and
//! rule versions it was judged against.
//!
//! A committed transaction leaves two records. The entry, `[format u8 =
//! 2][screened-at ms i64 BE][decision u8][u16 len][list version][u16
//! len][rule version][u16 len][request digest][verdict bytes]`, is the value
//! of its time index key `[screened-at ms u64 BE][id]` in `audit_by_time`.
//! Under the id in `audit` goes `[format u8 = 3][screened-at ms i64 BE]`,
//! which marks the id as seen and leads to the entry.
//!
//! Entries in time order reach RocksDB's files in nearly the order they
//! were written, so compaction moves most of them without merging, where
//! entries keyed by id overlap every older file and are rewritten at each
//! level. The id family keeps only 9-byte values, so its files, and the
//! bloom filters every new transaction probes, stay few.
//!
//! Earlier versions stored the entry itself under the id (format 2, or
//! format 1 without a request digest) and an empty time index value. Such
//! records are still read.

use super::error::StateError;
use super::keys::{
    append_len_prefixed, check_len, check_max, take_array, take_len_prefixed, MAX_VERDICT_LEN,
    MAX_VERSION_LEN,
};
use super::rocks::{CF_AUDIT, CF_AUDIT_BY_TIME};
use super::spec::check_time;

const FORMAT: u8 = 2;
/// The format before records carried a request digest.
const FORMAT_WITHOUT_DIGEST: u8 = 1;
/// The format of a record under an id whose entry is in the time index.
const FORMAT_AT_TIME: u8 = 3;
/// Maximum length of a request digest in bytes.
const MAX_DIGEST_LEN: usize = 64;

/// The decision of a verdict, stored beside the opaque verdict so audit
/// reads can filter on it without decoding the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    Review,
    Block,
}

impl Decision {
    fn tag(self) -> u8 {
        match self {
            Decision::Allow => 1,
            Decision::Review => 2,
            Decision::Block => 3,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Decision::Allow),
            2 => Some(Decision::Review),
            3 => Some(Decision::Block),
            _ => None,
        }
    }
}

/// What the pipeline commits for a transaction besides its aggregate updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When the verdict was made, Unix milliseconds; orders the audit log.
    pub screened_at_ms: i64,
    pub decision: Decision,
    /// Version of the list snapshot the transaction was screened against.
    pub list_version: String,
    /// Version of the rule graph that decided.
    pub rule_version: String,
    /// A digest of the request that was screened, which distinguishes a
    /// retry from another request with the same id. Empty in records of the
    /// earlier format.
    pub request_digest: Vec<u8>,
    /// The verdict as the caller encoded it (a prost-encoded `Verdict`).
    pub verdict: Vec<u8>,
}

/// An audit entry with the transaction id it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub txn_id: String,
    pub entry: AuditEntry,
}

impl AuditEntry {
    /// Rejects out-of-range times and oversized fields.
    pub(crate) fn validate(&self) -> Result<(), StateError> {
        check_time("screened_at_ms", self.screened_at_ms)?;
        check_max(
            "list version",
            self.list_version.as_bytes(),
            MAX_VERSION_LEN,
        )?;
        check_max(
            "rule version",
            self.rule_version.as_bytes(),
            MAX_VERSION_LEN,
        )?;
        check_max("request digest", &self.request_digest, MAX_DIGEST_LEN)?;
        check_len("verdict", &self.verdict, MAX_VERDICT_LEN)
    }

    #[cfg(test)]
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded entry to `out`.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(
            18 + self.list_version.len()
                + self.rule_version.len()
                + self.request_digest.len()
                + self.verdict.len(),
        );
        out.push(FORMAT);
        out.extend_from_slice(&self.screened_at_ms.to_be_bytes());
        out.push(self.decision.tag());
        append_len_prefixed(out, self.list_version.as_bytes());
        append_len_prefixed(out, self.rule_version.as_bytes());
        append_len_prefixed(out, &self.request_digest);
        out.extend_from_slice(&self.verdict);
    }

    /// Decodes the value stored under `key` in the time index.
    pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<AuditEntry, StateError> {
        decode_parts(bytes).map_err(|reason| StateError::corrupt(CF_AUDIT_BY_TIME, key, reason))
    }
}

/// The value of a transaction id in the `audit` family.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IdRecord {
    /// A pointer to the entry: the value of the time index key at this time.
    AtTime(i64),
    /// The entry itself, as earlier versions stored it.
    Entry(AuditEntry),
}

impl IdRecord {
    /// Appends the record that points at an entry screened at `time_ms`.
    pub(crate) fn encode_at_time(out: &mut Vec<u8>, time_ms: i64) {
        out.push(FORMAT_AT_TIME);
        out.extend_from_slice(&time_ms.to_be_bytes());
    }

    /// Decodes the value stored under `txn_id`.
    pub(crate) fn decode(txn_id: &[u8], bytes: &[u8]) -> Result<IdRecord, StateError> {
        let corrupt = |reason: String| StateError::corrupt(CF_AUDIT, txn_id, reason);
        if bytes.first() != Some(&FORMAT_AT_TIME) {
            return decode_parts(bytes).map(IdRecord::Entry).map_err(corrupt);
        }
        let mut rest = &bytes[1..];
        let time = take_array(&mut rest)
            .map(i64::from_be_bytes)
            .ok_or_else(|| corrupt("truncated time".to_owned()))?;
        if !rest.is_empty() {
            return Err(corrupt(format!("{} bytes after the time", rest.len())));
        }
        Ok(IdRecord::AtTime(time))
    }
}

fn decode_parts(bytes: &[u8]) -> Result<AuditEntry, String> {
    let mut rest = bytes;
    let format = take_array::<1>(&mut rest).ok_or("empty record")?[0];
    if format != FORMAT && format != FORMAT_WITHOUT_DIGEST {
        return Err(format!("unknown record format {format}"));
    }
    let screened_at_ms = i64::from_be_bytes(take_array(&mut rest).ok_or("truncated time")?);
    let tag = take_array::<1>(&mut rest).ok_or("truncated decision")?[0];
    let decision = Decision::from_tag(tag).ok_or(format!("unknown decision tag {tag}"))?;
    let list_version = take_string(&mut rest, "list version")?;
    let rule_version = take_string(&mut rest, "rule version")?;
    let request_digest = if format == FORMAT {
        take_len_prefixed(&mut rest)
            .ok_or("truncated request digest")?
            .to_vec()
    } else {
        Vec::new()
    };
    Ok(AuditEntry {
        screened_at_ms,
        decision,
        list_version,
        rule_version,
        request_digest,
        verdict: rest.to_vec(),
    })
}

/// Splits a length-prefixed UTF-8 string off the front of `rest`.
pub(crate) fn take_string(rest: &mut &[u8], field: &str) -> Result<String, String> {
    let bytes = take_len_prefixed(rest).ok_or(format!("truncated {field}"))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("{field} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            screened_at_ms: 1_700_000_000_000,
            decision: Decision::Review,
            list_version: "lists-2024-05-01".to_owned(),
            rule_version: "rules-7".to_owned(),
            request_digest: vec![0xab; 32],
            verdict: vec![8, 2, 16, 1],
        }
    }

    #[test]
    fn entry_round_trips() {
        let entry = entry();
        assert_eq!(AuditEntry::decode(b"t1", &entry.encode()).ok(), Some(entry));
    }

    #[test]
    fn entry_without_digest_still_read() {
        // The earlier format: no digest field between versions and verdict.
        let mut old = vec![FORMAT_WITHOUT_DIGEST];
        old.extend_from_slice(&1_700_000_000_000_i64.to_be_bytes());
        old.push(2);
        append_len_prefixed(&mut old, b"lists-2024-05-01");
        append_len_prefixed(&mut old, b"rules-7");
        old.extend_from_slice(&[8, 2, 16, 1]);
        let decoded = AuditEntry::decode(b"t1", &old).expect("decodes");
        assert!(decoded.request_digest.is_empty());
        assert_eq!(decoded.verdict, vec![8, 2, 16, 1]);
        assert_eq!(decoded.rule_version, "rules-7");
    }

    #[test]
    fn truncated_entry_is_corrupt() {
        let encoded = entry().encode();
        for len in [0, 1, 5, 10, 12, 20] {
            let result = AuditEntry::decode(b"t1", &encoded[..len]);
            assert!(
                matches!(
                    result,
                    Err(StateError::Corrupt {
                        cf: "audit_by_time",
                        ..
                    })
                ),
                "{len} bytes: {result:?}"
            );
            // The same bytes under an id, as earlier versions stored them.
            let result = IdRecord::decode(b"t1", &encoded[..len]);
            assert!(
                matches!(result, Err(StateError::Corrupt { cf: "audit", .. })),
                "{len} bytes: {result:?}"
            );
        }
    }

    #[test]
    fn id_record_decodes_time() {
        let mut bytes = Vec::new();
        IdRecord::encode_at_time(&mut bytes, 1_700_000_000_123);
        assert_eq!(
            IdRecord::decode(b"t1", &bytes).ok(),
            Some(IdRecord::AtTime(1_700_000_000_123))
        );
        // Records of the earlier layout contain the entry itself.
        assert_eq!(
            IdRecord::decode(b"t1", &entry().encode()).ok(),
            Some(IdRecord::Entry(entry()))
        );
        for bad in [&bytes[..5], &[bytes.as_slice(), &[0]].concat()[..]] {
            let result = IdRecord::decode(b"t1", bad);
            assert!(
                matches!(result, Err(StateError::Corrupt { cf: "audit", .. })),
                "{bad:?}: {result:?}"
            );
        }
    }

    #[test]
    fn unknown_decision_is_corrupt() {
        let mut encoded = entry().encode();
        encoded[9] = 9;
        assert!(AuditEntry::decode(b"t1", &encoded).is_err());
    }

    #[test]
    fn oversized_fields_rejected() {
        let mut long_version = entry();
        long_version.list_version = "v".repeat(MAX_VERSION_LEN + 1);
        assert!(long_version.validate().is_err());
        let mut empty_verdict = entry();
        empty_verdict.verdict.clear();
        assert!(empty_verdict.validate().is_err());
        let mut long_digest = entry();
        long_digest.request_digest = vec![0; MAX_DIGEST_LEN + 1];
        assert!(long_digest.validate().is_err());
        let mut negative_time = entry();
        negative_time.screened_at_ms = -5;
        assert!(negative_time.validate().is_err());
        assert!(entry().validate().is_ok());
    }
}
