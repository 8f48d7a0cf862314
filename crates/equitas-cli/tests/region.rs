//! Data kept in each country (issue 25) through the binary: two country
//! servers (`equitas serve`) holding different synthetic networks publish
//! by district; a regional database (SQLite, and PostgreSQL when
//! EQUITAS_TEST_POSTGRES_URL names a server) pulls both over HTTP. Its
//! answers are the union of each country's own answers, figure by figure;
//! a republished month replaces the one held; a source down or refusing
//! the token is named while the others are pulled; a publication token
//! reads nothing else; a regional caller scoped to one country sees only it.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

/// Runs the binary on the data directory `dir` (or the database `db`).
fn equitas(dir: &Path, db: Option<&str>, args: &[&str], stdin: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_equitas"));
    c.arg("--data-dir").arg(dir).env("USER", "tester");
    match db {
        Some(url) => c.env("EQUITAS_DATABASE", url),
        None => c.env_remove("EQUITAS_DATABASE"),
    };
    common::output_with_stdin(c.args(args), stdin)
}

use common::text;

fn ok(o: Output, what: &str) -> Output {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        text(&o.stderr),
        text(&o.stdout)
    );
    o
}

fn json(dir: &Path, db: Option<&str>, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let o = ok(equitas(dir, db, &a, ""), &args.join(" "));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(dir: &Path, db: Option<&str>, port: u16) -> Child {
    common::serve(dir, db, port, &[])
}

/// `GET path` with a Bearer token: the status and the JSON answer.
fn get(port: u16, path: &str, token: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let out = text(&out);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    // Chunked answers: the JSON between the first chunk size and the end.
    let body = if head.to_ascii_lowercase().contains("chunked") {
        let mut b = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            b.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        b
    } else {
        body.to_string()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A server answering every request with `body` (a country's Equitas of
/// another version, for the format check), until the test ends.
fn answering(body: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = write!(
                c,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// A country's server: its network, database, publication token, server.
struct Country {
    code: &'static str,
    dir: tempfile::TempDir,
    net: PathBuf,
    token_file: PathBuf,
    token: String,
    port: u16,
    server: Child,
}

impl Drop for Country {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn country(code: &'static str, seed: &str, facilities: &str) -> Country {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let net = d.join("net");
    let n = net.display().to_string();
    ok(
        equitas(
            d,
            None,
            &[
                "generate",
                "--out",
                &n,
                "--country",
                code,
                "--seed",
                seed,
                "--facilities",
                facilities,
                "--products",
                "4",
                "--regions",
                "2",
                "--districts-per-region",
                "2",
                "--months",
                "5",
                "--start",
                "2025-01-01",
            ],
            "",
        ),
        "generate",
    );
    for (kind, f) in [
        ("countries", "country.csv"),
        ("locations", "locations.csv"),
        ("products", "products.csv"),
    ] {
        let p = net.join(f).display().to_string();
        ok(equitas(d, None, &["import", kind, &p], ""), kind);
    }
    let mut docs: Vec<String> = std::fs::read_dir(&net)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".jsonld"))
        .collect();
    docs.sort();
    let mut args = vec!["epcis", "capture"];
    args.extend(docs.iter().map(String::as_str));
    ok(equitas(d, None, &args, ""), "capture");
    ok(
        equitas(
            d,
            None,
            &[
                "region",
                "publish",
                "--country",
                code,
                "--level",
                "district",
            ],
            "",
        ),
        "publish",
    );
    ok(
        equitas(d, None, &["users", "add", "hub"], "correct horse battery\n"),
        "users add",
    );
    ok(
        equitas(
            d,
            None,
            &["users", "grant", "hub", "publication-reader"],
            "",
        ),
        "grant",
    );
    let o = ok(
        equitas(d, None, &["tokens", "create", "--user", "hub"], ""),
        "token",
    );
    let token = text(&o.stdout).trim().to_string();
    let token_file = d.join("hub.token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let port = free_port();
    let server = serve(d, None, port);
    Country {
        code,
        dir,
        net,
        token_file,
        token,
        port,
        server,
    }
}

type Key = (String, String, String, String);

fn key(country: &str, r: &Value) -> Key {
    (
        country.to_string(),
        r["month"].as_str().unwrap_or_default().to_string(),
        r["location"].as_str().unwrap().to_string(),
        r["item"].as_str().unwrap().to_string(),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

/// Each country's own answers at `level` for every month it publishes,
/// from its own database: `equitas stock --as-of END` and `equitas
/// availability --date END`, and the ledger's months summed here over the
/// locations of each place (independently of the publication's code).
fn own_answers(c: &Country, level: &str) -> BTreeMap<Key, Value> {
    let d = c.dir.path();
    let list = json(d, None, &["region", "publications"]);
    let db = d.join("equitas.db").display().to_string();
    let mut store = equitas_store::connect(&db).unwrap();
    let data = equitas_store::stock::load(store.as_mut()).unwrap();
    let mut out = BTreeMap::new();
    for p in list["rows"].as_array().unwrap() {
        let month = p["month"].as_str().unwrap();
        let m = equitas_ledger::calendar::parse_month(month).unwrap();
        let end = equitas_ledger::calendar::format_day(equitas_ledger::calendar::month_end(m));
        let stock = json(d, None, &["stock", "--level", level, "--as-of", &end]);
        let avail = json(d, None, &["availability", "--by", level, "--date", &end]);
        let avail: BTreeMap<(String, String), Value> = avail["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    (
                        r["area"].as_str().unwrap().to_string(),
                        r["item"].as_str().unwrap().to_string(),
                    ),
                    r.clone(),
                )
            })
            .collect();
        for r in stock["rows"].as_array().unwrap() {
            let (place, item) = (r["location"].as_str().unwrap(), r["item"].as_str().unwrap());
            // The ledger's months of the place's locations, summed.
            let mut sums = [0.0f64; 6];
            for (loc, it) in data.ledger.item_keys() {
                if data.ledger.names.items.name(it) != item {
                    continue;
                }
                let Some(at) = data.places.place_of(loc) else {
                    continue;
                };
                let lineage = data.places.lineage(at);
                if !lineage.iter().any(|&i| data.places.list[i].code == place) {
                    continue;
                }
                if let Some(f) =
                    data.ledger
                        .month(loc, it, m, equitas_ledger::calendar::month_end(m))
                {
                    for (s, v) in sums.iter_mut().zip([
                        f.opening,
                        f.received,
                        f.issued,
                        f.dispensed,
                        f.adjusted,
                        f.closing,
                    ]) {
                        *s += v;
                    }
                }
            }
            let a = avail.get(&(place.to_string(), item.to_string()));
            let mut v = r.clone();
            v["month"] = month.into();
            v["ledger"] = serde_json::json!(sums);
            v["facilities"] = a.map_or(0.into(), |a| a["facilities"].clone());
            v["in_stock"] = a.map_or(0.into(), |a| a["in_stock"].clone());
            v["availability"] = a.map_or(Value::Null, |a| a["availability"].clone());
            out.insert(key(c.code, &v), v);
        }
    }
    out
}

/// The regional rows at `level` equal the union of the countries' own
/// answers, figure by figure.
fn same_as_the_countries(regional: &Path, db: Option<&str>, countries: &[&Country], level: &str) {
    let got = json(
        regional,
        db,
        &["region", "stock", "--level", level, "--limit", "0"],
    );
    let got: BTreeMap<Key, Value> = got["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (key(r["country"].as_str().unwrap(), r), r.clone()))
        .collect();
    let mut want = BTreeMap::new();
    for c in countries {
        want.extend(own_answers(c, level));
    }
    assert!(!want.is_empty());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{level}: the rows held are not the union of the countries' own"
    );
    for (k, w) in &want {
        let g = &got[k];
        assert_eq!(g["level"], level, "{k:?}");
        let pairs = [
            ("closing", "stock_on_hand"),
            ("amc", "amc"),
            ("months_of_stock", "months_of_stock"),
            ("availability", "availability"),
        ];
        for (ours, theirs) in pairs {
            match (g[ours].as_f64(), w[theirs].as_f64()) {
                (Some(a), Some(b)) => assert!(close(a, b), "{k:?} {ours}: {a} != {b}"),
                (a, b) => assert_eq!(a, b, "{k:?} {ours}"),
            }
        }
        for f in ["facilities", "in_stock"] {
            assert_eq!(g[f], w[f], "{k:?} {f}");
        }
        let ledger = w["ledger"].as_array().unwrap();
        for (i, f) in [
            "opening",
            "received",
            "issued",
            "dispensed",
            "adjusted",
            "closing",
        ]
        .iter()
        .enumerate()
        {
            let (a, b) = (g[*f].as_f64().unwrap(), ledger[i].as_f64().unwrap());
            assert!(close(a, b), "{k:?} {f}: {a} != ledger {b}");
        }
    }
}

fn the_region_pulls_both_countries(db: Option<&str>) {
    let xsy = country("XSY", "1", "12");
    let xtz = country("XTZ", "7", "8");
    let r = tempfile::tempdir().unwrap();
    let rd = r.path();
    for c in [&xsy, &xtz] {
        let f = c.net.join("country.csv").display().to_string();
        ok(
            equitas(rd, db, &["import", "countries", &f], ""),
            "countries",
        );
    }
    // A publication token reads the publications and nothing else.
    let (st, j) = get(xsy.port, "/api/v1/publications", &xsy.token);
    assert_eq!(st, 200, "{j}");
    assert_eq!(j["rows"][0]["level"], "district");
    for path in [
        "/api/v1/stock",
        "/api/v1/availability",
        "/api/v1/locations",
        "/events",
    ] {
        let (st, j) = get(xsy.port, path, &xsy.token);
        assert_eq!(st, 403, "{path}: {j}");
    }
    // Two countries, one server down, one refusing its token.
    let bad_token = rd.join("bad.token");
    std::fs::write(&bad_token, "eqt_not-a-token\n").unwrap();
    let down = format!("http://127.0.0.1:{}", free_port());
    let newer = answering(
        serde_json::json!({"total": 1, "offset": 0, "limit": 1000, "rows": [{
            "country": "XUU", "month": "2025-01", "level": "district", "format": 2,
            "equitas_version": "9.0.0", "formulas_version": 1,
            "computed_at": "2026-12-05T00:00:00Z", "digest": "x", "rows": 1}]})
        .to_string(),
    );
    let urls = [
        (
            "XSY",
            format!("http://127.0.0.1:{}", xsy.port),
            xsy.token_file.clone(),
        ),
        (
            "XTZ",
            format!("http://127.0.0.1:{}/", xtz.port),
            xtz.token_file.clone(),
        ),
        ("XVV", format!("http://127.0.0.1:{}", xsy.port), bad_token),
        ("XWW", down.clone(), xsy.token_file.clone()),
        (
            "XUU",
            format!("http://127.0.0.1:{newer}"),
            xsy.token_file.clone(),
        ),
    ];
    for (code, url, token) in &urls {
        let t = token.display().to_string();
        ok(
            equitas(
                rd,
                db,
                &["region", "add", *code, url.as_str(), "--token-file", &t],
                "",
            ),
            "region add",
        );
    }
    let o = equitas(rd, db, &["region", "pull"], "");
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(!o.status.success(), "{out}");
    for c in ["XSY", "XTZ"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{c}: ")) && l.contains("new month(s)")),
            "{c}: {out}"
        );
    }
    assert!(
        err.contains(&format!("XVV (http://127.0.0.1:{})", xsy.port))
            && err.contains("token was refused (401)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("XWW ({down})")) && err.contains("cannot reach"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "XUU (http://127.0.0.1:{newer}): publication format 2"
        )),
        "{err}"
    );
    // The regional answers: the union of the countries' own.
    same_as_the_countries(rd, db, &[&xsy, &xtz], "country");
    same_as_the_countries(rd, db, &[&xsy, &xtz], "district");
    // Coverage: the sources with nothing held are named.
    let all = json(rd, db, &["region", "stock"]);
    let notes: Vec<&str> = all["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("XWW: no publication held")),
        "{notes:?}"
    );
    // A pull again: nothing new.
    let o = ok(
        equitas(rd, db, &["region", "pull", "--country", "XSY"], ""),
        "pull again",
    );
    assert!(
        text(&o.stdout).contains("0 new month(s), 0 republished"),
        "{}",
        text(&o.stdout)
    );
    // A late stock report in the second month republishes it and the
    // months after; the first is unchanged, and what is held is the
    // country's answer again, no row left over.
    let locations = std::fs::read_to_string(xsy.net.join("locations.csv")).unwrap();
    let facility = locations
        .lines()
        .find(|l| l.split(',').nth(2) == Some("facility"))
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let products = std::fs::read_to_string(xsy.net.join("products.csv")).unwrap();
    let product = products
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let published = json(xsy.dir.path(), None, &["region", "publications"]);
    let months: Vec<String> = published["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["month"].as_str().unwrap().to_string())
        .collect();
    assert!(months.len() >= 3, "{months:?}");
    let report = xsy.dir.path().join("late.csv");
    std::fs::write(
        &report,
        format!(
            "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n{facility},{product},{},0,5000,0,5000,0\n",
            months[1]
        ),
    )
    .unwrap();
    ok(
        equitas(
            xsy.dir.path(),
            None,
            &["import", "stock-reports", &report.display().to_string()],
            "",
        ),
        "late report",
    );
    let o = ok(
        equitas(rd, db, &["region", "pull", "--country", "XSY"], ""),
        "pull the republished months",
    );
    let line = text(&o.stdout);
    assert!(line.contains("0 new month(s)"), "{line}");
    assert!(
        line.contains(&format!("republished ({}", months[1])),
        "{line}"
    );
    assert!(!line.contains(&months[0]), "{line}");
    assert!(line.contains(" 1 unchanged"), "{line}");
    same_as_the_countries(rd, db, &[&xsy, &xtz], "country");
    same_as_the_countries(rd, db, &[&xsy, &xtz], "district");
    // The regional server: a caller granted XSY sees XSY alone, and no
    // other country is named to it; the API gives the CLI's rows.
    ok(
        equitas(
            rd,
            db,
            &["users", "add", "amina"],
            "correct horse battery\n",
        ),
        "users add",
    );
    ok(
        equitas(
            rd,
            db,
            &["users", "grant", "amina", "viewer", "--country", "XSY"],
            "",
        ),
        "grant",
    );
    let o = ok(
        equitas(rd, db, &["tokens", "create", "--user", "amina"], ""),
        "token",
    );
    let token = text(&o.stdout).trim().to_string();
    let port = free_port();
    let mut server = serve(rd, db, port);
    let (st, j) = get(
        port,
        "/api/v1/region/stock?level=district&limit=1000",
        &token,
    );
    assert_eq!(st, 200, "{j}");
    let rows = j["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["country"] == "XSY"), "{j}");
    let cli = json(
        rd,
        db,
        &["region", "stock", "--level", "district", "--country", "XSY"],
    );
    assert_eq!(rows[..], cli["rows"].as_array().unwrap()[..]);
    let said = format!("{} {}", j["notes"], j["coverage"]);
    for other in ["XTZ", "XVV", "XWW", "XUU"] {
        assert!(
            !said.contains(other),
            "{other} named to a caller of XSY: {said}"
        );
    }
    let (st, _) = get(port, "/api/v1/region/stock", "eqt_nothing");
    assert_eq!(st, 401);
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn the_region_pulls_both_countries_sqlite() {
    the_region_pulls_both_countries(None);
}

#[test]
fn the_region_pulls_both_countries_postgres() {
    let Some((url, _drop)) = equitas_store::testing::postgres_url() else {
        return;
    };
    the_region_pulls_both_countries(Some(&url));
}

/// docs/region.md's walkthrough, run as written (bash, from an empty
/// directory, `equitas` on the PATH), waiting for each server started in
/// the background to listen before the next command.
#[test]
fn the_walkthrough_of_docs_region_runs_as_written() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/region.md"))
            .unwrap();
    // Whatever happens, the servers started in the background end with it.
    let mut script = String::from("set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
    let mut in_block = false;
    let mut commands = 0;
    for line in doc.lines() {
        if line.starts_with("```sh") {
            in_block = true;
            continue;
        }
        if line.starts_with("```") {
            in_block = false;
            continue;
        }
        if !in_block || line.trim().is_empty() {
            continue;
        }
        commands += 1;
        script.push_str(line);
        script.push('\n');
        if line.trim_end().ends_with('&') {
            let port = line
                .split("127.0.0.1:")
                .nth(1)
                .and_then(|p| p.split_whitespace().next())
                .unwrap();
            script.push_str(&format!(
                "for i in $(seq 300); do (echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.1; done\n"
            ));
        }
    }
    assert!(commands >= 30, "{commands} commands found");
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_equitas")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("EQUITAS_DATABASE")
        .env_remove("EQUITAS_DATA_DIR")
        .output()
        .unwrap();
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}\n{out}");
    for c in ["XSY", "XTZ"] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{c}: "))
                && l.contains("new month(s)")
                && !l.starts_with(&format!("{c}: 0 new"))),
            "{c}: {out}"
        );
    }
    assert!(
        out.contains("XSY publishes at district level, not region"),
        "{out}"
    );
}
