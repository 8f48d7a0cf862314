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
use equitas_store::stock::{StockData, Watermark};
use equitas_store::{Store, StoreError};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Shared by all requests: where the database is, and idle connections to it.
#[derive(Clone)]
pub struct AppState {
    target: Arc<String>,
    idle: Arc<Mutex<Vec<Box<dyn Store>>>>,
    /// The EPCIS JSON Schema captures are validated against, if configured.
    epcis_schema: Arc<Option<equitas_epcis::validate::Validator>>,
    /// The stock ledger, kept between requests and brought up to date
    /// incrementally (`equitas_store::stock::refresh`).
    stock: Arc<Mutex<Option<(StockData, Watermark)>>>,
}

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

impl AppState {
    /// Opens (and migrates) the database once, so that a bad target fails at start-up.
    pub fn open(target: &str) -> Result<Self, StoreError> {
        let store = equitas_store::open(target)?;
        Ok(AppState {
            target: Arc::new(target.to_string()),
            idle: Arc::new(Mutex::new(vec![store])),
            epcis_schema: Arc::new(None),
            stock: Arc::new(Mutex::new(None)),
        })
    }

    /// Validates captured JSON documents against this EPCIS JSON Schema.
    pub fn with_epcis_schema(mut self, v: equitas_epcis::validate::Validator) -> Self {
        self.epcis_schema = Arc::new(Some(v));
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
                None => equitas_store::open(&state.target).map_err(Problem::from)?,
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
    /// Runs `f` on the stock ledger, first brought up to date with what the
    /// database holds now.
    pub async fn with_stock<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&StockData) -> Result<T, Problem> + Send + 'static,
    {
        self.with_stock_and_store(move |data, _| f(data)).await
    }

    /// [`AppState::with_stock`], with the connection too.
    pub async fn with_stock_and_store<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&StockData, &mut dyn Store) -> Result<T, Problem> + Send + 'static,
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
            let (data, _) = guard
                .as_ref()
                .ok_or_else(|| Problem::internal("no stock data"))?;
            f(data, st)
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
    tracing::info!(%addr, "serving the Equitas API");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
