//! Concentration of supply at every tier (docs/formulas.md 6.1): for each
//! product (or product in a buying country), the HHI and effective number
//! of its manufacturers, manufacturing sites, producing countries and,
//! where known, ingredient countries; the single-source and single-country
//! flags; and its weakest tier, the most concentrated one.

use equitas_market::concentration::concentration;
use serde::Serialize;
use std::collections::BTreeMap;

/// A tier of the supply chain.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    Manufacturer,
    Site,
    Country,
    IngredientCountry,
}

impl Tier {
    /// In the order ties for the weakest tier are broken.
    pub const ALL: [Tier; 4] = [
        Tier::Manufacturer,
        Tier::Site,
        Tier::Country,
        Tier::IngredientCountry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Manufacturer => "manufacturer",
            Tier::Site => "site",
            Tier::Country => "country",
            Tier::IngredientCountry => "ingredient-country",
        }
    }
}

/// One flow of a product: what was bought (its weight: value or units) and
/// who made it where, as far as known.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The group the flow belongs to: `[product]` or `[product, buying country]`.
    pub key: Vec<String>,
    pub manufacturer: Option<String>,
    pub site: Option<String>,
    /// The finished product's manufacturing country.
    pub country: Option<String>,
    /// The countries of the site's ingredient sources for the product
    /// (the weight is split equally among them); empty when unknown.
    pub ingredient_countries: Vec<String>,
    pub weight: f64,
}

/// The concentration of one tier.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TierConcentration {
    pub tier: Tier,
    /// Groups with a positive weight.
    pub groups: usize,
    pub hhi: f64,
    pub effective_number: f64,
    /// The largest group (ties: the first by name) and its share.
    pub top: String,
    pub top_share: f64,
    /// Share of the weight whose group at this tier is not known.
    pub unknown_share: f64,
}

/// The tiers of one product (or product in a buying country).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SupplyRow {
    pub key: Vec<String>,
    /// Flows with a positive weight.
    pub n: usize,
    pub total: f64,
    /// The tiers with a known group, in [`Tier::ALL`]'s order.
    pub tiers: Vec<TierConcentration>,
    /// The tier with the highest HHI rounded to a whole number (ties: the
    /// first in [`Tier::ALL`]).
    pub weakest: Tier,
    /// One manufacturer holds all the known weight.
    pub single_source: bool,
    /// One producing country holds all the known weight.
    pub single_country: bool,
}

impl SupplyRow {
    pub fn tier(&self, t: Tier) -> Option<&TierConcentration> {
        self.tiers.iter().find(|x| x.tier == t)
    }
}

fn tier_concentration(
    tier: Tier,
    groups: &BTreeMap<&str, f64>,
    unknown: f64,
    total: f64,
) -> Option<TierConcentration> {
    // BTreeMap: groups in name order, so that every digit is reproducible.
    let c = concentration(groups.values().copied())?;
    let (top, w) = groups
        .iter()
        .fold(None::<(&str, f64)>, |best, (k, v)| match best {
            Some((_, b)) if b >= *v => best,
            _ => Some((k, *v)),
        })?;
    Some(TierConcentration {
        tier,
        groups: c.groups,
        hhi: c.hhi,
        effective_number: c.effective_number,
        top: top.to_string(),
        top_share: w / c.total,
        unknown_share: unknown / total,
    })
}

/// The whole weight to one group, if known.
fn one(g: &Option<String>, w: f64) -> Option<Vec<(&str, f64)>> {
    g.as_deref().map(|g| vec![(g, w)])
}

/// The tiers of every key of `links`, in key order. Flows without a
/// positive, finite weight are left out; a key with none has no row.
pub fn supply_tiers(links: &[Link]) -> Vec<SupplyRow> {
    let mut by_key: BTreeMap<&[String], Vec<&Link>> = BTreeMap::new();
    for l in links {
        if l.weight.is_finite() && l.weight > 0.0 {
            by_key.entry(&l.key).or_default().push(l);
        }
    }
    let mut out = Vec::new();
    for (key, flows) in by_key {
        let total: f64 = flows.iter().map(|l| l.weight).sum();
        let mut tiers = Vec::new();
        for t in Tier::ALL {
            let mut groups: BTreeMap<&str, f64> = BTreeMap::new();
            let mut unknown = 0.0;
            for l in &flows {
                let parts = match t {
                    Tier::Manufacturer => one(&l.manufacturer, l.weight),
                    Tier::Site => one(&l.site, l.weight),
                    Tier::Country => one(&l.country, l.weight),
                    Tier::IngredientCountry => (!l.ingredient_countries.is_empty()).then(|| {
                        let k = l.ingredient_countries.len() as f64;
                        l.ingredient_countries
                            .iter()
                            .map(|c| (c.as_str(), l.weight / k))
                            .collect()
                    }),
                };
                match parts {
                    None => unknown += l.weight,
                    Some(p) => {
                        for (g, w) in p {
                            *groups.entry(g).or_default() += w;
                        }
                    }
                }
            }
            if let Some(c) = tier_concentration(t, &groups, unknown, total) {
                tiers.push(c);
            }
        }
        // Compared as shown, to a whole number, so that two tiers holding the
        // same groups tie whatever order their sums were added in.
        let Some(weakest) = tiers
            .iter()
            .fold(None::<&TierConcentration>, |w, t| match w {
                Some(w) if w.hhi.round() >= t.hhi.round() => Some(w),
                _ => Some(t),
            })
            .map(|t| t.tier)
        else {
            continue;
        };
        let single = |t: Tier| tiers.iter().any(|x| x.tier == t && x.groups == 1);
        out.push(SupplyRow {
            key: key.to_vec(),
            n: flows.len(),
            total,
            single_source: single(Tier::Manufacturer),
            single_country: single(Tier::Country),
            weakest,
            tiers,
        });
    }
    out
}

/// One link of the supply map: a group's weight made by a manufacturer at a
/// site in a country (any of them unknown: `None`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MapRow {
    pub key: Vec<String>,
    pub manufacturer: Option<String>,
    pub site: Option<String>,
    pub country: Option<String>,
    pub weight: f64,
    /// `weight` ÷ the key's total weight.
    pub share: f64,
}

/// The supply map of `links`: weights summed per key, manufacturer, site and
/// country, in that order; flows without a positive weight left out.
pub fn supply_map(links: &[Link]) -> Vec<MapRow> {
    type Path<'a> = (
        &'a [String],
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let mut by: BTreeMap<Path, f64> = BTreeMap::new();
    let mut totals: BTreeMap<&[String], f64> = BTreeMap::new();
    for l in links
        .iter()
        .filter(|l| l.weight.is_finite() && l.weight > 0.0)
    {
        let k = (
            l.key.as_slice(),
            l.manufacturer.as_deref(),
            l.site.as_deref(),
            l.country.as_deref(),
        );
        *by.entry(k).or_default() += l.weight;
        *totals.entry(l.key.as_slice()).or_default() += l.weight;
    }
    by.into_iter()
        .map(|((key, m, s, c), w)| MapRow {
            key: key.to_vec(),
            manufacturer: m.map(str::to_string),
            site: s.map(str::to_string),
            country: c.map(str::to_string),
            weight: w,
            share: w / totals[key],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn link(m: &str, s: &str, c: &str, w: f64) -> Link {
        let o = |x: &str| (!x.is_empty()).then(|| x.to_string());
        Link {
            key: vec!["p".into()],
            manufacturer: o(m),
            site: o(s),
            country: o(c),
            ingredient_countries: vec![],
            weight: w,
        }
    }

    #[test]
    fn unknown_groups_are_left_out_and_counted() {
        let rows = supply_tiers(&[
            link("a", "a1", "IND", 60.0),
            link("a", "a2", "", 30.0),
            link("b", "", "ZAF", 10.0),
        ]);
        let r = &rows[0];
        assert_eq!(r.n, 3);
        let m = r.tier(Tier::Manufacturer).unwrap();
        assert!((m.hhi - (90.0f64.powi(2) + 10.0f64.powi(2))).abs() < 1e-9);
        let c = r.tier(Tier::Country).unwrap();
        assert_eq!(c.groups, 2);
        assert!((c.unknown_share - 0.3).abs() < 1e-12);
        assert!((c.top_share - 60.0 / 70.0).abs() < 1e-12);
        assert!(r.tier(Tier::IngredientCountry).is_none());
        assert_eq!(r.weakest, Tier::Manufacturer);
        assert!(!r.single_source && !r.single_country);
    }

    fn arb_links() -> impl Strategy<Value = Vec<Link>> {
        proptest::collection::vec((0u8..5, 0u8..8, 0u8..4, 0u8..4, 0.001f64..1e6), 1..40).prop_map(
            |v| {
                v.into_iter()
                    .map(|(m, s, c, i, w)| Link {
                        key: vec!["p".into()],
                        manufacturer: Some(format!("m{m}")),
                        site: Some(format!("s{s}")),
                        country: Some(format!("c{c}")),
                        ingredient_countries: (0..i).map(|k| format!("i{k}")).collect(),
                        weight: w,
                    })
                    .collect()
            },
        )
    }

    #[test]
    fn the_map_adds_up_per_key() {
        let links = [
            link("a", "a1", "IND", 60.0),
            link("a", "a1", "IND", 20.0),
            link("b", "", "ZAF", 20.0),
            link("c", "c1", "BRA", 0.0),
        ];
        let m = supply_map(&links);
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].manufacturer.as_deref(), m[0].weight),
            (Some("a"), 80.0)
        );
        assert!((m[0].share - 0.8).abs() < 1e-12);
        assert_eq!(m[1].site, None);
    }

    /// The market's concentration table by site and by site country
    /// (formulas 2.2, 2.8) and the supply tiers (6.1) over the same lines:
    /// one figure, the unknown left out of both.
    fn market_and_supply_agree(lines: &[(Option<u8>, f64)]) -> Result<(), TestCaseError> {
        use equitas_market::analysis::{
            ConcentrationBands, Dataset, Dim, Observation, Weight, concentration_table,
        };
        // Sites 0..=5; the country of sites 4 and 5 is unknown.
        let country = |s: u8| (s < 4).then(|| ["IND", "ZAF", "IND", "CHN"][s as usize].to_string());
        let obs: Vec<Observation> = lines
            .iter()
            .map(|(site, value)| Observation {
                product: "p".into(),
                supplier: "v".into(),
                buyer_country: "KEN".into(),
                site: site.map(|s| format!("s{s}")),
                site_country: site.and_then(country),
                mode: None,
                originator: None,
                pack_size: Some(1.0),
                quantity: 1.0,
                value: Some(*value),
                order_date: None,
                scheduled_date: None,
                delivered_date: None,
            })
            .collect();
        let links: Vec<Link> = obs
            .iter()
            .map(|o| Link {
                key: vec![o.product.clone()],
                manufacturer: o.site.clone(),
                site: o.site.clone(),
                country: o.site_country.clone(),
                ingredient_countries: vec![],
                weight: o.value.unwrap_or(0.0),
            })
            .collect();
        let ds = Dataset::from(obs);
        let supply = supply_tiers(&links);
        for (by, tier) in [(Dim::Site, Tier::Site), (Dim::SiteCountry, Tier::Country)] {
            let market = concentration_table(
                &ds,
                &[Dim::Product],
                by,
                Weight::Value,
                &ConcentrationBands::default(),
            );
            let t = supply.first().and_then(|r| r.tier(tier));
            match (market.first(), t) {
                (None, None) => {}
                (Some(m), Some(t)) => {
                    prop_assert_eq!(m.groups, t.groups);
                    prop_assert!((m.hhi - t.hhi).abs() < 1e-9, "{} {}", m.hhi, t.hhi);
                    prop_assert!((m.top_share - t.top_share).abs() < 1e-12);
                    prop_assert!((m.unknown_share - t.unknown_share).abs() < 1e-12);
                    prop_assert_eq!(&m.top, &t.top);
                    prop_assert_eq!(m.single_source, t.groups == 1);
                }
                (m, t) => prop_assert!(false, "market {:?}, supply {:?}", m, t),
            }
        }
        Ok(())
    }

    #[test]
    fn market_concentration_by_site_country_is_the_supply_country_tier() {
        // As the Capillus HIV test in the demo: one known producing country
        // and lines of unknown origin; a single country, HHI 10,000, in both.
        market_and_supply_agree(&[(Some(0), 95.0), (Some(2), 3.0), (None, 2.0), (Some(4), 1.0)])
            .unwrap();
        // All unknown (Genie III, Paramax-3): neither shows a figure.
        market_and_supply_agree(&[(None, 5.0), (Some(5), 1.0)]).unwrap();
    }

    proptest! {
        #[test]
        fn market_and_supply_concentration_agree(
            lines in proptest::collection::vec((proptest::option::of(0u8..6), 0.0f64..1e6), 1..30)
        ) {
            market_and_supply_agree(&lines)?;
        }

        /// Every tier's HHI lies between 10,000/n and 10,000 and its
        /// effective number is 10,000/HHI; the weakest tier has the largest HHI.
        #[test]
        fn hhi_bounds_at_every_tier(links in arb_links()) {
            let r = &supply_tiers(&links)[0];
            for t in &r.tiers {
                let n = t.groups as f64;
                prop_assert!(t.hhi <= 10_000.0 * (1.0 + 1e-9));
                prop_assert!(t.hhi >= 10_000.0 / n * (1.0 - 1e-9));
                prop_assert!((t.effective_number * t.hhi - 10_000.0).abs() < 1e-6);
            }
            let w = r.tier(r.weakest).unwrap().hhi.round();
            prop_assert!(r.tiers.iter().all(|t| t.hhi.round() <= w));
        }

        /// A flow of zero weight changes nothing.
        #[test]
        fn a_zero_share_changes_nothing(links in arb_links(), m in 0u8..9) {
            let mut more = links.clone();
            more.push(Link { manufacturer: Some(format!("new{m}")), weight: 0.0, ..links[0].clone() });
            prop_assert_eq!(supply_tiers(&links), supply_tiers(&more));
        }

        /// Equal shares across n manufacturers give an effective number of n.
        #[test]
        fn equal_shares_give_n(n in 1usize..30, w in 0.5f64..1e6) {
            let links: Vec<Link> = (0..n).map(|k| link(&format!("m{k}"), "", "", w)).collect();
            let r = &supply_tiers(&links)[0];
            let m = r.tier(Tier::Manufacturer).unwrap();
            prop_assert!((m.effective_number - n as f64).abs() < 1e-6);
            prop_assert_eq!(r.single_source, n == 1);
        }
    }
}

#[cfg(test)]
mod formulas_md {
    use super::*;
    use equitas_doc_vectors::{round, vectors};
    use serde_json::Value;

    fn opt(v: &Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }

    /// docs/formulas.md, section 6.1.
    #[test]
    fn tiers_worked_examples() {
        for v in vectors("supply_tiers") {
            let links: Vec<Link> = v["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| Link {
                    key: vec!["p".into()],
                    manufacturer: opt(&l[0]),
                    site: opt(&l[1]),
                    country: opt(&l[2]),
                    ingredient_countries: l[3].as_array().unwrap().iter().filter_map(opt).collect(),
                    weight: l[4].as_f64().unwrap(),
                })
                .collect();
            let rows = supply_tiers(&links);
            let r = &rows[0];
            for (name, want) in v["hhi"].as_object().unwrap() {
                let t = Tier::ALL.into_iter().find(|t| t.as_str() == name).unwrap();
                let got = r.tier(t).map(|c| round(c.hhi, 0));
                assert_eq!(got, want.as_f64(), "{name}: {v}");
            }
            assert_eq!(r.weakest.as_str(), v["weakest"].as_str().unwrap(), "{v}");
            assert_eq!(
                r.single_source,
                v["single_source"].as_bool().unwrap(),
                "{v}"
            );
            assert_eq!(
                r.single_country,
                v["single_country"].as_bool().unwrap(),
                "{v}"
            );
        }
    }
}
