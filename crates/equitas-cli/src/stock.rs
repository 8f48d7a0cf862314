//! `equitas stock`, `equitas availability` and `equitas generate`.

use crate::market::DataFormat;
use crate::output::{Cell, Report};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use equitas_ledger::calendar::{self, Day};
use equitas_ledger::indicators::Status;
use equitas_ledger::view::{self, StockQuery};
use equitas_model::LocationLevel;
use equitas_store::Store;
use equitas_store::import::{ImportKind, ImportOptions};
use equitas_store::stock::StockData;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct StockArgs {
    /// Stock at the end of this day (YYYY-MM-DD; default: the last day with data).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Rows for locations of this level; region, district and country rows
    /// add up the locations in them (default: every location holding stock).
    #[arg(long)]
    pub level: Option<LocationLevel>,
    /// Only this location and those below it (location code).
    #[arg(long, value_name = "CODE")]
    pub within: Option<String>,
    /// Only this item (GTIN or product code; repeatable).
    #[arg(long = "item", value_name = "GTIN|CODE")]
    pub items: Vec<String>,
    /// Only rows with this status (stocked_out, below_min, adequate,
    /// above_max, no_consumption; repeatable).
    #[arg(long = "status", value_parser = status_parser())]
    pub statuses: Vec<Status>,
    /// Complete months averaged for the AMC.
    #[arg(long, default_value_t = 3)]
    pub window: u32,
    /// Expiry horizon in months.
    #[arg(long, default_value_t = 3)]
    pub horizon: i32,
    #[arg(long, value_enum, default_value_t = DataFormat::Table)]
    pub format: DataFormat,
    /// Rows shown in a table (0: all). CSV and JSON always hold every row.
    #[arg(long, default_value_t = 40)]
    pub limit: usize,
}

#[derive(Subcommand, Debug, Clone)]
pub enum StockCommand {
    /// Lots on hand with their expiry dates, first expiry first.
    #[command(
        after_help = "Examples:\n  equitas stock lots --within R01D01F0001\n  equitas stock lots --expiring 3 --format csv > expiring.csv"
    )]
    Lots {
        /// Only this location and those below it.
        #[arg(long, value_name = "CODE")]
        within: Option<String>,
        #[arg(long = "item", value_name = "GTIN|CODE")]
        items: Vec<String>,
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Only lots expiring within this many months (expired ones included).
        #[arg(long, value_name = "MONTHS")]
        expiring: Option<i32>,
        #[arg(long, value_enum, default_value_t = DataFormat::Table)]
        format: DataFormat,
        #[arg(long, default_value_t = 40)]
        limit: usize,
    },
    /// Data problems found in the ledger: negative balances, issues before
    /// any receipt, counts that contradict the ledger, possible duplicates,
    /// implausible quantities (not finite, negative, or above 1e9 units in
    /// one movement: left out of the stock figures) and movements at
    /// locations the hierarchy does not hold (in no area's totals), each
    /// with the events or report rows involved.
    #[command(
        after_help = "Examples:\n  equitas stock problems\n  equitas stock problems --within R01 --format csv"
    )]
    Problems {
        /// Only this location and those below it.
        #[arg(long, value_name = "CODE")]
        within: Option<String>,
        #[arg(long, value_enum, default_value_t = DataFormat::Table)]
        format: DataFormat,
        #[arg(long, default_value_t = 40)]
        limit: usize,
    },
}

fn status_parser() -> impl clap::builder::TypedValueParser<Value = Status> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Status::ALL.iter().map(|s| s.as_str()))
        .try_map(|s| Status::from_name(&s).ok_or("unknown status"))
}

fn day(s: &str, what: &str) -> Result<Day> {
    calendar::parse_day(s).with_context(|| format!("{what} {s:?} is not a date (YYYY-MM-DD)"))
}

/// The stock ledger of the store, with a spinner while it is built.
pub(crate) fn load(store: &mut dyn Store) -> Result<StockData> {
    let bar = crate::progress::Bar::spinner("building the stock ledger");
    let data = equitas_store::stock::load(store).context("cannot read the stock data")?;
    bar.finish_and_clear();
    tracing::info!(
        movements = data.ledger.movement_count(),
        "stock ledger built"
    );
    Ok(data)
}

fn period_of(data: &StockData, as_of: Option<Day>) -> String {
    match as_of.or(data.ledger.through()) {
        Some(d) => format!("as of {}", calendar::format_day(d)),
        None => "no stock data".into(),
    }
}

fn check_location(data: &StockData, code: Option<&str>) -> Result<()> {
    if let Some(c) = code
        && data.places.get(c).is_none()
    {
        bail!("--within {c:?}: no such location (equitas import locations FILE to add them)");
    }
    Ok(())
}

pub fn stock(store: &mut dyn Store, args: StockArgs) -> Result<()> {
    let data = load(store)?;
    let as_of = args
        .as_of
        .as_deref()
        .map(|s| day(s, "--as-of"))
        .transpose()?;
    check_location(&data, args.within.as_deref())?;
    let q = StockQuery {
        as_of,
        window: args.window.max(1),
        horizon: args.horizon.max(0),
        within: args.within.clone(),
        level: args.level,
        items: args.items.clone(),
        statuses: args.statuses.clone(),
    };
    let rows = view::stock(&data.ledger, &data.places, &data.bands, &q);
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.location.clone()),
                Cell::Text(r.location_name.clone()),
                Cell::Text(r.item.clone()),
                Cell::Text(r.item_name.clone().unwrap_or_default()),
                Cell::Num(Some(r.stock_on_hand), 0),
                Cell::Num(r.amc, 1),
                Cell::Num(r.months_of_stock, 1),
                Cell::Text(r.status.as_str().to_string()),
                Cell::Text(format!("{}-{}", r.min_months, r.max_months)),
                r.stockout_days
                    .map_or(Cell::Text("-".into()), |d| Cell::Int(d.into())),
                Cell::Num(Some(r.expiring), 0),
                Cell::Num(Some(r.at_risk), 0),
                Cell::Int(r.problems as i64),
            ]
        })
        .collect();
    Report {
        title: "Stock on hand, months of stock and status",
        method: format!(
            "docs/formulas.md 3.2-3.8: stock on hand at the end of the day; AMC = mean consumption of the last {} complete months (the as-of month if it ends on the as-of date), adjusted for stockout days; stockout days of the as-of month so far; MOS = SOH / AMC; status against the min-max band of the tier; expiring within {} months, at risk if used first-expiry-first-out at the AMC",
            q.window, q.horizon
        ),
        period: period_of(&data, as_of),
        observations: data.ledger.movement_count(),
        columns: vec![
            "location", "name", "item", "product", "soh", "amc", "mos", "status", "band", "so_days",
            "expiring", "at_risk", "problems",
        ],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(args.format, args.limit)
}

pub fn lots(
    store: &mut dyn Store,
    within: Option<&str>,
    items: &[String],
    as_of: Option<&str>,
    expiring: Option<i32>,
    format: DataFormat,
    n: usize,
) -> Result<()> {
    let data = load(store)?;
    check_location(&data, within)?;
    let as_of = as_of.map(|s| day(s, "--as-of")).transpose()?;
    let rows = view::lots(&data.ledger, &data.places, within, items, as_of, expiring);
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.location.clone()),
                Cell::Text(r.item.clone()),
                Cell::Text(r.item_name.clone().unwrap_or_default()),
                Cell::Text(if r.lot.is_empty() {
                    "(unknown)".into()
                } else {
                    r.lot.clone()
                }),
                Cell::Num(Some(r.quantity), 0),
                Cell::Text(r.expiry.clone().unwrap_or_else(|| "-".into())),
                r.days_to_expiry
                    .map_or(Cell::Text("-".into()), |d| Cell::Int(d.into())),
            ]
        })
        .collect();
    Report {
        title: "Lots on hand",
        method: "docs/formulas.md 3.2 and 3.8: each lot's balance at the end of the day; expiry as stated by the EPCIS ILMD".into(),
        period: period_of(&data, as_of),
        observations: data.ledger.movement_count(),
        columns: vec!["location", "item", "product", "lot", "quantity", "expiry", "days_left"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(format, n)
}

pub fn problems(
    store: &mut dyn Store,
    within: Option<&str>,
    format: DataFormat,
    n: usize,
) -> Result<()> {
    let data = load(store)?;
    check_location(&data, within)?;
    let rows = view::problems(&data.ledger, &data.places, within);
    let table = rows
        .iter()
        .map(|r| {
            let sources: Vec<String> = r
                .sources
                .iter()
                .map(|s| match s {
                    equitas_ledger::Source::Event(id) => format!("event {id}"),
                    equitas_ledger::Source::Report(id) => format!("report {id}"),
                })
                .collect();
            vec![
                Cell::Text(r.kind.to_string()),
                Cell::Text(r.location.clone()),
                Cell::Text(r.item.clone()),
                Cell::Text(r.lot.clone()),
                Cell::Text(r.at.clone()),
                Cell::Num(Some(r.expected), 0),
                Cell::Num(Some(r.found), 0),
                Cell::Text(sources.join(" ")),
            ]
        })
        .collect();
    Report {
        title: "Data problems in the stock ledger",
        method: "docs/formulas.md 3.10; sources are captured events (GET /events or equitas epcis query) and stock report rows".into(),
        period: period_of(&data, None),
        observations: data.ledger.movement_count(),
        columns: vec!["problem", "location", "item", "lot", "at", "expected", "found", "sources"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(format, n)
}

#[derive(Args, Debug, Clone)]
pub struct AvailabilityArgs {
    /// Group facilities by this level.
    #[arg(long, default_value = "country")]
    pub by: LocationLevel,
    /// Only these items (repeatable); with --basket, the tracer items.
    #[arg(long = "item", value_name = "GTIN|CODE")]
    pub items: Vec<String>,
    /// One availability for the items together (every item if none is
    /// given): the mean over facilities of the share of the items each has
    /// in stock (WHO SARA).
    #[arg(long)]
    pub basket: bool,
    /// The date (default: the last day with data).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// A trend of N months: N dates ending at the date (the last day of
    /// each of the N-1 months before, then the date).
    #[arg(long, default_value_t = 1)]
    pub months: u32,
    #[arg(long, value_enum, default_value_t = DataFormat::Table)]
    pub format: DataFormat,
    #[arg(long, default_value_t = 40)]
    pub limit: usize,
}

pub fn availability(store: &mut dyn Store, args: AvailabilityArgs) -> Result<()> {
    let data = load(store)?;
    let Some(last) = args
        .date
        .as_deref()
        .map(|s| day(s, "--date"))
        .transpose()?
        .or(data.ledger.through())
    else {
        bail!("no stock data: capture EPCIS events or import stock reports first");
    };
    let dates = view::availability_dates(last, args.months);
    let rows = view::availability(
        &data.ledger,
        &data.places,
        args.by,
        &args.items,
        args.basket,
        &dates,
    );
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.area.clone()),
                Cell::Text(r.area_name.clone()),
                Cell::Text(r.item.clone()),
                Cell::Text(r.item_name.clone().unwrap_or_default()),
                Cell::Text(r.date.clone()),
                Cell::Int(r.facilities as i64),
                Cell::Int(r.in_stock as i64),
                Cell::Pct(r.availability),
            ]
        })
        .collect();
    Report {
        title: "Availability: share of facilities with the item in stock",
        method: "docs/formulas.md 3.9: facilities with stock on hand > 0 at the end of the day / facilities managing the item; basket: mean over facilities of the share of tracer items in stock (WHO SARA)".into(),
        period: format!("{} date(s) to {}", dates.len(), calendar::format_day(last)),
        observations: data.ledger.movement_count(),
        columns: vec!["area", "name", "item", "product", "date", "facilities", "in_stock", "availability"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(args.format, args.limit)
}

#[derive(Args, Debug, Clone)]
pub struct GenerateArgs {
    /// Directory to write country.csv, locations.csv, products.csv and the EPCIS documents to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 1500)]
    pub facilities: usize,
    #[arg(long, default_value_t = 150)]
    pub products: usize,
    #[arg(long, default_value_t = 10)]
    pub regions: usize,
    #[arg(long, default_value_t = 6)]
    pub districts_per_region: usize,
    #[arg(long, default_value_t = 24)]
    pub months: u32,
    /// First day simulated.
    #[arg(long, default_value = "2025-01-01", value_name = "DATE")]
    pub start: String,
    /// Events per EPCIS document.
    #[arg(long, default_value_t = 100_000)]
    pub events_per_file: usize,
}

pub fn synth_config(args: &GenerateArgs) -> Result<equitas_synth::Config> {
    Ok(equitas_synth::Config {
        seed: args.seed,
        regions: args.regions.max(1),
        districts_per_region: args.districts_per_region.max(1),
        facilities: args.facilities,
        products: args.products,
        months: args.months,
        start: day(&args.start, "--start")?,
        ..equitas_synth::Config::default()
    })
}

/// Writes the network's files; returns (documents written, events).
pub fn generate(args: &GenerateArgs) -> Result<(usize, u64)> {
    let net = equitas_synth::Network::new(synth_config(args)?);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let write = |name: &str, text: &str| {
        let p = args.out.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))
    };
    write("country.csv", &net.countries_csv())?;
    write("locations.csv", &net.locations_csv())?;
    write("products.csv", &net.products_csv())?;
    let bar = crate::progress::Bar::spinner("simulating");
    let created = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let per = args.events_per_file.max(1);
    let mut batch: Vec<String> = Vec::with_capacity(per.min(1 << 20));
    let (mut files, mut n) = (0usize, 0u64);
    let mut error: Option<anyhow::Error> = None;
    let flush = |batch: &mut Vec<String>, files: &mut usize| -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        *files += 1;
        write(
            &format!("events-{:05}.jsonld", *files),
            &equitas_synth::document(batch, &created),
        )?;
        batch.clear();
        Ok(())
    };
    equitas_synth::simulate(&net, &mut |e| {
        if error.is_some() {
            return;
        }
        batch.push(e.to_json(&net, n));
        n += 1;
        if n % 10_000 == 0 {
            bar.set_message(format!("simulating: {n} events"));
        }
        if batch.len() >= per
            && let Err(err) = flush(&mut batch, &mut files)
        {
            error = Some(err);
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    flush(&mut batch, &mut files)?;
    bar.finish_and_clear();
    Ok((files, n))
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
    let mappings = crate::commands::load_mappings(None, None, None)?;
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
        let r = crate::commands::run_import(
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
