//! The `screener.v1.Admin` gRPC service: list and rule status, reloads,
//! the audit log, and analysts' clearances.

use std::sync::Arc;

use screener_proto::v1::admin_server::Admin;
use screener_proto::v1::{
    ClearHitRequest, ClearHitResponse, GetVerdictRequest, ListVerdictsRequest,
    ListVerdictsResponse, ReloadRequest, ReloadResponse, StatusRequest, StatusResponse, Verdict,
};
use tonic::{Request, Response, Status};

use crate::engine::Engine;
use crate::error::ServerError;

/// The Admin service, sharing one engine with the Screener service.
#[derive(Clone)]
pub struct AdminService {
    /// The engine to report on and reload; shared with the Screener service.
    engine: Arc<Engine>,
}

impl AdminService {
    pub fn new(engine: Arc<Engine>) -> AdminService {
        AdminService { engine }
    }
}

/// The most verdicts one ListVerdicts call returns.
const MAX_LISTED_VERDICTS: u32 = 10_000;

#[tonic::async_trait]
impl Admin for AdminService {
    async fn status(&self, _: Request<StatusRequest>) -> Result<Response<StatusResponse>, Status> {
        Ok(Response::new(self.engine.status()))
    }

    async fn reload(
        &self,
        request: Request<ReloadRequest>,
    ) -> Result<Response<ReloadResponse>, Status> {
        let request = request.into_inner();
        let both = !request.lists && !request.rules;
        let response = self
            .engine
            .reload(request.lists || both, request.rules || both)
            .await;
        Ok(Response::new(response))
    }

    async fn get_verdict(
        &self,
        request: Request<GetVerdictRequest>,
    ) -> Result<Response<Verdict>, Status> {
        let id = request.into_inner().end_to_end_id;
        if id.is_empty() {
            return Err(ServerError::invalid("end_to_end_id", "is required").to_status());
        }
        match self.engine.stored_verdict(&id) {
            Ok(Some(verdict)) => Ok(Response::new(verdict)),
            Ok(None) => Err(ServerError::NotFound {
                what: format!("verdict for transaction {id:?}"),
            }
            .to_status()),
            Err(error) => Err(error.to_status()),
        }
    }

    async fn list_verdicts(
        &self,
        request: Request<ListVerdictsRequest>,
    ) -> Result<Response<ListVerdictsResponse>, Status> {
        let request = request.into_inner();
        if request.to_unix_ms != 0 && request.to_unix_ms < request.from_unix_ms {
            return Err(ServerError::invalid("to_unix_ms", "is before from_unix_ms").to_status());
        }
        let limit = match request.limit {
            0 => 100,
            n => n.min(MAX_LISTED_VERDICTS),
        };
        let to = if request.to_unix_ms == 0 {
            i64::MAX
        } else {
            request.to_unix_ms
        };
        let verdicts = self
            .engine
            .verdicts_between(request.from_unix_ms, to, limit as usize)
            .map_err(|e| e.to_status())?;
        Ok(Response::new(ListVerdictsResponse { verdicts }))
    }

    async fn clear_hit(
        &self,
        request: Request<ClearHitRequest>,
    ) -> Result<Response<ClearHitResponse>, Status> {
        self.engine
            .clear_hit(request.into_inner())
            .await
            .map_err(|e| e.to_status())?;
        Ok(Response::new(ClearHitResponse {}))
    }
}
