//! Supply plans and the probability of stockouts (docs/formulas.md 4.7-4.8).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// What a plan starts from, for one item in one place. Months are counted
/// from 1 (the month after the last complete one).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    /// Lots on hand now: quantity and the month (1-based) at the end of
    /// which each expires (`None`: no known expiry).
    pub lots: Vec<(f64, Option<usize>)>,
    /// Forecast demand per month.
    pub demand: Vec<f64>,
    /// Standard deviation of each month's demand (from the forecast intervals).
    pub sigma: Vec<f64>,
    /// Shipments on their way: (month of arrival, quantity).
    pub pipeline: Vec<(usize, f64)>,
    pub min_months: f64,
    pub max_months: f64,
    /// Months from placing an order to receiving it.
    pub lead_time: usize,
    /// Price per unit, for the cost of orders.
    pub unit_price: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlanMonth {
    /// 1 = the month after the as-of month (beside a plan's month named
    /// `month`, so written under its own name).
    #[serde(rename = "month_number")]
    pub month: usize,
    pub opening: f64,
    pub pipeline: f64,
    pub planned: f64,
    pub demand: f64,
    /// Stock that expires unused (first expiry, first out).
    pub expiring: f64,
    pub closing: f64,
    /// Demand that could not be met.
    pub unmet: f64,
    /// Closing stock in months of the demand forecast for the next three months.
    pub months_of_stock: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Order {
    /// Month to place the order (1 = now).
    pub order_month: usize,
    /// Month it arrives: the order month + the lead time, so never before
    /// 1 + the lead time.
    pub arrival_month: usize,
    pub quantity: f64,
    pub cost: Option<f64>,
    /// True when a month before an order placed now can arrive would close
    /// below the minimum: it is placed now; if stock runs out before it
    /// arrives, the shortfall shows as unmet demand.
    pub late: bool,
}

/// Demand per month ahead of month `k` (1-based): mean of the forecast of
/// the next three months, the last months repeating the last value.
fn monthly_rate(demand: &[f64], k: usize) -> f64 {
    let n = demand.len();
    if n == 0 {
        return 0.0;
    }
    let vals: Vec<f64> = (k..k + 3).map(|i| demand[i.min(n) - 1]).collect();
    vals.iter().sum::<f64>() / vals.len() as f64
}

/// One month of FEFO use of `lots` (quantity, expiry month; sorted by
/// expiry, unknown last): meets up to `demand`, then removes what expires at
/// the end of `month`. Returns (used, expired).
fn use_month(lots: &mut Vec<(f64, Option<usize>)>, demand: f64, month: usize) -> (f64, f64) {
    let mut need = demand;
    for l in lots.iter_mut() {
        if need <= 0.0 {
            break;
        }
        let t = l.0.min(need);
        l.0 -= t;
        need -= t;
    }
    let expired = lots
        .iter()
        .filter(|l| l.1.is_some_and(|e| e <= month))
        .fold(0.0, |a, l| a + l.0);
    lots.retain(|l| l.0 > 0.0 && l.1.is_none_or(|e| e > month));
    (demand - need.max(0.0), expired)
}

fn sorted(mut lots: Vec<(f64, Option<usize>)>) -> Vec<(f64, Option<usize>)> {
    lots.retain(|l| l.0 > 0.0);
    lots.sort_by_key(|l| l.1.unwrap_or(usize::MAX));
    lots
}

/// Projects stock month by month and suggests orders so that the closing
/// stock stays at or above `min_months` of demand: when a month would
/// close below the minimum, an order arriving that month brings it up to
/// `max_months` (formulas 4.7). No order arrives before month 1 + the lead
/// time (one placed now): a month before that which would close below the
/// minimum gets none (what runs out is unmet), and the first order that can
/// arrive is flagged late.
pub fn plan(input: &PlanInput) -> (Vec<PlanMonth>, Vec<Order>) {
    let h = input.demand.len();
    let mut lots = sorted(input.lots.clone());
    let mut orders: Vec<Order> = Vec::new();
    let mut months = Vec::with_capacity(h);
    let earliest = 1 + input.lead_time;
    // A month before `earliest` needed an order that cannot arrive in time.
    let mut needed_earlier = false;
    for k in 1..=h {
        let opening = lots.iter().fold(0.0, |a, l| a + l.0);
        let pipeline = input
            .pipeline
            .iter()
            .filter(|p| p.0 == k)
            .fold(0.0, |a, p| a + p.1);
        if pipeline > 0.0 {
            lots.push((pipeline, None));
            lots = sorted(lots);
        }
        let demand = input.demand[k - 1];
        // Would the month close below the minimum? What it could not meet
        // counts below zero: an order must bring that too (else an order
        // after a stockout, or with a minimum of 0, falls short).
        let mut trial = lots.clone();
        let (met, _) = use_month(&mut trial, demand, k);
        let projected = trial.iter().fold(0.0, |a, l| a + l.0) - (demand - met);
        let rate = monthly_rate(&input.demand, k + 1);
        let mut planned = 0.0;
        if rate > 0.0 && projected < input.min_months * rate {
            let quantity = (input.max_months * rate - projected).ceil().max(0.0);
            if quantity > 0.0 && k < earliest {
                needed_earlier = true;
            } else if quantity > 0.0 {
                planned = quantity;
                orders.push(Order {
                    order_month: k - input.lead_time,
                    arrival_month: k,
                    quantity,
                    cost: input.unit_price.map(|p| p * quantity),
                    late: std::mem::take(&mut needed_earlier),
                });
                lots.push((quantity, None));
                lots = sorted(lots);
            }
        }
        if k >= earliest {
            // Stock that arrived (a shipment) covered the need by itself.
            needed_earlier = false;
        }
        let (used, expiring) = use_month(&mut lots, demand, k);
        let closing = lots.iter().fold(0.0, |a, l| a + l.0);
        months.push(PlanMonth {
            month: k,
            opening,
            pipeline,
            planned,
            demand,
            expiring,
            closing,
            unmet: demand - used,
            months_of_stock: (rate > 0.0).then(|| closing / rate),
        });
    }
    (months, orders)
}

/// The random source of every Monte Carlo of Equitas (this stockout risk and
/// the disruption scenarios of `equitas-scenario`): ChaCha8 from a fixed
/// seed, so that the same seed gives the same numbers on every platform.
pub type PathRng = ChaCha8Rng;

/// The generator for `seed`.
pub fn path_rng(seed: u64) -> PathRng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// One month's demand drawn normal around `mean` with standard deviation
/// `sd`, at least 0 (formulas 4.8).
pub fn draw_demand(rng: &mut PathRng, mean: f64, sd: f64) -> f64 {
    let z: f64 = rng.sample(rand_distr::StandardNormal);
    (mean + sd * z).max(0.0)
}

/// One month's demand in whole units for the stockout risk (formulas 4.8):
/// drawn from the gamma distribution of mean `mean` and standard deviation
/// `sd` (shape (mean/sd)², scale sd²/mean: the classical distribution of
/// demand for stock control, never below 0, Burgin, "The gamma distribution
/// and inventory control", Operational Research Quarterly 26(3), 1975),
/// rounded to a whole unit; `mean` itself without spread, 0 without demand.
/// A normal draw floored at 0 (as before 2026-12-06) counted a fifth of the
/// months of a forecast whose spread exceeds its mean as months without
/// demand, so the risk at an empty store fell with the horizon.
pub fn draw_units(rng: &mut PathRng, mean: f64, sd: f64) -> f64 {
    MonthDemand::new(mean, sd).draw(rng)
}

/// A month's demand distribution of [`draw_units`], made once and drawn
/// from on every path.
enum MonthDemand {
    Fixed(f64),
    Gamma(rand_distr::Gamma<f64>),
}

impl MonthDemand {
    fn new(mean: f64, sd: f64) -> MonthDemand {
        if mean.is_nan() || mean <= 0.0 {
            return MonthDemand::Fixed(0.0);
        }
        if sd.is_nan() || sd <= 0.0 {
            return MonthDemand::Fixed(mean);
        }
        rand_distr::Gamma::new((mean / sd).powi(2), sd * sd / mean)
            .map_or(MonthDemand::Fixed(mean), MonthDemand::Gamma)
    }

    fn draw(&self, rng: &mut PathRng) -> f64 {
        match self {
            MonthDemand::Fixed(v) => *v,
            MonthDemand::Gamma(g) => rng.sample(g).round(),
        }
    }
}

/// Probability of a stockout (unmet demand) in each month, by Monte Carlo
/// with a fixed seed (formulas 4.8): demand drawn around the forecast with
/// its standard deviation ([`draw_units`]); each pipeline shipment and
/// planned order delayed by a number of months drawn from `delays`
/// (observed delivery delays in months; empty: on time).
pub fn stockout_risk(
    input: &PlanInput,
    orders: &[Order],
    delays: &[f64],
    paths: usize,
    seed: u64,
) -> Vec<f64> {
    let h = input.demand.len();
    let mut rng = path_rng(seed);
    let mut out = vec![0usize; h];
    let arrivals: Vec<(usize, f64)> = input
        .pipeline
        .iter()
        .copied()
        .chain(orders.iter().map(|o| (o.arrival_month, o.quantity)))
        .collect();
    let months: Vec<MonthDemand> = (0..h)
        .map(|k| MonthDemand::new(input.demand[k], input.sigma.get(k).copied().unwrap_or(0.0)))
        .collect();
    for _ in 0..paths.max(1) {
        let mut lots = sorted(input.lots.clone());
        let delayed: Vec<(usize, f64)> = arrivals
            .iter()
            .map(|&(m, q)| {
                let d = if delays.is_empty() {
                    0.0
                } else {
                    delays[rng.random_range(0..delays.len())].max(0.0)
                };
                (m + d.round() as usize, q)
            })
            .collect();
        for k in 1..=h {
            let incoming = delayed
                .iter()
                .filter(|a| a.0 == k)
                .fold(0.0, |s, a| s + a.1);
            if incoming > 0.0 {
                lots.push((incoming, None));
                lots = sorted(lots);
            }
            let demand = months[k - 1].draw(&mut rng);
            let (used, _) = use_month(&mut lots, demand, k);
            if demand - used > 1e-9 {
                out[k - 1] += 1;
            }
        }
    }
    out.into_iter()
        .map(|c| c as f64 / paths.max(1) as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PlanInput {
        PlanInput {
            lots: vec![(100.0, Some(2)), (200.0, None)],
            demand: vec![40.0; 8],
            sigma: vec![0.0; 8],
            pipeline: vec![],
            min_months: 2.0,
            max_months: 4.0,
            lead_time: 3,
            unit_price: Some(0.5),
        }
    }

    #[test]
    fn projection_orders_and_expiry() {
        // Worked example of docs/formulas.md 4.7.
        let (months, orders) = plan(&input());
        // Month 1: 300 on hand, 40 used from the lot expiring in month 2.
        assert_eq!(
            (months[0].opening, months[0].closing, months[0].expiring),
            (300.0, 260.0, 0.0)
        );
        // Month 2: 40 more used, the remaining 20 of that lot expire.
        assert_eq!((months[1].expiring, months[1].closing), (20.0, 200.0));
        // Months 3-5: 160, 120, 80 = 2 months: still at the minimum in month 5;
        // month 6 would close at 40 < 80: an order arrives in month 6 for
        // 4 x 40 - 40 = 120, placed in month 3 (lead time 3).
        assert_eq!(orders.len(), 1, "{orders:?}");
        assert_eq!(
            (
                orders[0].order_month,
                orders[0].arrival_month,
                orders[0].quantity
            ),
            (3, 6, 120.0)
        );
        assert_eq!(orders[0].cost, Some(60.0));
        assert!(!orders[0].late);
        assert!(months.iter().all(|m| m.unmet == 0.0));
        assert_eq!(months[5].closing, 160.0);
    }

    #[test]
    fn a_late_order_arrives_no_earlier_than_the_lead_time_allows() {
        // 50 on hand, 40 a month, lead time 3: month 1 would already close
        // below the minimum (10 < 80), but an order placed now arrives in
        // month 4. Months 2 and 3 go short (30 and 40 unmet); the order of
        // month 4 (4 x 40 + its 40 unmet without it = 200, so that month
        // closes at the maximum, 160) is placed now and flagged late.
        let mut i = input();
        i.lots = vec![(50.0, None)];
        let (months, orders) = plan(&i);
        let unmet: Vec<f64> = months.iter().map(|m| m.unmet).collect();
        assert_eq!(unmet, [0.0, 30.0, 40.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(
            orders
                .iter()
                .map(|o| (o.order_month, o.arrival_month, o.quantity, o.late))
                .collect::<Vec<_>>(),
            [(1, 4, 200.0, true), (4, 7, 120.0, false)],
            "{orders:?}"
        );
        // The risk sees the shortfall that no order can prevent any more.
        let risk = stockout_risk(&i, &orders, &[], 200, 1);
        assert_eq!((risk[1], risk[2], risk[4]), (1.0, 1.0, 0.0), "{risk:?}");
        // Whatever the lead time, no order arrives before 1 + lead time;
        // the late one is placed now and arrives then.
        for lead_time in 0..6 {
            i.lead_time = lead_time;
            let (_, orders) = plan(&i);
            assert!(!orders.is_empty());
            for o in &orders {
                assert!(o.arrival_month > lead_time, "{lead_time}: {o:?}");
                assert_eq!(o.arrival_month, o.order_month + lead_time, "{o:?}");
            }
            // Lead time 0: nothing is ever late.
            let late: Vec<&Order> = orders.iter().filter(|o| o.late).collect();
            match lead_time {
                0 => assert!(late.is_empty(), "{orders:?}"),
                l => assert_eq!(
                    late.iter()
                        .map(|o| (o.order_month, o.arrival_month))
                        .collect::<Vec<_>>(),
                    [(1, 1 + l)],
                    "{orders:?}"
                ),
            }
        }
    }

    #[test]
    fn at_an_empty_store_the_risk_stays_near_certain_however_wide_the_forecast() {
        // Nothing on hand or coming, 637 a month with a spread growing past
        // the mean (830 by month 18): nearly every month has demand.
        let i = PlanInput {
            lots: vec![],
            demand: vec![637.0; 18],
            sigma: (1..=18).map(|k| 300.0 + 30.0 * k as f64).collect(),
            pipeline: vec![],
            min_months: 0.0,
            max_months: 0.0,
            lead_time: 0,
            unit_price: None,
        };
        let p = stockout_risk(&i, &[], &[], 2000, 1);
        assert!(p.iter().all(|&x| x > 0.97), "{p:?}");
        // The draws keep the forecast's mean and spread, in whole units.
        let mut rng = path_rng(3);
        let d: Vec<f64> = (0..20_000)
            .map(|_| draw_units(&mut rng, 637.0, 830.0))
            .collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
        assert!(
            (mean / 637.0 - 1.0).abs() < 0.03 && (sd / 830.0 - 1.0).abs() < 0.05,
            "{mean} {sd}"
        );
        assert!(d.iter().all(|x| x.fract() == 0.0 && *x >= 0.0));
        // Intermittent demand keeps its months without any: mean 5, sd 10.
        let zeros = (0..20_000)
            .filter(|_| draw_units(&mut rng, 5.0, 10.0) == 0.0)
            .count();
        assert!((6_000..12_000).contains(&zeros), "{zeros}");
        assert_eq!(
            (
                draw_units(&mut rng, 40.0, 0.0),
                draw_units(&mut rng, 0.0, 5.0)
            ),
            (40.0, 0.0)
        );
    }

    #[test]
    fn risk_is_certain_without_stock_and_nil_with_plenty() {
        let mut i = input();
        i.lots = vec![];
        assert!(
            stockout_risk(&i, &[], &[], 200, 1)
                .iter()
                .all(|&p| p == 1.0)
        );
        // With a minimum of 0 the plan still orders what would go unmet,
        // from the first month an order can arrive (4, lead time 3).
        i.min_months = 0.0;
        i.max_months = 0.0;
        let (months, orders) = plan(&i);
        assert_eq!(
            orders.first().map(|o| (o.arrival_month, o.quantity)),
            Some((4, 40.0))
        );
        assert!(months[3..].iter().all(|m| m.unmet == 0.0), "{months:?}");
        let mut i = input();
        i.lots = vec![(1e6, None)];
        assert!(
            stockout_risk(&i, &[], &[], 200, 1)
                .iter()
                .all(|&p| p == 0.0)
        );
        // The order due in month 6 is four months late: the two months of
        // minimum stock run out and month 8 goes short.
        let base = input();
        let (_, orders) = plan(&base);
        let on_time = stockout_risk(&base, &orders, &[0.0], 500, 7);
        let late = stockout_risk(&base, &orders, &[4.0], 500, 7);
        assert_eq!(
            (on_time[7], late[7], late[6]),
            (0.0, 1.0, 0.0),
            "{late:?} {on_time:?}"
        );
        // Same seed, same answer.
        assert_eq!(
            stockout_risk(&base, &orders, &[0.0, 1.0], 300, 3),
            stockout_risk(&base, &orders, &[0.0, 1.0], 300, 3)
        );
    }
}

/// The lead time of an item from a supplier, in months, by stage.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LeadTime {
    /// Blank: every item.
    pub item: String,
    pub supplier: String,
    pub order: f64,
    pub production: f64,
    pub transport: f64,
    pub receipt: f64,
}

impl LeadTime {
    pub fn total(&self) -> f64 {
        self.order + self.production + self.transport + self.receipt
    }

    /// Whole months, rounded up, as the plan counts them (a sum of
    /// decimals a billionth above a whole month is that month: 0.1 + 0.1 +
    /// 2.2 + 0.6 is 3).
    pub fn months(&self) -> usize {
        (self.total() - 1e-9).ceil().max(0.0) as usize
    }
}

/// The longest lead time accepted, in months (5 years, as --lead-time):
/// each stage and their sum.
pub const MAX_STAGE_MONTHS: f64 = 60.0;

/// Parses a lead-time CSV: `item` (blank: every item), `supplier`,
/// `order_months`, `production_months`, `transport_months`,
/// `receipt_months` (each given, 0 for none, and in all at most
/// [`MAX_STAGE_MONTHS`]). Several rows for one item and supplier may be
/// given (routes): the shortest applies ([`lead_time_for`]).
pub fn parse_lead_times<R: std::io::Read>(
    r: R,
) -> Result<equitas_model::reference::Parsed<LeadTime>, equitas_model::RowError> {
    use equitas_model::RowError;
    use equitas_model::reference::{Table, cell};
    let mut t = Table::new(r)?;
    let item = t.column("item");
    let supplier = t.require("supplier")?;
    let stages = [
        ("order_months", t.require("order_months")?),
        ("production_months", t.require("production_months")?),
        ("transport_months", t.require("transport_months")?),
        ("receipt_months", t.require("receipt_months")?),
    ];
    let parsed = t.parse(|rec, line| {
        let mut errors = equitas_model::RowErrors::default();
        let mut v = [0.0; 4];
        for (k, (name, idx)) in stages.iter().enumerate() {
            // Each stage given (0 for none: a blank is not read as 0),
            // at most MAX_STAGE_MONTHS (as --lead-time is at most 60).
            v[k] = errors
                .field(match cell(rec, Some(*idx)) {
                    None => Err(RowError::new(
                        line,
                        *name,
                        "required value is empty (write 0 for a stage that takes no time)",
                    )),
                    Some(s) => s
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && (0.0..=MAX_STAGE_MONTHS).contains(x))
                        .ok_or_else(|| {
                            RowError::new(
                                line,
                                *name,
                                format!(
                                    "{s:?} is not a number of months from 0 to {MAX_STAGE_MONTHS}{}",
                                    equitas_model::reference::decimal_comma_hint(s)
                                ),
                            )
                        }),
                })
                .unwrap_or(0.0);
        }
        let supplier = errors.field(
            cell(rec, Some(supplier))
                .ok_or_else(|| RowError::new(line, "supplier", "required value is empty")),
        );
        // The whole lead time within what --lead-time takes.
        let total: f64 = v.iter().sum();
        if errors.is_empty() && total > MAX_STAGE_MONTHS + 1e-9 {
            errors.0.push(RowError::row(
                line,
                format!(
                    "the stages add up to {} months, more than {MAX_STAGE_MONTHS}",
                    (total * 100.0).round() / 100.0
                ),
            ));
        }
        let (Some(supplier), true) = (supplier, errors.is_empty()) else {
            return Err(errors);
        };
        Ok(LeadTime {
            item: cell(rec, item).unwrap_or("").to_string(),
            supplier: supplier.to_string(),
            order: v[0],
            production: v[1],
            transport: v[2],
            receipt: v[3],
        })
    });
    Ok(parsed)
}

/// The lead time that applies to `item`: each supplier's row for it, else
/// that supplier's row for every item (a blank item); of those, the named
/// `supplier`'s if one is, the shortest. A supplier's row for another item
/// does not hide another supplier's row for every item.
pub fn lead_time_for<'a>(
    rows: &'a [LeadTime],
    item: &str,
    supplier: Option<&str>,
) -> Option<&'a LeadTime> {
    let own = |s: &str| rows.iter().any(|r| r.supplier == s && r.item == item);
    rows.iter()
        .filter(|r| supplier.is_none_or(|s| r.supplier == s))
        .filter(|r| r.item == item || (r.item.is_empty() && !own(&r.supplier)))
        .min_by(|a, b| a.total().total_cmp(&b.total()))
}

#[cfg(test)]
mod lead_time_tests {
    use super::*;

    #[test]
    fn lead_times_by_item_and_supplier() {
        let csv = "item,supplier,order_months,production_months,transport_months,receipt_months\n\
                   ,Generic Ltd,1,2,1.5,0.5\n\
                   AMOX,Pharma A,1,3,2,0.5\n\
                   AMOX,Pharma B,0.5,1,1,0\n\
                   AMOX,Pharma C,x,1,1,0\n\
                   AMOX,Pharma D,1,,1,0\n\
                   AMOX,Pharma E,1,1e20,1,0\n\
                   AMOX,Pharma F,1,20,20,20\n\
                   AMOX,Pharma G,\"0,5\",1,1,0\n";
        let p = parse_lead_times(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 3);
        // Not a number; a blank (not read as 0); beyond 60 months (a
        // lead time of 1e20 months overflowed the plan's month count), in a
        // stage or in all.
        let bad: Vec<(Option<&str>, &str)> = p
            .errors
            .iter()
            .map(|e| (e.field.as_deref(), e.message.as_str()))
            .collect();
        assert_eq!(
            bad,
            vec![
                (
                    Some("order_months"),
                    "\"x\" is not a number of months from 0 to 60"
                ),
                (
                    Some("production_months"),
                    "required value is empty (write 0 for a stage that takes no time)"
                ),
                (
                    Some("production_months"),
                    "\"1e20\" is not a number of months from 0 to 60"
                ),
                // Stages within bounds, more than 60 months in all.
                (None, "the stages add up to 61 months, more than 60"),
                (
                    Some("order_months"),
                    "\"0,5\" is not a number of months from 0 to 60 (a decimal comma: write the number with a point, as 0.5, or separate the columns with semicolons, as a spreadsheet set to French saves CSV: such a file is read with decimal commas)"
                ),
            ]
        );
        let rows: Vec<LeadTime> = p.records.into_iter().map(|r| r.1).collect();
        let amox = lead_time_for(&rows, "AMOX", None).unwrap();
        assert_eq!(
            (amox.supplier.as_str(), amox.total(), amox.months()),
            ("Pharma B", 2.5, 3)
        );
        // 3.0000000000000004 months in floating point: 3.
        let decimals = LeadTime {
            item: String::new(),
            supplier: String::new(),
            order: 0.1,
            production: 0.1,
            transport: 2.2,
            receipt: 0.6,
        };
        assert_eq!(decimals.months(), 3);
        assert_eq!(
            lead_time_for(&rows, "AMOX", Some("Pharma A"))
                .unwrap()
                .months(),
            7
        );
        assert_eq!(
            lead_time_for(&rows, "ORS", None).unwrap().supplier,
            "Generic Ltd"
        );
        assert!(lead_time_for(&rows, "AMOX", Some("Nobody")).is_none());
        // A supplier with no row of the item's own: its row for every item
        // (rows of other suppliers for the item do not hide it).
        assert_eq!(
            lead_time_for(&rows, "AMOX", Some("Generic Ltd"))
                .unwrap()
                .months(),
            5
        );
        let shorter = [
            LeadTime {
                item: String::new(),
                supplier: "A".into(),
                order: 1.0,
                production: 2.0,
                transport: 1.0,
                receipt: 0.5,
            },
            LeadTime {
                item: "SYN-003".into(),
                supplier: "B".into(),
                order: 1.0,
                production: 8.0,
                transport: 1.0,
                receipt: 0.0,
            },
        ];
        assert_eq!(
            lead_time_for(&shorter, "SYN-003", None).unwrap().supplier,
            "A"
        );
        assert_eq!(
            lead_time_for(&shorter, "SYN-003", Some("B"))
                .unwrap()
                .months(),
            10
        );
    }
}
