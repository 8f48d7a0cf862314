//! The supply security routes (issue 20) through the router, on SQLite and
//! PostgreSQL: served from the shared operations and described in /openapi.json.

mod common;
use axum::http::StatusCode;
use common::get;
use equitas_server::AppState;
use equitas_store::import::ImportKind;
use equitas_store::on_both_backends;
use equitas_store::testing::{TestStore, import_data};

fn supply_routes(s: &mut TestStore) {
    for (kind, file) in [
        (ImportKind::Countries, "country-codes.csv"),
        (ImportKind::Scms, "supply_chain_shipment_pricing.csv"),
        (ImportKind::Regulators, "supply-regulators.csv"),
    ] {
        import_data(s, kind, file);
    }
    let state = AppState::open(&s.target).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (st, j) = get(
            &state,
            "/api/v1/supply/concentration?product=efavirenz-600mg-tablet",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        let row = &j["rows"][0];
        assert_eq!(row["weakest"], "country");
        assert_eq!(row["band"], "highly concentrated");
        let country = row["tiers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tier"] == "country")
            .unwrap();
        assert_eq!(country["hhi"].as_f64().unwrap().round(), 9991.0);
        assert_eq!(j["labels"]["country"]["IND"], "India");
        assert!(j["method"].as_str().unwrap().contains("docs/formulas.md 6.1"));
        // A product whose every line is of unknown origin has no row, and
        // is named (until 2026-12-07 it vanished without a word).
        let (st, j) = get(
            &state,
            "/api/v1/supply/concentration?product=malaria-paramax-3-kit-test-kit",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["rows"].as_array().map(Vec::len), Some(0), "{j}");
        assert!(
            j["notes"].to_string().contains("1 product(s) bought with no known manufacturer, site or country in any line, so no row: "),
            "{}",
            j["notes"]
        );

        // Codes are named in the language the client prefers (French:
        // official_name_fr), and the answer varies with it.
        let uri = "/api/v1/supply/concentration?product=efavirenz-600mg-tablet";
        for (accept, india) in [
            ("fr-SN,fr;q=0.9,en;q=0.8", "Inde"),
            ("en-GB,en;q=0.9,fr;q=0.8", "India"),
            ("de", "India"),
        ] {
            let (st, h, j) = common::send(&state, "GET", uri, &[("accept-language", accept)], "").await;
            assert_eq!(st, StatusCode::OK, "{j}");
            assert_eq!(j["labels"]["country"]["IND"], india, "{accept}");
            assert_eq!(h["vary"], "accept-language");
        }

        let (_, j) = get(
            &state,
            "/api/v1/supply/concentration?product=efavirenz-600mg-tablet&country=NGA&by_country=true",
        )
        .await;
        assert_eq!(j["rows"][0]["key"][1], "NGA");
        assert_eq!(j["rows"][0]["single_country"], true);

        // No WHO PQ list loaded: 409 with what to import.
        let (st, j) = get(&state, "/api/v1/supply/single-source").await;
        assert_eq!(st, StatusCode::CONFLICT, "{j}");
        // A bad rule is named (0 sources is no rule).
        let (st, j) = get(&state, "/api/v1/supply/qualified-sources?rule=0,3").await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(j["parameter"], "rule", "{j}");

        let (st, j) = get(&state, "/api/v1/supply/regulators?country=NGA").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(j["rows"][0]["gbt_level"], 3);
        assert_eq!(j["rows"][0]["gbt_year"], 2022);

        let (_, doc) = get(&state, "/openapi.json").await;
        for p in [
            "/api/v1/supply/concentration",
            "/api/v1/supply/map",
            "/api/v1/supply/qualified-sources",
            "/api/v1/supply/single-source",
            "/api/v1/supply/reach",
            "/api/v1/supply/regional",
            "/api/v1/supply/dependence",
            "/api/v1/supply/match",
            "/api/v1/supply/regulators",
        ] {
            assert!(doc["paths"].get(p).is_some(), "{p} not described");
        }
    });
}

on_both_backends! {
    supply => supply_routes,
}
