//! The worked examples of `docs/formulas.md` as test vectors.
//!
//! A block opened by ```` ```vectors NAME ```` holds one JSON object per
//! line. Tests of the crate that computes the indicator call
//! [`vectors`]`("NAME")` and check every example, so the documentation
//! and the code cannot disagree. [`conformance`] finds the conformance
//! material tests read, and reports a test that cannot run as skipped.

pub mod conformance;

use serde_json::Value;
use std::path::PathBuf;

/// Path of the formulas document in the repository.
pub fn formulas_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/formulas.md")
}

/// Every example of block `name`, in order. Panics (failing the test) if
/// the document or the block is missing or a line is not JSON, naming the line.
pub fn vectors(name: &str) -> Vec<Value> {
    let path = formulas_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v = parse_blocks(&text, name);
    assert!(
        !v.is_empty(),
        "{}: no ```vectors {name} block",
        path.display()
    );
    v
}

/// The examples of block `name` in a Markdown text.
pub fn parse_blocks(text: &str, name: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if !inside {
            if let Some(rest) = t.strip_prefix("```vectors") {
                inside = rest.trim() == name;
            }
            continue;
        }
        if t.starts_with("```") {
            inside = false;
            continue;
        }
        if t.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(t)
            .unwrap_or_else(|e| panic!("docs/formulas.md line {}: {e}", i + 1));
        out.push(v);
    }
    out
}

/// Rounds half away from zero to `decimals` places, as the document states.
pub fn round(x: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (x * k).round() / k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_the_named_block() {
        let md =
            "text\n```vectors a\n{\"x\": 1}\n\n{\"x\": 2}\n```\n```vectors b\n{\"x\": 3}\n```\n";
        assert_eq!(parse_blocks(md, "a").len(), 2);
        assert_eq!(parse_blocks(md, "b")[0]["x"], 3);
        assert!(parse_blocks(md, "c").is_empty());
    }

    #[test]
    fn the_real_document_has_blocks() {
        assert!(!vectors("hhi").is_empty());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round(2.175, 1), 2.2);
        assert_eq!(round(-2.5, 0), -3.0);
        assert_eq!(round(9990.79, 0), 9991.0);
    }
}
