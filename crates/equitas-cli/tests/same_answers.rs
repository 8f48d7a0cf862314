//! The CLI and the API give the same rows for every operation, on the demo
//! (issue 26): both run the operation of `equitas_service` from the same
//! parameter descriptions, and this checks nothing was lost on either side.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use tower::ServiceExt;

fn equitas(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_equitas"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Each operation's path and the CLI command that runs it (`None`: the API
/// only, for the dashboard). A new operation must be listed here.
const COMMANDS: &[(&str, Option<&[&str]>)] = &[
    ("/api/v1/countries", None),
    ("/api/v1/market/products", Some(&["market", "products"])),
    ("/api/v1/market/prices", Some(&["market", "prices"])),
    ("/api/v1/market/mpr", Some(&["market", "mpr"])),
    (
        "/api/v1/market/pooled-prices",
        Some(&["market", "pooled-prices"]),
    ),
    (
        "/api/v1/market/affordability",
        Some(&["market", "affordability"]),
    ),
    (
        "/api/v1/market/concentration",
        Some(&["market", "concentration"]),
    ),
    ("/api/v1/market/delivery", Some(&["market", "delivery"])),
    ("/api/v1/market/sources", Some(&["market", "sources"])),
    (
        "/api/v1/supply/concentration",
        Some(&["supply", "concentration"]),
    ),
    ("/api/v1/supply/map", Some(&["supply", "map"])),
    (
        "/api/v1/supply/qualified-sources",
        Some(&["supply", "qualified-sources"]),
    ),
    (
        "/api/v1/supply/single-source",
        Some(&["supply", "single-source"]),
    ),
    ("/api/v1/supply/reach", Some(&["supply", "reach"])),
    ("/api/v1/supply/regional", Some(&["supply", "regional"])),
    ("/api/v1/supply/dependence", Some(&["supply", "dependence"])),
    ("/api/v1/supply/match", Some(&["supply", "match"])),
    ("/api/v1/supply/regulators", Some(&["supply", "regulators"])),
    ("/api/v1/supply/licences", Some(&["supply", "licences"])),
    ("/api/v1/stock", Some(&["stock"])),
    ("/api/v1/stock/lots", Some(&["stock", "lots"])),
    ("/api/v1/stock/problems", Some(&["stock", "problems"])),
    ("/api/v1/items", None),
    ("/api/v1/locations", None),
    ("/api/v1/availability", Some(&["availability"])),
    ("/api/v1/forecast", Some(&["forecast"])),
    ("/api/v1/forecast/accuracy", Some(&["forecast", "accuracy"])),
    ("/api/v1/plan", Some(&["plan"])),
    ("/api/v1/plan/lead-times", Some(&["plan", "lead-times"])),
    ("/api/v1/plan/pipeline", Some(&["plan", "pipeline"])),
    ("/api/v1/risk", Some(&["risk"])),
    ("/api/v1/scenario/run", Some(&["scenario", "run"])),
    (
        "/api/v1/scenario/countries",
        Some(&["scenario", "countries"]),
    ),
    (
        "/api/v1/scenario/projection",
        Some(&["scenario", "projection"]),
    ),
    ("/api/v1/scenario/nodes", Some(&["scenario", "nodes"])),
    ("/api/v1/scenario/compare", Some(&["scenario", "compare"])),
    (
        "/api/v1/scenario/allocation",
        Some(&["scenario", "allocation"]),
    ),
    // The demo publishes nothing and holds no publication: these are
    // compared between the CLI and the API in tests/region.rs.
    ("/api/v1/publications", None),
    ("/api/v1/publications/figures", None),
    ("/api/v1/region/stock", None),
];

#[test]
fn the_cli_and_the_api_answer_the_same_rows_for_every_operation() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let o = equitas(dir.path(), &["demo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The demo has no reference prices or wages: the tour's illustrative ones.
    for (kind, file) in [
        ("reference-prices", "data/examples/reference-prices.csv"),
        ("wages", "data/examples/wages.csv"),
        // The lists plans use, so that their own answers have rows.
        ("lead-times", "data/examples/lead-times.csv"),
        ("pipeline", "data/examples/pipeline.csv"),
    ] {
        let f = root.join(file);
        let o = equitas(dir.path(), &["import", kind, f.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // Supply: a made-up list in the WHO PQ layout (the real one may not be
    // shipped) and one authorisation, so that every supply operation answers.
    let pq = dir.path().join("pq.csv");
    std::fs::write(
        &pq,
        "Date of Prequalification,Vaccine Type,Commercial Name,Presentation,No. of doses,Manufacturer,Responsible NRA\n\
         01/01/2020,Made-up A,X,Vial,1,Maker One,Authority One\n\
         01/01/2020,Made-up B,Y,Vial,1,Maker Two,Authority Two\n",
    )
    .unwrap();
    let ma = dir.path().join("ma.csv");
    std::fs::write(
        &ma,
        "country,number,product_name,product,holder,status\n\
         NGA,T1,Efavirenz 600mg,efavirenz-600mg-tablet,Holder,valid\n",
    )
    .unwrap();
    for (kind, f) in [("who-pq-vaccines", &pq), ("authorisations", &ma)] {
        let o = equitas(dir.path(), &["import", kind, f.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let listed: Vec<&str> = COMMANDS.iter().map(|c| c.0).collect();
    for e in equitas_service::operation_endpoints() {
        assert!(listed.contains(&e.path), "{} is not compared", e.path);
    }
    let state =
        equitas_server::AppState::open(&dir.path().join("equitas.db").display().to_string())
            .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (path, cli) in COMMANDS {
        let Some(cli) = cli else { continue };
        let mut args = cli.to_vec();
        args.extend(["--format", "json"]);
        let o = equitas(dir.path(), &args);
        assert!(
            o.status.success(),
            "{cli:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let from_cli: Value = serde_json::from_slice(&o.stdout).unwrap();
        let cli_rows = from_cli["rows"].as_array().unwrap().clone();
        let (status, from_api) = rt.block_on(async {
            let res = equitas_server::router(state.clone())
                .oneshot(
                    Request::get(format!("{path}?limit=1000"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = res.status();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&body).unwrap())
        });
        assert_eq!(status, StatusCode::OK, "{path}: {from_api}");
        // The demo holds no marketing authorisations: sources has no rows.
        assert!(
            !cli_rows.is_empty() || *path == "/api/v1/market/sources",
            "{cli:?} answered no rows on the demo"
        );
        assert_eq!(
            from_api["total"].as_u64(),
            Some(cli_rows.len() as u64),
            "{path}"
        );
        let api_rows = from_api["rows"].as_array().unwrap();
        assert_eq!(api_rows[..], cli_rows[..api_rows.len()], "{path}");
        assert_eq!(from_api["method"], from_cli["method"], "{path}");
        // Every note the CLI prints, the API gives too (the CLI may add a
        // line naming the sources): none is worked out by the CLI alone.
        let api_notes: Vec<&Value> = from_api["notes"]
            .as_array()
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        for note in from_cli["notes"].as_array().into_iter().flatten() {
            let text = note.as_str().unwrap_or_default();
            assert!(
                api_notes.contains(&note)
                    // Lists of the answer's own fields (sources,
                    // assumptions, prequalified vaccines, products per
                    // authority), laid out as lines.
                    || [
                        "Sources: ",
                        "Assumptions: ",
                        "WHO-prequalified vaccine manufacturers",
                        "Their products per responsible authority:",
                        "  ",
                    ]
                    .iter()
                    .any(|p| text.starts_with(p)),
                "{path}: the CLI's note {note} is not in the API's notes {api_notes:?}"
            );
        }
    }
}
