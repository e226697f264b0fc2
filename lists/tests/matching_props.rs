//! Properties of normalization and name screening, over generated names
//! and arbitrary text.

use proptest::prelude::*;
use screener_lists::normalize::normalize;
use screener_lists::{Entity, EntityKind, Name, NameQuery, NameResult, NameType, Snapshot};

/// Name-like text: words from several scripts, with punctuation, digits,
/// commas, legal forms and particles mixed in.
fn name_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        "[A-Za-z]{1,12}",
        "[a-zà-ÿ]{2,8}",
        "[А-Яа-я]{2,8}",
        "[ء-ي]{2,6}",
        "[一-龥]{1,3}",
        "[0-9]{1,4}",
        Just("OAO".to_string()),
        Just("Co.".to_string()),
        Just("al-".to_string()),
        Just("bin".to_string()),
        Just("Sheikh".to_string()),
        Just("S.A. de C.V.".to_string()),
    ];
    let separator = prop_oneof![Just(" "), Just(", "), Just("-"), Just(" . "), Just("'")];
    prop::collection::vec((word, separator), 1..6).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(w, s)| format!("{w}{s}"))
            .collect::<String>()
    })
}

fn listed(id: &str, name: &str) -> Entity {
    let mut entity = Entity::new("props", id, EntityKind::Person);
    entity.names.push(Name::new(name, NameType::Primary));
    entity
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn normalization_is_idempotent(text in name_text()) {
        let once = normalize(&text);
        let twice = normalize(&once.latin_text());
        prop_assert_eq!(&once.latin, &twice.latin, "text {:?}", text);
    }

    #[test]
    fn normalization_of_any_text_is_idempotent(text in "\\PC{0,40}") {
        let once = normalize(&text);
        let twice = normalize(&once.latin_text());
        prop_assert_eq!(&once.latin, &twice.latin, "text {:?}", text);
    }

    #[test]
    fn listed_name_scores_one(name in name_text(), other in name_text()) {
        prop_assume!(!normalize(&name).is_empty());
        let snapshot = Snapshot::from_entities(vec![
            listed("target", &name),
            listed("other", &other),
            listed("third", "Abdulhai Salek"),
        ]);
        let result = snapshot.screen_name(&NameQuery::new(name.clone()));
        let hit = result.hits().iter().find(|h| h.entity_id == "target");
        let hit = hit.unwrap_or_else(|| panic!("no hit on {name:?}: {result:?}"));
        prop_assert!((hit.score - 1.0).abs() < 1e-5, "score {} for {:?}", hit.score, name);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Fuzz-style: arbitrary text through the normalizer, name screening
    /// and free-text scanning, with no panic and scores within 0 to 1.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}", listed_name in "\\PC{0,30}") {
        let snapshot = Snapshot::from_entities(vec![listed("fuzz", &listed_name), listed("fixed", "Rami Makhlouf")]);
        let _ = normalize(&text);
        match snapshot.screen_name(&NameQuery { threshold: Some(0.0), ..NameQuery::new(text.clone()) }) {
            NameResult::Hits(hits) => {
                for hit in hits {
                    prop_assert!((0.0..=1.0).contains(&hit.score), "score {}", hit.score);
                }
            }
            NameResult::NormalizesToNothing => prop_assert!(normalize(&text).is_empty()),
        }
        let _ = snapshot.scan_text(&text);
        let _ = snapshot.screen_wallet(&text, Some(&text));
        let _ = snapshot.screen_identifier(None, &text);
    }
}
