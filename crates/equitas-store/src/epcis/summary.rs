//! What the repository holds.

use crate::{Conn, StoreError};

/// Number of events held.
pub fn event_count(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.query_scalar("SELECT COUNT(*) FROM epcis_events", &[])?
        .get()
}

/// What the repository holds: events by type and business step, and the
/// span of their event and record times.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub events: i64,
    pub first_event_time: Option<String>,
    pub last_event_time: Option<String>,
    pub last_record_time: Option<String>,
    /// (event type, business step or "", events), most events first.
    pub by_type_and_step: Vec<(String, String, i64)>,
}

/// The commit sequence number of the newest committed capture (0 if none):
/// changes with every capture. (The newest event id does not: on
/// PostgreSQL a capture may commit events with ids below those of one
/// committed before it.)
pub fn newest_capture(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.query_scalar(
        "SELECT COALESCE(MAX(commit_seq), 0) FROM epcis_captures",
        &[],
    )?
    .get()
}

pub fn summary(c: &mut dyn Conn) -> Result<Summary, StoreError> {
    let span = c.query(
        "SELECT COUNT(*), MIN(event_time), MAX(event_time), MAX(record_time) FROM epcis_events",
        &[],
    )?;
    let (mut events, mut first, mut last, mut record) = (0, None, None, None);
    if let Some(mut r) = span.into_iter().next() {
        events = r[0].get()?;
        first = r[1].take_opt_text()?;
        last = r[2].take_opt_text()?;
        record = r[3].take_opt_text()?;
    }
    let mut by = Vec::new();
    c.query_each(
        "SELECT event_type, COALESCE(biz_step, ''), COUNT(*) FROM epcis_events
         GROUP BY event_type, COALESCE(biz_step, '') ORDER BY COUNT(*) DESC, 1, 2",
        &[],
        &mut |r| {
            by.push((r[0].take_text()?, r[1].take_text()?, r[2].get()?));
            Ok(())
        },
    )?;
    Ok(Summary {
        events,
        first_event_time: first,
        last_event_time: last,
        last_record_time: record,
        by_type_and_step: by,
    })
}
