//! Durable storage for Equitas behind one interface, with two backends:
//! SQLite (embedded, the default: one file in the data directory, WAL
//! journal, ACID transactions) and PostgreSQL (a multi-user server,
//! selected with a `postgres://` or `postgresql://` URL).
//!
//! The backends implement only the small [`Conn`] / [`Store`] traits
//! (execute, query, batch, transactions). Everything else, from migrations
//! to the repository functions in [`repo`], is written once over [`Conn`]
//! with `$1`-style placeholders, so both backends run the same SQL and the
//! same tests.

pub mod auth;
pub mod epcis;
mod error;
pub mod import;
pub mod mapped;
pub mod market;
pub mod migrations;
pub mod partitions;
mod pg;
pub mod region;
pub mod registry;
pub mod repo;
pub mod report;
mod sqlite;
pub mod stock;
pub mod supply;
#[cfg(feature = "testing")]
pub mod testing;
mod value;

pub use error::StoreError;
pub use pg::{PgStore, redact};
pub use sqlite::SqliteStore;
pub use value::{FromValue, Value};

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A connection that runs SQL with `$1`, `$2`... placeholders.
pub trait Conn {
    fn backend(&self) -> Backend;
    /// Runs one statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query and returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError>;
    /// Runs a query and hands each row to `f` as it is read, without
    /// holding the whole result in memory. `f` may move values out of the
    /// row (see [`Value::take_text`]).
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&mut [Value]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for mut row in self.query(sql, params)? {
            f(&mut row)?;
        }
        Ok(())
    }

    /// Runs several statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;

    /// Writes `values` (rows of the `columns` of `table`, one after the
    /// other) by the backend's bulk load, if it has one: PostgreSQL's
    /// `COPY ... FROM STDIN` in the binary format, which the server writes
    /// as the rows arrive, without a statement to plan or parameters to
    /// bind per row. Returns false, having written nothing, on a backend
    /// without one (SQLite, whose multi-row `INSERT`s run in the process).
    fn copy_in(
        &mut self,
        table: &str,
        columns: &str,
        values: &[Value],
    ) -> Result<bool, StoreError> {
        let _ = (table, columns, values);
        Ok(false)
    }

    /// The first column of the first row, if any.
    fn query_scalar(&mut self, sql: &str, params: &[Value]) -> Result<Value, StoreError> {
        Ok(self
            .query(sql, params)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .unwrap_or(Value::Null))
    }
}

/// A transaction. Dropping it without [`Tx::commit`] rolls it back, so an
/// error or a panic midway leaves the database as it was.
pub trait Tx: Conn {
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A database holding Equitas data.
pub trait Store: Conn + Send {
    /// Where the data lives (a file path, or the server and database).
    fn describe(&self) -> String;
    /// Starts a transaction.
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>, StoreError>;
    /// Starts a transaction that will write a great deal: as atomic and
    /// durable as [`Store::begin`], but a backend may write it faster by
    /// taking the database for itself while it lasts. SQLite does so when no
    /// other connection has the database open: it writes the transaction
    /// with a rollback journal instead of its write-ahead log (see
    /// `SqliteStore`). The default is [`Store::begin`].
    fn begin_bulk(&mut self) -> Result<Box<dyn Tx + '_>, StoreError> {
        self.begin()
    }
}

/// How long a write waits for another writer, in milliseconds (see [`set_write_wait`]).
static WRITE_WAIT_MS: AtomicU64 = AtomicU64::new(10_000);
/// Told once per wait that lasts a second, with the bound.
static ON_WAIT: OnceLock<Box<dyn Fn(Duration) + Send + Sync>> = OnceLock::new();

/// Today (UTC), by this machine's clock: the day against which imports
/// and exports refuse months not yet begun, and the synthetic network ends.
pub fn today() -> equitas_ledger::calendar::Day {
    equitas_ledger::calendar::day_of(chrono::Utc::now().date_naive())
}

/// Sets how long a statement waits for another writer of the same database
/// (another process's capture or import, on SQLite; a lock, on PostgreSQL)
/// before failing with [`StoreError::Busy`]. The default is 10 s. It holds
/// for the whole process: the CLI waits long, the server answers `503`
/// after a shorter wait.
pub fn set_write_wait(wait: Duration) {
    WRITE_WAIT_MS.store(
        wait.as_millis().min(u64::MAX as u128) as u64,
        Ordering::Relaxed,
    );
}

/// The bound set by [`set_write_wait`].
pub fn write_wait() -> Duration {
    Duration::from_millis(WRITE_WAIT_MS.load(Ordering::Relaxed))
}

/// Calls `f` (with the bound) when a statement has waited a second for
/// another writer, once per wait, so that a user is told why nothing moves.
/// The first call in a process is kept.
pub fn on_write_wait(f: impl Fn(Duration) + Send + Sync + 'static) {
    let _ = ON_WAIT.set(Box::new(f));
}

pub(crate) fn waiting() {
    if let Some(f) = ON_WAIT.get() {
        f(write_wait());
    }
}

/// True if `target` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(target: &str) -> bool {
    let t = target.trim_start();
    t.starts_with("postgres://") || t.starts_with("postgresql://")
}

/// Opens the store named by `target` and brings its schema up to date:
/// a `postgres://` URL opens PostgreSQL, anything else is a SQLite file path
/// (created with its parent directories if absent).
pub fn open(target: &str) -> Result<Box<dyn Store>, StoreError> {
    migrated(connect(target)?)
}

/// [`open`] for a server, whose requests read while another writes: a
/// bulk transaction ([`Store::begin_bulk`]) never takes a SQLite database
/// for itself (see [`SqliteStore::shared`]).
pub fn open_shared(target: &str) -> Result<Box<dyn Store>, StoreError> {
    migrated(connect_as(target, true)?)
}

/// [`open`] without bringing the schema up to date (see
/// [`migrations::migrate`]).
pub fn connect(target: &str) -> Result<Box<dyn Store>, StoreError> {
    connect_as(target, false)
}

fn connect_as(target: &str, shared: bool) -> Result<Box<dyn Store>, StoreError> {
    Ok(if is_postgres_url(target) {
        Box::new(PgStore::connect(target)?)
    } else {
        let s = SqliteStore::open(Path::new(target))?;
        Box::new(if shared { s.shared() } else { s })
    })
}

fn migrated(mut store: Box<dyn Store>) -> Result<Box<dyn Store>, StoreError> {
    migrations::migrate(store.as_mut())?;
    Ok(store)
}
