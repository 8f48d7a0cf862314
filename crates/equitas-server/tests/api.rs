//! The HTTP API on SQLite and PostgreSQL, through the router (no socket).

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{enc, get_typed, run, send};
use equitas_server::{AppState, router};
use equitas_store::import::ImportKind;
use equitas_store::on_both_backends;
use equitas_store::testing::{TestStore, import_data};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn load_demo(s: &mut TestStore) {
    for (kind, file) in [
        (ImportKind::Countries, "country-codes.csv"),
        (ImportKind::Scms, "supply_chain_shipment_pricing.csv"),
        (ImportKind::Courses, "treatment-courses.csv"),
    ] {
        import_data(s, kind, file);
    }
}

fn market_endpoints(s: &mut TestStore) {
    load_demo(s);
    let state = AppState::open(&s.target).unwrap();
    run(async {
        let (st, _, j) = get_typed(&state, "/api/v1/status").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(j["overview"]["counts"]["procurement_lines"], 10_324);

        // The same figures as the CLI and the store tests.
        let (st, _, j) = get_typed(
            &state,
            "/api/v1/market/prices?product=efavirenz-600mg-tablet",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["observations"], 758);
        assert_eq!(j["observed"], "procurement lines");
        assert_eq!(j["rows"][0]["unit_price"]["n"], 758);
        assert!((j["rows"][0]["unit_price"]["median"].as_f64().unwrap() - 0.1545).abs() < 1e-9);
        assert!(
            j["method"]
                .as_str()
                .unwrap()
                .contains("docs/formulas.md 2.4")
        );
        assert_eq!(j["period"]["from"], "2006-09-04");

        let (_, _, j) = get_typed(
            &state,
            "/api/v1/market/concentration?product=efavirenz-600mg-tablet&by=site",
        )
        .await;
        assert_eq!(j["rows"][0]["groups"], 10);
        assert_eq!(j["rows"][0]["hhi"].as_f64().unwrap().round(), 2771.0);

        let (_, _, j) = get_typed(&state, "/api/v1/market/delivery?by=mode").await;
        let air = j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"][0] == "Air")
            .unwrap();
        assert_eq!(air["lines"], 6113);

        // Pagination: total, offset and limit.
        let (_, _, j) = get_typed(&state, "/api/v1/market/products?limit=5&offset=10").await;
        assert_eq!(j["total"], 134);
        assert_eq!(j["rows"].as_array().unwrap().len(), 5);
        assert_eq!(j["offset"], 10);
        let (_, _, all) = get_typed(&state, "/api/v1/market/products?limit=1000").await;
        assert_eq!(j["rows"][0], all["rows"][10]);

        // Errors are problem details naming the parameter.
        let (st, ct, j) = get_typed(&state, "/api/v1/market/prices?by=colour").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(ct, "application/problem+json");
        assert_eq!(j["parameter"], "by");
        assert_eq!(j["status"], 400);
        assert!(
            j["detail"]
                .as_str()
                .unwrap()
                .contains("\"colour\": expected one of product, supplier")
        );
        let (st, _, j) = get_typed(&state, "/api/v1/market/prices?from=2020-13-01").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(j["parameter"], "from");
        // A code the store lacks is named as such (with the code in another
        // case suggested), not "no lines match: load some"; a period that
        // ends before it begins is a bad parameter (user pass).
        for (path, status, param, says) in [
            (
                "/api/v1/market/prices?product=nope",
                404,
                "product",
                "\"nope\" is not a known product code",
            ),
            (
                "/api/v1/market/prices?country=nga",
                404,
                "country",
                "did you mean \"NGA\"?",
            ),
            (
                "/api/v1/supply/concentration?product=efavirenz-600mg-tablet,nope",
                404,
                "product",
                "\"nope\"",
            ),
            (
                "/api/v1/market/prices?from=2015-01-01&to=2010-01-01",
                409,
                "to",
                "2010-01-01 is before from (2015-01-01)",
            ),
            (
                "/api/v1/market/prices?programme=xyz",
                400,
                "programme",
                "expected one of hiv, tb",
            ),
            (
                "/api/v1/market/prices?programme=HIV",
                400,
                "programme",
                "did you mean hiv?",
            ),
        ] {
            let (st, _, j) = get_typed(&state, path).await;
            assert_eq!(
                (st.as_u16(), j["parameter"].as_str()),
                (status, Some(param)),
                "{path}: {j}"
            );
            assert!(
                j["detail"].as_str().unwrap_or_default().contains(says),
                "{path}: {j}"
            );
        }
        let (st, _, j) = get_typed(&state, "/api/v1/market/prices?programme=hiv&country=KEN").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        let (st, _, j) = get_typed(&state, "/api/v1/market/prices?country=KEN&programme=ntd").await;
        assert_eq!(st, StatusCode::CONFLICT, "{j}");
        assert!(
            j["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("matches these filters"),
            "{j}"
        );
        let (st, _, j) = get_typed(&state, "/api/v1/market/prices?prodcut=x").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(
            j["detail"]
                .as_str()
                .unwrap()
                .contains("unknown parameter \"prodcut\"")
        );
        let (st, _, _) = get_typed(&state, "/api/v1/market/products?limit=0").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        // Missing data is a conflict, not an internal error.
        let (st, ct, j) = get_typed(&state, "/api/v1/market/mpr").await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_eq!(ct, "application/problem+json");
        assert!(j["detail"].as_str().unwrap().contains("reference prices"));
        let (st, _, _) = get_typed(&state, "/api/v1/market/prices?country=FRA").await;
        assert_eq!(st, StatusCode::CONFLICT);
        let (st, ct, _) = get_typed(&state, "/nowhere").await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_eq!(ct, "application/problem+json");
    });
}

const EPCIS_DOC: &str = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {"eventList": [
    {"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-000000000042",
     "eventTime": "2026-01-05T10:00:00+01:00", "eventTimeZoneOffset": "+01:00",
     "action": "OBSERVE", "bizStep": "shipping", "epcList": ["urn:epc:id:sgtin:4012345.012345.7"]},
    {"type": "ObjectEvent", "eventTime": "2026-01-05T11:00:00+01:00", "eventTimeZoneOffset": "+01:00",
     "action": "DELETE"}
  ]}}"#;

fn epcis_endpoints(s: &mut TestStore) {
    let state = AppState::open(&s.target).unwrap();
    run(async {
        // Rollback (default): a bad event refuses the document, naming it.
        let bad = EPCIS_DOC.replace("\"DELETE\"", "\"REMOVE\"");
        let (st, _, j) = send(&state, "POST", "/capture", &[], &bad).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(
            j["detail"]
                .as_str()
                .unwrap()
                .contains("event 1: action: \"REMOVE\" is not OBSERVE, ADD or DELETE"),
            "{j}"
        );

        let (st, h, j) = send(&state, "POST", "/capture", &[], EPCIS_DOC).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{j}");
        let loc = h.get("location").unwrap().to_str().unwrap().to_string();
        assert_eq!(j["captured"], 2);
        let (st, _, job) = send(&state, "GET", &loc, &[], "").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            (job["events"].as_i64(), job["captured"].as_i64()),
            (Some(2), Some(2))
        );

        // The same document again: all duplicates.
        let (_, _, j) = send(
            &state,
            "POST",
            "/capture",
            &[("GS1-Capture-Error-Behaviour", "proceed")],
            EPCIS_DOC,
        )
        .await;
        assert_eq!(
            (j["captured"].as_i64(), j["duplicates"].as_i64()),
            (Some(0), Some(2))
        );

        // Queries.
        let (st, _, j) = send(&state, "GET", "/events?EQ_bizStep=shipping", &[], "").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["events"].as_array().unwrap().len(), 1);
        assert_eq!(j["events"][0]["eventTime"], "2026-01-05T09:00:00.000Z");
        let (_, h, j) = send(&state, "GET", "/events?perPage=1", &[], "").await;
        let token = j["nextPageToken"].as_str().unwrap().to_string();
        assert!(h.get("link").is_some());
        let (_, _, j2) = send(
            &state,
            "GET",
            &format!("/events?perPage=1&nextPageToken={token}"),
            &[],
            "",
        )
        .await;
        assert_ne!(j["events"][0]["eventID"], j2["events"][0]["eventID"]);
        let (st, _, j) = send(
            &state,
            "GET",
            "/events/urn:uuid:00000000-0000-4000-8000-000000000042",
            &[],
            "",
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(j["epcs"][0][1], "https://id.gs1.org/01/04012345123456/21/7");
        assert_eq!(
            j["event"]["epcList"][0], "urn:epc:id:sgtin:4012345.012345.7",
            "as captured"
        );
        // The same event found by the query, by its eventID or its hash ID
        // (as stock problems name their sources).
        let hash = j["eventHash"].as_str().unwrap().to_string();
        for id in [
            "urn:uuid:00000000-0000-4000-8000-000000000042",
            hash.as_str(),
        ] {
            let (st, _, found) = send(
                &state,
                "GET",
                &format!("/events?EQ_eventID={}", enc(id)),
                &[],
                "",
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{found}");
            let ids: Vec<&str> = found["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["eventHash"].as_str().unwrap())
                .collect();
            assert_eq!(ids, [hash.as_str()], "{id}");
        }
        // A list of more values than a filter needs is refused, naming it
        // (30,000 answered 500: more query parameters than SQLite takes).
        let many: Vec<String> = (0..30_000).map(|i| (i % 10).to_string()).collect();
        for p in ["EQ_eventID", "MATCH_anyEPC"] {
            let (st, _, j) = send(
                &state,
                "GET",
                &format!("/events?{p}={}", many.join(",")),
                &[],
                "",
            )
            .await;
            assert_eq!(
                (st, j["parameter"].as_str()),
                (StatusCode::BAD_REQUEST, Some(p)),
                "{j}"
            );
        }
        let (st, ct, _) = send(&state, "GET", "/events/urn:uuid:missing", &[], "").await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_eq!(ct.get("content-type").unwrap(), "application/problem+json");
        let (st, _, j) = send(&state, "GET", "/events?EQ_bizstep=x", &[], "").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(j["parameter"], "EQ_bizstep");

        // One event.
        let one = r#"{"type": "ObjectEvent", "eventTime": "2026-02-01T00:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE"}"#;
        let (st, _, _) = send(&state, "POST", "/events", &[], one).await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, _, j) = send(&state, "POST", "/events", &[], one).await;
        assert_eq!((st, j["duplicates"].as_i64()), (StatusCode::OK, Some(1)));

        // An event whose eventID is held with other content: a conflict,
        // not a duplicate (issue 18).
        let clash = r#"{"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-000000000042",
            "eventTime": "2026-02-02T00:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE"}"#;
        let (st, _, j) = send(&state, "POST", "/events", &[], clash).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{j}");
        assert!(
            j["detail"].as_str().unwrap().contains(
                "event 0: eventID: conflict: the eventID urn:uuid:00000000-0000-4000-8000-000000000042 is that of an event held in the store"
            ),
            "{j}"
        );
        let proceed = [("GS1-Capture-Error-Behaviour", "proceed")];
        let (st, _, j) = send(&state, "POST", "/events", &proceed, clash).await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(
            (
                j["captured"].as_i64(),
                j["duplicates"].as_i64(),
                j["conflicts"].as_i64()
            ),
            (Some(0), Some(0), Some(1)),
            "{j}"
        );
        assert_eq!(j["rejected"][0]["field"], "eventID", "{j}");
        let doc = format!(r#"{{"epcisBody": {{"eventList": [{one}, {clash}]}}}}"#);
        let (st, h, j) = send(&state, "POST", "/capture", &proceed, &doc).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{j}");
        assert_eq!(
            (
                j["captured"].as_i64(),
                j["duplicates"].as_i64(),
                j["conflicts"].as_i64()
            ),
            (Some(0), Some(1), Some(1)),
            "{j}"
        );
        assert_eq!(j["rejected"][0]["index"], 1, "{j}");
        let loc = h.get("location").unwrap().to_str().unwrap().to_string();
        let (_, _, job) = send(&state, "GET", &loc, &[], "").await;
        assert_eq!(
            (job["duplicates"].as_i64(), job["rejected"].as_i64()),
            (Some(1), Some(1)),
            "{job}"
        );
    });
}

fn stock_endpoints(s: &mut TestStore) {
    let net = equitas_synth::Network::new(equitas_synth::Config {
        seed: 5,
        regions: 2,
        districts_per_region: 1,
        facilities: 6,
        products: 3,
        months: 5,
        ..equitas_synth::Config::default()
    });
    equitas_store::testing::import_bytes(
        s,
        ImportKind::Countries,
        "countries.csv",
        net.countries_csv().as_bytes(),
    );
    equitas_store::testing::import_bytes(
        s,
        ImportKind::Locations,
        "l.csv",
        net.locations_csv().as_bytes(),
    );
    let mut events = Vec::new();
    equitas_synth::simulate(&net, &mut |e| {
        events.push(e.to_json(&net, events.len() as u64))
    });
    let half = events.len() / 2;
    let first = equitas_synth::document(&events[..half], "2026-01-01T00:00:00Z");
    let second = equitas_synth::document(&events[half..], "2026-01-01T00:00:00Z");
    let state = AppState::open(&s.target).unwrap();
    // A second server, opened now (connections are made outside the async
    // runtime); its stock ledger is read at its first request.
    let fresh = AppState::open(&s.target).unwrap();
    run(async {
        let (st, _, j) = get_typed(&state, "/api/v1/stock").await;
        assert_eq!(st, StatusCode::CONFLICT, "{j}");
        assert!(
            j["detail"].as_str().unwrap().contains("no stock data"),
            "{j}"
        );

        let (st, _, j) = send(&state, "POST", "/capture", &[], &first).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{j}");
        let (st, _, a) = get_typed(&state, "/api/v1/stock?level=facility&limit=1000").await;
        assert_eq!(st, StatusCode::OK, "{a}");
        // The second half is appended to the cached ledger...
        let (st, _, j) = send(&state, "POST", "/capture", &[], &second).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{j}");
        let (_, _, b) = get_typed(&state, "/api/v1/stock?level=facility&limit=1000").await;
        assert_ne!(a["as_of"], b["as_of"]);
        // ...and gives what a fresh server reading everything gives.
        let (_, _, c) = get_typed(&fresh, "/api/v1/stock?level=facility&limit=1000").await;
        assert_eq!(b, c);
        assert_eq!(b["total"], 6 * 3);
        assert_eq!(b["rows"].as_array().unwrap().len(), 18);

        let (st, _, j) = get_typed(&state, "/api/v1/availability?by=region&months=2").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        // Two regions, three items, two dates (issue 19: months=N is N dates).
        assert_eq!(j["total"], 2 * 3 * 2);
        let (st, _, j) = get_typed(&state, "/api/v1/stock/lots?within=R01&expiring=240").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert!(j["total"].as_u64().unwrap() >= 3, "{j}");
        assert!(j["rows"][0]["expiry"].is_string(), "{j}");
        let (st, _, j) = get_typed(&state, "/api/v1/stock/problems?limit=5").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert!(j["rows"].as_array().unwrap().len() <= 5);

        // Forecasts, plans and risks from the same ledger.
        let (st, _, j) = get_typed(&state, "/api/v1/forecast?level=region&horizon=3").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["total"], 2 * 3, "{j}");
        assert_eq!(
            j["rows"][0]["forecast"]["mean"].as_array().unwrap().len(),
            3
        );
        assert!(j["rows"][0]["forecast"]["reason"].is_string(), "{j}");
        let (st, _, j) =
            get_typed(&state, "/api/v1/plan?level=country&horizon=6&lead_time=2").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["rows"][0]["months"].as_array().unwrap().len(), 6, "{j}");
        let (st, _, j) = get_typed(&state, "/api/v1/risk?level=region&horizon=6&paths=50").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        let p: Vec<f64> = j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["max_6"].as_f64().unwrap())
            .collect();
        assert!(p.windows(2).all(|w| w[0] >= w[1]), "ranked by risk: {p:?}");
        let (st, _, j) = get_typed(&state, "/api/v1/forecast?method=oracle").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(j["parameter"], "method", "{j}");
        let (st, _, j) = get_typed(&state, "/api/v1/plan?horizon=0").await;
        assert_eq!(
            (st, j["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some("horizon"))
        );
        // Lead times imported (formulas 4.7) apply to the API's plans; a
        // supplier is named among them, else refused naming `supplier`.
        let (st, _, j) = send(
            &state,
            "POST",
            "/api/v1/imports/lead-times",
            &[("content-type", "text/csv")],
            "item,supplier,order_months,production_months,transport_months,receipt_months\n,SupA,1,1,0.5,0\n,SupB,0,1,0,0\n",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        // A list with a rejected row replaces nothing: 422, the list kept.
        let (st, _, j) = send(
            &state,
            "POST",
            "/api/v1/imports/lead-times",
            &[("content-type", "text/csv")],
            "item,supplier,order_months,production_months,transport_months,receipt_months\n,SupC,1,1,0.5,0\n,SupD,x,1,0,0\n",
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{j}");
        assert!(
            j["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("the list held is kept"),
            "{j}"
        );
        let (st, _, j) = get_typed(&state, "/api/v1/plan?level=country&horizon=6").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["rows"][0]["lead_time"], 1, "the shortest: {j}");
        let (st, _, j) =
            get_typed(&state, "/api/v1/plan?level=country&horizon=6&supplier=SupA").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["rows"][0]["lead_time"], 3, "{j}");
        assert!(
            j["notes"]
                .to_string()
                .contains("2 rows by item and supplier, as imported"),
            "{j}"
        );
        // The list imported, as plans use it; a supplier's rows alone.
        let (st, _, j) = get_typed(&state, "/api/v1/plan/lead-times?supplier=SupA").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["total"], 1, "{j}");
        let row = &j["rows"][0];
        assert_eq!(
            (
                row["item"].is_null(),
                row["total_months"].as_f64(),
                row["months"].as_u64()
            ),
            (true, Some(2.5), Some(3)),
            "{j}"
        );
        let (st, _, j) = get_typed(&state, "/api/v1/plan/pipeline").await;
        assert_eq!((st, j["total"].as_u64()), (StatusCode::OK, Some(0)), "{j}");
        assert!(
            j["notes"][0]
                .as_str()
                .unwrap()
                .starts_with("no pipeline imported"),
            "{j}"
        );
        let (st, _, j) = get_typed(&state, "/api/v1/plan/pipeline?within=NOWHERE").await;
        assert_eq!(j["parameter"], "within", "{st} {j}");
        let (st, _, j) = get_typed(&state, "/api/v1/risk?horizon=6&paths=20&supplier=SupC").await;
        assert_eq!(
            (st, j["parameter"].as_str()),
            (StatusCode::CONFLICT, Some("supplier")),
            "{j}"
        );
        assert!(
            j["detail"].as_str().unwrap_or("").contains("(SupA, SupB)"),
            "{j}"
        );

        // Bad parameters are named.
        let (st, _, j) = get_typed(&state, "/api/v1/stock?status=empty").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(j["parameter"], "status", "{j}");
        let (st, _, j) = get_typed(&state, "/api/v1/stock?as_of=31/12/2026").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(j["parameter"], "as_of", "{j}");
        // A parameter given twice: which value was meant is not guessed.
        let (st, _, j) = get_typed(&state, "/api/v1/stock?as_of=2026-01&as_of=2026-02").await;
        assert_eq!(
            (st, j["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some("as_of")),
            "{j}"
        );
        // An as-of month outside the data: 409, its own problem type, the
        // parameter named, with the months the data cover.
        for (path, says) in [
            (
                "/api/v1/forecast?as_of=2099-01",
                "2099-01 is after the last complete month of the data, ",
            ),
            (
                "/api/v1/plan?as_of=2099-01",
                "after the last complete month of the data",
            ),
            (
                "/api/v1/forecast/accuracy?as_of=2099-01",
                "after the last complete month of the data",
            ),
            (
                "/api/v1/risk?as_of=1990-01",
                "1990-01 is before the first month with data, ",
            ),
            // Stock after today: known up to today only (until
            // 2026-12-07 every row read no_consumption).
            (
                "/api/v1/stock?as_of=2099-12-31",
                "2099-12-31 is after today (",
            ),
            (
                "/api/v1/availability?date=2099-12-31",
                "2099-12-31 is after today (",
            ),
            (
                "/api/v1/stock?as_of=2099-12",
                "2099-12 ends on 2099-12-31, which is after today (",
            ),
        ] {
            let (st, _, j) = get_typed(&state, path).await;
            let param = if path.contains("date=") {
                "date"
            } else {
                "as_of"
            };
            assert_eq!(
                (st, j["parameter"].as_str()),
                (StatusCode::CONFLICT, Some(param)),
                "{path}: {j}"
            );
            assert!(
                j["detail"].as_str().unwrap_or("").contains(says),
                "{path}: {j}"
            );
            assert_eq!(j["type"], "/problems/outside-data", "{path}: {j}");
        }
        // An item that is not held is named, not left out without a word.
        for path in [
            "/api/v1/stock?item=NO-SUCH-ITEM",
            "/api/v1/stock/lots?item=NO-SUCH-ITEM",
            "/api/v1/availability?item=NO-SUCH-ITEM",
        ] {
            let (st, _, j) = get_typed(&state, path).await;
            assert_eq!(
                (st, j["parameter"].as_str()),
                (StatusCode::CONFLICT, Some("item")),
                "{path}: {j}"
            );
            assert!(
                j["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("NO-SUCH-ITEM (no such item"),
                "{path}: {j}"
            );
        }
        // A month is its last day, as a month's last day completes it for
        // forecasts (docs/formulas.md 3.5).
        for (month, last) in [
            (
                "/api/v1/stock?as_of=2026-02",
                "/api/v1/stock?as_of=2026-02-28",
            ),
            (
                "/api/v1/availability?date=2026-02",
                "/api/v1/availability?date=2026-02-28",
            ),
        ] {
            let (st, _, by_month) = get_typed(&state, month).await;
            assert_eq!(st, StatusCode::OK, "{month}: {by_month}");
            let (_, _, by_day) = get_typed(&state, last).await;
            assert_eq!(by_month, by_day, "{month}");
        }
        let (st, _, j) = get_typed(&state, "/api/v1/stock?within=NOWHERE").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{j}");
        // A basket without items is every item: the mean share per facility.
        let (st, _, j) = get_typed(&state, "/api/v1/availability?basket=true").await;
        assert_eq!(
            (st, j["rows"][0]["item"].as_str()),
            (StatusCode::OK, Some("basket")),
            "{j}"
        );
        // Values outside a parameter's documented range are refused, naming it.
        let (st, _, j) = get_typed(&state, "/api/v1/stock?window=0").await;
        assert_eq!(
            (st, j["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some("window")),
            "{j}"
        );
        let (st, _, j) = get_typed(&state, "/api/v1/forecast?level=planet").await;
        assert_eq!(
            (st, j["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some("level")),
            "{j}"
        );
    });
    // Items are named once the product list is imported (an import reloads).
    run(async {
        let (_, _, j) = get_typed(&state, "/api/v1/items").await;
        assert_eq!(j["total"], 3, "{j}");
        assert!(j["rows"][0]["name"].is_null(), "{j}");
    });
    equitas_store::testing::import_bytes(
        s,
        ImportKind::Products,
        "products.csv",
        net.products_csv().as_bytes(),
    );
    // The GTINs' stock is then kept under their products (formulas 3.1).
    run(async {
        let (_, _, j) = get_typed(&state, "/api/v1/items").await;
        let p = &net.products[0];
        assert!(
            j["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["item"] != p.gtin.as_str()),
            "{j}"
        );
        let row = j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["item"] == p.code.as_str())
            .unwrap();
        assert_eq!(
            (
                row["name"].as_str(),
                row["product"].as_str(),
                row["programme"].as_str()
            ),
            (
                Some(p.name.as_str()),
                Some(p.code.as_str()),
                Some(p.programme)
            )
        );
        // A programme is one of the catalogue's (a typing error is named,
        // not answered as no items); one without items answers none.
        let (st, _, j) = get_typed(&state, "/api/v1/items?programme=no-such").await;
        assert_eq!(
            (st, j["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some("programme")),
            "{j}"
        );
        let (_, _, j) = get_typed(&state, "/api/v1/items?programme=ntd").await;
        assert_eq!(j["total"], 0, "{j}");

        // Locations with their parents; `within` and `level` narrow them.
        let (_, _, j) = get_typed(&state, "/api/v1/locations?level=facility").await;
        assert_eq!(j["total"], 6, "{j}");
        let facility = j["rows"][0].clone();
        let parent = facility["parent"].as_str().unwrap().to_string();
        let (_, _, j) = get_typed(&state, &format!("/api/v1/locations?within={parent}")).await;
        assert!(
            j["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["code"] == facility["code"]),
            "{j}"
        );
        let (st, _, j) = get_typed(&state, "/api/v1/locations?within=NOWHERE").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{j}");

        // The repository: what was captured, and the two capture jobs.
        let (_, _, j) = get_typed(&state, "/api/v1/epcis/summary").await;
        assert_eq!(j["events"], events.len(), "{j}");
        let by: i64 = j["by_type_and_step"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[2].as_i64().unwrap())
            .sum();
        assert_eq!(by, events.len() as i64);
        let (_, _, j) = get_typed(&state, "/api/v1/epcis/captures?limit=1").await;
        assert_eq!(
            (j["total"].as_i64(), j["rows"].as_array().unwrap().len()),
            (Some(2), 1),
            "{j}"
        );
        assert_eq!(j["rows"][0]["captureID"], 2, "newest first: {j}");
    });
    // An import reloads the cached ledger and drops the cached answers:
    // the bands change the rows of the same request.
    run(async {
        let (_, _, j) = get_typed(&state, "/api/v1/stock?level=facility&limit=1").await;
        assert_ne!(j["rows"][0]["max_months"], 100.0, "{j}");
    });
    equitas_store::testing::import_bytes(
        s,
        ImportKind::StockLevels,
        "levels.csv",
        b"item,tier,min_months,max_months\n,facility,0,100\n",
    );
    run(async {
        let (_, _, j) = get_typed(&state, "/api/v1/stock?level=facility&limit=1").await;
        assert_eq!(j["rows"][0]["max_months"], 100.0, "{j}");
    });
    // A receipt of 1e9 units at a GLN the hierarchy does not hold is listed
    // as a data problem (issue 18).
    run(async {
        let stray = format!(
            r#"{{"epcisBody": {{"eventList": [{{"type": "ObjectEvent", "eventTime": "2025-01-02T00:00:00Z",
                "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "receiving",
                "bizLocation": {{"id": "https://id.gs1.org/414/9529999999994"}},
                "quantityList": [{{"epcClass": "https://id.gs1.org/01/{}/10/STRAY", "quantity": 1000000000}}]}}]}}}}"#,
            net.products[0].gtin
        );
        let (st, _, j) = send(&state, "POST", "/capture", &[], &stray).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{j}");
        let (st, _, j) = get_typed(&state, "/api/v1/stock/problems?limit=1000").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        let unknown: Vec<&Value> = j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "unknown_location")
            .collect();
        assert_eq!(unknown.len(), 1, "{j}");
        assert_eq!(
            (
                unknown[0]["location"].as_str(),
                unknown[0]["found"].as_f64()
            ),
            (Some("https://id.gs1.org/414/9529999999994"), Some(1e9))
        );
        // Its source, an event captured without an eventID, is named by its
        // hash ID, which the event query finds.
        let source = &unknown[0]["sources"][0];
        assert_eq!(source["kind"], "event", "{source}");
        let name = source["name"].as_str().unwrap();
        assert!(name.starts_with("ni:///sha-256;"), "{source}");
        let (_, _, found) = get_typed(&state, &format!("/events?EQ_eventID={}", enc(name))).await;
        assert_eq!(
            found["events"][0]["bizLocation"], "https://id.gs1.org/414/9529999999994",
            "{found}"
        );
        let (_, _, j) = get_typed(&state, "/api/v1/stock?level=country").await;
        assert!(
            j["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["stock_on_hand"].as_f64().is_some_and(|x| x < 1e9)),
            "{j}"
        );
    });
}

on_both_backends! {
    market_api => market_endpoints,
    epcis_api => epcis_endpoints,
    stock_api => stock_endpoints,
}

/// The dashboard, its assets and the formulas page are served from the binary.
#[test]
fn the_dashboard_is_served() {
    let s = equitas_store::testing::sqlite();
    let state = AppState::open(&s.target).unwrap();
    run(async {
        let res = router(state.clone())
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-cache");
        let html = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap();
        let asset = html
            .split('"')
            .find(|x| x.starts_with("/assets/") && x.ends_with(".js"))
            .expect("index.html names its script")
            .to_string();
        let res = router(state.clone())
            .oneshot(
                Request::get(&asset)
                    .header("accept-encoding", "gzip")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript")
        );
        assert_eq!(res.headers()["content-encoding"], "gzip");
        let (st, _, _) = get_typed(&state, "/docs/formulas").await;
        assert_eq!(st, StatusCode::OK);
        let (st, _, j) = get_typed(&state, "/assets/no-such.js").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{j}");
    });
}

/// With schemas configured, a capture is validated against them first
/// (JSON documents against the JSON Schema, XML ones against the XSDs).
#[test]
fn capture_is_validated_against_the_schema() {
    use equitas_doc_vectors::conformance;
    let Some(gs1) = conformance::shared("conformance/epcis/gs1-schema", "") else {
        return;
    };
    let suites = conformance::vendored("epcis");
    let schema = std::fs::read_to_string(gs1.join("EPCIS-JSON-Schema.json")).unwrap();
    let bad = std::fs::read_to_string(suites.join(
        "openepcis/JSON/Capture/Invalid/ObjectEvent_with_non_standard_bizStep_in_second_event.json",
    ))
    .unwrap();
    let s = equitas_store::testing::sqlite();
    let state =
        AppState::open(&s.target)
            .unwrap()
            .with_epcis_schemas(equitas_epcis::validate::Schemas {
                json: Some(equitas_epcis::validate::Validator::new(&schema).unwrap()),
                xsd: Some(equitas_epcis::xsd::XsdValidator::from_dir(&gs1.join("XSD")).unwrap()),
            });
    let bad_xml = std::fs::read_to_string(
        suites.join("openepcis/XML/Capture/Invalid/ObjectEvent_with_invalid_action.xml"),
    )
    .unwrap();
    run(async {
        let (st, _, j) = send(&state, "POST", "/capture", &[], &bad_xml).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(
            j["detail"]
                .as_str()
                .unwrap()
                .contains("event 0: line 12: Element 'action'"),
            "{j}"
        );
        let (st, _, j) = send(&state, "POST", "/capture", &[], &bad).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(
            j["detail"]
                .as_str()
                .unwrap()
                .contains("event 1: /epcisBody/eventList/1/bizStep"),
            "{j}"
        );
        let (st, _, j) = send(
            &state,
            "POST",
            "/capture",
            &[("GS1-Capture-Error-Behaviour", "proceed")],
            &bad,
        )
        .await;
        assert_eq!(st, StatusCode::ACCEPTED);
        assert_eq!(
            (
                j["captured"].as_i64(),
                j["rejected"].as_array().unwrap().len()
            ),
            (Some(1), 1)
        );
    });
}

/// Every endpoint of the API description answers with a documented status,
/// rejects a parameter it does not document, and the description is served.
#[test]
fn the_openapi_description_matches_the_routes() {
    let s = equitas_store::testing::sqlite();
    let state = AppState::open(&s.target).unwrap();
    run(async {
        let (st, ctype, doc) = get_typed(&state, "/openapi.json").await;
        assert_eq!(st, StatusCode::OK);
        assert!(ctype.starts_with("application/json"), "{ctype}");
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(
            paths
                .values()
                .map(|p| p.as_object().unwrap().len())
                .sum::<usize>(),
            equitas_server::api_doc::endpoints().len()
        );
        for e in &equitas_server::api_doc::endpoints() {
            let path = e
                .path
                .replace("{id}", "1")
                .replace("{eventID}", "urn:uuid:00000000-0000-4000-8000-000000000000");
            let (st, _, j) = send(&state, &e.method.to_uppercase(), &path, &[], "").await;
            let documented = doc["paths"][e.path][e.method]["responses"]
                .as_object()
                .unwrap();
            assert!(
                documented.contains_key(st.as_str()),
                "{} {}: {st} not documented: {j}",
                e.method,
                e.path
            );
            assert_ne!(
                st,
                StatusCode::METHOD_NOT_ALLOWED,
                "{} {}",
                e.method,
                e.path
            );
            if st == StatusCode::NOT_FOUND {
                assert!(
                    !j["detail"].as_str().unwrap_or("").starts_with("no route"),
                    "{} {} is not routed",
                    e.method,
                    e.path
                );
            }
            if e.method == "get" && !e.params.is_empty() {
                let (st, _, j) = get_typed(&state, &format!("{path}?undocumented=1")).await;
                // A problem's `parameter`, or a FHIR OperationOutcome's expression.
                let named = j["parameter"]
                    .as_str()
                    .or(j["issue"][0]["expression"][0].as_str());
                assert_eq!(
                    (st, named),
                    (StatusCode::BAD_REQUEST, Some("undocumented")),
                    "{}",
                    e.path
                );
            }
        }
        let (st, ctype, _) = get_typed(&state, "/api/docs").await;
        assert_eq!(st, StatusCode::OK);
        assert!(ctype.starts_with("text/html"), "{ctype}");
    });
}
