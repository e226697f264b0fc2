//! The EU consolidated list loader, on small files written to the EU's
//! published XML layout (no copy of the list ships with the test data).

use std::path::Path;

use screener_lists::{
    load, EntityKind, Format, Gender, IdentifierKind, ListError, LoadOptions, LoadedList, NameType,
};

fn options() -> LoadOptions {
    LoadOptions {
        format: Some(Format::EuXml),
        list_id: None,
    }
}

fn load_text(dir: &Path, text: &str) -> Result<LoadedList, ListError> {
    let path = dir.join("eu_fsf.xml");
    std::fs::write(&path, text).expect("write test file");
    load(&path, &options())
}

/// A person and an enterprise with every element the loader reads, in
/// the default namespace of the EU export.
const FULL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2024-01-15T17:44:48.427+01:00" globalFileId="151">
  <sanctionEntity designationDetails="" unitedNationId="QDi.001" euReferenceNumber="EU.27.28" logicalId="13">
    <regulation publicationDate="2013-05-05" programme="IRQ" logicalId="5"/>
    <regulation regulationType="amendment" organisationType="council" publicationDate="2011-04-20" entryIntoForceDate="2011-04-21" numberTitle="2011/235 (OJ L100)" programme="IRQ" logicalId="1">
      <publicationUrl>https://eur-lex.europa.eu/x</publicationUrl>
    </regulation>
    <regulation publicationDate="2012-01-01" programme="IRQ" logicalId="4"/>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="Saddam Hussein Al-Tikriti" function="Former President" gender="M" title="Dr" nameLanguage="" strong="true" regulationLanguage="en" logicalId="17">
      <regulationSummary regulationType="amendment" publicationDate="2011-04-20" numberTitle="2011/235" publicationUrl="https://eur-lex.europa.eu/x"/>
    </nameAlias>
    <nameAlias firstName="" middleName="" lastName="" wholeName="Abu Ali" function="" gender="M" title="" nameLanguage="" strong="false" regulationLanguage="en" logicalId="18"/>
    <nameAlias firstName="" middleName="" lastName="" wholeName="Саддам Хусейн" function="" gender="" title="" nameLanguage="RU" strong="true" regulationLanguage="en" logicalId="19"/>
    <citizenship region="" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en" logicalId="20"/>
    <citizenship region="" countryIso2Code="00" countryDescription="UNKNOWN" regulationLanguage="en" logicalId="21"/>
    <birthdate circa="false" calendarType="GREGORIAN" city="al-Awja, near Tikrit" zipCode="" birthdate="1937-04-28" dayOfMonth="28" monthOfYear="4" year="1937" region="" place="" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en" logicalId="22"/>
    <birthdate circa="true" calendarType="GREGORIAN" city="" year="1938" countryIso2Code="00" countryDescription="UNKNOWN" logicalId="23"/>
    <birthdate yearRangeFrom="1936" yearRangeTo="1939" logicalId="24"/>
    <identification diplomatic="false" knownExpired="false" knownFalse="false" reportedLost="false" revokedByIssuer="false" logicalId="25" identificationTypeCode="passport" identificationTypeDescription="National passport" number="A1234567" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en">
      <remark>Issued in Baghdad &amp; expired</remark>
    </identification>
    <identification logicalId="26" identificationTypeCode="id" number="ID-99" countryIso2Code="iq"/>
    <address city="Baghdad" street="Palace Street 1" poBox="12" zipCode="10001" region="Karkh" place="" asAtListingTime="false" contactInfo="" countryIso2Code="IQ" countryDescription="IRAQ" logicalId="27"/>
    <remark>Former head of state.</remark>
  </sanctionEntity>
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.100.1" logicalId="200" designationDate="2022-02-25">
    <regulation publicationDate="2022-02-25" programme="RUS" logicalId="2"/>
    <regulation publicationDate="2023-06-23" programme="UKR" logicalId="3"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Bank Example PJSC" strong="true" logicalId="201"/>
    <nameAlias wholeName="BANK EXAMPLE" strong="true" logicalId="202"/>
    <identification identificationTypeCode="regnumber" number="1027700132195" countryIso2Code="RU" logicalId="203"/>
    <identification identificationTypeCode="swiftbic" number="EXAMRUMM" countryIso2Code="RU" logicalId="204"/>
    <address city="Moscow" street="Tverskaya 1" zipCode="125009" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="205"/>
  </sanctionEntity>
</export>
"#;

#[test]
fn full_file_reads_every_element() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = load_text(dir.path(), FULL).expect("loads");

    assert!(
        list.report.warnings.is_empty(),
        "{:?}",
        list.report.warnings
    );
    assert_eq!(list.report.published.as_deref(), Some("2024-01-15"));
    assert_eq!(list.report.list, "eu_fsf");
    assert_eq!(list.entities.len(), 2);

    let person = &list.entities[0];
    assert_eq!(person.id, "13");
    assert_eq!(person.kind, EntityKind::Person);
    assert_eq!(person.gender, Some(Gender::Male));
    let names: Vec<(&str, NameType)> = person
        .names
        .iter()
        .map(|n| (n.full.as_str(), n.name_type))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Saddam Hussein Al-Tikriti", NameType::Primary),
            ("Abu Ali", NameType::WeakAlias),
            ("Саддам Хусейн", NameType::Alias),
        ]
    );
    assert_eq!(person.names[0].parts.given.as_deref(), Some("Saddam"));
    assert_eq!(person.names[0].parts.middle, None);
    assert_eq!(
        person.names[0].parts.family.as_deref(),
        Some("Hussein Al-Tikriti")
    );
    assert_eq!(person.names[0].parts.other, vec!["Dr"]);
    assert_eq!(person.nationalities, vec!["IQ"]);
    assert_eq!(person.birth_dates.len(), 3);
    assert_eq!(person.birth_dates[0].from.to_string(), "1937-04-28");
    assert!(person.birth_dates[1].approximate);
    assert_eq!(person.birth_dates[1].from.to_string(), "1938");
    assert_eq!(
        person.birth_dates[2].to.map(|d| d.to_string()).as_deref(),
        Some("1939")
    );
    assert_eq!(person.birth_places, vec!["al-Awja, near Tikrit, IRAQ"]);
    assert_eq!(person.identifiers.len(), 2);
    assert_eq!(person.identifiers[0].kind, IdentifierKind::Passport);
    assert_eq!(person.identifiers[0].value, "A1234567");
    assert_eq!(person.identifiers[1].kind, IdentifierKind::NationalId);
    assert_eq!(person.identifiers[1].country.as_deref(), Some("IQ"));
    let address = &person.addresses[0];
    assert_eq!(
        address.street.as_deref(),
        Some("Palace Street 1, PO Box 12")
    );
    assert_eq!(address.city.as_deref(), Some("Baghdad"));
    assert_eq!(address.region.as_deref(), Some("Karkh"));
    assert_eq!(address.postal_code.as_deref(), Some("10001"));
    assert_eq!(address.country.as_deref(), Some("IQ"));
    assert_eq!(person.programs, vec!["IRQ"]);
    assert_eq!(person.listed_on.as_deref(), Some("2011-04-20"));
    let remarks = person.remarks.as_deref().expect("remarks");
    assert!(remarks.contains("Issued in Baghdad & expired"), "{remarks}");
    assert!(remarks.contains("Former head of state."), "{remarks}");
    assert!(remarks.contains("Function: Former President"), "{remarks}");
    assert!(
        remarks.contains("EU reference number: EU.27.28"),
        "{remarks}"
    );

    let bank = &list.entities[1];
    assert_eq!(bank.kind, EntityKind::Organization);
    assert_eq!(bank.names[1].name_type, NameType::Alias);
    assert_eq!(bank.programs, vec!["RUS", "UKR"]);
    assert_eq!(bank.listed_on.as_deref(), Some("2022-02-25"));
    assert_eq!(bank.identifiers[0].kind, IdentifierKind::RegistrationNumber);
    assert_eq!(bank.identifiers[1].kind, IdentifierKind::Bic);
    assert_eq!(bank.countries, vec!["RU"]);
}

#[test]
fn namespace_prefix_reads_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefixed = FULL
        .replace("<export xmlns=", "<fsd:export xmlns:fsd=")
        .replace("</export>", "</fsd:export>")
        .replace("<sanctionEntity", "<fsd:sanctionEntity")
        .replace("</sanctionEntity>", "</fsd:sanctionEntity>")
        .replace("<nameAlias", "<fsd:nameAlias")
        .replace("</nameAlias>", "</fsd:nameAlias>")
        .replace("<birthdate", "<fsd:birthdate");
    assert!(prefixed.contains("<fsd:nameAlias"));
    let plain = load_text(dir.path(), FULL).expect("plain loads");
    let with_prefix = load_text(dir.path(), &prefixed).expect("prefixed loads");
    assert_eq!(plain.entities, with_prefix.entities);
}

#[test]
fn problems_warn_with_element_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = r#"<export generationDate="2024-01-15">
  <sanctionEntity logicalId="1">
    <subjectType code="vessel"/>
    <nameAlias wholeName="" strong="true"/>
    <nameAlias wholeName="SEA STAR" strong="true"/>
    <birthdate birthdate="1970-13-45"/>
    <identification identificationTypeCode="passport" number=""/>
  </sanctionEntity>
  <sanctionEntity euReferenceNumber="" logicalId="">
    <nameAlias wholeName="No Id" strong="true"/>
  </sanctionEntity>
  <sanctionEntity logicalId="3">
    <subjectType code="person"/>
  </sanctionEntity>
</export>"#;
    let list = load_text(dir.path(), text).expect("loads");
    let warnings: Vec<String> = list.report.warnings.iter().map(|w| w.to_string()).collect();

    assert_eq!(list.entities.len(), 1);
    assert_eq!(list.entities[0].kind, EntityKind::Unknown);
    assert_eq!(warnings.len(), 6, "{warnings:#?}");
    assert!(
        warnings[0].contains("/export/sanctionEntity[1] (logicalId 1)/subjectType"),
        "{warnings:#?}"
    );
    assert!(warnings[0].contains("'vessel'"), "{warnings:#?}");
    assert!(warnings[1].contains("/nameAlias"), "{warnings:#?}");
    assert!(warnings[2].contains("/birthdate"), "{warnings:#?}");
    assert!(warnings[3].contains("/identification"), "{warnings:#?}");
    assert!(
        warnings[4].contains("/export/sanctionEntity[2]:"),
        "{warnings:#?}"
    );
    assert!(warnings[4].contains("no logicalId"), "{warnings:#?}");
    assert!(
        warnings[5].contains("sanctionEntity[3] (logicalId 3)"),
        "{warnings:#?}"
    );
    assert!(warnings[5].contains("no nameAlias"), "{warnings:#?}");
}

#[test]
fn truncated_file_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cut = &FULL[..FULL.find("<identification").expect("has identification")];
    let error = load_text(dir.path(), cut).expect_err("truncated");
    let message = error.to_string();
    assert!(matches!(error, ListError::Invalid { .. }), "{message}");
    assert!(message.contains("truncated"), "{message}");
    assert!(message.contains("/export/sanctionEntity"), "{message}");
    assert!(message.contains("eu_fsf.xml"), "{message}");
}

#[test]
fn foreign_files_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let un = "<CONSOLIDATED_LIST dateGenerated=\"2026-02-27\"><INDIVIDUALS/></CONSOLIDATED_LIST>";
    let error = load_text(dir.path(), un).expect_err("UN list");
    assert!(error.to_string().contains("<CONSOLIDATED_LIST>"), "{error}");

    let error = load_text(dir.path(), "id,kind,name\n1,person,X\n").expect_err("CSV");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");

    let error = load_text(dir.path(), "<export><a></b></export>").expect_err("mismatched");
    assert!(matches!(error, ListError::Invalid { .. }), "{error}");

    let error = load_text(dir.path(), "  \n").expect_err("empty");
    assert!(matches!(error, ListError::Empty { .. }), "{error}");
}

#[test]
fn empty_export_has_no_entities() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = load_text(dir.path(), "<export generationDate=\"2024-01-15\"/>").expect("loads");
    assert!(list.entities.is_empty());
    assert_eq!(list.report.published.as_deref(), Some("2024-01-15"));
}

#[test]
fn oversized_values_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let huge = "x".repeat(screener_lists::source::MAX_FIELD_BYTES + 1);
    let remark = format!(
        "<export><sanctionEntity logicalId=\"1\"><remark>{huge}</remark></sanctionEntity></export>"
    );
    let error = load_text(dir.path(), &remark).expect_err("oversized remark");
    assert!(matches!(error, ListError::Oversized { .. }), "{error}");

    let attribute = format!("<export><sanctionEntity logicalId=\"{huge}\"/></export>");
    let error = load_text(dir.path(), &attribute).expect_err("oversized attribute");
    assert!(error.to_string().contains("@logicalId"), "{error}");
}

#[test]
fn loads_the_same_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = load_text(dir.path(), FULL).expect("first load");
    let second = load_text(dir.path(), FULL).expect("second load");
    assert_eq!(first.report.digest, second.report.digest);
    assert_eq!(first.entities, second.entities);
}
