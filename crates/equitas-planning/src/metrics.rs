//! Forecast accuracy (docs/formulas.md 4.3) and demand classification.

use serde::Serialize;

/// Mean of `f`(one-step naive error) over `train`; `None` for a series too
/// short or flat.
fn naive_scale(train: &[f64], f: impl Fn(f64) -> f64) -> Option<f64> {
    if train.len() < 2 {
        return None;
    }
    let s: f64 = train.windows(2).map(|w| f(w[1] - w[0])).sum();
    let v = s / (train.len() - 1) as f64;
    (v > 0.0).then_some(v)
}

/// Mean absolute one-step naive error of `train` (the MASE scale).
pub fn naive_mae(train: &[f64]) -> Option<f64> {
    naive_scale(train, f64::abs)
}

/// Mean squared one-step naive error of `train` (the RMSSE scale).
pub fn naive_mse(train: &[f64]) -> Option<f64> {
    naive_scale(train, |d| d * d)
}

/// Mean absolute scaled error (Hyndman & Koehler 2006).
pub fn mase(actual: &[f64], forecast: &[f64], train: &[f64]) -> Option<f64> {
    let scale = naive_mae(train)?;
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return None;
    }
    let mae: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).abs())
        .sum::<f64>()
        / n as f64;
    Some(mae / scale)
}

/// Root mean squared scaled error (Makridakis, Spiliotis & Assimakopoulos, M5, 2022).
pub fn rmsse(actual: &[f64], forecast: &[f64], train: &[f64]) -> Option<f64> {
    let scale = naive_mse(train)?;
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return None;
    }
    let mse: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).powi(2))
        .sum::<f64>()
        / n as f64;
    Some((mse / scale).sqrt())
}

/// The quantile levels of the 95% and 80% interval bounds, lower to upper.
pub const INTERVAL_QUANTILES: [f64; 4] = [0.025, 0.10, 0.90, 0.975];

/// Scaled pinball loss of quantile forecasts (M5 uncertainty competition,
/// Makridakis et al. 2022): for each level *q* and month, q (y - Q) if the
/// actual y is at or above the quantile Q, else (1 - q) (Q - y); the mean over
/// levels and months divided by the naive MAE of `train`. `quantiles` pairs
/// each level with its forecasts (the interval bounds: [`INTERVAL_QUANTILES`]).
pub fn scaled_pinball(actual: &[f64], quantiles: &[(f64, &[f64])], train: &[f64]) -> Option<f64> {
    let scale = naive_mae(train)?;
    let (mut sum, mut count) = (0.0, 0usize);
    for &(q, f) in quantiles {
        for (a, p) in actual.iter().zip(f) {
            let d = a - p;
            sum += if d >= 0.0 { q * d } else { (q - 1.0) * d };
            count += 1;
        }
    }
    (count > 0).then(|| sum / count as f64 / scale)
}

/// Demand pattern by Syntetos, Boylan & Croston (2005): average
/// inter-demand interval (ADI) and squared coefficient of variation of the
/// non-zero demand sizes (CV²), cut at 1.32 and 0.49.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Pattern {
    pub adi: Option<f64>,
    pub cv2: Option<f64>,
    pub class: &'static str,
}

pub fn pattern(y: &[f64]) -> Pattern {
    let sizes: Vec<f64> = y.iter().copied().filter(|&v| v > 0.0).collect();
    if sizes.is_empty() {
        return Pattern {
            adi: None,
            cv2: None,
            class: "no demand",
        };
    }
    let adi = y.len() as f64 / sizes.len() as f64;
    let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
    let var = sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / sizes.len() as f64;
    let cv2 = var / (mean * mean);
    let class = match (adi > 1.32, cv2 > 0.49) {
        (false, false) => "smooth",
        (false, true) => "erratic",
        (true, false) => "intermittent",
        (true, true) => "lumpy",
    };
    Pattern {
        adi: Some(adi),
        cv2: Some(cv2),
        class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_vectors() {
        let f = |v: &serde_json::Value| -> Vec<f64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        for v in equitas_doc_vectors::vectors("accuracy") {
            let (a, fc, t) = (f(&v["actual"]), f(&v["forecast"]), f(&v["train"]));
            let r = |x: Option<f64>| x.map(|x| equitas_doc_vectors::round(x, 3));
            assert_eq!(r(mase(&a, &fc, &t)), v["mase"].as_f64(), "{v}");
            assert_eq!(r(rmsse(&a, &fc, &t)), v["rmsse"].as_f64(), "{v}");
            if let Some(b) = v.get("bounds") {
                let b: Vec<Vec<f64>> = b.as_array().unwrap().iter().map(f).collect();
                let q: Vec<(f64, &[f64])> = INTERVAL_QUANTILES
                    .iter()
                    .zip(&b)
                    .map(|(&q, b)| (q, b.as_slice()))
                    .collect();
                assert_eq!(r(scaled_pinball(&a, &q, &t)), v["spl"].as_f64(), "{v}");
            }
        }
    }

    #[test]
    fn scaled_errors() {
        // Naive steps of the training data: 2, 2, 2 -> scale 2 (MAE), 4 (MSE).
        let train = [1.0, 3.0, 5.0, 7.0];
        assert_eq!(mase(&[9.0, 11.0], &[8.0, 8.0], &train), Some(1.0));
        assert_eq!(
            rmsse(&[9.0, 11.0], &[8.0, 8.0], &train),
            Some((5.0f64 / 4.0).sqrt())
        );
        assert_eq!(mase(&[1.0], &[1.0], &[5.0, 5.0]), None);
        let p = pattern(&[0.0, 0.0, 4.0, 0.0, 0.0, 4.0]);
        assert_eq!(
            (p.adi, p.cv2, p.class),
            (Some(3.0), Some(0.0), "intermittent")
        );
        assert_eq!(pattern(&[0.0; 4]).class, "no demand");
    }
}
