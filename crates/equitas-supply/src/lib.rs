//! Supply security (issue 20): who makes each product, where, under which
//! licence and regulator, and how concentrated that is.
//!
//! Pure: the registers' row types and CSV parsers ([`registers`]), the
//! concentration of supply at every tier with each product's weakest tier
//! ([`tiers`]), and the qualified sources per product type against a range
//! of sources held to sustain a market ([`sources`]), and the regulatory reach of each product
//! in each country ([`reach`]), and the share of each region's supply made
//! inside it with each country's dependence on producing countries ([`regional`]);
//! regional manufacturing matchmaking ([`matching`]). Definitions and worked examples are in
//! docs/formulas.md, section 6; the examples run as tests here.

pub mod matching;
pub mod methods;
pub mod reach;
pub mod regional;
pub mod registers;
pub mod sources;
pub mod tiers;

pub use reach::{Authorised, ReachRow, reach};
pub use registers::{IngredientSource, Licence, Regulator, Site};
pub use sources::{Prequalification, RuleBand, SourcesRow, sources_per_type};
pub use tiers::{Link, MapRow, SupplyRow, Tier, TierConcentration, supply_map, supply_tiers};
