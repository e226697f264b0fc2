//! OFAC legacy CSV set: sdn.csv, alt.csv, add.csv and sdn_comments.csv
//! (cons_prim.csv, cons_alt.csv, cons_add.csv, cons_comments.csv for the
//! non-SDN consolidated list).
//!
//! The files have no header. Every row starts with the entry number
//! (ent_num) that ties the files together. Text is Windows-1252, `-0-`
//! means empty, and the files end with a 0x1A byte. Remarks longer than
//! 1000 characters continue in the comments file. Any companion file may
//! be missing: an sdn.csv alone still loads, with its aliases from remarks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::ListError;
use crate::formats::common::{country_or_text, push_unique};
use crate::formats::ofac_remarks::{apply_remarks, person_name_parts};
use crate::model::{Address, Entity, EntityKind, Identifier, IdentifierKind, Name, NameType};
use crate::source::{decode_text, InputFile, LoadContext, MAX_FIELD_BYTES};

pub use crate::formats::ofac_record::{split_record, Record};

/// Columns of sdn.csv and cons_prim.csv.
pub const MAIN_COLUMNS: usize = 12;
/// Columns of alt.csv and cons_alt.csv.
pub const ALT_COLUMNS: usize = 5;
/// Columns of add.csv and cons_add.csv.
pub const ADD_COLUMNS: usize = 6;
/// Columns of sdn_comments.csv and cons_comments.csv.
pub const COMMENTS_COLUMNS: usize = 2;

/// The length at which OFAC cuts the remarks column; the rest of a longer
/// remark is in the comments file.
const REMARKS_CUT: usize = 1000;

const FORMAT: &str = "ofac_csv";

/// The role of a file in the set, which its name gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Main,
    Alt,
    Add,
    Comments,
}

/// The name stems of each role, for the SDN set and the consolidated set.
const ROLE_STEMS: [(Role, &str, &str); 4] = [
    (Role::Main, "sdn", "cons_prim"),
    (Role::Alt, "alt", "cons_alt"),
    (Role::Add, "add", "cons_add"),
    (Role::Comments, "sdn_comments", "cons_comments"),
];

/// Splits a logical file name such as "sdn_2024-04-26.csv" into its role
/// and the suffix after the stem ("_2024-04-26"), for the SDN set or the
/// consolidated set.
fn role_of(logical_name: &str) -> Option<(Role, bool, String)> {
    let stem = logical_name.strip_suffix(".csv")?;
    // Longer stems first, so "sdn_comments" is not read as "sdn".
    let mut candidates: Vec<(Role, bool, &str)> = ROLE_STEMS
        .iter()
        .flat_map(|(role, sdn, cons)| [(*role, false, *sdn), (*role, true, *cons)])
        .collect();
    candidates.sort_by_key(|(_, _, s)| std::cmp::Reverse(s.len()));
    candidates
        .into_iter()
        .find_map(|(role, consolidated, name)| {
            let suffix = stem.strip_prefix(name)?;
            (suffix.is_empty() || suffix.starts_with(['_', '-']))
                .then(|| (role, consolidated, suffix.to_string()))
        })
}

/// Finds the main file (sdn.csv or cons_prim.csv, possibly compressed) in a folder.
pub fn main_file_in(dir: &Path) -> Result<PathBuf, ListError> {
    let entries = list_folder(dir)?;
    let mains: Vec<&PathBuf> = entries
        .iter()
        .filter(|(_, logical)| logical == "sdn.csv" || logical == "cons_prim.csv")
        .map(|(path, _)| path)
        .collect();
    match mains.as_slice() {
        [only] => Ok((*only).clone()),
        [] => Err(ListError::UnknownFormat {
            path: dir.to_path_buf(),
            reason: "the folder holds no sdn.csv or cons_prim.csv; name the list file itself"
                .into(),
        }),
        _ => Err(ListError::UnknownFormat {
            path: dir.to_path_buf(),
            reason: "the folder holds more than one OFAC CSV set; name the main file itself".into(),
        }),
    }
}

/// Reads the alt, add and comments files that sit beside the main file,
/// in that order. Missing companions are skipped.
pub fn companion_files(main: &InputFile) -> Result<Vec<InputFile>, ListError> {
    let Some((Role::Main, consolidated, suffix)) = role_of(&main.logical_name()) else {
        return Ok(Vec::new());
    };
    let dir = match main.path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let entries = list_folder(dir)?;
    let mut companions = Vec::new();
    for (role, sdn_stem, cons_stem) in &ROLE_STEMS[1..] {
        let stem = if consolidated { cons_stem } else { sdn_stem };
        let wanted = format!("{stem}{suffix}.csv");
        let found = entries.iter().find(|(path, logical)| {
            *logical == wanted
                && role_of(logical).is_some_and(|(r, ..)| r == *role)
                && path.is_file()
        });
        if let Some((path, _)) = found {
            companions.push(InputFile::read(path)?);
        }
    }
    Ok(companions)
}

/// The files of a folder with their logical names (lower case, without
/// compression extensions).
fn list_folder(dir: &Path) -> Result<Vec<(PathBuf, String)>, ListError> {
    let io_error = |source| ListError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let mut logical = name.to_ascii_lowercase();
        for extension in [".gz", ".bz2", ".zip"] {
            if let Some(stripped) = logical.strip_suffix(extension) {
                logical = stripped.to_string();
                break;
            }
        }
        entries.push((path, logical));
    }
    entries.sort();
    Ok(entries)
}

/// Parses an OFAC CSV set: the main file first, then any companions.
pub fn parse(
    files: &[InputFile],
    list_id: &str,
    context: &mut LoadContext,
) -> Result<Vec<Entity>, ListError> {
    let Some((main, companions)) = files.split_first() else {
        return Ok(Vec::new());
    };
    let mut set = EntrySet::default();
    let mut continuations: HashMap<String, String> = HashMap::new();
    let has_comments = companions
        .iter()
        .any(|f| role_of(&f.logical_name()).is_some_and(|(r, ..)| r == Role::Comments));

    // Comments first, so each remark is whole when it is read.
    for file in companions {
        if let Some((Role::Comments, ..)) = role_of(&file.logical_name()) {
            for row in rows(file, COMMENTS_COLUMNS, context)? {
                let [ent_num, text] = row.fields.as_slice() else {
                    continue;
                };
                continuations
                    .entry(ent_num.clone())
                    .or_default()
                    .push_str(text);
            }
        }
    }

    let main_rows = rows(main, MAIN_COLUMNS, context)?;
    if main_rows.is_empty() {
        return Err(ListError::Invalid {
            path: main.path.clone(),
            format: FORMAT,
            reason: "no line is an OFAC row (an entry number, then 11 more columns); \
                     check the file and the format named for it"
                .into(),
        });
    }
    for row in main_rows {
        set.add_main(row, &mut continuations, has_comments, &main.name, context);
    }
    for (ent_num, _) in continuations {
        context.warn(
            &main.name,
            format!("ent_num {ent_num}"),
            "comments continue an entry that is not in the main file; skipped",
        );
    }

    for file in companions {
        match role_of(&file.logical_name()).map(|(role, ..)| role) {
            Some(Role::Alt) => {
                for row in rows(file, ALT_COLUMNS, context)? {
                    set.add_alias(row, &file.name, context);
                }
            }
            Some(Role::Add) => {
                for row in rows(file, ADD_COLUMNS, context)? {
                    set.add_address(row, &file.name, context);
                }
            }
            _ => {}
        }
    }
    Ok(set.finish(list_id, &main.name, context))
}

/// One row of a file: its line number and fields.
struct Row {
    line: usize,
    fields: Vec<String>,
}

/// Reads the rows of a file, reporting repaired and unusable lines. Rows
/// that do not start with an entry number are reported and skipped.
fn rows(
    file: &InputFile,
    columns: usize,
    context: &mut LoadContext,
) -> Result<Vec<Row>, ListError> {
    if let Some(position) = file.bytes.iter().position(|&b| b == 0) {
        return Err(ListError::Invalid {
            path: file.path.clone(),
            format: FORMAT,
            reason: format!("a NUL byte at byte {position}: this is not a text file"),
        });
    }
    let text = decode_text(&file.bytes);
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim_end_matches(['\r', '\u{1a}']);
        if line.trim().is_empty() {
            continue;
        }
        let location = || format!("line {line_number}");
        let mut record = split_record(line);
        record.fit(line, columns);
        for problem in &record.problems {
            context.warn(&file.name, location(), problem.clone());
        }
        if let Some((column, field)) = record
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.len() > MAX_FIELD_BYTES)
        {
            return Err(ListError::Oversized {
                path: file.path.clone(),
                location: format!("line {line_number}, column {}", column + 1),
                len: field.len(),
                limit: MAX_FIELD_BYTES,
            });
        }
        let numbered = record
            .fields
            .first()
            .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
        if !numbered {
            context.warn(
                &file.name,
                location(),
                "the row does not start with an entry number; skipped",
            );
            continue;
        }
        rows.push(Row {
            line: line_number,
            fields: record.fields.into_iter().map(|f| f.into_owned()).collect(),
        });
    }
    Ok(rows)
}

/// The entities read so far, by entry number, with remarks still to read.
#[derive(Default)]
struct EntrySet {
    entities: Vec<Entity>,
    remarks: Vec<String>,
    index: HashMap<String, usize>,
}

impl EntrySet {
    fn add_main(
        &mut self,
        row: Row,
        continuations: &mut HashMap<String, String>,
        has_comments: bool,
        file: &str,
        context: &mut LoadContext,
    ) {
        let location = format!("line {}", row.line);
        let [ent_num, name, sdn_type, program, _title, call_sign, _vessel_type, _tonnage, _grt, flag, owner, remarks] =
            <[String; MAIN_COLUMNS]>::try_from(row.fields).unwrap_or_default();
        if self.index.contains_key(&ent_num) {
            context.warn(
                file,
                location,
                format!("entry {ent_num} appears twice; the second is skipped"),
            );
            return;
        }
        if name.is_empty() {
            context.warn(
                file,
                location,
                format!("entry {ent_num} has no name; skipped"),
            );
            return;
        }
        let kind = match sdn_type.to_ascii_lowercase().as_str() {
            "" => EntityKind::Organization,
            "individual" => EntityKind::Person,
            "vessel" => EntityKind::Vessel,
            "aircraft" => EntityKind::Aircraft,
            other => {
                context.warn(
                    file,
                    location.clone(),
                    format!("SDN_Type {other:?} is not known"),
                );
                EntityKind::Unknown
            }
        };

        let mut entity = Entity::new("", ent_num.clone(), kind);
        let mut primary = Name::new(name.clone(), NameType::Primary);
        if kind == EntityKind::Person {
            primary.parts = person_name_parts(&name);
        }
        entity.names.push(primary);
        entity.programs = programs(&program);
        if !call_sign.is_empty() {
            entity.identifiers.push(Identifier {
                kind: IdentifierKind::Other("Vessel Call Sign".into()),
                value: call_sign,
                country: None,
            });
        }
        if let Some(flag) = country_or_text(&flag) {
            entity.countries.push(flag);
        }
        if !owner.is_empty() {
            entity.linked_to.push(owner);
        }

        let mut remarks = remarks;
        match continuations.remove(&ent_num) {
            Some(rest) => remarks.push_str(&rest),
            None if !has_comments && remarks.chars().count() >= REMARKS_CUT => context.warn(
                file,
                location,
                format!(
                    "the remarks of entry {ent_num} reach {REMARKS_CUT} characters and no \
                     comments file continues them; they may be cut off"
                ),
            ),
            None => {}
        }
        self.index.insert(ent_num, self.entities.len());
        self.entities.push(entity);
        self.remarks.push(remarks);
    }

    fn entity_of(
        &mut self,
        ent_num: &str,
        file: &str,
        line: usize,
        context: &mut LoadContext,
    ) -> Option<&mut Entity> {
        match self.index.get(ent_num) {
            Some(&index) => self.entities.get_mut(index),
            None => {
                context.warn(
                    file,
                    format!("line {line}"),
                    format!("entry {ent_num} is not in the main file; row skipped"),
                );
                None
            }
        }
    }

    fn add_alias(&mut self, row: Row, file: &str, context: &mut LoadContext) {
        let [ent_num, _alt_num, alt_type, alt_name, _remarks] =
            <[String; ALT_COLUMNS]>::try_from(row.fields).unwrap_or_default();
        if alt_name.is_empty() {
            return;
        }
        let name_type = match alt_type.to_ascii_lowercase().as_str() {
            "fka" => NameType::Former,
            "aka" | "nka" | "" => NameType::Alias,
            other => {
                context.warn(
                    file,
                    format!("line {}", row.line),
                    format!("alias type {other:?} is not known; read as aka"),
                );
                NameType::Alias
            }
        };
        let Some(entity) = self.entity_of(&ent_num, file, row.line, context) else {
            return;
        };
        if entity.names.iter().any(|n| n.full == alt_name) {
            return;
        }
        let mut name = Name::new(alt_name.clone(), name_type);
        if entity.kind == EntityKind::Person {
            name.parts = person_name_parts(&alt_name);
        }
        entity.names.push(name);
    }

    fn add_address(&mut self, row: Row, file: &str, context: &mut LoadContext) {
        let [ent_num, _add_num, street, city, country, _remarks] =
            <[String; ADD_COLUMNS]>::try_from(row.fields).unwrap_or_default();
        let full = crate::formats::common::join_present(
            &[Some(&street), Some(&city), Some(&country)].map(|f| f.map(String::as_str)),
            ", ",
        );
        let Some(full) = full else {
            return;
        };
        let Some(entity) = self.entity_of(&ent_num, file, row.line, context) else {
            return;
        };
        let country = country_or_text(&country);
        if let Some(country) = &country {
            push_unique(&mut entity.countries, country.clone());
        }
        let non_empty = |text: String| (!text.is_empty()).then_some(text);
        push_unique(
            &mut entity.addresses,
            Address {
                street: non_empty(street),
                city: non_empty(city),
                region: None,
                postal_code: None,
                country,
                full: Some(full),
            },
        );
    }

    /// Reads every remark (after alt.csv, so strong aliases come before the
    /// weak ones of remarks) and sets the list id.
    fn finish(self, list_id: &str, file: &str, context: &mut LoadContext) -> Vec<Entity> {
        let mut entities = self.entities;
        for (entity, remarks) in entities.iter_mut().zip(self.remarks) {
            entity.list = list_id.to_string();
            if remarks.is_empty() {
                continue;
            }
            for problem in apply_remarks(&remarks, entity) {
                context.warn(file, format!("entry {}", entity.id), problem);
            }
            entity.remarks = Some(remarks);
        }
        entities
    }
}

/// Splits the program column, "SDGT] [IRAN" or "[SDGT] [IRAN]", into
/// program names.
fn programs(column: &str) -> Vec<String> {
    column
        .split("] [")
        .map(|p| p.trim_matches(|c: char| c == '[' || c == ']' || c.is_whitespace()))
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> InputFile {
        InputFile::from_bytes(name, text.as_bytes().to_vec())
    }

    fn parse_set(files: &[InputFile]) -> (Vec<Entity>, LoadContext) {
        let mut context = LoadContext::default();
        let entities = parse(files, "ofac_sdn", &mut context).expect("set parses");
        (entities, context)
    }

    #[test]
    fn roles_from_names() {
        assert_eq!(role_of("sdn.csv").map(|r| r.0), Some(Role::Main));
        assert_eq!(
            role_of("sdn_2024-04-26.csv").map(|r| (r.0, r.2)),
            Some((Role::Main, "_2024-04-26".into()))
        );
        assert_eq!(
            role_of("sdn_comments.csv").map(|r| r.0),
            Some(Role::Comments)
        );
        assert_eq!(
            role_of("cons_prim.csv").map(|r| (r.0, r.1)),
            Some((Role::Main, true))
        );
        assert_eq!(role_of("cons_alt.csv").map(|r| r.0), Some(Role::Alt));
        assert_eq!(role_of("address.csv"), None);
    }

    #[test]
    fn set_joins_by_entry_number() {
        let main = file(
            "sdn.csv",
            "306,\"BANCO NACIONAL DE CUBA\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'BNC'.\"\r\n\
             15002,\"FLORES APODACA, Agustin\",\"individual\",\"SDNTK] [SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 09 Jun 1964; a.k.a. 'EL NI\"\r\n\u{1a}",
        );
        let alt = file(
            "alt.csv",
            "306,220,\"aka\",\"NATIONAL BANK OF CUBA\",-0- \r\n",
        );
        let add = file("add.csv", "306,199,\"Zweierstrasse 35\",\"Zurich CH-8022\",\"Switzerland\",-0- \r\n306,1,-0- ,-0- ,-0- ,-0- \r\n");
        let comments = file("sdn_comments.csv", "15002,\"NO'.\"\r\n");
        let (entities, context) = parse_set(&[main, alt, add, comments]);
        assert!(context.warnings.is_empty(), "{:?}", context.warnings);

        let bank = &entities[0];
        assert_eq!(bank.kind, EntityKind::Organization);
        assert_eq!(bank.names[1].full, "NATIONAL BANK OF CUBA");
        assert_eq!(bank.names[1].name_type, NameType::Alias);
        assert_eq!(bank.names[2].full, "BNC");
        assert_eq!(bank.names[2].name_type, NameType::WeakAlias);
        assert_eq!(bank.addresses.len(), 1);
        assert_eq!(bank.addresses[0].country.as_deref(), Some("CH"));

        let person = &entities[1];
        assert_eq!(person.kind, EntityKind::Person);
        assert_eq!(
            person.names[0].parts.family.as_deref(),
            Some("FLORES APODACA")
        );
        assert_eq!(person.programs, vec!["SDNTK", "SDGT"]);
        assert_eq!(person.names[1].full, "EL NINO");
        assert_eq!(
            person.remarks.as_deref(),
            Some("DOB 09 Jun 1964; a.k.a. 'EL NINO'.")
        );
    }

    #[test]
    fn unescaped_quote_in_comments_loads() {
        let main = file(
            "sdn.csv",
            "1,\"X\",-0- ,\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Linked To: A\"\r\n",
        );
        let comments = file(
            "sdn_comments.csv",
            "1,\"; a.k.a. \"THE \"BEST\", GROUP\".\"\r\n",
        );
        let (entities, context) = parse_set(&[main, comments]);
        assert_eq!(entities.len(), 1);
        assert!(entities[0]
            .remarks
            .as_deref()
            .is_some_and(|r| r.contains("BEST\", GROUP")));
        assert!(context
            .warnings
            .iter()
            .any(|w| w.file == "sdn_comments.csv"));
        assert!(entities[0]
            .names
            .iter()
            .any(|n| n.full == "THE \"BEST\", GROUP"));
    }

    #[test]
    fn rows_of_another_kind_are_an_error() {
        let main = file("sdn.csv", "name,street,city\nBob,Main St,Springfield\n");
        let mut context = LoadContext::default();
        let error = parse(&[main], "ofac_sdn", &mut context).expect_err("not OFAC rows");
        assert!(error.to_string().contains("sdn.csv"), "{error}");
        assert!(
            error.to_string().contains("no line is an OFAC row"),
            "{error}"
        );
    }

    #[test]
    fn binary_file_is_an_error() {
        let main = file("sdn.csv", "1,\"X\"\0\0\0");
        let mut context = LoadContext::default();
        let error = parse(&[main], "ofac_sdn", &mut context).expect_err("binary");
        assert!(error.to_string().contains("NUL byte at byte 5"), "{error}");
    }

    #[test]
    fn oversized_field_is_an_error() {
        let long = "x".repeat(MAX_FIELD_BYTES + 1);
        let main = file(
            "sdn.csv",
            &format!("1,\"{long}\",-0- ,\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"),
        );
        let mut context = LoadContext::default();
        let error = parse(&[main], "ofac_sdn", &mut context).expect_err("oversized");
        assert!(matches!(error, ListError::Oversized { .. }), "{error}");
        assert!(error.to_string().contains("line 1, column 2"), "{error}");
    }

    #[test]
    fn long_remarks_without_comments_are_reported() {
        let remarks = format!("a.k.a. '{}", "Y".repeat(REMARKS_CUT));
        let main = file(
            "sdn.csv",
            &format!("1,\"X\",-0- ,\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"{remarks}\"\r\n"),
        );
        let (entities, context) = parse_set(&[main]);
        assert_eq!(entities[0].names.len(), 1);
        assert!(context
            .warnings
            .iter()
            .any(|w| w.message.contains("cut off")));
    }

    #[test]
    fn program_column_splits() {
        assert_eq!(programs("SDGT] [IRAN"), vec!["SDGT", "IRAN"]);
        assert_eq!(programs("[SDGT]"), vec!["SDGT"]);
        assert!(programs("").is_empty());
    }
}
