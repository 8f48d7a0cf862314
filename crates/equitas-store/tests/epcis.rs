//! EPCIS capture on SQLite and PostgreSQL.

use equitas_epcis::json::parse_document;
use equitas_store::epcis::{ErrorBehaviour, Rejected, capture, event_count};
use equitas_store::import::NoProgress;
use equitas_store::on_both_backends;
use equitas_store::testing::TestStore;

const DOC: &str = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"cbvmda": "urn:epcglobal:cbv:mda:"}],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {"eventList": [
    {"type": "ObjectEvent", "eventID": "urn:uuid:9c1e4f3a-0000-4000-8000-000000000001",
     "eventTime": "2026-01-05T10:00:00+01:00", "eventTimeZoneOffset": "+01:00",
     "action": "ADD", "bizStep": "receiving", "disposition": "in_progress",
     "bizLocation": {"id": "urn:epc:id:sgln:0614141.12345.0"},
     "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.LOT1", "quantity": 100, "uom": "EA"}],
     "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:5200001.00000"}],
     "ilmd": {"cbvmda:lotNumber": "LOT1", "cbvmda:itemExpirationDate": "2028-02-29"}},
    {"type": "ObjectEvent",
     "eventTime": "2026-01-06T10:00:00+01:00", "eventTimeZoneOffset": "+01:00",
     "action": "OBSERVE", "bizStep": "dispensing",
     "epcList": ["urn:epc:id:sgtin:4012345.012345.1", "urn:epc:id:sgtin:4012345.012345.2"]},
    {"type": "ObjectEvent", "eventTime": "2026-01-07T10:00:00Z", "eventTimeZoneOffset": "+00:00",
     "action": "CREATE"}
  ]}}"#;

fn rollback_and_proceed(s: &mut TestStore) {
    let doc = parse_document(DOC).unwrap();
    // Rollback (the default): the bad third event keeps the whole document out.
    let r = capture(
        s.store.as_mut(),
        "doc.json",
        &doc,
        vec![],
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .unwrap();
    assert!(r.rolled_back);
    assert_eq!(
        r.rejected,
        vec![Rejected {
            index: 2,
            field: "action".into(),
            reason: "\"CREATE\" is not OBSERVE, ADD or DELETE".into()
        }]
    );
    assert_eq!(event_count(s.store.as_mut()).unwrap(), 0);

    // Proceed: the two good events are stored.
    let r = capture(
        s.store.as_mut(),
        "doc.json",
        &doc,
        vec![],
        ErrorBehaviour::Proceed,
        &NoProgress,
    )
    .unwrap();
    assert_eq!((r.captured, r.duplicates, r.rejected.len()), (2, 0, 1));
    assert_eq!(event_count(s.store.as_mut()).unwrap(), 2);

    // Again: nothing new, and it says so.
    let r = capture(
        s.store.as_mut(),
        "doc.json",
        &doc,
        vec![],
        ErrorBehaviour::Proceed,
        &NoProgress,
    )
    .unwrap();
    assert_eq!((r.captured, r.duplicates), (0, 2));
    assert_eq!(event_count(s.store.as_mut()).unwrap(), 2);

    // The same event under another eventID is still a duplicate (same hash).
    let renamed = DOC.replace("000000000001", "000000000002");
    let r = capture(
        s.store.as_mut(),
        "renamed.json",
        &parse_document(&renamed).unwrap(),
        vec![],
        ErrorBehaviour::Proceed,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(r.duplicates, 2);

    // What stock needs is stored in canonical form.
    let rows = s
        .store
        .query(
            "SELECT e.biz_location, e.lot, e.expiry, q.epc_class, q.quantity, q.uom
             FROM epcis_events e JOIN epcis_event_quantities q ON q.event = e.id",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    let r: Vec<String> = rows[0].iter().map(|v| format!("{v:?}")).collect();
    assert_eq!(
        r,
        vec![
            "Text(\"https://id.gs1.org/414/0614141123452\")",
            "Text(\"LOT1\")",
            "Text(\"2028-02-29\")",
            "Text(\"https://id.gs1.org/01/04012345123456/10/LOT1\")",
            "Real(100.0)",
            "Text(\"EA\")"
        ]
    );
    let epcs: i64 = s
        .store
        .query_scalar("SELECT COUNT(*) FROM epcis_event_epcs", &[])
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(epcs, 2);
    let party: String = s
        .store
        .query_scalar("SELECT party FROM epcis_event_parties", &[])
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(party, "https://id.gs1.org/417/5200001000008");
}

on_both_backends! {
    capture_rollback_proceed_dedup => rollback_and_proceed,
}
