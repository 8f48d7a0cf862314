//! FHIR in (issue 24), on both backends: a MedicationDispense Bundle moves
//! stock and consumption as its EPCIS dispensing equivalent does; sent
//! twice it changes nothing; a bad one writes nothing and names the
//! element; the InventoryReport out is `equitas stock`'s stock on hand.

use equitas_interop::fhir::Codes;
use equitas_ledger::calendar::parse_month;
use equitas_ledger::view::{self, StockQuery};
use equitas_service::interop::{FhirError, fhir_import, fhir_inventory};
use equitas_store::epcis::{ErrorBehaviour, capture};
use equitas_store::import::{ImportKind, ImportOptions, Mappings, NoProgress, import};
use equitas_store::testing::{self, TestStore};
use equitas_store::{Store, on_both_backends};

const LOCATIONS: &str = "code,name,level,parent,country,gln\n\
R1,Region 1,region,XSY,XSY,\n\
F1,Facility 1,facility,R1,XSY,9520000000028\n\
F2,Facility 2,facility,R1,XSY,9520000000035\n";

fn setup(s: &mut dyn Store) {
    let net = equitas_synth::Network::new(equitas_synth::Config::default());
    for (kind, name, bytes) in [
        (
            ImportKind::Countries,
            "c.csv",
            net.countries_csv().into_bytes(),
        ),
        (
            ImportKind::Locations,
            "l.csv",
            LOCATIONS.as_bytes().to_vec(),
        ),
        (
            ImportKind::Products,
            "p.csv",
            b"code,name,gtin\ntld,TLD,09520000000011\n".to_vec(),
        ),
    ] {
        let r = import(
            s,
            kind,
            name,
            &bytes,
            &Mappings::default(),
            ImportOptions::default(),
            &NoProgress,
        )
        .unwrap();
        assert!(r.rejected.is_empty(), "{name}: {:?}", r.rejected);
    }
    // 100 received at F1 on 1 March, as an EPCIS receiving event.
    epcis(
        s,
        r#"{"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE", "bizStep": "receiving", "bizLocation": {"id": "urn:epc:id:sgln:9520000.00002.0"},
            "quantityList": [{"epcClass": "urn:epc:idpat:sgtin:9520000.000001.*", "quantity": 100}]}"#,
    );
}

fn epcis(s: &mut dyn Store, events: &str) {
    let text = format!(
        r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-04-01T00:00:00Z",
            "epcisBody": {{"eventList": [{events}]}}}}"#
    );
    let doc = equitas_epcis::EventReader::new(&text).unwrap();
    let r = capture(
        s,
        "epcis.json",
        &doc,
        Vec::new(),
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .unwrap();
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
}

/// Two dispenses at F1: one naming it through a Location of the Bundle
/// (by GLN), one by its Equitas code; the product once by GTIN, once by a
/// SNOMED CT code the mapping knows; and a cancelled one, which moves nothing.
const BUNDLE: &str = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
  {"fullUrl": "urn:uuid:4a3b8d1e-0c57-4f0e-9d7a-3c2b1a000001",
   "resource": {"resourceType": "Location", "id": "f1", "name": "Facility 1 pharmacy",
     "identifier": [{"system": "https://www.gs1.org/gln", "value": "9520000000028"}]}},
  {"resource": {"resourceType": "MedicationDispense", "status": "completed",
    "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
    "subject": {"reference": "Patient/a"}, "quantity": {"value": 30},
    "whenHandedOver": "2026-03-10T09:15:00+02:00", "location": {"reference": "urn:uuid:4a3b8d1e-0c57-4f0e-9d7a-3c2b1a000001"}}},
  {"resource": {"resourceType": "MedicationDispense", "status": "completed",
    "medication": {"concept": {"coding": [{"system": "http://snomed.info/sct", "code": "1156306002"}]}},
    "subject": {"reference": "Patient/b"}, "quantity": {"value": 12.5},
    "whenHandedOver": "2026-03-20T16:00:00+02:00", "location": {"identifier": {"system": "urn:equitas:location", "value": "F1"}}}},
  {"resource": {"resourceType": "MedicationDispense", "status": "cancelled",
    "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
    "subject": {"reference": "Patient/c"}, "quantity": {"value": 99},
    "whenHandedOver": "2026-03-21T16:00:00+02:00", "location": {"reference": "Location/f1"}}}
]}"#;

/// The same two dispenses as EPCIS 2.0 events.
const EPCIS_EQUIVALENT: &str = r#"
  {"type": "ObjectEvent", "eventTime": "2026-03-10T07:15:00Z", "eventTimeZoneOffset": "+02:00",
   "action": "OBSERVE", "bizStep": "urn:epcglobal:cbv:bizstep:dispensing", "bizLocation": {"id": "urn:epc:id:sgln:9520000.00002.0"},
   "quantityList": [{"epcClass": "urn:epc:idpat:sgtin:9520000.000001.*", "quantity": 30}]},
  {"type": "ObjectEvent", "eventTime": "2026-03-20T14:00:00Z", "eventTimeZoneOffset": "+02:00",
   "action": "OBSERVE", "bizStep": "urn:epcglobal:cbv:bizstep:dispensing", "bizLocation": {"id": "urn:epc:id:sgln:9520000.00002.0"},
   "quantityList": [{"epcClass": "urn:epc:idpat:sgtin:9520000.000001.*", "quantity": 12.5}]}"#;

fn codes() -> Codes {
    Codes::parse("[[code]]\nsystem = \"http://snomed.info/sct\"\ncode = \"1156306002\"\ngtin = \"09520000000011\"\n").unwrap()
}

/// (location, item, stock on hand, dispensed and consumption in March) of every stock row.
fn figures(s: &mut dyn Store) -> Vec<(String, String, f64, f64, f64)> {
    let d = equitas_store::stock::load(s).unwrap();
    let q = StockQuery {
        as_of: equitas_ledger::calendar::parse_day("2026-03-31"),
        ..StockQuery::default()
    };
    let m = parse_month("2026-03").unwrap();
    view::stock(&d.ledger, &d.places, &d.bands, &q)
        .into_iter()
        .map(|r| {
            let loc = d.ledger.names.locations.get(&r.location).unwrap();
            let item = d.ledger.names.item_id(&r.item).unwrap();
            let f = d.ledger.month(loc, item, m, q.as_of.unwrap()).unwrap();
            (
                r.location,
                r.item,
                r.stock_on_hand,
                f.dispensed,
                f.consumption(),
            )
        })
        .collect()
}

fn event_count(s: &mut dyn Store) -> i64 {
    equitas_store::epcis::event_count(s).unwrap()
}

fn same_as_epcis(s: &mut TestStore) {
    let mut twin = if s.target.starts_with("postgres") {
        testing::postgres().unwrap()
    } else {
        testing::sqlite()
    };
    setup(s.store.as_mut());
    setup(twin.store.as_mut());
    let r = fhir_import(
        s.store.as_mut(),
        "dispenses.json",
        BUNDLE.as_bytes(),
        &codes(),
    )
    .unwrap();
    assert_eq!(r.read.read["MedicationDispense"], 3);
    assert_eq!(r.read.read["Location"], 1);
    assert_eq!(r.read.notes.len(), 1, "{:?}", r.read.notes);
    let c = r.capture.unwrap();
    assert_eq!((c.captured, c.duplicates), (2, 0));
    epcis(twin.store.as_mut(), EPCIS_EQUIVALENT);
    let fhir = figures(s.store.as_mut());
    assert_eq!(fhir, figures(twin.store.as_mut()));
    assert_eq!(
        fhir,
        vec![("F1".to_string(), "tld".to_string(), 57.5, 42.5, 42.5)]
    );

    // Sent again: duplicates, nothing changes.
    let again = fhir_import(
        s.store.as_mut(),
        "dispenses.json",
        BUNDLE.as_bytes(),
        &codes(),
    )
    .unwrap();
    let c = again.capture.unwrap();
    assert_eq!((c.captured, c.duplicates), (0, 2));
    assert_eq!(figures(s.store.as_mut()), fhir);

    // One bad element: nothing written, the element named.
    let before = event_count(s.store.as_mut());
    let bad = BUNDLE.replace("\"value\": \"F1\"", "\"value\": \"F9\"");
    let Err(FhirError::Outcome(o)) =
        fhir_import(s.store.as_mut(), "bad.json", bad.as_bytes(), &codes())
    else {
        panic!("a bad Bundle was taken");
    };
    assert_eq!(o.issue.len(), 1);
    assert_eq!(
        o.issue[0].expression,
        ["Bundle.entry[2].resource.location.identifier"]
    );
    assert!(o.issue[0].diagnostics.contains("F9"), "{o}");
    assert_eq!(event_count(s.store.as_mut()), before);

    // The snapshot out: the stock on hand of each location below R1.
    let b = fhir_inventory(
        s.store.as_mut(),
        "R1",
        equitas_ledger::calendar::parse_day("2026-03-31"),
    )
    .unwrap();
    assert_eq!(b.note, None);
    let b = b.bundle;
    let reports = b["entry"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    let rep = &reports[0]["resource"];
    assert_eq!(rep["countType"], "snapshot");
    let listing = &rep["inventoryListing"][0];
    assert_eq!(listing["location"]["identifier"]["value"], "9520000000028");
    assert_eq!(listing["item"][0]["quantity"]["value"], 57.5);
    assert_eq!(
        listing["item"][0]["item"]["concept"]["coding"][0]["code"],
        "tld"
    );
}

/// A facility registry (as IHE mCSD): a Location with a level becomes an
/// entry of the hierarchy through the locations import's checks; a delivery
/// of the same Bundle to it, named by its code, finds its GLN.
fn registry(s: &mut TestStore) {
    setup(s.store.as_mut());
    let doc = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
      {"resource": {"resourceType": "Location", "id": "f3", "name": "Facility 3",
        "identifier": [{"system": "urn:equitas:location", "value": "F3"}, {"system": "https://www.gs1.org/gln", "value": "9520000000042"}],
        "type": [{"coding": [{"system": "urn:equitas:location-level", "code": "facility"}]}],
        "partOf": {"identifier": {"system": "urn:equitas:location", "value": "R1"}},
        "address": {"country": "XSY"}}},
      {"resource": {"resourceType": "SupplyDelivery", "status": "completed", "occurrenceDateTime": "2026-03-03",
        "destination": {"identifier": {"system": "urn:equitas:location", "value": "F3"}},
        "suppliedItem": [{"quantity": {"value": 20}, "itemCodeableConcept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}}]}}
    ]}"#;
    let bad = doc.replace("\"XSY\"}}}", "\"ZZZ\"}}}");
    assert_ne!(bad, doc);
    let Err(FhirError::Outcome(o)) =
        fhir_import(s.store.as_mut(), "bad.json", bad.as_bytes(), &codes())
    else {
        panic!("a Location in an unknown country was taken");
    };
    assert_eq!(
        o.issue[0].expression,
        ["Bundle.entry[0].resource.address.country"],
        "{o}"
    );
    assert!(!equitas_store::stock::location_exists(s.store.as_mut(), "F3").unwrap());
    let r = fhir_import(s.store.as_mut(), "registry.json", doc.as_bytes(), &codes()).unwrap();
    assert_eq!(r.locations.unwrap().total().inserted, 1);
    assert_eq!(r.capture.unwrap().captured, 1);
    let places = equitas_store::stock::places(s.store.as_mut()).unwrap();
    let f3 = places.iter().find(|p| p.code == "F3").unwrap();
    assert_eq!(
        (f3.parent.as_deref(), f3.gln.as_deref()),
        (Some("R1"), Some("9520000000042"))
    );
    let rows = figures(s.store.as_mut());
    assert!(
        rows.contains(&("F3".to_string(), "tld".to_string(), 20.0, 0.0, 0.0)),
        "{rows:?}"
    );
}

/// Organizations of the registry (as IHE mCSD) are stored with their
/// identifiers, type and parent, and each registry Location's managing
/// organisation; a reference to an organisation neither held nor in the
/// Bundle is named and writes nothing.
fn organizations(s: &mut TestStore) {
    setup(s.store.as_mut());
    let doc = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
      {"fullUrl": "urn:uuid:4a3b8d1e-0c57-4f0e-9d7a-3c2b1a0000f1",
       "resource": {"resourceType": "Organization", "id": "moh", "name": "Ministry of Health",
        "identifier": [{"system": "urn:equitas:organization", "value": "MOH"}],
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "govt"}]}]}},
      {"resource": {"resourceType": "Organization", "id": "dho1", "name": "District health office 1",
        "identifier": [{"system": "urn:equitas:organization", "value": "DHO1"}, {"system": "urn:oid:1.2.3", "value": "77"}],
        "partOf": {"reference": "urn:uuid:4a3b8d1e-0c57-4f0e-9d7a-3c2b1a0000f1"}}},
      {"resource": {"resourceType": "Location", "id": "f4", "name": "Facility 4",
        "identifier": [{"system": "urn:equitas:location", "value": "F4"}],
        "type": [{"coding": [{"system": "urn:equitas:location-level", "code": "facility"}]}],
        "partOf": {"identifier": {"system": "urn:equitas:location", "value": "R1"}},
        "managingOrganization": {"reference": "Organization/dho1"},
        "address": {"country": "XSY"}}}
    ]}"#;
    let r = fhir_import(s.store.as_mut(), "registry.json", doc.as_bytes(), &codes()).unwrap();
    let g = r.registry.unwrap();
    assert_eq!((g.organizations.inserted, g.links.inserted), (2, 1));
    let held = equitas_store::registry::organizations(s.store.as_mut()).unwrap();
    /// (code, name, type, parent, locations managed)
    type Row<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Vec<String>,
    );
    let got: Vec<Row> = held
        .iter()
        .map(|r| {
            let o = &r.organization;
            (
                o.code.as_str(),
                o.name.as_str(),
                o.kind.as_deref(),
                o.part_of.as_deref(),
                r.locations.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "DHO1",
                "District health office 1",
                None,
                Some("MOH"),
                vec!["F4".to_string()]
            ),
            (
                "MOH",
                "Ministry of Health",
                Some("http://terminology.hl7.org/CodeSystem/organization-type|govt"),
                None,
                vec![]
            ),
        ]
    );
    assert_eq!(
        held[0].organization.identifiers,
        [
            ("urn:equitas:organization".to_string(), "DHO1".to_string()),
            ("urn:oid:1.2.3".to_string(), "77".to_string())
        ]
    );
    // The hierarchy a user sees: F4 below R1, named.
    let places = equitas_store::stock::places(s.store.as_mut()).unwrap();
    let f4 = places.iter().find(|p| p.code == "F4").unwrap();
    assert_eq!(
        (f4.name.as_str(), f4.parent.as_deref()),
        ("Facility 4", Some("R1"))
    );
    // Sent again: nothing changes.
    let again = fhir_import(s.store.as_mut(), "registry.json", doc.as_bytes(), &codes()).unwrap();
    let g = again.registry.unwrap();
    assert_eq!((g.organizations.unchanged, g.links.unchanged), (2, 1));
    // A later Bundle may name a held organisation by its code; an unknown
    // one is named by its element and nothing is written.
    let later = r#"{"resourceType": "Location", "id": "f5", "name": "Facility 5",
        "identifier": [{"system": "urn:equitas:location", "value": "F5"}],
        "type": [{"coding": [{"system": "urn:equitas:location-level", "code": "facility"}]}],
        "partOf": {"identifier": {"system": "urn:equitas:location", "value": "R1"}},
        "managingOrganization": {"identifier": {"system": "urn:equitas:organization", "value": "MOH"}},
        "address": {"country": "XSY"}}"#;
    let bad = later.replace("\"MOH\"", "\"NGO7\"");
    let Err(FhirError::Outcome(o)) =
        fhir_import(s.store.as_mut(), "bad.json", bad.as_bytes(), &codes())
    else {
        panic!("an unknown managing organisation was taken");
    };
    assert_eq!(
        o.issue[0].expression,
        ["Location.managingOrganization.identifier"],
        "{o}"
    );
    assert!(!equitas_store::stock::location_exists(s.store.as_mut(), "F5").unwrap());
    fhir_import(s.store.as_mut(), "later.json", later.as_bytes(), &codes()).unwrap();
    let held = equitas_store::registry::organizations(s.store.as_mut()).unwrap();
    assert_eq!(held[1].locations, ["F5"]);
}

/// The stored product code mapping is what an import without `--codes`
/// (the server's) reads: before it is stored, the SNOMED CT dispense is
/// refused, its coding named; after, it is taken.
fn stored_codes(s: &mut TestStore) {
    setup(s.store.as_mut());
    let none = Codes::default();
    let Err(FhirError::Outcome(o)) =
        fhir_import(s.store.as_mut(), "d.json", BUNDLE.as_bytes(), &none)
    else {
        panic!("an unmapped code was taken");
    };
    assert_eq!(
        o.issue[0].expression,
        ["Bundle.entry[2].resource.medication.concept.coding"]
    );
    let dry =
        equitas_service::interop::save_product_codes(s.store.as_mut(), &codes(), true).unwrap();
    assert_eq!(dry.inserted, 1);
    assert!(
        equitas_store::registry::product_codes(s.store.as_mut())
            .unwrap()
            .is_empty()
    );
    let t =
        equitas_service::interop::save_product_codes(s.store.as_mut(), &codes(), false).unwrap();
    assert_eq!(t.inserted, 1);
    let t =
        equitas_service::interop::save_product_codes(s.store.as_mut(), &codes(), false).unwrap();
    assert_eq!(t.unchanged, 1);
    let r = fhir_import(s.store.as_mut(), "d.json", BUNDLE.as_bytes(), &none).unwrap();
    assert_eq!(r.capture.unwrap().captured, 2);
    assert_eq!(
        figures(s.store.as_mut()),
        vec![("F1".to_string(), "tld".to_string(), 57.5, 42.5, 42.5)]
    );
}

/// A dispense at F1 on 20 March: `ID` its id, `PATIENT` its subject,
/// `QTY` its quantity.
const ONE: &str = r#"{"resource": {"resourceType": "MedicationDispense", "id": "ID", "status": "completed",
  "subject": {"reference": "Patient/PATIENT"},
  "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
  "quantity": {"value": QTY}, "whenHandedOver": "2026-03-20",
  "location": {"identifier": {"system": "urn:equitas:location", "value": "F1"}}}}"#;

fn dispense(id: &str, patient: &str, qty: &str) -> String {
    ONE.replace("ID", id)
        .replace("PATIENT", patient)
        .replace("QTY", qty)
}

fn bundle(entries: &[String]) -> String {
    format!(
        r#"{{"resourceType": "Bundle", "type": "transaction", "entry": [{}]}}"#,
        entries.join(",")
    )
}

/// Distinct resources are never duplicates, however alike (two dispenses
/// of 3 packs at one place on one day, to two patients; 300 of 1 pack);
/// a resource sent again is, in another Bundle too; one sent again with
/// other content is refused, named, and writes nothing.
fn distinct_resources(s: &mut TestStore) {
    setup(s.store.as_mut());
    let two = bundle(&[dispense("disp-1", "a", "3"), dispense("disp-2", "b", "3")]);
    let r = fhir_import(s.store.as_mut(), "two.json", two.as_bytes(), &codes()).unwrap();
    let c = r.capture.unwrap();
    assert_eq!((c.captured, c.duplicates), (2, 0));
    assert_eq!(
        figures(s.store.as_mut()),
        vec![("F1".to_string(), "tld".to_string(), 94.0, 6.0, 6.0)]
    );
    // The same Bundle again: every resource already held.
    let r = fhir_import(s.store.as_mut(), "two.json", two.as_bytes(), &codes()).unwrap();
    let c = r.capture.unwrap();
    assert_eq!((c.captured, c.duplicates), (0, 2));
    // disp-2 again, alone, beside a new one.
    let more = bundle(&[dispense("disp-2", "b", "3"), dispense("disp-3", "b", "3")]);
    let c = fhir_import(s.store.as_mut(), "more.json", more.as_bytes(), &codes())
        .unwrap()
        .capture
        .unwrap();
    assert_eq!((c.captured, c.duplicates), (1, 1));
    // Many alike: all of them.
    let many: Vec<String> = (0..300)
        .map(|i| dispense(&format!("m{i}"), "c", "1"))
        .collect();
    let c = fhir_import(
        s.store.as_mut(),
        "many.json",
        bundle(&many).as_bytes(),
        &codes(),
    )
    .unwrap()
    .capture
    .unwrap();
    assert_eq!((c.captured, c.duplicates), (300, 0));
    assert_eq!(
        figures(s.store.as_mut()),
        vec![(
            "F1".to_string(),
            "tld".to_string(),
            91.0 - 300.0,
            309.0,
            309.0
        )]
    );
    // disp-1 changed (5 packs, not 3): refused, the resource named.
    let before = event_count(s.store.as_mut());
    let changed = bundle(&[dispense("disp-9", "d", "1"), dispense("disp-1", "a", "5")]);
    let Err(FhirError::Outcome(o)) = fhir_import(
        s.store.as_mut(),
        "changed.json",
        changed.as_bytes(),
        &codes(),
    ) else {
        panic!("a changed resource was taken");
    };
    assert_eq!(o.issue[0].expression, ["Bundle.entry[1].resource"], "{o}");
    assert_eq!(o.issue[0].code, "conflict");
    assert!(
        o.issue[0].diagnostics.contains("MedicationDispense disp-1"),
        "{o}"
    );
    assert_eq!(event_count(s.store.as_mut()), before);
}

/// A resource dated after the capture is refused at its date's element.
fn future_dates(s: &mut TestStore) {
    setup(s.store.as_mut());
    let before = event_count(s.store.as_mut());
    let doc = bundle(&[
        dispense("d1", "a", "1"),
        dispense("d2", "a", "1").replace("2026-03-20", "2031-01-01T11:00:00Z"),
        dispense("d3", "a", "1").replace(
            "\"whenHandedOver\": \"2026-03-20\"",
            "\"whenPrepared\": \"2099-01-01\"",
        ),
    ]);
    let Err(FhirError::Outcome(o)) =
        fhir_import(s.store.as_mut(), "future.json", doc.as_bytes(), &codes())
    else {
        panic!("a dispense of 2031 was taken");
    };
    let paths: Vec<&str> = o.issue.iter().map(|i| i.expression[0].as_str()).collect();
    assert_eq!(
        paths,
        [
            "Bundle.entry[1].resource.whenHandedOver",
            "Bundle.entry[2].resource.whenPrepared"
        ],
        "{o}"
    );
    assert!(o.issue[0].diagnostics.contains("2031-01-01"), "{o}");
    assert_eq!(event_count(s.store.as_mut()), before);
}

/// The snapshot of a day before the first movement is empty, and says why.
fn snapshot_before_the_data(s: &mut TestStore) {
    setup(s.store.as_mut());
    let b = fhir_inventory(
        s.store.as_mut(),
        "R1",
        equitas_ledger::calendar::parse_day("1990-01-01"),
    )
    .unwrap();
    assert_eq!(b.bundle["entry"].as_array().map(Vec::len), Some(0));
    let note = b.note.unwrap();
    assert!(
        note.contains("before the first movement (2026-03-01)"),
        "{note}"
    );
}

on_both_backends!(
    distinct_resources_are_never_duplicates => distinct_resources,
    resources_dated_after_the_capture_are_named_at_their_date => future_dates,
    a_snapshot_before_the_data_is_empty_and_says_why => snapshot_before_the_data,
    a_dispense_bundle_moves_stock_as_epcis_dispensing_does => same_as_epcis,
    a_registry_bundle_adds_locations => registry,
    organizations_are_stored_with_the_locations_they_manage => organizations,
    the_stored_code_mapping_is_read_by_every_import => stored_codes,
);
