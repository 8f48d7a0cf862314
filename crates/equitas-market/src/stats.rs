//! Order statistics used by the market indicators. Definitions: docs/formulas.md, section 2.4.

use serde::Serialize;

/// The `p`-quantile (0 <= p <= 1) of sorted values by linear interpolation
/// between closest ranks: Hyndman and Fan (1996) definition 7, the default
/// of R, NumPy and spreadsheet PERCENTILE. For p = 0.5 this is the usual
/// median (mean of the two middle values for an even count).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Median of unsorted values; `None` if empty. NaNs must not be present.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    quantile_sorted(&v, 0.5)
}

/// The spread of a set of observations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub max: f64,
    pub mean: f64,
}

/// Summarises `values` (sorted in place). `None` if empty.
pub fn summarize(values: &mut [f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let q = |p| quantile_sorted(values, p).unwrap_or(f64::NAN);
    Some(Summary {
        n: values.len(),
        min: values[0],
        p25: q(0.25),
        median: q(0.5),
        p75: q(0.75),
        max: values[values.len() - 1],
        mean: values.iter().sum::<f64>() / values.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_doc_vectors::{round, vectors};
    use proptest::prelude::*;

    /// docs/formulas.md, section 2.4.
    #[test]
    fn quantile_worked_examples() {
        for v in vectors("quantile") {
            let mut xs: Vec<f64> = v["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let s = summarize(&mut xs);
            match s {
                None => assert!(v["median"].is_null()),
                Some(s) => {
                    assert_eq!(round(s.median, 4), v["median"].as_f64().unwrap(), "{v}");
                    assert_eq!(round(s.p25, 4), v["p25"].as_f64().unwrap(), "{v}");
                    assert_eq!(round(s.p75, 4), v["p75"].as_f64().unwrap(), "{v}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn quantiles_are_ordered_and_bounded(mut xs in proptest::collection::vec(-1e6f64..1e6, 1..200)) {
            let s = summarize(&mut xs).unwrap();
            prop_assert!(s.min <= s.p25 && s.p25 <= s.median && s.median <= s.p75 && s.p75 <= s.max);
            prop_assert!(s.min <= s.mean + 1e-6 && s.mean <= s.max + 1e-6);
        }

        #[test]
        fn median_splits_the_data(mut xs in proptest::collection::vec(0f64..1000.0, 1..100)) {
            let m = median(&xs).unwrap();
            xs.sort_by(f64::total_cmp);
            let below = xs.iter().filter(|x| **x < m).count();
            let above = xs.iter().filter(|x| **x > m).count();
            prop_assert!(below <= xs.len() / 2 && above <= xs.len() / 2);
        }
    }
}
