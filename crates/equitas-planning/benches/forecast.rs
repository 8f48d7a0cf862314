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
//! named (as `compare.py FILE a,b` does) and skips the automatic choice.

use equitas_planning::metrics::mase;
use equitas_planning::models::{Method, ModelParams, forecast_raw};
use equitas_planning::select::{Evaluation, choose};
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
    let t = Instant::now();
    let data = series(target);
    println!(
        "{} series of {MONTHS} months built in {:.1} s (not timed below)",
        data.len(),
        t.elapsed().as_secs_f64()
    );
    if let Some(path) = opt("--csv") {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create the CSV"));
        writeln!(w, "unique_id,ds,y").unwrap();
        for (i, y) in data.iter().enumerate() {
            for (m, v) in y.iter().enumerate() {
                writeln!(w, "{i},{:04}-{:02}-01,{v}", 2025 + m / 12, m % 12 + 1).unwrap();
            }
        }
        println!("series written to {path}");
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
    for m in Method::ALL.into_iter().filter(|&m| wanted(m)) {
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
    let e = Evaluation::default();
    let t = Instant::now();
    let chosen: Vec<Option<f64>> = if only.is_some() {
        Vec::new()
    } else {
        data.par_iter()
            .map(|y| {
                let (train, test) = y.split_at(y.len() - HOLDOUT);
                choose(train, HOLDOUT, &e, None).and_then(|c| {
                    forecast_raw(c.method, train, HOLDOUT, &p).and_then(|f| mase(test, &f, train))
                })
            })
            .collect()
    };
    let auto = t.elapsed().as_secs_f64();
    let v: Vec<f64> = chosen.into_iter().flatten().collect();
    if only.is_none() {
        println!(
            "automatic choice ({} candidates x 6 rolling origins, then the forecast) for {} series: {auto:.1} s on {threads} threads (target < 60 s on 2 cores); MASE {:.4}",
            e.candidates.len(),
            data.len(),
            v.iter().sum::<f64>() / v.len().max(1) as f64
        );
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
