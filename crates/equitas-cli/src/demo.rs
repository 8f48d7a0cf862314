//! `equitas init`, `equitas demo` and `equitas status`: the database made
//! ready, the shipped demo loaded (with a small synthetic country captured
//! through EPCIS), and what the database holds.

use crate::context::open_store;
use crate::format::{int, pct, usd_millions};
use crate::import::{load_mappings, print_report, run_import};
use crate::output::Format;
use crate::{Cli, demo_data};
use anyhow::{Result, bail};
use equitas_ledger::calendar;
use equitas_ledger::indicators::Status;
use equitas_ledger::view::{self, StockQuery};
use equitas_model::LocationLevel;
use equitas_store::import::{ImportKind, ImportOptions, ImportReport, Mappings};
use equitas_store::report::{Overview, overview};
use equitas_store::{Store, migrations, repo};
use serde_json::json;
use std::collections::HashMap;
use std::process::ExitCode;

pub fn init(cli: &Cli) -> Result<ExitCode> {
    let mut store = open_store(cli)?;
    let v = migrations::current_version(store.as_mut())?;
    println!("Database ready: {} (schema version {v})", store.describe());
    Ok(ExitCode::SUCCESS)
}

pub fn status(cli: &Cli, format: Format) -> Result<ExitCode> {
    no_csv(format, "status")?;
    let mut store = crate::context::open_existing(cli)?;
    let version = migrations::current_version(store.as_mut())?;
    let ov = overview(store.as_mut())?;
    let imports = repo::list_imports(store.as_mut())?;
    match format {
        Format::Json => {
            let imports: Vec<_> = imports
                .iter()
                .map(|i| {
                    json!({"kind": i.kind, "source": i.source_name, "last_at": i.last_at,
                           "runs": i.runs, "changed_data": i.changes, "rows_read": i.rows_read, "rejected": i.rejected})
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
        Format::Table | Format::Csv | Format::CsvFr => {
            println!("{} (schema version {version})\n", store.describe());
            print_overview(&ov);
            if !imports.is_empty() {
                println!("\nImports (latest first)");
                for i in imports.iter().take(10) {
                    println!(
                        "  {:<18} {:>8} rows  {:>3} run(s), {} changed data  last {}  {}",
                        i.kind,
                        int(i.rows_read),
                        i.runs,
                        i.changes,
                        &i.last_at[..i.last_at.len().min(19)],
                        i.source_name
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A summary has no rows to give as CSV.
fn no_csv(format: Format, command: &str) -> Result<()> {
    if format.is_csv() {
        let name = if format == Format::CsvFr {
            "csv-fr"
        } else {
            "csv"
        };
        bail!("--format {name}: `equitas {command}` prints a summary, not rows; use table or json");
    }
    Ok(())
}

/// The pooled reference prices of the SCMS lines (docs/formulas.md 2.6),
/// written as the CSV `equitas market pooled-prices --format csv` gives and
/// imported through `import reference-prices`, as a user would: the demo's
/// median price ratios compare each country with the median paid over the
/// whole file, there being no openly licensed international reference.
fn import_pooled_prices(store: &mut dyn Store, mappings: &Mappings) -> Result<ImportReport> {
    use equitas_service::market::PooledPrices;
    use equitas_service::{Args, Ctx, Operation};
    let query = HashMap::from([(
        "lines_name".to_string(),
        "the USAID SCMS delivery history (public domain)".to_string(),
    )]);
    let args = Args::api(PooledPrices::endpoint().params, &query)?;
    let a = equitas_service::call::<PooledPrices>(&mut Ctx::new(store, None), &args)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(equitas_market::analysis::PooledPrice::COLUMNS)?;
    for r in &a.rows {
        w.write_record(r.record())?;
    }
    let bytes = w.into_inner()?;
    run_import(
        store,
        ImportKind::ReferencePrices,
        "pooled reference prices of the SCMS lines",
        &bytes,
        mappings,
        ImportOptions::default(),
    )
}

pub fn demo(cli: &Cli, format: Format) -> Result<ExitCode> {
    no_csv(format, "demo")?;
    let mut store = open_store(cli)?;
    let mappings = load_mappings(None, None, None)?;
    let inputs: [(ImportKind, &str, &[u8]); 7] = [
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
            ImportKind::Licences,
            "supply-c-tap-licences.csv",
            demo_data::SUPPLY_C_TAP_LICENCES,
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
                rejected = r.rejected_rows(),
                "shipped data had bad rows"
            );
        }
        reports.push(r);
    }
    reports.push(import_pooled_prices(store.as_mut(), &mappings)?);
    let synthetic = load_demo_network(store.as_mut())?;
    let ov = overview(store.as_mut())?;
    match format {
        Format::Json => {
            let imports: Vec<_> = reports
                .iter()
                .map(|r| {
                    let t = r.total();
                    json!({"file": r.source_name, "rows_read": r.rows_read, "inserted": t.inserted,
                           "updated": t.updated, "unchanged": t.unchanged, "rejected": r.rejected_rows()})
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
        Format::Table | Format::Csv | Format::CsvFr => {
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

/// What the demo's stock part did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoStock {
    pub country: String,
    pub captured: usize,
    pub already_loaded: bool,
    pub as_of: Option<String>,
    pub facilities: usize,
    pub stocked_out: usize,
    pub below_min: usize,
    pub availability: Option<f64>,
}

/// Loads the synthetic network into the store through the EPCIS capture
/// path, unless it is there already, and summarises its stock.
pub fn load_demo_network(store: &mut dyn Store) -> Result<DemoStock> {
    use equitas_store::epcis::{ErrorBehaviour, capture};
    let net = equitas_synth::Network::new(equitas_synth::Config::demo());
    let mappings = load_mappings(None, None, None)?;
    for (kind, name, text) in [
        (
            ImportKind::Countries,
            "synthetic-country.csv",
            net.countries_csv(),
        ),
        (
            ImportKind::Locations,
            "synthetic-locations.csv",
            net.locations_csv(),
        ),
        (
            ImportKind::Products,
            "synthetic-products.csv",
            net.products_csv(),
        ),
    ] {
        let r = run_import(
            store,
            kind,
            name,
            text.as_bytes(),
            &mappings,
            ImportOptions::default(),
        )?;
        if !r.rejected.is_empty() {
            bail!("{name}: {}", r.rejected[0]);
        }
    }
    let mut events = Vec::new();
    equitas_synth::simulate(&net, &mut |e| {
        events.push(e.to_json(&net, events.len() as u64))
    });
    let first_id = events
        .first()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
        .and_then(|v| v["eventID"].as_str().map(str::to_string));
    let held = match &first_id {
        Some(id) => equitas_store::epcis::event_by_id(store, id)?.is_some(),
        None => true,
    };
    let mut captured = 0;
    if !held {
        let bar = crate::progress::Bar::new("synthetic events");
        let created = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for (i, chunk) in events.chunks(20_000).enumerate() {
            let text = equitas_synth::document(chunk, &created);
            let doc = equitas_epcis::EventReader::new(&text)
                .map_err(|e| anyhow::anyhow!("synthetic document {i}: {e}"))?;
            let r = capture(
                store,
                &format!("synthetic network, part {}", i + 1),
                &doc,
                Vec::new(),
                ErrorBehaviour::Rollback,
                &bar,
            )?;
            if !r.rejected.is_empty() {
                bail!("synthetic events rejected: {:?}", r.rejected.first());
            }
            captured += r.captured;
        }
    }
    let data = equitas_store::stock::load(store)?;
    let q = StockQuery {
        level: Some(LocationLevel::Facility),
        ..StockQuery::default()
    };
    let rows = view::stock(&data.ledger, &data.places, &data.bands, &q);
    let through = data.ledger.through();
    let avail = through.map(|d| {
        view::availability(
            &data.ledger,
            &data.places,
            LocationLevel::Country,
            &[],
            false,
            &[d],
        )
    });
    let (mut managed, mut stocked) = (0, 0);
    for r in avail.iter().flatten() {
        managed += r.facilities;
        stocked += r.in_stock;
    }
    Ok(DemoStock {
        country: net.config.country.clone(),
        captured,
        already_loaded: held,
        as_of: through.map(calendar::format_day),
        facilities: net
            .places
            .iter()
            .filter(|p| p.level == equitas_synth::Level::Facility)
            .count(),
        stocked_out: rows
            .iter()
            .filter(|r| r.status == Status::StockedOut)
            .count(),
        below_min: rows.iter().filter(|r| r.status == Status::BelowMin).count(),
        availability: equitas_ledger::indicators::availability(stocked, managed),
    })
}
