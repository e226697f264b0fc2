//! Wallet address encodings that the generator writes: EIP-55 mixed-case
//! hex for EVM chains, base58check for Bitcoin legacy and TRON, and
//! bech32/bech32m for segwit addresses (BIP 173 and BIP 350). Each encoder
//! has a matching check, which the tests use to prove the checksums.

use screener_lists::wallet::eip55_checksum;
use sha2::{Digest, Sha256};

/// The 32 characters of the bech32 data part, in value order.
const BECH32_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// The checksum constant of bech32 (BIP 173), used by segwit version 0.
const BECH32_CONST: u32 = 1;

/// The checksum constant of bech32m (BIP 350), used by segwit versions 1-16.
const BECH32M_CONST: u32 = 0x2bc8_30a3;

/// Which of the two bech32 checksums a string carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bech32Variant {
    Bech32,
    Bech32m,
}

/// Formats 20 bytes as a 0x-prefixed EVM address in EIP-55 checksum case.
pub fn eip55_address(bytes: &[u8; 20]) -> String {
    format!("0x{}", eip55_checksum(&hex::encode(bytes)))
}

/// Returns true when `address` is 0x plus 40 hex digits whose letter case
/// follows its EIP-55 checksum.
pub fn is_eip55_valid(address: &str) -> bool {
    let Some(digits) = address.strip_prefix("0x") else {
        return false;
    };
    if digits.len() != 40 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    eip55_checksum(digits) == digits
}

/// Encodes `payload` (version bytes included) in base58 with the 4-byte
/// double SHA-256 checksum appended.
pub fn base58check_encode(payload: &[u8]) -> String {
    let mut data = Vec::with_capacity(payload.len() + 4);
    data.extend_from_slice(payload);
    data.extend_from_slice(&double_sha256(payload)[..4]);
    bs58::encode(data).into_string()
}

/// Decodes a base58check string and returns the payload without its
/// checksum, or None when the text is not base58 or the checksum fails.
pub fn base58check_decode(text: &str) -> Option<Vec<u8>> {
    let data = bs58::decode(text).into_vec().ok()?;
    if data.len() < 5 {
        return None;
    }
    let (payload, checksum) = data.split_at(data.len() - 4);
    (double_sha256(payload)[..4] == *checksum).then(|| payload.to_vec())
}

fn double_sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

/// Encodes a segwit address: bech32 for witness version 0, bech32m for
/// versions 1 to 16, as BIP 350 requires.
pub fn segwit_address(hrp: &str, witness_version: u8, program: &[u8]) -> String {
    let mut data = Vec::with_capacity(1 + (program.len() * 8).div_ceil(5));
    data.push(witness_version);
    data.extend(bytes_to_5bit(program));
    let variant = if witness_version == 0 {
        Bech32Variant::Bech32
    } else {
        Bech32Variant::Bech32m
    };
    bech32_encode(hrp, &data, variant)
}

/// Encodes 5-bit values under a human-readable part with the checksum of
/// `variant`. The result is lower case.
pub fn bech32_encode(hrp: &str, data: &[u8], variant: Bech32Variant) -> String {
    let hrp = hrp.to_ascii_lowercase();
    let checksum = bech32_checksum(&hrp, data, variant);
    let mut text = String::with_capacity(hrp.len() + 1 + data.len() + 6);
    text.push_str(&hrp);
    text.push('1');
    for &value in data.iter().chain(checksum.iter()) {
        text.push(char::from(BECH32_CHARSET[usize::from(value & 31)]));
    }
    text
}

/// Returns which checksum a bech32 string carries, or None when it is
/// malformed: mixed case, no separator, a character outside the charset,
/// or a checksum that matches neither variant.
pub fn bech32_variant(text: &str) -> Option<Bech32Variant> {
    let has_lower = text.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = text.chars().any(|c| c.is_ascii_uppercase());
    if has_lower && has_upper {
        return None;
    }
    let text = text.to_ascii_lowercase();
    let separator = text.rfind('1')?;
    let (hrp, rest) = (&text[..separator], &text[separator + 1..]);
    if hrp.is_empty() || rest.len() < 6 || !hrp.bytes().all(|b| (33..=126).contains(&b)) {
        return None;
    }
    let values = rest
        .bytes()
        .map(|b| BECH32_CHARSET.iter().position(|&c| c == b).map(|v| v as u8))
        .collect::<Option<Vec<u8>>>()?;
    let residue =
        screener_lists::wallet::bech32_polymod_values(hrp_expand(hrp).into_iter().chain(values));
    match residue {
        BECH32_CONST => Some(Bech32Variant::Bech32),
        BECH32M_CONST => Some(Bech32Variant::Bech32m),
        _ => None,
    }
}

fn bech32_checksum(hrp: &str, data: &[u8], variant: Bech32Variant) -> [u8; 6] {
    let constant = match variant {
        Bech32Variant::Bech32 => BECH32_CONST,
        Bech32Variant::Bech32m => BECH32M_CONST,
    };
    let values = hrp_expand(hrp)
        .into_iter()
        .chain(data.iter().copied())
        .chain([0u8; 6]);
    let residue = screener_lists::wallet::bech32_polymod_values(values) ^ constant;
    let mut checksum = [0u8; 6];
    for (i, value) in checksum.iter_mut().enumerate() {
        *value = ((residue >> (5 * (5 - i))) & 31) as u8;
    }
    checksum
}

fn hrp_expand(hrp: &str) -> Vec<u8> {
    let high = hrp.bytes().map(|b| b >> 5);
    let low = hrp.bytes().map(|b| b & 31);
    high.chain([0]).chain(low).collect()
}

/// Regroups bytes into 5-bit values, padding the last group with zeros.
fn bytes_to_5bit(bytes: &[u8]) -> Vec<u8> {
    let mut values = Vec::with_capacity((bytes.len() * 8).div_ceil(5));
    let mut accumulator: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        accumulator = (accumulator << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            values.push(((accumulator >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        values.push(((accumulator << (5 - bits)) & 31) as u8);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mixed-case examples published with EIP-55.
    const EIP55_VECTORS: [&str; 8] = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
    ];

    #[test]
    fn eip55_known_vectors() {
        for vector in EIP55_VECTORS {
            let bytes: [u8; 20] = hex::decode(&vector[2..])
                .expect("vector is hex")
                .try_into()
                .expect("vector is 20 bytes");
            assert_eq!(eip55_address(&bytes), vector);
            assert!(is_eip55_valid(vector), "{vector} should pass");
        }
    }

    #[test]
    fn eip55_rejects_wrong_case() {
        let wrong = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        assert!(!is_eip55_valid(wrong));
        assert!(!is_eip55_valid(
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        ));
        assert!(!is_eip55_valid("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
    }

    #[test]
    fn base58check_bitcoin_vector() {
        // Version byte 0x00 and the hash160 of a public key, from the
        // Bitcoin technical background of addresses.
        let payload = hex::decode("00010966776006953D5567439E5E39F86A0D273BEE").expect("hex");
        assert_eq!(
            base58check_encode(&payload),
            "16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM"
        );
        assert_eq!(
            base58check_decode("16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM"),
            Some(payload)
        );
    }

    #[test]
    fn base58check_round_trip() {
        for length in [1usize, 5, 21, 33] {
            let payload: Vec<u8> = (0..length).map(|i| (i * 37 + 11) as u8).collect();
            let text = base58check_encode(&payload);
            assert_eq!(base58check_decode(&text), Some(payload));
        }
        let leading_zeros = [0u8, 0, 0, 7];
        let text = base58check_encode(&leading_zeros);
        assert!(text.starts_with("111"), "{text}");
        assert_eq!(base58check_decode(&text), Some(leading_zeros.to_vec()));
    }

    #[test]
    fn base58check_rejects_altered_character() {
        let text = "16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvN";
        assert_eq!(base58check_decode(text), None);
        assert_eq!(base58check_decode("0OIl"), None);
    }

    #[test]
    fn base58check_accepts_listed_tron_address() {
        // A TRON address as OFAC publishes it: payload is 0x41 and 20 bytes.
        let payload = base58check_decode("TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz")
            .expect("published address has a valid checksum");
        assert_eq!(payload.len(), 21);
        assert_eq!(payload[0], 0x41);
    }

    #[test]
    fn bech32_bip173_valid_strings() {
        for text in [
            "A12UEL5L",
            "a12uel5l",
            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        ] {
            assert_eq!(bech32_variant(text), Some(Bech32Variant::Bech32), "{text}");
        }
    }

    #[test]
    fn bech32_rejects_bad_strings() {
        for text in [
            "A12uEL5L",
            "a12uel5m",
            "pzry9x0s0muk",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx",
        ] {
            assert_eq!(bech32_variant(text), None, "{text}");
        }
    }

    #[test]
    fn segwit_v0_bip173_vector() {
        let program = hex::decode("751e76e8199196d454941c45d1b3a323f1433bd6").expect("hex");
        assert_eq!(
            segwit_address("bc", 0, &program),
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        );
    }

    #[test]
    fn segwit_v1_uses_bech32m() {
        let program = [7u8; 32];
        let address = segwit_address("bc", 1, &program);
        assert!(address.starts_with("bc1p"), "{address}");
        assert_eq!(bech32_variant(&address), Some(Bech32Variant::Bech32m));
    }
}
