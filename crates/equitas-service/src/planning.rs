//! Planning operations: forecasts, supply plans and stockout risk
//! (docs/formulas.md 4), on the assembly `equitas_planning::quantify`.

use crate::error::ServiceError;
use crate::op::{Answer, Ctx, Dim, Endpoint, Needs, Operation, Scope, Scoping};
use crate::param::{Args, Kind, Param};
use crate::stock::{ITEM, has_stock, head, level};
use crate::vocab;
use equitas_ledger::calendar;
use equitas_planning::quantify::{self, Quantified};
use equitas_planning::select::{Choice, Evaluation};
use equitas_planning::{Method, accuracy};
use equitas_store::stock::StockData;
use serde::Serialize;
use std::path::PathBuf;

/// The longest horizon of a forecast, a plan or a risk, in months.
const MAX_HORIZON: usize = 60;

/// A price: any amount of money.
const AMOUNT: Kind = Kind::Number {
    min: 0.0,
    max: 1e12,
    exclusive: false,
};

/// Months of stock: at most 10 years (a band beyond that is a typing
/// error, not a stock policy).
const MONTHS_OF_STOCK: Kind = Kind::Number {
    min: 0.0,
    max: 120.0,
    exclusive: false,
};

/// The as-of month's help, a literal so that plans and risks can add to it.
macro_rules! as_of_help {
    () => {
        "The history ends with this month (a date: the last month complete that day), from the first month with data to the last complete one; default: the last complete month of the data."
    };
}

/// The parameters of a demand series; `stock`: the answer also counts
/// stock on hand (plans and risk), at the end of the as-of month.
fn series_params(stock: bool) -> Vec<Param> {
    vec![
        level("Forecast for places of this level; areas add up their facilities; a store (warehouse) is planned as the area it serves, its demand and stock.")
            .default("country"),
        ITEM,
        Param::new(
            "history",
            Kind::Int { min: 1, max: 240 },
            "Months of history used, ending with the as-of month.",
        )
        .default("36"),
        Param::new(
            "as_of",
            Kind::Month,
            if stock {
                concat!(as_of_help!(), " Stock on hand is counted at its end.")
            } else {
                as_of_help!()
            },
        ),
    ]
}

/// A forecast's parameters: the series', the horizon and the method.
fn forecast_params(horizon: &'static str, stock: bool) -> Vec<Param> {
    let mut v = series_params(stock);
    v.extend([
        Param::new(
            "horizon",
            Kind::Int {
                min: 1,
                max: MAX_HORIZON as i64,
            },
            "Months ahead.",
        )
        .default(horizon),
        Param::new(
            "method",
            Kind::OneOf(vocab::methods()),
            "Forecasting method (docs/formulas.md 4.2), or auto: chosen per series by rolling-origin back-tests.",
        )
        .default("auto"),
    ]);
    v
}

/// A plan's and a risk's: a forecast's, stock bands, lead time and price.
fn quantify_params(horizon: &'static str) -> Vec<Param> {
    let mut v = forecast_params(horizon, true);
    v.extend([
        Param::new(
            "lead_time",
            // No longer than the longest horizon an order could arrive in.
            Kind::Int {
                min: 0,
                max: MAX_HORIZON as i64,
            },
            "Months from placing an order to receiving it, for every plan; given, it sets imported lead times aside (default: the imported lead times where an item has one, else 4).",
        )
        .default("4"),
        Param::new(
            "min",
            MONTHS_OF_STOCK,
            "Minimum months of stock (default: the band of the place's tier).",
        ),
        Param::new(
            "max",
            MONTHS_OF_STOCK,
            "Maximum months of stock (default: the band of the place's tier).",
        ),
    ]);
    v
}

/// A plan's price per unit (a risk has no cost to give).
fn unit_price() -> Param {
    Param::new(
        "unit_price",
        AMOUNT,
        "Price per unit, for the cost of the suggested orders.",
    )
}

/// Inputs only the command line takes (files on the user's machine: without
/// them, the pipeline and lead times imported), the supplier whose lead
/// times apply, and whether transit counts.
fn plan_files() -> [Param; 4] {
    [
        Param::new(
            "pipeline",
            Kind::Text,
            "Shipments on their way: CSV with item, place, arrival (a month, YYYY-MM or as stock reports write it, or the expected day), quantity (default: those imported, equitas import pipeline).",
        )
        .cli_only(),
        Param::new(
            "lead_times",
            Kind::Text,
            "Lead times by item and supplier: CSV with item (blank: all), supplier, order_months, production_months, transport_months, receipt_months (default: those imported, equitas import lead-times).",
        )
        .cli_only(),
        Param::new(
            "supplier",
            Kind::Text,
            "Use this supplier's lead times, of the lead-times file or as imported (default: the shortest for each item).",
        ),
        Param::new(
            "no_transit",
            Kind::Bool,
            "Leave out shipments in transit between locations (EPCIS shipping events not yet received), otherwise counted as pipeline.",
        ),
    ]
}

/// A planning request, with the files it names and whether transit counts.
pub struct PlanningRequest {
    pub quantify: quantify::Request,
    pub transit: bool,
    /// No pipeline file given: the shipments imported (`import pipeline`)
    /// are the pipeline.
    pub imported_pipeline: bool,
    /// Neither a lead-times file nor one lead time for all (`lead_time`,
    /// unless with a `supplier`) given: the lead times imported (`import
    /// lead-times`) apply.
    pub imported_lead_times: bool,
    /// One lead time for all was given: the imported lead times are left
    /// aside, said in a note.
    pub lead_time_asked: bool,
}

fn method(a: &Args) -> Result<Option<Method>, ServiceError> {
    match a.value::<String>("method")?.as_str() {
        "auto" => Ok(None),
        m => Method::from_name(m)
            .map(Some)
            .ok_or_else(|| a.bad("method", format!("{m:?} is not a method"))),
    }
}

fn series_request(a: &Args) -> Result<quantify::Request, ServiceError> {
    Ok(quantify::Request {
        level: a.value("level")?,
        items: a.list("item")?,
        history: a.value("history")?,
        as_of: a.month("as_of")?,
        horizon: 1,
        method: None,
        lead_time: 0,
        min_months: None,
        max_months: None,
        unit_price: None,
        pipeline: Vec::new(),
        lead_times: Vec::new(),
        supplier: None,
    })
}

fn forecast_request(a: &Args) -> Result<quantify::Request, ServiceError> {
    Ok(quantify::Request {
        horizon: a.value("horizon")?,
        method: method(a)?,
        ..series_request(a)?
    })
}

fn quantify_request(a: &Args) -> Result<quantify::Request, ServiceError> {
    Ok(quantify::Request {
        lead_time: a.value("lead_time")?,
        min_months: a.get("min")?,
        max_months: a.get("max")?,
        ..forecast_request(a)?
    })
}

/// Reads a planning input file with `parse`; the first bad row is the
/// error, named as imports name them (FILE:LINE: field: reason).
pub(crate) fn planning_file<T>(
    a: &Args,
    name: &str,
    parse: impl FnOnce(&[u8]) -> Result<equitas_model::reference::Parsed<T>, equitas_model::RowError>,
) -> Result<Vec<T>, ServiceError> {
    let Some(path) = a.get::<PathBuf>(name)? else {
        return Ok(Vec::new());
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| a.bad(name, format!("cannot read {}: {e}", path.display())))?;
    let file = path.display().to_string();
    let line = |e: &equitas_model::RowError| e.located(&file);
    let parsed = parse(&bytes).map_err(|e| a.bad(name, line(&e)))?;
    if let Some(e) = parsed.errors.first() {
        return Err(a.bad(name, line(e)));
    }
    Ok(parsed.records.into_iter().map(|r| r.1).collect())
}

fn plan_request(a: &Args) -> Result<PlanningRequest, ServiceError> {
    let mut q = quantify_request(a)?;
    q.pipeline = planning_file(a, "pipeline", |b| quantify::parse_pipeline(b))?;
    q.lead_times = planning_file(a, "lead_times", |b| {
        equitas_planning::plan::parse_lead_times(b)
    })?;
    if q.lead_times.is_empty()
        && let Some(path) = a.get::<PathBuf>("lead_times")?
    {
        return Err(a.bad(
            "lead_times",
            format!("{}: no lead time, only a header row", path.display()),
        ));
    }
    q.supplier = a.get("supplier")?;
    let file = a.get::<PathBuf>("lead_times")?.is_some();
    let lead_time_asked = a.given("lead_time")?;
    if file {
        known_supplier(q.supplier.as_deref(), &q.lead_times, false)?;
    }
    // A supplier named takes its imported lead times, the lead time asked
    // for then applying to the items it has none for (as with a file).
    let supplier = q.supplier.is_some();
    Ok(PlanningRequest {
        quantify: q,
        transit: !a.flag("no_transit")?,
        imported_pipeline: a.get::<PathBuf>("pipeline")?.is_none(),
        imported_lead_times: !file && (!lead_time_asked || supplier),
        lead_time_asked: !file && lead_time_asked && !supplier,
    })
}

/// The supplier asked for, if any, has lead times: of the lead-times file,
/// or (`imported`) as imported. Checked when the request is read for a
/// file, when the data are for imported ones; the error names `supplier`
/// (`--supplier` on the command line).
fn known_supplier(
    supplier: Option<&str>,
    lead_times: &[equitas_planning::plan::LeadTime],
    imported: bool,
) -> Result<(), ServiceError> {
    let Some(s) = supplier else {
        return Ok(());
    };
    let mut known: Vec<&str> = lead_times.iter().map(|l| l.supplier.as_str()).collect();
    known.sort_unstable();
    known.dedup();
    if known.contains(&s) {
        return Ok(());
    }
    let of = if imported {
        "the lead times imported"
    } else {
        "the lead-times file"
    };
    let reason = if known.is_empty() {
        format!(
            "{s:?}: a supplier's lead times come from a lead-times file or are imported (equitas import lead-times), and there are none"
        )
    } else {
        format!("{s:?} is not a supplier of {of} ({})", known.join(", "))
    };
    let param = "supplier".into();
    // Not in the imported data: what the data do not cover (409 from the
    // API); not in the file given: a bad value.
    Err(if imported {
        ServiceError::OutsideData { param, reason }
    } else {
        ServiceError::BadParameter { param, reason }
    })
}

/// True if the series' place and item are within `scope`: a caller's
/// answers are made from these series only, so that no count or name in
/// their notes reaches beyond the rows they may see.
fn within(scope: &Scope, s: &equitas_planning::series::DemandSeries) -> bool {
    scope.allows(&[
        (Dim::Location, Some(s.area.as_str())),
        (Dim::Product, Some(s.item.as_str())),
    ])
}

/// The forecasts of a request, with notes on what it asked for that they
/// leave out: series the method cannot fit, items without a series. With
/// items asked for and none found, the error names `item`.
struct Made {
    made: Vec<(
        equitas_planning::series::DemandSeries,
        equitas_planning::select::Choice,
    )>,
    last: calendar::MonthIndex,
    notes: Vec<String>,
}

fn forecasts(data: &StockData, r: &quantify::Request, scope: &Scope) -> Result<Made, ServiceError> {
    let f = quantify::forecasts(&data.ledger, &data.places, r, |x| within(scope, x))
        .map_err(|e| no_series(data, scope, r, e))?;
    // Items asked for whose series all lie outside the caller's scope: the
    // answer of items without data, so that a scope tells nothing of what
    // lies beyond it.
    if !r.items.is_empty() && f.made.is_empty() && f.unfitted.is_empty() && f.no_data.is_empty() {
        return Err(no_series(data, scope, r, quantify::Empty::NoSeries));
    }
    let mut notes = Vec::new();
    notes.extend(items_note(
        data,
        scope,
        r,
        f.made
            .iter()
            .map(|x| &x.0)
            .chain(&f.unfitted)
            .chain(&f.no_data),
    ));
    if !f.no_data.is_empty() {
        let first = f.last + 1 - r.history.max(1) as calendar::MonthIndex;
        let names: Vec<String> = f
            .no_data
            .iter()
            .map(|x| format!("{} at {}", x.item, x.area))
            .collect();
        notes.push(format!(
            "left out, no data recorded in their history ({} to {}): their demand is unknown, not 0 (an as-of month within their data forecasts them): {}",
            calendar::format_month(first),
            calendar::format_month(f.last),
            counted(&names, "series", "series")
        ));
    }
    if let (Some(m), n @ 1..) = (r.method, f.unfitted.len()) {
        notes.push(format!(
            "{n} series left out: {} needs at least {} months of history, and they have fewer{}",
            m.as_str(),
            m.min_length(&equitas_planning::models::ModelParams::default()),
            if f.made.is_empty() {
                "; the automatic choice (method auto) forecasts any series"
            } else {
                ""
            }
        ));
    }
    Ok(Made {
        made: f.made,
        last: f.last,
        notes,
    })
}

/// Plan inputs for a plan or a risk, with the notes of [`forecasts`] and on
/// what else the request gave that the plans leave out or change: pipeline
/// rows (of the file: the first `file_rows`) for no plan here or after the
/// horizon, bands moved, month 1 from a stock day within it, lead-time
/// rows for items the data lack (`lead_times_imported`: of the imported
/// list, only those of the items asked for), and (with `orders`) plans
/// needing an order that cannot arrive within the horizon.
fn quantified(
    data: &StockData,
    r: &quantify::Request,
    scope: &Scope,
    file_rows: usize,
    lead_times_imported: bool,
    orders: bool,
) -> Result<(Vec<Quantified>, calendar::MonthIndex, Vec<String>), ServiceError> {
    let Made {
        made,
        last,
        mut notes,
    } = forecasts(data, r, scope)?;
    let qs = quantify::quantify(&data.ledger, &data.places, &data.bands, r, made, last);
    let unused = quantify::pipeline_unused(
        &data.ledger,
        &data.places,
        &r.pipeline[..file_rows.min(r.pipeline.len())],
        &qs,
        last,
        r.horizon,
    );
    let rows = |ps: &[&quantify::Incoming]| -> Vec<String> {
        ps.iter()
            .map(|p| {
                format!(
                    "{} to {} in {}",
                    p.item,
                    p.to,
                    calendar::format_month(p.arrival)
                )
            })
            .collect()
    };
    // Rows for items not asked for are expected to go unused.
    let asked = |p: &&quantify::Incoming| asked_for(data, &r.items, &p.item);
    let known = |p: &&quantify::Incoming| data.places.resolve(&p.to).is_some();
    let (nowhere, unplanned): (Vec<&quantify::Incoming>, Vec<&quantify::Incoming>) = unused
        .unplanned
        .into_iter()
        .filter(asked)
        .partition(|p| !known(p));
    if !nowhere.is_empty() {
        notes.push(format!(
            "not counted, naming no location of the hierarchy (a location code or GLN): {}",
            counted(&rows(&nowhere), "pipeline row", "pipeline rows")
        ));
    }
    // An item the data do not hold is no plan's: said as such (a misspelt
    // code), not as a level without its place.
    let (unknown_item, unplanned): (Vec<&quantify::Incoming>, Vec<&quantify::Incoming>) = unplanned
        .into_iter()
        .partition(|p| data.ledger.names.item_id(&p.item).is_none());
    // Of those, an item of the catalogue without stock data yet is no
    // misspelt code.
    let catalogued = |p: &&quantify::Incoming| in_catalogue(data, &p.item).is_some();
    let (no_data, unknown): (Vec<&quantify::Incoming>, Vec<&quantify::Incoming>) =
        unknown_item.iter().copied().partition(catalogued);
    if !no_data.is_empty() {
        notes.push(format!(
            "not counted, their item in the catalogue with no stock data yet: {}",
            counted(&rows(&no_data), "pipeline row", "pipeline rows")
        ));
    }
    if !unknown.is_empty() {
        notes.push(format!(
            "not counted, naming no item of the data (a product code, trade item code or GTIN): {}",
            counted(&rows(&unknown), "pipeline row", "pipeline rows")
        ));
    }
    if !unplanned.is_empty() {
        notes.push(format!(
            "no plan here for {}: no item and place forecast at this level",
            counted(&rows(&unplanned), "pipeline row", "pipeline rows")
        ));
    }
    // Rows of the file already due: counted as arriving in month 1 (4.7).
    let due: Vec<&quantify::Incoming> = r.pipeline[..file_rows.min(r.pipeline.len())]
        .iter()
        .filter(|p| p.arrival <= last)
        .filter(asked)
        // Those for no plan here are named as such, above.
        .filter(|p| {
            !unplanned
                .iter()
                .chain(&unknown_item)
                .any(|u| std::ptr::eq(*u, *p))
        })
        .filter(known)
        .collect();
    if !due.is_empty() {
        notes.push(format!(
            "due by {} and not yet received, counted as arriving in {}: {}",
            calendar::format_month(last),
            calendar::format_month(last + 1),
            counted(&rows(&due), "pipeline row", "pipeline rows")
        ));
    }
    if !unused.beyond.is_empty() {
        notes.push(format!(
            "after the horizon ({}), not counted: {}",
            calendar::format_month(last + r.horizon as calendar::MonthIndex),
            counted(&rows(&unused.beyond), "pipeline row", "pipeline rows")
        ));
    }
    // Rows of the lead-times file for items the data do not hold (a
    // misspelt code would otherwise leave its item on the general lead time
    // without a word).
    // Of a file, every one (a typing error in it); of the imported list,
    // those of the items asked for, if any: a plan of one item is not told
    // of the rest of the list.
    let mut unknown: Vec<&str> = r
        .lead_times
        .iter()
        .map(|l| l.item.as_str())
        .filter(|i| !i.is_empty() && data.ledger.names.item_id(i).is_none())
        .filter(|i| !lead_times_imported || r.items.is_empty() || r.items.iter().any(|a| a == i))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        notes.push(format!(
            "lead times: no item {} in the data, so their rows apply to nothing",
            unknown.join(", ")
        ));
    }
    // Several rows for one item (its code or a GTIN of it) and supplier:
    // the shortest applies (routes), said.
    let mut rows: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for l in &r.lead_times {
        let item = data.ledger.names.catalogue.resolve(&l.item).0;
        // Of the items planned here, or every item.
        if item.is_empty() || qs.iter().any(|x| x.series.item == item) {
            *rows.entry((item, l.supplier.as_str())).or_default() += 1;
        }
    }
    let several: Vec<String> = rows
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((i, s), n)| {
            format!(
                "{n} rows for {} from {s}",
                if i.is_empty() { "every item" } else { i }
            )
        })
        .collect();
    if !several.is_empty() {
        notes.push(format!(
            "lead times: {}; the shortest of each applies",
            several.join(", ")
        ));
    }
    if !r.lead_times.is_empty() {
        let default: Vec<String> = qs.iter().filter(|x| x.lead.is_none()).map(named).collect();
        if !default.is_empty() {
            notes.push(format!(
                "{}: no lead time given{}, so the general lead time of {} months applies",
                counted(&default, "plan", "plans"),
                r.supplier
                    .as_deref()
                    .map_or(String::new(), |s| format!(" from {s}")),
                r.lead_time
            ));
        }
    }
    let widened: Vec<String> = qs.iter().filter(|x| x.band_widened).map(named).collect();
    if !widened.is_empty() {
        notes.push(format!(
            "minimum and maximum months of stock made equal, the one asked for lying beyond the other (asked for, or of the place's band), for {}",
            counted(&widened, "plan", "plans")
        ));
    }
    if let Some(day) = stock_day(data, r)
        && day > calendar::month_end(last)
    {
        notes.push(format!(
            "stock on hand is counted on {}, within {}: the use recorded since {} ended is added back to it, as {} is forecast whole",
            calendar::format_day(day),
            calendar::format_month(last + 1),
            calendar::format_month(last),
            calendar::format_month(last + 1),
        ));
    }
    if orders {
        // Plans that fall below their minimum while no order placed now
        // could arrive within the horizon.
        let stuck: Vec<&Quantified> = qs
            .iter()
            .filter(|x| x.input.lead_time >= r.horizon)
            .filter(|x| {
                equitas_planning::plan::plan(&x.input)
                    .0
                    .iter()
                    .any(|m| m.months_of_stock.is_some_and(|s| s < x.input.min_months))
            })
            .collect();
        if let Some(lead) = stuck.iter().map(|x| x.input.lead_time).min() {
            let names: Vec<String> = stuck.iter().map(|x| named(x)).collect();
            // The advice a user can follow: a horizon past the lead time,
            // within the longest there is.
            let advice = if lead < MAX_HORIZON {
                format!("ask for a horizon of more than {lead} months")
            } else {
                format!(
                    "no horizon reaches past it (at most {MAX_HORIZON} months): check the lead time"
                )
            };
            notes.push(format!(
                "below the minimum, but an order placed now would arrive after the horizon ({} months; lead time {lead} months or more), so none is suggested, for {}: {advice}",
                r.horizon,
                counted(&names, "plan", "plans")
            ));
        }
    }
    Ok((qs, last, notes))
}

/// Why there is nothing to forecast, as an error; with items asked for and
/// no series of them, naming `item`.
fn no_series(
    data: &StockData,
    scope: &Scope,
    r: &quantify::Request,
    e: quantify::Empty,
) -> ServiceError {
    match e {
        quantify::Empty::NoSeries if !r.items.is_empty() => ServiceError::OutsideData {
            param: "item".into(),
            reason: format!(
                "{}: no demand series at the {} level",
                r.items
                    .iter()
                    .map(|i| item_hint(data, scope, i))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.level.as_str()
            ),
        },
        e => nothing(e),
    }
}

/// A note naming the items asked for that have none of `series`.
fn items_note<'s>(
    data: &StockData,
    scope: &Scope,
    r: &quantify::Request,
    series: impl Iterator<Item = &'s equitas_planning::series::DemandSeries> + Clone,
) -> Option<String> {
    let missing = quantify::items_without_series(&data.ledger, &r.items, series);
    (!missing.is_empty()).then(|| {
        format!(
            "no demand series at the {} level for {}",
            r.level.as_str(),
            missing
                .iter()
                .map(|i| item_hint(data, scope, i))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// An item code as asked for, with why it is no GTIN where it has a
/// GTIN's length in digits but not its check digit, or why it has no data:
/// an item of the catalogue without stock data yet, or no such item (with
/// the code written otherwise, if one differs only in case) — a typing
/// error, not an item without data. Of the items within `scope` only: a
/// scoped caller learns nothing of the others.
fn item_hint(data: &StockData, scope: &Scope, code: &str) -> String {
    if let Some(hint) = unknown_item(data, scope, code) {
        return hint;
    }
    let names = &data.ledger.names;
    match names.item_id(code) {
        Some(id) if scope.allows(&[(Dim::Product, Some(names.items.name(id)))]) => code.to_string(),
        _ => format!("{code} (in the catalogue, with no stock data)"),
    }
}

/// An item code as asked for, with why, if it is neither an item of the
/// data nor of the catalogue within `scope`: not a GTIN (a wrong check
/// digit), or no such item (with the code it likely meant). `None` for a
/// known item.
pub(crate) fn unknown_item(data: &StockData, scope: &Scope, code: &str) -> Option<String> {
    if let Err(e @ equitas_gs1::Gs1Error::CheckDigit { .. }) = equitas_gs1::Gtin::parse(code) {
        return Some(format!("{code} (not a GTIN: {e})"));
    }
    let names = &data.ledger.names;
    let visible = |product: &str| scope.allows(&[(Dim::Product, Some(product))]);
    if let Some(id) = names.item_id(code)
        && visible(names.items.name(id))
    {
        return None;
    }
    if let Some(c) = in_catalogue(data, code)
        && visible(names.catalogue.resolve(&c).0)
    {
        return None;
    }
    let same = equitas_model::suggest::did_you_mean(
        code,
        (0..names.items.len() as u32)
            .map(|i| names.items.name(i))
            .filter(|i| !i.is_empty() && visible(i))
            .map(|i| (i, i)),
    );
    Some(match same {
        Some(i) => format!("{code} (no such item in the data; did you mean {i}?)"),
        None => format!("{code} (no such item in the data{})", within_scope(scope)),
    })
}

fn in_catalogue(data: &StockData, code: &str) -> Option<String> {
    let known = |c: &str| data.ledger.names.catalogue.name(c).is_some();
    if known(code) {
        Some(code.to_string())
    } else {
        equitas_gs1::Gtin::known_form(code, known)
    }
}

/// `one` or `many`, as `n` asks.
pub(crate) fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A plan's item and place, for notes.
fn named(x: &Quantified) -> String {
    format!("{} at {}", x.series.item, x.series.area)
}

/// "1 plan (SYN-001 at XSY)", "2 plans (…)": a count and what it counts,
/// at most 10 named.
fn counted(what: &[String], one: &str, many: &str) -> String {
    let shown: Vec<&str> = what.iter().take(10).map(String::as_str).collect();
    format!(
        "{} {} ({}{})",
        what.len(),
        if what.len() == 1 { one } else { many },
        shown.join(", "),
        if what.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    )
}

/// Why nothing was quantified, as an error: an as-of month outside the
/// data names the parameter (by its API name, as every error raised after
/// parsing: the command line shows `--as-of`).
fn nothing(e: quantify::Empty) -> ServiceError {
    if e.is_as_of() {
        ServiceError::OutsideData {
            param: "as_of".into(),
            reason: e.to_string(),
        }
    } else {
        ServiceError::missing(e.to_string())
    }
}

/// The lead time a plan uses, for its method line: of the lead-times
/// file, or (`imported`) as imported.
fn lead_time_text(q: &quantify::Request, imported: bool) -> String {
    let of = if imported {
        "as imported"
    } else {
        "from the lead-times file"
    };
    match (q.lead_times.is_empty(), &q.supplier) {
        (true, _) => format!("lead time {} months", q.lead_time),
        (false, Some(s)) => format!("lead times of {s} {of}, else {} months", q.lead_time),
        (false, None) => format!(
            "lead times {of} (the shortest supplier's), else {} months",
            q.lead_time
        ),
    }
}

/// The request's files named as the data name things: the pipeline's
/// places by their codes (a file may give a GLN) and both files' items by
/// the codes the data hold (a GTIN in any of its forms, 8 to 14 digits: a
/// spreadsheet drops the leading zero, 3.1).
fn named_as_the_data(data: &StockData, q: &mut quantify::Request) {
    let item = |code: &mut String| {
        if let Some(g) = equitas_gs1::Gtin::known_form(code, |c| {
            data.ledger.names.item_id_as_written(c).is_some()
        }) {
            *code = g;
        }
    };
    for p in &mut q.pipeline {
        if let Some(place) = data.places.resolve(&p.to) {
            p.to = place.code.clone();
        }
        item(&mut p.item);
    }
    for l in &mut q.lead_times {
        if !l.item.is_empty() {
            item(&mut l.item);
        }
    }
}

/// The shipments imported as the pipeline (`import pipeline`) to places
/// and of items within `scope`: a caller's plans, and notes, count no
/// other.
pub(crate) fn imported_within(data: &StockData, scope: &Scope) -> Vec<quantify::Incoming> {
    data.pipeline
        .iter()
        .filter(|p| {
            let item = data.ledger.names.catalogue.resolve(&p.item).0;
            scope.allows(&[(Dim::Product, Some(item))])
                && data
                    .places
                    .resolve(&p.to)
                    .is_some_and(|at| scope.allows(&[(Dim::Location, Some(&at.code))]))
        })
        .cloned()
        .collect()
}

/// The lead times imported (`import lead-times`) for every item or for an
/// item within `scope`: a caller's plans, notes and the suppliers a
/// refusal lists know no other.
fn lead_times_within(data: &StockData, scope: &Scope) -> Vec<equitas_planning::plan::LeadTime> {
    data.lead_times
        .iter()
        .filter(|l| {
            l.item.is_empty()
                || scope.allows(&[(
                    Dim::Product,
                    Some(data.ledger.names.catalogue.resolve(&l.item).0),
                )])
        })
        .cloned()
        .collect()
}

/// The request's quantification ([`named_as_the_data`]), its pipeline the
/// file's or the imported shipments within the caller's scope, with the
/// shipments in transit between the hierarchy's locations added after them
/// unless the request leaves them out; how many rows came before transit's;
/// and the shipments in transit too long overdue to count (4.7).
fn with_transit(
    ctx: &mut Ctx<'_>,
    r: &PlanningRequest,
) -> Result<(quantify::Request, usize, Vec<quantify::Incoming>), ServiceError> {
    let data = ctx.stock()?;
    let mut q = r.quantify.clone();
    if r.imported_pipeline {
        q.pipeline = imported_within(data, ctx.scope());
    }
    if r.imported_lead_times {
        q.lead_times = lead_times_within(data, ctx.scope());
        known_supplier(q.supplier.as_deref(), &q.lead_times, true)?;
    }
    named_as_the_data(data, &mut q);
    let rows = q.pipeline.len();
    let mut overdue = Vec::new();
    if r.transit
        && let Some(as_of) = stock_day(data, &r.quantify)
    {
        let t = data.in_transit(ctx.store, as_of)?;
        q.pipeline.extend(t.incoming);
        overdue = t.overdue;
    }
    Ok((q, rows, overdue))
}

/// The request as planned ([`with_transit`]) and the plan inputs of a plan
/// or a risk ([`quantified`]; `orders`: note plans needing an order that
/// cannot arrive in time), with every note on them: what the request left
/// out or changed, shipments long overdue, the series'.
fn planned(
    ctx: &mut Ctx<'_>,
    r: &PlanningRequest,
    orders: bool,
) -> Result<
    (
        quantify::Request,
        Vec<Quantified>,
        calendar::MonthIndex,
        Vec<String>,
    ),
    ServiceError,
> {
    let data = ctx.stock()?;
    has_stock(data)?;
    // The pipeline's rows, of its file or as imported (then transit's).
    let (q, rows, overdue) = with_transit(ctx, r)?;
    let mut notes = Vec::new();
    if r.imported_pipeline && rows > 0 {
        // The imported list is of now: a plan from an earlier month counts
        // what is known now, said.
        let earlier = q.as_of.filter(|&m| {
            equitas_planning::series::last_complete_month(&data.ledger).is_some_and(|l| m < l)
        });
        notes.push(format!(
            "pipeline: {rows} {} expected from suppliers, as imported (equitas import pipeline, POST /api/v1/imports/pipeline; a pipeline file given to the command line, --pipeline, replaces them){}",
            plural(rows, "shipment", "shipments"),
            earlier.map_or(String::new(), |m| format!(
                "; the list of now, not of {}: a plan from an earlier month counts the shipments known now",
                calendar::format_month(m)
            ))
        ));
    }
    if r.imported_lead_times && !q.lead_times.is_empty() {
        notes.push(format!(
            "lead times: {} {} by item and supplier, as imported (equitas import lead-times, POST /api/v1/imports/lead-times; a lead-times file given to the command line, --lead-times, or one lead time for all, lead_time, replaces them)",
            q.lead_times.len(),
            plural(q.lead_times.len(), "row", "rows")
        ));
    }
    let aside = if r.lead_time_asked {
        lead_times_within(data, ctx.scope()).len()
    } else {
        0
    };
    if aside > 0 {
        notes.push(format!(
            "lead times: the {aside} {} imported left aside, as one lead time for all was asked for ({} months)",
            plural(aside, "row", "rows"),
            q.lead_time
        ));
    }
    let (qs, last, more) = quantified(data, &q, ctx.scope(), rows, r.imported_lead_times, orders)?;
    notes.extend(more);
    notes.extend(overdue_note(data, &overdue, &qs, ctx.scope()));
    notes.extend(series_notes(qs.iter().map(|x| &x.series), last, q.level));
    notes.extend(passed_note(q.as_of, last, equitas_store::today()));
    Ok((q, qs, last, notes))
}

/// Month 1 is the month after the data's last complete month `last`
/// (formulas 4.7): when the data end earlier than last month and no
/// as-of month was asked for, month 1 has passed by `today`, and an order
/// shown in it can only be placed now, arriving later than shown: said.
fn passed_note(
    as_of: Option<calendar::MonthIndex>,
    last: calendar::MonthIndex,
    today: calendar::Day,
) -> Option<String> {
    let this = calendar::month_of(today);
    (as_of.is_none() && last + 1 < this).then(|| {
        format!(
            "month 1 is {} (the month after the data's last complete month, {}), which has passed (today is {}): \
             an order shown in a month passed can only be placed now, and arrives later than shown; \
             import the reports since for a plan from now",
            calendar::format_month(last + 1),
            calendar::format_month(last),
            calendar::format_day(today)
        )
    })
}

/// A note naming the shipments in transit too long overdue to count that
/// would have counted for one of the plans `qs` (none beyond them: a
/// caller's scope).
fn overdue_note(
    data: &StockData,
    overdue: &[quantify::Incoming],
    qs: &[Quantified],
    scope: &Scope,
) -> Option<String> {
    let named: Vec<String> = overdue
        .iter()
        .filter(|p| {
            let item = data.ledger.names.catalogue.resolve(&p.item).0;
            qs.iter()
                .any(|q| q.series.item == item && p.enters(&data.places, q.series.planned_at()))
        })
        .map(|p| {
            // Its source named only within the caller's scope.
            let from = p
                .from
                .as_deref()
                .filter(|f| scope.allows(&[(Dim::Location, Some(f))]))
                .unwrap_or("outside your scope");
            format!(
                "{} from {from} to {} due {}",
                p.item,
                p.to,
                calendar::format_month(p.arrival)
            )
        })
        .collect();
    (!named.is_empty()).then(|| {
        format!(
            "in transit but due more than {} days ago, so not counted (received without a receipt that names it, or lost: check): {}",
            quantify::OVERDUE_DAYS,
            counted(&named, "shipment", "shipments")
        )
    })
}

/// Months in order, a run of three or more consecutive ones written as its
/// first and last ("2024-01 to 2026-10, 2026-12"): 36 months imputed read
/// as one span, not 36 names.
fn month_runs(months: &[calendar::MonthIndex]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < months.len() {
        let mut end = k;
        while end + 1 < months.len() && months[end + 1] == months[end] + 1 {
            end += 1;
        }
        if end - k >= 2 {
            parts.push(format!(
                "{} to {}",
                calendar::format_month(months[k]),
                calendar::format_month(months[end])
            ));
        } else {
            parts.extend(months[k..=end].iter().map(|&m| calendar::format_month(m)));
        }
        k = end + 1;
    }
    parts.join(", ")
}

/// The notes on the series behind an answer: months imputed, named, and
/// series whose data end before the last month of the history (4.1).
fn series_notes<'a>(
    series: impl IntoIterator<Item = &'a equitas_planning::series::DemandSeries>,
    last: calendar::MonthIndex,
    level: equitas_model::LocationLevel,
) -> Vec<String> {
    use equitas_model::LocationLevel;
    // An area's month is imputed when any of its facilities' is.
    let imputed_word = match level {
        LocationLevel::Facility | LocationLevel::Warehouse => "imputed",
        _ => "imputed in part or whole (some facilities' values)",
    };
    /// Beyond this, the series left are counted in one last note.
    const MAX: usize = 50;
    let mut notes = Vec::new();
    let mut more = 0usize;
    // Stores: the area whose demand each is planned on, or its own issues
    // (4.1).
    let mut serves = std::collections::BTreeSet::new();
    let mut own: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for s in series {
        let imputed_word = match &s.served {
            Some(area) => {
                serves.insert(format!("{} for {area}", s.area));
                "imputed in part or whole (some facilities' values)"
            }
            None => {
                if let Some(why) = &s.own_why {
                    own.entry(format!("{} ({why})", s.area))
                        .or_default()
                        .push(&s.item);
                }
                imputed_word
            }
        };
        let mut said = Vec::new();
        let imputed: Vec<calendar::MonthIndex> = s
            .imputed
            .iter()
            .enumerate()
            .filter(|(_, i)| **i)
            .map(|(k, _)| s.first + k as calendar::MonthIndex)
            .collect();
        if !imputed.is_empty() {
            said.push(format!(
                "{} of {} months {imputed_word}: {}",
                imputed.len(),
                s.values.len(),
                month_runs(&imputed)
            ));
        }
        match s.last_reported {
            Some(m) if m < last => said.push(format!(
                "no data after {}, before the end of the history ({}): the months after are imputed",
                calendar::format_month(m),
                calendar::format_month(last),
            )),
            None => said.push("no data recorded in the history".into()),
            _ => {}
        }
        if said.is_empty() {
            continue;
        }
        if notes.len() == MAX {
            more += 1;
            continue;
        }
        notes.push(format!("{} at {}: {}", s.item, s.area, said.join("; ")));
    }
    if more > 0 {
        notes.push(format!(
            "and {more} more series with imputed months or data ending early"
        ));
    }
    if !serves.is_empty() {
        notes.push(format!(
            "stores planned as the area each serves, its facilities' demand and all the stock in it, against the bands of the tiers it holds (4.1): {}",
            serves.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !own.is_empty() {
        let said: Vec<String> = own
            .into_iter()
            .map(|(why, items)| format!("{why}: {}", items.join(", ")))
            .collect();
        notes.push(format!(
            "stores planned on their own issues and stock (4.1): {}",
            said.join("; ")
        ));
    }
    notes
}

/// The day stock figures are for, stated in the answer when an as-of month
/// was asked for.
fn as_of_day(data: &StockData, r: &quantify::Request) -> Option<calendar::Day> {
    r.as_of.and(stock_day(data, r))
}

/// The day stock on hand is counted on by a plan or a risk, always stated:
/// the end of the as-of month, else the last day with data (formulas 4.7).
fn stock_day(data: &StockData, r: &quantify::Request) -> Option<calendar::Day> {
    quantify::stock_day(&data.ledger, r.as_of)
}

fn period(last: calendar::MonthIndex, horizon: usize) -> String {
    format!(
        "{} to {}",
        calendar::format_month(last + 1),
        calendar::format_month(last + horizon as i32)
    )
}

/// `GET /api/v1/forecast`, `equitas forecast`.
pub struct Forecast;

/// One series' forecast.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ForecastRow {
    pub area: String,
    pub area_name: String,
    /// A store forecast as the area it serves (4.1): the area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served: Option<String>,
    pub item: String,
    /// The product's name, where the catalogue knows it.
    pub item_name: Option<String>,
    /// `YYYY-MM` of the first month of history.
    pub history_from: String,
    pub history: Vec<f64>,
    /// Months of the history whose value is imputed.
    pub imputed_months: usize,
    /// `YYYY-MM` of each month forecast.
    pub months: Vec<String>,
    pub forecast: Choice,
}

impl Operation for Forecast {
    type Request = quantify::Request;
    type Row = ForecastRow;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "area"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/forecast",
            "planning",
            "Demand forecasts with intervals and the reason for the method",
            "docs/formulas.md 4.1-4.5",
            forecast_params("12", false),
        )
    }

    fn request(a: &Args) -> Result<quantify::Request, ServiceError> {
        forecast_request(a)
    }

    fn run(ctx: &mut Ctx<'_>, r: &quantify::Request) -> Result<Answer<ForecastRow>, ServiceError> {
        let data = ctx.stock()?;
        has_stock(data)?;
        let f = forecasts(data, r, ctx.scope())?;
        let (q, last) = (f.made, f.last);
        let notes = series_notes(q.iter().map(|x| &x.0), last, r.level);
        let months: Vec<String> = (1..=r.horizon as i32)
            .map(|k| calendar::format_month(last + k))
            .collect();
        let rows = q
            .into_iter()
            .map(|(series, choice)| ForecastRow {
                imputed_months: series.imputed.iter().filter(|&&i| i).count(),
                area: series.area,
                area_name: series.area_name,
                served: series.served,
                item: series.item,
                item_name: series.item_name,
                history_from: series.first_month,
                history: series.values,
                months: months.clone(),
                forecast: choice,
            })
            .collect();
        let mut h = head(
            format!(
                "docs/formulas.md 4.1-4.5: monthly consumption adjusted for stockout days and reporting gaps (a store: the demand of the area it serves, 4.1); {}; 80% and 95% intervals from the rolling-origin errors, calibrated",
                if r.method.is_some() {
                    "method as asked"
                } else {
                    "per series the median of up to 3 models with the best rolling-origin accuracy, the mean of MASE and RMSSE relative to naive (up to 12 origins, as many as the series allows, x the horizon, at most 6 months; within 3 times the best and not told apart from it by the back-test; intermittent demand among 8 methods made for it; smooth and erratic demand TSB unless the back-test shows the chosen better by 3 standard errors; a falling trend held after the months back-tested)"
                }
            ),
            data,
            as_of_day(data, r),
        );
        h.extra
            .insert("period".into(), period(last, r.horizon).into());
        let mut a = Answer::new(h, rows);
        a.notes = f.notes;
        a.notes.extend(notes);
        Ok(a)
    }
}

/// `GET /api/v1/plan`, `equitas plan`.
pub struct Plan;

impl Operation for Plan {
    type Request = PlanningRequest;
    type Row = quantify::PlanResult;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "area"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        let mut p = quantify_params("18");
        p.push(unit_price());
        p.extend(plan_files());
        Endpoint::list(
            "/api/v1/plan",
            "planning",
            "Supply plans: projected stock and suggested orders",
            "docs/formulas.md 4.7",
            p,
        )
    }

    fn request(a: &Args) -> Result<PlanningRequest, ServiceError> {
        let mut r = plan_request(a)?;
        r.quantify.unit_price = a.get("unit_price")?;
        Ok(r)
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &PlanningRequest,
    ) -> Result<Answer<quantify::PlanResult>, ServiceError> {
        let data = ctx.stock()?;
        let (q, qs, last, notes) = planned(ctx, r, true)?;
        let rows = quantify::plans(&qs, last);
        let mut h = head(
            format!(
                "docs/formulas.md 4.7: stock on hand as lots with expiry, the demand forecast (4.4), pipeline shipments; an order arrives when a month would close below the minimum, bringing it to the maximum, and never sooner than its lead time after now; {}",
                lead_time_text(&q, r.imported_lead_times)
            ),
            data,
            stock_day(data, &q),
        );
        h.extra
            .insert("period".into(), period(last, q.horizon).into());
        let mut a = Answer::new(h, rows);
        a.notes = notes;
        Ok(a)
    }
}

/// Whether the imported row's item `row` is one of `asked` (any form of a
/// GTIN, or the product a trade item counts toward); nothing asked: every.
fn asked_for(data: &StockData, asked: &[String], row: &str) -> bool {
    asked.is_empty() || asked.iter().any(|a| same_item(data, a, row))
}

/// Whether two codes name the same item: as written, or as the data hold
/// it (any form of a GTIN, the product a trade item counts toward).
fn same_item(data: &StockData, a: &str, b: &str) -> bool {
    let names = &data.ledger.names;
    a == b
        || names
            .item_id(b)
            .is_some_and(|id| names.item_id(a) == Some(id))
}

/// The product name of an item as imported, where the catalogue knows it
/// (a GTIN in any of its forms).
fn item_name(data: &StockData, item: &str) -> Option<String> {
    let names = &data.ledger.names;
    names
        .item_id(item)
        .and_then(|i| names.item_name(i))
        .or_else(|| names.catalogue.name(item))
        .map(str::to_string)
}

/// " within your scope" for a caller whose scope is narrowed: an empty list
/// is said of what the caller may see, not of the whole.
fn within_scope(scope: &Scope) -> String {
    if scope.is_all() {
        String::new()
    } else {
        format!(" within your scope ({})", scope.label())
    }
}

/// `GET /api/v1/plan/lead-times`, `equitas plan lead-times`: the lead
/// times imported (4.7), as plans and risks use them.
pub struct LeadTimes;

pub struct LeadTimesRequest {
    pub items: Vec<String>,
    pub supplier: Option<String>,
}

/// One imported lead-time row (docs/formulas.md 4.7).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LeadTimeRow {
    /// The item as imported; `None`: every item this supplier has no row
    /// of its own for.
    pub item: Option<String>,
    /// The product's name, where the catalogue knows the item.
    pub name: Option<String>,
    pub supplier: String,
    pub order_months: f64,
    pub production_months: f64,
    pub transport_months: f64,
    pub receipt_months: f64,
    /// The four added up.
    pub total_months: f64,
    /// The whole months a plan counts: the total rounded up.
    pub months: usize,
}

impl Operation for LeadTimes {
    type Request = LeadTimesRequest;
    type Row = LeadTimeRow;
    const NEEDS: Needs = Needs::Stock;
    // A scoped caller reads the rows for every item and those of items
    // within the scope, as its plans use them.
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/plan/lead-times",
            "planning",
            "Lead times imported (equitas import lead-times), by item and supplier, as plans and risks use them",
            "docs/formulas.md 4.7",
            vec![
                Param::new(
                    "item",
                    Kind::List,
                    "Only the rows a plan of these items would use: theirs, and a supplier's row for every item where that supplier has none of its own (GTIN or product code).",
                ),
                Param::new("supplier", Kind::Text, "Only this supplier's rows."),
            ],
        )
    }

    fn request(a: &Args) -> Result<LeadTimesRequest, ServiceError> {
        Ok(LeadTimesRequest {
            items: a.list("item")?,
            supplier: a.get("supplier")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &LeadTimesRequest) -> Result<Answer<LeadTimeRow>, ServiceError> {
        let data = ctx.stock()?;
        let listed = lead_times_within(data, ctx.scope());
        // A supplier the list does not name is refused as plans refuse it.
        known_supplier(r.supplier.as_deref(), &listed, true)?;
        let none = listed.is_empty();
        // With items asked for, the rows a plan of one of them would use:
        // its own, and a supplier's row for every item where that supplier
        // has none of its own for one of them (4.7).
        let own = |supplier: &str, item: &str| {
            listed.iter().any(|l| {
                l.supplier == supplier && !l.item.is_empty() && same_item(data, item, &l.item)
            })
        };
        let applies = |l: &equitas_planning::plan::LeadTime| {
            if l.item.is_empty() {
                r.items.is_empty() || r.items.iter().any(|i| !own(&l.supplier, i))
            } else {
                asked_for(data, &r.items, &l.item)
            }
        };
        let rows: Vec<LeadTimeRow> = listed
            .iter()
            .filter(|l| r.supplier.as_ref().is_none_or(|s| *s == l.supplier))
            .filter(|l| applies(l))
            .cloned()
            .map(|l| LeadTimeRow {
                name: (!l.item.is_empty())
                    .then(|| item_name(data, &l.item))
                    .flatten(),
                item: (!l.item.is_empty()).then(|| l.item.clone()),
                total_months: l.total(),
                months: l.months(),
                supplier: l.supplier,
                order_months: l.order,
                production_months: l.production,
                transport_months: l.transport,
                receipt_months: l.receipt,
            })
            .collect();
        let mut a = Answer::new(
            head(
                "docs/formulas.md 4.7: the lead-times list imported last (equitas import lead-times), in its order; a plan uses, for each item, the row of the item and supplier, else the supplier's row for every item, the shortest where there are several, in whole months rounded up".into(),
                data,
                None,
            ),
            rows,
        );
        if none {
            a.notes.push(format!(
                "no lead times imported{}: plans use a lead-times file given to them, or the general lead time (equitas import lead-times FILE imports a list)",
                within_scope(ctx.scope())
            ));
        }
        Ok(a)
    }
}

/// `GET /api/v1/plan/pipeline`, `equitas plan pipeline`: the shipments
/// expected from suppliers, as imported (4.7).
pub struct Pipeline;

pub struct PipelineRequest {
    pub items: Vec<String>,
    pub within: Option<crate::param::Given>,
}

/// One imported pipeline shipment (docs/formulas.md 4.7).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PipelineRow {
    /// The item as imported.
    pub item: String,
    /// The product's name, where the catalogue knows the item.
    pub name: Option<String>,
    /// The location code it goes to.
    pub place: String,
    pub place_name: Option<String>,
    /// The month it arrives (YYYY-MM): at its start.
    pub arrival: String,
    pub quantity: f64,
}

impl Operation for Pipeline {
    type Request = PipelineRequest;
    type Row = PipelineRow;
    const NEEDS: Needs = Needs::Stock;
    // A scoped caller reads the shipments of items to places within the
    // scope, as its plans count them.
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/plan/pipeline",
            "planning",
            "Shipments expected from suppliers, as imported (equitas import pipeline), as plans and risks count them",
            "docs/formulas.md 4.7",
            vec![ITEM, crate::stock::WITHIN],
        )
    }

    fn request(a: &Args) -> Result<PipelineRequest, ServiceError> {
        Ok(PipelineRequest {
            items: a.list("item")?,
            within: a.named("within")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &PipelineRequest) -> Result<Answer<PipelineRow>, ServiceError> {
        let data = ctx.stock()?;
        let within = crate::stock::within(data, r.within.as_ref())?;
        let listed = imported_within(data, ctx.scope());
        let none = listed.is_empty();
        let rows: Vec<PipelineRow> = listed
            .into_iter()
            .filter(|p| asked_for(data, &r.items, &p.item))
            .filter_map(|p| {
                // A place imported by its GLN is its location (as plans
                // count it).
                let place = data.places.resolve(&p.to);
                let code = place.map_or(p.to.as_str(), |x| x.code.as_str());
                if within
                    .as_ref()
                    .is_some_and(|w| !data.places.is_within(code, w))
                {
                    return None;
                }
                Some(PipelineRow {
                    name: item_name(data, &p.item),
                    place: code.to_string(),
                    place_name: place.map(|x| x.name.clone()),
                    arrival: calendar::format_month(p.arrival),
                    quantity: p.quantity,
                    item: p.item,
                })
            })
            .collect();
        let mut a = Answer::new(
            head(
                "docs/formulas.md 4.7: the pipeline list imported last (equitas import pipeline), in its order; each shipment arrives at the start of its month; a plan counts it at the place it goes to and every area above".into(),
                data,
                None,
            ),
            rows,
        );
        if none {
            a.notes.push(format!(
                "no pipeline imported{}: plans count a pipeline file given to them, and the shipments in transit (equitas import pipeline FILE imports a list)",
                within_scope(ctx.scope())
            ));
        }
        Ok(a)
    }
}

/// `GET /api/v1/risk`, `equitas risk`.
pub struct Risk;

pub struct RiskRequest {
    pub plan: PlanningRequest,
    pub paths: usize,
    pub seed: u64,
    pub with_orders: bool,
}

impl Operation for Risk {
    type Request = RiskRequest;
    type Row = quantify::RiskResult;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "area"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        let mut p = vec![
            Param::new(
                "paths",
                Kind::Int {
                    min: 1,
                    max: 10_000,
                },
                "Monte Carlo paths.",
            )
            .default("1000"),
            Param::new(
                "seed",
                Kind::Int {
                    min: 0,
                    max: i32::MAX as i64,
                },
                "Random seed.",
            )
            .default("1"),
            Param::new(
                "without_orders",
                Kind::Bool,
                "Plan as is, without the suggested orders (the risk if nothing is ordered).",
            ),
        ];
        p.extend(quantify_params("18"));
        p.extend(plan_files());
        Endpoint::list(
            "/api/v1/risk",
            "planning",
            "Probability of a stockout in each month, highest risk first",
            "docs/formulas.md 4.8",
            p,
        )
    }

    fn request(a: &Args) -> Result<RiskRequest, ServiceError> {
        Ok(RiskRequest {
            plan: plan_request(a)?,
            paths: a.value("paths")?,
            seed: a.value("seed")?,
            with_orders: !a.flag("without_orders")?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &RiskRequest,
    ) -> Result<Answer<quantify::RiskResult>, ServiceError> {
        let data = ctx.stock()?;
        let (q, qs, last, notes) = planned(ctx, &r.plan, r.with_orders)?;
        let delays = equitas_store::market::delivery_delays_months(ctx.store)?;
        let rows = quantify::risks(&qs, last, &delays, r.paths, r.seed, r.with_orders);
        let mut h = head(
            format!(
                "docs/formulas.md 4.8: {} Monte Carlo paths (seed {}), demand drawn around the forecast, {}; {}",
                r.paths,
                r.seed,
                if delays.is_empty() {
                    "no delivery delays known (deliveries on time)".to_string()
                } else {
                    format!(
                        "deliveries delayed as {} observed procurement deliveries",
                        delays.len()
                    )
                },
                if r.with_orders {
                    "with the suggested orders of the supply plan (4.7)"
                } else {
                    "without the suggested orders"
                }
            ),
            data,
            stock_day(data, &q),
        );
        h.extra
            .insert("period".into(), period(last, q.horizon).into());
        let mut a = Answer::new(h, rows);
        a.notes = notes;
        Ok(a)
    }
}

/// `GET /api/v1/forecast/accuracy`, `equitas forecast accuracy`.
pub struct ForecastAccuracy;

pub struct AccuracyRequest {
    pub series: quantify::Request,
    pub holdout: usize,
}

impl Operation for ForecastAccuracy {
    type Request = AccuracyRequest;
    type Row = accuracy::AccuracyRow;
    const NEEDS: Needs = Needs::Stock;
    /// Scored on the series within the caller's scope only.
    const SCOPING: Scoping = Scoping::Inputs;

    fn endpoint() -> Endpoint {
        let mut p = series_params(false);
        p.push(
            Param::new(
                "holdout",
                Kind::Int { min: 1, max: 24 },
                "Months held out at the end of each series.",
            )
            .default("6"),
        );
        Endpoint::list(
            "/api/v1/forecast/accuracy",
            "planning",
            "Accuracy of every model and of the automatic choice on the last months of each series (MASE, RMSSE, coverage of the 80% and 95% intervals), against the naive and moving-average baselines",
            "docs/formulas.md 4.3, 4.6",
            p,
        )
    }

    fn request(a: &Args) -> Result<AccuracyRequest, ServiceError> {
        Ok(AccuracyRequest {
            series: series_request(a)?,
            holdout: a.value("holdout")?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &AccuracyRequest,
    ) -> Result<Answer<accuracy::AccuracyRow>, ServiceError> {
        let data = ctx.stock()?;
        has_stock(data)?;
        let s = &r.series;
        let scope = ctx.scope();
        let (series, last) = quantify::series(
            &data.ledger,
            &data.places,
            s.level,
            &s.items,
            s.history,
            s.as_of,
            &|x| within(scope, x),
        )
        .map_err(|e| no_series(data, scope, s, e))?;
        let mut notes: Vec<String> = Vec::new();
        if !scope.is_all() {
            notes.push(format!("Only series within your scope: {}.", scope.label()));
        }
        notes.extend(items_note(data, scope, s, series.iter()));
        let input: Vec<(&[f64], &[bool])> = series
            .iter()
            .map(|x| (x.values.as_slice(), x.unobserved.as_slice()))
            .collect();
        let report = accuracy::report(&input, r.holdout, &Evaluation::default());
        let total = series.len();
        if report.too_short > 0 {
            notes.push(format!(
                "{} of {total} series not scored: shorter than the {} held-out months + {} to fit on (a longer history, or fewer months held out)",
                report.too_short,
                r.holdout,
                accuracy::MIN_TRAINING
            ));
        }
        if report.unobserved > 0 {
            notes.push(format!(
                "{} of {total} series not scored: every held-out month is imputed wholly, nothing observed to compare with",
                report.unobserved
            ));
        }
        if report.unobserved_months > 0 {
            notes.push(format!(
                "{} held-out months imputed wholly left out of the scores (only months with observed values are compared)",
                report.unobserved_months
            ));
        }
        // Models fitted on fewer series than were scored: too short for
        // them (Holt-Winters needs two seasons), said with what they need.
        let scored = report
            .rows
            .iter()
            .find(|x| x.method == "auto")
            .map_or(0, |x| x.series);
        let params = Evaluation::default().params;
        let fewer: Vec<String> = report
            .rows
            .iter()
            .filter(|x| x.series < scored)
            .filter_map(|x| {
                let m = Method::from_name(&x.method)?;
                Some(format!(
                    "{} on {} (it needs {} months before the held-out ones)",
                    x.method,
                    x.series,
                    m.min_length(&params)
                ))
            })
            .collect();
        if !fewer.is_empty() {
            notes.push(format!(
                "models scored on fewer of the {scored} series, too short for them or not fitted: {}",
                fewer.join(", ")
            ));
        }
        // What the report left out first, then the series' own notes.
        notes.extend(series_notes(&series, last, s.level));
        let rows = report.rows;
        let mut h = head(
            format!(
                "docs/formulas.md 4.3 and 4.6: each series' last {} months held out; models fitted to the months before; auto = the rolling-origin choice made on those months only",
                r.holdout
            ),
            data,
            as_of_day(data, s),
        );
        h.extra.insert("series".into(), total.into());
        let mut a = Answer::new(h, rows);
        a.notes = notes;
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Month 1 passed is said only when no as-of month was asked for,
    /// and the data end before last month (formulas 4.7).
    #[test]
    fn month_one_passed_is_said() {
        let m = |s: &str| calendar::parse_month(s).unwrap();
        let d = |s: &str| calendar::parse_day(s).unwrap();
        let note = passed_note(None, m("2026-10"), d("2026-12-07")).unwrap();
        assert!(
            note.starts_with("month 1 is 2026-11 (the month after the data's last complete month, 2026-10), which has passed (today is 2026-12-07)"),
            "{note}"
        );
        // November ended: month 1 is December, this month.
        assert_eq!(passed_note(None, m("2026-11"), d("2026-12-07")), None);
        assert_eq!(
            passed_note(Some(m("2026-10")), m("2026-10"), d("2026-12-07")),
            None
        );
    }

    #[test]
    fn months_in_runs_read_as_spans() {
        let m = |s: &str| calendar::parse_month(s).unwrap();
        let months: Vec<calendar::MonthIndex> = [
            "2024-01", "2024-02", "2024-03", "2024-05", "2024-06", "2025-01",
        ]
        .iter()
        .map(|s| m(s))
        .collect();
        assert_eq!(
            month_runs(&months),
            "2024-01 to 2024-03, 2024-05, 2024-06, 2025-01"
        );
        assert_eq!(month_runs(&[]), "");
    }
}
