//! Disruption scenario benchmark (issue 21, docs/benchmarks.md):
//!
//!     cargo bench -p equitas-service --bench scenario -- [RUNS]
//!
//! 1. One scenario over 50 countries × 150 products with 1,000 Monte Carlo
//!    paths: generated inputs (a fixed-seed generator: each product made by
//!    six manufacturers in five producing countries, each country buying
//!    from two to four of them), the largest producing country stopped for a
//!    triangular(3, 6, 12) months, a +30% surge in five countries. Target:
//!    under 5 s on one core.
//! 2. The node ranking over every node (site, manufacturer, producing
//!    country) of the SCMS network, from the real file loaded into a fresh
//!    SQLite database (setup, reported for information). Target: under 30 s.
//!
//! Each is run RUNS times (default 5); the median is reported, of the wall
//! time and of the thread's own CPU time (Linux's schedstat: what it takes on
//! one core when other processes share the machine).

use equitas_scenario::{Inputs, Need, Scenario, SupplyFlow, compile, rank_nodes, run};
use equitas_service::Ctx;
use equitas_store::import::ImportKind;
use equitas_store::testing::{import_data, sqlite};
use std::time::Instant;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn generated(countries: usize, products: usize) -> Inputs {
    let producers = ["IND", "CHN", "ZAF", "DEU", "USA"];
    let mut g = Lcg(1);
    let mut inp = Inputs {
        start: Some("2026-01-01".parse().unwrap()),
        ..Inputs::default()
    };
    for c in 0..countries {
        let buyer = format!("C{c:02}");
        inp.income_groups.insert(
            buyer.clone(),
            [
                "Low income",
                "Lower middle income",
                "Upper middle income",
                "High income",
            ][c % 4]
                .to_string(),
        );
        for p in 0..products {
            let product = format!("p{p:03}");
            let n = 2 + (g.next() * 3.0) as usize;
            let mut total = 0.0;
            for k in 0..n {
                let m = (p + k * 5 + (g.next() * 6.0) as usize) % 6;
                // The first producing country makes half the manufacturers.
                let country = producers[if m < 3 { 0 } else { m - 2 }];
                let per_month = 100.0 + 1000.0 * g.next();
                total += per_month;
                inp.flows.push(SupplyFlow {
                    buyer: buyer.clone(),
                    product: product.clone(),
                    manufacturer: Some(format!("m{p}-{m}")),
                    site: Some(format!("s{p}-{m}")),
                    country: Some(country.to_string()),
                    ingredient_countries: vec![],
                    region: None,
                    per_month,
                });
            }
            inp.needs.push(Need {
                country: buyer.clone(),
                product,
                per_month: total,
                stock: (c % 3 != 0).then(|| total * 4.0 * g.next()),
                pipeline: 0.0,
            });
        }
    }
    inp.lead_times = (0..100).map(|_| 2.0 + 6.0 * g.next()).collect();
    inp
}

/// Seconds this thread has run on a CPU (Linux; 0 elsewhere).
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let inp = generated(50, 150);
    let s = Scenario::parse(
        r#"
[[shocks]]
producing_country = "largest"
triangular = [3, 6, 12]
[[surges]]
countries = ["C00", "C01", "C02", "C03", "C04"]
increase = 0.3
months = 4
[options]
paths = 1000
"#,
    )
    .unwrap();
    let c = compile(&s, &inp).unwrap();
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        let (t, c0) = (Instant::now(), cpu());
        let r = run(&c, &inp, true);
        times.push(t.elapsed().as_secs_f64());
        cpus.push(cpu() - c0);
        rows = r.len();
    }
    println!(
        "scenario, {} needs, {} flows, 1,000 paths: {rows} pairs touched; median {:.3} s wall, {:.3} s CPU over {runs} runs (wall {times:.3?}; CPU {cpus:.3?})",
        inp.needs.len(),
        inp.flows.len(),
        median(times.clone()),
        median(cpus.clone())
    );

    let t = Instant::now();
    let mut st = sqlite();
    for (kind, file) in [
        (ImportKind::Countries, "country-codes.csv"),
        (ImportKind::IncomeGroups, "who_regions_wb_income.csv"),
        (ImportKind::Scms, "supply_chain_shipment_pricing.csv"),
        (ImportKind::Regulators, "supply-regulators.csv"),
    ] {
        import_data(&mut st, kind, file);
    }
    let setup = t.elapsed().as_secs_f64();
    let data = equitas_store::stock::load(st.store.as_mut()).unwrap();
    let t = Instant::now();
    let (inp, lines) = equitas_service::scenario::inputs(
        &mut Ctx::new(st.store.as_mut(), Some(&data)),
        &[],
        false,
        equitas_scenario::Options::default().demand_months,
    )
    .unwrap();
    let load = t.elapsed().as_secs_f64();
    let s = Scenario::parse(equitas_service::scenario::DEFAULT_SCENARIO).unwrap();
    let c = compile(&s, &inp).unwrap();
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut nodes = 0;
    for _ in 0..runs {
        let (t, c0) = (Instant::now(), cpu());
        nodes = rank_nodes(&c, &inp).len();
        times.push(t.elapsed().as_secs_f64());
        cpus.push(cpu() - c0);
    }
    println!(
        "node ranking, SCMS ({lines} lines, {} flows, {} needs): {nodes} nodes; setup (import) {setup:.1} s, inputs from the store {load:.3} s; median {:.3} s wall, {:.3} s CPU over {runs} runs (wall {times:.3?}; CPU {cpus:.3?})",
        inp.flows.len(),
        inp.needs.len(),
        median(times.clone()),
        median(cpus.clone())
    );
}
