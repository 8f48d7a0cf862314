//! Routes of `/api/v1`: every operation of `equitas_service` at its path,
//! through one handler, and the few routes that are not operations.

use crate::api_doc;
use crate::auth::Access;
use crate::{AppState, Problem};
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use equitas_model::Lang;
use equitas_service::{Answer, Args, Ctx, Head, Needs, Operation, op, run_within};
use equitas_store::report;
use serde::Serialize;
use serde_json::{Value, json};

/// A query string as its pairs, in order (a parameter given twice is seen).
pub(crate) type Q = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The query's parameters, checked against `params` (`Args::api`: unknown
/// ones refused, and one given twice unless it is a list).
pub(crate) fn args(q: Q, params: Vec<equitas_service::Param>) -> Result<Args, Problem> {
    let Query(pairs) = q.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    Ok(Args::api(params, pairs.iter().map(|(k, v)| (k, v)))?)
}

pub fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route(api_doc::STATUS_PATH, get(status))
        .route("/openapi.json", get(openapi))
        .route("/api/docs", get(docs))
        .route(api_doc::EPCIS_SUMMARY_PATH, get(epcis_summary))
        .route(api_doc::CAPTURE_JOBS_PATH, get(capture_jobs));
    macro_rules! route {
        ($t:ty) => {
            r = r.route(<$t as Operation>::endpoint().path, get(operation::<$t>));
        };
    }
    equitas_service::for_each_operation!(route);
    r.fallback(|uri: axum::http::Uri| async move {
        Problem::not_found(format!(
            "no route {uri}; the API lives under /api/v1, EPCIS under /capture and /events"
        ))
    })
}

/// One page of a list: the answer's head, how many rows there are in all,
/// and which are given.
#[derive(Serialize)]
struct Page<'a, R: Serialize> {
    #[serde(flatten)]
    head: &'a Head,
    /// Rows in all, before paging.
    total: usize,
    offset: usize,
    limit: usize,
    rows: &'a [R],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

fn page<R: Serialize>(
    a: &Answer<R>,
    (offset, limit): (usize, usize),
) -> Result<Json<Value>, Problem> {
    let from = offset.min(a.rows.len());
    let to = from.saturating_add(limit).min(a.rows.len());
    serde_json::to_value(Page {
        head: &a.head,
        total: a.rows.len(),
        offset,
        limit,
        rows: &a.rows[from..to],
        notes: &a.notes,
    })
    .map(Json)
    .map_err(|e| Problem::internal(e.to_string()))
}

/// Every operation: its parameters checked and read into its request, run
/// on the store (or on the cached stock ledger, answers kept until the data
/// changes), and answered a page at a time.
/// Within the caller's scope (`auth::check` put it in the request): the
/// operation runs through `run_within`, and cached answers are kept by scope.
/// Codes are named in the language the client prefers (`Accept-Language`:
/// French or English; country names in `labels`), and the answer says it
/// varies with it.
async fn operation<O: Operation>(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    headers: HeaderMap,
    q: Q,
) -> Result<Response, Problem> {
    let e = O::endpoint();
    let a = args(q, e.params)?;
    let request = O::request(&a)?;
    let paging = op::page(&a)?;
    let scope = access.scope;
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::from_accept_language);
    let mut response = match O::NEEDS {
        Needs::Stock => {
            let key = format!("{}#{}#{}", a.key(e.path), scope.label(), lang.code());
            s.cached(key, move |data, st| {
                let mut ctx = Ctx::new(st, Some(data)).within(scope).in_lang(lang);
                page(&run_within::<O>(&mut ctx, &request)?, paging)
            })
            .await?
        }
        Needs::Store => s
            .with_store(move |st| {
                let mut ctx = Ctx::new(st, None).within(scope).in_lang(lang);
                page(&run_within::<O>(&mut ctx, &request)?, paging)
            })
            .await
            .map(IntoResponse::into_response)?,
    };
    response.headers_mut().append(
        header::VARY,
        header::HeaderValue::from_static("accept-language"),
    );
    Ok(response)
}

/// `GET /openapi.json`: the OpenAPI 3.1 description of the API.
async fn openapi() -> Json<Value> {
    Json(api_doc::openapi())
}

/// `GET /api/docs`: the same, as a page to read.
async fn docs() -> axum::response::Html<String> {
    axum::response::Html(api_doc::html())
}

async fn status(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    args(q, vec![])?;
    s.with_store(|st| {
        let version = equitas_store::migrations::current_version(st)?;
        let overview = report::overview(st)?;
        Ok(Json(json!({
            // The engine only: where the data lives is no business of a client.
            "database": st.backend().to_string(),
            "schema_version": version,
            "overview": overview,
        })))
    })
    .await
}

/// `GET /api/v1/epcis/summary`: counted once per state of the repository
/// (the newest capture's commit number tells), as counting millions of events takes seconds.
async fn epcis_summary(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    args(q, vec![])?;
    let memo = s.epcis_summary.clone();
    s.with_store(move |st| {
        let newest = equitas_store::epcis::newest_capture(st)?;
        // Held while the summary is counted, so that requests arriving
        // meanwhile wait for that count instead of each making its own.
        let mut m = memo
            .lock()
            .map_err(|_| Problem::internal("the EPCIS summary memo was poisoned"))?;
        if let Some((at, v)) = m.as_ref()
            && *at == newest
        {
            return Ok(Json(v.clone()));
        }
        let v = serde_json::to_value(equitas_store::epcis::summary(st)?)
            .map_err(|e| Problem::internal(e.to_string()))?;
        *m = Some((newest, v.clone()));
        Ok(Json(v))
    })
    .await
}

/// `GET /api/v1/epcis/captures`: capture jobs, newest first.
async fn capture_jobs(State(s): State<AppState>, q: Q) -> Result<Json<Value>, Problem> {
    let a = args(q, vec![op::OFFSET, op::LIMIT])?;
    let (offset, limit) = op::page(&a)?;
    s.with_store(move |st| {
        let (total, rows) = equitas_store::epcis::capture_jobs(st, offset, limit)?;
        Ok(Json(json!({
            "total": usize::try_from(total).unwrap_or(0),
            "offset": offset,
            "limit": limit,
            "rows": rows,
        })))
    })
    .await
}
