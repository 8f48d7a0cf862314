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
}

impl Problem {
    pub fn bad_parameter(name: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: "/problems/bad-parameter".into(),
            title: "A query parameter is not valid".into(),
            status: 400,
            detail: detail.into(),
            parameter: Some(name.to_string()),
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem {
            kind: "/problems/not-found".into(),
            title: "Not found".into(),
            status: 404,
            detail: detail.into(),
            parameter: None,
        }
    }

    /// The request is valid but the data it needs is not loaded.
    pub fn missing_data(detail: impl Into<String>) -> Self {
        Problem {
            kind: "/problems/missing-data".into(),
            title: "The data this needs is not loaded".into(),
            status: 409,
            detail: detail.into(),
            parameter: None,
        }
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Problem {
            kind: "/problems/internal".into(),
            title: "Internal error".into(),
            status: 500,
            detail: detail.into(),
            parameter: None,
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        Problem::internal(format!("database: {e}"))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, axum::Json(self)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    }
}
