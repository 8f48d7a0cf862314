//! One-line statements of how each supply figure is computed, shown with
//! every output (CLI and HTTP) next to its period and sources.

/// The range of qualified sources held to sustain a market, and what is
/// known of where it comes from.
pub const RULE_SOURCE: &str = "a planning convention, not a WHO threshold: WHO's vaccine prequalification priority setting judges supply security by the number, diversity and production capacity of suppliers but states no number (docs/formulas.md 6.2 cites it)";

pub fn tiers(weight: &str, per_country: bool, thresholds: &[f64]) -> String {
    format!(
        "per {}: HHI = sum of squared percentage shares of {weight} by manufacturer, manufacturing site, producing country and ingredient country, over the weight whose group is known (unknown share shown); effective number = 10,000 / HHI; weakest tier = highest HHI (whole number), ties to the first; single source = one manufacturer; single country = one producing country; band of the weakest tier at {thresholds:?} (docs/formulas.md 6.1, 2.2, 2.8)",
        if per_country {
            "product and buying country"
        } else {
            "product"
        }
    )
}

pub fn sources(programme: &str, low: usize, high: usize) -> String {
    format!(
        "WHO prequalification list ({programme}) as imported: qualified sources = distinct manufacturers per product type as the list names them; products = entries per responsible authority; rule: below {low}, {low} to {high}, above {high} qualified sources, {RULE_SOURCE} (docs/formulas.md 6.2)"
    )
}

pub fn reach(on: chrono::NaiveDate, low: usize, high: usize) -> String {
    format!(
        "per country and product (the authorisation's product code, else the catalogue product its name matches): authorised sources = distinct manufacturers (else holders) of marketing authorisations valid on {on} (status valid, {on} within valid_from to valid_to); a product with authorisations loaded but none valid (suspended, withdrawn, expired, cancelled, pending or out of its dates) shows 0 sources and no alternative; countries without any authorisation loaded, whatever its status, are left out; alternative = 2 sources or more; otherwise the shortest typical days to authorise among the country's pathways; sources against {low} to {high}, {RULE_SOURCE} (docs/formulas.md 6.3)"
    )
}

pub fn regional(weight: &str) -> String {
    format!(
        "per region (WHO regions, or the African Union) of the buying countries: share produced in the region = {weight} made in a country of the same region / {weight} of known producing country; unknown share shown (docs/formulas.md 6.4)"
    )
}

pub fn dependence(weight: &str) -> String {
    format!(
        "per buying country: share of its {weight} made in each producing country, over its {weight} of known producing country; unknown share shown (docs/formulas.md 6.4)"
    )
}

pub fn matching(weight: &str) -> String {
    format!(
        "per WHO region of the buying countries and product: demand = {weight} bought; uncovered = demand - {weight} made in the region (unknown origin counts as uncovered); regional producers = register sites in the region naming the product, qualified with a who-pq, sra or wla approval; licences = licences for the product, not expired or terminated, covering a country of the region; priority gap = no qualified regional producer while a licence or an unqualified producer exists; ranked priority first, then uncovered; with quantity weights, capacity cover = regional producers' yearly capacity in the product's unit / yearly demand, a year of demand being over the period of every line within the dates asked (docs/formulas.md 6.5)"
    )
}

pub fn map(weight: &str, per_country: bool) -> String {
    format!(
        "per {}: {weight} summed by manufacturer, manufacturing site and producing country (unknown ones as null); share = of the group's {weight} (docs/formulas.md 6.1)",
        if per_country {
            "product and buying country"
        } else {
            "product"
        }
    )
}
