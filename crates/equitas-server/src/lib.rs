//! The Equitas HTTP API (axum). JSON everywhere; errors are RFC 9457
//! problem details (`application/problem+json`); every list is paginated
//! with `offset` and `limit` and says how many rows there are in all.
//!
//! The store is synchronous: each request takes a connection from a small
//! pool and runs its queries on Tokio's blocking thread pool.

pub mod api_doc;
mod epcis;
mod params;
mod problem;
mod routes;
mod web;

pub use problem::Problem;

use axum::Router;
use axum::response::IntoResponse;
use equitas_store::stock::{StockData, Watermark};
use equitas_store::{Store, StoreError};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Shared by all requests: where the database is, and idle connections to it.
#[derive(Clone)]
pub struct AppState {
    target: Arc<String>,
    idle: Arc<Mutex<Vec<Box<dyn Store>>>>,
    /// The GS1 schemas captures are validated against (JSON Schema, XSDs),
    /// those configured.
    epcis_schemas: Arc<equitas_epcis::validate::Schemas>,
    /// The stock ledger, kept between requests and brought up to date
    /// incrementally (`equitas_store::stock::refresh`).
    stock: Arc<Mutex<Option<(StockData, Watermark)>>>,
    /// Answers computed from the ledger (JSON bytes) by request, for the
    /// watermark they were computed at: dashboards ask the same questions
    /// again and again, and forecasts or Monte Carlo risks are not free.
    answers: Arc<Mutex<Answers>>,
    /// The EPCIS summary, with the newest capture's commit number it counted.
    pub(crate) epcis_summary: Arc<Mutex<Option<(i64, serde_json::Value)>>>,
}

/// Cached answers of one data version.
#[derive(Default)]
struct Answers {
    at: Watermark,
    bytes: std::collections::HashMap<String, axum::body::Bytes>,
}

/// Answers kept at most (then the cache starts again).
const MAX_ANSWERS: usize = 512;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

impl AppState {
    /// Opens (and migrates) the database once, so that a bad target fails at start-up.
    pub fn open(target: &str) -> Result<Self, StoreError> {
        let store = equitas_store::open_shared(target)?;
        Ok(AppState {
            target: Arc::new(target.to_string()),
            idle: Arc::new(Mutex::new(vec![store])),
            epcis_schemas: Arc::new(Default::default()),
            stock: Arc::new(Mutex::new(None)),
            answers: Arc::new(Mutex::new(Answers::default())),
            epcis_summary: Arc::new(Mutex::new(None)),
        })
    }

    /// Validates captured documents against these GS1 schemas (the JSON
    /// Schema for JSON documents, the XSDs for XML ones).
    pub fn with_epcis_schemas(mut self, s: equitas_epcis::validate::Schemas) -> Self {
        self.epcis_schemas = Arc::new(s);
        self
    }

    /// Runs `f` with a connection on the blocking pool.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, Problem> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let taken = state.idle.lock().ok().and_then(|mut v| v.pop());
            let mut store = match taken {
                Some(s) => s,
                None => equitas_store::open_shared(&state.target).map_err(Problem::from)?,
            };
            let out = f(store.as_mut());
            if let Ok(mut v) = state.idle.lock()
                && v.len() < MAX_IDLE
            {
                v.push(store);
            }
            out
        })
        .await
        .map_err(|e| Problem::internal(format!("the request's worker failed: {e}")))?
    }
}

impl AppState {
    /// The JSON answer `f` computes from the ledger, kept under `key` until
    /// the data changes (a capture or an import moves the watermark).
    pub async fn cached<F>(&self, key: String, f: F) -> Result<axum::response::Response, Problem>
    where
        F: FnOnce(&StockData, &mut dyn Store) -> Result<axum::Json<serde_json::Value>, Problem>
            + Send
            + 'static,
    {
        let answers = self.answers.clone();
        let bytes = self
            .with_marked_stock(move |data, wm, st| {
                let lookup = |a: &mut Answers| {
                    if a.at != wm {
                        a.at = wm;
                        a.bytes.clear();
                    }
                    a.bytes.get(&key).cloned()
                };
                if let Some(b) = answers.lock().ok().as_deref_mut().and_then(lookup) {
                    return Ok(b);
                }
                let axum::Json(v) = f(data, st)?;
                let b = axum::body::Bytes::from(
                    serde_json::to_vec(&v).map_err(|e| Problem::internal(e.to_string()))?,
                );
                if let Ok(mut a) = answers.lock()
                    && a.at == wm
                {
                    if a.bytes.len() >= MAX_ANSWERS {
                        a.bytes.clear();
                    }
                    a.bytes.insert(key, b.clone());
                }
                Ok(b)
            })
            .await?;
        Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response())
    }

    /// Runs `f` on the stock ledger brought up to date, with its watermark.
    async fn with_marked_stock<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&StockData, Watermark, &mut dyn Store) -> Result<T, Problem> + Send + 'static,
    {
        let cache = self.stock.clone();
        self.with_store(move |st| {
            let mut guard = cache.lock().map_err(|_| {
                Problem::internal("the stock cache was poisoned by a failed request")
            })?;
            match guard.as_mut() {
                Some((data, wm)) => {
                    let r = equitas_store::stock::refresh(st, data, wm)?;
                    tracing::debug!(?r, "stock ledger refreshed");
                }
                None => *guard = Some(equitas_store::stock::load_marked(st)?),
            }
            let (data, wm) = guard
                .as_ref()
                .ok_or_else(|| Problem::internal("no stock data"))?;
            f(data, *wm, st)
        })
        .await
    }
}

/// The API routes, the dashboard and the formulas page. Answers are
/// compressed (gzip) when the client accepts it: slow links matter.
pub fn router(state: AppState) -> Router {
    routes::router()
        .merge(epcis::router())
        .merge(web::router())
        // EPCIS documents can be large.
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024 * 1024))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Serves the API on `addr` until Ctrl-C.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "serving the Equitas API and dashboard");
    // Read the stock ledger now rather than at the first page a user opens.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.with_marked_stock(|_, _, _| Ok(())).await {
            tracing::warn!(error = %e.detail, "could not read the stock ledger at start-up");
        }
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
