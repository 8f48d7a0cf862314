//! `POST /api/v1/imports/{kind}`: a CSV file imported over HTTP by the same
//! parsers, in one transaction, as `equitas import KIND FILE` (issue 23).
//! A caller whose import permission is scoped may import the kinds whose
//! rows name a place and a product (`equitas_store::import::SCOPABLE`):
//! every row is checked, and a file with a row outside the scope is refused
//! whole, naming the row; other kinds need the permission everywhere.

use crate::auth::Access;
use crate::problem::RejectedRow;
use crate::{AppState, Problem, api_doc};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::{Extension, Json, Router};
use equitas_service::{Kind, Param};
use equitas_store::import::{self as im, ImportError, ImportKind, ImportOptions, NoProgress};
use serde_json::json;

const STRICT: Param = Param::new(
    "strict",
    Kind::Bool,
    "Reject the whole file if any row is bad.",
)
.default("false");
const DRY_RUN: Param = Param::new(
    "dry_run",
    Kind::Bool,
    "Check and count, then roll back: nothing is written.",
)
.default("false");

/// The parameters of an import.
pub fn params() -> Vec<Param> {
    vec![STRICT, DRY_RUN]
}

pub fn router() -> Router<AppState> {
    Router::new().route(api_doc::IMPORT_PATH, axum::routing::post(import))
}

async fn import(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(kind): Path<String>,
    q: crate::routes::Q,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, Problem> {
    let k = ImportKind::from_name(&kind).ok_or_else(|| {
        Problem::not_found(format!(
            "no import kind {kind:?}; the kinds: {}",
            ImportKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .at("kind")
    })?;
    let a = crate::routes::args(q, params())?;
    let opts = ImportOptions {
        strict: a.value("strict")?,
        dry_run: a.value("dry_run")?,
    };
    let taken =
        crate::body::take_typed(&headers, body, &s.limits, &s.spools, crate::guard::csv_type)
            .await?;
    let turn = s.write_turn().await?;
    let mappings = s.import_mappings.clone();
    s.with_store(move |st| {
        let _turn = turn;
        let name = format!("POST /api/v1/imports/{k}");
        let done = im::import_within(
            st,
            k,
            &name,
            taken.bytes(),
            &mappings,
            opts,
            &NoProgress,
            &access.scope,
        );
        let r = match done {
            Ok(r) => r,
            Err(e) => {
                let p = problem(e, &access);
                if p.status == 403 {
                    access.audit(st, "import-refused", &format!("{k}: {}", p.detail))?;
                }
                return Err(p);
            }
        };
        let t = r.total();
        access.audit(
            st,
            "import",
            &format!(
                "{k}: {} rows read, {} inserted, {} updated, {} unchanged, {} removed, {} rejected{}",
                r.rows_read,
                t.inserted,
                t.updated,
                t.unchanged,
                t.removed,
                r.rejected_rows(),
                if r.dry_run { " (dry run)" } else { "" }
            ),
        )?;
        // Rows rejected so that nothing was imported (every row, or a row
        // of a list replaced whole): no success for a client reading only
        // the status (the CLI exits 3).
        if let Some(why) = r.nothing_imported() {
            return Err(rejected_rows(
                format!(
                    "{name}: {why}. First: {}",
                    r.rejected.first().map(|e| e.to_string()).unwrap_or_default()
                ),
                &r.rejected,
            ));
        }
        Ok(Json(json!({
            "kind": k.as_str(),
            "rows_read": r.rows_read,
            "inserted": t.inserted,
            "updated": t.updated,
            "unchanged": t.unchanged,
            "removed": t.removed,
            "rejected": r.rejected.iter().map(RejectedRow::from).collect::<Vec<_>>(),
            "notes": r.notes,
            "dry_run": r.dry_run,
        })))
    })
    .await
}

/// The problem of a failed import.
fn problem(e: ImportError, access: &Access) -> Problem {
    if let ImportError::Strict { errors, .. } = &e {
        // The message names the first row; `rejected` lists them all.
        return rejected_rows(e.to_string(), errors);
    }
    match e {
        ImportError::Store(e) => Problem::from(e),
        e @ ImportError::OutOfScope { .. } => Problem::new(
            403,
            "/problems/out-of-scope",
            "Outside your scope",
            e.to_string(),
        )
        .at("body"),
        e @ ImportError::Unscopable { .. } => Problem::new(
            403,
            "/problems/out-of-scope",
            "Outside your scope",
            format!(
                "{e}; your import permission reaches only {}",
                access.scope.label()
            ),
        )
        .at("kind"),
        other => Problem::bad_body(other.to_string()),
    }
}

/// Rows of an imported file refused, so that nothing was imported: 422,
/// listing every row refused (`rejected`).
fn rejected_rows(detail: String, rows: &[equitas_model::RowError]) -> Problem {
    Problem::new(
        422,
        "/problems/rejected-rows",
        "Rows of the file were rejected; nothing was imported",
        detail,
    )
    .at("body")
    .rejecting(rows)
}
