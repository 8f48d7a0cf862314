//! Capturing EPCIS events, following the EPCIS 2.0 capture interface:
//! a document is stored in one transaction; with the default
//! `GS1-Capture-Error-Behaviour: rollback` nothing of a document with a bad
//! event is stored, with `proceed` the good events are. An event already
//! held (same Event Hash ID, or same eventID with the same hash) is a
//! duplicate and is not stored again; an event whose eventID is held with
//! another hash (or given to an earlier event of the same document) is a
//! conflict, rejected as a bad event is.
//!
//! On PostgreSQL captures run concurrently: each takes the capture lock
//! only from numbering its commit to committing ([`commit_in_order`]).

use crate::repo::{in_list, placeholders};
use crate::{Conn, Store, StoreError, Value};
use equitas_epcis::EventReader;
use equitas_epcis::event::{EventRecord, record};
use std::collections::hash_map::Entry;
// foldhash: the keys are event hashes, eventIDs, ids and digests by the
// hundred thousand, which SipHash (std's default) hashed at about 1.4% of
// a capture's instructions.
use foldhash::fast::RandomState;
use foldhash::{HashMap, HashMapExt, HashSet};
use std::hash::BuildHasher;

/// (role, EPC class, quantity, unit of measure) of a found event.
type Quantity = (String, String, Option<f64>, Option<String>);

/// PostgreSQL advisory lock key a capture holds from taking its commit
/// sequence number to committing ([`commit_in_order`]).
pub const CAPTURE_LOCK: i64 = 0x4571_7569_7461_7302;

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

/// What a capture did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureReport {
    /// The capture job's id (absent when nothing was written).
    pub capture_id: Option<i64>,
    pub events: usize,
    pub captured: usize,
    pub duplicates: usize,
    /// Bad events, in document order: conflicts among them.
    pub rejected: Vec<Rejected>,
    /// Of `rejected`, the conflicts: events whose eventID is held with
    /// other content or was given to an earlier event of the document.
    pub conflicts: usize,
    /// True if the document was refused whole (rollback with bad events).
    pub rolled_back: bool,
}

impl CaptureReport {
    /// The report of a document refused whole (rollback with bad events):
    /// nothing captured, nothing counted a duplicate.
    fn refused(mut self) -> Self {
        self.captured = 0;
        self.duplicates = 0;
        self.rolled_back = true;
        self
    }
}

/// Events stored per round of multi-row statements.
const BATCH: usize = 256;

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
    /// return are handed to `each`.
    fn run(
        &mut self,
        c: &mut dyn Conn,
        values: &[Value],
        each: &mut dyn FnMut(&mut [Value]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
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

/// The tables a capture writes.
struct Inserts {
    events: Insert,
    epcs: Insert,
    quantities: Insert,
    movements: Insert,
    parties: Insert,
}

impl Inserts {
    fn new() -> Self {
        Inserts {
            events: Insert::new(
                "epcis_events",
                "hash, event_id, event_type, event_time, time_zone_offset, record_time, action,
                 biz_step, disposition, read_point, biz_location, parent, lot, expiry, capture,
                 body, body_format, body_json",
                "RETURNING id, hash, event_id",
            ),
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

    /// The names of the tables.
    fn tables(&self) -> [&'static str; 5] {
        [
            &self.events,
            &self.epcs,
            &self.quantities,
            &self.movements,
            &self.parties,
        ]
        .map(|i| i.table)
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
}

/// A short key by which held events are found (schema version 6: the
/// indexes `epcis_events_hash` and `epcis_events_event_id`).
#[derive(Debug, Clone, Copy)]
enum Key {
    /// The first 16 hex digits of an Event Hash ID
    /// (`ni:///sha-256;<hex>?ver=CBV2.0`): 64 bits of the SHA-256.
    Hash,
    /// The last 16 characters of an eventID (all of a shorter one).
    EventId,
}

impl Key {
    /// The column the key is taken from.
    fn column(self) -> &'static str {
        match self {
            Key::Hash => "hash",
            Key::EventId => "event_id",
        }
    }

    /// The key of the SQL expression `of`, written as the index is.
    fn of(self, of: &str) -> String {
        match self {
            Key::Hash => format!("substr({of}, 15, 16)"),
            Key::EventId => format!("substr({of}, length({of}) - 15)"),
        }
    }

    /// The key of parameter `$i`. SQL computes the keys of the values
    /// looked up too, so that they match the index exactly (eventIDs'
    /// characters counted as the database counts them, whatever its
    /// encoding).
    fn of_param(self, i: usize) -> String {
        self.of(&format!("CAST(${i} AS TEXT)"))
    }

    /// The [`HELD`] columns of the held events whose key is that of one
    /// of `$1` ... `$n`.
    fn lookup(self, n: usize) -> String {
        let keys: Vec<String> = (1..=n).map(|i| self.of_param(i)).collect();
        format!(
            "SELECT {HELD} FROM epcis_events WHERE {} IN ({})",
            self.of(self.column()),
            keys.join(", ")
        )
    }

    /// Notes in `held` the events held whose hash or eventID (as `self`)
    /// has the key of one of `values`; [`Held`] compares them whole.
    fn held(
        self,
        c: &mut dyn Conn,
        values: &[&str],
        job: &Job,
        held: &mut Held,
    ) -> Result<(), StoreError> {
        if values.is_empty() {
            return Ok(());
        }
        let p: Vec<Value> = values.iter().map(|&v| v.into()).collect();
        c.query_each(&self.lookup(values.len()), &p, &mut |r| held.note(r, job))
    }
}

/// The columns of a held event that tell duplicates from conflicts, as
/// [`Held::note`] reads them.
const HELD: &str = "id, hash, event_id, capture";

/// What an eventID is held with: the hash of the event that has it and,
/// for an event stored earlier by the same capture, its index in the
/// document.
#[derive(Clone)]
struct Holder {
    hash: String,
    index: Option<usize>,
    /// The capture job that stored it.
    capture: i64,
}

/// Why an event (with eventID `id` and Event Hash ID `hash`) is rejected
/// as a conflict with `with`, which holds that eventID with `held_hash`.
fn conflict_reason(id: &str, with: &str, held_hash: &str, hash: &str) -> String {
    format!(
        "conflict: the eventID {id} is that of {with} with other content \
         (Event Hash ID {held_hash} there, {hash} here); not stored"
    )
}

/// The events a batch's events may repeat or conflict with: those held
/// that share a hash or an eventID with one of them, then those of the
/// batch as they are stored.
#[derive(Default)]
struct Held {
    hashes: HashSet<String>,
    ids: HashMap<String, Holder>,
}

impl Held {
    /// Notes a row of the [`HELD`] columns.
    fn note(&mut self, r: &mut [Value], job: &Job) -> Result<(), StoreError> {
        let (id, hash, capture): (i64, String, i64) = (r[0].get()?, r[1].take_text()?, r[3].get()?);
        if let Some(event_id) = r[2].take_opt_text()? {
            let index = (capture == job.id).then(|| job.index_of(id)).flatten();
            self.ids.insert(
                event_id,
                Holder {
                    hash: hash.clone(),
                    index,
                    capture,
                },
            );
        }
        self.hashes.insert(hash);
        Ok(())
    }

    /// Notes an event of the batch (at `index` in the document) about to
    /// be stored by capture job `capture`.
    fn stored(&mut self, r: &EventRecord, index: usize, capture: i64) {
        self.hashes.insert(r.hash.clone());
        if let Some(id) = &r.event_id {
            self.ids.insert(
                id.clone(),
                Holder {
                    hash: r.hash.clone(),
                    index: Some(index),
                    capture,
                },
            );
        }
    }

    /// Why `r` conflicts with what is held (its eventID held with another
    /// hash), if it does.
    fn conflict(&self, r: &EventRecord) -> Option<String> {
        let id = r.event_id.as_ref()?;
        let h = self.ids.get(id).filter(|h| h.hash != r.hash)?;
        let with = match h.index {
            Some(i) => format!("event {i} of this document"),
            None => format!("an event held in the store (capture job {})", h.capture),
        };
        Some(conflict_reason(id, &with, &h.hash, &r.hash))
    }

    /// True if `r` is held: its hash, or its eventID with the same hash.
    fn holds(&self, r: &EventRecord) -> bool {
        self.hashes.contains(&r.hash)
            || r.event_id
                .as_ref()
                .is_some_and(|id| self.ids.contains_key(id))
    }
}

/// The events a capture into a store that held none has stored: the id
/// of each by a 64-bit digest of its hash and of its eventID. Only these
/// can be duplicates, and they are found by id: an initial load does not
/// search the indexes once per event (a tenth of the time of a
/// million-event capture), nor need the indexes of hashes and eventIDs,
/// which a bulk load then builds at its end ([`defer_indexes`];
/// docs/benchmarks.md).
struct Stored<S = RandomState> {
    digest: S,
    /// The first event stored under each digest.
    ids: HashMap<u64, i64>,
    /// Further events under a digest taken by another: distinct values
    /// whose digests are equal (among a million values, any two do with
    /// a chance of about one in 37 million).
    more: HashMap<u64, Vec<i64>>,
}

impl Stored {
    fn new() -> Self {
        Stored::with_digest(RandomState::default())
    }
}

impl<S: BuildHasher> Stored<S> {
    fn with_digest(digest: S) -> Self {
        Stored {
            digest,
            ids: HashMap::new(),
            more: HashMap::new(),
        }
    }

    /// Notes that event `id` has the hash or eventID `value`.
    fn insert(&mut self, value: &str, id: i64) {
        let d = self.digest.hash_one(value);
        match self.ids.entry(d) {
            Entry::Vacant(v) => {
                v.insert(id);
            }
            Entry::Occupied(o) if *o.get() == id => {}
            Entry::Occupied(_) => {
                let more = self.more.entry(d).or_default();
                if !more.contains(&id) {
                    more.push(id);
                }
            }
        }
    }

    /// The ids of the stored events that may have the hash or eventID
    /// `value`.
    fn candidates(&self, value: &str) -> impl Iterator<Item = i64> + '_ {
        let d = self.digest.hash_one(value);
        let more = self.more.get(&d).map_or(&[][..], Vec::as_slice);
        self.ids.get(&d).into_iter().chain(more).copied()
    }
}

/// Notes in `held` the events held with the ids `ids`.
fn held_by_id(c: &mut dyn Conn, ids: &[i64], job: &Job, held: &mut Held) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let p: Vec<Value> = ids.iter().map(|&id| Value::Int(id)).collect();
    c.query_each(
        &format!(
            "SELECT {HELD} FROM epcis_events WHERE id IN ({})",
            placeholders(1, p.len())
        ),
        &p,
        &mut |r| held.note(r, job),
    )
}

/// The capture job whose events are being stored: its id, its record time
/// and, into a store that held no event before it, what it stored.
struct Job<'a> {
    id: i64,
    now: &'a str,
    stored: Option<Stored>,
    /// (id, index in the document) of each event it stored, by id: which
    /// earlier event of the document an event conflicts with.
    indexes: Vec<(i64, usize)>,
    /// True under [`ErrorBehaviour::Rollback`]: once an event is rejected,
    /// nothing is stored, and the events after it are only checked.
    rollback: bool,
    /// Those events, by eventID: what later ones may conflict with.
    checked: HashMap<String, Holder>,
    inserts: Inserts,
}

impl Job<'_> {
    /// The index in the document of the event it stored with id `id`.
    fn index_of(&self, id: i64) -> Option<usize> {
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
    match &job.stored {
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
    let mut rows = Vec::with_capacity(batch.len() * 18);
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
        let movements = equitas_ledger::extract::movements(&r).movements;
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
    // The new events' ids by hash, noted in `stored` by hash and eventID.
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
    let (mut epcs, mut quantities, mut parties, mut moves) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let first = job.indexes.len();
    for (index, hash, e, q, p, m) in rest {
        let id = ids.get(&hash).copied().ok_or_else(|| {
            StoreError::Invalid(format!("the event {hash} was stored without an id"))
        })?;
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
    let mut none = |_: &mut [Value]| Ok(());
    inserts.epcs.run(c, &epcs, &mut none)?;
    inserts.quantities.run(c, &quantities, &mut none)?;
    inserts.movements.run(c, &moves, &mut none)?;
    inserts.parties.run(c, &parties, &mut none)
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
    capture_with(store, source_name, doc, extra, behaviour, progress, BULK)
}

/// [`capture`], building indexes after loading from `bulk` events on.
fn capture_with(
    store: &mut dyn Store,
    source_name: &str,
    doc: &EventReader,
    mut extra: Vec<Rejected>,
    behaviour: ErrorBehaviour,
    progress: &dyn crate::import::Progress,
    bulk: usize,
) -> Result<CaptureReport, StoreError> {
    let mut report = CaptureReport {
        events: doc.len(),
        ..Default::default()
    };
    extra.sort_by_key(|r| r.index);
    extra.dedup_by_key(|r| r.index);
    let mut known = extra.into_iter().peekable();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
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
        tx.batch("SET LOCAL enable_seqscan = off")?;
    }
    let since = Committed::read(tx.as_mut())?;
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
    let inserts = Inserts::new();
    let deferred = defer_indexes(tx.as_mut(), doc.len(), bulk, empty, &inserts.tables())?;
    let mut job = Job {
        id: capture_id,
        now: &now,
        stored: empty.then(Stored::new),
        indexes: Vec::new(),
        rollback: behaviour == ErrorBehaviour::Rollback,
        checked: HashMap::new(),
        inserts,
    };
    progress.start("events", doc.len() as u64);
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..doc.len() {
        progress.inc(1);
        if let Some(r) = known.next_if(|r| r.index == i) {
            report.rejected.push(r);
            continue;
        }
        let checked = match doc.event(i) {
            Ok(e) => record(&e, doc.hash_ignore()).map(|r| {
                // Queries answer in the JSON binding: an XML event keeps
                // that form beside its XML text.
                let json = doc
                    .is_xml()
                    .then(|| equitas_epcis::json_out::event_json(&e).to_string());
                (r, json)
            }),
            Err(equitas_epcis::EpcisError::Event { field, reason, .. }) => Err((field, reason)),
            Err(e) => Err(("event".to_string(), e.to_string())),
        };
        match checked {
            Err((field, reason)) => report.rejected.push(Rejected {
                index: i,
                field,
                reason,
            }),
            // Once rollback is certain, the rest is only checked (in
            // batches too, for conflicts).
            Ok((record, json)) => {
                batch.push(Pending {
                    index: i,
                    record,
                    body: doc.raw(i),
                    json,
                });
                if batch.len() == BATCH {
                    store_batch(tx.as_mut(), &mut batch, &mut job, &mut report)?;
                }
            }
        }
    }
    store_batch(tx.as_mut(), &mut batch, &mut job, &mut report)?;
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
    tx.commit()?;
    report.capture_id = Some(capture_id);
    if postgres && report.captured >= ANALYZE_FROM {
        // Fresh statistics for the queries that follow, before autovacuum
        // comes round to it (up to a minute later). The capture is
        // committed: a failure here costs only the statistics.
        if let Err(e) = store.batch(&format!("ANALYZE {}", tables.join(", "))) {
            tracing::warn!("analysing the tables after a capture: {e}");
        }
    }
    Ok(report)
}

/// On PostgreSQL, a capture that stored at least this many events analyses
/// the tables it wrote once it has committed.
const ANALYZE_FROM: usize = 10_000;

/// What was committed when a capture began: the newest commit sequence
/// number and the newest event id.
#[derive(Debug, Clone, Copy)]
struct Committed {
    seq: i64,
    event: i64,
}

impl Committed {
    fn read(c: &mut dyn Conn) -> Result<Self, StoreError> {
        Ok(Committed {
            seq: newest_capture(c)?,
            event: c
                .query_scalar("SELECT COALESCE(MAX(id), 0) FROM epcis_events", &[])?
                .get()?,
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
fn commit_in_order(
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
        let copies = stored_meanwhile(c, capture, since)?;
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
    c.execute(
        "UPDATE epcis_captures SET captured = $1, duplicates = $2, rejected = $3,
             commit_seq = (SELECT COALESCE(MAX(commit_seq), 0) + 1 FROM epcis_captures)
         WHERE id = $4",
        &[
            (report.captured as u64).into(),
            (report.duplicates as u64).into(),
            (report.rejected.len() as u64).into(),
            Value::Int(capture),
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
    // What a capture committed since holds of `m`'s hash or eventID (as `k`).
    let other = |what: &str, k: Key| {
        let col = k.column();
        format!(
            "SELECT {what} FROM epcis_events o JOIN epcis_captures c ON c.id = o.capture
             WHERE {} = {} AND o.{col} = m.{col} AND c.commit_seq > $3",
            k.of(&format!("o.{col}")),
            k.of(&format!("m.{col}")),
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

/// Number of events held.
pub fn event_count(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.query_scalar("SELECT COUNT(*) FROM epcis_events", &[])?
        .get()
}

/// A query over captured events (the EPCIS SimpleEventQuery parameters
/// Equitas supports). Empty lists do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// `eventType`.
    pub event_types: Vec<String>,
    /// `EQ_bizStep` (any form: bare word, URN or web URI).
    pub biz_steps: Vec<String>,
    /// `EQ_disposition`.
    pub dispositions: Vec<String>,
    /// `EQ_bizLocation`: SGLN URN, GLN or Digital Link.
    pub biz_locations: Vec<String>,
    /// `WD_bizLocation`: the location or any below it in the hierarchy.
    pub within_biz_locations: Vec<String>,
    /// `MATCH_anyEPC`.
    pub epcs: Vec<String>,
    /// `MATCH_anyEPCClass`.
    pub epc_classes: Vec<String>,
    /// `GE_eventTime`.
    pub from: Option<String>,
    /// `LT_eventTime`.
    pub to: Option<String>,
    /// Return events after this cursor (the last id of the previous page).
    pub after: Option<i64>,
    pub limit: usize,
}

/// One event found by a query.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FoundEvent {
    /// The pagination cursor of this event.
    pub cursor: i64,
    #[serde(rename = "eventID")]
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(rename = "eventTime")]
    pub event_time: String,
    #[serde(rename = "eventTimeZoneOffset")]
    pub time_zone_offset: String,
    #[serde(rename = "recordTime")]
    pub record_time: String,
    pub action: Option<String>,
    #[serde(rename = "bizStep")]
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    #[serde(rename = "readPoint")]
    pub read_point: Option<String>,
    #[serde(rename = "bizLocation")]
    pub biz_location: Option<String>,
    pub lot: Option<String>,
    pub expiry: Option<String>,
    #[serde(rename = "eventHash")]
    pub hash: String,
    pub epcs: Vec<(String, String)>,
    pub quantities: Vec<Quantity>,
    /// The event in the JSON binding: as captured, or converted from the
    /// XML it was captured in (for XML captured before schema version 5,
    /// the XML text).
    pub event: serde_json::Value,
    /// The XML element as captured, for events captured as XML.
    #[serde(rename = "capturedXml", skip_serializing_if = "Option::is_none")]
    pub captured_xml: Option<String>,
}

/// A CBV term in any written form as its web URI (bare words need the
/// vocabulary prefix).
fn vocabulary(v: &str, prefix: &str) -> String {
    if v.contains(':') {
        equitas_epcis::canon::value(v)
    } else {
        format!("{prefix}{v}")
    }
}

/// A location identifier (SGLN URN, Digital Link or bare GLN) as the GLN.
fn gln_of(v: &str) -> Option<String> {
    if v.len() == 13 && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(v.to_string());
    }
    let dl = equitas_epcis::canon::digital_link_of(v)?;
    let rest = dl.strip_prefix("https://id.gs1.org/414/")?;
    Some(rest.split('/').next()?.to_string())
}

/// Runs a query; events come in capture order, `limit` at a time.
pub fn query_events(c: &mut dyn Conn, q: &EventQuery) -> Result<Vec<FoundEvent>, StoreError> {
    let mut cond = vec!["1 = 1".to_string()];
    let mut p: Vec<Value> = Vec::new();
    if !q.event_types.is_empty() {
        cond.push(in_list("e.event_type", &q.event_types, &mut p));
    }
    if !q.biz_steps.is_empty() {
        let v: Vec<String> = q
            .biz_steps
            .iter()
            .map(|s| vocabulary(s, "https://ref.gs1.org/cbv/BizStep-"))
            .collect();
        cond.push(in_list("e.biz_step", &v, &mut p));
    }
    if !q.dispositions.is_empty() {
        let v: Vec<String> = q
            .dispositions
            .iter()
            .map(|s| vocabulary(s, "https://ref.gs1.org/cbv/Disp-"))
            .collect();
        cond.push(in_list("e.disposition", &v, &mut p));
    }
    if !q.biz_locations.is_empty() {
        let v: Vec<String> = q
            .biz_locations
            .iter()
            .map(|s| equitas_epcis::canon::value(s))
            .collect();
        cond.push(in_list("e.biz_location", &v, &mut p));
    }
    if !q.within_biz_locations.is_empty() {
        // The GLNs of the named locations and of every location below them.
        let roots: Vec<String> = q
            .within_biz_locations
            .iter()
            .filter_map(|v| gln_of(v))
            .collect();
        let mut glns = roots.clone();
        if !roots.is_empty() {
            let mut rp = Vec::new();
            let sql = format!(
                "WITH RECURSIVE tree(code) AS (
                     SELECT code FROM locations WHERE {}
                     UNION SELECT l.code FROM locations l JOIN tree t ON l.parent = t.code)
                 SELECT gln FROM locations WHERE code IN (SELECT code FROM tree) AND gln IS NOT NULL",
                in_list("gln", &roots, &mut rp)
            );
            for r in c.query(&sql, &rp)? {
                glns.push(r[0].get()?);
            }
        }
        glns.sort();
        glns.dedup();
        let mut parts = Vec::new();
        for g in glns {
            p.push(format!("https://id.gs1.org/414/{g}").into());
            p.push(format!("https://id.gs1.org/414/{g}/%").into());
            parts.push(format!(
                "(e.biz_location = ${} OR e.biz_location LIKE ${})",
                p.len() - 1,
                p.len()
            ));
        }
        cond.push(if parts.is_empty() {
            "1 = 0".into()
        } else {
            format!("({})", parts.join(" OR "))
        });
    }
    if !q.epcs.is_empty() {
        let v: Vec<String> = q
            .epcs
            .iter()
            .map(|s| equitas_epcis::canon::value(s))
            .collect();
        let inner = in_list("epc", &v, &mut p);
        cond.push(format!(
            "(e.id IN (SELECT event FROM epcis_event_epcs WHERE {inner}) OR {})",
            in_list("e.parent", &v, &mut p)
        ));
    }
    if !q.epc_classes.is_empty() {
        let v: Vec<String> = q
            .epc_classes
            .iter()
            .map(|s| equitas_epcis::canon::value(s))
            .collect();
        cond.push(format!(
            "e.id IN (SELECT event FROM epcis_event_quantities WHERE {})",
            in_list("epc_class", &v, &mut p)
        ));
    }
    if let Some(f) = &q.from {
        p.push(equitas_epcis::canon::timestamp(f).into());
        cond.push(format!("e.event_time >= ${}", p.len()));
    }
    if let Some(t) = &q.to {
        p.push(equitas_epcis::canon::timestamp(t).into());
        cond.push(format!("e.event_time < ${}", p.len()));
    }
    if let Some(a) = q.after {
        p.push(Value::Int(a));
        cond.push(format!("e.id > ${}", p.len()));
    }
    p.push(Value::Int(q.limit.clamp(1, 10_000) as i64));
    let sql = format!(
        "SELECT e.id, COALESCE(e.event_id, e.hash), e.event_type, e.event_time, e.time_zone_offset,
                e.record_time, e.action, e.biz_step, e.disposition, e.read_point, e.biz_location,
                e.lot, e.expiry, e.hash, e.body, e.body_format, e.body_json
         FROM epcis_events e WHERE {} ORDER BY e.id LIMIT ${}",
        cond.join(" AND "),
        p.len()
    );
    let mut out = Vec::new();
    let rows = c.query(&sql, &p)?;
    // The identifiers and quantities of the whole page, in two queries.
    let ids: Vec<i64> = rows.iter().map(|r| r[0].get()).collect::<Result<_, _>>()?;
    let mut epcs: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    let mut quantities: HashMap<i64, Vec<Quantity>> = HashMap::new();
    if !ids.is_empty() {
        let mut ep = Vec::new();
        let sql = format!(
            "SELECT event, role, epc FROM epcis_event_epcs WHERE {} ORDER BY event, role, epc",
            in_list("event", &ids, &mut ep)
        );
        for x in c.query(&sql, &ep)? {
            epcs.entry(x[0].get()?)
                .or_default()
                .push((x[1].get()?, x[2].get()?));
        }
        let mut qp = Vec::new();
        let sql = format!(
            "SELECT event, role, epc_class, quantity, uom FROM epcis_event_quantities
             WHERE {} ORDER BY event, role, epc_class",
            in_list("event", &ids, &mut qp)
        );
        for x in c.query(&sql, &qp)? {
            quantities.entry(x[0].get()?).or_default().push((
                x[1].get()?,
                x[2].get()?,
                x[3].get()?,
                x[4].get()?,
            ));
        }
    }
    for r in rows {
        let id: i64 = r[0].get()?;
        let body: String = r[14].get()?;
        let format: String = r[15].get()?;
        let json: Option<String> = r[16].get()?;
        let captured_xml = (format == "xml").then(|| body.clone());
        // The event in the JSON binding: as captured, or made from the XML at
        // capture; captured as XML before schema version 5, the XML text.
        let event = match json
            .as_deref()
            .or((format == "json").then_some(body.as_str()))
        {
            Some(j) => serde_json::from_str(j).unwrap_or(serde_json::Value::String(body)),
            None => serde_json::Value::String(body),
        };
        out.push(FoundEvent {
            cursor: id,
            event_id: r[1].get()?,
            event_type: r[2].get()?,
            event_time: r[3].get()?,
            time_zone_offset: r[4].get()?,
            record_time: r[5].get()?,
            action: r[6].get()?,
            biz_step: r[7].get()?,
            disposition: r[8].get()?,
            read_point: r[9].get()?,
            biz_location: r[10].get()?,
            lot: r[11].get()?,
            expiry: r[12].get()?,
            hash: r[13].get()?,
            epcs: epcs.remove(&id).unwrap_or_default(),
            quantities: quantities.remove(&id).unwrap_or_default(),
            event,
            captured_xml,
        });
    }
    Ok(out)
}

/// The id of an event by its eventID or its hash (`$1`), found through
/// their keys.
fn event_by_id_sql() -> String {
    let [id, hash] = [Key::EventId, Key::Hash].map(|k| {
        format!(
            "({} = {} AND {} = $1)",
            k.of(k.column()),
            k.of_param(1),
            k.column()
        )
    });
    format!("SELECT id FROM epcis_events WHERE {id} OR {hash}")
}

/// One event by its eventID (or, for events captured without one, its hash).
pub fn event_by_id(c: &mut dyn Conn, id: &str) -> Result<Option<FoundEvent>, StoreError> {
    let rows = c.query(&event_by_id_sql(), &[id.into()])?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let cursor: i64 = r[0].get()?;
    let q = EventQuery {
        after: Some(cursor - 1),
        limit: 1,
        ..Default::default()
    };
    Ok(query_events(c, &q)?.into_iter().next())
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::NoProgress;
    use crate::{SqliteStore, migrations};

    fn indexes(s: &mut SqliteStore) -> Vec<Vec<Value>> {
        let mut p = Vec::new();
        let tables = in_list("tbl_name", &Inserts::new().tables(), &mut p);
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
        capture_with(s, "doc", &doc, vec![], b, &NoProgress, 10).unwrap()
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
                event_by_id_sql(),
                1,
                &["epcis_events_event_id", "epcis_events_hash"][..],
            ),
            (Key::Hash.lookup(2), 2, &["epcis_events_hash"]),
            (Key::EventId.lookup(2), 2, &["epcis_events_event_id"]),
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

    /// Events stored under equal digests are all candidates for each of
    /// their values; an event noted twice is one candidate.
    #[test]
    fn stored_events_with_equal_digests() {
        #[derive(Default)]
        struct Same;
        impl std::hash::Hasher for Same {
            fn finish(&self) -> u64 {
                7
            }
            fn write(&mut self, _: &[u8]) {}
        }
        let mut s = Stored::with_digest(std::hash::BuildHasherDefault::<Same>::default());
        s.insert("hash a", 1);
        s.insert("id a", 1);
        s.insert("hash b", 2);
        s.insert("hash b", 2);
        s.insert("hash c", 3);
        assert_eq!(s.candidates("anything").collect::<Vec<_>>(), [1, 2, 3]);
        let mut s = Stored::new();
        s.insert("hash a", 1);
        s.insert("id a", 1);
        s.insert("hash b", 2);
        assert_eq!(s.candidates("hash a").collect::<Vec<_>>(), [1]);
        assert_eq!(s.candidates("id a").collect::<Vec<_>>(), [1]);
        assert_eq!(s.candidates("hash b").collect::<Vec<_>>(), [2]);
        assert_eq!(s.candidates("hash c").count(), 0);
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
