//! Accounts, scoped grants, sessions, API tokens and the audit log, on
//! SQLite and PostgreSQL.

use equitas_store::auth::{self, Dim, Permission, Role, Scope, ScopeSpec, SessionLimits};
use equitas_store::import::ImportKind;
use equitas_store::on_both_backends;
use equitas_store::testing::{TestStore, import_bytes};

const COUNTRIES: &str = "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en,official_name_fr,CLDR display name\n\
XSY,XS,Synthetic,Synthétique,Synthetic\nXSZ,XZ,Other,Autre,Other\n";
const LOCATIONS: &str = "code,name,level,parent,country,gln\n\
R1,Region 1,region,XSY,XSY,9520000000011\n\
D1,District 1,district,R1,XSY,\n\
F1,Facility 1,facility,D1,XSY,9520000000028\n\
R2,Region 2,region,XSY,XSY,\n\
F2,Facility 2,facility,R2,XSY,\n\
Z1,Zed 1,region,XSZ,XSZ,\n";
const PRODUCTS: &str = "code,name,programme\ntld,TLD,hiv\nact,ACT,malaria\n";

fn reference(s: &mut TestStore) {
    import_bytes(s, ImportKind::Countries, "c.csv", COUNTRIES.as_bytes());
    let r = import_bytes(s, ImportKind::Locations, "l.csv", LOCATIONS.as_bytes());
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let r = import_bytes(s, ImportKind::Products, "p.csv", PRODUCTS.as_bytes());
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
}

fn users_and_grants(s: &mut TestStore) {
    reference(s);
    let c = s.store.as_mut();
    assert!(!auth::has_users(c).unwrap());
    let e = auth::add_user(c, "amina", "short").unwrap_err().to_string();
    assert!(e.contains("at least 10"), "{e}");
    auth::add_user(c, "amina", "correct horse battery").unwrap();
    assert!(auth::add_user(c, "amina", "correct horse battery").is_err());
    assert!(auth::add_user(c, "bad name", "correct horse battery").is_err());
    // A name differing only in case is refused, saying so.
    let e = auth::add_user(c, "Amina", "correct horse battery")
        .unwrap_err()
        .to_string();
    assert!(e.contains("differing only in case"), "{e}");
    let e = auth::add_user(c, "ÉLODIE", "correct horse battery")
        .unwrap_err()
        .to_string();
    assert!(e.contains("ASCII letters"), "{e}");
    assert!(auth::has_users(c).unwrap());
    // The hash is Argon2id, never the password.
    let stored: String = c
        .query_scalar("SELECT password_hash FROM auth_users", &[])
        .unwrap()
        .get()
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$") && !stored.contains("horse"),
        "{stored}"
    );
    assert!(
        auth::check_password(c, "amina", "correct horse battery")
            .unwrap()
            .is_some()
    );
    assert!(
        auth::check_password(c, "amina", "wrong horse battery")
            .unwrap()
            .is_none()
    );
    assert!(
        auth::check_password(c, "nobody", "correct horse battery")
            .unwrap()
            .is_none()
    );

    // Grants: unknown places and programmes are refused, by name.
    let bad = ScopeSpec {
        location: Some("R9".into()),
        ..Default::default()
    };
    let e = auth::grant(c, "amina", Role::Viewer, &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("R9"), "{e}");
    let bad = ScopeSpec {
        programmes: vec!["nope".into()],
        ..Default::default()
    };
    assert!(auth::grant(c, "amina", Role::Viewer, &bad).is_err());
    let region = ScopeSpec {
        location: Some("R1".into()),
        programmes: vec!["hiv".into()],
        ..Default::default()
    };
    let g = auth::grant(c, "amina", Role::SupplyChainOfficer, &region).unwrap();
    let u = auth::user(c, "amina").unwrap().unwrap();
    assert_eq!(u.grants.len(), 1);
    assert!(
        auth::scope(c, &u, Permission::Administer)
            .unwrap()
            .is_none()
    );
    let sc = auth::scope(c, &u, Permission::Capture).unwrap().unwrap();
    // A region covers its districts and facilities, by code and GLN.
    for (loc, inside) in [
        ("R1", true),
        ("D1", true),
        ("F1", true),
        ("9520000000028", true),
        ("R2", false),
        ("F2", false),
        ("Z1", false),
    ] {
        assert_eq!(sc.allows(&[(Dim::Location, Some(loc))]), inside, "{loc}");
    }
    assert!(sc.allows(&[(Dim::Location, Some("F1")), (Dim::Product, Some("tld"))]));
    assert!(!sc.allows(&[(Dim::Location, Some("F1")), (Dim::Product, Some("act"))]));
    assert!(!sc.allows(&[(Dim::Location, None)]));
    // Its country for figures by country.
    assert!(sc.allows(&[(Dim::Country, Some("XSY"))]));
    assert!(!sc.allows(&[(Dim::Country, Some("XSZ"))]));
    // A second, country-wide grant widens it.
    let country = ScopeSpec {
        countries: vec!["XSZ".into()],
        ..Default::default()
    };
    auth::grant(c, "amina", Role::Viewer, &country).unwrap();
    let u = auth::user(c, "amina").unwrap().unwrap();
    let read = auth::scope(c, &u, Permission::Read).unwrap().unwrap();
    assert!(read.allows(&[(Dim::Location, Some("Z1"))]));
    assert!(read.allows(&[(Dim::Country, Some("XSZ"))]));
    // ... for reading only.
    let cap = auth::scope(c, &u, Permission::Capture).unwrap().unwrap();
    assert!(!cap.allows(&[(Dim::Location, Some("Z1"))]));
    assert!(auth::revoke(c, "amina", g).unwrap());
    assert!(!auth::revoke(c, "amina", g).unwrap());
    let u = auth::user(c, "amina").unwrap().unwrap();
    assert!(auth::scope(c, &u, Permission::Capture).unwrap().is_none());
    // An unscoped grant is everything.
    auth::grant(c, "amina", Role::Administrator, &ScopeSpec::default()).unwrap();
    let u = auth::user(c, "amina").unwrap().unwrap();
    assert_eq!(
        auth::scope(c, &u, Permission::Read).unwrap(),
        Some(Scope::All)
    );
}

fn sessions_and_tokens(s: &mut TestStore) {
    reference(s);
    let c = s.store.as_mut();
    let id = auth::add_user(c, "kofi", "correct horse battery").unwrap();
    let lim = SessionLimits {
        idle: 100,
        absolute: 1000,
    };
    let (tok, csrf) = auth::create_session(c, id, 10_000).unwrap();
    // Stored hashed.
    let n: i64 = c
        .query_scalar(
            "SELECT COUNT(*) FROM auth_sessions WHERE token_hash = $1",
            &[tok.clone().into()],
        )
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(n, 0);
    let (u, c2) = auth::session(c, &tok, 10_050, lim).unwrap().unwrap();
    assert_eq!((u.name.as_str(), c2.as_str()), ("kofi", csrf.as_str()));
    // Activity keeps it alive up to its absolute expiry.
    for t in (10_100..=10_900).step_by(90) {
        assert!(auth::session(c, &tok, t, lim).unwrap().is_some(), "{t}");
    }
    assert!(auth::session(c, &tok, 11_001, lim).unwrap().is_none());
    // Idle expiry.
    let (tok, _) = auth::create_session(c, id, 20_000).unwrap();
    assert!(auth::session(c, &tok, 20_101, lim).unwrap().is_none());
    // A session used every 15 s with an idle limit of a minute lives on
    // (its last use was written once a minute only, and it expired).
    let minute = SessionLimits {
        idle: 60,
        absolute: 1000,
    };
    let (tok, _) = auth::create_session(c, id, 25_000).unwrap();
    for t in (25_014..=25_300).step_by(15) {
        assert!(auth::session(c, &tok, t, minute).unwrap().is_some(), "{t}");
    }
    // Logout, and a disabled user's sessions end.
    let (tok, _) = auth::create_session(c, id, 30_000).unwrap();
    assert!(auth::end_session(c, &tok).unwrap());
    assert!(auth::session(c, &tok, 30_001, lim).unwrap().is_none());
    let (tok, _) = auth::create_session(c, id, 30_000).unwrap();
    auth::set_disabled(c, "kofi", true).unwrap();
    assert!(auth::session(c, &tok, 30_001, lim).unwrap().is_none());
    assert!(
        auth::check_password(c, "kofi", "correct horse battery")
            .unwrap()
            .is_none()
    );
    auth::set_disabled(c, "kofi", false).unwrap();

    // API tokens: shown once, stored hashed, expiring, revocable.
    let (tid, token) =
        auth::create_token(c, "kofi", "scanner", None, &ScopeSpec::default()).unwrap();
    assert!(token.starts_with("eqt_"));
    let now = auth::now();
    assert_eq!(auth::token_user(c, &token, now).unwrap().unwrap().1.id, tid);
    let listed = auth::tokens(c).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!format!("{listed:?}").contains(&token[4..]));
    assert!(auth::revoke_token(c, tid).unwrap());
    assert!(auth::token_user(c, &token, now).unwrap().is_none());
    let (_, short) =
        auth::create_token(c, "kofi", "short", Some(now + 10), &ScopeSpec::default()).unwrap();
    assert!(auth::token_user(c, &short, now).unwrap().is_some());
    assert!(auth::token_user(c, &short, now + 10).unwrap().is_none());
    assert!(auth::token_user(c, "eqt_0000", now).unwrap().is_none());
}

/// A token narrower than its user: the user's scope and the token's.
fn narrowed_tokens(s: &mut TestStore) {
    reference(s);
    let c = s.store.as_mut();
    auth::add_user(c, "root", "correct horse battery").unwrap();
    auth::grant(c, "root", Role::Administrator, &ScopeSpec::default()).unwrap();
    auth::add_user(c, "reg", "correct horse battery").unwrap();
    let r1 = ScopeSpec {
        location: Some("R1".into()),
        ..Default::default()
    };
    auth::grant(c, "reg", Role::SupplyChainOfficer, &r1).unwrap();
    let hiv = ScopeSpec {
        programmes: vec!["hiv".into()],
        ..Default::default()
    };
    let bad = ScopeSpec {
        location: Some("R9".into()),
        ..Default::default()
    };
    assert!(auth::create_token(c, "root", "t", None, &bad).is_err());
    let (_, t) = auth::create_token(c, "root", "t", None, &r1).unwrap();
    let (u, live) = auth::token_user(c, &t, auth::now()).unwrap().unwrap();
    assert_eq!(live.scope, r1);
    let sc = auth::token_scope(c, &u, Permission::Capture, &live.scope)
        .unwrap()
        .unwrap();
    assert!(sc.allows(&[(Dim::Location, Some("F1"))]));
    assert!(!sc.allows(&[(Dim::Location, Some("F2"))]));
    assert!(auth::tokens(c).unwrap()[0].scope == r1);
    // Within R1 and HIV: both hold.
    let (_, t) = auth::create_token(c, "reg", "t", None, &hiv).unwrap();
    let (u, live) = auth::token_user(c, &t, auth::now()).unwrap().unwrap();
    let sc = auth::token_scope(c, &u, Permission::Read, &live.scope)
        .unwrap()
        .unwrap();
    assert!(sc.allows(&[(Dim::Location, Some("F1")), (Dim::Product, Some("tld"))]));
    assert!(!sc.allows(&[(Dim::Location, Some("F1")), (Dim::Product, Some("act"))]));
    assert!(!sc.allows(&[(Dim::Location, Some("F2")), (Dim::Product, Some("tld"))]));
    // A token never gives what its user lacks.
    assert!(
        auth::token_scope(c, &u, Permission::Administer, &live.scope)
            .unwrap()
            .is_none()
    );
    // A token limited to a place outside every grant of its user would
    // reach nothing: refused, saying so (user pass: accepted silently).
    let r2 = ScopeSpec {
        location: Some("R2".into()),
        ..Default::default()
    };
    let e = auth::create_token(c, "reg", "t", None, &r2)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("would reach nothing") && e.contains("location R2"),
        "{e}"
    );
    // Within R1's district: accepted.
    let d1 = ScopeSpec {
        location: Some("D1".into()),
        ..Default::default()
    };
    assert!(auth::create_token(c, "reg", "t", None, &d1).is_ok());
    // A programme none of the user's grants holds reaches nothing too.
    auth::add_user(c, "hivonly", "correct horse battery").unwrap();
    let hiv = ScopeSpec {
        programmes: vec!["hiv".into()],
        ..Default::default()
    };
    auth::grant(c, "hivonly", Role::Viewer, &hiv).unwrap();
    let malaria = ScopeSpec {
        programmes: vec!["malaria".into()],
        ..Default::default()
    };
    let e = auth::create_token(c, "hivonly", "t", None, &malaria)
        .unwrap_err()
        .to_string();
    assert!(e.contains("would reach nothing"), "{e}");
    assert!(auth::create_token(c, "hivonly", "t", None, &hiv).is_ok());
    // A programme without products yet is no place outside: accepted.
    let tb = ScopeSpec {
        programmes: vec!["tb".into()],
        ..Default::default()
    };
    assert!(auth::create_token(c, "reg", "t", None, &tb).is_ok());
}

fn audit_is_append_only(s: &mut TestStore) {
    let c = s.store.as_mut();
    auth::audit(c, "user:a", Some("127.0.0.1"), "login", "ok", "everywhere").unwrap();
    auth::audit(c, "user:b", None, "capture", "capture 3: 2 events", "R1").unwrap();
    let (n, rows) = auth::audit_log(c, 0, 10).unwrap();
    assert_eq!(n, 2);
    assert_eq!(rows[0].actor, "user:b");
    assert_eq!(rows[1].address.as_deref(), Some("127.0.0.1"));
    assert!(c.execute("UPDATE auth_audit SET actor = 'x'", &[]).is_err());
    assert!(c.execute("DELETE FROM auth_audit", &[]).is_err());
    assert_eq!(auth::audit_log(c, 0, 10).unwrap().0, 2);
}

on_both_backends! {
    users_and_grants => users_and_grants,
    sessions_and_tokens => sessions_and_tokens,
    audit_is_append_only => audit_is_append_only,
    narrowed_tokens => narrowed_tokens,
}
