//! Accuracy report: every model and the automatic choice on a hold-out of
//! the last months of each series (docs/formulas.md 4.6).

use crate::metrics::{INTERVAL_QUANTILES, mase, rmsse, scaled_pinball};
use crate::models::Method;
use crate::select::{Choice, Evaluation, choose_scored, evaluate};
use rayon::prelude::*;
use serde::Serialize;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AccuracyRow {
    /// A method's name, or `auto`.
    pub method: String,
    /// Series it could be scored on.
    pub series: usize,
    pub mean_mase: Option<f64>,
    pub median_mase: Option<f64>,
    pub mean_rmsse: Option<f64>,
    /// Mean scaled pinball loss of the 80% and 95% interval bounds (4.3).
    pub mean_spl: Option<f64>,
    /// Share of the held-out months inside the 80% and 95% intervals.
    pub coverage80: Option<f64>,
    pub coverage95: Option<f64>,
    /// Mean MASE relative to the naive method's on the same series.
    pub relative_to_naive: Option<f64>,
    /// Relative to the moving average's on the same series.
    pub relative_to_moving_average: Option<f64>,
}

/// One forecast scored on the held-out months.
struct Held {
    mase: f64,
    rmsse: Option<f64>,
    spl: Option<f64>,
    months: usize,
    in80: usize,
    in95: usize,
}

impl Held {
    /// `None` when the training part is flat (no MASE).
    fn new(test: &[f64], train: &[f64], c: &Choice) -> Option<Held> {
        let inside = |lo: &[f64], hi: &[f64]| {
            test.iter()
                .enumerate()
                .filter(|&(k, a)| lo[k] <= *a && *a <= hi[k])
                .count()
        };
        Some(Held {
            mase: mase(test, &c.mean, train)?,
            rmsse: rmsse(test, &c.mean, train),
            spl: scaled_pinball(
                test,
                &INTERVAL_QUANTILES
                    .into_iter()
                    .zip([&c.lower95, &c.lower80, &c.upper80, &c.upper95])
                    .map(|(q, b)| (q, b.as_slice()))
                    .collect::<Vec<_>>(),
                train,
            ),
            months: test.len(),
            in80: inside(&c.lower80, &c.upper80),
            in95: inside(&c.lower95, &c.upper95),
        })
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Scores every candidate of `e` and the automatic choice on the last
/// `holdout` months of each series (series with fewer than `holdout` + 6
/// months, or a flat training part, are left out).
pub fn report(series: &[Vec<f64>], holdout: usize, e: &Evaluation) -> Vec<AccuracyRow> {
    let names: Vec<String> = e
        .candidates
        .iter()
        .map(|m| m.as_str().to_string())
        .chain(std::iter::once("auto".to_string()))
        .collect();
    // Per series: each candidate's forecast (its intervals from its own
    // rolling-origin errors) then the automatic choice's.
    let scored: Vec<Vec<Option<Held>>> = series
        .par_iter()
        .filter(|y| y.len() >= holdout + 6)
        .map(|y| {
            let (train, test) = y.split_at(y.len() - holdout);
            let scores = evaluate(train, holdout, e);
            let held = |forced: Option<Method>| {
                choose_scored(train, holdout, e, forced, scores.clone())
                    .and_then(|c| Held::new(test, train, &c))
            };
            e.candidates
                .iter()
                .map(|&m| held(Some(m)))
                .chain(std::iter::once(held(None)))
                .collect()
        })
        .collect();
    let col = |j: usize| -> Vec<(usize, f64)> {
        scored
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r[j].as_ref().map(|v| (i, v.mase)))
            .collect()
    };
    let baseline = |name: Method| e.candidates.iter().position(|&m| m == name);
    let relative = |mine: &[(usize, f64)], base: Option<usize>| -> Option<f64> {
        let b = base?;
        let (mut s1, mut s2) = (0.0, 0.0);
        for &(i, v) in mine {
            if let Some(bv) = &scored[i][b] {
                s1 += v;
                s2 += bv.mase;
            }
        }
        (s2 > 0.0).then_some(s1 / s2)
    };
    (0..names.len())
        .map(|j| {
            let c = col(j);
            let mut vals: Vec<f64> = c.iter().map(|x| x.1).collect();
            let held: Vec<&Held> = scored.iter().filter_map(|r| r[j].as_ref()).collect();
            let rms: Vec<f64> = held.iter().filter_map(|h| h.rmsse).collect();
            let spl: Vec<f64> = held.iter().filter_map(|h| h.spl).collect();
            let months: usize = held.iter().map(|h| h.months).sum();
            let cov = |f: fn(&Held) -> usize| {
                (months > 0)
                    .then(|| held.iter().map(|h| f(h)).sum::<usize>() as f64 / months as f64)
            };
            AccuracyRow {
                mean_rmsse: (!rms.is_empty()).then(|| rms.iter().sum::<f64>() / rms.len() as f64),
                mean_spl: (!spl.is_empty()).then(|| spl.iter().sum::<f64>() / spl.len() as f64),
                coverage80: cov(|h| h.in80),
                coverage95: cov(|h| h.in95),
                method: names[j].clone(),
                series: c.len(),
                mean_mase: (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64),
                median_mase: median(&mut vals),
                relative_to_naive: relative(&c, baseline(Method::Naive)),
                relative_to_moving_average: relative(&c, baseline(Method::MovingAverage)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_scores_every_method_and_the_choice() {
        let series: Vec<Vec<f64>> = (0..20)
            .map(|s| {
                (0..36)
                    .map(|t| 50.0 + f64::from(s) + 10.0 * ((t % 12) as f64 / 11.0))
                    .collect()
            })
            .collect();
        let rows = report(&series, 6, &Evaluation::default());
        assert_eq!(rows.len(), crate::select::CANDIDATES.len() + 1);
        let auto = rows.last().unwrap();
        assert_eq!(auto.method, "auto");
        assert_eq!(auto.series, 20);
        let naive = rows.iter().find(|r| r.method == "naive").unwrap();
        assert_eq!(naive.relative_to_naive, Some(1.0));
        // On a clean seasonal pattern the choice beats the naive method.
        assert!(auto.relative_to_naive.unwrap() < 0.5, "{rows:?}");
        // Every row has its scaled pinball loss and coverage; a seasonal
        // pattern the choice knows has a smaller loss than the naive method's.
        for r in &rows {
            assert!(r.mean_spl.is_some_and(|v| v >= 0.0), "{r:?}");
            assert!(r.coverage80.is_some() && r.coverage95.is_some(), "{r:?}");
        }
        assert!(auto.mean_spl < naive.mean_spl, "{rows:?}");
    }
}
