//! The FHIR routes (issue 24) through the router, on both backends:
//! a Bundle of dispenses captured as movements, a bad resource answered
//! with an OperationOutcome naming the element, the InventoryReport
//! search giving `/api/v1/stock`'s stock on hand; and every resource
//! Equitas writes valid against the R5 models of PyPI's `fhir.resources`
//! (a Python given by `EQUITAS_FHIR_PYTHON`, which `scripts/test.sh` makes
//! in a throwaway virtual environment; without it that part is SKIPPED).

mod common;
use axum::http::StatusCode;
use common::{content_type, run};
use equitas_server::AppState;
use equitas_store::epcis::{ErrorBehaviour, capture};
use equitas_store::import::{ImportKind, ImportOptions, Mappings, NoProgress, import};
use equitas_store::on_both_backends;
use equitas_store::testing::TestStore;
use serde_json::Value;

const LOCATIONS: &str = "code,name,level,parent,country,gln\n\
R1,Region 1,region,XSY,XSY,\n\
F1,Facility 1,facility,R1,XSY,9520000000028\n\
F2,Facility 2,facility,R1,XSY,\n";

fn setup(s: &mut TestStore) {
    let st = s.store.as_mut();
    let net = equitas_synth::Network::new(equitas_synth::Config::default());
    for (kind, bytes) in [
        (ImportKind::Countries, net.countries_csv().into_bytes()),
        (ImportKind::Locations, LOCATIONS.as_bytes().to_vec()),
        (
            ImportKind::Products,
            b"code,name,gtin\ntld,TLD,09520000000011\n".to_vec(),
        ),
    ] {
        let r = import(
            st,
            kind,
            "x.csv",
            &bytes,
            &Mappings::default(),
            ImportOptions::default(),
            &NoProgress,
        )
        .unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    }
    let text = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
      "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-04-01T00:00:00Z",
      "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE", "bizStep": "receiving", "bizLocation": {"id": "urn:epc:id:sgln:9520000.00002.0"},
        "sourceList": [{"type": "location", "source": "urn:epc:id:sgln:9520000.00009.0"}],
        "quantityList": [{"epcClass": "urn:epc:idpat:sgtin:9520000.000001.*", "quantity": 100}]}]}}"#;
    let doc = equitas_epcis::EventReader::new(text).unwrap();
    capture(
        st,
        "r.json",
        &doc,
        Vec::new(),
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .unwrap();
}

const BUNDLE: &str = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
  {"fullUrl": "urn:uuid:4a3b8d1e-0c57-4f0e-9d7a-3c2b1a000001",
   "resource": {"resourceType": "Location", "id": "f1", "identifier": [{"system": "https://www.gs1.org/gln", "value": "9520000000028"}]}},
  {"resource": {"resourceType": "MedicationDispense", "status": "completed",
    "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
    "subject": {"reference": "Patient/a"}, "quantity": {"value": 30},
    "whenHandedOver": "2026-03-10T09:15:00+02:00", "location": {"reference": "Location/f1"}}},
  {"resource": {"resourceType": "MedicationDispense", "status": "completed",
    "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "9520000000011"}]}},
    "subject": {"reference": "Patient/b"}, "quantity": {"value": 12},
    "whenHandedOver": "2026-03-20", "location": {"identifier": {"system": "urn:equitas:location", "value": "F1"}}}}
]}"#;

async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, String, Value) {
    let fhir: &[(&str, &str)] = if method == "GET" {
        &[]
    } else {
        &[("content-type", "application/fhir+json")]
    };
    let (status, headers, json) = common::send(state, method, uri, fhir, body).await;
    (status, content_type(&headers), json)
}

fn fhir_routes(s: &mut TestStore) {
    setup(s);
    let state = AppState::open(&s.target).unwrap();
    let mut written: Vec<(String, Value)> = Vec::new();
    run(async {
        let (st, ctype, o) = send(&state, "POST", "/fhir", BUNDLE).await;
        assert_eq!(st, StatusCode::OK, "{o}");
        assert_eq!(ctype, "application/fhir+json");
        let said = o["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(
            said.contains("2 movement event(s) captured, 0 already held"),
            "{said}"
        );
        written.push(("captured".into(), o));
        let (_, _, o) = send(&state, "POST", "/fhir", BUNDLE).await;
        assert!(
            o["issue"][0]["diagnostics"]
                .as_str()
                .unwrap()
                .contains("0 movement event(s) captured, 2 already held"),
            "{o}"
        );

        // One resource, with a bad element.
        let bad = r#"{"resourceType": "MedicationDispense", "status": "completed",
            "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
            "subject": {"reference": "Patient/a"}, "quantity": {"value": -4},
            "whenHandedOver": "2026-03-11", "location": {"identifier": {"system": "urn:equitas:location", "value": "F2"}}}"#;
        let (st, _, o) = send(&state, "POST", "/fhir/MedicationDispense", bad).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{o}");
        let exprs: Vec<&str> = o["issue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["expression"][0].as_str().unwrap())
            .collect();
        // F2 has no GLN: its movements could not be put anywhere EPCIS names.
        assert_eq!(
            exprs,
            [
                "MedicationDispense.quantity.value",
                "MedicationDispense.location.identifier"
            ],
            "{o}"
        );
        written.push(("bad".into(), o));
        let (st, _, o) = send(&state, "POST", "/fhir/SupplyDelivery", BUNDLE).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(
            o["issue"][0]["expression"][0],
            "SupplyDelivery.resourceType"
        );
        assert!(o.to_string().contains("the body is a Bundle"), "{o}");
        // A body that is no resource: said what is wrong with it.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for (body, said) in [
            ("", "the body is empty"),
            ("xx{", "the body is not JSON"),
            ("[1,2]", "the body is JSON an array"),
            (deep.as_str(), "levels deep"),
        ] {
            let (st, ctype, o) = send(&state, "POST", "/fhir", body).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{said}: {o}");
            assert_eq!(ctype, "application/fhir+json");
            let d = o["issue"][0]["diagnostics"].as_str().unwrap_or_default();
            assert!(d.contains(said), "{said}: {o}");
        }
        // A quantity as text: named at its element.
        let text_qty = BUNDLE.replace("\"value\": 30}", "\"value\": \"30\"}");
        let (st, _, o) = send(&state, "POST", "/fhir", &text_qty).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{o}");
        assert_eq!(
            o["issue"][0]["expression"][0],
            "Bundle.entry[1].resource.quantity.value"
        );
        // Not declared JSON: 415, naming FHIR's media type.
        let (st, _, p) = common::send(
            &state,
            "POST",
            "/fhir",
            &[("content-type", "text/plain")],
            BUNDLE,
        )
        .await;
        assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(
            p["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("application/fhir+json"),
            "{p}"
        );
        // Two dispenses alike but for their ids: two movements.
        let alike = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
          {"resource": {"resourceType": "MedicationDispense", "id": "disp-1", "status": "completed",
            "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
            "quantity": {"value": 1}, "whenHandedOver": "2026-03-21", "location": {"identifier": {"system": "urn:equitas:location", "value": "F1"}}}},
          {"resource": {"resourceType": "MedicationDispense", "id": "disp-2", "status": "completed",
            "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
            "quantity": {"value": 1}, "whenHandedOver": "2026-03-21", "location": {"identifier": {"system": "urn:equitas:location", "value": "F1"}}}}
        ]}"#;
        for said in [
            "2 movement event(s) captured, 0 already held",
            "0 movement event(s) captured, 2 already held",
        ] {
            let (st, _, o) = send(&state, "POST", "/fhir", alike).await;
            assert_eq!(st, StatusCode::OK, "{o}");
            assert!(o.to_string().contains(said), "{said}: {o}");
        }

        // A product coded in another system (ATC): refused, the coding
        // named, until the stored mapping (the CLI's `interop fhir codes`)
        // knows it; then taken, as on the command line.
        let atc = r#"{"resourceType": "MedicationDispense", "status": "completed",
            "medication": {"concept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J04AM06"}]}},
            "subject": {"reference": "Patient/a"}, "quantity": {"value": 2},
            "whenHandedOver": "2026-03-12", "location": {"identifier": {"system": "urn:equitas:location", "value": "F1"}}}"#;
        let (st, _, o) = send(&state, "POST", "/fhir/MedicationDispense", atc).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{o}");
        assert_eq!(
            o["issue"][0]["expression"][0], "MedicationDispense.medication.concept.coding",
            "{o}"
        );
        // The mapping sent as a FHIR ConceptMap (ATC to GTIN), stored; a bad
        // target is named by its element.
        let map = r#"{"resourceType": "ConceptMap", "status": "active",
            "group": [{"source": "http://www.whocc.no/atc", "target": "https://www.gs1.org/gtin",
              "element": [{"code": "J04AM06", "target": [{"code": "09520000000011", "relationship": "equivalent"}]}]}]}"#;
        let (st, _, o) = send(
            &state,
            "POST",
            "/fhir/ConceptMap",
            &map.replace("09520000000011", "09520000000012"),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{o}");
        assert_eq!(
            o["issue"][0]["expression"][0],
            "ConceptMap.group[0].element[0].target[0].code"
        );
        let (st, _, o) = send(&state, "POST", "/fhir/ConceptMap", map).await;
        assert_eq!(st, StatusCode::OK, "{o}");
        assert!(o.to_string().contains("product codes: 1 new"), "{o}");
        let (st, _, o) = send(&state, "POST", "/fhir/MedicationDispense", atc).await;
        assert_eq!(st, StatusCode::OK, "{o}");
        assert!(
            o["issue"][0]["diagnostics"]
                .as_str()
                .unwrap()
                .contains("1 movement event(s) captured"),
            "{o}"
        );
        // An Organization of the facility registry, stored.
        let org = r#"{"resourceType": "Organization", "id": "moh", "name": "Ministry of Health",
            "identifier": [{"system": "urn:equitas:organization", "value": "MOH"}]}"#;
        let (st, _, o) = send(&state, "POST", "/fhir/Organization", org).await;
        assert_eq!(st, StatusCode::OK, "{o}");
        assert!(o.to_string().contains("organisations: 1 new"), "{o}");

        // The snapshot: what /api/v1/stock says for the same day and places.
        let (st, _, b) = send(
            &state,
            "GET",
            "/fhir/InventoryReport?location=R1&as_of=2026-03-31",
            "",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(
            (b["type"].as_str(), b["total"].as_u64()),
            (Some("searchset"), Some(1))
        );
        let (_, _, stock) = send(
            &state,
            "GET",
            "/api/v1/stock?within=R1&as_of=2026-03-31",
            "",
        )
        .await;
        let row = &stock["rows"][0];
        let listing = &b["entry"][0]["resource"]["inventoryListing"][0];
        assert_eq!(
            listing["item"][0]["quantity"]["value"],
            row["stock_on_hand"]
        );
        assert_eq!(row["stock_on_hand"], 54.0);
        assert_eq!(
            listing["item"][0]["item"]["concept"]["coding"][0]["code"],
            row["item"]
        );
        written.push(("inventory".into(), b));
        // A day before the first movement: a search matching nothing, 200
        // with an empty searchset, and an OperationOutcome entry saying why.
        let (st, _, b) = send(
            &state,
            "GET",
            "/fhir/InventoryReport?location=R1&as_of=1990-01-01",
            "",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(b["total"], 0, "{b}");
        let e = &b["entry"][0];
        assert_eq!(
            (
                e["search"]["mode"].as_str(),
                e["resource"]["resourceType"].as_str()
            ),
            (Some("outcome"), Some("OperationOutcome")),
            "{b}"
        );
        assert!(
            e["resource"]["issue"][0]["diagnostics"]
                .as_str()
                .unwrap_or_default()
                .contains("before the first movement"),
            "{b}"
        );
        written.push(("empty search".into(), b));
        let (st, ctype, p) =
            send(&state, "GET", "/fhir/InventoryReport?location=nowhere", "").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{p}");
        // Errors are OperationOutcomes, naming the parameter.
        assert_eq!(ctype, "application/fhir+json");
        assert_eq!(
            (
                p["resourceType"].as_str(),
                p["issue"][0]["expression"][0].as_str()
            ),
            (Some("OperationOutcome"), Some("location"))
        );
        let (st, _, p) = send(&state, "GET", "/fhir/InventoryReport?as_of=2026-03-31", "").await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{p}");
        assert_eq!(p["issue"][0]["expression"][0], "location");
        // A parameter given twice (AND in FHIR, not offered), an unknown one,
        // a malformed date: each refused as an OperationOutcome naming it.
        for (query, param) in [
            ("location=R1&location=F1", "location"),
            ("location=R1&as_of=2026-03-31&as_of=2026-02-28", "as_of"),
            ("location=R1&_count=5", "_count"),
            ("location=R1&as_of=2026-02-30", "as_of"),
        ] {
            let (st, ctype, p) =
                send(&state, "GET", &format!("/fhir/InventoryReport?{query}"), "").await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{query}: {p}");
            assert_eq!(ctype, "application/fhir+json", "{query}");
            assert_eq!(p["issue"][0]["expression"][0], param, "{query}: {p}");
            assert_eq!(p["issue"][0]["code"], "invalid", "{query}: {p}");
        }
    });
    // The month's receipts as SupplyDeliveries (the CLI's export).
    let d = equitas_service::interop::fhir_deliveries(
        s.store.as_mut(),
        "F1",
        equitas_ledger::calendar::parse_day("2026-03-01").unwrap(),
        equitas_ledger::calendar::parse_day("2026-03-31").unwrap(),
    )
    .unwrap();
    let r = &d["entry"][0]["resource"];
    assert_eq!(
        (
            r["status"].as_str(),
            r["suppliedItem"][0]["quantity"]["value"].as_f64()
        ),
        (Some("completed"), Some(100.0))
    );
    assert_eq!(d["entry"].as_array().unwrap().len(), 1);
    written.push(("deliveries".into(), d));
    if !s.target.starts_with("postgres") {
        validate_with_fhir_resources(&written);
    }
}

/// Every resource written, checked by `fhir.resources`' R5 models; a
/// resource known to be invalid must be refused, or the check proves nothing.
fn validate_with_fhir_resources(written: &[(String, Value)]) {
    let Some(python) = std::env::var_os("EQUITAS_FHIR_PYTHON") else {
        let why = "needs EQUITAS_FHIR_PYTHON, a Python with PyPI's fhir.resources (scripts/test.sh makes one)";
        if std::env::var("EQUITAS_REQUIRE_FHIR").as_deref() == Ok("1") {
            panic!("EQUITAS_REQUIRE_FHIR=1 but the test {why}");
        }
        equitas_doc_vectors::conformance::record_skip(
            "fhir::fhir_routes (validation against fhir.resources R5)",
            why,
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, v) in written {
        let p = dir.path().join(format!("{name}.json"));
        std::fs::write(&p, v.to_string()).unwrap();
        files.push(p);
    }
    let control = dir.path().join("invalid-control.json");
    std::fs::write(
        &control,
        r#"{"resourceType": "InventoryReport", "status": "active", "countType": "snapshot", "reportedDateTime": "31/03/2026"}"#,
    )
    .unwrap();
    let check = |files: &[std::path::PathBuf]| {
        std::process::Command::new(&python)
            .arg("-c")
            .arg(VALIDATE)
            .args(files)
            .output()
            .unwrap()
    };
    let o = check(&files);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains(&format!("validated {} file(s), 0 invalid", files.len())),
        "{out}"
    );
    let o = check(&[control]);
    assert!(
        !o.status.success(),
        "the invalid control passed: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Validates each file (and each resource of a Bundle) with the model of
/// its resourceType.
const VALIDATE: &str = r#"
import json, sys
from fhir.resources import get_fhir_model_class
bad = 0
for path in sys.argv[1:]:
    d = json.load(open(path))
    items = [("", d)]
    if d.get("resourceType") == "Bundle":
        items += [(f".entry[{i}].resource", e["resource"]) for i, e in enumerate(d.get("entry", []))]
    for where, r in items:
        try:
            get_fhir_model_class(r["resourceType"]).model_validate(r)
        except Exception as e:
            bad += 1
            print(f"INVALID {path}{where}: {e}")
print(f"validated {len(sys.argv) - 1} file(s), {bad} invalid")
sys.exit(1 if bad else 0)
"#;

on_both_backends!(fhir_routes_read_write_and_validate => fhir_routes);
