//! The scenario document (TOML or JSON): shocks, export restrictions,
//! demand surges, mitigations and options. An unknown field or a bad value
//! is an error naming it (docs/formulas.md 7).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What went wrong with a scenario, naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The document could not be read (the message names the field and
    /// where it is: TOML's line and column, or JSON's).
    #[error("scenario: {0}")]
    Syntax(String),
    /// A field holds a value out of range or inconsistent.
    #[error("scenario: {field}: {reason}")]
    Field { field: String, reason: String },
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
    ScenarioError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A whole scenario.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    /// Day 0 of the scenario (default: given by the data, see the loader).
    pub start: Option<NaiveDate>,
    #[serde(default)]
    pub shocks: Vec<Shock>,
    #[serde(default)]
    pub export_restrictions: Vec<ExportRestriction>,
    #[serde(default)]
    pub surges: Vec<Surge>,
    #[serde(default)]
    pub mitigations: Vec<Mitigation>,
    #[serde(default)]
    pub options: Options,
    /// Population of each country (ISO3), for priority to need per person
    /// (7.5): the user's own series (`--population FILE` on the command line).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub population: BTreeMap<String, f64>,
    /// Spare capacity of alternative sources known to the user (7.4), in
    /// place of the sites register's and of the assumed share
    /// (`--spare-capacity SOURCE:PRODUCT:UNITS` on the command line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spare_capacity: Vec<SpareCapacity>,
}

/// What one source can add of one product, units a month, as the user
/// knows it (7.4).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpareCapacity {
    /// The source as the supply flows name it: the manufacturer, else the site.
    pub source: String,
    pub product: String,
    /// Units a month it can add to what it already makes.
    pub per_month: f64,
}

/// A node losing part or all of its capacity. Exactly one of `site`,
/// `manufacturer`, `producing_country`, `ingredient_country`, `region`
/// names it; `producing_country = "largest"` is the producing country with
/// the largest share of the supply loaded.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    pub site: Option<String>,
    pub manufacturer: Option<String>,
    pub producing_country: Option<String>,
    pub ingredient_country: Option<String>,
    pub region: Option<String>,
    /// Share of capacity lost, 0 to 1 (default 1).
    #[serde(default = "one")]
    pub loss: f64,
    /// First day (default: the scenario's start).
    pub from: Option<NaiveDate>,
    /// A fixed duration in months...
    pub months: Option<f64>,
    /// ...or a triangular one: min, most likely, max months.
    pub triangular: Option<[f64; 3]>,
}

fn one() -> f64 {
    1.0
}

/// A producing country stopping exports to all buyers (`to` empty) or to
/// those listed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRestriction {
    pub country: String,
    #[serde(default)]
    pub to: Vec<String>,
    pub from: Option<NaiveDate>,
    pub months: Option<f64>,
    pub triangular: Option<[f64; 3]>,
}

/// Demand up by `increase` (0.3 = +30%, at most [`MAX_INCREASE`]) for
/// `months` in `countries`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Surge {
    pub countries: Vec<String>,
    pub increase: f64,
    pub from: Option<NaiveDate>,
    pub months: f64,
}

/// A mitigation compared against the same scenario.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Mitigation {
    /// `months` more of demand held in stock in `country` (every country
    /// when none is named), for one product or all.
    SafetyStock {
        name: Option<String>,
        country: Option<String>,
        product: Option<String>,
        months: f64,
    },
    /// `source` (a manufacturer) authorised in `country` for `product`.
    SecondSource {
        name: Option<String>,
        country: String,
        product: String,
        source: String,
        cost: Option<f64>,
    },
    /// A new producer (or licensee) at `site` in `country`, making
    /// `products` with `capacity_per_month` units, qualified from `from`,
    /// authorised in `territory` (empty: its own country).
    RegionalProducer {
        name: Option<String>,
        site: String,
        country: String,
        products: Vec<String>,
        capacity_per_month: f64,
        from: Option<NaiveDate>,
        #[serde(default)]
        territory: Vec<String>,
        cost: Option<f64>,
    },
}

impl Mitigation {
    pub fn kind(&self) -> &'static str {
        match self {
            Mitigation::SafetyStock { .. } => "safety-stock",
            Mitigation::SecondSource { .. } => "second-source",
            Mitigation::RegionalProducer { .. } => "regional-producer",
        }
    }

    /// Its name, or a description made from its fields.
    pub fn label(&self) -> String {
        match self {
            Mitigation::SafetyStock { name: Some(n), .. }
            | Mitigation::SecondSource { name: Some(n), .. }
            | Mitigation::RegionalProducer { name: Some(n), .. } => n.clone(),
            Mitigation::SafetyStock {
                country,
                product,
                months,
                ..
            } => format!(
                "{months} more months of stock of {} in {}",
                product.as_deref().unwrap_or("every product"),
                country.as_deref().unwrap_or("every country")
            ),
            Mitigation::SecondSource {
                country,
                product,
                source,
                ..
            } => format!("{source} authorised for {product} in {country}"),
            Mitigation::RegionalProducer {
                site,
                country,
                capacity_per_month,
                ..
            } => format!("producer {site} in {country}, {capacity_per_month} units a month"),
        }
    }
}

/// How scarce spare capacity is shared between countries (7.5).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// In proportion to each country's need.
    ProRata,
    /// Countries that run out first are served first.
    OrderDate,
    /// Low-income countries first, then by need per person (or need).
    Need,
}

impl Rule {
    pub const ALL: [Rule; 3] = [Rule::ProRata, Rule::OrderDate, Rule::Need];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ProRata => "pro-rata",
            Rule::OrderDate => "order-date",
            Rule::Need => "need",
        }
    }
}

/// The assumptions and settings of a run, each with its default.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// Months simulated from the start.
    pub horizon_months: u32,
    /// Months of procurement lines, up to the last delivery, whose
    /// supply and demand a month the scenario puts at risk (7.1).
    pub demand_months: u32,
    /// Stock assumed where the ledger holds none, in months of demand.
    pub months_of_stock: f64,
    /// Spare capacity of an unaffected source, as a share of its current volume.
    pub spare_capacity: f64,
    /// Days to authorise a source where the regulators register states none.
    pub authorisation_days: f64,
    /// Months from a first order to full supply at a new source.
    pub ramp_up_months: f64,
    /// Procurement lead time where none is observed, in months.
    pub lead_time_months: f64,
    pub allocation: Rule,
    pub paths: u32,
    pub seed: u64,
    /// Coefficient of variation of monthly demand in the Monte Carlo.
    pub demand_cv: f64,
    /// The outage each node suffers in the node ranking, in months.
    pub node_outage_months: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            horizon_months: 24,
            demand_months: 36,
            months_of_stock: 3.0,
            spare_capacity: 0.2,
            authorisation_days: 365.0,
            ramp_up_months: 1.0,
            lead_time_months: 4.0,
            allocation: Rule::ProRata,
            paths: 1000,
            seed: 1,
            demand_cv: 0.1,
            node_outage_months: 6.0,
        }
    }
}

fn check_duration(
    at: &str,
    months: Option<f64>,
    tri: Option<[f64; 3]>,
) -> Result<(), ScenarioError> {
    match (months, tri) {
        (Some(m), None) => {
            if !(m.is_finite() && m > 0.0 && m <= 1200.0) {
                return Err(bad(
                    format!("{at}.months"),
                    format!("{m} is not a number of months above 0 (at most 1200)"),
                ));
            }
        }
        (None, Some([a, m, b])) => {
            let ok = [a, m, b]
                .iter()
                .all(|x| x.is_finite() && *x >= 0.0 && *x <= 1200.0)
                && a <= m
                && m <= b
                && b > 0.0;
            if !ok {
                return Err(bad(
                    format!("{at}.triangular"),
                    format!("[{a}, {m}, {b}] is not min <= most likely <= max months, max above 0"),
                ));
            }
        }
        (Some(_), Some(_)) => {
            return Err(bad(
                format!("{at}.months"),
                "give months or triangular, not both",
            ));
        }
        (None, None) => {
            return Err(bad(
                format!("{at}.months"),
                "a duration is required: months = N or triangular = [min, mode, max]",
            ));
        }
    }
    Ok(())
}

/// The largest demand increase a surge may state: +1,000%.
pub const MAX_INCREASE: f64 = 10.0;

fn check_fraction(field: String, x: f64, max: f64) -> Result<(), ScenarioError> {
    if x.is_finite() && (0.0..=max).contains(&x) {
        Ok(())
    } else {
        Err(bad(field, format!("{x} is not from 0 to {max}")))
    }
}

impl Scenario {
    /// Reads a scenario from TOML, or from JSON when the text starts with `{`.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let s: Scenario = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| ScenarioError::Syntax(e.to_string()))?
        } else {
            toml::from_str(text)
                .map_err(|e| ScenarioError::Syntax(e.to_string().trim().replace('\n', " ")))?
        };
        s.check()?;
        Ok(s)
    }

    /// Every value in range, every shock with one target and one duration.
    pub fn check(&self) -> Result<(), ScenarioError> {
        for (i, s) in self.shocks.iter().enumerate() {
            let at = format!("shocks[{i}]");
            let named = [
                &s.site,
                &s.manufacturer,
                &s.producing_country,
                &s.ingredient_country,
                &s.region,
            ]
            .iter()
            .filter(|x| x.is_some())
            .count();
            if named != 1 {
                return Err(bad(
                    at,
                    format!(
                        "name exactly one of site, manufacturer, producing_country, ingredient_country, region ({named} given)"
                    ),
                ));
            }
            check_fraction(format!("{at}.loss"), s.loss, 1.0)?;
            check_duration(&at, s.months, s.triangular)?;
        }
        for (i, r) in self.export_restrictions.iter().enumerate() {
            let at = format!("export_restrictions[{i}]");
            if r.country.trim().is_empty() {
                return Err(bad(format!("{at}.country"), "required"));
            }
            check_duration(&at, r.months, r.triangular)?;
        }
        for (i, s) in self.surges.iter().enumerate() {
            let at = format!("surges[{i}]");
            if s.countries.is_empty() {
                return Err(bad(format!("{at}.countries"), "name at least one country"));
            }
            // A share: 0.3 is +30%, 10 is +1,000%. An increase of 80 was
            // once read as +8,000% when +80% was meant: above 10 it is
            // refused, saying how to write a percentage.
            if !(s.increase.is_finite() && (0.0..=MAX_INCREASE).contains(&s.increase)) {
                return Err(bad(
                    format!("{at}.increase"),
                    format!(
                        "{} is not from 0 to {MAX_INCREASE}: an increase is a share (0.3 is +30%, 1 doubles demand): write 0.8 for +80% (80% on the command line)",
                        s.increase
                    ),
                ));
            }
            check_duration(&at, Some(s.months), None)?;
        }
        for (i, m) in self.mitigations.iter().enumerate() {
            let at = format!("mitigations[{i}]");
            match m {
                Mitigation::SafetyStock { months, .. } => {
                    check_fraction(format!("{at}.months"), *months, 120.0)?
                }
                Mitigation::SecondSource { cost, .. } => {
                    if let Some(c) = cost {
                        check_fraction(format!("{at}.cost"), *c, 1e15)?
                    }
                }
                Mitigation::RegionalProducer {
                    capacity_per_month,
                    cost,
                    products,
                    ..
                } => {
                    check_fraction(
                        format!("{at}.capacity_per_month"),
                        *capacity_per_month,
                        1e15,
                    )?;
                    if products.is_empty() {
                        return Err(bad(format!("{at}.products"), "name at least one product"));
                    }
                    if let Some(c) = cost {
                        check_fraction(format!("{at}.cost"), *c, 1e15)?
                    }
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.spare_capacity.iter().enumerate() {
            let at = format!("spare_capacity[{i}]");
            if c.source.trim().is_empty() {
                return Err(bad(format!("{at}.source"), "required"));
            }
            if c.product.trim().is_empty() {
                return Err(bad(format!("{at}.product"), "required"));
            }
            check_fraction(format!("{at}.per_month"), c.per_month, 1e15)?;
            if !seen.insert((&c.source, &c.product)) {
                return Err(bad(
                    at,
                    format!("{} and {} given twice", c.source, c.product),
                ));
            }
        }
        for (k, p) in &self.population {
            if !(p.is_finite() && *p > 0.0) {
                return Err(bad(
                    format!("population.{k}"),
                    format!("{p} is not a population above 0"),
                ));
            }
        }
        let o = &self.options;
        if !(1..=120).contains(&o.horizon_months) {
            return Err(bad(
                "options.horizon_months",
                format!("{} is not from 1 to 120", o.horizon_months),
            ));
        }
        if !(1..=600).contains(&o.demand_months) {
            return Err(bad(
                "options.demand_months",
                format!("{} is not from 1 to 600", o.demand_months),
            ));
        }
        if !(1..=10_000).contains(&o.paths) {
            return Err(bad(
                "options.paths",
                format!("{} is not from 1 to 10000", o.paths),
            ));
        }
        check_fraction("options.months_of_stock".into(), o.months_of_stock, 120.0)?;
        check_fraction("options.spare_capacity".into(), o.spare_capacity, 100.0)?;
        check_fraction(
            "options.authorisation_days".into(),
            o.authorisation_days,
            36500.0,
        )?;
        check_fraction("options.ramp_up_months".into(), o.ramp_up_months, 1200.0)?;
        check_fraction(
            "options.lead_time_months".into(),
            o.lead_time_months,
            1200.0,
        )?;
        check_fraction("options.demand_cv".into(), o.demand_cv, 5.0)?;
        check_duration("options.node_outage", Some(o.node_outage_months), None)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_read_the_same_scenario() {
        let t = r#"
name = "India stops"
start = "2026-01-01"
[[shocks]]
producing_country = "IND"
loss = 0.5
triangular = [3, 6, 12]
[[export_restrictions]]
country = "CHN"
to = ["KEN"]
months = 2
[[surges]]
countries = ["NGA"]
increase = 0.3
months = 3
[[mitigations]]
kind = "safety-stock"
country = "KEN"
months = 2
[options]
paths = 10
"#;
        let a = Scenario::parse(t).unwrap();
        assert_eq!(a.shocks[0].triangular, Some([3.0, 6.0, 12.0]));
        assert_eq!(a.options.paths, 10);
        assert_eq!(a.options.horizon_months, 24);
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(Scenario::parse(&j).unwrap(), a);
    }

    #[test]
    fn errors_name_the_field() {
        let e = Scenario::parse("[[shocks]]\nsite = \"s\"\nlos = 1\nmonths = 2\n").unwrap_err();
        assert!(e.to_string().contains("los"), "{e}");
        let e = Scenario::parse("[[shocks]]\nsite = \"s\"\nloss = 2\nmonths = 2\n").unwrap_err();
        assert!(e.to_string().contains("shocks[0].loss"), "{e}");
        let e = Scenario::parse("[[shocks]]\nsite = \"s\"\ntriangular = [5, 2, 9]\n").unwrap_err();
        assert!(e.to_string().contains("shocks[0].triangular"), "{e}");
        let e = Scenario::parse("[[shocks]]\nsite = \"s\"\nregion = \"AFRO\"\nmonths = 1\n")
            .unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let e = Scenario::parse(r#"{"options": {"allocation": "lottery"}}"#).unwrap_err();
        assert!(e.to_string().contains("lottery"), "{e}");
        let e = Scenario::parse(
            "[[mitigations]]\nkind = \"safety-stock\"\ncountry = \"KEN\"\nmonths = 1\nprice = 3\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("price"), "{e}");
        let e = Scenario::parse("[options]\npaths = 0\n").unwrap_err();
        assert!(e.to_string().contains("options.paths"), "{e}");
    }
}
