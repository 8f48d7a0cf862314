//! Market intelligence: procurement transactions, their sources (the USAID
//! SCMS shipment file first), and the indicators computed from them.
//!
//! Pure computation; the store persists what this crate produces.

pub mod analysis;
pub mod authorisations;
pub mod catalogue;
pub mod concentration;
pub mod generic;
pub mod inputs;
pub mod methods;
pub mod msh;
pub mod procurement;
pub mod scms;
pub mod stats;

pub use concentration::{Concentration, concentration};
pub use procurement::{FieldGap, GapKind, ProcurementLine};
