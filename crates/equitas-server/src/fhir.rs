//! HL7 FHIR R5 (issue 24; docs/interop.md): `POST /fhir` (a Bundle),
//! `POST /fhir/{Resource}` (one MedicationDispense, SupplyDelivery or
//! InventoryReport) and `GET /fhir/InventoryReport?location=...[&as_of=...]`.
//! Thin: reading and the snapshot are `equitas_service::interop`'s; a bad
//! resource is answered `400` with an OperationOutcome naming the element.
//! Products by GTIN coding or through the stored product code mapping
//! (`equitas interop fhir codes`), as on the command line.

use crate::{AppState, Problem};
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
        .route("/fhir", post(bundle))
        .route(
            "/fhir/InventoryReport",
            get(inventory).post(resource_inventory),
        )
        .route("/fhir/{resource}", post(resource))
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

async fn inventory(
    State(s): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    let Ok(Query(q)) = q else {
        return Err(Problem::bad_parameter(
            "query",
            "an unreadable query string",
        ));
    };
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
