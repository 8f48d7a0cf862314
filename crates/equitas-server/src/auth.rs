//! Who is asking, and what they may do (issue 23, docs/accounts.md): ONE
//! check every route goes through ([`check`], a middleware), which finds
//! the caller (a Bearer API token, or a session cookie with its CSRF token
//! for writes), the permission the route needs ([`need`], the route table)
//! and the caller's scope for it, put in the request as an [`Access`] that
//! handlers pass on to the operations (`equitas_service::Ctx::within`).
//!
//! Without accounts ([`Mode::Open`]: `equitas serve` on loopback with no
//! user, or `--insecure-no-auth`) every caller is `local`, unscoped.

use crate::{AppState, Problem, api_doc};
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use equitas_store::auth::{self, Permission, Scope, SessionLimits};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub const LOGIN_PATH: &str = "/api/v1/login";
pub const LOGOUT_PATH: &str = "/api/v1/logout";
pub const SESSION_PATH: &str = "/api/v1/session";
pub const AUDIT_PATH: &str = "/api/v1/audit";
/// The session cookie's name.
pub const COOKIE: &str = "equitas_session";
/// The header a cookie-authenticated write carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whether the server has accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No login: every caller is `local`, unscoped.
    Open,
    /// Every route but the public ones needs a session or an API token.
    Accounts,
}

/// How failed logins are slowed and limited.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    /// Failed logins of one account within `window` before it is refused.
    pub per_account: u32,
    /// Failed logins from one address within `window` before it is refused.
    pub per_address: u32,
    pub window: Duration,
    /// A failed login is answered after this, times the failures so far
    /// (at most 8 times).
    pub delay: Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
            delay: Duration::from_millis(500),
        }
    }
}

/// The server's accounts settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub mode: Mode,
    /// Cookies marked `Secure` (served over TLS, by a reverse proxy).
    pub secure_cookies: bool,
    /// The client's address is the last of `X-Forwarded-For` (set by the
    /// reverse proxy in front), not the proxy's.
    pub behind_proxy: bool,
    pub sessions: SessionLimits,
    pub throttle: Throttle,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            mode: Mode::Open,
            secure_cookies: false,
            behind_proxy: false,
            sessions: SessionLimits::default(),
            throttle: Throttle::default(),
        }
    }
}

/// The peer's address, set per connection by `serve_until`.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A server without accounts.
    Open,
    /// A session cookie.
    Session,
    /// An API token (its number).
    Token(i64),
}

/// The caller and its scope for what the route needs, for the handlers.
#[derive(Debug, Clone)]
pub struct Access {
    /// As written in the audit log: `local`, `user:NAME`, `token:ID:NAME`.
    pub actor: String,
    pub user: Option<String>,
    pub via: Via,
    /// The scope of the permission the route needs.
    pub scope: Scope,
    pub address: Option<String>,
}

impl Access {
    /// Appends an audit entry by this caller (on the blocking pool).
    pub(crate) fn audit(
        &self,
        st: &mut dyn equitas_store::Store,
        action: &str,
        detail: &str,
    ) -> Result<(), Problem> {
        auth::audit(
            st,
            &self.actor,
            self.address.as_deref(),
            action,
            detail,
            self.scope.label(),
        )?;
        Ok(())
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing (the dashboard's files, the API description, login).
    Public,
    /// A caller with an account, whatever its roles (logout, the session).
    Signed,
    /// A permission, within the caller's scope (answers are filtered).
    Scoped(Permission),
    /// A permission everywhere: the answer spans every place.
    Whole(Permission),
    /// A method or route the table does not know: refused 405 before any
    /// handler (a test keeps every documented route out of it).
    Unlisted,
}

/// The route table: what each route (as routed: `/events/{eventID}`) needs.
pub fn need(method: &Method, path: &str) -> Need {
    use Permission::*;
    let get = *method == Method::GET || *method == Method::HEAD;
    let post = *method == Method::POST;
    match path {
        "/openapi.json" | "/api/docs" => Need::Public,
        LOGIN_PATH if post => Need::Public,
        // Single sign-on: the browser on its way to and back from the
        // identity provider has no session yet (crate::sso checks the flow).
        crate::sso::SSO_PATH | crate::sso::SSO_LOGIN_PATH | crate::sso::SSO_CALLBACK_PATH
            if get =>
        {
            Need::Public
        }
        LOGOUT_PATH if post => Need::Signed,
        SESSION_PATH if get => Need::Signed,
        AUDIT_PATH if get => Need::Whole(Administer),
        // Counts of the whole database, no place's figures.
        api_doc::STATUS_PATH if get => Need::Scoped(Read),
        api_doc::EPCIS_SUMMARY_PATH | api_doc::CAPTURE_JOBS_PATH if get => Need::Whole(Read),
        api_doc::CAPTURE_JOB_PATH if get => Need::Scoped(Read),
        api_doc::CAPTURE_PATH if post => Need::Scoped(Capture),
        api_doc::EVENTS_PATH if post => Need::Scoped(Capture),
        api_doc::EVENTS_PATH | api_doc::EVENT_PATH if get => Need::Scoped(Read),
        // Rows checked against the scope, for the kinds whose rows can be
        // (crate::imports); the others refused to a scoped caller there.
        api_doc::IMPORT_PATH if post => Need::Scoped(Import),
        // Named queries: their events filtered by the caller's scope as
        // GET /events; defining one is an administrator's. A subscription
        // delivers only the events within its subscriber's read scope,
        // checked at each delivery; a caller sees and deletes its own
        // (an administrator everywhere, any).
        api_doc::QUERIES_PATH
        | api_doc::QUERY_PATH
        | api_doc::QUERY_EVENTS_PATH
        | api_doc::SUBSCRIPTIONS_PATH
        | api_doc::SUBSCRIPTION_PATH
            if get =>
        {
            Need::Scoped(Read)
        }
        api_doc::SUBSCRIPTIONS_PATH if post => Need::Scoped(Read),
        api_doc::SUBSCRIPTION_PATH if *method == Method::DELETE => Need::Scoped(Read),
        api_doc::QUERIES_PATH if post => Need::Whole(Administer),
        api_doc::QUERY_PATH if *method == Method::DELETE => Need::Whole(Administer),
        p if get && operation_paths().contains(p) => Need::Scoped(Read),
        // FHIR (crate::fhir): a write's movements checked against the
        // capture scope as EPCIS capture's, its registry resources refused
        // to a scoped caller; the search's location against the read scope.
        p if p == "/fhir" || p.starts_with("/fhir/") => match (get, post) {
            (true, _) => Need::Scoped(Read),
            (_, true) => Need::Scoped(Capture),
            _ => Need::Unlisted,
        },
        p if p.starts_with("/api/")
            || p.starts_with("/capture")
            || p.starts_with("/events")
            || p.starts_with("/queries") =>
        {
            Need::Unlisted
        }
        // The dashboard and the formulas pages (their data comes from the
        // API); nothing but reading is public.
        _ if get => Need::Public,
        _ => Need::Unlisted,
    }
}

/// The operations' paths, listed once.
fn operation_paths() -> &'static std::collections::HashSet<&'static str> {
    static P: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    P.get_or_init(|| {
        equitas_service::operation_endpoints()
            .iter()
            .map(|e| e.path)
            .collect()
    })
}

fn unauthenticated(detail: impl Into<String>) -> Response {
    let mut r = Problem::new(
        401,
        "/problems/unauthenticated",
        "Authentication required",
        detail,
    )
    .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"equitas\""),
    );
    r
}

fn forbidden(detail: impl Into<String>) -> Problem {
    Problem::new(403, "/problems/forbidden", "Not allowed", detail)
}

/// A cookie of the request.
pub(crate) fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn bearer(h: &HeaderMap) -> Option<&str> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The client's address: the peer's, or behind a proxy the last
/// `X-Forwarded-For` entry (the one the proxy added).
pub(crate) fn address(cfg: &AuthConfig, req: &Request) -> Option<String> {
    if cfg.behind_proxy
        && let Some(last) = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty())
    {
        return Some(last.to_string());
    }
    req.extensions().get::<Peer>().map(|p| p.0.ip().to_string())
}

fn is_write(m: &Method) -> bool {
    matches!(
        *m,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The middleware: the one authorisation check of every route.
pub async fn check(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    // No route matched: answered 404 (or 405) by the fallbacks.
    let Some(route) = route else {
        return next.run(req).await;
    };
    let need = need(req.method(), &route);
    if need == Need::Public {
        return next.run(req).await;
    }
    if need == Need::Unlisted {
        // A method the route does not take (the router would answer 405),
        // or a route missing from the table: refused either way, unrun.
        return Problem::new(
            405,
            "/problems/method-not-allowed",
            "Method not allowed",
            format!("{route} does not take {}", req.method()),
        )
        .into_response();
    }
    let cfg = s.auth.clone();
    let address = address(&cfg, &req);
    if cfg.mode == Mode::Open {
        req.extensions_mut().insert(Access {
            actor: "local".into(),
            user: None,
            via: Via::Open,
            scope: Scope::All,
            address,
        });
        return next.run(req).await;
    }
    let h = req.headers();
    let (secret, by_token) = match (bearer(h), cookie(h, COOKIE)) {
        (Some(t), _) => (t.to_string(), true),
        (None, Some(c)) => (c.to_string(), false),
        (None, None) => {
            return unauthenticated(
                "log in (POST /api/v1/login) or send an API token as `Authorization: Bearer TOKEN`",
            );
        }
    };
    let csrf_sent = h
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let write = is_write(req.method());
    let limits = cfg.sessions;
    let found = s
        .with_store(move |st| {
            let now = auth::now();
            let (user, via, csrf, narrowed) = if by_token {
                match auth::token_user(st, &secret, now)? {
                    Some((u, t)) => (u, Via::Token(t.id), None, t.scope),
                    None => return Ok(None),
                }
            } else {
                match auth::session(st, &secret, now, limits)? {
                    Some((u, csrf)) => (u, Via::Session, Some(csrf), Default::default()),
                    None => return Ok(None),
                }
            };
            // A token's own scope narrows its user's.
            let mut scope_of = |p| auth::token_scope(st, &user, p, &narrowed);
            let scope = match need {
                Need::Scoped(p) | Need::Whole(p) => scope_of(p)?.map(|sc| (p, sc)),
                // Logout and the session: no data; the read scope, if any.
                _ => Some((
                    Permission::Read,
                    scope_of(Permission::Read)?.unwrap_or(Scope::Within {
                        areas: vec![],
                        label: "nothing".into(),
                    }),
                )),
            };
            Ok(Some((user, via, csrf, scope)))
        })
        .await;
    let (user, via, csrf, scope) = match found {
        Ok(Some(f)) => f,
        Ok(None) => {
            return unauthenticated(if by_token {
                "the API token is unknown, revoked or expired, or its user is disabled"
            } else {
                "the session has ended (logged out, expired or its user disabled): log in again"
            });
        }
        Err(p) => return p.into_response(),
    };
    // A cookie is sent by the browser whatever page asks: a write needs
    // the session's CSRF token too, which only the dashboard can read.
    if write
        && via == Via::Session
        && !csrf
            .as_deref()
            .zip(csrf_sent.as_deref())
            .is_some_and(|(a, b)| constant_eq(a.as_bytes(), b.as_bytes()))
    {
        return Problem::forbidden(
            "/problems/csrf",
            format!("a write with a session cookie needs the session's CSRF token in the {CSRF_HEADER} header (given at login and by GET {SESSION_PATH})"),
        )
        .into_response();
    }
    let actor = match &via {
        Via::Token(id) => format!("token:{id}:{}", user.name),
        _ => format!("user:{}", user.name),
    };
    let Some((p, scope)) = scope else {
        let need_p = match need {
            Need::Scoped(p) | Need::Whole(p) => p.as_str(),
            _ => "",
        };
        return forbidden(format!(
            "{} {route} needs the {need_p} permission; {}'s roles: {}",
            req.method(),
            user.name,
            user.describe_grants()
        ))
        .into_response();
    };
    if matches!(need, Need::Whole(_)) && !scope.is_all() {
        return Problem::new(
            403,
            "/problems/out-of-scope",
            "Outside your scope",
            format!(
                "{route} spans every place and country; {}'s {} permission reaches only {}",
                user.name,
                p.as_str(),
                scope.label()
            ),
        )
        .into_response();
    }
    req.extensions_mut().insert(Access {
        actor,
        user: Some(user.name),
        via,
        scope,
        address,
    });
    next.run(req).await
}

/// Equal bytes, compared in a time that does not depend on where they differ.
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn session_cookie(cfg: &AuthConfig, value: &str, max_age: i64) -> HeaderValue {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("equitas_session=; Max-Age=0"))
}

#[derive(serde::Deserialize)]
pub(crate) struct Login {
    user: String,
    password: String,
}

/// `POST /api/v1/login`: a new session (a new token whatever the request
/// carried: no fixation; the old session, if any, ends), in an HttpOnly,
/// SameSite=Strict cookie, and its CSRF token in the answer.
pub(crate) async fn login(State(s): State<AppState>, req: Request) -> Result<Response, Problem> {
    let cfg = s.auth.clone();
    if cfg.mode == Mode::Open {
        return Err(Problem::new(
            409,
            "/problems/no-accounts",
            "This server has no accounts",
            "no login is needed: this server runs without accounts",
        ));
    }
    let addr = address(&cfg, &req);
    let old = cookie(req.headers(), COOKIE).map(String::from);
    crate::guard::body_type(req.headers())?;
    let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
        .await
        .map_err(|e| Problem::bad_body(format!("the login body: {e}")))?;
    let Login { user, password } = serde_json::from_slice(&bytes).map_err(|e| {
        Problem::bad_body(format!(
            "the login body must be {{\"user\": ..., \"password\": ...}}: {e}"
        ))
    })?;
    let t = cfg.throttle;
    let (ukey, akey) = (
        // Names are at most 64 characters: a longer one is no account, and
        // must not make the table of failures grow.
        format!("u:{}", user.chars().take(65).collect::<String>()),
        format!("a:{}", addr.as_deref().unwrap_or("?")),
    );
    // Failed logins are counted in the database: the limits hold across
    // restarts and across the processes serving one database.
    let window = i64::try_from(t.window.as_secs()).unwrap_or(i64::MAX / 2);
    let (uk, ak, who, a) = (ukey.clone(), akey.clone(), user.clone(), addr.clone());
    let refused = s
        .with_store(move |st| {
            let now = auth::now();
            let left = match auth::login_refused(st, &uk, t.per_account, window, now)? {
                Some(l) => Some(l),
                None => auth::login_refused(st, &ak, t.per_address, window, now)?,
            };
            if left.is_some() {
                let shown: String = who.chars().take(65).collect();
                auth::audit(
                    st,
                    &format!("user:{shown}"),
                    a.as_deref(),
                    "login-refused",
                    "too many failed logins",
                    "",
                )?;
            }
            Ok(left)
        })
        .await?;
    if let Some(left) = refused {
        let left = u64::try_from(left).unwrap_or(1);
        return Err(Problem::new(
            429,
            "/problems/too-many-logins",
            "Too many failed logins",
            format!(
                "too many failed logins for this account or from this address: try again in {left} s"
            ),
        )
        .retry_after(left));
    }
    let (who, a) = (user.clone(), addr.clone());
    let done = s
        .with_store(move |st| {
            let Some(u) = auth::check_password(st, &who, &password)? else {
                let shown: String = who.chars().take(65).collect();
                let mut tx = st.begin()?;
                let now = auth::now();
                let n = auth::login_failed(tx.as_mut(), &ukey, window, now)?;
                auth::login_failed(tx.as_mut(), &akey, window, now)?;
                auth::audit(
                    tx.as_mut(),
                    &format!("user:{shown}"),
                    a.as_deref(),
                    "login-failed",
                    "wrong name or password",
                    "",
                )?;
                tx.commit()?;
                return Ok(Err(n));
            };
            let mut tx = st.begin()?;
            auth::login_succeeded(tx.as_mut(), &ukey)?;
            if let Some(old) = old {
                auth::end_session(tx.as_mut(), &old)?;
            }
            let (token, csrf) = auth::create_session(tx.as_mut(), u.id, auth::now())?;
            auth::audit(
                tx.as_mut(),
                &format!("user:{}", u.name),
                a.as_deref(),
                "login",
                "session opened",
                &u.describe_grants(),
            )?;
            tx.commit()?;
            Ok(Ok((u, token, csrf)))
        })
        .await?;
    let (u, token, csrf) = match done {
        Ok(d) => d,
        Err(n) => {
            // Slowed: each failure answered later than the one before.
            tokio::time::sleep(t.delay * n.min(8)).await;
            return Err(Problem::new(
                401,
                "/problems/login-failed",
                "Login failed",
                "wrong user name or password, or the user is disabled",
            ));
        }
    };
    let mut r = Json(json!({
        "user": u.name,
        "grants": u.grants,
        "csrf_token": csrf,
    }))
    .into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&cfg, &token, cfg.sessions.absolute),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `POST /api/v1/logout`: ends the session and clears the cookie.
pub(crate) async fn logout(
    State(s): State<AppState>,
    axum::Extension(a): axum::Extension<Access>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let token = cookie(&headers, COOKIE).map(String::from);
    let access = a.clone();
    s.with_store(move |st| {
        if access.via == Via::Session
            && let Some(t) = token
        {
            auth::end_session(st, &t)?;
            access.audit(st, "logout", "session ended")?;
        }
        Ok(())
    })
    .await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&s.auth, "", 0));
    Ok(r)
}

/// `GET /api/v1/session`: who is logged in, their grants, and the CSRF
/// token a cookie-authenticated write sends.
pub(crate) async fn session(
    State(s): State<AppState>,
    axum::Extension(a): axum::Extension<Access>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, Problem> {
    if a.via == Via::Open {
        return Ok(Json(json!({"mode": "open", "user": null, "grants": []})));
    }
    let token = cookie(&headers, COOKIE).map(String::from);
    let name = a.user.clone().unwrap_or_default();
    let limits = s.auth.sessions;
    let via = a.via.clone();
    s.with_store(move |st| {
        let u = auth::user(st, &name)?.ok_or_else(|| Problem::not_found("no such user"))?;
        let csrf = match (via, token) {
            (Via::Session, Some(t)) => auth::session(st, &t, auth::now(), limits)?.map(|(_, c)| c),
            _ => None,
        };
        Ok(Json(json!({
            "mode": "accounts",
            "user": u.name,
            "grants": u.grants,
            "csrf_token": csrf,
        })))
    })
    .await
}

/// `GET /api/v1/audit`: the audit log, newest first (administrators).
pub(crate) async fn audit_log(
    State(s): State<AppState>,
    q: crate::routes::Q,
) -> Result<Json<serde_json::Value>, Problem> {
    use equitas_service::op;
    let a = crate::routes::args(q, vec![op::OFFSET, op::LIMIT])?;
    let (offset, limit) = op::page(&a)?;
    s.with_store(move |st| {
        let (total, rows) = auth::audit_log(st, offset, limit)?;
        Ok(Json(json!({
            "total": usize::try_from(total).unwrap_or(0),
            "offset": offset,
            "limit": limit,
            "rows": rows,
        })))
    })
    .await
}

pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(LOGIN_PATH, post(login))
        .route(LOGOUT_PATH, post(logout))
        .route(SESSION_PATH, get(session))
        .route(AUDIT_PATH, get(audit_log))
}

/// Kept in the state: the settings and the failed logins.
pub(crate) type Shared = Arc<AuthConfig>;
