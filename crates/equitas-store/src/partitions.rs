//! Monthly partitions of the EPCIS events and the stock movements
//! (PostgreSQL; docs/scale.md): converting a database to them (an explicit
//! command, never a migration), listing them, making a month's ahead of
//! the captures that need them, and detaching a month, with its rows
//! archived to a file first if asked.
//!
//! `epcis_events` is partitioned by the month of `event_time` (UTC),
//! `stock_movements` by the month of `at` (local time, as the ledger
//! counts months); rows of a month without its own partition go to each
//! table's DEFAULT partition. The SQL function `equitas_month_partitions`
//! (the conversion defines it) makes a month's partitions of both tables,
//! moving its rows out of the DEFAULT partitions; it is the one place that
//! names and bounds partitions.

use crate::{Backend, Conn, Store, StoreError, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::io::Write as _;
use std::path::Path;

/// The tables partitioned by month, and the column that places a row.
pub const TABLES: [(&str, &str); 2] = [("epcis_events", "event_time"), ("stock_movements", "at")];

/// The tables whose rows name an event (by `event`) and stay unpartitioned:
/// a detached month's events take their rows with them.
const EVENT_ROWS: [&str; 4] = [
    "epcis_event_epcs",
    "epcis_event_quantities",
    "epcis_event_parties",
    KEYS,
];

/// The unpartitioned table of the events' keys (id, hash, eventID, capture,
/// event time) in a database partitioned by month: its unique constraints
/// hold each hash and eventID once, which a partitioned table cannot (its
/// unique indexes must include the month), and lookups by them probe one
/// index instead of one per month.
pub const KEYS: &str = "epcis_event_keys";

/// The conversion's SQL (one transaction).
const BY_MONTH: &str = include_str!("../sql/partition_by_month.sql");

/// True if the database's events are partitioned by month, their keys
/// then held in [`KEYS`] (PostgreSQL, after [`partition_by_month`]).
pub fn partitioned(c: &mut dyn Conn) -> Result<bool, StoreError> {
    if c.backend() != Backend::Postgres {
        return Ok(false);
    }
    c.query_scalar("SELECT to_regclass('epcis_event_keys') IS NOT NULL", &[])?
        .get()
}

/// What converting a database to monthly partitions did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Converted {
    /// The months given partitions (those the rows held fall in).
    pub months: Vec<String>,
    pub events: i64,
    pub movements: i64,
}

/// Partitions the EPCIS events and the stock movements by month, moving
/// every row (ids, identity position and indexes kept) and filling the
/// keys' table ([`KEYS`]), in one transaction that holds the tables for
/// its duration (a maintenance window: stop the servers first). Refuses
/// SQLite and a database already partitioned. An upgrade never does this
/// by itself: `equitas db partition --by month` does, when asked.
pub fn partition_by_month(store: &mut dyn Store) -> Result<Converted, StoreError> {
    postgres_only(store)?;
    if partitioned(store)? {
        return Err(StoreError::Invalid(
            "the EPCIS events and stock movements are already partitioned by month".into(),
        ));
    }
    let mut tx = store.begin()?;
    tx.batch(BY_MONTH)?;
    let events: i64 = tx
        .query_scalar("SELECT COUNT(*) FROM epcis_events", &[])?
        .get()?;
    let movements: i64 = tx
        .query_scalar("SELECT COUNT(*) FROM stock_movements", &[])?
        .get()?;
    tx.commit()?;
    let months = partitions(store)?
        .into_iter()
        .filter(|p| p.table == TABLES[0].0)
        .filter_map(|p| p.month)
        .collect();
    Ok(Converted {
        months,
        events,
        movements,
    })
}

/// How many months from the current one on a capture makes sure exist
/// before it begins (the current one and the next two).
const AHEAD: u32 = 3;

/// How long making partitions waits for the locks it needs (a running
/// capture holds the tables until it commits) before giving up; a capture
/// that meets a month without its partition writes into the DEFAULT one,
/// whose rows the next making of that month moves out.
const LOCK_WAIT: &str = "5s";

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// Reads `YYYY-MM` (years 0001 to 9999).
    pub fn parse(s: &str) -> Result<Month, StoreError> {
        Month::from_prefix(s.trim())
            .filter(|_| s.trim().len() == 7)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "month {s:?}: expected YYYY-MM, a year from 0001 to 9999 and a month from 01 to 12"
                ))
            })
    }

    /// The month a normalised event time (`YYYY-MM-DDT...`) falls in.
    pub fn of_event_time(t: &str) -> Option<Month> {
        Month::from_prefix(t).filter(|_| t.as_bytes().get(7) == Some(&b'-'))
    }

    fn from_prefix(s: &str) -> Option<Month> {
        let b = s.as_bytes();
        if b.len() < 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..7]).all(u8::is_ascii_digit) {
            return None;
        }
        let (year, month) = (s[..4].parse().ok()?, s[5..7].parse().ok()?);
        (year >= 1 && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    /// The month of a stock movement's `at` (milliseconds of local time).
    pub fn of_ms(at: i64) -> Option<Month> {
        use chrono::Datelike;
        let d = chrono::DateTime::from_timestamp_millis(at)?;
        let year = d.year();
        (1..=9999).contains(&year).then(|| Month {
            year,
            month: d.month(),
        })
    }

    /// The month `n` months after this one.
    pub fn plus(self, n: u32) -> Month {
        let m = self.year * 12 + self.month as i32 - 1 + n as i32;
        Month {
            year: m.div_euclid(12),
            month: m.rem_euclid(12) as u32 + 1,
        }
    }

    /// The current month (UTC).
    pub fn now() -> Month {
        use chrono::Datelike;
        let d = chrono::Utc::now();
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// The name of its partition of `table`.
    pub fn partition(self, table: &str) -> String {
        format!("{table}_{:04}_{:02}", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A partition and the rows it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Partition {
    /// The partitioned table.
    pub table: String,
    /// Its month, `YYYY-MM`; none for the DEFAULT partition.
    pub month: Option<String>,
    pub name: String,
    pub rows: i64,
}

/// Refuses a SQLite database, which has no partitions.
fn postgres_only(c: &dyn Conn) -> Result<(), StoreError> {
    if c.backend() == Backend::Postgres {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "partitions are a PostgreSQL feature; this database is SQLite, \
             whose tables are not partitioned"
                .into(),
        ))
    }
}

/// Refuses SQLite, and a PostgreSQL database not partitioned by month.
fn partitioned_only(c: &mut dyn Conn) -> Result<(), StoreError> {
    postgres_only(c)?;
    if partitioned(c)? {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "this database's events are not partitioned by month: \
             `equitas db partition --by month` converts it (docs/scale.md)"
                .into(),
        ))
    }
}

/// The partitions of the partitioned tables, by table and month (the
/// DEFAULT partition last), with their exact row counts.
pub fn partitions(c: &mut dyn Conn) -> Result<Vec<Partition>, StoreError> {
    partitioned_only(c)?;
    let mut out = Vec::new();
    for (table, _) in TABLES {
        let mut names = Vec::new();
        c.query_each(
            "SELECT c.relname, c.relpartbound IS NOT NULL AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = CAST(CAST($1 AS TEXT) AS regclass)",
            &[table.into()],
            &mut |r| {
                names.push((r[0].take_text()?, r[1].get::<bool>()?));
                Ok(())
            },
        )?;
        let mut found = Vec::new();
        for (name, default) in names {
            let month = if default {
                None
            } else {
                let suffix = name
                    .strip_prefix(table)
                    .and_then(|s| s.strip_prefix('_'))
                    .map(|s| s.replacen('_', "-", 1));
                match suffix.as_deref().map(Month::parse) {
                    Some(Ok(m)) => Some(m.to_string()),
                    _ => {
                        return Err(StoreError::Invalid(format!(
                            "partition {name} of {table} is not named {table}_YYYY_MM: \
                             it was not made by Equitas"
                        )));
                    }
                }
            };
            let rows: i64 = c
                .query_scalar(&format!("SELECT COUNT(*) FROM {}", quote(&name)), &[])?
                .get()?;
            found.push(Partition {
                table: table.to_string(),
                month,
                name,
                rows,
            });
        }
        found.sort_by(|a, b| (a.month.is_none(), &a.month).cmp(&(b.month.is_none(), &b.month)));
        out.extend(found);
    }
    Ok(out)
}

/// A quoted SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The months of `months` whose partitions are missing (of either table);
/// none in a database whose events are not partitioned.
fn missing(c: &mut dyn Conn, months: &BTreeSet<Month>) -> Result<Vec<Month>, StoreError> {
    let mut out = Vec::new();
    if months.is_empty() {
        return Ok(out);
    }
    let names: Vec<Value> = months
        .iter()
        .flat_map(|m| TABLES.map(|(t, _)| m.partition(t)))
        .chain([TABLES[0].0.to_string()])
        .map(Value::from)
        .collect();
    let mut held = BTreeSet::new();
    let mut partitioned = false;
    c.query_each(
        &format!(
            "SELECT relname, relkind = 'p' FROM pg_class
             WHERE relkind IN ('r', 'p') AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
               AND relname IN ({})",
            crate::repo::placeholders(1, names.len())
        ),
        &names,
        &mut |r| {
            let name = r[0].take_text()?;
            partitioned |= name == TABLES[0].0 && r[1].get::<bool>()?;
            held.insert(name);
            Ok(())
        },
    )?;
    if !partitioned {
        return Ok(out);
    }
    for m in months {
        if TABLES.iter().any(|(t, _)| !held.contains(&m.partition(t))) {
            out.push(*m);
        }
    }
    Ok(out)
}

/// Makes the partitions of `months` that are missing (PostgreSQL; nothing
/// on SQLite), moving their rows out of the DEFAULT partitions, in one
/// transaction that waits at most [`LOCK_WAIT`] for the locks it needs.
/// Returns the months made.
pub fn ensure_months(
    store: &mut dyn Store,
    months: &BTreeSet<Month>,
) -> Result<Vec<Month>, StoreError> {
    if store.backend() != Backend::Postgres {
        return Ok(Vec::new());
    }
    let missing = missing(store, months)?;
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut tx = store.begin()?;
    tx.batch(&format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'"))?;
    for m in &missing {
        tx.execute(
            "SELECT equitas_month_partitions(CAST(CAST($1 AS TEXT) AS DATE))",
            &[format!("{m}-01").into()],
        )?;
    }
    tx.commit()?;
    Ok(missing)
}

/// Makes sure the current month and the next ones ([`AHEAD`]) have their
/// partitions, before a capture; a failure (a lock not had in time) is
/// logged and the capture goes on, its rows of those months then going to
/// the DEFAULT partitions.
pub(crate) fn ensure_ahead(store: &mut dyn Store) {
    let now = Month::now();
    let months = (0..AHEAD).map(|n| now.plus(n)).collect();
    if let Err(e) = ensure_months(store, &months) {
        tracing::warn!("making the partitions of the coming months: {e}");
    }
}

/// What detaching a month removed, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Detached {
    pub month: String,
    /// (table, rows removed), the partitioned tables' and the events' rows.
    pub rows: Vec<(String, i64)>,
    /// The file the rows were written to first, if any.
    pub archive: Option<String>,
}

/// Detaches and drops the partitions of `month` (its events, by UTC event
/// time, with their identifiers, quantities and parties; its stock
/// movements, by local time), in one transaction. With `archive`, every
/// row removed is first written to that new file as JSON lines,
/// `{"table": ..., "row": {...}}`; the file is removed if the detach fails.
pub fn detach_month(
    store: &mut dyn Store,
    month: Month,
    archive: Option<&Path>,
) -> Result<Detached, StoreError> {
    partitioned_only(store)?;
    let mut found = Vec::new();
    for (t, _) in TABLES {
        let name = month.partition(t);
        let n: i64 = store
            .query_scalar(
                "SELECT COUNT(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = CAST(CAST($1 AS TEXT) AS regclass) AND c.relname = $2",
                &[t.into(), name.as_str().into()],
            )?
            .get()?;
        if n > 0 {
            found.push((t, name));
        }
    }
    if found.is_empty() {
        let months: BTreeSet<String> = partitions(store)?
            .into_iter()
            .filter_map(|p| p.month)
            .collect();
        return Err(StoreError::Invalid(format!(
            "no partition for the month {month}; the months held are: {}",
            if months.is_empty() {
                "none".to_string()
            } else {
                months.into_iter().collect::<Vec<_>>().join(", ")
            }
        )));
    }
    let mut file = match archive {
        Some(path) => Some((
            path,
            std::io::BufWriter::new(
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .map_err(|e| archive_error(path, e))?,
            ),
        )),
        None => None,
    };
    let done = detach(store, month, &found, file.as_mut().map(|(p, f)| (*p, f)));
    match (done, file) {
        (Ok(rows), f) => Ok(Detached {
            month: month.to_string(),
            rows,
            archive: f.map(|(p, _)| p.display().to_string()),
        }),
        (Err(e), Some((path, f))) => {
            drop(f);
            let _ = std::fs::remove_file(path);
            Err(e)
        }
        (Err(e), None) => Err(e),
    }
}

/// The archive file `path` could not be made or written.
fn archive_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!(
        "archive file {}: {e}{}",
        path.display(),
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            " (an archive is never overwritten: name a new file)"
        } else {
            ""
        }
    ))
}

/// The transaction of [`detach_month`]: the partitions `found` (table,
/// name) detached and dropped, the events' other rows deleted, each
/// written to `archive` first.
fn detach(
    store: &mut dyn Store,
    month: Month,
    found: &[(&str, String)],
    mut archive: Option<(&Path, &mut std::io::BufWriter<std::fs::File>)>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut tx = store.begin()?;
    tx.batch(&format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'"))?;
    let events = found
        .iter()
        .find(|(t, _)| *t == "epcis_events")
        .map(|(_, n)| quote(n));
    // What goes: each table with the rows of this month.
    let mut parts: Vec<(String, String)> = Vec::new();
    if let Some(events) = &events {
        for t in EVENT_ROWS {
            parts.push((
                t.to_string(),
                format!("{t} WHERE event IN (SELECT id FROM {events})"),
            ));
        }
    }
    for (t, name) in found {
        parts.push((t.to_string(), quote(name)));
    }
    let mut rows = Vec::new();
    for (table, from) in &parts {
        let n = match archive.as_mut() {
            Some((path, out)) => {
                let mut n = 0i64;
                let mut failed = None;
                tx.query_each(
                    &format!(
                        "SELECT json_build_object('table', CAST($1 AS TEXT), 'row', row_to_json(x))::text
                         FROM (SELECT * FROM {from}) x"
                    ),
                    &[table.as_str().into()],
                    &mut |r| {
                        let line = r[0].take_text()?;
                        if failed.is_none()
                            && let Err(e) = writeln!(out, "{line}")
                        {
                            failed = Some(e);
                        }
                        n += 1;
                        Ok(())
                    },
                )?;
                if let Some(e) = failed {
                    return Err(archive_error(path, e));
                }
                n
            }
            None => tx
                .query_scalar(&format!("SELECT COUNT(*) FROM {from}"), &[])?
                .get()?,
        };
        rows.push((table.clone(), n));
    }
    if let Some((path, out)) = archive.as_mut() {
        let io = |e| archive_error(path, e);
        out.flush().map_err(io)?;
        out.get_ref().sync_all().map_err(io)?;
    }
    if let Some(events) = &events {
        for t in EVENT_ROWS {
            tx.execute(
                &format!("DELETE FROM {t} WHERE event IN (SELECT id FROM {events})"),
                &[],
            )?;
        }
    }
    for (t, name) in found {
        tx.batch(&format!(
            "ALTER TABLE {t} DETACH PARTITION {n}; DROP TABLE {n}",
            n = quote(name)
        ))?;
    }
    tx.commit()?;
    tracing::info!(%month, "detached the partitions of a month");
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_and_count() {
        assert_eq!(
            Month::parse("2026-01").unwrap(),
            Month {
                year: 2026,
                month: 1
            }
        );
        for bad in [
            "2026-13",
            "2026-1",
            "26-01",
            "2026-01-05",
            "0000-01",
            "abcd-ef",
        ] {
            let e = Month::parse(bad).unwrap_err().to_string();
            assert!(e.contains("expected YYYY-MM"), "{bad}: {e}");
        }
        let m = Month::parse("2026-11").unwrap();
        assert_eq!(m.plus(2).to_string(), "2027-01");
        assert_eq!(m.plus(14).to_string(), "2028-01");
        assert_eq!(m.partition("epcis_events"), "epcis_events_2026_11");
        assert_eq!(
            Month::of_event_time("2026-02-28T23:59:59.999Z"),
            Some(Month {
                year: 2026,
                month: 2
            })
        );
        assert_eq!(Month::of_event_time("2026-02"), None);
        assert_eq!(Month::of_event_time("+10000-01-01T00:00:00Z"), None);
        // 2026-03-01T00:00:00 local, in milliseconds.
        assert_eq!(
            Month::of_ms(1_772_323_200_000).unwrap().to_string(),
            "2026-03"
        );
        assert_eq!(
            Month::of_ms(1_772_323_199_999).unwrap().to_string(),
            "2026-02"
        );
    }
}
