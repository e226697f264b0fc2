//! The `screener.v1.Screener` gRPC service: streaming and unary screening,
//! and the party and wallet look-ups used at onboarding.

use std::pin::Pin;
use std::sync::Arc;

use screener_proto::v1::screener_server::Screener;
use screener_proto::v1::{
    ScreenPartyRequest, ScreenPartyResponse, ScreenWalletRequest, ScreenWalletResponse,
    Transaction, Verdict,
};
use tokio::sync::{mpsc, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::engine::Engine;
use crate::error::ServerError;
use crate::metrics;

/// The Screener service, sharing one engine with the admin service.
#[derive(Clone)]
pub struct ScreenerService {
    /// The engine every request screens with; shared with the admin service.
    engine: Arc<Engine>,
}

impl ScreenerService {
    pub fn new(engine: Arc<Engine>) -> ScreenerService {
        ScreenerService { engine }
    }
}

type VerdictStream = Pin<Box<dyn Stream<Item = Result<Verdict, Status>> + Send>>;

#[tonic::async_trait]
impl Screener for ScreenerService {
    type ScreenStreamStream = VerdictStream;

    async fn screen_stream(
        &self,
        request: Request<Streaming<Transaction>>,
    ) -> Result<Response<Self::ScreenStreamStream>, Status> {
        let inbound = request.into_inner();
        let engine = self.engine.clone();
        let buffer = engine.config().server.stream_buffer;
        let (sender, receiver) = mpsc::channel(buffer);
        tokio::spawn(run_stream(engine, inbound, sender));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn screen(&self, request: Request<Transaction>) -> Result<Response<Verdict>, Status> {
        let transaction = Box::new(request.into_inner());
        let id = transaction.end_to_end_id.clone();
        let verdict = self.engine.screen(transaction).await;
        match verdict {
            Ok(verdict) => Ok(Response::new(verdict)),
            Err(error) => {
                crate::error::log_rejected(&id, &error);
                Err(error.to_status())
            }
        }
    }

    async fn screen_party(
        &self,
        request: Request<ScreenPartyRequest>,
    ) -> Result<Response<ScreenPartyResponse>, Status> {
        self.engine
            .screen_party(request.into_inner())
            .map(Response::new)
            .map_err(|e| e.to_status())
    }

    async fn screen_wallet(
        &self,
        request: Request<ScreenWalletRequest>,
    ) -> Result<Response<ScreenWalletResponse>, Status> {
        self.engine
            .screen_wallet(request.into_inner())
            .map(Response::new)
            .map_err(|e| e.to_status())
    }
}

/// Reads one stream's transactions and sends their verdicts, screening up
/// to `stream_concurrency` at once. When the client reads slowly the
/// verdict channel fills, permits stay taken, and reading stops: a slow
/// client slows only its own stream and memory stays bounded by the
/// buffer and the concurrency.
async fn run_stream(
    engine: Arc<Engine>,
    mut inbound: Streaming<Transaction>,
    sender: mpsc::Sender<Result<Verdict, Status>>,
) {
    let _open = engine.stream_opened();
    let concurrency = engine.config().server.stream_concurrency;
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut shutdown = engine.shutdown_signal();

    // Read until the client closes, the connection fails or shutdown starts.
    let mut broken_by = None;
    loop {
        let next = tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            next = inbound.next() => next,
        };
        let transaction = match next {
            None => break,
            Some(Ok(transaction)) => Box::new(transaction),
            Some(Err(status)) => {
                tracing::warn!(
                    code = ?status.code(),
                    error = status.message(),
                    "transaction stream ended by an error"
                );
                // A message too large or not a transaction, as opposed to
                // a client that went away.
                if matches!(
                    status.code(),
                    tonic::Code::OutOfRange | tonic::Code::Internal
                ) {
                    metrics::record_error(UNREADABLE_MESSAGE);
                }
                broken_by = Some(status);
                break;
            }
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let engine = engine.clone();
        let sender = sender.clone();
        // Boxed: the screening future contains the transaction, the verdict and
        // the locals of every await point, which tokio would otherwise copy
        // into the task and again when the task finishes.
        tokio::spawn(Box::pin(async move {
            let verdict = screen_in_stream(&engine, transaction).await;
            // A send error means the client went away; the verdict is
            // already stored, so a retry gets it back.
            let _ = sender.send(Ok(verdict)).await;
            drop(permit);
        }));
    }

    // Drain: wait until every transaction read has its verdict sent.
    let _ = permits.acquire_many(concurrency as u32).await;

    // Tell the client why the stream ended early (an oversized or
    // undecodable message, for example), unless the client is gone.
    if let Some(status) = broken_by {
        let mut message = format!(
            "the transaction stream stopped at a message the server could not read: {}; \
             every transaction before it was answered",
            status.message()
        );
        if status.code() == tonic::Code::OutOfRange {
            message.push_str(
                "; messages over four times limits.max_message_bytes (and over 4 MiB) are not \
                 read, so shorten that transaction's text fields and resend from it",
            );
        }
        let _ = sender.send(Err(Status::new(status.code(), message))).await;
    }
}

/// Error code counted in the errors metric when a stream ends at a message
/// the server could not read (over the decoding cap, or not a transaction).
pub const UNREADABLE_MESSAGE: &str = "unreadable_message";

/// Screens one streamed transaction. An invalid transaction gets a verdict
/// with `error` set, so the stream goes on.
async fn screen_in_stream(engine: &Engine, transaction: Box<Transaction>) -> Verdict {
    let id = transaction.end_to_end_id.clone();
    match engine.screen(transaction).await {
        Ok(verdict) => verdict,
        Err(error) => {
            crate::error::log_rejected(&id, &error);
            error_verdict(id, &error)
        }
    }
}

fn error_verdict(end_to_end_id: String, error: &ServerError) -> Verdict {
    metrics::record_error(error.code());
    Verdict {
        end_to_end_id,
        error: Some(error.to_proto()),
        ..Verdict::default()
    }
}
