//! The disruption scenario routes (issue 21) through the router, on SQLite
//! and PostgreSQL: the scenario given as a TOML or JSON document in the
//! `scenario` parameter, exposures checked against SQL over the stored
//! procurement lines, a bad document refused naming its field.

mod common;
use axum::http::StatusCode;
use common::{enc, get};
use equitas_server::AppState;
use equitas_store::import::ImportKind;
use equitas_store::on_both_backends;
use equitas_store::testing::{TestStore, import_data};
use std::collections::HashMap;

/// The day after which lines count toward supply and demand (formulas
/// 7.1): `months` before the last delivery.
fn cutoff(s: &mut TestStore, months: u32) -> chrono::NaiveDate {
    let last: chrono::NaiveDate = s
        .store
        .query_scalar("SELECT MAX(delivered_date) FROM procurement_lines", &[])
        .unwrap()
        .get()
        .unwrap();
    last.checked_sub_months(chrono::Months::new(months))
        .unwrap()
}

/// The share of each (buying country, product)'s units made in `country`,
/// from the stored lines delivered in the scenario's window (the last 36
/// months, formulas 7.1) and the site mapping, computed in SQL.
fn shares(s: &mut TestStore, country: &str) -> HashMap<(String, String), f64> {
    let from = cutoff(s, 36).to_string();
    s.store
        .query(
            "SELECT p.buyer_country, p.product,
                    SUM(CASE WHEN m.country = $1 THEN p.pack_size * p.quantity ELSE 0 END),
                    SUM(p.pack_size * p.quantity)
             FROM procurement_lines p LEFT JOIN manufacturing_sites m ON m.code = p.site
             WHERE p.pack_size > 0 AND p.quantity > 0 AND p.delivered_date > $2
             GROUP BY p.buyer_country, p.product",
            &[country.into(), from.into()],
        )
        .unwrap()
        .iter()
        .map(|r| {
            let a: f64 = r[2].get().unwrap();
            let b: f64 = r[3].get().unwrap();
            ((r[0].get().unwrap(), r[1].get().unwrap()), a / b)
        })
        .filter(|(_, x)| *x > 0.0)
        .collect()
}

fn scenario_routes(s: &mut TestStore) {
    for (kind, file) in [
        (ImportKind::Countries, "country-codes.csv"),
        (ImportKind::IncomeGroups, "who_regions_wb_income.csv"),
        (ImportKind::Scms, "supply_chain_shipment_pricing.csv"),
        (ImportKind::Regulators, "supply-regulators.csv"),
    ] {
        import_data(s, kind, file);
    }
    let india = shares(s, "IND");
    // Pairs bought before the window but not in it: no need today.
    let from = cutoff(s, 36).to_string();
    let stale: Vec<(String, String)> = s
        .store
        .query(
            "SELECT buyer_country, product FROM procurement_lines
             WHERE pack_size > 0 AND quantity > 0
             GROUP BY buyer_country, product
             HAVING MAX(delivered_date) <= $1",
            &[from.clone().into()],
        )
        .unwrap()
        .iter()
        .map(|r| (r[0].get().unwrap(), r[1].get().unwrap()))
        .collect();
    assert!(
        !stale.is_empty(),
        "the SCMS file has pairs last bought before {from}"
    );
    let state = AppState::open(&s.target).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // The default: the largest producing country (India) stops six months.
        let (st, j) = get(&state, "/api/v1/scenario/run?limit=1000").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert!(
            j["assumptions"].to_string().contains("IND"),
            "{}",
            j["assumptions"]
        );
        assert!(j["method"].as_str().unwrap().contains("docs/formulas.md 7"));
        let rows = j["rows"].as_array().unwrap();
        assert_eq!(j["total"].as_u64().unwrap() as usize, india.len());
        for r in rows {
            let k = (
                r["country"].as_str().unwrap().to_string(),
                r["product"].as_str().unwrap().to_string(),
            );
            // Each pair by its names too.
            assert!(j["labels"]["country"][&k.0].is_string(), "{k:?}");
            assert!(j["labels"]["product"][&k.1].is_string(), "{k:?}");
            let want = india[&k];
            assert!(
                (r["exposure"].as_f64().unwrap() - want).abs() < 1e-4,
                "{k:?}: {} against {want}",
                r["exposure"]
            );
            // No stock data: three months assumed, so a total loss runs out
            // after three months of a six-month outage.
            assert!(r["assumptions"][0].as_str().unwrap().contains("3 months"));
            if want == 1.0 {
                assert_eq!(r["time_to_survive_months"], 3.0, "{r}");
                assert_eq!(r["probability_of_stockout"], 1.0, "{r}");
            }
        }

        // Supply and demand are those of the last 36 months (7.1): a pair
        // last bought before them is touched by nothing, and the sources
        // say which lines count.
        for r in rows {
            let k = (
                r["country"].as_str().unwrap().to_string(),
                r["product"].as_str().unwrap().to_string(),
            );
            assert!(!stale.contains(&k), "{k:?} was last bought before {from}");
        }
        assert!(
            j["sources"][0]
                .as_str()
                .unwrap()
                .contains(&format!("delivered after {from} (options.demand_months = 36)")),
            "{}",
            j["sources"][0]
        );
        // A wider window takes them back.
        let (st, wide) = get(
            &state,
            &format!(
                "/api/v1/scenario/run?limit=1000&scenario={}",
                enc("[[shocks]]\nproducing_country = \"IND\"\nmonths = 6\n[options]\ndemand_months = 600\n")
            ),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{wide}");
        assert!(
            wide["total"].as_u64().unwrap() > j["total"].as_u64().unwrap(),
            "{} against {}",
            wide["total"],
            j["total"]
        );

        // A TOML document in the parameter: one site, two months.
        let toml = "[[shocks]]\nsite = \"cipla-goa-india\"\nmonths = 2\n";
        let (st, j) = get(
            &state,
            &format!("/api/v1/scenario/run?scenario={}", enc(toml)),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        for r in j["rows"].as_array().unwrap() {
            // Two months against three held: no stockout.
            assert_eq!(r["unmet"], 0.0, "{r}");
            assert_eq!(r["time_to_recover_months"], 2.0);
        }

        // Spare capacity stated in the document (7.4): said so, and used.
        let toml = "[[shocks]]\nproducing_country = \"IND\"\nmonths = 6\n[[spare_capacity]]\nsource = \"aspen-pharmacare\"\nproduct = \"tenofovir-disoproxil-fumarate-300mg-tablet\"\nper_month = 100000\n";
        let (st, j) = get(
            &state,
            &format!("/api/v1/scenario/run?limit=1000&scenario={}", enc(toml)),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert!(
            j["assumptions"]
                .to_string()
                .contains("aspen-pharmacare can add 100000 units a month"),
            "{}",
            j["assumptions"]
        );

        // A bad field is named.
        let bad = r#"{"shocks": [{"site": "x", "los": 1, "months": 1}]}"#;
        let (st, j) = get(
            &state,
            &format!("/api/v1/scenario/run?scenario={}", enc(bad)),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{j}");
        assert_eq!(j["parameter"], "scenario", "{j}");
        assert!(j["detail"].as_str().unwrap().contains("los"), "{j}");

        // A scenario without an event is refused, not run as nothing
        // happening (formulas 7.1); so is a surge of 80 (+8,000%), where
        // +80% is written 0.8.
        for (doc, says) in [
            ("name = \"x\"\n", "holds no event"),
            (
                "[[surges]]\ncountries = [\"KEN\"]\nincrease = 80\nmonths = 6\n",
                "80 is not from 0 to 10: an increase is a share",
            ),
        ] {
            let (st, j) = get(
                &state,
                &format!("/api/v1/scenario/run?scenario={}", enc(doc)),
            )
            .await;
            assert_eq!((st, j["parameter"].as_str()), (StatusCode::BAD_REQUEST, Some("scenario")), "{j}");
            assert!(j["detail"].as_str().unwrap().contains(says), "{j}");
        }

        let (st, j) = get(&state, "/api/v1/scenario/countries?limit=1000").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        let countries: std::collections::BTreeSet<&str> =
            india.keys().map(|k| k.0.as_str()).collect();
        assert_eq!(j["total"].as_u64().unwrap() as usize, countries.len());

        // The pair with the most unmet demand, month by month: its unmet
        // demand adds up to the run's.
        let (st, j) = get(&state, "/api/v1/scenario/projection").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        let (_, first) = get(&state, "/api/v1/scenario/run?limit=1").await;
        assert_eq!(j["country"], first["rows"][0]["country"]);
        let total: f64 = j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["unmet"].as_f64().unwrap())
            .sum();
        let want = first["rows"][0]["unmet"].as_f64().unwrap();
        assert!((total - want).abs() <= 1.0, "{total} against {want}");
        // A country the data does not name is the parameter at fault, with
        // the code likely meant (it was 409 "touches no pair").
        let (st, j) = get(&state, "/api/v1/scenario/projection?country=FRA&product=x").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{j}");
        assert_eq!(j["parameter"], "country", "{j}");
        let (st, j) = get(&state, "/api/v1/scenario/projection?country=nga").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{j}");
        assert!(j["detail"].as_str().unwrap().contains("did you mean \"NGA\"?"), "{j}");

        let (st, j) = get(&state, "/api/v1/scenario/nodes?limit=5").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["rows"][0]["rank"], 1);
        assert_eq!(j["rows"][0]["node"], "IND", "{j}");
        // Every node by its name (`labels`, as market answers give them):
        // a producing country's among the countries, sites and
        // manufacturers in their own dimensions.
        assert_eq!(j["labels"]["country"]["IND"], "India", "{j}");
        for r in j["rows"].as_array().unwrap() {
            let dim = match r["kind"].as_str().unwrap() {
                "producing-country" => "country",
                k => k,
            };
            let node = r["node"].as_str().unwrap();
            assert!(
                j["labels"][dim][node].as_str().is_some_and(|n| n != node),
                "{dim} {node}: {}",
                j["labels"]
            );
        }
        // In French with Accept-Language.
        let (st, _, j) = common::send(
            &state,
            "GET",
            "/api/v1/scenario/nodes?limit=1",
            &[("accept-language", "fr")],
            "",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["labels"]["country"]["IND"], "Inde", "{j}");

        let (st, j) = get(&state, "/api/v1/scenario/compare").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        // Three more months everywhere covers a six-month outage held with three.
        assert_eq!(j["rows"][0]["reduction_share"], 1.0, "{j}");

        let (st, j) = get(&state, "/api/v1/scenario/allocation").await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert!(j["rows"].as_array().unwrap().len() >= 3);

        let (_, doc) = get(&state, "/openapi.json").await;
        for p in [
            "/api/v1/scenario/run",
            "/api/v1/scenario/countries",
            "/api/v1/scenario/projection",
            "/api/v1/scenario/nodes",
            "/api/v1/scenario/compare",
            "/api/v1/scenario/allocation",
        ] {
            assert!(doc["paths"].get(p).is_some(), "{p} not described");
        }
    });
}

on_both_backends! {
    scenario => scenario_routes,
}
