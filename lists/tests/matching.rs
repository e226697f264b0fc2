//! Name, wallet, identifier and free-text screening, as tables of cases:
//! the listed entries, the query, and the hits expected. Each case names
//! the fault it covers.

use screener_lists::{
    ChainFamily, Effect, Entity, EntityKind, Gender, Identifier, IdentifierKind, Name, NameQuery,
    NameResult, NameType, PartialDate, Snapshot, TextHitKind, Validity, WalletAddress,
};

fn entity(id: &str, kind: EntityKind, names: &[&str]) -> Entity {
    let mut entity = Entity::new("test", id, kind);
    for (i, name) in names.iter().enumerate() {
        let name_type = if i == 0 {
            NameType::Primary
        } else {
            NameType::Alias
        };
        entity.names.push(Name::new(*name, name_type));
    }
    entity
}

fn person(id: &str, names: &[&str]) -> Entity {
    entity(id, EntityKind::Person, names)
}

fn org(id: &str, names: &[&str]) -> Entity {
    entity(id, EntityKind::Organization, names)
}

/// Unrelated entries, so rarity weights are not those of a one-entry list.
fn background() -> Vec<Entity> {
    vec![
        person("bg1", &["Mohammed Ali Hassan"]),
        person("bg2", &["Ahmed Mohammed Omar"]),
        person("bg3", &["Ali Abdullah Saleh"]),
        org("bg4", &["National Trading Company LLC"]),
        person("bg5", &["John Michael Smith"]),
        person("bg6", &["Kim Jong Un"]),
    ]
}

fn snapshot_with(entries: Vec<Entity>) -> Snapshot {
    let mut all = background();
    all.extend(entries);
    Snapshot::from_entities(all)
}

/// Ids of the hits of a query at the default threshold.
fn hit_ids(snapshot: &Snapshot, query: &NameQuery) -> Vec<String> {
    snapshot
        .screen_name(query)
        .hits()
        .iter()
        .map(|h| h.entity_id.clone())
        .collect()
}

struct Case {
    fault: &'static str,
    listed: Vec<Entity>,
    query: &'static str,
    /// The entry expected as the top hit, or `None` for no hit at all.
    expected: Option<&'static str>,
}

fn case(
    fault: &'static str,
    listed: Vec<Entity>,
    query: &'static str,
    expected: Option<&'static str>,
) -> Case {
    Case {
        fault,
        listed,
        query,
        expected,
    }
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let snapshot = snapshot_with(case.listed);
        let hits = hit_ids(&snapshot, &NameQuery::new(case.query));
        match case.expected {
            Some(id) => assert_eq!(
                hits.first().map(String::as_str),
                Some(id),
                "{}: query {:?} should hit {id} first, got {hits:?}",
                case.fault,
                case.query
            ),
            None => assert!(
                hits.iter().all(|h| !h.starts_with('t')),
                "{}: query {:?} should hit no target entry, got {hits:?}",
                case.fault,
                case.query
            ),
        }
    }
}

#[test]
fn names_found_however_written() {
    run(vec![
        case(
            "diacritics",
            vec![person("t1", &["ESTÊVÃO NA MENA"])],
            "Estevao Na Mena",
            Some("t1"),
        ),
        case(
            "diacritics on query",
            vec![person("t1", &["Jose Muller"])],
            "José Müller",
            Some("t1"),
        ),
        case(
            "reordered",
            vec![person("t1", &["Abdulhai Salek"])],
            "Salek Abdulhai",
            Some("t1"),
        ),
        case(
            "surname first",
            vec![person("t1", &["Abdulhai Salek"])],
            "SALEK, Abdulhai",
            Some("t1"),
        ),
        case(
            "one typo",
            vec![person("t1", &["Abdulhai Salek"])],
            "Abdulhia Salek",
            Some("t1"),
        ),
        case(
            "doubled letter",
            vec![person("t1", &["Han Yu-Ro"])],
            "HAN YYU-RO",
            Some("t1"),
        ),
        case(
            "swapped letters in short token",
            vec![person("t1", &["Kim Sok Chol"])],
            "KIM SKO CHOL",
            Some("t1"),
        ),
        case(
            "sounds alike",
            vec![person("t1", &["Muammar Qaddafi"])],
            "Muammar Kadhafi",
            Some("t1"),
        ),
        case(
            "split token",
            vec![org("t1", &["GAZPROMBANK"])],
            "Gazprom Bank",
            Some("t1"),
        ),
        case(
            "joined tokens",
            vec![person("t1", &["Rami Makhlouf"])],
            "Ramimakhlouf",
            Some("t1"),
        ),
        case(
            "hyphen",
            vec![person("t1", &["Abd-al-Majid al-Zindani"])],
            "Abd Al Majid Al Zindani",
            Some("t1"),
        ),
        case(
            "extra listed middle name",
            vec![person("t1", &["Rami Mohammed Makhlouf"])],
            "Rami Makhlouf",
            Some("t1"),
        ),
        case(
            "short full name",
            vec![person("t1", &["Faiz"])],
            "FAIZ",
            Some("t1"),
        ),
        case(
            "short name swapped",
            vec![person("t1", &["Faiz"])],
            "AFIZ",
            Some("t1"),
        ),
        case(
            "particle absent",
            vec![person("t1", &["Ali Hassan al-Majid al-Tikriti"])],
            "Ali Hassan Majid Tikriti",
            Some("t1"),
        ),
        case(
            "particle present",
            vec![person("t1", &["Ludwig Beethoven"])],
            "Ludwig van Beethoven",
            Some("t1"),
        ),
        case(
            "honorific present",
            vec![person("t1", &["Abdul Aziz Rantisi"])],
            "Sheikh Abdul Aziz Rantisi",
            Some("t1"),
        ),
        case(
            "honorific absent",
            vec![person("t1", &["Dr. Ayman al-Zawahiri"])],
            "Ayman Zawahiri",
            Some("t1"),
        ),
        case(
            "title variant",
            vec![person("t1", &["Mullah Akhtar Mansour"])],
            "Mulla Akhtar Mansour",
            Some("t1"),
        ),
    ]);
}

#[test]
fn companies_found_however_written() {
    run(vec![
        case(
            "legal form equivalent",
            vec![org("t1", &["Gazprom Neft OAO"])],
            "Gazprom Neft JSC",
            Some("t1"),
        ),
        case(
            "legal form spelled out",
            vec![org("t1", &["Gazprom Neft OAO"])],
            "Open Joint Stock Company Gazprom Neft",
            Some("t1"),
        ),
        case(
            "legal form absent",
            vec![org("t1", &["Sovcomflot PJSC"])],
            "Sovcomflot",
            Some("t1"),
        ),
        case(
            "legal form differs",
            vec![org("t1", &["Acme Shipping Trading LLC"])],
            "Acme Shipping Trading Ltd",
            Some("t1"),
        ),
        case(
            "abbreviations",
            vec![org("t1", &["Global Technology International Group"])],
            "GLOBAL TECH INTL GRP",
            Some("t1"),
        ),
        case(
            "abbreviation to long form",
            vec![org("t1", &["Mechanical SVCS Co"])],
            "Mechanical Services Company",
            Some("t1"),
        ),
        case(
            "same number",
            vec![entity("t1", EntityKind::Vessel, &["Ocean Star 2"])],
            "OCEAN STAR 2",
            Some("t1"),
        ),
    ]);
}

#[test]
fn scripts_transliterated_or_kept() {
    run(vec![
        case(
            "Cyrillic query, Latin list",
            vec![person("t1", &["Vladimir Putin"])],
            "Владимир Путин",
            Some("t1"),
        ),
        case(
            "Cyrillic both sides",
            vec![person("t1", &["Igor Sechin", "Игорь Сечин"])],
            "ИГОРЬ СЕЧИН",
            Some("t1"),
        ),
        case(
            "Arabic both sides",
            vec![person(
                "t1",
                &["Saddam Hussein al-Tikriti", "صدام حسين التكريتي"],
            )],
            "صدام حسين التكريتي",
            Some("t1"),
        ),
        case(
            "Chinese query, pinyin list",
            vec![person("t1", &["Xi Jinping"])],
            "习近平",
            Some("t1"),
        ),
        case(
            "Greek query",
            vec![person("t1", &["Alexis Tsipras"])],
            "Αλέξης Τσίπρας",
            Some("t1"),
        ),
    ]);
}

#[test]
fn unrelated_names_stay_quiet() {
    run(vec![
        case(
            "digits differ from words",
            vec![org("t1", &["11420 CORP."])],
            "BELLETECH CORP",
            None,
        ),
        case(
            "numbers disagree",
            vec![entity("t1", EntityKind::Vessel, &["Ocean Star 2"])],
            "OCEAN STAR 3",
            None,
        ),
        case(
            "only legal form shared",
            vec![org("t1", &["Rosneft Trading LLC"])],
            "Belletech LLC",
            None,
        ),
        case(
            "common given name only",
            vec![
                person("t1", &["George Ablett Hawthorne"]),
                person("t2", &["George Barrow"]),
                person("t3", &["George Cardew Lindqvist"]),
            ],
            "George Bush",
            None,
        ),
        case(
            "one of two rare tokens",
            vec![person("t1", &["Rami Makhlouf"])],
            "Rami Ostrowski",
            None,
        ),
        case(
            "consonant skeleton one letter off",
            vec![person("t1", &["ثناء غفاری"])],
            "ثنا ظفری",
            None,
        ),
        case(
            "short tokens differ",
            vec![person("t1", &["Li Na"])],
            "Lu Na",
            None,
        ),
    ]);
}

#[test]
fn empty_normalization_is_its_own_result() {
    let snapshot = snapshot_with(vec![person("t1", &["Abdulhai Salek"])]);
    for query in ["", "   ", "-- ,.;", "!!!", "\u{200B}"] {
        assert_eq!(
            snapshot.screen_name(&NameQuery::new(query)),
            NameResult::NormalizesToNothing,
            "query {query:?}"
        );
    }
}

#[test]
fn surname_only_reaches_entry() {
    let snapshot = snapshot_with(vec![person("t1", &["Rami Makhlouf"])]);
    let query = NameQuery {
        threshold: Some(0.5),
        ..NameQuery::new("Makhlouf")
    };
    let hits = hit_ids(&snapshot, &query);
    assert_eq!(hits.first().map(String::as_str), Some("t1"));
}

#[test]
fn hit_carries_explanation() {
    let snapshot = snapshot_with(vec![person("t1", &["Abdulhai Mohammed Salek"])]);
    let result = snapshot.screen_name(&NameQuery::new("SALEK, Abdulhia"));
    let hit = &result.hits()[0];
    assert_eq!(hit.entity_id, "t1");
    assert_eq!(hit.list, "test");
    assert_eq!(hit.matched_name, "Abdulhai Mohammed Salek");
    assert_eq!(hit.name_type, NameType::Primary);
    let explanation = &hit.explanation;
    let typo = explanation
        .matched_tokens
        .iter()
        .find(|m| m.query == "abdulhia")
        .expect("misspelled token matched");
    assert_eq!(typo.listed, "abdulhai");
    assert!(typo.similarity < 1.0, "{typo:?}");
    assert!(typo.similarity > 0.9, "{typo:?}");
    assert!(typo.weight > 0.0);
    assert!(explanation.unmatched_query.is_empty());
    assert_eq!(explanation.unmatched_listed, ["mohammed"]);
    assert!(hit.score < 1.0);
    assert!(hit.score >= screener_lists::DEFAULT_THRESHOLD);
}

#[test]
fn qualifiers_move_score() {
    let mut listed = person("t1", &["Abdulhai Salek"]);
    listed.birth_dates.push(screener_lists::BirthDate::exact(
        PartialDate::new(1965, Some(3), Some(4)).expect("valid date"),
    ));
    listed.nationalities.push("AF".into());
    listed.gender = Some(Gender::Male);
    let snapshot = snapshot_with(vec![listed]);
    let score = |query: NameQuery| {
        let query = NameQuery {
            threshold: Some(0.1),
            ..query
        };
        let result = snapshot.screen_name(&query);
        let hit = result
            .hits()
            .iter()
            .find(|h| h.entity_id == "t1")
            .cloned()
            .expect("hit on t1");
        (hit.score, hit.explanation.adjustments)
    };
    let (plain, adjustments) = score(NameQuery::new("Abdulhai Salek"));
    assert!(adjustments.is_empty());

    let (same_birth, adjustments) = score(NameQuery {
        birth_date: PartialDate::new(1965, Some(3), Some(4)),
        ..NameQuery::new("Abdulhai Salek")
    });
    assert!(same_birth >= plain);
    assert!(
        matches!(adjustments[0].effect, Effect::Add(_)),
        "{adjustments:?}"
    );

    let (other_birth, adjustments) = score(NameQuery {
        birth_date: Some(PartialDate::year(1990)),
        ..NameQuery::new("Abdulhai Salek")
    });
    assert!(other_birth < plain);
    assert!(adjustments[0].reason.contains("1990"), "{adjustments:?}");
    assert!(
        adjustments[0].reason.contains("25 years"),
        "{adjustments:?}"
    );

    let (other_kind, adjustments) = score(NameQuery {
        kind: Some(EntityKind::Vessel),
        ..NameQuery::new("Abdulhai Salek")
    });
    assert!(other_kind < other_birth);
    assert!(adjustments[0].reason.contains("kind"), "{adjustments:?}");

    let (other_country, _) = score(NameQuery {
        country: Some("de".into()),
        gender: Some(Gender::Female),
        ..NameQuery::new("Abdulhai Salek")
    });
    assert!(other_country < plain);
}

#[test]
fn weak_alias_is_noted() {
    let mut listed = person("t1", &["Abdulhai Salek"]);
    listed
        .names
        .push(Name::new("Abu Zubair Qaderi", NameType::WeakAlias));
    let snapshot = snapshot_with(vec![listed]);
    let result = snapshot.screen_name(&NameQuery::new("Abu Zubair Qaderi"));
    let hit = &result.hits()[0];
    assert_eq!(hit.name_type, NameType::WeakAlias);
    assert!(hit.score < 1.0);
    assert!(hit
        .explanation
        .adjustments
        .iter()
        .any(|a| a.reason.contains("weak alias")));
}

#[test]
fn list_filter_limits_hits() {
    let mut other = person("o1", &["Abdulhai Salek"]);
    other.list = "other".into();
    let snapshot = snapshot_with(vec![person("t1", &["Abdulhai Salek"]), other]);
    let all = hit_ids(&snapshot, &NameQuery::new("Abdulhai Salek"));
    assert_eq!(all.len(), 2);
    let query = NameQuery {
        lists: vec!["other".into()],
        ..NameQuery::new("Abdulhai Salek")
    };
    assert_eq!(hit_ids(&snapshot, &query), ["o1"]);
}

#[test]
fn top_k_limits_hits() {
    let snapshot = snapshot_with(vec![
        person("t1", &["Abdulhai Salek"]),
        person("t2", &["Abdulhai Salek"]),
        person("t3", &["Abdulhai Salek"]),
    ]);
    let query = NameQuery {
        top_k: Some(2),
        ..NameQuery::new("Abdulhai Salek")
    };
    assert_eq!(hit_ids(&snapshot, &query).len(), 2);
}

fn with_wallet(id: &str, asset: &str, address: &str) -> Entity {
    let mut entity = person(id, &[id]);
    entity.wallets.push(WalletAddress {
        asset: asset.into(),
        address: address.into(),
    });
    entity
}

const ETH: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const BECH32: &str = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
const TRON: &str = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE";

#[test]
fn wallets_compare_per_family() {
    let snapshot = snapshot_with(vec![
        with_wallet("eth", "ETH", ETH),
        with_wallet("btc", "XBT", BECH32),
        with_wallet("usdt", "USDT", TRON),
    ]);
    // EVM: any case matches; the canonical form is lower case.
    let result = snapshot.screen_wallet(&ETH.to_ascii_lowercase(), Some("ETH"));
    assert_eq!(result.family, ChainFamily::Evm);
    assert_eq!(result.validity, Validity::Valid);
    assert_eq!(result.canonical, ETH.to_ascii_lowercase());
    assert_eq!(result.hits.len(), 1);
    assert_eq!(result.hits[0].note, None);

    // EVM without its 0x prefix: the same address.
    let result = snapshot.screen_wallet(&ETH[2..], Some("ETH"));
    assert_eq!(result.family, ChainFamily::Evm);
    assert_eq!(result.canonical, ETH.to_ascii_lowercase());
    assert_eq!(result.hits.len(), 1);

    // EVM mixed case with a wrong checksum: invalid, still matched.
    let bad = ETH.replacen("aAeb", "AAeb", 1);
    let result = snapshot.screen_wallet(&bad, None);
    assert!(
        matches!(result.validity, Validity::Invalid(_)),
        "{:?}",
        result.validity
    );
    assert_eq!(result.hits.len(), 1);

    // Bech32: upper case is fine, mixed case is invalid.
    let result = snapshot.screen_wallet(&BECH32.to_ascii_uppercase(), None);
    assert_eq!(result.validity, Validity::Valid);
    assert_eq!(result.hits.len(), 1);
    let mixed = BECH32.replacen("w508", "W508", 1);
    assert!(matches!(
        snapshot.screen_wallet(&mixed, None).validity,
        Validity::Invalid(_)
    ));

    // TRON: exact only, and an asset other than the tag is noted.
    let result = snapshot.screen_wallet(TRON, Some("trx"));
    assert_eq!(result.family, ChainFamily::Tron);
    assert_eq!(result.hits.len(), 1);
    let note = result.hits[0]
        .note
        .as_deref()
        .expect("asset mismatch noted");
    assert!(note.contains("USDT"), "{note}");
    assert!(snapshot
        .screen_wallet(&TRON.to_ascii_lowercase(), None)
        .hits
        .is_empty());
}

#[test]
fn identifiers_match_after_normalization() {
    let mut bank = org("bank", &["Example Bank"]);
    bank.identifiers.push(Identifier {
        kind: IdentifierKind::Bic,
        value: "EXMPIRTHXXX".into(),
        country: Some("IR".into()),
    });
    bank.identifiers.push(Identifier {
        kind: IdentifierKind::Bic,
        value: "OTHRIRTH".into(),
        country: None,
    });
    let mut ship = entity("ship", EntityKind::Vessel, &["Example Ship"]);
    ship.identifiers.push(Identifier {
        kind: IdentifierKind::Imo,
        value: "IMO 9187629".into(),
        country: None,
    });
    let snapshot = snapshot_with(vec![bank, ship]);
    let bic = Some(&IdentifierKind::Bic);
    assert_eq!(
        snapshot.screen_identifier(bic, "EXMPIRTH").len(),
        1,
        "8 against listed 11"
    );
    assert_eq!(
        snapshot.screen_identifier(bic, "othr-ir-th-xxx").len(),
        1,
        "11 against listed 8"
    );
    assert!(
        snapshot.screen_identifier(bic, "OTHRIRTH500").is_empty(),
        "a branch is another code"
    );
    let imo = Some(&IdentifierKind::Imo);
    assert_eq!(snapshot.screen_identifier(imo, "9187629").len(), 1);
    assert_eq!(snapshot.screen_identifier(None, "IMO9187629").len(), 1);
    assert!(snapshot
        .screen_identifier(Some(&IdentifierKind::Passport), "9187629")
        .is_empty());
}

#[test]
fn free_text_finds_names_and_addresses() {
    let snapshot = snapshot_with(vec![
        org("t1", &["Gazprom Neft OAO"]),
        with_wallet("eth", "ETH", ETH),
        with_wallet("btc", "XBT", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ]);
    let text =
        "Invoice 12 for Gazprom-Neft JSC, paid from 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed.";
    let hits = snapshot.scan_text(text);
    let kinds: Vec<(TextHitKind, &str)> = hits
        .iter()
        .map(|h| (h.kind, h.entity_id.as_str()))
        .collect();
    assert!(kinds.contains(&(TextHitKind::Name, "t1")), "{hits:?}");
    assert!(kinds.contains(&(TextHitKind::Wallet, "eth")), "{hits:?}");
    let wallet = hits
        .iter()
        .find(|h| h.kind == TextHitKind::Wallet)
        .expect("wallet hit");
    assert_eq!(wallet.offset, text.find("0x"));

    // Word boundaries: inside a longer token nothing is found.
    assert!(snapshot
        .scan_text("ref X1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
        .is_empty());
    assert!(snapshot.scan_text("see gazpromneftoao").is_empty());
}

#[test]
fn free_text_skips_common_names() {
    // Thirty listed people share "Mohammed Ali Hassan" and differ in a
    // fourth name, so those three tokens are common on this list.
    let mut entries = Vec::new();
    for i in 0..30u8 {
        let fourth: String = [
            'q',
            char::from(b'a' + i / 26),
            char::from(b'a' + i % 26),
            'x',
        ]
        .iter()
        .collect();
        entries.push(person(
            &format!("t{i}"),
            &[&format!("Mohammed Ali Hassan {fourth}")],
        ));
    }
    entries.push(person("short", &["Mohammed Ali Hassan"]));
    let snapshot = snapshot_with(entries);
    assert!(snapshot
        .scan_text("Gift from Mohammed Ali Hassan")
        .is_empty());
    let hits = snapshot.scan_text("Gift from Mohammed Ali Hassan Qabx");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].entity_id, "t1");
}

#[test]
fn snapshot_carries_version_and_counts() {
    let mut other = person("o1", &["Abdulhai Salek", "Abdul Hai Salik"]);
    other.list = "other".into();
    let entries = || vec![person("t1", &["Rami Makhlouf"]), other.clone()];
    let snapshot = snapshot_with(entries());
    let again = snapshot_with(entries());
    assert_eq!(snapshot.version(), again.version());
    assert_eq!(snapshot.digest(), again.digest());
    assert_eq!(snapshot.digest().len(), 64);

    let changed = snapshot_with(vec![person("t1", &["Rami Makhlouf"])]);
    assert_ne!(snapshot.digest(), changed.digest());

    let lists: Vec<(&str, usize, usize)> = snapshot
        .lists()
        .iter()
        .map(|l| (l.id.as_str(), l.counts.entities, l.counts.names))
        .collect();
    assert_eq!(
        lists,
        [
            ("test", background().len() + 1, background().len() + 1),
            ("other", 1, 2)
        ]
    );

    let found = snapshot
        .entity("other", "o1")
        .expect("entity by list and id");
    assert_eq!(found.names.len(), 2);
    assert!(snapshot.entity("test", "o1").is_none());
    assert!(snapshot.entity("other", "missing").is_none());
}

#[test]
fn snapshot_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Snapshot>();
}
