//! Geographic diversification (docs/formulas.md 6.4): the share of each
//! region's procurement produced inside the region, and each buying
//! country's dependence on each producing country.

use serde::Serialize;
use std::collections::BTreeMap;

/// The 55 member states of the African Union (ISO 3166-1 alpha-3; `ESH`: the
/// Sahrawi Arab Democratic Republic), members whatever their suspension.
/// Source: [`AFRICAN_UNION_SOURCE`].
pub const AFRICAN_UNION: [&str; 55] = [
    "DZA", "AGO", "BEN", "BWA", "BFA", "BDI", "CPV", "CMR", "CAF", "TCD", "COM", "COD", "COG",
    "DJI", "EGY", "GNQ", "ERI", "SWZ", "ETH", "GAB", "GMB", "GHA", "GIN", "GNB", "CIV", "KEN",
    "LSO", "LBR", "LBY", "MDG", "MWI", "MLI", "MRT", "MUS", "MAR", "MOZ", "NAM", "NER", "NGA",
    "RWA", "ESH", "STP", "SEN", "SYC", "SLE", "SOM", "ZAF", "SSD", "SDN", "TZA", "TGO", "TUN",
    "UGA", "ZMB", "ZWE",
];

/// Where [`AFRICAN_UNION`] comes from, and when it was read.
pub const AFRICAN_UNION_SOURCE: &str = "https://simple.wikipedia.org/wiki/African_Union (list of the 55 members, read through a mirror on 2026-12-05)";

/// Which regions the geographic indicators group countries by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regions {
    /// The WHO regions of the country list.
    Who,
    /// The African Union (one region, `AU`; other countries are in none).
    AfricanUnion,
}

impl std::str::FromStr for Regions {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "who" => Ok(Regions::Who),
            "au" => Ok(Regions::AfricanUnion),
            _ => Err(format!("unknown regions {s:?}; expected who or au")),
        }
    }
}

/// One flow: who bought, where it was made, how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub buyer_country: String,
    /// The buying country's region (WHO region...), if known.
    pub buyer_region: Option<String>,
    pub producer_country: Option<String>,
    pub producer_region: Option<String>,
    pub weight: f64,
}

/// The share of a region's procurement produced inside it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RegionRow {
    pub region: String,
    /// All weight bought by the region's countries.
    pub total: f64,
    /// Weight made in the same region.
    pub in_region: f64,
    /// `in_region` ÷ the weight whose producing country is known.
    pub share_in_region: Option<f64>,
    /// Share of `total` whose producing country is not known.
    pub unknown_share: f64,
    /// The region's buying countries (ISO 3166-1 alpha-3), in code order.
    pub countries: Vec<String>,
}

/// A buying country's dependence on one producing country.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DependenceRow {
    pub country: String,
    pub producer: String,
    pub weight: f64,
    /// `weight` ÷ the country's weight of known producing country.
    pub share: f64,
    /// Share of the country's weight whose producing country is not known.
    pub unknown_share: f64,
}

fn positive(f: &Flow) -> bool {
    f.weight.is_finite() && f.weight > 0.0
}

/// Per buying region (flows whose buyer region is unknown are left out), in region order.
pub fn regional(flows: &[Flow]) -> Vec<RegionRow> {
    #[derive(Default)]
    struct Acc {
        total: f64,
        known: f64,
        /// Summed apart, not total − known: 0 when every origin is known
        /// (the difference left noise such as 2e-16, shown "< 0.1%").
        unknown: f64,
        inside: f64,
        countries: std::collections::BTreeSet<String>,
    }
    let mut by: BTreeMap<&str, Acc> = BTreeMap::new();
    for f in flows.iter().filter(|f| positive(f)) {
        let Some(r) = f.buyer_region.as_deref() else {
            continue;
        };
        let a = by.entry(r).or_default();
        a.total += f.weight;
        if !a.countries.contains(&f.buyer_country) {
            a.countries.insert(f.buyer_country.clone());
        }
        // Made in a known country: inside the region or outside it (a
        // country outside every region counts as outside).
        if f.producer_country.is_some() {
            a.known += f.weight;
            if f.producer_region.as_deref() == Some(r) {
                a.inside += f.weight;
            }
        } else {
            a.unknown += f.weight;
        }
    }
    by.into_iter()
        .map(|(r, a)| RegionRow {
            region: r.to_string(),
            total: a.total,
            in_region: a.inside,
            share_in_region: (a.known > 0.0).then(|| a.inside / a.known),
            unknown_share: a.unknown / a.total,
            countries: a.countries.into_iter().collect(),
        })
        .collect()
}

/// Per buying country (in code order), its producing countries, the
/// largest share first (ties: by code): what an analyst reads first is what
/// it depends on most. The shares of a country's known producers add up to 1.
pub fn dependence(flows: &[Flow]) -> Vec<DependenceRow> {
    // (total, unknown summed apart — not total − known, which left noise
    // such as -1e-16, shown "-0.0%" —, weight by producer)
    let mut by: BTreeMap<&str, (f64, f64, BTreeMap<&str, f64>)> = BTreeMap::new();
    for f in flows.iter().filter(|f| positive(f)) {
        let e = by.entry(f.buyer_country.as_str()).or_default();
        e.0 += f.weight;
        match f.producer_country.as_deref() {
            Some(p) => *e.2.entry(p).or_default() += f.weight,
            None => e.1 += f.weight,
        }
    }
    let mut out = Vec::new();
    for (c, (total, unknown, producers)) in by {
        let known: f64 = producers.values().sum();
        let mut producers: Vec<(&str, f64)> = producers.into_iter().collect();
        producers.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        for (p, w) in producers {
            out.push(DependenceRow {
                country: c.to_string(),
                producer: p.to_string(),
                weight: w,
                share: w / known,
                unknown_share: unknown / total,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_doc_vectors::{round, vectors};
    use proptest::prelude::*;

    fn flow(b: &str, br: &str, p: &str, pr: &str, w: f64) -> Flow {
        let o = |x: &str| (!x.is_empty()).then(|| x.to_string());
        Flow {
            buyer_country: b.into(),
            buyer_region: o(br),
            producer_country: o(p),
            producer_region: o(pr),
            weight: w,
        }
    }

    /// With every origin known the unknown share is exactly 0, never the
    /// noise of total − known (a user pass, 2026-12-07: Kenya showed
    /// "< 0.1%", Burundi "-0.0%").
    #[test]
    fn every_origin_known_is_no_unknown_share() {
        // Weights whose sum in floating point differs from their parts'.
        let flows: Vec<Flow> = [0.1, 0.2, 0.3, 1e-3, 7.7]
            .iter()
            .enumerate()
            .map(|(i, w)| flow("KEN", "AFRO", ["IND", "JPN", "IRL"][i % 3], "SEARO", *w))
            .collect();
        for r in dependence(&flows) {
            assert_eq!(r.unknown_share, 0.0, "{r:?}");
        }
        for r in regional(&flows) {
            assert_eq!(r.unknown_share, 0.0, "{r:?}");
        }
    }

    /// What a country depends on most comes first, whatever the codes.
    #[test]
    fn dependence_lists_the_largest_share_first() {
        let flows = [
            flow("NGA", "AFR", "CHE", "EUR", 1.0),
            flow("NGA", "AFR", "IND", "SEAR", 75.0),
            flow("NGA", "AFR", "JPN", "WPR", 14.0),
            flow("NGA", "AFR", "DEU", "EUR", 10.0),
            flow("NGA", "AFR", "ZAF", "AFR", 10.0),
            flow("BEN", "AFR", "IND", "SEAR", 1.0),
        ];
        let rows = dependence(&flows);
        let order: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.country.as_str(), r.producer.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("BEN", "IND"),
                ("NGA", "IND"),
                ("NGA", "JPN"),
                ("NGA", "DEU"),
                ("NGA", "ZAF"),
                ("NGA", "CHE"),
            ]
        );
    }

    /// docs/formulas.md, section 6.4.
    #[test]
    fn regional_worked_examples() {
        for v in vectors("regional_share") {
            let flows: Vec<Flow> = v["flows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    flow(
                        f[0].as_str().unwrap(),
                        f[1].as_str().unwrap_or(""),
                        f[2].as_str().unwrap_or(""),
                        f[3].as_str().unwrap_or(""),
                        f[4].as_f64().unwrap(),
                    )
                })
                .collect();
            let r = &regional(&flows)[0];
            assert_eq!(
                r.share_in_region.map(|s| round(s, 3)),
                v["share"].as_f64(),
                "{v}"
            );
            assert_eq!(
                round(r.unknown_share, 3),
                v["unknown"].as_f64().unwrap(),
                "{v}"
            );
            let d = dependence(&flows);
            let top = d
                .iter()
                .max_by(|a, b| a.share.total_cmp(&b.share))
                .map(|x| (x.producer.as_str(), round(x.share, 3)));
            assert_eq!(
                top,
                v["top_dependence"]
                    .as_array()
                    .map(|t| (t[0].as_str().unwrap(), t[1].as_f64().unwrap())),
                "{v}"
            );
        }
    }

    #[test]
    fn the_african_union_has_55_distinct_members() {
        let set: std::collections::BTreeSet<&str> = AFRICAN_UNION.iter().copied().collect();
        assert_eq!(set.len(), 55);
        assert!(
            set.iter()
                .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    proptest! {
        /// Each country's shares add up to 1 and a zero flow changes nothing.
        #[test]
        fn shares_add_up(ws in proptest::collection::vec((0u8..3, 0u8..4, 0.01f64..1e6), 1..30)) {
            let flows: Vec<Flow> = ws.iter().map(|(b, p, w)| {
                let p = format!("P{p}");
                flow(&format!("B{b}"), "R1", &p, if p == "P0" { "R1" } else { "R2" }, *w)
            }).collect();
            let d = dependence(&flows);
            let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
            for r in &d {
                *sums.entry(r.country.as_str()).or_default() += r.share;
            }
            for s in sums.values() {
                prop_assert!((s - 1.0).abs() < 1e-9);
            }
            let mut more = flows.clone();
            more.push(flow("B9", "R1", "P9", "R3", 0.0));
            prop_assert_eq!(regional(&flows), regional(&more));
            prop_assert_eq!(dependence(&flows), dependence(&more));
        }
    }
}
