//! Helpers shared by the integration tests: a real server started in
//! process on 127.0.0.1:0 with its state in a temporary folder, real gRPC
//! clients, and the published lists when they are present.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use screener::config::{Config, ListSourceConfig};
use screener::engine::Engine;
use screener::server::RunningServer;
use screener_proto::v1::admin_client::AdminClient;
use screener_proto::v1::screener_client::ScreenerClient;
use tempfile::TempDir;
use tonic::transport::Channel;

/// Finds the published lists and evaluation set in SCREENER_DATA_DIR or in
/// `shared/data` beside the repository. Prints a note and returns `None`
/// when they are missing, so the calling test can skip.
pub fn data_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("SCREENER_DATA_DIR").map(PathBuf::from),
        Some(screener_lists::source_root().join("../shared/data")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("lists").is_dir());
    if found.is_none() {
        eprintln!(
            "data missing, skipping: set SCREENER_DATA_DIR or place the data in ../shared/data"
        );
    }
    found
}

/// A small watch list in screener's own CSV layout, enough to exercise
/// names, birth dates, identifiers and wallets without the full bundle.
pub const TEST_WATCHLIST: &str = "\
id,kind,name,aliases,countries,birth_date,identifiers,wallets,programs,remarks
P-1,person,Viktor Anatolyevich BOUT,Victor Bout;Viktor Budd,RU,1967-01-13,passport:21N0588027:RU,,TEST,arms dealer
P-2,person,Ahmad Khalil HASSAN,,SY,1970,,,TEST,
O-1,organization,Gazprombank JSC,Gazprom Bank;GPB,RU,,bic:GAZPRUMM;lei:253400M18U5TB02TW421,,TEST,
W-1,wallet,Lazarus Test Wallet,,KP,,,ETH:0x098B716B8Aaf21512996dC57EB0615e2383E2f96;XBT:1BoatSLRHtKNngkdXEeobR76b53LETtpyT,TEST,
V-1,vessel,OCEAN STAR 7,,IR,,imo:9187629,,TEST,
";

/// A running in-process server and everything that must outlive it.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub grpc_url: String,
    pub metrics_url: Option<String>,
    pub engine: Arc<Engine>,
    /// The state folder and list files; removed when the test ends.
    pub dir: TempDir,
    pub config: Config,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 with `TEST_WATCHLIST` as its only
    /// list, the default rules, and fresh state. `adjust` changes the
    /// config before start.
    pub async fn start(adjust: impl FnOnce(&mut Config, &Path)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let watchlist = dir.path().join("watchlist.csv");
        std::fs::write(&watchlist, TEST_WATCHLIST).expect("write watch list");
        let mut config = Config::default();
        config.server.grpc_addr = "127.0.0.1:0".into();
        config.server.metrics_addr = "127.0.0.1:0".into();
        config.server.shutdown_grace_seconds = 5;
        config.lists.bundle = String::new();
        config.lists.sources = vec![ListSourceConfig {
            id: "test_watchlist".into(),
            path: watchlist,
            format: Some("watchlist_csv".into()),
            url: None,
        }];
        config.state.dir = dir.path().join("state");
        adjust(&mut config, dir.path());
        config.validate().expect("test config is valid");
        TestServer::start_with(config, dir).await
    }

    /// Starts a server with a complete config and its folder.
    pub async fn start_with(config: Config, dir: TempDir) -> TestServer {
        let engine = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || Engine::start(config))
                .await
                .expect("engine start task")
                .expect("engine starts")
        };
        let server = RunningServer::start(engine.clone())
            .await
            .expect("server starts");
        let grpc_url = format!("http://{}", server.grpc_addr);
        let metrics_url = server.metrics_addr.map(|a| format!("http://{a}/metrics"));
        TestServer {
            server: Some(server),
            grpc_url,
            metrics_url,
            engine,
            dir,
            config,
        }
    }

    pub async fn client(&self) -> ScreenerClient<Channel> {
        ScreenerClient::connect(self.grpc_url.clone())
            .await
            .expect("client connects")
    }

    pub async fn admin(&self) -> AdminClient<Channel> {
        AdminClient::connect(self.grpc_url.clone())
            .await
            .expect("admin client connects")
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.grpc_url.clone())
            .expect("valid url")
            .connect()
            .await
            .expect("channel connects")
    }

    /// Drains and stops the server, keeping the state folder.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("server shuts down cleanly");
        }
    }
}

/// Fetches a URL over plain HTTP/1.1 from 127.0.0.1 and returns the status
/// line and body.
pub async fn http_get(url: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("response has a head");
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, body.to_string())
}
