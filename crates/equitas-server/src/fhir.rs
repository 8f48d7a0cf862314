//! HL7 FHIR R5 (issue 24; docs/interop.md): `POST /fhir` (a Bundle),
//! `POST /fhir/{Resource}` (one MedicationDispense, SupplyDelivery or
//! InventoryReport) and `GET /fhir/InventoryReport?location=...[&as_of=...]`.
//! Thin: reading and the snapshot are `equitas_service::interop`'s; a bad
//! resource is answered `400` with an OperationOutcome naming the element.
//! Products by GTIN coding or through the stored product code mapping
//! (`equitas interop fhir codes`), as on the command line.

use crate::{AppState, Problem, api_doc};
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use equitas_interop::fhir::{Codes, Issue, OperationOutcome};
use equitas_service::interop::{FhirError, fhir_import, fhir_inventory};
use serde_json::{Value, json};
use std::collections::HashMap;

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
            Kind::Date,
            "Stock at the end of this day (YYYY-MM-DD); default the last day with data.",
        ),
    ]
}

/// A problem of this route, as FHIR clients read errors: an
/// OperationOutcome with the same status, naming the parameter.
fn problem_outcome(p: Problem) -> Response {
    let code = match p.status {
        400 => "invalid",
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
    let taken = crate::body::take(headers, body, &s.limits, &s.spools).await?;
    Ok(taken.bytes().to_vec())
}

/// Reads and captures `bytes`; `expect`: the resource type the path names.
async fn store(
    s: AppState,
    bytes: Vec<u8>,
    source: &'static str,
    expect: Option<String>,
) -> Result<Response, Problem> {
    if let Some(want) = &expect {
        let found = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| {
            v.get("resourceType")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        if found.as_deref() != Some(want.as_str()) {
            return Ok(outcome(
                StatusCode::BAD_REQUEST,
                &OperationOutcome::new(vec![Issue {
                    severity: "error".into(),
                    code: "invalid".into(),
                    diagnostics: format!(
                        "the path names {want}, the body is {}",
                        found.as_deref().unwrap_or("no resource")
                    ),
                    expression: vec![format!("{want}.resourceType")],
                }]),
            ));
        }
    }
    let turn = s.write_turn().await?;
    let r = s
        .with_store(move |st| {
            let _turn = turn;
            match fhir_import(st, source, &bytes, &Codes::default()) {
                Ok(r) => Ok(Ok(r)),
                Err(FhirError::Outcome(o)) => Ok(Err(o)),
                Err(FhirError::Store(e)) => Err(Problem::from(e)),
            }
        })
        .await?;
    Ok(match r {
        Err(o) => outcome(StatusCode::BAD_REQUEST, &o),
        Ok(r) => {
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
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let bytes = take(&s, &headers, body).await?;
    store(s, bytes, "POST /fhir", Some("Bundle".into())).await
}

async fn resource(
    State(s): State<AppState>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let bytes = take(&s, &headers, body).await?;
    store(s, bytes, "POST /fhir/{Resource}", Some(kind)).await
}

async fn resource_inventory(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let bytes = take(&s, &headers, body).await?;
    store(
        s,
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
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    match inventory_bundle(s, q).await {
        Ok(r) => r,
        Err(p) => problem_outcome(p),
    }
}

async fn inventory_bundle(
    s: AppState,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    let Ok(Query(q)) = q else {
        return Err(Problem::bad_parameter(
            "query",
            "an unreadable query string",
        ));
    };
    if let Some(k) = q
        .keys()
        .find(|k| !matches!(k.as_str(), "location" | "as_of"))
    {
        return Err(Problem::bad_parameter(
            k,
            format!("{k}: not a parameter of this search (location, as_of)"),
        ));
    }
    let Some(location) = q.get("location").cloned() else {
        return Err(Problem::bad_parameter(
            "location",
            "location: required (a location code or GLN)",
        ));
    };
    let as_of = match q.get("as_of") {
        None => None,
        Some(d) => Some(equitas_ledger::calendar::parse_day(d).ok_or_else(|| {
            Problem::bad_parameter("as_of", format!("as_of: {d:?} is not a date (YYYY-MM-DD)"))
        })?),
    };
    let mut b = s
        .with_store(move |st| Ok(fhir_inventory(st, &location, as_of)?))
        .await?;
    b["type"] = json!("searchset");
    let n = b["entry"].as_array().map_or(0, Vec::len);
    b["total"] = json!(n);
    Ok(fhir_json(StatusCode::OK, b))
}
