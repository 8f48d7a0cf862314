//! Optional single sign-on with OpenID Connect (issue 23, docs/accounts.md):
//! the authorisation code flow with PKCE (S256) against an external
//! identity provider, by the `openidconnect` crate (discovery, the token
//! exchange, the ID token's signature by the provider's JWKS, its issuer,
//! audience, expiry and nonce).
//!
//! `GET /api/v1/sso/login` sends the browser to the provider with a fresh
//! state, nonce and PKCE challenge, remembered in the database under the
//! hash of a random value kept in a short-lived flow cookie (SameSite=Lax:
//! it must come back on the provider's redirect). `GET /api/v1/sso/callback`
//! takes that flow once, checks the state, exchanges the code with the PKCE
//! verifier and verifies the ID token; the provider's subject (issuer +
//! `sub`) must be linked to a local user (`equitas users link`), whose roles
//! stay in Equitas; it then opens the same session as the password login.
//! Every sign-in and every refusal is in the audit log; a refusal sends the
//! browser back to the login page naming the reason (`sso_error`).

use crate::auth as server_auth;
use crate::{AppState, Problem};
use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use equitas_store::auth::{self, SsoFlow};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SSO_PATH: &str = "/api/v1/sso";
pub const SSO_LOGIN_PATH: &str = "/api/v1/sso/login";
pub const SSO_CALLBACK_PATH: &str = "/api/v1/sso/callback";
/// The cookie binding a sign-in under way to the browser that started it.
const FLOW_COOKIE: &str = "equitas_sso";
/// Seconds a sign-in may take at the provider.
pub const FLOW_MAX_AGE: i64 = 600;
/// The provider's discovery document and keys are read again after this.
const METADATA_TTL: Duration = Duration::from_secs(15 * 60);

/// How to reach the identity provider (`equitas serve --sso-issuer ...`).
#[derive(Debug, Clone)]
pub struct SsoConfig {
    /// The issuer's URL: its discovery document is at
    /// `ISSUER/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// None for a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// This server's callback as registered at the provider:
    /// `https://HOST/api/v1/sso/callback`.
    pub redirect_url: String,
    /// The provider's name on the login page ("Sign in with NAME").
    pub label: String,
}

/// The client of a provider found by discovery: its authorisation endpoint
/// set, its token and user info endpoints as the document says.
type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The provider as configured, with its discovery document once read.
pub struct Sso {
    cfg: SsoConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: openidconnect::reqwest::Client,
    metadata: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field("issuer", &self.cfg.issuer)
            .finish()
    }
}

/// Why a sign-in was refused: the `sso_error` the login page translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The provider cannot be reached or its discovery document is wrong.
    Unavailable,
    /// No sign-in under way in this browser (no flow cookie, unknown,
    /// used already or expired).
    Flow,
    /// The state sent back is not the one sent.
    State,
    /// The provider answered with an error (the user declined, ...).
    Provider,
    /// The code exchange failed or the ID token did not verify.
    Token,
    /// The provider's subject is linked to no local user.
    Unmapped,
    /// The linked user is disabled.
    Disabled,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Refusal::Unavailable => "unavailable",
            Refusal::Flow => "flow",
            Refusal::State => "state",
            Refusal::Provider => "provider",
            Refusal::Token => "token",
            Refusal::Unmapped => "unmapped",
            Refusal::Disabled => "disabled",
        }
    }
}

impl Sso {
    pub fn new(cfg: SsoConfig) -> Result<Self, String> {
        let issuer = IssuerUrl::new(cfg.issuer.clone())
            .map_err(|e| format!("the SSO issuer {:?} is not a URL: {e}", cfg.issuer))?;
        let redirect = RedirectUrl::new(cfg.redirect_url.clone()).map_err(|e| {
            format!(
                "the SSO redirect URL {:?} is not a URL: {e}",
                cfg.redirect_url
            )
        })?;
        if !cfg.redirect_url.ends_with(SSO_CALLBACK_PATH) {
            return Err(format!(
                "the SSO redirect URL {:?} must end with {SSO_CALLBACK_PATH}",
                cfg.redirect_url
            ));
        }
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let the provider's answers send
            // this server elsewhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the SSO HTTP client: {e}"))?;
        Ok(Sso {
            cfg,
            issuer,
            redirect,
            http,
            metadata: Mutex::new(None),
        })
    }

    /// The provider's discovery document (and keys), read at most every
    /// [`METADATA_TTL`], or again when `fresh` (a token that did not verify
    /// may be signed by a key the provider rotated in).
    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata, String> {
        if !fresh
            && let Ok(m) = self.metadata.lock()
            && let Some((at, md)) = m.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(md.clone());
        }
        let md = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| format!("the discovery document of {}: {e}", self.cfg.issuer))?;
        if let Ok(mut m) = self.metadata.lock() {
            *m = Some((Instant::now(), md.clone()));
        }
        Ok(md)
    }

    fn client(&self, md: CoreProviderMetadata) -> Rp {
        CoreClient::from_provider_metadata(
            md,
            ClientId::new(self.cfg.client_id.clone()),
            self.cfg.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect.clone())
    }
}

fn flow_cookie(s: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if s.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={value}; Path={SSO_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("equitas_sso=; Max-Age=0"))
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn no_sso() -> Problem {
    Problem::new(
        404,
        "/problems/no-sso",
        "Single sign-on is not configured",
        "this server has no identity provider configured (equitas serve --sso-issuer)",
    )
}

/// `GET /api/v1/sso`: whether single sign-on is offered, and by whom.
pub(crate) async fn info(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(match &s.sso {
        Some(sso) => json!({"enabled": true, "label": sso.cfg.label, "login": SSO_LOGIN_PATH}),
        None => json!({"enabled": false}),
    })
}

/// `GET /api/v1/sso/login`: to the provider, with a new state, nonce and
/// PKCE challenge (S256).
pub(crate) async fn start(State(s): State<AppState>, req: Request) -> Result<Response, Problem> {
    let Some(sso) = s.sso.clone() else {
        return Err(no_sso());
    };
    let addr = server_auth::address(&s.auth, &req);
    let md = match sso.metadata(false).await {
        Ok(md) => md,
        Err(e) => return refuse(&s, addr, "sso:?", Refusal::Unavailable, e).await,
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = sso
        .client(md)
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let flow = SsoFlow {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
    };
    let binding = s
        .with_store(move |st| Ok(auth::start_sso_flow(st, &flow, auth::now(), FLOW_MAX_AGE)?))
        .await?;
    let mut r = redirect(url.as_str());
    r.headers_mut()
        .insert(header::SET_COOKIE, flow_cookie(&s, &binding, FLOW_MAX_AGE));
    Ok(r)
}

#[derive(serde::Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Audits a refusal and sends the browser back to the login page, which
/// says why; the flow cookie is cleared.
async fn refuse(
    s: &AppState,
    addr: Option<String>,
    actor: &str,
    why: Refusal,
    detail: String,
) -> Result<Response, Problem> {
    let actor = actor.to_string();
    let logged = format!("{}: {detail}", why.code());
    s.with_store(move |st| {
        auth::audit(st, &actor, addr.as_deref(), "sso-refused", &logged, "")?;
        Ok(())
    })
    .await?;
    tracing::info!(reason = why.code(), %detail, "single sign-on refused");
    let mut r = redirect(&format!("/#/login?sso_error={}", why.code()));
    r.headers_mut()
        .insert(header::SET_COOKIE, flow_cookie(s, "", 0));
    Ok(r)
}

/// `GET /api/v1/sso/callback`: the provider's answer.
pub(crate) async fn callback(
    State(s): State<AppState>,
    Query(q): Query<Callback>,
    req: Request,
) -> Result<Response, Problem> {
    let Some(sso) = s.sso.clone() else {
        return Err(no_sso());
    };
    let addr = server_auth::address(&s.auth, &req);
    let binding = server_auth::cookie(req.headers(), FLOW_COOKIE).map(String::from);
    let a = addr.clone();
    let Some(binding) = binding else {
        return refuse(
            &s,
            a,
            "sso:?",
            Refusal::Flow,
            "no sign-in under way in this browser (no flow cookie)".into(),
        )
        .await;
    };
    let flow = s
        .with_store(move |st| {
            Ok(auth::take_sso_flow(
                st,
                &binding,
                auth::now(),
                FLOW_MAX_AGE,
            )?)
        })
        .await?;
    let Some(flow) = flow else {
        return refuse(
            &s,
            a,
            "sso:?",
            Refusal::Flow,
            format!("the sign-in is unknown, used already or older than {FLOW_MAX_AGE} s"),
        )
        .await;
    };
    let state_ok = q
        .state
        .as_deref()
        .is_some_and(|st| server_auth::constant_eq(st.as_bytes(), flow.state.as_bytes()));
    if !state_ok {
        return refuse(
            &s,
            a,
            "sso:?",
            Refusal::State,
            "the state sent back is not the one this sign-in sent".into(),
        )
        .await;
    }
    if let Some(e) = q.error {
        let d = q.error_description.unwrap_or_default();
        return refuse(
            &s,
            a,
            "sso:?",
            Refusal::Provider,
            format!("the provider answered {e}: {d}"),
        )
        .await;
    }
    let Some(code) = q.code else {
        return refuse(
            &s,
            a,
            "sso:?",
            Refusal::Provider,
            "the provider sent back no code".into(),
        )
        .await;
    };
    let verified = match verify(&sso, code, &flow).await {
        Ok(v) => v,
        Err(e) => return refuse(&s, a, "sso:?", Refusal::Token, e).await,
    };
    let (issuer, subject) = verified;
    let actor = format!("sso:{issuer}#{subject}");
    let (iss, sub, a2) = (issuer.clone(), subject.clone(), a.clone());
    let limits_abs = s.auth.sessions.absolute;
    let opened = s
        .with_store(move |st| {
            let Some(u) = auth::identity_user(st, &iss, &sub)? else {
                return Ok(Err(Refusal::Unmapped));
            };
            if u.disabled {
                return Ok(Err(Refusal::Disabled));
            }
            let mut tx = st.begin()?;
            let (token, csrf) = auth::create_session(tx.as_mut(), u.id, auth::now())?;
            auth::audit(
                tx.as_mut(),
                &format!("user:{}", u.name),
                a2.as_deref(),
                "sso-login",
                &format!("session opened by single sign-on: {iss} subject {sub}"),
                &u.describe_grants(),
            )?;
            tx.commit()?;
            Ok(Ok((token, csrf)))
        })
        .await?;
    let token = match opened {
        Ok((token, _csrf)) => token,
        Err(why) => {
            let d = match why {
                Refusal::Unmapped => format!(
                    "the subject {subject:?} of {issuer} is linked to no Equitas user (equitas users link)"
                ),
                _ => format!("the user linked to the subject {subject:?} of {issuer} is disabled"),
            };
            return refuse(&s, a, &actor, why, d).await;
        }
    };
    let mut r = redirect("/#/");
    r.headers_mut().append(
        header::SET_COOKIE,
        server_auth::session_cookie(&s.auth, &token, limits_abs),
    );
    r.headers_mut()
        .append(header::SET_COOKIE, flow_cookie(&s, "", 0));
    Ok(r)
}

/// Exchanges the code (with the PKCE verifier) and verifies the ID token:
/// its signature by the provider's keys, issuer, audience, expiry and
/// nonce. The issuer and subject.
async fn verify(sso: &Sso, code: String, flow: &SsoFlow) -> Result<(String, String), String> {
    let md = sso.metadata(false).await?;
    let client = sso.client(md);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| format!("the provider has no token endpoint: {e}"))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
        .request_async(&sso.http)
        .await
        .map_err(|e| format!("the code exchange failed: {e}"))?;
    let id = tokens
        .id_token()
        .ok_or("the provider's answer has no ID token")?;
    let nonce = Nonce::new(flow.nonce.clone());
    let claims = match id.claims(&client.id_token_verifier(), &nonce) {
        Ok(c) => c.clone(),
        Err(first) => {
            // Perhaps signed by a key rotated in since the keys were read.
            let client = sso.client(sso.metadata(true).await?);
            id.claims(&client.id_token_verifier(), &nonce)
                .map_err(|_| format!("the ID token does not verify: {first}"))?
                .clone()
        }
    };
    Ok((
        claims.issuer().as_str().to_string(),
        claims.subject().as_str().to_string(),
    ))
}

pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route(SSO_PATH, get(info))
        .route(SSO_LOGIN_PATH, get(start))
        .route(SSO_CALLBACK_PATH, get(callback))
}
