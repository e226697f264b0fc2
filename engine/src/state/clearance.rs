//! Analyst clearances: a decision that a party name does not refer to a
//! listed entity, valid only while the entity's list entry is unchanged.
//!
//! The `clearances` value is `[format u8 = 1][cleared-at ms i64 BE][u16
//! len][entity digest][u16 len][analyst][note bytes]`.

use super::audit::take_string;
use super::error::StateError;
use super::keys::{
    append_len_prefixed, check_len, check_max, take_array, take_len_prefixed,
    MAX_CLEARANCE_FIELD_LEN, MAX_DIGEST_LEN, MAX_NOTE_LEN,
};
use super::spec::check_time;

const FORMAT: u8 = 1;

/// What a clearance is about: a normalised party name against one entity of
/// one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClearanceKey<'a> {
    /// The party name as the normaliser output it.
    pub party_name: &'a str,
    /// The list id, for example `ofac_sdn`.
    pub list: &'a str,
    /// The entity id within the list.
    pub entity_id: &'a str,
}

/// One analyst clearance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clearance {
    /// Digest of the entity's content when it was cleared.
    pub entity_digest: Vec<u8>,
    /// When the analyst cleared it, Unix milliseconds.
    pub cleared_at_ms: i64,
    /// Who cleared it.
    pub analyst: String,
    /// Why, in the analyst's words.
    pub note: String,
}

/// Whether a clearance suppresses a hit now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClearanceStatus {
    /// No clearance exists for this key.
    None,
    /// A clearance exists and the entity is unchanged since: the hit is cleared.
    Applies(Clearance),
    /// A clearance exists but the entity's digest changed, so it no longer applies.
    Voided(Clearance),
}

impl ClearanceKey<'_> {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, StateError> {
        let fields = [
            ("clearance party name", self.party_name),
            ("clearance list", self.list),
            ("clearance entity id", self.entity_id),
        ];
        let mut out = Vec::new();
        for (field, value) in fields {
            check_len(field, value.as_bytes(), MAX_CLEARANCE_FIELD_LEN)?;
            append_len_prefixed(&mut out, value.as_bytes());
        }
        Ok(out)
    }
}

impl Clearance {
    pub(crate) fn validate(&self) -> Result<(), StateError> {
        check_len("entity digest", &self.entity_digest, MAX_DIGEST_LEN)?;
        check_time("cleared_at_ms", self.cleared_at_ms)?;
        check_len("analyst", self.analyst.as_bytes(), MAX_NOTE_LEN)?;
        check_max("clearance note", self.note.as_bytes(), MAX_NOTE_LEN)
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.entity_digest.len() + self.note.len());
        out.push(FORMAT);
        out.extend_from_slice(&self.cleared_at_ms.to_be_bytes());
        append_len_prefixed(&mut out, &self.entity_digest);
        append_len_prefixed(&mut out, self.analyst.as_bytes());
        out.extend_from_slice(self.note.as_bytes());
        out
    }

    pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<Clearance, StateError> {
        decode_parts(bytes).map_err(|reason| StateError::corrupt("clearances", key, reason))
    }

    /// Whether this clearance still applies to an entity whose content now
    /// has `current_digest`.
    pub fn status(self, current_digest: &[u8]) -> ClearanceStatus {
        if self.entity_digest == current_digest {
            ClearanceStatus::Applies(self)
        } else {
            ClearanceStatus::Voided(self)
        }
    }
}

fn decode_parts(bytes: &[u8]) -> Result<Clearance, String> {
    let mut rest = bytes;
    let format = take_array::<1>(&mut rest).ok_or("empty record")?[0];
    if format != FORMAT {
        return Err(format!("unknown record format {format}"));
    }
    let cleared_at_ms = i64::from_be_bytes(take_array(&mut rest).ok_or("truncated time")?);
    let entity_digest = take_len_prefixed(&mut rest)
        .ok_or("truncated entity digest")?
        .to_vec();
    let analyst = take_string(&mut rest, "analyst")?;
    let note = String::from_utf8(rest.to_vec()).map_err(|_| "note is not UTF-8")?;
    Ok(Clearance {
        entity_digest,
        cleared_at_ms,
        analyst,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clearance() -> Clearance {
        Clearance {
            entity_digest: vec![0xab; 32],
            cleared_at_ms: 1_700_000_000_000,
            analyst: "analyst-7".to_owned(),
            note: "different birth date".to_owned(),
        }
    }

    #[test]
    fn clearance_round_trips() {
        let value = clearance();
        assert_eq!(Clearance::decode(b"k", &value.encode()).ok(), Some(value));
    }

    #[test]
    fn digest_decides_status() {
        assert_eq!(
            clearance().status(&[0xab; 32]),
            ClearanceStatus::Applies(clearance())
        );
        assert_eq!(
            clearance().status(&[0xac; 32]),
            ClearanceStatus::Voided(clearance())
        );
    }

    #[test]
    fn key_fields_are_length_prefixed() {
        let first = ClearanceKey {
            party_name: "ab",
            list: "c",
            entity_id: "1",
        };
        let second = ClearanceKey {
            party_name: "a",
            list: "bc",
            entity_id: "1",
        };
        assert_ne!(first.encode().ok(), second.encode().ok());
    }

    #[test]
    fn empty_key_field_rejected() {
        let key = ClearanceKey {
            party_name: "",
            list: "ofac_sdn",
            entity_id: "1",
        };
        assert!(matches!(key.encode(), Err(StateError::Empty { .. })));
    }

    #[test]
    fn truncated_clearance_is_corrupt() {
        let encoded = clearance().encode();
        for len in [0, 3, 9, 12, 40] {
            assert!(
                Clearance::decode(b"k", &encoded[..len]).is_err(),
                "{len} bytes"
            );
        }
    }
}
