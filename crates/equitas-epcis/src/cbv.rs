//! The closed vocabularies of the GS1 Core Business Vocabulary (CBV 2.0)
//! that capture checks: a business step or a disposition in CBV's own
//! namespace (`urn:epcglobal:cbv:bizstep:`, `https://ref.gs1.org/cbv/BizStep-`,
//! or a bare word in JSON) must be one CBV names; a step or disposition of
//! one's own is written as a URI of one's own (EPCIS 2.0, 7.3.5; the JSON
//! schema's `vocab-other-uri`).

/// CBV 2.0 business steps (GS1 Core Business Vocabulary 2.0, section 7.1).
pub const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
];

/// CBV 2.0 dispositions (GS1 Core Business Vocabulary 2.0, section 7.2).
pub const DISPOSITIONS: &[&str] = &[
    "active",
    "available",
    "completeness_inferred",
    "completeness_verified",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_class",
    "mismatch_instance",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
];

/// The web URI prefixes of CBV business steps and dispositions, as events
/// are read (`canon`).
const BIZ_STEP_PREFIX: &str = "https://ref.gs1.org/cbv/BizStep-";
const DISPOSITION_PREFIX: &str = "https://ref.gs1.org/cbv/Disp-";

/// Why `value` (a `bizStep` or `disposition` as read, in its web URI form)
/// is not a CBV term though written in CBV's namespace, with the term
/// likely meant; `None` when it is one, or a URI of another namespace.
pub fn not_in_cbv(field: &str, value: &str) -> Option<String> {
    let (prefix, terms, what) = match field {
        "bizStep" => (BIZ_STEP_PREFIX, BIZ_STEPS, "business step"),
        "disposition" => (DISPOSITION_PREFIX, DISPOSITIONS, "disposition"),
        _ => return None,
    };
    let term = value.strip_prefix(prefix)?;
    if terms.contains(&term) {
        return None;
    }
    let hint = equitas_model::suggest::did_you_mean(term, terms.iter().map(|t| (*t, *t)))
        .map(|t| format!("; did you mean {t:?}?"))
        .unwrap_or_default();
    Some(format!(
        "{term:?} is not a CBV {what}{hint} (one of your own is written as a URI of your own)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbv_terms_are_checked_in_cbv_s_namespace_only() {
        assert_eq!(
            not_in_cbv("bizStep", "https://ref.gs1.org/cbv/BizStep-dispensing"),
            None
        );
        assert_eq!(
            not_in_cbv("bizStep", "https://ref.gs1.org/cbv/BizStep-dispensin").as_deref(),
            Some(
                "\"dispensin\" is not a CBV business step; did you mean \"dispensing\"? (one of your own is written as a URI of your own)"
            )
        );
        assert_eq!(
            not_in_cbv("bizStep", "https://example.org/steps/weighing"),
            None
        );
        assert!(not_in_cbv("disposition", "https://ref.gs1.org/cbv/Disp-expird").is_some());
        assert_eq!(
            not_in_cbv("disposition", "https://ref.gs1.org/cbv/Disp-expired"),
            None
        );
    }
}
