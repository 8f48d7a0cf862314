//! Where tests find conformance material, and how a test that cannot run
//! says so.
//!
//! What its licence lets Equitas ship is vendored in `tests/conformance/`
//! (see its README): tests read it with [`vendored`] and always run. What it
//! may not ship (the GS1 EPCIS schemas, the MSH price guide, the WHO PQ list)
//! stays in `../shared/`, beside the repository; a test needing it calls
//! [`shared`], which, when `../shared` is absent, reports the test as
//! SKIPPED instead of letting it pass silently:
//!
//! - it prints `SKIPPED <test>: <why>` on stderr;
//! - it appends the same line to the file named by `EQUITAS_SKIP_LOG`, if
//!   set (`scripts/test.sh` sets it and lists the skipped tests at the end);
//! - with `EQUITAS_REQUIRE_SHARED=1` it fails the test instead.
//!
//! A `../shared` that is there but lacks the file is a broken copy: the test
//! fails, naming the file. `EQUITAS_SHARED_DIR` names another place for it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file or folder of the vendored conformance material
/// (`tests/conformance/REL`); panics, naming it, if it is missing.
pub fn vendored(rel: &str) -> PathBuf {
    let p = root().join("tests/conformance").join(rel);
    assert!(
        p.exists(),
        "{} is missing: it is part of the repository (tests/conformance/README.md)",
        p.display()
    );
    p
}

/// `../shared/REL`, or `None` after reporting the running test as skipped
/// (see the module documentation); `what` says which part of the test is
/// left out, e.g. "the MSH part" (empty: the whole test).
pub fn shared(rel: &str, what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("EQUITAS_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"));
    let p = dir.join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        !dir.is_dir(),
        "{} is missing although ../shared is there: a broken copy of ../shared",
        p.display()
    );
    let why = format!(
        "needs ../shared/{rel}, which is absent (not shipped: its licence; see tests/conformance/README.md)"
    );
    if std::env::var("EQUITAS_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("EQUITAS_REQUIRE_SHARED=1 but the test {why}");
    }
    record_skip(&test_name(what), &why);
    None
}

/// `BINARY::TEST`: the test binary's name (without cargo's hash) and the
/// running test's (libtest names each test's thread after it), with `what`.
fn test_name(what: &str) -> String {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| match s.rsplit_once('-') {
            Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
            _ => s,
        })
        .unwrap_or_default();
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    if what.is_empty() {
        format!("{binary}::{test}")
    } else {
        format!("{binary}::{test} ({what})")
    }
}

/// Prints `SKIPPED TEST: WHY` and appends it to `$EQUITAS_SKIP_LOG`.
pub fn record_skip(test: &str, why: &str) {
    let line = format!("SKIPPED {test}: {why}");
    eprintln!("{line}");
    if let Some(log) = std::env::var_os("EQUITAS_SKIP_LOG") {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            // One write of the whole line: tests running at once do not
            // interleave theirs.
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = written {
            panic!(
                "cannot record the skip in {}: {e}",
                Path::new(&log).display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_material_is_there() {
        assert!(vendored("epcis/event-hash/LICENSE").is_file());
        assert!(vendored("epcis/openepcis/LICENSE").is_file());
    }

    #[test]
    fn a_test_is_named_by_binary_and_thread() {
        let name = test_name("a part");
        assert!(
            name.ends_with("conformance::tests::a_test_is_named_by_binary_and_thread (a part)"),
            "{name}"
        );
        assert!(name.starts_with("equitas_doc_vectors::"), "{name}");
    }
}
