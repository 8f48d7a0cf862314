//! Forecasting models, each from its published definition (cited on the
//! method). Where Nixtla's statsforecast implements the same model, the
//! definition here follows its documented choices (initial states, fixed
//! smoothing constants, search bounds) so that results can be compared
//! one to one (bench/statsforecast/).

use crate::optimize::{golden_section, nelder_mead};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Naive,
    SeasonalNaive,
    MovingAverage,
    Ses,
    Holt,
    DampedHolt,
    HoltWinters,
    Theta,
    Croston,
    CrostonSba,
    CrostonOptimized,
    Tsb,
    Adida,
    Imapa,
}

impl Method {
    pub const ALL: [Method; 14] = [
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

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Naive => "naive",
            Method::SeasonalNaive => "seasonal_naive",
            Method::MovingAverage => "moving_average",
            Method::Ses => "ses",
            Method::Holt => "holt",
            Method::DampedHolt => "damped_holt",
            Method::HoltWinters => "holt_winters",
            Method::Theta => "theta",
            Method::Croston => "croston",
            Method::CrostonSba => "croston_sba",
            Method::CrostonOptimized => "croston_optimized",
            Method::Tsb => "tsb",
            Method::Adida => "adida",
            Method::Imapa => "imapa",
        }
    }

    pub fn from_name(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    /// The publication the definition comes from.
    pub fn citation(self) -> &'static str {
        match self {
            Method::Naive | Method::SeasonalNaive | Method::MovingAverage => {
                "Hyndman & Athanasopoulos, Forecasting: Principles and Practice (3rd ed., 2021), section 5.2"
            }
            Method::Ses => "Brown (1959); Hyndman & Athanasopoulos (2021) section 8.1",
            Method::Holt => {
                "Holt (1957, republished IJF 2004); Hyndman & Athanasopoulos (2021) section 8.2"
            }
            Method::DampedHolt => "Gardner & McKenzie (1985), Management Science 31(10)",
            Method::HoltWinters => {
                "Winters (1960), Management Science 6(3); additive form, Hyndman & Athanasopoulos (2021) section 8.3"
            }
            Method::Theta => {
                "Assimakopoulos & Nikolopoulos (2000), IJF 16(4); as SES with drift, Hyndman & Billah (2003), IJF 19(2)"
            }
            Method::Croston => "Croston (1972), Operational Research Quarterly 23(3)",
            Method::CrostonSba => "Syntetos & Boylan (2005), IJF 21(2)",
            Method::CrostonOptimized => {
                "Croston (1972) with smoothing constants chosen in [0.1, 0.3] (as statsforecast)"
            }
            Method::Tsb => "Teunter, Syntetos & Babai (2011), EJOR 214(3)",
            Method::Adida => {
                "Nikolopoulos, Syntetos, Boylan, Petropoulos & Assimakopoulos (2011), JORS 62(3)"
            }
            Method::Imapa => "Petropoulos & Kourentzes (2015), JORS 66(6)",
        }
    }

    /// Fewest observations the method needs.
    pub fn min_length(self, p: &Params) -> usize {
        match self {
            Method::Naive | Method::Croston | Method::CrostonSba | Method::CrostonOptimized => 1,
            Method::Tsb | Method::Adida | Method::Imapa | Method::Ses => 2,
            Method::MovingAverage => p.window.max(1),
            Method::SeasonalNaive => p.season,
            Method::Holt | Method::DampedHolt | Method::Theta => 4,
            Method::HoltWinters => 2 * p.season,
        }
    }
}

/// Fixed settings of the models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Season length in months.
    pub season: usize,
    /// Months averaged by the moving average.
    pub window: usize,
    /// Smoothing constant of Croston and Croston-SBA.
    pub croston_alpha: f64,
    /// TSB smoothing constants for demand size and probability.
    pub tsb_alpha_d: f64,
    pub tsb_alpha_p: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            season: 12,
            window: 3,
            croston_alpha: 0.1,
            tsb_alpha_d: 0.1,
            tsb_alpha_p: 0.1,
        }
    }
}

/// SES one-step forecast after `x`, the first forecast being `x[0]`.
pub fn ses_next(x: &[f64], alpha: f64) -> f64 {
    let Some(&first) = x.first() else { return 0.0 };
    let mut f = first;
    for i in 1..x.len() {
        f = alpha * x[i - 1] + (1.0 - alpha) * f;
    }
    alpha * x[x.len() - 1] + (1.0 - alpha) * f
}

/// Sum of squared one-step SES errors on `x[1..]`.
pub fn ses_sse(x: &[f64], alpha: f64) -> f64 {
    let Some(&first) = x.first() else { return 0.0 };
    let mut f = first;
    let mut sse = 0.0;
    for i in 1..x.len() {
        f = alpha * x[i - 1] + (1.0 - alpha) * f;
        sse += (x[i] - f) * (x[i] - f);
    }
    sse
}

/// The SSE-minimising smoothing constant in `[lo, hi]`.
pub fn ses_alpha(x: &[f64], lo: f64, hi: f64) -> f64 {
    golden_section(|a| ses_sse(x, a), lo, hi)
}

/// Intervals between non-zero demands: the first counts from the start.
fn intervals(y: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut last = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v != 0.0 {
            out.push((i + 1 - last) as f64);
            last = i + 1;
        }
    }
    out
}

fn demand_sizes(y: &[f64]) -> Vec<f64> {
    y.iter().copied().filter(|&v| v > 0.0).collect()
}

/// Python's `round`: halves to even (statsforecast rounds the mean interval so).
fn round_half_even(x: f64) -> usize {
    let r = x.round();
    let out = if (x - x.trunc()).abs() == 0.5 && (r as i64) % 2 != 0 {
        r - x.signum()
    } else {
        r
    };
    out.max(1.0) as usize
}

/// ADIDA's building block: SES (constant in [0.1, 0.3]) on sums of
/// `level` consecutive months (the oldest months that do not fill a bucket
/// are dropped), divided back to a month.
fn aggregate_forecast(y: &[f64], level: usize) -> f64 {
    let level = level.max(1);
    let cut = &y[y.len() % level..];
    let sums: Vec<f64> = cut.chunks(level).map(|c| c.iter().sum()).collect();
    if sums.is_empty() {
        return 0.0;
    }
    ses_next(&sums, ses_alpha(&sums, 0.1, 0.3)) / level as f64
}

/// Least-squares intercept and slope of `y` on 0, 1, 2...
fn line(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    if y.len() < 2 {
        return (y.first().copied().unwrap_or(0.0), 0.0);
    }
    let tm = (n - 1.0) / 2.0;
    let ym = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        let dt = i as f64 - tm;
        sxy += dt * (v - ym);
        sxx += dt * dt;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (ym - slope * tm, slope)
}

/// Holt's recursions from initial level `l` and trend `t`: (SSE, level, trend).
fn holt_run(y: &[f64], a: f64, b: f64, phi: f64, mut l: f64, mut t: f64) -> (f64, f64, f64) {
    let mut sse = 0.0;
    for &v in y {
        let f = l + phi * t;
        sse += (v - f) * (v - f);
        let nl = a * v + (1.0 - a) * f;
        t = b * (nl - l) + (1.0 - b) * phi * t;
        l = nl;
    }
    (sse, l, t)
}

/// Holt's linear trend (damped if asked): smoothing constants and the
/// initial level and trend minimise the squared one-step errors, starting
/// from the least-squares line through the first ten months.
/// Returns (alpha, beta, phi, initial level, initial trend).
fn holt_fit(y: &[f64], damped: bool) -> Vec<f64> {
    let (l0, b0) = line(&y[..y.len().min(10)]);
    let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0);
    let phi_bounds = if damped { (0.8, 0.98) } else { (1.0, 1.0) };
    let bounds = [
        (1e-4, 0.9999),
        (1e-4, 0.9999),
        phi_bounds,
        (l0 - scale, l0 + scale),
        (b0 - scale, b0 + scale),
    ];
    let mut p = nelder_mead(
        |p| holt_run(y, p[0], p[1].min(p[0]), p[2], p[3], p[4]).0,
        &[0.3, 0.05, 0.95, l0, b0],
        &bounds,
        1500,
    );
    p[1] = p[1].min(p[0]);
    p
}

fn holt_predict(y: &[f64], h: usize, p: &[f64]) -> Vec<f64> {
    let (_, l, t) = holt_run(y, p[0], p[1], p[2], p[3], p[4]);
    let mut damp = 0.0;
    let mut pw = 1.0;
    (0..h)
        .map(|_| {
            pw *= p[2];
            damp += pw;
            l + damp * t
        })
        .collect()
}

/// Classical decomposition seasonal indices (period `m`, additive or
/// multiplicative) from a centred moving average over the whole series,
/// normalised to sum to 0 (additive) or average 1 (multiplicative).
fn seasonal_indices(y: &[f64], m: usize, multiplicative: bool) -> Option<Vec<f64>> {
    let n = y.len();
    if n < 2 * m {
        return None;
    }
    let half = m / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in half..n - half {
        // 2 x m centred moving average for even m.
        let mut w = 0.0;
        for (k, v) in y[t - half..=t + half].iter().enumerate() {
            let weight = if m.is_multiple_of(2) && (k == 0 || k == 2 * half) {
                0.5
            } else {
                1.0
            };
            w += weight * v;
        }
        let trend = w / m as f64;
        let d = if multiplicative {
            if trend <= 0.0 {
                continue;
            }
            y[t] / trend
        } else {
            y[t] - trend
        };
        sums[t % m] += d;
        counts[t % m] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    let mut idx: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s / c as f64)
        .collect();
    if multiplicative {
        let mean = idx.iter().sum::<f64>() / m as f64;
        if mean <= 0.0 {
            return None;
        }
        idx.iter_mut().for_each(|x| *x /= mean);
    } else {
        let mean = idx.iter().sum::<f64>() / m as f64;
        idx.iter_mut().for_each(|x| *x -= mean);
    }
    Some(idx)
}

/// Additive Holt-Winters (the trend multiplied by `phi` each month; 1 for
/// Holt-Winters proper) from
/// initial level, trend and seasonals (indexed by t mod m): (SSE, level,
/// trend, seasonals).
fn hw_run(y: &[f64], m: usize, c: [f64; 4], init: (f64, f64, &[f64])) -> (f64, f64, f64, Vec<f64>) {
    let [a, b, g, phi] = c;
    let (mut l, mut t) = (init.0, init.1);
    let mut s = init.2.to_vec();
    let mut sse = 0.0;
    for (i, &v) in y.iter().enumerate() {
        let k = i % m;
        let f = l + phi * t + s[k];
        sse += (v - f) * (v - f);
        let nl = a * (v - s[k]) + (1.0 - a) * (l + phi * t);
        t = b * (nl - l) + (1.0 - b) * phi * t;
        s[k] = g * (v - nl) + (1.0 - g) * s[k];
        l = nl;
    }
    (sse, l, t, s)
}

/// One-step forecasts of damped additive Holt-Winters from an initial state.
fn hw_forecasts(y: &[f64], m: usize, c: [f64; 4], init: (f64, f64, &[f64])) -> Vec<f64> {
    let [a, b, g, phi] = c;
    let (mut l, mut t) = (init.0, init.1);
    let mut s = init.2.to_vec();
    y.iter()
        .enumerate()
        .map(|(i, &v)| {
            let k = i % m;
            let f = l + phi * t + s[k];
            let nl = a * (v - s[k]) + (1.0 - a) * (l + phi * t);
            t = b * (nl - l) + (1.0 - b) * phi * t;
            s[k] = g * (v - nl) + (1.0 - g) * s[k];
            l = nl;
            f
        })
        .collect()
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        let (top, rest) = a.split_at_mut(c + 1);
        let pivot = &top[c];
        for (i, row) in rest.iter_mut().enumerate() {
            let f = row[c] / pivot[c];
            if f != 0.0 {
                for (x, p) in row[c..].iter_mut().zip(&pivot[c..]) {
                    *x -= f * p;
                }
                b[c + 1 + i] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; n];
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The initial level, trend and seasonals (summing to zero) minimising the
/// squared one-step errors for given constants: the forecasts are linear
/// in the initial state, so this is a linear least-squares problem.
fn hw_initial_states(y: &[f64], m: usize, c: [f64; 4]) -> Option<(f64, f64, Vec<f64>)> {
    let n = y.len();
    let zeros = vec![0.0; m];
    let base = hw_forecasts(y, m, c, (0.0, 0.0, &zeros));
    let none = vec![0.0; n];
    let k = m + 1; // level, trend, m - 1 free seasonals (the last is minus their sum)
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(k);
    q.push(hw_forecasts(&none, m, c, (1.0, 0.0, &zeros)));
    q.push(hw_forecasts(&none, m, c, (0.0, 1.0, &zeros)));
    for j in 0..m - 1 {
        let mut s = vec![0.0; m];
        s[j] = 1.0;
        s[m - 1] = -1.0;
        q.push(hw_forecasts(&none, m, c, (0.0, 0.0, &s)));
    }
    let r: Vec<f64> = y.iter().zip(&base).map(|(v, f)| v - f).collect();
    let mut ata = vec![vec![0.0; k]; k];
    let mut atr = vec![0.0; k];
    for i in 0..k {
        for j in i..k {
            let v: f64 = (0..n).map(|t| q[i][t] * q[j][t]).sum();
            ata[i][j] = v;
            ata[j][i] = v;
        }
        atr[i] = (0..n).map(|t| q[i][t] * r[t]).sum();
        ata[i][i] += 1e-9 * (1.0 + ata[i][i]);
    }
    let theta = solve(ata, atr)?;
    let mut s = theta[2..].to_vec();
    s.push(-s.iter().sum::<f64>());
    Some((theta[0], theta[1], s))
}

/// Fits additive Holt-Winters: seasonals start from a
/// classical decomposition, level and trend from the line through the
/// seasonally adjusted first two years; the constants (and level and trend)
/// minimise the squared errors; then, for those constants, the initial
/// states are solved exactly and the constants searched once more.
/// Returns [alpha, beta, gamma, phi = 1, level, trend, seasonals...].
fn holt_winters_fit(y: &[f64], m: usize) -> Vec<f64> {
    let s0 = seasonal_indices(y, m, false).unwrap_or_else(|| vec![0.0; m]);
    let adjusted: Vec<f64> = y[..2 * m]
        .iter()
        .enumerate()
        .map(|(i, v)| v - s0[i % m])
        .collect();
    let (l0, b0) = line(&adjusted);
    let (l0, b0) = (l0 - b0, b0);
    let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0);
    // Parameter vectors: alpha, beta, gamma[, level, trend].
    let consts = |p: &[f64]| [p[0], p[1].min(p[0]), p[2].min(1.0 - p[0]), 1.0];
    let bounds = [
        (1e-4, 0.9999),
        (1e-4, 0.9999),
        (1e-4, 0.9999),
        (l0 - scale, l0 + scale),
        (b0 - scale, b0 + scale),
    ];
    let p = nelder_mead(
        |p| hw_run(y, m, consts(p), (p[3], p[4], &s0)).0,
        &[0.3, 0.05, 0.1, l0, b0],
        &bounds,
        1500,
    );
    let c = consts(&p);
    let (mut lv, mut tr, mut seas) = (p[3], p[4], s0);
    let mut c2 = c;
    if let Some((l1, b1, s1)) = hw_initial_states(y, m, c) {
        let q = nelder_mead(
            |q| hw_run(y, m, consts(q), (l1, b1, &s1)).0,
            &[c[0], c[1], c[2]],
            &bounds[..3],
            600,
        );
        c2 = consts(&q);
        (lv, tr, seas) = (l1, b1, s1);
    }
    let mut out = vec![c2[0], c2[1], c2[2], c2[3], lv, tr];
    out.extend(seas);
    out
}

fn holt_winters_predict(y: &[f64], h: usize, m: usize, p: &[f64]) -> Vec<f64> {
    let c = [p[0], p[1], p[2], p[3]];
    let (_, l, t, s) = hw_run(y, m, c, (p[4], p[5], &p[6..]));
    let n = y.len();
    let mut damp = 0.0;
    let mut pw = 1.0;
    (1..=h)
        .map(|k| {
            pw *= c[3];
            damp += pw;
            l + damp * t + s[(n + k - 1) % m]
        })
        .collect()
}

/// Fitted parameters of the models that estimate them by numerical
/// optimisation (Holt, damped Holt, Holt-Winters), so that rolling-origin
/// evaluation can fit once and forecast from every origin by running the
/// recursions (docs/formulas.md 4.4). `None` for other methods or too short
/// a series.
pub fn fit(method: Method, y: &[f64], p: &Params) -> Option<Vec<f64>> {
    if y.len() < method.min_length(p) {
        return None;
    }
    match method {
        Method::Holt => Some(holt_fit(y, false)),
        Method::DampedHolt => Some(holt_fit(y, true)),
        Method::HoltWinters => Some(holt_winters_fit(y, p.season)),
        _ => None,
    }
}

/// Forecasts with parameters from [`fit`] (fitted on a series starting at
/// the same month as `y`).
pub fn forecast_fitted(
    method: Method,
    y: &[f64],
    h: usize,
    p: &Params,
    params: &[f64],
) -> Option<Vec<f64>> {
    match method {
        Method::Holt | Method::DampedHolt => Some(holt_predict(y, h, params)),
        Method::HoltWinters if y.len() >= p.season => {
            Some(holt_winters_predict(y, h, p.season, params))
        }
        _ => None,
    }
    .map(|v| v.into_iter().map(|x| x.max(0.0)).collect())
}

/// SES with both the smoothing constant and the initial level chosen to
/// minimise the squared one-step errors: (alpha, next forecast).
fn ses_fitted_level(y: &[f64]) -> (f64, f64) {
    let run = |a: f64, l0: f64| {
        let (mut l, mut sse) = (l0, 0.0);
        for &v in y {
            sse += (v - l) * (v - l);
            l = a * v + (1.0 - a) * l;
        }
        (sse, l)
    };
    let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0);
    let p = nelder_mead(
        |p| run(p[0], p[1]).0,
        &[0.3, y[0]],
        &[(0.01, 0.99), (y[0] - scale, y[0] + scale)],
        600,
    );
    (p[0], run(p[0], p[1]).1)
}

/// Is there seasonality of period `m`? The autocorrelation at lag `m`
/// beyond the 90% limit 1.645 x sqrt((1 + 2 sum_{k<m} r_k^2) / n)
/// (the test of the Theta method in the M3 competition).
fn seasonal(y: &[f64], m: usize) -> bool {
    let n = y.len();
    if m < 2 || n < 3 * m {
        return false;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let c0: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    if c0 <= 0.0 {
        return false;
    }
    let r = |k: usize| {
        (0..n - k)
            .map(|t| (y[t] - mean) * (y[t + k] - mean))
            .sum::<f64>()
            / c0
    };
    let acc: f64 = (1..m).map(|k| r(k).powi(2)).sum();
    r(m).abs() > 1.645 * ((1.0 + 2.0 * acc) / n as f64).sqrt()
}

/// The standard Theta method (Assimakopoulos & Nikolopoulos 2000) as SES
/// with drift (Hyndman & Billah 2003): on the seasonally adjusted series
/// (classical multiplicative decomposition, when the M3 test finds
/// seasonality), the SES forecast plus half the least-squares slope,
/// `b/2 * (k - 1 + 1/alpha - (1 - alpha)^n / alpha)`, then re-seasonalised.
fn theta(y: &[f64], h: usize, m: usize) -> Vec<f64> {
    let idx = if seasonal(y, m) && y.iter().all(|&v| v > 0.0) {
        seasonal_indices(y, m, true)
    } else {
        None
    };
    let adj: Vec<f64> = match &idx {
        Some(s) => y.iter().enumerate().map(|(i, v)| v / s[i % m]).collect(),
        None => y.to_vec(),
    };
    let n = adj.len();
    let (_, slope) = line(&adj);
    let (alpha, level) = ses_fitted_level(&adj);
    let tail = (1.0 - alpha).powf(n as f64) / alpha;
    (1..=h)
        .map(|k| {
            let f = level + slope / 2.0 * (k as f64 - 1.0 + 1.0 / alpha - tail);
            match &idx {
                Some(s) => f * s[(n + k - 1) % m],
                None => f,
            }
        })
        .collect()
}

/// Point forecasts for the next `h` months, or `None` if `y` is too short.
/// Forecasts are not clipped (see [`forecast`]).
pub fn forecast_raw(method: Method, y: &[f64], h: usize, p: &Params) -> Option<Vec<f64>> {
    if y.len() < method.min_length(p) || y.is_empty() {
        return None;
    }
    let n = y.len();
    let flat = |v: f64| Some(vec![v; h]);
    let all_zero = y.iter().all(|&v| v == 0.0);
    match method {
        Method::Naive => flat(y[n - 1]),
        Method::SeasonalNaive => Some((0..h).map(|k| y[n - p.season + k % p.season]).collect()),
        Method::MovingAverage => flat(y[n - p.window..].iter().sum::<f64>() / p.window as f64),
        Method::Ses => flat(ses_next(y, ses_alpha(y, 0.01, 0.99))),
        Method::Holt => Some(holt_predict(y, h, &holt_fit(y, false))),
        Method::DampedHolt => Some(holt_predict(y, h, &holt_fit(y, true))),
        Method::HoltWinters => Some(holt_winters_predict(
            y,
            h,
            p.season,
            &holt_winters_fit(y, p.season),
        )),
        Method::Theta => Some(theta(y, h, p.season)),
        Method::Croston | Method::CrostonSba | Method::CrostonOptimized => {
            let sizes = demand_sizes(y);
            if sizes.is_empty() {
                return flat(y[n - 1]);
            }
            let gaps = intervals(y);
            let (z, q) = if method == Method::CrostonOptimized {
                (
                    ses_next(&sizes, ses_alpha(&sizes, 0.1, 0.3)),
                    ses_next(&gaps, ses_alpha(&gaps, 0.1, 0.3)),
                )
            } else {
                (
                    ses_next(&sizes, p.croston_alpha),
                    ses_next(&gaps, p.croston_alpha),
                )
            };
            let mut v = if q != 0.0 { z / q } else { z };
            if method == Method::CrostonSba {
                v *= 1.0 - p.croston_alpha / 2.0;
            }
            flat(v)
        }
        Method::Tsb => {
            if all_zero {
                return flat(0.0);
            }
            let occurs: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v != 0.0))).collect();
            flat(ses_next(&occurs, p.tsb_alpha_p) * ses_next(&demand_sizes(y), p.tsb_alpha_d))
        }
        Method::Adida | Method::Imapa => {
            if all_zero {
                return flat(0.0);
            }
            let g = intervals(y);
            let level = round_half_even(g.iter().sum::<f64>() / g.len() as f64);
            if method == Method::Adida {
                flat(aggregate_forecast(y, level))
            } else {
                flat((1..=level).map(|l| aggregate_forecast(y, l)).sum::<f64>() / level as f64)
            }
        }
    }
}

/// [`forecast_raw`] with negative forecasts set to zero: demand is never negative.
pub fn forecast(method: Method, y: &[f64], h: usize, p: &Params) -> Option<Vec<f64>> {
    forecast_raw(method, y, h, p).map(|v| v.into_iter().map(|x| x.max(0.0)).collect())
}

#[cfg(test)]
mod tests;
