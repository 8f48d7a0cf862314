//! Stock operations: the figures of the stock ledger (docs/formulas.md 3).

use crate::error::ServiceError;
use crate::op::{Answer, Ctx, Dim, Endpoint, Head, Needs, Operation, Scoping};
use crate::param::{Args, Given, Kind, Param};
use crate::vocab;
use equitas_ledger::calendar::{self, Day};
use equitas_ledger::indicators::Status;
use equitas_ledger::view;
use equitas_model::LocationLevel;
use equitas_store::stock::StockData;
use serde::Serialize;

pub(crate) const WITHIN: Param = Param::new(
    "within",
    Kind::Text,
    "Only this location and those below it: its code or GLN.",
);
pub(crate) const ITEM: Param = Param::new(
    "item",
    Kind::List,
    "Only these items: GTIN or product code.",
);
const AS_OF: Param = Param::new(
    "as_of",
    Kind::Day,
    "Stock at the end of this day, or of this month's last day if a month YYYY-MM is given (default: the last day with data).",
);

pub(crate) fn level(doc: &'static str) -> Param {
    Param::new("level", Kind::OneOf(vocab::levels()), doc)
}

/// Refuses items neither the data nor the catalogue hold, naming each with
/// the code it likely meant (a typing error is not an item without stock:
/// until 2026-12-08 it was left out without a word).
fn known_items(ctx: &Ctx<'_>, data: &StockData, items: &[String]) -> Result<(), ServiceError> {
    let unknown: Vec<String> = items
        .iter()
        .filter_map(|i| crate::planning::unknown_item(data, ctx.scope(), i))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ServiceError::OutsideData {
        param: "item".into(),
        reason: unknown.join(", "),
    })
}

/// Refuses to answer from an empty ledger.
pub(crate) fn has_stock(data: &StockData) -> Result<(), ServiceError> {
    if data.ledger.through().is_none() {
        return Err(ServiceError::missing(
            "no stock data: capture EPCIS events (equitas epcis capture, POST /capture) or import stock reports",
        ));
    }
    Ok(())
}

/// The head of a stock answer: the method, the day and the movements behind it.
pub(crate) fn head(method: String, data: &StockData, as_of: Option<Day>) -> Head {
    Head {
        method: Some(method),
        as_of: as_of.or(data.ledger.through()).map(calendar::format_day),
        movements: Some(data.ledger.movement_count()),
        ..Head::default()
    }
}

/// `GET /api/v1/stock`, `equitas stock`.
pub struct Stock;

/// What `stock` asks for; `within` as given (resolved against the places when run).
pub struct StockRequest {
    pub query: view::StockQuery,
    pub within: Option<Given>,
}

impl Operation for Stock {
    type Request = StockRequest;
    type Row = view::StockRow;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "location"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/stock",
            "stock",
            "Stock on hand, AMC, months of stock, status, stockout days and expiry risk",
            "docs/formulas.md 3.2-3.8",
            vec![
                AS_OF,
                level(
                    "Rows for places of this level; areas add up the locations in them (default: every location holding stock).",
                ),
                WITHIN,
                ITEM,
                Param::new(
                    "status",
                    Kind::ListOf(vocab::statuses()),
                    "Only rows with these statuses.",
                ),
                Param::new(
                    "window",
                    Kind::Int { min: 1, max: 24 },
                    "Complete months averaged for the AMC.",
                )
                .default("3"),
                Param::new(
                    "horizon",
                    Kind::Int { min: 0, max: 60 },
                    "Expiry horizon in months.",
                )
                .default("3"),
            ],
        )
    }

    fn request(a: &Args) -> Result<StockRequest, ServiceError> {
        let statuses = a
            .list::<String>("status")?
            .iter()
            .map(|s| {
                Status::from_name(s)
                    .ok_or_else(|| a.bad("status", format!("{s:?} is not a status")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StockRequest {
            query: view::StockQuery {
                as_of: a.day("as_of")?,
                window: a.value("window")?,
                horizon: a.value("horizon")?,
                within: None,
                level: a.get::<LocationLevel>("level")?,
                items: a.list("item")?,
                statuses,
            },
            within: a.named("within")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &StockRequest) -> Result<Answer<view::StockRow>, ServiceError> {
        let data = ctx.stock()?;
        has_stock(data)?;
        known_items(ctx, data, &r.query.items)?;
        let mut q = r.query.clone();
        q.within = within(data, r.within.as_ref())?;
        let mut rows = view::stock(&data.ledger, &data.places, &data.bands, &q);
        crate::op::keep_within(ctx, Self::SCOPING, &mut rows);
        let method = format!(
            "docs/formulas.md 3.2-3.8: stock on hand at the end of the day; AMC = mean consumption of the last {} complete months (the as-of month if it ends on the as-of date), adjusted for stockout days (a store's issues as they are), leaving out months out of stock all month and months with nothing recorded at the place for any item (reporting gaps); stockout days of the as-of month so far; MOS = SOH / AMC; status against the min-max band of the tier; expiring within {} months, at risk if used first-expiry-first-out at the AMC",
            q.window, q.horizon
        );
        let mut a = Answer::new(head(method, data, q.as_of), rows);
        if a.rows.is_empty() {
            a.notes.push(empty_note(data, q.as_of));
        }
        if let Some(n) = unreported_note(&a.rows) {
            a.notes.push(n);
        }
        if a.rows.iter().any(|r| r.level == "warehouse") {
            a.notes.push(
                "stores: their own stock, AMC from their own issues and months of stock on them (3.5-3.6); their forecasts, plans and risks (plan --level warehouse) are those of the area each serves: its demand, all the stock in it and the bands of its tiers (4.1)"
                    .into(),
            );
        }
        Ok(a)
    }
}

/// Which rows' AMC leave out months with nothing recorded (3.5): a place
/// that has not yet reported the last month is averaged over the months it
/// did report, not given a month of no use.
fn unreported_note(rows: &[view::StockRow]) -> Option<String> {
    const NAMED: usize = 5;
    let gaps: Vec<&view::StockRow> = rows.iter().filter(|r| r.months_unreported > 0).collect();
    if gaps.is_empty() {
        return None;
    }
    let named: Vec<String> = gaps
        .iter()
        .take(NAMED)
        .map(|r| {
            let n = r.months_unreported;
            let area = matches!(r.level.as_str(), "country" | "region" | "district");
            let months = match (n, area) {
                (1, false) => "1 month".to_string(),
                (_, false) => format!("{n} months"),
                (1, true) => "1 month of a location in it".to_string(),
                (_, true) => format!("{n} months of its locations"),
            };
            format!("{} at {} ({months})", r.item, r.location_name)
        })
        .collect();
    let more = match gaps.len().saturating_sub(NAMED) {
        0 => String::new(),
        k => format!(" and {k} more"),
    };
    Some(format!(
        "{} of {} rows average their AMC without months in which nothing was recorded at the place, for any item (reporting gaps, formulas 3.5; column months_unreported, for an area summed over its locations): {}{more}",
        gaps.len(),
        rows.len(),
        named.join(", ")
    ))
}

/// Why an answer has no rows, when the day asked for is outside the data.
pub(crate) fn empty_note(data: &StockData, as_of: Option<Day>) -> String {
    let first = data
        .ledger
        .item_keys()
        .filter_map(|(l, i)| data.ledger.series(l, i))
        .map(|s| s.first_day)
        .min();
    match (as_of, first, data.ledger.through()) {
        (Some(d), Some(f), Some(t)) if d < f => format!(
            "No rows: {} is before the first movement ({}); the data runs from {} to {}.",
            calendar::format_day(d),
            calendar::format_day(f),
            calendar::format_day(f),
            calendar::format_day(t)
        ),
        (Some(d), Some(f), Some(t)) if d > t => format!(
            "No rows: {} is after the last day with data; the data runs from {} to {}.",
            calendar::format_day(d),
            calendar::format_day(f),
            calendar::format_day(t)
        ),
        _ => "No rows match the filters given.".to_string(),
    }
}

/// A location given by code or GLN, as its code; unknown: not found.
pub(crate) fn within(
    data: &StockData,
    given: Option<&Given>,
) -> Result<Option<String>, ServiceError> {
    match given {
        None => Ok(None),
        Some(g) => vocab::find_place(data, &g.value).map(Some).ok_or_else(|| {
            ServiceError::Unknown {
                param: g.param.clone(),
                reason: format!(
                    "{:?}: no such location (give a location code or GLN; `equitas stock` or GET /api/v1/locations lists them)",
                    g.value
                ),
            }
        }),
    }
}

/// `GET /api/v1/stock/lots`, `equitas stock lots`.
pub struct StockLots;

pub struct LotsRequest {
    pub within: Option<Given>,
    pub items: Vec<String>,
    pub as_of: Option<Day>,
    pub expiring: Option<i32>,
}

impl Operation for StockLots {
    type Request = LotsRequest;
    type Row = view::LotRow;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "location"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/stock/lots",
            "stock",
            "Lots on hand with their expiry, first expiry first",
            "docs/formulas.md 3.2, 3.8",
            vec![
                WITHIN,
                ITEM,
                AS_OF,
                Param::new(
                    "expiring",
                    Kind::Int { min: 0, max: 600 },
                    "Only lots expiring within this many months (expired ones included).",
                ),
            ],
        )
    }

    fn request(a: &Args) -> Result<LotsRequest, ServiceError> {
        Ok(LotsRequest {
            within: a.named("within")?,
            items: a.list("item")?,
            as_of: a.day("as_of")?,
            expiring: a.get("expiring")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &LotsRequest) -> Result<Answer<view::LotRow>, ServiceError> {
        let data = ctx.stock()?;
        has_stock(data)?;
        known_items(ctx, data, &r.items)?;
        let within = within(data, r.within.as_ref())?;
        let rows = view::lots(
            &data.ledger,
            &data.places,
            within.as_deref(),
            &r.items,
            r.as_of,
            r.expiring,
        );
        let note = rows.is_empty().then(|| empty_note(data, r.as_of));
        let mut a = Answer::new(
            head(
                "docs/formulas.md 3.2 and 3.8: each lot's balance at the end of the day; expiry as stated by the EPCIS ILMD".into(),
                data,
                r.as_of,
            ),
            rows,
        );
        a.notes.extend(note);
        Ok(a)
    }
}

/// `GET /api/v1/stock/problems`, `equitas stock problems`.
pub struct StockProblems;

impl Operation for StockProblems {
    type Request = Option<Given>;
    type Row = view::ProblemRow;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "location"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/stock/problems",
            "stock",
            "Data problems in the ledger, with the events involved",
            "docs/formulas.md 3.10",
            vec![WITHIN],
        )
    }

    fn request(a: &Args) -> Result<Option<Given>, ServiceError> {
        a.named("within")
    }

    fn run(ctx: &mut Ctx<'_>, r: &Option<Given>) -> Result<Answer<view::ProblemRow>, ServiceError> {
        let data = ctx.stock()?;
        has_stock(data)?;
        let within = within(data, r.as_ref())?;
        let mut rows = view::problems(&data.ledger, &data.places, within.as_deref());
        let sources: Vec<equitas_ledger::Source> = rows
            .iter()
            .flat_map(|r| r.sources.iter().map(view::SourceRow::source))
            .collect();
        let names = equitas_store::stock::source_names(ctx.store, &sources)?;
        view::name_sources(&mut rows, &names);
        Ok(Answer::new(
            head(
                "docs/formulas.md 3.10; sources are captured events, named by their event ID (GET /events?EQ_eventID=ID, equitas epcis query --event-id ID), and stock report rows, named by their month".into(),
                data,
                None,
            ),
            rows,
        ))
    }
}

/// `GET /api/v1/items`: the ledger's items, named from the catalogue.
pub struct Items;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ItemRow {
    pub item: String,
    pub name: Option<String>,
    pub product: Option<String>,
    pub programme: Option<String>,
    pub category: Option<String>,
}

impl Operation for Items {
    type Request = Option<String>;
    type Row = ItemRow;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Public;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/items",
            "stock",
            "Items of the stock ledger with their product, name and programme",
            "",
            vec![Param::new(
                "programme",
                Kind::OneOf(crate::vocab::programmes()),
                "Only items of this programme.",
            )],
        )
    }

    fn request(a: &Args) -> Result<Option<String>, ServiceError> {
        a.get("programme")
    }

    fn run(ctx: &mut Ctx<'_>, programme: &Option<String>) -> Result<Answer<ItemRow>, ServiceError> {
        let data = ctx.stock()?;
        let rows = data
            .items()
            .into_iter()
            .filter(|(_, info)| match programme {
                None => true,
                Some(want) => info.and_then(|i| i.programme.as_deref()) == Some(want.as_str()),
            })
            .map(|(code, info)| ItemRow {
                item: code.to_string(),
                name: info.map(|i| i.name.clone()),
                product: info.map(|i| i.product.clone()),
                programme: info.and_then(|i| i.programme.clone()),
                category: info.map(|i| i.category.clone()),
            })
            .collect();
        Ok(Answer::new(head(String::new(), data, None), rows))
    }
}

/// `GET /api/v1/locations`: places with their parent and level.
pub struct Locations;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LocationRow {
    pub code: String,
    pub name: String,
    pub level: Option<&'static str>,
    pub parent: Option<String>,
    pub gln: Option<String>,
}

pub struct LocationsRequest {
    pub within: Option<Given>,
    pub level: Option<LocationLevel>,
}

impl Operation for Locations {
    type Request = LocationsRequest;
    type Row = LocationRow;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "code")]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/locations",
            "stock",
            "Locations of the hierarchy and of the ledger, with their parents",
            "",
            vec![WITHIN, level("Only places of this level.")],
        )
    }

    fn request(a: &Args) -> Result<LocationsRequest, ServiceError> {
        Ok(LocationsRequest {
            within: a.named("within")?,
            level: a.get("level")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &LocationsRequest) -> Result<Answer<LocationRow>, ServiceError> {
        let data = ctx.stock()?;
        let within = within(data, r.within.as_ref())?;
        let rows = data
            .places
            .list
            .iter()
            .filter(|pl| r.level.is_none() || pl.level == r.level)
            .filter(|pl| {
                within
                    .as_deref()
                    .is_none_or(|w| data.places.is_within(&pl.code, w))
            })
            .map(|pl| LocationRow {
                code: pl.code.clone(),
                name: pl.name.clone(),
                level: pl.level.map(|l| l.as_str()),
                parent: pl.parent.clone(),
                gln: pl.gln.clone(),
            })
            .collect();
        Ok(Answer::new(head(String::new(), data, None), rows))
    }
}

/// `GET /api/v1/availability`, `equitas availability`.
pub struct Availability;

pub struct AvailabilityRequest {
    pub by: LocationLevel,
    pub items: Vec<String>,
    pub basket: bool,
    pub date: Option<Day>,
    pub months: u32,
}

impl Operation for Availability {
    type Request = AvailabilityRequest;
    type Row = view::AvailabilityRow;
    const NEEDS: Needs = Needs::Stock;
    const SCOPING: Scoping = Scoping::Rows(&[(Dim::Location, "area"), (Dim::Product, "item")]);

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/availability",
            "stock",
            "Share of facilities with each item (or a basket) in stock, by area",
            "docs/formulas.md 3.9",
            vec![
                Param::new(
                    "by",
                    Kind::OneOf(vocab::levels()),
                    "Group facilities by this level.",
                )
                .default("country"),
                Param::new(
                    "item",
                    Kind::List,
                    "Only these items: GTIN or product code; with basket, the tracer items.",
                ),
                Param::new(
                    "basket",
                    Kind::Bool,
                    "One availability for the items together (every item if none is given): the mean over facilities of the share of the items each has in stock (WHO SARA).",
                ),
                Param::new(
                    "date",
                    Kind::Day,
                    "The date, or a month YYYY-MM for its last day (default: the last day with data).",
                ),
                Param::new(
                    "months",
                    Kind::Int { min: 1, max: 120 },
                    "A trend of N months: N dates ending at the date, the last day of each of the N-1 months before it, then the date.",
                )
                .default("1"),
            ],
        )
    }

    fn request(a: &Args) -> Result<AvailabilityRequest, ServiceError> {
        Ok(AvailabilityRequest {
            by: a.value("by")?,
            items: a.list("item")?,
            basket: a.flag("basket")?,
            date: a.day("date")?,
            months: a.value("months")?,
        })
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &AvailabilityRequest,
    ) -> Result<Answer<view::AvailabilityRow>, ServiceError> {
        let data = ctx.stock()?;
        has_stock(data)?;
        known_items(ctx, data, &r.items)?;
        let last = r.date.or(data.ledger.through()).unwrap_or_default();
        let dates = view::availability_dates(last, r.months);
        let rows = view::availability(&data.ledger, &data.places, r.by, &r.items, r.basket, &dates);
        let mut h = head(
            "docs/formulas.md 3.9: facilities with stock on hand > 0 at the end of the day / facilities managing the item; basket: mean over facilities of the share of tracer items in stock (WHO SARA)".into(),
            data,
            Some(last),
        );
        h.extra.insert("dates".into(), dates.len().into());
        Ok(Answer::new(h, rows))
    }
}
