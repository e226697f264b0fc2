//! The real `screener` binary end to end: the bundled lists and default
//! rules, 10,000 streamed transactions with listed parties and wallets
//! among them, then SIGKILL, restart, and a retried id answered from state.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use screener::loadgen::NameCorpus;
use screener_lists::{EntityKind, NameType};
use screener_proto::v1::screener_client::ScreenerClient;
use screener_proto::v1::{CryptoTransfer, Decision, Party, PostalAddress, Verdict};
use tokio_stream::StreamExt;

/// A server process and the addresses it logged at start.
struct ServerProcess {
    child: Child,
    grpc_url: String,
    /// Log lines written after the "listening" line.
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the binary with `config` and waits for its "listening" line.
    fn start(config: &Path) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_screener"))
            .arg("serve")
            .arg("--config")
            .arg(config)
            .current_dir(screener_lists::source_root())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("screener binary starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let mut lines = BufReader::new(stderr).lines();
        let grpc_addr = loop {
            let Some(Ok(line)) = lines.next() else {
                let status = child.wait().expect("wait for failed server");
                panic!("server exited before listening: {status}");
            };
            let Ok(record) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let fields = &record["fields"];
            if fields["message"] == "screener listening" {
                break fields["grpc_addr"]
                    .as_str()
                    .expect("grpc_addr field")
                    .to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let collected = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(mut collected) = collected.lock() {
                    collected.push(line);
                }
            }
        });
        ServerProcess {
            child,
            grpc_url: format!("http://{grpc_addr}"),
            log,
        }
    }

    /// Waits up to ten seconds for a log line containing every one of
    /// `parts`, and returns it.
    fn wait_for_log(&self, parts: &[&str]) -> Option<String> {
        for _ in 0..100 {
            let found = self.log.lock().ok().and_then(|log| {
                log.iter()
                    .find(|line| parts.iter().all(|p| line.contains(p)))
                    .cloned()
            });
            if found.is_some() {
                return found;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        None
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    /// Sends SIGTERM, waits for the exit, and returns the exit status with
    /// the log lines written after the "listening" line.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("send SIGTERM");
        assert!(sent.success());
        let status = self.child.wait().expect("server exits after SIGTERM");
        // The reader thread may still be taking the last lines off the pipe.
        self.wait_for_log(&["screener stopped"]);
        let log = self.log.lock().map(|log| log.clone()).unwrap_or_default();
        (status, log)
    }
}

/// Kills a server left running, as a failed assertion leaves it, so a
/// failing test does not leave the process behind.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("screener.toml");
    let text = format!(
        "[server]\ngrpc_addr = \"127.0.0.1:0\"\nmetrics_addr = \"\"\n\n[state]\ndir = {:?}\nsync = \"none\"\n\n[logging]\nformat = \"json\"\n",
        dir.join("state")
    );
    std::fs::write(&config, text).expect("write config");
    config
}

/// A listed person's name with realistic damage: "SURNAME, Given" order,
/// and lower case.
fn damaged(name: &str, variant: usize) -> String {
    let tokens: Vec<&str> = name.split_whitespace().collect();
    match variant % 3 {
        0 if tokens.len() >= 2 => format!(
            "{}, {}",
            tokens[tokens.len() - 1],
            tokens[..tokens.len() - 1].join(" ")
        ),
        1 => name.to_lowercase(),
        _ => tokens.iter().rev().copied().collect::<Vec<_>>().join(" "),
    }
}

/// Collects every country code in the `[sets]` of a rule graph file.
fn risk_countries(rules: &Path) -> HashSet<String> {
    let text = std::fs::read_to_string(rules).expect("default rules readable");
    let graph: toml::Table = text.parse().expect("default rules parse");
    let sets = graph["sets"].as_table().expect("[sets] table");
    sets.values()
        .filter_map(toml::Value::as_array)
        .flatten()
        .filter_map(toml::Value::as_str)
        .filter(|code| code.len() == 2)
        .map(str::to_string)
        .collect()
}

struct Expected {
    /// (list, entity id) that must be hit, when the transaction carries a listed party or wallet.
    entity: Option<(String, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_screens_bundle_and_survives_sigkill() {
    let root = screener_lists::source_root();
    let bundle = root.join("bundle/bundle.toml");
    let lists = screener_lists::bundle::load_bundle(&bundle).expect("bundle loads");

    // Listed persons with at least two name tokens of four letters or more,
    // and listed wallets, from the bundle itself.
    let mut listed_people = Vec::new();
    let mut listed_wallets = Vec::new();
    for list in &lists {
        for entity in &list.entities {
            for wallet in &entity.wallets {
                listed_wallets.push((
                    list.report.list.clone(),
                    entity.id.clone(),
                    wallet.address.clone(),
                ));
            }
            if entity.kind != EntityKind::Person {
                continue;
            }
            let Some(name) = entity
                .names
                .iter()
                .find(|n| n.name_type == NameType::Primary)
            else {
                continue;
            };
            let long_tokens = name
                .full
                .split_whitespace()
                .filter(|t| t.chars().count() >= 4 && t.chars().all(char::is_alphabetic))
                .count();
            if long_tokens >= 2 && name.full.is_ascii() && listed_people.len() < 400 {
                listed_people.push((
                    list.report.list.clone(),
                    entity.id.clone(),
                    name.full.clone(),
                ));
            }
        }
    }
    assert!(listed_people.len() >= 100, "bundle has listed people");
    assert!(listed_wallets.len() >= 100, "bundle has listed wallets");

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path());
    let server = ServerProcess::start(&config);
    let mut client = ScreenerClient::connect(server.grpc_url.clone())
        .await
        .expect("connect");

    // 10,000 transactions: every 50th has a listed creditor, every 70th a
    // listed destination wallet, the rest unlisted made-up names.
    // Unlisted parties come from countries that no country rule of the
    // default graph weighs, and from a large pool of senders that each
    // send about once, so their verdicts reflect the lists alone.
    let risky = risk_countries(&root.join("config/rules/default.toml"));
    let quiet_names: Vec<_> = NameCorpus::builtin_unlisted()
        .entries()
        .iter()
        .filter(|entry| entry.country.as_ref().is_none_or(|c| !risky.contains(c)))
        .cloned()
        .collect();
    assert!(quiet_names.len() >= 100, "enough low-risk names");
    let options = screener::loadgen::generator::GeneratorOptions {
        names: Arc::new(NameCorpus::from_entries(quiet_names).expect("names")),
        listed_share: 0.0,
        listed_wallet_share: 0.0,
        accounts: 200_000,
        zipf_exponent: 0.0,
        ..Default::default()
    };
    let mut generator = screener::loadgen::generator::Generator::new(7, options);
    let mut transactions = Vec::with_capacity(10_000);
    let mut expected: HashMap<String, Expected> = HashMap::new();
    for i in 0..10_000usize {
        let mut tx = generator.next();
        tx.end_to_end_id = format!("E2E-{i:05}");
        tx.crypto = None;
        let mut entity = None;
        if i % 50 == 0 {
            let (list, id, name) = &listed_people[(i / 50) % listed_people.len()];
            tx.creditor = Some(Party {
                name: damaged(name, i / 50),
                ..Party::default()
            });
            entity = Some((list.clone(), id.clone()));
        } else if i % 70 == 1 {
            let (list, id, address) = &listed_wallets[(i / 70) % listed_wallets.len()];
            tx.crypto = Some(CryptoTransfer {
                destination_wallet: address.clone(),
                ..CryptoTransfer::default()
            });
            entity = Some((list.clone(), id.clone()));
        }
        expected.insert(tx.end_to_end_id.clone(), Expected { entity });
        transactions.push(tx);
    }

    let mut stream = client
        .screen_stream(tokio_stream::iter(transactions.clone()))
        .await
        .expect("stream opens")
        .into_inner();
    let mut verdicts: HashMap<String, Verdict> = HashMap::new();
    while let Some(verdict) = stream.next().await {
        let verdict = verdict.expect("verdict");
        assert!(verdict.error.is_none(), "{:?}", verdict.error);
        verdicts.insert(verdict.end_to_end_id.clone(), verdict);
    }
    assert_eq!(verdicts.len(), 10_000);

    let mut missed = Vec::new();
    let mut clean = 0usize;
    let mut clean_allowed = 0usize;
    let mut clean_with_hits = 0usize;
    // Why unlisted transactions were not allowed: rule ids and hit names.
    let mut causes: HashMap<String, usize> = HashMap::new();
    for (id, expectation) in &expected {
        let verdict = &verdicts[id];
        match &expectation.entity {
            Some((list, entity)) => {
                let found = verdict
                    .hits
                    .iter()
                    .any(|h| &h.list == list && &h.entity_id == entity);
                if !found || verdict.decision == Decision::Allow as i32 {
                    missed.push((id.clone(), list.clone(), entity.clone()));
                }
            }
            None => {
                clean += 1;
                if !verdict.hits.is_empty() {
                    clean_with_hits += 1;
                }
                if verdict.decision == Decision::Allow as i32 {
                    clean_allowed += 1;
                } else {
                    for rule in verdict.rules.iter().filter(|r| r.fired) {
                        *causes.entry(format!("rule {}", rule.rule_id)).or_default() += 1;
                    }
                    for hit in &verdict.hits {
                        *causes
                            .entry(format!("hit {} ~ {}", hit.query_value, hit.matched_value))
                            .or_default() += 1;
                    }
                }
            }
        }
    }
    assert!(
        missed.is_empty(),
        "listed parties or wallets not flagged: {missed:?}"
    );
    assert_eq!(
        clean_with_hits, 0,
        "unlisted transactions drew list hits; causes: {causes:?}"
    );
    let allowed_share = clean_allowed as f64 / clean as f64;
    let mut causes: Vec<_> = causes.into_iter().collect();
    causes.sort_by_key(|cause| std::cmp::Reverse(cause.1));
    causes.truncate(15);
    assert!(
        allowed_share >= 0.95,
        "only {clean_allowed} of {clean} unlisted transactions allowed; most frequent causes: {causes:?}"
    );

    // Kill the server hard, restart it on the same state, and retry ids.
    let first = verdicts["E2E-00000"].clone();
    server.kill();
    let server = ServerProcess::start(&config);
    let mut client = ScreenerClient::connect(server.grpc_url.clone())
        .await
        .expect("reconnect");
    let retried = client
        .screen(transactions[0].clone())
        .await
        .expect("retry")
        .into_inner();
    assert!(retried.replayed, "a retried id is answered from state");
    assert_eq!(retried.decision, first.decision);
    assert_eq!(retried.hits, first.hits);
    assert_eq!(retried.aggregates, first.aggregates);

    replay_from_open_stdin_answers_each_line(&server.grpc_url);

    // A rejected transaction is logged with its id, code and field.
    let mut bad = transactions[1].clone();
    bad.end_to_end_id = "E2E-BAD-COUNTRY".to_string();
    let debtor = bad.debtor.get_or_insert_with(Party::default);
    debtor.name = "Anna Schmidt".to_string();
    debtor.postal_address = Some(PostalAddress {
        country: "XX".to_string(),
        ..PostalAddress::default()
    });
    let rejected = client.screen(bad).await.expect_err("XX is no country");
    assert_eq!(rejected.code(), tonic::Code::InvalidArgument, "{rejected}");
    let line = server.wait_for_log(&["transaction rejected", "E2E-BAD-COUNTRY"]);
    let line = line.expect("the rejection is logged");
    assert!(line.contains("invalid_argument"), "{line}");
    assert!(line.contains("debtor.postal_address.country"), "{line}");

    // An id too long to accept is logged cut to its first 64 characters.
    let mut long_id = transactions[1].clone();
    long_id.end_to_end_id = format!("E2E-LONG-{}", "x".repeat(5_000));
    let rejected = client
        .screen(long_id)
        .await
        .expect_err("the id is too long");
    assert_eq!(rejected.code(), tonic::Code::InvalidArgument, "{rejected}");
    let line = server.wait_for_log(&["transaction rejected", "E2E-LONG-"]);
    let line = line.expect("the rejection is logged");
    assert!(line.contains("end_to_end_id"), "{line}");
    assert!(line.len() < 2_000, "{} bytes: {line}", line.len());

    let (status, log) = server.terminate();
    assert!(status.success(), "SIGTERM exits 0, got {status}");
    let position = |message: &str| {
        log.iter()
            .position(|line| line.contains(message))
            .unwrap_or_else(|| panic!("no {message:?} line in {log:#?}"))
    };
    // The state writer stops, with its counts, before the server's last line.
    assert!(
        position("state writer stopped") < position("screener stopped"),
        "{log:#?}"
    );
}

/// `screener replay -` prints each verdict while its standard input is
/// still open, as a pipe from a live feed needs.
fn replay_from_open_stdin_answers_each_line(grpc_url: &str) {
    use std::io::Write;

    let mut child = Command::new(env!("CARGO_BIN_EXE_screener"))
        .args(["replay", "-", "--server", grpc_url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("replay starts");
    let mut input = child.stdin.take().expect("stdin piped");
    let output = child.stdout.take().expect("stdout piped");
    let (lines_sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            if lines_sender.send(line).is_err() {
                break;
            }
        }
    });
    for n in 1..=2 {
        let id = format!("REPLAY-STDIN-{n}");
        writeln!(
            input,
            r#"{{"end_to_end_id":"{id}","instructed_amount":{{"value":"120.00","currency":"EUR"}},"debtor":{{"name":"Anna Schmidt","iban":"DE89370400440532013000"}},"creditor":{{"name":"Jean Dupont","iban":"FR1420041010050500013M02606"}}}}"#
        )
        .expect("write a line to replay");
        input.flush().expect("flush replay input");
        // A guard against hanging, not a speed check: a replay that waits
        // for the end of its input never prints while the input is open.
        let line = lines
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("replay printed a verdict while its input was still open")
            .expect("replay output readable");
        let verdict: serde_json::Value = serde_json::from_str(&line).expect("verdict is JSON");
        assert_eq!(verdict["end_to_end_id"], id.as_str(), "{line}");
    }
    drop(input);
    let status = child.wait().expect("replay exits");
    assert!(
        status.success(),
        "replay exits 0 at the end of its input, got {status}"
    );
}

/// A gRPC or metrics port already in use stops the start before the state
/// folder is created, so a failed start leaves nothing on disk.
#[test]
fn busy_port_stops_start_before_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let occupied = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = occupied.local_addr().expect("local address").port();
    let config = dir.path().join("screener.toml");
    let state = dir.path().join("state");
    for (grpc, metrics, expected) in [
        (
            format!("127.0.0.1:{port}"),
            String::new(),
            "cannot listen for gRPC",
        ),
        (
            "127.0.0.1:0".to_string(),
            format!("127.0.0.1:{port}"),
            "cannot listen for metrics",
        ),
    ] {
        let text = format!(
            "[server]\ngrpc_addr = {grpc:?}\nmetrics_addr = {metrics:?}\n\n[state]\ndir = {state:?}\n"
        );
        std::fs::write(&config, text).expect("write config");
        let output = Command::new(env!("CARGO_BIN_EXE_screener"))
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .current_dir(screener_lists::source_root())
            .output()
            .expect("screener runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!state.exists(), "the state folder was created: {stderr}");
    }
    drop(occupied);
}
