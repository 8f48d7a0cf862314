//! EPCIS 2.0 named queries and query subscriptions (the REST binding):
//! `/queries`, `/queries/{name}`, `/queries/{name}/events`,
//! `/queries/{name}/subscriptions[/{id}]`, and the delivery worker.
//!
//! The worker posts each subscription's events to its `dest` as
//! `EPCISQueryDocument`s, signed (`GS1-Signature: sha256=` and the
//! HMAC-SHA256 of the body with the subscription's `signatureToken`), in
//! commit order, from the subscription's outbox mark in the store
//! (`equitas_store::epcis::subscriptions`): the mark moves only once the
//! destination answered 2xx, so a crash or a restart delivers again what
//! was not acknowledged, never less. One delivery at a time per
//! subscription, a few at once in all (`Delivery::concurrency`), each with
//! a timeout; a failed one is tried again after a back-off that doubles
//! up to `Delivery::retry_max`.

use crate::api_doc;
use crate::auth::{Access, Via};
use crate::{AppState, Problem};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{SecondsFormat, Utc};
use equitas_store::StoreError;
use equitas_store::auth::Scope;
use equitas_store::epcis::subscriptions::{
    self as subs, Attempt, Outbox, Subscriber, Subscription, WHOLE_CAPTURE,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How subscriptions are delivered.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// The longest a delivery may take (connecting, sending, the answer's
    /// status); then it has failed.
    pub timeout: Duration,
    /// The wait after a first failure; it doubles with each failure in a
    /// row, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Deliveries in progress at once (one per subscription at most).
    pub concurrency: usize,
    /// Events in one delivery at most (and about `MAX_DELIVERY_BYTES`).
    pub batch: usize,
    /// How often the worker looks for what is due without being woken
    /// (schedules, retries, captures by another process).
    pub poll: Duration,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(600),
            concurrency: 4,
            batch: 100,
            poll: Duration::from_secs(1),
        }
    }
}

/// A delivery's body stops taking events past this size (it holds one
/// event at least).
pub const MAX_DELIVERY_BYTES: usize = 4 << 20;

/// The largest body of `POST /queries` or of a subscription.
const MAX_REQUEST_BYTES: usize = 64 << 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(api_doc::QUERIES_PATH, get(list_queries).post(create_query))
        .route(api_doc::QUERY_PATH, get(get_query).delete(delete_query))
        .route(api_doc::QUERY_EVENTS_PATH, get(query_events))
        .route(
            api_doc::SUBSCRIPTIONS_PATH,
            get(list_subscriptions).post(subscribe),
        )
        .route(
            api_doc::SUBSCRIPTION_PATH,
            get(get_subscription).delete(unsubscribe),
        )
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A small JSON body, declared JSON.
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Value, Problem> {
    crate::guard::body_type(headers)?;
    let bytes = axum::body::to_bytes(body, MAX_REQUEST_BYTES)
        .await
        .map_err(|_| {
            Problem::too_large(format!("the body is larger than {MAX_REQUEST_BYTES} bytes"))
        })?;
    serde_json::from_slice(&bytes).map_err(|e| Problem::bad_body(format!("not JSON: {e}")))
}

fn not_found_query(name: &str) -> Problem {
    Problem::not_found(format!("no named query {name:?}"))
}

fn created(location: String, body: impl serde::Serialize) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Too many held: a conflict with what is there.
fn full(e: StoreError) -> Problem {
    match e {
        StoreError::Invalid(m) => Problem::new(409, "/problems/conflict", "Conflict", m),
        other => other.into(),
    }
}

async fn create_query(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let d = equitas_service::subscriptions::query_definition(&json_body(&headers, body).await?)?;
    let turn = s.write_turn().await?;
    let (name, query) = (d.name.clone(), d.query.clone());
    let saved = s
        .with_store(move |st| {
            let _turn = turn;
            let at = now();
            if !subs::save_query(st, &name, &query, &at).map_err(full)? {
                return Ok(None);
            }
            Ok(subs::query(st, &name)?)
        })
        .await?;
    match saved {
        Some(q) => Ok(created(format!("/queries/{}", q.name), q)),
        None => Err(Problem::new(
            409,
            "/problems/conflict",
            "Conflict",
            format!("a query named {:?} exists; delete it first", d.name),
        )
        .at("name")),
    }
}

async fn list_queries(State(s): State<AppState>) -> Result<Response, Problem> {
    let qs = s.with_store(|st| Ok(subs::queries(st)?)).await?;
    Ok(Json(qs).into_response())
}

async fn get_query(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let q = s
        .with_store(move |st| subs::query(st, &name)?.ok_or_else(|| not_found_query(&name)))
        .await?;
    Ok(Json(q).into_response())
}

async fn delete_query(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let turn = s.write_turn().await?;
    s.with_store(move |st| {
        let _turn = turn;
        if subs::delete_query(st, &name)? {
            Ok(StatusCode::NO_CONTENT.into_response())
        } else {
            Err(not_found_query(&name))
        }
    })
    .await
}

async fn query_events(
    State(s): State<AppState>,
    axum::Extension(access): axum::Extension<crate::auth::Access>,
    Path(name): Path<String>,
    q: crate::routes::Q,
) -> Result<Response, Problem> {
    let Query(page) = q.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    // The paging parameters are checked before the query is looked for.
    equitas_service::Args::api(
        equitas_service::subscriptions::page_params(),
        page.iter().map(|(k, v)| (k, v)),
    )?;
    let n = name.clone();
    let stored = s
        .with_store(move |st| subs::query(st, &n)?.ok_or_else(|| not_found_query(&n)))
        .await?;
    let eq = equitas_service::subscriptions::event_query(&stored.query, &page)?;
    crate::epcis::events_page(&s, eq, &format!("/queries/{name}/events"), &access).await
}

/// Who a caller is, for a subscription's deliveries: `None` for a server
/// without accounts (every event).
fn subscriber(access: &Access) -> Option<Subscriber> {
    access.user.clone().map(|user| Subscriber {
        user,
        token: match access.via {
            Via::Token(id) => Some(id),
            _ => None,
        },
    })
}

/// True if `who` may administer everywhere now: it may manage any
/// subscription and, without a list of webhook hosts, choose where the
/// server posts.
fn administers_everywhere(
    st: &mut dyn equitas_store::Store,
    who: &Subscriber,
) -> Result<bool, equitas_store::StoreError> {
    Ok(equitas_store::auth::caller_scope(
        st,
        &who.user,
        who.token,
        equitas_store::auth::Permission::Administer,
        equitas_store::auth::now(),
    )?
    .is_some_and(|a| a.is_all()))
}

/// A subscription the caller may see and delete: its own, or any for a
/// caller who may administer everywhere (or a server without accounts).
fn may_manage(
    st: &mut dyn equitas_store::Store,
    access: &Access,
    sub: &Subscription,
) -> Result<bool, Problem> {
    let Some(me) = subscriber(access) else {
        return Ok(true);
    };
    if sub.subscriber.as_deref() == Some(me.user.as_str()) {
        return Ok(true);
    }
    Ok(administers_everywhere(st, &me)?)
}

async fn subscribe(
    State(s): State<AppState>,
    axum::Extension(access): axum::Extension<Access>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let mut new = equitas_service::subscriptions::subscription(
        &name,
        &json_body(&headers, body).await?,
        Utc::now(),
    )?;
    // Deliveries carry only the events within this caller's read scope,
    // checked again at each delivery.
    new.subscriber = subscriber(&access);
    if let Some(why) = refused_host(&s, &new.dest) {
        return Err(Problem::bad_parameter("dest", format!("dest: {why}")));
    }
    // Without a list of hosts, the server posts wherever `dest` says, its
    // own network included: with accounts, only an administrator may
    // choose that (a user pass, 2026-12-07: an analyst had the server post
    // events to a port of its own machine).
    if s.webhook_hosts.is_empty()
        && let Some(me) = subscriber(&access)
    {
        let admin = s
            .with_store(move |st| administers_everywhere(st, &me).map_err(Problem::from))
            .await?;
        if !admin {
            return Err(Problem::forbidden(
                "/problems/forbidden",
                "this server has no list of webhook hosts (equitas serve --webhook-allow-host HOST), so it would post to any host, its own network included: only an administrator may subscribe then",
            ));
        }
    }
    let turn = s.write_turn().await?;
    let sub = s
        .with_store(move |st| {
            let _turn = turn;
            subs::subscribe(st, &new, &now())
                .map_err(full)?
                .ok_or_else(|| not_found_query(&new.query_name))
        })
        .await?;
    s.deliveries.notify_one();
    Ok(created(
        format!("/queries/{name}/subscriptions/{}", sub.id),
        sub,
    ))
}

/// The subscriptions the caller may manage (its own, or all for an
/// administrator everywhere).
async fn list_subscriptions(
    State(s): State<AppState>,
    axum::Extension(access): axum::Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    let v = s
        .with_store(move |st| {
            if subs::query(st, &name)?.is_none() {
                return Err(not_found_query(&name));
            }
            let mut out = Vec::new();
            for sub in subs::subscriptions(st, &name)? {
                if may_manage(st, &access, &sub)? {
                    out.push(sub);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(v).into_response())
}

/// Another caller's subscription is not found, as one never made (unless
/// the caller administers everywhere).
async fn get_subscription(
    State(s): State<AppState>,
    axum::Extension(access): axum::Extension<Access>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let v = s
        .with_store(move |st| {
            let found = subs::subscription_of(st, &name, &id)?;
            match found {
                Some(sub) if may_manage(st, &access, &sub)? => Ok(sub),
                _ => Err(Problem::not_found(format!(
                    "no subscription {id} of query {name:?}"
                ))),
            }
        })
        .await?;
    Ok(Json(v).into_response())
}

async fn unsubscribe(
    State(s): State<AppState>,
    axum::Extension(access): axum::Extension<Access>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let turn = s.write_turn().await?;
    s.with_store(move |st| {
        let _turn = turn;
        let mine = match subs::subscription_of(st, &name, &id)? {
            Some(sub) => may_manage(st, &access, &sub)?,
            None => false,
        };
        if mine && subs::unsubscribe(st, &name, &id)? {
            Ok(StatusCode::NO_CONTENT.into_response())
        } else {
            Err(Problem::not_found(format!(
                "no subscription {id} of query {name:?}"
            )))
        }
    })
    .await
}

/// Why `dest` may not be delivered to by this server, if it may not: its
/// host is not among those `--webhook-allow-host` names.
fn refused_host(state: &AppState, dest: &str) -> Option<String> {
    if state.webhook_hosts.is_empty() {
        return None;
    }
    let host = reqwest::Url::parse(dest)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    (!state.webhook_hosts.contains(&host)).then(|| {
        format!(
            "{dest:?}: this server delivers only to {} (equitas serve --webhook-allow-host)",
            state.webhook_hosts.join(", ")
        )
    })
}

/// The `GS1-Signature` of a body: `sha256=` and the hex HMAC-SHA256 of the
/// body's bytes with the token.
pub fn signature(token: &str, body: &[u8]) -> String {
    use hmac::Mac;
    // HMAC takes a key of any length (RFC 2104), so this cannot fail.
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delivers what is due, until `stop` fires (or its sender is dropped):
/// woken by each capture and subscription made here, and every `poll` for
/// schedules, retries and captures made by other processes. On `stop` it
/// starts nothing more and returns once the deliveries under way have
/// ended; aborted (the caller's grace over), it aborts them.
pub(crate) async fn worker(state: AppState, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let opts = state.delivery;
    let client = match reqwest::Client::builder()
        .connect_timeout(opts.timeout)
        .timeout(opts.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .user_agent(concat!("Equitas/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot make the HTTP client: subscriptions are not delivered");
            return;
        }
    };
    let permits = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
    // The deliveries under way: dropping the set (the worker aborted at the
    // end of the shutdown grace) aborts them, their marks unwritten, so
    // they are sent again from their marks at the next start.
    let mut running = tokio::task::JoinSet::new();
    'serve: loop {
        while running.try_join_next().is_some() {}
        let found = state
            .with_store(|st| {
                Ok((
                    equitas_store::epcis::newest_capture(st)?,
                    subs::all_subscriptions(st)?,
                ))
            })
            .await;
        match found {
            Err(e) => tracing::warn!(error = %e.detail, "cannot read the subscriptions"),
            Ok((newest, list)) => {
                let now = Utc::now();
                for sub in list {
                    if !due(&sub, newest, now) {
                        continue;
                    }
                    if !busy
                        .lock()
                        .map(|mut b| b.insert(sub.id.clone()))
                        .unwrap_or(false)
                    {
                        continue;
                    }
                    // Waiting for a place among the deliveries, but not past
                    // `stop`: nothing starts after it.
                    let permit = tokio::select! {
                        p = permits.clone().acquire_owned() => match p {
                            Ok(p) => p,
                            Err(_) => break 'serve,
                        },
                        _ = &mut stop => break 'serve,
                    };
                    let (state, client) = (state.clone(), client.clone());
                    let done = Done {
                        busy: busy.clone(),
                        id: sub.id.clone(),
                    };
                    running.spawn(async move {
                        let more = deliver(&state, &client, sub, newest).await;
                        // The subscription is free again even if the delivery
                        // panicked (`done` is dropped on unwind too).
                        drop(done);
                        drop(permit);
                        if more {
                            state.deliveries.notify_one();
                        }
                    });
                }
            }
        }
        tokio::select! {
            () = state.deliveries.notified() => {}
            () = tokio::time::sleep(opts.poll) => {}
            _ = &mut stop => break,
        }
    }
    while running.join_next().await.is_some() {}
}

/// Frees a subscription for the next delivery when its delivery ends,
/// however it ends.
struct Done {
    busy: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Drop for Done {
    fn drop(&mut self) {
        if let Ok(mut b) = self.busy.lock() {
            b.remove(&self.id);
        }
    }
}

fn parse_time(t: &str) -> Option<chrono::DateTime<Utc>> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a subscription has something to do now: not waiting to retry,
/// and for a stream, captures after its mark; for a schedule, a run in
/// progress or due.
fn due(s: &Subscription, newest: i64, now: chrono::DateTime<Utc>) -> bool {
    if s.retry_at
        .as_deref()
        .and_then(parse_time)
        .is_some_and(|t| t > now)
    {
        return false;
    }
    let (seq, event) = s.outbox.mark;
    if s.stream {
        seq < newest || (seq == newest && event != WHOLE_CAPTURE)
    } else {
        s.outbox.run_until.is_some()
            || s.next_run
                .as_deref()
                .and_then(parse_time)
                .is_some_and(|t| t <= now)
    }
}

/// One delivery attempt of `sub`: the next batch of its events after its
/// mark (up to capture `newest`, or to the end of its scheduled run),
/// posted and recorded. True if more is due at once.
/// Whether scheduled subscription `sub`'s run in progress has delivered
/// nothing yet: it is its first look, or no delivery was acknowledged since
/// the run fell due (a run in progress keeps its `nextRun`).
fn nothing_sent_in_run(sub: &Subscription) -> bool {
    let time = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    };
    if sub.outbox.run_until.is_none() {
        return true;
    }
    match (time(&sub.last_notified_at), time(&sub.next_run)) {
        (None, _) => true,
        (Some(last), Some(due)) => last < due,
        (Some(_), None) => false,
    }
}

async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    listed: Subscription,
    newest: i64,
) -> bool {
    let opts = state.delivery;
    let (id, query_name) = (listed.id.clone(), listed.query_name.clone());
    // The subscription as it stands now, not as listed: a delivery that
    // ended since the list was read has moved its mark.
    let found = state
        .with_store(move |st| {
            let (Some(sub), Some(q)) = (
                subs::subscription_of(st, &query_name, &listed.id)?,
                subs::query(st, &query_name)?,
            ) else {
                return Ok(None);
            };
            let mut eq = equitas_service::subscriptions::event_query(&q.query, &[])?;
            eq.after_commit = Some(sub.outbox.mark);
            eq.until_commit = Some(sub.outbox.run_until.unwrap_or(newest));
            eq.from_record_time = sub.initial_record_time.clone();
            eq.limit = opts.batch;
            let events = equitas_store::epcis::query_events(st, &eq)?;
            // The subscriber's read scope as it stands now (`None`: it
            // may read nothing any more).
            let scope = match sub.subscriber() {
                None => Some(Scope::All),
                Some(who) => equitas_store::auth::caller_scope(
                    st,
                    &who.user,
                    who.token,
                    equitas_store::auth::Permission::Read,
                    equitas_store::auth::now(),
                )?,
            };
            // Whether it may still choose where the server posts (an
            // administrator of everything, or no accounts).
            let admin = match sub.subscriber() {
                None => true,
                Some(who) => administers_everywhere(st, &who)?,
            };
            // The events it may read ([`crate::epcis::readable`]).
            let shown = match &scope {
                Some(scope) => Some(crate::epcis::readable(st, scope, &events)?),
                None => None,
            };
            Ok(Some((sub, events, shown, admin)))
        })
        .await;
    let (sub, events, shown, admin) = match found {
        Ok(Some(x)) => x,
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(subscription = %id, error = %e.detail, "cannot read a subscription's events");
            return false;
        }
    };
    if !due(&sub, newest, Utc::now()) {
        return false;
    }
    let until = sub.outbox.run_until.unwrap_or(newest);
    let Some(shown) = shown else {
        // Nothing delivered, the mark kept: it resumes if the permission
        // comes back (or the subscription is deleted).
        let error = format!(
            "the subscriber {:?} may no longer read events (user disabled or removed, token revoked or expired, or role withdrawn)",
            sub.subscriber.as_deref().unwrap_or_default()
        );
        record_failure(state, opts, &id, sub.attempts, error).await;
        return false;
    };
    // The events that fit in one body; those outside the subscriber's
    // scope are passed over (the mark moves past them, unsent), as the
    // query route leaves them out of its pages.
    let mut list = Vec::new();
    let mut size = 0;
    let mut last = None;
    let mut taken = 0;
    for e in &events {
        if shown.contains(&e.cursor) {
            let v = e.event.clone();
            size += v.to_string().len();
            if !list.is_empty() && size > MAX_DELIVERY_BYTES {
                break;
            }
            list.push(v);
        }
        taken += 1;
        last = Some((e.commit, e.cursor));
    }
    let more = taken < events.len() || events.len() >= opts.batch;
    let schedule = sub
        .schedule
        .as_ref()
        .and_then(|v| equitas_service::subscriptions::Schedule::parse(v).ok());
    let next_run = || {
        schedule
            .as_ref()
            .and_then(|s| s.next_after(Utc::now()))
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
    };
    // Where the outbox stands once this is delivered.
    let (outbox, next) = match last {
        Some(m) if more => (
            Outbox {
                mark: m,
                run_until: (!sub.stream).then_some(until),
            },
            None,
        ),
        _ => (
            Outbox {
                mark: (until, WHOLE_CAPTURE),
                run_until: None,
            },
            if sub.stream { None } else { next_run() },
        ),
    };
    // Nothing to send: the mark moves on (a schedule's run that ends having
    // sent nothing reports an empty result if it was asked to, also when
    // its events, over several batches, were all outside the scope).
    let report_empty = !sub.stream && sub.report_if_empty && !more && nothing_sent_in_run(&sub);
    if list.is_empty() && !report_empty {
        if outbox != sub.outbox || next.is_some() {
            record(
                state,
                &id,
                Attempt::Skipped {
                    outbox,
                    next_run: next,
                },
            )
            .await;
        }
        return more;
    }
    let n = list.len();
    // Allowed when subscribed, perhaps not since the server was restarted.
    if let Some(error) = refused_host(state, &sub.dest) {
        record_failure(state, opts, &id, sub.attempts, error).await;
        return false;
    }
    // Without a list of hosts, only an administrator's subscription is
    // delivered: one made before that rule, or whose subscriber is no
    // longer an administrator, fails, saying why (a review, 2026-12-07).
    if state.webhook_hosts.is_empty() && !admin {
        let error = format!(
            "this server has no list of webhook hosts (equitas serve --webhook-allow-host HOST), and the subscriber {:?} is not an administrator: nothing is posted to {}",
            sub.subscriber.as_deref().unwrap_or_default(),
            sub.dest
        );
        record_failure(state, opts, &id, sub.attempts, error).await;
        return false;
    }
    let body = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": now(),
        "epcisBody": {"queryResults": {
            "queryName": sub.query_name,
            "subscriptionID": sub.id,
            "resultsBody": {"eventList": list}
        }}
    })
    .to_string();
    let mut req = client
        .post(&sub.dest)
        .header(header::CONTENT_TYPE, "application/json")
        .header("GS1-EPCIS-Version", "2.0.0");
    if let Some(t) = &sub.signature_token {
        req = req.header("GS1-Signature", signature(t, body.as_bytes()));
    }
    let outcome = match req.body(body).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{} answered {}", sub.dest, r.status())),
        Err(e) => Err(error_chain(&e)),
    };
    match outcome {
        Ok(()) => {
            record(
                state,
                &id,
                Attempt::Delivered {
                    events: n,
                    outbox,
                    next_run: next,
                },
            )
            .await;
            more
        }
        Err(error) => {
            record_failure(state, opts, &id, sub.attempts, error).await;
            false
        }
    }
}

/// Records a failed attempt (the `attempts`-th in a row before it) and
/// when to try again, after [`backoff`].
async fn record_failure(state: &AppState, opts: Delivery, id: &str, attempts: i64, error: String) {
    let attempts = attempts + 1;
    let wait = backoff(opts, attempts);
    tracing::info!(subscription = %id, attempts, ?wait, %error, "delivery failed; trying again later");
    let retry_at = (Utc::now()
        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(600)))
    .to_rfc3339_opts(SecondsFormat::Millis, true);
    record(
        state,
        id,
        Attempt::Failed {
            attempts,
            retry_at,
            error,
        },
    )
    .await;
}

/// The wait before attempt `attempts + 1`: `retry_base`, doubled for each
/// failure in a row, at most `retry_max`.
pub fn backoff(opts: Delivery, attempts: i64) -> Duration {
    let doublings = (attempts - 1).clamp(0, 30) as u32;
    opts.retry_base
        .saturating_mul(1 << doublings)
        .min(opts.retry_max)
}

/// An error with its causes (reqwest's own message names little).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Records an attempt, waiting for a turn to write; a failure is logged
/// (the delivery is then made again: at least once).
async fn record(state: &AppState, id: &str, a: Attempt) {
    let turn = match state.write_turn().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(subscription = %id, error = %e.detail, "cannot record a delivery");
            return;
        }
    };
    let id2 = id.to_string();
    let r = state
        .with_store(move |st| {
            let _turn = turn;
            Ok(subs::record(st, &id2, &a, &now())?)
        })
        .await;
    if let Err(e) = r {
        tracing::warn!(subscription = %id, error = %e.detail, "cannot record a delivery");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_bound() {
        let d = Delivery {
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
            ..Default::default()
        };
        let waits: Vec<u64> = (1..=7).map(|n| backoff(d, n).as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(d, 10_000).as_secs(), 60);
    }
}
