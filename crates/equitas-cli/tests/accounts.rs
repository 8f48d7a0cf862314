//! `equitas users`, `tokens`, `audit`, and `serve` refusing to run without
//! accounts where others can reach it (issue 23).

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn equitas(dir: &Path, args: &[&str], stdin: &str) -> Output {
    common::output_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_equitas"))
            .args(args)
            .env("EQUITAS_DATA_DIR", dir)
            .env_remove("EQUITAS_DATABASE")
            .env("USER", "tester"),
        stdin,
    )
}

use common::text;

const COUNTRIES: &str = "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en,official_name_fr,CLDR display name\nXSY,XS,Synthetic,Synthétique,Synthetic\n";
const LOCATIONS: &str = "code,name,level,parent,country\nR1,Region 1,region,XSY,XSY\n";

#[test]
fn users_tokens_and_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.csv"), COUNTRIES).unwrap();
    std::fs::write(d.join("l.csv"), LOCATIONS).unwrap();
    for (kind, f) in [("countries", "c.csv"), ("locations", "l.csv")] {
        let o = equitas(d, &["import", kind, &d.join(f).display().to_string()], "");
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    // The password from standard input; too short is refused.
    let o = equitas(d, &["users", "add", "amina"], "short\n");
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("at least 10 characters"));
    let o = equitas(d, &["users", "add", "amina"], "correct horse battery\n");
    assert!(o.status.success(), "{}", text(&o.stderr));
    // A grant names what it does not know.
    let o = equitas(
        d,
        &["users", "grant", "amina", "viewer", "--location", "R9"],
        "",
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("location \"R9\""),
        "{}",
        text(&o.stderr)
    );
    let o = equitas(d, &["users", "grant", "amina", "officer"], "");
    assert!(
        text(&o.stderr).contains("supply-chain-officer"),
        "{}",
        text(&o.stderr)
    );
    let o = equitas(
        d,
        &[
            "users",
            "grant",
            "amina",
            "supply-chain-officer",
            "--location",
            "R1",
            "--programme",
            "HIV",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = equitas(d, &["users", "list", "--format", "json"], "");
    let users: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(users[0]["grants"][0]["role"], "supply-chain-officer");
    assert_eq!(users[0]["grants"][0]["scope"]["programmes"][0], "hiv");
    assert!(!text(&o.stdout).contains("argon2"), "no hash listed");
    // A token is printed once, on standard output only.
    let o = equitas(
        d,
        &["tokens", "create", "--user", "amina", "--expires", "30d"],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let token = text(&o.stdout).trim().to_string();
    assert!(token.starts_with("eqt_") && token.len() == 68, "{token}");
    let o = equitas(d, &["tokens", "list", "--format", "json"], "");
    assert!(!text(&o.stdout).contains(&token[4..]));
    // A token valid through a date is listed as expiring at that day's
    // end, 24:00 UTC, not the next day's 00:00.
    let o = equitas(
        d,
        &[
            "tokens",
            "create",
            "--user",
            "amina",
            "--name",
            "through",
            "--expires",
            "2099-06-30",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = equitas(d, &["tokens", "list"], "");
    let listed = text(&o.stdout);
    let line = listed
        .lines()
        .find(|l| l.contains("through"))
        .unwrap_or_default();
    assert!(line.contains("2099-06-30 24:00"), "{listed}");
    let o = equitas(
        d,
        &[
            "tokens",
            "create",
            "--user",
            "amina",
            "--expires",
            "2001-01-01",
        ],
        "",
    );
    assert!(text(&o.stderr).contains("past"), "{}", text(&o.stderr));
    let o = equitas(d, &["tokens", "revoke", "1"], "");
    assert!(o.status.success());
    let o = equitas(d, &["tokens", "revoke", "1"], "");
    assert!(!o.status.success());
    let o = equitas(d, &["tokens", "revoke", "2"], "");
    assert!(o.status.success());
    // Every change is in the audit log, by the system user.
    let o = equitas(d, &["audit", "--format", "json"], "");
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let actions: Vec<&str> = log["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "token-revoke",
            "token-revoke",
            "token-create",
            "token-create",
            "grant",
            "user-add"
        ]
    );
    assert_eq!(log["rows"][0]["actor"], "cli:tester");
}

#[test]
fn serve_elsewhere_than_loopback_needs_accounts() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["serve", "--addr", "0.0.0.0:0"][..],
        &["serve", "--addr", "127.0.0.1:0", "--behind-tls-proxy"][..],
    ] {
        let o = equitas(dir.path(), args, "");
        assert!(!o.status.success(), "{args:?}");
        let e = text(&o.stderr);
        assert!(
            e.contains("requires accounts") && e.contains("--insecure-no-auth"),
            "{e}"
        );
    }
}

#[test]
fn single_sign_on_links_and_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Single sign-on needs accounts: the provider's users sign in as them.
    let o = equitas(
        d,
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--sso-issuer",
            "http://127.0.0.1:9/",
            "--sso-client-id",
            "equitas",
            "--sso-redirect-url",
            "http://127.0.0.1:8080/api/v1/sso/callback",
        ],
        "",
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("needs accounts"),
        "{}",
        text(&o.stderr)
    );
    for name in ["amina", "kofi"] {
        let o = equitas(d, &["users", "add", name], "correct horse battery\n");
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let link = |user: &str| {
        equitas(
            d,
            &[
                "users",
                "link",
                "--user",
                user,
                "--issuer",
                "https://idp",
                "--subject",
                "s-1",
            ],
            "",
        )
    };
    assert!(link("amina").status.success());
    // One subject, one user.
    let o = link("kofi");
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("linked to amina already"),
        "{}",
        text(&o.stderr)
    );
    let o = equitas(d, &["users", "list"], "");
    assert!(
        text(&o.stdout).contains("signs in by https://idp as s-1"),
        "{}",
        text(&o.stdout)
    );
    let unlink = || {
        equitas(
            d,
            &[
                "users",
                "unlink",
                "--issuer",
                "https://idp",
                "--subject",
                "s-1",
            ],
            "",
        )
    };
    assert!(unlink().status.success());
    assert!(!unlink().status.success());
    let o = equitas(d, &["audit", "--format", "json"], "");
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let actions: Vec<&str> = log["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["sso-unlink", "sso-link", "user-add", "user-add"]);
    // A redirect URL that is not this server's callback is refused.
    let o = equitas(
        d,
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--sso-issuer",
            "http://127.0.0.1:9/",
            "--sso-client-id",
            "equitas",
            "--sso-redirect-url",
            "http://127.0.0.1:8080/elsewhere",
        ],
        "",
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("/api/v1/sso/callback"),
        "{}",
        text(&o.stderr)
    );
}
