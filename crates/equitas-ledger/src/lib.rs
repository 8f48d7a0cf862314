//! The stock ledger: what is in stock, where, until when.
//!
//! Pure computation over [`Movement`]s (receipts, issues, dispensing,
//! adjustments, physical counts) per location, item and lot:
//!
//! - [`ledger`]: running balances per lot, monthly figures per location and
//!   item (opening, received, issued, dispensed, adjusted, closing, stockout
//!   days), "as of" queries, incremental appends, data problems;
//! - [`indicators`]: the formulas of `docs/formulas.md` section 3 (adjusted
//!   consumption, AMC, months of stock, status bands, FEFO expiry risk,
//!   availability) on plain numbers;
//! - [`catalogue`]: which product a recorded item (GTIN, product code)
//!   counts toward, and in what unit;
//! - [`extract`]: the movements an EPCIS event means;
//! - [`report`]: monthly stock reports (CSV) and the movements they mean;
//! - [`places`]: the location hierarchy over the ledger's locations, tiers;
//! - [`bands`]: min-max months of stock per tier and item;
//! - [`view`]: the rows `equitas stock`, `equitas availability` and the API
//!   show, rolled up the location hierarchy.

pub mod bands;
pub mod calendar;
pub mod catalogue;
pub mod extract;
pub mod indicators;
pub mod ledger;
pub mod movement;
pub mod places;
pub mod report;
pub mod transit;
pub mod view;

pub use ledger::{DataProblem, Ledger, Month, ProblemKind};
pub use movement::{Kind, Movement, Names, Source};
