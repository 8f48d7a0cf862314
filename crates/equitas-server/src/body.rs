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

/// Bodies spooled to temporary files at once (so at most this many times
/// the body limit on disk); another waits for one to end, up to the write
/// wait, and is then answered 503.
pub const SPOOLS: usize = 4;

/// After this long, a body must have come at [`MIN_RATE`] on average.
const RATE_GRACE: Duration = Duration::from_secs(30);
/// The slowest average a body may come at (bytes per second), so that a
/// client sending a byte now and then cannot hold a connection for ever.
const MIN_RATE: u64 = 16 << 10;

/// A body read whole: in memory, or mapped from a temporary file (with its
/// place among the [`SPOOLS`]).
pub enum Taken {
    Memory(Vec<u8>),
    Mapped {
        map: Mapped,
        /// Held until the body is dropped.
        _spool: tokio::sync::OwnedSemaphorePermit,
    },
}

impl Taken {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Taken::Memory(v) => v,
            Taken::Mapped { map, .. } => map.bytes(),
        }
    }
}

fn too_large(limit: u64) -> Problem {
    Problem::too_large(format!(
        "the body is larger than the {limit} bytes this server takes (equitas serve --max-body-bytes)"
    ))
}

fn too_slow(detail: String) -> Problem {
    Problem::new(
        408,
        "/problems/body-timeout",
        "The body came too slowly",
        detail,
    )
    .at("body")
}

/// Reads `body` within `limits`; past a megabyte, into a temporary file
/// once one of `spools` is free.
pub async fn take(
    headers: &HeaderMap,
    body: Body,
    limits: &Limits,
    spools: &std::sync::Arc<tokio::sync::Semaphore>,
) -> Result<Taken, Problem> {
    take_typed(headers, body, limits, spools, crate::guard::body_type).await
}

/// [`take`], the body's type checked by `typed` (a CSV file to import).
pub async fn take_typed(
    headers: &HeaderMap,
    body: Body,
    limits: &Limits,
    spools: &std::sync::Arc<tokio::sync::Semaphore>,
    typed: fn(&HeaderMap) -> Result<(), Problem>,
) -> Result<Taken, Problem> {
    typed(headers)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body) {
        return Err(too_large(limits.body));
    }
    let mut body = body;
    let mut memory: Vec<u8> = Vec::new();
    let mut file: Option<(std::fs::File, tokio::sync::OwnedSemaphorePermit)> = None;
    let mut total: u64 = 0;
    let start = std::time::Instant::now();
    let spool_error = |e: std::io::Error| {
        Problem::internal(format!("cannot spool the body to a temporary file: {e}"))
    };
    loop {
        let frame = match tokio::time::timeout(limits.body_idle, body.frame()).await {
            Err(_) => {
                return Err(too_slow(format!(
                    "no part of the body arrived for {} s",
                    limits.body_idle.as_secs()
                )));
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
        let elapsed = start.elapsed();
        if elapsed > RATE_GRACE && total < MIN_RATE * elapsed.as_secs() {
            return Err(too_slow(format!(
                "{total} bytes of the body came in {} s, slower than the {MIN_RATE} bytes per second a body must come at",
                elapsed.as_secs()
            )));
        }
        match file.as_mut() {
            Some((f, _)) => f.write_all(&data).map_err(spool_error)?,
            None if memory.len() + data.len() > IN_MEMORY => {
                let permit = crate::turn(spools).await.map_err(|waited| {
                    Problem::busy(
                        format!(
                            "{SPOOLS} large bodies were being received for longer than the {} s a request waits",
                            waited.as_secs()
                        ),
                        crate::problem::RETRY_AFTER,
                    )
                })?;
                // Anonymous: removed by the system when closed, even on a crash.
                let mut f = tempfile::tempfile().map_err(spool_error)?;
                f.write_all(&memory).map_err(spool_error)?;
                f.write_all(&data).map_err(spool_error)?;
                memory = Vec::new();
                file = Some((f, permit));
            }
            None => memory.extend_from_slice(&data),
        }
    }
    match file {
        None => Ok(Taken::Memory(memory)),
        // SAFETY: the file is this process's own, anonymous (no name to
        // open it by) and no longer written: nothing changes it while mapped.
        Some((f, permit)) => Ok(Taken::Mapped {
            map: unsafe { Mapped::file(&f) }.map_err(spool_error)?,
            _spool: permit,
        }),
    }
}
