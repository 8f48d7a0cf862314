//! Supplier concentration: shares, the Herfindahl-Hirschman Index and the
//! effective number of suppliers. Definitions and worked examples are in
//! `docs/formulas.md` ("Supplier concentration"); the examples there are
//! run as tests below.

use serde::Serialize;

/// Concentration of a set of weights (values or quantities per supplier,
/// site or country).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    /// Number of groups with a positive weight.
    pub groups: usize,
    /// Sum of the positive weights.
    pub total: f64,
    /// Herfindahl-Hirschman Index: sum of squared percentage shares, 0 to 10,000.
    pub hhi: f64,
    /// 1 / sum of squared fractional shares.
    pub effective_number: f64,
    /// Largest share, as a fraction.
    pub top_share: f64,
}

/// Computes the concentration of `weights`. Zero and negative weights (a
/// credit note, a cancelled line) are left out; `None` if nothing positive
/// remains, since shares of nothing are undefined.
pub fn concentration(weights: impl IntoIterator<Item = f64>) -> Option<Concentration> {
    let w: Vec<f64> = weights
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let total: f64 = w.iter().sum();
    if w.is_empty() || total <= 0.0 {
        return None;
    }
    let sum_sq: f64 = w.iter().map(|v| (v / total) * (v / total)).sum();
    let top = w.iter().cloned().fold(0.0, f64::max) / total;
    Some(Concentration {
        groups: w.len(),
        total,
        hhi: 10_000.0 * sum_sq,
        effective_number: 1.0 / sum_sq,
        top_share: top,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example() {
        let c = concentration([60.0, 30.0, 10.0]).unwrap();
        assert_eq!(c.hhi.round(), 4600.0);
        assert!((c.effective_number - 1.0 / 0.46).abs() < 1e-12);
        assert_eq!(c.groups, 3);
        assert!((c.top_share - 0.6).abs() < 1e-12);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(concentration([]), None);
        assert_eq!(concentration([0.0, -5.0]), None);
        let single = concentration([42.0, 0.0]).unwrap();
        assert_eq!(single.hhi, 10_000.0);
        assert_eq!(single.effective_number, 1.0);
    }

    proptest! {
        #[test]
        fn bounds(w in proptest::collection::vec(0.001f64..1e9, 1..50)) {
            let c = concentration(w.clone()).unwrap();
            let n = w.len() as f64;
            // HHI lies between 10,000/n (equal shares) and 10,000 (one supplier).
            prop_assert!(c.hhi <= 10_000.0 * (1.0 + 1e-9));
            prop_assert!(c.hhi >= 10_000.0 / n * (1.0 - 1e-9));
            prop_assert!((c.hhi * c.effective_number - 10_000.0).abs() < 1e-6 * 10_000.0);
            prop_assert!(c.effective_number <= n * (1.0 + 1e-9));
        }

        #[test]
        fn equal_shares_give_n(n in 1usize..100, v in 0.5f64..1e6) {
            let c = concentration(std::iter::repeat_n(v, n)).unwrap();
            prop_assert!((c.effective_number - n as f64).abs() < 1e-6);
        }

        #[test]
        fn scale_invariant(w in proptest::collection::vec(0.01f64..1e6, 1..20), k in 0.01f64..1000.0) {
            let a = concentration(w.clone()).unwrap();
            let b = concentration(w.iter().map(|x| x * k)).unwrap();
            prop_assert!((a.hhi - b.hhi).abs() < 1e-6);
        }
    }
}

#[cfg(test)]
mod formulas_md {
    use super::concentration;
    use equitas_doc_vectors::{round, vectors};

    /// docs/formulas.md, section 2.2.
    #[test]
    fn hhi_worked_examples() {
        for v in vectors("hhi") {
            let w: Vec<f64> = v["weights"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let c = concentration(w);
            match c {
                None => assert!(v["hhi"].is_null(), "{v}"),
                Some(c) => {
                    assert_eq!(round(c.hhi, 0), v["hhi"].as_f64().unwrap(), "{v}");
                    assert_eq!(
                        round(c.effective_number, 2),
                        v["effective_number"].as_f64().unwrap(),
                        "{v}"
                    );
                    assert_eq!(
                        round(c.top_share, 3),
                        v["top_share"].as_f64().unwrap(),
                        "{v}"
                    );
                }
            }
        }
    }
}
