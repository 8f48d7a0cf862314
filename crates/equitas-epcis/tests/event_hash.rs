//! The CBV 2.0 Event Hash ID against the reference vectors vendored in
//! `tests/conformance/epcis/event-hash` (MIT; see tests/conformance/README.md).

use equitas_doc_vectors::conformance::vendored;
use equitas_epcis::parse_document;
use equitas_epcis::{event_hash_ignoring, prehash_ignoring};
use std::path::PathBuf;

fn suite() -> PathBuf {
    vendored("epcis/event-hash")
}

#[test]
fn documents_hash_as_the_vectors_say() {
    let dir = suite();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonld" || e == "xml"))
        .collect();
    files.sort();
    for f in files {
        let expected = std::fs::read_to_string(f.with_extension("hashes")).unwrap();
        let expected: Vec<&str> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let pre = std::fs::read_to_string(f.with_extension("prehashes")).unwrap_or_default();
        let pre: Vec<&str> = pre.lines().collect();
        let doc = match parse_document(&std::fs::read_to_string(&f).unwrap()) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        let events = &doc.events;
        if events.len() != expected.len() {
            failures.push(format!(
                "{}: {} events, {} hashes",
                f.display(),
                events.len(),
                expected.len()
            ));
            continue;
        }
        for (i, (e, want)) in events.iter().zip(&expected).enumerate() {
            checked += 1;
            let got = event_hash_ignoring(e, &doc.hash_ignore);
            if got != *want {
                failures.push(format!(
                    "{} event {i}:\n  got  {}\n  want {}",
                    f.file_name().unwrap().to_string_lossy(),
                    prehash_ignoring(e, &doc.hash_ignore),
                    pre.get(i).unwrap_or(&"(no prehash vector)")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} events differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 20, "only {checked} events checked");
}

/// Every JSON document in `expected_equal/` holds several writings of one
/// event: all must hash the same.
#[test]
fn equal_events_hash_equal() {
    let dir = suite();
    let mut docs = 0;
    for e in std::fs::read_dir(dir.join("expected_equal")).unwrap() {
        let p = e.unwrap().path();

        let doc = parse_document(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let hashes: std::collections::BTreeSet<String> = doc
            .events
            .iter()
            .map(|e| event_hash_ignoring(e, &doc.hash_ignore))
            .collect();
        assert!(doc.events.len() > 1, "{}", p.display());
        assert_eq!(hashes.len(), 1, "{}: {hashes:?}", p.display());
        docs += 1;
    }
    assert!(docs >= 1);
}

/// Every OpenEPCIS capture document and event, JSON and XML, is read
/// without error and every event hashes.
#[test]
fn openepcis_documents_are_read() {
    let root = vendored("epcis/openepcis");
    let mut n = 0;
    for binding in ["JSON", "XML"] {
        for sub in ["Documents", "Events"] {
            for e in std::fs::read_dir(root.join(binding).join("Capture").join(sub)).unwrap() {
                let f = e.unwrap().path();
                let doc = parse_document(&std::fs::read_to_string(&f).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                assert_eq!(doc.raw.len(), doc.events.len(), "{}", f.display());
                for ev in &doc.events {
                    assert!(
                        event_hash_ignoring(ev, &doc.hash_ignore).starts_with("ni:///sha-256;")
                    );
                }
                n += 1;
            }
        }
    }
    assert!(n >= 80, "only {n} files");
}
