//! Data shipped inside the binary. Origins and licences: `data/README.md`.

/// ISO 3166 country codes, M49 regions, currencies (datasets/country-codes, ODC-PDDL 1.0).
pub const COUNTRY_CODES: &[u8] = include_bytes!("../../../data/country-codes.csv");
/// WHO regions and World Bank income groups (World Bank, CC BY 4.0).
pub const INCOME_GROUPS: &[u8] = include_bytes!("../../../data/who_regions_wb_income.csv");
/// USAID SCMS Supply Chain Shipment Pricing Data (US government work, public domain).
pub const SCMS: &[u8] = include_bytes!("../../../data/supply_chain_shipment_pricing.csv");
/// Reviewed mapping of SCMS manufacturing sites to manufacturers and countries (Equitas).
pub const SITE_MAP: &[u8] = include_bytes!("../../../data/scms-manufacturing-sites.csv");
/// Reviewed country-name aliases used by sources (Equitas).
pub const COUNTRY_ALIASES: &[u8] = include_bytes!("../../../data/country-name-aliases.csv");
/// Standard 30-day adult treatment courses of the main ARVs (Equitas, from WHO guidelines).
pub const TREATMENT_COURSES: &[u8] = include_bytes!("../../../data/treatment-courses.csv");
/// Partners of the WHO/MPP mRNA Technology Transfer Programme and their countries, each row
/// with its public source and date (Equitas, facts compiled from public pages).
pub const SUPPLY_MRNA_PROGRAMME: &[u8] = include_bytes!("../../../data/supply-mrna-programme.csv");
/// Licences signed by the Medicines Patent Pool under WHO's C-TAP (a worldwide test licence
/// and its sublicence), each row with its public source (Equitas, facts compiled from public pages).
pub const SUPPLY_C_TAP_LICENCES: &[u8] = include_bytes!("../../../data/supply-c-tap-licences.csv");
/// Regulators at WHO maturity level 3 with the year, each row with its public source and date
/// (Equitas, facts compiled from public pages).
pub const SUPPLY_REGULATORS: &[u8] = include_bytes!("../../../data/supply-regulators.csv");
