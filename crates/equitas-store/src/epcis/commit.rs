//! Committing captures in order, on PostgreSQL after removing the events
//! a capture committed meanwhile holds too.

use super::capture::Job;
use super::held::conflict_reason;
use super::held::{Key, Stored};
use super::summary::newest_capture;
use super::{CAPTURE_LOCK, CaptureReport, Rejected};
use crate::partitions::KEYS;
use crate::repo::placeholders;
use crate::{Conn, StoreError, Value};

/// What was committed when a capture began: the newest commit sequence
/// number and the newest event id.
#[derive(Debug, Clone, Copy)]
pub(super) struct Committed {
    seq: i64,
    event: i64,
    /// The database is partitioned by month, its events' keys in [`KEYS`].
    keyed: bool,
}

impl Committed {
    /// `keyed`: the newest event id read from the keys' table (a database
    /// partitioned by month), one index instead of one per month.
    pub(super) fn read(c: &mut dyn Conn, keyed: bool) -> Result<Self, StoreError> {
        let newest = if keyed {
            format!("SELECT COALESCE(MAX(event), 0) FROM {KEYS}")
        } else {
            "SELECT COALESCE(MAX(id), 0) FROM epcis_events".to_string()
        };
        Ok(Committed {
            seq: newest_capture(c)?,
            event: c.query_scalar(&newest, &[])?.get()?,
            keyed,
        })
    }
}

/// Numbers capture `capture` in commit order and records its counts, as
/// the last statements before its commit. On PostgreSQL it first takes
/// [`CAPTURE_LOCK`], which it holds until it has committed, so that commit
/// sequence numbers become visible in increasing order (the stock ledger
/// reads the captures numbered above the last it read) while the captures
/// themselves run concurrently. A capture that committed since this one
/// began (`since`) may hold events this one stored too: its rows were not
/// visible to this one's lookups. Now they are; this capture's copies are
/// removed (the rows of `tables`, the events' first) and counted as
/// duplicates (the same hash), or rejected as conflicts (the same eventID
/// with another hash), so that each event is held once, by the capture
/// that committed first. Under rollback, a conflict found here refuses the
/// capture as any other: the caller rolls back.
pub(super) fn commit_in_order(
    c: &mut dyn Conn,
    capture: i64,
    since: Committed,
    tables: &[&str],
    job: &Job,
    report: &mut CaptureReport,
) -> Result<(), StoreError> {
    if c.backend() == crate::Backend::Postgres {
        c.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[Value::Int(CAPTURE_LOCK)],
        )?;
        let copies = stored_meanwhile(c, capture, since, job.stored.as_ref())?;
        if !copies.is_empty() {
            let ids: Vec<i64> = copies.iter().map(|m| m.id).collect();
            remove_events(c, &ids, tables)?;
            report.captured -= copies.len();
            for m in copies {
                match m.conflict {
                    None => report.duplicates += 1,
                    Some((event_id, hash, held_hash)) => {
                        report.conflicts += 1;
                        report.rejected.push(Rejected {
                            index: job.index_of(m.id).unwrap_or_default(),
                            field: "eventID".into(),
                            reason: conflict_reason(
                                &event_id,
                                "an event another capture committed while this one ran",
                                &held_hash,
                                &hash,
                            ),
                        });
                    }
                }
            }
            report.rejected.sort_by_key(|r| r.index);
        }
    }
    // The range of the ids it stored (a copy removed above may leave a
    // bound no event holds: readers filter by capture within the range).
    let range = |id: Option<&(i64, usize)>| id.map_or(Value::Null, |&(id, _)| Value::Int(id));
    c.execute(
        "UPDATE epcis_captures SET captured = $1, duplicates = $2, rejected = $3,
             commit_seq = (SELECT COALESCE(MAX(commit_seq), 0) + 1 FROM epcis_captures),
             first_event = $5, last_event = $6
         WHERE id = $4",
        &[
            (report.captured as u64).into(),
            (report.duplicates as u64).into(),
            (report.rejected.len() as u64).into(),
            Value::Int(capture),
            range(job.stored_ids().first()),
            range(job.stored_ids().last()),
        ],
    )?;
    Ok(())
}

/// An event a capture stored that a capture committed meanwhile holds too.
struct Meanwhile {
    id: i64,
    /// Its eventID, its hash and the other's, if the other holds that
    /// eventID with another hash (a conflict) rather than the same hash (a
    /// duplicate).
    conflict: Option<(String, String, String)>,
}

/// The events capture `capture` stored (all above `since.event`) whose
/// hash or eventID a capture committed since `since` holds.
fn stored_meanwhile(
    c: &mut dyn Conn,
    capture: i64,
    since: Committed,
    own: Option<&Stored>,
) -> Result<Vec<Meanwhile>, StoreError> {
    let meanwhile: i64 = c
        .query_scalar(
            "SELECT COUNT(*) FROM epcis_captures WHERE commit_seq > $1",
            &[Value::Int(since.seq)],
        )?
        .get()?;
    if meanwhile == 0 {
        return Ok(Vec::new());
    }
    if !since.keyed {
        // An unpartitioned database has no keys' table: its captures keep
        // their own digests (the capture's `Job::stored`).
        let own = own.ok_or_else(|| {
            StoreError::Invalid(
                "a capture into an unpartitioned database kept no digests of its events".into(),
            )
        })?;
        return meanwhile_by_digest(c, since, own);
    }
    // What a capture committed since holds of `m`'s hash or eventID (as `k`),
    // as the keys' table has it (an event of this capture that one holds has
    // no row there): a probe of its unique indexes per event.
    let other = |what: &str, k: Key| {
        let col = k.column();
        format!(
            "SELECT {what} FROM {KEYS} o JOIN epcis_captures c ON c.id = o.capture
             WHERE o.{col} = m.{col} AND c.commit_seq > $3"
        )
    };
    let mut out = Vec::new();
    c.query_each(
        &format!(
            "SELECT m.id, m.event_id, m.hash, CASE WHEN EXISTS ({hash}) THEN 1 ELSE 0 END, ({id_hash} LIMIT 1)
             FROM epcis_events m
             WHERE m.id > $1 AND m.capture = $2 AND (EXISTS ({hash}) OR EXISTS ({id}))",
            hash = other("1", Key::Hash),
            id = other("1", Key::EventId),
            id_hash = other("o.hash", Key::EventId),
        ),
        &[
            Value::Int(since.event),
            Value::Int(capture),
            Value::Int(since.seq),
        ],
        &mut |r| {
            let same_hash: bool = r[3].get()?;
            out.push(Meanwhile {
                id: r[0].get()?,
                conflict: match (same_hash, r[1].take_opt_text()?, r[4].take_opt_text()?) {
                    (false, Some(event_id), Some(held_hash)) => {
                        Some((event_id, r[2].take_text()?, held_hash))
                    }
                    _ => None,
                },
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// [`stored_meanwhile`] in an unpartitioned database: the hash and eventID
/// of each event of the captures committed since (found by each one's
/// range of ids) are read once and looked up among the digests of this
/// capture's own events, which it kept as it stored them ([`Stored`]);
/// only the few events whose digests match are read back, to compare
/// their whole hash and eventID. Before, both sides' rows were read and
/// matched by hash joins in the database: 2.5 s for two 300,000-event
/// captures, of which reading this capture's rows back took half, all of
/// it while the other capture had ended and one core stood idle
/// (docs/benchmarks.md, session 15). An event matched by hash is a
/// duplicate; one matched only by eventID, a conflict with the first such
/// event's hash.
fn meanwhile_by_digest(
    c: &mut dyn Conn,
    since: Committed,
    own: &Stored,
) -> Result<Vec<Meanwhile>, StoreError> {
    // (this capture's event, the other's hash, the other's eventID when it
    // is the eventID that matched)
    let mut candidates: Vec<(i64, String, Option<String>)> = Vec::new();
    c.query_each(
        "SELECT o.hash, o.event_id FROM epcis_captures c
         JOIN epcis_events o ON o.id BETWEEN c.first_event AND c.last_event AND o.capture = c.id
         WHERE c.commit_seq > $1",
        &[Value::Int(since.seq)],
        &mut |r| {
            let hash = r[0].take_text()?;
            for id in own.candidates(&hash) {
                candidates.push((id, hash.clone(), None));
            }
            if let Some(event_id) = r[1].take_opt_text()? {
                for id in own.candidates(&event_id) {
                    candidates.push((id, hash.clone(), Some(event_id.clone())));
                }
            }
            Ok(())
        },
    )?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = candidates.iter().map(|(id, ..)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    // This capture's candidates as stored: (hash, eventID) by id.
    let mut mine: std::collections::HashMap<i64, (String, Option<String>)> = Default::default();
    for chunk in ids.chunks(1000) {
        let p: Vec<Value> = chunk.iter().map(|&id| Value::Int(id)).collect();
        c.query_each(
            &format!(
                "SELECT id, hash, event_id FROM epcis_events WHERE id IN ({})",
                placeholders(1, p.len())
            ),
            &p,
            &mut |r| {
                mine.insert(r[0].get()?, (r[1].take_text()?, r[2].take_opt_text()?));
                Ok(())
            },
        )?;
    }
    let mut found: std::collections::BTreeMap<i64, Meanwhile> = Default::default();
    for (id, other_hash, other_id) in candidates {
        let Some((hash, event_id)) = mine.get(&id) else {
            continue;
        };
        match other_id {
            // A duplicate (the same hash held) wins over a conflict.
            None if *hash == other_hash => {
                found.insert(id, Meanwhile { id, conflict: None });
            }
            Some(other_id) if event_id.as_ref() == Some(&other_id) && *hash != other_hash => {
                found.entry(id).or_insert(Meanwhile {
                    id,
                    conflict: Some((other_id, hash.clone(), other_hash)),
                });
            }
            _ => {}
        }
    }
    Ok(found.into_values().collect())
}

/// Deletes the events `ids` and their rows in the other `tables` (the
/// events' table first).
fn remove_events(c: &mut dyn Conn, ids: &[i64], tables: &[&str]) -> Result<(), StoreError> {
    let Some((events, others)) = tables.split_first() else {
        return Ok(());
    };
    for chunk in ids.chunks(1000) {
        let p: Vec<Value> = chunk.iter().map(|&id| Value::Int(id)).collect();
        let list = placeholders(1, p.len());
        for t in others {
            c.execute(&format!("DELETE FROM {t} WHERE event IN ({list})"), &p)?;
        }
        c.execute(&format!("DELETE FROM {events} WHERE id IN ({list})"), &p)?;
    }
    Ok(())
}
