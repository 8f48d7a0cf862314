//! `equitas scenario` as a user runs it on the demo: the shipped example
//! scenario in CSV and JSON, and bad scenario files refused naming the file
//! and the field, with the usage exit status.

use std::path::Path;
use std::process::Command;

fn equitas(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_equitas"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_example_scenario_runs_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/examples/scenario-largest-producer.toml")
        .canonicalize()
        .unwrap();
    let example = example.to_str().unwrap();
    let o = equitas(dir.path(), &["demo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let o = equitas(dir.path(), &["scenario", "run", example, "--format", "csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8(o.stdout).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("country,country_name,product,product_name,exposure,TTS months")
    );
    assert!(lines.count() > 100, "{csv}");

    let o = equitas(
        dir.path(),
        &["scenario", "compare", example, "--format", "json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["kind"], "safety-stock");
    // Its cost counts the products with a price; the demo's 12 synthetic
    // products held have none, and a note names them, so no cost per unit
    // averted is given (until 2026-12-07 they left no cost at all).
    assert!(
        rows[0]["cost"].as_f64().is_some_and(|c| c > 0.0),
        "{}",
        rows[0]
    );
    assert_eq!(rows[0]["unpriced"], 12, "{}", rows[0]);
    assert!(rows[0]["cost_per_unit_averted"].is_null());
    assert!(
        j["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with(
                "mitigations[0] (Three more months of stock everywhere): the cost counts only the products with a price, and no cost per unit averted is given, as 12 product(s) held have no unit price"
            )),
        "{}",
        j["notes"]
    );
    // The hypothetical producer helps the countries of its territory only.
    let territory = [
        "ZAF", "MOZ", "ZMB", "ZWE", "MWI", "BWA", "NAM", "LSO", "SWZ", "TZA", "AGO", "COD",
    ];
    for b in rows[2]["beneficiaries"].as_array().unwrap() {
        assert!(territory.contains(&b["country"].as_str().unwrap()), "{b}");
    }
    assert!(j["method"].as_str().unwrap().contains("docs/formulas.md 7"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[shocks]]\nsite = \"x\"\nloss = 1.5\nmonths = 2\n").unwrap();
    let o = equitas(dir.path(), &["scenario", "run", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("shocks[0].loss"),
        "{err}"
    );

    std::fs::write(&bad, "[[shocks]]\nsite = \"x\"\nmonth = 2\n").unwrap();
    let o = equitas(dir.path(), &["scenario", "nodes", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.toml") && err.contains("month"), "{err}");

    let o = equitas(dir.path(), &["scenario", "run", "/nonexistent/s.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/s.toml"));
}

fn rows(o: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    j["rows"].as_array().unwrap().clone()
}

fn refused(o: &std::process::Output, wanted: &[&str]) {
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for w in wanted {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
}

/// Every shock a scenario file can hold, given as an option, alone,
/// combined and added to a file; bad values refused naming the option; the
/// levels inside the synthetic country; a population file (7.5, 7.8).
#[test]
fn shocks_as_options_levels_and_population() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(equitas(d, &["demo"]).status.success());
    let run = |extra: &[&str]| {
        let mut a = vec!["scenario", "run", "--format", "json"];
        a.extend_from_slice(extra);
        equitas(d, &a)
    };
    // The network's nodes, to name real ones.
    let nodes = rows(&equitas(d, &["scenario", "nodes", "--format", "json"]));
    let node = |kind: &str| nodes.iter().find(|n| n["kind"] == kind).unwrap().clone();
    let (site, maker) = (node("site"), node("manufacturer"));
    let r = rows(&run(&[
        "--site",
        &format!("{}:6", site["node"].as_str().unwrap()),
    ]));
    assert_eq!(r.len() as u64, site["pairs"].as_u64().unwrap());
    let r = rows(&run(&[
        "--manufacturer",
        &format!("{}:3/6/12:50%", maker["node"].as_str().unwrap()),
    ]));
    assert_eq!(r.len() as u64, maker["pairs"].as_u64().unwrap());
    assert!(r.iter().all(|x| x["time_to_recover_months"] == 6.0));
    let ind = rows(&run(&["--producing-country", "IND:6"]));
    assert!(ind.len() > 100);
    let largest = rows(&run(&["--producing-country", "largest:6"]));
    assert_eq!(largest.len(), ind.len());
    let searo = rows(&run(&["--region-outage", "SEARO:6::2026-12-01"]));
    assert!(searo.len() >= ind.len());
    // No ingredient countries in the demo's data: refused, saying where
    // they come from (until 2026-12-07: nothing touched, without a word).
    refused(
        &run(&["--ingredient-country", "CHN:6"]),
        &[
            "\"CHN\": no supply flow loaded names any ingredient country",
            "import ingredient-sources",
        ],
    );
    refused(
        &run(&["--producing-country", "ind:6"]),
        // The option named, not `--scenario` (a user pass, 2026-12-07).
        &[
            "--producing-country: \"ind:6\": \"ind\" names no producing country of the supply loaded; did you mean \"IND\"?",
        ],
    );
    let ken = rows(&run(&["--export-restriction", "IND:6:KEN,UGA"]));
    assert!(!ken.is_empty());
    assert!(
        ken.iter()
            .all(|x| x["country"] == "KEN" || x["country"] == "UGA")
    );
    let all = rows(&run(&["--export-restriction", "IND:6"]));
    assert_eq!(all.len(), ind.len());
    let surge = rows(&run(&["--surge", "XSY:100%:6", "--levels"]));
    assert!(!surge.is_empty() && surge.iter().all(|x| x["country"] == "XSY"));
    // Each pair of the synthetic country has its levels; their stock adds up.
    for x in &surge {
        let levels = x["levels"].as_array().unwrap();
        assert!(!levels.is_empty(), "{x}");
        let stock: f64 = levels.iter().map(|l| l["stock"].as_f64().unwrap()).sum();
        assert!((stock - x["stock"].as_f64().unwrap()).abs() < 1.0, "{x}");
        let share: f64 = levels
            .iter()
            .map(|l| l["share_of_demand"].as_f64().unwrap())
            .sum();
        assert!((share - 1.0).abs() < 1e-3, "{x}");
    }
    // Combined: the union of the pairs each touches.
    let both = rows(&run(&[
        "--surge",
        "XSY:100%:6",
        "--export-restriction",
        "IND:6:KEN",
    ]));
    assert_eq!(
        both.len(),
        surge.len() + ken.iter().filter(|x| x["country"] == "KEN").count()
    );
    // Added to a file's shocks.
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/examples/scenario-largest-producer.toml");
    let example = example.to_str().unwrap();
    // (the file raises demand in XSY by half already: the option adds to it).
    let file = rows(&run(&[example]));
    let more = rows(&run(&[example, "--surge", "XSY:100%:6"]));
    assert_eq!(more.len(), file.len());
    let unmet_in = |r: &[serde_json::Value]| -> f64 {
        r.iter()
            .filter(|x| x["country"] == "XSY")
            .map(|x| x["unmet"].as_f64().unwrap())
            .sum()
    };
    assert!(
        unmet_in(&more) > unmet_in(&file),
        "{} {}",
        unmet_in(&more),
        unmet_in(&file)
    );
    // The table shows the levels under a level column.
    let o = equitas(
        d,
        &[
            "scenario",
            "run",
            "--surge",
            "XSY:100%:6",
            "--levels",
            "--format",
            "csv",
        ],
    );
    let csv = String::from_utf8(o.stdout).unwrap();
    // Codes with their names beside them (the answer's labels).
    assert!(
        csv.starts_with("country,country_name,level,product,product_name,"),
        "{csv}"
    );
    assert!(
        csv.contains("XSY,Synthetic country,national store,SYN-"),
        "{csv}"
    );

    // Errors name the option and what is wrong.
    refused(&run(&["--site", "x"]), &["--site", "NAME:DURATION"]);
    refused(
        &run(&["--manufacturer", "m:abc"]),
        &["--manufacturer", "not a duration"],
    );
    refused(
        &run(&["--producing-country", "IND:6:1.5"]),
        &["--producing-country", "loss"],
    );
    refused(
        &run(&["--ingredient-country", "CHN:6:x"]),
        &["--ingredient-country", "not a loss"],
    );
    refused(
        &run(&["--region-outage", "AFRO:6::2026-13-01"]),
        &["--region-outage", "not a date"],
    );
    refused(
        &run(&["--export-restriction", "IND:3/2/1"]),
        &["--export-restriction", "triangular"],
    );
    refused(
        &run(&["--surge", "XSY:lots:3"]),
        &["--surge", "not an increase"],
    );
    refused(&run(&["--surge", "XSY:0.3:0"]), &["--surge", "months"]);
    refused(
        &run(&["--surge", "XSY:0.3:3", "--scenario", "{}"]),
        &["not both"],
    );

    // Population: per person under priority to need, stated; errors name the line.
    let pop = d.join("pop.csv");
    std::fs::write(
        &pop,
        "iso3,year,population\nKEN,2020,50000000\nKEN,2023,55100000\nXSY,2023,1000000\n",
    )
    .unwrap();
    let o = equitas(
        d,
        &[
            "scenario",
            "allocation",
            "--population",
            pop.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = j["notes"].to_string();
    assert!(
        notes.contains("population given for 2 countries"),
        "{notes}"
    );
    let o = equitas(d, &["scenario", "allocation", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        j["notes"]
            .to_string()
            .contains("falls back to the income group")
    );
    std::fs::write(&pop, "iso3,year,population\nKEN,2020,-3\n").unwrap();
    refused(
        &equitas(
            d,
            &[
                "scenario",
                "allocation",
                "--population",
                pop.to_str().unwrap(),
            ],
        ),
        &["pop.csv, line 2", "population"],
    );
}

/// Spare capacity from the sites register where it states one (7.4): the
/// alternatives of one product given a large known capacity no longer
/// rest on the assumed share, and the answer counts them.
#[test]
fn known_capacity_from_the_sites_register() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(equitas(d, &["demo"]).status.success());
    let product = "abacavir-300mg-tablet";
    let run = || {
        let o = equitas(
            d,
            &[
                "scenario",
                "run",
                "--manufacturer",
                "mylan:6",
                "--format",
                "json",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let of = |j: &serde_json::Value| -> Vec<serde_json::Value> {
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["product"] == product)
            .cloned()
            .collect()
    };
    let assumed = |r: &serde_json::Value| r["assumptions"].to_string().contains("spare capacity");
    let before = run();
    assert!(of(&before).iter().any(assumed));
    // Every manufacturer of the network: a site of its organisation making the product.
    let nodes = rows(&equitas(d, &["scenario", "nodes", "--format", "json"]));
    let mut csv = String::from(
        "site,name,organisation,country,status,source,products,approvals,capacity_min,capacity_max,capacity_unit\n",
    );
    for n in nodes.iter().filter(|n| n["kind"] == "manufacturer") {
        let m = n["node"].as_str().unwrap();
        csv.push_str(&format!(
            "t-{m},{m} plant,{m},IND,operational,test,{product},who-pq,1000,2000,million tablets\n"
        ));
    }
    let f = d.join("sites.csv");
    std::fs::write(&f, csv).unwrap();
    let o = equitas(d, &["import", "supply-sites", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after = run();
    let (b, a) = (of(&before), of(&after));
    assert_eq!(a.len(), b.len());
    assert!(!a.iter().any(assumed), "{a:?}");
    for y in &a {
        let x = b.iter().find(|x| x["country"] == y["country"]).unwrap();
        assert!(y["alternative_per_month"].as_f64() >= x["alternative_per_month"].as_f64());
        assert!(y["unmet"].as_f64() <= x["unmet"].as_f64());
    }
    assert!(
        after["notes"]
            .to_string()
            .contains("sites register: known capacity of")
    );
    assert!(!after["notes"].to_string().contains("known capacity of 0 "));
}

/// The example sites register (ILLUSTRATIVE capacities) makes the example
/// scenario's spare capacity known, and every unit allocated arrives before
/// the outage ends (7.4, 7.5); `--spare-capacity` states one in its place;
/// `--pipeline FILE` counts each shipment at the level receiving it (7.8).
#[test]
fn example_register_spare_capacity_and_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/examples");
    let file = |f: &str| data.join(f).to_str().unwrap().to_string();
    let example = file("scenario-largest-producer.toml");
    assert!(equitas(d, &["demo"]).status.success());
    let o = equitas(d, &["import", "supply-sites", &file("supply-sites.csv")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = |args: &[&str]| -> serde_json::Value {
        let o = equitas(d, &[args, &["--format", "json"]].concat());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let run = json(&["scenario", "run", &example, "--limit", "0"]);
    let rows = run["rows"].as_array().unwrap();
    let f = |r: &serde_json::Value, k: &str| r[k].as_f64();
    let mut known = 0;
    for r in rows {
        if f(r, "alternative_per_month") > Some(0.0) {
            // What is allocated arrives before the outage ends.
            assert!(
                f(r, "time_to_qualify_months") < f(r, "time_to_recover_months"),
                "{r}"
            );
            if !r["assumptions"].to_string().contains("spare capacity") {
                known += 1;
            }
        }
        if r["alternative"] == "to-authorise" {
            assert!(
                f(r, "time_to_qualify_months") >= f(r, "time_to_recover_months"),
                "{r}"
            );
        }
    }
    assert!(known > 0, "no row served by a known capacity");
    // 5 of the register's 6 pairs: one source delivered nothing in the
    // last 36 months of lines, the window of supply (formulas 7.1).
    assert!(
        run["notes"].to_string().contains("known capacity of 5 "),
        "{}",
        run["notes"]
    );
    // The second source authorised in Nigeria now has capacity to give.
    let cmp = json(&["scenario", "compare", &example]);
    let second = |j: &serde_json::Value| j["rows"][1]["reduction"].as_f64().unwrap();
    assert!(second(&cmp) > 1e6, "{}", cmp["rows"][1]);
    // Stated on the command line, a smaller one gives less (below what
    // the country already authorised takes, none: the shortage only moves).
    let bi = "boehringer-ingelheim:nevirapine-200mg-tablet:500000";
    let less = json(&["scenario", "compare", &example, "--spare-capacity", bi]);
    assert!(
        second(&less) < second(&cmp) && second(&less) > 0.0,
        "{} against {}",
        less["rows"][1],
        cmp["rows"][1]
    );
    let notes = less["notes"].to_string();
    assert!(
        notes.contains(
            "boehringer-ingelheim can add 500000 units a month of nevirapine-200mg-tablet"
        ),
        "{notes}"
    );
    let unused = json(&[
        "scenario",
        "run",
        &example,
        "--spare-capacity",
        "boehringer-ingelheim:no-such-product:5",
    ]);
    assert!(
        unused["notes"]
            .to_string()
            .contains("supplies no no-such-product")
    );
    refused(
        &equitas(d, &["scenario", "run", "--spare-capacity", "x:5"]),
        &["--spare-capacity", "SOURCE:PRODUCT:UNITS"],
    );
    refused(
        &equitas(d, &["scenario", "run", "--spare-capacity", "x:p:lots"]),
        &["--spare-capacity", "not a number"],
    );
    refused(
        &equitas(d, &["scenario", "run", "--spare-capacity", "x:p:-3"]),
        &["--spare-capacity", "per_month"],
    );

    // The pipeline file: a facility's, the national store's, a region's.
    let surge = ["scenario", "run", "--surge", "XSY:50%:6", "--limit", "0"];
    let before = json(&surge);
    let after = json(&[&surge[..], &["--pipeline", &file("pipeline.csv")]].concat());
    let pair = |j: &serde_json::Value, p: &str| {
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["country"] == "XSY" && r["product"] == p)
            .unwrap()
            .clone()
    };
    let level = |r: &serde_json::Value, l: &str| -> f64 {
        r["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["level"] == l)
            .map_or(0.0, |x| x["pipeline"].as_f64().unwrap())
    };
    let (b3, a3) = (pair(&before, "SYN-003"), pair(&after, "SYN-003"));
    assert_eq!(
        f(&a3, "pipeline").unwrap() - f(&b3, "pipeline").unwrap(),
        1500.0
    );
    assert_eq!(level(&a3, "facility") - level(&b3, "facility"), 500.0);
    assert_eq!(
        level(&a3, "national store") - level(&b3, "national store"),
        1000.0
    );
    assert_eq!(level(&a3, "region"), level(&b3, "region"));
    let a1 = pair(&after, "SYN-001");
    assert_eq!(
        level(&a1, "region") - level(&pair(&before, "SYN-001"), "region"),
        300.0
    );
    assert!(
        after["notes"].to_string().contains(
            "pipeline file: 3 shipments, 3 to a buying country (3 to a place of known level)"
        ),
        "{}",
        after["notes"]
    );
    // Imported (`import pipeline`), the same shipments count without a
    // file: the same rows, said so.
    let o = equitas(d, &["import", "pipeline", &file("pipeline.csv")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let imported = json(&surge);
    assert_eq!(imported["rows"], after["rows"]);
    assert!(
        imported["notes"].to_string().contains(
            "pipeline as imported (equitas import pipeline; a pipeline file given to the command line, --pipeline, replaces it): 3 shipments, 3 to a buying country"
        ),
        "{}",
        imported["notes"]
    );
    let bad = d.join("pipe.csv");
    std::fs::write(&bad, "item,place,arrival,quantity\nSYN-003,XSY,2026-13,5\n").unwrap();
    refused(
        &equitas(
            d,
            &[&surge[..], &["--pipeline", bad.to_str().unwrap()]].concat(),
        ),
        &["pipe.csv", "2", "arrival"],
    );
}
