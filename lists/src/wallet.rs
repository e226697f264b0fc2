//! Crypto wallet addresses: the chain family an address belongs to, its
//! canonical form for comparison, whether it is well formed, and the index
//! of listed addresses.
//!
//! Canonical forms: EVM hex addresses compare case-insensitively (lower
//! case), and a mixed-case one must pass its EIP-55 checksum; bech32
//! addresses compare in lower case, and mixed case is invalid (BIP 173);
//! base58 addresses (Bitcoin legacy, Litecoin, TRON, Monero, ...) and
//! anything else compare exactly, as written.
//!
//! Lists tag addresses with an asset, not a chain: OFAC lists USDT held on
//! TRON and on Ethereum under "USDT". An address therefore matches
//! whatever asset the list tagged it with, and a hit notes when the asset
//! the caller named differs from the list's tag.

use rustc_hash::FxHashMap;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sha3::Keccak256;

use crate::model::Entity;

/// The address format family, which sets how addresses compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainFamily {
    /// 0x-prefixed 20-byte hex: Ethereum and EVM chains (BSC, Arbitrum, ...).
    Evm,
    /// Bech32 or bech32m segwit-style addresses (bc1..., ltc1..., zs1...).
    Bech32,
    /// TRON base58check addresses starting with T.
    Tron,
    /// Monero standard (95 characters) or integrated (106) addresses.
    Monero,
    /// Other base58 addresses: Bitcoin legacy, Litecoin, Dash, Zcash
    /// transparent, Bitcoin Cash legacy, Solana, ...
    Base58,
    /// Any other form, compared exactly.
    Other,
}

impl ChainFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            ChainFamily::Evm => "evm",
            ChainFamily::Bech32 => "bech32",
            ChainFamily::Tron => "tron",
            ChainFamily::Monero => "monero",
            ChainFamily::Base58 => "base58",
            ChainFamily::Other => "other",
        }
    }
}

/// Whether an address is well formed for its family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// The format and, where the family has one, the checksum hold.
    Valid,
    /// The format is right but the family has no checksum that can be checked
    /// here (Monero, Solana, unknown forms).
    Unchecked,
    /// Malformed, with the reason.
    Invalid(String),
}

/// A listed address that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletHit {
    pub list: String,
    pub entity_id: String,
    /// The asset the list tagged the address with.
    pub listed_asset: String,
    /// The address as the list writes it.
    pub listed_address: String,
    /// Set when the caller named an asset other than the list's tag.
    pub note: Option<String>,
}

/// The outcome of screening one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletResult {
    pub canonical: String,
    pub family: ChainFamily,
    pub validity: Validity,
    /// Listed entries with the same canonical address. Checked for
    /// invalid addresses too, since a typing error in payment data does not
    /// make a listed address any less listed.
    pub hits: Vec<WalletHit>,
}

/// Listed addresses by canonical form.
#[derive(Debug, Default)]
pub struct WalletIndex {
    by_address: FxHashMap<String, Vec<(u32, u16)>>,
}

impl WalletIndex {
    pub fn build(entities: &[Entity]) -> WalletIndex {
        let mut by_address: FxHashMap<String, Vec<(u32, u16)>> = FxHashMap::default();
        for (e, entity) in entities.iter().enumerate() {
            for (w, wallet) in entity.wallets.iter().enumerate().take(u16::MAX as usize) {
                let (canonical, _) = canonicalize(&wallet.address);
                if !canonical.is_empty() {
                    by_address
                        .entry(canonical)
                        .or_default()
                        .push((e as u32, w as u16));
                }
            }
        }
        WalletIndex { by_address }
    }

    /// Looks up an address in canonical form.
    pub(crate) fn get(&self, canonical: &str) -> &[(u32, u16)] {
        self.by_address.get(canonical).map_or(&[], Vec::as_slice)
    }

    /// Iterates over every listed canonical address, for the free-text
    /// scanner.
    pub(crate) fn addresses(&self) -> impl Iterator<Item = (&str, &[(u32, u16)])> {
        self.by_address
            .iter()
            .map(|(a, v)| (a.as_str(), v.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.by_address.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_address.is_empty()
    }
}

/// Screens an address against the index.
pub(crate) fn screen(
    index: &WalletIndex,
    entities: &[Entity],
    address: &str,
    asset: Option<&str>,
) -> WalletResult {
    let (canonical, family) = canonicalize(address);
    let validity = validate(address.trim(), family);
    let hits = index
        .get(&canonical)
        .iter()
        .map(|&(e, w)| {
            let entity = &entities[e as usize];
            let wallet = &entity.wallets[w as usize];
            WalletHit {
                list: entity.list.clone(),
                entity_id: entity.id.clone(),
                listed_asset: wallet.asset.clone(),
                listed_address: wallet.address.clone(),
                note: asset_note(asset, &wallet.asset),
            }
        })
        .collect();
    WalletResult {
        canonical,
        family,
        validity,
        hits,
    }
}

fn asset_note(asked: Option<&str>, listed: &str) -> Option<String> {
    let asked = asked?.trim();
    if asked.is_empty() || asked.eq_ignore_ascii_case(listed) {
        return None;
    }
    Some(format!(
        "listed under asset {listed}, screened as {}; lists tag assets, not chains, so the address matches either way",
        asked.to_ascii_uppercase()
    ))
}

/// Returns the family of an address and its canonical form. An EVM address
/// written without its `0x` prefix gets one.
pub fn canonicalize(address: &str) -> (String, ChainFamily) {
    let address = address.trim();
    let family = family_of(address);
    let canonical = match family {
        ChainFamily::Evm => format!("0x{}", evm_hex(address).to_ascii_lowercase()),
        ChainFamily::Bech32 => address.to_ascii_lowercase(),
        _ => address.to_string(),
    };
    (canonical, family)
}

/// Returns the hex digits of an EVM address, without its `0x` prefix.
fn evm_hex(address: &str) -> &str {
    address
        .strip_prefix("0x")
        .or_else(|| address.strip_prefix("0X"))
        .unwrap_or(address)
}

/// Detects the family from the form of the address alone. Forty hex digits
/// without a prefix count as an EVM address: a base58 address of that
/// length made of hex digits only is not known to occur.
pub fn family_of(address: &str) -> ChainFamily {
    let bytes = address.as_bytes();
    let hex = evm_hex(address);
    if hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return ChainFamily::Evm;
    }
    if looks_bech32(address) {
        return ChainFamily::Bech32;
    }
    if !address.is_empty() && address.bytes().all(is_base58_byte) {
        return match (bytes[0], bytes.len()) {
            (b'T', 34) => ChainFamily::Tron,
            (b'4' | b'8', 95 | 106) => ChainFamily::Monero,
            (_, 25..=44) => ChainFamily::Base58,
            _ => ChainFamily::Other,
        };
    }
    ChainFamily::Other
}

/// Checks the address against the rules of its family.
pub fn validate(address: &str, family: ChainFamily) -> Validity {
    match family {
        ChainFamily::Evm => validate_evm(address),
        ChainFamily::Bech32 => validate_bech32(address),
        ChainFamily::Tron | ChainFamily::Base58 => validate_base58check(address, family),
        ChainFamily::Monero | ChainFamily::Other => Validity::Unchecked,
    }
}

fn validate_evm(address: &str) -> Validity {
    let hex = evm_hex(address);
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return Validity::Valid;
    }
    if eip55_checksum(hex) == hex {
        Validity::Valid
    } else {
        Validity::Invalid(format!(
            "mixed-case EVM address {address} fails its EIP-55 checksum; check for a typing error"
        ))
    }
}

/// Computes the EIP-55 mixed-case form of 40 hex digits: a letter is upper case
/// where the matching nibble of Keccak-256 of the lower-case hex is 8 or
/// more.
pub fn eip55_checksum(hex: &str) -> String {
    let lower = hex.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    lower
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
            if c.is_ascii_alphabetic() && nibble >= 8 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

const BECH32_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn looks_bech32(address: &str) -> bool {
    let Some(separator) = address.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&address[..separator], &address[separator + 1..]);
    (2..=83).contains(&hrp.len())
        && (14..=90).contains(&address.len())
        && hrp.bytes().all(|b| b.is_ascii_alphabetic())
        && data.len() >= 6
        && data
            .bytes()
            .all(|b| BECH32_CHARSET.contains(&b.to_ascii_lowercase()))
}

fn validate_bech32(address: &str) -> Validity {
    let has_upper = address.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = address.bytes().any(|b| b.is_ascii_lowercase());
    if has_upper && has_lower {
        return Validity::Invalid(format!(
            "bech32 address {address} mixes upper and lower case, which bech32 forbids; use one case"
        ));
    }
    let lower = address.to_ascii_lowercase();
    let separator = lower.rfind('1').unwrap_or(0);
    let (hrp, data) = (&lower[..separator], &lower[separator + 1..]);
    let values: Vec<u8> = data
        .bytes()
        .filter_map(|b| BECH32_CHARSET.iter().position(|&c| c == b).map(|p| p as u8))
        .collect();
    match bech32_polymod(hrp, &values) {
        BECH32_CONST | BECH32M_CONST => Validity::Valid,
        _ => Validity::Invalid(format!(
            "bech32 address {address} fails its checksum; check for a typing error"
        )),
    }
}

const BECH32_CONST: u32 = 1;
const BECH32M_CONST: u32 = 0x2bc8_30a3;

/// Computes the BCH checksum of BIP 173 over the expanded human-readable part and
/// the data values.
fn bech32_polymod(hrp: &str, data: &[u8]) -> u32 {
    bech32_polymod_values(
        hrp.bytes()
            .map(|b| b >> 5)
            .chain(std::iter::once(0))
            .chain(hrp.bytes().map(|b| b & 31))
            .chain(data.iter().copied()),
    )
}

/// Computes the BCH checksum polynomial of BIP 173 over 5-bit values, for
/// callers that expand the human-readable part themselves.
pub fn bech32_polymod_values(values: impl IntoIterator<Item = u8>) -> u32 {
    const GENERATOR: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut checksum: u32 = 1;
    for value in values {
        let top = checksum >> 25;
        checksum = ((checksum & 0x01ff_ffff) << 5) ^ u32::from(value);
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                checksum ^= g;
            }
        }
    }
    checksum
}

fn is_base58_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l')
}

/// Base58check: the last four bytes of the decoded address are the first
/// four of SHA-256(SHA-256(payload)). Base58 addresses that do not decode
/// to the 25 bytes of a versioned hash (Solana keys, for one) have no such
/// checksum and are unchecked.
fn validate_base58check(address: &str, family: ChainFamily) -> Validity {
    let Ok(decoded) = bs58::decode(address).into_vec() else {
        return Validity::Invalid(format!("{address} is not valid base58"));
    };
    if decoded.len() != 25 {
        return if family == ChainFamily::Tron {
            Validity::Invalid(format!(
                "TRON address {address} decodes to {} bytes, not 25",
                decoded.len()
            ))
        } else {
            Validity::Unchecked
        };
    }
    let (payload, checksum) = decoded.split_at(21);
    let hash = Sha256::digest(Sha256::digest(payload));
    if &hash[..4] == checksum {
        Validity::Valid
    } else {
        Validity::Invalid(format!(
            "{address} fails its base58check checksum; check for a typing error"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_known_vector() {
        // The first test vector of EIP-55.
        let address = "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert_eq!(eip55_checksum(&address.to_ascii_lowercase()), address);
    }

    #[test]
    fn evm_bad_checksum_is_invalid() {
        let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        let bad = "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert_eq!(validate(good, family_of(good)), Validity::Valid);
        assert!(matches!(
            validate(bad, family_of(bad)),
            Validity::Invalid(_)
        ));
        let lower = good.to_ascii_lowercase();
        assert_eq!(validate(&lower, family_of(&lower)), Validity::Valid);
    }

    #[test]
    fn bech32_checksum_and_case() {
        // A BIP 173 test vector (P2WPKH).
        let address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
        assert_eq!(family_of(address), ChainFamily::Bech32);
        assert_eq!(validate(address, ChainFamily::Bech32), Validity::Valid);
        let upper = address.to_ascii_uppercase();
        assert_eq!(validate(&upper, ChainFamily::Bech32), Validity::Valid);
        let mixed = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8f3t4";
        assert!(matches!(
            validate(mixed, ChainFamily::Bech32),
            Validity::Invalid(_)
        ));
        let typo = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5";
        assert!(matches!(
            validate(typo, ChainFamily::Bech32),
            Validity::Invalid(_)
        ));
    }

    #[test]
    fn base58check_detects_typo() {
        // The genesis block coinbase address.
        let address = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
        assert_eq!(family_of(address), ChainFamily::Base58);
        assert_eq!(validate(address, ChainFamily::Base58), Validity::Valid);
        let typo = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb";
        assert!(matches!(
            validate(typo, ChainFamily::Base58),
            Validity::Invalid(_)
        ));
    }

    #[test]
    fn canonical_forms_per_family() {
        let (evm, _) = canonicalize(" 0xAbC0000000000000000000000000000000000001 ");
        assert_eq!(evm, "0xabc0000000000000000000000000000000000001");
        let (unprefixed, family) = canonicalize("AbC0000000000000000000000000000000000001");
        assert_eq!(unprefixed, evm);
        assert_eq!(family, ChainFamily::Evm);
        let (short, family) = canonicalize("abc000000000000000000000000000000000001");
        assert_eq!(short, "abc000000000000000000000000000000000001");
        assert_ne!(family, ChainFamily::Evm);
        let (base58, family) = canonicalize("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
        assert_eq!(base58, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
        assert_eq!(family, ChainFamily::Base58);
    }
}
