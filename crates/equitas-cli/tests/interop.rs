//! `equitas interop dhis2` on the demo (issue 24): the exported figures are
//! `equitas stock`'s for the same month and places, a data value set reads
//! back through the stock-report import, and a push talks to a server on
//! loopback that keeps DHIS2's documented contract for
//! `POST /api/dataValueSets` (a personal access token, `dryRun`, an import
//! summary with counts and conflicts).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use equitas_interop::dhis2::{Mapping, Metric, values};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

const MAPPINGS: [&str; 2] = [
    "docs/interop/dhis2-mapping.toml",
    "docs/interop/dhis2-mapping-per-metric.toml",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn equitas(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_equitas"))
        .current_dir(repo())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// One demo database for every test here (it takes a while to load).
fn demo() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        ok(&equitas(d.path(), &["demo"]));
        d
    })
    .path()
}

fn mapping(path: &str) -> Mapping {
    Mapping::parse(&std::fs::read_to_string(repo().join(path)).unwrap()).unwrap()
}

/// (location, product) -> metric -> value, read back from an export.
fn by_figure(text: &str, m: &Mapping) -> BTreeMap<(String, String), BTreeMap<Metric, String>> {
    let read = values::read(text.as_bytes()).unwrap();
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    let mut out: BTreeMap<(String, String), BTreeMap<Metric, String>> = BTreeMap::new();
    for (_, v) in read.records {
        let (product, metric) = m
            .figure(&v.data_element, v.category_option_combo.as_deref())
            .cloned()
            .unwrap();
        let loc = m.location(&v.org_unit).unwrap().to_string();
        assert_eq!(v.period, "202609");
        let old = out
            .entry((loc, product))
            .or_default()
            .insert(metric, v.value);
        assert!(old.is_none());
    }
    out
}

#[test]
fn exported_figures_are_those_of_equitas_stock() {
    let dir = demo();
    let stock: Value = serde_json::from_str(&ok(&equitas(
        dir,
        &["stock", "--as-of", "2026-09-30", "--format", "json"],
    )))
    .unwrap();
    let rows: HashMap<(String, String), &Value> = stock["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["location"].as_str().unwrap().to_string(),
                    r["item"].as_str().unwrap().to_string(),
                ),
                r,
            )
        })
        .collect();
    for path in MAPPINGS {
        let m = mapping(path);
        for format in ["json", "csv"] {
            let text = ok(&equitas(
                dir,
                &[
                    "interop",
                    "dhis2",
                    "export",
                    "--mapping",
                    path,
                    "--month",
                    "2026-09",
                    "--format",
                    format,
                ],
            ));
            let got = by_figure(&text, &m);
            // Every mapped place and product holding stock is there.
            let expected: Vec<&(String, String)> = rows
                .keys()
                .filter(|(l, i)| m.org_unit(l).is_some() && m.products().contains(&i.as_str()))
                .collect();
            assert!(expected.len() >= 8, "{path}: {}", expected.len());
            assert_eq!(got.len(), expected.len(), "{path} {format}");
            for (key, vals) in &got {
                let r = rows[key];
                let num = |m: Metric| vals.get(&m).map(|v| v.parse::<f64>().unwrap());
                assert_eq!(
                    num(Metric::StockOnHand),
                    r["stock_on_hand"].as_f64(),
                    "{key:?}"
                );
                assert_eq!(
                    num(Metric::StockoutDays),
                    r["stockout_days"].as_f64(),
                    "{key:?}"
                );
                if m.target(&key.1, Metric::MonthsOfStock).is_some() {
                    // Rounded to 2 decimals, as months of stock are shown.
                    assert_eq!(
                        num(Metric::MonthsOfStock),
                        r["months_of_stock"]
                            .as_f64()
                            .map(|x| (x * 100.0).round() / 100.0),
                        "{key:?}"
                    );
                }
                assert_eq!(
                    vals.get(&Metric::Status).map(String::as_str),
                    r["status"].as_str()
                );
                // The month's movements add up: opening + received - consumption
                // + adjustments = stock on hand.
                let f = |m: Metric| num(m).unwrap();
                let sum = f(Metric::OpeningBalance) + f(Metric::Received) - f(Metric::Consumption)
                    + f(Metric::Adjustments);
                assert!(
                    (sum - f(Metric::StockOnHand)).abs() < 1e-6,
                    "{key:?}: {vals:?}"
                );
            }
        }
    }
}

#[test]
fn a_data_value_set_reads_back_through_the_stock_report_import() {
    let dir = demo();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("september.json");
    let path = MAPPINGS[0];
    ok(&equitas(
        dir,
        &[
            "interop",
            "dhis2",
            "export",
            "--mapping",
            path,
            "--month",
            "2026-09",
            "--out",
            file.to_str().unwrap(),
        ],
    ));
    let before = by_figure(&std::fs::read_to_string(&file).unwrap(), &mapping(path));
    // A copy of the demo database, not to change the one the other tests read.
    let copy = work.path().join("db");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        // Other tests read the demo database meanwhile: SQLite's `-wal` and
        // `-shm` files of their connections come and go (empty: readers
        // write nothing), so one listed may be gone when copied.
        match std::fs::copy(e.path(), copy.join(e.file_name())) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            r => {
                r.unwrap();
            }
        }
    }
    let dry = ok(&equitas(
        &copy,
        &[
            "interop",
            "dhis2",
            "import",
            file.to_str().unwrap(),
            "--mapping",
            path,
            "--dry-run",
        ],
    ));
    assert!(
        dry.contains(&format!("stock reports: {} new", before.len())),
        "{dry}"
    );
    assert!(dry.contains("dry run"), "{dry}");
    let done = ok(&equitas(
        &copy,
        &[
            "interop",
            "dhis2",
            "import",
            file.to_str().unwrap(),
            "--mapping",
            path,
        ],
    ));
    assert!(
        done.contains(&format!("stock reports: {} new", before.len())),
        "{done}"
    );
    assert!(done.contains("derived figures, not imported"), "{done}");
    let again = ok(&equitas(
        &copy,
        &[
            "interop",
            "dhis2",
            "import",
            file.to_str().unwrap(),
            "--mapping",
            path,
        ],
    ));
    assert!(again.contains("already up to date"), "{again}");
    // The reports are a second record of the month, without lots, beside
    // the events' lots. Their counts count the item whole (formulas 3.1):
    // the opening and the stock on hand stay what the events give, and the
    // stockout days are the reported ones. Their receipts and consumption
    // are there a second time, and the closing count takes them back as an
    // adjustment. (Until 2026-12-07 the counts were kept beside the lots,
    // and every figure was there twice.)
    let out = work.path().join("after.json");
    ok(&equitas(
        &copy,
        &[
            "interop",
            "dhis2",
            "export",
            "--mapping",
            path,
            "--month",
            "2026-09",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let after = by_figure(&std::fs::read_to_string(&out).unwrap(), &mapping(path));
    assert_eq!(after.len(), before.len());
    for (k, b) in &before {
        let a = &after[k];
        let (x, y) = (
            |m: Metric| a[&m].parse::<f64>().unwrap(),
            |m: Metric| b[&m].parse::<f64>().unwrap(),
        );
        assert_eq!(a[&Metric::StockoutDays], b[&Metric::StockoutDays], "{k:?}");
        for (m, want) in [
            (Metric::OpeningBalance, y(Metric::OpeningBalance)),
            (Metric::StockOnHand, y(Metric::StockOnHand)),
            (Metric::Received, 2.0 * y(Metric::Received)),
            (Metric::Consumption, 2.0 * y(Metric::Consumption)),
            (
                Metric::Adjustments,
                y(Metric::Adjustments) - y(Metric::Received) + y(Metric::Consumption),
            ),
        ] {
            assert!(
                (x(m) - want).abs() < 1e-6,
                "{k:?} {m:?}: {} after, {want} wanted",
                x(m)
            );
        }
    }
    // A bad value is named with its line and field, the rest imported.
    let bad = work.path().join("bad.csv");
    let m = mapping(path);
    let t = m.target("SYN-001", Metric::StockOnHand).unwrap();
    let sod = m.target("SYN-001", Metric::StockoutDays).unwrap();
    let ou = m.org_unit("R01D01F0001").unwrap();
    std::fs::write(
        &bad,
        format!(
            "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n\
             {de},202610,{ou},{coc},,12\n{de},202610,{ou},{sod},,0\n{de},202610,Xx000000000,{coc},,3\n",
            de = t.data_element,
            coc = t.category_option_combo.as_deref().unwrap(),
            sod = sod.category_option_combo.as_deref().unwrap(),
        ),
    )
    .unwrap();
    let o = equitas(
        &copy,
        &[
            "interop",
            "dhis2",
            "import",
            bad.to_str().unwrap(),
            "--mapping",
            path,
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.csv:4: orgUnit: \"Xx000000000\" is not an org unit of the mapping"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 new"));
}

/// What the loopback DHIS2 holds and was asked.
#[derive(Default)]
struct Dhis2 {
    org_units: HashSet<String>,
    values: HashMap<(String, String, String, String), String>,
    dry_runs: usize,
    imports: usize,
}

type Shared = Arc<Mutex<Dhis2>>;

/// `POST /api/dataValueSets` as DHIS2 documents it: `ApiToken`
/// authentication, `dryRun` (check and count, store nothing), an import
/// summary in a web message, each value of an unknown org unit a conflict
/// and ignored (409 when there are conflicts, as DHIS2 2.38 and later).
async fn data_value_sets(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, axum::Json<Value>) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("ApiToken d2pat_test") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"}),
            ),
        );
    }
    let dry = q.get("dryRun").map(String::as_str) == Some("true");
    let set: Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(
                    json!({"httpStatus": "Bad Request", "status": "ERROR", "message": e.to_string()}),
                ),
            );
        }
    };
    let mut st = s.lock().unwrap();
    if dry {
        st.dry_runs += 1
    } else {
        st.imports += 1
    }
    let (mut imported, mut updated, mut ignored) = (0, 0, 0);
    let mut conflicts: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, v) in set["dataValues"].as_array().unwrap().iter().enumerate() {
        let f = |k: &str| v[k].as_str().unwrap_or("").to_string();
        if !st.org_units.contains(&f("orgUnit")) {
            ignored += 1;
            conflicts.entry(f("orgUnit")).or_default().push(i);
            continue;
        }
        let key = (
            f("dataElement"),
            f("period"),
            f("orgUnit"),
            f("categoryOptionCombo"),
        );
        if st.values.contains_key(&key) {
            updated += 1
        } else {
            imported += 1
        }
        if !dry {
            st.values.insert(key, f("value"));
        }
    }
    let conflicts: Vec<Value> = conflicts
        .into_iter()
        .map(|(ou, idx)| json!({"object": ou, "objects": {"organisationUnit": ou}, "value": "Org unit not found or not accessible", "errorCode": "E7612", "property": "orgUnit", "indexes": idx}))
        .collect();
    let status = if conflicts.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    (
        status,
        axum::Json(json!({
            "httpStatus": if conflicts.is_empty() { "OK" } else { "Conflict" },
            "httpStatusCode": status.as_u16(),
            "status": if conflicts.is_empty() { "OK" } else { "WARNING" },
            "message": if conflicts.is_empty() { "Import was successful." } else { "One more conflicts encountered, please check import summary." },
            "response": {
                "responseType": "ImportSummary",
                "status": if conflicts.is_empty() { "SUCCESS" } else { "WARNING" },
                "importOptions": {"dryRun": dry},
                "importCount": {"imported": imported, "updated": updated, "ignored": ignored, "deleted": 0},
                "conflicts": conflicts,
            }
        })),
    )
}

fn serve(state: Shared) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            let app = Router::new()
                .route("/api/dataValueSets", post(data_value_sets))
                .with_state(state);
            axum::serve(l, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

fn push(url: &str, token: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "--data-dir",
        demo().to_str().unwrap(),
        "interop",
        "dhis2",
        "push",
        "--mapping",
        MAPPINGS[0],
        "--month",
        "2026-09",
        "--url",
        url,
        "--token-env",
        "EQUITAS_TEST_DHIS2_TOKEN",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_equitas"))
        .current_dir(repo())
        .env("EQUITAS_TEST_DHIS2_TOKEN", token)
        .args(&args)
        .output()
        .unwrap()
}

#[test]
fn push_dry_runs_then_imports_and_shows_every_conflict() {
    let m = mapping(MAPPINGS[0]);
    let state: Shared = Arc::default();
    // The server knows every mapped org unit but one facility's.
    let missing = m.org_unit("R01D01F0007").unwrap().to_string();
    state.lock().unwrap().org_units = m
        .locations()
        .filter_map(|l| m.org_unit(l))
        .filter(|ou| *ou != missing)
        .map(str::to_string)
        .collect();
    let url = serve(state.clone());
    let text = ok(&equitas(
        demo(),
        &[
            "interop",
            "dhis2",
            "export",
            "--mapping",
            MAPPINGS[0],
            "--month",
            "2026-09",
        ],
    ));
    let sent = values::read(text.as_bytes()).unwrap().records;
    let refused = sent.iter().filter(|(_, v)| v.org_unit == missing).count();
    assert!(refused > 0);
    let n = sent.len();

    // A wrong token: refused, nothing stored.
    let o = push(&url, "d2pat_wrong", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("refused"),
        "{o:?}"
    );

    // The dry run alone stores nothing.
    let o = push(&url, "d2pat_test", &["--dry-run"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains(&format!(
            "dry run: WARNING: imported {}, updated 0, ignored {refused}, deleted 0, conflicts 1",
            n - refused
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "conflict: {missing}: Org unit not found or not accessible (E7612)"
        )),
        "{out}"
    );
    assert!(out.contains("nothing was stored"), "{out}");
    {
        let st = state.lock().unwrap();
        assert_eq!((st.dry_runs, st.imports, st.values.len()), (1, 0, 0));
    }

    // A push: a dry run, then the import.
    let o = push(&url, "d2pat_test", &[]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains(&format!(
            "import: WARNING: imported {}, updated 0, ignored {refused}",
            n - refused
        )),
        "{out}"
    );
    {
        let st = state.lock().unwrap();
        assert_eq!(
            (st.dry_runs, st.imports, st.values.len()),
            (2, 1, n - refused)
        );
        // What DHIS2 holds is what was exported.
        for (_, v) in sent.iter().filter(|(_, v)| v.org_unit != missing) {
            let key = (
                v.data_element.clone(),
                v.period.clone(),
                v.org_unit.clone(),
                v.category_option_combo.clone().unwrap_or_default(),
            );
            assert_eq!(st.values.get(&key), Some(&v.value));
        }
    }
    // Again: the same values are updates.
    let o = push(&url, "d2pat_test", &[]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.contains(&format!(
            "import: WARNING: imported 0, updated {}",
            n - refused
        )),
        "{out}"
    );

    // Every org unit known: no conflict, exit 0.
    state.lock().unwrap().org_units.insert(missing.clone());
    let o = push(&url, "d2pat_test", &[]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "import: SUCCESS: imported {refused}, updated {}",
            n - refused
        )),
        "{out}"
    );
}

/// Every command of docs/interop.md's `sh` blocks, run as written (the
/// binary for `equitas`, on a copy of the demo) from a directory holding
/// the repository's `docs`: each must exit 0.
#[test]
fn documented_commands_run_as_written() {
    let doc = std::fs::read_to_string(repo().join("docs/interop.md")).unwrap();
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in doc.lines() {
        match line.trim() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            l if in_sh && l.starts_with("equitas ") => commands.push(l.to_string()),
            _ => {}
        }
    }
    assert!(commands.len() >= 6, "{commands:?}");
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    // The database alone: the demo's writer has exited (its log was
    // checkpointed into the database), and the other tests reading the
    // demo meanwhile make and remove their own `-wal` and `-shm` files,
    // which may vanish between the listing and the copy.
    for e in std::fs::read_dir(demo()).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with("-wal") || name.ends_with("-shm") {
            continue;
        }
        std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
    }
    std::os::unix::fs::symlink(repo().join("docs"), work.path().join("docs")).unwrap();
    for c in &commands {
        let args: Vec<&str> = c.split_whitespace().skip(1).collect();
        let o = Command::new(env!("CARGO_BIN_EXE_equitas"))
            .current_dir(work.path())
            .arg("--data-dir")
            .arg(&data)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{c}\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let out = String::from_utf8_lossy(&o.stdout);
        // The dispenses' national code is found through the mapping stored
        // by `interop fhir codes` before (no --codes).
        if c.contains("fhir import") && c.contains("dispense") {
            assert!(out.contains("2 movement event(s) captured"), "{c}: {out}");
        }
        if c.contains("fhir import") && c.contains("registry") {
            assert!(out.contains("organisations: 2 new"), "{c}: {out}");
        }
        if c.contains("fhir organizations") {
            assert!(
                out.contains("DHO-R01D01\tDistrict health office R01D01 (synthetic)")
                    && out.contains("part of MOH-XSY\tlocations R01D01F0099"),
                "{c}: {out}"
            );
        }
    }
}

/// The SupplyDeliveries out of a month: their completed quantities are the
/// month's receipts (the same as DHIS2's `received`), each one readable
/// back in as a receipt.
#[test]
fn deliveries_out_are_the_months_receipts() {
    let dir = demo();
    let b: Value = serde_json::from_str(&ok(&equitas(
        dir,
        &[
            "interop",
            "fhir",
            "export",
            "--resource",
            "supply-delivery",
            "--location",
            "R01D01F0001",
            "--month",
            "2026-09",
        ],
    )))
    .unwrap();
    let mut received = 0.0;
    for e in b["entry"].as_array().unwrap() {
        let r = &e["resource"];
        assert_eq!(r["resourceType"], "SupplyDelivery");
        let item = &r["suppliedItem"][0];
        if r["status"] == "completed"
            && item["itemCodeableConcept"]["coding"][0]["code"] == "09520000000011"
        {
            assert_eq!(
                r["destination"]["identifier"]["system"],
                "https://www.gs1.org/gln"
            );
            received += item["quantity"]["value"].as_f64().unwrap();
        }
    }
    let m = mapping(MAPPINGS[1]);
    let text = ok(&equitas(
        dir,
        &[
            "interop",
            "dhis2",
            "export",
            "--mapping",
            MAPPINGS[1],
            "--month",
            "2026-09",
        ],
    ));
    let figures = by_figure(&text, &m);
    let dhis2: f64 = figures[&("R01D01F0001".to_string(), "SYN-001".to_string())]
        [&Metric::Received]
        .parse()
        .unwrap();
    assert!(received > 0.0);
    assert_eq!(received, dhis2);
}

/// A copy of the demo database in `work`, for a test that writes.
fn demo_copy(work: &Path) -> PathBuf {
    let copy = work.join("db");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(demo()).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with("-wal") || name.ends_with("-shm") {
            continue;
        }
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    copy
}

/// A data value set's report is taken whole: one with a rejected value, or
/// with only its stockout days, is refused with each of its lines; a month
/// not ended is named as such; the other reports are imported. A month
/// not ended has no figures to export or push either.
#[test]
fn a_dhis2_report_is_imported_whole_or_not_at_all() {
    let work = tempfile::tempdir().unwrap();
    let db = demo_copy(work.path());
    let path = MAPPINGS[1];
    let file = work.path().join("values.csv");
    std::fs::write(
        &file,
        "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n\
         LMIS_SYN001_OPENING_BALANCE,202610,OU_R01D01F0001,,,35\n\
         LMIS_SYN001_CONSUMPTION,202610,OU_R01D01F0001,,,NaN\n\
         LMIS_SYN001_STOCK_ON_HAND,202610,OU_R01D01F0001,,,30\n\
         LMIS_SYN001_STOCKOUT_DAYS,202610,OU_R01D01F0001,,,0\n\
         LMIS_SYN002_STOCKOUT_DAYS,202610,OU_R01D01F0001,,,0\n\
         LMIS_SYN001_STOCK_ON_HAND,209901,OU_R01D01F0007,,,7\n\
         LMIS_SYN001_STOCKOUT_DAYS,209901,OU_R01D01F0007,,,0\n\
         LMIS_SYN001_STOCK_ON_HAND,202610,OU_R01D01F0007,,,9\n\
         LMIS_SYN001_STOCKOUT_DAYS,202610,OU_R01D01F0007,,,2\n",
    )
    .unwrap();
    let o = equitas(
        &db,
        &[
            "interop",
            "dhis2",
            "import",
            file.to_str().unwrap(),
            "--mapping",
            path,
            "--dry-run",
            "--all-errors",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    let whole = "the report of SYN-001 at OU_R01D01F0001 for 202610 is not imported: a report is taken whole, and line 3 of it was rejected";
    for line in [
        format!("values.csv:2: value: {whole}"),
        "values.csv:3: value: \"NaN\" (consumption) is not a non-negative number".into(),
        format!("values.csv:4: value: {whole}"),
        format!("values.csv:5: value: {whole}"),
        "values.csv:6: value: the report of SYN-002 at OU_R01D01F0001 for 202610 gives only stockout_days".into(),
        "values.csv:7: period: 209901 is after this month".into(),
        "values.csv:8: period: 209901 is after this month".into(),
    ] {
        assert!(err.contains(&line), "{line}\n{err}");
    }
    assert!(out.contains("stock reports: 1 new"), "{out}");

    for args in [
        &[
            "interop",
            "dhis2",
            "export",
            "--mapping",
            path,
            "--month",
            "2099-01",
        ][..],
        &[
            "interop",
            "dhis2",
            "push",
            "--mapping",
            path,
            "--month",
            "2099-01",
            "--url",
            "http://127.0.0.1:9",
            "--token-env",
            "PATH",
        ],
    ] {
        let o = equitas(&db, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--month: 2099-01 is after this month"),
            "{args:?}: {err}"
        );
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}

/// Two FHIR dispenses alike but for their ids are two movements, the same
/// Bundle sent again none; a dispense dated after the capture is named at
/// its date; a snapshot of a day before the data is empty and says why.
#[test]
fn fhir_resources_alike_are_each_counted_once() {
    let work = tempfile::tempdir().unwrap();
    let db = demo_copy(work.path());
    let file = work.path().join("two.json");
    let dispense = |id: &str, patient: &str, when: &str| {
        format!(
            r#"{{"resource": {{"resourceType": "MedicationDispense", "id": "{id}", "status": "completed",
              "subject": {{"reference": "Patient/{patient}"}},
              "medication": {{"concept": {{"coding": [{{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}}]}}}},
              "quantity": {{"value": 3}}, "whenHandedOver": "{when}",
              "location": {{"identifier": {{"system": "urn:equitas:location", "value": "R01D01F0007"}}}}}}}}"#
        )
    };
    let bundle = |entries: &[String]| {
        format!(
            r#"{{"resourceType": "Bundle", "type": "transaction", "entry": [{}]}}"#,
            entries.join(",")
        )
    };
    let stock = |db: &Path| -> f64 {
        let v: Value = serde_json::from_str(&ok(&equitas(
            db,
            &[
                "stock",
                "--within",
                "R01D01F0007",
                "--item",
                "SYN-001",
                "--as-of",
                "2026-11-30",
                "--format",
                "json",
            ],
        )))
        .unwrap();
        v["rows"][0]["stock_on_hand"].as_f64().unwrap()
    };
    let before = stock(&db);
    std::fs::write(
        &file,
        bundle(&[
            dispense("disp-1", "a", "2026-11-03"),
            dispense("disp-2", "b", "2026-11-03"),
        ]),
    )
    .unwrap();
    let import = |file: &Path| equitas(&db, &["interop", "fhir", "import", file.to_str().unwrap()]);
    let out = ok(&import(&file));
    assert!(
        out.contains("2 movement event(s) captured, 0 already held"),
        "{out}"
    );
    assert_eq!(stock(&db), before - 6.0);
    let out = ok(&import(&file));
    assert!(
        out.contains("0 movement event(s) captured, 2 already held"),
        "{out}"
    );
    assert_eq!(stock(&db), before - 6.0);

    let future = work.path().join("future.json");
    std::fs::write(
        &future,
        bundle(&[
            dispense("disp-3", "c", "2026-11-04"),
            dispense("disp-4", "c", "2031-01-01T11:00:00Z"),
        ]),
    )
    .unwrap();
    let o = import(&future);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("future.json: Bundle.entry[1].resource.whenHandedOver: 2031-01-01"),
        "{err}"
    );
    assert_eq!(stock(&db), before - 6.0);

    let o = equitas(
        &db,
        &[
            "interop",
            "fhir",
            "export",
            "--location",
            "R01",
            "--as-of",
            "1990-01-01",
        ],
    );
    let b: Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(b["entry"].as_array().map(Vec::len), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("note: no stock: 1990-01-01 is before the first movement"),
        "{err}"
    );
}

/// Products outside the mapping and the mapping's own keys that name
/// nothing are named on the standard error (a misspelt product key
/// dropped its figures without a word).
#[test]
fn a_dhis2_export_names_what_the_mapping_leaves_out() {
    let work = tempfile::tempdir().unwrap();
    let db = demo_copy(work.path());
    let text = std::fs::read_to_string(repo().join(MAPPINGS[0])).unwrap();
    assert!(text.contains("[products.SYN-004]"));
    let mapping = work.path().join("m.toml");
    std::fs::write(
        &mapping,
        text.replace("[products.SYN-004]", "[products.SYN-999]"),
    )
    .unwrap();
    let o = equitas(
        &db,
        &[
            "interop",
            "dhis2",
            "export",
            "--mapping",
            mapping.to_str().unwrap(),
            "--month",
            "2026-09",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the mapping's product key(s) SYN-999 name no product with stock"),
        "{err}"
    );
    assert!(
        err.contains(
            "product(s) with figures have no data element in the mapping, left out: SYN-004"
        ),
        "{err}"
    );
}
