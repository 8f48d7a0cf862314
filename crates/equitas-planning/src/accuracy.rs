//! Accuracy report: every model and the automatic choice on a hold-out of
//! the last months of each series (docs/formulas.md 4.6).

use crate::metrics::{INTERVAL_QUANTILES, mase, rmsse, scaled_pinball};
use crate::models::Method;
use crate::select::{Choice, Evaluation, Score, choose_scored, evaluate};
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
    /// The forecast `c` scored on the held-out months `test` whose index is
    /// in `kept` (those observed); `None` when the training part is flat
    /// (no MASE).
    fn new(test: &[f64], kept: &[usize], train: &[f64], c: &Choice) -> Option<Held> {
        let pick = |v: &[f64]| -> Vec<f64> { kept.iter().map(|&k| v[k]).collect() };
        let (actual, mean) = (pick(test), pick(&c.mean));
        let [l95, l80, u80, u95] =
            [&c.lower95, &c.lower80, &c.upper80, &c.upper95].map(|b| pick(b));
        let inside = |lo: &[f64], hi: &[f64]| {
            actual
                .iter()
                .enumerate()
                .filter(|&(k, a)| lo[k] <= *a && *a <= hi[k])
                .count()
        };
        Some(Held {
            mase: mase(&actual, &mean, train)?,
            rmsse: rmsse(&actual, &mean, train),
            spl: scaled_pinball(
                &actual,
                &INTERVAL_QUANTILES
                    .into_iter()
                    .zip([&l95, &l80, &u80, &u95])
                    .map(|(q, b)| (q, b.as_slice()))
                    .collect::<Vec<_>>(),
                train,
            ),
            months: actual.len(),
            in80: inside(&l80, &u80),
            in95: inside(&l95, &u95),
        })
    }
}

/// The report, and what it could not score.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub rows: Vec<AccuracyRow>,
    /// Series shorter than the held-out months + [`MIN_TRAINING`].
    pub too_short: usize,
    /// Series without an observed held-out month (nothing to score against).
    pub unobserved: usize,
    /// Held-out months without an observed value left out of the series
    /// scored.
    pub unobserved_months: usize,
}

/// Months a series needs before its held-out months.
pub const MIN_TRAINING: usize = 6;

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

/// Scores every model (the candidates of `e`, then the others) and the
/// automatic choice (among the candidates of `e`) on the last
/// `holdout` months of each series, on those months with an observed value
/// (`unobserved`, beside each series' values, false; a month imputed wholly
/// is no actual to score against; an area's month with some facilities'
/// values imputed is scored). Series with fewer than `holdout` + 6 months,
/// without an observed held-out month, or with a flat training part (no
/// row counts them), are left out.
pub fn report(series: &[(&[f64], &[bool])], holdout: usize, e: &Evaluation) -> Report {
    let too_short = series
        .iter()
        .filter(|(y, _)| y.len() < holdout + MIN_TRAINING)
        .count();
    // Each series long enough with its observed held-out months.
    let usable: Vec<(&[f64], Vec<usize>)> = series
        .iter()
        .filter(|(y, _)| y.len() >= holdout + MIN_TRAINING)
        .map(|&(y, unobserved)| {
            let start = y.len() - holdout;
            let kept = (0..holdout)
                .filter(|&k| !unobserved.get(start + k).copied().unwrap_or(false))
                .collect();
            (y, kept)
        })
        .collect();
    let unobserved = usable.iter().filter(|(_, kept)| kept.is_empty()).count();
    let unobserved_months = usable
        .iter()
        .filter(|(_, kept)| !kept.is_empty())
        .map(|(_, kept)| holdout - kept.len())
        .sum();
    // Every model: the candidates of the choice, then the others (`ets`).
    let every = Evaluation {
        candidates: e
            .candidates
            .iter()
            .copied()
            .chain(
                Method::ALL
                    .into_iter()
                    .filter(|m| !e.candidates.contains(m)),
            )
            .collect(),
        ..e.clone()
    };
    let names: Vec<String> = every
        .candidates
        .iter()
        .map(|m| m.as_str().to_string())
        .chain(std::iter::once("auto".to_string()))
        .collect();
    // Per series: each model's forecast (its intervals from its own
    // rolling-origin errors) then the automatic choice's, among its own
    // candidates only (a score does not depend on the others scored).
    let scored: Vec<Vec<Option<Held>>> = usable
        .par_iter()
        .filter(|(_, kept)| !kept.is_empty())
        .map(|(y, kept)| {
            let (train, test) = y.split_at(y.len() - holdout);
            let scores = evaluate(train, holdout, &every);
            let held = |forced: Option<Method>, scores: Vec<Score>| {
                choose_scored(train, holdout, e, forced, scores)
                    .and_then(|c| Held::new(test, kept, train, &c))
            };
            let own: Vec<Score> = scores
                .iter()
                .filter(|s| e.candidates.contains(&s.method))
                .cloned()
                .collect();
            every
                .candidates
                .iter()
                .map(|&m| held(Some(m), scores.clone()))
                .chain(std::iter::once(held(None, own)))
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
    let baseline = |name: Method| every.candidates.iter().position(|&m| m == name);
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
    let rows = (0..names.len())
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
        .collect();
    Report {
        rows,
        too_short,
        unobserved,
        unobserved_months,
    }
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
        let observed = vec![false; 36];
        let input: Vec<(&[f64], &[bool])> = series
            .iter()
            .map(|y| (y.as_slice(), observed.as_slice()))
            .collect();
        let r = report(&input, 6, &Evaluation::default());
        assert_eq!((r.too_short, r.unobserved), (0, 0));
        let rows = r.rows;
        // Every model, `ets` too, and the choice.
        assert_eq!(rows.len(), Method::ALL.len() + 1);
        assert!(rows.iter().any(|r| r.method == "ets" && r.series == 20));
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

    #[test]
    fn imputed_held_out_months_are_not_scored() {
        // A series whose last 2 months are imputed (100 and 101 where the
        // demand was not recorded), and a real jump to 300 in month 31.
        let mut y: Vec<f64> = (0..36).map(|t| 100.0 + f64::from(t % 2)).collect();
        y[30] = 300.0;
        let mut imputed = vec![false; 36];
        imputed[34] = true;
        imputed[35] = true;
        let all_observed = vec![false; 36];
        let naive_row = |flags: &[bool]| {
            let r = report(&[(&y, flags)], 6, &Evaluation::default());
            r.rows.into_iter().find(|r| r.method == "naive").unwrap()
        };
        let r = report(&[(&y, &imputed)], 6, &Evaluation::default());
        assert_eq!((r.unobserved, r.unobserved_months), (0, 2));
        let masked = naive_row(&imputed);
        let full = naive_row(&all_observed);
        // Naive forecasts 101 (month 30's value, index 29); scale: the
        // in-sample naive MAE of months 1-30, 1.0. Observed months
        // 300, 101, 100, 101: |errors| 199, 0, 1, 0, mean 50; with the
        // imputed 100, 101 as actuals too: 201 / 6 = 33.5.
        assert!(
            (masked.mean_mase.unwrap() - 50.0).abs() < 1e-9,
            "{masked:?}"
        );
        assert!((full.mean_mase.unwrap() - 33.5).abs() < 1e-9, "{full:?}");
        // Every held-out month imputed: nothing to score, counted.
        let none = vec![true; 36];
        let r = report(&[(&y, &none)], 6, &Evaluation::default());
        assert_eq!((r.unobserved, r.too_short), (1, 0));
        assert!(r.rows.iter().all(|r| r.series == 0));
        let r = report(&[(&y[..10], &none[..10])], 6, &Evaluation::default());
        assert_eq!((r.unobserved, r.too_short), (0, 1));
    }
}
