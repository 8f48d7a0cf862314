//! Automatic model choice by rolling-origin evaluation, and prediction
//! intervals from the errors it measures (docs/formulas.md 4.4-4.5).

use crate::metrics::{self, Pattern};
use crate::models::{
    FitCache, Method, ModelParams, fit_cached, forecast_cached, forecast_fitted, forecast_held,
};
use serde::Serialize;

/// How candidates are compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Forecast origins: the last `origins` months, each forecasting up to
    /// `horizon` months (or the horizon asked for, if shorter) from the data
    /// before it.
    pub origins: usize,
    pub horizon: usize,
    pub candidates: Vec<Method>,
    /// The automatic forecast is the median of at most this many
    /// best-ranked models ...
    pub combine: usize,
    /// ... those whose ranking score is at most this many times the best's.
    pub within: f64,
    /// Series shorter than this are forecast by the median of [`ROBUST`]: too
    /// few months to choose.
    pub shortest: usize,
    /// Intermittent and lumpy series (4.3) choose among [`INTERMITTENT`] only.
    pub shortlist: bool,
    /// What candidates are ranked by.
    pub rank: Rank,
    /// Of the best-ranked models, those combined are the best and those
    /// the back-test cannot tell from it: their mean paired per-origin loss
    /// difference with the best is at most this many standard errors.
    pub separate: f64,
    /// The forecast of smooth and erratic demand (4.3) unless the back-test
    /// shows the chosen models better ...
    pub steady: Option<Method>,
    /// ... by more than this many standard errors of the paired per-origin
    /// loss differences.
    pub steady_margin: f64,
    pub params: ModelParams,
}

impl Default for Evaluation {
    fn default() -> Evaluation {
        Evaluation {
            origins: 12,
            horizon: 6,
            candidates: CANDIDATES.to_vec(),
            combine: 3,
            within: 3.0,
            shortest: 12,
            shortlist: true,
            rank: Rank::Owa,
            separate: 1.0,
            steady: Some(Method::Tsb),
            steady_margin: 3.0,
            params: ModelParams::default(),
        }
    }
}

/// The candidates of the automatic choice (4.4): every method but `ets`
/// (in place of Holt, damped Holt and Holt-Winters, or beside them, it
/// was not better on both the tuning and the held-out months:
/// docs/formulas.md 4.4).
pub const CANDIDATES: [Method; 14] = [
    Method::Naive,
    Method::SeasonalNaive,
    Method::MovingAverage,
    Method::Ses,
    Method::Holt,
    Method::DampedHolt,
    Method::HoltWinters,
    Method::Theta,
    Method::Croston,
    Method::CrostonSba,
    Method::CrostonOptimized,
    Method::Tsb,
    Method::Adida,
    Method::Imapa,
];

/// The models combined when a series is too short to choose: one for
/// level, one for recent months, one for intermittent demand.
pub const ROBUST: [Method; 3] = [Method::Ses, Method::MovingAverage, Method::CrostonSba];

/// The ranking score of the candidates (4.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rank {
    Rmsse,
    Mase,
    /// The mean of MASE and RMSSE, each relative to the naive method's on
    /// the same series: the M4 competition's overall weighted average.
    Owa,
}

/// The candidates for intermittent and lumpy demand: the methods made for
/// it and the two benchmarks they are compared with (Syntetos & Boylan 2005).
pub const INTERMITTENT: [Method; 8] = [
    Method::MovingAverage,
    Method::Ses,
    Method::Croston,
    Method::CrostonSba,
    Method::CrostonOptimized,
    Method::Tsb,
    Method::Adida,
    Method::Imapa,
];

/// One candidate's rolling-origin accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Score {
    pub method: Method,
    /// Mean over origins and steps of |error| / the origin's naive MAE.
    pub mase: f64,
    /// Square root of the mean over origins and steps of error² / the
    /// origin's naive mean squared error: the ranking score.
    pub rmsse: f64,
    /// The ranking score (4.4; by default the mean of MASE and RMSSE, each
    /// relative to the naive method's on the same series).
    pub rank: f64,
    pub origins: usize,
    /// Root mean squared error at each step ahead (1, 2, ...).
    #[serde(skip)]
    pub rmse_by_step: Vec<f64>,
    /// Each origin's forecasts (origin month index in the series, values).
    #[serde(skip)]
    pub backtest: Vec<(usize, Vec<f64>)>,
}

/// The scales of the errors forecast from origin `t` (the training months
/// `train`): naive MAE and MSE; a flat training series has no naive error
/// and is scaled by its level (or 1 if all zeros).
fn scales(train: &[f64]) -> (f64, f64) {
    let mae = metrics::naive_mae(train)
        .or_else(|| {
            let m = train.iter().map(|v| v.abs()).sum::<f64>() / train.len() as f64;
            (m > 0.0).then_some(m)
        })
        .unwrap_or(1.0);
    (mae, metrics::naive_mse(train).unwrap_or(mae * mae))
}

/// The accuracy of back-test forecasts `backtest` of `y`.
fn accuracy(method: Method, y: &[f64], backtest: Vec<(usize, Vec<f64>)>, horizon: usize) -> Score {
    let (mut abs_scaled, mut sq_scaled, mut count) = (0.0, 0.0, 0usize);
    let mut sq_by_step = vec![(0.0, 0usize); horizon];
    for (t, f) in &backtest {
        let (mae, mse) = scales(&y[..*t]);
        for (k, (a, p)) in y[*t..].iter().zip(f).enumerate() {
            let err = a - p;
            abs_scaled += err.abs() / mae;
            sq_scaled += err * err / mse;
            count += 1;
            sq_by_step[k].0 += err * err;
            sq_by_step[k].1 += 1;
        }
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
    let n = count.max(1) as f64;
    Score {
        method,
        mase: abs_scaled / n,
        rmsse: (sq_scaled / n).sqrt(),
        rank: (sq_scaled / n).sqrt(),
        origins: backtest.len(),
        rmse_by_step,
        backtest,
    }
}

/// Months an origin's training part has at least: each origin's errors are
/// scaled by the naive error of its training part, which over one or two
/// months is one difference or none, and would let that origin outweigh
/// the others (a steady series scored an RMSSE of 11); the months held-out
/// accuracy fits on at least (4.6).
pub const MIN_ORIGIN_TRAINING: usize = 6;

/// The first origin of a series of `n` months: the last `e.origins`, each
/// after at least [`MIN_ORIGIN_TRAINING`] months.
fn first_origin(n: usize, e: &Evaluation) -> usize {
    n.saturating_sub(e.origins).max(MIN_ORIGIN_TRAINING.min(n))
}

/// Scores `method` on `y` by rolling origins, forecasting up to `horizon`
/// months from each; `None` if it can be scored at fewer than half of them.
pub fn score(method: Method, y: &[f64], horizon: usize, e: &Evaluation) -> Option<Score> {
    score_with(method, y, horizon, e, &mut FitCache::default())
}

/// [`score`], the fits kept in `cache` for the other candidates scored on
/// the same series `y`.
fn score_with(
    method: Method,
    y: &[f64],
    horizon: usize,
    e: &Evaluation,
    cache: &mut FitCache,
) -> Option<Score> {
    let n = y.len();
    let first = first_origin(n, e);
    let horizon = horizon.max(1);
    // Models fitted by numerical optimisation are fitted once, on the data
    // before the first origin in which they can be fitted, and forecast from
    // every origin with those parameters.
    let fitted = (first..n).find_map(|t| fit_cached(method, &y[..t], &e.params, cache));
    let mut backtest = Vec::new();
    for t in first..n {
        let train = &y[..t];
        let steps = horizon.min(n - t);
        let f = match &fitted {
            Some(params) if train.len() >= method.min_length(&e.params) => {
                forecast_fitted(method, train, steps, params)
            }
            _ => forecast_cached(method, train, steps, &e.params, cache),
        };
        if let Some(f) = f {
            backtest.push((t, f));
        }
    }
    if backtest.is_empty() || backtest.len() * 2 < n - first {
        return None;
    }
    Some(accuracy(method, y, backtest, horizon))
}

/// Every candidate of `e` scored on `y` over `h` months ahead (at most
/// `e.horizon`), best first: by the ranking score of `e.rank`, then RMSSE,
/// then MASE, then the simpler model (earlier in [`Method::ALL`]).
pub fn evaluate(y: &[f64], h: usize, e: &Evaluation) -> Vec<Score> {
    let horizon = h.clamp(1, e.horizon.max(1));
    let mut cache = FitCache::default();
    let mut scores: Vec<Score> = e
        .candidates
        .iter()
        .filter_map(|&m| score_with(m, y, horizon, e, &mut cache))
        .collect();
    // The naive method's scores, the reference of the M4 ranking (without
    // them, or if either is 0, candidates are ranked by RMSSE).
    let naive = naive_reference(&scores);
    for s in &mut scores {
        s.rank = match (e.rank, naive) {
            (Rank::Rmsse, _) | (Rank::Owa, None) => s.rmsse,
            (Rank::Mase, _) => s.mase,
            (Rank::Owa, Some((m, r))) => (s.mase / m + s.rmsse / r) / 2.0,
        };
    }
    scores.sort_by(|a, b| {
        a.rank
            .total_cmp(&b.rank)
            .then(a.rmsse.total_cmp(&b.rmsse))
            .then(a.mase.total_cmp(&b.mase))
            .then(a.method.cmp(&b.method))
    });
    scores
}

/// A back-test without a single error on months that were all the same
/// (the evaluated ones) in a series that varies: the recent months happened
/// to repeat what the model repeats (zeros for the naive method after months
/// without demand), which says nothing of the months to come. (A model
/// exact on months that vary, seasonal naive on a strictly seasonal series,
/// is not lucky.)
fn too_lucky(s: &Score, y: &[f64], e: &Evaluation) -> bool {
    let first = first_origin(y.len(), e);
    let recent = &y[first..];
    let flat = |v: &[f64]| v.iter().all(|&x| x == v[0]);
    !recent.is_empty() && flat(recent) && !flat(y) && s.rmse_by_step.iter().all(|&r| no_error(r, y))
}

/// Whether an error measured on `y` is none: at most a billionth of the
/// largest month (a model's recursion decaying toward 0 leaves errors of
/// 1e-11 where its forecasts are exact to the unit: they are no evidence
/// of precision; until 2026-12-06 only an error of exactly 0 was none).
fn no_error(r: f64, y: &[f64]) -> bool {
    r <= 1e-9 * y.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// The naive method's MASE and RMSSE among `scores`, the reference of the
/// M4 ranking (4.4), if both are positive.
fn naive_reference(scores: &[Score]) -> Option<(f64, f64)> {
    scores
        .iter()
        .find(|s| s.method == Method::Naive)
        .filter(|s| s.mase > 0.0 && s.rmsse > 0.0)
        .map(|s| (s.mase, s.rmsse))
}

/// Each origin's ranking loss of the back-test `s` of `y` (4.4): the
/// ranking measure of its forecasts from that origin alone.
fn origin_losses(s: &Score, y: &[f64], rank: Rank, naive: Option<(f64, f64)>) -> Vec<(usize, f64)> {
    s.backtest
        .iter()
        .map(|(t, f)| {
            let (mae, mse) = scales(&y[..*t]);
            let (mut a, mut q, mut n) = (0.0, 0.0, 0usize);
            for (x, p) in y[*t..].iter().zip(f) {
                let err = x - p;
                a += err.abs() / mae;
                q += err * err / mse;
                n += 1;
            }
            let n = n.max(1) as f64;
            let (a, r) = (a / n, (q / n).sqrt());
            let l = match (rank, naive) {
                (Rank::Rmsse, _) | (Rank::Owa, None) => r,
                (Rank::Mase, _) => a,
                (Rank::Owa, Some((m, rr))) => (a / m + r / rr) / 2.0,
            };
            (*t, l)
        })
        .collect()
}

/// The mean and standard error of the paired differences `a` − `b` of
/// per-origin losses, over the origins both have; `None` with fewer than 2.
fn paired(a: &[(usize, f64)], b: &[(usize, f64)]) -> Option<(f64, f64)> {
    let d: Vec<f64> = a
        .iter()
        .filter_map(|(t, l)| b.iter().find(|x| x.0 == *t).map(|x| l - x.1))
        .collect();
    if d.len() < 2 {
        return None;
    }
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((mean, (var / n).sqrt()))
}

/// Whether the back-test cannot tell `other` from `best`: their mean paired
/// loss difference is at most `k` standard errors.
fn indistinct(best: &[(usize, f64)], other: &[(usize, f64)], k: f64) -> bool {
    paired(other, best).is_none_or(|(m, se)| m <= k * se)
}

/// Whether `a` beats `b` by more than `k` standard errors.
fn beats(a: &[(usize, f64)], b: &[(usize, f64)], k: f64) -> bool {
    paired(a, b).is_some_and(|(m, se)| m < -k * se)
}

/// A forecast with its intervals and why its method was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Choice {
    /// The method forecasting, or the best-scored of those combined.
    pub method: Method,
    /// The methods whose forecasts are combined (their median), best first
    /// (one when a single method forecasts).
    pub combined: Vec<Method>,
    pub mean: Vec<f64>,
    pub lower80: Vec<f64>,
    pub upper80: Vec<f64>,
    pub lower95: Vec<f64>,
    pub upper95: Vec<f64>,
    /// The standard deviation of each month's demand that plans and risks
    /// draw from (4.8): the 95% interval's half-width ÷ 1.96, but where no
    /// back-test measured the error, the predictive standard deviation
    /// s √(1 + 1/n) with the same 95% multiplier, without Student's t
    /// (which widens a short series' interval for its coverage: as a
    /// gamma's spread, 9.5 s for two months made a stockout look less
    /// likely, its mass piled at 0; review of 2026-12-07).
    pub sigma: Vec<f64>,
    /// Every candidate scored, best first.
    pub scores: Vec<Score>,
    /// The rolling-origin MASE and RMSSE of the forecast made (of the
    /// combination, at the origins where all its models forecast; `None`
    /// for a method asked for that could not be scored).
    pub backtest_mase: Option<f64>,
    pub backtest_rmsse: Option<f64>,
    pub pattern: Pattern,
    pub reason: String,
}

/// Standard normal quantiles for the two-sided 80% and 95% intervals.
pub const Z80: f64 = 1.281_551_565_544_600_5;
pub const Z95: f64 = 1.959_963_984_540_054;

/// The root mean squared error expected `k` steps ahead (1-based): the
/// largest measured at steps 1 to `k` (an error does not shrink with the
/// horizon; the later steps are measured from fewer origins), or, beyond
/// the evaluated horizon, the last grown as sqrt(k / last step).
pub fn step_rmse(rmse_by_step: &[f64], k: usize) -> f64 {
    let measured = rmse_by_step.len();
    let upto = rmse_by_step[..k.min(measured)]
        .iter()
        .copied()
        .fold(0.0, f64::max);
    if k <= measured {
        upto
    } else {
        upto * (k as f64 / measured.max(1) as f64).sqrt()
    }
}

/// The sample standard deviation of `y` (0 for one month).
fn spread(y: &[f64]) -> f64 {
    let n = y.len().max(1) as f64;
    let mean = y.iter().sum::<f64>() / n;
    // The sample's (n − 1): of a few months, the population's understates
    // the spread (of two, it is half their difference).
    (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt()
}

/// 80% and 95% intervals around `mean` from the errors expected at each
/// step (4.5); a step whose measured error is 0 on a series `y` that varies
/// takes the series' standard deviation instead, so that no interval has
/// zero width where the history varies. A series of one month says nothing
/// of its variation: it takes the standard deviation of a Poisson count of
/// that mean, its square root.
pub fn intervals(
    mean: &[f64],
    rmse_by_step: &[f64],
    y: &[f64],
    [z80, z95]: [f64; 2],
) -> [Vec<f64>; 4] {
    let [floor80, floor95] = floors(y);
    let s: Vec<(f64, f64)> = measured(mean.len(), rmse_by_step, y)
        .map(|r| r.map_or((floor80, floor95), |r| (r, r)))
        .collect();
    let band = |z: f64, sign: f64, at95: bool| -> Vec<f64> {
        mean.iter()
            .zip(&s)
            .map(|(m, s)| (m + sign * z * if at95 { s.1 } else { s.0 }).max(0.0))
            .collect()
    };
    [
        band(z80, -1.0, false),
        band(z80, 1.0, false),
        band(z95, -1.0, true),
        band(z95, 1.0, true),
    ]
}

/// Each of `h` steps' error as the back-test measured it, or `None` where
/// it measured none (no back-test, or no error on a series that varies:
/// 4.5).
fn measured<'a>(
    h: usize,
    rmse_by_step: &'a [f64],
    y: &'a [f64],
) -> impl Iterator<Item = Option<f64>> + 'a {
    (1..=h).map(move |k| {
        let r = step_rmse(rmse_by_step, k);
        (!no_error(r, y)).then_some(r)
    })
}

/// The predictive standard deviation of a level forecast of `y`: the
/// sample standard deviation × √(1 + 1/n) (the level is estimated too);
/// of one month, a Poisson count's, √ of it.
fn level_sd(y: &[f64]) -> f64 {
    match y {
        [one] => one.max(0.0).sqrt(),
        _ => spread(y) * (1.0 + 1.0 / y.len().max(2) as f64).sqrt(),
    }
}

/// [`Choice::sigma`]: for each of `h` steps, `z95` ÷ 1.96 times the step's
/// measured error, or where none was measured [`level_sd`].
fn demand_sigma(h: usize, rmse_by_step: &[f64], y: &[f64], z95: f64) -> Vec<f64> {
    let floor = level_sd(y);
    measured(h, rmse_by_step, y)
        .map(|r| z95 / Z95 * r.unwrap_or(floor))
        .collect()
}

/// The error to expect of a series' forecast where no back-test measured
/// one (4.5), for the 80% and the 95% interval, in units of the normal
/// quantiles [`Z80`] and [`Z95`] the multipliers start from. Of `n` ≥ 2
/// months: the classical interval for one more observation of a sample of
/// `n`, Student's t with `n` − 1 degrees of freedom times the sample
/// standard deviation times √(1 + 1/`n`) (the level is estimated too: Hahn,
/// Meeker & Escobar, *Statistical Intervals*, 2nd ed., 2017, 4.3;
/// Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd
/// ed., 5.5, the mean method), the same at every step ahead: the forecast
/// is a level, whose error does not grow with the horizon on a series
/// that does not trend. Until 2026-12-07 the normal quantile and the
/// standard deviation alone: of 3 months, the 80% interval was 0.59 of
/// this one. Of one month: a Poisson count's standard deviation, √ of it.
fn floors(y: &[f64]) -> [f64; 2] {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let s = level_sd(y);
    if y.len() == 1 {
        return [s, s];
    }
    let n = y.len().max(2) as f64;
    let t = |p: f64, z: f64| -> f64 {
        StudentsT::new(0.0, 1.0, n - 1.0).map_or(1.0, |d| d.inverse_cdf(p) / z)
    };
    [s * t(0.9, Z80), s * t(0.975, Z95)]
}

/// The 95% interval's multiplier is the normal quantile times this,
/// calibrated on earlier months than those held out (docs/formulas.md 4.5).
pub const WIDEN95: f64 = 1.2;

/// Fewest back-test errors from which the interval multipliers are
/// calibrated; with fewer, the normal quantiles [`Z80`] and [`Z95`].
pub const CALIBRATION_ERRORS: usize = 12;

/// The factor of the 80% multiplier for a series of demand class `class`
/// (4.3): split conformal calibration per class (Mondrian conformal
/// prediction, Vovk et al. 2005, 4.5), chosen on the tuning months of
/// docs/formulas.md 4.4-4.5, never on the months held out (4.5 gives the
/// measurements).
pub fn class_factor(class: &str) -> f64 {
    match class {
        "smooth" => 1.17,
        "erratic" => 1.18,
        "intermittent" => 0.95,
        "lumpy" => 0.94,
        _ => 1.0,
    }
}

/// The multipliers of the step errors for the 80% and 95% intervals (4.5).
/// 80%: calibrated on the back-test `s` of `y` (split conformal prediction,
/// Vovk et al. 2005; Lei et al. 2018): each back-test error divided by the
/// error expected at its step ([`step_rmse`]); of these *n* scores the
/// ⌈(*n* + 1) × 0.8⌉-th smallest; the normal quantile with fewer than
/// [`CALIBRATION_ERRORS`] scores, or where the calibrated one is 0; then
/// times `factor` (for the automatic choice, the [`class_factor`] of `y`'s
/// demand class; 1 for a model asked for). 95%: the normal
/// quantile times [`WIDEN95`] (a series' own 20 or so errors say too little
/// of its tail), and never below the 80% one (nested intervals).
pub fn multipliers(y: &[f64], s: Option<&Score>, factor: f64) -> [f64; 2] {
    let mut r: Vec<f64> = Vec::new();
    for (t, f) in s.map(|s| s.backtest.as_slice()).unwrap_or_default() {
        for (k, (a, p)) in y[*t..].iter().zip(f).enumerate() {
            let step = s.map_or(0.0, |s| step_rmse(&s.rmse_by_step, k + 1));
            // A step with no error takes the series' spread (`intervals`):
            // its ratios say nothing of the errors to expect.
            if !no_error(step, y) {
                r.push((a - p).abs() / step);
            }
        }
    }
    let own = if r.len() < CALIBRATION_ERRORS {
        Z80
    } else {
        r.sort_by(f64::total_cmp);
        let i = ((r.len() + 1) as f64 * 0.8).ceil() as usize;
        let v = r[i.clamp(1, r.len()) - 1];
        if v > 0.0 { v } else { Z80 }
    };
    let z80 = own * factor;
    [z80, (WIDEN95 * Z95).max(z80)]
}

/// How many of the candidates with these ranking scores (best first) are
/// combined: at most `e.combine`, those within `e.within` times the best.
pub fn pooled(ranked: &[f64], e: &Evaluation) -> usize {
    let top = ranked.first().copied().unwrap_or(0.0);
    ranked
        .iter()
        .enumerate()
        .take_while(|&(i, &r)| i == 0 || r <= e.within * top)
        .count()
        .min(e.combine.max(1))
}

/// The median of several models' forecasts, step by step (the mean of
/// the middle two for an even number).
fn median_of(forecasts: &[Vec<f64>], h: usize) -> Vec<f64> {
    (0..h)
        .map(|k| {
            let mut v: Vec<f64> = forecasts.iter().map(|f| f[k]).collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            }
        })
        .collect()
}

/// The back-test of the median of `scores`' models: at the origins where all
/// forecast.
fn combined_backtest(y: &[f64], scores: &[&Score], horizon: usize) -> Option<Score> {
    let first = scores.first()?;
    let backtest: Vec<(usize, Vec<f64>)> = first
        .backtest
        .iter()
        .filter_map(|(t, _)| {
            let fs: Vec<Vec<f64>> = scores
                .iter()
                .map(|s| s.backtest.iter().find(|b| b.0 == *t).map(|b| b.1.clone()))
                .collect::<Option<_>>()?;
            Some((*t, median_of(&fs, fs[0].len())))
        })
        .collect();
    (!backtest.is_empty()).then(|| accuracy(first.method, y, backtest, horizon))
}

/// The forecast of `y` for `h` months (docs/formulas.md 4.4): the median of
/// the models best ranked by rolling origin over the horizon asked for
/// ([`evaluate`]; intermittent and lumpy demand among [`INTERMITTENT`]), at
/// most `e.combine` of them and within `e.within` times the best, and of
/// those the ones the back-test cannot tell from the best (`e.separate`
/// standard errors of the paired per-origin losses; models whose back-test
/// has no error at all on flat recent months of a varying series left out);
/// smooth and erratic demand by `e.steady` (TSB) unless that median beats
/// it by more than `e.steady_margin` standard errors; for a series shorter
/// than `e.shortest`, the median of [`ROBUST`]. `forced`: use this method,
/// still scored and explained.
pub fn choose(y: &[f64], h: usize, e: &Evaluation, forced: Option<Method>) -> Option<Choice> {
    match forced {
        // A model asked for that is no candidate (`ets`) is scored alone:
        // its back-test gives its intervals (4.5); the candidates' scores
        // would serve nothing.
        Some(m) if !e.candidates.contains(&m) => {
            let alone = Evaluation {
                candidates: vec![m],
                ..e.clone()
            };
            choose_scored(y, h, &alone, forced, evaluate(y, h, &alone))
        }
        _ => choose_scored(y, h, e, forced, evaluate(y, h, e)),
    }
}

/// [`choose`] with the candidates already scored by [`evaluate`].
pub fn choose_scored(
    y: &[f64],
    h: usize,
    e: &Evaluation,
    forced: Option<Method>,
    scores: Vec<Score>,
) -> Option<Choice> {
    let pattern = metrics::pattern(y);
    let horizon = h.clamp(1, e.horizon.max(1));
    let listed = |ss: &[&Score]| -> String {
        ss.iter()
            .map(|s| format!("{} {:.2}", s.method.as_str(), s.rank))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Too short to choose, the moving average is of the months there are
    // where they are fewer than its window: of 2 months, their mean (the
    // median of SES and Croston-SBA alone could lie below both months).
    let short = forced.is_none() && y.len() < e.shortest;
    let params = ModelParams {
        window: if short {
            e.params.window.min(y.len()).max(1)
        } else {
            e.params.window
        },
        ..e.params
    };
    let (combined, reason): (Vec<Method>, String) = match forced {
        Some(m) => (vec![m], format!("{} as asked", m.as_str())),
        // One month: no level, trend or intermittence to estimate; the
        // month itself (Croston-SBA would lower it by 5% for an
        // intermittence nothing shows).
        None if y.len() <= 1 => (
            vec![Method::Naive],
            format!(
                "1 month is too few to choose: that month (naive); demand {}",
                pattern.class
            ),
        ),
        None if short => {
            let ms: Vec<Method> = ROBUST
                .into_iter()
                .filter(|&m| y.len() >= m.min_length(&params))
                .collect();
            let names: Vec<String> = ms
                .iter()
                .map(|m| match m {
                    Method::MovingAverage if params.window < e.params.window => {
                        format!("moving_average of the {} months", params.window)
                    }
                    _ => m.as_str().to_string(),
                })
                .collect();
            (
                ms,
                format!(
                    "{} months are too few to choose: median of {}; demand {}",
                    y.len(),
                    names.join(", "),
                    pattern.class
                ),
            )
        }
        None => {
            let intermittent = matches!(pattern.class, "intermittent" | "lumpy");
            let shortlisted = e.shortlist && intermittent;
            let ranked: Vec<&Score> = scores
                .iter()
                .filter(|s| !shortlisted || INTERMITTENT.contains(&s.method))
                .collect();
            let fair: Vec<&Score> = ranked
                .iter()
                .copied()
                .filter(|s| !too_lucky(s, y, e))
                .collect();
            let lucky = ranked.len() - fair.len();
            let pool = if fair.is_empty() { ranked } else { fair };
            let keys: Vec<f64> = pool.iter().map(|s| s.rank).collect();
            let naive = naive_reference(&scores);
            let loss = |s: &Score| origin_losses(s, y, e.rank, naive);
            // The best-ranked (at most `combine`, within `within` times the
            // best), then of those the best and the ones the back-test
            // cannot tell from it.
            let near: Vec<&Score> = pool.into_iter().take(pooled(&keys, e)).collect();
            let top = loss(near.first()?);
            let best: Vec<&Score> = near
                .iter()
                .enumerate()
                .filter(|&(i, s)| i == 0 || indistinct(&top, &loss(s), e.separate))
                .map(|(_, s)| *s)
                .collect();
            let name = match e.rank {
                Rank::Owa => "accuracy (mean of MASE and RMSSE relative to naive)",
                Rank::Rmsse => "RMSSE",
                Rank::Mase => "MASE",
            };
            let chose = format!(
                "{} best rolling-origin {} over {} origins x up to {} months: {} ({} candidates{}{})",
                if best.len() == 1 {
                    "the model with the".to_string()
                } else {
                    format!("median of the {} models with the", best.len())
                },
                name,
                best[0].origins,
                horizon,
                listed(&best),
                scores.len(),
                if shortlisted {
                    format!(", {} for intermittent demand", INTERMITTENT.len())
                } else {
                    String::new()
                },
                if lucky > 0 {
                    format!(", {lucky} left out for a back-test without error")
                } else {
                    String::new()
                },
            );
            // Smooth and erratic demand: the steady model unless the chosen
            // ones beat it clearly in the back-test.
            let steady = e
                .steady
                .filter(|_| !intermittent && pattern.adi.is_some())
                .and_then(|m| scores.iter().find(|s| s.method == m));
            let kept = steady.filter(|d| {
                !combined_backtest(y, &best, horizon)
                    .is_some_and(|c| beats(&loss(&c), &loss(d), e.steady_margin))
            });
            match kept {
                Some(d) => (
                    vec![d.method],
                    format!(
                        "{} ({:.2}), the forecast of steady demand, kept: what the back-test chose, {}, did not beat it by more than {} standard errors (scores: lower is better); demand {}",
                        d.method.as_str(),
                        d.rank,
                        chose,
                        e.steady_margin,
                        pattern.class
                    ),
                ),
                // Said when the steady model was set aside (4.4).
                None => (
                    best.iter().map(|s| s.method).collect(),
                    format!(
                        "{chose}{}; demand {}",
                        steady.map_or(String::new(), |d| format!(
                            "; it beat {} ({:.2}), the forecast of steady demand, by more than {} standard errors of the back-test",
                            d.method.as_str(),
                            d.rank,
                            e.steady_margin
                        )),
                        pattern.class
                    ),
                ),
            }
        }
    };
    // The automatic choice extrapolates a falling trend no further than
    // the back-test checked it (`horizon` months): beyond, the trend holds
    // where it got to, a seasonal pattern going on around it (4.4).
    let after = if forced.is_none() { horizon } else { h };
    let made: Vec<(Vec<f64>, bool)> = combined
        .iter()
        .map(|&m| forecast_held(m, y, h, &params, after))
        .collect::<Option<_>>()?;
    if made.is_empty() {
        return None;
    }
    let held: Vec<&str> = combined
        .iter()
        .zip(&made)
        .filter(|(_, (_, held))| *held)
        .map(|(m, _)| m.as_str())
        .collect();
    let mut reason = reason;
    if !held.is_empty() {
        reason.push_str(&format!(
            "; the falling trend of {} held after month {horizon}, the last the back-test checked",
            held.join(" and ")
        ));
    }
    let forecasts: Vec<Vec<f64>> = made.into_iter().map(|(f, _)| f).collect();
    let mean = median_of(&forecasts, h);
    let members: Vec<&Score> = combined
        .iter()
        .filter_map(|m| scores.iter().find(|s| s.method == *m))
        .collect();
    // The back-test of the forecast made: of its one model, or of the
    // combination where every model combined has one (not of one of them).
    let tested: Option<Score> = match members.as_slice() {
        [one] if combined.len() == 1 => Some((*one).clone()),
        many if many.len() == combined.len() => combined_backtest(y, many, horizon),
        _ => None,
    };
    let rmse = tested
        .as_ref()
        .map(|s| s.rmse_by_step.clone())
        .unwrap_or_default();
    // The class factors were calibrated on the automatic choice's intervals
    // (4.5); a model asked for keeps its own back-test's.
    let factor = match forced {
        None => class_factor(pattern.class),
        Some(_) => 1.0,
    };
    let z = multipliers(y, tested.as_ref(), factor);
    let [lower80, upper80, lower95, upper95] = intervals(&mean, &rmse, y, z);
    let sigma = demand_sigma(mean.len(), &rmse, y, z[1]);
    Some(Choice {
        method: combined[0],
        combined,
        lower80,
        upper80,
        lower95,
        upper95,
        sigma,
        mean,
        backtest_mase: tested.as_ref().map(|s| s.mase),
        backtest_rmsse: tested.as_ref().map(|s| s.rmsse),
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
    use crate::models::forecast;

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
        // Exact models only: the others score more than 3 times theirs.
        assert!(
            c.combined
                .iter()
                .all(|m| matches!(m, Method::SeasonalNaive | Method::HoltWinters)),
            "{}",
            c.reason
        );
        assert_eq!(c.combined[0], c.method);
        assert!(
            c.reason
                .contains("best rolling-origin accuracy (mean of MASE and RMSSE"),
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
        // Noisier demand, the steady model left aside: the median of at most
        // 3 best (within 3 times the best), those the back-test cannot tell
        // from the best.
        let w: Vec<f64> = (0..36)
            .map(|t| 20.0 + ((t * 7) % 11) as f64 + if t % 5 == 0 { 9.0 } else { 0.0 })
            .collect();
        let e = Evaluation {
            steady: None,
            ..Evaluation::default()
        };
        let c = choose(&w, 6, &e, None).unwrap();
        assert!(
            !c.combined.is_empty() && c.combined.len() <= 3,
            "{}",
            c.reason
        );
        let best = &c.scores[0];
        let naive = naive_reference(&c.scores);
        let top = origin_losses(best, &w, e.rank, naive);
        for m in &c.combined {
            let s = c.scores.iter().find(|s| s.method == *m).unwrap();
            assert!(s.rank <= 3.0 * best.rank);
            assert!(indistinct(
                &top,
                &origin_losses(s, &w, e.rank, naive),
                e.separate
            ));
        }
        // A model of the top 3 that the back-test tells from the best is left out.
        for s in c
            .scores
            .iter()
            .take(3)
            .filter(|s| !c.combined.contains(&s.method))
        {
            assert!(!indistinct(
                &top,
                &origin_losses(s, &w, e.rank, naive),
                e.separate
            ));
        }
        let fs: Vec<Vec<f64>> = c
            .combined
            .iter()
            .map(|&m| forecast(m, &w, 6, &e.params).unwrap())
            .collect();
        assert_eq!(c.mean, median_of(&fs, 6));
        // Forcing a method keeps the scores, and gives its own back-test's.
        let c = choose(&z, 3, &Evaluation::default(), Some(Method::Naive)).unwrap();
        assert_eq!(c.method, Method::Naive);
        assert!(!c.scores.is_empty());
        let naive = c.scores.iter().find(|s| s.method == Method::Naive).unwrap();
        assert_eq!(c.backtest_rmsse, Some(naive.rmsse));
    }

    #[test]
    fn the_back_test_scores_given_are_the_combinations() {
        // Intermittent series until one is forecast by the median of models
        // whose forecasts differ: its scores are the median's back-test,
        // not its first model's.
        let e = Evaluation::default();
        let found = (0..40u64).find_map(|seed| {
            let y: Vec<f64> = (0..36u64)
                .map(|t| {
                    let h = (t * 2_654_435_761 + seed * 40_503) % 97;
                    if h % 3 == 0 {
                        0.0
                    } else {
                        (h % 23) as f64 + 5.0
                    }
                })
                .collect();
            let c = choose(&y, 6, &e, None)?;
            let members: Vec<&Score> = c
                .combined
                .iter()
                .filter_map(|m| c.scores.iter().find(|s| s.method == *m))
                .collect();
            let distinct = members.windows(2).any(|w| w[0].rmsse != w[1].rmsse);
            (members.len() > 1 && distinct).then(|| {
                let tested = combined_backtest(&y, &members, 6).unwrap();
                (c.backtest_rmsse, c.backtest_mase, tested, members[0].rmsse)
            })
        });
        let (rmsse, mase, tested, first) = found.expect("a combination of distinct models");
        assert_eq!(rmsse, Some(tested.rmsse));
        assert_eq!(mase, Some(tested.mase));
        assert_ne!(rmsse, Some(first));
    }

    #[test]
    fn combination_vectors() {
        let e = Evaluation::default();
        for v in equitas_doc_vectors::vectors("combination") {
            let scores = v["scores"].as_object().unwrap();
            let mut ranked: Vec<(&String, f64)> = scores
                .iter()
                .map(|(k, x)| (k, x.as_f64().unwrap()))
                .collect();
            ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
            let r: Vec<f64> = ranked.iter().map(|x| x.1).collect();
            let names: Vec<&str> = ranked[..pooled(&r, &e)]
                .iter()
                .map(|x| x.0.as_str())
                .collect();
            let want: Vec<&str> = v["combined"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            assert_eq!(names, want, "{v}");
            let f: Vec<Vec<f64>> = names
                .iter()
                .map(|n| vec![v["forecasts"][n].as_f64().unwrap()])
                .collect();
            assert_eq!(
                median_of(&f, 1),
                vec![v["forecast"].as_f64().unwrap()],
                "{v}"
            );
        }
    }

    #[test]
    fn a_back_test_without_error_on_a_varying_series_is_not_chosen() {
        // Lumpy demand whose last 15 months were zero: from the 12 origins,
        // the naive method and the moving average have no back-test error.
        let mut y = vec![0.0; 30];
        for (t, v) in [
            (1, 40.0),
            (3, 5.0),
            (7, 60.0),
            (9, 20.0),
            (12, 90.0),
            (14, 10.0),
        ] {
            y[t] = v;
        }
        let c = choose(&y, 6, &Evaluation::default(), None).unwrap();
        for m in [Method::Naive, Method::MovingAverage] {
            let s = c.scores.iter().find(|s| s.method == m).unwrap();
            assert!(s.rmse_by_step.iter().all(|&r| r == 0.0), "{m:?}");
            assert!(!c.combined.contains(&m), "{}", c.reason);
        }
        assert!(
            c.reason.contains("left out for a back-test without error"),
            "{}",
            c.reason
        );
        assert!(c.mean.iter().all(|&v| v > 0.0), "{:?}", c.mean);
    }

    #[test]
    fn intervals_never_have_zero_width_on_a_varying_series() {
        let mut y = vec![0.0; 30];
        for (t, v) in [
            (1, 40.0),
            (3, 5.0),
            (9, 60.0),
            (13, 20.0),
            (15, 90.0),
            (21, 10.0),
        ] {
            y[t] = v;
        }
        let e = Evaluation::default();
        // Every model, forced, and the automatic choice; short series too.
        let forced = std::iter::once(None).chain(Method::ALL.into_iter().map(Some));
        for m in forced {
            for n in [3, 8, 12, 30] {
                let Some(c) = choose(&y[..n], 6, &e, m) else {
                    continue;
                };
                for k in 0..6 {
                    assert!(c.upper80[k] > c.lower80[k], "{m:?} n={n} k={k}: {c:?}");
                    assert!(c.upper95[k] > c.upper80[k], "{m:?} n={n} k={k}");
                }
            }
        }
        // Millions a month, then none for 17 months: a smoothing model's
        // forecast decays toward 0 (SES's to 1e-28 on a real series), its
        // back-test errors to 1e-11, which is no error: the interval is
        // the series' spread, not a millionth of a unit wide.
        let mut fell: Vec<f64> = (0..19)
            .map(|t| 1.7e6 + 3e5 * ((t * 7) % 5) as f64)
            .collect();
        fell.extend([0.0; 17]);
        let [lo, hi, ..] = intervals(&[1.7e-28; 3], &[1e-11; 3], &fell, [Z80, Z95]);
        assert!(
            (hi[0] - lo[0] - Z80 * floors(&fell)[0]).abs() < 1e-6,
            "{lo:?} {hi:?}"
        );
        // The same through the choice (4.4): demand that moved a lot,
        // then 17 months of none. SES, fitted with a constant near 1, is
        // left at 4e-28 with back-test errors of 1e-4, a 1e-11th of the
        // largest month: no error, so left out with the moving average,
        // as the naive methods are after months without demand (until
        // 2026-12-06 it was chosen, with an interval of a millionth).
        let mut moved: Vec<f64> = [
            1.0, 2.5, 4.0, 5.5, 7.0, 6.0, 4.5, 3.0, 1.7, 3.2, 4.8, 6.1, 7.0, 5.2, 3.9, 2.4, 1.8,
            2.9, 4.4,
        ]
        .iter()
        .map(|v| v * 1e6)
        .collect();
        moved.extend([0.0; 17]);
        let c = choose(&moved, 6, &e, None).unwrap();
        assert!(!c.combined.contains(&Method::Ses), "{}", c.reason);
        assert!(
            c.reason
                .contains("2 left out for a back-test without error"),
            "{}",
            c.reason
        );
        let ses = choose(&moved, 6, &e, Some(Method::Ses)).unwrap();
        assert!(ses.mean[0] < 1e-20 && ses.upper80[0] > 1e4, "{ses:?}");
        // A measured error of a unit is an error.
        let [lo, hi, ..] = intervals(&[3.0; 3], &[1.0; 3], &fell, [Z80, Z95]);
        assert!((hi[0] - lo[0] - 2.0 * Z80).abs() < 1e-12);
        // A flat series has nothing to vary: its intervals are the forecast.
        let c = choose(&[7.0; 24], 3, &e, None).unwrap();
        assert_eq!(c.upper95, c.lower95);
        // One month says nothing of the variation: a Poisson count's
        // standard deviation, √993 = 31.5, so never zero width; the
        // forecast is that month.
        let c = choose(&[993.0], 3, &e, None).unwrap();
        assert_eq!(
            (c.combined.as_slice(), c.mean[0]),
            ([Method::Naive].as_slice(), 993.0)
        );
        let (z80, sd) = (c.upper80[0] - c.mean[0], 993f64.sqrt());
        assert!(z80 > 0.0 && c.upper95[0] > c.upper80[0], "{c:?}");
        assert!(
            (z80 / sd - Z80 * class_factor(c.pattern.class)).abs() < 1e-9,
            "{z80} {sd} {c:?}"
        );
    }

    #[test]
    fn a_model_asked_for_outside_the_candidates_is_scored_too() {
        let y: Vec<f64> = (0..36)
            .map(|t| 100.0 + 40.0 * ((t % 12) as f64 / 11.0) + (t % 5) as f64)
            .collect();
        let e = Evaluation::default();
        assert!(!e.candidates.contains(&Method::Ets));
        let c = choose(&y, 12, &e, Some(Method::Ets)).unwrap();
        let own = c.scores.iter().find(|s| s.method == Method::Ets).unwrap();
        assert_eq!(
            (c.backtest_mase, c.backtest_rmsse),
            (Some(own.mase), Some(own.rmsse))
        );
        // Its intervals come from its back-test, so they widen with the
        // horizon (not one standard deviation of the history at every step).
        let width = |k: usize| c.upper80[k] - c.lower80[k];
        assert!(width(11) > width(0), "{:?} {:?}", c.lower80, c.upper80);
    }

    /// formulas 4.4: a falling straight trend is extrapolated as far as the
    /// back-test checked it (6 months), then held; a rising one runs on; a
    /// method asked for is not held.
    #[test]
    fn a_trend_is_held_after_the_months_the_back_test_checked() {
        // Falling by 2 a month, with a little noise: 150 down to 92.
        let y: Vec<f64> = (0..30)
            .map(|t| 150.0 - 2.0 * t as f64 + [2.0, -1.0, 0.0, 1.0, -2.0][t % 5])
            .collect();
        let e = Evaluation::default();
        let c = choose(&y, 18, &e, None).unwrap();
        assert!(
            c.combined
                .iter()
                .any(|m| matches!(m, Method::Holt | Method::Theta)),
            "{}",
            c.reason
        );
        assert!(
            c.reason
                .contains("held after month 6, the last the back-test checked"),
            "{}",
            c.reason
        );
        assert!(c.mean[6..].iter().all(|&v| v == c.mean[5]), "{:?}", c.mean);
        assert!(c.mean[5] < c.mean[0], "{:?}", c.mean);
        // Within the months checked, nothing changes.
        let six = choose(&y, 6, &e, None).unwrap();
        assert_eq!(six.mean[..], c.mean[..6]);
        assert!(!six.reason.contains("held"), "{}", six.reason);
        // Asked for, Holt extrapolates its trend (down to 0).
        let holt = choose(&y, 18, &e, Some(Method::Holt)).unwrap();
        assert!(holt.mean[17] < holt.mean[5], "{:?}", holt.mean);
        // A rising trend runs on (more stock is the side to err on).
        let up: Vec<f64> = y.iter().rev().copied().collect();
        let c = choose(&up, 18, &e, None).unwrap();
        assert!(!c.reason.contains("held"), "{}", c.reason);
        // A trend already down to 0 by month 6 holds nothing: not said.
        let gone: Vec<f64> = (0..30)
            .map(|t| (300.0 - 10.0 * t as f64 + [2.0, -1.0, 0.0, 1.0, -2.0][t % 5]).max(0.0))
            .collect();
        let c = choose(&gone, 18, &e, None).unwrap();
        assert!(c.mean.iter().all(|&v| v == 0.0), "{:?}", c.mean);
        assert!(!c.reason.contains("held"), "{}", c.reason);
    }

    #[test]
    fn short_series_are_forecast_by_the_robust_combination() {
        let y = [4.0, 0.0, 6.0, 5.0, 0.0, 7.0, 3.0];
        let c = choose(&y, 3, &Evaluation::default(), None).unwrap();
        assert_eq!(c.combined, ROBUST.to_vec());
        assert!(
            c.reason.starts_with("7 months are too few to choose"),
            "{}",
            c.reason
        );
        let e = Evaluation::default();
        let mut v: Vec<f64> = ROBUST
            .iter()
            .map(|&m| forecast(m, &y, 3, &e.params).unwrap()[0])
            .collect();
        v.sort_by(f64::total_cmp);
        assert!((c.mean[0] - v[1]).abs() < 1e-9);
        // formulas 4.4's example: 10 then 12.
        let c = choose(&[10.0, 12.0], 3, &e, None).unwrap();
        let sba = forecast(Method::CrostonSba, &[10.0, 12.0], 1, &e.params).unwrap()[0];
        assert!((sba - 9.69).abs() < 0.005, "{sba}");
        assert!((c.mean[0] - 10.02).abs() < 0.005, "{:?}", c.mean);
        // One month: that month.
        let c = choose(&[7.0], 3, &e, None).unwrap();
        assert_eq!((c.combined, c.mean), (vec![Method::Naive], vec![7.0; 3]));
        // Two months: the moving average of both beside the others, so
        // that the forecast lies between them, whichever comes first.
        let c = choose(&[4.0, 6.0], 3, &e, None).unwrap();
        assert_eq!(c.combined, ROBUST.to_vec());
        assert!(
            c.reason
                .contains("median of ses, moving_average of the 2 months, croston_sba"),
            "{}",
            c.reason
        );
        for y in [[10.0, 12.0], [12.0, 10.0], [4.0, 6.0], [6.0, 4.0]] {
            let c = choose(&y, 3, &e, None).unwrap();
            assert!(
                c.mean[0] >= y[0].min(y[1]) && c.mean[0] <= y[0].max(y[1]),
                "{y:?}: {:?}",
                c.mean
            );
        }
        // No back-test of two months (an origin needs 6 months before it):
        // the combination has none, nor any of its models.
        assert!(c.scores.is_empty(), "{:?}", c.scores);
        assert_eq!((c.backtest_mase, c.backtest_rmsse), (None, None), "{c:?}");
        // Of 8 months, origins at months 7 and 8 only (forced: a model
        // that can be fitted on 6 months).
        let c = choose(
            &[4.0, 6.0, 5.0, 7.0, 6.0, 5.0, 8.0, 6.0],
            3,
            &e,
            Some(Method::Ses),
        )
        .unwrap();
        let ses = c.scores.iter().find(|s| s.method == Method::Ses).unwrap();
        assert_eq!(ses.origins, 2, "{:?}", c.scores);
        assert!(c.scores.iter().all(|s| s.origins <= 2), "{:?}", c.scores);
        // 12 to 14 months: chosen, from as many origins as the months allow
        // (at most 12, the first after month 6), the candidates that can be
        // fitted at half of them; a forecast for every month asked for.
        let z: Vec<f64> = (0..14).map(|t| 30.0 + ((t * 7) % 5) as f64).collect();
        for n in 12..=14 {
            let c = choose(&z[..n], 6, &e, None).unwrap();
            assert!(!c.reason.contains("too few"), "n={n}: {}", c.reason);
            let first = n.saturating_sub(12).max(MIN_ORIGIN_TRAINING);
            assert!(
                c.scores
                    .iter()
                    .all(|s| s.origins <= n - first && s.origins * 2 >= n - first)
            );
            assert!(c.scores.iter().all(|s| s.method != Method::HoltWinters));
            assert_eq!(c.mean.len(), 6);
            assert!(c.mean.iter().all(|v| v.is_finite() && *v > 0.0), "n={n}");
        }
    }

    #[test]
    fn the_evaluation_covers_the_horizon_asked_for() {
        let y: Vec<f64> = (0..30).map(|t| 10.0 + (t % 5) as f64).collect();
        let e = Evaluation::default();
        let s = evaluate(&y, 2, &e);
        assert!(s.iter().all(|s| s.backtest.iter().all(|b| b.1.len() <= 2)));
        let s = evaluate(&y, 18, &e);
        // Up to 6 months from the first origin (as far as the data go).
        assert!(s.iter().all(|s| s.rmse_by_step.len() == 6));
        assert!(s.iter().all(|s| s.backtest[0].1.len() == 6));
    }

    #[test]
    fn the_80_percent_multiplier_is_calibrated_on_the_back_test() {
        // 14 one-month-ahead back-test errors 1, 2, ... 14 (a forecast of 0
        // each month), against a step error of 10: scores 0.1 ... 1.4; the
        // ceil(15 x 0.8) = 12th smallest is 1.2.
        let y: Vec<f64> = (0..20usize).map(|t| t.saturating_sub(5) as f64).collect();
        let backtest: Vec<(usize, Vec<f64>)> = (6..20).map(|t| (t, vec![0.0])).collect();
        let mut s = accuracy(Method::Naive, &y, backtest, 1);
        s.rmse_by_step = vec![10.0];
        // The series is intermittent: times its class factor 0.95.
        assert_eq!(metrics::pattern(&y).class, "intermittent");
        let f = class_factor(metrics::pattern(&y).class);
        assert_eq!(multipliers(&y, Some(&s), 1.0)[0], 1.2);
        let [z80, z95] = multipliers(&y, Some(&s), f);
        assert!((z80 - 1.2 * 0.95).abs() < 1e-12, "{z80}");
        assert_eq!(z95, WIDEN95 * Z95);
        // Fewer than 12 errors: the normal quantile (times the factor).
        s.backtest.truncate(11);
        assert_eq!(multipliers(&y, Some(&s), f), [Z80 * 0.95, WIDEN95 * Z95]);
        assert_eq!(multipliers(&y, None, f), [Z80 * 0.95, WIDEN95 * Z95]);
        // A smooth series: widened by 1.17.
        let smooth: Vec<f64> = (0..20).map(|t| 10.0 + (t % 3) as f64).collect();
        assert_eq!(class_factor(metrics::pattern(&smooth).class), 1.17);
    }

    #[test]
    fn the_95_percent_multiplier_is_never_below_the_80_percent_one() {
        // Back-test errors 0 ... 0 then one huge: the 80% score is that
        // error over a small step error, far above 1.2 x 1.96.
        let y: Vec<f64> = (0..20).map(|t| 10.0 + (t % 2) as f64).collect();
        let backtest: Vec<(usize, Vec<f64>)> = (6..20).map(|t| (t, vec![y[t]])).collect();
        let mut s = accuracy(Method::Naive, &y, backtest, 1);
        s.backtest[13].1 = vec![y[19] - 1000.0];
        s.backtest[12].1 = vec![y[18] - 1000.0];
        s.backtest[11].1 = vec![y[17] - 1000.0];
        s.rmse_by_step = vec![100.0];
        let [z80, z95] = multipliers(&y, Some(&s), 1.0);
        assert!(z80 > WIDEN95 * Z95, "{z80}");
        assert_eq!(z95, z80);
    }

    #[test]
    fn interval_vectors() {
        for v in equitas_doc_vectors::vectors("intervals") {
            let num = |x: &serde_json::Value| x.as_f64().unwrap();
            let list = |k: &str| -> Vec<f64> { v[k].as_array().unwrap().iter().map(num).collect() };
            let y = list("series");
            let backtest: Vec<(usize, Vec<f64>)> = list("origins")
                .into_iter()
                .map(|t| (t as usize, vec![num(&v["backtest"])]))
                .collect();
            let s = accuracy(Method::Naive, &y, backtest, 1);
            assert_eq!(metrics::pattern(&y).class, v["class"].as_str().unwrap());
            let class = metrics::pattern(&y).class;
            let z = multipliers(&y, Some(&s), class_factor(class));
            let close = |a: f64, b: f64| (a - b).abs() < 5e-4;
            assert!(
                close(z[0], num(&v["z80"])) && close(z[1], num(&v["z95"])),
                "{z:?} {v}"
            );
            let bands = intervals(&list("mean"), &s.rmse_by_step, &y, z);
            for (band, k) in bands
                .iter()
                .zip(["lower80", "upper80", "lower95", "upper95"])
            {
                let want = list(k);
                assert!(
                    band.iter().zip(&want).all(|(a, b)| close(*a, *b)),
                    "{k}: {band:?} {v}"
                );
            }
        }
    }

    /// docs/formulas.md 4.8: the spread plans and risks draw demand from is,
    /// for a series without a back-test, the predictive standard deviation
    /// with the 95% multiplier, not Student's wider interval; where a
    /// back-test measured the error, the 95% half-width ÷ 1.96 as before.
    #[test]
    fn a_short_series_draws_without_student_t() {
        let y = [10.0, 20.0];
        let c = choose(&y, 3, &Evaluation::default(), None).unwrap();
        let s = spread(&y) * 1.5f64.sqrt();
        let z95 = (c.upper95[0] - c.mean[0]) / floors(&y)[1];
        for k in 0..3 {
            assert!((c.sigma[k] - z95 / Z95 * s).abs() < 1e-9, "{c:?}");
            assert!(c.sigma[k] < (c.upper95[k] - c.mean[k]) / Z95 / 4.0, "{c:?}");
        }
        let long: Vec<f64> = (0..30).map(|t| 50.0 + ((t * 7) % 11) as f64).collect();
        let c = choose(&long, 6, &Evaluation::default(), None).unwrap();
        for k in 0..6 {
            let from_interval = (c.upper95[k] - c.mean[k]) / Z95;
            assert!((c.sigma[k] - from_interval).abs() < 1e-9, "{k}: {c:?}");
        }
    }

    /// docs/formulas.md 4.5: a series without a back-test takes Student's
    /// interval for one more observation, the same at every step.
    #[test]
    fn short_interval_vectors() {
        for v in equitas_doc_vectors::vectors("short_intervals") {
            let num = |x: &serde_json::Value| x.as_f64().unwrap();
            let list = |k: &str| -> Vec<f64> { v[k].as_array().unwrap().iter().map(num).collect() };
            let y = list("series");
            let n = y.len() as f64;
            assert!(
                (spread(&y) * (1.0 + 1.0 / n).sqrt() - num(&v["s"])).abs() < 5e-4,
                "{v}"
            );
            let bands = intervals(&list("mean"), &[], &y, [Z80, Z95]);
            for (band, k) in bands
                .iter()
                .zip(["lower80", "upper80", "lower95", "upper95"])
            {
                let want = list(k);
                assert_eq!(band.len(), want.len(), "{k}: {v}");
                assert!(
                    band.iter().zip(&want).all(|(a, b)| (a - b).abs() < 5e-4),
                    "{k}: {band:?} {v}"
                );
            }
        }
    }

    proptest::proptest! {
        /// On any series that varies, every forecast's 80% interval has a
        /// width where the forecast is positive and lies inside the 95% one.
        #[test]
        fn intervals_are_nested_and_never_of_zero_width(
            y in proptest::collection::vec(
                proptest::prop_oneof![proptest::strategy::Just(0.0), 0.0f64..500.0], 3..40),
            m in proptest::option::of(proptest::sample::select(Method::ALL.to_vec())),
        ) {
            proptest::prop_assume!(y.iter().any(|&v| v != y[0]));
            let e = Evaluation::default();
            if let Some(c) = choose(&y, 6, &e, m) {
                for k in 0..6 {
                    proptest::prop_assert!(c.lower95[k] <= c.lower80[k], "{c:?}");
                    proptest::prop_assert!(c.upper80[k] <= c.upper95[k], "{c:?}");
                    if c.mean[k] > 0.0 {
                        proptest::prop_assert!(c.upper80[k] > c.lower80[k], "{c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn intermittent_series_choose_among_the_methods_made_for_them() {
        // Lumpy demand, 13 to 36 months (12 is the shortest chosen for).
        let full: Vec<f64> = (0..36)
            .map(|t| {
                if t % 3 == 1 {
                    (5 + (t * 7) % 11) as f64
                } else {
                    0.0
                }
            })
            .collect();
        let e = Evaluation::default();
        for n in [13, 18, 24, 36] {
            let c = choose(&full[..n], 6, &e, None).unwrap();
            assert_eq!(c.pattern.class, "intermittent", "n={n}");
            assert!(
                c.combined.iter().all(|m| INTERMITTENT.contains(m)),
                "n={n}: {}",
                c.reason
            );
            assert!(
                c.reason.contains("8 for intermittent demand"),
                "{}",
                c.reason
            );
            assert!(c.combined.len() <= 3 && !c.combined.is_empty());
            assert!(c.mean.iter().all(|&v| v > 0.0), "n={n}: {:?}", c.mean);
        }
        // Without the shortlist every candidate may be chosen again.
        let c = choose(
            &full,
            6,
            &Evaluation {
                shortlist: false,
                ..e.clone()
            },
            None,
        )
        .unwrap();
        assert!(
            !c.reason.contains("for intermittent demand"),
            "{}",
            c.reason
        );
    }

    #[test]
    fn paired_back_test_comparisons() {
        let best = [(10, 1.0), (11, 1.0), (12, 1.0), (13, 1.0)];
        // Differences 0.1, -0.1, 0.2, -0.2: mean 0, not told apart.
        let close = [(10, 1.1), (11, 0.9), (12, 1.2), (13, 0.8)];
        assert!(indistinct(&best, &close, 1.0));
        assert!(!beats(&close, &best, 1.0) && !beats(&best, &close, 1.0));
        // Differences 1.0, 1.1, 0.9, 1.0: mean 1.0, standard error 0.041.
        let worse = [(10, 2.0), (11, 2.1), (12, 1.9), (13, 2.0)];
        assert!(!indistinct(&best, &worse, 1.0));
        assert!(beats(&best, &worse, 3.0));
        let (m, se) = paired(&worse, &best).unwrap();
        assert!(
            (m - 1.0).abs() < 1e-12 && (se - 0.040_824_8).abs() < 1e-6,
            "{se}"
        );
        // Only origins both have count; with fewer than 2 nothing is told
        // apart: pooled with the best, and never shown to beat a default.
        let one = [(13, 9.0), (14, 0.0)];
        assert!(paired(&one, &best).is_none());
        assert!(indistinct(&best, &one, 1.0));
        assert!(!beats(&best, &one, 0.0) && !beats(&one, &best, 0.0));
    }

    #[test]
    fn steady_demand_is_forecast_by_tsb_unless_the_back_test_shows_better() {
        // Smooth demand varying around a constant level.
        let y: Vec<f64> = (0..30)
            .map(|t| 40.0 + ((t * 13) % 17) as f64 - 8.0)
            .collect();
        assert_eq!(metrics::pattern(&y).class, "smooth");
        let e = Evaluation::default();
        let c = choose(&y, 6, &e, None).unwrap();
        assert_eq!(c.combined, vec![Method::Tsb], "{}", c.reason);
        assert!(
            c.reason.starts_with("tsb (") && c.reason.contains("the forecast of steady demand"),
            "{}",
            c.reason
        );
        let tsb = forecast(Method::Tsb, &y, 6, &e.params).unwrap();
        assert_eq!(c.mean, tsb);
        // Without the steady model, the back-test's choice.
        let free = choose(
            &y,
            6,
            &Evaluation {
                steady: None,
                ..e.clone()
            },
            None,
        )
        .unwrap();
        assert!(!free.reason.contains("steady"), "{}", free.reason);
        // A strongly seasonal series: the seasonal models beat TSB clearly.
        let s: Vec<f64> = (0..36)
            .map(|t| 100.0 + 40.0 * ((t % 12) as f64 / 11.0))
            .collect();
        let c = choose(&s, 6, &e, None).unwrap();
        assert!(!c.combined.contains(&Method::Tsb), "{}", c.reason);
        // The reason says TSB was set aside, and why.
        assert!(
            c.reason.contains("; it beat tsb (")
                && c.reason
                    .contains("by more than 3 standard errors of the back-test"),
            "{}",
            c.reason
        );
        // A back-test window too short to compare (the scores kept at one
        // origin): TSB stays, as nothing shows the others better.
        let mut scores = evaluate(&s, 6, &e);
        for sc in &mut scores {
            sc.backtest.drain(..sc.backtest.len() - 1);
        }
        let c = choose_scored(&s, 6, &e, None, scores).unwrap();
        assert_eq!(c.combined, vec![Method::Tsb], "{}", c.reason);
        // Intermittent demand is never forecast by the steady rule.
        let mut z = vec![0.0; 36];
        for t in (2..36).step_by(5) {
            z[t] = 6.0;
        }
        let c = choose(&z, 3, &e, None).unwrap();
        assert!(!c.reason.contains("steady"), "{}", c.reason);
    }

    #[test]
    fn step_errors_grow_beyond_the_evaluated_horizon() {
        assert_eq!(step_rmse(&[1.0, 2.0], 2), 2.0);
        assert!((step_rmse(&[1.0, 2.0], 8) - 4.0).abs() < 1e-12);
        assert_eq!(step_rmse(&[], 3), 0.0);
        // Never less than at an earlier step.
        assert_eq!(step_rmse(&[3.0, 1.0, 2.0], 2), 3.0);
        assert_eq!(step_rmse(&[3.0, 1.0, 2.0], 3), 3.0);
        assert!((step_rmse(&[3.0, 1.0, 2.0], 12) - 6.0).abs() < 1e-12);
    }
}
