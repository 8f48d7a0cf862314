//! Request bodies taken within bounds: a size limit checked before and
//! while reading, a limit on the wait for each part, and a body larger than
//! a megabyte spooled to an anonymous temporary file and mapped, so that
//! the server's memory does not grow with the documents it captures.

use crate::Problem;
use axum::body::Body;
use axum::http::{HeaderMap, header};
use equitas_store::mapped::Mapped;
use http_body_util::BodyExt;
use std::io::Write;
use std::time::Duration;

/// What the server takes from one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest body, in bytes.
    pub body: u64,
    /// The largest event, in bytes as written.
    pub event: usize,
    /// The most events one document may hold.
    pub events: usize,
    /// The longest wait for the next part of a body.
    pub body_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body: 256 << 20,
            event: equitas_store::epcis::MAX_EVENT_BYTES,
            events: 1_000_000,
            body_idle: Duration::from_secs(30),
        }
    }
}

/// Bodies up to this size stay in memory.
const IN_MEMORY: usize = 1 << 20;

/// A body read whole: in memory, or mapped from a temporary file.
pub enum Taken {
    Memory(Vec<u8>),
    Mapped(Mapped),
}

impl Taken {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Taken::Memory(v) => v,
            Taken::Mapped(m) => m.bytes(),
        }
    }
}

fn too_large(limit: u64) -> Problem {
    Problem::too_large(format!(
        "the body is larger than the {limit} bytes this server takes (equitas serve --max-body-bytes)"
    ))
}

/// Reads `body` within `limits`.
pub async fn take(headers: &HeaderMap, body: Body, limits: &Limits) -> Result<Taken, Problem> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body) {
        return Err(too_large(limits.body));
    }
    let mut body = body;
    let mut memory: Vec<u8> = Vec::new();
    let mut file: Option<std::fs::File> = None;
    let mut total: u64 = 0;
    let spool_error = |e: std::io::Error| {
        Problem::internal(format!("cannot spool the body to a temporary file: {e}"))
    };
    loop {
        let frame = match tokio::time::timeout(limits.body_idle, body.frame()).await {
            Err(_) => {
                return Err(Problem {
                    kind: "/problems/body-timeout".into(),
                    title: "The body came too slowly".into(),
                    status: 408,
                    detail: format!(
                        "no part of the body arrived for {} s",
                        limits.body_idle.as_secs()
                    ),
                    parameter: Some("body".into()),
                    retry_after: None,
                });
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(Problem::bad_body(format!(
                    "the body could not be read: {e}"
                )));
            }
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len() as u64;
        if total > limits.body {
            return Err(too_large(limits.body));
        }
        match file.as_mut() {
            Some(f) => f.write_all(&data).map_err(spool_error)?,
            None if memory.len() + data.len() > IN_MEMORY => {
                // Anonymous: removed by the system when closed, even on a crash.
                let mut f = tempfile::tempfile().map_err(spool_error)?;
                f.write_all(&memory).map_err(spool_error)?;
                f.write_all(&data).map_err(spool_error)?;
                memory = Vec::new();
                file = Some(f);
            }
            None => memory.extend_from_slice(&data),
        }
    }
    match file {
        None => Ok(Taken::Memory(memory)),
        Some(f) => Ok(Taken::Mapped(Mapped::file(&f).map_err(spool_error)?)),
    }
}
