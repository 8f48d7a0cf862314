use super::*;
use equitas_epcis::event::record;
use equitas_epcis::parse_events;

fn small() -> Network {
    Network::new(Config {
        seed: 7,
        regions: 2,
        districts_per_region: 2,
        facilities: 12,
        products: 6,
        months: 8,
        ..Config::default()
    })
}

fn events(net: &Network) -> Vec<Event> {
    let mut out = Vec::new();
    simulate(net, &mut |e| out.push(e.clone()));
    out
}

#[test]
fn the_same_seed_gives_the_same_network_and_events() {
    let (a, b) = (small(), small());
    assert_eq!(a, b);
    assert_eq!(events(&a), events(&b));
    let c = Network::new(Config {
        seed: 8,
        ..a.config.clone()
    });
    assert_ne!(events(&a), events(&c));
}

#[test]
fn labelled_synthetic_with_valid_gs1_keys() {
    let net = small();
    assert!(net.places.iter().all(|p| p.name.contains("(synthetic)")));
    assert!(net.products.iter().all(|p| p.name.contains("(synthetic)")));
    for p in &net.places {
        assert!(p.gln.starts_with("952"));
        assert!(equitas_gs1::Gln::parse(&p.gln).is_ok(), "{}", p.gln);
    }
    for p in &net.products {
        assert!(equitas_gs1::Gtin::parse(&p.gtin).is_ok(), "{}", p.gtin);
    }
    let csv = net.locations_csv();
    let parsed = equitas_model::reference::parse_locations(csv.as_bytes()).unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.records.len(), net.places.len());
}

#[test]
fn json_events_mean_the_movements_the_generator_says() {
    let net = small();
    let evs = events(&net);
    let json: Vec<String> = evs
        .iter()
        .enumerate()
        .map(|(i, e)| e.to_json(&net, i as u64))
        .collect();
    let doc = document(&json, "2026-01-01T00:00:00Z");
    let parsed = parse_events(&doc).unwrap();
    assert_eq!(parsed.len(), evs.len());
    let mut kinds = std::collections::BTreeSet::new();
    for (node, e) in parsed.iter().zip(&evs) {
        let r = record(node, &[]).unwrap();
        let x = equitas_ledger::extract::movements(&r);
        assert!(x.skipped.is_empty(), "{:?}", x.skipped);
        assert_eq!(x.movements, e.movements(&net), "{}", e.to_json(&net, 0));
        kinds.insert(format!("{:?}", e.step));
    }
    // Every kind of event occurs in eight months of a small network.
    for k in [
        "Opening",
        "Receiving",
        "Shipping",
        "Dispensing",
        "CycleCounting",
    ] {
        assert!(kinds.contains(k), "{kinds:?}");
    }
}

#[test]
fn the_ledger_of_the_network_balances_with_the_simulation() {
    // The demo's network: a year of 30 facilities and 12 products.
    let net = Network::new(Config::demo());
    let mut names = equitas_ledger::Names::default();
    let mut ms = Vec::new();
    simulate(&net, &mut |e| {
        for m in e.movements(&net) {
            ms.push(m.intern(&mut names, equitas_ledger::Source::Event(0)));
        }
    });
    let l = equitas_ledger::Ledger::build(names, ms);
    let problems = l.problems();
    // The simulation never issues what it does not hold.
    assert!(
        problems
            .iter()
            .all(|p| p.kind != equitas_ledger::ProblemKind::NegativeBalance)
    );
    assert!(
        problems
            .iter()
            .all(|p| p.kind != equitas_ledger::ProblemKind::IssueBeforeReceipt)
    );
}
