//! RFC 9457 problem details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use equitas_store::StoreError;
use serde::Serialize;

/// An error as the client sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// A URI naming the kind of problem (relative to the API).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The query parameter or field at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Seconds after which to try again (`Retry-After`), for a server busy
    /// with other writes.
    #[serde(skip)]
    pub retry_after: Option<u32>,
    /// The rows of an imported file refused, by line (an extension member,
    /// RFC 9457 3.2): the same items as a successful import's `rejected`.
    /// Boxed: most problems have none, and every handler returns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Box<Vec<RejectedRow>>>,
}

/// A row of an imported file refused: its line, the field at fault and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectedRow {
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
}

impl From<&equitas_model::RowError> for RejectedRow {
    fn from(e: &equitas_model::RowError) -> Self {
        RejectedRow {
            line: e.line,
            field: e.field.clone(),
            reason: e.message.clone(),
        }
    }
}

impl Problem {
    /// A problem of `kind` (a URI relative to the API) with its `status`,
    /// `title` and `detail`, naming no parameter.
    pub fn new(status: u16, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: kind.into(),
            title: title.into(),
            status,
            detail: detail.into(),
            parameter: None,
            retry_after: None,
            rejected: None,
        }
    }

    /// The same, naming the parameter or field at fault.
    pub fn at(mut self, parameter: &str) -> Self {
        self.parameter = Some(parameter.to_string());
        self
    }

    /// The same, listing the rows of an imported file refused.
    pub fn rejecting(mut self, rows: &[equitas_model::RowError]) -> Self {
        self.rejected = Some(Box::new(rows.iter().map(RejectedRow::from).collect()));
        self
    }

    /// The same, telling the client to try again after `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        // A day at most: no client waits longer, and the field stays small.
        self.retry_after = Some(u32::try_from(seconds.min(86_400)).unwrap_or(86_400));
        self
    }

    pub fn bad_parameter(name: &str, detail: impl Into<String>) -> Self {
        Problem::new(
            400,
            "/problems/bad-parameter",
            "A query parameter is not valid",
            detail,
        )
        .at(name)
    }

    /// The request's body (an EPCIS document) cannot be taken.
    pub fn bad_body(detail: impl Into<String>) -> Self {
        Problem::new(
            400,
            "/problems/bad-body",
            "The request body is not valid",
            detail,
        )
        .at("body")
    }

    /// The body (or one event of it) is larger than the server takes.
    pub fn too_large(detail: impl Into<String>) -> Self {
        Problem::new(
            413,
            "/problems/too-large",
            "The request is larger than this server takes",
            detail,
        )
        .at("body")
    }

    /// Refused before any handler ran (see `guard`).
    pub fn forbidden(kind: &str, detail: impl Into<String>) -> Self {
        Problem::new(403, kind, "Refused", detail)
    }

    /// Other writes hold the database longer than a request waits for them.
    pub fn busy(detail: impl Into<String>, retry_after: u64) -> Self {
        Problem::new(
            503,
            "/problems/busy",
            "The server is busy with other writes",
            detail,
        )
        .retry_after(retry_after)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(404, "/problems/not-found", "Not found", detail)
    }

    /// The request is valid but the data it needs is not loaded.
    pub fn missing_data(detail: impl Into<String>) -> Self {
        Problem::new(
            409,
            "/problems/missing-data",
            "The data this needs is not loaded",
            detail,
        )
    }

    /// A valid value the data do not cover (an as-of month after the last
    /// complete month), naming the parameter.
    pub fn outside_data(parameter: &str, detail: impl Into<String>) -> Self {
        Problem::new(
            409,
            "/problems/outside-data",
            "The data do not cover what was asked for",
            detail,
        )
        .at(parameter)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Problem::new(500, "/problems/internal", "Internal error", detail)
    }
}

/// Each kind of an operation's error, once.
impl From<equitas_service::ServiceError> for Problem {
    fn from(e: equitas_service::ServiceError) -> Self {
        use equitas_service::ServiceError as E;
        match e {
            E::BadParameter { param, reason } => {
                Problem::bad_parameter(&param, format!("{param}: {reason}"))
            }
            E::Unknown { param, reason } => {
                Problem::not_found(format!("{param} {reason}")).at(&param)
            }
            E::MissingData(m) => Problem::missing_data(m),
            E::OutsideData { param, reason } => {
                Problem::outside_data(&param, format!("{param}: {reason}"))
            }
            E::OutOfScope(m) => {
                Problem::new(403, "/problems/out-of-scope", "Outside your scope", m)
            }
            E::Store(s) => Problem::from(s),
            E::Internal(m) => Problem::internal(m),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        if let StoreError::Busy { .. } = e {
            return Problem::busy(e.to_string(), RETRY_AFTER);
        }
        tracing::error!(error = %e, "store error");
        Problem::internal(format!("database: {e}"))
    }
}

/// Seconds a client is told to wait before trying a write again.
pub const RETRY_AFTER: u64 = 5;

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after;
        let mut r = (status, axum::Json(self)).into_response();
        if let Some(v) = retry.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    }
}
