//! Capture jobs as recorded.

use crate::{Conn, StoreError, Value};

/// A capture job as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaptureJob {
    #[serde(rename = "captureID")]
    pub id: i64,
    pub source: String,
    #[serde(rename = "receivedAt")]
    pub received_at: String,
    #[serde(rename = "errorBehaviour")]
    pub mode: String,
    pub events: i64,
    pub captured: i64,
    pub duplicates: i64,
    pub rejected: i64,
}

fn read_jobs(
    c: &mut dyn Conn,
    filter: &str,
    args: &[Value],
) -> Result<Vec<CaptureJob>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        &format!(
            "SELECT id, source_name, received_at, mode, events, captured, duplicates, rejected
             FROM epcis_captures {filter}"
        ),
        args,
        &mut |r| {
            out.push(CaptureJob {
                id: r[0].get()?,
                source: r[1].take_text()?,
                received_at: r[2].take_text()?,
                mode: r[3].take_text()?,
                events: r[4].get()?,
                captured: r[5].get()?,
                duplicates: r[6].get()?,
                rejected: r[7].get()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

pub fn capture_job(c: &mut dyn Conn, id: i64) -> Result<Option<CaptureJob>, StoreError> {
    Ok(read_jobs(c, "WHERE id = $1", &[Value::Int(id)])?.pop())
}

/// Capture jobs, newest first: `(total, the page)`.
pub fn capture_jobs(
    c: &mut dyn Conn,
    offset: usize,
    limit: usize,
) -> Result<(i64, Vec<CaptureJob>), StoreError> {
    let total: i64 = c
        .query_scalar("SELECT COUNT(*) FROM epcis_captures", &[])?
        .get()?;
    let page = read_jobs(
        c,
        "ORDER BY id DESC LIMIT $1 OFFSET $2",
        &[Value::Int(limit as i64), Value::Int(offset as i64)],
    )?;
    Ok((total, page))
}
