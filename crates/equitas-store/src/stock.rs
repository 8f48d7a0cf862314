//! The stock ledger from what the store holds: movements of captured EPCIS
//! events, monthly stock reports, the location hierarchy and the stock
//! level bands (docs/formulas.md section 3).

use crate::repo::{Outcome, placeholders, upsert};
use crate::{Conn, StoreError, Value};
use equitas_ledger::calendar::{self, parse_day};
use equitas_ledger::catalogue::{ItemCatalogue, TradeItemUnit};
use equitas_ledger::report::StockReport;
use equitas_ledger::view::{LevelRow, MinMaxBands, Place, Places};
use equitas_ledger::{Kind, Ledger, Movement, Names, Source};
use equitas_model::LocationLevel;
use std::collections::HashMap;

/// Everything the stock views need.
pub struct StockData {
    pub ledger: Ledger,
    pub places: Places,
    pub bands: MinMaxBands,
    /// What the catalogue says of item codes (GTINs of trade items and
    /// product codes), to name the ledger's items.
    pub catalogue: HashMap<String, ItemInfo>,
    /// The shipments expected from suppliers, as last imported (`import
    /// pipeline`; docs/formulas.md 4.7), in the file's order.
    pub pipeline: Vec<equitas_planning::quantify::Incoming>,
    /// The lead times by item and supplier, as last imported (`import
    /// lead-times`; 4.7), in the file's order.
    pub lead_times: Vec<equitas_planning::plan::LeadTime>,
    /// What plans and risks need of the shipments between places, kept
    /// until the data change: a server reads and matches them once, not on
    /// every question.
    transit: TransitKept,
}

/// The shipments between places of one version of the stock data: empty
/// until asked for, emptied when movements are appended.
#[derive(Default)]
struct TransitKept {
    /// The issues and receipts between places ([`transit_legs`]), read at
    /// the first plan or risk that needs them ([`StockData::legs`]).
    legs: std::sync::OnceLock<Vec<equitas_ledger::transit::Leg>>,
    /// The shipments in transit on the last day asked for
    /// ([`StockData::in_transit`]).
    on: std::sync::Mutex<Option<(calendar::Day, equitas_planning::quantify::Transit)>>,
}

/// A stock item as the catalogue knows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemInfo {
    pub name: String,
    pub product: String,
    pub programme: Option<String>,
    pub category: String,
}

impl StockData {
    /// The issues and receipts between places, as [`transit_legs`] reads
    /// them from `c`: read once for these data, then kept.
    pub fn legs(&self, c: &mut dyn Conn) -> Result<&[equitas_ledger::transit::Leg], StoreError> {
        if let Some(l) = self.transit.legs.get() {
            return Ok(l);
        }
        let read = transit_legs(c)?;
        Ok(self.transit.legs.get_or_init(|| read))
    }

    /// The shipments in transit between places on `as_of` (formulas 4.7),
    /// matched from [`StockData::legs`]: matched once for a day, then kept
    /// until the data or the day asked for change (plans and risks of a
    /// server mostly ask for the same day).
    pub fn in_transit(
        &self,
        c: &mut dyn Conn,
        as_of: calendar::Day,
    ) -> Result<equitas_planning::quantify::Transit, StoreError> {
        let kept = |t: &Self| {
            t.transit
                .on
                .lock()
                .map(|g| {
                    g.as_ref()
                        .filter(|(d, _)| *d == as_of)
                        .map(|(_, x)| x.clone())
                })
                .unwrap_or(None)
        };
        if let Some(t) = kept(self) {
            return Ok(t);
        }
        let t =
            equitas_planning::quantify::incoming_from_transit(self.legs(c)?, &self.places, as_of);
        // A poisoned lock only loses the keeping, never the answer.
        if let Ok(mut g) = self.transit.on.lock() {
            *g = Some((as_of, t.clone()));
        }
        Ok(t)
    }

    /// The ledger's items with what the catalogue knows of them, by code.
    pub fn items(&self) -> Vec<(&str, Option<&ItemInfo>)> {
        let names = &self.ledger.names.items;
        let mut out: Vec<(&str, Option<&ItemInfo>)> = (0..names.len() as u32)
            .map(|i| names.name(i))
            .map(|code| (code, self.catalogue.get(code)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// Products and trade items by code (and trade items by GTIN too).
pub fn catalogue(c: &mut dyn Conn) -> Result<HashMap<String, ItemInfo>, StoreError> {
    let mut out = HashMap::new();
    c.query_each(
        "SELECT code, name, programme, category FROM products",
        &[],
        &mut |r| {
            let code = r[0].take_text()?;
            out.insert(
                code.clone(),
                ItemInfo {
                    name: r[1].take_text()?,
                    product: code,
                    programme: r[2].take_opt_text()?,
                    category: r[3].take_text()?,
                },
            );
            Ok(())
        },
    )?;
    let mut items = Vec::new();
    c.query_each(
        "SELECT t.code, t.gtin, t.product FROM trade_items t",
        &[],
        &mut |r| {
            items.push((r[0].take_text()?, r[1].take_opt_text()?, r[2].take_text()?));
            Ok(())
        },
    )?;
    for (code, gtin, product) in items {
        if let Some(info) = out.get(&product).cloned() {
            if let Some(g) = gtin {
                out.entry(g).or_insert_with(|| info.clone());
            }
            out.entry(code).or_insert(info);
        }
    }
    Ok(out)
}

/// The units in a pack of each trade item with a GTIN and a pack size
/// (GTIN-14 -> pack size): a quantity sent in units (a FHIR dispense of
/// 60 tablets) is counted in packs by it.
pub fn pack_sizes(c: &mut dyn Conn) -> Result<HashMap<String, f64>, StoreError> {
    let mut out = HashMap::new();
    c.query_each(
        "SELECT gtin, pack_size FROM trade_items WHERE gtin IS NOT NULL AND pack_size > 0",
        &[],
        &mut |r| {
            out.insert(r[0].take_text()?, r[1].get()?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Which product each item code counts toward, and in what unit
/// (docs/formulas.md 3.1): the products, and the trade items with their
/// GTINs and pack sizes.
pub fn item_catalogue(c: &mut dyn Conn) -> Result<ItemCatalogue, StoreError> {
    let mut products = Vec::new();
    c.query_each("SELECT code, name FROM products", &[], &mut |r| {
        products.push((r[0].take_text()?, r[1].take_text()?));
        Ok(())
    })?;
    let mut items = Vec::new();
    c.query_each(
        "SELECT code, gtin, product, pack_size FROM trade_items",
        &[],
        &mut |r| {
            items.push(TradeItemUnit {
                code: r[0].take_text()?,
                gtin: r[1].take_opt_text()?,
                product: r[2].take_text()?,
                pack_size: r[3].get()?,
            });
            Ok(())
        },
    )?;
    Ok(ItemCatalogue::new(products, &items))
}

/// How far a loaded ledger reaches: the commit sequence number of the
/// last capture whose movements it holds (captures become visible in
/// that order, see `equitas_store::epcis`), and the number of import runs
/// that changed the data (stock reports, levels and locations come by
/// import).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Watermark {
    pub last_capture: i64,
    pub imports: i64,
}

/// Reads the store's current watermark (the newest capture, and a sum over
/// the small imports table).
pub fn watermark(c: &mut dyn Conn) -> Result<Watermark, StoreError> {
    let last_capture = crate::epcis::newest_capture(c)?;
    // The runs that changed the data: a file imported again after another
    // (A, B, then A) only adds a run to A's row, and must still be seen; a
    // run that changed nothing must not make a server reload.
    let imports: i64 = c
        .query_scalar(
            "SELECT CAST(COALESCE(SUM(changes), 0) AS BIGINT) FROM imports",
            &[],
        )?
        .get()?;
    Ok(Watermark {
        last_capture,
        imports,
    })
}

/// Reads the movements of the captures numbered in `(after, upto]` (in
/// commit order) into `names` and `out`, with the lot expiries they state.
/// From 0, all the movements are read and those of later captures
/// skipped; after a watermark, the few new captures' movements are read by
/// their ids through the index, whatever the statistics say.
fn read_movements(
    c: &mut dyn Conn,
    after: i64,
    upto: i64,
    names: &mut Names,
    out: &mut Vec<Movement>,
    expiries: &mut Vec<(u32, u32, String)>,
) -> Result<(), StoreError> {
    if after == 0 {
        let all = "SELECT id FROM epcis_captures WHERE commit_seq <= $1";
        return read_movements_of(c, all, &[Value::Int(upto)], names, out, expiries);
    }
    let mut ids = Vec::new();
    c.query_each(
        "SELECT id FROM epcis_captures WHERE commit_seq > $1 AND commit_seq <= $2",
        &[Value::Int(after), Value::Int(upto)],
        &mut |r| {
            ids.push(Value::Int(r[0].get()?));
            Ok(())
        },
    )?;
    for p in ids.chunks(1000) {
        read_movements_of(c, &placeholders(1, p.len()), p, names, out, expiries)?;
    }
    Ok(())
}

/// Reads the movements of the captures `captures` (a list or a query of
/// their ids, with parameters `p`).
fn read_movements_of(
    c: &mut dyn Conn,
    captures: &str,
    p: &[Value],
    names: &mut Names,
    out: &mut Vec<Movement>,
    expiries: &mut Vec<(u32, u32, String)>,
) -> Result<(), StoreError> {
    c.query_each(
        &format!(
            "SELECT event, at, location, item, lot, kind, quantity, reason, expiry FROM stock_movements
             WHERE capture IN ({captures})"
        ),
        p,
        &mut |r| {
            let event: i64 = r[0].get()?;
            let kind_name = r[5].take_text()?;
            let Some(kind) = Kind::from_name(&kind_name) else {
                return Err(StoreError::Invalid(format!(
                    "stock_movements of event {event}: unknown kind {kind_name:?}"
                )));
            };
            let (item, recorded, factor) = names.item(&r[3].take_text()?);
            let quantity: f64 = r[6].get()?;
            let m = Movement {
                at: r[1].get()?,
                location: names.location(&r[2].take_text()?),
                item,
                lot: names.lots.id(&r[4].take_text()?),
                kind,
                quantity: quantity * factor,
                reason: names.reasons.id(&r[7].take_text()?),
                source: Source::Event(event as u64).pack(),
                recorded,
            };
            if let Some(e) = r[8].take_opt_text()? {
                expiries.push((m.item, m.lot, e));
            }
            out.push(m);
            Ok(())
        },
    )
}

fn set_expiries(ledger: &mut Ledger, expiries: Vec<(u32, u32, String)>) {
    for (item, lot, e) in expiries {
        if let Some(d) = parse_day(&e) {
            ledger.set_expiry(item, lot, d);
        }
    }
}

/// How users find each of `sources` (docs/formulas.md 3.10): an event by its
/// event ID (its `eventID`, else its hash ID, as `GET /events` shows it), a
/// stock report row by its month. A source the store no longer holds is
/// left out.
pub fn source_names(
    c: &mut dyn Conn,
    sources: &[Source],
) -> Result<HashMap<Source, String>, StoreError> {
    let mut out = HashMap::new();
    let (mut events, mut reports) = (Vec::new(), Vec::new());
    for s in sources {
        match *s {
            Source::Event(id) => events.push(Value::Int(id as i64)),
            Source::Report(id) => reports.push(Value::Int(id as i64)),
        }
    }
    for (ids, sql, wrap) in [
        (
            events,
            "SELECT id, COALESCE(event_id, hash) FROM epcis_events WHERE id IN",
            Source::Event as fn(u64) -> Source,
        ),
        (
            reports,
            "SELECT id, period FROM stock_reports WHERE id IN",
            Source::Report,
        ),
    ] {
        for p in ids.chunks(1000) {
            c.query_each(
                &format!("{sql} ({})", placeholders(1, p.len())),
                p,
                &mut |r| {
                    let id: i64 = r[0].get()?;
                    out.insert(wrap(id as u64), r[1].take_text()?);
                    Ok(())
                },
            )?;
        }
    }
    Ok(out)
}

/// Loads the movements of every captured event and stock report and builds
/// the ledger (one scan of each table).
pub fn load(c: &mut dyn Conn) -> Result<StockData, StoreError> {
    load_marked(c).map(|(d, _)| d)
}

/// [`load`], with the watermark the data reaches.
pub fn load_marked(c: &mut dyn Conn) -> Result<(StockData, Watermark), StoreError> {
    let wm = watermark(c)?;
    let mut names = Names::with_catalogue(item_catalogue(c)?);
    let hierarchy = places(c)?;
    names.glns = hierarchy
        .iter()
        .filter_map(|p| Some((p.gln.clone()?, p.code.clone())))
        .collect();
    let mut movements: Vec<Movement> = Vec::new();
    let mut expiries = Vec::new();
    read_movements(
        c,
        0,
        wm.last_capture,
        &mut names,
        &mut movements,
        &mut expiries,
    )?;
    let mut reported = Vec::new();
    for (id, rep) in stock_reports(c)? {
        for m in rep.movements() {
            movements.push(m.intern(&mut names, Source::Report(id as u64)));
        }
        let loc = names.location(&rep.location);
        let (item, _, _) = names.item(&rep.item);
        reported.push((loc, item, rep.period, rep.stockout_days));
    }
    let mut ledger = Ledger::build(names, movements);
    for (loc, item, m, d) in reported {
        ledger.set_reported_stockout_days(loc, item, m, d);
    }
    set_expiries(&mut ledger, expiries);
    let places = Places::new(hierarchy, &ledger);
    Ok((
        StockData {
            bands: bands(c, &ledger.names.catalogue)?,
            ledger,
            places,
            catalogue: catalogue(c)?,
            pipeline: pipeline(c)?,
            lead_times: lead_times(c)?,
            transit: TransitKept::default(),
        },
        wm,
    ))
}

/// The shipments expected from suppliers, as last imported, in the file's
/// order (docs/formulas.md 4.7).
pub fn pipeline(c: &mut dyn Conn) -> Result<Vec<equitas_planning::quantify::Incoming>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT item, place, arrival, quantity FROM pipeline_shipments ORDER BY line",
        &[],
        &mut |r| {
            let arrival = r[2].take_text()?;
            out.push(equitas_planning::quantify::Incoming {
                item: r[0].take_text()?,
                to: r[1].take_text()?,
                from: None,
                arrival: equitas_ledger::calendar::parse_month(&arrival).ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "pipeline_shipments: arrival {arrival:?} is not YYYY-MM"
                    ))
                })?,
                quantity: r[3].get()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// The lead times by item and supplier, as last imported, in the file's
/// order (docs/formulas.md 4.7).
pub fn lead_times(c: &mut dyn Conn) -> Result<Vec<equitas_planning::plan::LeadTime>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT item, supplier, order_months, production_months, transport_months, receipt_months FROM lead_times ORDER BY line",
        &[],
        &mut |r| {
            out.push(equitas_planning::plan::LeadTime {
                item: r[0].take_text()?,
                supplier: r[1].take_text()?,
                order: r[2].get()?,
                production: r[3].get()?,
                transport: r[4].get()?,
                receipt: r[5].get()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// What [`refresh`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    Unchanged,
    /// Movements of newly captured events appended to the ledger.
    Appended(usize),
    /// Something was imported: everything was read again.
    Reloaded,
}

/// Brings `data` (at watermark `wm`) up to date: the movements of events
/// captured since are appended (`Ledger::append`, which recomputes only the
/// lots and months they touch); an import since reloads everything.
/// Captures become visible in the order of their commit sequence numbers
/// (one writer on SQLite; on PostgreSQL, an advisory lock from numbering to
/// commit), so those above the watermark are the new ones.
pub fn refresh(
    c: &mut dyn Conn,
    data: &mut StockData,
    wm: &mut Watermark,
) -> Result<Refresh, StoreError> {
    let now = watermark(c)?;
    if now == *wm {
        return Ok(Refresh::Unchanged);
    }
    if now.imports != wm.imports || now.last_capture < wm.last_capture {
        let (d, w) = load_marked(c)?;
        *data = d;
        *wm = w;
        return Ok(Refresh::Reloaded);
    }
    let mut movements = Vec::new();
    let mut expiries = Vec::new();
    let known = data.ledger.names.locations.len();
    read_movements(
        c,
        wm.last_capture,
        now.last_capture,
        &mut data.ledger.names,
        &mut movements,
        &mut expiries,
    )?;
    // Read before anything is appended: a failure past this point would
    // leave movements appended under the old watermark, to be appended again.
    let hierarchy = if data.ledger.names.locations.len() != known {
        Some(places(c)?)
    } else {
        None
    };
    let n = movements.len();
    // New movements may be legs: read again when next asked for.
    data.transit = TransitKept::default();
    data.ledger.append(movements);
    set_expiries(&mut data.ledger, expiries);
    if let Some(p) = hierarchy {
        data.places = Places::new(p, &data.ledger);
    }
    *wm = now;
    Ok(Refresh::Appended(n))
}

/// The location hierarchy.
pub fn places(c: &mut dyn Conn) -> Result<Vec<Place>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT code, name, level, parent, gln FROM locations ORDER BY code",
        &[],
        &mut |r| {
            out.push(Place {
                code: r[0].take_text()?,
                name: r[1].take_text()?,
                level: r[2].take_text()?.parse::<LocationLevel>().ok(),
                parent: r[3].take_opt_text()?,
                gln: r[4].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// The stock level bands: the defaults, replaced by what was imported
/// (bands of a trade item apply to the product it counts toward).
pub fn bands(c: &mut dyn Conn, catalogue: &ItemCatalogue) -> Result<MinMaxBands, StoreError> {
    let mut b = MinMaxBands::default();
    for mut r in c.query(
        "SELECT item, tier, min_months, max_months FROM stock_levels",
        &[],
    )? {
        let item = r[0].take_text()?;
        let Some(tier) = equitas_ledger::view::Tier::from_name(&r[1].take_text()?) else {
            continue;
        };
        let band = (r[2].get()?, r[3].get()?);
        if item.is_empty() {
            b.default.insert(tier, band);
        } else {
            let product = catalogue.resolve(&item).0.to_string();
            b.items.insert((product, tier), band);
        }
    }
    Ok(b)
}

fn stock_reports(c: &mut dyn Conn) -> Result<Vec<(i64, StockReport)>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT id, location, item, period, opening, received, dispensed, issued, adjustments, closing, stockout_days
         FROM stock_reports ORDER BY id",
        &[],
        &mut |r| {
            let period = r[3].take_text()?;
            let Some(m) = calendar::parse_month(&period) else {
                return Err(StoreError::Invalid(format!("stock_reports: bad period {period:?}")));
            };
            let days: i64 = r[10].get()?;
            out.push((
                r[0].get()?,
                StockReport {
                    line: 0,
                    location: r[1].take_text()?,
                    item: r[2].take_text()?,
                    period: m,
                    opening: r[4].get()?,
                    received: r[5].get()?,
                    dispensed: r[6].get()?,
                    issued: r[7].get()?,
                    adjustments: r[8].get()?,
                    closing: r[9].get()?,
                    stockout_days: days as u32,
                },
            ));
            Ok(())
        },
    )?;
    Ok(out)
}

/// Stores a stock report row (keyed by location, item and period).
pub fn put_report(c: &mut dyn Conn, r: &StockReport) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "stock_reports",
        &["location", "item", "period"],
        &[
            "opening",
            "received",
            "dispensed",
            "issued",
            "adjustments",
            "closing",
            "stockout_days",
        ],
        vec![
            r.location.as_str().into(),
            r.item.as_str().into(),
            calendar::format_month(r.period).into(),
            r.opening.into(),
            r.received.into(),
            r.dispensed.into(),
            r.issued.into(),
            r.adjustments.into(),
            r.closing.into(),
            Value::Int(i64::from(r.stockout_days)),
        ],
    )
}

pub fn put_level(c: &mut dyn Conn, r: &LevelRow) -> Result<Outcome, StoreError> {
    upsert(
        c,
        "stock_levels",
        &["item", "tier"],
        &["min_months", "max_months"],
        vec![
            r.item.as_str().into(),
            r.tier.as_str().into(),
            r.min.into(),
            r.max.into(),
        ],
    )
}

pub fn location_exists(c: &mut dyn Conn, code: &str) -> Result<bool, StoreError> {
    Ok(location_level(c, code)?.is_some())
}

/// The level of the location of `code`, if the hierarchy holds it (a
/// level the model does not know reads as a facility's).
pub fn location_level(
    c: &mut dyn Conn,
    code: &str,
) -> Result<Option<equitas_model::LocationLevel>, StoreError> {
    let level: Option<String> = c
        .query_scalar(
            "SELECT level FROM locations WHERE code = $1",
            &[code.into()],
        )?
        .get()?;
    Ok(level.map(|l| l.parse().unwrap_or(equitas_model::LocationLevel::Facility)))
}

/// Issues and receipts with a known other location (EPCIS source and
/// destination lists), for finding shipments in transit.
pub fn transit_legs(c: &mut dyn Conn) -> Result<Vec<equitas_ledger::transit::Leg>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT at, location, counterpart, item, lot, kind, quantity FROM stock_movements
         WHERE (counterpart IS NOT NULL AND kind IN ('issue', 'receipt')) OR kind = 'receipt'",
        &[],
        &mut |r| {
            let here = r[1].take_text()?;
            // A receipt without a source matches shipments to its place
            // (formulas 4.7).
            let other = r[2].take_opt_text()?.unwrap_or_default();
            let receipt = r[5].take_text()? == "receipt";
            let (from, to) = if receipt {
                (other, here)
            } else {
                (here, other)
            };
            out.push(equitas_ledger::transit::Leg {
                at: r[0].get()?,
                from,
                to,
                item: r[3].take_text()?,
                lot: r[4].take_text()?,
                quantity: r[6].get()?,
                receipt,
            });
            Ok(())
        },
    )?;
    Ok(out)
}
