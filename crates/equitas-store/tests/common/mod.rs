//! Test stores: a fresh SQLite file, and a fresh PostgreSQL database on the
//! server named by `EQUITAS_TEST_POSTGRES_URL` (set by `scripts/test.sh`,
//! which starts a throwaway cluster). Without that variable the PostgreSQL
//! tests are skipped with a message, unless `EQUITAS_REQUIRE_POSTGRES=1`,
//! in which case they fail: the test script sets it so a broken server
//! setup can never pass silently.

#![allow(dead_code)]

use equitas_store::{Store, open};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct TestStore {
    pub store: Box<dyn Store>,
    pub target: String,
    _dir: Option<tempfile::TempDir>,
    drop_db: Option<(String, String)>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some((admin, db)) = self.drop_db.take() {
            // Best effort: the whole cluster is removed after the run anyway.
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}

pub fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = dir.path().join("nested").join("equitas.db");
    let target = path.display().to_string();
    let store = open(&target).expect("open sqlite");
    TestStore {
        store,
        target,
        _dir: Some(dir),
        drop_db: None,
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Replaces the database name in a `postgresql://.../NAME?...` URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..authority_end], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub fn postgres() -> Option<TestStore> {
    let Ok(admin) = std::env::var("EQUITAS_TEST_POSTGRES_URL") else {
        if std::env::var("EQUITAS_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("EQUITAS_REQUIRE_POSTGRES=1 but EQUITAS_TEST_POSTGRES_URL is not set");
        }
        eprintln!(
            "skipping PostgreSQL test: EQUITAS_TEST_POSTGRES_URL is not set (run scripts/test.sh)"
        );
        return None;
    };
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let db = format!("equitas_test_{}_{}", std::process::id(), n);
    let mut c = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
    // One statement per call: CREATE DATABASE cannot run in a transaction block.
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop old test database");
    c.batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create test database");
    let target = with_database(&admin, &db);
    let store = open(&target).expect("open postgres");
    Some(TestStore {
        store,
        target,
        _dir: None,
        drop_db: Some((admin, db)),
    })
}

/// Defines `#[test] fn NAME` in a `sqlite` and a `postgres` module, both
/// calling `body(&mut TestStore)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $body:ident),+ $(,)?) => {
        mod sqlite_backend {
            $(#[test] fn $name() { let mut s = $crate::common::sqlite(); super::$body(&mut s); })+
        }
        mod postgres_backend {
            $(#[test] fn $name() {
                if let Some(mut s) = $crate::common::postgres() { super::$body(&mut s); }
            })+
        }
    };
}

/// The repository's `data/` directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

#[test]
fn database_name_is_replaced() {
    assert_eq!(
        with_database("postgresql:///postgres?host=/tmp/x&port=5433", "t1"),
        "postgresql:///t1?host=/tmp/x&port=5433"
    );
    assert_eq!(
        with_database("postgres://u:p@localhost:5432/postgres", "t2"),
        "postgres://u:p@localhost:5432/t2"
    );
}
