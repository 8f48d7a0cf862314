//! `equitas-engine`: export an Equitas database to Parquet, compute the
//! monthly ledger figures with DataFusion in process or on a Ballista
//! cluster, and run that cluster's scheduler and executors (docs/engine.md).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
#[cfg(feature = "cluster")]
use equitas_engine::cluster;
use equitas_engine::{export, figures, forecast, indicators, market};
use equitas_ledger::calendar::{Day, parse_day, parse_month};
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
    /// days and EPCIS events to Parquet, one file per country and month;
    /// its locations and procurement lines per country; its reference
    /// prices, treatment courses and wages.
    Export {
        /// SQLite file or postgresql:// URL of the Equitas database.
        #[arg(long, env = "EQUITAS_DATABASE")]
        db: String,
        /// Output directory (datasets under it: movements/, figures/, reported/, events/,
        /// locations/, procurement/, reference_prices/, treatment_courses/, wages/).
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
        /// Print the query plan as run, with each operator's rows and time
        /// (EXPLAIN ANALYZE), instead of the figures.
        #[arg(long)]
        explain: bool,
    },
    /// Compute the stock on hand, AMC and months of stock of every
    /// location and item at the end of every month, as CSV.
    Indicators {
        /// The export's directory.
        #[arg(long)]
        data: PathBuf,
        /// A Ballista scheduler (df://host:port); in process if absent.
        #[arg(long, env = "EQUITAS_ENGINE_SCHEDULER")]
        scheduler: Option<String>,
        /// As of this day (YYYY-MM-DD; default: the last day with a
        /// movement): the last row of each item is at this date.
        #[arg(long)]
        as_of: Option<String>,
        /// Months the AMC averages (formulas 3.5).
        #[arg(long, default_value_t = 3)]
        window: u32,
        /// Per area of this level (country, region or district) instead
        /// of per location: sums of the locations in it, their AMC on what
        /// they dispensed.
        #[arg(long)]
        level: Option<String>,
        /// Write the CSV here instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the query plan as run instead of the indicators.
        #[arg(long)]
        explain: bool,
    },
    /// Compute the availability of every item in every area (facilities
    /// with stock / facilities managing it) at the end of every month, as CSV.
    Availability {
        /// The export's directory.
        #[arg(long)]
        data: PathBuf,
        /// A Ballista scheduler (df://host:port); in process if absent.
        #[arg(long, env = "EQUITAS_ENGINE_SCHEDULER")]
        scheduler: Option<String>,
        /// As of this day (YYYY-MM-DD; default: the last day with a movement).
        #[arg(long)]
        as_of: Option<String>,
        /// The areas: country, region or district.
        #[arg(long, default_value = "country")]
        level: String,
        /// This item only; repeat or separate with commas for several
        /// (default: every item), as `equitas availability --item`.
        #[arg(long = "item", value_delimiter = ',')]
        items: Vec<String>,
        /// One row per area and month for the items together: the mean,
        /// over facilities, of the share of them each has in stock among
        /// those it manages (WHO SARA tracer items; formulas 3.9).
        #[arg(long)]
        basket: bool,
        /// Write the CSV here instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the query plan as run instead of the availability.
        #[arg(long)]
        explain: bool,
    },
    /// Forecast every location's demand series (the automatic choice, with
    /// 80% and 95% intervals) over an export, as CSV: one row per series
    /// and month forecast.
    Forecast {
        /// The export's directory.
        #[arg(long)]
        data: PathBuf,
        /// A Ballista scheduler (df://host:port); in process if absent.
        #[arg(long, env = "EQUITAS_ENGINE_SCHEDULER")]
        scheduler: Option<String>,
        /// The series end with this month (YYYY-MM; default: the last month
        /// complete at the last movement).
        #[arg(long)]
        as_of: Option<String>,
        /// Forecast the areas of this level (country, region, district:
        /// what their facilities dispensed) instead of each location.
        #[arg(long)]
        level: Option<String>,
        /// Months of history.
        #[arg(long, default_value_t = forecast::HISTORY)]
        history: usize,
        /// Months to forecast.
        #[arg(long, default_value_t = forecast::HORIZON)]
        horizon: usize,
        /// Write the CSV here instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Market indicators of the exported procurement lines of every
    /// country, one JSON object per group and line (as `equitas market
    /// ... --format json` gives each row).
    Market {
        /// concentration (HHI, effective number, top share, band), prices
        /// (unit prices per comparison unit), delivery (lead times,
        /// delays), mpr (median price ratios to the exported reference
        /// prices) or affordability (days' wages for a treatment course).
        #[arg(value_parser = ["concentration", "prices", "delivery", "mpr", "affordability"])]
        indicator: String,
        /// The export's directory.
        #[arg(long)]
        data: PathBuf,
        /// A Ballista scheduler (df://host:port); in process if absent.
        #[arg(long, env = "EQUITAS_ENGINE_SCHEDULER")]
        scheduler: Option<String>,
        /// One row per group of these dimensions (comma-separated: product,
        /// country, supplier, site, site-country, mode; default as `equitas
        /// market`: supplier for delivery, product otherwise).
        #[arg(long, value_delimiter = ',')]
        per: Vec<String>,
        /// Concentration: shares of supplier, site or site-country.
        #[arg(long, default_value = "supplier")]
        by: String,
        /// Concentration: weight of a line, value or quantity.
        #[arg(long, default_value = "value")]
        weight: String,
        /// Concentration: HHI thresholds between bands (comma-separated, ascending).
        #[arg(long, value_delimiter = ',', default_value = "1000,1800")]
        bands: Vec<f64>,
        /// Delivery: days late still counted on time.
        #[arg(long, default_value_t = 0)]
        tolerance_days: i64,
        /// MPR: per product and buyer country, not per product.
        #[arg(long)]
        by_country: bool,
        /// MPR and affordability: fewest price observations for a ratio or days.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
        min_observations: u32,
        /// MPR: local currency units per US$ (1 for US$ prices, as SCMS's).
        #[arg(long, default_value_t = 1.0)]
        exchange_rate: f64,
        /// MPR: reference prices of this source only, when several are exported.
        #[arg(long)]
        reference_source: Option<String>,
        /// Write the rows here instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the engine's figures against the single-node figures of a
    /// synthetic multi-country network, then time the single-node path and
    /// the engine side by side (docs/benchmarks.md).
    Bench {
        /// Where to write the network's Parquet files.
        #[arg(long)]
        out: PathBuf,
        /// Also time the Ballista scheduler at this address (df://host:port).
        #[arg(long, env = "EQUITAS_ENGINE_SCHEDULER")]
        scheduler: Option<String>,
        /// Also time Ballista clusters started on loopback in this process,
        /// one per number given here (executors of --vcores tasks each),
        /// e.g. `--executors 1,2`.
        #[cfg(feature = "cluster")]
        #[arg(long, value_delimiter = ',')]
        executors: Vec<u16>,
        /// Tasks each loopback executor runs at once.
        #[cfg(feature = "cluster")]
        #[arg(long, default_value_t = 1)]
        vcores: usize,
        /// First loopback port of those clusters (scheduler, then two per
        /// executor; the next cluster 10 ports further).
        #[cfg(feature = "cluster")]
        #[arg(long, default_value_t = 18300)]
        port: u16,
        /// MiB of memory each loopback executor's tasks may hold before
        /// they spill (default: Ballista's, 70% of the machine's each).
        #[cfg(feature = "cluster")]
        #[arg(long)]
        executor_memory: Option<u64>,
        /// Do not time DataFusion in process (it has no memory pool: an
        /// export larger than the memory is for the executors).
        #[arg(long)]
        no_in_process: bool,
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
        /// MiB of memory its tasks may hold together before they spill
        /// (default: Ballista's, 70% of the machine's memory).
        #[arg(long)]
        memory: Option<u64>,
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

fn main() -> Result<()> {
    let cli = Cli::parse();
    // The export reads the database through equitas-store, whose PostgreSQL
    // client blocks on a Tokio runtime of its own: it runs outside any other.
    if let Command::Export { db, out, quiet } = cli.command {
        let b = bar(quiet);
        let s = export::export_database(&db, &out, &b)?;
        b.finish_and_clear();
        eprintln!(
            "exported to {}: {} movements, {} monthly figures, {} reported stockout months, {} events, {} procurement lines, {} reference prices, {} treatment courses, {} wages in {} files; countries {}; figures as of {}",
            out.display(),
            s.movements,
            s.figures,
            s.reported,
            s.events,
            s.procurement,
            s.market_inputs.0,
            s.market_inputs.1,
            s.market_inputs.2,
            s.files,
            s.countries.iter().cloned().collect::<Vec<_>>().join(", "),
            s.as_of
                .map_or("-".into(), equitas_ledger::calendar::format_day)
        );
        return Ok(());
    }
    equitas_engine::runtime()
        .context("starting the Tokio runtime")?
        .block_on(run(cli.command))
}

async fn run(command: Command) -> Result<()> {
    // Ballista's scheduler and executor say what they do at level info.
    #[cfg(feature = "cluster")]
    let default = match command {
        Command::Scheduler { .. } | Command::Executor { .. } => log::LevelFilter::Info,
        _ => log::LevelFilter::Warn,
    };
    #[cfg(not(feature = "cluster"))]
    let default = log::LevelFilter::Warn;
    equitas_engine::log_to_stderr(default);
    match command {
        Command::Export { .. } => unreachable!("the export runs outside the runtime"),
        Command::Figures {
            data,
            scheduler,
            as_of,
            out,
            explain,
        } => {
            let ctx = figures::context(scheduler.as_deref()).await?;
            let csv = if explain {
                figures::explain(&ctx, &data, day_arg(&as_of)?).await?
            } else {
                figures::to_csv(&figures::compute(&ctx, &data, day_arg(&as_of)?).await?)
            };
            match out {
                Some(p) => std::fs::write(&p, csv).with_context(|| format!("{}", p.display()))?,
                None => print!("{csv}"),
            }
        }
        Command::Indicators {
            data,
            scheduler,
            as_of,
            window,
            level,
            out,
            explain,
        } => {
            let level = level
                .as_deref()
                .map(indicators::area_level)
                .transpose()
                .context("--level")?;
            let ctx = figures::context(scheduler.as_deref()).await?;
            let as_of = day_arg(&as_of)?;
            let csv = if explain {
                indicators::explain_amc(&ctx, &data, as_of, window, level).await?
            } else {
                indicators::to_csv(
                    &indicators::compute_by(&ctx, &data, as_of, window, level).await?,
                    level,
                )
            };
            write_out(out, csv)?;
        }
        Command::Availability {
            data,
            scheduler,
            as_of,
            level,
            items,
            basket,
            out,
            explain,
        } => {
            let level = indicators::area_level(&level).context("--level")?;
            let scope = indicators::Scope {
                level,
                items,
                basket,
            };
            let ctx = figures::context(scheduler.as_deref()).await?;
            let as_of = day_arg(&as_of)?;
            let items = scope.items.clone();
            let csv = if explain {
                indicators::explain_availability(&ctx, &data, as_of, &scope).await?
            } else {
                indicators::availability_csv(
                    &indicators::availability(&ctx, &data, as_of, scope).await?,
                    level,
                )
            };
            if !items.is_empty() {
                let (unknown, some) = indicators::unknown_items(&ctx, &items).await?;
                for i in unknown {
                    eprintln!(
                        "--item {i}: no movement of it in the export (items are named as the export names them, e.g. {})",
                        some.join(", ")
                    );
                }
            }
            write_out(out, csv)?;
        }
        Command::Forecast {
            data,
            scheduler,
            as_of,
            level,
            history,
            horizon,
            out,
        } => {
            if history == 0 || horizon == 0 {
                bail!("--history and --horizon: at least 1 month");
            }
            let last = as_of
                .as_deref()
                .map(|v| {
                    parse_month(v).with_context(|| format!("--as-of {v:?}: not a month (YYYY-MM)"))
                })
                .transpose()?;
            let ctx = figures::context(scheduler.as_deref()).await?;
            let level = level
                .as_deref()
                .map(equitas_engine::indicators::area_level)
                .transpose()?;
            let r = forecast::Request {
                level,
                last,
                history,
                horizon,
            };
            let (f, _) = forecast::compute(&ctx, &data, &r).await?;
            let csv = forecast::to_csv(&f);
            match out {
                Some(p) => std::fs::write(&p, csv).with_context(|| format!("{}", p.display()))?,
                None => print!("{csv}"),
            }
            eprintln!("{} series forecast", f.len());
        }
        Command::Market {
            indicator,
            data,
            scheduler,
            per,
            by,
            weight,
            bands,
            tolerance_days,
            by_country,
            min_observations,
            exchange_rate,
            reference_source,
            out,
        } => {
            use equitas_market::analysis::{ConcentrationBands, Dim, Weight};
            if !(exchange_rate.is_finite() && exchange_rate > 0.0) {
                anyhow::bail!(
                    "--exchange-rate {exchange_rate}: a positive number of local currency units per US$"
                );
            }
            let fixed = matches!(indicator.as_str(), "mpr" | "affordability");
            if fixed && !per.is_empty() {
                anyhow::bail!(
                    "--per: {indicator} is per product{} (as `equitas market {indicator}`)",
                    if indicator == "mpr" {
                        " (--by-country: and buyer country)"
                    } else {
                        " and buyer country"
                    }
                );
            }
            let per = if per.is_empty() {
                vec![
                    if indicator == "delivery" {
                        "supplier"
                    } else {
                        "product"
                    }
                    .to_string(),
                ]
            } else {
                per
            };
            let per = per
                .iter()
                .map(|d| d.parse::<Dim>().map_err(|e| anyhow::anyhow!("--per: {e}")))
                .collect::<Result<Vec<_>>>()?;
            let ctx = figures::context(scheduler.as_deref()).await?;
            let indicator = match indicator.as_str() {
                "concentration" => market::Indicator::Concentration {
                    by: by
                        .parse::<Dim>()
                        .map_err(|e| anyhow::anyhow!("--by: {e}"))?,
                    weight: weight
                        .parse::<Weight>()
                        .map_err(|e| anyhow::anyhow!("--weight: {e}"))?,
                    bands: ConcentrationBands::from_thresholds(bands)
                        .map_err(|e| anyhow::anyhow!("--bands: {e}"))?,
                },
                "prices" => market::Indicator::Prices,
                "delivery" => market::Indicator::Delivery { tolerance_days },
                "mpr" => {
                    let references =
                        market::reference_prices(&ctx, &data, reference_source.as_deref()).await?;
                    if references.is_empty() {
                        anyhow::bail!(
                            "no reference prices{} in the export: `equitas import reference-prices FILE`, then export again",
                            reference_source
                                .map(|s| format!(" of source {s:?}"))
                                .unwrap_or_default()
                        );
                    }
                    market::Indicator::Mpr(market::MprSettings {
                        by_country,
                        min_observations: min_observations as usize,
                        exchange_rate,
                        references,
                    })
                }
                _ => {
                    let wages = market::wages(&ctx, &data).await?;
                    if wages.is_empty() {
                        anyhow::bail!(
                            "no wages in the export: `equitas import wages FILE`, then export again"
                        );
                    }
                    market::Indicator::Affordability(market::AffordabilitySettings {
                        courses: market::courses(&ctx, &data).await?,
                        wages,
                        min_observations: min_observations as usize,
                    })
                }
            };
            let request = if fixed {
                market::Request::per_product(indicator)
            } else {
                market::Request { per, indicator }
            };
            let rows = market::compute(&ctx, &data, &request).await?;
            let mut text = String::new();
            for r in &rows {
                text.push_str(&r.to_string());
                text.push('\n');
            }
            match out {
                Some(p) => std::fs::write(&p, text).with_context(|| format!("{}", p.display()))?,
                None => print!("{text}"),
            }
            eprintln!("{} rows", rows.len());
            if let market::Indicator::Mpr(_) = request.indicator {
                for b in market::basket(&rows) {
                    eprintln!(
                        "basket ({}, against {}{}): median MPR {:.2} over {} products",
                        b.kind,
                        b.reference_source,
                        b.country.map(|c| format!(", in {c}")).unwrap_or_default(),
                        b.median_mpr,
                        b.products
                    );
                }
            }
        }
        Command::Bench {
            out,
            scheduler,
            #[cfg(feature = "cluster")]
            executors,
            #[cfg(feature = "cluster")]
            vcores,
            #[cfg(feature = "cluster")]
            port,
            #[cfg(feature = "cluster")]
            executor_memory,
            no_in_process,
            countries,
            facilities,
            products,
            months,
            runs,
            reuse,
        } => {
            let runs = runs.max(1);
            let t = Instant::now();
            let net =
                equitas_engine::synthetic::Networks::new(countries, facilities, products, months);
            eprintln!(
                "{} movements in {countries} countries generated in {:.1} s",
                net.movements(),
                t.elapsed().as_secs_f64()
            );
            if !reuse {
                let t = Instant::now();
                net.write(&out)?;
                eprintln!(
                    "Parquet files written in {:.1} s",
                    t.elapsed().as_secs_f64()
                );
            }
            let mut want = Vec::new();
            let mut single = Vec::new();
            for _ in 0..runs {
                let (w, secs) = net.single_node_timed();
                want = w;
                single.push(secs);
                eprintln!("single node: {secs:.3} s");
            }
            // The engines read the Parquet files: the movements in memory go.
            let (movements, as_of) = (net.movements(), net.as_of());
            drop(net);
            // (name, scheduler URL or None for in process)
            let mut engines: Vec<(String, Option<String>)> = Vec::new();
            if !no_in_process {
                engines.push(("DataFusion in process".to_string(), None));
            }
            #[cfg(feature = "cluster")]
            let mut clusters = Vec::new();
            #[cfg(feature = "cluster")]
            for (i, &n) in executors.iter().enumerate() {
                let cluster = cluster::start_loopback(
                    port + 10 * i as u16,
                    n,
                    vcores,
                    executor_memory.map(|m| m << 20),
                )
                .await?;
                let url = cluster.url.clone();
                clusters.push(cluster);
                engines.push((
                    format!(
                        "Ballista, {n} executor{} of {vcores} vcore{}",
                        if n == 1 { "" } else { "s" },
                        if vcores == 1 { "" } else { "s" }
                    ),
                    Some(url),
                ));
            }
            if let Some(url) = scheduler {
                engines.push((format!("Ballista at {url}"), Some(url)));
            }
            let mut rows = vec![("single node (equitas-ledger)".to_string(), single)];
            for (name, url) in engines {
                let mut secs = Vec::new();
                for _ in 0..runs {
                    let ctx = figures::context(url.as_deref()).await?;
                    // Timed: the query to its batches, and each batch to
                    // figures; not their comparison with the single node's.
                    let t = Instant::now();
                    let batches = figures::compute_batches(&ctx, &out, Some(as_of)).await?;
                    let mut s = t.elapsed().as_secs_f64();
                    let (mut diff, mut at) = (Vec::new(), 0);
                    for b in batches {
                        let t = Instant::now();
                        let got = figures::batch_figures(&b)?;
                        drop(b);
                        s += t.elapsed().as_secs_f64();
                        let (start, end) = (at.min(want.len()), (at + got.len()).min(want.len()));
                        if diff.len() < 5 {
                            let more = figures::differences(
                                &want[start..end],
                                &got[..end - start],
                                5 - diff.len(),
                            );
                            diff.extend(more);
                        }
                        at += got.len();
                    }
                    if at != want.len() {
                        diff.push(format!("{} rows expected, {at} computed", want.len()));
                    }
                    secs.push(s);
                    eprintln!("{name}: {s:.3} s");
                    if !diff.is_empty() {
                        bail!("{name}: the engine's figures differ:\n{}", diff.join("\n"));
                    }
                }
                rows.push((name, secs));
            }
            println!(
                "{} movements, {} monthly figures, {countries} countries; median of {runs} runs (min-max); every run's figures equal to the single node's",
                movements,
                want.len()
            );
            let base = median(&mut rows[0].1.clone());
            println!("| path | median | runs | ratio to single node |\n|---|---|---|---|");
            for (name, mut secs) in rows {
                let m = median(&mut secs);
                println!(
                    "| {name} | {m:.2} s | {:.2}-{:.2} s | {:.1} |",
                    secs[0],
                    secs[secs.len() - 1],
                    m / base
                );
            }
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
            memory,
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
                memory: memory.map(|m| m << 20),
            };
            cluster::run_executor(&e).await?;
        }
    }
    Ok(())
}

fn write_out(out: Option<PathBuf>, csv: String) -> Result<()> {
    match out {
        Some(p) => std::fs::write(&p, csv).with_context(|| format!("{}", p.display()))?,
        None => print!("{csv}"),
    }
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
