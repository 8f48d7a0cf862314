//! Forecasting models, each from its published definition (cited on the
//! method). Where Nixtla's statsforecast implements the same model, the
//! definition here follows its documented choices (initial states, fixed
//! smoothing constants, search bounds) so that results can be compared
//! one to one (bench/statsforecast/).

use crate::optimize::{NelderMead, Simplex, golden_section, nelder_mead};
use serde::Serialize;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Naive,
    SeasonalNaive,
    MovingAverage,
    Ses,
    Holt,
    DampedHolt,
    HoltWinters,
    Ets,
    Theta,
    Croston,
    CrostonSba,
    CrostonOptimized,
    Tsb,
    Adida,
    Imapa,
}

impl Method {
    pub const ALL: [Method; 15] = [
        Method::Naive,
        Method::SeasonalNaive,
        Method::MovingAverage,
        Method::Ses,
        Method::Holt,
        Method::DampedHolt,
        Method::HoltWinters,
        Method::Ets,
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
            Method::Ets => "ets",
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
                "Winters (1960), Management Science 6(3); as ETS(A,A,A) or ETS(A,Ad,A) by AICc, Hyndman, Koehler, Ord & Snyder, Forecasting with Exponential Smoothing (2008)"
            }
            Method::Ets => {
                "Hyndman, Koehler, Snyder & Grose (2002), IJF 18(3): the ETS form by AICc; Hyndman, Koehler, Ord & Snyder, Forecasting with Exponential Smoothing (2008)"
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
    pub fn min_length(self, p: &ModelParams) -> usize {
        match self {
            Method::Naive | Method::Croston | Method::CrostonSba | Method::CrostonOptimized => 1,
            Method::Tsb | Method::Adida | Method::Imapa | Method::Ses => 2,
            Method::MovingAverage => p.window.max(1),
            Method::SeasonalNaive => p.season,
            Method::Theta => 4,
            // Fewer estimated values than months - 1 (docs/formulas.md 4.2).
            Method::Holt => 6,
            Method::DampedHolt => 7,
            Method::HoltWinters => 2 * p.season,
            // ETS(A,N,N): alpha and the level.
            Method::Ets => 4,
        }
    }
}

/// Fixed settings of the models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelParams {
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

impl Default for ModelParams {
    fn default() -> ModelParams {
        ModelParams {
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

/// Sum of squared one-step SES errors on `x[1..]`. Two months at a time:
/// the forecast two months on, a x(i+1) + (1 - a) a x(i) + (1 - a)^2 f(i),
/// depends on the current one by a single multiplication and addition, so
/// the search that runs this many times waits half as long (same model,
/// rounding aside).
pub fn ses_sse(x: &[f64], alpha: f64) -> f64 {
    let Some(&first) = x.first() else { return 0.0 };
    let b = 1.0 - alpha;
    let (ba, bb) = (b * alpha, b * b);
    let mut f = first;
    let mut sse = 0.0;
    let mut i = 1;
    while i + 1 < x.len() {
        let (x0, x1) = (x[i], x[i + 1]);
        let e0 = x0 - f;
        let f1 = alpha * x0 + b * f;
        let e1 = x1 - f1;
        sse += e0 * e0 + e1 * e1;
        f = (alpha * x1 + ba * x0) + bb * f;
        i += 2;
    }
    if i < x.len() {
        let e = x[i] - f;
        sse += e * e;
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

/// Additive-trend (damped by `phi`), additive-seasonal exponential smoothing
/// in state-space form, ETS(A,Ad,A) of Hyndman et al. (2008, table 2.3):
/// with one-step forecast mu = l + phi b + s and error e = y - mu,
/// l <- l + phi b + alpha e, b <- phi b + beta e, s <- s + gamma e (beta = 0
/// and b = 0 without trend, phi = 1 undamped, gamma = 0 and one seasonal 0
/// without seasonality). With multiplicative errors, ETS(M,Ad,A) and its
/// special cases, the same recursions hold (table 2.3: alpha mu (e / mu) =
/// alpha e) and only the likelihood differs. Runs from the initial level,
/// trend and seasonals (`s[k]` serves months k, k + m...) and returns (SSE,
/// level, trend, seasonals).
fn ets_run(y: &[f64], c: [f64; 4], init: (f64, f64, &[f64])) -> (f64, f64, f64, Vec<f64>) {
    let mut s = init.2.to_vec();
    let (sse, _, l, t) = ets_sse::<false>(y, c, init.0, init.1, &mut s);
    (sse, l, t, s)
}

/// The recursions of [`ets_run`], carried on the one-step forecast without
/// its seasonal, q = l + phi b, and the trend, both linear in the previous
/// (q, b) and the deseasonalised month d = y - s: q' = (1 - alpha - phi
/// beta) q + (alpha + phi beta) d + phi^2 b and b' = phi b + beta (d - q),
/// which is the same model with a shorter chain of dependent operations
/// (this runs millions of times when the parameters are searched).
struct EtsTrack {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
    /// 1 - alpha - phi beta, alpha + phi beta, phi^2.
    cq: f64,
    cd: f64,
    cb: f64,
    q: f64,
    trend: f64,
    level: f64,
    /// Sum of squared errors (relative errors e / mu if multiplicative).
    sse: f64,
    /// Sum of ln |mu| (multiplicative errors only).
    lsum: f64,
}

impl EtsTrack {
    fn new(c: [f64; 4], level: f64, trend: f64) -> EtsTrack {
        let [alpha, beta, gamma, phi] = c;
        EtsTrack {
            alpha,
            beta,
            gamma,
            phi,
            cq: 1.0 - alpha - phi * beta,
            cd: alpha + phi * beta,
            cb: phi * phi,
            q: level + phi * trend,
            trend,
            level,
            sse: 0.0,
            lsum: 0.0,
        }
    }

    /// One month `v` with its seasonal `s` (updated if `SEASONAL`); errors
    /// relative to the forecast if `MULT`.
    #[inline(always)]
    fn step<const SEASONAL: bool, const MULT: bool>(&mut self, v: f64, s: &mut f64) {
        let d = v - *s;
        let e = d - self.q;
        if MULT {
            let mu = self.q + *s;
            let r = e / mu;
            self.sse += r * r;
            self.lsum += mu.abs().ln();
        } else {
            self.sse += e * e;
        }
        if SEASONAL {
            *s += self.gamma * e;
        }
        self.level = self.q + self.alpha * e;
        let q_next = self.cq * self.q + (self.cd * d + self.cb * self.trend);
        self.trend = self.phi * self.trend + self.beta * e;
        self.q = q_next;
    }
}

/// 0, 1, ... m - 1, 0, 1, ...: the seasonal of each month (counted, not
/// divided, in these hot loops).
fn months(m: usize) -> impl Iterator<Item = usize> {
    (0..m).cycle()
}

/// The recursions of [`ets_run`] on the seasonals in place: (SSE, sum of
/// ln |mu| (0 unless `MULT`), level, trend).
fn ets_sse<const MULT: bool>(
    y: &[f64],
    c: [f64; 4],
    l: f64,
    t: f64,
    s: &mut [f64],
) -> (f64, f64, f64, f64) {
    let mut track = EtsTrack::new(c, l, t);
    if s.len() == 1 {
        // Not seasonal (fits without seasonality have gamma = 0): the one
        // seasonal never moves, so it is kept out of the chain of dependent
        // operations.
        let mut fixed = s[0];
        for &v in y {
            track.step::<false, MULT>(v, &mut fixed);
        }
    } else {
        for (&v, k) in y.iter().zip(months(s.len())) {
            track.step::<true, MULT>(v, &mut s[k]);
        }
    }
    (track.sse, track.lsum, track.level, track.trend)
}

/// The squared errors (and sums of ln |mu|) of two models on the same
/// series, in one pass (the recursions of each wait on their own results, so
/// two run in about the time of one); each tuple is constants, level, trend,
/// seasonals.
fn ets_sse_pair<const MULT: bool>(
    y: &[f64],
    a: ([f64; 4], f64, f64, &mut [f64]),
    b: ([f64; 4], f64, f64, &mut [f64]),
) -> ((f64, f64), (f64, f64)) {
    let (mut ta, mut tb) = (EtsTrack::new(a.0, a.1, a.2), EtsTrack::new(b.0, b.1, b.2));
    let (sa, sb) = (a.3, b.3);
    let m = sa.len();
    if m == 1 {
        let (mut fa, mut fb) = (sa[0], sb[0]);
        for &v in y {
            ta.step::<false, MULT>(v, &mut fa);
            tb.step::<false, MULT>(v, &mut fb);
        }
    } else {
        for (&v, k) in y.iter().zip(months(m)) {
            ta.step::<true, MULT>(v, &mut sa[k]);
            tb.step::<true, MULT>(v, &mut sb[k]);
        }
    }
    ((ta.sse, ta.lsum), (tb.sse, tb.lsum))
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

/// Least-squares coefficients of `y` on the columns `x` (normal equations).
fn least_squares(x: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = x.len();
    let mut ata = vec![vec![0.0; k]; k];
    let mut aty = vec![0.0; k];
    for i in 0..k {
        for j in i..k {
            let v: f64 = x[i].iter().zip(&x[j]).map(|(a, b)| a * b).sum();
            ata[i][j] = v;
            ata[j][i] = v;
        }
        aty[i] = x[i].iter().zip(y).map(|(a, b)| a * b).sum();
    }
    solve(ata, aty)
}

/// Starting level, trend and seasonals (indexed by month mod m, summing to
/// zero) by the heuristic of Hyndman et al. (2008, section 2.6.1) as the R
/// `forecast` package and statsforecast apply it: the seasonal part comes
/// from a classical decomposition when there are three years of data, and
/// otherwise from the deviations from the trend of a regression on a line
/// and one pair of Fourier terms; level and trend are the line through the
/// first max(10, 2m) seasonally adjusted months, at time 0. Without
/// seasonality (`m` = 1) the line goes through the first 10 months and the
/// one seasonal is 0. Without a trend the level is the mean of those
/// adjusted months.
fn ets_start(y: &[f64], m: usize, trended: bool) -> (f64, f64, Vec<f64>) {
    let n = y.len();
    let time: Vec<f64> = (1..=n).map(|t| t as f64).collect();
    let mut seasonal: Vec<f64> = if m == 1 {
        vec![0.0; n]
    } else if n >= 3 * m {
        let idx = seasonal_indices(y, m, false).unwrap_or_else(|| vec![0.0; m]);
        (0..n).map(|t| idx[t % m]).collect()
    } else {
        let w = std::f64::consts::TAU / m as f64;
        let cols = vec![
            vec![1.0; n],
            time.clone(),
            time.iter().map(|t| (w * t).sin()).collect(),
            time.iter().map(|t| (w * t).cos()).collect(),
        ];
        match least_squares(&cols, y) {
            Some(c) => y
                .iter()
                .zip(&time)
                .map(|(v, t)| v - c[0] - c[1] * t)
                .collect(),
            None => vec![0.0; n],
        }
    };
    let maxn = n.min((2 * m).max(10));
    let adjusted: Vec<f64> = y[..maxn]
        .iter()
        .zip(&seasonal)
        .map(|(v, s)| v - s)
        .collect();
    seasonal.truncate(m);
    // The first month's seasonal makes them sum to zero.
    seasonal[0] = -seasonal[1..].iter().sum::<f64>();
    if !trended {
        let level = adjusted.iter().sum::<f64>() / adjusted.len() as f64;
        return (level, 0.0, seasonal);
    }
    let (a, b) = line(&adjusted);
    (a - b, b, seasonal)
}

/// The trend of an ETS form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    None,
    Additive,
    Damped,
}

/// One ETS form of Hyndman et al. (2008): error, trend and season, the
/// components additive (a multiplicative season is not among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    pub multiplicative_error: bool,
    pub trend: Trend,
    pub seasonal: bool,
}

impl Form {
    const fn additive(trend: Trend, seasonal: bool) -> Form {
        Form {
            multiplicative_error: false,
            trend,
            seasonal,
        }
    }
}

/// Holt's forms (damped first: it is kept on equal AICc).
const HOLT: [Form; 2] = [
    Form::additive(Trend::Damped, false),
    Form::additive(Trend::Additive, false),
];
const DAMPED_HOLT: [Form; 1] = [Form::additive(Trend::Damped, false)];
const HOLT_WINTERS: [Form; 2] = [
    Form::additive(Trend::Damped, true),
    Form::additive(Trend::Additive, true),
];

/// The forms the automatic ETS ([`Method::Ets`]) chooses among, as
/// statsforecast's AutoETS does by default without a multiplicative season:
/// errors additive, or multiplicative if every month is positive; trend
/// none, additive or damped; season none, or additive if there are more
/// months than the season's length (Hyndman et al. 2008, 7.2; Hyndman,
/// Koehler, Snyder & Grose, IJF 18(3), 2002).
pub fn ets_forms(y: &[f64], m: usize) -> Vec<Form> {
    let positive = !y.is_empty() && y.iter().all(|&v| v > 0.0);
    let seasons: &[bool] = if m > 1 && y.len() > m {
        &[false, true]
    } else {
        &[false]
    };
    let mut out = Vec::new();
    for multiplicative_error in [false, true] {
        if multiplicative_error && !positive {
            continue;
        }
        for &seasonal in seasons {
            for trend in [Trend::None, Trend::Damped, Trend::Additive] {
                out.push(Form {
                    multiplicative_error,
                    trend,
                    seasonal,
                });
            }
        }
    }
    out
}

/// Exponential smoothing in the `forms` given, seasonal ones with period
/// `m`: ETS(A or M, N or A or Ad, N or A) of Hyndman et al. (2008), estimated
/// as statsforecast's AutoETS does (its `Holt` and `HoltWinters` are AutoETS
/// restricted to ETS(A,A,N) / ETS(A,Ad,N) and ETS(A,A,A) / ETS(A,Ad,A)), so
/// that the two can be compared (docs/formulas.md 4.2): start from
/// [`ets_start`] and alpha = 0.2 / m, beta and gamma at a tenth and a
/// twentieth of their ranges, phi = 0.978; minimise the likelihood term
/// n ln(SSE) (multiplicative errors: n ln(sum of (e / mu)²) + 2 sum ln |mu|)
/// over the constants and the initial states together by adaptive
/// Nelder-Mead (steps of 5%, at most 1,000 iterations, stopping when the
/// simplex's values agree to a standard deviation of 1e-4) within alpha in
/// [1e-4, 0.9999], beta in [1e-4, starting alpha], gamma in [1e-4, 1 -
/// starting alpha], phi in [0.8, 0.98]; of the forms fitted keep the one
/// with the smallest AICc (the first on a tie). A constant series keeps its
/// level at the constant (statsforecast fits simple smoothing to it: the
/// same forecast).
/// Returns [alpha, beta, gamma, phi (1 undamped), level, trend, seasonals
/// (one 0 when not seasonal)]; `None` when no form has fewer parameters
/// than months - 1.
fn ets_fit(y: &[f64], m: usize, forms: &[Form]) -> Option<Vec<f64>> {
    if let Some(c) = ets_constant(y, m, forms) {
        return Some(c);
    }
    smallest_aicc(ets_fits(y, m, forms))
}

/// The parameters of [`ets_fit`] for a constant series (`None` if `y`
/// varies): its level, no trend, seasonals of 0.
fn ets_constant(y: &[f64], m: usize, forms: &[Form]) -> Option<Vec<f64>> {
    if !y.iter().all(|&v| v == y[0]) {
        return None;
    }
    let mut constant = vec![0.9999, 0.0, 0.0, 1.0, y[0], 0.0];
    constant.resize(
        6 + if forms.iter().any(|f| f.seasonal) {
            m.max(1)
        } else {
            1
        },
        0.0,
    );
    Some(constant)
}

/// Of the forms' fits (AICc, parameters), those of the smallest AICc (the
/// first on a tie).
fn smallest_aicc(fits: Vec<Option<(f64, Vec<f64>)>>) -> Option<Vec<f64>> {
    let mut best: Option<(f64, Vec<f64>)> = None;
    for (aicc, p) in fits.into_iter().flatten() {
        if best.as_ref().is_none_or(|(b, _)| aicc < *b) {
            best = Some((aicc, p));
        }
    }
    best.map(|(_, p)| p)
}

/// How [`ets_fits`] searches each form's parameters.
pub(crate) const ETS_SEARCH: Simplex = Simplex {
    width_step: None,
    relative_step: 0.05,
    zero_step: 1e-4,
    adaptive: true,
    value_sd: Some(1e-4),
    max_evals: usize::MAX,
    max_iters: 1000,
};

/// Each of `forms` fitted to `y` (which varies) as [`ets_fit`] fits them:
/// its AICc and parameters, `None` for a form with as many parameters as
/// months - 1 (or an AICc of NaN). Each form's search is its own (two run
/// side by side only to share the passes over the series), so a form's fit
/// is the same whichever forms are fitted with it.
fn ets_fits(y: &[f64], m: usize, forms: &[Form]) -> Vec<Option<(f64, Vec<f64>)>> {
    let n = y.len();
    let m = m.max(1);
    let (lo, hi) = (1e-4, 0.9999);
    let (phi_lo, phi_hi) = (0.8, 0.98);
    let mut searches: Vec<EtsSearch> = Vec::new();
    for (index, &form) in forms.iter().enumerate() {
        let period = if form.seasonal { m } else { 1 };
        let trended = form.trend != Trend::None;
        let (l0, b0, s0) = ets_start(y, period, trended);
        let alpha = lo + 0.2 * (hi - lo) / period as f64;
        let beta_hi = hi.min(alpha);
        let beta = lo + 0.1 * (beta_hi - lo);
        let gamma_hi = hi.min(1.0 - alpha);
        let gamma = lo + 0.05 * (gamma_hi - lo);
        let phi = phi_lo + 0.99 * (phi_hi - phi_lo);
        // The searched vector: alpha, [beta], [gamma], [phi], level,
        // [trend], seasonals of months 1 .. m - 1 (month 0's is minus their
        // sum).
        let mut start = vec![alpha];
        let mut bounds = vec![(lo, hi)];
        if trended {
            start.push(beta);
            bounds.push((lo, beta_hi));
        }
        if form.seasonal {
            start.push(gamma);
            bounds.push((lo, gamma_hi));
        }
        if form.trend == Trend::Damped {
            start.push(phi);
            bounds.push((phi_lo, phi_hi));
        }
        let k = start.len();
        start.push(l0);
        if trended {
            start.push(b0);
        }
        start.extend(&s0[1..]);
        bounds.resize(start.len(), (f64::NEG_INFINITY, f64::INFINITY));
        if start.len() + 1 < n {
            searches.push(EtsSearch {
                form,
                index,
                period,
                k,
                start,
                bounds,
            });
        }
    }
    // Searches of the same period and error run two side by side, their
    // points evaluated together (one pass over the series for both: the
    // recursions wait on their own results, so two run in about the time
    // of one).
    let lik = |(sse, lsum): (f64, f64)| {
        let lik = n as f64 * (sse + if sse > 0.0 { 0.0 } else { 1e-8 }).ln() + 2.0 * lsum;
        if lik.is_finite() {
            lik.max(-1e10)
        } else {
            f64::INFINITY
        }
    };
    let one = |c: &EtsSearch, p: &[f64], seas: &mut [f64]| {
        let (consts, l, t) = c.state(p, seas);
        let (sse, lsum, _, _) = if c.form.multiplicative_error {
            ets_sse::<true>(y, consts, l, t, seas)
        } else {
            ets_sse::<false>(y, consts, l, t, seas)
        };
        lik((sse, lsum))
    };
    let mut nms: Vec<NelderMead> = searches
        .iter()
        .map(|c| NelderMead::new(&c.start, &c.bounds, ETS_SEARCH))
        .collect();
    let mut done = vec![false; searches.len()];
    for i in 0..searches.len() {
        if done[i] {
            continue;
        }
        done[i] = true;
        let a = &searches[i];
        let partner = (i + 1..searches.len()).find(|&j| {
            !done[j]
                && searches[j].period == a.period
                && searches[j].form.multiplicative_error == a.form.multiplicative_error
        });
        let (mut sa, mut sb) = (vec![0.0; a.period], vec![0.0; a.period]);
        let Some(j) = partner else {
            let nm = &mut nms[i];
            while let Some(p) = nm.ask() {
                let v = one(a, p, &mut sa);
                nm.tell(v);
            }
            continue;
        };
        done[j] = true;
        let b = &searches[j];
        let (left, right) = nms.split_at_mut(j);
        let (nm_a, nm_b) = (&mut left[i], &mut right[0]);
        loop {
            let pa = nm_a.ask();
            let pb = nm_b.ask();
            let (va, vb) = match (pa, pb) {
                (None, None) => break,
                (Some(pa), Some(pb)) => {
                    let (ca, la, ta) = a.state(pa, &mut sa);
                    let (cb, lb, tb) = b.state(pb, &mut sb);
                    let (ea, eb) = if a.form.multiplicative_error {
                        ets_sse_pair::<true>(y, (ca, la, ta, &mut sa), (cb, lb, tb, &mut sb))
                    } else {
                        ets_sse_pair::<false>(y, (ca, la, ta, &mut sa), (cb, lb, tb, &mut sb))
                    };
                    (Some(lik(ea)), Some(lik(eb)))
                }
                (Some(pa), None) => (Some(one(a, pa, &mut sa)), None),
                (None, Some(pb)) => (None, Some(one(b, pb, &mut sb))),
            };
            if let Some(v) = va {
                nm_a.tell(v);
            }
            if let Some(v) = vb {
                nm_b.tell(v);
            }
        }
    }
    let mut fits = vec![None; forms.len()];
    for (c, nm) in searches.iter().zip(&nms) {
        let p = nm.best();
        let mut seas = vec![0.0; c.period];
        let lik = one(c, &p, &mut seas);
        // AICc with the variance counted as a parameter.
        let q = (p.len() + 1) as f64;
        let nf = n as f64;
        let aicc = lik + 2.0 * q + 2.0 * q * (q + 1.0) / (nf - q - 1.0);
        if !aicc.is_nan() {
            let (consts, l, t) = c.state(&p, &mut seas);
            let mut out = consts.to_vec();
            out.extend([l, t]);
            out.extend(&seas);
            fits[c.index] = Some((aicc, out));
        }
    }
    fits
}

/// One form's search in [`ets_fit`].
struct EtsSearch {
    form: Form,
    /// Its place in the forms asked for.
    index: usize,
    /// Seasonals (1 when not seasonal).
    period: usize,
    /// Constants before the states in the searched vector.
    k: usize,
    start: Vec<f64>,
    bounds: Vec<(f64, f64)>,
}

impl EtsSearch {
    /// The constants (alpha, beta, gamma, phi), level and trend of a searched
    /// vector, its seasonals written into `seas` (`period` of them).
    #[inline(always)]
    fn state(&self, p: &[f64], seas: &mut [f64]) -> ([f64; 4], f64, f64) {
        let trended = self.form.trend != Trend::None;
        let mut i = 1;
        let mut next = |on: bool, off: f64| {
            if on {
                i += 1;
                p[i - 1]
            } else {
                off
            }
        };
        let beta = next(trended, 0.0);
        let gamma = next(self.form.seasonal, 0.0);
        let phi = next(self.form.trend == Trend::Damped, 1.0);
        let k = self.k;
        let level = p[k];
        let (trend, first) = if trended {
            (p[k + 1], k + 2)
        } else {
            (0.0, k + 1)
        };
        if self.period > 1 {
            seas[1..].copy_from_slice(&p[first..]);
            seas[0] = -p[first..].iter().sum::<f64>();
        } else {
            seas[0] = 0.0;
        }
        ([p[0], beta, gamma, phi], level, trend)
    }
}

/// Forecasts `h` months after `y` with parameters from [`ets_fit`] (fitted
/// on a series starting at the same month as `y`).
fn ets_predict(y: &[f64], h: usize, p: &[f64]) -> Vec<f64> {
    ets_predict_held(y, h, p, h).1
}

/// [`ets_predict`] with a falling trend (t < 0) stopped after month
/// `after`: from then on the forecast is the level, the trend as far as
/// month `after` took it and the season's term (docs/formulas.md 4.4).
/// The forecast held, then the forecast as it runs on.
fn ets_predict_held(y: &[f64], h: usize, p: &[f64], after: usize) -> (Vec<f64>, Vec<f64>) {
    let c = [p[0], p[1], p[2], p[3]];
    let m = p.len() - 6;
    let (_, l, t, s) = ets_run(y, c, (p[4], p[5], &p[6..]));
    let n = y.len();
    let (mut damp, mut pw, mut held) = (0.0, 1.0, 0.0);
    let (mut f, mut plain) = (Vec::with_capacity(h), Vec::with_capacity(h));
    for k in 1..=h {
        pw *= c[3];
        damp += pw;
        if t >= 0.0 || k <= after {
            held = damp;
        }
        let season = s[(n + k - 1) % m];
        f.push(l + held * t + season);
        plain.push(l + damp * t + season);
    }
    (f, plain)
}

/// Fitted parameters of the models that estimate them by numerical
/// optimisation (Holt, damped Holt, Holt-Winters), so that rolling-origin
/// evaluation can fit once and forecast from every origin by running the
/// recursions (docs/formulas.md 4.4). `None` for other methods or too short
/// a series.
pub fn fit(method: Method, y: &[f64], p: &ModelParams) -> Option<Vec<f64>> {
    if y.len() < method.min_length(p) {
        return None;
    }
    match method {
        Method::Holt => ets_fit(y, 1, &HOLT),
        Method::DampedHolt => ets_fit(y, 1, &DAMPED_HOLT),
        Method::HoltWinters => ets_fit(y, p.season, &HOLT_WINTERS),
        Method::Ets => ets_fit(y, p.season, &ets_forms(y, p.season)),
        _ => None,
    }
}

/// Fits of [`fit`] kept while one series is evaluated, so that models
/// sharing a search make it once: Holt's damped form is damped Holt (one
/// estimator, docs/formulas.md 4.2; its search is the same whether the
/// undamped form is searched beside it or not), so both come from one fit
/// of Holt's two forms; ADIDA's aggregate forecast is IMAPA's at its last
/// level ([`forecast_cached`]). Keyed by the length of the series fitted:
/// use one cache for the prefixes of one series only.
#[derive(Debug, Default)]
pub struct FitCache {
    /// Months fitted, then Holt's fit and damped Holt's.
    holt: Vec<(usize, [Option<Vec<f64>>; 2])>,
    /// Months, level, aggregate forecast.
    aggregate: Vec<(usize, usize, f64)>,
}

/// [`fit`], with Holt and damped Holt sharing their damped form's search
/// through `cache` (same parameters as [`fit`] gives each).
pub fn fit_cached(
    method: Method,
    y: &[f64],
    p: &ModelParams,
    cache: &mut FitCache,
) -> Option<Vec<f64>> {
    let shared = match method {
        Method::Holt => 0,
        Method::DampedHolt => 1,
        _ => return fit(method, y, p),
    };
    // Below damped Holt's length Holt fits its undamped form alone.
    if y.len() < Method::DampedHolt.min_length(p) {
        return fit(method, y, p);
    }
    let n = y.len();
    let i = match cache.holt.iter().position(|(k, _)| *k == n) {
        Some(i) => i,
        None => {
            let both = match ets_constant(y, 1, &HOLT) {
                Some(c) => [Some(c.clone()), Some(c)],
                None => {
                    let fits = ets_fits(y, 1, &HOLT);
                    debug_assert_eq!(HOLT[0], DAMPED_HOLT[0]);
                    let damped = fits[0].as_ref().map(|f| f.1.clone());
                    [smallest_aicc(fits), damped]
                }
            };
            cache.holt.push((n, both));
            cache.holt.len() - 1
        }
    };
    cache.holt[i].1[shared].clone()
}

/// Forecasts with parameters from [`fit`] (fitted on a series starting at
/// the same month as `y`).
pub fn forecast_fitted(method: Method, y: &[f64], h: usize, params: &[f64]) -> Option<Vec<f64>> {
    match method {
        Method::Holt | Method::DampedHolt | Method::HoltWinters | Method::Ets => {
            Some(ets_predict(y, h, params))
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
    theta_held(y, h, m, h).1
}

/// [`theta`] with a falling drift stopped after month `after` (the line's
/// value there, re-seasonalised for later months; docs/formulas.md 4.4).
/// The forecast held, then the forecast as it runs on.
fn theta_held(y: &[f64], h: usize, m: usize, after: usize) -> (Vec<f64>, Vec<f64>) {
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
    // Month k's forecast with the line taken at month `line`.
    let at = |line: usize, k: usize| {
        let f = level + slope / 2.0 * (line as f64 - 1.0 + 1.0 / alpha - tail);
        match &idx {
            Some(s) => f * s[(n + k - 1) % m],
            None => f,
        }
    };
    let held = |k: usize| at(if slope < 0.0 { k.min(after) } else { k }, k);
    (
        (1..=h).map(held).collect(),
        (1..=h).map(|k| at(k, k)).collect(),
    )
}

/// ADIDA's or IMAPA's forecast of `y` (not all zeros), `top` making the
/// aggregate forecast at ADIDA's level (the last of IMAPA's levels).
fn aggregated(method: Method, y: &[f64], h: usize, top: &mut dyn FnMut(usize) -> f64) -> Vec<f64> {
    let g = intervals(y);
    let level = round_half_even(g.iter().sum::<f64>() / g.len() as f64);
    let v = if method == Method::Adida {
        top(level)
    } else {
        (1..=level)
            .map(|l| {
                if l == level {
                    top(l)
                } else {
                    aggregate_forecast(y, l)
                }
            })
            .sum::<f64>()
            / level as f64
    };
    vec![v; h]
}

/// [`forecast`], ADIDA and IMAPA sharing through `cache` the aggregate
/// forecast both make (ADIDA's level is IMAPA's last): the same forecasts.
pub fn forecast_cached(
    method: Method,
    y: &[f64],
    h: usize,
    p: &ModelParams,
    cache: &mut FitCache,
) -> Option<Vec<f64>> {
    let shared = matches!(method, Method::Adida | Method::Imapa)
        && !y.is_empty()
        && y.len() >= method.min_length(p)
        && y.iter().any(|&v| v != 0.0);
    if !shared {
        return forecast(method, y, h, p);
    }
    let n = y.len();
    let f = aggregated(method, y, h, &mut |level| match cache
        .aggregate
        .iter()
        .find(|e| (e.0, e.1) == (n, level))
    {
        Some(e) => e.2,
        None => {
            let v = aggregate_forecast(y, level);
            cache.aggregate.push((n, level, v));
            v
        }
    });
    Some(f.into_iter().map(|x| x.max(0.0)).collect())
}

/// Point forecasts for the next `h` months, or `None` if `y` is too short.
/// Forecasts are not clipped (see [`forecast`]).
pub fn forecast_raw(method: Method, y: &[f64], h: usize, p: &ModelParams) -> Option<Vec<f64>> {
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
        Method::Holt | Method::DampedHolt | Method::HoltWinters | Method::Ets => {
            fit(method, y, p).map(|c| ets_predict(y, h, &c))
        }
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
            Some(aggregated(method, y, h, &mut |l| aggregate_forecast(y, l)))
        }
    }
}

/// [`forecast`] with a falling trend held after month `after`, as the
/// automatic choice forecasts beyond the months its back-test checked
/// (docs/formulas.md 4.4): the trend of Holt, damped Holt, Holt-Winters,
/// `ets` and Theta stops where month `after` took it, a seasonal pattern
/// going on around it; a rising trend runs on. Other methods have no
/// trend. True if a trend was held.
pub fn forecast_held(
    method: Method,
    y: &[f64],
    h: usize,
    p: &ModelParams,
    after: usize,
) -> Option<(Vec<f64>, bool)> {
    if y.len() < method.min_length(p) || y.is_empty() {
        return None;
    }
    let floor = |v: Vec<f64>| -> Vec<f64> { v.into_iter().map(|x| x.max(0.0)).collect() };
    let (f, plain) = match method {
        Method::Holt | Method::DampedHolt | Method::HoltWinters | Method::Ets => {
            ets_predict_held(y, h, &fit(method, y, p)?, after)
        }
        Method::Theta => theta_held(y, h, p.season, after),
        _ => return Some((forecast(method, y, h, p)?, false)),
    };
    // Held only where it changed a month (a trend already at 0 holds
    // nothing).
    let (f, plain) = (floor(f), floor(plain));
    let held = f != plain;
    Some((f, held))
}

/// [`forecast_raw`] with negative forecasts set to zero: demand is never negative.
pub fn forecast(method: Method, y: &[f64], h: usize, p: &ModelParams) -> Option<Vec<f64>> {
    forecast_raw(method, y, h, p).map(|v| v.into_iter().map(|x| x.max(0.0)).collect())
}

#[cfg(test)]
mod tests;
