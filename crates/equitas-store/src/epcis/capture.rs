//! Storing a document's events in one transaction, in batches of
//! multi-row statements.

use super::commit::{Committed, commit_in_order};
use super::held::Key;
use super::held::{Held, Holder, Stored, held_by_id};
use super::summary::event_count;
use super::{CaptureReport, ErrorBehaviour, Rejected};
use crate::partitions::Month;
use crate::repo::{in_list, placeholders};
use crate::{Backend, Conn, Store, StoreError, Value};
use equitas_epcis::EventReader;
use equitas_epcis::event::{EventRecord, record};
use equitas_ledger::extract::RawMovement;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;
use std::sync::mpsc::SyncSender;

/// The events of a document refused before capture, one per event: those
/// longer than `max_event` bytes as written ([`MAX_EVENT_BYTES`] by
/// default), and those `schemas` reject (their first problem; the long ones
/// are not validated, so as not to be read whole). A schema problem outside
/// any event refuses the whole document: it is returned as the error. A
/// document whose binding has no schema loaded is not validated.
pub fn schema_rejections(
    schemas: &equitas_epcis::validate::Schemas,
    doc: &EventReader,
    max_event: usize,
) -> Result<Vec<Rejected>, equitas_epcis::validate::SchemaProblem> {
    let mut rejected = size_rejections(doc, max_event);
    for p in schemas
        .validate_document(doc, max_event)
        .unwrap_or_default()
    {
        match p.event {
            Some(index) => rejected.push(Rejected {
                index,
                field: p.path,
                reason: p.message,
            }),
            None => return Err(p),
        }
    }
    rejected.sort_by_key(|r| r.index);
    rejected.dedup_by_key(|r| r.index);
    Ok(rejected)
}

/// The largest event, in bytes as written, that a capture stores by
/// default: an aggregation of 50,000 serialised packs in Digital Link form
/// fits well. A larger one is rejected ([`schema_rejections`]), as it would be
/// stored, and served back by queries, whole.
pub const MAX_EVENT_BYTES: usize = 4 << 20;

/// The events of a document larger than `max` bytes as written, each
/// rejected with its size.
fn size_rejections(doc: &EventReader, max: usize) -> Vec<Rejected> {
    (0..doc.len())
        .filter_map(|i| {
            let n = doc.raw(i).len();
            (n > max).then(|| Rejected {
                index: i,
                field: "event".into(),
                reason: format!(
                    "is {n} bytes long, more than the {max} bytes an event may take (--max-event-bytes)"
                ),
            })
        })
        .collect()
}

/// Events stored per round of multi-row statements (SQLite), and read
/// and checked ahead per round ([`check_ahead`]).
const BATCH: usize = 256;

/// Events stored per round of `COPY` statements (PostgreSQL): each
/// statement costs the server a setup and the client a round trip, which
/// the rows of eight rounds of [`BATCH`] share.
const PG_BATCH: usize = 8 * BATCH;

/// The most rows one INSERT statement writes. Rows go in statements of
/// power-of-two sizes up to this, so a handful of statement texts serve
/// every batch and stay prepared.
const ROWS_PER_INSERT: usize = 64;

/// One table a capture writes, and the texts of its multi-row `INSERT`
/// statements by number of rows, each made the first time it is needed.
struct Insert {
    table: &'static str,
    /// The columns written, `a, b, c`.
    columns: &'static str,
    ncols: usize,
    /// After the rows: `RETURNING ...`, or nothing.
    tail: &'static str,
    /// By the log2 of the number of rows.
    texts: [Option<String>; ROWS_PER_INSERT.ilog2() as usize + 1],
}

impl Insert {
    fn new(table: &'static str, columns: &'static str, tail: &'static str) -> Self {
        Insert {
            table,
            columns,
            ncols: columns.split(',').count(),
            tail,
            texts: [const { None }; ROWS_PER_INSERT.ilog2() as usize + 1],
        }
    }

    /// The statement writing `1 << log2` rows.
    fn text(&mut self, log2: u32) -> &str {
        let (table, columns, ncols, tail) = (self.table, self.columns, self.ncols, self.tail);
        self.texts[log2 as usize].get_or_insert_with(|| {
            let n = 1 << log2;
            let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
            sql.reserve(tail.len() + n * ncols * 6);
            for r in 0..n {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                sql.push_str(&placeholders(r * ncols + 1, ncols));
                sql.push(')');
            }
            sql.push(' ');
            sql.push_str(tail);
            sql
        })
    }

    /// Writes `values` (rows of `ncols` values, one after the other) in
    /// statements of up to [`ROWS_PER_INSERT`] rows; rows the statements
    /// return are handed to `each`. Rows that return nothing go by the
    /// backend's bulk load if it has one ([`Conn::copy_in`]).
    fn run(
        &mut self,
        c: &mut dyn Conn,
        values: &[Value],
        each: &mut dyn FnMut(&mut [Value]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if values.is_empty()
            || self.tail.is_empty() && c.copy_in(self.table, self.columns, values)?
        {
            return Ok(());
        }
        let mut rest = values;
        while !rest.is_empty() {
            let log2 = (rest.len() / self.ncols)
                .ilog2()
                .min(ROWS_PER_INSERT.ilog2());
            let (now, later) = rest.split_at((1 << log2) * self.ncols);
            c.query_each(self.text(log2), now, each)?;
            rest = later;
        }
        Ok(())
    }
}

/// The columns of an event written, but its id.
macro_rules! event_columns {
    () => {
        "hash, event_id, event_type, event_time, time_zone_offset, record_time, action,
         biz_step, disposition, read_point, biz_location, parent, lot, expiry, capture,
         body, body_format, body_json"
    };
}

/// The tables a capture writes.
struct Inserts {
    /// True if the events' ids are taken from their sequence before the
    /// events are written, in the last column of each row
    /// ([`reserve_ids`]), rather than returned by the statements that
    /// write them: on PostgreSQL, so that every table is written by `COPY`.
    reserve: bool,
    events: Insert,
    epcs: Insert,
    quantities: Insert,
    movements: Insert,
    parties: Insert,
    /// In a database partitioned by month, the events' keys
    /// (crate::partitions::KEYS). An event whose hash or eventID a
    /// concurrent capture committed meanwhile is not written there (its
    /// row waits for that capture's commit, then yields to it), and
    /// [`commit_in_order`] removes it.
    keys: Option<Insert>,
}

impl Inserts {
    fn new(backend: Backend, keyed: bool) -> Self {
        let reserve = backend == Backend::Postgres;
        Inserts {
            keys: keyed.then(|| {
                Insert::new(
                    crate::partitions::KEYS,
                    "event, hash, event_id, capture, event_time",
                    "ON CONFLICT DO NOTHING",
                )
            }),
            reserve,
            events: if reserve {
                Insert::new("epcis_events", concat!(event_columns!(), ", id"), "")
            } else {
                Insert::new(
                    "epcis_events",
                    event_columns!(),
                    "RETURNING id, hash, event_id",
                )
            },
            epcs: Insert::new("epcis_event_epcs", "event, role, epc", ""),
            quantities: Insert::new(
                "epcis_event_quantities",
                "event, role, epc_class, quantity, uom",
                "",
            ),
            movements: Insert::new(
                "stock_movements",
                "event, capture, at, location, item, lot, kind, quantity, reason, counterpart, expiry",
                "",
            ),
            parties: Insert::new("epcis_event_parties", "event, kind, kind_type, party", ""),
        }
    }

    /// The names of the tables, the events' first.
    fn tables(&self) -> Vec<&'static str> {
        [
            &self.events,
            &self.epcs,
            &self.quantities,
            &self.movements,
            &self.parties,
        ]
        .into_iter()
        .chain(&self.keys)
        .map(|i| i.table)
        .collect()
    }
}

/// A capture of at least this many events is a bulk write
/// ([`Store::begin_bulk`]: into SQLite, with a rollback journal when no
/// other connection has the file open); into a SQLite database holding
/// fewer events than it brings, it also builds the secondary indexes of
/// the tables it writes after loading them, in the same transaction (see
/// [`defer_indexes`]). Measured on 1M events: 24 to 28 s instead of 32 s
/// for the indexes (session 5), and 18% less for the journal (session 7,
/// docs/benchmarks.md).
const BULK: usize = 100_000;

/// For a large capture into SQLite, drops the secondary indexes of the
/// tables a capture writes (`tables`) and returns their definitions, to be run again
/// once the events are in: one sort per index is much faster than an
/// insertion per row into indexes grown larger than the page cache. Into a
/// store holding events, the indexes that find duplicates stay (the short
/// keys of the hash and the eventID): each batch looks its events up in
/// them. Into an empty store they go too, as the capture finds its
/// duplicates by id ([`Stored`]). The transaction holds both the drop and
/// the rebuild: whatever stops it leaves the indexes as they were.
/// (PostgreSQL is left alone: dropping an index there locks the table
/// against the readers of a multi-user server.)
fn defer_indexes(
    c: &mut dyn Conn,
    events: usize,
    bulk: usize,
    empty: bool,
    tables: &[&str],
) -> Result<Vec<String>, StoreError> {
    if c.backend() != crate::Backend::Sqlite || events < bulk {
        return Ok(Vec::new());
    }
    if !empty && event_count(c)? >= events as i64 {
        return Ok(Vec::new());
    }
    let mut p = vec![Value::from(empty)];
    let sql = format!(
        "SELECT name, sql FROM sqlite_master
         WHERE type = 'index' AND sql IS NOT NULL AND {}
           AND ($1 OR name NOT IN ('epcis_events_hash', 'epcis_events_event_id'))",
        in_list("tbl_name", tables, &mut p)
    );
    let mut found = Vec::new();
    c.query_each(&sql, &p, &mut |r| {
        found.push((r[0].take_text()?, r[1].take_text()?));
        Ok(())
    })?;
    let mut ddl = Vec::with_capacity(found.len());
    for (name, sql) in found {
        c.batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        ddl.push(sql);
    }
    Ok(ddl)
}

/// An event checked and waiting to be stored: its index in the document,
/// its record, its text as captured and, captured as XML, its JSON binding.
struct Pending<'a> {
    index: usize,
    record: EventRecord,
    body: &'a str,
    json: Option<String>,
    /// The stock movements it means.
    movements: Vec<RawMovement>,
}

/// An event of a document read and checked: its index, and its record,
/// JSON form (captured as XML) and stock movements, or why it is rejected
/// (the field and the reason).
type Checked = (usize, Result<Read, (String, String)>);

/// What [`check`] makes of a good event.
type Read = (EventRecord, Option<String>, Vec<RawMovement>);

/// How far after the time of capture an event may be dated: the clocks of
/// the devices that record events and of the server differ by minutes, not
/// hours. An event dated later is refused (docs/epcis.md): an event is
/// captured once it has happened, and one dated 2062 for 2026 would move
/// every stock figure's "now" (docs/formulas.md 3.1) decades ahead.
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Refuses an event dated more than [`CLOCK_SKEW`] after `now`, the time
/// of capture, or before [`equitas_ledger::report::EARLIEST_YEAR`]
/// (naming `eventTime`).
fn not_in_future(
    r: EventRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<EventRecord, (String, String)> {
    // The record's time is UTC. One chrono cannot read is a day the
    // calendar lacks (2026-02-30) or a year past 9999, later than any clock.
    let at = chrono::DateTime::parse_from_rfc3339(&r.event_time).ok();
    let four_digit_year = r.event_time.len() > 4
        && r.event_time.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && r.event_time.as_bytes()[4] == b'-';
    if at.is_none() && four_digit_year {
        return Err((
            "eventTime".to_string(),
            format!("{:?} is not a date and time the calendar has", r.event_time),
        ));
    }
    // The year of the local day the ledger dates the event by (its time
    // zone offset applied), else of the UTC instant.
    let local_year = equitas_ledger::calendar::local_ms(&r.event_time, &r.time_zone_offset)
        .or_else(|| at.map(|a| a.timestamp_millis()))
        .map(|ms| {
            chrono::Datelike::year(&equitas_ledger::calendar::date_of(
                equitas_ledger::calendar::day_of_ms(ms),
            ))
        });
    if local_year.is_some_and(|y| y < equitas_ledger::report::EARLIEST_YEAR) {
        return Err((
            "eventTime".to_string(),
            format!(
                "{} is before {}: a device whose clock was reset (1970-01-01 is where computer \
                 clocks start) or a date typed wrong; check the device's date",
                r.event_time,
                equitas_ledger::report::EARLIEST_YEAR
            ),
        ));
    }
    if at.is_none_or(|at| at > now + CLOCK_SKEW) {
        return Err((
            "eventTime".to_string(),
            format!(
                "{} is after the time of capture ({}, this server's clock, more than an hour \
                 ahead allowed for clocks that differ): an event is captured once it has \
                 happened; check the device's date and time zone",
                r.event_time,
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ));
    }
    Ok(r)
}

/// Reads and checks event `i` of `doc` captured at `now`, refusing one
/// dated after it ([`not_in_future`]).
fn check(doc: &EventReader, i: usize, now: chrono::DateTime<chrono::Utc>) -> Checked {
    let read = match doc.event(i) {
        Ok(e) => record(&e, doc.hash_ignore())
            .and_then(|r| not_in_future(r, now))
            .map(|r| {
                // Queries answer in the JSON binding: an XML event keeps
                // that form beside its XML text.
                let json = doc
                    .is_xml()
                    .then(|| equitas_epcis::json_out::event_json(&e).to_string());
                let movements = equitas_ledger::extract::movements(&r).movements;
                (r, json, movements)
            }),
        Err(equitas_epcis::EpcisError::Event { field, reason, .. }) => Err((field, reason)),
        Err(e) => Err(("event".to_string(), e.to_string())),
    };
    (i, read)
}

/// Batches of checked events sent ahead of a capture into PostgreSQL, so
/// that the next round ([`PG_BATCH`] events) is read, hashed and checked on
/// another thread while the server writes the last: a whole round and two
/// batches more. With two batches only, the reader stopped 512 events into
/// the next round and the server then waited for the other 1,536
/// (docs/benchmarks.md, session 14).
const AHEAD: usize = PG_BATCH / BATCH + 2;

/// Reads and checks the events of `doc` but those at `skip` (in increasing
/// order), in document order, and sends them on `out` [`BATCH`] at a time,
/// until they are all sent or `out` is no longer received.
fn check_ahead(
    doc: &EventReader,
    skip: &[usize],
    now: chrono::DateTime<chrono::Utc>,
    out: SyncSender<Vec<Checked>>,
) {
    let mut skip = skip.iter().peekable();
    let mut chunk = Vec::with_capacity(BATCH);
    for i in 0..doc.len() {
        if skip.next_if(|&&k| k == i).is_some() {
            continue;
        }
        chunk.push(check(doc, i, now));
        if chunk.len() == BATCH
            && out
                .send(std::mem::replace(&mut chunk, Vec::with_capacity(BATCH)))
                .is_err()
        {
            return;
        }
    }
    if !chunk.is_empty() {
        let _ = out.send(chunk);
    }
}

/// The capture job whose events are being stored: its id, its record time
/// and, into a store that held no event before it, what it stored.
pub(super) struct Job<'a> {
    pub(super) id: i64,
    now: &'a str,
    /// The events it stored, by digest of their hash and eventID: into a
    /// store that held no event, how it finds its duplicates (`empty`);
    /// into an unpartitioned PostgreSQL database, also what
    /// [`commit_in_order`] matches the events of captures committed
    /// meanwhile against, instead of reading this capture's rows back.
    pub(super) stored: Option<Stored>,
    /// The store held no event when it began: its duplicates are found in
    /// `stored`.
    empty: bool,
    /// (id, index in the document) of each event it stored, by id: which
    /// earlier event of the document an event conflicts with.
    indexes: Vec<(i64, usize)>,
    /// True under [`ErrorBehaviour::Rollback`]: once an event is rejected,
    /// nothing is stored, and the events after it are only checked.
    rollback: bool,
    /// Those events, by eventID: what later ones may conflict with.
    checked: HashMap<String, Holder>,
    inserts: Inserts,
    /// True if the database is partitioned by month: held events are
    /// found in the keys' table, which the capture writes too
    /// (crate::partitions::KEYS).
    pub(super) keyed: bool,
    /// On PostgreSQL, the months of the events and movements it stored:
    /// those whose partitions it makes once committed (crate::partitions).
    months: BTreeSet<Month>,
}

impl Job<'_> {
    /// (id, index in the document) of each event it stored, by id.
    pub(super) fn stored_ids(&self) -> &[(i64, usize)] {
        &self.indexes
    }

    /// The index in the document of the event it stored with id `id`.
    pub(super) fn index_of(&self, id: i64) -> Option<usize> {
        let i = self.indexes.partition_point(|&(x, _)| x < id);
        self.indexes
            .get(i)
            .filter(|&&(x, _)| x == id)
            .map(|&(_, index)| index)
    }
}

/// Stores a batch of events with their identifiers, quantities, stock
/// movements and parties, in document order. An event whose eventID is
/// held (or given to an earlier event of the document) with another hash
/// is rejected as a conflict; else one whose hash or eventID is held (or
/// comes earlier in the document) is counted a duplicate. Under rollback,
/// once an event is rejected the batch is only checked for conflicts, and
/// its events noted in `job.checked` for the next batches to be checked
/// against. The caller holds the write transaction. On SQLite, the one
/// writer, nothing stores the same event between the lookup and the insert;
/// on PostgreSQL a concurrent capture may, unseen until it commits, and
/// [`commit_in_order`] removes this capture's copies.
fn store_batch(
    c: &mut dyn Conn,
    batch: &mut Vec<Pending>,
    job: &mut Job,
    report: &mut CaptureReport,
) -> Result<(), StoreError> {
    let hashes = batch.iter().map(|p| p.record.hash.as_str());
    let ids = batch.iter().filter_map(|p| p.record.event_id.as_deref());
    let mut held = Held::default();
    match job.stored.as_ref().filter(|_| job.empty) {
        Some(s) => {
            let mut candidates: Vec<i64> =
                hashes.chain(ids).flat_map(|v| s.candidates(v)).collect();
            candidates.sort_unstable();
            candidates.dedup();
            held_by_id(c, &candidates, job, &mut held)?;
        }
        None => {
            Key::Hash.held(c, &hashes.collect::<Vec<_>>(), job, &mut held)?;
            Key::EventId.held(c, &ids.collect::<Vec<_>>(), job, &mut held)?;
        }
    }
    if !job.checked.is_empty() {
        for id in batch.iter().filter_map(|p| p.record.event_id.as_ref()) {
            if let Some(h) = job.checked.get(id) {
                held.ids.insert(id.clone(), h.clone());
            }
        }
    }
    let (capture, now, stored, inserts) = (job.id, job.now, &mut job.stored, &mut job.inserts);
    let mut rows = Vec::with_capacity(batch.len() * inserts.events.ncols);
    let mut rest = Vec::with_capacity(batch.len());
    for p in batch.drain(..) {
        let r = p.record;
        // Held, or stored earlier in this document.
        if let Some(reason) = held.conflict(&r) {
            report.conflicts += 1;
            report.rejected.push(Rejected {
                index: p.index,
                field: "eventID".into(),
                reason,
            });
            continue;
        }
        if held.holds(&r) {
            report.duplicates += 1;
            continue;
        }
        held.stored(&r, p.index, capture);
        if job.rollback && !report.rejected.is_empty() {
            continue;
        }
        let movements = p.movements;
        if inserts.reserve {
            job.months.extend(Month::of_event_time(&r.event_time));
            job.months
                .extend(movements.iter().filter_map(|m| Month::of_ms(m.at)));
        }
        rows.extend([
            r.hash.as_str().into(),
            r.event_id.into(),
            r.event_type.into(),
            r.event_time.into(),
            r.time_zone_offset.into(),
            now.into(),
            r.action.into(),
            r.biz_step.into(),
            r.disposition.into(),
            r.read_point.into(),
            r.biz_location.into(),
            r.parent.into(),
            r.lot.into(),
            r.expiry.into(),
            Value::Int(capture),
            p.body.into(),
            if p.json.is_some() { "xml" } else { "json" }.into(),
            p.json.into(),
        ]);
        if inserts.reserve {
            // The id, once taken.
            rows.push(Value::Null);
        }
        rest.push((p.index, r.hash, r.epcs, r.quantities, r.parties, movements));
    }
    if job.rollback && !report.rejected.is_empty() {
        // Nothing will be stored: the events this batch would store are
        // kept for the next batches to be checked against.
        for (id, h) in held.ids {
            if h.capture == capture && h.index.is_some() {
                job.checked.entry(id).or_insert(h);
            }
        }
        return Ok(());
    }
    // The new events' ids, in document order, noted in `stored` by hash
    // and eventID.
    let mut none = |_: &mut [Value]| Ok(());
    let ids = if inserts.reserve {
        let ids = reserve_ids(c, rest.len())?;
        let n = inserts.events.ncols;
        let mut keys = Vec::new();
        for (row, &id) in rows.chunks_mut(n).zip(&ids) {
            row[n - 1] = Value::Int(id);
            if inserts.keys.is_some() {
                // event, hash, event_id, capture, event_time
                keys.extend([
                    Value::Int(id),
                    row[0].clone(),
                    row[1].clone(),
                    Value::Int(capture),
                    row[3].clone(),
                ]);
            }
            if let Some(s) = stored.as_mut() {
                for v in &row[..2] {
                    if let Value::Text(v) = v {
                        s.insert(v, id);
                    }
                }
            }
        }
        inserts.events.run(c, &rows, &mut none)?;
        if let Some(k) = inserts.keys.as_mut() {
            k.run(c, &keys, &mut none)?;
        }
        ids
    } else {
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(rest.len());
        inserts.events.run(c, &rows, &mut |r| {
            let (id, hash) = (r[0].get()?, r[1].take_text()?);
            if let Some(s) = stored.as_mut() {
                s.insert(&hash, id);
                if let Some(event_id) = r[2].take_opt_text()? {
                    s.insert(&event_id, id);
                }
            }
            ids.insert(hash, id);
            Ok(())
        })?;
        rest.iter()
            .map(|(_, hash, ..)| {
                ids.get(hash).copied().ok_or_else(|| {
                    StoreError::Invalid(format!("the event {hash} was stored without an id"))
                })
            })
            .collect::<Result<Vec<i64>, _>>()?
    };
    // Sized once: grown by doubling, they were copied over and over.
    let (e, q, p, m) = rest.iter().fold((0, 0, 0, 0), |(e, q, p, m), r| {
        (e + r.2.len(), q + r.3.len(), p + r.4.len(), m + r.5.len())
    });
    let (mut epcs, mut quantities, mut parties, mut moves) = (
        Vec::with_capacity(e * inserts.epcs.ncols),
        Vec::with_capacity(q * inserts.quantities.ncols),
        Vec::with_capacity(p * inserts.parties.ncols),
        Vec::with_capacity(m * inserts.movements.ncols),
    );
    let first = job.indexes.len();
    for ((index, _, e, q, p, m), id) in rest.into_iter().zip(ids) {
        job.indexes.push((id, index));
        report.captured += 1;
        for (role, epc) in e {
            epcs.extend([Value::Int(id), role.into(), epc.into()]);
        }
        for q in q {
            quantities.extend([
                Value::Int(id),
                q.role.into(),
                q.epc_class.into(),
                q.quantity.into(),
                q.uom.into(),
            ]);
        }
        for p in p {
            parties.extend([
                Value::Int(id),
                p.kind.into(),
                p.kind_type.into(),
                p.id.into(),
            ]);
        }
        for m in m {
            moves.extend([
                Value::Int(id),
                Value::Int(capture),
                Value::Int(m.at),
                m.location.into(),
                m.item.into(),
                m.lot.into(),
                m.kind.as_str().into(),
                m.quantity.into(),
                m.reason.into(),
                m.counterpart.into(),
                m.expiry.into(),
            ]);
        }
    }
    // Ids grow with each row written; were they to come back out of order,
    // the search by id still finds them.
    if !job.indexes[first.saturating_sub(1)..].is_sorted() {
        job.indexes.sort_unstable();
    }
    inserts.epcs.run(c, &epcs, &mut none)?;
    inserts.quantities.run(c, &quantities, &mut none)?;
    inserts.movements.run(c, &moves, &mut none)?;
    inserts.parties.run(c, &parties, &mut none)
}

/// Takes `n` ids from the sequence of the events' ids (PostgreSQL), in
/// increasing order: the ids of the events a batch writes by `COPY`. Other
/// captures take theirs from the same sequence meanwhile, as they would
/// writing their events; an id taken by a capture that rolls back is never
/// used, as with any sequence.
fn reserve_ids(c: &mut dyn Conn, n: usize) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(n);
    if n > 0 {
        c.query_each(
            // The sequence is found once, not once per id (8% of the
            // server's time in a capture, measured with perf).
            "WITH s AS MATERIALIZED (
                 SELECT pg_get_serial_sequence('epcis_events', 'id')::regclass AS s)
             SELECT nextval(s.s) FROM s, generate_series(1, $1)",
            &[Value::Int(n as i64)],
            &mut |r| {
                ids.push(r[0].get()?);
                Ok(())
            },
        )?;
        ids.sort_unstable();
    }
    Ok(ids)
}

/// Captures the events of a document (named `source_name`) in one
/// transaction, reading and storing one event at a time. `extra` holds
/// rejections found before (schema problems by event index).
///
/// Every event is checked, so that the report names each bad one; with
/// [`ErrorBehaviour::Rollback`] storing stops at the first bad event and
/// the transaction is rolled back at the end.
pub fn capture(
    store: &mut dyn Store,
    source_name: &str,
    doc: &EventReader,
    extra: Vec<Rejected>,
    behaviour: ErrorBehaviour,
    progress: &dyn crate::import::Progress,
) -> Result<CaptureReport, StoreError> {
    capture_with(
        store,
        source_name,
        doc,
        extra,
        behaviour,
        progress,
        BULK,
        &mut |_, _| Ok(()),
    )
}

/// What a capture writes besides its events, in its own transaction just
/// before it commits (its audit entry): called with the report, whose
/// `capture_id` is set; an error rolls the whole capture back.
pub type BeforeCommit<'a> =
    &'a mut dyn FnMut(&mut dyn Conn, &CaptureReport) -> Result<(), StoreError>;

/// [`capture`], with `before_commit` written in the same transaction: a
/// crash cannot leave the capture without it (nor it without the capture).
/// Not called for a capture rolled back (nothing is committed).
pub fn capture_then(
    store: &mut dyn Store,
    source_name: &str,
    doc: &EventReader,
    extra: Vec<Rejected>,
    behaviour: ErrorBehaviour,
    progress: &dyn crate::import::Progress,
    before_commit: BeforeCommit<'_>,
) -> Result<CaptureReport, StoreError> {
    capture_with(
        store,
        source_name,
        doc,
        extra,
        behaviour,
        progress,
        BULK,
        before_commit,
    )
}

/// [`capture_then`], building indexes after loading from `bulk` events on.
#[allow(clippy::too_many_arguments)]
fn capture_with(
    store: &mut dyn Store,
    source_name: &str,
    doc: &EventReader,
    mut extra: Vec<Rejected>,
    behaviour: ErrorBehaviour,
    progress: &dyn crate::import::Progress,
    bulk: usize,
    before_commit: BeforeCommit<'_>,
) -> Result<CaptureReport, StoreError> {
    let mut report = CaptureReport {
        events: doc.len(),
        ..Default::default()
    };
    extra.sort_by_key(|r| r.index);
    extra.dedup_by_key(|r| r.index);
    let skip: Vec<usize> = extra.iter().map(|r| r.index).collect();
    let mut known = extra.into_iter().peekable();
    let clock = chrono::Utc::now();
    let now = clock.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // The partitions of this month and the next ones, before the
    // capture's transaction takes its locks (PostgreSQL).
    crate::partitions::ensure_ahead(store);
    let mut tx = if doc.len() >= bulk {
        store.begin_bulk()?
    } else {
        store.begin()?
    };
    let postgres = tx.backend() == crate::Backend::Postgres;
    if postgres {
        // The held events are looked up through the short-key indexes,
        // whatever the statistics say: without statistics of the keys (a
        // table loaded since it was last analysed), PostgreSQL guesses
        // that each of a batch's keys matches 0.5% of the rows and reads
        // the whole table for every batch (issue 18: 150 s to capture
        // 300,000 events held already). The keys are near-unique by
        // construction, so the index is the right plan at any size.
        // No JIT compilation either: a capture's statements are short or
        // read by index, and a plan costed on guesses was compiled for
        // 1.3 s of the 8 s check of two concurrent captures (session 14).
        tx.batch("SET LOCAL enable_seqscan = off; SET LOCAL jit = off")?;
    }
    let keyed = crate::partitions::partitioned(tx.as_mut())?;
    let since = Committed::read(tx.as_mut(), keyed)?;
    // PostgreSQL's estimate of the events held (-1 if never analysed).
    let held_before: f64 = if postgres && !keyed {
        tx.query_scalar(
            "SELECT reltuples::float8 FROM pg_class WHERE oid = 'epcis_events'::regclass",
            &[],
        )?
        .get()?
    } else {
        -1.0
    };
    let capture_id: i64 = tx
        .query_scalar(
            "INSERT INTO epcis_captures (source_name, received_at, mode, events, captured, duplicates, rejected)
             VALUES ($1, $2, $3, $4, 0, 0, 0) RETURNING id",
            &[
                source_name.into(),
                now.as_str().into(),
                behaviour.as_str().into(),
                (report.events as u64).into(),
            ],
        )?
        .get()?;
    let empty = tx
        .query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM epcis_events) THEN 0 ELSE 1 END",
            &[],
        )?
        .get::<bool>()?;
    let inserts = Inserts::new(tx.backend(), keyed);
    let deferred = defer_indexes(tx.as_mut(), doc.len(), bulk, empty, &inserts.tables())?;
    let mut job = Job {
        id: capture_id,
        now: &now,
        stored: (empty || (postgres && !keyed)).then(Stored::new),
        empty,
        indexes: Vec::new(),
        rollback: behaviour == ErrorBehaviour::Rollback,
        checked: HashMap::new(),
        inserts,
        months: BTreeSet::new(),
        keyed,
    };
    progress.start("events", doc.len() as u64);
    std::thread::scope(|s| {
        // Read ahead on PostgreSQL, whose server writes while the client
        // reads: into SQLite, which writes in the process, reading ahead
        // took 1.26% more instructions and, on a machine loaded by other
        // work, 15 to 27% more time (docs/benchmarks.md). A document of one
        // batch or less is checked as it is stored.
        let mut checked: Box<dyn Iterator<Item = Checked>> = if postgres && doc.len() > BATCH {
            let (send, receive) = std::sync::mpsc::sync_channel(AHEAD);
            let skip = &skip;
            s.spawn(move || check_ahead(doc, skip, clock, send));
            Box::new(receive.into_iter().flatten())
        } else {
            let mut skip = skip.iter().peekable();
            Box::new(
                (0..doc.len())
                    .filter(move |&i| skip.next_if(|&&k| k == i).is_none())
                    .map(move |i| check(doc, i, clock)),
            )
        };
        let size = if postgres { PG_BATCH } else { BATCH };
        let mut batch = Vec::with_capacity(size);
        for i in 0..doc.len() {
            progress.inc(1);
            if let Some(r) = known.next_if(|r| r.index == i) {
                report.rejected.push(r);
                continue;
            }
            let (index, read) = checked
                .next()
                .filter(|&(index, _)| index == i)
                .ok_or_else(|| StoreError::Invalid(format!("event {i} was not read")))?;
            match read {
                Err((field, reason)) => report.rejected.push(Rejected {
                    index,
                    field,
                    reason,
                }),
                // Once rollback is certain, the rest is only checked (in
                // batches too, for conflicts).
                Ok((record, json, movements)) => {
                    batch.push(Pending {
                        index,
                        record,
                        body: doc.raw(index),
                        json,
                        movements,
                    });
                    if batch.len() == size {
                        store_batch(tx.as_mut(), &mut batch, &mut job, &mut report)?;
                    }
                }
            }
        }
        store_batch(tx.as_mut(), &mut batch, &mut job, &mut report)
    })?;
    progress.finish();
    report.rejected.extend(known);
    // Conflicts are found as their batch is stored, after the events
    // rejected before it.
    report.rejected.sort_by_key(|r| r.index);
    if behaviour == ErrorBehaviour::Rollback && !report.rejected.is_empty() {
        // Dropping the transaction rolls it back: nothing was stored.
        drop(tx);
        return Ok(report.refused());
    }
    if !deferred.is_empty() {
        progress.start("indexes", deferred.len() as u64);
        for sql in &deferred {
            tx.batch(sql)?;
            progress.inc(1);
        }
        progress.finish();
    }
    let tables = job.inserts.tables();
    commit_in_order(tx.as_mut(), capture_id, since, &tables, &job, &mut report)?;
    if behaviour == ErrorBehaviour::Rollback && report.conflicts > 0 {
        // Conflicts with a capture committed meanwhile refuse the document too.
        drop(tx);
        return Ok(report.refused());
    }
    report.capture_id = Some(capture_id);
    before_commit(tx.as_mut(), &report)?;
    tx.commit()?;
    // Months without their partitions (an old month loaded late): their
    // rows went to the DEFAULT partitions, out of which making the
    // partitions moves them. The capture is committed: a failure here
    // leaves them there, for the next capture of those months to move.
    if let Err(e) = crate::partitions::ensure_months(store, &job.months) {
        tracing::warn!("making the partitions of the months captured: {e}");
    }
    if postgres && analyse_after(report.captured, held_before) {
        // Fresh statistics for the queries that follow, before autovacuum
        // comes round to it (up to a minute later). The capture is
        // committed: a failure here costs only the statistics. In a
        // database partitioned by month, the partitions of the months it
        // wrote rather than the partitioned tables: ANALYZE of those
        // reads every month's partition (8.1 s at 12 months of 150
        // facilities, measured), which grew each capture with the months
        // held; the partitioned tables' own statistics are left to an
        // operator's ANALYZE, as autovacuum leaves them (docs/scale.md).
        let mut targets: Vec<String> = Vec::new();
        for t in &tables {
            match crate::partitions::TABLES.iter().find(|(p, _)| p == t) {
                Some((p, _)) if keyed => {
                    targets.extend(job.months.iter().map(|m| m.partition(p)));
                }
                _ => targets.push(t.to_string()),
            }
        }
        if let Err(e) = store.batch(&format!("ANALYZE {}", targets.join(", "))) {
            tracing::warn!("analysing the tables after a capture: {e}");
        }
    }
    Ok(report)
}

/// On PostgreSQL, a capture that stored at least this many events analyses
/// the tables it wrote once it has committed ([`analyse_after`]).
const ANALYZE_FROM: usize = 10_000;

/// Whether a capture that stored `captured` events into a table PostgreSQL
/// estimated at `held_before` rows (-1: never analysed; a database
/// partitioned by month passes -1) analyses the tables it wrote: from
/// [`ANALYZE_FROM`] events, and only if they are at least a tenth of those
/// held before, the share at which autovacuum analyses a table by default
/// (`autovacuum_analyze_scale_factor` = 0.1). A smaller capture leaves the
/// statistics as near the truth as autovacuum keeps them, and its ANALYZE
/// (0.7 to 2.3 s after a 300,000-event capture, measured) is saved.
fn analyse_after(captured: usize, held_before: f64) -> bool {
    captured >= ANALYZE_FROM && (held_before < 0.0 || captured as f64 * 10.0 >= held_before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epcis::query::event_by_id_sql;
    use crate::epcis::{EventQuery, query_events};
    use crate::import::NoProgress;
    use crate::{SqliteStore, migrations};

    fn indexes(s: &mut SqliteStore) -> Vec<Vec<Value>> {
        let mut p = Vec::new();
        let tables = in_list(
            "tbl_name",
            &Inserts::new(Backend::Sqlite, false).tables(),
            &mut p,
        );
        s.query(
            &format!(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND {tables} ORDER BY name"
            ),
            &p,
        )
        .unwrap()
    }

    /// Captures `text` as a bulk capture from 10 events on.
    fn bulk(s: &mut SqliteStore, text: &str) -> CaptureReport {
        bulk_with(s, text, ErrorBehaviour::Rollback)
    }

    /// [`bulk`] with the error behaviour `b`.
    fn bulk_with(s: &mut SqliteStore, text: &str, b: ErrorBehaviour) -> CaptureReport {
        let doc = EventReader::new(text).unwrap();
        capture_with(s, "doc", &doc, vec![], b, &NoProgress, 10, &mut |_, _| {
            Ok(())
        })
        .unwrap()
    }

    #[test]
    fn analysed_after_a_capture_of_a_large_share() {
        // Never analysed, or empty: from ANALYZE_FROM events.
        assert!(!analyse_after(ANALYZE_FROM - 1, -1.0));
        assert!(analyse_after(ANALYZE_FROM, -1.0));
        assert!(analyse_after(ANALYZE_FROM, 0.0));
        // A tenth of the rows held before, or more.
        assert!(analyse_after(100_000, 1_000_000.0));
        assert!(!analyse_after(99_999, 1_000_000.0));
        assert!(!analyse_after(ANALYZE_FROM - 1, 1_000.0));
    }

    /// A capture large enough to build its indexes afterwards leaves the
    /// same indexes, used by queries; rolled back, it leaves them too.
    #[test]
    fn indexes_built_after_a_bulk_capture() {
        let mut s = SqliteStore::in_memory().unwrap();
        migrations::migrate(&mut s).unwrap();
        let before = indexes(&mut s);
        assert!(before.len() >= 9, "{before:?}");
        let event = |i: usize, action: &str| {
            format!(
                r#"{{"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:{:02}Z", "eventTimeZoneOffset": "+00:00",
                    "action": "{action}", "bizStep": "shipping", "bizLocation": {{"id": "urn:epc:id:sgln:0614141.12345.0"}},
                    "epcList": ["urn:epc:id:sgtin:4012345.012345.{i}"]}}"#,
                i % 60
            )
        };
        let doc = |bad: Option<usize>| {
            let events: Vec<String> = (0..50)
                .map(|i| event(i, if Some(i) == bad { "CREATE" } else { "ADD" }))
                .collect();
            format!(
                r#"{{"epcisBody": {{"eventList": [{}]}}}}"#,
                events.join(",")
            )
        };
        let r = bulk(&mut s, &doc(Some(49)));
        assert!(r.rolled_back);
        assert_eq!(indexes(&mut s), before);
        let good = doc(None);
        let r = bulk(&mut s, &good);
        assert_eq!(r.captured, 50);
        assert_eq!(indexes(&mut s), before);
        let plan = s
            .query(
                "EXPLAIN QUERY PLAN SELECT id FROM epcis_events WHERE biz_location = 'x'",
                &[],
            )
            .unwrap();
        assert!(
            format!("{plan:?}").contains("epcis_events_biz_location"),
            "{plan:?}"
        );
        // Events are found by hash and eventID through indexes, not a scan:
        // the statements capture and `event_by_id` run.
        for (sql, params, uses) in [
            (
                event_by_id_sql(false),
                1,
                &["epcis_events_event_id", "epcis_events_hash"][..],
            ),
            (Key::Hash.lookup(2, false), 2, &["epcis_events_hash"]),
            (Key::EventId.lookup(2, false), 2, &["epcis_events_event_id"]),
        ] {
            let params: Vec<Value> = ["a", "bc"][..params].iter().map(|&v| v.into()).collect();
            let plan = format!(
                "{:?}",
                s.query(&format!("EXPLAIN QUERY PLAN {sql}"), &params)
                    .unwrap()
            );
            for index in uses {
                assert!(plan.contains(&format!("INDEX {index} ")), "{sql}: {plan}");
            }
            assert!(!plan.contains("SCAN"), "{sql}: {plan}");
        }
        let found = query_events(
            &mut s,
            &EventQuery {
                epcs: vec!["urn:epc:id:sgtin:4012345.012345.7".into()],
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        // The same again is held: nothing dropped, nothing new.
        let r = bulk(&mut s, &good);
        assert_eq!((r.captured, r.duplicates), (0, 50));
        assert_eq!(indexes(&mut s), before);
    }

    /// A document of several batches, read and checked ahead of the
    /// capture (on PostgreSQL, on another thread), keeps its events' indexes: rejections
    /// found before (schema problems) and bad events are reported at their
    /// index, among the events stored, whichever batch they fall in.
    fn events_checked_ahead_keep_their_indexes(s: &mut dyn Store, batch: usize) {
        let n = 3 * batch + 10;
        let bad = batch + 144;
        let events: Vec<String> = (0..n)
            .map(|i| {
                let action = if i == bad { "BAD" } else { "OBSERVE" };
                format!(
                    r#"{{"type": "ObjectEvent", "eventTime": "2026-01-05T{:02}:{:02}:{:02}Z", "eventTimeZoneOffset": "+00:00",
                        "action": "{action}", "epcList": ["urn:epc:id:sgtin:4012345.012345.{i}"]}}"#,
                    i / 3600 % 24,
                    i / 60 % 60,
                    i % 60
                )
            })
            .collect();
        let text = format!(
            r#"{{"epcisBody": {{"eventList": [{}]}}}}"#,
            events.join(",")
        );
        let doc = EventReader::new(&text).unwrap();
        let before = |index| Rejected {
            index,
            field: "schema".into(),
            reason: "refused before".into(),
        };
        let extra = vec![before(3 * batch + 9), before(5), before(batch)];
        let r = capture_with(
            s,
            "doc",
            &doc,
            extra,
            ErrorBehaviour::Proceed,
            &NoProgress,
            BULK,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let rejected: Vec<(usize, &str)> = r
            .rejected
            .iter()
            .map(|r| (r.index, r.field.as_str()))
            .collect();
        assert_eq!(
            rejected,
            [
                (5, "schema"),
                (batch, "schema"),
                (bad, "action"),
                (3 * batch + 9, "schema")
            ],
            "{:?}",
            r.rejected
        );
        assert_eq!(r.captured, n - 4);
        assert_eq!(event_count(s).unwrap(), n as i64 - 4);
        // The events stored are those of the document, in its order.
        let found = query_events(
            s,
            &EventQuery {
                limit: 10_000,
                ..Default::default()
            },
        )
        .unwrap();
        let stored: Vec<usize> = found
            .iter()
            .map(|e| {
                let epc = e.epcs[0].1.rsplit(['.', '/']).next().unwrap().to_string();
                epc.parse().unwrap()
            })
            .collect();
        let expected: Vec<usize> = (0..n)
            .filter(|i| ![5, batch, bad, 3 * batch + 9].contains(i))
            .collect();
        assert_eq!(stored, expected);
    }

    #[test]
    fn events_checked_ahead_keep_their_indexes_on_sqlite() {
        let mut s = SqliteStore::in_memory().unwrap();
        migrations::migrate(&mut s).unwrap();
        events_checked_ahead_keep_their_indexes(&mut s, BATCH);
    }

    #[cfg(feature = "testing")]
    #[test]
    fn events_checked_ahead_keep_their_indexes_on_postgres() {
        let Some(mut s) = crate::testing::postgres() else {
            return;
        };
        events_checked_ahead_keep_their_indexes(s.store.as_mut(), PG_BATCH);
    }

    /// A bulk capture into an empty store, which builds even the indexes
    /// of hashes and eventIDs at its end, finds copies in later batches by
    /// hash, and conflicts by eventID, naming the event they conflict
    /// with; captured again, every event is held.
    #[test]
    fn bulk_capture_into_an_empty_store_finds_copies() {
        let mut s = SqliteStore::in_memory().unwrap();
        migrations::migrate(&mut s).unwrap();
        let before = indexes(&mut s);
        let events: Vec<String> = (0..700)
            .map(|i| {
                // 300 has the eventID of 10 (and another time, so another
                // hash); 650 is 20 again, whole.
                let (id, t) = match i {
                    300 => (10, 300),
                    650 => (20, 20),
                    i => (i, i),
                };
                format!(
                    r#"{{"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-{id:012}",
                        "eventTime": "2026-01-05T10:{:02}:{:02}Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE"}}"#,
                    t / 60,
                    t % 60
                )
            })
            .collect();
        let text = format!(
            r#"{{"epcisBody": {{"eventList": [{}]}}}}"#,
            events.join(",")
        );
        let r = bulk_with(&mut s, &text, ErrorBehaviour::Proceed);
        assert_eq!((r.captured, r.duplicates, r.conflicts), (698, 1, 1));
        let conflict = &r.rejected[..];
        assert_eq!(conflict.len(), 1);
        assert_eq!(
            (conflict[0].index, conflict[0].field.as_str()),
            (300, "eventID")
        );
        assert!(
            conflict[0].reason.contains("event 10 of this document"),
            "{conflict:?}"
        );
        assert_eq!(indexes(&mut s), before);
        let r = bulk_with(&mut s, &text, ErrorBehaviour::Proceed);
        assert_eq!((r.captured, r.duplicates, r.conflicts), (0, 699, 1));
        assert!(
            r.rejected[0].reason.contains("an event held in the store"),
            "{:?}",
            r.rejected
        );
        assert_eq!(event_count(&mut s).unwrap(), 698);
    }
}
