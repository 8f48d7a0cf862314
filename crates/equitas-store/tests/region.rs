//! Data kept in each country (schema version 15): what a country
//! publishes, the sources of a regional server, and publications held,
//! replaced whole when republished; the publication-reader role. On SQLite
//! and PostgreSQL.

use equitas_region::{FigureRow, Level, Publication};
use equitas_store::auth::{self, Permission, Role, ScopeSpec};
use equitas_store::import::ImportKind;
use equitas_store::on_both_backends;
use equitas_store::region::{self, Query};
use equitas_store::testing::{TestStore, import_bytes};

const COUNTRIES: &str = "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en,official_name_fr,CLDR display name\n\
XSY,XS,Synthetic,Synthétique,Synthetic\n";

fn row(country: &str, month: &str, location: &str, item: &str, closing: f64) -> FigureRow {
    FigureRow {
        country: country.into(),
        month: month.into(),
        level: "district".into(),
        location: location.into(),
        location_name: format!("{location} name"),
        item: item.into(),
        item_name: None,
        opening: 1.5,
        received: 2.0,
        issued: 0.0,
        dispensed: 0.25,
        adjusted: -0.125,
        closing,
        stockout_days: if location == "F1" { Some(3) } else { None },
        amc: Some(1.0 / 3.0),
        months_of_stock: None,
        facilities: 4,
        in_stock: 3,
        availability: Some(0.75),
    }
}

fn publication(country: &str, month: &str, rows: &[FigureRow]) -> Publication {
    Publication {
        country: country.into(),
        month: month.into(),
        level: "district".into(),
        format: equitas_region::FORMAT,
        equitas_version: "0.1.0".into(),
        formulas_version: equitas_region::FORMULAS_VERSION,
        computed_at: "2026-12-05T18:00:00Z".into(),
        digest: equitas_region::digest(rows),
        rows: rows.len() as u64,
    }
}

fn everything(s: &mut TestStore) -> Vec<FigureRow> {
    region::figures(
        s.store.as_mut(),
        &Query {
            level: "district".into(),
            ..Query::default()
        },
    )
    .unwrap()
}

fn publishing_and_sources(s: &mut TestStore) {
    import_bytes(s, ImportKind::Countries, "c.csv", COUNTRIES.as_bytes());
    let c = s.store.as_mut();
    assert_eq!(region::publishing(c).unwrap(), None);
    let e = region::set_publishing(c, "XSZ", Level::District)
        .unwrap_err()
        .to_string();
    assert!(e.contains("XSZ") && e.contains("not a country"), "{e}");
    region::set_publishing(c, "XSY", Level::District).unwrap();
    region::set_publishing(c, "XSY", Level::Region).unwrap();
    let p = region::publishing(c).unwrap().unwrap();
    assert_eq!((p.country.as_str(), p.level), ("XSY", Level::Region));
    // Sources: added, then changed; bad codes and URLs named.
    assert!(region::add_source(c, "XSY", "http://127.0.0.1:1", "/t/xsy").unwrap());
    assert!(!region::add_source(c, "XSY", "https://xsy.example", "/t/xsy2").unwrap());
    let e = region::add_source(c, "xs", "http://x", "/t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"xs\""), "{e}");
    let e = region::add_source(c, "XSZ", "ftp://x", "/t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("ftp://x"), "{e}");
    region::pulled(c, "XSY", Some("down")).unwrap();
    let list = region::sources(c).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            list[0].url.as_str(),
            list[0].token_file.as_str(),
            list[0].last_error.as_deref()
        ),
        ("https://xsy.example", "/t/xsy2", Some("down"))
    );
    assert!(list[0].pulled_at.is_some());
    // The publication-reader role: publications, nothing else.
    auth::add_user(c, "hub", "correct horse battery").unwrap();
    auth::grant(c, "hub", Role::PublicationReader, &ScopeSpec::default()).unwrap();
    let u = auth::user(c, "hub").unwrap().unwrap();
    assert!(
        auth::scope(c, &u, Permission::Publications)
            .unwrap()
            .unwrap()
            .is_all()
    );
    for p in [
        Permission::Read,
        Permission::Capture,
        Permission::Import,
        Permission::Administer,
    ] {
        assert!(auth::scope(c, &u, p).unwrap().is_none(), "{p:?}");
    }
}

fn republished_months_replace_the_held_ones(s: &mut TestStore) {
    let jan = vec![
        row("XSY", "2026-01", "D1", "AMOX", 10.0),
        row("XSY", "2026-01", "D1", "TLD", 20.0),
        row("XSY", "2026-01", "F1", "TLD", 0.1 + 0.2),
    ];
    let feb = vec![row("XSY", "2026-02", "D1", "AMOX", 7.0)];
    let other = vec![row("XSZ", "2026-01", "Z1", "AMOX", 5.0)];
    for rows in [&jan, &feb, &other] {
        region::save(
            s.store.as_mut(),
            &publication(&rows[0].country, &rows[0].month, rows),
            rows,
        )
        .unwrap();
    }
    // Read back exactly (doubles bit for bit), by country, month, place, item.
    let mut want = jan.clone();
    want.extend(feb.clone());
    want.extend(other.clone());
    assert_eq!(everything(s), want);
    // Republished January: one row fewer, one changed; the rest untouched.
    let jan2 = vec![row("XSY", "2026-01", "D1", "AMOX", 11.0)];
    region::save(
        s.store.as_mut(),
        &publication("XSY", "2026-01", &jan2),
        &jan2,
    )
    .unwrap();
    let mut want = jan2.clone();
    want.extend(feb.clone());
    want.extend(other.clone());
    assert_eq!(everything(s), want);
    let held = region::held(s.store.as_mut()).unwrap();
    let jan_held = held
        .iter()
        .find(|p| p.country == "XSY" && p.month == "2026-01")
        .unwrap();
    assert_eq!(jan_held, &publication("XSY", "2026-01", &jan2));
    assert_eq!(held.len(), 3);
    // Filters.
    let q = |month: Option<&str>, countries: &[&str], items: &[&str]| Query {
        level: "district".into(),
        month: month.map(str::to_string),
        countries: countries.iter().map(|c| c.to_string()).collect(),
        items: items.iter().map(|c| c.to_string()).collect(),
    };
    let got = region::figures(s.store.as_mut(), &q(Some("2026-01"), &["XSZ"], &[])).unwrap();
    assert_eq!(got, other);
    let got = region::figures(s.store.as_mut(), &q(None, &["XSY", "XSZ"], &["AMOX"])).unwrap();
    assert_eq!(got.len(), 3);
    let got = region::figures(
        s.store.as_mut(),
        &Query {
            level: "country".into(),
            ..Query::default()
        },
    )
    .unwrap();
    assert!(got.is_empty());
    // A row of another month is refused, and nothing is written.
    let e = region::save(
        s.store.as_mut(),
        &publication("XSY", "2026-03", &jan2),
        &jan2,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("2026-01") && e.contains("2026-03"), "{e}");
    assert_eq!(region::held(s.store.as_mut()).unwrap().len(), 3);
}

on_both_backends! {
    publishing_and_sources_both => publishing_and_sources,
    republished_months_replace_the_held_ones_both => republished_months_replace_the_held_ones,
}

/// Version 15 rebuilds the grants' table on SQLite (a new role in its
/// check): the grants held before are kept, with their numbers, and the
/// new role is taken after.
fn grants_survive_version_15(s: &mut dyn equitas_store::Store) {
    use equitas_store::migrations;
    migrations::migrate_to(s, 14).unwrap();
    s.execute(
        "INSERT INTO countries (iso3, iso2, name_en, name_fr, least_developed, landlocked_developing, small_island_developing) \
         VALUES ('XSY', 'XS', 'Synthetic', 'Synthétique', 0, 0, 0)",
        &[],
    )
    .unwrap();
    auth::add_user(s, "amina", "correct horse battery").unwrap();
    let scope = ScopeSpec {
        countries: vec!["XSY".into()],
        ..ScopeSpec::default()
    };
    let g1 = auth::grant(s, "amina", Role::Viewer, &scope).unwrap();
    let g2 = auth::grant(s, "amina", Role::Administrator, &ScopeSpec::default()).unwrap();
    // Before version 15, the role is refused by the database itself.
    let refused = s.execute(
        "INSERT INTO auth_grants (user_id, role, countries, location, programmes, created_at) \
         SELECT id, 'publication-reader', '', NULL, '', 'now' FROM auth_users",
        &[],
    );
    assert!(refused.is_err());
    assert_eq!(migrations::migrate_to(s, 15).unwrap(), vec![15]);
    let u = auth::user(s, "amina").unwrap().unwrap();
    let held: Vec<(i64, Role, ScopeSpec)> = u
        .grants
        .iter()
        .map(|g| (g.id, g.role, g.scope.clone()))
        .collect();
    assert_eq!(
        held,
        vec![
            (g1, Role::Viewer, scope),
            (g2, Role::Administrator, ScopeSpec::default())
        ]
    );
    let g3 = auth::grant(s, "amina", Role::PublicationReader, &ScopeSpec::default()).unwrap();
    assert!(g3 > g2, "{g3} after {g2}");
    // A scoped grant of it could never read a publication: refused.
    let scoped = ScopeSpec {
        countries: vec!["XSY".into()],
        ..ScopeSpec::default()
    };
    let e = auth::grant(s, "amina", Role::PublicationReader, &scoped).unwrap_err();
    assert!(e.to_string().contains("grant it without a scope"), "{e}");
}

#[test]
fn grants_survive_version_15_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = equitas_store::SqliteStore::open(&dir.path().join("v14.db")).unwrap();
    grants_survive_version_15(&mut s);
}

#[test]
fn grants_survive_version_15_on_postgres() {
    if let Some((url, _drop)) = equitas_store::testing::postgres_url() {
        let mut s = equitas_store::PgStore::connect(&url).unwrap();
        grants_survive_version_15(&mut s);
    }
}
