//! `equitas supply ...` as a user runs it (issue 20): the single-source
//! vaccine types of the WHO PQ list against a computation made here from
//! the CSV alone, the tiers of the SCMS file, and the registers' imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

fn equitas(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_equitas"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("EQUITAS_DATABASE")
        .output()
        .expect("run equitas")
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn data(name: &str) -> String {
    format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn single_source_vaccine_types_match_the_csv() {
    let Some(pq) = equitas_doc_vectors::conformance::shared(
        "data/who-pq/prequalified_vaccines.csv",
        "equitas supply single-source",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Without the list: a clear message naming the import.
    let o = equitas(d, &["supply", "single-source"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("equitas import who-pq-vaccines"));
    ok(equitas(
        d,
        &["import", "who-pq-vaccines", pq.to_str().unwrap()],
    ));
    let out = ok(equitas(d, &["supply", "single-source", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();

    // Independently, from the CSV: type -> manufacturers and products per authority.
    type Acc = (BTreeSet<String>, BTreeMap<String, u64>);
    let mut by_type: BTreeMap<String, Acc> = BTreeMap::new();
    let mut r = csv::Reader::from_path(&pq).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x.trim() == n).unwrap();
    let (t, m, a) = (
        col("Vaccine Type"),
        col("Manufacturer"),
        col("Responsible NRA"),
    );
    for rec in r.records() {
        let rec = rec.unwrap();
        let e = by_type.entry(rec[t].trim().to_string()).or_default();
        e.0.insert(rec[m].trim().to_string());
        *e.1.entry(rec[a].trim().to_string()).or_default() += 1;
    }
    let expected: BTreeMap<&String, (&String, &BTreeMap<String, u64>)> = by_type
        .iter()
        .filter(|(_, (ms, _))| ms.len() == 1)
        .map(|(t, (ms, auth))| (t, (ms.iter().next().unwrap(), auth)))
        .collect();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    assert_eq!(rows.len(), 18, "Python over the same file: 18 types");
    for row in rows {
        let ty = row["product_type"].as_str().unwrap().to_string();
        let (man, auth) = expected[&ty];
        assert_eq!(row["manufacturer"].as_str().unwrap(), man, "{ty}");
        let got: BTreeMap<String, u64> =
            serde_json::from_value(row["authorities"].clone()).unwrap();
        assert_eq!(&got, auth, "{ty}");
        assert_eq!(
            row["products"].as_u64().unwrap(),
            auth.values().sum::<u64>()
        );
    }
    assert!(
        v["method"]
            .as_str()
            .unwrap()
            .contains("docs/formulas.md 6.2")
    );
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("Sources: WHO list"))
    );
}

#[test]
fn tiers_of_the_scms_file_and_registers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(equitas(
        d,
        &["import", "countries", &data("country-codes.csv")],
    ));
    ok(equitas(
        d,
        &["import", "scms", &data("supply_chain_shipment_pricing.csv")],
    ));
    let out = ok(equitas(
        d,
        &[
            "supply",
            "concentration",
            "--by-country",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let single = rows
        .iter()
        .filter(|r| r["single_country"].as_bool().unwrap())
        .count();
    // Computed independently in Python from the CSV and the site mapping
    // ("Not Applicable" sites of unknown origin, formulas 6.1).
    assert_eq!((rows.len(), single), (891, 779));
    assert_eq!(v["period"], "deliveries 2006-05-02 to 2015-09-14");

    let csv = ok(equitas(
        d,
        &[
            "supply",
            "concentration",
            "--product",
            "efavirenz-600mg-tablet",
            "--format",
            "csv",
        ],
    ));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("product,product_name,n,HHI manufacturer")
    );
    // The code, then its name (until 2026-12-07 the name alone).
    let efv = lines.next().unwrap();
    assert!(
        efv.starts_with("efavirenz-600mg-tablet,Efavirenz 600mg tablet,758,2830.04"),
        "{efv}"
    );

    // The share produced in each WHO region (the store's tests check it
    // against an SQL aggregate).
    ok(equitas(
        d,
        &[
            "import",
            "income-groups",
            &data("who_regions_wb_income.csv"),
        ],
    ));
    let out = ok(equitas(d, &["supply", "regional", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let regions: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["AFRO", "EMRO", "EURO", "PAHO", "WPRO"]);
    let out = ok(equitas(
        d,
        &["supply", "regional", "--regions", "au", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"][0]["region"], "AU");
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("African Union members"))
    );
    let csv = ok(equitas(
        d,
        &[
            "supply",
            "dependence",
            "--country",
            "NGA",
            "--format",
            "csv",
        ],
    ));
    assert!(csv.contains("NGA,Nigeria,IND,India,"), "{csv}");

    // The supply map of efavirenz: shares add up to 1, India's sites first by value.
    let out = ok(equitas(
        d,
        &[
            "supply",
            "map",
            "--product",
            "efavirenz-600mg-tablet",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let total: f64 = rows.iter().map(|r| r["share"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9);
    let india: f64 = rows
        .iter()
        .filter(|r| r["country"] == "IND")
        .map(|r| r["share"].as_f64().unwrap())
        .sum();
    // HHI 9,990.8 by country (section 2.8): India's share s solves
    // s^2 + (1-s)^2 = 0.99908, s = 0.99954.
    assert!((india - 0.99954).abs() < 0.00005, "{india}");

    // Matchmaking: a prequalified South African efavirenz site.
    let f = d.join("sites.csv");
    std::fs::write(
        &f,
        "site,name,organisation,country,status,source,products,approvals,capacity_min,capacity_max,capacity_unit\n\
         zaf-1,ZA plant,ZA Pharma,ZAF,operational,test,efavirenz-600mg-tablet,who-pq,100,200,million tablets\n",
    )
    .unwrap();
    ok(equitas(d, &["import", "supply-sites", f.to_str().unwrap()]));
    // The answer's AFRO row and the period it states, for efavirenz.
    let afro = |extra: &[&str]| {
        let mut args = vec!["supply", "match", "--product", "efavirenz-600mg-tablet"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&ok(equitas(d, &args))).unwrap();
        let row = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == "AFRO")
            .unwrap()
            .clone();
        (row, v["period"].clone())
    };
    let (row, _) = afro(&[]);
    assert_eq!(row["qualified_producers"][0], "zaf-1");
    assert_eq!(row["priority"], false);
    assert!(row["capacity_cover"].is_null(), "value weights: no cover");

    // Weighed in tablets, the site's 100-200 million tablets a year are set
    // against the region's tablets bought per year of the period of every
    // line (whatever product is asked: the cover of efavirenz is the same
    // asked alone or among all, a user pass, 2026-12-07).
    let (row, _) = afro(&["--weight", "quantity"]);
    let all: serde_json::Value = serde_json::from_str(&ok(equitas(
        d,
        &[
            "supply", "match", "--weight", "quantity", "--format", "json",
        ],
    )))
    .unwrap();
    let among_all = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "AFRO" && r["product"] == "efavirenz-600mg-tablet")
        .unwrap();
    assert_eq!(among_all["capacity_cover"], row["capacity_cover"]);
    let period = all["period"].clone();
    // The period of every line as the answer states it: "deliveries FROM to TO".
    let days: Vec<chrono::NaiveDate> = period
        .as_str()
        .unwrap()
        .split_whitespace()
        .filter_map(|w| chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .collect();
    assert_eq!(days.len(), 2, "{period}");
    let years = ((days[1] - days[0]).num_days() + 1) as f64 / 365.25;
    let yearly = row["demand"].as_f64().unwrap() / years;
    let c = &row["capacity_cover"];
    assert_eq!(c["unit"], "tablet");
    assert!((c["cover_min"].as_f64().unwrap() - 1e8 / yearly).abs() < 1e-9 * (1e8 / yearly));
    assert!((c["cover_max"].as_f64().unwrap() - 2e8 / yearly).abs() < 1e-9 * (2e8 / yearly));
    // The table says it too.
    let out = ok(equitas(
        d,
        &[
            "supply",
            "match",
            "--product",
            "efavirenz-600mg-tablet",
            "--weight",
            "quantity",
        ],
    ));
    assert!(
        out.contains("capacity / demand") && out.contains("(tablets/year)"),
        "{out}"
    );

    // A register with a bad row: the good rows imported, the bad one named (exit status 3).
    let f = d.join("regulators.csv");
    std::fs::write(
        &f,
        "country,authority,pathway,source,gbt_level,gbt_year,days_to_authorise\n\
         ZAF,SAHPRA,WHO collaborative registration procedure,https://example.org,3,2022,90\n\
         ZAF,SAHPRA,standard,https://example.org,7,2022,\n",
    )
    .unwrap();
    let o = equitas(d, &["import", "regulators", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("regulators.csv:3: gbt_level: \"7\" is not a maturity level (1 to 4)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = ok(equitas(d, &["supply", "regulators", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"][0]["days_to_authorise"], 90);
    assert_eq!(v["rows"][0]["provenance"]["source"], "https://example.org");
    // The table names the country, as the other tables do.
    let out = ok(equitas(d, &["supply", "regulators"]));
    assert!(out.lines().any(|l| l.starts_with("South Africa ")), "{out}");

    // Regulatory reach: one authorised source of efavirenz in South Africa.
    let f = d.join("ma.csv");
    std::fs::write(
        &f,
        "country,number,product_name,product,holder,status\n\
         ZAF,A1,Efavirenz 600mg,efavirenz-600mg-tablet,Holder One,valid\n",
    )
    .unwrap();
    ok(equitas(
        d,
        &["import", "authorisations", f.to_str().unwrap()],
    ));
    let out = ok(equitas(
        d,
        &["supply", "reach", "--country", "ZAF", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let efv = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product"] == "efavirenz-600mg-tablet")
        .unwrap();
    assert_eq!(efv["sources"], 1);
    assert_eq!(efv["alternative"], false);
    assert_eq!(efv["days_to_authorise"], 90);
}

/// The user's pass (2026-12-07): Kenya's only efavirenz authorisation is
/// suspended, so Kenya shows efavirenz with 0 sources and no alternative
/// (it was left out); Nigeria's authorisation named only "Efavirenz 600mg
/// tablet" counts with the two coded ones, 3 sources in one row (it was a
/// second row of 1 source).
#[test]
fn suspended_and_name_only_authorisations_in_reach_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(equitas(
        d,
        &["import", "countries", &data("country-codes.csv")],
    ));
    ok(equitas(
        d,
        &["import", "scms", &data("supply_chain_shipment_pricing.csv")],
    ));
    let f = d.join("ma.csv");
    std::fs::write(
        &f,
        "country,number,product_name,product,holder,status\n\
         KEN,K1,Efavirenz 600mg,efavirenz-600mg-tablet,Holder One,suspended\n\
         NGA,N1,Efavirenz 600mg,efavirenz-600mg-tablet,Holder One,valid\n\
         NGA,N2,Efavirenz 600mg,efavirenz-600mg-tablet,Holder Two,valid\n\
         NGA,N3,Efavirenz 600mg tablet,,Holder Three,valid\n\
         NGA,N4,Efavirenz 600mg tabs,,Holder Four,valid\n",
    )
    .unwrap();
    let o = equitas(d, &["import", "authorisations", f.to_str().unwrap()]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{said}");
    assert!(
        said.contains(
            "ma.csv: line 6 (\"Efavirenz 600mg tabs\"): matches no product; did you mean"
        ),
        "{said}"
    );

    let out = ok(equitas(
        d,
        &["supply", "reach", "--country", "KEN", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let efv = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product"] == "efavirenz-600mg-tablet")
        .expect("Kenya's efavirenz, with its only authorisation suspended");
    assert_eq!(efv["sources"], 0);
    assert_eq!(efv["alternative"], false);

    for args in [
        ["supply", "reach", "--country", "NGA", "--format", "json"],
        ["market", "sources", "--country", "NGA", "--format", "json"],
    ] {
        let out = ok(equitas(d, &args));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let efv: Vec<&serde_json::Value> = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["product"].as_str().is_some_and(|p| {
                    p.to_lowercase().starts_with("efavirenz-600mg-tablet")
                        || p == "Efavirenz 600mg tablet"
                })
            })
            .collect();
        assert_eq!(efv.len(), 1, "{args:?}: {efv:?}");
        let n = if args[0] == "supply" {
            &efv[0]["sources"]
        } else {
            &efv[0]["authorised_holders"]
        };
        assert_eq!(n, 3, "{args:?}: {efv:?}");
    }
    let out = ok(equitas(
        d,
        &["market", "sources", "--country", "KEN", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"][0]["product"], "efavirenz-600mg-tablet");
    assert_eq!(v["rows"][0]["authorised_holders"], 0);
}

#[test]
fn the_demo_loads_the_shipped_registers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(equitas(d, &["demo"]));
    let out = ok(equitas(d, &["supply", "regulators", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r["gbt_level"] == 3));
    let table = ok(equitas(d, &["supply", "regulators"]));
    assert!(table.contains("Sources: https://"), "{table}");

    // The licences: C-TAP's worldwide test licence covers Kenya, the mRNA
    // programme's partners only their own countries.
    let out = ok(equitas(
        d,
        &["supply", "licences", "--country", "KEN", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["programme"] == "c-tap"
        && r["licensor"] == "Spanish National Research Council (CSIC)"));
    assert!(rows.iter().all(|r| {
        r["territory"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "KEN")
    }));
    let all = ok(equitas(d, &["supply", "licences", "--format", "json"]));
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert_eq!(all["rows"].as_array().unwrap().len(), 19);
    let table = ok(equitas(d, &["supply", "licences", "--programme", "c-tap"]));
    assert!(table.contains("249 countries"), "{table}");
}
