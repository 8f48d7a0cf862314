//! An Equitas database to Parquet, one file per country and month.
//!
//! Layout under the output directory (hive-style partitions, which
//! DataFusion and Ballista read as the columns `country` and `month`):
//!
//! ```text
//! movements/country=XSY/month=2025-01/part-0.parquet   stock movements, lot by lot
//! figures/country=XSY/month=2025-01/part-0.parquet     the single-node monthly figures
//! reported/country=XSY/month=2025-01/part-0.parquet    stockout days stated by stock reports
//! events/country=XSY/month=2025-01/part-0.parquet      EPCIS events (JSON body included)
//! locations/country=XSY/part-0.parquet                 each location's level, parent and areas
//! procurement/country=XSY/part-0.parquet               procurement lines (by buyer country)
//! reference_prices/part-0.parquet                      reference prices, every source (replaced by each export)
//! treatment_courses/part-0.parquet                     standard treatment courses (replaced by each export)
//! wages/country=XSY/part-0.parquet                     the daily wage of each country that has one
//! ```
//!
//! Everything is read through `equitas-store`'s read APIs
//! (`stock::load`, `epcis::query_events`): the same ledger the single-node
//! path computes from. A location's country is the root of its lineage in
//! the location hierarchy (the country location); a location the
//! hierarchy does not hold goes under `country=unknown`. Months are those of
//! the local time at the location (movements) or of the event's local time
//! (events), as the ledger counts them.

use crate::EngineError;
use crate::figures::{Figure, single_node};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use equitas_ledger::Ledger;
use equitas_ledger::calendar::{Day, MonthIndex, day_of_ms, format_month, local_ms, month_of};
use equitas_ledger::view::Places;
use equitas_model::LocationLevel;
use equitas_store::epcis::{EventQuery, query_events};
use indicatif::ProgressBar;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The datasets, as directory names under the export root.
pub const MOVEMENTS: &str = "movements";
pub const FIGURES: &str = "figures";
pub const REPORTED: &str = "reported";
pub const EVENTS: &str = "events";
pub const LOCATIONS: &str = "locations";

/// Country of the locations the hierarchy does not hold.
pub const UNKNOWN_COUNTRY: &str = "unknown";

/// Rows per Parquet row group.
const ROW_GROUP: usize = 1 << 20;

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

/// The columns of a movements file (the partition columns `country` and
/// `month` are in its path).
pub fn movements_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("location"),
        utf8("item"),
        utf8("lot"),
        // Position of the movement in its lot's history (ties in time keep it).
        Field::new("seq", DataType::Int64, false),
        // Local wall-clock time, milliseconds since 1970-01-01.
        Field::new("at_ms", DataType::Int64, false),
        Field::new("local_day", DataType::Int32, false),
        Field::new("month_index", DataType::Int32, false),
        utf8("kind"),
        Field::new("quantity", DataType::Float64, false),
        utf8("reason"),
        // equitas_ledger::Source, packed (event or stock report row).
        Field::new("source", DataType::Int64, false),
        // For a movement of no lot (lot "") where the item is also held by
        // lot: what its lots held at that instant (`Entry::others`; a
        // count of no lot counts the item whole, formulas 3.1); else 0.
        Field::new("others", DataType::Float64, false),
    ]))
}

/// The columns of a figures file.
pub fn figures_schema() -> SchemaRef {
    let f = |n: &str| Field::new(n, DataType::Float64, false);
    Arc::new(Schema::new(vec![
        utf8("location"),
        utf8("item"),
        Field::new("month_index", DataType::Int32, false),
        f("opening"),
        f("received"),
        f("issued"),
        f("dispensed"),
        f("adjusted"),
        f("closing"),
        f("consumption"),
        Field::new("stockout_days", DataType::Int64, false),
        Field::new("stockout_reported", DataType::Boolean, false),
        Field::new("movements", DataType::Int64, false),
    ]))
}

/// The columns of a reported-stockouts file.
pub fn reported_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("location"),
        utf8("item"),
        Field::new("month_index", DataType::Int32, false),
        Field::new("stockout_days", DataType::Int64, false),
    ]))
}

/// The columns of a locations file: every location of the country's
/// ledger (`location`, as its movements name it) with its place in the
/// hierarchy (`code`; `level` and `parent` empty for a location the
/// hierarchy does not hold) and the code of the nearest area of each
/// level above it (empty when it lies in none), for availability by area
/// (formulas 3.9).
pub fn locations_schema() -> SchemaRef {
    let o = |n: &str| Field::new(n, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        utf8("location"),
        utf8("code"),
        o("level"),
        o("parent"),
        o("area_country"),
        o("area_region"),
        o("area_district"),
    ]))
}

/// The area levels of a locations file, each the column
/// `area_<level>`.
pub const AREA_LEVELS: [LocationLevel; 3] = [
    LocationLevel::Country,
    LocationLevel::Region,
    LocationLevel::District,
];

/// The columns of an events file.
pub fn events_schema() -> SchemaRef {
    let o = |n: &str| Field::new(n, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        utf8("event_id"),
        utf8("event_type"),
        utf8("event_time"),
        utf8("time_zone_offset"),
        utf8("record_time"),
        o("action"),
        o("biz_step"),
        o("disposition"),
        o("read_point"),
        o("biz_location"),
        o("lot"),
        o("expiry"),
        utf8("hash"),
        utf8("body"),
    ]))
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub movements: usize,
    pub figures: usize,
    pub reported: usize,
    pub events: usize,
    /// Procurement lines (market data), one file per buyer country.
    pub procurement: usize,
    /// Reference prices (every source), treatment courses and wages.
    pub market_inputs: (usize, usize, usize),
    pub files: usize,
    pub countries: BTreeSet<String>,
    /// The figures are as of this day: the last day with a movement.
    pub as_of: Option<Day>,
}

/// The country of each ledger location id: the root of its lineage.
pub fn location_countries(places: &Places, ledger: &Ledger) -> Vec<String> {
    (0..ledger.names.locations.len() as u32)
        .map(|id| match places.place_of(id) {
            Some(i) if !places.is_unknown(id) => {
                let root = places.lineage(i).last().copied().unwrap_or(i);
                places.list[root].code.clone()
            }
            _ => UNKNOWN_COUNTRY.to_string(),
        })
        .collect()
}

/// Exports the database `target` (a SQLite file or a PostgreSQL URL) to
/// `out`, replacing what an earlier export wrote for the same countries.
pub fn export_database(
    target: &str,
    out: &Path,
    bar: &ProgressBar,
) -> Result<Summary, EngineError> {
    let store_err = |source| EngineError::Store {
        target: target.to_string(),
        source,
    };
    if !equitas_store::is_postgres_url(target) && !Path::new(target).is_file() {
        return Err(EngineError::Invalid(format!(
            "{target}: no such Equitas database file (give a SQLite file or a postgresql:// URL)"
        )));
    }
    bar.set_message("reading the stock ledger");
    let mut store = equitas_store::open(target).map_err(store_err)?;
    let data = equitas_store::stock::load(store.as_mut()).map_err(store_err)?;
    let countries = location_countries(&data.places, &data.ledger);
    let mut summary = match data.ledger.through() {
        Some(as_of) => write_ledger(&data.ledger, &countries, as_of, out, bar)?,
        None => Summary::default(),
    };
    summary.files += write_locations(&data.ledger, &data.places, &countries, out)?;
    bar.set_message("reading EPCIS events");
    let (events, files, seen) =
        write_events(store.as_mut(), &data.places, out, bar).map_err(|e| match e {
            Either::Store(s) => store_err(s),
            Either::Engine(e) => e,
        })?;
    summary.events = events;
    summary.files += files;
    summary.countries.extend(seen);
    bar.set_message("procurement lines");
    let obs = equitas_store::market::observations(
        store.as_mut(),
        &equitas_store::market::Filter::default(),
    )
    .map_err(store_err)?;
    let (lines, files) = crate::market::write_procurement(&obs, out)?;
    summary.procurement = lines;
    summary.files += files;
    bar.set_message("reference prices, courses, wages");
    let m = store.as_mut();
    let references = equitas_store::market::reference_price_list(m).map_err(store_err)?;
    let mut courses: Vec<_> = equitas_store::market::courses(m)
        .map_err(store_err)?
        .into_values()
        .collect();
    courses.sort_by(|a, b| a.product.cmp(&b.product));
    let mut wages: Vec<_> = equitas_store::market::wages(m)
        .map_err(store_err)?
        .into_values()
        .collect();
    wages.sort_by(|a, b| a.country.cmp(&b.country));
    summary.files += crate::market::write_market_inputs(&references, &courses, &wages, out)?;
    summary.market_inputs = (references.len(), courses.len(), wages.len());
    Ok(summary)
}

enum Either {
    Store(equitas_store::StoreError),
    Engine(EngineError),
}

/// Writes the movements of `ledger`, its monthly figures as of `as_of`
/// (`figures::single_node`) and the stockout days stock reports gave.
/// `countries`: the country of each location id.
pub fn write_ledger(
    ledger: &Ledger,
    countries: &[String],
    as_of: Day,
    out: &Path,
    bar: &ProgressBar,
) -> Result<Summary, EngineError> {
    let mut summary = Summary {
        as_of: Some(as_of),
        ..Summary::default()
    };
    let country = |loc: u32| {
        countries
            .get(loc as usize)
            .map_or(UNKNOWN_COUNTRY, String::as_str)
    };
    let mut keys: Vec<(u32, u32)> = ledger.item_keys().collect();
    keys.sort_by(|a, b| {
        let n = |k: &(u32, u32)| {
            (
                ledger.names.locations.name(k.0),
                ledger.names.items.name(k.1),
            )
        };
        n(a).cmp(&n(b))
    });
    bar.set_length(ledger.movement_count() as u64);
    bar.set_position(0);
    bar.set_message("movements");
    let mut parts: BTreeMap<(String, MonthIndex), MovementCols> = BTreeMap::new();
    for &(loc, item) in &keys {
        let Some(series) = ledger.series(loc, item) else {
            continue;
        };
        for &lot in &series.lots {
            for (seq, e) in ledger.entries(loc, item, lot).iter().enumerate() {
                let day = day_of_ms(e.at);
                let m = month_of(day);
                let cols = parts.entry((country(loc).to_string(), m)).or_default();
                cols.location.append_value(ledger.names.locations.name(loc));
                cols.item.append_value(ledger.names.items.name(item));
                cols.lot.append_value(ledger.names.lots.name(lot));
                cols.seq.append_value(seq as i64);
                cols.at.append_value(e.at);
                cols.day.append_value(day);
                cols.month.append_value(m);
                cols.kind.append_value(e.kind.as_str());
                cols.quantity.append_value(e.quantity);
                cols.reason
                    .append_value(ledger.names.reasons.name(e.reason));
                cols.source.append_value(e.source as i64);
                cols.others.append_value(e.others);
                cols.rows += 1;
            }
        }
        bar.inc(
            series
                .lots
                .iter()
                .map(|&l| ledger.entries(loc, item, l).len() as u64)
                .sum(),
        );
    }
    let written: BTreeSet<String> = parts.keys().map(|k| k.0.clone()).collect();
    clear(out, MOVEMENTS, &written)?;
    for ((c, m), mut cols) in parts {
        summary.movements += cols.rows;
        let path = part_path(out, MOVEMENTS, &c, m)?;
        write_parquet(&path, movements_schema(), cols.finish())?;
        summary.files += 1;
    }

    bar.set_message("monthly figures");
    let figures = single_node(ledger, countries, as_of);
    let mut fparts: BTreeMap<(String, MonthIndex), FigureCols> = BTreeMap::new();
    let mut rparts: BTreeMap<(String, MonthIndex), ReportedCols> = BTreeMap::new();
    for f in &figures {
        fparts
            .entry((f.country.clone(), f.month))
            .or_default()
            .push(f);
        if f.stockout_reported {
            let r = rparts.entry((f.country.clone(), f.month)).or_default();
            r.location.append_value(&f.location);
            r.item.append_value(&f.item);
            r.month.append_value(f.month);
            r.days.append_value(f.stockout_days as i64);
            r.rows += 1;
        }
    }
    clear(out, FIGURES, &written)?;
    clear(out, REPORTED, &written)?;
    for ((c, m), mut cols) in fparts {
        summary.figures += cols.rows;
        let path = part_path(out, FIGURES, &c, m)?;
        write_parquet(&path, figures_schema(), cols.finish())?;
        summary.files += 1;
    }
    // The directory exists even when no stock report gave stockout days.
    create_dir(&out.join(REPORTED))?;
    for ((c, m), mut cols) in rparts {
        summary.reported += cols.rows;
        let path = part_path(out, REPORTED, &c, m)?;
        write_parquet(&path, reported_schema(), cols.finish())?;
        summary.files += 1;
    }
    summary.countries = written;
    Ok(summary)
}

/// Writes the locations of `ledger` with their level, parent and areas
/// in `places` (one file per country, `locations/country=XSY/part-0.parquet`),
/// replacing those an earlier export wrote for the same countries.
/// `countries`: the country of each location id. Returns the files written.
pub fn write_locations(
    ledger: &Ledger,
    places: &Places,
    countries: &[String],
    out: &Path,
) -> Result<usize, EngineError> {
    let mut parts: BTreeMap<String, LocationCols> = BTreeMap::new();
    for id in 0..ledger.names.locations.len() as u32 {
        let country = countries
            .get(id as usize)
            .map_or(UNKNOWN_COUNTRY, String::as_str);
        let cols = parts.entry(country.to_string()).or_default();
        cols.location.append_value(ledger.names.locations.name(id));
        match places.place_of(id) {
            Some(i) => {
                let p = &places.list[i];
                cols.code.append_value(&p.code);
                cols.level.append_option(p.level.map(|l| l.as_str()));
                cols.parent.append_option(p.parent.as_deref());
                let lineage = places.lineage(i);
                for (k, level) in AREA_LEVELS.iter().enumerate() {
                    let area = lineage
                        .iter()
                        .find(|&&a| places.list[a].level == Some(*level))
                        .map(|&a| places.list[a].code.as_str());
                    cols.areas[k].append_option(area);
                }
            }
            None => {
                cols.code.append_value(ledger.names.locations.name(id));
                cols.level.append_null();
                cols.parent.append_null();
                for a in &mut cols.areas {
                    a.append_null();
                }
            }
        }
    }
    let countries: BTreeSet<String> = parts.keys().cloned().collect();
    clear(out, LOCATIONS, &countries)?;
    create_dir(&out.join(LOCATIONS))?;
    let mut files = 0;
    for (c, mut cols) in parts {
        check_country("location hierarchy", &c)?;
        let dir = out.join(LOCATIONS).join(format!("country={c}"));
        create_dir(&dir)?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(cols.location.finish()),
            Arc::new(cols.code.finish()),
            Arc::new(cols.level.finish()),
            Arc::new(cols.parent.finish()),
            Arc::new(cols.areas[0].finish()),
            Arc::new(cols.areas[1].finish()),
            Arc::new(cols.areas[2].finish()),
        ];
        write_parquet(&dir.join("part-0.parquet"), locations_schema(), columns)?;
        files += 1;
    }
    Ok(files)
}

#[derive(Default)]
struct LocationCols {
    location: StringBuilder,
    code: StringBuilder,
    level: StringBuilder,
    parent: StringBuilder,
    areas: [StringBuilder; 3],
}

fn write_events(
    c: &mut dyn equitas_store::Conn,
    places: &Places,
    out: &Path,
    bar: &ProgressBar,
) -> Result<(usize, usize, BTreeSet<String>), Either> {
    let total = equitas_store::epcis::event_count(c).map_err(Either::Store)?;
    bar.set_length(total.max(0) as u64);
    bar.set_position(0);
    bar.set_message("EPCIS events");
    let mut parts: BTreeMap<(String, MonthIndex), EventCols> = BTreeMap::new();
    let mut after = None;
    loop {
        let page = query_events(
            c,
            &EventQuery {
                after,
                limit: 10_000,
                ..EventQuery::default()
            },
        )
        .map_err(Either::Store)?;
        let Some(last) = page.last() else { break };
        after = Some(last.cursor);
        for e in &page {
            let place = e
                .biz_location
                .as_deref()
                .or(e.read_point.as_deref())
                .and_then(|l| places.resolve(l));
            let country = match place.and_then(|p| places.get(&p.code)) {
                Some(p) => country_of_place(places, &p.code),
                None => UNKNOWN_COUNTRY.to_string(),
            };
            let m = local_ms(&e.event_time, &e.time_zone_offset)
                .map(|ms| month_of(day_of_ms(ms)))
                .ok_or_else(|| {
                    Either::Engine(EngineError::Invalid(format!(
                        "event {} (id {}): event time {:?} with offset {:?} is not a date",
                        e.event_id, e.cursor, e.event_time, e.time_zone_offset
                    )))
                })?;
            let cols = parts.entry((country, m)).or_default();
            cols.id.append_value(e.cursor);
            cols.event_id.append_value(&e.event_id);
            cols.event_type.append_value(&e.event_type);
            cols.event_time.append_value(&e.event_time);
            cols.offset.append_value(&e.time_zone_offset);
            cols.record_time.append_value(&e.record_time);
            cols.action.append_option(e.action.as_deref());
            cols.biz_step.append_option(e.biz_step.as_deref());
            cols.disposition.append_option(e.disposition.as_deref());
            cols.read_point.append_option(e.read_point.as_deref());
            cols.biz_location.append_option(e.biz_location.as_deref());
            cols.lot.append_option(e.lot.as_deref());
            cols.expiry.append_option(e.expiry.as_deref());
            cols.hash.append_value(&e.hash);
            cols.body.append_value(e.event.to_string());
            cols.rows += 1;
        }
        bar.inc(page.len() as u64);
    }
    let seen: BTreeSet<String> = parts.keys().map(|k| k.0.clone()).collect();
    clear(out, EVENTS, &seen).map_err(Either::Engine)?;
    let (mut rows, mut files) = (0, 0);
    for ((c, m), mut cols) in parts {
        rows += cols.rows;
        let path = part_path(out, EVENTS, &c, m).map_err(Either::Engine)?;
        write_parquet(&path, events_schema(), cols.finish()).map_err(Either::Engine)?;
        files += 1;
    }
    Ok((rows, files, seen))
}

fn country_of_place(places: &Places, code: &str) -> String {
    // Walk the parents by code to the root.
    let mut cur = code.to_string();
    for _ in 0..64 {
        match places.get(&cur).and_then(|p| p.parent.clone()) {
            Some(p) if places.get(&p).is_some() => cur = p,
            _ => break,
        }
    }
    cur
}

fn create_dir(dir: &Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(dir).map_err(|source| EngineError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Removes the partitions of `countries` an earlier export left.
fn clear(out: &Path, dataset: &str, countries: &BTreeSet<String>) -> Result<(), EngineError> {
    for c in countries {
        let dir = out.join(dataset).join(format!("country={c}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|source| EngineError::Io { path: dir, source })?;
        }
    }
    Ok(())
}

/// Refuses a country code that cannot name a directory `country=...`
/// (`what`: where the code comes from).
pub(crate) fn check_country(what: &str, country: &str) -> Result<(), EngineError> {
    if country.is_empty() || country.contains(['/', '\\', '=']) || country.starts_with('.') {
        return Err(EngineError::Invalid(format!(
            "{what}: country code {country:?} cannot name a directory"
        )));
    }
    Ok(())
}

fn part_path(
    out: &Path,
    dataset: &str,
    country: &str,
    m: MonthIndex,
) -> Result<PathBuf, EngineError> {
    check_country("location hierarchy", country)?;
    let dir = out
        .join(dataset)
        .join(format!("country={country}"))
        .join(format!("month={}", format_month(m)));
    create_dir(&dir)?;
    Ok(dir.join("part-0.parquet"))
}

/// Writes one Parquet file (Snappy, row groups of about a million rows).
pub fn write_parquet(
    path: &Path,
    schema: SchemaRef,
    columns: Vec<ArrayRef>,
) -> Result<(), EngineError> {
    let batch =
        RecordBatch::try_new(schema.clone(), columns).map_err(|source| EngineError::Arrow {
            path: path.to_path_buf(),
            source,
        })?;
    let file = std::fs::File::create(path).map_err(|source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .build();
    let perr = |source| EngineError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let mut w = ArrowWriter::try_new(file, schema, Some(props)).map_err(perr)?;
    w.write(&batch).map_err(perr)?;
    w.close().map_err(perr)?;
    Ok(())
}

#[derive(Default)]
struct MovementCols {
    rows: usize,
    location: StringBuilder,
    item: StringBuilder,
    lot: StringBuilder,
    seq: Int64Builder,
    at: Int64Builder,
    day: Int32Builder,
    month: Int32Builder,
    kind: StringBuilder,
    quantity: Float64Builder,
    reason: StringBuilder,
    source: Int64Builder,
    others: Float64Builder,
}

impl MovementCols {
    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.location.finish()),
            Arc::new(self.item.finish()),
            Arc::new(self.lot.finish()),
            Arc::new(self.seq.finish()),
            Arc::new(self.at.finish()),
            Arc::new(self.day.finish()),
            Arc::new(self.month.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.others.finish()),
        ]
    }
}

#[derive(Default)]
struct FigureCols {
    rows: usize,
    location: StringBuilder,
    item: StringBuilder,
    month: Int32Builder,
    values: [Float64Builder; 7],
    stockout_days: Int64Builder,
    stockout_reported: BooleanBuilder,
    movements: Int64Builder,
}

impl FigureCols {
    fn push(&mut self, f: &Figure) {
        self.location.append_value(&f.location);
        self.item.append_value(&f.item);
        self.month.append_value(f.month);
        let v = [
            f.opening,
            f.received,
            f.issued,
            f.dispensed,
            f.adjusted,
            f.closing,
            f.consumption,
        ];
        for (b, x) in self.values.iter_mut().zip(v) {
            b.append_value(x);
        }
        self.stockout_days.append_value(f.stockout_days as i64);
        self.stockout_reported.append_value(f.stockout_reported);
        self.movements.append_value(f.movements as i64);
        self.rows += 1;
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut v: Vec<ArrayRef> = vec![
            Arc::new(self.location.finish()),
            Arc::new(self.item.finish()),
            Arc::new(self.month.finish()),
        ];
        for b in &mut self.values {
            v.push(Arc::new(b.finish()));
        }
        v.push(Arc::new(self.stockout_days.finish()));
        v.push(Arc::new(self.stockout_reported.finish()));
        v.push(Arc::new(self.movements.finish()));
        v
    }
}

#[derive(Default)]
struct ReportedCols {
    rows: usize,
    location: StringBuilder,
    item: StringBuilder,
    month: Int32Builder,
    days: Int64Builder,
}

impl ReportedCols {
    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.location.finish()),
            Arc::new(self.item.finish()),
            Arc::new(self.month.finish()),
            Arc::new(self.days.finish()),
        ]
    }
}

#[derive(Default)]
struct EventCols {
    rows: usize,
    id: Int64Builder,
    event_id: StringBuilder,
    event_type: StringBuilder,
    event_time: StringBuilder,
    offset: StringBuilder,
    record_time: StringBuilder,
    action: StringBuilder,
    biz_step: StringBuilder,
    disposition: StringBuilder,
    read_point: StringBuilder,
    biz_location: StringBuilder,
    lot: StringBuilder,
    expiry: StringBuilder,
    hash: StringBuilder,
    body: StringBuilder,
}

impl EventCols {
    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.id.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.event_time.finish()),
            Arc::new(self.offset.finish()),
            Arc::new(self.record_time.finish()),
            Arc::new(self.action.finish()),
            Arc::new(self.biz_step.finish()),
            Arc::new(self.disposition.finish()),
            Arc::new(self.read_point.finish()),
            Arc::new(self.biz_location.finish()),
            Arc::new(self.lot.finish()),
            Arc::new(self.expiry.finish()),
            Arc::new(self.hash.finish()),
            Arc::new(self.body.finish()),
        ]
    }
}
