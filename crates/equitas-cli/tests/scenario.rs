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
            .starts_with("country,product,exposure,TTS months")
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
