//! What each command does.

use crate::format::{int, pct, usd_millions};
use crate::progress::Bar;
use crate::{Cli, Command, Format, demo_data};
use anyhow::{Context, Result, bail};
use equitas_gs1::{Epc, Gln, Gtin, Sscc, parse_element_string};
use equitas_model::RowError;
use equitas_model::reference::{parse_country_aliases, parse_site_mapping};
use equitas_store::import::{ImportKind, ImportOptions, ImportReport, Mappings, import};
use equitas_store::mapped::Mapped;
use equitas_store::migrations;
use equitas_store::report::{Overview, overview};
use equitas_store::{Store, repo};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// Exit status when an import finished but rejected some rows.
const EXIT_REJECTED_ROWS: u8 = 3;
/// How many bad rows to list unless --all-errors.
const SHOWN_ERRORS: usize = 20;

pub fn run(cli: Cli) -> Result<ExitCode> {
    let serving = matches!(cli.command, Command::Serve { .. });
    let wait = cli.write_wait.unwrap_or(if serving { 30 } else { 600 });
    equitas_store::set_write_wait(std::time::Duration::from_secs(wait));
    if !serving {
        equitas_store::on_write_wait(|bound| {
            eprintln!(
                "Waiting for another capture or import to finish writing to the database (up to {} s, --write-wait)...",
                bound.as_secs()
            );
        });
    }
    match &cli.command {
        Command::Gs1 { ids, gcp_length } => Ok(gs1(ids, *gcp_length)),
        Command::Epcis(crate::EpcisCommand::Hash { files, prehash }) => epcis_hash(files, *prehash),
        Command::Epcis(crate::EpcisCommand::Capture {
            files,
            proceed,
            max_event_bytes,
            schemas,
        }) => epcis_capture(&cli, files, *proceed, *max_event_bytes, schemas),
        Command::Epcis(crate::EpcisCommand::Query { args, format }) => {
            let q = equitas_service::epcis::query(&args.args()?)?;
            let mut store = open_store(&cli)?;
            let found = equitas_store::epcis::query_events(store.as_mut(), &q)?;
            let next = (found.len() == q.limit)
                .then(|| found.last().map(|e| e.cursor))
                .flatten();
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"events": found, "next": next}))?
                ),
                Format::Table => {
                    for e in &found {
                        let step = e
                            .biz_step
                            .as_deref()
                            .map(|s| s.rsplit(['-', '/']).next().unwrap_or(s));
                        println!(
                            "{:>6}  {}  {:<18} {:<8} {:<14} {} ({} EPCs, {} quantities)",
                            e.cursor,
                            e.event_time,
                            e.event_type,
                            e.action.as_deref().unwrap_or("-"),
                            step.unwrap_or("-"),
                            e.biz_location.as_deref().unwrap_or("-"),
                            e.epcs.len(),
                            e.quantities.len()
                        );
                    }
                    println!("{} event(s)", found.len());
                    if let Some(n) = next {
                        println!("more: --after {n}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Epcis(crate::EpcisCommand::Validate { files, schemas }) => {
            epcis_validate(&cli, files, schemas)
        }
        Command::Init => {
            let mut store = open_store(&cli)?;
            let v = migrations::current_version(store.as_mut())?;
            println!("Database ready: {} (schema version {v})", store.describe());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { format } => demo(&cli, *format),
        Command::Serve {
            addr,
            allow_hosts,
            max_body_bytes,
            max_event_bytes,
            max_events,
            max_connections,
            header_timeout,
            request_timeout,
            schemas,
        } => {
            let target = database_target(&cli)?;
            let schemas = epcis_schemas(&cli, schemas)?.noted();
            let limits = equitas_server::Limits {
                body: *max_body_bytes,
                event: *max_event_bytes,
                events: *max_events,
                body_idle: std::time::Duration::from_secs(*header_timeout),
            };
            let opts = equitas_server::ServeOptions {
                max_connections: *max_connections,
                header_timeout: std::time::Duration::from_secs(*header_timeout),
                request_timeout: std::time::Duration::from_secs(*request_timeout),
                ..Default::default()
            };
            let state = equitas_server::AppState::open(&target)
                .with_context(|| format!("cannot open the database {target}"))?
                .with_epcis_schemas(schemas)
                .with_limits(limits)
                .with_hosts(equitas_server::Hosts::for_addr(addr, allow_hosts));
            if !addr.ip().is_loopback() {
                eprintln!(
                    "Warning: listening on {addr}, not the loopback address: anyone who can reach this machine \
                     can read all the data and capture events (Equitas has no accounts yet). Serve 127.0.0.1 \
                     behind a proxy that authenticates users, or on a trusted network only."
                );
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr}"))?;
                let at = listener.local_addr().unwrap_or(*addr);
                eprintln!(
                    "Equitas dashboard on http://{at}/ (the API: http://{at}/api/docs; data: {target}); Ctrl-C stops it."
                );
                equitas_server::serve(state, listener, opts)
                    .await
                    .with_context(|| format!("cannot serve on {addr}"))
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stock { command, args, out } => {
            let mut store = open_store(&cli)?;
            let st = store.as_mut();
            match command {
                None => crate::stock::stock(st, args, out)?,
                Some(crate::stock::StockCommand::Problems { args, out }) => {
                    crate::stock::problems(st, args, out)?
                }
                Some(crate::stock::StockCommand::Lots { args, out }) => {
                    crate::stock::lots(st, args, out)?
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Forecast { command, args, out } => {
            let mut store = open_store(&cli)?;
            let st = store.as_mut();
            match command {
                None => crate::forecast::forecast(st, args, out)?,
                Some(crate::forecast::ForecastCommand::Accuracy { args, out }) => {
                    crate::forecast::accuracy(st, args, out)?
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { args, out } => {
            crate::forecast::plan(open_store(&cli)?.as_mut(), args, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Risk { args, out } => {
            crate::forecast::risk(open_store(&cli)?.as_mut(), args, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Availability { args, out } => {
            crate::stock::availability(open_store(&cli)?.as_mut(), args, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => {
            let (files, events) = crate::generate::generate(args)?;
            println!(
                "Synthetic network written to {}: country.csv, locations.csv, products.csv and {files} EPCIS document(s) holding {events} events.",
                args.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Market(m) => {
            crate::market::run_command(open_store(&cli)?.as_mut(), m)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Supply(m) => {
            crate::supply::run_command(open_store(&cli)?.as_mut(), m)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            kind,
            files,
            strict,
            dry_run,
            all_errors,
            site_map,
            country_aliases,
            mapping,
        } => {
            let mut store = open_store(&cli)?;
            let mappings = load_mappings(
                site_map.as_deref(),
                country_aliases.as_deref(),
                mapping.as_deref(),
            )?;
            let opts = ImportOptions {
                strict: *strict,
                dry_run: *dry_run,
            };
            let mut rejected = 0;
            for f in files {
                let bytes =
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                let name = f.display().to_string();
                let report = run_import(store.as_mut(), *kind, &name, &bytes, &mappings, opts)?;
                print_report(&report, *all_errors);
                rejected += report.rejected.len();
            }
            if *dry_run {
                println!("Dry run: nothing was written.");
            }
            Ok(if rejected > 0 {
                ExitCode::from(EXIT_REJECTED_ROWS)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Status { format } => {
            let mut store = open_store(&cli)?;
            let version = migrations::current_version(store.as_mut())?;
            let ov = overview(store.as_mut())?;
            let imports = repo::list_imports(store.as_mut())?;
            match format {
                Format::Json => {
                    let imports: Vec<_> = imports
                        .iter()
                        .map(|i| {
                            json!({"kind": i.kind, "source": i.source_name, "last_at": i.last_at,
                                   "runs": i.runs, "rows_read": i.rows_read, "rejected": i.rejected})
                        })
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({
                            "database": store.describe(),
                            "schema_version": version,
                            "overview": ov,
                            "imports": imports,
                        }))?
                    );
                }
                Format::Table => {
                    println!("{} (schema version {version})\n", store.describe());
                    print_overview(&ov);
                    if !imports.is_empty() {
                        println!("\nImports (latest first)");
                        for i in imports.iter().take(10) {
                            println!(
                                "  {:<14} {:>8} rows  {:>3} run(s)  last {}  {}",
                                i.kind,
                                int(i.rows_read),
                                i.runs,
                                &i.last_at[..i.last_at.len().min(19)],
                                i.source_name
                            );
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where the database is: --database, else equitas.db in the data directory.
pub fn database_target(cli: &Cli) -> Result<String> {
    if let Some(db) = &cli.database {
        return Ok(db.clone());
    }
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("equitas"))
            .context("no data directory for this user: give --data-dir or set EQUITAS_DATA_DIR")?,
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(dir.join("equitas.db").display().to_string())
}

fn open_store(cli: &Cli) -> Result<Box<dyn Store>> {
    let target = database_target(cli)?;
    tracing::info!(%target, "opening database");
    let fail = || format!("cannot open the database {target}");
    let mut store = equitas_store::connect(&target).with_context(fail)?;
    let version = migrations::current_version(store.as_mut()).with_context(fail)?;
    if version > 0 && version < migrations::latest() {
        // Some migrations rewrite tables: say why a large database waits.
        eprintln!(
            "Updating the database schema from version {version} to {}; on a large database this can take minutes",
            migrations::latest()
        );
    }
    migrations::migrate(store.as_mut()).with_context(fail)?;
    Ok(store)
}

pub(crate) fn load_mappings(
    site_map: Option<&Path>,
    aliases: Option<&Path>,
    procurement: Option<&Path>,
) -> Result<Mappings> {
    let read = |p: Option<&Path>, shipped: &'static [u8]| -> Result<(String, Vec<u8>)> {
        Ok(match p {
            Some(p) => (
                p.display().to_string(),
                std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            ),
            None => ("(shipped table)".to_string(), shipped.to_vec()),
        })
    };
    let bad = |name: &str, errors: &[RowError]| -> Result<()> {
        if let Some(e) = errors.first() {
            bail!("{name}: {e} ({} bad row(s) in all)", errors.len());
        }
        Ok(())
    };
    let (name, bytes) = read(site_map, demo_data::SITE_MAP)?;
    let sites = parse_site_mapping(bytes.as_slice()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    bad(&name, &sites.errors)?;
    let (name, bytes) = read(aliases, demo_data::COUNTRY_ALIASES)?;
    let al = parse_country_aliases(bytes.as_slice()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    bad(&name, &al.errors)?;
    let procurement = match procurement {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Some(
                equitas_market::generic::parse_mapping(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            )
        }
    };
    Ok(Mappings {
        sites: sites.records.into_iter().map(|(_, m)| m).collect(),
        country_aliases: al.records.into_iter().map(|(_, a)| a).collect(),
        procurement,
    })
}

pub(crate) fn run_import(
    store: &mut dyn Store,
    kind: ImportKind,
    name: &str,
    bytes: &[u8],
    mappings: &Mappings,
    opts: ImportOptions,
) -> Result<ImportReport> {
    let bar = Bar::new(kind.as_str());
    let spinner = Bar::spinner(&format!("reading {name}"));
    let started = std::time::Instant::now();
    let result = import(
        store,
        kind,
        name,
        bytes,
        mappings,
        opts,
        &SpinnerThenBar { spinner, bar },
    );
    tracing::info!(kind = kind.as_str(), file = name, elapsed = ?started.elapsed(), "import finished");
    Ok(result?)
}

/// Shows a spinner while the file is parsed, then a bar while it is written.
struct SpinnerThenBar {
    spinner: indicatif::ProgressBar,
    bar: Bar,
}

impl equitas_store::import::Progress for SpinnerThenBar {
    fn start(&self, label: &str, total: u64) {
        self.spinner.finish_and_clear();
        self.bar.start(label, total);
    }
    fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
    fn finish(&self) {
        self.spinner.finish_and_clear();
        self.bar.finish();
    }
}

pub(crate) fn row_error_line(file: &str, e: &RowError) -> String {
    e.located(file)
}

fn print_report(r: &ImportReport, all_errors: bool) {
    let t = r.total();
    let verdict = if t.changed() == 0 {
        "already up to date, nothing changed".to_string()
    } else {
        format!(
            "{} new, {} updated, {} unchanged",
            int(t.inserted as i64),
            int(t.updated as i64),
            int(t.unchanged as i64)
        )
    };
    println!(
        "{}: {} rows read; {}{}",
        r.source_name,
        int(r.rows_read as i64),
        verdict,
        if r.rejected.is_empty() {
            String::new()
        } else {
            format!("; {} rejected", int(r.rejected.len() as i64))
        }
    );
    if r.written.len() > 1 && t.changed() > 0 {
        for (what, t) in &r.written {
            println!(
                "  {what:<22} {:>7} new {:>7} updated {:>7} unchanged",
                int(t.inserted as i64),
                int(t.updated as i64),
                int(t.unchanged as i64)
            );
        }
    }
    if !r.gaps.is_empty() {
        let n: u64 = r.gaps.values().sum();
        println!(
            "  {} field(s) had no value in the source; kept as gaps with their reason:",
            int(n as i64)
        );
        for ((field, kind), n) in &r.gaps {
            println!("    {field:<16} {:>6}  {}", int(*n as i64), kind.describe());
        }
    }
    for note in &r.notes {
        println!("  note: {note}");
    }
    let shown = if all_errors {
        r.rejected.len()
    } else {
        SHOWN_ERRORS
    };
    for e in r.rejected.iter().take(shown) {
        eprintln!("  {}", row_error_line(&r.source_name, e));
    }
    if r.rejected.len() > shown {
        eprintln!(
            "  ... and {} more bad row(s) (use --all-errors to list them all)",
            r.rejected.len() - shown
        );
    }
}

fn demo(cli: &Cli, format: Format) -> Result<ExitCode> {
    let mut store = open_store(cli)?;
    let mappings = load_mappings(None, None, None)?;
    let inputs: [(ImportKind, &str, &[u8]); 6] = [
        (
            ImportKind::Countries,
            "country-codes.csv",
            demo_data::COUNTRY_CODES,
        ),
        (
            ImportKind::IncomeGroups,
            "who_regions_wb_income.csv",
            demo_data::INCOME_GROUPS,
        ),
        (
            ImportKind::Scms,
            "supply_chain_shipment_pricing.csv",
            demo_data::SCMS,
        ),
        (
            ImportKind::Courses,
            "treatment-courses.csv",
            demo_data::TREATMENT_COURSES,
        ),
        (
            ImportKind::Licences,
            "supply-mrna-programme.csv",
            demo_data::SUPPLY_MRNA_PROGRAMME,
        ),
        (
            ImportKind::Regulators,
            "supply-regulators.csv",
            demo_data::SUPPLY_REGULATORS,
        ),
    ];
    let mut reports = Vec::new();
    for (kind, name, bytes) in inputs {
        let r = run_import(
            store.as_mut(),
            kind,
            name,
            bytes,
            &mappings,
            ImportOptions::default(),
        )?;
        if !r.rejected.is_empty() {
            // Shipped data must load cleanly; anything else is a bug to report.
            tracing::warn!(
                file = name,
                rejected = r.rejected.len(),
                "shipped data had bad rows"
            );
        }
        reports.push(r);
    }
    let synthetic = crate::demo_net::load_demo_network(store.as_mut())?;
    let ov = overview(store.as_mut())?;
    match format {
        Format::Json => {
            let imports: Vec<_> = reports
                .iter()
                .map(|r| {
                    let t = r.total();
                    json!({"file": r.source_name, "rows_read": r.rows_read, "inserted": t.inserted,
                           "updated": t.updated, "unchanged": t.unchanged, "rejected": r.rejected.len()})
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "database": store.describe(),
                    "imports": imports,
                    "overview": ov,
                    "stock": synthetic,
                }))?
            );
        }
        Format::Table => {
            println!("Equitas demo: {}\n", store.describe());
            let fresh = reports.iter().any(|r| !r.unchanged());
            if fresh {
                for r in &reports {
                    if r.unchanged() {
                        println!("{}: already up to date", r.source_name);
                    } else {
                        print_report(r, false);
                    }
                }
            } else {
                println!("The demo data was already loaded: nothing changed.");
            }
            println!();
            print_overview(&ov);
            let s = &synthetic;
            println!(
                "Stock (synthetic country {}, {} facilities{})",
                s.country,
                s.facilities,
                if s.already_loaded {
                    ""
                } else {
                    ", events captured now"
                }
            );
            if let Some(d) = &s.as_of {
                println!(
                    "  As of {d}: availability {} of facility-items in stock; {} facility-items stocked out, {} below minimum",
                    s.availability.map_or("-".into(), crate::format::pct),
                    int(s.stocked_out as i64),
                    int(s.below_min as i64)
                );
            }
            println!(
                "\nNext: `equitas stock --level region`, `equitas availability --by region`, `equitas stock problems`,\n      `equitas market prices --help`, `equitas serve`."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_overview(ov: &Overview) {
    let c = &ov.counts;
    println!("Reference data");
    println!(
        "  Countries            {:>8}  ({} with WHO region and World Bank income group, {} WHO regions)",
        int(c.countries),
        int(c.countries_with_income_group),
        c.who_regions
    );
    println!(
        "  Locations            regions {}, districts {}, facilities {}, warehouses {}",
        int(c.regions),
        int(c.districts),
        int(c.facilities),
        int(c.warehouses)
    );
    if c.facilities == 0 {
        println!(
            "                                 (add a national hierarchy with `equitas import locations FILE`)"
        );
    }
    println!("Catalogue");
    println!(
        "  Products             {:>8}  ({} trade items)",
        int(c.products),
        int(c.trade_items)
    );
    println!(
        "  Suppliers            {:>8}  ({} manufacturers, {} manufacturing sites, {} with a known country)",
        int(c.suppliers),
        int(c.manufacturers),
        int(c.sites),
        int(c.sites_with_country)
    );
    println!("Events");
    let period = match (&c.first_delivery, &c.last_delivery) {
        (Some(a), Some(b)) => format!(", delivered {a} to {b}"),
        _ => String::new(),
    };
    println!(
        "  Shipments            {:>8}  to {} countries{period}, {}",
        int(c.procurement_lines),
        c.procurement_buyer_countries,
        usd_millions(c.procurement_value_usd)
    );
    println!(
        "  EPCIS events         {:>8}  (`equitas epcis capture FILE`)",
        int(c.epcis_events)
    );
    if let Some(k) = &ov.concentration {
        println!("\nFirst indicators (definitions and worked examples: docs/formulas.md)");
        let top: Vec<String> = ov
            .value_by_manufacturing_country
            .iter()
            .take(5)
            .map(|s| {
                let name = s
                    .name
                    .clone()
                    .or_else(|| s.country.clone())
                    .unwrap_or_else(|| "unknown".into());
                format!("{name} {}", pct(s.share))
            })
            .collect();
        println!(
            "  Procurement value by manufacturing country: {}",
            top.join(", ")
        );
        println!(
            "  Concentration across {} manufacturing countries: HHI {} (effective number {:.2}); origin unknown for {} of value",
            k.countries,
            int(k.hhi.round() as i64),
            k.effective_number,
            pct(k.unknown_share)
        );
        println!(
            "  Products sourced from a single manufacturing country: {} of {}",
            int(k.single_country_products as i64),
            int(k.products_with_known_origin as i64)
        );
    }
}

/// `equitas gs1`: checks each identifier and prints what it is.
fn gs1(ids: &[String], gcp_length: Option<usize>) -> ExitCode {
    let today = chrono::Local::now().date_naive();
    let mut ok = true;
    for id in ids {
        match describe_gs1(id, gcp_length, today) {
            Ok(lines) => {
                println!("{id}");
                for l in lines {
                    println!("  {l}");
                }
            }
            Err(e) => {
                ok = false;
                eprintln!("{id}\n  invalid: {e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn describe_epc(epc: &Epc, gcp_length: Option<usize>) -> Vec<String> {
    let mut v = vec![format!("GS1 Digital Link: {}", epc.to_digital_link())];
    if let Some(n) = gcp_length {
        match epc.to_urn(n) {
            Ok(u) => v.push(format!("EPC URN: {u}")),
            Err(e) => v.push(format!("EPC URN: {e}")),
        }
    }
    v
}

fn describe_gs1(
    id: &str,
    gcp_length: Option<usize>,
    today: chrono::NaiveDate,
) -> Result<Vec<String>, equitas_gs1::Gs1Error> {
    let s = id.trim();
    if s.starts_with("urn:") {
        let epc = Epc::from_urn(s)?;
        let mut v = vec![format!("valid EPC URN: {}", epc.describe())];
        v.extend(describe_epc(&epc, gcp_length.or(Epc::urn_gcp_length(s))));
        return Ok(v);
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        let epc = Epc::from_digital_link(s)?;
        let mut v = vec![format!("valid GS1 Digital Link: {}", epc.describe())];
        v.extend(describe_epc(&epc, gcp_length));
        return Ok(v);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 18 {
        return match s.len() {
            13 => {
                let g = Gtin::parse(s)?;
                Gln::parse(s)?;
                Ok(vec![format!(
                    "valid check digit: as a GTIN-13, GTIN-14 form {g}; as a GLN, {s}"
                )])
            }
            18 => Ok(vec![format!("valid SSCC {}", Sscc::parse(s)?)]),
            _ => {
                let g = Gtin::parse(s)?;
                Ok(vec![format!("valid GTIN-{}, GTIN-14 form {g}", s.len())])
            }
        };
    }
    let es = parse_element_string(s, today)?;
    let mut v = vec![format!("valid element string: {}", es.to_hri())];
    if let Some(d) = es.expiry {
        v.push(format!("expiry date: {d}"));
    }
    if let Some(epc) = es.to_epc() {
        v.extend(describe_epc(&epc, gcp_length));
    }
    Ok(v)
}

/// `equitas epcis hash`: one Event Hash ID per event, in document order.
fn epcis_hash(files: &[std::path::PathBuf], show_prehash: bool) -> Result<ExitCode> {
    use std::io::Write as _;
    // One write per block of lines, not per line.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for f in files {
        let name = f.display().to_string();
        let mapped = open_mapped(f)?;
        let doc = equitas_epcis::EventReader::new(mapped.text(&name)?)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        for i in 0..doc.len() {
            let e = doc
                .event(i)
                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            writeln!(
                out,
                "{}",
                equitas_epcis::event_hash_ignoring(&e, doc.hash_ignore())
            )?;
            if show_prehash {
                writeln!(
                    out,
                    "{}",
                    equitas_epcis::prehash_ignoring(&e, doc.hash_ignore())
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Where the EPCIS JSON Schema is: --schema / EQUITAS_EPCIS_SCHEMA, else
/// `schemas/EPCIS-JSON-Schema.json` in the data directory.
fn epcis_schema_path(cli: &Cli, given: Option<&Path>) -> Result<std::path::PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let p = schemas_dir(cli)?.join("EPCIS-JSON-Schema.json");
    if !p.exists() {
        bail!(
            "no EPCIS JSON Schema: give --schema FILE or set EQUITAS_EPCIS_SCHEMA, or put GS1's \
             EPCIS-JSON-Schema.json at {} (it is published with the EPCIS 2.0 standard)",
            p.display()
        );
    }
    Ok(p)
}

/// `schemas` in the data directory.
fn schemas_dir(cli: &Cli) -> Result<std::path::PathBuf> {
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("equitas"))
            .context("no data directory: give the schema's path")?,
    };
    Ok(dir.join("schemas"))
}

/// Where the EPCIS XSDs are: --xsd / EQUITAS_EPCIS_XSD, else `schemas/XSD`
/// in the data directory.
fn epcis_xsd_dir(cli: &Cli, given: Option<&Path>) -> Result<std::path::PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let p = schemas_dir(cli)?.join("XSD");
    if !p.join(equitas_epcis::xsd::MAIN_XSD).exists() {
        bail!(
            "no EPCIS XSDs: give --xsd DIR or set EQUITAS_EPCIS_XSD, or put GS1's EPCIS 2.0 XSD \
             files ({} and the files it imports) in {}",
            equitas_epcis::xsd::MAIN_XSD,
            p.display()
        );
    }
    Ok(p)
}

/// Reads and compiles the EPCIS JSON Schema at `path`.
fn epcis_validator(path: &Path) -> Result<equitas_epcis::validate::Validator> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    equitas_epcis::validate::Validator::new(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The GS1 schemas found, and why each one not found is missing.
struct FoundSchemas {
    schemas: equitas_epcis::validate::Schemas,
    json_missing: Option<anyhow::Error>,
    xsd_missing: Option<anyhow::Error>,
}

impl FoundSchemas {
    /// Why the GS1 schema of one binding (XML or JSON) is not applied and
    /// how to get it; `None` when it is loaded.
    fn missing_note(&self, xml: bool) -> Option<String> {
        let (missing, what) = if xml {
            (
                &self.xsd_missing,
                "XML documents are not validated against the GS1 XSDs",
            )
        } else {
            (
                &self.json_missing,
                "JSON documents are not validated against the GS1 JSON Schema",
            )
        };
        missing.as_ref().map(|e| format!("{what} ({e})"))
    }

    /// The schemas, after a note for each missing one (for `serve`, which
    /// takes documents in both bindings).
    fn noted(self) -> equitas_epcis::validate::Schemas {
        for xml in [false, true] {
            if let Some(note) = self.missing_note(xml) {
                eprintln!("note: {note}");
            }
        }
        self.schemas
    }
}

/// Loads the GS1 schemas: one given (or in the data directory) but unusable
/// is an error; one not given and not in the data directory is missing.
fn epcis_schemas(cli: &Cli, args: &crate::SchemaArgs) -> Result<FoundSchemas> {
    let (mut json, mut json_missing) = (None, None);
    match epcis_schema_path(cli, args.schema.as_deref()) {
        Ok(p) => {
            tracing::info!("EPCIS JSON documents are validated against {}", p.display());
            json = Some(epcis_validator(&p)?);
        }
        Err(e) => json_missing = Some(e),
    }
    let (mut xsd, mut xsd_missing) = (None, None);
    match epcis_xsd_dir(cli, args.xsd.as_deref()) {
        Ok(d) => {
            tracing::info!("EPCIS XML documents are validated against {}", d.display());
            xsd = Some(equitas_epcis::xsd::XsdValidator::from_dir(&d)?);
        }
        Err(e) => xsd_missing = Some(e),
    }
    Ok(FoundSchemas {
        schemas: equitas_epcis::validate::Schemas { json, xsd },
        json_missing,
        xsd_missing,
    })
}

/// `equitas epcis validate`: one line per problem, exit 0 only if all are
/// valid. Every document gets Equitas's own checks, those capture makes
/// (the document read, each event's size, fields and identifiers:
/// `equitas_epcis::event::record`), and GS1's schema of its binding when
/// it is at hand; a note on stderr says which schema was not applied and
/// how to get it. (Conflicting eventIDs are found by capture, against
/// what the store holds.)
fn epcis_validate(
    cli: &Cli,
    files: &[std::path::PathBuf],
    args: &crate::SchemaArgs,
) -> Result<ExitCode> {
    use equitas_store::epcis::{MAX_EVENT_BYTES, schema_rejections};
    let found = epcis_schemas(cli, args)?;
    let none = equitas_epcis::validate::Schemas::default();
    let (mut bad, mut noted) = (0, [false; 2]);
    for f in files {
        let name = f.display().to_string();
        let mapped = open_mapped(f)?;
        let text = mapped.text(&name)?;
        let doc = match equitas_epcis::EventReader::new(text) {
            Ok(doc) => doc,
            Err(e) => {
                bad += 1;
                println!("{name}: {e}");
                continue;
            }
        };
        // Equitas's checks: events too long to capture, then each event read
        // and checked as capture does.
        let too_long = schema_rejections(&none, &doc, MAX_EVENT_BYTES).unwrap_or_default();
        let mut problems: Vec<String> = too_long
            .iter()
            .map(|r| format!("event {}: {}: {}", r.index, r.field, r.reason))
            .collect();
        for i in (0..doc.len()).filter(|i| !too_long.iter().any(|r| r.index == *i)) {
            let checked = match doc.event(i) {
                Ok(e) => equitas_epcis::event::record(&e, doc.hash_ignore()).map(|_| ()),
                Err(equitas_epcis::EpcisError::Event { field, reason, .. }) => Err((field, reason)),
                Err(e) => Err(("event".to_string(), e.to_string())),
            };
            if let Err((field, reason)) = checked {
                problems.push(format!("event {i}: {field}: {reason}"));
            }
        }
        // GS1's schema of the document's binding, when at hand.
        let xml = doc.is_xml();
        let schema = if xml {
            "GS1's XSDs"
        } else {
            "GS1's JSON Schema"
        };
        let checks = match found.schemas.validate_text(text) {
            Some(p) => {
                problems.extend(p.iter().map(ToString::to_string));
                format!("Equitas's checks and {schema}")
            }
            None => {
                if !std::mem::replace(&mut noted[usize::from(xml)], true)
                    && let Some(note) = found.missing_note(xml)
                {
                    eprintln!("note: {note}");
                }
                format!("Equitas's checks only, not {schema}")
            }
        };
        if problems.is_empty() {
            println!("{name}: valid ({} event(s); {checks})", doc.len());
        } else {
            bad += 1;
            for p in &problems {
                println!("{name}: {p}");
            }
        }
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A document given to a command, mapped rather than read (see
/// `Mapped::open`).
fn open_mapped(f: &Path) -> Result<Mapped> {
    // SAFETY: a document given to capture, hash or validate must not be
    // rewritten while the command reads it (`epcis capture --help` says so);
    // one being rewritten could not be read consistently either way.
    Ok(unsafe { Mapped::open(f) }?)
}

/// A capture's progress bar that also lets the system drop the pages of
/// the mapped document that the capture has read past (events are read in
/// order), so that the memory it holds does not grow with the document.
struct Releasing<'a> {
    bar: &'a Bar,
    doc: &'a equitas_epcis::EventReader<'a>,
    mapped: &'a Mapped,
    read: std::cell::Cell<u64>,
}

impl equitas_store::import::Progress for Releasing<'_> {
    fn start(&self, label: &str, total: u64) {
        self.bar.start(label, total);
    }
    fn inc(&self, n: u64) {
        self.bar.inc(n);
        let read = self.read.get() + n;
        self.read.set(read);
        // Every 4,096 events, up to 1,024 events back (the batch being
        // stored; a page dropped too soon would only be read again).
        let i = read as usize;
        if i.is_multiple_of(4096) && i < self.doc.len() {
            let raw = self.doc.raw(i - 1024).as_ptr() as usize;
            self.mapped
                .release_before(raw.saturating_sub(self.doc.text().as_ptr() as usize));
        }
    }
    fn finish(&self) {
        self.bar.finish();
    }
}

/// `equitas epcis capture`.
fn epcis_capture(
    cli: &Cli,
    files: &[std::path::PathBuf],
    proceed: bool,
    max_event_bytes: usize,
    args: &crate::SchemaArgs,
) -> Result<ExitCode> {
    use equitas_store::epcis::{ErrorBehaviour, capture, schema_rejections};
    let found = epcis_schemas(cli, args)?;
    // A note for a missing schema only for the bindings of the documents given.
    let mut noted = [false; 2];
    let behaviour = if proceed {
        ErrorBehaviour::Proceed
    } else {
        ErrorBehaviour::Rollback
    };
    let mut store = open_store(cli)?;
    let mut code = ExitCode::SUCCESS;
    for f in files {
        let name = f.display().to_string();
        // Mapped, not read: the document's pages are read as capture goes.
        let mapped = open_mapped(f)?;
        let doc = equitas_epcis::EventReader::new(mapped.text(&name)?)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let xml = doc.is_xml();
        if !std::mem::replace(&mut noted[usize::from(xml)], true)
            && let Some(note) = found.missing_note(xml)
        {
            eprintln!("note: {note}");
        }
        let rejected = schema_rejections(&found.schemas, &doc, max_event_bytes)
            .map_err(|p| anyhow::anyhow!("{name}: {p} (the document is refused)"))?;
        // The pass that found the events read every page: let them go until
        // the capture reads each again, in order (see `Releasing`).
        mapped.release_before(usize::MAX);
        let bar = Bar::new("capture");
        let progress = Releasing {
            bar: &bar,
            doc: &doc,
            mapped: &mapped,
            read: std::cell::Cell::new(0),
        };
        let r = capture(store.as_mut(), &name, &doc, rejected, behaviour, &progress)?;
        for x in &r.rejected {
            eprintln!("  {name}: event {}: {}: {}", x.index, x.field, x.reason);
        }
        if r.rolled_back {
            println!(
                "{name}: {} events; refused: {} bad event(s), {} of them conflicts, and rollback is the default (--proceed stores the good ones)",
                r.events,
                r.rejected.len(),
                r.conflicts
            );
            code = ExitCode::FAILURE;
        } else {
            println!(
                "{name}: {} events: {} captured, {} already held, {} rejected ({} conflicts)",
                r.events,
                r.captured,
                r.duplicates,
                r.rejected.len(),
                r.conflicts
            );
            if !r.rejected.is_empty() && code == ExitCode::SUCCESS {
                code = ExitCode::from(EXIT_REJECTED_ROWS);
            }
        }
    }
    Ok(code)
}
