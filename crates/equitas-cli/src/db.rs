//! `equitas db`: the database's monthly partitions (PostgreSQL;
//! docs/scale.md): converting to them, listing, detaching a month.

use crate::Cli;
use crate::context::open_store;
use crate::format::int;
use crate::output::Format;
use anyhow::{Context, Result};
use equitas_store::partitions::{self, Month};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum DbCommand {
    /// Partition the EPCIS events and the stock movements by month
    /// (PostgreSQL): every row moves, in one transaction that holds the
    /// tables for its duration (stop the servers first: on a large
    /// database it is a maintenance window). An upgrade never does this by
    /// itself. Refused on SQLite and on a database already partitioned.
    #[command(
        after_help = "Example:\n  equitas --database postgres://equitas@db/equitas db partition --by month"
    )]
    Partition {
        /// The partitioning: by month is the one there is.
        #[arg(long, value_enum)]
        by: By,
    },

    /// List the monthly partitions of the EPCIS events and the stock
    /// movements, with the rows each holds (PostgreSQL).
    #[command(
        after_help = "Example:\n  equitas --database postgres://equitas@db/equitas db partitions"
    )]
    Partitions {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },

    /// Detach and drop a month's partitions: its EPCIS events (by UTC event
    /// time) with their identifiers, quantities and parties, and its stock
    /// movements (by local time). With --archive, every row is written to
    /// FILE (JSON lines, a new file) first. The stock ledger no longer
    /// counts that month's movements: detach only months before a physical
    /// count of every item and place kept (docs/scale.md).
    #[command(
        name = "detach-partition",
        after_help = "Example:\n  equitas db detach-partition --month 2023-01 --archive events-2023-01.jsonl"
    )]
    DetachPartition {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Write the rows removed to this new file first (JSON lines).
        #[arg(long, value_name = "FILE")]
        archive: Option<PathBuf>,
    },
}

/// How the tables are partitioned.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum By {
    Month,
}

pub fn run(cli: &Cli, c: &DbCommand) -> Result<()> {
    match c {
        DbCommand::Partition { by: By::Month } => {
            let mut store = open_store(cli)?;
            eprintln!(
                "Partitioning the EPCIS events and stock movements by month (one transaction; \
                 the tables are locked until it ends)..."
            );
            let done = partitions::partition_by_month(store.as_mut())?;
            println!(
                "Partitioned by month: {} events and {} stock movements in {} monthly partitions{}.",
                int(done.events),
                int(done.movements),
                done.months.len(),
                match (done.months.first(), done.months.last()) {
                    (Some(a), Some(b)) => format!(" ({a} to {b})"),
                    _ => String::new(),
                }
            );
        }
        DbCommand::Partitions { format } => {
            let mut store = open_store(cli)?;
            let list = partitions::partitions(store.as_mut())?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&list)?),
                Format::Csv | Format::CsvFr => {
                    let mut w = crate::output::csv_writer(*format)?;
                    w.write_record(["table", "month", "partition", "rows"])?;
                    for p in &list {
                        let rows = p.rows.to_string();
                        w.write_record([
                            p.table.as_str(),
                            p.month.as_deref().unwrap_or("default"),
                            p.name.as_str(),
                            rows.as_str(),
                        ])?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    println!("{:<16} {:<8} {:>14}  partition", "table", "month", "rows");
                    for p in &list {
                        println!(
                            "{:<16} {:<8} {:>14}  {}",
                            p.table,
                            p.month.as_deref().unwrap_or("default"),
                            int(p.rows),
                            p.name
                        );
                    }
                }
            }
        }
        DbCommand::DetachPartition { month, archive } => {
            let month = Month::parse(month).context("--month")?;
            let mut store = open_store(cli)?;
            let d = partitions::detach_month(store.as_mut(), month, archive.as_deref())?;
            println!("Detached and dropped the partitions of {}:", d.month);
            for (table, n) in &d.rows {
                println!("  {table:<24} {:>14} rows", int(*n));
            }
            if let Some(a) = &d.archive {
                println!("Archived to {a} (JSON lines: table, row).");
            }
        }
    }
    Ok(())
}
