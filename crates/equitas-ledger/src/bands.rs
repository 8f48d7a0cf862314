//! Minimum and maximum months of stock per tier and item (formulas 3.7),
//! and the stock-levels CSV that sets them.

use crate::places::Tier;
use std::collections::BTreeMap;

/// Minimum and maximum months of stock per tier, and per item where set.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxBands {
    pub default: BTreeMap<Tier, (f64, f64)>,
    /// (item, tier) -> (min, max).
    pub items: BTreeMap<(String, Tier), (f64, f64)>,
}

impl Default for MinMaxBands {
    /// Example bands, to be set by each programme: central 6-12 months,
    /// other stores 3-6, facilities 2-4, areas 3-6.
    fn default() -> MinMaxBands {
        MinMaxBands {
            default: BTreeMap::from([
                (Tier::Central, (6.0, 12.0)),
                (Tier::Store, (3.0, 6.0)),
                (Tier::Facility, (2.0, 4.0)),
                (Tier::Area, (3.0, 6.0)),
            ]),
            items: BTreeMap::new(),
        }
    }
}

impl MinMaxBands {
    pub fn get(&self, item: &str, tier: Tier) -> (f64, f64) {
        self.items
            .get(&(item.to_string(), tier))
            .or_else(|| self.default.get(&tier))
            .copied()
            .unwrap_or((2.0, 4.0))
    }
}

/// One row of a stock-levels file: the band of a tier, for one item or
/// (item blank) for all.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelRow {
    pub item: String,
    pub tier: Tier,
    pub min: f64,
    pub max: f64,
}

/// Parses a stock-levels CSV: `item` (blank: every item), `tier`
/// (central, store, facility, area), `min_months`, `max_months`.
pub fn parse_stock_levels<R: std::io::Read>(
    r: R,
) -> Result<equitas_model::reference::Parsed<LevelRow>, equitas_model::RowError> {
    use equitas_model::RowError;
    use equitas_model::reference::{Table, cell};
    let mut t = Table::new(r)?;
    let item = t.column("item");
    let tier = t.require("tier")?;
    let min = t.require("min_months")?;
    let max = t.require("max_months")?;
    Ok(t.parse(|rec, line| {
        let mut e = equitas_model::RowErrors::default();
        let tier_text = cell(rec, Some(tier)).unwrap_or("");
        let tier = e.field(Tier::from_name(tier_text).ok_or_else(|| {
            RowError::new(
                line,
                "tier",
                format!("{tier_text:?} is not central, store, facility or area"),
            )
        }));
        let months = |idx, name: &str| {
            let s = cell(rec, Some(idx)).unwrap_or("");
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    RowError::new(
                        line,
                        name,
                        format!(
                            "{s:?} is not a number of months{}",
                            equitas_model::reference::decimal_comma_hint(s)
                        ),
                    )
                })
        };
        let (lo, hi) = (
            e.field(months(min, "min_months")),
            e.field(months(max, "max_months")),
        );
        let (Some(tier), Some(lo), Some(hi)) = (tier, lo, hi) else {
            return Err(e);
        };
        if lo > hi {
            return Err(RowError::new(
                line,
                "max_months",
                format!("maximum {hi} is below minimum {lo}"),
            )
            .into());
        }
        Ok(LevelRow {
            item: cell(rec, item).unwrap_or("").to_string(),
            tier,
            min: lo,
            max: hi,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_levels_parse_with_errors_named() {
        let p = parse_stock_levels(
            "item,tier,min_months,max_months\n,facility,1,3\nAMOX,central,9,18\n,moon,1,2\n,store,5,2\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.errors[0].field.as_deref(), Some("tier"));
        assert_eq!(p.errors[1].field.as_deref(), Some("max_months"));
        // Issue 19: all the bad fields of a row.
        let p = parse_stock_levels("tier,min_months,max_months\nmoon,x,-1\n".as_bytes()).unwrap();
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_deref()).collect();
        assert_eq!(
            fields,
            [Some("tier"), Some("min_months"), Some("max_months")]
        );
    }
}
