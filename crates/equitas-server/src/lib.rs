//! The Equitas HTTP API (axum). JSON everywhere; errors are RFC 9457
//! problem details (`application/problem+json`); every list is paginated
//! with `offset` and `limit` and says how many rows there are in all.
//!
//! The store is synchronous: each request takes a connection from a small
//! pool and runs its queries on Tokio's blocking thread pool.

pub mod api_doc;
pub mod auth;
mod body;
mod epcis;
mod fhir;
mod guard;
mod imports;
mod problem;
mod routes;
pub mod sso;
mod subscriptions;
mod web;

pub use auth::{AuthConfig, Mode, Throttle};
pub use body::Limits;
pub use guard::Hosts;
pub use problem::Problem;
pub use sso::SsoConfig;
pub use subscriptions::{Delivery, signature};

use axum::Router;
use axum::response::IntoResponse;
use equitas_store::stock::{StockData, Watermark};
use equitas_store::{Store, StoreError};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Shared by all requests: where the database is, and idle connections to it.
#[derive(Clone)]
pub struct AppState {
    target: Arc<String>,
    idle: Arc<Idle>,
    /// The GS1 schemas captures are validated against (JSON Schema, XSDs),
    /// those configured.
    epcis_schemas: Arc<equitas_epcis::validate::Schemas>,
    /// The stock ledger, kept between requests and brought up to date
    /// incrementally (`equitas_store::stock::refresh`).
    stock: Arc<RwLock<Option<(StockData, Watermark)>>>,
    /// Answers computed from the ledger (JSON bytes) by request, for the
    /// watermark they were computed at: dashboards ask the same questions
    /// again and again, and forecasts or Monte Carlo risks are not free.
    answers: Arc<Mutex<Answers>>,
    /// The EPCIS summary, with the newest capture's commit number it counted.
    pub(crate) epcis_summary: Arc<Mutex<Option<(i64, serde_json::Value)>>>,
    /// What one request may send.
    pub(crate) limits: Limits,
    /// The host names served (see `guard`).
    hosts: Hosts,
    /// Turns to write, taken in order of arrival: one at a time on SQLite
    /// (one writer), a few on PostgreSQL.
    writes: Arc<tokio::sync::Semaphore>,
    /// Bodies being spooled to temporary files (`body::SPOOLS` at once).
    pub(crate) spools: Arc<tokio::sync::Semaphore>,
    /// Wakes the subscriptions' delivery worker (a capture, a subscription).
    pub(crate) deliveries: Arc<tokio::sync::Notify>,
    /// How subscriptions are delivered.
    pub(crate) delivery: Delivery,
    /// The hosts subscriptions may deliver to (any if empty).
    pub(crate) webhook_hosts: Arc<[String]>,
    /// Accounts: whether they are required, and how (see `auth`).
    pub(crate) auth: auth::Shared,
    /// The reviewed tables imports over HTTP rely on (site mapping, country aliases).
    pub(crate) import_mappings: Arc<equitas_store::import::Mappings>,
    /// Single sign-on with an OpenID Connect provider, if configured.
    pub(crate) sso: Option<Arc<sso::Sso>>,
}

/// A place among `queue`'s, waited for in order of arrival for as long as
/// a write waits for another ([`equitas_store::write_wait`]); past that,
/// the time waited.
pub(crate) async fn turn(
    queue: &Arc<tokio::sync::Semaphore>,
) -> Result<tokio::sync::OwnedSemaphorePermit, std::time::Duration> {
    let wait = equitas_store::write_wait();
    match tokio::time::timeout(wait, queue.clone().acquire_owned()).await {
        Ok(Ok(p)) => Ok(p),
        // The queues are never closed; a closed one is as busy as can be.
        Ok(Err(_)) | Err(_) => Err(wait),
    }
}

/// Idle connections. The last state to go may be dropped on an async
/// worker, where the PostgreSQL client cannot close a connection (it
/// blocks): they are closed on a thread of their own then.
struct Idle(Mutex<Vec<Box<dyn Store>>>);

impl Drop for Idle {
    fn drop(&mut self) {
        let stores = std::mem::take(self.0.get_mut().unwrap_or_else(|p| p.into_inner()));
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::Builder::new()
                .name("equitas-close".into())
                .spawn(move || drop(stores));
        }
    }
}

/// Cached answers of one data version.
#[derive(Default)]
struct Answers {
    at: Watermark,
    /// Each answer by request, set once by the first request to compute it.
    bytes: std::collections::HashMap<String, Arc<OnceLock<Result<axum::body::Bytes, Problem>>>>,
}

/// Answers kept at most (then the cache starts again).
const MAX_ANSWERS: usize = 512;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

impl AppState {
    /// Opens (and migrates) the database once, so that a bad target fails at start-up.
    pub fn open(target: &str) -> Result<Self, StoreError> {
        let store = equitas_store::open_shared(target)?;
        let writers = match store.backend() {
            equitas_store::Backend::Sqlite => 1,
            equitas_store::Backend::Postgres => 4,
        };
        Ok(AppState {
            limits: Limits::default(),
            hosts: Hosts::Unchecked,
            writes: Arc::new(tokio::sync::Semaphore::new(writers)),
            spools: Arc::new(tokio::sync::Semaphore::new(body::SPOOLS)),
            target: Arc::new(target.to_string()),
            idle: Arc::new(Idle(Mutex::new(vec![store]))),
            epcis_schemas: Arc::new(Default::default()),
            stock: Arc::new(RwLock::new(None)),
            answers: Arc::new(Mutex::new(Answers::default())),
            epcis_summary: Arc::new(Mutex::new(None)),
            deliveries: Arc::new(tokio::sync::Notify::new()),
            delivery: Delivery::default(),
            webhook_hosts: Arc::from(Vec::new()),
            auth: Arc::new(AuthConfig::default()),
            import_mappings: Arc::new(Default::default()),
            sso: None,
        })
    }

    /// Lets subscriptions deliver only to these hosts (names or addresses,
    /// as written in their `dest`, any case); all hosts if empty.
    pub fn with_webhook_hosts(mut self, hosts: Vec<String>) -> Self {
        self.webhook_hosts = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
        self
    }

    /// Delivers subscriptions this way.
    pub fn with_delivery(mut self, d: Delivery) -> Self {
        self.delivery = d;
        self
    }

    /// Imports over HTTP rely on these tables (the default: none).
    pub fn with_import_mappings(mut self, m: equitas_store::import::Mappings) -> Self {
        self.import_mappings = Arc::new(m);
        self
    }

    /// Takes these accounts settings (the default: no accounts, `Mode::Open`).
    pub fn with_auth(mut self, cfg: AuthConfig) -> Self {
        self.auth = Arc::new(cfg);
        self
    }

    /// Offers single sign-on with this OpenID Connect provider (the
    /// provider's subjects sign in as the local users they are linked to).
    pub fn with_sso(mut self, cfg: SsoConfig) -> Result<Self, String> {
        self.sso = Some(Arc::new(sso::Sso::new(cfg)?));
        Ok(self)
    }

    /// Validates captured documents against these GS1 schemas (the JSON
    /// Schema for JSON documents, the XSDs for XML ones).
    pub fn with_epcis_schemas(mut self, s: equitas_epcis::validate::Schemas) -> Self {
        self.epcis_schemas = Arc::new(s);
        self
    }

    /// Takes these limits on what one request may send.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Answers only requests for these host names.
    pub fn with_hosts(mut self, hosts: Hosts) -> Self {
        self.hosts = hosts;
        self
    }

    /// Waits for this request's turn to write, in order of arrival, for as
    /// long as a write waits for another ([`equitas_store::write_wait`]);
    /// past that, the server is busy (`503` with `Retry-After`).
    pub(crate) async fn write_turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Problem> {
        turn(&self.writes)
            .await
            .map_err(|waited| Problem::from(equitas_store::StoreError::Busy { waited }))
    }

    /// Runs `f` with a connection on the blocking pool.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, Problem> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let taken = state.idle.0.lock().ok().and_then(|mut v| v.pop());
            let mut store = match taken {
                Some(s) => s,
                None => equitas_store::open_shared(&state.target).map_err(Problem::from)?,
            };
            let out = f(store.as_mut());
            if let Ok(mut v) = state.idle.0.lock()
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
    /// Requests asking the same question at once wait for one computation
    /// instead of each making its own; a failed one is not kept.
    pub async fn cached<F>(&self, key: String, f: F) -> Result<axum::response::Response, Problem>
    where
        F: FnOnce(&StockData, &mut dyn Store) -> Result<axum::Json<serde_json::Value>, Problem>
            + Send
            + 'static,
    {
        let answers = self.answers.clone();
        let bytes = self
            .with_marked_stock(move |data, wm, st| {
                let cell = {
                    let mut a = answers
                        .lock()
                        .map_err(|_| Problem::internal("the answer cache was poisoned"))?;
                    if a.at != wm || (a.bytes.len() >= MAX_ANSWERS && !a.bytes.contains_key(&key)) {
                        a.at = wm;
                        a.bytes.clear();
                    }
                    a.bytes.entry(key.clone()).or_default().clone()
                };
                let answer = cell.get_or_init(|| {
                    let axum::Json(v) = f(data, st)?;
                    serde_json::to_vec(&v)
                        .map(axum::body::Bytes::from)
                        .map_err(|e| Problem::internal(e.to_string()))
                });
                if answer.is_err()
                    && let Ok(mut a) = answers.lock()
                    && a.at == wm
                {
                    a.bytes.remove(&key);
                }
                answer.clone()
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
    /// Requests read the ledger side by side, so that a long computation (a
    /// forecast, a stockout risk) does not hold up the others' answers. One
    /// that finds the data changed takes the ledger alone to bring it up to
    /// date: it waits for the computations in progress, and requests coming
    /// meanwhile wait for it (std's lock lets no new reader in while a
    /// writer waits), so a commit holds up reads for the longest computation
    /// in progress plus the refresh.
    async fn with_marked_stock<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&StockData, Watermark, &mut dyn Store) -> Result<T, Problem> + Send + 'static,
    {
        let cache = self.stock.clone();
        self.with_store(move |st| {
            let poisoned = || Problem::internal("the stock cache was poisoned by a failed request");
            let now = equitas_store::stock::watermark(st)?;
            let current =
                |g: &Option<(StockData, Watermark)>| g.as_ref().is_some_and(|(_, wm)| *wm == now);
            if !current(&*cache.read().map_err(|_| poisoned())?) {
                let mut guard = cache.write().map_err(|_| poisoned())?;
                match guard.as_mut() {
                    Some((data, wm)) => {
                        let r = equitas_store::stock::refresh(st, data, wm)?;
                        tracing::debug!(?r, "stock ledger refreshed");
                    }
                    None => *guard = Some(equitas_store::stock::load_marked(st)?),
                }
            }
            let guard = cache.read().map_err(|_| poisoned())?;
            let (data, wm) = guard
                .as_ref()
                .ok_or_else(|| Problem::internal("no stock data"))?;
            f(data, *wm, st)
        })
        .await
    }
}

/// The API routes, the dashboard and the formulas page. Answers are
/// compressed (gzip) when the client accepts it: slow links matter. Every
/// request passes `guard` first, then the one authorisation check
/// (`auth::check`); bodies are read by the handlers that take one, within
/// the state's [`Limits`].
pub fn router(state: AppState) -> Router {
    let hosts = state.hosts.clone();
    routes::router()
        .merge(epcis::router())
        .merge(subscriptions::router())
        .merge(auth::router())
        .merge(sso::router())
        .merge(imports::router())
        .merge(fhir::router())
        .merge(web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::check,
        ))
        .layer(axum::middleware::from_fn_with_state(hosts, guard::check))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!("no page or API route {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Problem {
    Problem::new(
        405,
        "/problems/method-not-allowed",
        "Method not allowed",
        format!("{} does not take {method}", uri.path()),
    )
}

/// How `serve` treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Connections served at once; more wait in the system's queue.
    pub max_connections: usize,
    /// The longest wait for a request's headers (also on an idle kept-alive connection).
    pub header_timeout: std::time::Duration,
    /// The longest a read-only request may take.
    pub request_timeout: std::time::Duration,
    /// After Ctrl-C or SIGTERM, how long requests in progress (a capture)
    /// may take to be answered before `serve` returns; a capture still
    /// running then goes on to its commit on its worker thread, which the
    /// runtime waits for when it is dropped.
    pub shutdown_grace: std::time::Duration,
    /// How long writing an answer may stall (a client that stops reading)
    /// before the connection is closed.
    pub write_timeout: std::time::Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 256,
            header_timeout: std::time::Duration::from_secs(10),
            request_timeout: std::time::Duration::from_secs(120),
            shutdown_grace: std::time::Duration::from_secs(60),
            write_timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// Serves the API on `listener` until Ctrl-C or SIGTERM.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    opts: ServeOptions,
) -> std::io::Result<()> {
    serve_until(state, listener, opts, shutdown_signal()).await
}

/// Serves the API on `listener` until `stop` completes, then stops
/// accepting connections and lets the requests and subscription deliveries
/// in progress finish (for at most `opts.shutdown_grace` in all, then cut).
/// No delivery runs on after it returns: those cut are sent again from their
/// marks at the next start. A request still running past the grace is not
/// answered, but a capture goes on to its commit.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    opts: ServeOptions,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    tracing::info!(addr = ?listener.local_addr().ok(), "serving the Equitas API and dashboard");
    // Read the stock ledger now rather than at the first page a user opens.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.with_marked_stock(|_, _, _| Ok(())).await {
            tracing::warn!(error = %e.detail, "could not read the stock ledger at start-up");
        }
    });
    // Deliver the subscriptions' events, from where each stands in the
    // store (after a restart too).
    let (stop_deliveries, deliveries_stop) = tokio::sync::oneshot::channel();
    let deliveries = tokio::spawn(subscriptions::worker(state.clone(), deliveries_stop));
    let app = router(state).layer(
        // Read-only requests end in time; writes are bounded by their body's
        // limits and their turn to write instead, so that a capture is never
        // cut between an answer and its commit.
        axum::middleware::from_fn_with_state(opts.request_timeout, timeout_reads),
    );
    let permits = Arc::new(tokio::sync::Semaphore::new(opts.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            () = &mut stop => break,
        };
        let (socket, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, say: wait, do not stop serving.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // The peer's address, for the audit log and the login limits.
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |mut r: axum::http::Request<hyper::body::Incoming>| {
                r.extensions_mut().insert(auth::Peer(peer));
                r
            },
        ));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(opts.header_timeout);
        // A client that stops reading its answer cannot hold the
        // connection (and its place among `max_connections`) for ever.
        let mut io = tokio_io_timeout::TimeoutStream::new(socket);
        io.set_write_timeout(Some(opts.write_timeout));
        let io = Box::pin(io);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("stopping: finishing the requests and deliveries in progress");
    let deadline = tokio::time::Instant::now() + opts.shutdown_grace;
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep_until(deadline) => {
            tracing::warn!(
                "requests still in progress after {} s are not answered; a capture still running goes on to its commit",
                opts.shutdown_grace.as_secs()
            );
        }
    }
    // Start no delivery after the last request, and let those under way end
    // (their marks written), within the same grace.
    let _ = stop_deliveries.send(());
    let mut deliveries = deliveries;
    if tokio::time::timeout_at(deadline, &mut deliveries)
        .await
        .is_err()
    {
        // Aborting the worker aborts the deliveries it started.
        deliveries.abort();
        let _ = deliveries.await;
        tracing::warn!(
            "subscription deliveries still in progress after {} s are cut; they are sent again from their marks at the next start",
            opts.shutdown_grace.as_secs()
        );
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Cuts a read-only request (GET, HEAD) that takes longer than `limit`.
async fn timeout_reads(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => Problem::new(
            503,
            "/problems/timeout",
            "The request took too long",
            format!(
                "the answer was not ready within {} s (equitas serve --request-timeout)",
                limit.as_secs()
            ),
        )
        .retry_after(problem::RETRY_AFTER)
        .into_response(),
    }
}
