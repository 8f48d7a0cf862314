//! Regional manufacturing matchmaking (docs/formulas.md 6.5): for each
//! region and product, the demand, the share made in the region, the
//! producers in the region (qualified or not, with their capacity) and the
//! licences or technology transfers covering it; ranked so that the gaps
//! where regional production would matter most come first.

use crate::regional::Flow;
use crate::registers::{Capacity, Licence, Site};
use equitas_market::catalogue::singular;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Approvals that make a site a qualified source.
pub const QUALIFYING: &[&str] = &["who-pq", "sra", "wla"];

/// One region and product.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MatchRow {
    pub region: String,
    pub product: String,
    /// Weight bought by the region's countries.
    pub demand: f64,
    /// Weight of it made in the region.
    pub made_in_region: f64,
    /// Demand not known to be made in the region (unknown origin included).
    pub uncovered: f64,
    /// Sites in the region making the product (register), by code.
    pub producers: Vec<String>,
    /// Of which with a WHO PQ, stringent or WHO-listed authority approval.
    pub qualified_producers: Vec<String>,
    /// Their annual capacity ranges, as `min-max unit`.
    pub capacity: Vec<String>,
    /// Their capacity set against the region's yearly demand, where both
    /// count the same unit (demand weighed in comparison units).
    pub capacity_cover: Option<CapacityCover>,
    /// Licences or transfers for the product covering a country of the region.
    pub licences: Vec<String>,
    /// No qualified regional producer, while a licence or an unqualified
    /// regional producer could become one.
    pub priority: bool,
}

/// Regional producers' yearly capacity against a region's yearly demand
/// for one product, in the unit both count (docs/formulas.md 6.5).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CapacityCover {
    /// What both count, singular (`tablet`, `dose`, `test`).
    pub unit: String,
    /// The region's demand per year: demand ÷ the period's length in years.
    pub yearly_demand: f64,
    /// Sum of the comparable sites' capacity bounds, in `unit` per year.
    pub capacity_min: f64,
    pub capacity_max: f64,
    /// `capacity_min` ÷ `yearly_demand` and `capacity_max` ÷ `yearly_demand`.
    pub cover_min: f64,
    pub cover_max: f64,
    /// Sites whose capacity counts `unit`.
    pub sites: Vec<String>,
    /// Sites with a capacity in another unit, left out of the sums.
    pub other_units: Vec<String>,
}

/// The multiplier and counted unit of a capacity unit: `million doses` ->
/// (1,000,000, `dose`); `tablets` -> (1, `tablet`). `None` when empty.
pub fn capacity_unit(unit: &str) -> Option<(f64, String)> {
    let mut words = unit.split_whitespace();
    let first = words.next()?;
    let multiplier = match first.to_lowercase().as_str() {
        "thousand" | "k" => Some(1e3),
        "million" | "millions" | "m" | "mn" => Some(1e6),
        "billion" | "billions" | "bn" => Some(1e9),
        _ => None,
    };
    let rest: Vec<&str> = match multiplier {
        Some(_) => words.collect(),
        None => std::iter::once(first).chain(words).collect(),
    };
    if rest.is_empty() {
        return None;
    }
    Some((multiplier.unwrap_or(1.0), singular(&rest.join(" "))))
}

/// Sets the capacity of `sites` against a yearly demand counted in `unit`;
/// `None` when no site states a capacity in that unit or the demand is not positive.
pub fn capacity_cover(sites: &[&Site], unit: &str, yearly_demand: f64) -> Option<CapacityCover> {
    if !(yearly_demand.is_finite() && yearly_demand > 0.0) {
        return None;
    }
    let (mut lo, mut hi, mut comparable, mut other) = (0.0, 0.0, Vec::new(), Vec::new());
    for s in sites {
        let Some(c) = &s.capacity else { continue };
        match capacity_unit(&c.unit) {
            Some((k, u)) if u == unit => {
                lo += c.min * k;
                hi += c.max * k;
                comparable.push(s.site.clone());
            }
            _ => other.push(s.site.clone()),
        }
    }
    if comparable.is_empty() {
        return None;
    }
    Some(CapacityCover {
        unit: unit.to_string(),
        yearly_demand,
        capacity_min: lo,
        capacity_max: hi,
        cover_min: lo / yearly_demand,
        cover_max: hi / yearly_demand,
        sites: comparable,
        other_units: other,
    })
}

/// How demand is counted, for setting capacity against it.
pub struct DemandUnits<'a> {
    /// The unit each product's demand counts (products absent: not comparable).
    pub unit_of: &'a HashMap<String, String>,
    /// The period's length in years.
    pub years: f64,
}

fn capacity_text(c: &Capacity) -> String {
    format!("{}-{} {}", c.min, c.max, c.unit)
}

/// The rows of every (region, product) with demand, in rank order: priority
/// gaps first, then by uncovered demand (largest first), then region and product.
/// `region_of` maps ISO3 codes to regions. A site or licence names a product
/// by its code (`products` of a site, `technology` of a licence).
pub fn matchmaking(
    flows: &[(String, Flow)],
    sites: &[Site],
    licences: &[Licence],
    region_of: &HashMap<String, String>,
    units: Option<&DemandUnits>,
) -> Vec<MatchRow> {
    let mut demand: BTreeMap<(&str, &str), (f64, f64)> = BTreeMap::new();
    for (product, f) in flows {
        if !(f.weight.is_finite() && f.weight > 0.0) {
            continue;
        }
        let Some(r) = f.buyer_region.as_deref() else {
            continue;
        };
        let e = demand.entry((r, product.as_str())).or_default();
        e.0 += f.weight;
        if f.producer_region.as_deref() == Some(r) {
            e.1 += f.weight;
        }
    }
    let mut out: Vec<MatchRow> = demand
        .into_iter()
        .map(|((region, product), (d, inside))| {
            let here: Vec<&Site> = sites
                .iter()
                .filter(|s| {
                    region_of.get(&s.country).map(String::as_str) == Some(region)
                        && s.products.iter().any(|p| p == product)
                })
                .collect();
            let qualified: Vec<String> = here
                .iter()
                .filter(|s| {
                    s.approvals
                        .iter()
                        .any(|a| QUALIFYING.contains(&a.kind.as_str()))
                })
                .map(|s| s.site.clone())
                .collect();
            let lic: BTreeSet<String> = licences
                .iter()
                .filter(|l| {
                    l.technology == product
                        && l.status != "expired"
                        && l.status != "terminated"
                        && l.territory
                            .iter()
                            .any(|k| region_of.get(k).map(String::as_str) == Some(region))
                })
                .map(|l| format!("{}: {} to {}", l.programme, l.licensor, l.licensee))
                .collect();
            let priority = qualified.is_empty() && (!lic.is_empty() || !here.is_empty());
            let capacity_cover = units.and_then(|u| {
                let unit = u.unit_of.get(product)?;
                (u.years > 0.0)
                    .then(|| capacity_cover(&here, unit, d / u.years))
                    .flatten()
            });
            MatchRow {
                region: region.to_string(),
                product: product.to_string(),
                demand: d,
                made_in_region: inside,
                uncovered: d - inside,
                producers: here.iter().map(|s| s.site.clone()).collect(),
                capacity: here
                    .iter()
                    .filter_map(|s| s.capacity.as_ref().map(capacity_text))
                    .collect(),
                capacity_cover,
                qualified_producers: qualified,
                licences: lic.into_iter().collect(),
                priority,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(b.uncovered.total_cmp(&a.uncovered))
            .then_with(|| (&a.region, &a.product).cmp(&(&b.region, &b.product)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registers::{Approval, Provenance};
    use equitas_doc_vectors::vectors;
    use equitas_market::catalogue::comparison_unit;

    fn prov() -> Provenance {
        Provenance {
            source: "test".into(),
            source_date: None,
        }
    }

    fn site(code: &str, country: &str, product: &str, approvals: &[&str]) -> Site {
        Site {
            site: code.into(),
            name: code.into(),
            organisation: code.into(),
            country: country.into(),
            platform: None,
            products: vec![product.into()],
            capacity: None,
            status: "operational".into(),
            approvals: approvals
                .iter()
                .map(|k| Approval {
                    kind: k.to_string(),
                    date: None,
                })
                .collect(),
            provenance: prov(),
        }
    }

    fn licence(product: &str, territory: &[&str], status: &str) -> Licence {
        Licence {
            programme: "mpp".into(),
            licensor: "Originator".into(),
            licensee: "Generic".into(),
            licensee_site: None,
            technology: product.into(),
            territory: territory.iter().map(|s| s.to_string()).collect(),
            start: None,
            end: None,
            status: status.into(),
            provenance: prov(),
        }
    }

    fn flow(product: &str, buyer: &str, producer: Option<&str>, w: f64) -> (String, Flow) {
        let region = |c: &str| if c == "IND" { "SEARO" } else { "AFRO" }.to_string();
        (
            product.into(),
            Flow {
                buyer_country: buyer.into(),
                buyer_region: Some(region(buyer)),
                producer_country: producer.map(str::to_string),
                producer_region: producer.map(region),
                weight: w,
            },
        )
    }

    /// docs/formulas.md, section 6.5.
    #[test]
    fn matchmaking_worked_examples() {
        let regions: HashMap<String, String> = [("KEN", "AFRO"), ("ZAF", "AFRO"), ("IND", "SEARO")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        for v in vectors("matchmaking") {
            let flows: Vec<(String, Flow)> = v["flows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    flow(
                        f[0].as_str().unwrap(),
                        f[1].as_str().unwrap(),
                        f[2].as_str(),
                        f[3].as_f64().unwrap(),
                    )
                })
                .collect();
            let sites: Vec<Site> = v["sites"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let a: Vec<&str> = s[3]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_str().unwrap())
                        .collect();
                    site(
                        s[0].as_str().unwrap(),
                        s[1].as_str().unwrap(),
                        s[2].as_str().unwrap(),
                        &a,
                    )
                })
                .collect();
            let lics: Vec<Licence> = v["licences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    licence(
                        l[0].as_str().unwrap(),
                        &[l[1].as_str().unwrap()],
                        l[2].as_str().unwrap(),
                    )
                })
                .collect();
            let rows = matchmaking(&flows, &sites, &lics, &regions, None);
            let got: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!([
                        r.region,
                        r.product,
                        r.uncovered,
                        r.qualified_producers.len(),
                        r.licences.len(),
                        r.priority
                    ])
                })
                .collect();
            assert_eq!(serde_json::Value::Array(got), v["ranked"], "{v}");
        }
    }

    #[test]
    fn a_zero_flow_and_an_expired_licence_change_nothing() {
        let regions: HashMap<String, String> = [("KEN".to_string(), "AFRO".to_string())].into();
        let f = vec![flow("p", "KEN", Some("IND"), 10.0)];
        let mut g = f.clone();
        g.push(flow("q", "KEN", None, 0.0));
        let a = matchmaking(&f, &[], &[], &regions, None);
        let b = matchmaking(
            &g,
            &[],
            &[licence("p", &["KEN"], "expired")],
            &regions,
            None,
        );
        assert_eq!(a, b);
        assert!(!a[0].priority, "nothing could make it in the region");
    }

    fn with_capacity(code: &str, min: f64, max: f64, unit: &str) -> Site {
        let mut s = site(code, "ZAF", "p", &["who-pq"]);
        s.capacity = Some(Capacity {
            min,
            max,
            unit: unit.into(),
        });
        s
    }

    /// docs/formulas.md, section 6.5 (capacity against demand).
    #[test]
    fn capacity_cover_worked_examples() {
        for v in vectors("capacity_cover") {
            let sites: Vec<Site> = v["sites"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    with_capacity(
                        s[0].as_str().unwrap(),
                        s[1].as_f64().unwrap(),
                        s[2].as_f64().unwrap(),
                        s[3].as_str().unwrap(),
                    )
                })
                .collect();
            let here: Vec<&Site> = sites.iter().collect();
            let unit = comparison_unit(v["dosage_form"].as_str().unwrap());
            let demand = v["demand"].as_f64().unwrap() / v["years"].as_f64().unwrap();
            let got = capacity_cover(&here, &unit, demand).map(|c| {
                serde_json::json!({
                    "unit": c.unit,
                    "yearly_demand": c.yearly_demand,
                    "cover": [(c.cover_min * 1000.0).round() / 1000.0, (c.cover_max * 1000.0).round() / 1000.0],
                    "other_units": c.other_units,
                })
            });
            assert_eq!(got.unwrap_or(serde_json::Value::Null), v["expected"], "{v}");
        }
    }

    #[test]
    fn capacity_units_are_read_with_their_multiplier() {
        assert_eq!(capacity_unit("million doses"), Some((1e6, "dose".into())));
        assert_eq!(capacity_unit("Tablets"), Some((1.0, "tablet".into())));
        assert_eq!(capacity_unit("billion tests"), Some((1e9, "test".into())));
        assert_eq!(capacity_unit("thousand vials"), Some((1e3, "vial".into())));
        assert_eq!(capacity_unit("million"), None);
        assert_eq!(capacity_unit(""), None);
        assert_eq!(comparison_unit("Tablet - FDC + blister"), "tablet");
        assert_eq!(comparison_unit("Test kit"), "test");
        assert_eq!(comparison_unit("Capsules"), "capsule");
    }

    proptest::proptest! {
        /// More demand never raises the cover; the bounds stay in order.
        #[test]
        fn cover_falls_as_demand_grows(min in 0.0f64..1e9, extra in 0.0f64..1e9, d in 1.0f64..1e9, k in 1.0f64..100.0) {
            let s = with_capacity("s", min, min + extra, "tablets");
            let a = capacity_cover(&[&s], "tablet", d).unwrap();
            let b = capacity_cover(&[&s], "tablet", d * k).unwrap();
            proptest::prop_assert!(a.cover_min <= a.cover_max);
            proptest::prop_assert!(b.cover_min <= a.cover_min + 1e-9 * a.cover_min.abs());
            proptest::prop_assert!(b.cover_max <= a.cover_max + 1e-9 * a.cover_max.abs());
        }
    }
}
