//! Capturing EPCIS events, following the EPCIS 2.0 capture interface:
//! a document is stored in one transaction; with the default
//! `GS1-Capture-Error-Behaviour: rollback` nothing of a document with a bad
//! event is stored, with `proceed` the good events are. An event already
//! held (same eventID, or same Event Hash ID) is not stored again.

use crate::{Conn, Store, StoreError, Value};
use equitas_epcis::event::{EventRecord, record};
use equitas_epcis::json::Document;

/// What to do with a document that has bad events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBehaviour {
    /// Store nothing (the default).
    Rollback,
    /// Store the good events, report the bad ones.
    Proceed,
}

impl ErrorBehaviour {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorBehaviour::Rollback => "rollback",
            ErrorBehaviour::Proceed => "proceed",
        }
    }
}

/// A rejected event: its 0-based index, the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub index: usize,
    pub field: String,
    pub reason: String,
}

/// What a capture did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureReport {
    /// The capture job's id (absent when nothing was written).
    pub capture_id: Option<i64>,
    pub events: usize,
    pub captured: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    /// True if the document was refused whole (rollback with bad events).
    pub rolled_back: bool,
}

fn exists(c: &mut dyn Conn, r: &EventRecord) -> Result<bool, StoreError> {
    let rows = c.query(
        "SELECT 1 FROM epcis_events WHERE hash = $1 OR (event_id IS NOT NULL AND event_id = $2)",
        &[r.hash.as_str().into(), r.event_id.clone().into()],
    )?;
    Ok(!rows.is_empty())
}

fn insert(c: &mut dyn Conn, r: &EventRecord, capture: i64, now: &str) -> Result<(), StoreError> {
    let id: i64 = c
        .query_scalar(
            "INSERT INTO epcis_events (hash, event_id, event_type, event_time, time_zone_offset,
                 record_time, action, biz_step, disposition, read_point, biz_location, parent,
                 lot, expiry, capture)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             RETURNING id",
            &[
                r.hash.as_str().into(),
                r.event_id.clone().into(),
                r.event_type.as_str().into(),
                r.event_time.as_str().into(),
                r.time_zone_offset.as_str().into(),
                now.into(),
                r.action.clone().into(),
                r.biz_step.clone().into(),
                r.disposition.clone().into(),
                r.read_point.clone().into(),
                r.biz_location.clone().into(),
                r.parent.clone().into(),
                r.lot.clone().into(),
                r.expiry.clone().into(),
                Value::Int(capture),
            ],
        )?
        .get()?;
    for (role, epc) in &r.epcs {
        c.execute(
            "INSERT INTO epcis_event_epcs (event, role, epc) VALUES ($1, $2, $3)",
            &[Value::Int(id), (*role).into(), epc.as_str().into()],
        )?;
    }
    for q in &r.quantities {
        c.execute(
            "INSERT INTO epcis_event_quantities (event, role, epc_class, quantity, uom) VALUES ($1, $2, $3, $4, $5)",
            &[
                Value::Int(id),
                q.role.into(),
                q.epc_class.as_str().into(),
                q.quantity.into(),
                q.uom.clone().into(),
            ],
        )?;
    }
    for p in &r.parties {
        c.execute(
            "INSERT INTO epcis_event_parties (event, kind, kind_type, party) VALUES ($1, $2, $3, $4)",
            &[
                Value::Int(id),
                p.kind.into(),
                p.kind_type.clone().into(),
                p.id.as_str().into(),
            ],
        )?;
    }
    Ok(())
}

/// Captures the events of `doc` (named `source_name`) in one transaction.
/// `extra` holds rejections found before (schema problems by event index).
pub fn capture(
    store: &mut dyn Store,
    source_name: &str,
    doc: &Document,
    mut extra: Vec<Rejected>,
    behaviour: ErrorBehaviour,
    progress: &dyn crate::import::Progress,
) -> Result<CaptureReport, StoreError> {
    let mut report = CaptureReport {
        events: doc.events.len(),
        ..Default::default()
    };
    let mut records = Vec::new();
    for (i, e) in doc.events.iter().enumerate() {
        if extra.iter().any(|r| r.index == i) {
            continue;
        }
        match record(e, &doc.hash_ignore) {
            Ok(r) => records.push(r),
            Err((field, reason)) => extra.push(Rejected {
                index: i,
                field,
                reason,
            }),
        }
    }
    extra.sort_by_key(|r| r.index);
    report.rejected = extra;
    if behaviour == ErrorBehaviour::Rollback && !report.rejected.is_empty() {
        report.rolled_back = true;
        return Ok(report);
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut tx = store.begin()?;
    let capture_id: i64 = tx
        .query_scalar(
            "INSERT INTO epcis_captures (source_name, received_at, mode, events, captured, duplicates, rejected)
             VALUES ($1, $2, $3, $4, 0, 0, $5) RETURNING id",
            &[
                source_name.into(),
                now.as_str().into(),
                behaviour.as_str().into(),
                (report.events as u64).into(),
                (report.rejected.len() as u64).into(),
            ],
        )?
        .get()?;
    progress.start("events", records.len() as u64);
    for r in &records {
        if exists(tx.as_mut(), r)? {
            report.duplicates += 1;
        } else {
            insert(tx.as_mut(), r, capture_id, &now)?;
            report.captured += 1;
        }
        progress.inc(1);
    }
    progress.finish();
    tx.execute(
        "UPDATE epcis_captures SET captured = $1, duplicates = $2 WHERE id = $3",
        &[
            (report.captured as u64).into(),
            (report.duplicates as u64).into(),
            Value::Int(capture_id),
        ],
    )?;
    tx.commit()?;
    report.capture_id = Some(capture_id);
    Ok(report)
}

/// Number of events held.
pub fn event_count(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.query_scalar("SELECT COUNT(*) FROM epcis_events", &[])?
        .get()
}
