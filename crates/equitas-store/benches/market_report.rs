//! Benchmark: the full market report over N procurement lines (default
//! 1,000,000) generated from the real distribution of the SCMS file.
//!
//! Run: `cargo bench -p equitas-store --bench market_report [-- LINES]`
//!
//! Lines are drawn with replacement from the 10,324 real SCMS lines (a
//! fixed-seed xorshift generator), with quantity scaled by a factor from
//! 0.5 to 2 (value scaled alike, so unit prices keep their real spread),
//! dates shifted by up to +-180 days and buyer country redrawn from the
//! real ones: the mix of products, suppliers, sites, modes, prices and
//! delays is that of the real data.
//!
//! Measured, one thread: (1) writing the lines into a fresh SQLite file
//! in one transaction (setup, reported for information); (2) loading the
//! observations back; (3) computing the full report: prices by product and
//! by product x country, MPRs, concentration by supplier, site and
//! manufacturing country per product and by supplier per product x
//! country, and delivery performance by supplier, mode and country.

use equitas_market::analysis::{self, ConcentrationBands, Dataset, Dim, ReferencePrice, Weight};
use equitas_market::scms::parse_scms;
use equitas_model::reference::{
    CountryNames, parse_country_aliases, parse_country_codes, parse_site_mapping,
};
use equitas_store::market::{Filter, observations};
use equitas_store::{SqliteStore, Store, migrations, repo};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn data(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let countries: Vec<_> = parse_country_codes(data("country-codes.csv").as_slice())
        .unwrap()
        .records
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let aliases: Vec<_> = parse_country_aliases(data("country-name-aliases.csv").as_slice())
        .unwrap()
        .records
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    let names = CountryNames::new(&countries, &aliases);
    let sites: HashMap<_, _> = parse_site_mapping(data("scms-manufacturing-sites.csv").as_slice())
        .unwrap()
        .records
        .into_iter()
        .map(|(_, m)| (m.site.clone(), m))
        .collect();
    let lookup = |s: &str| names.lookup(s);
    let scms = parse_scms(
        data("supply_chain_shipment_pricing.csv").as_slice(),
        &lookup,
        &sites,
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
    migrations::migrate(&mut store).unwrap();
    let t = Instant::now();
    {
        let mut tx = store.begin().unwrap();
        for c in &countries {
            repo::put_country(tx.as_mut(), c).unwrap();
        }
        for o in &scms.organisations {
            repo::put_organisation(tx.as_mut(), o).unwrap();
        }
        for p in &scms.products {
            repo::put_product(tx.as_mut(), p).unwrap();
        }
        for i in &scms.trade_items {
            repo::put_trade_item(tx.as_mut(), i).unwrap();
        }
        for s in &scms.sites {
            repo::put_site(tx.as_mut(), s).unwrap();
        }
        let buyers: Vec<String> = {
            let mut b: Vec<String> = scms
                .lines
                .iter()
                .map(|(_, l)| l.buyer_country.clone())
                .collect();
            b.sort();
            b.dedup();
            b
        };
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for i in 0..n {
            let (_, src) = &scms.lines[rng.below(scms.lines.len())];
            let mut l = src.clone();
            l.source = "bench".into();
            l.source_id = i.to_string();
            let k = 0.5 + 1.5 * rng.unit();
            l.quantity = (l.quantity * k).max(1.0).round();
            l.value = l.value.map(|v| v * l.quantity / src.quantity.max(1.0));
            l.buyer_country = buyers[rng.below(buyers.len())].clone();
            let shift = chrono::Days::new(rng.below(361) as u64);
            let back = chrono::Days::new(180);
            let mv = |d: Option<chrono::NaiveDate>| {
                d.and_then(|d| d.checked_add_days(shift)?.checked_sub_days(back))
            };
            l.order_date = mv(l.order_date);
            l.scheduled_date = mv(l.scheduled_date);
            l.delivered_date = mv(l.delivered_date);
            l.gaps.clear();
            repo::put_procurement_line(tx.as_mut(), &l).unwrap();
        }
        tx.commit().unwrap();
    }
    let write = t.elapsed();

    let t = Instant::now();
    let obs = Dataset::from(observations(&mut store, &Filter::default()).unwrap());
    let load = t.elapsed();
    assert_eq!(obs.len(), n);

    // Reference prices for every product (a fixed fraction of its median), so MPR runs on all.
    let refs: HashMap<String, ReferencePrice> = analysis::prices(&obs, &[Dim::Product])
        .into_iter()
        .filter_map(|r| {
            let m = r.unit_price?.median;
            Some((
                r.key[0].clone(),
                ReferencePrice {
                    product: r.key[0].clone(),
                    price_usd: m * 0.9,
                    source: "bench".into(),
                },
            ))
        })
        .collect();

    let t = Instant::now();
    let bands = ConcentrationBands::default();
    let mut rows = 0usize;
    let mut steps: Vec<(&str, f64)> = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> usize| {
        let t = Instant::now();
        rows += f();
        steps.push((name, t.elapsed().as_secs_f64()));
    };
    step("prices by product", &mut || {
        analysis::prices(&obs, &[Dim::Product]).len()
    });
    step("prices by product x country", &mut || {
        analysis::prices(&obs, &[Dim::Product, Dim::BuyerCountry]).len()
    });
    step("MPR by product", &mut || {
        analysis::mpr(&obs, &refs, false, 4, 1.0).rows.len()
    });
    step("MPR by product x country", &mut || {
        analysis::mpr(&obs, &refs, true, 4, 1.0).rows.len()
    });
    for (name, by) in [
        ("concentration by supplier", Dim::Supplier),
        ("concentration by site", Dim::Site),
        ("concentration by site country", Dim::SiteCountry),
    ] {
        step(name, &mut || {
            analysis::concentration_table(&obs, &[Dim::Product], by, Weight::Value, &bands).len()
        });
    }
    step("concentration product x country", &mut || {
        analysis::concentration_table(
            &obs,
            &[Dim::Product, Dim::BuyerCountry],
            Dim::Supplier,
            Weight::Quantity,
            &bands,
        )
        .len()
    });
    for (name, by) in [
        ("delivery by supplier", Dim::Supplier),
        ("delivery by mode", Dim::Mode),
        ("delivery by country", Dim::BuyerCountry),
    ] {
        step(name, &mut || analysis::delivery(&obs, &[by], 0).len());
    }
    let compute = t.elapsed();

    println!("market_report: {n} procurement lines (generated from the SCMS distribution)");
    println!(
        "  setup: write to SQLite      {:>8.2} s  ({:.0} lines/s)",
        write.as_secs_f64(),
        n as f64 / write.as_secs_f64()
    );
    println!(
        "  load observations (SQLite)  {:>8.2} s",
        load.as_secs_f64()
    );
    println!(
        "  compute full report         {:>8.2} s  ({rows} result rows)",
        compute.as_secs_f64()
    );
    for (name, secs) in &steps {
        println!("    {name:<32} {secs:>6.3} s");
    }
    println!(
        "  load + compute              {:>8.2} s  (target: under 5 s)",
        (load + compute).as_secs_f64()
    );
}
