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

fn holt_sse(y: &[f64], a: f64, b: f64, phi: f64) -> (f64, f64, f64) {
    let (mut l, mut t) = (y[0], y[1] - y[0]);
    let mut sse = 0.0;
    for &v in &y[1..] {
        let f = l + phi * t;
        sse += (v - f) * (v - f);
        let nl = a * v + (1.0 - a) * f;
        t = b * (nl - l) + (1.0 - b) * phi * t;
        l = nl;
    }
    (sse, l, t)
}

fn holt(y: &[f64], h: usize, damped: bool) -> Vec<f64> {
    let phi_bounds = if damped { (0.8, 0.98) } else { (1.0, 1.0) };
    let p = nelder_mead(
        |p| holt_sse(y, p[0], p[1].min(p[0]), p[2]).0,
        &[0.5, 0.1, 0.9],
        &[(1e-4, 0.9999), (1e-4, 0.9999), phi_bounds],
        400,
    );
    let (a, b, phi) = (p[0], p[1].min(p[0]), p[2]);
    let (_, l, t) = holt_sse(y, a, b, phi);
    let mut damp = 0.0;
    let mut pw = 1.0;
    (0..h)
        .map(|_| {
            pw *= phi;
            damp += pw;
            l + damp * t
        })
        .collect()
}

/// Additive Holt-Winters: (SSE, level, trend, seasonals indexed by t mod m).
fn hw_run(y: &[f64], m: usize, a: f64, b: f64, g: f64) -> (f64, f64, f64, Vec<f64>) {
    let first: f64 = y[..m].iter().sum::<f64>() / m as f64;
    let second: f64 = y[m..2 * m].iter().sum::<f64>() / m as f64;
    let mut l = first;
    let mut t = (second - first) / m as f64;
    let mut s: Vec<f64> = y[..m].iter().map(|v| v - first).collect();
    let mut sse = 0.0;
    for (i, &v) in y.iter().enumerate() {
        let k = i % m;
        let f = l + t + s[k];
        sse += (v - f) * (v - f);
        let nl = a * (v - s[k]) + (1.0 - a) * (l + t);
        t = b * (nl - l) + (1.0 - b) * t;
        s[k] = g * (v - nl) + (1.0 - g) * s[k];
        l = nl;
    }
    (sse, l, t, s)
}

fn holt_winters(y: &[f64], h: usize, m: usize) -> Vec<f64> {
    let p = nelder_mead(
        |p| hw_run(y, m, p[0], p[1].min(p[0]), p[2].min(1.0 - p[0])).0,
        &[0.3, 0.05, 0.1],
        &[(1e-4, 0.9999), (1e-4, 0.9999), (1e-4, 0.9999)],
        600,
    );
    let (a, b, g) = (p[0], p[1].min(p[0]), p[2].min(1.0 - p[0]));
    let (_, l, t, s) = hw_run(y, m, a, b, g);
    let n = y.len();
    (1..=h)
        .map(|k| l + k as f64 * t + s[(n + k - 1) % m])
        .collect()
}

/// The standard Theta method as SES with drift (Hyndman & Billah 2003):
/// the SES forecast plus half the slope of the linear trend,
/// `b/2 * (k - 1 + 1/alpha - (1 - alpha)^n / alpha)`.
fn theta(y: &[f64], h: usize) -> Vec<f64> {
    let n = y.len() as f64;
    let tm = (n + 1.0) / 2.0;
    let ym = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        let dt = i as f64 + 1.0 - tm;
        sxy += dt * (v - ym);
        sxx += dt * dt;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let alpha = ses_alpha(y, 0.01, 0.99);
    let level = ses_next(y, alpha);
    let tail = (1.0 - alpha).powf(n) / alpha;
    (1..=h)
        .map(|k| level + slope / 2.0 * (k as f64 - 1.0 + 1.0 / alpha - tail))
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
        Method::Holt => Some(holt(y, h, false)),
        Method::DampedHolt => Some(holt(y, h, true)),
        Method::HoltWinters => Some(holt_winters(y, h, p.season)),
        Method::Theta => Some(theta(y, h)),
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
