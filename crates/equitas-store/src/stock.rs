//! The stock ledger from what the store holds: movements of captured EPCIS
//! events, monthly stock reports, the location hierarchy and the stock
//! level bands (docs/formulas.md section 3).

use crate::repo::{Outcome, upsert};
use crate::{Conn, StoreError, Value};
use equitas_ledger::calendar::{self, parse_day};
use equitas_ledger::report::StockReport;
use equitas_ledger::view::{Bands, LevelRow, Place, Places};
use equitas_ledger::{Kind, Ledger, Movement, Names, Source};
use equitas_model::LocationLevel;

/// Everything the stock views need.
pub struct StockData {
    pub ledger: Ledger,
    pub places: Places,
    pub bands: Bands,
}

fn text(v: &mut Value) -> Result<String, StoreError> {
    v.take_text()
}

/// Loads the movements of every captured event and stock report and builds
/// the ledger (one scan of each table).
pub fn load(c: &mut dyn Conn) -> Result<StockData, StoreError> {
    let mut names = Names::default();
    let mut movements: Vec<Movement> = Vec::new();
    let mut expiries: Vec<(u32, u32, String)> = Vec::new();
    c.query_each(
        "SELECT event, at, location, item, lot, kind, quantity, reason, expiry FROM stock_movements",
        &[],
        &mut |r| {
            let event: i64 = r[0].get()?;
            let kind_name = text(&mut r[5])?;
            let Some(kind) = Kind::from_name(&kind_name) else {
                return Err(StoreError::Invalid(format!(
                    "stock_movements of event {event}: unknown kind {kind_name:?}"
                )));
            };
            let m = Movement {
                at: r[1].get()?,
                location: names.locations.id(&text(&mut r[2])?),
                item: names.items.id(&text(&mut r[3])?),
                lot: names.lots.id(&text(&mut r[4])?),
                kind,
                quantity: r[6].get()?,
                reason: names.reasons.id(&text(&mut r[7])?),
                source: Source::Event(event as u64).pack(),
            };
            if let Some(e) = r[8].take_opt_text()? {
                expiries.push((m.item, m.lot, e));
            }
            movements.push(m);
            Ok(())
        },
    )?;
    let mut reported = Vec::new();
    for r in stock_reports(c)? {
        let (id, rep) = r;
        for m in rep.movements() {
            movements.push(m.intern(&mut names, Source::Report(id as u64)));
        }
        let loc = names.locations.id(&rep.location);
        let item = names.items.id(&rep.item);
        reported.push((loc, item, rep.period, rep.stockout_days));
    }
    let mut ledger = Ledger::build(names, movements);
    for (loc, item, m, d) in reported {
        ledger.set_reported_stockout_days(loc, item, m, d);
    }
    for (item, lot, e) in expiries {
        if let Some(d) = parse_day(&e) {
            ledger.set_expiry(item, lot, d);
        }
    }
    let places = Places::new(places(c)?, &ledger);
    Ok(StockData {
        ledger,
        places,
        bands: bands(c)?,
    })
}

/// The location hierarchy.
pub fn places(c: &mut dyn Conn) -> Result<Vec<Place>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT code, name, level, parent, gln FROM locations ORDER BY code",
        &[],
        &mut |r| {
            out.push(Place {
                code: text(&mut r[0])?,
                name: text(&mut r[1])?,
                level: text(&mut r[2])?.parse::<LocationLevel>().ok(),
                parent: r[3].take_opt_text()?,
                gln: r[4].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// The stock level bands: the defaults, replaced by what was imported.
pub fn bands(c: &mut dyn Conn) -> Result<Bands, StoreError> {
    let mut b = Bands::default();
    for mut r in c.query(
        "SELECT item, tier, min_months, max_months FROM stock_levels",
        &[],
    )? {
        let item = text(&mut r[0])?;
        let Some(tier) = equitas_ledger::view::Tier::from_name(&text(&mut r[1])?) else {
            continue;
        };
        let band = (r[2].get()?, r[3].get()?);
        if item.is_empty() {
            b.default.insert(tier, band);
        } else {
            b.items.insert((item, tier), band);
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
            let period = text(&mut r[3])?;
            let Some(m) = calendar::parse_month(&period) else {
                return Err(StoreError::Invalid(format!("stock_reports: bad period {period:?}")));
            };
            let days: i64 = r[10].get()?;
            out.push((
                r[0].get()?,
                StockReport {
                    line: 0,
                    location: text(&mut r[1])?,
                    item: text(&mut r[2])?,
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
    let n: i64 = c
        .query_scalar(
            "SELECT COUNT(*) FROM locations WHERE code = $1",
            &[code.into()],
        )?
        .get()?;
    Ok(n > 0)
}

/// Files the synthetic network's country (a user-assigned ISO 3166 code,
/// no real country) so that its locations can be imported.
pub fn ensure_synthetic_country(c: &mut dyn Conn, iso3: &str) -> Result<(), StoreError> {
    if crate::repo::country_exists(c, iso3)? {
        return Ok(());
    }
    let x = equitas_model::Country {
        iso3: iso3.to_string(),
        iso2: iso3[..2].to_string(),
        numeric: None,
        name_en: "Synthetic country (Equitas demo)".into(),
        name_fr: Some("Pays synthétique (démo Equitas)".into()),
        name_short: Some("Synthetic country".into()),
        m49_region: None,
        m49_subregion: None,
        currency: None,
        least_developed: false,
        landlocked_developing: false,
        small_island_developing: false,
        who_region: None,
        wb_region: None,
        income_group: None,
    };
    crate::repo::put_country(c, &x)?;
    Ok(())
}
