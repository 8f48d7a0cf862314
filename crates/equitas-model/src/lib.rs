//! The Equitas domain model: products and trade items, organisations and
//! manufacturing sites, countries and the location hierarchy, and parsers
//! for the reference files that describe them.
//!
//! Pure computation: no I/O beyond reading from a caller's `Read`.

mod catalogue;
mod lang;
pub use lang::Lang;
mod location;
pub mod reference;
mod row_error;
pub mod suggest;
pub use row_error::csv_line;

pub use catalogue::{
    ManufacturingSite, OrgRole, Organisation, Product, ProductCategory, Programme, TradeItem, slug,
};
pub use location::{Country, Location, LocationLevel};
pub use row_error::{RowError, RowErrors, clip, rows_with_errors};
