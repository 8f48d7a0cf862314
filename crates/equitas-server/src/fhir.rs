//! HL7 FHIR R5 (issue 24; docs/interop.md): `POST /fhir` (a Bundle),
//! `POST /fhir/{Resource}` (one MedicationDispense, SupplyDelivery or
//! InventoryReport) and `GET /fhir/InventoryReport?location=...[&as_of=...]`.
//! Thin: reading and the snapshot are `equitas_service::interop`'s; a bad
//! resource is answered `400` with an OperationOutcome naming the element.
//! Products by GTIN coding or through the stored product code mapping
//! (`equitas interop fhir codes`), as on the command line.
//!
//! Under accounts the caller's scope is checked as EPCIS capture checks it
//! (`crate::epcis::within`): a movement at a location outside the capture
//! scope refuses the whole request (`403`, an OperationOutcome naming the
//! element, nothing written); registry resources (Location, Organization,
//! ConceptMap) are reference data, refused to a scoped caller; the search
//! refuses a location outside the read scope and holds only the stock
//! lines within it. A write's audit entry is in its capture's transaction.

use crate::auth::Access;
use crate::{AppState, Problem, api_doc};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use equitas_interop::fhir::{Codes, Issue, OperationOutcome, Read};
use equitas_service::interop::{FhirError, FhirWrite, fhir_import_with, fhir_inventory_within};
use equitas_store::auth::{self, Scope};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(api_doc::FHIR_PATH, post(bundle))
        .route(
            api_doc::FHIR_INVENTORY_PATH,
            get(inventory).post(resource_inventory),
        )
        .route(api_doc::FHIR_RESOURCE_PATH, post(resource))
}

/// The query parameters of `GET /fhir/InventoryReport` (described in
/// `/openapi.json` from these).
pub fn inventory_params() -> Vec<equitas_service::Param> {
    use equitas_service::{Kind, Param};
    vec![
        Param::new(
            "location",
            Kind::Text,
            "A location code or GLN (required): a snapshot of it and of every place below it.",
        ),
        Param::new(
            "as_of",
            Kind::Day,
            "Stock at the end of this day (YYYY-MM-DD), or of a month's last day (YYYY-MM); default the last day with data.",
        ),
    ]
}

/// A problem of this route, as FHIR clients read errors: an
/// OperationOutcome with the same status, naming the parameter.
fn problem_outcome(p: Problem) -> Response {
    let code = match p.status {
        400 => "invalid",
        403 => "forbidden",
        404 => "not-found",
        409 => "processing",
        _ => "exception",
    };
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    outcome(
        status,
        &OperationOutcome::new(vec![Issue {
            severity: "error".into(),
            code: code.into(),
            diagnostics: p.detail,
            expression: p.parameter.into_iter().collect(),
        }]),
    )
}

fn fhir_json(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/fhir+json")],
        v.to_string(),
    )
        .into_response()
}

fn outcome(status: StatusCode, o: &OperationOutcome) -> Response {
    fhir_json(status, serde_json::to_value(o).unwrap_or_default())
}

async fn take(s: &AppState, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Problem> {
    let taken =
        crate::body::take_typed(headers, body, &s.limits, &s.spools, crate::guard::fhir_type)
            .await?;
    Ok(taken.bytes().to_vec())
}

/// Why `read` may not be written by a caller of `scope` (`None`: it may):
/// each registry resource (reference data of every place) and each
/// movement at a location outside the scope, by the element naming it.
fn outside_scope(read: &Read, scope: &Scope) -> Option<OperationOutcome> {
    if scope.is_all() {
        return None;
    }
    let label = scope.label();
    let forbidden = |expression: Vec<String>, diagnostics: String| Issue {
        severity: "error".into(),
        code: "forbidden".into(),
        diagnostics,
        expression,
    };
    let mut issues = Vec::new();
    for (kind, paths) in [
        (
            "Location",
            read.locations.iter().map(|(p, _)| p.clone()).collect(),
        ),
        (
            "Organization",
            read.organizations.iter().map(|(p, _)| p.clone()).collect(),
        ),
        ("ConceptMap", Vec::new()),
    ] {
        if read.read.get(kind).copied().unwrap_or(0) > 0 {
            let paths: Vec<String> = paths;
            issues.push(forbidden(
                if paths.is_empty() {
                    vec![kind.to_string()]
                } else {
                    paths
                },
                format!(
                    "a {kind} is reference data of every place: writing it needs the capture \
                     permission everywhere, and yours reaches only {label}"
                ),
            ));
        }
    }
    // Each event checked as an EPCIS capture checks it: its place, every
    // movement it makes and the item moved (a scope by programme).
    let doc = read.epcis_document();
    let reader = equitas_epcis::EventReader::new(&doc).ok();
    let mut named = std::collections::BTreeSet::new();
    for i in 0..read.events.len() {
        let checked = reader
            .as_ref()
            .and_then(|d| d.event(i).ok().map(|n| (d, n)))
            .and_then(|(d, n)| equitas_epcis::event::record(&n, d.hash_ignore()).ok());
        // An event that cannot be read back cannot be checked: refused
        // (the capture would refuse it too), never let through on a
        // weaker check.
        let why = match checked {
            Some(r) => crate::epcis::event_outside(&r, scope).map(|(_, why)| why),
            None => Some(format!(
                "the event made from this resource could not be checked against your scope ({label})"
            )),
        };
        let Some(why) = why else { continue };
        let path = read
            .event_paths
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("event {i}"));
        if named.insert(path.clone()) {
            issues.push(forbidden(vec![path], why));
        }
    }
    (!issues.is_empty()).then(|| OperationOutcome::new(issues))
}

/// Reads and captures `bytes`; `expect`: the resource type the path names.
async fn store(
    s: AppState,
    access: Access,
    bytes: Vec<u8>,
    source: &'static str,
    expect: Option<String>,
) -> Result<Response, Problem> {
    if let Some(want) = &expect {
        // Not JSON, empty, nested too deeply, not an object: said as such.
        let v = match equitas_interop::fhir::parse_resource(&bytes, want) {
            Ok(v) => v,
            Err(i) => {
                return Ok(outcome(
                    StatusCode::BAD_REQUEST,
                    &OperationOutcome::new(vec![i]),
                ));
            }
        };
        let found = v.get("resourceType").and_then(Value::as_str);
        if found != Some(want.as_str()) {
            return Ok(outcome(
                StatusCode::BAD_REQUEST,
                &OperationOutcome::new(vec![Issue {
                    severity: "error".into(),
                    code: "invalid".into(),
                    diagnostics: match found {
                        Some(f) => format!("the path names {want}, the body is a {f}"),
                        None => format!(
                            "the path names {want}, the body is an object without resourceType"
                        ),
                    },
                    expression: vec![format!("{want}.resourceType")],
                }]),
            ));
        }
    }
    let turn = s.write_turn().await?;
    let r = s
        .with_store(move |st| {
            let _turn = turn;
            let scope = access.scope.clone();
            let check = move |read: &Read| outside_scope(read, &scope).map_or(Ok(()), Err);
            let a = access.clone();
            // The audit entry of the movements, in their capture's own
            // transaction (as EPCIS capture's).
            let mut before_commit =
                |tx: &mut dyn equitas_store::Conn, r: &equitas_store::epcis::CaptureReport| {
                    auth::audit(
                        tx,
                        &a.actor,
                        a.address.as_deref(),
                        "capture",
                        &capture_line(source, r),
                        a.scope.label(),
                    )
                };
            let write = FhirWrite {
                check: &check,
                before_commit: &mut before_commit,
            };
            match fhir_import_with(st, source, &bytes, &Codes::default(), write) {
                Ok(r) => {
                    // No movement (registry entries, codes, resources that
                    // move nothing): audited once written (the registry is
                    // written by its own imports, before any capture).
                    if r.capture.is_none() {
                        let read: Vec<String> = r
                            .read
                            .read
                            .iter()
                            .map(|(k, n)| format!("{n} {k}"))
                            .collect();
                        access.audit(
                            st,
                            "fhir",
                            &format!("{source}: read {}; no movement", read.join(", ")),
                        )?;
                    }
                    Ok(Ok(r))
                }
                Err(FhirError::Outcome(o)) => Ok(Err((StatusCode::BAD_REQUEST, o))),
                Err(FhirError::Refused(o)) => {
                    access.audit(
                        st,
                        "capture-refused",
                        &format!(
                            "{source}: {} element(s) outside the scope, nothing written",
                            o.issue.len()
                        ),
                    )?;
                    Ok(Err((StatusCode::FORBIDDEN, o)))
                }
                Err(FhirError::Store(e)) => Err(Problem::from(e)),
            }
        })
        .await?;
    Ok(match r {
        Err((status, o)) => outcome(status, &o),
        Ok(r) => {
            if r.capture.as_ref().is_some_and(|c| c.captured > 0) {
                s.deliveries.notify_one();
            }
            let (captured, duplicates) = r
                .capture
                .as_ref()
                .map_or((0, 0), |c| (c.captured, c.duplicates));
            let read: Vec<String> = r
                .read
                .read
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            let mut issue = vec![json!({
                "severity": "information",
                "code": "informational",
                "diagnostics": format!(
                    "read {}; {captured} movement event(s) captured, {duplicates} already held",
                    read.join(", ")
                ),
            })];
            if let Some(t) = &r.codes {
                issue.push(json!({
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": format!(
                        "product codes: {} new, {} updated, {} unchanged",
                        t.inserted, t.updated, t.unchanged
                    ),
                }));
            }
            if let Some(g) = &r.registry {
                issue.push(json!({
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": format!(
                        "organisations: {} new, {} updated, {} unchanged; managing organisations of locations: {} new, {} updated, {} unchanged",
                        g.organizations.inserted, g.organizations.updated, g.organizations.unchanged,
                        g.links.inserted, g.links.updated, g.links.unchanged
                    ),
                }));
            }
            if let Some(l) = &r.locations {
                let t = l.total();
                issue.push(json!({
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": format!(
                        "locations: {} new, {} updated, {} unchanged",
                        t.inserted, t.updated, t.unchanged
                    ),
                }));
            }
            issue.extend(r.read.notes.iter().map(
                |n| json!({"severity": "information", "code": "informational", "diagnostics": n}),
            ));
            fhir_json(
                StatusCode::OK,
                json!({"resourceType": "OperationOutcome", "issue": issue}),
            )
        }
    })
}

async fn bundle(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let bytes = take(&s, &headers, body).await?;
    store(s, access, bytes, "POST /fhir", Some("Bundle".into())).await
}

async fn resource(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let bytes = take(&s, &headers, body).await?;
    store(s, access, bytes, "POST /fhir/{Resource}", Some(kind)).await
}

async fn resource_inventory(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let bytes = take(&s, &headers, body).await?;
    store(
        s,
        access,
        bytes,
        "POST /fhir/InventoryReport",
        Some("InventoryReport".into()),
    )
    .await
}

/// Errors are OperationOutcomes too (a parameter, an unknown location, no
/// stock loaded), naming the parameter.
async fn inventory(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    q: crate::routes::Q,
) -> Response {
    match inventory_bundle(s, access.scope, q).await {
        Ok(r) => r,
        Err(p) => problem_outcome(p),
    }
}

async fn inventory_bundle(
    s: AppState,
    scope: Scope,
    q: crate::routes::Q,
) -> Result<Response, Problem> {
    // The shared reading of parameters: an unknown one is refused, and so
    // is one given twice (in FHIR a repeated search parameter means AND,
    // which this search does not offer), each named.
    let a = crate::routes::args(q, inventory_params())?;
    let Some(location) = a.get::<String>("location")? else {
        return Err(Problem::bad_parameter(
            "location",
            "location: required (a location code or GLN)",
        ));
    };
    let as_of = a.day("as_of")?;
    // A place outside the read scope is refused, named; within it, the
    // snapshot holds only the stock lines of the scope (its programmes).
    if !crate::epcis::within(&scope, [Some(location.as_str()), None]) {
        return Err(Problem::new(
            403,
            "/problems/out-of-scope",
            "Outside your scope",
            format!(
                "location {location:?} is outside your scope (your read permission reaches {})",
                scope.label()
            ),
        )
        .at("location"));
    }
    let found = s
        .with_store(move |st| Ok(fhir_inventory_within(st, &location, as_of, &scope)?))
        .await?;
    let mut b = found.bundle;
    b["type"] = json!("searchset");
    let n = b["entry"].as_array().map_or(0, Vec::len);
    b["total"] = json!(n);
    // A search matching nothing is a 200 with an empty searchset (FHIR's
    // search); why it matched nothing is an OperationOutcome entry of
    // search mode `outcome`, as `equitas stock` notes why it has no rows.
    if let (Some(note), Some(entries)) = (found.note, b["entry"].as_array_mut()) {
        entries.push(json!({
            "resource": {
                "resourceType": "OperationOutcome",
                "issue": [{
                    "severity": "information",
                    "code": "not-found",
                    "diagnostics": note,
                }],
            },
            "search": {"mode": "outcome"},
        }));
    }
    Ok(fhir_json(StatusCode::OK, b))
}

/// The audit line of a FHIR write's capture (as EPCIS capture's).
fn capture_line(source: &str, r: &equitas_store::epcis::CaptureReport) -> String {
    format!(
        "{source}: capture {}: {} events, {} captured, {} duplicates, {} rejected",
        r.capture_id
            .map_or_else(|| "none".into(), |i| i.to_string()),
        r.events,
        r.captured,
        r.duplicates,
        r.rejected.len(),
    )
}
