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
    // m-b has 100 spare a month: pro rata 100 x (100/200) to each;
    // NGA is authorised (it buys from m-b), KEN must authorise it first (12 months).
    let ken = rows.iter().find(|r| r.country == "KEN").unwrap();
    let nga = rows.iter().find(|r| r.country == "NGA").unwrap();
    assert_eq!(
        (ken.alternative.as_str(), ken.unmet),
        ("to-authorise", 200.0)
    );
    assert_eq!((nga.alternative.as_str(), nga.unmet), ("authorised", 100.0));
    let m = compare(&c, &s, &inp);
    assert_eq!(m[0].reduction, 100.0);
    assert_eq!(m[0].cost, Some(200.0));
    assert_eq!(m[0].cost_per_unit_averted, Some(2.0));
    assert_eq!(m[1].reduction, 100.0);
    assert_eq!(m[1].beneficiaries[0].country, "KEN");
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
        let inp = world(&fl, &stock);
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
            })
            .collect();
        let stock: f64 = levels.iter().map(|l| l.stock).sum();
        let (mut s, mut inp) = one_pair(v["demand"].as_f64().unwrap(), stock, 0.0, &[(1.0, 1.0)]);
        s.shocks[0].months = v["months"].as_f64();
        inp.levels.insert(("KEN".into(), "p".into()), levels);
        let c = compile(&s, &inp).unwrap();
        let r = &run(&c, &inp, false)[0];
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
                },
                LevelStock {
                    level: "facility".into(),
                    stock: split[1],
                    consumption: Some(100.0),
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
