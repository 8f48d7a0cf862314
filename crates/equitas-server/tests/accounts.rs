//! Accounts through a real server on a socket (issue 23), on both backends:
//! every documented route for every role and without credentials; scoped
//! answers; session fixation, CSRF, revoked and expired tokens, brute-force
//! limits, scope escapes, and an audit entry for each write.

mod common;
use common::{Answer, Server, exchange_raw, run};
use equitas_server::{AppState, AuthConfig, Mode, ServeOptions, Throttle};
use equitas_store::auth::{self, Role, ScopeSpec};
use equitas_store::epcis::{ErrorBehaviour, capture};
use equitas_store::import::{ImportKind, NoProgress};
use equitas_store::on_both_backends;
use equitas_store::testing::{TestStore, import_bytes};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

// ---- a server on a socket, and raw HTTP ---------------------------------

/// Sends one request (`headers` as written, each ending in CRLF) and reads
/// the answer to its end.
async fn send(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &str) -> Answer {
    let ctype = if body.is_empty() || headers.to_ascii_lowercase().contains("content-type:") {
        String::new()
    } else {
        "Content-Type: application/json\r\n".to_string()
    };
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{ctype}Content-Length: {}\r\n{headers}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut answer = Answer::parse(&exchange_raw(addr, raw.as_bytes(), 120).await);
    // Chunked answers: keep the JSON between the chunk sizes.
    if answer.header("transfer-encoding") == Some("chunked") {
        answer.body = dechunk(&answer.body);
    }
    answer
}

fn dechunk(mut b: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = b.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        b = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

// ---- the data and the accounts -------------------------------------------

fn network() -> equitas_synth::Network {
    equitas_synth::Network::new(equitas_synth::Config {
        seed: 5,
        regions: 2,
        districts_per_region: 2,
        facilities: 8,
        products: 3,
        months: 4,
        ..equitas_synth::Config::default()
    })
}

/// A place of the network by its code, as a GLN Digital Link (the form
/// events are stored in).
fn place(code: &str) -> String {
    let csv = network().locations_csv();
    let gln = csv
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[0] == code)
        .and_then(|f| f.last().map(|g| g.to_string()))
        .unwrap();
    format!("https://id.gs1.org/414/{gln}")
}

fn load(s: &mut TestStore) {
    let net = network();
    import_bytes(
        s,
        ImportKind::Countries,
        "c.csv",
        net.countries_csv().as_bytes(),
    );
    let r = import_bytes(
        s,
        ImportKind::Locations,
        "l.csv",
        net.locations_csv().as_bytes(),
    );
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let r = import_bytes(
        s,
        ImportKind::Products,
        "p.csv",
        net.products_csv().as_bytes(),
    );
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let mut events = Vec::new();
    equitas_synth::simulate(&net, &mut |e| {
        events.push(e.to_json(&net, events.len() as u64));
    });
    let text = equitas_synth::document(&events, "2026-01-01T00:00:00Z");
    let doc = equitas_epcis::EventReader::new(&text).unwrap();
    let r = capture(
        s.store.as_mut(),
        "net.json",
        &doc,
        vec![],
        ErrorBehaviour::Rollback,
        &NoProgress,
    )
    .unwrap();
    assert!(r.rejected.is_empty() && r.captured > 100, "{r:?}");
}

/// The callers of the table: a name, its role and scope.
const REGION: &str = "R01";

fn callers() -> Vec<(&'static str, Role, ScopeSpec)> {
    let region = ScopeSpec {
        location: Some(REGION.into()),
        ..Default::default()
    };
    vec![
        ("viewer", Role::Viewer, region.clone()),
        ("analyst", Role::Analyst, ScopeSpec::default()),
        ("officer", Role::SupplyChainOfficer, region),
        ("manager", Role::DataManager, ScopeSpec::default()),
        ("admin", Role::Administrator, ScopeSpec::default()),
    ]
}

const PASSWORD: &str = "correct horse battery";

/// Users with their grants, and an API token for each.
fn accounts(s: &mut TestStore) -> Vec<(&'static str, String)> {
    let c = s.store.as_mut();
    callers()
        .into_iter()
        .map(|(name, role, scope)| {
            auth::add_user(c, name, PASSWORD).unwrap();
            auth::grant(c, name, role, &scope).unwrap();
            (
                name,
                auth::create_token(c, name, "test", None, &ScopeSpec::default())
                    .unwrap()
                    .1,
            )
        })
        .collect()
}

fn state(s: &TestStore, throttle: Throttle) -> AppState {
    AppState::open(&s.target).unwrap().with_auth(AuthConfig {
        mode: Mode::Accounts,
        throttle,
        ..Default::default()
    })
}

// ---- every documented route x every caller -------------------------------

/// What a caller gets: let through (any status but 401 and 403), refused
/// (403), or asked to authenticate (401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Through,
    Refused,
    Unauthenticated,
}
use Expect::*;

/// The expected outcome for (none, viewer, analyst, officer, manager,
/// admin), written out route by route: scoped callers (viewer and officer,
/// within R01) cannot have answers spanning every place; only officers,
/// managers and administrators capture; only administrators read the audit.
fn expected(method: &str, path: &str) -> [Expect; 6] {
    const READ: [Expect; 6] = [Unauthenticated, Through, Through, Through, Through, Through];
    const WHOLE: [Expect; 6] = [Unauthenticated, Refused, Through, Refused, Through, Through];
    const CAPTURE: [Expect; 6] = [Unauthenticated, Refused, Refused, Through, Through, Through];
    const ADMIN: [Expect; 6] = [Unauthenticated, Refused, Refused, Refused, Refused, Through];
    const PUBLIC: [Expect; 6] = [Through; 6];
    match (method, path) {
        ("post", "/api/v1/login") => PUBLIC,
        // Single sign-on: the way to and back from the identity provider.
        ("get", "/api/v1/sso" | "/api/v1/sso/login" | "/api/v1/sso/callback") => PUBLIC,
        ("post", "/api/v1/logout") | ("get", "/api/v1/session") => READ,
        ("get", "/api/v1/audit") => ADMIN,
        // A country's publications: the publications permission, which of
        // these roles only the administrator has (everywhere).
        ("get", "/api/v1/publications" | "/api/v1/publications/figures") => ADMIN,
        ("post", "/capture") | ("post", "/events") => CAPTURE,
        // Imports: the officer's scoped permission reaches the handler,
        // which checks each row (stock reports) or refuses the kind.
        ("post", "/api/v1/imports/{kind}") => CAPTURE,
        ("get", "/api/v1/epcis/summary") | ("get", "/api/v1/epcis/captures") => WHOLE,
        // Answers over every place or country (supply analyses of all
        // buying countries).
        ("get", p)
            if p.starts_with("/api/v1/supply/")
                && !matches!(
                    p,
                    "/api/v1/supply/regulators"
                        | "/api/v1/supply/qualified-sources"
                        | "/api/v1/supply/licences"
                        // Rows by (country, product), by buying country.
                        | "/api/v1/supply/reach"
                        | "/api/v1/supply/dependence"
                ) =>
        {
            WHOLE
        }
        // Scenarios run over every buying country's supply.
        ("get", p) if p.starts_with("/api/v1/scenario/") => WHOLE,
        // Named queries: defined and removed by an administrator; read,
        // their events and subscriptions within the caller's scope (a
        // delivery carries only the subscriber's events).
        ("post", "/queries") | ("delete", "/queries/{queryName}") => ADMIN,
        ("post", "/queries/{queryName}/subscriptions")
        | ("delete", "/queries/{queryName}/subscriptions/{subscriptionID}") => READ,
        // FHIR: writes checked against the capture scope (movements by
        // place, registry resources refused to a scoped caller, see
        // fhir_within_scope), the search's location against the read scope.
        ("post", "/fhir" | "/fhir/{resource}" | "/fhir/InventoryReport") => CAPTURE,
        ("get", _) => READ,
        other => panic!("{other:?} is not in the test's table: add it"),
    }
}

fn every_route_every_role(s: &mut TestStore) {
    load(s);
    let tokens = accounts(s);
    let state = state(s, Throttle::default());
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;
        let endpoints = equitas_server::api_doc::endpoints();
        let mut checked = 0;
        for e in &endpoints {
            let path = e
                .path
                .replace("{id}", "1")
                .replace("{kind}", "products")
                .replace("{eventID}", "urn:uuid:00000001-0000-4000-8000-000000000000");
            let want = expected(e.method, e.path);
            let mut callers: Vec<Option<&str>> = vec![None];
            callers.extend(tokens.iter().map(|(_, t)| Some(t.as_str())));
            for (i, token) in callers.iter().enumerate() {
                let h = token.map(bearer).unwrap_or_default();
                // Writes with an empty JSON object: refused or let through
                // to be found bad (400), never stored.
                let body = if e.method == "post" { "{}" } else { "" };
                let r = send(a, &e.method.to_uppercase(), &path, &h, body).await;
                let got = match r.status {
                    401 => Unauthenticated,
                    403 => Refused,
                    _ => Through,
                };
                let who = if i == 0 { "nobody" } else { tokens[i - 1].0 };
                assert_eq!(
                    got, want[i],
                    "{} {} as {who}: {} {}",
                    e.method, e.path, r.status, r.body
                );
                if got == Unauthenticated {
                    assert_eq!(
                        r.header("www-authenticate"),
                        Some("Bearer realm=\"equitas\"")
                    );
                }
                assert_ne!(r.status, 500, "{} {}: {}", e.method, e.path, r.body);
                checked += 1;
            }
        }
        assert_eq!(checked, endpoints.len() * 6);
        let _ = srv.stop().await;
    });
}

// ---- scoped answers hold only rows of the scope --------------------------

fn in_region(code: &str) -> bool {
    code.starts_with(REGION) || code == "RMS01"
}

fn scoped_answers(s: &mut TestStore) {
    load(s);
    // A facility in R01 and one in R02 that reported the first month only:
    // the months after are reporting gaps, which the stock answer's notes
    // count (formulas 3.5), so that a scoped caller's count can be checked.
    let net = network();
    let first = equitas_ledger::calendar::format_month(equitas_ledger::calendar::month_of(
        net.config.start,
    ));
    let r = import_bytes(
        s,
        ImportKind::Locations,
        "gaps.csv",
        b"code,name,level,parent,country\nR01GAP,Gap 1,facility,R01D01,XSY\nR02GAP,Gap 2,facility,R02D01,XSY\n",
    );
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let product = &net.products[0].code;
    let reports = format!(
        "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n\
         R01GAP,{product},{first},0,50,10,40,0\nR02GAP,{product},{first},0,50,10,40,0\n"
    );
    let r = import_bytes(s, ImportKind::StockReports, "gaps.csv", reports.as_bytes());
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let tokens = accounts(s);
    let viewer = tokens[0].1.clone();
    let analyst = tokens[1].1.clone();
    // A viewer of R01 and the HIV programme only.
    let c = s.store.as_mut();
    auth::add_user(c, "hiv", PASSWORD).unwrap();
    let hiv_scope = ScopeSpec {
        location: Some(REGION.into()),
        programmes: vec!["hiv".into()],
        ..Default::default()
    };
    auth::grant(c, "hiv", Role::Viewer, &hiv_scope).unwrap();
    let hiv = auth::create_token(c, "hiv", "t", None, &ScopeSpec::default())
        .unwrap()
        .1;
    // An administrator's token narrowed to R01.
    let r01 = ScopeSpec {
        location: Some(REGION.into()),
        ..Default::default()
    };
    let narrow = auth::create_token(c, "admin", "narrow", None, &r01)
        .unwrap()
        .1;
    // ... and to the central store alone.
    let cms = ScopeSpec {
        location: Some("CMS".into()),
        ..Default::default()
    };
    let store_only = auth::create_token(c, "admin", "cms", None, &cms).unwrap().1;
    // Lead times of an HIV product and of a TB product (formulas 4.7).
    import_bytes(
        s,
        ImportKind::LeadTimes,
        "lt.csv",
        b"item,supplier,order_months,production_months,transport_months,receipt_months\n\
          SYN-001,SupA,1,1,1,0\n\
          SYN-002,SupB,1,1,1,0\n",
    );
    // Shipments expected at a region within the viewer's scope and one
    // outside it.
    import_bytes(
        s,
        ImportKind::Pipeline,
        "p.csv",
        b"item,place,arrival,quantity\nSYN-001,R01,2030-01,5\nSYN-001,R02,2030-01,7\n",
    );
    let state = state(s, Throttle::default());
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;
        for (path, field) in [
            ("/api/v1/stock?limit=1000", "location"),
            ("/api/v1/stock/lots?limit=1000", "location"),
            ("/api/v1/locations?limit=1000", "code"),
            ("/api/v1/availability?by=district&limit=1000", "area"),
            (
                "/api/v1/forecast?level=facility&horizon=2&limit=1000",
                "area",
            ),
            ("/api/v1/plan?level=facility&limit=1000", "area"),
            // Bands made equal: a note naming every plan concerned.
            ("/api/v1/plan?level=facility&min=5&max=2&limit=1000", "area"),
            ("/api/v1/risk?level=facility&paths=50&limit=1000", "area"),
        ] {
            let all = send(a, "GET", path, &bearer(&analyst), "").await;
            assert_eq!(all.status, 200, "{path}: {}", all.body);
            let mine = send(a, "GET", path, &bearer(&viewer), "").await;
            assert_eq!(mine.status, 200, "{path}: {}", mine.body);
            // The movements behind a stock answer are those within R01.
            if let Some(total) = all.json()["movements"].as_u64() {
                let within = mine.json()["movements"].as_u64().unwrap();
                assert!(0 < within && within < total, "{path}: {within} of {total}");
            }
            let rows = |r: &Answer| -> Vec<String> {
                r.json()["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x[field].as_str().unwrap().to_string())
                    .collect()
            };
            // Notes name no place outside the scope (they are counted and
            // named from the series behind the rows).
            let notes = mine.json()["notes"].to_string();
            let all_notes = all.json()["notes"].to_string();
            let (all, mine) = (rows(&all), rows(&mine));
            for c in all.iter().filter(|c| !in_region(c)) {
                assert!(
                    !notes.contains(&format!("at {c}")),
                    "{path}: a note names {c}, outside R01: {notes}"
                );
            }
            assert!(!mine.is_empty(), "{path}: nothing within R01");
            // A note counting the rows counts those within the scope (it
            // counted every row, "326 of 361 rows", beside 20).
            let counted = " rows average their AMC";
            if path.starts_with("/api/v1/stock?") {
                assert!(
                    all_notes.contains(counted),
                    "{path}: the data have no reporting gap to count: {all_notes}"
                );
            }
            if let Some(i) = notes.find(counted) {
                let of: String = notes[..i]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                assert_eq!(of, mine.len().to_string(), "{path}: {notes}");
            }
            // and counts only the plans within it.
            if path.contains("min=5") {
                let counted = format!("for {} plans (", mine.len());
                assert!(notes.contains(&counted), "{path}: {counted} in {notes}");
            }
            assert!(mine.iter().all(|c| in_region(c)), "{path}: {mine:?}");
            // The filter left out rows others see.
            assert!(all.iter().any(|c| !in_region(c)), "{path}: {all:?}");
            // Every row of R01 is there.
            let want: Vec<&String> = all.iter().filter(|c| in_region(c)).collect();
            assert_eq!(want.len(), mine.len(), "{path}");
            // The same through an administrator's token narrowed to R01.
            let narrowed = send(a, "GET", path, &bearer(&narrow), "").await;
            assert_eq!(rows(&narrowed), mine, "{path}");
        }
        // A store is planned as the area it serves (formulas 4.1) only for
        // a caller who may see that area: within the central store alone,
        // on its own figures, and the note says why.
        let path = "/api/v1/plan?level=warehouse&item=SYN-001";
        let all = send(a, "GET", path, &bearer(&analyst), "").await.json();
        let row = |j: &serde_json::Value| {
            j["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["area"] == "CMS")
                .cloned()
                .unwrap()
        };
        assert_eq!(row(&all)["served"], "XSY", "{all}");
        let mine = send(a, "GET", path, &bearer(&store_only), "").await.json();
        assert_eq!(mine["rows"].as_array().unwrap().len(), 1, "{mine}");
        assert!(row(&mine).get("served").is_none(), "{mine}");
        assert!(row(&mine)["stock_on_hand"].as_f64() < row(&all)["stock_on_hand"].as_f64());
        assert!(
            mine["notes"]
                .to_string()
                .contains("CMS (XSY lies outside your scope): SYN-001"),
            "{}",
            mine["notes"]
        );
        // Imported lead times: a caller sees only those of items within
        // the scope (and those for every item), in plans, notes and the
        // suppliers a refusal lists.
        let path = "/api/v1/plan?level=region&item=SYN-001&supplier=SupB";
        let r = send(a, "GET", path, &bearer(&hiv), "").await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(
            r.json()["detail"].as_str().unwrap().ends_with("(SupA)"),
            "{}",
            r.body
        );
        let r = send(a, "GET", path, &bearer(&analyst), "").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = send(
            a,
            "GET",
            "/api/v1/plan?level=region&item=SYN-001",
            &bearer(&hiv),
            "",
        )
        .await;
        assert!(
            r.json()["notes"]
                .to_string()
                .contains("lead times: 1 row by item and supplier, as imported"),
            "{}",
            r.body
        );
        assert_eq!(r.json()["rows"][0]["lead_time"], 3, "{}", r.body);
        // The lists themselves, as each caller's plans use them: one field
        // of every row.
        let listed = |path: &'static str, field: &'static str, token: &String| {
            let token = token.clone();
            async move {
                let r = send(a, "GET", path, &bearer(&token), "").await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.json()["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x[field].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            }
        };
        let leads = "/api/v1/plan/lead-times";
        assert_eq!(
            listed(leads, "item", &analyst).await,
            ["SYN-001", "SYN-002"]
        );
        assert_eq!(listed(leads, "item", &hiv).await, ["SYN-001"]);
        let pipeline = "/api/v1/plan/pipeline";
        assert_eq!(listed(pipeline, "place", &analyst).await, ["R01", "R02"]);
        assert_eq!(listed(pipeline, "place", &viewer).await, ["R01"]);
        // Public answers too count only the movements within the scope.
        let count = |token: &String| {
            let token = token.clone();
            async move {
                let r = send(a, "GET", "/api/v1/items", &bearer(&token), "").await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.json()["movements"].as_u64().unwrap()
            }
        };
        let (within, total) = (count(&viewer).await, count(&analyst).await);
        assert!(0 < within && within < total, "{within} of {total}");
        // Forecast accuracy is scored on the series within the scope: as
        // many as the forecast has rows.
        let path = "/api/v1/forecast?level=facility&horizon=2&limit=1000";
        let forecast = send(a, "GET", path, &bearer(&viewer), "").await.json();
        let path = "/api/v1/forecast/accuracy?level=facility&holdout=1";
        for (token, series) in [
            (&viewer, forecast["rows"].as_array().unwrap().len()),
            (&analyst, 2 * forecast["rows"].as_array().unwrap().len()),
        ] {
            let r = send(a, "GET", path, &bearer(token), "").await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["series"], series, "{}", r.body);
        }
        // An item outside the scope is answered as an item without data.
        for item in ["SYN-002", "SYN-999"] {
            let path = format!("/api/v1/forecast?item={item}");
            let r = send(a, "GET", &path, &bearer(&hiv), "").await;
            assert_eq!(r.status, 409, "{path}: {}", r.body);
            assert_eq!(r.json()["parameter"], "item", "{}", r.body);
        }
        // By programme too: only the HIV products.
        let r = send(a, "GET", "/api/v1/stock?limit=1000", &bearer(&hiv), "").await;
        let rows = r.json()["rows"].as_array().unwrap().clone();
        assert!(!rows.is_empty());
        assert!(
            rows.iter()
                .all(|x| x["item"] == "SYN-001" || x["item"] == "09520000000011"),
            "{rows:?}"
        );
        // EPCIS queries: only events within R01, also asked for elsewhere.
        let r = send(a, "GET", "/events?perPage=1000", &bearer(&viewer), "").await;
        let events = r.json()["events"].as_array().unwrap().clone();
        assert!(!events.is_empty());
        let r01: Vec<String> = ["R01", "RMS01", "R01D01", "R01D02"]
            .iter()
            .map(|c| place(c))
            .collect();
        let facilities = network().locations_csv();
        for e in &events {
            let at = e["bizLocation"]
                .as_str()
                .or(e["readPoint"].as_str())
                .unwrap();
            let gln = at.rsplit('/').next().unwrap();
            let code = facilities
                .lines()
                .find(|l| l.ends_with(gln))
                .and_then(|l| l.split(',').next())
                .unwrap();
            assert!(in_region(code) || r01.contains(&at.to_string()), "{at}");
        }
        let central = place("CMS");
        let outside = format!("/events?WD_bizLocation={central}&perPage=1000");
        let r = send(a, "GET", &outside, &bearer(&analyst), "").await;
        let central_events = r.json()["events"].as_array().unwrap().clone();
        assert!(!central_events.is_empty());
        let r = send(a, "GET", &outside, &bearer(&viewer), "").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["events"], Value::Array(vec![]), "{}", r.body);
        // An event id outside the scope is not found; one inside is.
        let first = format!("/events/{}", central_events[0]["eventID"].as_str().unwrap());
        let first = first.as_str();
        let r = send(a, "GET", first, &bearer(&analyst), "").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["bizLocation"], central.as_str());
        let r = send(a, "GET", first, &bearer(&viewer), "").await;
        assert_eq!(r.status, 404, "{}", r.body);
        let inside = events[0]["eventID"].as_str().unwrap();
        let r = send(a, "GET", &format!("/events/{inside}"), &bearer(&viewer), "").await;
        assert_eq!(r.status, 200);
        // A place outside named as a parameter gives nothing either.
        let r = send(
            a,
            "GET",
            "/api/v1/stock?within=R02&limit=1000",
            &bearer(&viewer),
            "",
        )
        .await;
        assert_eq!(r.json()["rows"], Value::Array(vec![]), "{}", r.body);
        let _ = srv.stop().await;
    });
}

// ---- security through the socket -----------------------------------------

fn capture_doc(at: &str, n: usize) -> String {
    format!(
        r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {{"eventList": [{{"type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00Z",
  "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "inspecting",
  "epcList": ["urn:epc:id:sgtin:9520000.000001.{n}"], "readPoint": {{"id": "{at}"}},
  "bizLocation": {{"id": "{at}"}}}}]}}}}"#
    )
}

async fn login(a: SocketAddr, user: &str, password: &str, cookie: Option<&str>) -> Answer {
    let h = cookie
        .map(|c| format!("Cookie: equitas_session={c}\r\n"))
        .unwrap_or_default();
    let body = serde_json::json!({"user": user, "password": password}).to_string();
    send(a, "POST", "/api/v1/login", &h, &body).await
}

fn security(s: &mut TestStore) {
    load(s);
    let tokens = accounts(s);
    let officer = tokens[2].1.clone();
    let admin = tokens[4].1.clone();
    // An expired token (its expiry passed) and one to revoke.
    let c = s.store.as_mut();
    let (_, expired) = auth::create_token(
        c,
        "officer",
        "old",
        Some(auth::now() - 1),
        &ScopeSpec::default(),
    )
    .unwrap();
    let (revoked_id, revoked) =
        auth::create_token(c, "officer", "lost", None, &ScopeSpec::default()).unwrap();
    // An officer of R01's HIV products only.
    auth::add_user(c, "hivo", PASSWORD).unwrap();
    let hiv_only = ScopeSpec {
        location: Some(REGION.into()),
        programmes: vec!["hiv".into()],
        ..Default::default()
    };
    auth::grant(c, "hivo", Role::SupplyChainOfficer, &hiv_only).unwrap();
    let hivo = auth::create_token(c, "hivo", "t", None, &ScopeSpec::default())
        .unwrap()
        .1;
    // Two grants: R01's HIV products, and everything in R02. Together
    // they give no other product in R01 (review).
    auth::add_user(c, "twog", PASSWORD).unwrap();
    auth::grant(c, "twog", Role::SupplyChainOfficer, &hiv_only).unwrap();
    let r02 = ScopeSpec {
        location: Some("R02".into()),
        ..Default::default()
    };
    auth::grant(c, "twog", Role::SupplyChainOfficer, &r02).unwrap();
    let twog = auth::create_token(c, "twog", "t", None, &ScopeSpec::default())
        .unwrap()
        .1;
    let state = state(
        s,
        Throttle {
            per_account: 3,
            per_address: 6,
            window: Duration::from_secs(600),
            delay: Duration::from_millis(20),
        },
    );
    let target = s.target.clone();
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;

        // FHIR writes need the capture permission: no credentials 401; the
        // region-scoped officer and the administrator through (an empty
        // Bundle is then a bad request, not a refusal; scopes are checked
        // on what was read, fhir_within_scope). A write to a path no route
        // lists is never public.
        let json = "Content-Type: application/fhir+json\r\n";
        for (path, body) in [("/fhir", "{}"), ("/fhir/MedicationDispense", "{}")] {
            let r = send(a, "POST", path, json, body).await;
            assert_eq!(r.status, 401, "{path}: {}", r.body);
            for token in [&officer, &admin] {
                let r = send(a, "POST", path, &format!("{}{json}", bearer(token)), body).await;
                assert_eq!(r.status, 400, "{path}: {}", r.body);
            }
        }
        let r = send(a, "GET", "/fhir/InventoryReport?location=R01", "", "").await;
        assert_eq!(r.status, 401, "{}", r.body);
        let r = send(a, "POST", "/no-such-page", "", "").await;
        assert!([401, 403, 404, 405].contains(&r.status), "{}", r.body);
        assert_ne!(r.status, 200);

        // Session fixation: a session id chosen by someone else is never
        // taken; login always makes a new one and ends the one it had.
        let r = login(a, "officer", PASSWORD, Some("attacker-chosen")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let first = r.session_cookie().unwrap();
        assert_ne!(first, "attacker-chosen");
        let set = r.header("set-cookie").unwrap();
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(attr), "{set}");
        }
        assert!(!set.contains("Secure"), "{set}");
        let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
        let fixed = send(
            a,
            "GET",
            "/api/v1/session",
            "Cookie: equitas_session=attacker-chosen\r\n",
            "",
        )
        .await;
        assert_eq!(fixed.status, 401);
        let cookie = format!("Cookie: equitas_session={first}\r\n");
        let r = send(a, "GET", "/api/v1/session", &cookie, "").await;
        assert_eq!(
            (r.status, r.json()["user"].as_str()),
            (200, Some("officer"))
        );
        assert_eq!(r.json()["csrf_token"], csrf.as_str());
        // Logging in again rotates: the old session ends.
        let r = login(a, "officer", PASSWORD, Some(&first)).await;
        let second = r.session_cookie().unwrap();
        let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
        assert_ne!(first, second);
        assert_eq!(
            send(a, "GET", "/api/v1/session", &cookie, "").await.status,
            401
        );
        let cookie = format!("Cookie: equitas_session={second}\r\n");

        // CSRF: a cookie-authenticated write needs the session's token.
        let (r01_store, central) = (place("RMS01"), place("CMS"));
        let inside = capture_doc(&r01_store, 1);
        let r = send(a, "POST", "/capture", &cookie, &inside).await;
        assert_eq!(
            (r.status, r.json()["type"].as_str()),
            (403, Some("/problems/csrf")),
            "{}",
            r.body
        );
        let wrong = format!("{cookie}X-CSRF-Token: {}\r\n", "0".repeat(64));
        assert_eq!(
            send(a, "POST", "/capture", &wrong, &inside).await.status,
            403
        );
        let right = format!("{cookie}X-CSRF-Token: {csrf}\r\n");
        // ... and the Origin guard still holds with it.
        let cross = format!("{right}Origin: http://evil.example\r\n");
        let r = send(a, "POST", "/capture", &cross, &inside).await;
        assert_eq!(r.json()["type"], "/problems/cross-site-write");
        let r = send(a, "POST", "/capture", &right, &inside).await;
        assert_eq!(r.status, 202, "{}", r.body);
        let cookie_capture = r.json()["captureID"].clone();
        // A token needs no CSRF token (no ambient credential).
        let r = send(
            a,
            "POST",
            "/capture",
            &bearer(&officer),
            &capture_doc(&r01_store, 2),
        )
        .await;
        assert_eq!(r.status, 202, "{}", r.body);
        let token_capture = r.json()["captureID"].clone();

        // Scope escape by capture: an event at a place outside the scope is
        // refused with its reason, nothing stored.
        let outside = capture_doc(&central, 3);
        let r = send(a, "POST", "/capture", &bearer(&officer), &outside).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let p = r.json();
        assert_eq!(p["type"], "/problems/out-of-scope");
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains(&central) && detail.contains("R01"),
            "{detail}"
        );
        // With proceed, that event is rejected and the others stored.
        let r = send(
            a,
            "POST",
            "/capture",
            &format!(
                "{}GS1-Capture-Error-Behaviour: proceed\r\n",
                bearer(&officer)
            ),
            &outside,
        )
        .await;
        assert_eq!(r.status, 202, "{}", r.body);
        assert_eq!(
            (
                r.json()["captured"].as_u64(),
                r.json()["rejected"].as_array().map(Vec::len)
            ),
            (Some(0), Some(1))
        );
        let r = send(
            a,
            "GET",
            "/events?MATCH_anyEPC=urn:epc:id:sgtin:9520000.000001.3",
            &bearer(&admin),
            "",
        )
        .await;
        assert_eq!(r.json()["events"], Value::Array(vec![]));

        // Scope escape through the places an event moves stock at: a
        // shipment is an issue at its source, a receipt without a business
        // location one at its destination (formulas 3.1). Named by list,
        // nothing stored (user pass: an R01D01 officer shipped from R02).
        let event = |step: &str, places: &str, item: u32, n: usize| {
            format!(
                r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {{"eventList": [{{"type": "ObjectEvent", "eventTime": "2026-01-05T10:00:00Z",
  "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "{step}",
  "epcList": ["urn:epc:id:sgtin:9520000.00000{item}.9{n}"], {places}}}]}}}}"#
            )
        };
        let ship = event(
            "shipping",
            &format!(
                r#""readPoint": {{"id": "{r01_store}"}}, "bizLocation": {{"id": "{r01_store}"}},
                   "sourceList": [{{"type": "location", "source": "{central}"}}]"#
            ),
            1,
            1,
        );
        let receive = event(
            "receiving",
            &format!(
                r#""readPoint": {{"id": "{r01_store}"}},
                   "destinationList": [{{"type": "location", "destination": "{central}"}}]"#
            ),
            1,
            2,
        );
        for (doc, field) in [(&ship, "sourceList"), (&receive, "destinationList")] {
            let r = send(a, "POST", "/capture", &bearer(&officer), doc).await;
            assert_eq!(r.status, 403, "{field}: {}", r.body);
            let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
            assert!(
                detail.contains(&format!("event 0: {field}: the event moves stock at"))
                    && detail.contains("outside your scope"),
                "{detail}"
            );
        }
        // A scope by programme reaches only its products' stock: SYN-001
        // is the network's HIV product, SYN-002 is not (user pass: an HIV
        // officer dispensed TB stock).
        let at_store = format!(
            r#""readPoint": {{"id": "{r01_store}"}}, "bizLocation": {{"id": "{r01_store}"}}"#
        );
        let r = send(
            a,
            "POST",
            "/capture",
            &bearer(&hivo),
            &event("dispensing", &at_store, 2, 3),
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
        assert!(
            detail.contains("epcList: the item 09520000000028 at")
                && detail.contains("is outside your scope"),
            "{detail}"
        );
        let r = send(
            a,
            "POST",
            "/capture",
            &bearer(&hivo),
            &event("dispensing", &at_store, 1, 4),
        )
        .await;
        assert_eq!(r.status, 202, "{}", r.body);
        let r = send(
            a,
            "POST",
            "/capture",
            &bearer(&twog),
            &event("dispensing", &at_store, 2, 5),
        )
        .await;
        assert_eq!(r.status, 403, "two grants combined: {}", r.body);

        // Logout ends the session (the CSRF token is needed for it too).
        assert_eq!(
            send(a, "POST", "/api/v1/logout", &cookie, "").await.status,
            403
        );
        let r = send(a, "POST", "/api/v1/logout", &right, "").await;
        assert_eq!(r.status, 204);
        assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
        assert_eq!(
            send(a, "GET", "/api/v1/stock", &cookie, "").await.status,
            401
        );

        // Tokens: expired and revoked ones are refused.
        assert_eq!(
            send(a, "GET", "/api/v1/stock", &bearer(&expired), "")
                .await
                .status,
            401
        );
        assert_eq!(
            send(a, "GET", "/api/v1/stock", &bearer(&revoked), "")
                .await
                .status,
            200
        );
        {
            let t = target.clone();
            tokio::task::spawn_blocking(move || {
                let mut st = equitas_store::open(&t).unwrap();
                assert!(auth::revoke_token(st.as_mut(), revoked_id).unwrap());
            })
            .await
            .unwrap();
        }
        assert_eq!(
            send(a, "GET", "/api/v1/stock", &bearer(&revoked), "")
                .await
                .status,
            401
        );
        assert_eq!(
            send(a, "GET", "/api/v1/stock", &bearer("eqt_forged"), "")
                .await
                .status,
            401
        );

        // Brute force: 3 failures lock the account, even for the right
        // password, with Retry-After; failures are slowed.
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let r = login(a, "viewer", "wrong password!", None).await;
            assert_eq!(r.status, 401, "{}", r.body);
            assert!(t.elapsed() >= Duration::from_millis(20));
        }
        let r = login(a, "viewer", PASSWORD, None).await;
        assert_eq!(r.status, 429, "{}", r.body);
        assert!(r.header("retry-after").is_some());
        // Another account is not locked, until the address is: 6 failures
        // from it in all.
        assert_eq!(login(a, "analyst", PASSWORD, None).await.status, 200);
        for _ in 0..3 {
            assert_eq!(
                login(a, "nobody", "wrong password!", None).await.status,
                401
            );
        }
        assert_eq!(login(a, "analyst", PASSWORD, None).await.status, 429);

        // Imports over HTTP: the same parsers, refused to a scoped officer,
        // audited.
        let csv = "code,name,programme\nnew-1,New product,hiv\nbad one,,\n";
        let typed = |t: &str| format!("{}Content-Type: text/csv\r\n", bearer(t));
        let r = send(a, "POST", "/api/v1/imports/products", &typed(&officer), csv).await;
        assert_eq!(r.status, 403, "{}", r.body);
        // ... saying why: products are reference data no scope can check.
        let d = r.json()["detail"].as_str().unwrap_or_default().to_string();
        assert!(
            d.contains("span every place") && d.contains("stock-reports"),
            "{d}"
        );
        // Stock reports name a place and a product: a scoped officer
        // imports those of its region; a file with one row outside is
        // refused whole, naming the row.
        let product = network().products[0].code.clone();
        let head = "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n";
        let inside = format!("{head}RMS01,{product},2026-03,10,5,3,12,0\n");
        let r = send(
            a,
            "POST",
            "/api/v1/imports/stock-reports",
            &typed(&officer),
            &inside,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["inserted"].as_u64(), Some(1), "{}", r.body);
        let outside = format!("{inside}CMS,{product},2026-04,10,5,3,12,0\n");
        let r = send(
            a,
            "POST",
            "/api/v1/imports/stock-reports",
            &typed(&officer),
            &outside,
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let d = r.json()["detail"].as_str().unwrap_or_default().to_string();
        assert!(d.contains("line 3") && d.contains("\"CMS\""), "{d}");
        // A location the data do not know is a typing error, named in its
        // row with the code meant, the other rows imported: not a refusal
        // of the whole file as outside the scope.
        let typo = format!("{inside}RMS0l,{product},2026-04,10,5,3,12,0\n");
        let r = send(
            a,
            "POST",
            "/api/v1/imports/stock-reports",
            &typed(&officer),
            &typo,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let j = r.json();
        assert_eq!(j["rejected"][0]["line"].as_u64(), Some(3), "{j}");
        assert!(
            j["rejected"][0]["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("is not a known location code"),
            "{j}"
        );
        // Supply analyses pooling countries are refused to a scoped
        // caller, saying why; those by buying country are filtered.
        let r = send(
            a,
            "GET",
            "/api/v1/supply/concentration",
            &bearer(&officer),
            "",
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let d = r.json()["detail"].as_str().unwrap_or_default().to_string();
        assert!(d.contains("every buying country's supply together"), "{d}");
        // (This network has no procurement: not refused, found missing.)
        for path in ["/api/v1/supply/dependence", "/api/v1/supply/reach"] {
            let r = send(a, "GET", path, &bearer(&officer), "").await;
            assert!(matches!(r.status, 200 | 409), "{path}: {}", r.body);
        }
        // Nothing of that file was written (its first row is new: 2026-04
        // is not; 2026-03 was imported before and is unchanged).
        let r = send(
            a,
            "POST",
            "/api/v1/imports/stock-reports",
            &typed(&admin),
            &outside,
        )
        .await;
        assert_eq!(
            (
                r.json()["unchanged"].as_u64(),
                r.json()["inserted"].as_u64()
            ),
            (Some(1), Some(1)),
            "{}",
            r.body
        );
        let r = send(a, "POST", "/api/v1/imports/products", &typed(&admin), csv).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let j = r.json();
        assert_eq!(
            (j["inserted"].as_u64(), j["rejected"][0]["line"].as_u64()),
            (Some(1), Some(3)),
            "{j}"
        );
        // Every row refused: nothing imported, which is no success (422),
        // each row listed; a strict import refused lists them all too.
        // (A row of empty cells is a blank row, not a bad one.)
        let bad = "code,name,programme\nbad one,,\nbad two,,\n";
        let r = send(a, "POST", "/api/v1/imports/products", &typed(&admin), bad).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let j = r.json();
        // Each bad field of each row, by line.
        let lines = |j: &serde_json::Value| -> Vec<(u64, String)> {
            j["rejected"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    (
                        e["line"].as_u64().unwrap_or_default(),
                        e["field"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(j["type"].as_str(), Some("/problems/rejected-rows"), "{j}");
        assert_eq!(
            lines(&j),
            [
                (2, "code".into()),
                (2, "name".into()),
                (3, "code".into()),
                (3, "name".into())
            ],
            "{j}"
        );
        assert!(
            j["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("every row was rejected (2 of 2); nothing was imported. First: line 2"),
            "{j}"
        );
        let strict = format!("{csv}also bad,,\n");
        let r = send(
            a,
            "POST",
            "/api/v1/imports/products?strict=true",
            &typed(&admin),
            &strict,
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let j = r.json();
        assert_eq!(
            lines(&j),
            [
                (3, "code".into()),
                (3, "name".into()),
                (4, "code".into()),
                (4, "name".into())
            ],
            "{j}"
        );
        assert!(
            j["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("2 bad row(s)"),
            "{j}"
        );
        let r = send(a, "POST", "/api/v1/imports/nothing", &typed(&admin), csv).await;
        assert_eq!(
            (r.status, r.json()["parameter"].as_str()),
            (404, Some("kind"))
        );
        let r = send(a, "POST", "/api/v1/imports/products", &bearer(&admin), "{}").await;
        assert_eq!(r.status, 415);

        // The audit log: each write, each login and failure, by whom.
        let r = send(a, "GET", "/api/v1/audit?limit=1000", &bearer(&admin), "").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let rows = r.json()["rows"].as_array().unwrap().clone();
        let has = |action: &str, actor: &str, detail: &str| {
            rows.iter().any(|e| {
                e["action"] == action
                    && e["actor"].as_str().unwrap().starts_with(actor)
                    && e["detail"].as_str().unwrap().contains(detail)
                    && e["address"] == "127.0.0.1"
            })
        };
        assert!(
            has(
                "capture",
                "user:officer",
                &format!("capture {cookie_capture}: 1 events, 1 captured")
            ),
            "{rows:#?}"
        );
        assert!(
            has(
                "capture",
                "token:",
                &format!("capture {token_capture}: 1 events, 1 captured")
            ),
            "{rows:#?}"
        );
        assert!(
            has("capture-refused", "token:", "1 events outside the scope"),
            "{rows:#?}"
        );
        assert!(
            has("capture", "token:", "0 captured, 0 duplicates, 1 rejected"),
            "{rows:#?}"
        );
        assert!(has("login", "user:officer", "session opened"));
        assert!(has("logout", "user:officer", "session ended"));
        assert_eq!(
            rows.iter()
                .filter(|e| e["action"] == "login-failed")
                .count(),
            6
        );
        assert!(has("login-refused", "user:viewer", "too many"));
        assert!(
            has("import", "token:", "products: 2 rows read, 1 inserted"),
            "{rows:#?}"
        );
        let _ = srv.stop().await;
    });
}

/// A scoped viewer reads the events that move stock in its scope, as
/// captures are checked by them (formulas 3.1): a shipment recorded at
/// R01's store out of R02's store (its sourceList) is an issue at R02, and
/// a receipt at R01's read point without a business location, destined to
/// R02's store, a receipt at R02; an R02 viewer reads both, in a query and
/// by eventID (until 2026-12-07 only events whose read point and business
/// location were R02's were shown: neither was). An event naming R02 but
/// moving nothing there (an inspection with R02 as its source, a shipment
/// from R01 to R02, an issue at R01) is not shown to it; a viewer of R02's
/// HIV products reads the HIV shipment, not the other product's. The R01
/// viewer still reads every event recorded at R01.
fn scoped_reads_follow_stock(s: &mut TestStore) {
    load(s);
    let tokens = accounts(s);
    let (r01, admin) = (tokens[0].1.clone(), tokens[4].1.clone());
    let c = s.store.as_mut();
    let mut viewer = |name: &str, programmes: Vec<String>| {
        auth::add_user(c, name, PASSWORD).unwrap();
        let scope = ScopeSpec {
            location: Some("R02".into()),
            programmes,
            ..Default::default()
        };
        auth::grant(c, name, Role::Viewer, &scope).unwrap();
        auth::create_token(c, name, "t", None, &ScopeSpec::default())
            .unwrap()
            .1
    };
    let r02 = viewer("r02", vec![]);
    let r02_hiv = viewer("r02hiv", vec!["hiv".into()]);
    let state = state(s, Throttle::default());
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;
        let (r01_store, r02_store) = (place("RMS01"), place("RMS02"));
        // (name, bizStep, item: 1 is the network's HIV product, places)
        let events = [
            (
                "ship",
                "shipping",
                1,
                format!(
                    r#""readPoint": {{"id": "{r01_store}"}}, "bizLocation": {{"id": "{r01_store}"}},
                       "sourceList": [{{"type": "location", "source": "{r02_store}"}}]"#
                ),
            ),
            (
                "ship-other",
                "shipping",
                2,
                format!(
                    r#""readPoint": {{"id": "{r01_store}"}},
                       "sourceList": [{{"type": "location", "source": "{r02_store}"}}]"#
                ),
            ),
            (
                "receive",
                "receiving",
                1,
                format!(
                    r#""readPoint": {{"id": "{r01_store}"}},
                       "destinationList": [{{"type": "location", "destination": "{r02_store}"}}]"#
                ),
            ),
            (
                "inspect",
                "inspecting",
                1,
                format!(
                    r#""readPoint": {{"id": "{r01_store}"}}, "bizLocation": {{"id": "{r01_store}"}},
                       "sourceList": [{{"type": "location", "source": "{r02_store}"}}]"#
                ),
            ),
            (
                "to-r02",
                "shipping",
                1,
                format!(
                    r#""readPoint": {{"id": "{r01_store}"}}, "bizLocation": {{"id": "{r01_store}"}},
                       "destinationList": [{{"type": "location", "destination": "{r02_store}"}}]"#
                ),
            ),
        ];
        let epc = |i: usize, item: u32| format!("urn:epc:id:sgtin:9520000.00000{item}.77{i}");
        let list: Vec<String> = events
            .iter()
            .enumerate()
            .map(|(i, (_, step, item, places))| {
                format!(
                    r#"{{"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-00000000077{i}",
  "eventTime": "2026-01-05T10:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
  "bizStep": "{step}", "epcList": ["{}"], {places}}}"#,
                    epc(i, *item)
                )
            })
            .collect();
        let doc = format!(
            r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {{"eventList": [{}]}}}}"#,
            list.join(", ")
        );
        let r = send(a, "POST", "/capture", &bearer(&admin), &doc).await;
        assert_eq!(r.status, 202, "{}", r.body);
        let epcs: Vec<String> = events
            .iter()
            .enumerate()
            .map(|(i, e)| epc(i, e.2))
            .collect();
        let name_of = |id: &str| {
            let i: usize = id
                .strip_prefix("urn:uuid:00000000-0000-4000-8000-00000000077")
                .and_then(|i| i.parse().ok())
                .unwrap();
            events[i].0
        };
        // The events a caller reads: by a query (a page of one event at a
        // time, to follow the pages too) and one by one by eventID.
        let reads = |token: String| {
            let epcs = epcs.join(",");
            async move {
                let mut listed = Vec::new();
                let mut after = String::new();
                loop {
                    let r = send(
                        a,
                        "GET",
                        &format!("/events?MATCH_anyEPC={epcs}&perPage=1{after}"),
                        &bearer(&token),
                        "",
                    )
                    .await;
                    assert_eq!(r.status, 200, "{}", r.body);
                    let j = r.json();
                    for e in j["events"].as_array().unwrap() {
                        listed.push(name_of(e["eventID"].as_str().unwrap()));
                    }
                    match j["nextPageToken"].as_str() {
                        Some(n) => after = format!("&nextPageToken={n}"),
                        None => break,
                    }
                }
                let mut by_id = Vec::new();
                for i in 0..5 {
                    let r = send(
                        a,
                        "GET",
                        &format!("/events/urn:uuid:00000000-0000-4000-8000-00000000077{i}"),
                        &bearer(&token),
                        "",
                    )
                    .await;
                    match r.status {
                        200 => by_id.push(name_of(r.json()["eventID"].as_str().unwrap())),
                        404 => {}
                        other => panic!("{other}: {}", r.body),
                    }
                }
                assert_eq!(listed, by_id);
                listed
            }
        };
        assert_eq!(reads(r02).await, ["ship", "ship-other", "receive"]);
        assert_eq!(reads(r02_hiv).await, ["ship", "receive"]);
        assert_eq!(
            reads(r01).await,
            ["ship", "ship-other", "receive", "inspect", "to-r02"]
        );
        assert_eq!(
            reads(admin).await,
            ["ship", "ship-other", "receive", "inspect", "to-r02"]
        );
        let _ = srv.stop().await;
    });
}

/// A scoped officer ships from its own store to a place outside its scope
/// (R01 sending stock to R02): the capture is taken, as the ledger records
/// a shipment as an issue at its source only (formulas 3.1), and the
/// destination is its counterpart, named, not a place whose stock it moves:
/// R02's stock is what it was, on the shipment's day and at the ledger's
/// end, and only R01's went down. Stock reaches R02 by the receipt there,
/// which the R01 officer may not capture (refused naming the field and
/// R02's store, whether the store is its business location or, without
/// one, its destination) and an R02 officer may (docs/accounts.md).
fn scoped_shipments_move_only_the_source(s: &mut TestStore) {
    load(s);
    let tokens = accounts(s);
    let (r01_officer, admin) = (tokens[2].1.clone(), tokens[4].1.clone());
    let c = s.store.as_mut();
    auth::add_user(c, "r02officer", PASSWORD).unwrap();
    let r02 = ScopeSpec {
        location: Some("R02".into()),
        ..Default::default()
    };
    auth::grant(c, "r02officer", Role::SupplyChainOfficer, &r02).unwrap();
    let r02_officer = auth::create_token(c, "r02officer", "t", None, &ScopeSpec::default())
        .unwrap()
        .1;
    let state = state(s, Throttle::default());
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;
        let (r01_store, r02_store) = (place("RMS01"), place("RMS02"));
        // The stock rows of a store, as the unscoped administrator reads
        // them, on a day or (None) at the ledger's end.
        let stock = |code: &'static str, day: Option<&'static str>| {
            let admin = admin.clone();
            async move {
                let as_of = day.map(|d| format!("&as_of={d}")).unwrap_or_default();
                let path = format!("/api/v1/stock?within={code}&limit=1000{as_of}");
                let r = send(a, "GET", &path, &bearer(&admin), "").await;
                assert_eq!(r.status, 200, "{}", r.body);
                let mut rows: Vec<(String, String, f64)> = r.json()["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| {
                        (
                            x["location"].as_str().unwrap().to_string(),
                            x["item"].as_str().unwrap().to_string(),
                            x["stock_on_hand"].as_f64().unwrap(),
                        )
                    })
                    .collect();
                rows.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
                rows
            }
        };
        let of = |rows: &[(String, String, f64)], item: &str| {
            rows.iter().find(|r| r.1 == item).map_or(0.0, |r| r.2)
        };
        const DAY: &str = "2025-03-10";
        let (r01_before, r02_before, r02_end_before) = (
            stock("RMS01", Some(DAY)).await,
            stock("RMS02", Some(DAY)).await,
            stock("RMS02", None).await,
        );
        assert!(!r02_before.is_empty() && !r01_before.is_empty());
        // Three packs of the network's first product (SYN-001).
        let event = |step: &str, n: u32, time: &str, places: &str| {
            format!(
                r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T10:00:00Z",
  "epcisBody": {{"eventList": [{{"type": "ObjectEvent", "eventTime": "{DAY}T{time}Z",
  "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "{step}",
  "epcList": ["urn:epc:id:sgtin:9520000.000001.{n}1", "urn:epc:id:sgtin:9520000.000001.{n}2",
              "urn:epc:id:sgtin:9520000.000001.{n}3"], {places}}}]}}}}"#
            )
        };
        let ship = event(
            "shipping",
            88,
            "23:58:00",
            &format!(
                r#""readPoint": {{"id": "{r01_store}"}}, "bizLocation": {{"id": "{r01_store}"}},
                   "destinationList": [{{"type": "location", "destination": "{r02_store}"}}]"#
            ),
        );
        let r = send(a, "POST", "/capture", &bearer(&r01_officer), &ship).await;
        assert_eq!(r.status, 202, "{}", r.body);
        assert_eq!(r.json()["captured"].as_u64(), Some(1), "{}", r.body);
        let (r01_after, r02_after) = (
            stock("RMS01", Some(DAY)).await,
            stock("RMS02", Some(DAY)).await,
        );
        assert_eq!(r02_after, r02_before);
        assert_eq!(stock("RMS02", None).await, r02_end_before);
        assert_eq!(of(&r01_before, "SYN-001") - of(&r01_after, "SYN-001"), 3.0);
        assert_eq!(
            r01_before
                .iter()
                .filter(|r| r.1 != "SYN-001")
                .collect::<Vec<_>>(),
            r01_after
                .iter()
                .filter(|r| r.1 != "SYN-001")
                .collect::<Vec<_>>()
        );

        // Its arrival moves R02's stock: the R01 officer may not record it,
        // at R02's store or destined to it; nothing is stored.
        let at_r02 = format!(
            r#""bizLocation": {{"id": "{r02_store}"}},
               "sourceList": [{{"type": "location", "source": "{r01_store}"}}]"#
        );
        let to_r02 = format!(
            r#""readPoint": {{"id": "{r01_store}"}},
               "destinationList": [{{"type": "location", "destination": "{r02_store}"}}]"#
        );
        let r02_gln = r02_store.rsplit('/').next().unwrap().to_string();
        for (places, field) in [(&at_r02, "bizLocation"), (&to_r02, "destinationList")] {
            let receive = event("receiving", 88, "23:59:00", places);
            let r = send(a, "POST", "/capture", &bearer(&r01_officer), &receive).await;
            assert_eq!(r.status, 403, "{field}: {}", r.body);
            let p = r.json();
            assert_eq!(p["type"], "/problems/out-of-scope", "{p}");
            let detail = p["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains(&format!("event 0: {field}: "))
                    && detail.contains(&r02_gln)
                    && detail.contains("outside your scope"),
                "{detail}"
            );
        }
        assert_eq!(stock("RMS02", Some(DAY)).await, r02_before);
        // An R02 officer records it: R02's stock goes up by the three packs.
        let receive = event("receiving", 88, "23:59:00", &at_r02);
        let r = send(a, "POST", "/capture", &bearer(&r02_officer), &receive).await;
        assert_eq!(r.status, 202, "{}", r.body);
        let r02_received = stock("RMS02", Some(DAY)).await;
        assert_eq!(
            of(&r02_received, "SYN-001") - of(&r02_before, "SYN-001"),
            3.0
        );
        let _ = srv.stop().await;
    });
}

/// Market figures by buying country: a caller of Viet Nam and Haiti sees
/// only their procurement lines, whatever it asks for.
fn market_by_buying_country(s: &mut TestStore) {
    use equitas_store::testing::import_data;
    import_data(s, ImportKind::Countries, "country-codes.csv");
    import_data(s, ImportKind::Scms, "supply_chain_shipment_pricing.csv");
    let c = s.store.as_mut();
    let mut token = |name: &str, countries: &[&str]| {
        auth::add_user(c, name, PASSWORD).unwrap();
        let scope = ScopeSpec {
            countries: countries.iter().map(|x| x.to_string()).collect(),
            ..Default::default()
        };
        auth::grant(c, name, Role::Analyst, &scope).unwrap();
        auth::create_token(c, name, "t", None, &ScopeSpec::default())
            .unwrap()
            .1
    };
    let all = token("world", &[]);
    let two = token("two", &["VNM", "HTI"]);
    let state = state(s, Throttle::default());
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;
        let path = "/api/v1/market/prices?by=country&limit=1000";
        let countries = |r: &Answer| -> Vec<String> {
            r.json()["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["key"][0].as_str().unwrap().to_string())
                .collect()
        };
        let everyone = send(a, "GET", path, &bearer(&all), "").await;
        let mine = send(a, "GET", path, &bearer(&two), "").await;
        assert_eq!((everyone.status, mine.status), (200, 200), "{}", mine.body);
        let (everyone_c, mut mine_c) = (countries(&everyone), countries(&mine));
        assert!(everyone_c.len() > 10, "{everyone_c:?}");
        mine_c.sort();
        assert_eq!(mine_c, ["HTI", "VNM"]);
        // The lines behind the figures are theirs only, asked for or not.
        let lines = |r: &Answer| r.json()["observations"].as_i64().unwrap();
        let both = send(
            a,
            "GET",
            "/api/v1/market/prices?country=VNM,HTI",
            &bearer(&all),
            "",
        )
        .await;
        assert_eq!(lines(&mine), lines(&both));
        let other = send(
            a,
            "GET",
            "/api/v1/market/prices?country=NGA",
            &bearer(&two),
            "",
        )
        .await;
        assert_eq!(other.status, 409, "{}", other.body);
        // Legal sources by country too.
        let r = send(
            a,
            "GET",
            "/api/v1/market/sources?limit=1000",
            &bearer(&two),
            "",
        )
        .await;
        assert!(r.status == 200 || r.status == 409, "{}", r.body);
        if r.status == 200 {
            for row in r.json()["rows"].as_array().unwrap() {
                assert!(row["country"] == "VNM" || row["country"] == "HTI", "{row}");
            }
        }
        let _ = srv.stop().await;
    });
}

// ---- failed logins are kept in the database ------------------------------

/// Two server processes on one database, then one restarted: failed logins
/// add up across them and the lock outlives the process that counted them.
fn failures_across_processes(s: &mut TestStore) {
    load(s);
    accounts(s);
    let throttle = Throttle {
        per_account: 3,
        per_address: 100,
        window: Duration::from_secs(600),
        delay: Duration::from_millis(1),
    };
    let (one, two, again) = (state(s, throttle), state(s, throttle), state(s, throttle));
    let target = s.target.clone();
    run(async move {
        let (p1, p2) = (
            Server::start(one, ServeOptions::default()).await,
            Server::start(two, ServeOptions::default()).await,
        );
        for a in [p1.addr, p1.addr, p2.addr] {
            assert_eq!(
                login(a, "viewer", "wrong password!", None).await.status,
                401
            );
        }
        // Locked on both, though neither counted three.
        for a in [p1.addr, p2.addr] {
            let r = login(a, "viewer", PASSWORD, None).await;
            assert_eq!(r.status, 429, "{}", r.body);
        }
        // Another account is not.
        assert_eq!(login(p2.addr, "analyst", PASSWORD, None).await.status, 200);
        let _ = p1.stop().await;
        let _ = p2.stop().await;
        // A restart does not forget.
        let p3 = Server::start(again, ServeOptions::default()).await;
        assert_eq!(login(p3.addr, "viewer", PASSWORD, None).await.status, 429);
        // Once the window has passed, the count starts again, and a
        // successful login clears it.
        let t = target.clone();
        tokio::task::spawn_blocking(move || {
            let mut st = equitas_store::open(&t).unwrap();
            let later = auth::now() + 601;
            assert_eq!(
                auth::login_refused(st.as_mut(), "u:viewer", 3, 600, later).unwrap(),
                None
            );
            assert_eq!(
                auth::login_failed(st.as_mut(), "u:viewer", 600, later).unwrap(),
                1
            );
            auth::login_succeeded(st.as_mut(), "u:viewer").unwrap();
            assert_eq!(
                auth::login_refused(st.as_mut(), "u:viewer", 1, 600, later).unwrap(),
                None
            );
        })
        .await
        .unwrap();
        assert_eq!(login(p3.addr, "viewer", PASSWORD, None).await.status, 200);
        let _ = p3.stop().await;
    });
}

// ---- a capture and its audit entry: one transaction ----------------------

/// The audit entry of a capture is written in the capture's transaction:
/// when it cannot be written (the database refuses it here, as a crash
/// between the two would lose it), nothing of the capture is kept; when it
/// can, the entry names the capture committed.
fn capture_audit_atomic(s: &mut TestStore) {
    load(s);
    let tokens = accounts(s);
    let admin = tokens[4].1.clone();
    let count = |st: &mut dyn equitas_store::Conn, sql: &str| -> i64 {
        st.query_scalar(sql, &[]).unwrap().get().unwrap()
    };
    let c = s.store.as_mut();
    let captures = count(c, "SELECT COUNT(*) FROM epcis_captures");
    let held = count(c, "SELECT COUNT(*) FROM epcis_events");
    let refuse = match c.backend() {
        equitas_store::Backend::Sqlite => {
            "CREATE TRIGGER refuse_capture_audit BEFORE INSERT ON auth_audit \
             WHEN NEW.action = 'capture' BEGIN SELECT RAISE(ABORT, 'audit refused'); END;"
        }
        equitas_store::Backend::Postgres => {
            "CREATE FUNCTION refuse_capture_audit() RETURNS trigger AS $$ BEGIN \
               IF NEW.action = 'capture' THEN RAISE EXCEPTION 'audit refused'; END IF; \
               RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_capture_audit BEFORE INSERT ON auth_audit \
               FOR EACH ROW EXECUTE FUNCTION refuse_capture_audit();"
        }
    };
    c.batch(refuse).unwrap();
    let state = state(s, Throttle::default());
    let target = s.target.clone();
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;
        let doc = capture_doc(&place("RMS01"), 41);
        let r = send(a, "POST", "/capture", &bearer(&admin), &doc).await;
        assert_eq!(r.status, 500, "{}", r.body);
        // A FHIR write's movements and their entry are one transaction too.
        let products = network().products_csv();
        let gtin = products.lines().nth(1).unwrap().split(',').nth(1).unwrap();
        let fhir = format!("{}Content-Type: application/fhir+json\r\n", bearer(&admin));
        let d = dispense(gtin, "RMS01", 9);
        let r = send(a, "POST", "/fhir/MedicationDispense", &fhir, &d).await;
        assert_eq!(r.status, 500, "{}", r.body);
        let t = target.clone();
        let (kept, events) = tokio::task::spawn_blocking(move || {
            let mut st = equitas_store::open(&t).unwrap();
            let kept = count(st.as_mut(), "SELECT COUNT(*) FROM epcis_captures");
            let events = count(
                st.as_mut(),
                "SELECT COUNT(*) FROM epcis_events",
            );
            let drop = match st.backend() {
                equitas_store::Backend::Sqlite => "DROP TRIGGER refuse_capture_audit",
                equitas_store::Backend::Postgres => {
                    "DROP TRIGGER refuse_capture_audit ON auth_audit; DROP FUNCTION refuse_capture_audit()"
                }
            };
            st.batch(drop).unwrap();
            (kept, events)
        })
        .await
        .unwrap();
        assert_eq!(
            (kept, events),
            (captures, held),
            "nothing of the captures is kept"
        );
        // The audit can be written: the capture and its entry, together.
        let r = send(a, "POST", "/fhir/MedicationDispense", &fhir, &d).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("1 movement event(s) captured"),
            "{}",
            r.body
        );
        let r = send(a, "POST", "/capture", &bearer(&admin), &doc).await;
        assert_eq!(r.status, 202, "{}", r.body);
        let id = r.json()["captureID"].as_i64().unwrap();
        let r = send(a, "GET", "/api/v1/audit?limit=5", &bearer(&admin), "").await;
        let rows = r.json()["rows"].as_array().cloned().unwrap_or_default();
        assert!(
            rows.iter().any(|e| e["action"] == "capture"
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(&format!("capture {id}: 1 events, 1 captured")))),
            "{rows:?}"
        );
        let _ = srv.stop().await;
    });
}

// ---- single sign-on: identities and flows in the store ------------------

/// The store's side of single sign-on (the protocol is tested against a
/// real provider in web/tests/sso.test.mjs): a subject links to one user;
/// a flow is taken once, and not at all once too old.
fn sso_store(s: &mut TestStore) {
    load(s);
    accounts(s);
    let c = s.store.as_mut();
    let iss = "http://127.0.0.1:9/issuer";
    assert!(auth::identity_user(c, iss, "sub-1").unwrap().is_none());
    auth::link_identity(c, "viewer", iss, "sub-1").unwrap();
    assert_eq!(
        auth::identity_user(c, iss, "sub-1").unwrap().unwrap().name,
        "viewer"
    );
    // The same subject of another issuer is another identity.
    assert!(
        auth::identity_user(c, "http://other", "sub-1")
            .unwrap()
            .is_none()
    );
    let e = auth::link_identity(c, "admin", iss, "sub-1").unwrap_err();
    assert!(e.to_string().contains("linked to viewer already"), "{e}");
    assert!(auth::link_identity(c, "no-such-user", iss, "sub-2").is_err());
    assert_eq!(
        auth::identities(c, "viewer").unwrap(),
        vec![(iss.to_string(), "sub-1".to_string())]
    );
    assert!(auth::unlink_identity(c, iss, "sub-1").unwrap());
    assert!(!auth::unlink_identity(c, iss, "sub-1").unwrap());

    let flow = auth::SsoFlow {
        state: "st".into(),
        nonce: "no".into(),
        verifier: "ve".into(),
    };
    let now = auth::now();
    let b = auth::start_sso_flow(c, &flow, now, 600).unwrap();
    assert!(
        auth::take_sso_flow(c, "forged", now, 600)
            .unwrap()
            .is_none()
    );
    assert_eq!(
        auth::take_sso_flow(c, &b, now, 600).unwrap(),
        Some(flow.clone())
    );
    // Used once.
    assert!(auth::take_sso_flow(c, &b, now, 600).unwrap().is_none());
    // Too old: refused (and removed).
    let old = auth::start_sso_flow(c, &flow, now - 601, 600).unwrap();
    assert!(auth::take_sso_flow(c, &old, now, 600).unwrap().is_none());
    let left = |c: &mut dyn equitas_store::Conn| -> i64 {
        c.query_scalar("SELECT COUNT(*) FROM auth_sso_flows", &[])
            .unwrap()
            .get()
            .unwrap()
    };
    assert_eq!(left(c), 0);
    // Sign-ins started and never back are removed as others start.
    auth::start_sso_flow(c, &flow, now - 601, 600).unwrap();
    assert_eq!(left(c), 1);
    let fresh = auth::start_sso_flow(c, &flow, now, 600).unwrap();
    assert_eq!(left(c), 1);
    assert!(auth::take_sso_flow(c, &fresh, now, 600).unwrap().is_some());
}

// ---- FHIR within the caller's scope -------------------------------------

/// A completed MedicationDispense of `gtin` at the location `code`.
fn dispense(gtin: &str, code: &str, n: u32) -> String {
    serde_json::json!({
        "resourceType": "MedicationDispense",
        "status": "completed",
        "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": gtin}]}},
        "quantity": {"value": n, "unit": "pack"},
        "whenHandedOver": "2026-03-12T10:30:00+00:00",
        "location": {"identifier": {"system": "urn:equitas:location", "value": code}}
    })
    .to_string()
}

/// FHIR writes and the InventoryReport search for a caller scoped to R01:
/// a movement within is captured with its audit entry; one outside refuses
/// the whole Bundle, naming the element, nothing written; registry
/// resources are refused; a search outside the read scope is refused.
fn fhir_within_scope(s: &mut TestStore) {
    load(s);
    let tokens = accounts(s);
    let viewer = tokens[0].1.clone();
    let officer = tokens[2].1.clone();
    let admin = tokens[4].1.clone();
    let net = network();
    let facilities: Vec<String> = net
        .locations_csv()
        .lines()
        .filter_map(|l| l.split(',').next())
        .filter(|c| c.contains('F'))
        .map(str::to_string)
        .collect();
    let inside = facilities.iter().find(|c| in_region(c)).unwrap().clone();
    let outside = facilities.iter().find(|c| !in_region(c)).unwrap().clone();
    let products = net.products_csv();
    let gtin = products
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_string();
    // SYN-002's GTIN: not an HIV product, outside an HIV officer's scope.
    let other_gtin = products
        .lines()
        .nth(2)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_string();
    let c = s.store.as_mut();
    auth::add_user(c, "hivo", PASSWORD).unwrap();
    let hiv_only = ScopeSpec {
        location: Some(REGION.into()),
        programmes: vec!["hiv".into()],
        ..Default::default()
    };
    auth::grant(c, "hivo", Role::SupplyChainOfficer, &hiv_only).unwrap();
    let hivo = auth::create_token(c, "hivo", "t", None, &ScopeSpec::default())
        .unwrap()
        .1;
    let state = state(s, Throttle::default());
    let target = s.target.clone();
    let events = move || -> i64 {
        let mut st = equitas_store::open(&target).unwrap();
        st.query_scalar("SELECT COUNT(*) FROM epcis_events", &[])
            .unwrap()
            .get()
            .unwrap()
    };
    run(async move {
        let srv = Server::start(state, ServeOptions::default()).await;
        let a = srv.addr;
        let json = "Content-Type: application/fhir+json\r\n";
        let as_officer = format!("{}{json}", bearer(&officer));
        let count = || {
            let f = events.clone();
            async move { tokio::task::spawn_blocking(f).await.unwrap() }
        };
        let audit = |detail: &'static str, action: &'static str| {
            let admin = admin.clone();
            async move {
                let r = send(a, "GET", "/api/v1/audit?limit=20", &bearer(&admin), "").await;
                let rows = r.json()["rows"].as_array().cloned().unwrap_or_default();
                rows.iter().any(|e| {
                    e["action"] == action
                        && e["actor"].as_str().is_some_and(|x| x.contains("officer"))
                        && e["detail"].as_str().is_some_and(|d| d.contains(detail))
                })
            }
        };

        // Within the scope: captured, its audit entry written.
        let before = count().await;
        let r = send(
            a,
            "POST",
            "/fhir/MedicationDispense",
            &as_officer,
            &dispense(&gtin, &inside, 3),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("1 movement event(s) captured"),
            "{}",
            r.body
        );
        assert_eq!(count().await, before + 1);
        assert!(
            audit("POST /fhir/{Resource}: capture", "capture").await,
            "no audit entry of the FHIR capture"
        );

        // A product outside a scope by programme is refused as a place
        // outside is (user pass: an HIV officer dispensed TB stock); the
        // scope's own product goes through.
        let as_hivo = format!("{}{json}", bearer(&hivo));
        let before = count().await;
        let r = send(
            a,
            "POST",
            "/fhir/MedicationDispense",
            &as_hivo,
            &dispense(&other_gtin, &inside, 2),
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(
            r.body.contains("is outside your scope")
                && r.body.contains("not a product of its programmes"),
            "{}",
            r.body
        );
        assert_eq!(count().await, before);
        let r = send(
            a,
            "POST",
            "/fhir/MedicationDispense",
            &as_hivo,
            &dispense(&gtin, &inside, 2),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);

        // One movement outside: the whole Bundle refused, the element
        // named, nothing written, the refusal audited.
        let bundle = format!(
            r#"{{"resourceType": "Bundle", "type": "transaction", "entry": [
                {{"resource": {}}}, {{"resource": {}}}]}}"#,
            dispense(&gtin, &inside, 5),
            dispense(&gtin, &outside, 7)
        );
        let before = count().await;
        let r = send(a, "POST", "/fhir", &as_officer, &bundle).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let o = r.json();
        assert_eq!(o["resourceType"], "OperationOutcome", "{}", r.body);
        let issues = o["issue"].as_array().unwrap();
        assert_eq!(issues.len(), 1, "{}", r.body);
        assert_eq!(issues[0]["code"], "forbidden");
        assert_eq!(
            issues[0]["expression"][0],
            "Bundle.entry[1].resource.location"
        );
        assert!(
            issues[0]["diagnostics"]
                .as_str()
                .unwrap()
                .contains("outside your scope"),
            "{}",
            r.body
        );
        assert_eq!(
            count().await,
            before,
            "nothing of the refused Bundle written"
        );
        assert!(audit("POST /fhir:", "capture-refused").await);
        // The administrator (everywhere) may write the same Bundle.
        let r = send(
            a,
            "POST",
            "/fhir",
            &format!("{}{json}", bearer(&admin)),
            &bundle,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(count().await, before + 2);

        // Registry resources are reference data: refused, with the reason.
        let loc = r#"{"resourceType": "Location", "id": "x", "name": "New store",
            "identifier": [{"system": "urn:equitas:location", "value": "R01NEW"}]}"#;
        let r = send(a, "POST", "/fhir/Location", &as_officer, loc).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("reference data"), "{}", r.body);
        assert_eq!(r.json()["resourceType"], "OperationOutcome");

        // The search: a place outside the read scope refused, named; one
        // inside answered with its own places only.
        let q = format!("/fhir/InventoryReport?location={outside}");
        let r = send(a, "GET", &q, &bearer(&viewer), "").await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.json()["issue"][0]["expression"][0], "location");
        let r = send(a, "GET", &q, &bearer(&admin), "").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = send(
            a,
            "GET",
            "/fhir/InventoryReport?location=R01",
            &bearer(&viewer),
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let b = r.json();
        let entries = b["entry"].as_array().cloned().unwrap_or_default();
        assert!(!entries.is_empty(), "{}", r.body);
        assert!(!r.body.contains(&outside), "{}", r.body);
        let _ = srv.stop().await;
    });
}

on_both_backends! {
    fhir_within_scope => fhir_within_scope,
    failures_across_processes => failures_across_processes,
    sso_store => sso_store,
    capture_audit_atomic => capture_audit_atomic,
    every_route_every_role => every_route_every_role,
    scoped_answers => scoped_answers,
    security => security,
    scoped_reads_follow_stock => scoped_reads_follow_stock,
    scoped_shipments_move_only_the_source => scoped_shipments_move_only_the_source,
    market_by_buying_country => market_by_buying_country,
}
