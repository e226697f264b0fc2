//! Destination wallets for generated transactions: fresh addresses that
//! are well formed for their chain, with valid checksums, and a set of
//! listed addresses injected into a share of transactions.

use std::path::{Path, PathBuf};

use rand::Rng;

use super::encoding::{base58check_decode, base58check_encode, eip55_address, segwit_address};
use super::error::LoadgenError;

/// OFAC-listed addresses used when no listed-wallets file is given.
const BUILTIN_LISTED_WALLETS: &str = include_str!("data/listed_wallets.tsv");

/// A wallet address with the asset and chain a transfer to it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallet {
    pub address: String,
    /// Asset ticker, such as "ETH", "USDT" or "XBT".
    pub asset: String,
    /// Chain name, such as "ethereum", "tron" or "bitcoin"; empty when a
    /// listed address's chain is not recognised.
    pub chain: String,
}

/// The address forms the generator writes, with their share in percent.
const ADDRESS_MIX: [(AddressForm, &str, u32); 9] = [
    (AddressForm::Evm, "ETH", 28),
    (AddressForm::Evm, "USDT", 14),
    (AddressForm::Evm, "USDC", 6),
    (AddressForm::Tron, "USDT", 20),
    (AddressForm::Tron, "TRX", 6),
    (AddressForm::BitcoinP2pkh, "XBT", 8),
    (AddressForm::BitcoinP2sh, "XBT", 4),
    (AddressForm::BitcoinP2wpkh, "XBT", 11),
    (AddressForm::BitcoinP2tr, "XBT", 3),
];

#[derive(Debug, Clone, Copy)]
enum AddressForm {
    Evm,
    Tron,
    BitcoinP2pkh,
    BitcoinP2sh,
    BitcoinP2wpkh,
    BitcoinP2tr,
}

/// Draws a fresh, unlisted wallet from the address mix. EVM addresses come
/// in EIP-55 case nine times in ten and in lower case otherwise, as
/// wallets and exchanges send both.
pub fn random_wallet(rng: &mut impl Rng) -> Wallet {
    let total: u32 = ADDRESS_MIX.iter().map(|(_, _, share)| share).sum();
    let mut roll = rng.random_range(0..total);
    let mut chosen = ADDRESS_MIX[0];
    for entry in ADDRESS_MIX {
        if roll < entry.2 {
            chosen = entry;
            break;
        }
        roll -= entry.2;
    }
    let (form, asset, _) = chosen;
    Wallet {
        address: random_address(form, rng),
        asset: asset.to_string(),
        chain: chain_of(form).to_string(),
    }
}

fn chain_of(form: AddressForm) -> &'static str {
    match form {
        AddressForm::Evm => "ethereum",
        AddressForm::Tron => "tron",
        _ => "bitcoin",
    }
}

fn random_address(form: AddressForm, rng: &mut impl Rng) -> String {
    let hash: [u8; 20] = rng.random();
    match form {
        AddressForm::Evm if rng.random_bool(0.9) => eip55_address(&hash),
        AddressForm::Evm => format!("0x{}", hex::encode(hash)),
        AddressForm::Tron => base58check_encode(&prefixed(0x41, &hash)),
        AddressForm::BitcoinP2pkh => base58check_encode(&prefixed(0x00, &hash)),
        AddressForm::BitcoinP2sh => base58check_encode(&prefixed(0x05, &hash)),
        AddressForm::BitcoinP2wpkh => segwit_address("bc", 0, &hash),
        AddressForm::BitcoinP2tr => segwit_address("bc", 1, &rng.random::<[u8; 32]>()),
    }
}

fn prefixed(version: u8, hash: &[u8; 20]) -> [u8; 21] {
    let mut payload = [0u8; 21];
    payload[0] = version;
    payload[1..].copy_from_slice(hash);
    payload
}

/// A non-empty set of listed wallet addresses.
#[derive(Debug, Clone)]
pub struct ListedWallets {
    wallets: Vec<Wallet>,
}

impl ListedWallets {
    /// The built-in set of OFAC SDN addresses on Ethereum, TRON and Bitcoin.
    pub fn builtin() -> ListedWallets {
        ListedWallets {
            wallets: parse_lines(BUILTIN_LISTED_WALLETS, ""),
        }
    }

    /// Builds a set from wallets; None when `wallets` is empty.
    pub fn from_wallets(wallets: Vec<Wallet>) -> Option<ListedWallets> {
        (!wallets.is_empty()).then_some(ListedWallets { wallets })
    }

    /// Reads listed addresses from a file, or from every `.txt` file in a
    /// folder. A line is an address, or asset, chain and address separated
    /// by tabs. Where a line gives no asset, a file name ending in
    /// `_<TICKER>.txt` (as in `sanctioned_addresses_ETH.txt`) gives it.
    pub fn from_path(path: &Path) -> Result<ListedWallets, LoadgenError> {
        let files = if path.is_dir() {
            text_files_in(path)?
        } else {
            vec![path.to_path_buf()]
        };
        let mut wallets = Vec::new();
        for file in files {
            let text = read(&file)?;
            wallets.extend(parse_lines(&text, &ticker_from_file_name(&file)));
        }
        ListedWallets::from_wallets(wallets).ok_or_else(|| LoadgenError::NoWallets {
            path: path.to_path_buf(),
        })
    }

    pub fn len(&self) -> usize {
        self.wallets.len()
    }

    /// Always false: a set holds at least one wallet.
    pub fn is_empty(&self) -> bool {
        self.wallets.is_empty()
    }

    pub fn wallets(&self) -> &[Wallet] {
        &self.wallets
    }

    /// Draws a listed wallet uniformly. An EVM address is sent in lower
    /// case half of the time, so that screening must compare EVM addresses
    /// without regard to case.
    pub fn choose(&self, rng: &mut impl Rng) -> Wallet {
        let mut wallet = self.wallets[rng.random_range(0..self.wallets.len())].clone();
        if wallet.address.starts_with("0x") && rng.random_bool(0.5) {
            wallet.address = wallet.address.to_ascii_lowercase();
        }
        wallet
    }
}

fn read(path: &Path) -> Result<String, LoadgenError> {
    std::fs::read_to_string(path).map_err(|error| LoadgenError::ReadFile {
        path: path.to_path_buf(),
        option: "--listed-wallets",
        error,
    })
}

fn text_files_in(folder: &Path) -> Result<Vec<PathBuf>, LoadgenError> {
    let entries = std::fs::read_dir(folder).map_err(|error| LoadgenError::ReadFile {
        path: folder.to_path_buf(),
        option: "--listed-wallets",
        error,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    Ok(files)
}

/// Returns the upper-case text after the last `_` of the file stem, or
/// an empty string.
fn ticker_from_file_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.rsplit_once('_'))
        .map(|(_, ticker)| ticker.to_ascii_uppercase())
        .unwrap_or_default()
}

fn parse_lines(text: &str, default_asset: &str) -> Vec<Wallet> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            match fields.as_slice() {
                [asset, chain, address] => Some(Wallet {
                    address: (*address).to_string(),
                    asset: (*asset).to_string(),
                    chain: (*chain).to_string(),
                }),
                [address, ..] if !address.is_empty() => Some(infer_wallet(address, default_asset)),
                _ => None,
            }
        })
        .collect()
}

/// Builds a wallet from a bare address, reading the chain from its form
/// and taking the asset from `default_asset` or else the chain's coin.
fn infer_wallet(address: &str, default_asset: &str) -> Wallet {
    let chain = infer_chain(address);
    let asset = match (default_asset, chain) {
        ("", "ethereum") => "ETH",
        ("", "tron") => "TRX",
        ("", "bitcoin") => "XBT",
        (asset, _) => asset,
    };
    Wallet {
        address: address.to_string(),
        asset: asset.to_string(),
        chain: chain.to_string(),
    }
}

/// Reads the chain from an address's form: 0x hex is Ethereum, base58check
/// with version 0x41 is TRON, `bc1` bech32 or base58check with version
/// 0x00 or 0x05 is Bitcoin. Returns "" for anything else.
pub fn infer_chain(address: &str) -> &'static str {
    let is_evm_hex = address
        .strip_prefix("0x")
        .is_some_and(|digits| digits.len() == 40 && digits.chars().all(|c| c.is_ascii_hexdigit()));
    if is_evm_hex {
        return "ethereum";
    }
    if address.to_ascii_lowercase().starts_with("bc1") {
        return "bitcoin";
    }
    match base58check_decode(address).as_deref() {
        Some([0x41, rest @ ..]) if rest.len() == 20 => "tron",
        Some([0x00 | 0x05, rest @ ..]) if rest.len() == 20 => "bitcoin",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::super::encoding::{bech32_variant, is_eip55_valid, Bech32Variant};
    use super::*;

    #[test]
    fn random_wallets_are_well_formed() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..2_000 {
            let wallet = random_wallet(&mut rng);
            let address = &wallet.address;
            match wallet.chain.as_str() {
                "ethereum" => assert!(
                    is_eip55_valid(address) || *address == address.to_ascii_lowercase(),
                    "{address}"
                ),
                "tron" => {
                    assert!(address.starts_with('T'), "{address}");
                    assert_eq!(infer_chain(address), "tron", "{address}");
                }
                "bitcoin" if address.starts_with("bc1q") => {
                    assert_eq!(
                        bech32_variant(address),
                        Some(Bech32Variant::Bech32),
                        "{address}"
                    )
                }
                "bitcoin" if address.starts_with("bc1p") => {
                    assert_eq!(
                        bech32_variant(address),
                        Some(Bech32Variant::Bech32m),
                        "{address}"
                    )
                }
                "bitcoin" => {
                    let payload = base58check_decode(address).expect("valid checksum");
                    assert!(matches!(payload[0], 0x00 | 0x05), "{address}");
                }
                other => panic!("unexpected chain {other} for {address}"),
            }
        }
    }

    #[test]
    fn builtin_listed_wallets_match_their_chain() {
        let listed = ListedWallets::builtin();
        assert!(listed.len() >= 20, "{} wallets", listed.len());
        for wallet in listed.wallets() {
            assert_eq!(infer_chain(&wallet.address), wallet.chain, "{wallet:?}");
        }
    }

    #[test]
    fn ticker_comes_from_file_name() {
        assert_eq!(
            ticker_from_file_name(Path::new("/x/sanctioned_addresses_eth.txt")),
            "ETH"
        );
        assert_eq!(ticker_from_file_name(Path::new("/x/wallets.txt")), "");
    }

    #[test]
    fn bare_address_lines_get_chain_and_asset() {
        let wallets = parse_lines("# x\n0x19aa5fe80d33a56d56c78e82ea5e50e5d80b4dff\n", "USDT");
        assert_eq!(wallets.len(), 1);
        assert_eq!(wallets[0].chain, "ethereum");
        assert_eq!(wallets[0].asset, "USDT");
        let wallets = parse_lines("TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz\n", "");
        assert_eq!(wallets[0].chain, "tron");
        assert_eq!(wallets[0].asset, "TRX");
    }
}
