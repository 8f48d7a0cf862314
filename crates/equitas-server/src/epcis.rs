//! The EPCIS 2.0 REST binding, the part Equitas serves: capture (`POST
//! /capture`, a document; `POST /events`, one event), capture jobs
//! (`GET /capture/{id}`), and queries (`GET /events`, `GET /events/{eventID}`).
//!
//! A capture is done when the request returns: the job is recorded and
//! `202 Accepted` points to it (`Location: /capture/{id}`). With the default
//! `GS1-Capture-Error-Behaviour: rollback`, a document with a bad event is
//! refused with a problem listing each bad event; with `proceed` its good
//! events are stored and the job counts the rejected ones.

use crate::api_doc;
use crate::auth::Access;
use crate::{AppState, Problem};
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use equitas_store::auth::{self, Dim, Scope};
use equitas_store::epcis::{self as ep, ErrorBehaviour};
use equitas_store::import::NoProgress;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(api_doc::CAPTURE_PATH, post(capture_document))
        .route(api_doc::CAPTURE_JOB_PATH, get(capture_job))
        .route(api_doc::EVENTS_PATH, post(capture_event).get(query))
        .route(api_doc::EVENT_PATH, get(event))
}

fn behaviour(h: &HeaderMap) -> Result<ErrorBehaviour, Problem> {
    match h
        .get("GS1-Capture-Error-Behaviour")
        .map(|v| v.to_str().unwrap_or("").trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("rollback") => Ok(ErrorBehaviour::Rollback),
        Some("proceed") => Ok(ErrorBehaviour::Proceed),
        Some(other) => Err(Problem::bad_parameter(
            "GS1-Capture-Error-Behaviour",
            format!("{other:?}: expected rollback or proceed"),
        )),
    }
}

/// Captures a document (the request body): taken within the server's
/// limits, read, checked against the schemas configured and stored one
/// event at a time, on a worker thread, once the writes before it are done
/// (or refused as busy if they take longer than a write waits).
/// `one_event`: the body must hold exactly one event (`POST /events`).
async fn store_document(
    s: AppState,
    access: Access,
    headers: &HeaderMap,
    body: Body,
    source: &'static str,
    one_event: bool,
) -> Result<ep::CaptureReport, Problem> {
    let b = behaviour(headers)?;
    let limits = s.limits;
    let s_deliveries = s.deliveries.clone();
    let taken = crate::body::take(headers, body, &limits, &s.spools).await?;
    let turn = s.write_turn().await?;
    let schemas = s.epcis_schemas.clone();
    let r = s
        .with_store(move |st| {
            // The turn ends with the capture, not with the request (which a
            // client closing its connection would drop early).
            let _turn = turn;
            let text = std::str::from_utf8(taken.bytes()).map_err(|e| {
                Problem::bad_body(format!(
                    "the document is not UTF-8 (byte {} is not)",
                    e.valid_up_to()
                ))
            })?;
            let doc = equitas_epcis::EventReader::new(text)
                .map_err(|e| Problem::bad_body(e.to_string()))?;
            if one_event && doc.len() != 1 {
                return Err(Problem::bad_body(format!(
                    "POST /events takes one event, found {}",
                    doc.len()
                )));
            }
            if doc.len() > limits.events {
                return Err(Problem::too_large(format!(
                    "the document holds {} events, more than the {} this server takes in one request \
                     (equitas serve --max-events); send it in parts",
                    doc.len(),
                    limits.events
                )));
            }
            let mut rejected = ep::schema_rejections(&schemas, &doc, limits.event)
                .map_err(|p| Problem::bad_body(p.to_string()))?;
            let outside = outside_scope(&doc, &access.scope);
            if !outside.is_empty() {
                if b == ErrorBehaviour::Rollback {
                    let why: Vec<String> = outside
                        .iter()
                        .map(|x| format!("event {}: {}: {}", x.index, x.field, x.reason))
                        .collect();
                    access.audit(
                        st,
                        "capture-refused",
                        &format!("{source}: {} events outside the scope", outside.len()),
                    )?;
                    return Err(Problem::new(
                        403,
                        "/problems/out-of-scope",
                        "Outside your scope",
                        format!(
                            "nothing was captured: {} (your capture permission reaches {})",
                            why.join("; "),
                            access.scope.label()
                        ),
                    )
                    .at("body"));
                }
                rejected.extend(outside);
            }
            let line = |r: &ep::CaptureReport| {
                format!(
                    "{source}: capture {}: {} events, {} captured, {} duplicates, {} rejected{}",
                    r.capture_id.map_or_else(|| "none".into(), |i| i.to_string()),
                    r.events,
                    r.captured,
                    r.duplicates,
                    r.rejected.len(),
                    if r.rolled_back { ", rolled back" } else { "" }
                )
            };
            // The audit entry of a committed capture is written in the
            // capture's own transaction: one is never without the other.
            let a = access.clone();
            let r = ep::capture_then(st, source, &doc, rejected, b, &NoProgress, &mut |tx, r| {
                auth::audit(
                    tx,
                    &a.actor,
                    a.address.as_deref(),
                    "capture",
                    &line(r),
                    a.scope.label(),
                )
            })?;
            // Rolled back: nothing committed, the refusal audited on its own.
            if r.rolled_back {
                access.audit(st, "capture", &line(&r))?;
            }
            Ok(r)
        })
        .await?;
    // Stream subscriptions have new events to deliver.
    if r.captured > 0 {
        s_deliveries.notify_one();
    }
    if r.rolled_back {
        let details: Vec<String> = r
            .rejected
            .iter()
            .map(|x| format!("event {}: {}: {}", x.index, x.field, x.reason))
            .collect();
        return Err(Problem::bad_body(format!(
            "nothing was captured (GS1-Capture-Error-Behaviour: rollback): {}",
            details.join("; ")
        )));
    }
    Ok(r)
}

async fn capture_document(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let r = store_document(s, access, &headers, body, "POST /capture", false).await?;
    let id = r.capture_id.unwrap_or_default();
    let mut res = (
        StatusCode::ACCEPTED,
        Json(json!({
            "captureID": id,
            "events": r.events,
            "captured": r.captured,
            "duplicates": r.duplicates,
            "conflicts": r.conflicts,
            "rejected": rejected(&r),
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/capture/{id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// The rejected events of a capture as the answer lists them.
fn rejected(r: &ep::CaptureReport) -> Vec<serde_json::Value> {
    r.rejected
        .iter()
        .map(|x| json!({"index": x.index, "field": x.field, "reason": x.reason}))
        .collect()
}

async fn capture_job(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ep::CaptureJob>, Problem> {
    let n: i64 = id.parse().map_err(|_| {
        Problem::not_found(format!("no capture job {id:?} (capture ids are numbers)"))
    })?;
    s.with_store(move |st| {
        ep::capture_job(st, n)?
            .map(Json)
            .ok_or_else(|| Problem::not_found(format!("no capture job {n}")))
    })
    .await
}

async fn capture_event(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let r = store_document(s, access, &headers, body, "POST /events", true).await?;
    let status = if r.captured == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({
            "captured": r.captured,
            "duplicates": r.duplicates,
            "conflicts": r.conflicts,
            "rejected": rejected(&r),
        })),
    )
        .into_response())
}

/// Events are found as asked, then those the caller may not read are left
/// out ([`readable`]): a page may hold fewer than `perPage` events and still
/// have a next one (`nextPageToken` follows the events found, not those
/// shown).
async fn query(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    q: crate::routes::Q,
) -> Result<Response, Problem> {
    let a = crate::routes::args(q, equitas_service::epcis::query_params())?;
    let eq = equitas_service::epcis::query(&a)?;
    events_page(&s, eq, api_doc::EVENTS_PATH, &access).await
}

/// A page of the events `eq` finds within the caller's scope, with the
/// token of the next page (and its `Link`, at `path`) when the page is full.
pub(crate) async fn events_page(
    s: &AppState,
    eq: ep::EventQuery,
    path: &str,
    access: &Access,
) -> Result<Response, Problem> {
    let per_page = eq.limit;
    let scope = access.scope.clone();
    let (events, next) = s
        .with_store(move |st| {
            let mut events = ep::query_events(st, &eq)?;
            let next = (events.len() == per_page)
                .then(|| events.last().map(|e| e.cursor))
                .flatten();
            let shown = readable(st, &scope, &events)?;
            events.retain(|e| shown.contains(&e.cursor));
            Ok((events, next))
        })
        .await?;
    let mut res = Json(json!({
        "events": events,
        "nextPageToken": next.map(|n| n.to_string()),
    }))
    .into_response();
    if let Some(n) = next
        && let Ok(v) = HeaderValue::from_str(&format!(
            "<{path}?perPage={per_page}&nextPageToken={n}>; rel=\"next\""
        ))
    {
        res.headers_mut().insert(header::LINK, v);
    }
    Ok(res)
}

/// An event outside the caller's scope is not found, as one never captured.
async fn event(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Json<ep::FoundEvent>, Problem> {
    s.with_store(move |st| {
        let found: Vec<ep::FoundEvent> = ep::event_by_id(st, &id)?.into_iter().collect();
        let shown = readable(st, &access.scope, &found)?;
        found
            .into_iter()
            .find(|e| shown.contains(&e.cursor))
            .map(Json)
            .ok_or_else(|| Problem::not_found(format!("no event {id}")))
    })
    .await
}

/// The cursors of the events of `events` a caller of `scope` may read:
/// those whose every named place (read point, business location) is
/// within the scope ([`within`]), and those that move stock at a place of
/// the scope, of an item the scope covers there ([`moves_within`]): the
/// places and items a capture is checked against ([`event_outside`];
/// docs/formulas.md 3.1). A shipment recorded at R01 out of an R02
/// facility (its sourceList) is R02's issue: an R02 viewer reads it, as it
/// moves R02's stock (until 2026-12-07 it was shown to R01 only). An event
/// that names places outside the scope and moves nothing within it is not
/// shown. The stock movements of the events not within by their places are
/// read in one query bounded by their ids (`ep::movements_of`): the page
/// stays the query's, `limit` events at most.
pub(crate) fn readable(
    st: &mut dyn equitas_store::Conn,
    scope: &Scope,
    events: &[ep::FoundEvent],
) -> Result<std::collections::HashSet<i64>, equitas_store::StoreError> {
    let (mut shown, rest): (Vec<&ep::FoundEvent>, Vec<&ep::FoundEvent>) = events
        .iter()
        .partition(|e| within(scope, [e.read_point.as_deref(), e.biz_location.as_deref()]));
    if !rest.is_empty() {
        let moved = ep::movements_of(st, &rest)?;
        shown.extend(rest.into_iter().filter(|e| {
            moved.get(&e.cursor).is_some_and(|m| {
                m.iter()
                    .any(|(place, item)| moves_within(scope, place, item))
            })
        }));
    }
    Ok(shown.into_iter().map(|e| e.cursor).collect())
}

/// True if a stock movement of `item` at `place` (as an event names it) is
/// within `scope`: the place and the item within one grant (two grants, R01
/// for HIV and R02 for everything, give no TB at R01).
pub(crate) fn moves_within(scope: &Scope, place: &str, item: &str) -> bool {
    let gln = ep::gln_of(place);
    let place = gln.as_deref().unwrap_or(place);
    scope.allows(&[(Dim::Location, Some(place)), (Dim::Product, Some(item))])
}

/// True if an event at these locations (read point, business location) is
/// within `scope`: every one given is, and at least one is given.
pub(crate) fn within(scope: &Scope, places: [Option<&str>; 2]) -> bool {
    if scope.is_all() {
        return true;
    }
    let given: Vec<&str> = places.into_iter().flatten().collect();
    !given.is_empty()
        && given.iter().all(|p| {
            let gln = ep::gln_of(p);
            scope.allows(&[(Dim::Location, Some(gln.as_deref().unwrap_or(p)))])
        })
}

/// The events of `doc` a caller of `scope` may not capture, as rejections
/// naming the field ([`event_outside`]). An event that cannot be read is
/// left to the capture, which rejects it with its reason.
fn outside_scope(doc: &equitas_epcis::EventReader, scope: &Scope) -> Vec<ep::Rejected> {
    if scope.is_all() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for i in 0..doc.len() {
        let Ok(node) = doc.event(i) else { continue };
        let Ok(r) = equitas_epcis::event::record(&node, doc.hash_ignore()) else {
            continue;
        };
        if let Some((field, reason)) = event_outside(&r, scope) {
            out.push(ep::Rejected {
                index: i,
                field,
                reason,
            });
        }
    }
    out
}

/// Why a caller of `scope` may not capture the event `r` (the field at
/// fault and the reason), or `None`. The event must name a place, every
/// place it names (read point, business location) must be within the
/// scope, and so must every stock movement it makes, with the item it
/// moves: a shipment is an issue at its source and a receipt without a
/// business location one at its destination (docs/formulas.md 3.1), so
/// checking the read point and business location alone let a district
/// officer ship from another district's facility (user pass, 2026-12-07);
/// a scope by programme reaches only the products of its programmes. A
/// shipment's destination is its counterpart, where the ledger moves no
/// stock: an officer ships out of its scope (a district returning stock to
/// its region), and the receipt at the destination, which does move stock
/// there, is checked as any movement (docs/accounts.md, "Shipping out of
/// a scope").
pub(crate) fn event_outside(
    r: &equitas_epcis::event::EventRecord,
    scope: &Scope,
) -> Option<(String, String)> {
    if scope.is_all() {
        return None;
    }
    let places = [
        ("readPoint", r.read_point.as_deref()),
        ("bizLocation", r.biz_location.as_deref()),
    ];
    if places.iter().all(|(_, p)| p.is_none()) {
        return Some((
            "bizLocation".into(),
            format!(
                "the event names no location, and your capture permission reaches only {}",
                scope.label()
            ),
        ));
    }
    let place_within = |p: &str| within(scope, [Some(p), None]);
    if let Some((field, p)) = places
        .iter()
        .find_map(|(f, p)| p.filter(|p| !place_within(p)).map(|p| (f, p)))
    {
        return Some((
            (*field).into(),
            format!("{p} is outside your scope ({})", scope.label()),
        ));
    }
    for m in equitas_ledger::extract::movements(r).movements {
        if moves_within(scope, &m.location, &m.item) {
            continue;
        }
        let gln = ep::gln_of(&m.location);
        let place = gln.as_deref().unwrap_or(&m.location);
        if !scope.allows(&[(Dim::Location, Some(place))]) {
            // The list that named the place (a source or a destination).
            let field = r
                .parties
                .iter()
                .find(|p| p.id == m.location)
                .map_or("bizLocation", |p| match p.kind {
                    "source" => "sourceList",
                    "destination" => "destinationList",
                    _ => "bizLocation",
                });
            return Some((
                field.into(),
                format!(
                    "the event moves stock at {place} (its {field}), outside your scope ({})",
                    scope.label()
                ),
            ));
        }
        let field = if r.quantities.is_empty() {
            "epcList"
        } else {
            "quantityList"
        };
        return Some((
            field.into(),
            format!(
                "the item {} at {place} is outside your scope ({}): it is not a product of its programmes there",
                m.item,
                scope.label()
            ),
        ));
    }
    None
}
