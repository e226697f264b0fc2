//! `screener screen --json` prints the response the gRPC service would
//! return, with the field names of its messages, so one parser reads both.

use std::path::Path;
use std::process::Command;

const WATCHLIST: &str = "\
id,kind,name,aliases,countries,birth_date,identifiers,wallets,programs,remarks
P-1,person,Viktor Anatolyevich BOUT,Victor Bout;Viktor Budd,RU,1967-01-13,passport:21N0588027:RU,,TEST,arms dealer
O-1,organization,Gazprombank JSC,Gazprom Bank;GPB,RU,,bic:GAZPRUMM,,TEST,
W-1,wallet,Lazarus Test Wallet,,KP,,,ETH:0x098B716B8Aaf21512996dC57EB0615e2383E2f96,TEST,
";

/// Runs `screener screen --list LIST --json ARGS` and parses its output.
fn screen_json(list: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_screener"))
        .arg("screen")
        .arg("--list")
        .arg(list)
        .arg("--json")
        .args(args)
        .output()
        .expect("screener runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!(
            "output of {args:?} is not JSON ({error}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), value)
}

fn watchlist() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("watchlist.csv");
    std::fs::write(&path, WATCHLIST).expect("write the watch list");
    (dir, path)
}

#[test]
fn name_json_has_the_fields_of_screen_party() {
    let (_dir, list) = watchlist();
    let (code, answer) = screen_json(&list, &["Victor Bout"]);
    assert_eq!(code, screener::offline::EXIT_HITS, "{answer}");
    assert!(answer["list_version"].is_string(), "{answer}");
    let hit = &answer["hits"][0];
    assert_eq!(hit["entity_id"], "P-1", "{answer}");
    assert_eq!(hit["role"], "party", "{answer}");
    assert_eq!(hit["kind"], "name", "{answer}");
    assert_eq!(hit["query_value"], "Victor Bout", "{answer}");
    assert_eq!(hit["entity_name"], "Viktor Anatolyevich BOUT", "{answer}");
    assert!(hit["matched_value"].is_string(), "{answer}");
    assert!(hit["score"].as_f64().is_some_and(|s| s > 0.8), "{answer}");
    assert!(hit["explanation"]["token_matches"].is_array(), "{answer}");
}

#[test]
fn unlisted_values_exit_zero() {
    let (_dir, list) = watchlist();
    for args in [
        &["Maria Gonzalez Perez"][..],
        &["--wallet", "0x0000000000000000000000000000000000000001"],
        &["--identifier", "bic:DEUTDEFF"],
    ] {
        let (code, answer) = screen_json(&list, args);
        assert_eq!(code, screener::offline::EXIT_NO_HITS, "{args:?}: {answer}");
        // An empty list of hits is left out of the JSON.
        assert_eq!(answer["hits"].as_array().map_or(0, Vec::len), 0, "{answer}");
    }
}

#[test]
fn text_output_exits_three_on_hits() {
    let (_dir, list) = watchlist();
    let status = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_screener"))
            .arg("screen")
            .arg("--list")
            .arg(&list)
            .args(args)
            .output()
            .expect("screener runs")
            .status
            .code()
    };
    assert_eq!(status(&["Victor Bout"]), Some(screener::offline::EXIT_HITS));
    assert_eq!(status(&["Maria Gonzalez Perez"]), Some(0));
    assert_eq!(status(&["--identifier", "bic:GAZPRUMM"]), Some(3));

    // A name of symbols is an error on standard error, not a clean result.
    let output = Command::new(env!("CARGO_BIN_EXE_screener"))
        .args(["screen", "--list"])
        .arg(&list)
        .arg("!!!")
        .output()
        .expect("screener runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("screener: "), "{stderr}");
    assert!(stderr.contains("cannot be screened"), "{stderr}");

    // An IMO number with a wrong check digit is an error, not a clean result.
    assert_eq!(status(&["--identifier", "imo:9187628"]), Some(1));

    // Nothing to screen is a usage error, as clap reports one.
    assert_eq!(status(&[]), Some(screener::offline::EXIT_USAGE));
}

#[test]
fn symbol_only_name_exits_one() {
    let (_dir, list) = watchlist();
    let (code, answer) = screen_json(&list, &["!!!"]);
    assert_eq!(code, 1, "{answer}");
    assert!(
        answer["note"]
            .as_str()
            .is_some_and(|note| note.contains("normalizes to nothing")),
        "{answer}"
    );
}

#[test]
fn wallet_json_has_the_fields_of_screen_wallet() {
    let (_dir, list) = watchlist();
    let address = "0x098b716b8aaf21512996dc57eb0615e2383e2f96";
    let (code, answer) = screen_json(&list, &["--wallet", address]);
    assert_eq!(code, screener::offline::EXIT_HITS, "{answer}");
    assert_eq!(answer["chain_family"], "evm", "{answer}");
    assert_eq!(
        answer["canonical_address"], "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
        "{answer}"
    );
    let hit = &answer["hits"][0];
    assert_eq!(hit["entity_id"], "W-1", "{answer}");
    assert_eq!(hit["role"], "wallet", "{answer}");
}

#[test]
fn identifier_json_has_the_fields_of_a_hit() {
    let (_dir, list) = watchlist();
    let (code, answer) = screen_json(&list, &["--identifier", "bic:GAZPRUMM"]);
    assert_eq!(code, screener::offline::EXIT_HITS, "{answer}");
    let hit = &answer["hits"][0];
    assert_eq!(hit["entity_id"], "O-1", "{answer}");
    assert_eq!(hit["kind"], "identifier", "{answer}");
    assert_eq!(hit["matched_value"], "GAZPRUMM", "{answer}");
}
