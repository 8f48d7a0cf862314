//! `equitas serve`: the HTTP API and the dashboard on the database.

use crate::Cli;
use crate::context::database_target;
use anyhow::{Context, Result};
use std::process::ExitCode;

/// Where and how to serve (see `equitas serve --help`).
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on. The loopback address serves this
    /// machine only, without login while the database has no user; another
    /// address (0.0.0.0: every interface) requires accounts (`equitas
    /// users add`), or --insecure-no-auth.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub addr: std::net::SocketAddr,
    /// A host name this server is reached by (the Host header), besides
    /// localhost and its address; repeat for several. On a loopback
    /// address, requests for any other name are refused (a hostile page
    /// can point a name of its own at 127.0.0.1); on another address,
    /// giving names restricts the server to them.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// The largest request body taken, in bytes (EPCIS documents).
    #[arg(long, default_value_t = equitas_server::Limits::default().body, value_name = "BYTES")]
    pub max_body_bytes: u64,
    /// The largest event taken, in bytes as written; a larger one is rejected.
    #[arg(long, default_value_t = equitas_store::epcis::MAX_EVENT_BYTES, value_name = "BYTES")]
    pub max_event_bytes: usize,
    /// The most events one document sent over HTTP may hold.
    #[arg(long, default_value_t = equitas_server::Limits::default().events, value_name = "N")]
    pub max_events: usize,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, default_value_t = equitas_server::ServeOptions::default().max_connections, value_name = "N")]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers, and to send
    /// each part of its body.
    #[arg(long, default_value_t = equitas_server::ServeOptions::default().header_timeout.as_secs(), value_name = "SECONDS")]
    pub header_timeout: u64,
    /// Seconds writing an answer may stall (a client that stops reading)
    /// before the connection is closed.
    #[arg(long, default_value_t = equitas_server::ServeOptions::default().write_timeout.as_secs(), value_name = "SECONDS")]
    pub write_timeout: u64,
    /// Seconds a read-only request may take before it is answered 503.
    #[arg(long, default_value_t = equitas_server::ServeOptions::default().request_timeout.as_secs(), value_name = "SECONDS")]
    pub request_timeout: u64,
    /// Seconds a delivery to a subscription's webhook may take (connecting,
    /// sending, the answer's status) before it counts as failed.
    #[arg(long, default_value_t = equitas_server::Delivery::default().timeout.as_secs(), value_name = "SECONDS")]
    pub webhook_timeout: u64,
    /// Seconds before a failed delivery is tried again; the wait doubles
    /// with each failure in a row, up to --webhook-retry-max.
    #[arg(long, default_value_t = equitas_server::Delivery::default().retry_base.as_secs(), value_name = "SECONDS")]
    pub webhook_retry: u64,
    /// The longest wait between two attempts of a delivery, in seconds.
    #[arg(long, default_value_t = equitas_server::Delivery::default().retry_max.as_secs(), value_name = "SECONDS")]
    pub webhook_retry_max: u64,
    /// A host subscriptions may deliver to (as written in their `dest`);
    /// repeat for several. Without it, any host: a client of the API can
    /// then have this server post to hosts of its network.
    #[arg(long = "webhook-allow-host", value_name = "HOST")]
    pub webhook_hosts: Vec<String>,
    /// Serve without accounts on an address other than loopback: anyone
    /// who reaches it can read everything and capture events. For a
    /// trusted, closed network only.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Served over HTTPS by a reverse proxy in front (docs/accounts.md):
    /// session cookies are marked Secure, and the client's address is the
    /// last of X-Forwarded-For.
    #[arg(long)]
    pub behind_tls_proxy: bool,
    /// Minutes a session lasts without a request.
    #[arg(long, default_value_t = 30, value_name = "MINUTES")]
    pub session_idle: i64,
    /// Hours a session lasts at most from login.
    #[arg(long, default_value_t = 12, value_name = "HOURS")]
    pub session_max: i64,
    #[command(flatten)]
    pub sso: SsoArgs,
    #[command(flatten)]
    pub schemas: crate::schemas::SchemaArgs,
}

/// Single sign-on with an OpenID Connect provider (docs/accounts.md).
#[derive(clap::Args, Debug)]
pub struct SsoArgs {
    /// The identity provider's issuer URL (its discovery document is at
    /// ISSUER/.well-known/openid-configuration): offers "Sign in with ..."
    /// on the login page. Its users sign in as the Equitas users they are
    /// linked to (`equitas users link`), with those users' roles.
    #[arg(long, value_name = "URL", requires_all = ["sso_client_id", "sso_redirect_url"])]
    pub sso_issuer: Option<String>,
    /// This server's client id at the provider.
    #[arg(long, value_name = "ID")]
    pub sso_client_id: Option<String>,
    /// A file holding the client secret (one line); or set
    /// EQUITAS_SSO_CLIENT_SECRET. Neither: a public client (PKCE alone).
    #[arg(long, value_name = "FILE")]
    pub sso_client_secret_file: Option<std::path::PathBuf>,
    /// This server's callback as registered at the provider, ending with
    /// /api/v1/sso/callback (https://equitas.example.org/api/v1/sso/callback).
    #[arg(long, value_name = "URL")]
    pub sso_redirect_url: Option<String>,
    /// The provider's name on the login page ("Sign in with NAME").
    #[arg(long, value_name = "NAME", default_value = "single sign-on")]
    pub sso_name: String,
}

impl SsoArgs {
    fn config(&self) -> Result<Option<equitas_server::SsoConfig>> {
        let Some(issuer) = &self.sso_issuer else {
            return Ok(None);
        };
        let client_secret = match &self.sso_client_secret_file {
            Some(f) => Some(
                std::fs::read_to_string(f)
                    .with_context(|| format!("--sso-client-secret-file {}", f.display()))?
                    .trim()
                    .to_string(),
            ),
            None => std::env::var("EQUITAS_SSO_CLIENT_SECRET").ok(),
        }
        .filter(|s| !s.is_empty());
        Ok(Some(equitas_server::SsoConfig {
            issuer: issuer.clone(),
            client_id: self.sso_client_id.clone().unwrap_or_default(),
            client_secret,
            redirect_url: self.sso_redirect_url.clone().unwrap_or_default(),
            label: self.sso_name.clone(),
        }))
    }
}

pub fn run(cli: &Cli, a: &ServeArgs) -> Result<ExitCode> {
    let ServeArgs {
        addr,
        allow_hosts,
        max_body_bytes,
        max_event_bytes,
        max_events,
        max_connections,
        header_timeout,
        request_timeout,
        write_timeout,
        webhook_timeout,
        webhook_retry,
        webhook_retry_max,
        webhook_hosts,
        insecure_no_auth,
        behind_tls_proxy,
        session_idle,
        session_max,
        sso,
        schemas,
    } = a;
    let target = database_target(cli)?;
    let schemas = crate::schemas::epcis_schemas(cli, schemas)?.noted();
    let limits = equitas_server::Limits {
        body: *max_body_bytes,
        event: *max_event_bytes,
        events: *max_events,
        body_idle: std::time::Duration::from_secs(*header_timeout),
    };
    let opts = equitas_server::ServeOptions {
        max_connections: *max_connections,
        header_timeout: std::time::Duration::from_secs(*header_timeout),
        request_timeout: std::time::Duration::from_secs(*request_timeout),
        write_timeout: std::time::Duration::from_secs(*write_timeout),
        ..Default::default()
    };
    let has_users = {
        let mut st = crate::context::open_store(cli)?;
        equitas_store::auth::has_users(st.as_mut())?
    };
    let mode = if *insecure_no_auth {
        eprintln!(
            "WARNING: --insecure-no-auth: serving on {addr} WITHOUT ACCOUNTS. Anyone who can reach \
             this address can read all the data and capture events. Use it on a closed, trusted \
             network only; create accounts instead (docs/accounts.md)."
        );
        equitas_server::Mode::Open
    } else if has_users {
        equitas_server::Mode::Accounts
    } else if addr.ip().is_loopback() && !behind_tls_proxy {
        equitas_server::Mode::Open
    } else {
        // Behind a proxy, loopback is everyone the proxy serves.
        let place = if *behind_tls_proxy {
            "behind a proxy".to_string()
        } else {
            format!("on {addr}, not the loopback address,")
        };
        anyhow::bail!(
            "serving {place} requires accounts: create one with \
             `equitas users add NAME` and `equitas users grant NAME administrator` \
             (docs/accounts.md), or start with --insecure-no-auth on a trusted network"
        );
    };
    if *session_idle < 1 || *session_max < 1 {
        anyhow::bail!("--session-idle and --session-max: at least 1");
    }
    let auth = equitas_server::AuthConfig {
        mode,
        secure_cookies: *behind_tls_proxy,
        behind_proxy: *behind_tls_proxy,
        sessions: equitas_store::auth::SessionLimits {
            idle: session_idle * 60,
            absolute: session_max * 3600,
        },
        ..Default::default()
    };
    let sso = sso.config()?;
    if sso.is_some() && mode != equitas_server::Mode::Accounts {
        anyhow::bail!(
            "--sso-issuer: single sign-on needs accounts (the provider's users sign in as \
             Equitas users): add users first (`equitas users add`, `equitas users link`)"
        );
    }
    let mut state = equitas_server::AppState::open(&target)
        .with_context(|| format!("cannot open the database {target}"))?
        .with_epcis_schemas(schemas)
        .with_limits(limits)
        .with_hosts(equitas_server::Hosts::for_addr(addr, allow_hosts))
        .with_delivery(equitas_server::Delivery {
            timeout: std::time::Duration::from_secs((*webhook_timeout).max(1)),
            retry_base: std::time::Duration::from_secs((*webhook_retry).max(1)),
            retry_max: std::time::Duration::from_secs((*webhook_retry_max).max(1)),
            ..Default::default()
        })
        .with_webhook_hosts(webhook_hosts.clone())
        .with_auth(auth)
        .with_import_mappings(crate::import::load_mappings(None, None, None)?);
    if let Some(cfg) = sso {
        eprintln!("Single sign-on with {} ({}).", cfg.label, cfg.issuer);
        state = state.with_sso(cfg).map_err(|e| anyhow::anyhow!(e))?;
    }
    if mode == equitas_server::Mode::Accounts {
        eprintln!("Accounts are required: log in on the dashboard, or send an API token.");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let at = listener.local_addr().unwrap_or(*addr);
        eprintln!(
            "Equitas dashboard on http://{at}/ (the API: http://{at}/api/docs; data: {target}); Ctrl-C stops it."
        );
        equitas_server::serve(state, listener, opts)
            .await
            .with_context(|| format!("cannot serve on {addr}"))
    })?;
    Ok(ExitCode::SUCCESS)
}
