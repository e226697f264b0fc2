//! The running server: gRPC services (Screener, Admin, health, reflection),
//! the metrics endpoint, reload triggers and graceful shutdown.

mod admin;
mod screener;

pub use admin::AdminService;
pub use screener::ScreenerService;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use screener_proto::v1::admin_server::AdminServer;
use screener_proto::v1::screener_server::ScreenerServer;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;

use crate::engine::Engine;

/// HTTP/2 receive window of one stream: how many bytes a client may send
/// that the server has not read yet.
///
/// The h2 crate drops a connection whose unread small DATA frames use up a
/// budget of half the connection window, counting each frame under 256
/// bytes as 256 minus its length. A client streaming small transactions,
/// one frame each, to a server that has stopped reading (all of the
/// stream's transactions in flight) fills the stream window with such
/// frames. With hyper's default of 1 MiB for both windows, frames of 35
/// bytes use the budget up after about 2,400 frames. A 256 KiB stream
/// window against an 8 MiB connection window keeps even 35-byte frames
/// within the budget for one stream, and 80-byte ones for seven.
const STREAM_WINDOW_BYTES: u32 = 256 * 1024;

/// HTTP/2 receive window of one connection. The h2 crate sets the
/// small-frame budget to half of it.
const CONNECTION_WINDOW_BYTES: u32 = 8 * 1024 * 1024;

/// A server that is listening; `shutdown` drains it.
pub struct RunningServer {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    /// The engine the services share; the caller may reload or inspect it.
    pub engine: Arc<Engine>,
    grpc_task: JoinHandle<Result<(), tonic::transport::Error>>,
    background: Vec<JoinHandle<()>>,
}

/// The server's listening sockets, bound before it starts serving.
pub struct Listeners {
    grpc: std::net::TcpListener,
    metrics: Option<std::net::TcpListener>,
}

/// Binds the gRPC address and, when configured, the metrics one. `serve`
/// does it before opening the state folder, so that a port already in use
/// stops the start before anything is created on disk.
pub fn bind_listeners(config: &crate::config::Config) -> anyhow::Result<Listeners> {
    let bind = |addr: SocketAddr, what: &str| -> anyhow::Result<std::net::TcpListener> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| anyhow::anyhow!("cannot listen for {what} on {addr}: {e}"))?;
        listener.set_nonblocking(true)?;
        Ok(listener)
    };
    let grpc = bind(config.grpc_addr(), "gRPC")?;
    let metrics = match config.metrics_addr() {
        Some(addr) => Some(bind(addr, "metrics")?),
        None => None,
    };
    Ok(Listeners { grpc, metrics })
}

impl RunningServer {
    /// Binds the gRPC and metrics listeners and starts serving.
    pub async fn start(engine: Arc<Engine>) -> anyhow::Result<RunningServer> {
        let listeners = bind_listeners(engine.config())?;
        RunningServer::start_on(engine, listeners).await
    }

    /// Starts serving on `listeners`, bound before the engine started (see
    /// [`bind_listeners`]).
    pub async fn start_on(
        engine: Arc<Engine>,
        listeners: Listeners,
    ) -> anyhow::Result<RunningServer> {
        let config = engine.config().clone();
        let listener = TcpListener::from_std(listeners.grpc)?;
        let grpc_addr = listener.local_addr()?;

        // Metrics endpoint, when configured.
        let handle = crate::metrics::install();
        let mut background = vec![crate::metrics::spawn_upkeep(
            handle.clone(),
            crate::metrics::UPKEEP_INTERVAL,
        )];
        let metrics_addr = match listeners.metrics {
            Some(metrics_listener) => {
                let metrics_listener = TcpListener::from_std(metrics_listener)?;
                let bound = metrics_listener.local_addr()?;
                let shutdown = engine.shutdown_signal();
                background.push(tokio::spawn(crate::metrics::serve(
                    metrics_listener,
                    handle,
                    wait_for(shutdown),
                )));
                Some(bound)
            }
            None => None,
        };

        // Health and reflection beside our services.
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<ScreenerServer<ScreenerService>>()
            .await;
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(screener_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let max_message = config.limits.max_message_bytes;
        // Transactions over the limit but under this cap are decoded and
        // rejected one by one. A message over the cap ends its stream, so no
        // client can make the server hold an unbounded message.
        let decoding_cap = max_message.saturating_mul(4).max(4 << 20);
        let screener = ScreenerServer::new(ScreenerService::new(engine.clone()))
            .max_decoding_message_size(decoding_cap)
            .max_encoding_message_size(max_message.max(4 << 20));
        let admin = AdminServer::new(AdminService::new(engine.clone()))
            .max_decoding_message_size(max_message);

        let shutdown = engine.shutdown_signal();
        let grpc_task = tokio::spawn(
            tonic::transport::Server::builder()
                .initial_stream_window_size(STREAM_WINDOW_BYTES)
                .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
                .add_service(health_service)
                .add_service(reflection)
                .add_service(screener)
                .add_service(admin)
                .serve_with_incoming_shutdown(incoming(listener), async move {
                    wait_for(shutdown).await;
                    health_reporter
                        .set_not_serving::<ScreenerServer<ScreenerService>>()
                        .await;
                }),
        );

        // Scheduled reloads and the periodic gauges.
        background.extend(engine.clone().spawn_background_tasks());

        let metrics = metrics_addr.map_or_else(|| "off".to_owned(), |addr| addr.to_string());
        tracing::info!(%grpc_addr, %metrics, "screener listening");
        Ok(RunningServer {
            grpc_addr,
            metrics_addr,
            engine,
            grpc_task,
            background,
        })
    }

    /// Stops taking new work, lets open streams finish what they read (up
    /// to `server.shutdown_grace_seconds`), flushes state and returns.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let grace = Duration::from_secs(self.engine.config().server.shutdown_grace_seconds);
        self.engine.begin_shutdown();
        let mut grpc_task = self.grpc_task;
        match tokio::time::timeout(grace, &mut grpc_task).await {
            Ok(joined) => joined??,
            Err(_) => {
                tracing::warn!(
                    grace_seconds = grace.as_secs(),
                    "open streams did not finish in time; closing them"
                );
                grpc_task.abort();
            }
        }
        for task in self.background {
            task.abort();
            let _ = task.await;
        }
        self.engine.flush_state().await?;
        // With no other handle left, the engine drops here, and its state
        // store stops the writer thread, which logs its counts, before the
        // last line.
        if let Ok(engine) = Arc::try_unwrap(self.engine) {
            tokio::task::spawn_blocking(move || drop(engine)).await?;
        }
        tracing::info!("screener stopped");
        Ok(())
    }

    /// Serves until SIGTERM or Ctrl-C; reloads lists and rules on SIGHUP.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        let engine = self.engine.clone();
        wait_for_termination(engine).await;
        self.shutdown().await
    }
}

/// Resolves when the engine's shutdown signal fires.
async fn wait_for(mut signal: tokio::sync::watch::Receiver<bool>) {
    while !*signal.borrow() {
        if signal.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(unix)]
async fn wait_for_termination(engine: Arc<Engine>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::error!("cannot install signal handlers; stop with Ctrl-C");
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    loop {
        tokio::select! {
            _ = terminate.recv() => { tracing::info!("SIGTERM received; draining"); return; }
            _ = tokio::signal::ctrl_c() => { tracing::info!("interrupt received; draining"); return; }
            _ = hangup.recv() => {
                tracing::info!("SIGHUP received; reloading lists and rules");
                let engine = engine.clone();
                tokio::spawn(async move { engine.reload(true, true).await });
            }
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_termination(_engine: Arc<Engine>) {
    let _ = tokio::signal::ctrl_c().await;
}

/// Returns the connections a listener accepts, with Nagle's algorithm off.
/// The server builder's own `tcp_nodelay` does not reach connections from
/// a listener passed in. With Nagle on, a verdict written while an earlier
/// one is unacknowledged waits for the client's delayed ACK.
fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;

    use super::*;

    #[tokio::test]
    async fn accepted_connections_have_nagle_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let mut accepted = incoming(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let server_side = accepted
            .next()
            .await
            .expect("a connection")
            .expect("accepted");
        assert!(server_side.nodelay().expect("read TCP_NODELAY"));
    }
}
