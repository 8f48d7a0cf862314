//! `equitas stock` (and `stock lots`, `stock problems`) and `equitas
//! availability`: the operations of `equitas_service::stock`, printed.

use crate::op_args::{OpArgs, run};
use crate::output::{Cell, Output, Report};
use anyhow::Result;
use clap::Subcommand;
use equitas_service::Head;
use equitas_service::stock::{Availability, Stock, StockLots, StockProblems};
use equitas_store::Store;

#[derive(Subcommand, Debug, Clone)]
pub enum StockCommand {
    /// Lots on hand with their expiry dates, first expiry first.
    #[command(
        after_help = "Examples:\n  equitas stock lots --within R01D01F0001\n  equitas stock lots --expiring 3 --format csv > expiring.csv"
    )]
    Lots {
        #[command(flatten)]
        args: OpArgs<StockLots>,
        #[command(flatten)]
        out: Output,
    },
    /// Data problems found in the ledger: negative balances, issues before
    /// any receipt, counts that contradict the ledger, possible duplicates,
    /// implausible quantities (not finite, negative, or above 1e9 units in
    /// one movement: left out of the stock figures), movements at
    /// locations the hierarchy does not hold (in no area's totals) and of
    /// items the catalogue does not hold (in no product's), and lots
    /// counted beside stock of no lot, each with the events or report rows
    /// involved.
    #[command(
        after_help = "Examples:\n  equitas stock problems\n  equitas stock problems --within R01 --format csv"
    )]
    Problems {
        #[command(flatten)]
        args: OpArgs<StockProblems>,
        #[command(flatten)]
        out: Output,
    },
}

/// "as of DAY", or why there is no day.
pub(crate) fn period_of(h: &Head) -> String {
    match &h.as_of {
        Some(d) => format!("as of {d}"),
        None => "no stock data".into(),
    }
}

pub fn stock(store: &mut dyn Store, args: &OpArgs<Stock>, out: &Output) -> Result<()> {
    let a = run(store, args, "")?;
    let table = a
        .rows
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
                    .map_or(Cell::Maybe(None), |d| Cell::Int(d.into())),
                Cell::Num(Some(r.expiring), 0),
                Cell::Num(Some(r.at_risk), 0),
                Cell::Num(Some(r.expired), 0),
                Cell::Int(r.problems as i64),
                Cell::Int(r.months_unreported.into()),
            ]
        })
        .collect();
    Report::answer(
        &a,
        "Stock on hand, months of stock and status",
        period_of(&a.head),
        (a.head.movements.unwrap_or(0), "movements"),
        vec![
            "location",
            "name",
            "item",
            "product",
            "soh",
            "amc",
            "mos",
            "status",
            "band",
            "so_days",
            "expiring",
            "at_risk",
            "expired",
            "problems",
            "months_unreported",
        ],
        table,
    )
    .print(out)
}

pub fn lots(store: &mut dyn Store, args: &OpArgs<StockLots>, out: &Output) -> Result<()> {
    let a = run(store, args, "")?;
    let table = a
        .rows
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
                Cell::Maybe(r.expiry.clone()),
                r.days_to_expiry
                    .map_or(Cell::Maybe(None), |d| Cell::Int(d.into())),
            ]
        })
        .collect();
    Report::answer(
        &a,
        "Lots on hand",
        period_of(&a.head),
        (a.head.movements.unwrap_or(0), "movements"),
        vec![
            "location",
            "item",
            "product",
            "lot",
            "quantity",
            "expiry",
            "days_left",
        ],
        table,
    )
    .print(out)
}

pub fn problems(store: &mut dyn Store, args: &OpArgs<StockProblems>, out: &Output) -> Result<()> {
    let a = run(store, args, "")?;
    let table = a
        .rows
        .iter()
        .map(|r| {
            let sources: Vec<String> = r
                .sources
                .iter()
                .map(|s| format!("{} {}", s.kind.as_str(), s.name))
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
    Report::answer(
        &a,
        "Data problems in the stock ledger",
        period_of(&a.head),
        (a.head.movements.unwrap_or(0), "movements"),
        vec![
            "problem", "location", "item", "lot", "at", "expected", "found", "sources",
        ],
        table,
    )
    .print(out)
}

pub fn availability(
    store: &mut dyn Store,
    args: &OpArgs<Availability>,
    out: &Output,
) -> Result<()> {
    let a = run(store, args, "")?;
    let table = a
        .rows
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
    let dates = a
        .head
        .extra
        .get("dates")
        .and_then(|v| v.as_u64())
        .unwrap_or(1);
    Report::answer(
        &a,
        "Availability: share of facilities with the item in stock",
        format!(
            "{dates} date(s) to {}",
            a.head.as_of.as_deref().unwrap_or("-")
        ),
        (a.head.movements.unwrap_or(0), "movements"),
        vec![
            "area",
            "name",
            "item",
            "product",
            "date",
            "facilities",
            "in_stock",
            "availability",
        ],
        table,
    )
    .print(out)
}
