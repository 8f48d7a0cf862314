//! Interoperability: Equitas's stock figures and movements in the formats
//! of the systems it exchanges with, and theirs read back into the shapes
//! the store already writes.
//!
//! - [`dhis2`]: DHIS2 dataValueSets (JSON and CSV) through a mapping file:
//!   monthly figures out, monthly stock reports in, the import summary of
//!   a push read;
//! - [`fhir`]: HL7 FHIR R5 resources (IHE Pharmacy supply): dispenses,
//!   deliveries and inventory snapshots in as the EPCIS events that mean
//!   the same movements, inventory snapshots out;
//!
//! Pure: no file, network or database access; callers give bytes and the
//! ledger, and get values, documents and errors naming what is wrong.

pub mod dhis2;
pub mod fhir;
