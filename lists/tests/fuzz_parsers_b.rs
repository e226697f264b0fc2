//! Bounded fuzzing of the UK OFSI, EU XML, US CSL, BIS DPL, FollowTheMoney
//! and watch list parsers: random bytes and mutated valid samples must
//! give entities or a `ListError`, never a panic.

use std::path::PathBuf;

use proptest::prelude::*;
use screener_lists::formats;
use screener_lists::source::{InputFile, LoadContext};
use screener_lists::{Entity, ListError};

type Parser = fn(&InputFile, &str, &mut LoadContext) -> Result<Vec<Entity>, ListError>;

const UK: &str = "Last Updated,10/04/2025\n\
Name 6,Name 1,Name 2,Title,Name Non-Latin Script,Non-Latin Script Type,DOB,Town of Birth,Country of Birth,Nationality,Passport Number,Passport Details,Address 1,Country,Other Information,Group Type,Alias Type,Alias Quality,Regime,Listed On,Group ID\n\
DOE,John,,(1) Dr (2) Mr,Джон Доу,Cyrillic,00/05/1970,(1) Tunis (2) -,(1) Tunisia (2) Morocco,Russia,(1) A1 (2) B2,(1) Libya number (2) x,1 Main St,Russia,\"(UK Sanctions List Ref):RUS1. (Gender):Male (Business Reg No): (1) INN: 7725075060\",Individual,Primary name,,Russia,05/06/2022,1\n\
SEA STAR,,,,,,,,,,,,,,(IMO number):7408873 (Flag of ship):North Korea,Ship,AKA,Low quality,DPRK,01/01/2020,2\n";

const EU: &str = r#"<export generationDate="2024-01-15"><sanctionEntity logicalId="1" designationDate="2022-02-25"><regulation programme="RUS" publicationDate="2022-02-25"/><subjectType code="person"/><nameAlias firstName="A" lastName="B" wholeName="A B" gender="M" strong="true"/><nameAlias wholeName="AB" strong="false"/><citizenship countryIso2Code="RU"/><birthdate birthdate="1960-01-01" circa="false" city="Moscow" countryDescription="RUSSIA"/><identification identificationTypeCode="passport" number="P1" countryIso2Code="RU"><remark>x &amp; y</remark></identification><address street="S" city="C" zipCode="1" countryIso2Code="RU"/><remark>note</remark></sanctionEntity></export>"#;

const CSL: &str = "_id,source,entity_number,type,programs,name,title,addresses,start_date,alt_names,citizenships,dates_of_birth,places_of_birth,vessel_flag,call_sign,ids\n\
1,SDN,1,Individual,SDGT; CYBER2,\"DOE, John\",Chief,\"1 Main St, Moscow, RU\",2020-01-02,\"DOE, Johnny; DOH\",RU,circa 1970; 01 Jul 1971; 1960 to 1962,\"Giza, Egypt\",Cuba,CL1,\"Passport, P1, RU; Digital Currency Address - ETH, 0xab; Gender, Male; Website, x\"\n";

const DPL: &str = "\"Name\"\t\"Street_Address\"\t\"City\"\t\"State\"\t\"Country\"\t\"Postal_Code\"\t\"Effective_Date\"\t\"Expiration_Date\"\t\"Standard_Order\"\t\"Last_Update\"\t\"Action\"\t\"FR_Citation\"\n\
\"ACME LTD\"\t\"1 MAIN ST\"\t\"DUBAI\"\t\"\"\t\"AE\"\t\"\"\t\"01/02/2020\"\t\"01/02/2030\"\t\"Y\"\t\"2020-01-03\"\t\"ADDED\"\t\"85 F.R. 1\"\n";

const FTM: &str = r#"{"id":"p1","schema":"Person","caption":"Ivan Petrov","target":true,"referents":["old"],"properties":{"name":["Ivan Petrov"],"firstName":["Ivan"],"lastName":["Petrov"],"birthDate":["1970-05"],"addressEntity":["a1"],"passportNumber":["P1"]}}
{"id":"a1","schema":"Address","target":false,"properties":{"full":["1 Red Square"],"country":["ru"]}}
{"id":"s1","schema":"Sanction","properties":{"entity":["old"],"program":["X"],"listingDate":["2022-03-01"]}}
{"id":"w1","schema":"CryptoWallet","properties":{"publicKey":["0xab"],"currency":["eth"],"holder":["p1"]}}
{"id":"f1","schema":"Family","properties":{"person":["p1"],"relative":["c1"]}}
{"id":"c1","schema":"Company","target":false,"properties":{"name":["Side Co"]}}
"#;

const WATCHLIST: &str = "# comment\nid,kind,name,aliases,countries,birth_date,identifiers,wallets,programs,remarks\n\
C-1,person,John Smith,Johnny;J. Smith,GB;United Kingdom,1971-03-14,passport:123:GB;x:y:ZZZ,ETH:0xab;bad,blocked,\"a, b\"\n\
C-2,vessel,Sea Star,,PA,,imo:9123456,,review,\n";

fn parsers() -> [(&'static str, Parser, &'static str); 6] {
    [
        ("uk_ofsi", formats::uk_ofsi::parse, UK),
        ("eu_xml", formats::eu_xml::parse, EU),
        ("us_csl", formats::us_csl::parse, CSL),
        ("bis_dpl", formats::bis_dpl::parse, DPL),
        ("ftm", formats::ftm::parse, FTM),
        ("watchlist", formats::watchlist::parse, WATCHLIST),
    ]
}

fn file_of(bytes: Vec<u8>) -> InputFile {
    InputFile {
        path: PathBuf::from("fuzz.input"),
        name: "fuzz.input".into(),
        bytes,
        raw_sha256: [0; 32],
    }
}

/// Runs `parser` and checks that an error names the file.
fn check(parser: Parser, bytes: Vec<u8>) {
    let mut context = LoadContext::default();
    if let Err(error) = parser(&file_of(bytes), "fuzz", &mut context) {
        let message = error.to_string();
        assert!(message.contains("fuzz.input"), "{message}");
    }
}

/// Generates a byte that often matters to a parser, or any byte.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b"\",;:\t\n\r<>/&=\\{}[]()0 -#".to_vec()),
        any::<u8>(),
    ]
}

/// Copies `sample` with some bytes replaced, some inserted and the tail cut.
fn mutate(sample: &str, edits: &[(usize, u8, bool)], cut: usize) -> Vec<u8> {
    let mut bytes = sample.as_bytes().to_vec();
    for &(position, byte, insert) in edits {
        let at = position % (bytes.len() + 1);
        if insert || at == bytes.len() {
            bytes.insert(at, byte);
        } else {
            bytes[at] = byte;
        }
    }
    let keep = bytes.len() - cut % (bytes.len() / 2 + 1);
    bytes.truncate(keep);
    bytes
}

#[test]
fn samples_parse_cleanly() {
    for (name, parser, sample) in parsers() {
        let mut context = LoadContext::default();
        let entities = parser(&file_of(sample.as_bytes().to_vec()), "fuzz", &mut context)
            .unwrap_or_else(|e| panic!("{name} sample: {e}"));
        assert!(!entities.is_empty(), "{name} sample gives entities");
    }
}

proptest! {
    // About 250 cases per parser for each property; the parser is drawn
    // at random.
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        which in 0usize..6,
    ) {
        let (_, parser, _) = parsers()[which];
        check(parser, bytes);
    }

    #[test]
    fn mutated_samples_never_panic(
        edits in prop::collection::vec((any::<usize>(), interesting_byte(), any::<bool>()), 0..12),
        cut in any::<usize>(),
        which in 0usize..6,
    ) {
        let (_, parser, sample) = parsers()[which];
        check(parser, mutate(sample, &edits, cut));
    }
}
