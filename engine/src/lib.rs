//! Cross-country analytics on a distributed engine (issue 25).
//!
//! - [`export`]: an Equitas database (SQLite or PostgreSQL, read through
//!   `equitas-store`) to Parquet, one file per country and month in
//!   hive-style directories (`movements/country=XSY/month=2025-01/`), for
//!   the stock movements, the single-node monthly figures, the stockout
//!   days stock reports gave, and the EPCIS events;
//! - [`figures`]: the monthly ledger figures of `docs/formulas.md` 3.2–3.3
//!   computed by DataFusion SQL over those files, in process or on a
//!   Ballista cluster, equal to the single-node ledger's
//!   ([`figures::single_node`]);
//! - [`indicators`]: the stock indicators that follow from those figures,
//!   by the same SQL continued: stock on hand, AMC and months of stock
//!   (3.4–3.6) per location, item and month end, and availability (3.9)
//!   per area, item and month end, equal to the single-node
//!   `equitas_ledger::view::stock` and `view::availability`;
//! - [`forecast`]: every location's demand series and the automatic
//!   choice's forecast (`docs/formulas.md` 4.1, 4.4, 4.5) on the same
//!   engine, a scalar function over the figures, equal to the single
//!   node's ([`forecast::single_node`]);
//! - [`market`]: supply concentration (HHI, effective number, top share,
//!   bands) of procurement lines across countries, equal to the single
//!   node's `concentration_table`;
//! - [`cluster`]: a Ballista scheduler and executors started in process.
//!
//! Not part of the root workspace: building it builds DataFusion and
//! Ballista, which the laptop path (`equitas`) never needs.

#[cfg(feature = "cluster")]
pub mod cluster;
pub mod export;
pub mod figures;
pub mod forecast;
pub mod indicators;
pub mod market;
pub mod synthetic;

use std::path::PathBuf;

/// What can go wrong, naming the file or the database.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("reading the Equitas database {target}: {source}")]
    Store {
        target: String,
        #[source]
        source: equitas_store::StoreError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing Parquet file {path}: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: datafusion::parquet::errors::ParquetError,
    },
    #[error("building Arrow batch for {path}: {source}")]
    Arrow {
        path: PathBuf,
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
    #[error("query engine: {0}")]
    Query(#[from] datafusion::error::DataFusionError),
    #[error("{0}")]
    Invalid(String),
}

/// A Tokio runtime whose threads have room for the planners' recursion
/// over the figures query's plan (deep in an unoptimised build, where the
/// default 2 MiB stack overflows).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(64 << 20)
        .enable_all()
        .build()
}

/// Sends the log lines of Ballista and DataFusion (the `log` crate) to
/// standard error, from the level `EQUITAS_ENGINE_LOG` names (`error`,
/// `warn`, `info`, `debug`, `trace`, `off`), else `default`.
pub fn log_to_stderr(default: log::LevelFilter) {
    static LOGGER: Stderr = Stderr;
    let level = std::env::var("EQUITAS_ENGINE_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "{} {:5} {}: {}",
                chrono::Utc::now().format("%H:%M:%S%.3f"),
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}
