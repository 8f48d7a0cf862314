//! Benchmark: what SQLite alone takes to store event-sized rows, by how
//! held events are found (docs/benchmarks.md, "Where the capture time
//! goes"). No EPCIS parsing: rows of an Event Hash ID and a 470-byte body,
//! one prepared single-row INSERT each, in one transaction on a fresh file
//! opened as Equitas opens its database (WAL, 64 MiB page cache), with
//!
//! - `whole`: a unique index on the whole 89-character hash (schema
//!   versions 3 to 5);
//! - `prefix`: an index on its first 16 hex digits (schema version 6);
//! - `none`: no index on the hash, the floor.
//!
//! Run: `cargo bench -p equitas-store --bench hash_index [-- ROWS]`
//! (default 1,000,000).

use equitas_store::{Conn, SqliteStore, Store, Value};
use sha2::{Digest, Sha256};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| a != "--bench")
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let body = "x".repeat(470);
    let rows: Vec<(String, String)> = (0..n)
        .map(|i| {
            let digest = Sha256::digest(i.to_string());
            let hash = format!("ni:///sha-256;{}?ver=CBV2.0", hex::encode(digest));
            (hash, format!("{i:08}{body}"))
        })
        .collect();
    println!("hash_index: {n} rows of an Event Hash ID and a 470-byte body");
    for (layout, index) in [
        ("whole", "CREATE UNIQUE INDEX ev_hash ON ev (hash)"),
        (
            "prefix",
            "CREATE INDEX ev_hash ON ev (substr(hash, 15, 16))",
        ),
        ("none", ""),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = SqliteStore::open(&dir.path().join("bench.db")).expect("open");
        store
            .batch(&format!(
                "CREATE TABLE ev (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, body TEXT NOT NULL); {index}"
            ))
            .expect("schema");
        let t = Instant::now();
        let mut tx = store.begin().expect("begin");
        for (hash, body) in &rows {
            tx.execute(
                "INSERT INTO ev (hash, body) VALUES ($1, $2)",
                &[Value::from(hash.as_str()), Value::from(body.as_str())],
            )
            .expect("insert");
        }
        tx.commit().expect("commit");
        let took = t.elapsed().as_secs_f64();
        println!(
            "  {layout:<7} {took:>6.2} s  ({:>5.2} µs per row, commit included)",
            took * 1e6 / n as f64
        );
    }
}
