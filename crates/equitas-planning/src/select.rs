//! Automatic model choice by rolling-origin evaluation, and prediction
//! intervals from the errors it measures (docs/formulas.md 4.4-4.5).

use crate::metrics::{self, Pattern};
use crate::models::{Method, ModelParams, fit, forecast, forecast_fitted};
use serde::Serialize;

/// How candidates are compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Forecast origins: the last `origins` months, each forecasting up to
    /// `horizon` months from the data before it.
    pub origins: usize,
    pub horizon: usize,
    pub candidates: Vec<Method>,
    pub params: ModelParams,
}

impl Default for Evaluation {
    fn default() -> Evaluation {
        Evaluation {
            origins: 6,
            horizon: 3,
            candidates: Method::ALL.to_vec(),
            params: ModelParams::default(),
        }
    }
}

/// One candidate's rolling-origin accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Score {
    pub method: Method,
    /// Mean over origins and steps of |error| / the origin's naive MAE.
    pub mase: f64,
    pub rmsse: f64,
    pub origins: usize,
    /// Root mean squared error at each step ahead (1, 2, ...).
    #[serde(skip)]
    pub rmse_by_step: Vec<f64>,
}

/// Scores `method` on `y` by rolling origins; `None` if it can be scored at
/// fewer than half of them.
pub fn score(method: Method, y: &[f64], e: &Evaluation) -> Option<Score> {
    let n = y.len();
    let first = n.saturating_sub(e.origins).max(1);
    let (mut abs_scaled, mut sq_scaled, mut count, mut used) = (0.0, 0.0, 0usize, 0usize);
    let mut sq_by_step = vec![(0.0, 0usize); e.horizon];
    // Models fitted by numerical optimisation are fitted once, on the data
    // before the first origin in which they can be fitted, and forecast from
    // every origin with those parameters.
    let fitted = (first..n).find_map(|t| fit(method, &y[..t], &e.params));
    for t in first..n {
        let train = &y[..t];
        let test = &y[t..(t + e.horizon).min(n)];
        let f = match &fitted {
            Some(params) if train.len() >= method.min_length(&e.params) => {
                forecast_fitted(method, train, test.len(), params)
            }
            _ => forecast(method, train, test.len(), &e.params),
        };
        let Some(f) = f else {
            continue;
        };
        // A flat training series has no naive error: scale by its level.
        let mae = metrics::naive_mae(train)
            .or_else(|| {
                let m = train.iter().map(|v| v.abs()).sum::<f64>() / train.len() as f64;
                (m > 0.0).then_some(m)
            })
            .unwrap_or(1.0);
        let mse = metrics::naive_mse(train).unwrap_or(mae * mae);
        used += 1;
        for (k, (a, p)) in test.iter().zip(&f).enumerate() {
            let err = a - p;
            abs_scaled += err.abs() / mae;
            sq_scaled += err * err / mse;
            count += 1;
            sq_by_step[k].0 += err * err;
            sq_by_step[k].1 += 1;
        }
    }
    let possible = n - first;
    if count == 0 || used * 2 < possible {
        return None;
    }
    let mut rmse_by_step: Vec<f64> = Vec::new();
    for &(s, c) in &sq_by_step {
        match c {
            0 => {
                let last = rmse_by_step.last().copied().unwrap_or(0.0);
                rmse_by_step.push(last);
            }
            c => rmse_by_step.push((s / c as f64).sqrt()),
        }
    }
    Some(Score {
        method,
        mase: abs_scaled / count as f64,
        rmsse: (sq_scaled / count as f64).sqrt(),
        origins: used,
        rmse_by_step,
    })
}

/// A forecast with its intervals and why its method was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Choice {
    pub method: Method,
    pub mean: Vec<f64>,
    pub lower80: Vec<f64>,
    pub upper80: Vec<f64>,
    pub lower95: Vec<f64>,
    pub upper95: Vec<f64>,
    /// Every candidate scored, best first.
    pub scores: Vec<Score>,
    pub pattern: Pattern,
    pub reason: String,
}

/// Standard normal quantiles for the two-sided 80% and 95% intervals.
pub const Z80: f64 = 1.281_551_565_544_600_5;
pub const Z95: f64 = 1.959_963_984_540_054;

/// The root mean squared error expected `k` steps ahead (1-based): the
/// measured one, or, beyond the evaluated horizon, the last grown as
/// sqrt(k / last step).
pub fn step_rmse(rmse_by_step: &[f64], k: usize) -> f64 {
    match rmse_by_step.get(k - 1) {
        Some(&v) => v,
        None => {
            let last = rmse_by_step.len().max(1);
            rmse_by_step.last().copied().unwrap_or(0.0) * (k as f64 / last as f64).sqrt()
        }
    }
}

/// Chooses the candidate with the lowest rolling-origin MASE (ties: the
/// simpler, earlier in [`Method::ALL`]) and forecasts `h` months with it.
/// `forced`: use this method, still scored and explained.
pub fn choose(y: &[f64], h: usize, e: &Evaluation, forced: Option<Method>) -> Option<Choice> {
    let mut scores: Vec<Score> = e
        .candidates
        .iter()
        .filter_map(|&m| score(m, y, e))
        .collect();
    scores.sort_by(|a, b| a.mase.total_cmp(&b.mase).then(a.method.cmp(&b.method)));
    let pattern = metrics::pattern(y);
    let (method, reason) = match forced {
        Some(m) => (m, format!("{} as asked", m.as_str())),
        None => {
            let best = scores.first()?;
            let others: Vec<String> = scores
                .iter()
                .skip(1)
                .take(2)
                .map(|s| format!("{} {:.2}", s.method.as_str(), s.mase))
                .collect();
            (
                best.method,
                format!(
                    "lowest rolling-origin MASE {:.2} over {} origins x up to {} months ({} candidates; next: {}); demand {}",
                    best.mase,
                    best.origins,
                    e.horizon,
                    scores.len(),
                    if others.is_empty() {
                        "none".into()
                    } else {
                        others.join(", ")
                    },
                    pattern.class
                ),
            )
        }
    };
    let mean = forecast(method, y, h, &e.params)?;
    let rmse: Vec<f64> = scores
        .iter()
        .find(|s| s.method == method)
        .map(|s| s.rmse_by_step.clone())
        .unwrap_or_default();
    let band = |z: f64, sign: f64| -> Vec<f64> {
        mean.iter()
            .enumerate()
            .map(|(k, m)| (m + sign * z * step_rmse(&rmse, k + 1)).max(0.0))
            .collect()
    };
    Some(Choice {
        method,
        lower80: band(Z80, -1.0),
        upper80: band(Z80, 1.0),
        lower95: band(Z95, -1.0),
        upper95: band(Z95, 1.0),
        mean,
        scores,
        pattern,
        reason,
    })
}

/// [`choose`] for many series, on all cores.
pub fn choose_all(
    series: &[&[f64]],
    h: usize,
    e: &Evaluation,
    forced: Option<Method>,
) -> Vec<Option<Choice>> {
    use rayon::prelude::*;
    series.par_iter().map(|y| choose(y, h, e, forced)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_what_fits_and_says_why() {
        // A seasonal pattern: seasonal methods win.
        let y: Vec<f64> = (0..36)
            .map(|t| 100.0 + 40.0 * ((t % 12) as f64 / 11.0))
            .collect();
        let c = choose(&y, 6, &Evaluation::default(), None).unwrap();
        assert!(
            matches!(c.method, Method::SeasonalNaive | Method::HoltWinters),
            "{}",
            c.reason
        );
        assert!(
            c.reason.contains("lowest rolling-origin MASE"),
            "{}",
            c.reason
        );
        assert_eq!(c.mean.len(), 6);
        for k in 0..6 {
            assert!(c.lower95[k] <= c.lower80[k] && c.lower80[k] <= c.mean[k] + 1e-9);
            assert!(c.mean[k] <= c.upper80[k] + 1e-9 && c.upper80[k] <= c.upper95[k]);
        }
        // Intermittent demand is classified so.
        let mut z = vec![0.0; 36];
        for t in (2..36).step_by(5) {
            z[t] = 6.0;
        }
        let c = choose(&z, 3, &Evaluation::default(), None).unwrap();
        assert_eq!(c.pattern.class, "intermittent");
        assert!(c.reason.ends_with("demand intermittent"), "{}", c.reason);
        // Forcing a method keeps the scores.
        let c = choose(&z, 3, &Evaluation::default(), Some(Method::Naive)).unwrap();
        assert_eq!(c.method, Method::Naive);
        assert!(!c.scores.is_empty());
    }

    #[test]
    fn step_errors_grow_beyond_the_evaluated_horizon() {
        assert_eq!(step_rmse(&[1.0, 2.0], 2), 2.0);
        assert!((step_rmse(&[1.0, 2.0], 8) - 4.0).abs() < 1e-12);
        assert_eq!(step_rmse(&[], 3), 0.0);
    }
}
