//! The `equitas` binary as a user runs it.

use equitas_doc_vectors::conformance::{self, vendored};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn equitas(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_equitas"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("EQUITAS_DATABASE")
        .output()
        .expect("run equitas")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn status_json(dir: &Path) -> serde_json::Value {
    let o = equitas(dir, &["status", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("status JSON")
}

#[test]
fn help_explains_every_command_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let o = equitas(dir.path(), &["--help"]);
    assert!(o.status.success());
    let top = stdout(&o);
    for cmd in [
        "init",
        "demo",
        "import",
        "status",
        "gs1",
        "stock",
        "availability",
        "generate",
    ] {
        assert!(top.contains(cmd), "--help lacks {cmd}");
        let o = equitas(dir.path(), &[cmd, "--help"]);
        assert!(o.status.success(), "{cmd} --help failed");
        assert!(
            stdout(&o).contains("Example"),
            "{cmd} --help has no example"
        );
    }
    // The location nesting rules, from the model's.
    let o = equitas(dir.path(), &["import", "--help"]);
    let help = stdout(&o);
    assert!(
        help.contains("  facility   under a district, a region or a country\n")
            && help.contains("  warehouse  under a country, a region or a district\n")
            && help.find("Location nesting") < help.find("Examples:"),
        "{help}"
    );
}

#[test]
fn demo_loads_once_and_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = equitas(dir.path(), &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("10,324 rows read; the records they hold, by kind:"),
        "{out}"
    );
    assert!(
        out.contains("  procurement lines       10,324 new       0 updated       0 unchanged"),
        "{out}"
    );
    assert!(
        out.contains("Shipments              10,324  to 43 countries"),
        "{out}"
    );
    assert!(out.contains("India 80.0%"), "{out}");
    let first = status_json(dir.path());
    // 249 ISO 3166 countries and the synthetic one (XSY) of the demo network.
    assert_eq!(first["overview"]["counts"]["countries"], 250);
    assert!(
        out.contains("Stock (synthetic country XSY, 30 facilities"),
        "{out}"
    );
    assert!(
        first["overview"]["counts"]["epcis_events"]
            .as_i64()
            .unwrap()
            > 10_000
    );
    assert_eq!(first["overview"]["counts"]["procurement_lines"], 10_324);
    assert_eq!(first["schema_version"], equitas_store::migrations::latest());

    let o = equitas(dir.path(), &["demo"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("already loaded: nothing changed"));
    let second = status_json(dir.path());
    assert_eq!(first["overview"], second["overview"]);
    assert_eq!(
        first["imports"].as_array().unwrap().len(),
        second["imports"].as_array().unwrap().len()
    );
}

#[test]
fn data_dir_comes_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_equitas"))
        .arg("init")
        .env("EQUITAS_DATA_DIR", dir.path().join("from-env"))
        .env_remove("EQUITAS_DATABASE")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("from-env/equitas.db").exists());
    assert!(stdout(&o).contains(&format!(
        "schema version {}",
        equitas_store::migrations::latest()
    )));
}

#[test]
fn bad_rows_are_named_and_good_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let countries = dir.path().join("countries.csv");
    std::fs::write(
        &countries,
        "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en\nKEN,KE,Kenya\n",
    )
    .unwrap();
    let o = equitas(
        dir.path(),
        &["import", "countries", countries.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let locs = dir.path().join("locs.csv");
    std::fs::write(
        &locs,
        "code,name,level,parent,country,gln\nKE-1,Nairobi,region,KEN,KEN,\nKE-2,X,region,KEN,KEN,123\n",
    )
    .unwrap();
    let o = equitas(dir.path(), &["import", "locations", locs.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "exit status 3 when rows were rejected"
    );
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "{}:3: gln: GLN: length 3 is not allowed",
            locs.display()
        )),
        "{err}"
    );
    assert!(stdout(&o).contains("1 new"));

    // --strict imports nothing from a file with a bad row.
    std::fs::write(
        &locs,
        "code,name,level,parent,country\nKE-9,Mombasa,region,KEN,KEN\nKE-10,Y,planet,KEN,KEN\n",
    )
    .unwrap();
    let o = equitas(
        dir.path(),
        &["import", "locations", "--strict", locs.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(
        "the import is strict (--strict, or strict=true in the API); nothing was imported"
    ));
    assert_eq!(status_json(dir.path())["overview"]["counts"]["regions"], 1);

    // A file that does not exist.
    let o = equitas(dir.path(), &["import", "locations", "/nonexistent/x.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot read /nonexistent/x.csv"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn scms_without_countries_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.csv");
    std::fs::write(&f, "id\n").unwrap();
    let o = equitas(dir.path(), &["import", "scms", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("import the country codes first"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn gs1_checks_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let o = equitas(
        dir.path(),
        &[
            "gs1",
            "urn:epc:id:sgtin:0614141.812345.6789",
            "(01)09501101530003(17)280200(10)AB12",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("GS1 Digital Link: https://id.gs1.org/01/80614141123458/21/6789"));
    assert!(out.contains("EPC URN: urn:epc:id:sgtin:0614141.812345.6789"));
    assert!(out.contains("expiry date: 2028-02-29"), "{out}");
    let o = equitas(dir.path(), &["gs1", "09501101530004"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("GTIN: check digit is 4, expected 3"));
}

/// Runs `equitas` with `args` and kills it with SIGKILL once its
/// transaction has written more than 4 MB, before it ends: to the WAL, or
/// (a bulk write with a rollback journal) to the database file and journal.
#[cfg(unix)]
fn kill_while_writing(data_dir: &Path, args: &[&str]) {
    let written = || -> u64 {
        ["equitas.db", "equitas.db-wal", "equitas.db-journal"]
            .iter()
            .map(|f| {
                std::fs::metadata(data_dir.join(f))
                    .map(|m| m.len())
                    .unwrap_or(0)
            })
            .sum()
    };
    let start = written();
    let mut child = Command::new(env!("CARGO_BIN_EXE_equitas"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut killed_midway = false;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{args:?} finished ({status}) before it could be killed: give it more to write");
        }
        if written() > start + 4 * 1024 * 1024 {
            child.kill().unwrap();
            killed_midway = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    assert!(killed_midway, "{args:?} never started writing");
    assert!(!status.success());
}

/// Kills `equitas import` with SIGKILL while its transaction is being
/// written, then checks the database is exactly as before the import.
#[cfg(unix)]
#[test]
fn killed_import_leaves_the_database_as_before() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let countries = dir.path().join("countries.csv");
    std::fs::write(
        &countries,
        "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en\nKEN,KE,Kenya\n",
    )
    .unwrap();
    assert!(
        equitas(
            dir.path(),
            &["import", "countries", countries.to_str().unwrap()]
        )
        .status
        .success()
    );
    let before = status_json(dir.path())["overview"].clone();

    // Enough facilities that the write takes seconds and spills to the WAL.
    let mut csv = String::from(
        "code,name,level,parent,country\nKE-R,Region,region,KEN,KEN\nKE-D,District,district,KE-R,KEN\n",
    );
    for i in 0..300_000 {
        let _ = writeln!(csv, "KE-F{i},Facility {i},facility,KE-D,KEN");
    }
    let big = dir.path().join("big.csv");
    std::fs::write(&big, csv).unwrap();

    kill_while_writing(dir.path(), &["import", "locations", big.to_str().unwrap()]);
    let after = status_json(dir.path())["overview"].clone();
    assert_eq!(before, after, "a killed import must leave no trace");
    // And the import still works afterwards.
    let o = equitas(dir.path(), &["import", "locations", big.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        status_json(dir.path())["overview"]["counts"]["facilities"],
        300_000
    );
}

/// Kills a bulk `equitas epcis capture` (large enough that the secondary
/// indexes are dropped and built again after loading, in its transaction,
/// which is written with a rollback journal) while it writes: the hot
/// journal is rolled back when the database is next opened, leaving no
/// event, no capture job, every index as before, the database intact and
/// in WAL mode; the same capture then stores everything.
#[cfg(unix)]
#[test]
fn killed_bulk_capture_leaves_the_database_as_before() {
    use equitas_store::Conn;
    let dir = tempfile::tempdir().unwrap();
    let events: Vec<String> = (0..120_000)
        .map(|i| {
            format!(
                r#"{{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00.{:03}Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"shipping","bizLocation":{{"id":"urn:epc:id:sgln:0614141.12345.0"}},"epcList":["urn:epc:id:sgtin:4012345.012345.{i}"]}}"#,
                i % 1000
            )
        })
        .collect();
    let big = dir.path().join("big.json");
    std::fs::write(
        &big,
        format!(
            r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","epcisBody":{{"eventList":[{}]}}}}"#,
            events.join(",")
        ),
    )
    .unwrap();
    let db = dir.path().join("equitas.db");
    let look = |db: &Path| {
        let mut s = equitas_store::SqliteStore::open(db).unwrap();
        let one = |s: &mut equitas_store::SqliteStore, sql: &str| -> String {
            format!("{:?}", s.query(sql, &[]).unwrap())
        };
        (
            one(&mut s, "SELECT COUNT(*) FROM epcis_events"),
            one(&mut s, "SELECT COUNT(*) FROM epcis_captures"),
            one(
                &mut s,
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
            ),
            one(&mut s, "PRAGMA integrity_check"),
            one(&mut s, "PRAGMA journal_mode"),
        )
    };
    // The schema is made, nothing captured.
    assert!(equitas(dir.path(), &["status"]).status.success());
    let before = look(&db);
    assert!(
        before.2.contains("epcis_events_biz_location"),
        "{}",
        before.2
    );
    assert_eq!(before.4, r#"[[Text("wal")]]"#);
    kill_while_writing(dir.path(), &["epcis", "capture", big.to_str().unwrap()]);
    assert!(
        dir.path().join("equitas.db-journal").exists(),
        "killed in the middle of a bulk write, with its rollback journal"
    );
    assert_eq!(look(&db), before, "a killed capture must leave no trace");
    let o = equitas(dir.path(), &["epcis", "capture", big.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("120000 captured"), "{}", stdout(&o));
    let after = look(&db);
    assert_eq!(after.0, "[[Int(120000)]]");
    assert_eq!((after.2, after.3, after.4), (before.2, before.3, before.4));
}

/// The same binary on PostgreSQL: the multi-user server setup.
#[test]
fn demo_runs_on_postgresql() {
    let Some((url, _guard)) = equitas_store::testing::postgres_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = equitas(dir.path(), &["--database", &url, "demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Equitas demo: PostgreSQL database"));
    assert!(stdout(&o).contains("India 80.0%"));
    let o = equitas(dir.path(), &["--database", &url, "demo"]);
    assert!(stdout(&o).contains("already loaded: nothing changed"));
    // Nothing was written to the data directory: the data is on the server.
    assert!(!dir.path().join("equitas.db").exists());
}

/// `equitas db partition --by month` converts the demo's PostgreSQL
/// database (once; a second time is refused); `db partitions` then lists
/// the months its events fill (before, it says how to convert);
/// `db detach-partition` removes one, archived, and says so; a month not
/// held, a bad month and SQLite are refused.
#[test]
fn db_partitions_listed_and_detached_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["db", "partitions"][..],
        &["db", "partition", "--by", "month"],
    ] {
        let o = equitas(dir.path(), args);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("PostgreSQL feature"), "{}", stderr(&o));
    }
    let Some((url, _guard)) = equitas_store::testing::postgres_url() else {
        return;
    };
    let o = equitas(dir.path(), &["--database", &url, "demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = equitas(dir.path(), &["--database", &url, "db", "partitions"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("db partition --by month"),
        "{}",
        stderr(&o)
    );
    let partition = ["--database", &url, "db", "partition", "--by", "month"];
    let o = equitas(dir.path(), &partition);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Partitioned by month: "),
        "{}",
        stdout(&o)
    );
    let o = equitas(dir.path(), &partition);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already partitioned"), "{}", stderr(&o));
    let o = equitas(
        dir.path(),
        &["--database", &url, "db", "partitions", "--format", "json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let list: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let filled: Vec<&serde_json::Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["table"] == "epcis_events" && p["rows"].as_i64() > Some(0))
        .collect();
    assert!(filled.len() > 1, "{list}");
    assert!(filled.iter().all(|p| p["month"].is_string()), "{list}");
    let month = filled[0]["month"].as_str().unwrap();
    let rows = filled[0]["rows"].as_i64().unwrap();
    let archive = dir.path().join("old.jsonl");
    let o = equitas(
        dir.path(),
        &[
            "--database",
            &url,
            "db",
            "detach-partition",
            "--month",
            month,
            "--archive",
            archive.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("Detached and dropped the partitions of {month}")));
    let text = std::fs::read_to_string(&archive).unwrap();
    let events = text
        .lines()
        .filter(|l| l.contains(r#""table" : "epcis_events""#))
        .count();
    assert_eq!(events as i64, rows);
    let o = equitas(
        dir.path(),
        &[
            "--database",
            &url,
            "db",
            "detach-partition",
            "--month",
            month,
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&format!("no partition for the month {month}")),
        "{}",
        stderr(&o)
    );
    let o = equitas(
        dir.path(),
        &[
            "--database",
            &url,
            "db",
            "detach-partition",
            "--month",
            "2026-13",
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("expected YYYY-MM"), "{}", stderr(&o));
}

#[test]
fn generic_procurement_import_and_market_formats() {
    let dir = tempfile::tempdir().unwrap();
    assert!(equitas(dir.path(), &["demo"]).status.success());
    let mapping = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/procurement-mapping.toml");
    let f = dir.path().join("tenders.csv");
    std::fs::write(
        &f,
        "Line ID,Country,Supplier,INN,Packs,Strength,Dosage form,Units per pack,Line value,Manufacturer,Country of manufacture,PO date,Planned delivery,Delivered,Mode\n\
         T1,Kenya,GDF,Isoniazid,100,300mg,Tablet,672,1344,Macleods,India,2024-01-10,2024-03-01,2024-03-04,Sea\n\
         T2,KEN,GDF,Isoniazid,50,300mg,Tablet,672,1008,Lupin,IND,2024-02-01,2024-04-01,2024-03-30,Sea\n\
         T3,Kenia,GDF,Isoniazid,1,300mg,Tablet,672,2,Lupin,IND,,,,\n\
         T4,KEN,GDF,Rifampicin,10,150mg,Tablet,100,50,,,2024-02-01,,,\n",
    )
    .unwrap();
    let args = [
        "import",
        "procurement",
        "--mapping",
        mapping.to_str().unwrap(),
        f.to_str().unwrap(),
    ];
    let o = equitas(dir.path(), &args);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(":4: Country: \"Kenia\" is not a known country name or code"),
        "{}",
        stderr(&o)
    );
    let o = equitas(dir.path(), &args);
    assert!(stdout(&o).contains("already up to date"), "{}", stdout(&o));

    // Unit prices: 1344 / (100 x 672) = 0.02 and 1008 / (50 x 672) = 0.03.
    let o = equitas(
        dir.path(),
        &[
            "market",
            "prices",
            "--product",
            "isoniazid-300mg-tablet",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["observations"], 2);
    assert!((j["rows"][0]["unit_price"]["median"].as_f64().unwrap() - 0.025).abs() < 1e-12);
    assert!(j["method"].as_str().unwrap().contains("formulas.md"));

    let o = equitas(
        dir.path(),
        &[
            "market",
            "concentration",
            "--product",
            "isoniazid-300mg-tablet",
            "--by",
            "site",
            "--format",
            "csv",
        ],
    );
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(
            "product,product_name,n,groups,HHI,effective,top,top_name,top share,unknown share,band,single source,single country"
        )
    );
    // Shares 1344/2352 and 1008/2352: HHI = 57.14^2 + 42.86^2 = 5,102. CSV holds raw numbers,
    // and codes, each with its name in the next column.
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row[0], "isoniazid-300mg-tablet");
    assert_ne!(row[1], row[0], "{out}");
    assert_eq!(row[2..4], ["2", "2"]);
    assert_eq!(row[4].parse::<f64>().unwrap().round(), 5102.0, "{out}");
    assert!(
        (row[8].parse::<f64>().unwrap() - 1344.0 / 2352.0).abs() < 1e-12,
        "{out}"
    );
    assert_eq!(row[9..], ["0", "highly concentrated", "no", "yes"]);
    assert_eq!(row[7], "Macleods");
    assert_ne!(row[6], "Macleods");
    // A product whose every line is of unknown origin has no row, and the
    // note names it (its code beside; until 2026-12-07 the code alone).
    let o = equitas(
        dir.path(),
        &[
            "market",
            "concentration",
            "--by",
            "site-country",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = j["notes"].to_string();
    assert!(notes.contains(" (rifampicin-150mg-tablet)"), "{notes}");
    assert!(
        !notes.contains("unknown site-country: rifampicin-150mg-tablet"),
        "{notes}"
    );

    let o = equitas(
        dir.path(),
        &[
            "market",
            "delivery",
            "--by",
            "mode",
            "--product",
            "isoniazid-300mg-tablet",
        ],
    );
    let out = stdout(&o);
    assert!(
        out.contains("Period: deliveries 2024-03-04 to 2024-03-30; procurement lines: 2"),
        "{out}"
    );
    assert!(out.contains("50.0%"), "one of two delivered late: {out}");

    let o = equitas(
        dir.path(),
        &["market", "mpr", "--reference-source", "no such list"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no reference prices of source \"no such list\" loaded"),
        "{}",
        stderr(&o)
    );

    // Pooled reference prices: the CSV imports as reference prices as it
    // is; the median of the two isoniazid lines (0.025, as `market prices`
    // finds above) becomes the MPR's reference, its source named.
    let o = equitas(
        dir.path(),
        &[
            "market",
            "pooled-prices",
            "--product",
            "isoniazid-300mg-tablet",
            "--min-observations",
            "2",
            "--lines-name",
            "test lines",
            "--format",
            "csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let pooled = dir.path().join("pooled.csv");
    std::fs::write(&pooled, &o.stdout).unwrap();
    let csv_out = stdout(&o);
    assert!(
        csv_out.starts_with(
            "product,price_usd,source,unit,year,lines,name\nisoniazid-300mg-tablet,0.025,"
        ),
        "{csv_out}"
    );
    let o = equitas(
        dir.path(),
        &["import", "reference-prices", pooled.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = equitas(
        dir.path(),
        &[
            "market",
            "mpr",
            "--reference-source",
            "pooled median unit price of test lines, deliveries 2024-03-04 to 2024-03-30 (Equitas, docs/formulas.md 2.6)",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("reference prices: pooled median unit price of test lines"));
    // The same in CSV for French: the price with a decimal comma (review,
    // 2026-12-07: it kept its point, and `0.025` was then refused as
    // ambiguous), imported back to the same price.
    let o = equitas(
        dir.path(),
        &[
            "market",
            "pooled-prices",
            "--product",
            "isoniazid-300mg-tablet",
            "--min-observations",
            "2",
            "--lines-name",
            "test lines fr",
            "--format",
            "csv-fr",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with(
            "\u{feff}product;price_usd;source;unit;year;lines;name\nisoniazid-300mg-tablet;0,025;"
        ),
        "{}",
        stdout(&o)
    );
    std::fs::write(&pooled, &o.stdout).unwrap();
    let o = equitas(
        dir.path(),
        &["import", "reference-prices", pooled.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 new"), "{}", stdout(&o));

    // The demo's references are the pooled prices of the SCMS lines: the
    // reference of efavirenz is the median unit price `market prices` gives
    // over the same lines, and its MPR is the generic median over it.
    let json = |args: &[&str]| -> serde_json::Value {
        let o = equitas(dir.path(), args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let efv = "efavirenz-600mg-tablet";
    let p = json(&["market", "prices", "--product", efv, "--format", "json"]);
    let median = p["rows"][0]["unit_price"]["median"].as_f64().unwrap();
    let m = json(&["market", "mpr", "--product", efv, "--format", "json"]);
    let generic = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "lowest-priced generic")
        .unwrap();
    assert!((generic["reference_price_usd"].as_f64().unwrap() - median).abs() < 1e-12);
    assert!(
        generic["reference_source"]
            .as_str()
            .unwrap()
            .starts_with("pooled median unit price of the USAID SCMS delivery history")
    );
    let ratio = generic["median_local_price"].as_f64().unwrap() / median;
    assert!(
        (generic["mpr"].as_f64().unwrap() - ratio).abs() < 1e-12,
        "{m}"
    );
    // Every product bought has a ratio or is named among those without a
    // reference price (user pass: 3 lines of lamivudine 300 mg, dropped
    // without a word).
    let all = json(&["market", "mpr", "--format", "json", "--limit", "0"]);
    let with_ratio: std::collections::BTreeSet<&str> = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["key"][0].as_str())
        .collect();
    let bought = json(&["market", "products", "--format", "json", "--limit", "0"]);
    let bought = bought["rows"].as_array().unwrap().len();
    let count = |says: &str| -> usize {
        all["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .find(|n| n.contains(says))
            .and_then(|n| n.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let unpriced = count("have no reference price and so no ratio");
    let unclassed = count("no line with a unit price known as originator or generic");
    assert!(unpriced > 0, "{all}");
    assert_eq!(
        unpriced + unclassed,
        bought - with_ratio.len(),
        "{bought} bought, {} with a ratio",
        with_ratio.len()
    );
    let o = equitas(dir.path(), &["market", "prices", "--by", "colour"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--by: \"colour\": expected one of product, supplier"),
        "{}",
        stderr(&o)
    );
}

/// The user's report of 2026-12-07, as they ran it: Bar Pharma made in
/// China (line 3) and in India, written `Inde` (line 4); Lupin in India
/// (line 2) and in China, written `Chine` (line 5); line 6 dated day first
/// where the mapping says `%Y-%m-%d`.
#[test]
fn procurement_lines_keep_their_country_and_dates_in_another_format_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let countries = repo.join("data/country-codes.csv");
    let o = equitas(
        dir.path(),
        &["import", "countries", countries.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let f = dir.path().join("tenders2.csv");
    std::fs::write(
        &f,
        "Line ID,Country,Supplier,INN,Packs,Strength,Dosage form,Units per pack,Line value,Manufacturer,Country of manufacture,PO date,Planned delivery,Delivered,Mode\n\
         T1,CIV,GDF,Isoniazid,100,300mg,Tablet,100,600,Lupin,India,2023-01-05,2023-02-01,2023-02-10,Sea\n\
         T2,CIV,GDF,Isoniazid,100,300mg,Tablet,100,300,Bar Pharma,China,2023-01-05,2023-02-01,2023-02-12,Sea\n\
         T3,CIV,GDF,Isoniazid,100,300mg,Tablet,100,200,Bar Pharma,Inde,2023-01-05,2023-02-01,2023-02-14,Sea\n\
         T4,CIV,GDF,Isoniazid,100,300mg,Tablet,100,400,Lupin,Chine,2023-01-05,2023-02-01,2023-02-16,Sea\n\
         T5,CIV,GDF,Isoniazid,100,300mg,Tablet,100,900,Lupin,India,2023-01-05,2023-02-01,10/02/2023,Sea\n",
    )
    .unwrap();
    let mapping = repo.join("docs/procurement-mapping.toml");
    let o = equitas(
        dir.path(),
        &[
            "import",
            "procurement",
            "--mapping",
            mapping.to_str().unwrap(),
            f.to_str().unwrap(),
        ],
    );
    // Partial success: the good rows are imported, the bad one named.
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("tenders2.csv:6: Delivered: \"10/02/2023\" is not a date as date_format \"%Y-%m-%d\" writes them (31 December 2023 is 2023-12-31): it looks like DD/MM/YYYY (10 February 2023: write 2023-02-10) or MM/DD/YYYY (2 October 2023: write 2023-10-02), or set date_format in the mapping to \"%d/%m/%Y\" or \"%m/%d/%Y\""),
        "{err}"
    );
    let out = stdout(&o);
    assert!(!out.contains("had no value"), "{out}");
    assert!(
        out.contains("note: manufacturer \"Bar Pharma\" is stated made in 2 countries: each line is counted in the country it states, as a site of its own: CHN (line 3, site bar-pharma-chn); IND (line 4, site bar-pharma-ind)"),
        "{out}"
    );
    let o = equitas(
        dir.path(),
        &[
            "supply",
            "dependence",
            "--country",
            "CIV",
            "--product",
            "isoniazid-300mg-tablet",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let shares: Vec<(&str, f64)> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["producer"].as_str().unwrap(),
                r["share"].as_f64().unwrap(),
            )
        })
        .collect();
    // The largest share first (formulas 6.4).
    assert_eq!(
        shares,
        vec![("IND", 800.0 / 1500.0), ("CHN", 700.0 / 1500.0)]
    );
}

#[test]
fn epcis_hash_prints_one_line_per_event() {
    let f = vendored("epcis/event-hash/examples/epcisDocWithVariousEventTypes.jsonld");
    let dir = tempfile::tempdir().unwrap();
    let o = equitas(dir.path(), &["epcis", "hash", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = std::fs::read_to_string(f.with_extension("hashes")).unwrap();
    assert_eq!(stdout(&o).trim(), want.trim());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"epcisBody\": {}}").unwrap();
    let o = equitas(dir.path(), &["epcis", "hash", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.json: epcisBody: no eventList"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn epcis_validate_names_file_event_and_field() {
    let Some(gs1) = conformance::shared("conformance/epcis/gs1-schema", "") else {
        return;
    };
    let s = vendored("epcis");
    let dir = tempfile::tempdir().unwrap();
    let path = |rel: &str| s.join(rel).to_str().unwrap().to_string();
    let schema = gs1
        .join("EPCIS-JSON-Schema.json")
        .to_str()
        .unwrap()
        .to_string();
    let xsd = gs1.join("XSD").to_str().unwrap().to_string();
    let bad = path("openepcis/JSON/Capture/Invalid/ObjectEvent_with_invalid_action.json");
    let good = path("openepcis/JSON/Capture/Documents/ObjectEvent.json");
    let good_xml = path("openepcis/XML/Capture/Documents/ObjectEvent.xml");
    let bad_xml = path("openepcis/XML/Capture/Invalid/ObjectEvent_with_wrong_element_order.xml");
    let validate = |args: &[&str]| equitas(dir.path(), &[&["epcis", "validate"], args].concat());
    let o = validate(&["--schema", &schema, &good]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = validate(&["--schema", &schema, &good, &bad]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("ObjectEvent_with_invalid_action.json: event 0: /epcisBody/eventList/0/action: \"CREATE\" is not one of"),
        "{out}"
    );
    // XML against the XSDs: a JSON and an XML file in one call.
    let o = validate(&["--schema", &schema, "--xsd", &xsd, &good, &good_xml]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = validate(&["--xsd", &xsd, &bad_xml]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("ObjectEvent_with_wrong_element_order.xml: event 0: line 7: Element 'action': This element is not expected. Expected is ( eventTime )."),
        "{out}"
    );
}

/// Without GS1's schemas, `epcis validate` makes Equitas's own checks (those
/// of capture) and says, once per binding of the documents given, which
/// schema was not applied and how to get it; capture notes only the schemas
/// of the bindings it is given.
#[test]
fn epcis_validate_without_schemas_makes_equitas_checks() {
    let dir = tempfile::tempdir().unwrap();
    let s = vendored("epcis/openepcis");
    let path = |rel: &str| s.join(rel).to_str().unwrap().to_string();
    let good = path("JSON/Capture/Documents/ObjectEvent.json");
    let bad = path("JSON/Capture/Invalid/ObjectEvent_with_invalid_action.json");
    let bad_time = path("JSON/Capture/Invalid/ObjectEvent_with_invalid_eventTime_format.json");
    let good_xml = path("XML/Capture/Documents/ObjectEvent.xml");
    let bad_xml = path("XML/Capture/Invalid/ObjectEvent_without_eventTime.xml");
    let validate = |args: &[&str]| equitas(dir.path(), &[&["epcis", "validate"], args].concat());

    let o = validate(&[&good]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(
            "ObjectEvent.json: valid (2 event(s); Equitas's checks only, not GS1's JSON Schema)"
        ),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("note: JSON documents are not validated against the GS1 JSON Schema (no EPCIS JSON Schema: give --schema FILE"),
        "{err}"
    );
    assert!(!err.contains("XSD"), "a JSON document only: {err}");

    let o = validate(&[&good, &bad, &bad_time]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("ObjectEvent_with_invalid_action.json: event 0: action: \"CREATE\" is not OBSERVE, ADD or DELETE"),
        "{out}"
    );
    assert!(
        out.contains("ObjectEvent_with_invalid_eventTime_format.json: event 0: eventTime: \"22-07-2026\" is not an ISO 8601 date-time"),
        "{out}"
    );
    assert!(out.contains("ObjectEvent.json: valid"), "{out}");
    assert_eq!(
        stderr(&o).matches("note:").count(),
        1,
        "one note for the JSON binding: {}",
        stderr(&o)
    );

    let o = validate(&[&good_xml, &bad_xml]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("ObjectEvent.xml: valid (2 event(s); Equitas's checks only, not GS1's XSDs)"),
        "{out}"
    );
    assert!(
        out.contains("ObjectEvent_without_eventTime.xml: event 0: eventTime: missing"),
        "{out}"
    );
    let err = stderr(&o);
    assert!(
        err.contains("note: XML documents are not validated against the GS1 XSDs (no EPCIS XSDs: give --xsd DIR"),
        "{err}"
    );
    assert!(!err.contains("JSON"), "XML documents only: {err}");

    // Not an EPCIS document at all.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"epcisBody\": {}}").unwrap();
    let o = validate(&[junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("junk.json: epcisBody: no eventList"),
        "{}",
        stdout(&o)
    );

    // Capture notes the schema of the JSON binding only.
    let o = equitas(dir.path(), &["epcis", "capture", &good]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("GS1 JSON Schema"), "{err}");
    assert!(!err.contains("XSD"), "{err}");
    let o = equitas(dir.path(), &["epcis", "capture", &good_xml]);
    let err = stderr(&o);
    assert!(err.contains("GS1 XSDs"), "{err}");
    assert!(!err.contains("JSON"), "{err}");
}

#[test]
fn epcis_capture_dedups_across_bindings_and_rolls_back() {
    let x = vendored("epcis/event-hash/examples");
    let dir = tempfile::tempdir().unwrap();
    let json = x.join("epcisDocWithVariousEventTypes.jsonld");
    let xml = x.join("epcisDocWithVariousEventTypes.xml");
    let o = equitas(
        dir.path(),
        &[
            "epcis",
            "capture",
            json.to_str().unwrap(),
            xml.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("13 events: 13 captured, 0 already held, 0 rejected"),
        "{out}"
    );
    assert!(
        out.contains("13 events: 0 captured, 13 already held, 0 rejected"),
        "{out}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"epcisBody": {"eventList": [
          {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving"},
          {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00"}]}}"#,
    )
    .unwrap();
    let o = equitas(dir.path(), &["epcis", "capture", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.json: event 1: action: missing"),
        "{}",
        stderr(&o)
    );
    let o = equitas(
        dir.path(),
        &["epcis", "capture", "--proceed", bad.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stdout(&o).contains("2 events: 1 captured, 0 already held, 1 rejected"),
        "{}",
        stdout(&o)
    );
}

/// Three events sharing one eventID with different content (issue 18):
/// refused with rollback, naming the conflict; with --proceed the first is
/// stored and the other two are rejected and counted as conflicts.
#[test]
fn epcis_capture_rejects_conflicting_event_ids() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("conflicts.json");
    let event = |minute: u32| {
        format!(
            r#"{{"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
                "eventTime": "2026-01-01T00:{minute:02}:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE"}}"#
        )
    };
    std::fs::write(
        &doc,
        format!(
            r#"{{"epcisBody": {{"eventList": [{}, {}, {}]}}}}"#,
            event(1),
            event(2),
            event(3)
        ),
    )
    .unwrap();
    let o = equitas(dir.path(), &["epcis", "capture", doc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "conflicts.json: event 1: eventID: conflict: the eventID urn:uuid:00000000-0000-4000-8000-000000000001 is that of event 0 of this document with other content"
        ),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("3 events; refused: 2 bad event(s), 2 of them conflicts"),
        "{}",
        stdout(&o)
    );
    let o = equitas(
        dir.path(),
        &["epcis", "capture", "--proceed", doc.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("3 events: 1 captured, 0 already held, 2 rejected (2 conflicts)"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("event 2: eventID: conflict"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn epcis_query_finds_captured_events() {
    let x = vendored("epcis/event-hash/examples/epcisDocWithVariousEventTypes.jsonld");
    let dir = tempfile::tempdir().unwrap();
    assert!(
        equitas(dir.path(), &["epcis", "capture", x.to_str().unwrap()])
            .status
            .success()
    );
    let o = equitas(dir.path(), &["epcis", "query", "--biz-step", "shipping"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("TransactionEvent   ADD      shipping"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("1 event(s)"));
    // Each line ends with the event's ID (stock problems name sources by it).
    let table = stdout(&o);
    let o = equitas(
        dir.path(),
        &[
            "epcis",
            "query",
            "--biz-step",
            "shipping",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let id = j["events"][0]["eventID"].as_str().unwrap();
    assert!(table.lines().next().unwrap().ends_with(id), "{table}");
    let o = equitas(
        dir.path(),
        &["epcis", "query", "--limit", "5", "--format", "json"],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["events"].as_array().unwrap().len(), 5);
    let next = j["next"].as_i64().unwrap().to_string();
    let o = equitas(
        dir.path(),
        &["epcis", "query", "--after", &next, "--format", "json"],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["events"].as_array().unwrap().len(), 8, "13 events in all");
}

/// `generate` says how many events and bytes to expect before writing,
/// and warns when that is gigabytes (here it then fails to create its
/// directory, so nothing is written).
#[test]
fn generate_estimates_its_size_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = file.join("net");
    let o = equitas(dir.path(), &["generate", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("Estimate: about 32,400,000 events, 15.9 GB, in 324 EPCIS document(s) (1500 facilities x 150 products x 24 months)."),
        "{err}"
    );
    assert!(
        err.contains("warning: this writes about 15.9 GB to"),
        "{err}"
    );
    let o = equitas(
        dir.path(),
        &[
            "generate",
            "--out",
            out.to_str().unwrap(),
            "--facilities",
            "6",
            "--products",
            "3",
            "--months",
            "4",
        ],
    );
    let err = stderr(&o);
    assert!(err.contains("Estimate: about 432 events, 212 kB"), "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn generated_network_captured_and_its_stock_shown() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net");
    let o = equitas(
        dir.path(),
        &[
            "generate",
            "--out",
            net.to_str().unwrap(),
            "--facilities",
            "6",
            "--products",
            "3",
            "--regions",
            "2",
            "--districts-per-region",
            "1",
            "--months",
            "4",
            "--events-per-file",
            "100",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("EPCIS document(s)"), "{}", stdout(&o));
    let mut docs: Vec<String> = std::fs::read_dir(&net)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".jsonld"))
        .collect();
    docs.sort();
    assert!(docs.len() > 1, "{docs:?}");
    // The locations need their (synthetic) country: the generated hierarchy
    // is refused with a reason until it is there.
    let loc = net.join("locations.csv");
    let o = equitas(dir.path(), &["import", "locations", loc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let country = net.join("country.csv");
    let o = equitas(
        dir.path(),
        &["import", "countries", country.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = equitas(dir.path(), &["import", "locations", loc.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut args = vec!["epcis", "capture"];
    args.extend(docs.iter().map(String::as_str));
    let o = equitas(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = equitas(
        dir.path(),
        &[
            "stock", "--level", "facility", "--within", "R01", "--format", "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = j["rows"].as_array().unwrap();
    // Region 1's three facilities x three products.
    assert_eq!(rows.len(), 9, "{j}");
    assert!(
        rows.iter()
            .all(|r| r["location"].as_str().unwrap().starts_with("R01D01F"))
    );
    assert!(
        j["method"]
            .as_str()
            .unwrap()
            .contains("docs/formulas.md 3.2")
    );
    let o = equitas(
        dir.path(),
        &["availability", "--by", "region", "--format", "csv"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("area,name,item,product,date,facilities,in_stock,availability"),
        "{}",
        stdout(&o)
    );
    let o = equitas(dir.path(), &["stock", "--within", "NOWHERE"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--within \"NOWHERE\": no such location"),
        "{}",
        stderr(&o)
    );
    let o = equitas(dir.path(), &["stock", "--as-of", "tomorrow"]);
    assert!(
        stderr(&o).contains("--as-of: \"tomorrow\": expected a date YYYY-MM-DD"),
        "{}",
        stderr(&o)
    );

    // Monthly stock reports: bad rows named (a bad field, an unknown
    // product), the others kept.
    let products = dir.path().join("amox.csv");
    std::fs::write(&products, "code,name\namox,Amoxicillin\n").unwrap();
    let o = equitas(
        dir.path(),
        &["import", "products", products.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let reports = dir.path().join("reports.csv");
    std::fs::write(
        &reports,
        "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n\
         R01D01F0001,amox,2026-01,100,20,50,70,0\n\
         R01D01F0001,amox,2026-02,70,0,80,0,35\n\
         R01D01F0001,amoxil,2026-02,70,0,80,0,3\n",
    )
    .unwrap();
    let o = equitas(
        dir.path(),
        &[
            "import",
            "stock-reports",
            "--strict",
            reports.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success(), "{}", stdout(&o));
    let o = equitas(
        dir.path(),
        &["import", "stock-reports", reports.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "reports.csv: 3 rows read, 2 rejected; stock reports: 1 new, 0 updated, 0 unchanged"
        ),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o) + &stdout(&o);
    assert!(
        err.contains("reports.csv:3: stockout_days")
            && err.contains(
                "reports.csv:4: product: \"amoxil\" is not a known product code or trade item GTIN"
            ),
        "{err}"
    );
    let o = equitas(dir.path(), &["stock", "--item", "amox", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["rows"][0]["stock_on_hand"], 70.0, "{j}");
}

#[test]
fn forecasts_plans_and_risks_on_the_demo_country() {
    let dir = tempfile::tempdir().unwrap();
    let o = equitas(dir.path(), &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = equitas(
        dir.path(),
        &[
            "forecast",
            "--level",
            "region",
            "--horizon",
            "6",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = j["rows"].as_array().unwrap();
    // Three regions x twelve products.
    assert_eq!(rows.len(), 36);
    assert_eq!(rows[0]["forecast"]["mean"].as_array().unwrap().len(), 6);
    assert!(
        rows[0]["forecast"]["reason"]
            .as_str()
            .unwrap()
            .contains("rolling-origin accuracy"),
        "{}",
        rows[0]
    );
    let o = equitas(
        dir.path(),
        &[
            "forecast", "accuracy", "--level", "facility", "--format", "csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("method,series,mean_mase,median_mase,mean_rmsse,mean_spl,cover80,cover95,"),
        "{out}"
    );
    // The choice's row has every measure, interval coverage and pinball loss included.
    let auto = out.lines().find(|l| l.starts_with("auto,360,")).unwrap();
    assert!(auto.split(',').take(8).all(|c| !c.is_empty()), "{auto}");
    // A model scored on fewer series than the choice is said to need more
    // months (the demo's 12 months leave 6 before the held-out ones).
    let o = equitas(
        dir.path(),
        &[
            "forecast", "accuracy", "--level", "facility", "--format", "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        j["notes"].to_string().contains(
            "models scored on fewer of the 360 series, too short for them or not fitted: "
        ) && j["notes"]
            .to_string()
            .contains("holt_winters on 0 (it needs 24 months before the held-out ones)"),
        "{}",
        j["notes"]
    );
    let o = equitas(
        dir.path(),
        &[
            "plan",
            "--level",
            "country",
            "--unit-price",
            "2",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let plan = &j["rows"][0];
    assert_eq!(plan["months"].as_array().unwrap().len(), 18);
    let ordered: f64 = plan["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["quantity"].as_f64().unwrap())
        .sum();
    assert!(
        (plan["cost"].as_f64().unwrap() - 2.0 * ordered).abs() < 1e-6,
        "{plan}"
    );
    let o = equitas(
        dir.path(),
        &[
            "risk", "--level", "region", "--paths", "100", "--format", "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p: Vec<f64> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["max_6"].as_f64().unwrap())
        .collect();
    assert_eq!(p.len(), 36);
    assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
    let o = equitas(dir.path(), &["forecast", "--method", "oracle"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--method: \"oracle\": expected one of auto, naive"),
        "{}",
        stderr(&o)
    );
    // Lead times by supplier: the shortest applies unless one is named.
    let leads = dir.path().join("lead-times.csv");
    std::fs::write(
        &leads,
        "item,supplier,order_months,production_months,transport_months,receipt_months\n\
         ,Any,1,1,1,0\n\
         09520000000011,Slow Ltd,1,4,2,0.5\n\
         09520000000011,Quick Ltd,0.5,1,0.5,0\n",
    )
    .unwrap();
    let o = equitas(
        dir.path(),
        &[
            "plan",
            "--item",
            "09520000000011",
            "--lead-times",
            leads.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        j["rows"][0]["supplier_lead_time"]["supplier"], "Quick Ltd",
        "{j}"
    );
    assert_eq!(j["rows"][0]["lead_time"], 2);
    let o = equitas(
        dir.path(),
        &[
            "plan",
            "--item",
            "09520000000011",
            "--lead-times",
            leads.to_str().unwrap(),
            "--supplier",
            "Slow Ltd",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["rows"][0]["lead_time"], 8, "{j}");
    std::fs::write(&leads, "item,supplier,order_months,production_months,transport_months,receipt_months\nX,S,one,1,1,1\n").unwrap();
    let o = equitas(
        dir.path(),
        &["plan", "--lead-times", leads.to_str().unwrap()],
    );
    assert!(
        stderr(&o).contains("lead-times.csv:2: order_months: \"one\" is not a number of months"),
        "{}",
        stderr(&o)
    );
    let pipeline = dir.path().join("pipeline.csv");
    std::fs::write(&pipeline, "item,place,arrival,quantity\nX,XSY,2027-13,5\n").unwrap();
    let o = equitas(
        dir.path(),
        &["plan", "--pipeline", pipeline.to_str().unwrap()],
    );
    assert!(
        stderr(&o).contains("pipeline.csv:2: arrival"),
        "{}",
        stderr(&o)
    );
}

/// Plans use the band of each place's own tier, never let an order arrive
/// sooner than its lead time allows, refuse what cannot be planned, and say
/// what they leave out (review of 2026-12-06).
#[test]
fn plans_use_each_place_s_band_and_say_what_they_leave_out() {
    let dir = tempfile::tempdir().unwrap();
    assert!(equitas(dir.path(), &["demo"]).status.success());
    let json = |args: &[&str]| -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        let o = equitas(dir.path(), &a);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let notes = |j: &serde_json::Value| -> Vec<String> {
        j["notes"]
            .as_array()
            .map(|n| n.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let months =
        |m: &serde_json::Value| equitas_ledger::calendar::parse_month(m.as_str().unwrap()).unwrap();
    // The central store plans as the country with the central band (6-12
    // months) plus those of the tiers below it, regional stores (3-6) and
    // facilities (2-4); a regional store as its region, 3-6 plus 2-4
    // (formulas 4.1, 3.7).
    let j = json(&["plan", "--level", "warehouse", "--item", "SYN-001"]);
    let bands: Vec<(String, f64, f64)> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["area"].as_str().unwrap().to_string(),
                r["min_months"].as_f64().unwrap(),
                r["max_months"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(bands.contains(&("CMS".into(), 11.0, 22.0)), "{bands:?}");
    assert!(bands.contains(&("RMS01".into(), 5.0, 10.0)), "{bands:?}");
    // A store is planned on the demand of the area it serves (4.1): the
    // central store forecasts the country's, a regional store its region's.
    assert!(
        notes(&j).iter().any(|n| n.starts_with(
            "stores planned as the area each serves, its facilities' demand and all the stock in it, against the bands of the tiers it holds (4.1): CMS for XSY, RMS01 for R01"
        )),
        "{:?}",
        notes(&j)
    );
    let forecast = |level: &str, place: &str| -> serde_json::Value {
        let j = json(&["forecast", "--level", level, "--item", "SYN-001"]);
        let rows = j["rows"].as_array().unwrap();
        let row = rows.iter().find(|r| r["area"] == place).unwrap();
        row["forecast"]["mean"].clone()
    };
    assert_eq!(forecast("warehouse", "CMS"), forecast("country", "XSY"));
    assert_eq!(forecast("warehouse", "RMS02"), forecast("region", "R02"));
    // ... with its area's stock (its echelon), and its own band.
    let plan = |level: &str, place: &str| -> serde_json::Value {
        let j = json(&["plan", "--level", level, "--item", "SYN-001"]);
        let rows = j["rows"].as_array().unwrap();
        rows.iter().find(|r| r["area"] == place).unwrap().clone()
    };
    let (cms, xsy) = (plan("warehouse", "CMS"), plan("country", "XSY"));
    assert_eq!(cms["stock_on_hand"], xsy["stock_on_hand"]);
    assert_eq!(
        (&cms["served"], &cms["min_months"]),
        (&serde_json::json!("XSY"), &serde_json::json!(11.0))
    );
    let (rms, r02) = (plan("warehouse", "RMS02"), plan("region", "R02"));
    assert_eq!(rms["stock_on_hand"], r02["stock_on_hand"]);
    assert_eq!(rms["months"][0]["demand"], r02["months"][0]["demand"]);
    // Stock on hand is counted at the end of the as-of month, said.
    assert!(
        j["period"]
            .as_str()
            .unwrap()
            .ends_with("; stock on hand on 2026-10-31"),
        "{}",
        j["period"]
    );
    // Every order arrives its lead time after it is placed, never sooner,
    // and the shortfall before a late one shows as unmet demand.
    let j = json(&["plan", "--item", "SYN-003"]);
    let now = months(&serde_json::json!(&j["period"].as_str().unwrap()[..7]));
    let row = &j["rows"][0];
    let lead = row["lead_time"].as_i64().unwrap() as i32;
    let orders = row["orders"].as_array().unwrap();
    for o in orders {
        assert!(months(&o["arrival"]) >= now + lead, "{o}");
    }
    // The late one is placed now and arrives after the lead time.
    let late: Vec<_> = orders.iter().filter(|o| o["late"] == true).collect();
    assert_eq!(late.len(), 1, "{row}");
    assert_eq!(
        (months(&late[0]["order"]), months(&late[0]["arrival"])),
        (now, now + lead)
    );
    let first_arrival = orders.iter().map(|o| months(&o["arrival"])).min().unwrap();
    let unmet_before: f64 = row["months"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| months(&m["month"]) < first_arrival)
        .map(|m| m["unmet"].as_f64().unwrap())
        .sum();
    assert!(unmet_before > 0.0, "{row}");
    // A minimum above the maximum is refused, naming it; a minimum above
    // the band's maximum moves it, and says so.
    let refused = |args: &[&str], code: i32, says: &str| {
        let o = equitas(dir.path(), args);
        assert_eq!(o.status.code(), Some(code), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    };
    // Asked for the wrong way round, the minimum is kept (5-5), said.
    let j = json(&["plan", "--item", "SYN-003", "--min", "5", "--max", "2"]);
    assert_eq!(
        (
            j["rows"][0]["min_months"].as_f64(),
            j["rows"][0]["max_months"].as_f64()
        ),
        (Some(5.0), Some(5.0))
    );
    let j = json(&["plan", "--item", "SYN-003", "--min", "8"]);
    assert_eq!(
        (
            j["rows"][0]["min_months"].as_f64(),
            j["rows"][0]["max_months"].as_f64()
        ),
        (Some(8.0), Some(8.0))
    );
    let says = |j: &serde_json::Value, start: &str| {
        assert!(
            notes(j).iter().any(|n| n.starts_with(start)),
            "{start}: {j}"
        )
    };
    let says_nothing_of = |j: &serde_json::Value, part: &str| {
        assert!(!notes(j).iter().any(|n| n.contains(part)), "{part}: {j}")
    };
    says(
        &j,
        "minimum and maximum months of stock made equal, the one asked for lying beyond the other (asked for, or of the place's band), for 1 plan (SYN-003 at XSY)",
    );
    // A method that cannot fit the series says so.
    let j = json(&["forecast", "--method", "holt_winters"]);
    assert_eq!(j["rows"].as_array().unwrap().len(), 0);
    says(
        &j,
        "12 series left out: holt_winters needs at least 24 months",
    );
    // Items without a series: named in a note, or the error if none has one.
    let j = json(&["forecast", "--item", "SYN-001,SYN-999"]);
    assert_eq!(j["rows"].as_array().unwrap().len(), 1);
    says(
        &j,
        "no demand series at the country level for SYN-999 (no such item in the data)",
    );
    refused(
        &["forecast", "--item", "SYN-999"],
        1,
        "--item: SYN-999 (no such item in the data): no demand series at the country level",
    );
    // A code written in another case is named as the data write it.
    refused(
        &["forecast", "--item", "syn-001"],
        1,
        "--item: syn-001 (no such item in the data; did you mean SYN-001?)",
    );
    // Months of stock beyond 10 years are a typing error.
    refused(
        &["plan", "--max", "1e9"],
        2,
        "--max: \"1e9\": expected a number of at least 0, at most 120",
    );
    // Pipeline rows for no plan here are named (not those of items not asked
    // for, SYN-999 here); an unknown supplier refused.
    let pipeline = dir.path().join("pipeline.csv");
    std::fs::write(
        &pipeline,
        "item,place,arrival,quantity\n\
         SYN-999,XSY,2027-01,5\n\
         SYN-003,NOPE,2027-01,5\n\
         SYN-003,NOPE,2024-01,5\n\
         SYN-003,XSY,2027-01,5\n\
         SYN-003,XSY,2030-01,5\n",
    )
    .unwrap();
    let j = json(&[
        "plan",
        "--item",
        "SYN-003",
        "--pipeline",
        pipeline.to_str().unwrap(),
    ]);
    says(
        &j,
        "not counted, naming no location of the hierarchy (a location code or GLN): 2 pipeline rows (SYN-003 to NOPE in 2027-01, SYN-003 to NOPE in 2024-01)",
    );
    // Not named again as due and counted.
    assert!(
        !notes(&j)
            .iter()
            .any(|n| n.starts_with("due by") && n.contains("NOPE")),
        "{j}"
    );
    says(
        &j,
        "after the horizon (2028-04), not counted: 1 pipeline row (SYN-003 to XSY in 2030-01)",
    );
    // Every item planned: SYN-999, which the data do not hold, is named as
    // such (a misspelt code), not as a level without its place.
    let j = json(&["plan", "--pipeline", pipeline.to_str().unwrap()]);
    says(
        &j,
        "not counted, naming no item of the data (a product code, trade item code or GTIN): 1 pipeline row (SYN-999 to XSY in 2027-01)",
    );
    says_nothing_of(&j, "no plan here for");
    // A place named by its GLN (R01's, as the README writes it); a row
    // already due counts as arriving in month 1, said; an absurd quantity
    // refused, naming it.
    std::fs::write(
        &pipeline,
        "item,place,arrival,quantity\n\
         SYN-003,9520260000028,2027-01,5\n\
         SYN-003,R01,2025-06,7\n",
    )
    .unwrap();
    let j = json(&[
        "plan",
        "--level",
        "region",
        "--item",
        "SYN-003",
        "--pipeline",
        pipeline.to_str().unwrap(),
    ]);
    let r01 = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area"] == "R01")
        .unwrap();
    let arriving: Vec<(String, f64)> = r01["months"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["pipeline"].as_f64().unwrap() > 0.0)
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_string(),
                m["pipeline"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        arriving,
        [("2026-11".to_string(), 7.0), ("2027-01".to_string(), 5.0)],
        "{j}"
    );
    says(
        &j,
        "due by 2026-10 and not yet received, counted as arriving in 2026-11: 1 pipeline row (SYN-003 to R01 in 2025-06)",
    );
    // Imported (`import pipeline`), the same shipments are the pipeline of
    // every plan without a file (and of the API's): the same months; a
    // file given replaces them.
    let o = equitas(
        dir.path(),
        &["import", "pipeline", pipeline.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let imported = json(&["plan", "--level", "region", "--item", "SYN-003"]);
    let r01 = |j: &serde_json::Value| {
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["area"] == "R01")
            .unwrap()["months"]
            .clone()
    };
    assert_eq!(r01(&imported), r01(&j));
    // The list as imported, with the names of items and places.
    let listed = json(&["plan", "pipeline", "--within", "R01"]);
    // Both shipments to R01, one imported by its GLN, as plans count them.
    let places: Vec<&str> = listed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["place"].as_str().unwrap())
        .collect();
    assert_eq!(places, ["R01", "R01"], "{listed}");
    assert!(
        listed["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["place_name"].is_string() && r["name"].is_string()),
        "{listed}"
    );
    // The stores' plans count them too (each store as the area it serves):
    // none is said to go unused.
    let stores = json(&["plan", "--level", "warehouse", "--item", "SYN-003"]);
    says_nothing_of(&stores, "no plan here for");
    says(
        &imported,
        "pipeline: 2 shipments expected from suppliers, as imported (equitas import pipeline",
    );
    // From an earlier month, the list is said to be of now.
    let earlier = json(&[
        "plan", "--level", "region", "--item", "SYN-003", "--as-of", "2026-06",
    ]);
    assert!(
        notes(&earlier).iter().any(|n| n.starts_with("pipeline: ")
            && n.ends_with("; the list of now, not of 2026-06: a plan from an earlier month counts the shipments known now")),
        "{earlier}"
    );
    says_nothing_of(&imported, "the list of now");
    says(
        &imported,
        "due by 2026-10 and not yet received, counted as arriving in 2026-11: 1 pipeline row (SYN-003 to R01 in 2025-06)",
    );
    std::fs::write(
        &pipeline,
        "item,place,arrival,quantity\nSYN-003,R02,2027-01,9\n",
    )
    .unwrap();
    let file = json(&[
        "plan",
        "--level",
        "region",
        "--item",
        "SYN-003",
        "--pipeline",
        pipeline.to_str().unwrap(),
    ]);
    assert!(
        r01(&file)
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["pipeline"] == 0.0),
        "{file}"
    );
    std::fs::write(
        &pipeline,
        "item,place,arrival,quantity\nSYN-003,R01,2027-01,1e300\n",
    )
    .unwrap();
    refused(
        &["plan", "--pipeline", pipeline.to_str().unwrap()],
        2,
        "pipeline.csv:2: quantity: \"1e300\" is not a number from 0 to 1000000000",
    );
    // A risk has no cost: no price to give.
    refused(&["risk", "--unit-price", "5"], 2, "--unit-price");
    // A plan the lead-times file has no row for (from the supplier named)
    // takes the default lead time, said.
    let leads = dir.path().join("lead-times.csv");
    std::fs::write(
        &leads,
        "item,supplier,order_months,production_months,transport_months,receipt_months\n\
         SYN-001,Pharma B,0.5,1,0.5,0\n",
    )
    .unwrap();
    let j = json(&[
        "plan",
        "--item",
        "SYN-001,SYN-002",
        "--lead-times",
        leads.to_str().unwrap(),
        "--supplier",
        "Pharma B",
    ]);
    says(
        &j,
        "1 plan (SYN-002 at XSY): no lead time given from Pharma B, so the general lead time of 4 months applies",
    );
    let lead: Vec<i64> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lead_time"].as_i64().unwrap())
        .collect();
    assert_eq!(lead, [2, 4]);
    // A row for an item the data do not hold is said; a file of a header
    // row only is refused.
    std::fs::write(
        &leads,
        "item,supplier,order_months,production_months,transport_months,receipt_months\n\
         SYN-001,Pharma B,0.5,1,0.5,0\n\
         FOO,Pharma B,1,1,1,0\n",
    )
    .unwrap();
    let j = json(&[
        "plan",
        "--item",
        "SYN-001",
        "--lead-times",
        leads.to_str().unwrap(),
    ]);
    says(&j, "lead times: no item FOO in the data");
    // A product's code and its GTIN (13 digits: a spreadsheet dropped the
    // leading zero) are one item: two rows, the shortest applies, said.
    std::fs::write(
        &leads,
        "item,supplier,order_months,production_months,transport_months,receipt_months\n\
         SYN-001,SupA,1,5,1,0\n\
         9520000000011,SupA,0,1,0,0\n",
    )
    .unwrap();
    let j = json(&[
        "plan",
        "--item",
        "SYN-001",
        "--lead-times",
        leads.to_str().unwrap(),
    ]);
    says(
        &j,
        "lead times: 2 rows for SYN-001 from SupA; the shortest of each applies",
    );
    assert_eq!(j["rows"][0]["lead_time"], 1, "{j}");
    std::fs::write(
        &leads,
        "item,supplier,order_months,production_months,transport_months,receipt_months\n",
    )
    .unwrap();
    refused(
        &["plan", "--lead-times", leads.to_str().unwrap()],
        2,
        "no lead time, only a header row",
    );
    // No lead times in the data: what they do not cover (exit status 1).
    refused(
        &["plan", "--supplier", "PharmaZ"],
        1,
        "--supplier: \"PharmaZ\"",
    );
    // Imported (`import lead-times`), the lead times apply to every plan
    // and risk without a file (and to the API's), a supplier named among
    // them; a file given replaces them.
    std::fs::write(
        &leads,
        "item,supplier,order_months,production_months,transport_months,receipt_months\n\
         SYN-001,Pharma B,0.5,1,0.5,0\n\
         ,Pharma C,1,3,1,1\n",
    )
    .unwrap();
    let o = equitas(
        dir.path(),
        &["import", "lead-times", leads.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let lead_of = |j: &serde_json::Value| -> Vec<i64> {
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["lead_time"].as_i64().unwrap())
            .collect()
    };
    let j = json(&["plan", "--item", "SYN-001,SYN-002"]);
    assert_eq!(lead_of(&j), [2, 6], "{j}");
    // The list as imported: the rows that apply to an item, its own and
    // those for every item, with the whole months a plan counts.
    says(
        &j,
        "lead times: 2 rows by item and supplier, as imported (equitas import lead-times",
    );
    let lt = json(&["plan", "lead-times", "--item", "SYN-001"]);
    let rows: Vec<(String, String, f64, i64)> = lt["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["item"].as_str().unwrap_or("every").to_string(),
                r["supplier"].as_str().unwrap().to_string(),
                r["total_months"].as_f64().unwrap(),
                r["months"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("SYN-001".into(), "Pharma B".into(), 2.0, 2),
            ("every".into(), "Pharma C".into(), 6.0, 6)
        ],
        "{lt}"
    );
    let lt = json(&["plan", "lead-times", "--item", "SYN-002"]);
    assert_eq!(lt["rows"].as_array().unwrap().len(), 1, "{lt}");
    // A supplier the list does not name is refused, naming those it does.
    refused(
        &["plan", "lead-times", "--supplier", "Nobody"],
        1,
        "\"Nobody\" is not a supplier of the lead times imported (Pharma B, Pharma C)",
    );
    // One lead time for all, asked for, sets the imported ones aside.
    let j = json(&["plan", "--item", "SYN-001,SYN-002", "--lead-time", "3"]);
    assert_eq!(lead_of(&j), [3, 3], "{j}");
    says(
        &j,
        "lead times: the 2 rows imported left aside, as one lead time for all was asked for (3 months)",
    );
    // With a supplier named, its imported lead times apply, the lead time
    // asked for to the items it has none for (as with a file).
    let j = json(&[
        "plan",
        "--item",
        "SYN-001,SYN-002",
        "--lead-time",
        "3",
        "--supplier",
        "Pharma B",
    ]);
    assert_eq!(lead_of(&j), [2, 3], "{j}");
    // Pharma C's row for every item applies to SYN-001 too (Pharma B's
    // row of SYN-001's own does not hide it).
    let j = json(&[
        "plan",
        "--item",
        "SYN-001,SYN-002",
        "--supplier",
        "Pharma C",
    ]);
    assert_eq!(lead_of(&j), [6, 6], "{j}");
    says_nothing_of(&j, "no lead time given");
    refused(
        &["plan", "--supplier", "PharmaZ"],
        1,
        "--supplier: \"PharmaZ\" is not a supplier of the lead times imported (Pharma B, Pharma C)",
    );
    // Of a file given, the option is named the same way.
    refused(
        &[
            "plan",
            "--lead-times",
            leads.to_str().unwrap(),
            "--supplier",
            "PharmaZ",
        ],
        2,
        "--supplier: \"PharmaZ\" is not a supplier of the lead-times file (Pharma B, Pharma C)",
    );
    std::fs::write(
        &leads,
        "item,supplier,order_months,production_months,transport_months,receipt_months\n\
         ,SupA,0,1,0,0\n",
    )
    .unwrap();
    let j = json(&[
        "plan",
        "--item",
        "SYN-001,SYN-002",
        "--lead-times",
        leads.to_str().unwrap(),
    ]);
    assert_eq!(lead_of(&j), [1, 1], "{j}");
    says_nothing_of(&j, "as imported (equitas import lead-times");
    // An item asked for by a GTIN written with 13 digits (a spreadsheet
    // dropped the leading zero) is that GTIN's product, as in the files.
    let j = json(&["plan", "--item", "9520000000035"]);
    assert_eq!(j["rows"][0]["item"], "SYN-003", "{j}");
    assert!(
        !notes(&j).iter().any(|n| n.starts_with("no demand series")),
        "{j}"
    );
    // A GTIN's length in digits with a wrong check digit: said so, not
    // only that it has no data.
    refused(
        &["plan", "--item", "09520000000036"],
        1,
        "09520000000036 (not a GTIN: GTIN: check digit is 6, expected 5",
    );
    // A horizon shorter than the lead time can suggest no order: the
    // plans that fall below their minimum then are counted.
    let j = json(&["plan", "--item", "SYN-003", "--horizon", "3"]);
    let stuck = |j: &serde_json::Value| {
        notes(j)
            .iter()
            .any(|n| n.contains("but an order placed now would arrive after the horizon (3 months"))
    };
    assert!(stuck(&j), "{j}");
    assert!(j["rows"][0]["orders"].as_array().unwrap().is_empty());
    assert!(
        j["notes"]
            .to_string()
            .contains(": ask for a horizon of more than "),
        "{j}"
    );
    // A lead time past the longest horizon: no horizon is advised.
    let j = json(&[
        "plan",
        "--item",
        "SYN-003",
        "--horizon",
        "60",
        "--lead-time",
        "60",
    ]);
    assert!(
        j["notes"]
            .to_string()
            .contains("no horizon reaches past it (at most 60 months): check the lead time"),
        "{j}"
    );
    // Not said of plans that need no order, nor of risks without orders.
    let j = json(&[
        "plan",
        "--item",
        "SYN-001",
        "--level",
        "region",
        "--horizon",
        "3",
    ]);
    let need = j["rows"].as_array().unwrap().iter().any(|r| {
        r["months"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["months_of_stock"].as_f64().unwrap() < r["min_months"].as_f64().unwrap())
    });
    assert_eq!(stuck(&j), need, "{j}");
    let j = json(&[
        "risk",
        "--item",
        "SYN-003",
        "--horizon",
        "3",
        "--without-orders",
        "--paths",
        "10",
    ]);
    assert!(!stuck(&j), "{j}");
    // --by-month: a row per month of each series, the figures JSON has.
    let csv = |args: &[&str]| -> Vec<Vec<String>> {
        let mut a = args.to_vec();
        a.extend(["--by-month", "--format", "csv"]);
        let o = equitas(dir.path(), &a);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    let num = |c: &str| c.parse::<f64>().unwrap();
    let args = ["--item", "SYN-001,SYN-003", "--horizon", "4"];
    let j = json(&[&["forecast"][..], &args].concat());
    let rows = csv(&[&["forecast"][..], &args].concat());
    assert_eq!(rows.len(), 2 * 4);
    for (k, r) in rows.iter().enumerate() {
        let (series, month) = (&j["rows"][k / 4], k % 4);
        assert_eq!(
            r[0..2],
            [series["area"].clone(), series["item"].clone()]
                .map(|v| v.as_str().unwrap().to_string())
        );
        assert_eq!(r[3], series["months"][month]);
        let f = &series["forecast"];
        for (c, name) in [
            (4, "mean"),
            (5, "lower80"),
            (6, "upper80"),
            (7, "lower95"),
            (8, "upper95"),
        ] {
            assert_eq!(num(&r[c]), f[name][month].as_f64().unwrap(), "{name} {r:?}");
        }
    }
    let j = json(&[&["plan"][..], &args].concat());
    let rows = csv(&[&["plan"][..], &args].concat());
    assert_eq!(rows.len(), 2 * 4);
    let mut ordered = 0.0;
    for (k, r) in rows.iter().enumerate() {
        let m = &j["rows"][k / 4]["months"][k % 4];
        assert_eq!(r[3], m["month"]);
        assert_eq!(num(&r[10]), m["closing"].as_f64().unwrap(), "{r:?}");
        ordered += r[14].parse::<f64>().unwrap_or(0.0);
    }
    let orders: f64 = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["orders"].as_array().unwrap())
        .filter(|o| months(&o["order"]) <= months(&j["rows"][0]["months"][3]["month"]))
        .map(|o| o["quantity"].as_f64().unwrap())
        .sum();
    assert_eq!(ordered, orders);
    let j = json(&[&["risk", "--paths", "20"][..], &args].concat());
    let rows = csv(&[&["risk", "--paths", "20"][..], &args].concat());
    assert_eq!(rows.len(), 2 * 4);
    for (k, r) in rows.iter().enumerate() {
        let p = j["rows"][k / 4]["probability"][k % 4].as_f64().unwrap();
        assert_eq!(num(&r[4]), p, "{r:?}");
    }
}

/// A report asked of a database that does not exist (a mistyped
/// `--database` or `--data-dir`) says so, and creates nothing.
#[test]
fn a_report_on_a_missing_database_says_so_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nonexist").join("x.db");
    for args in [
        vec!["forecast"],
        vec!["stock"],
        vec!["market", "prices"],
        vec!["plan", "--level", "region"],
        vec!["status"],
        vec!["epcis", "query"],
        vec!["audit"],
    ] {
        let mut a = vec!["--database", missing.to_str().unwrap()];
        a.extend(args.iter().copied());
        let o = equitas(dir.path(), &a);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&o).contains(&format!("no database at {}", missing.display())),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!dir.path().join("nonexist").exists(), "{args:?}");
    }
    // A data directory mistyped: the same, and no folder made.
    let other = dir.path().join("typo");
    let o = equitas(&other, &["forecast"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no database at"), "{}", stderr(&o));
    assert!(!other.exists());
    // Commands that write create it, as before.
    assert!(equitas(&other, &["init"]).status.success());
    assert!(other.join("equitas.db").exists());
}

/// A database of an older schema is brought up to date when opened, and
/// the user is told why they wait; an up-to-date one says nothing of it.
#[test]
fn older_schema_is_updated_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = equitas_store::SqliteStore::open(&dir.path().join("equitas.db")).unwrap();
        equitas_store::migrations::migrate_to(&mut s, 5).unwrap();
    }
    let o = equitas(dir.path(), &["status"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let latest = equitas_store::migrations::latest();
    assert!(
        stderr(&o).contains(&format!(
            "Updating the database schema from version 5 to {latest}"
        )),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains(&format!("(schema version {latest})")),
        "{}",
        stdout(&o)
    );
    let o = equitas(dir.path(), &["status"]);
    assert!(!stderr(&o).contains("Updating"), "{}", stderr(&o));
}

/// Issue 18, finding 4: a capture while another process writes waits its
/// turn and says so, then captures; with a short `--write-wait` it gives up
/// with a message that says why, and writes nothing.
#[test]
fn a_capture_waits_for_another_writer_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    assert!(equitas(dir.path(), &["init"]).status.success());
    let doc = dir.path().join("one.jsonld");
    std::fs::write(
        &doc,
        r#"{"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00Z",
  "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "epcList": ["urn:epc:id:sgtin:4012345.012345.1"]}]}}"#,
    )
    .unwrap();
    let db = dir.path().join("equitas.db").display().to_string();
    let mut other = equitas_store::open(&db).unwrap();
    let mut tx = other.begin().unwrap();
    tx.execute("DELETE FROM epcis_captures WHERE id < 0", &[])
        .unwrap();

    // Gives up after a second, saying why.
    let o = equitas(
        dir.path(),
        &[
            "--write-wait",
            "1",
            "epcis",
            "capture",
            doc.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the database is busy"),
        "{}",
        stderr(&o)
    );

    // Waits (and says so) until the other writer is done.
    let child = Command::new(env!("CARGO_BIN_EXE_equitas"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["epcis", "capture", doc.to_str().unwrap()])
        .env_remove("EQUITAS_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2_500));
    drop(tx);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Waiting for another capture or import to finish writing"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("1 events: 1 captured"),
        "{}",
        stdout(&o)
    );
}

/// The CLI takes and refuses what the API does, with the same parsing:
/// errors name the option, exit status 2 as for any usage error, and an
/// empty answer says why (issue 19, finding 5).
#[test]
fn options_are_checked_as_the_api_checks_its_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let o = equitas(dir.path(), &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (args, option, why) in [
        (
            &["epcis", "query", "--from", "2026-13-01"][..],
            "--from",
            "YYYY-MM-DD",
        ),
        (
            &["epcis", "query", "--from", "yesterday"][..],
            "--from",
            "YYYY-MM-DD",
        ),
        (
            &["epcis", "query", "--biz-step", "recieving"][..],
            "--biz-step",
            "did you mean receiving?",
        ),
        (
            &["market", "prices", "--from", "2015-99-01"][..],
            "--from",
            "expected a date",
        ),
        (
            &["plan", "--lead-time", "-1"][..],
            "--lead-time",
            "from 0 to 60",
        ),
        (
            &["stock", "--status", "empty"][..],
            "--status",
            "expected one of stocked_out",
        ),
        (
            &["forecast", "--horizon", "0"][..],
            "--horizon",
            "from 1 to 60",
        ),
    ] {
        let o = equitas(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{option}: ")) && stderr(&o).contains(why),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // A place by its code or by its GLN, wherever one is asked for.
    let by_code = equitas(dir.path(), &["stock", "--within", "R01", "--format", "csv"]);
    assert!(by_code.status.success(), "{}", stderr(&by_code));
    let by_gln = equitas(
        dir.path(),
        &["stock", "--within", "9520260000028", "--format", "csv"],
    );
    assert!(by_gln.status.success(), "{}", stderr(&by_gln));
    assert_eq!(stdout(&by_code), stdout(&by_gln));
    assert!(stdout(&by_code).lines().count() > 1);
    // The same rows for a spreadsheet set to French: a byte order mark,
    // semicolons, decimal commas; each value otherwise as in CSV.
    let fr = equitas(
        dir.path(),
        &["stock", "--within", "R01", "--format", "csv-fr"],
    );
    assert!(fr.status.success(), "{}", stderr(&fr));
    let fr = stdout(&fr);
    assert!(fr.starts_with('\u{feff}'), "{fr}");
    let mut rows_fr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(fr.trim_start_matches('\u{feff}').as_bytes());
    let en_text = stdout(&by_code);
    let mut rows_en = csv::Reader::from_reader(en_text.as_bytes());
    assert_eq!(rows_fr.headers().unwrap(), rows_en.headers().unwrap());
    let (en, fr): (Vec<csv::StringRecord>, Vec<csv::StringRecord>) = (
        rows_en.records().map(Result::unwrap).collect(),
        rows_fr.records().map(Result::unwrap).collect(),
    );
    assert_eq!(en.len(), fr.len());
    let mut decimals = 0;
    for (a, b) in en.iter().zip(&fr) {
        for (x, y) in a.iter().zip(b) {
            if x.parse::<f64>().is_ok() && x.contains('.') {
                decimals += 1;
                assert_eq!(y, x.replace('.', ","));
            } else {
                assert_eq!(x, y);
            }
        }
    }
    assert!(decimals > 0);
    // The same in EPCIS queries (WD_bizLocation): a code or a GLN.
    let events = |within: &str| {
        let o = equitas(
            dir.path(),
            &[
                "epcis", "query", "--within", within, "--limit", "1000", "--format", "json",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        j["events"].as_array().unwrap().len()
    };
    let n = events("R01");
    assert!(n > 0, "events within R01");
    assert_eq!(n, events("9520260000028"));
    // An empty answer says why.
    let o = equitas(dir.path(), &["stock", "--as-of", "2020-01-01"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("No rows: 2020-01-01 is before the first movement"),
        "{}",
        stdout(&o)
    );
}

/// Issue 19: a PostgreSQL server that cannot be reached is named with the
/// reason, and the password given is not shown.
#[test]
fn a_failed_postgres_connection_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: one just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("postgres://equitas:s3cret@127.0.0.1:{port}/equitas");
    let o = equitas(dir.path(), &["--database", &url, "status"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "cannot open the database postgres://equitas:***@127.0.0.1:{port}/equitas: PostgreSQL: cannot connect to the server at 127.0.0.1:{port}: connection refused"
        )),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

/// Issue 19: every bad field of a row is listed (one line each); the
/// listing is limited to 20 bad rows, not 20 errors, unless --all-errors.
#[test]
fn every_bad_field_of_a_row_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("tier,min_months,max_months\nmoon,x,-1\n");
    for _ in 0..21 {
        csv.push_str("sun,x,1\n");
    }
    csv.push_str("facility,1,2\n");
    let file = dir.path().join("levels.csv");
    std::fs::write(&file, csv).unwrap();
    let f = file.to_str().unwrap();
    let o = equitas(dir.path(), &["import", "stock-levels", f]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "levels.csv: 23 rows read, 22 rejected; stock levels: 1 new, 0 updated, 0 unchanged"
        ),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].ends_with("levels.csv:2: tier: \"moon\" is not central, store, facility or area"),
        "{err}"
    );
    assert!(
        lines[1].ends_with("levels.csv:2: min_months: \"x\" is not a number of months"),
        "{err}"
    );
    assert!(
        lines[2].ends_with("levels.csv:2: max_months: \"-1\" is not a number of months"),
        "{err}"
    );
    // 20 rows: 3 + 19 x 2 errors, then what is left.
    assert_eq!(lines.len(), 3 + 19 * 2 + 1, "{err}");
    assert!(lines[41].contains("... and 2 more bad row(s)"), "{err}");
    let o = equitas(dir.path(), &["import", "stock-levels", "--all-errors", f]);
    assert_eq!(stderr(&o).lines().count(), 3 + 21 * 2, "{}", stderr(&o));
}

/// A database of monthly stock reports from 2024-01 for two facilities: F1
/// through `last` (YYYY-MM), F2 through 2026-04 at the latest, with no
/// report for 2025-05.
fn reports_database(dir: &Path, last: &str) {
    let countries = dir.join("countries.csv");
    std::fs::write(
        &countries,
        "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en\nKEN,KE,Kenya\n",
    )
    .unwrap();
    let o = equitas(dir, &["import", "countries", countries.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let locs = dir.join("locs.csv");
    std::fs::write(
        &locs,
        "code,name,level,parent,country\nR1,North,region,KEN,KEN\nF1,One,facility,R1,KEN\nF2,Two,facility,R1,KEN\n",
    )
    .unwrap();
    let o = equitas(dir, &["import", "locations", locs.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Stock reports name known products only.
    let products = dir.join("products.csv");
    std::fs::write(&products, "code,name\namox,Amoxicillin 250 mg\n").unwrap();
    let o = equitas(dir, &["import", "products", products.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut csv = String::from(
        "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n",
    );
    for (i, m) in (2024..=2026)
        .flat_map(|y| (1..=12).map(move |m| format!("{y}-{m:02}")))
        .enumerate()
    {
        // Stock kept at 100: what is dispensed is received.
        let d = 20 + (i * 7) % 13;
        if m.as_str() <= last {
            csv.push_str(&format!("F1,amox,{m},100,{d},{d},100,0\n"));
        }
        if m.as_str() <= last && m.as_str() <= "2026-04" && m != "2025-05" {
            csv.push_str(&format!("F2,amox,{m},100,{d},{d},100,0\n"));
        }
    }
    let reports = dir.join("reports.csv");
    std::fs::write(&reports, csv).unwrap();
    let o = equitas(dir, &["import", "stock-reports", reports.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stderr(&o), stdout(&o));
}

#[test]
fn forecasting_as_of_a_month_is_forecasting_the_data_up_to_it() {
    let (all, upto) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    reports_database(all.path(), "2026-06");
    reports_database(upto.path(), "2026-03");
    let forecast = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["forecast", "--level", "facility", "--horizon", "6"];
        args.extend(["--format", "json"]);
        args.extend(extra);
        let o = equitas(dir, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let cut = forecast(upto.path(), &[]);
    assert_eq!(cut["period"], "2026-04 to 2026-09", "{cut}");
    // The month, or its last day: the same history, the same forecast.
    for as_of in ["2026-03", "2026-03-31"] {
        let j = forecast(all.path(), &["--as-of", as_of]);
        assert_eq!(j["period"], cut["period"], "{as_of}");
        assert_eq!(j["rows"], cut["rows"], "{as_of}");
    }
    // Any other day: the month before is the last complete one.
    let j = forecast(all.path(), &["--as-of", "2026-03-30"]);
    assert_eq!(j["period"], "2026-03 to 2026-08");
    // Without as-of, the data's last complete month; F2's data end before
    // it and its missing month is imputed, both said in the notes.
    let j = forecast(all.path(), &[]);
    assert_eq!(j["period"], "2026-07 to 2026-12");
    let notes: Vec<&str> = j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            == "amox at F2: 3 of 30 months imputed: 2025-05, 2026-05, 2026-06; no data after 2026-04, before the end of the history (2026-06): the months after are imputed",
        "{notes:?}"
    );
    // Accuracy, plans and risks: the same as on the data up to then.
    for cmd in [
        &["forecast", "accuracy"][..],
        &["plan"],
        &["risk", "--paths", "10"],
    ] {
        let json = |dir: &Path, extra: &[&str]| {
            let mut args = cmd.to_vec();
            args.extend(["--level", "facility", "--format", "json"]);
            args.extend(extra);
            let o = equitas(dir, &args);
            assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
            serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
        };
        let (a, b) = (
            json(all.path(), &["--as-of", "2026-03"]),
            json(upto.path(), &[]),
        );
        assert_eq!(a["rows"], b["rows"], "{cmd:?}");
        assert_eq!(a["period"], b["period"], "{cmd:?}");
        assert!(!a["rows"].as_array().unwrap().is_empty(), "{cmd:?}");
    }
    let o = equitas(all.path(), &["forecast", "--as-of", "2026-3"]);
    assert!(stderr(&o).contains("--as-of"), "{}", stderr(&o));
    // CSV holds the rows only; the notes go to the standard error.
    let o = equitas(
        all.path(),
        &["forecast", "--level", "facility", "--format", "csv"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("note: amox at F2: 3 of 30 months imputed")
            && !stdout(&o).contains("imputed"),
        "{}",
        stderr(&o)
    );
    // Without a price a plan has no cost, orders or not; with one, a plan
    // without orders costs 0.
    for (price, cost) in [
        (None, serde_json::Value::Null),
        (Some("2"), serde_json::json!(0.0)),
    ] {
        // A horizon that ends before an order could arrive: no orders.
        let mut args = vec![
            "plan",
            "--level",
            "facility",
            "--format",
            "json",
            "--horizon",
            "3",
            "--lead-time",
            "4",
        ];
        if let Some(p) = price {
            args.extend(["--unit-price", p]);
        }
        let o = equitas(all.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rows = j["rows"].as_array().unwrap();
        assert!(!rows.is_empty());
        for r in rows {
            assert!(r["orders"].as_array().unwrap().is_empty(), "{r}");
            assert_eq!(r["cost"], cost, "{price:?}: {r}");
        }
    }
    // A plan says the day stock on hand is counted on.
    let o = equitas(
        all.path(),
        &["plan", "--level", "facility", "--as-of", "2026-03"],
    );
    assert!(
        stdout(&o).contains("; stock on hand on 2026-03-31"),
        "{}",
        stdout(&o)
    );
    // Outside the data (2024-01 to 2026-06): refused, naming the option and
    // the months there are, for every command that takes it.
    for cmd in [
        &["forecast"][..],
        &["forecast", "accuracy"],
        &["plan"],
        &["risk", "--paths", "10"],
    ] {
        for (as_of, says) in [
            (
                "2026-07",
                "--as-of: 2026-07 is after the last complete month of the data, 2026-06",
            ),
            (
                "2023-12-31",
                "--as-of: 2023-12 is before the first month with data, 2024-01",
            ),
        ] {
            let mut args = cmd.to_vec();
            args.extend(["--as-of", as_of]);
            let o = equitas(all.path(), &args);
            assert_eq!(o.status.code(), Some(1), "{cmd:?} {as_of}");
            assert!(stderr(&o).contains(says), "{cmd:?}: {}", stderr(&o));
        }
    }
}

#[test]
fn a_months_last_day_completes_it_for_stock_amc_and_forecast_alike() {
    let dir = tempfile::tempdir().unwrap();
    reports_database(dir.path(), "2026-06");
    let json = |args: &[&str]| {
        let o = equitas(dir.path(), args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let mut amcs = Vec::new();
    // (as-of day, the last complete month, the first month forecast)
    for (day, last, next) in [
        ("2026-03-31", "2026-03", "2026-04"),
        ("2026-03-30", "2026-02", "2026-03"),
        ("2026-02-28", "2026-02", "2026-03"),
        ("2026-03-01", "2026-02", "2026-03"),
        ("2026-04-30", "2026-04", "2026-05"),
    ] {
        let f = json(&[
            "forecast", "--level", "facility", "--format", "json", "--as-of", day,
        ]);
        let row = f["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["area"] == "F1")
            .unwrap()
            .clone();
        assert_eq!(row["months"][0], next, "{day}");
        let history: Vec<f64> = row["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let s = json(&[
            "stock", "--level", "facility", "--as-of", day, "--format", "json",
        ]);
        let stock = s["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["location"] == "F1")
            .unwrap()
            .clone();
        // The AMC's three months are the forecast history's last three:
        // both end with the month complete at the end of that day.
        assert_eq!(stock["amc_months"], 3, "{day}: {stock}");
        let tail = &history[history.len() - 3..];
        let amc = stock["amc"].as_f64().unwrap();
        assert!(
            (amc - tail.iter().sum::<f64>() / 3.0).abs() < 1e-9,
            "{day} ({last}): AMC {amc}, history ends {tail:?}"
        );
        amcs.push(amc);
    }
    // The last day of March counts March; the day before does not.
    assert_ne!(amcs[0], amcs[1]);
    assert_eq!(amcs[1], amcs[2]);
    assert_eq!(amcs[1], amcs[3]);
}

/// A series without a month of data in its whole history is not forecast
/// as no demand: it is left out, named, with the months it lacks (4.1).
#[test]
fn a_series_without_data_in_its_history_is_left_out_and_named() {
    let dir = tempfile::tempdir().unwrap();
    assert!(equitas(dir.path(), &["demo"]).status.success());
    // A facility whose only report is of 2022-01: ten months before the
    // 36 months of history that end with the demo's last, 2026-10.
    let locations = dir.path().join("l.csv");
    std::fs::write(
        &locations,
        "code,name,level,parent,country\nOLDF,Old facility,facility,R01,XSY\n",
    )
    .unwrap();
    let reports = dir.path().join("r.csv");
    std::fs::write(
        &reports,
        "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n\
         OLDF,SYN-001,2022-01,50,0,10,40,0\n",
    )
    .unwrap();
    for (kind, f) in [("locations", &locations), ("stock-reports", &reports)] {
        let o = equitas(dir.path(), &["import", kind, f.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = equitas(
        dir.path(),
        &[
            "forecast", "--level", "facility", "--item", "SYN-001", "--format", "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = j["rows"].as_array().unwrap();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["area"] != "OLDF"),
        "{j}"
    );
    assert!(
        j["notes"].to_string().contains(
            "left out, no data recorded in their history (2023-11 to 2026-10): their demand is unknown, not 0 (an as-of month within their data forecasts them): 1 series (SYN-001 at OLDF)"
        ),
        "{}",
        j["notes"]
    );
    // A pipeline row of a product in the catalogue without stock data yet
    // is said to be so, not to name an unknown item.
    let products = dir.path().join("p.csv");
    std::fs::write(&products, "code,name\nNEWP,New product\n").unwrap();
    let pipeline = dir.path().join("pipe.csv");
    std::fs::write(
        &pipeline,
        "item,place,arrival,quantity\nNEWP,R01,2027-01,5\n",
    )
    .unwrap();
    for (kind, f) in [("products", &products), ("pipeline", &pipeline)] {
        let o = equitas(dir.path(), &["import", kind, f.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            !stdout(&o).contains("no item of the catalogue"),
            "{}",
            stdout(&o)
        );
    }
    let o = equitas(
        dir.path(),
        &["plan", "--level", "region", "--format", "json"],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        j["notes"].to_string().contains(
            "not counted, their item in the catalogue with no stock data yet: 1 pipeline row (NEWP to R01 in 2027-01)"
        ),
        "{}",
        j["notes"]
    );
    // Nor planned: a plan of no demand would order nothing.
    let o = equitas(
        dir.path(),
        &[
            "plan", "--level", "facility", "--item", "SYN-001", "--format", "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["area"] != "OLDF"),
        "{j}"
    );
}
