//! The embedded SQLite backend.

use crate::{Backend, Conn, Store, StoreError, Tx, Value};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params_from_iter};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A SQLite database file. Opened in WAL mode with `synchronous=NORMAL`:
/// a committed transaction survives a crash of the process; a power loss
/// may lose the last commits but never leaves a half-written one.
///
/// A bulk transaction ([`Store::begin_bulk`]) started while no other
/// connection has the file open leaves WAL mode for a rollback journal
/// (`journal_mode=DELETE`, `synchronous=FULL`) until it ends. Pages the
/// transaction adds to the file are then written once, into the file,
/// instead of once into the WAL and again into the file by the checkpoint;
/// only the original content of pages it changes goes to the journal. A
/// crash midway leaves a hot journal, which the next connection to open the
/// file rolls back. While it lasts, other processes that open the file wait
/// for it (up to the busy timeout, 10 s) instead of reading beside it,
/// which is why a server opens its connections [`SqliteStore::shared`].
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Set by [`SqliteStore::shared`]: bulk transactions stay in WAL mode.
    shared: bool,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Self::configure(conn, path.to_path_buf())
    }

    /// A private in-memory database (tests, dry runs).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::configure(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn configure(mut conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        conn.busy_handler(Some(busy))?;
        match conn.pragma_update(None, "journal_mode", "WAL") {
            // A bulk transaction of another connection holds the file in
            // rollback journal mode, and sets WAL mode again when it ends
            // (the mode is kept in the file, for every connection).
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
                tracing::info!(
                    "{}: not in WAL mode while another connection writes in bulk",
                    path.display()
                );
            }
            r => r?,
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Room for the multi-row statements of EPCIS capture (a few sizes
        // per table) besides the others.
        conn.set_prepared_statement_cache_capacity(128);
        Ok(SqliteStore {
            conn,
            path,
            shared: false,
        })
    }

    /// For a server whose requests read while another writes: bulk
    /// transactions are written to the WAL as any other, never taking the
    /// database for themselves.
    pub fn shared(mut self) -> Self {
        self.shared = true;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// SQLite's busy handler: called with the number of times it was called
/// for this wait, it sleeps and says whether to try again, until the wait
/// reaches [`crate::write_wait`] (the default handler's 10 s, made a setting,
/// and the user told after a second).
fn busy(n: i32) -> bool {
    let waited = busy_waited(n);
    if waited >= crate::write_wait() {
        return false;
    }
    if waited >= Duration::from_secs(1) && busy_waited(n - 1) < Duration::from_secs(1) {
        crate::waiting();
    }
    std::thread::sleep(busy_step(n));
    true
}

/// The sleep after the `n`th call (0-based): short at first, as a write
/// usually ends soon, then 100 ms.
fn busy_step(n: i32) -> Duration {
    const STEPS: [u64; 6] = [1, 2, 5, 10, 20, 50];
    Duration::from_millis(
        usize::try_from(n)
            .ok()
            .and_then(|i| STEPS.get(i))
            .copied()
            .unwrap_or(100),
    )
}

/// The time slept before the `n`th call.
fn busy_waited(n: i32) -> Duration {
    (0..n.max(0)).map(busy_step).sum()
}

/// Rewrites `$1` placeholders as SQLite's `?1`.
fn rewrite(sql: &str) -> Cow<'_, str> {
    let b = sql.as_bytes();
    if !b.contains(&b'$') {
        return Cow::Borrowed(sql);
    }
    let mut out = b.to_vec();
    for i in 0..out.len().saturating_sub(1) {
        if out[i] == b'$' && out[i + 1].is_ascii_digit() {
            out[i] = b'?';
        }
    }
    // Replacing one ASCII byte by another keeps the text valid UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| sql.to_string()))
}

/// Binds a value by reference: no copy on the Rust side (SQLite still
/// copies bound text, as rusqlite binds it `SQLITE_TRANSIENT`).
impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput;
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
    let mut st = conn.prepare_cached(&rewrite(sql))?;
    let n = st.execute(params_from_iter(params.iter()))?;
    Ok(n as u64)
}

fn query_each(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    f: &mut dyn FnMut(&mut [Value]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut st = conn.prepare_cached(&rewrite(sql))?;
    let ncol = st.column_count();
    let mut rows = st.query(params_from_iter(params.iter()))?;
    let mut row = Vec::with_capacity(ncol);
    while let Some(r) = rows.next()? {
        row.clear();
        for i in 0..ncol {
            row.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Int(i),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
            });
        }
        f(&mut row)?;
    }
    Ok(())
}

fn query(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
    let mut out = Vec::new();
    query_each(conn, sql, params, &mut |r| {
        out.push(r.to_vec());
        Ok(())
    })?;
    Ok(out)
}

/// `Conn` for a type whose field `$f` derefs to a rusqlite `Connection`.
macro_rules! sqlite_conn {
    ($t:ty, $f:ident) => {
        impl Conn for $t {
            fn backend(&self) -> Backend {
                Backend::Sqlite
            }
            fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
                execute(&self.$f, sql, params)
            }
            fn query(
                &mut self,
                sql: &str,
                params: &[Value],
            ) -> Result<Vec<Vec<Value>>, StoreError> {
                query(&self.$f, sql, params)
            }
            fn query_each(
                &mut self,
                sql: &str,
                params: &[Value],
                f: &mut dyn FnMut(&mut [Value]) -> Result<(), StoreError>,
            ) -> Result<(), StoreError> {
                query_each(&self.$f, sql, params, f)
            }
            fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
                Ok(self.$f.execute_batch(sql)?)
            }
        }
    };
}

sqlite_conn!(SqliteStore, conn);
sqlite_conn!(SqliteTx<'_>, tx);

impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite database {}", self.path.display())
    }
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>, StoreError> {
        // IMMEDIATE takes the write lock at once, so two writers queue
        // instead of failing when the first one upgrades its read lock.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx, _wal: None }))
    }

    fn begin_bulk(&mut self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let wal = (!self.shared && leave_wal(&self.conn)).then_some(RestoreWal(&self.conn));
        // `&mut self` holds every other use of the connection off until the
        // transaction ends; on an error, `wal` sets WAL mode again.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx, _wal: wal }))
    }
}

/// Switches the connection's database from WAL mode to a rollback journal
/// for a bulk transaction, if no other connection has it open (SQLite
/// refuses otherwise, and the transaction is written to the WAL as any
/// other). True if it did.
fn leave_wal(conn: &Connection) -> bool {
    let mode =
        conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
    match mode {
        Ok(m) if m.eq_ignore_ascii_case("delete") => {
            // In rollback mode, only FULL is safe from corruption on power loss.
            if let Err(e) = conn.pragma_update(None, "synchronous", "FULL") {
                tracing::warn!("bulk write: {e}");
                restore_wal(conn);
                return false;
            }
            true
        }
        // "wal": others have the file open; "memory": an in-memory database.
        Ok(_) => false,
        Err(e) => {
            tracing::debug!("bulk write stays in WAL mode: {e}");
            false
        }
    }
}

/// Sets WAL mode and `synchronous=NORMAL` again after a bulk transaction.
/// If SQLite cannot (other connections opened the file meanwhile and keep
/// reading past the busy timeout), the file stays in rollback journal mode,
/// as safe but slower for readers, until the next connection opens it.
fn restore_wal(conn: &Connection) {
    let mode = conn
        .pragma_update(None, "synchronous", "NORMAL")
        .and_then(|()| {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
        });
    match mode {
        Ok(m) if m.eq_ignore_ascii_case("wal") => {}
        Ok(m) => tracing::warn!("after a bulk write the database stays in journal mode {m}"),
        Err(e) => {
            tracing::warn!("after a bulk write the database stays in rollback journal mode: {e}")
        }
    }
}

/// Restores WAL mode when dropped: after the transaction it follows in
/// [`SqliteTx`] has committed or rolled back.
struct RestoreWal<'a>(&'a Connection);

impl Drop for RestoreWal<'_> {
    fn drop(&mut self) {
        restore_wal(self.0);
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    /// Set for a bulk transaction that left WAL mode. Fields are dropped in
    /// order: this one after the transaction has ended.
    _wal: Option<RestoreWal<'a>>,
}

impl Tx for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let SqliteTx { tx, _wal } = *self;
        tx.commit()?;
        drop(_wal);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;
    use crate::{Conn, SqliteStore, Store, Value};

    fn journal_mode(c: &mut dyn Conn) -> String {
        c.query_scalar("PRAGMA journal_mode", &[])
            .unwrap()
            .get::<String>()
            .unwrap()
    }

    fn count(s: &mut SqliteStore) -> i64 {
        s.query_scalar("SELECT COUNT(*) FROM t", &[])
            .unwrap()
            .get()
            .unwrap()
    }

    #[test]
    fn bulk_transaction_alone_uses_a_rollback_journal_then_wal_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulk.db");
        let mut s = SqliteStore::open(&path).unwrap();
        s.batch("CREATE TABLE t (x TEXT)").unwrap();
        assert_eq!(journal_mode(&mut s), "wal");

        // Committed: the rows are there, and the file is in WAL mode again.
        let mut tx = s.begin_bulk().unwrap();
        assert_eq!(journal_mode(tx.as_mut()), "delete");
        assert_eq!(
            tx.query_scalar("PRAGMA synchronous", &[]).unwrap(),
            Value::Int(2),
            "FULL while in rollback journal mode"
        );
        for i in 0..1000 {
            tx.execute("INSERT INTO t VALUES ($1)", &[Value::Int(i)])
                .unwrap();
        }
        tx.commit().unwrap();
        assert_eq!(journal_mode(&mut s), "wal");
        assert_eq!(
            s.query_scalar("PRAGMA synchronous", &[]).unwrap(),
            Value::Int(1)
        );
        assert_eq!(count(&mut s), 1000);

        // Rolled back (dropped): nothing written, WAL mode again.
        let mut tx = s.begin_bulk().unwrap();
        tx.execute("INSERT INTO t VALUES ('x')", &[]).unwrap();
        drop(tx);
        assert_eq!(journal_mode(&mut s), "wal");
        assert_eq!(count(&mut s), 1000);
        assert!(!dir.path().join("bulk.db-journal").exists());

        // Another connection has the file open: the bulk transaction is
        // written to the WAL like any other, and the reader sees it.
        let mut reader = SqliteStore::open(&path).unwrap();
        assert_eq!(count(&mut reader), 1000);
        let mut tx = s.begin_bulk().unwrap();
        assert_eq!(journal_mode(tx.as_mut()), "wal");
        tx.execute("INSERT INTO t VALUES ('y')", &[]).unwrap();
        tx.commit().unwrap();
        assert_eq!(count(&mut reader), 1001);
        assert_eq!(journal_mode(&mut reader), "wal");
    }

    #[test]
    fn bulk_transaction_of_a_shared_store_stays_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("shared.db"))
            .unwrap()
            .shared();
        s.batch("CREATE TABLE t (x TEXT)").unwrap();
        let mut tx = s.begin_bulk().unwrap();
        assert_eq!(journal_mode(tx.as_mut()), "wal");
        tx.execute("INSERT INTO t VALUES ('x')", &[]).unwrap();
        tx.commit().unwrap();
        assert_eq!(journal_mode(&mut s), "wal");
        assert_eq!(count(&mut s), 1);
    }

    #[test]
    fn bulk_transaction_in_memory_is_a_plain_one() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.batch("CREATE TABLE t (x TEXT)").unwrap();
        let mut tx = s.begin_bulk().unwrap();
        tx.execute("INSERT INTO t VALUES ('x')", &[]).unwrap();
        tx.commit().unwrap();
        assert_eq!(journal_mode(&mut s), "memory");
        assert_eq!(count(&mut s), 1);
    }

    #[test]
    fn placeholders_are_rewritten() {
        assert_eq!(rewrite("a = $1 AND b = $12"), "a = ?1 AND b = ?12");
        assert_eq!(rewrite("cost in $"), "cost in $");
    }
}
