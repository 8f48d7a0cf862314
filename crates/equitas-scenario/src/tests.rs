use super::*;
use equitas_doc_vectors::vectors;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn flow(buyer: &str, product: &str, site: &str, country: &str, per_month: f64) -> SupplyFlow {
    SupplyFlow {
        buyer: buyer.into(),
        product: product.into(),
        manufacturer: Some(format!("m-{site}")),
        site: Some(site.into()),
        country: Some(country.into()),
        ingredient_countries: vec![],
        region: None,
        per_month,
    }
}

fn need(country: &str, product: &str, per_month: f64, stock: Option<f64>) -> Need {
    Need {
        country: country.into(),
        product: product.into(),
        per_month,
        stock,
        pipeline: 0.0,
    }
}

/// One pair, KEN × p, supplied by sites s0, s1... with the given monthly
/// volumes; a shock on each site with a positive loss.
fn one_pair(demand: f64, stock: f64, pipeline: f64, shares: &[(f64, f64)]) -> (Scenario, Inputs) {
    let mut inp = Inputs {
        start: Some(d("2026-01-01")),
        ..Inputs::default()
    };
    let mut s = Scenario::default();
    for (i, (w, loss)) in shares.iter().enumerate() {
        inp.flows
            .push(flow("KEN", "p", &format!("s{i}"), "IND", w * demand));
        if *loss > 0.0 {
            s.shocks.push(model::Shock {
                site: Some(format!("s{i}")),
                manufacturer: None,
                producing_country: None,
                ingredient_country: None,
                region: None,
                loss: *loss,
                from: None,
                months: Some(6.0),
                triangular: None,
            });
        }
    }
    inp.needs.push(Need {
        pipeline,
        ..need("KEN", "p", demand, Some(stock))
    });
    (s, inp)
}

fn opt(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
}

/// docs/formulas.md, section 7.2-7.4.
#[test]
fn scenario_worked_examples() {
    for v in vectors("scenario_pair") {
        let shares: Vec<(f64, f64)> = v["shares"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x[0].as_f64().unwrap(), x[1].as_f64().unwrap()))
            .collect();
        let (mut s, inp) = one_pair(
            v["demand"].as_f64().unwrap(),
            v["stock"].as_f64().unwrap(),
            v["pipeline"].as_f64().unwrap(),
            &shares,
        );
        for k in &mut s.shocks {
            k.months = v["months"].as_f64();
        }
        s.options.spare_capacity = v["spare"].as_f64().unwrap();
        let c = compile(&s, &inp).unwrap();
        let rows = run(&c, &inp, false);
        let r = &rows[0];
        assert_eq!(r.exposure, v["exposure"].as_f64().unwrap(), "{v}");
        assert_eq!(r.time_to_survive_months, opt(&v["tts"]), "{v}");
        assert_eq!(r.time_to_recover_months, v["ttr"].as_f64().unwrap(), "{v}");
        assert_eq!(r.time_to_qualify_months, opt(&v["ttq"]), "{v}");
        assert_eq!(r.alternative, v["alternative"].as_str().unwrap(), "{v}");
        assert_eq!(r.gap_months, v["gap"].as_f64().unwrap(), "{v}");
        assert_eq!(r.unmet, v["unmet"].as_f64().unwrap(), "{v}");
        // The projection adds up to the same unmet demand, month by month.
        let m = projection(&c, &inp, "KEN", "p").unwrap();
        assert_eq!(m.len(), 24);
        let total: f64 = m.iter().map(|x| x.unmet).sum();
        assert!((total - r.unmet).abs() < 0.5, "{v} {m:?}");
        assert!(m.iter().all(|x| x.stock_without == m[0].stock_without));
        assert_eq!(r.months_short, v["short"].as_f64().unwrap(), "{v}");
        assert_eq!(
            r.stockout_date.map(|x| x.to_string()),
            v["stockout"].as_str().map(str::to_string),
            "{v}"
        );
    }
}

/// docs/formulas.md, section 7.5: what a pair asks under priority to need.
#[test]
fn need_cap_worked_examples() {
    for v in vectors("scenario_need_cap") {
        let f = |k: &str| v[k].as_f64().unwrap();
        let got = crate::engine::need_cap(
            f("left"),
            f("avoidable"),
            f("loss"),
            v["tts"].as_f64(),
            f("arrival"),
            f("months"),
            v["earlier"].as_f64().unwrap_or(0.0),
        );
        assert!((got - f("ask")).abs() < 1e-9, "{got} {v}");
    }
}

/// docs/formulas.md, section 7.5.
#[test]
fn allocation_worked_examples() {
    for v in vectors("scenario_allocation") {
        let reqs: Vec<Request> = v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| Request {
                country: r[0].as_str().unwrap().into(),
                need: r[1].as_f64().unwrap(),
                order: r[2].as_f64(),
                income_group: r[3].as_str().map(str::to_string),
                population: r.get(4).and_then(|x| x.as_f64()),
                // Unmet need over the disruption: as asked unless given.
                unmet: r
                    .get(5)
                    .and_then(|x| x.as_f64())
                    .unwrap_or(r[1].as_f64().unwrap()),
            })
            .collect();
        let rule: Rule = serde_json::from_value(v["rule"].clone()).unwrap();
        let got = allocate(rule, v["spare"].as_f64().unwrap(), &reqs);
        let want: Vec<f64> = v["allocated"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(got, want, "{v}");
    }
}

#[test]
fn largest_producer_and_export_restriction() {
    let mut inp = Inputs {
        start: Some(d("2026-01-01")),
        ..Inputs::default()
    };
    inp.flows.push(flow("KEN", "p", "a", "IND", 70.0));
    inp.flows.push(flow("KEN", "p", "b", "ZAF", 30.0));
    inp.flows.push(flow("UGA", "p", "a", "IND", 50.0));
    inp.needs.push(need("KEN", "p", 100.0, Some(0.0)));
    inp.needs.push(need("UGA", "p", 50.0, Some(0.0)));
    let s = Scenario::parse(
        "[[shocks]]\nproducing_country = \"largest\"\nmonths = 1\n[options]\nspare_capacity = 0\n",
    )
    .unwrap();
    let c = compile(&s, &inp).unwrap();
    assert!(c.notes[0].contains("IND (80.0%"), "{:?}", c.notes);
    let rows = run(&c, &inp, true);
    assert_eq!(rows.len(), 2);
    // UGA loses all of 50, KEN 70 of 100, in the one month.
    assert_eq!((rows[0].country.as_str(), rows[0].unmet), ("KEN", 70.0));
    assert_eq!((rows[1].country.as_str(), rows[1].unmet), ("UGA", 50.0));
    assert_eq!(rows[1].probability_of_stockout, 1.0);
    // A ban towards Uganda only leaves Kenya alone.
    let s = Scenario::parse(
        "[[export_restrictions]]\ncountry = \"IND\"\nto = [\"UGA\"]\nmonths = 2\n[options]\nspare_capacity = 0\n",
    )
    .unwrap();
    let rows = run(&compile(&s, &inp).unwrap(), &inp, false);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].country.as_str(), rows[0].unmet), ("UGA", 100.0));
    let k = by_country(&rows);
    assert_eq!(
        (k[0].country.as_str(), k[0].products_short, k[0].unmet),
        ("UGA", 1, 100.0)
    );
    assert_eq!(k[0].max_gap_months, rows[0].gap_months);
    // Without stock data, the assumption is stated.
    inp.needs[1].stock = None;
    let rows = run(&compile(&s, &inp).unwrap(), &inp, false);
    assert_eq!(rows[0].stock, 150.0);
    assert!(rows[0].assumptions[0].contains("3 months"), "{rows:?}");
}

#[test]
fn monte_carlo_is_reproducible_and_spans_the_durations() {
    let (mut s, inp) = one_pair(100.0, 300.0, 0.0, &[(1.0, 1.0)]);
    s.shocks[0].months = None;
    s.shocks[0].triangular = Some([2.0, 4.0, 8.0]);
    s.options.spare_capacity = 0.0;
    s.options.paths = 400;
    let c = compile(&s, &inp).unwrap();
    let a = run(&c, &inp, true);
    assert_eq!(a, run(&c, &inp, true));
    let r = &a[0];
    // Most likely 4 months against 3 of stock: short in the deterministic run.
    assert_eq!(r.unmet, 100.0);
    assert!(
        r.probability_of_stockout > 0.5 && r.probability_of_stockout < 1.0,
        "{r:?}"
    );
    assert!(
        r.unmet_p95 > r.expected_unmet && r.unmet_p95 <= 500.0 * 1.5,
        "{r:?}"
    );
}

#[test]
fn mitigations_nodes_and_rules() {
    let mut inp = Inputs {
        start: Some(d("2026-01-01")),
        ..Inputs::default()
    };
    inp.flows.push(flow("KEN", "p", "a", "IND", 100.0));
    inp.flows.push(flow("NGA", "p", "a", "IND", 100.0));
    inp.flows.push(flow("NGA", "p", "b", "ZAF", 100.0));
    inp.needs.push(need("KEN", "p", 100.0, Some(0.0)));
    inp.needs.push(need("NGA", "p", 200.0, Some(0.0)));
    inp.income_groups
        .insert("KEN".into(), "Lower middle income".into());
    inp.income_groups
        .insert("NGA".into(), "Lower middle income".into());
    inp.unit_prices.insert("p".into(), 2.0);
    let s = Scenario::parse(
        r#"
[[shocks]]
site = "a"
months = 2
[[mitigations]]
kind = "safety-stock"
country = "KEN"
months = 1
[[mitigations]]
kind = "second-source"
country = "KEN"
product = "p"
source = "m-b"
[options]
spare_capacity = 1.0
"#,
    )
    .unwrap();
    let c = compile(&s, &inp).unwrap();
    let rows = run(&c, &inp, false);
    // m-b has 100 spare a month. NGA is authorised (it buys from m-b) and
    // gets the 100 it loses; KEN must authorise it first (12 months + 4 of
    // lead time + 1 of ramp-up, after the 2-month outage): it asks none.
    let ken = rows.iter().find(|r| r.country == "KEN").unwrap();
    let nga = rows.iter().find(|r| r.country == "NGA").unwrap();
    assert_eq!(
        (
            ken.alternative.as_str(),
            ken.unmet,
            ken.alternative_per_month
        ),
        ("to-authorise", 200.0, 0.0)
    );
    assert_eq!(ken.time_to_qualify_months, Some(16.99));
    assert_eq!((nga.alternative.as_str(), nga.unmet), ("authorised", 0.0));
    let m = compare(&c, &s, &inp);
    assert_eq!(m[0].reduction, 100.0);
    assert_eq!(m[0].cost, Some(200.0));
    assert_eq!(m[0].cost_per_unit_averted, Some(2.0));
    // Authorised in Kenya too, m-b's 100 are shared pro rata, 50 each: the
    // shortage moves from Kenya to Nigeria, none is averted.
    assert_eq!(m[1].reduction, 0.0);
    assert_eq!(m[1].beneficiaries[0].country, "KEN");
    assert_eq!(m[1].beneficiaries[0].reduction, 100.0);
    let n = rank_nodes(&c, &inp);
    assert_eq!(n[0].rank, 1);
    assert!(n[0].unmet >= n[1].unmet);
    assert_eq!(n.len(), 6, "{n:?}");
    let a = allocation(&c, &inp);
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|r| r.disparity == 0.0));
}

#[test]
fn a_start_is_required() {
    let (s, mut inp) = one_pair(1.0, 0.0, 0.0, &[(1.0, 1.0)]);
    inp.start = None;
    let e = compile(&s, &inp).unwrap_err();
    assert!(e.to_string().contains("start"), "{e}");
}

type World = (Vec<(usize, usize, f64)>, Vec<f64>, Vec<f64>);

fn arb_world() -> impl Strategy<Value = World> {
    (
        // (buyer, site, units a month)
        prop::collection::vec((0usize..3, 0usize..3, 1.0f64..100.0), 1..8),
        // stock per buyer
        prop::collection::vec(0.0f64..500.0, 3),
        // losses per site
        prop::collection::vec(0.0f64..=1.0, 3),
    )
}

fn world(fl: &[(usize, usize, f64)], stock: &[f64]) -> Inputs {
    let mut inp = Inputs {
        start: Some(d("2026-01-01")),
        ..Inputs::default()
    };
    let mut dem = [0.0; 3];
    for &(b, s, w) in fl {
        inp.flows.push(flow(
            &format!("C{b}"),
            "p",
            &format!("s{s}"),
            &format!("K{s}"),
            w,
        ));
        dem[b] += w;
    }
    // Every site the shocks name is a node of the supply, if only through
    // a flow of nothing (a shock naming no node is refused).
    if let Some(&(b, _, _)) = fl.first() {
        for s in 0..3 {
            if !fl.iter().any(|f| f.1 == s) {
                inp.flows.push(flow(
                    &format!("C{b}"),
                    "p",
                    &format!("s{s}"),
                    &format!("K{s}"),
                    0.0,
                ));
            }
        }
    }
    for b in 0..3 {
        if dem[b] > 0.0 {
            inp.needs
                .push(need(&format!("C{b}"), "p", dem[b], Some(stock[b])));
        }
    }
    inp
}

fn shocks(losses: &[f64], months: f64) -> Scenario {
    let mut s = Scenario::default();
    for (i, l) in losses.iter().enumerate() {
        s.shocks.push(model::Shock {
            site: Some(format!("s{i}")),
            manufacturer: None,
            producing_country: None,
            ingredient_country: None,
            region: None,
            loss: *l,
            from: Some(d("2026-02-01")),
            months: Some(months),
            triangular: None,
        });
    }
    s.options.paths = 20;
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A node through which nothing flows changes nothing.
    #[test]
    fn a_node_with_no_share_changes_nothing((fl, stock, losses) in arb_world(), months in 0.5f64..12.0) {
        let mut inp = world(&fl, &stock);
        // A site and a region through which nothing flows.
        inp.flows.push(SupplyFlow {
            region: Some("nowhere".into()),
            ..flow("C0", "p", "nowhere", "K9", 0.0)
        });
        let s = shocks(&losses, months);
        let mut t = s.clone();
        t.shocks.push(model::Shock { site: Some("nowhere".into()), ..s.shocks[0].clone() });
        t.shocks.push(model::Shock { site: None, region: Some("nowhere".into()), ..s.shocks[0].clone() });
        let a = run(&compile(&s, &inp).unwrap(), &inp, true);
        let b = run(&compile(&t, &inp).unwrap(), &inp, true);
        prop_assert_eq!(a, b);
    }

    /// A longer outage never lowers unmet demand.
    #[test]
    fn a_longer_outage_never_lowers_unmet_demand((fl, stock, losses) in arb_world(), m in 0.5f64..12.0, more in 0.0f64..12.0, rule in 0usize..3) {
        let inp = world(&fl, &stock);
        let mut s = shocks(&losses, m);
        s.options.allocation = Rule::ALL[rule];
        let mut t = shocks(&losses, m + more);
        t.options.allocation = Rule::ALL[rule];
        let a = run(&compile(&s, &inp).unwrap(), &inp, false);
        let b = run(&compile(&t, &inp).unwrap(), &inp, false);
        for r in &a {
            let q = b.iter().find(|x| x.country == r.country).unwrap();
            prop_assert!(q.unmet >= r.unmet - 1e-6, "{:?} {:?}", r, q);
        }
    }

    /// More stock never brings a stockout earlier.
    #[test]
    fn more_stock_never_brings_a_stockout_earlier((fl, stock, losses) in arb_world(), m in 0.5f64..12.0, extra in 0.0f64..300.0) {
        let inp = world(&fl, &stock);
        let more = world(&fl, &stock.iter().map(|x| x + extra).collect::<Vec<_>>());
        let s = shocks(&losses, m);
        let a = run(&compile(&s, &inp).unwrap(), &inp, false);
        let b = run(&compile(&s, &more).unwrap(), &more, false);
        for r in &a {
            let q = b.iter().find(|x| x.country == r.country).unwrap();
            if let Some(later) = q.stockout_date {
                prop_assert!(r.stockout_date.is_some_and(|e| e <= later), "{:?} {:?}", r, q);
            }
            prop_assert!(q.unmet <= r.unmet + 1e-6);
        }
    }

    /// An unaffected source authorised in the country with enough spare
    /// capacity closes the gap.
    #[test]
    fn an_authorised_source_with_enough_spare_capacity_closes_the_gap((fl, stock, losses) in arb_world(), m in 0.5f64..12.0) {
        let mut inp = world(&fl, &stock);
        // A source every buyer already buys a little from, untouched, with
        // spare capacity far above what they lose.
        for b in 0..3 {
            if inp.needs.iter().any(|n| n.country == format!("C{b}")) {
                inp.flows.push(flow(&format!("C{b}"), "p", "safe", "SAFE", 100.0));
                if let Some(n) = inp.needs.iter_mut().find(|n| n.country == format!("C{b}")) {
                    n.per_month += 100.0;
                }
            }
        }
        let mut s = shocks(&losses, m);
        s.options.spare_capacity = 100.0;
        let rows = run(&compile(&s, &inp).unwrap(), &inp, false);
        for r in &rows {
            prop_assert_eq!(r.gap_months, 0.0);
            prop_assert!(r.unmet < 1e-6, "{:?}", r);
        }
    }

    /// Allocation never hands out more capacity than exists, nor more than asked.
    #[test]
    fn allocation_never_hands_out_more_than_exists(spare in 0.0f64..1000.0, needs in prop::collection::vec((0.0f64..500.0, prop::option::of(0.0f64..24.0), 0u8..5), 0..10), rule in 0usize..3) {
        let groups = ["Low income", "Lower middle income", "Upper middle income", "High income", ""];
        let reqs: Vec<Request> = needs.iter().enumerate().map(|(i, (n, o, g))| Request {
            country: format!("C{i}"),
            need: *n,
            order: *o,
            income_group: Some(groups[*g as usize].to_string()),
            population: None,
            unmet: if i % 3 == 0 { 0.0 } else { *n },
        }).collect();
        let got = allocate(Rule::ALL[rule], spare, &reqs);
        let total: f64 = got.iter().sum();
        prop_assert!(total <= spare * (1.0 + 1e-12) + 1e-9, "{} > {}", total, spare);
        for (g, r) in got.iter().zip(&reqs) {
            prop_assert!(*g >= 0.0 && *g <= r.need * (1.0 + 1e-12) + 1e-12);
        }
    }
}

/// A shock starting within a month cannot bring a stockout before it
/// starts (found by the property test below).
#[test]
fn no_stockout_before_the_shock() {
    let mut inp = world(&[(2, 0, 92.14396610916891)], &[0.0, 0.0, 0.0]);
    inp.flows.push(flow("C2", "p", "safe", "SAFE", 100.0));
    inp.needs[0].per_month += 100.0;
    let mut s = shocks(&[0.48456018213890484, 0.0, 0.0], 0.5);
    s.options.spare_capacity = 100.0;
    let rows = run(&compile(&s, &inp).unwrap(), &inp, false);
    assert_eq!(rows[0].time_to_survive_months, Some(0.0));
    assert_eq!(rows[0].gap_months, 0.0);
    s.options.spare_capacity = 0.0;
    let rows = run(&compile(&s, &inp).unwrap(), &inp, false);
    assert_eq!(rows[0].stockout_date, Some(d("2026-02-01")));
    assert_eq!(rows[0].gap_months, 0.5);
}

/// docs/formulas.md, section 7.8.
#[test]
fn level_worked_examples() {
    for v in vectors("scenario_levels") {
        let levels: Vec<LevelStock> = v["levels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| LevelStock {
                level: l[0].as_str().unwrap().into(),
                stock: l[1].as_f64().unwrap(),
                consumption: l[2].as_f64(),
                pipeline: l.get(3).and_then(|x| x.as_f64()).unwrap_or(0.0),
            })
            .collect();
        let stock: f64 = levels.iter().map(|l| l.stock).sum();
        let pipeline = v["pipeline"].as_f64().unwrap_or(0.0);
        let (mut s, mut inp) = one_pair(
            v["demand"].as_f64().unwrap(),
            stock,
            pipeline,
            &[(1.0, 1.0)],
        );
        s.shocks[0].months = v["months"].as_f64();
        if let Some(t) = v["triangular"].as_array() {
            let t: Vec<f64> = t.iter().map(|x| x.as_f64().unwrap()).collect();
            s.shocks[0].triangular = Some([t[0], t[1], t[2]]);
            s.options.demand_cv = 0.0;
        }
        inp.levels.insert(("KEN".into(), "p".into()), levels);
        let c = compile(&s, &inp).unwrap();
        let r = &run(&c, &inp, true)[0];
        assert_eq!(r.time_to_survive_months, v["country_tts"].as_f64(), "{v}");
        assert_eq!(r.unmet, v["country_unmet"].as_f64().unwrap(), "{v}");
        let list = |k: &str| -> Vec<serde_json::Value> { v[k].as_array().unwrap().clone() };
        assert_eq!(r.levels.len(), list("shares").len(), "{v}");
        for (i, l) in r.levels.iter().enumerate() {
            assert_eq!(
                l.share_of_demand,
                list("shares")[i].as_f64().unwrap(),
                "{v}"
            );
            assert_eq!(l.time_to_survive_months, list("tts")[i].as_f64(), "{v}");
            if let Some(p) = v.get("level_pipeline") {
                assert_eq!(l.pipeline, p[i].as_f64().unwrap(), "{v}");
            }
            // The Monte Carlo on the country's paths (7.6); without one
            // (a fixed duration, demand_cv 0.1) a certain stockout is certain.
            if let Some(m) = v.get("mc") {
                assert_eq!(
                    [l.probability_of_stockout, l.expected_unmet, l.unmet_p95],
                    [
                        m[i][0].as_f64().unwrap(),
                        m[i][1].as_f64().unwrap(),
                        m[i][2].as_f64().unwrap()
                    ],
                    "{v}"
                );
            }
            assert_eq!(l.unmet, list("unmet")[i].as_f64().unwrap(), "{v}");
            assert_eq!(
                l.stockout_date.map(|x| x.to_string()),
                list("stockout")[i].as_str().map(str::to_string),
                "{v}"
            );
        }
    }
}

/// Without levels in the inputs a row has none; the levels' unmet demand
/// adds up to at least the country's (7.8).
#[test]
fn levels_never_meet_less_than_the_country() {
    let (s, mut inp) = one_pair(100.0, 300.0, 50.0, &[(0.7, 1.0), (0.3, 0.0)]);
    let c = compile(&s, &inp).unwrap();
    assert!(run(&c, &inp, false)[0].levels.is_empty());
    for split in [[250.0, 50.0], [150.0, 150.0], [0.0, 300.0]] {
        inp.levels.insert(
            ("KEN".into(), "p".into()),
            vec![
                LevelStock {
                    level: "national store".into(),
                    stock: split[0],
                    consumption: Some(100.0),
                    pipeline: 0.0,
                },
                LevelStock {
                    level: "facility".into(),
                    stock: split[1],
                    consumption: Some(100.0),
                    pipeline: 0.0,
                },
            ],
        );
        let r = &run(&c, &inp, false)[0];
        let sum: f64 = r.levels.iter().map(|l| l.unmet).sum();
        assert!(sum >= r.unmet - 0.2, "{split:?} {sum} {}", r.unmet);
    }
}

/// A source with a known capacity offers that capacity less its volume; one
/// without, the stated share, listed as an assumption (7.4).
#[test]
fn known_capacity_replaces_the_assumed_share() {
    let (mut s, mut inp) = one_pair(100.0, 200.0, 100.0, &[(0.6, 1.0), (0.4, 0.0)]);
    s.options.spare_capacity = 0.2;
    let c = compile(&s, &inp).unwrap();
    let r = run(&c, &inp, false)[0].clone();
    assert_eq!(r.alternative_per_month, 8.0);
    assert!(r.assumptions.iter().any(|a| a.contains("spare capacity")));
    // The unaffected source s1 (manufacturer m-s1) makes 40 a month of 100.
    inp.capacity.insert(("p".into(), "m-s1".into()), 100.0);
    let r = run(&c, &inp, false)[0].clone();
    assert_eq!(r.alternative_per_month, 60.0);
    assert_eq!(r.unmet, 0.0);
    assert!(!r.assumptions.iter().any(|a| a.contains("spare capacity")));
    // At capacity already: nothing spare, whatever the assumption.
    inp.capacity.insert(("p".into(), "m-s1".into()), 40.0);
    let r = run(&c, &inp, false)[0].clone();
    assert_eq!(r.alternative_per_month, 0.0);
    assert_eq!(r.alternative, "never");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// However a country's stock is split between its levels, the levels'
    /// stock adds up to the country's, their shares of demand to 1, and
    /// their unmet demand to at least the country's (7.8).
    #[test]
    fn levels_partition_the_country(
        (fl, stock, losses) in arb_world(),
        m in 0.5f64..12.0,
        split in prop::collection::vec((0.0f64..1.0, prop::option::of(0.0f64..100.0)), 1..4),
    ) {
        let mut inp = world(&fl, &stock);
        let total: f64 = split.iter().map(|x| x.0).sum::<f64>().max(1e-9);
        for n in &inp.needs {
            let s = n.stock.unwrap_or(0.0);
            let levels = split
                .iter()
                .enumerate()
                .map(|(i, (f, c))| LevelStock {
                    level: LEVELS[i].to_string(),
                    stock: s * f / total,
                    consumption: *c,
                    pipeline: 0.0,
                })
                .collect();
            inp.levels.insert((n.country.clone(), n.product.clone()), levels);
        }
        let s = shocks(&losses, m);
        for r in run(&compile(&s, &inp).unwrap(), &inp, false) {
            prop_assert_eq!(r.levels.len(), split.len());
            let stock: f64 = r.levels.iter().map(|l| l.stock).sum();
            prop_assert!((stock - r.stock).abs() < 0.01 * split.len() as f64 + 1e-9 * r.stock, "{:?}", r);
            let share: f64 = r.levels.iter().map(|l| l.share_of_demand).sum();
            prop_assert!((share - 1.0).abs() < 1e-3, "{:?}", r);
            let unmet: f64 = r.levels.iter().map(|l| l.unmet).sum();
            prop_assert!(unmet >= r.unmet - 0.05 * (split.len() + 1) as f64 - 1e-9 * r.unmet, "{:?}", r);
        }
    }
}

#[test]
fn income_groups_rank_low_income_first() {
    use crate::engine::income_rank;
    let ranks: Vec<u8> = [
        "Low income",
        "Lower middle income",
        "Upper middle income",
        "High income",
    ]
    .iter()
    .map(|g| income_rank(Some(g)))
    .collect();
    assert_eq!(ranks, [0, 1, 2, 3]);
    assert_eq!(income_rank(None), 4);
    // Priority to need serves a low-income country before a lower-middle
    // income one whose ask per person is larger.
    let req = |country: &str, group: &str, need: f64, population: f64| crate::engine::Request {
        country: country.into(),
        need,
        order: None,
        income_group: Some(group.into()),
        population: Some(population),
        unmet: need,
    };
    let got = crate::engine::allocate(
        crate::model::Rule::Need,
        10.0,
        &[
            req("LMC", "Lower middle income", 100.0, 1.0),
            req("LIC", "Low income", 8.0, 1000.0),
        ],
    );
    assert_eq!(got, [2.0, 8.0]);
}

/// Priority to need gave low-income countries more spare capacity yet left
/// them as short (docs/formulas.md 7.5): each pool's sources were shared in
/// name order whether or not they could reach the country before its
/// outage ended, so a low-income country took a source it would have to
/// authorise first (17 months away) and, its ask used up, got nothing of
/// the one already authorised. Now a pair asks first the sources already
/// authorised for it, then those that reach it in time, and none after.
#[test]
fn spare_capacity_goes_where_it_arrives_in_time() {
    let mut inp = Inputs {
        start: Some(d("2026-01-01")),
        ..Inputs::default()
    };
    // LIC already buys from m-z, LMC from m-c; both lose site a for 6 months.
    inp.flows.push(flow("LIC", "p", "a", "IND", 100.0));
    inp.flows.push(flow("LIC", "p", "z", "ZAF", 10.0));
    inp.flows.push(flow("LMC", "p", "a", "IND", 100.0));
    inp.flows.push(flow("LMC", "p", "c", "BRA", 10.0));
    inp.needs.push(need("LIC", "p", 110.0, Some(0.0)));
    inp.needs.push(need("LMC", "p", 110.0, Some(0.0)));
    inp.income_groups.insert("LIC".into(), "Low income".into());
    inp.income_groups
        .insert("LMC".into(), "Lower middle income".into());
    let s =
        Scenario::parse("[[shocks]]\nsite = \"a\"\nmonths = 6\n[options]\nspare_capacity = 10.0\n")
            .unwrap();
    let c = compile(&s, &inp).unwrap();
    // Each source has 100 spare a month, each country loses 100 a month:
    // under every rule each gets its own authorised source in full.
    let a = allocation(&c, &inp);
    for r in &a {
        assert_eq!(r.allocated_per_month, 100.0, "{r:?}");
        assert_eq!(r.unmet, 0.0, "{r:?}");
    }
    for rule in Rule::ALL {
        let mut c = c.clone();
        c.options.allocation = rule;
        for r in run(&c, &inp, false) {
            assert_eq!(
                (r.alternative.as_str(), r.time_to_qualify_months, r.unmet),
                ("authorised", Some(0.0), 0.0),
                "{rule:?} {r:?}"
            );
        }
    }
    // Without its own source, LIC could only authorise m-c: 12 months to
    // authorise (365 days) + 4 of lead time + 1 of ramp-up, after the outage ends. It
    // is not given any (LMC keeps all it needs) and its time to qualify says why.
    inp.flows.retain(|f| f.site.as_deref() != Some("z"));
    inp.needs[0].per_month = 100.0;
    let c = compile(&s, &inp).unwrap();
    let rows = run(&c, &inp, false);
    let lic = rows.iter().find(|r| r.country == "LIC").unwrap();
    let lmc = rows.iter().find(|r| r.country == "LMC").unwrap();
    assert_eq!(lic.alternative, "to-authorise");
    assert_eq!(lic.time_to_qualify_months, Some(16.99));
    assert_eq!((lic.alternative_per_month, lic.unmet), (0.0, 600.0));
    assert_eq!(lic.gap_months, 6.0);
    assert_eq!((lmc.alternative_per_month, lmc.unmet), (100.0, 0.0));
}

/// Every country's stock split between levels as `split` says (shares of
/// the stock, units a month going out), plus `extra` units at level `at`.
fn with_levels(inp: &mut Inputs, split: &[(f64, f64)], at: usize, extra: f64) {
    let total: f64 = split.iter().map(|x| x.0).sum::<f64>().max(1e-9);
    for n in &mut inp.needs {
        let s = n.stock.unwrap_or(0.0);
        let levels: Vec<LevelStock> = split
            .iter()
            .enumerate()
            .map(|(i, (f, c))| LevelStock {
                level: LEVELS[i].to_string(),
                stock: s * f / total + if i == at { extra } else { 0.0 },
                consumption: Some(*c),
                pipeline: 0.0,
            })
            .collect();
        n.stock = Some(levels.iter().map(|l| l.stock).sum());
        inp.levels
            .insert((n.country.clone(), n.product.clone()), levels);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Each level's Monte Carlo on the country's paths (7.6, 7.8): with a
    /// fixed seed, more stock at a level never raises its probability of a
    /// stockout nor its expected unmet demand or 95th percentile (pro rata:
    /// the allocation does not depend on stock; by order date or by need,
    /// more stock moves a country back in the queue, the rules' intent);
    /// and the levels' expected unmet demand adds up to at least the country's.
    #[test]
    fn more_stock_at_a_level_never_raises_its_stockout_probability(
        (fl, stock, losses) in arb_world(),
        tri in (0.5f64..4.0, 0.0f64..4.0, 0.0f64..4.0),
        split in prop::collection::vec((0.0f64..1.0, 1.0f64..100.0), 1..4),
        at in 0usize..4,
        extra in 0.0f64..300.0,
    ) {
        let at = at % split.len();
        let mut s = shocks(&losses, 1.0);
        for k in &mut s.shocks {
            k.months = None;
            k.triangular = Some([tri.0, tri.0 + tri.1, tri.0 + tri.1 + tri.2]);
        }
        s.options.paths = 30;
        let mut base = world(&fl, &stock);
        let mut more = base.clone();
        with_levels(&mut base, &split, at, 0.0);
        with_levels(&mut more, &split, at, extra);
        let a = run(&compile(&s, &base).unwrap(), &base, true);
        let b = run(&compile(&s, &more).unwrap(), &more, true);
        for r in &a {
            let q = b.iter().find(|x| x.country == r.country).unwrap();
            prop_assert_eq!((r.levels.len(), q.levels.len()), (split.len(), split.len()));
            let (l, m) = (&r.levels[at], &q.levels[at]);
            prop_assert!(m.probability_of_stockout <= l.probability_of_stockout, "{:?} {:?}", l, m);
            prop_assert!(m.expected_unmet <= l.expected_unmet + 0.1, "{:?} {:?}", l, m);
            prop_assert!(m.unmet_p95 <= l.unmet_p95 + 0.1, "{:?} {:?}", l, m);
            let sum: f64 = r.levels.iter().map(|l| l.expected_unmet).sum();
            prop_assert!(sum >= r.expected_unmet - 0.1 * (r.levels.len() + 1) as f64, "{:?}", r);
        }
    }
}

/// The shipments on their way to a level are that level's; only those
/// whose receiving level is unknown are shared by demand, and the row says
/// so (7.8).
#[test]
fn the_pipeline_follows_its_receiving_level() {
    let (s, mut inp) = one_pair(100.0, 240.0, 100.0, &[(1.0, 1.0)]);
    let level = |name: &str, stock: f64, out: f64, pipeline: f64| LevelStock {
        level: name.into(),
        stock,
        consumption: Some(out),
        pipeline,
    };
    inp.levels.insert(
        ("KEN".into(), "p".into()),
        vec![
            level("national store", 200.0, 60.0, 0.0),
            level("facility", 40.0, 40.0, 100.0),
        ],
    );
    let c = compile(&s, &inp).unwrap();
    let r = &run(&c, &inp, false)[0];
    assert_eq!(r.levels[0].pipeline, 0.0);
    assert_eq!(r.levels[1].pipeline, 100.0);
    assert!(
        !r.assumptions.iter().any(|a| a.contains("pipeline")),
        "{r:?}"
    );
    // 60 of the 100 located: the other 40 shared 60/40.
    inp.levels.get_mut(&("KEN".into(), "p".into())).unwrap()[1].pipeline = 60.0;
    let r = &run(&c, &inp, false)[0];
    assert_eq!((r.levels[0].pipeline, r.levels[1].pipeline), (24.0, 76.0));
    assert!(
        r.assumptions
            .iter()
            .any(|a| a.contains("40 units on their way to a place of unknown level")),
        "{r:?}"
    );
}

/// Spare capacity stated in the scenario replaces the register's and the
/// assumed share; one naming no source of the product is said unused (7.4).
#[test]
fn stated_spare_capacity_replaces_the_register_and_the_share() {
    let (mut s, mut inp) = one_pair(100.0, 200.0, 100.0, &[(0.6, 1.0), (0.4, 0.0)]);
    inp.capacity.insert(("p".into(), "m-s1".into()), 45.0);
    let c = compile(&s, &inp).unwrap();
    assert_eq!(run(&c, &inp, false)[0].alternative_per_month, 5.0);
    s.spare_capacity.push(model::SpareCapacity {
        source: "m-s1".into(),
        product: "p".into(),
        per_month: 60.0,
    });
    s.spare_capacity.push(model::SpareCapacity {
        source: "m-s0".into(),
        product: "q".into(),
        per_month: 60.0,
    });
    let c = compile(&s, &inp).unwrap();
    let r = &run(&c, &inp, false)[0];
    assert_eq!((r.alternative_per_month, r.unmet), (60.0, 0.0));
    assert!(!r.assumptions.iter().any(|a| a.contains("spare capacity")));
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("m-s1 can add 60 units a month of p")),
        "{:?}",
        c.notes
    );
    assert!(
        c.notes.iter().any(|n| n.contains("m-s0 supplies no q")),
        "{:?}",
        c.notes
    );
    // Refused: twice the same, or a negative amount, naming the field.
    let e =
        Scenario::parse("[[spare_capacity]]\nsource = \"m\"\nproduct = \"p\"\nper_month = -1\n")
            .unwrap_err();
    assert!(e.to_string().contains("spare_capacity[0].per_month"), "{e}");
    let e = Scenario::parse(
        "[[spare_capacity]]\nsource = \"m\"\nproduct = \"p\"\nper_month = 1\n[[spare_capacity]]\nsource = \"m\"\nproduct = \"p\"\nper_month = 2\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("given twice"), "{e}");
}

/// Priority to need serves a country that would run short before a
/// poorer one whose stock carries it through the outage (7.5).
#[test]
fn priority_to_need_serves_the_countries_short_first() {
    let mut inp = Inputs {
        start: Some(d("2026-01-01")),
        ..Inputs::default()
    };
    for c in ["LIC", "LMC"] {
        inp.flows.push(flow(c, "p", "a", "IND", 100.0));
        inp.flows.push(flow(c, "p", "b", "ZAF", 10.0));
    }
    // LIC holds 12 months, LMC none; m-b (20 a month) can add 5 x 20 = 100
    // a month, each asks 100.
    inp.needs.push(need("LIC", "p", 110.0, Some(1320.0)));
    inp.needs.push(need("LMC", "p", 110.0, Some(0.0)));
    inp.income_groups.insert("LIC".into(), "Low income".into());
    inp.income_groups
        .insert("LMC".into(), "Lower middle income".into());
    let s = Scenario::parse(
        "[[shocks]]\nsite = \"a\"\nmonths = 6\n[options]\nspare_capacity = 5.0\nallocation = \"need\"\n",
    )
    .unwrap();
    let rows = run(&compile(&s, &inp).unwrap(), &inp, false);
    let of = |c: &str| rows.iter().find(|r| r.country == c).unwrap();
    assert_eq!(
        (of("LIC").alternative_per_month, of("LIC").unmet),
        (0.0, 0.0)
    );
    assert_eq!(of("LIC").alternative, "no-spare-capacity");
    assert_eq!(
        (of("LMC").alternative_per_month, of("LMC").unmet),
        (100.0, 0.0)
    );
    // Pro rata, each gets half and LMC goes short.
    let s =
        Scenario::parse("[[shocks]]\nsite = \"a\"\nmonths = 6\n[options]\nspare_capacity = 5.0\n")
            .unwrap();
    let rows = run(&compile(&s, &inp).unwrap(), &inp, false);
    let of = |c: &str| rows.iter().find(|r| r.country == c).unwrap();
    assert_eq!(
        (of("LMC").alternative_per_month, of("LMC").unmet),
        (50.0, 300.0)
    );
}

/// The field and reason for which `toml` is refused on `inp`.
fn refused_by(inp: &Inputs, toml: &str) -> String {
    let s = Scenario::parse(toml).unwrap();
    match compile(&s, inp) {
        Err(ScenarioError::Field { field, reason }) => format!("{field}: {reason}"),
        other => panic!("{toml}: {other:?}"),
    }
}

/// A shock or an export restriction naming no node of the supply loaded
/// is refused, naming the field, rather than touching nothing ("0 pairs
/// touched" read as "nothing affected"); a name written another way or
/// spelt close is suggested.
#[test]
fn a_node_the_supply_lacks_is_refused() {
    let (_, mut inp) = one_pair(100.0, 50.0, 0.0, &[(0.6, 0.0), (0.4, 0.0)]);
    inp.flows[0].manufacturer = Some("aurobindo-pharma".into());
    let refused = |toml: &str| refused_by(&inp, toml);
    assert_eq!(
        refused("[[shocks]]\nproducing_country = \"ind\"\nmonths = 6\n"),
        "shocks[0].producing_country: \"ind\" names no producing country of the supply loaded; did you mean \"IND\"?"
    );
    assert_eq!(
        refused(
            "[[shocks]]\nsite = \"s0\"\nmonths = 6\n[[shocks]]\nmanufacturer = \"Aurobindo Pharma\"\nmonths = 6\n"
        ),
        "shocks[1].manufacturer: \"Aurobindo Pharma\" names no manufacturer of the supply loaded; did you mean \"aurobindo-pharma\"?"
    );
    // Spelt close (equitas_model::suggest).
    assert_eq!(
        refused("[[shocks]]\nmanufacturer = \"Aurobindo Pharm\"\nmonths = 6\n"),
        "shocks[0].manufacturer: \"Aurobindo Pharm\" names no manufacturer of the supply loaded; did you mean \"aurobindo-pharma\"?"
    );
    assert_eq!(
        refused("[[shocks]]\nsite = \"no-such-site\"\nmonths = 6\n"),
        "shocks[0].site: \"no-such-site\" names no site of the supply loaded (2 known: s0, s1)"
    );
    assert_eq!(
        refused("[[export_restrictions]]\ncountry = \"ZZZ\"\nmonths = 6\n"),
        "export_restrictions[0].country: \"ZZZ\" names no producing country of the supply loaded (1 known: IND)"
    );
    assert_eq!(
        refused("[[export_restrictions]]\ncountry = \"IND\"\nto = [\"ken\"]\nmonths = 6\n"),
        "export_restrictions[0].to: \"ken\" buys nothing in the supply loaded; did you mean \"KEN\"?"
    );
    // Names the supply holds compile; so does any name with no supply
    // loaded at all (the answer then says there is none).
    let s = Scenario::parse("[[shocks]]\nproducing_country = \"IND\"\nmonths = 6\n").unwrap();
    assert!(compile(&s, &inp).is_ok());
    let s = Scenario::parse("[[shocks]]\nsite = \"anything\"\nmonths = 6\n").unwrap();
    let empty = Inputs {
        start: Some(d("2026-01-01")),
        ..Inputs::default()
    };
    assert!(compile(&s, &empty).is_ok());
}

/// An event dated before the start or past the horizon, a surge country
/// or a mitigation's name the supply lacks: refused, naming the field,
/// rather than run in full from the start, or as nothing (a user pass,
/// 2026-12-07: a mitigation on a misspelt product showed a reduction of 0).
#[test]
fn what_would_change_nothing_unseen_is_refused() {
    let (_, inp) = one_pair(100.0, 50.0, 0.0, &[(0.6, 0.0), (0.4, 0.0)]);
    let refused = |toml: &str| refused_by(&inp, toml);
    assert_eq!(
        refused("[[shocks]]\nsite = \"s0\"\nmonths = 6\nfrom = \"2025-01-01\"\n"),
        "shocks[0].from: 2025-01-01 is before the scenario's start (2026-01-01): an event starts on or after it (set `start` earlier, or `from` later)"
    );
    assert_eq!(
        refused(
            "[[surges]]\ncountries = [\"KEN\"]\nincrease = 0.5\nmonths = 6\nfrom = \"2030-01-01\"\n"
        ),
        "surges[0].from: 2030-01-01 is after the scenario's horizon (24 months from 2026-01-01): nothing would be seen of it (raise `options.horizon_months`)"
    );
    assert_eq!(
        refused("[[surges]]\ncountries = [\"ken\"]\nincrease = 0.5\nmonths = 6\n"),
        "surges[0].countries: \"ken\" is no buying country of the data loaded; did you mean \"KEN\"?"
    );
    assert_eq!(
        refused("[[mitigations]]\nkind = \"safety-stock\"\nproduct = \"q\"\nmonths = 3\n"),
        "mitigations[0].product: \"q\" is no product of the data loaded"
    );
    assert_eq!(
        refused(
            "[[mitigations]]\nkind = \"second-source\"\ncountry = \"KEN\"\nproduct = \"p\"\nsource = \"s9\"\n"
        ),
        "mitigations[0].source: \"s9\" is no source (manufacturer or site) of the data loaded"
    );
    // A surge country the data lack altogether: noted, not used.
    let c = compile(
        &Scenario::parse("[[surges]]\ncountries = [\"XSY\"]\nincrease = 0.5\nmonths = 6\n")
            .unwrap(),
        &inp,
    )
    .unwrap();
    assert!(
        c.notes
            .iter()
            .any(|n| n == "surges[0]: XSY buys nothing in the data loaded: not used"),
        "{:?}",
        c.notes
    );
    // Within the dates and the names: compiled.
    for ok in [
        "[[shocks]]\nsite = \"s0\"\nmonths = 6\nfrom = \"2026-03-01\"\n",
        "[[surges]]\ncountries = [\"KEN\"]\nincrease = 0.5\nmonths = 6\n",
        "[[mitigations]]\nkind = \"safety-stock\"\ncountry = \"KEN\"\nproduct = \"p\"\nmonths = 3\n",
    ] {
        let s = Scenario::parse(ok).unwrap();
        assert!(compile(&s, &inp).is_ok(), "{ok}");
    }
}
