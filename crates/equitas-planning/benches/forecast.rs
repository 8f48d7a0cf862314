//! Forecasting benchmark, side by side with Nixtla's statsforecast.
//!
//!     cargo bench -p equitas-planning --bench forecast -- [SERIES] [--csv FILE] [--compare FILE.json] [--models a,b]
//!
//! Builds SERIES (default 100,000) monthly demand series of 36 months from
//! the synthetic network (facility x product dispensing, seed 1), holds out
//! the last 6 months, and times each model forecasting them from the first
//! 30, on all cores (rayon) and on one; reports mean MASE per model; then
//! the automatic choice (rolling origin over all models) for every series.
//! `--csv` writes the series (unique_id, ds, y) for
//! `bench/statsforecast/compare.py`; `--compare` reads its JSON and prints
//! the speed ratios and MASE differences. `--models` runs only the models
//! named (as `compare.py FILE a,b` does) and skips the automatic choice,
//! unless `--auto` is given too (a model timed in the same run as the choice:
//! a peer for a machine shared with other work).
//! `--auto-only` times the automatic choice alone.
//! `--score` (with SERIES) scores instead, as `--scms` does below, every
//! model, the automatic choice and a zero forecast on the synthetic series;
//! `--tune` drops the last 6 months of every series first (figures to tune
//! on, measured before the months held out for the reported ones); `--cut N`
//! drops the last N months (`--cut 12`: the tuning window before that);
//! `--first K` keeps each series' first K months and the 6 after them (the
//! forecasts of short series, which have no back-test).
//! Measurement switches (environment): EQ_RANK (0 RMSSE, 1 MASE, 2 the M4
//! measure), EQ_SHORTLIST (0 or 1), EQ_COMBINE, EQ_WITHIN, EQ_ORIGINS,
//! EQ_SE (standard errors within which a model is pooled with the best),
//! EQ_STEADY (the steady model's name; another word: none), EQ_STEADY_SE
//! (its margin), EQ_CANDIDATES (method names, comma-separated), EQ_WINDOW
//! (the moving average's months), EQ_TSB_D and EQ_TSB_P (TSB's constants),
//! EQ_CROSTON_A (Croston's) set
//! the automatic choice's [`Evaluation`]; EQ_CLASSES prints MASE and RMSSE
//! per demand class.
//! `--dump FILE` writes every series' forecasts of the automatic choice
//! (with `--score` or `--scms`: of every model too), their intervals,
//! reasons and candidates' scores, each number exact (shortest round-trip),
//! one line per series: two builds give identical files when they forecast
//! the same (a speed change that must not change results is checked so).
//! `--paired` (with `--score` or `--scms`) prints the automatic choice
//! against each model and a zero forecast series by series: the mean
//! per-series difference of MASE and of RMSSE, its standard error, and on
//! how many series the choice is better.
//! EQ_CALIBRATE=1 (or `adi`: by ADI band) prints, per demand class, the
//! automatic choice's coverage and the factors of its interval widths that
//! would reach 80% and 95% (with `--tune`: how the class factors of
//! docs/formulas.md 4.5 were chosen).
//!
//! `--scms FILE` (the USAID SCMS shipments, `../shared/data/scms/`) scores
//! instead real intermittent series: monthly units delivered per country and
//! molecule, by delivery month, the last 36 complete months of the file (from each
//! series' first delivery), series with 24 months or more and demand in at
//! least 6 of the training months; every model, the automatic choice and a
//! zero forecast on MASE, RMSSE, the scaled pinball loss and the coverage of
//! their 80% and 95% intervals (each model's from its own rolling-origin
//! errors). With `--csv FILE` it writes them for `compare.py --accuracy`,
//! whose JSON `--compare FILE` prints beside them (bench/statsforecast/scms.sh).

use equitas_planning::metrics::{INTERVAL_QUANTILES, mase, rmsse, scaled_pinball};
use equitas_planning::models::{Method, ModelParams, forecast_raw};
use equitas_planning::select::{Choice, Evaluation, Rank, choose, choose_scored, evaluate};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

const HOLDOUT: usize = 6;
const MONTHS: u32 = 36;

fn series(target: usize) -> Vec<Vec<f64>> {
    let products = 150usize;
    let facilities = target.div_ceil(products);
    let net = equitas_synth::Network::new(equitas_synth::Config {
        facilities,
        products,
        months: MONTHS,
        ..equitas_synth::Config::default()
    });
    let first_facility = net
        .places
        .iter()
        .position(|p| p.level == equitas_synth::Level::Facility)
        .unwrap_or(0);
    let start = equitas_ledger::calendar::month_of(net.config.start);
    let mut out = vec![vec![0.0; MONTHS as usize]; facilities * products];
    equitas_synth::simulate(&net, &mut |e| {
        if e.step == equitas_synth::Step::Dispensing && e.location >= first_facility {
            let m = equitas_ledger::calendar::month_of(equitas_ledger::calendar::day_of_ms(e.at))
                - start;
            let q: f64 = e.lots.iter().map(|l| l.2).sum();
            out[(e.location - first_facility) * products + e.product][m as usize] += q;
        }
    });
    out.truncate(target);
    out
}

/// CPU seconds used by this process so far (user + system, from
/// /proc/self/stat; `None` elsewhere): on a machine shared with other work
/// the wall time says little, the CPU time divided by the cores is what the
/// same work takes on idle cores.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `2-Jun-06` as a month index (year * 12 + month - 1).
fn scms_month(s: &str) -> Option<i32> {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut it = s.trim().split('-');
    let (_day, mon, yy) = (it.next()?, it.next()?, it.next()?);
    let m = NAMES.iter().position(|&n| n == mon)? as i32;
    let y: i32 = yy.parse().ok()?;
    Some((2000 + y) * 12 + m)
}

/// Monthly units delivered per country and molecule (see the module doc),
/// each with its first month (year * 12 + month - 1).
fn scms_series(path: &str) -> Vec<(usize, Vec<f64>)> {
    // `cargo bench` runs in the crate's directory: a relative path as the
    // docs write it (from the repository's root) is tried from there too.
    let given = std::path::Path::new(path);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = if given.is_relative() && !given.exists() && root.join(given).exists() {
        root.join(given)
    } else {
        given.to_path_buf()
    };
    let mut r = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("cannot read the SCMS file {}: {e}", path.display()));
    let h = r.headers().expect("SCMS header").clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (country, molecule, delivered, qty, pack) = (
        col("country"),
        col("molecule/test type"),
        col("delivered to client date"),
        col("line item quantity"),
        col("unit of measure (per pack)"),
    );
    let mut cells: HashMap<(String, String), HashMap<i32, f64>> = HashMap::new();
    let (mut used, mut skipped) = (0usize, 0usize);
    for rec in r.records() {
        let rec = rec.expect("SCMS row");
        let units = rec[qty]
            .parse::<f64>()
            .ok()
            .zip(rec[pack].parse::<f64>().ok());
        match (scms_month(&rec[delivered]), units) {
            (Some(m), Some((q, p))) if q >= 0.0 && p > 0.0 => {
                *cells
                    .entry((rec[country].to_string(), rec[molecule].to_string()))
                    .or_default()
                    .entry(m)
                    .or_default() += q * p;
                used += 1;
            }
            _ => skipped += 1,
        }
    }
    // The file stops during its last delivery month (2015-09: 21 shipments,
    // against about 120 a month before): the series end the month before.
    let last = cells
        .values()
        .flat_map(|c| c.keys())
        .copied()
        .max()
        .unwrap_or(0)
        - 1;
    let mut keys: Vec<&(String, String)> = cells.keys().collect();
    keys.sort();
    let out: Vec<(usize, Vec<f64>)> = keys
        .into_iter()
        .filter_map(|k| {
            let c = &cells[k];
            let first = c.keys().copied().min()?.max(last - MONTHS as i32 + 1);
            let y: Vec<f64> = (first..=last)
                .map(|m| c.get(&m).copied().unwrap_or(0.0))
                .collect();
            let train = &y[..y.len().saturating_sub(HOLDOUT)];
            (y.len() >= 24 && train.iter().filter(|&&v| v > 0.0).count() >= 6)
                .then_some((first as usize, y))
        })
        .collect();
    println!(
        "SCMS: {used} shipments used, {skipped} without a delivery date or quantity; {} country x molecule series kept",
        out.len()
    );
    out
}

/// Mean MASE, RMSSE, scaled pinball loss and 80% / 95% coverage of
/// forecasts with intervals on the held-out months.
#[derive(Default)]
struct Tally {
    mase: Vec<f64>,
    rmsse: Vec<f64>,
    spl: Vec<f64>,
    in80: usize,
    in95: usize,
    months: usize,
}

/// One row of the side-by-side table: name, series, MASE, RMSSE, SPL,
/// 80% and 95% coverage (NaN where not measured).
type Row = (String, usize, [f64; 5]);

impl Tally {
    fn add(&mut self, y: &[f64], f: &[f64], bands: Option<[&[f64]; 4]>) {
        let (train, test) = y.split_at(y.len() - HOLDOUT);
        self.mase.extend(mase(test, f, train));
        self.rmsse.extend(rmsse(test, f, train));
        if let Some([l80, u80, l95, u95]) = bands {
            let q: Vec<(f64, &[f64])> = INTERVAL_QUANTILES
                .into_iter()
                .zip([l95, l80, u80, u95])
                .collect();
            self.spl.extend(scaled_pinball(test, &q, train));
            for (k, a) in test.iter().enumerate() {
                self.in80 += usize::from(l80[k] <= *a && *a <= u80[k]);
                self.in95 += usize::from(l95[k] <= *a && *a <= u95[k]);
                self.months += 1;
            }
        }
    }

    fn row(&self, name: &str) -> Row {
        let mean = |v: &[f64]| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let cov = |n: usize| {
            if self.months == 0 {
                f64::NAN
            } else {
                n as f64 / self.months as f64
            }
        };
        (
            name.to_string(),
            self.mase.len(),
            [
                mean(&self.mase),
                mean(&self.rmsse),
                mean(&self.spl),
                cov(self.in80),
                cov(self.in95),
            ],
        )
    }
}

fn print_rows(rows: &[Row]) {
    println!(
        "{:<34} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "forecast", "series", "MASE", "RMSSE", "SPL", "cov 80", "cov 95"
    );
    let num = |v: f64, pct: bool| {
        if v.is_nan() {
            "-".to_string()
        } else if pct {
            format!("{:.1}%", 100.0 * v)
        } else {
            format!("{v:.3}")
        }
    };
    for (name, n, v) in rows {
        println!(
            "{:<34} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}",
            name,
            n,
            num(v[0], false),
            num(v[1], false),
            num(v[2], false),
            num(v[3], true),
            num(v[4], true)
        );
    }
}

/// Every model, the automatic choice and a zero forecast on the held-out
/// months of `data`; with `compare`, statsforecast's figures on the same
/// series (from `bench/statsforecast/compare.py --accuracy`) beside them,
/// and the best statsforecast figure of each column.
/// The automatic choice's settings: the defaults, or those of the
/// measurement switches (module doc).
fn evaluation() -> Evaluation {
    let var = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    let mut e = Evaluation::default();
    if let Some(v) = var("EQ_COMBINE") {
        e.combine = v as usize;
    }
    if let Some(v) = var("EQ_WITHIN") {
        e.within = v;
    }
    if let Some(v) = var("EQ_ORIGINS") {
        e.origins = v as usize;
    }
    if let Some(v) = var("EQ_SHORTLIST") {
        e.shortlist = v > 0.0;
    }
    if let Some(v) = var("EQ_RANK") {
        e.rank = [Rank::Rmsse, Rank::Mase, Rank::Owa][v as usize];
    }
    if let Some(v) = var("EQ_SE") {
        e.separate = v;
    }
    if let Ok(v) = std::env::var("EQ_STEADY") {
        e.steady = Method::from_name(&v);
    }
    if let Some(v) = var("EQ_STEADY_SE") {
        e.steady_margin = v;
    }
    if let Some(v) = var("EQ_WINDOW") {
        e.params.window = v as usize;
    }
    if let Some(v) = var("EQ_TSB_D") {
        e.params.tsb_alpha_d = v;
    }
    if let Some(v) = var("EQ_TSB_P") {
        e.params.tsb_alpha_p = v;
    }
    if let Some(v) = var("EQ_CROSTON_A") {
        e.params.croston_alpha = v;
    }
    if let Ok(v) = std::env::var("EQ_CANDIDATES") {
        e.candidates = v.split(',').filter_map(Method::from_name).collect();
    }
    e
}

/// One line of `--dump`: a choice's every figure, exact.
fn describe(c: Option<&equitas_planning::select::Choice>) -> String {
    let Some(c) = c else {
        return "none".to_string();
    };
    let scores: Vec<String> = c
        .scores
        .iter()
        .map(|s| {
            format!(
                "{} {:?} {:?} {:?} {} {:?} {:?}",
                s.method.as_str(),
                s.mase,
                s.rmsse,
                s.rank,
                s.origins,
                s.rmse_by_step,
                s.backtest
            )
        })
        .collect();
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {} | {}",
        c.combined,
        c.mean,
        c.lower80,
        c.upper80,
        c.lower95,
        c.upper95,
        c.reason,
        scores.join("; ")
    )
}

/// Writes `--dump`'s lines.
fn dump(path: &str, lines: impl Iterator<Item = String>) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create the dump"));
    for l in lines {
        writeln!(w, "{l}").expect("write the dump");
    }
    println!("forecasts written to {path}");
}

fn score_all(
    data: &[Vec<f64>],
    compare: Option<&str>,
    auto_only: bool,
    paired_too: bool,
    dump_to: Option<&str>,
) {
    let e = evaluation();
    let forced: Vec<Option<Method>> = std::iter::once(None)
        .chain(Method::ALL.into_iter().map(Some).filter(|_| !auto_only))
        .collect();
    // Each series' candidates scored once, then every forecast made from
    // those scores (as `forecast accuracy` does).
    let chosen: Vec<Vec<_>> = data
        .par_iter()
        .map(|y| {
            let train = &y[..y.len() - HOLDOUT];
            let scores = evaluate(train, HOLDOUT, &e);
            forced
                .iter()
                .map(|&m| choose_scored(train, HOLDOUT, &e, m, scores.clone()))
                .collect()
        })
        .collect();
    if let Some(path) = dump_to {
        dump(
            path,
            chosen.iter().map(|cs| {
                cs.iter()
                    .map(|c| describe(c.as_ref()))
                    .collect::<Vec<_>>()
                    .join(" || ")
            }),
        );
    }
    if std::env::var("EQ_CLASSES").is_ok() {
        for class in ["smooth", "erratic", "intermittent", "lumpy"] {
            for (j, m) in forced.iter().enumerate() {
                let mut t = Tally::default();
                for (y, c) in data.iter().zip(&chosen) {
                    if let Some(c) = c[j].as_ref().filter(|c| c.pattern.class == class) {
                        t.add(y, &c.mean, None);
                    }
                }
                let r = t.row(m.map_or("auto", Method::as_str));
                println!(
                    "{class:<13} {:<18} {:>6} {:.3} {:.3}",
                    r.0, r.1, r.2[0], r.2[1]
                );
            }
        }
    }
    if std::env::var("EQ_CALIBRATE").is_ok() {
        calibration(data, &chosen);
    }
    if paired_too {
        paired(data, &forced, &chosen);
    }
    let mut rows: Vec<Row> = Vec::new();
    for (j, m) in forced.iter().enumerate() {
        let mut t = Tally::default();
        for (y, c) in data.iter().zip(&chosen) {
            if let Some(c) = &c[j] {
                t.add(
                    y,
                    &c.mean,
                    Some([&c.lower80, &c.upper80, &c.lower95, &c.upper95]),
                );
            }
        }
        rows.push(t.row(m.map_or("auto", Method::as_str)));
    }
    let mut t = Tally::default();
    for y in data {
        t.add(y, &[0.0; HOLDOUT], None);
    }
    rows.push(t.row("zero"));
    if let Some(path) = compare {
        let text = std::fs::read_to_string(path).expect("read the statsforecast results");
        let sf: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).expect("statsforecast JSON");
        let mut best = [f64::INFINITY; 3];
        for (name, v) in &sf {
            let g = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            let r = [g("mase"), g("rmsse"), g("spl"), g("cov80"), g("cov95")];
            for (b, x) in best.iter_mut().zip(r) {
                if x < *b {
                    *b = x;
                }
            }
            rows.push((
                format!("statsforecast {name}"),
                v["series"].as_u64().unwrap_or(0) as usize,
                r,
            ));
        }
        rows.push((
            "statsforecast, best of each".to_string(),
            0,
            [best[0], best[1], best[2], f64::NAN, f64::NAN],
        ));
    }
    print_rows(&rows);
}

/// `--paired`: the automatic choice against each model (and a zero
/// forecast) series by series: the mean difference of their MASE and of
/// their RMSSE on the held-out months (choice − model: below 0, the choice
/// is better), its standard error over the series both forecast, and the
/// number of series where the choice is better on each measure. Whether a
/// difference in the tables' means is more than the luck of these months.
fn paired(data: &[Vec<f64>], forced: &[Option<Method>], chosen: &[Vec<Option<Choice>>]) {
    let scored = |y: &[f64], f: &[f64]| -> Option<(f64, f64)> {
        let (train, test) = y.split_at(y.len() - HOLDOUT);
        mase(test, f, train).zip(rmsse(test, f, train))
    };
    let zero = [0.0; HOLDOUT];
    println!(
        "{:<20} {:>7} {:>22} {:>8} {:>22} {:>8}",
        "choice against", "series", "MASE diff (s.e.)", "better", "RMSSE diff (s.e.)", "better"
    );
    for (j, m) in forced
        .iter()
        .enumerate()
        .skip(1)
        .map(|(j, m)| (Some(j), *m))
        .chain([(None, None)])
    {
        let d: Vec<(f64, f64)> = data
            .iter()
            .zip(chosen)
            .filter_map(|(y, c)| {
                let (am, ar) = scored(y, &c[0].as_ref()?.mean)?;
                let other = match j {
                    Some(j) => c[j].as_ref()?.mean.as_slice(),
                    None => zero.as_slice(),
                };
                let (bm, br) = scored(y, other)?;
                Some((am - bm, ar - br))
            })
            .collect();
        let n = d.len() as f64;
        if d.len() < 2 {
            continue;
        }
        let stats = |v: Vec<f64>| {
            let mean = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let better = v.iter().filter(|&&x| x < 0.0).count();
            (mean, (var / n).sqrt(), better)
        };
        let (mm, ms, mb) = stats(d.iter().map(|p| p.0).collect());
        let (rm, rs, rb) = stats(d.iter().map(|p| p.1).collect());
        println!(
            "{:<20} {:>7} {:>+12.4} ({:.4}) {:>8} {:>+12.4} ({:.4}) {:>8}",
            m.map_or("zero", Method::as_str),
            d.len(),
            mm,
            ms,
            mb,
            rm,
            rs,
            rb
        );
    }
}

/// The automatic choice's held-out months by demand class: their number,
/// the 80% and 95% coverage, and the factors by which the intervals' half
/// widths would have to be multiplied to reach 80% and 95% (the
/// ⌈(n + 1) q⌉-th smallest of |actual − forecast| / half width, split
/// conformal per class, docs/formulas.md 4.5). Run with `--tune` only: the
/// factors are chosen on those months, never on the held-out ones.
fn calibration(data: &[Vec<f64>], chosen: &[Vec<Option<equitas_planning::select::Choice>>]) {
    let mut by: std::collections::BTreeMap<&'static str, [Vec<f64>; 2]> = Default::default();
    for (y, c) in data.iter().zip(chosen) {
        let Some(c) = &c[0] else { continue };
        let test = &y[y.len() - HOLDOUT..];
        let key = match std::env::var("EQ_CALIBRATE").as_deref() {
            Ok("adi") => match c.pattern.adi {
                Some(a) if a <= 1.32 => "adi <= 1.32",
                Some(a) if a <= 2.0 => "adi 1.32-2",
                Some(a) if a <= 3.0 => "adi 2-3",
                Some(_) => "adi > 3",
                None => "no demand",
            },
            _ => c.pattern.class,
        };
        let entry = by.entry(key).or_default();
        for (k, a) in test.iter().enumerate() {
            for (v, up) in entry.iter_mut().zip([&c.upper80, &c.upper95]) {
                let w = up[k] - c.mean[k];
                let d = (a - c.mean[k]).abs();
                v.push(if w > 0.0 {
                    d / w
                } else if d > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                });
            }
        }
    }
    println!("class          months  cov 80  cov 95  factor 80  factor 95");
    for (class, [u80, u95]) in &mut by {
        let cov = |v: &[f64]| v.iter().filter(|&&u| u <= 1.0).count() as f64 / v.len() as f64;
        let q = |v: &mut Vec<f64>, level: f64| {
            v.sort_by(f64::total_cmp);
            let i = ((v.len() + 1) as f64 * level).ceil() as usize;
            v[i.clamp(1, v.len()) - 1]
        };
        let (c80, c95) = (cov(u80), cov(u95));
        println!(
            "{class:<13} {:>7} {:>6.1}% {:>6.1}% {:>10.3} {:>10.3}",
            u80.len(),
            100.0 * c80,
            100.0 * c95,
            q(u80, 0.80),
            q(u95, 0.95)
        );
    }
}

/// Writes `data` as (unique_id, ds, y) for `bench/statsforecast/compare.py`,
/// the first month of each series being `first(i)` (year * 12 + month - 1).
fn write_csv(path: &str, data: &[Vec<f64>], first: impl Fn(usize) -> usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create the CSV"));
    writeln!(w, "unique_id,ds,y").unwrap();
    for (i, y) in data.iter().enumerate() {
        for (m, v) in y.iter().enumerate() {
            let ym = first(i) + m;
            writeln!(w, "{i},{:04}-{:02}-01,{v}", ym / 12, ym % 12 + 1).unwrap();
        }
    }
    println!("{} series written to {path}", data.len());
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let target: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    // `--tune`: the last 6 months of every series are dropped, so that what
    // follows is measured on earlier months (to tune on) and never on the
    // months held out for the figures reported.
    // `--cut N` drops the last N months instead (several earlier windows to
    // tune on: `--cut 12` is the window before `--tune`'s).
    let dropped = match opt("--cut") {
        Some(n) => n.parse::<usize>().expect("--cut takes a number of months"),
        None if args.iter().any(|a| a == "--tune") => HOLDOUT,
        None => 0,
    };
    // `--first K` keeps each series' first K months and the 6 after them
    // (series shorter than that are left out): how the forecasts of short
    // series, which have no back-test (docs/formulas.md 4.4-4.5), hold.
    let first: Option<usize> =
        opt("--first").map(|k| k.parse().expect("--first takes a number of months"));
    let cut = |mut y: Vec<f64>| {
        y.truncate(y.len().saturating_sub(dropped));
        if let Some(k) = first {
            if y.len() < k + HOLDOUT {
                y.clear();
            }
            y.truncate(k + HOLDOUT);
        }
        y
    };
    let long_enough = |y: &Vec<f64>| match first {
        Some(k) => y.len() == k + HOLDOUT,
        None => y.len() >= HOLDOUT + 12,
    };
    let auto_only = args.iter().any(|a| a == "--auto-only");
    let paired_too = args.iter().any(|a| a == "--paired");
    if let Some(path) = opt("--scms") {
        let (firsts, data): (Vec<usize>, Vec<Vec<f64>>) = scms_series(&path)
            .into_iter()
            .map(|(f, y)| (f, cut(y)))
            .filter(|(_, y)| long_enough(y))
            .unzip();
        if let Some(csv) = opt("--csv") {
            write_csv(&csv, &data, |i| firsts[i]);
        }
        score_all(
            &data,
            opt("--compare").as_deref(),
            auto_only,
            paired_too,
            opt("--dump").as_deref(),
        );
        return;
    }
    let t = Instant::now();
    let data: Vec<Vec<f64>> = series(target)
        .into_iter()
        .map(cut)
        .filter(|y| first.is_none() || long_enough(y))
        .collect();
    println!(
        "{} series of {} months built in {:.1} s (not timed below)",
        data.len(),
        data.first().map_or(0, Vec::len),
        t.elapsed().as_secs_f64()
    );
    if let Some(path) = opt("--csv") {
        write_csv(&path, &data, |_| 2025 * 12);
    }
    if args.iter().any(|a| a == "--score") {
        score_all(
            &data,
            opt("--compare").as_deref(),
            auto_only,
            paired_too,
            opt("--dump").as_deref(),
        );
        return;
    }
    let p = ModelParams::default();
    let threads = rayon::current_num_threads();
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>8}",
        "model", "all cores", "one core", "series", "MASE"
    );
    let mut ours: HashMap<String, (f64, f64, f64)> = HashMap::new();
    let only = opt("--models");
    let wanted = |m: Method| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|n| n == m.as_str()))
    };
    for m in Method::ALL.into_iter().filter(|&m| wanted(m) && !auto_only) {
        let run = |y: &Vec<f64>| {
            let (train, test) = y.split_at(y.len() - HOLDOUT);
            forecast_raw(m, train, HOLDOUT, &p).and_then(|f| mase(test, &f, train))
        };
        let t = Instant::now();
        let scores: Vec<Option<f64>> = data.par_iter().map(run).collect();
        let par = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let _: Vec<Option<f64>> = data.iter().map(run).collect();
        let one = t.elapsed().as_secs_f64();
        let v: Vec<f64> = scores.into_iter().flatten().collect();
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        println!(
            "{:<18} {:>9.2}s {:>9.2}s {:>10} {:>8.4}",
            m.as_str(),
            par,
            one,
            v.len(),
            mean
        );
        ours.insert(m.as_str().to_string(), (par, one, mean));
    }
    let e = evaluation();
    let skip_auto = only.is_some() && !args.iter().any(|a| a == "--auto");
    let t = Instant::now();
    let cpu = cpu_seconds();
    let chosen: Vec<Option<f64>> = if skip_auto {
        Vec::new()
    } else {
        data.par_iter()
            .map(|y| {
                let (train, test) = y.split_at(y.len() - HOLDOUT);
                choose(train, HOLDOUT, &e, None).and_then(|c| mase(test, &c.mean, train))
            })
            .collect()
    };
    let auto = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu).map(|(b, a)| b - a);
    let v: Vec<f64> = chosen.into_iter().flatten().collect();
    if !skip_auto {
        println!(
            "automatic choice ({} candidates x {} rolling origins, then the forecast) for {} series: {auto:.1} s on {threads} threads (target < 60 s on 2 cores); MASE {:.4}",
            e.candidates.len(),
            e.origins,
            data.len(),
            v.iter().sum::<f64>() / v.len().max(1) as f64
        );
        if let Some(c) = cpu {
            println!(
                "  CPU time {c:.1} s: {:.1} s on {threads} idle cores",
                c / threads as f64
            );
        }
    }
    if let Some(path) = opt("--dump").filter(|_| !skip_auto) {
        // Untimed: the same choices again, written out.
        let lines: Vec<String> = data
            .par_iter()
            .map(|y| describe(choose(&y[..y.len() - HOLDOUT], HOLDOUT, &e, None).as_ref()))
            .collect();
        dump(&path, lines.into_iter());
    }
    if let Some(path) = opt("--compare") {
        let text = std::fs::read_to_string(&path).expect("read the statsforecast results");
        let sf: HashMap<String, serde_json::Value> =
            serde_json::from_str(&text).expect("statsforecast JSON");
        println!("\nside by side with statsforecast ({path}):");
        println!(
            "{:<18} {:>12} {:>12} {:>8} {:>10} {:>10} {:>9}",
            "model", "sf seconds", "ours", "speed-up", "sf MASE", "our MASE", "MASE diff"
        );
        let mut names: Vec<&String> = sf.keys().collect();
        names.sort();
        for name in names {
            let Some(&(par, _, mean)) = ours.get(name.as_str()) else {
                continue;
            };
            let s = sf[name]["seconds"].as_f64().unwrap_or(f64::NAN);
            let m = sf[name]["mase"].as_f64().unwrap_or(f64::NAN);
            println!(
                "{:<18} {:>11.2}s {:>11.3}s {:>7.0}x {:>10.4} {:>10.4} {:>8.2}%",
                name,
                s,
                par,
                s / par,
                m,
                mean,
                (mean - m) / m * 100.0
            );
        }
    }
}
