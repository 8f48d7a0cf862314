//! `equitas-engine`: export an Equitas database to Parquet, compute the
//! monthly ledger figures with DataFusion in process or on a Ballista
//! cluster, and run that cluster's scheduler and executors (docs/engine.md).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
#[cfg(feature = "cluster")]
use equitas_engine::cluster;
use equitas_engine::{export, figures};
use equitas_ledger::calendar::{Day, parse_day};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "equitas-engine",
    version,
    about = "Cross-country analytics of Equitas data on Apache DataFusion and Ballista"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Export a database's movements, monthly figures, reported stockout
    /// days and EPCIS events to Parquet, one file per country and month.
    Export {
        /// SQLite file or postgresql:// URL of the Equitas database.
        #[arg(long, env = "EQUITAS_DATABASE")]
        db: String,
        /// Output directory (datasets under it: movements/, figures/, reported/, events/).
        #[arg(long)]
        out: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Compute the monthly figures over an export, as CSV.
    Figures {
        /// The export's directory.
        #[arg(long)]
        data: PathBuf,
        /// A Ballista scheduler (df://host:port); in process if absent.
        #[arg(long, env = "EQUITAS_ENGINE_SCHEDULER")]
        scheduler: Option<String>,
        /// As of this day (YYYY-MM-DD; default: the last day with a movement).
        #[arg(long)]
        as_of: Option<String>,
        /// Write the CSV here instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the engine's figures against the single-node figures of a
    /// synthetic multi-country network, then time both (docs/benchmarks.md).
    Bench {
        /// Where to write the network's Parquet files.
        #[arg(long)]
        out: PathBuf,
        /// A Ballista scheduler (df://host:port); in process if absent.
        #[arg(long, env = "EQUITAS_ENGINE_SCHEDULER")]
        scheduler: Option<String>,
        #[arg(long, default_value_t = 3)]
        countries: usize,
        #[arg(long, default_value_t = 200)]
        facilities: usize,
        #[arg(long, default_value_t = 40)]
        products: usize,
        #[arg(long, default_value_t = 24)]
        months: u32,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Reuse the Parquet files already in --out (same network options).
        #[arg(long)]
        reuse: bool,
    },
    /// Run a Ballista scheduler.
    #[cfg(feature = "cluster")]
    Scheduler {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 50050)]
        port: u16,
    },
    /// Run a Ballista executor.
    #[cfg(feature = "cluster")]
    Executor {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Arrow Flight port.
        #[arg(long, default_value_t = 50051)]
        port: u16,
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// The scheduler, host:port.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// Tasks run at once (default: the cores).
        #[arg(long)]
        vcores: Option<usize>,
        #[arg(long)]
        work_dir: Option<String>,
    },
}

fn day_arg(s: &Option<String>) -> Result<Option<Day>> {
    s.as_deref()
        .map(|v| parse_day(v).with_context(|| format!("--as-of {v:?}: not a date (YYYY-MM-DD)")))
        .transpose()
}

fn bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(0);
    b.set_style(
        ProgressStyle::with_template("{spinner} {msg:20} [{bar:40}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.enable_steady_tick(Duration::from_millis(200));
    b
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Export { db, out, quiet } => {
            let b = bar(quiet);
            let s = export::export_database(&db, &out, &b)?;
            b.finish_and_clear();
            eprintln!(
                "exported to {}: {} movements, {} monthly figures, {} reported stockout months, {} events in {} files; countries {}; figures as of {}",
                out.display(),
                s.movements,
                s.figures,
                s.reported,
                s.events,
                s.files,
                s.countries.iter().cloned().collect::<Vec<_>>().join(", "),
                s.as_of
                    .map_or("-".into(), equitas_ledger::calendar::format_day)
            );
        }
        Command::Figures {
            data,
            scheduler,
            as_of,
            out,
        } => {
            let ctx = figures::context(scheduler.as_deref()).await?;
            let f = figures::compute(&ctx, &data, day_arg(&as_of)?).await?;
            let csv = figures::to_csv(&f);
            match out {
                Some(p) => std::fs::write(&p, csv).with_context(|| format!("{}", p.display()))?,
                None => print!("{csv}"),
            }
        }
        Command::Bench {
            out,
            scheduler,
            countries,
            facilities,
            products,
            months,
            runs,
            reuse,
        } => {
            let net =
                equitas_engine::synthetic::Networks::new(countries, facilities, products, months);
            eprintln!("{} movements in {countries} countries", net.movements());
            if !reuse {
                net.write(&out)?;
            }
            let mut single = Vec::new();
            let mut want = Vec::new();
            for _ in 0..runs.max(1) {
                let (w, secs) = net.single_node_timed();
                want = w;
                single.push(secs);
            }
            let mut engine = Vec::new();
            let mut got = Vec::new();
            for _ in 0..runs.max(1) {
                let ctx = figures::context(scheduler.as_deref()).await?;
                let t = Instant::now();
                got = figures::compute(&ctx, &out, Some(net.as_of())).await?;
                engine.push(t.elapsed().as_secs_f64());
            }
            let diff = figures::differences(&want, &got, 5);
            if !diff.is_empty() {
                bail!("the engine's figures differ:\n{}", diff.join("\n"));
            }
            let (s, e) = (median(&mut single), median(&mut engine));
            println!(
                "movements {} figures {} single-node median {s:.3} s engine ({}) median {e:.3} s ratio engine/single {:.2}",
                net.movements(),
                want.len(),
                scheduler.as_deref().unwrap_or("DataFusion in process"),
                e / s
            );
        }
        #[cfg(feature = "cluster")]
        Command::Scheduler { host, port } => {
            eprintln!("Ballista scheduler on {host}:{port}");
            cluster::run_scheduler(&host, port).await?;
        }
        #[cfg(feature = "cluster")]
        Command::Executor {
            host,
            port,
            grpc_port,
            scheduler,
            vcores,
            work_dir,
        } => {
            let Some((sh, sp)) = scheduler.rsplit_once(':') else {
                bail!("--scheduler {scheduler:?}: expected host:port");
            };
            let scheduler_port: u16 = sp
                .parse()
                .with_context(|| format!("--scheduler {scheduler:?}: bad port"))?;
            let e = cluster::Executor {
                host,
                port,
                grpc_port,
                scheduler_host: sh.to_string(),
                scheduler_port,
                vcores: vcores
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                work_dir,
            };
            cluster::run_executor(&e).await?;
        }
    }
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
