//! Ledger benchmark: build the full ledger and monthly indicators from N
//! synthetic EPCIS events (default 10 million), then append 10,000 more.
//!
//!     cargo bench -p equitas-ledger --bench ledger [-- EVENTS]
//!
//! Events come from the synthetic network (`equitas-synth`, seed 1, 150
//! products, 24 months, facilities scaled to reach EVENTS) and are turned
//! into movements exactly as capture does; that preparation is not timed.
//! Timed, on one thread: `Ledger::build` (sort, balances, problems, monthly
//! figures with stockout days), the stock rows of every location and item
//! (AMC, MOS, status, expiry), availability by region for 12 month-ends,
//! and `Ledger::append` of the last 10,000 events' movements. Then, side by
//! side in the same run, 500 one-movement appends at a place holding one
//! item in 50 lots with 40,000 movements, without and with one early
//! movement of no lot (stock of no lot beside lots is judged on the whole
//! item, formulas 3.10: the appends should cost about the same).

use equitas_ledger::view::{self, MinMaxBands, Place, Places, StockQuery};
use equitas_ledger::{Ledger, Names, Source};
use equitas_model::LocationLevel;
use std::time::Instant;

fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Seconds taken by 500 one-movement appends (each a day later than the
/// last) at one place holding one item in 50 lots, after 40,000 movements,
/// with `none_first` an early receipt of no lot beside them.
fn appends_beside_lots(none_first: bool) -> f64 {
    use equitas_ledger::movement::Kind;
    const LOTS: u32 = 50;
    const DAY: i64 = 86_400_000;
    let mut names = Names::default();
    let location = names.locations.id("F1");
    let (item, recorded, _) = names.item("P1");
    let reason = names.reasons.id("");
    let lots: Vec<u32> = (0..LOTS).map(|k| names.lots.id(&format!("L{k}"))).collect();
    let mut n = 0u64;
    let mut mv = |at: i64, lot: u32, kind: Kind, quantity: f64| {
        n += 1;
        equitas_ledger::Movement {
            at,
            location,
            item,
            lot,
            kind,
            quantity,
            reason,
            source: Source::Event(n).pack(),
            recorded,
        }
    };
    let start = 1_700_000_000_000i64;
    let mut ms: Vec<_> = lots
        .iter()
        .map(|&l| mv(start, l, Kind::Receipt, 1e6))
        .collect();
    if none_first {
        ms.push(mv(start + 1, 0, Kind::Receipt, 100.0));
    }
    let held = 40_000i64;
    ms.extend((0..held).map(|i| {
        mv(
            start + (i + 1) * DAY,
            lots[(i % i64::from(LOTS)) as usize],
            Kind::Dispense,
            1.0,
        )
    }));
    let mut ledger = Ledger::build(names, ms);
    let appends: Vec<_> = (0..500i64)
        .map(|i| {
            mv(
                start + (held + 1 + i) * DAY,
                lots[(i % i64::from(LOTS)) as usize],
                Kind::Dispense,
                1.0,
            )
        })
        .collect();
    let t = Instant::now();
    for m in appends {
        ledger.append(vec![m]);
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    let target: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    // About 5.4 events per facility, product and month; checked by counting,
    // and the network grown until it reaches the target.
    let mut facilities = ((target as f64) / (150.0 * 24.0 * 5.4)).ceil().max(4.0) as usize;
    let net = loop {
        let net = equitas_synth::Network::new(equitas_synth::Config {
            facilities,
            ..equitas_synth::Config::default()
        });
        let mut n = 0u64;
        equitas_synth::simulate(&net, &mut |_| n += 1);
        if n >= target {
            break net;
        }
        facilities = (facilities as f64 * target as f64 / n as f64 * 1.01).ceil() as usize;
    };
    let t = Instant::now();
    let mut names = Names::default();
    let mut events: Vec<Vec<equitas_ledger::Movement>> = Vec::new();
    let mut n = 0u64;
    equitas_synth::simulate(&net, &mut |e| {
        n += 1;
        events.push(
            e.movements(&net)
                .iter()
                .map(|m| m.intern(&mut names, Source::Event(n)))
                .collect(),
        );
    });
    let tail = events.split_off(events.len().saturating_sub(10_000));
    // 10,000 late corrections: copies of events spread over the whole history,
    // one millisecond later (each lands in the middle of its lot's series).
    let step = (events.len() / 10_000).max(1);
    let late: Vec<_> = events
        .iter()
        .step_by(step)
        .take(10_000)
        .flatten()
        .map(|m| equitas_ledger::Movement {
            recorded: 0,
            at: m.at + 1,
            source: m.source + (1 << 40),
            ..*m
        })
        .collect();
    let movements: Vec<_> = events.into_iter().flatten().collect();
    let tail: Vec<_> = tail.into_iter().flatten().collect();
    println!(
        "network: {} facilities x {} products x {} months; {} events, {} movements ({} in the last 10,000 events); prepared in {:.1} s",
        facilities,
        net.products.len(),
        net.config.months,
        n,
        movements.len() + tail.len(),
        tail.len(),
        t.elapsed().as_secs_f64()
    );
    let places: Vec<Place> = net
        .places
        .iter()
        .map(|p| Place {
            code: format!("https://id.gs1.org/414/{}", p.gln),
            name: p.name.clone(),
            level: Some(match p.level {
                equitas_synth::Level::Central | equitas_synth::Level::RegionalStore => {
                    LocationLevel::Warehouse
                }
                equitas_synth::Level::Region => LocationLevel::Region,
                equitas_synth::Level::District => LocationLevel::District,
                equitas_synth::Level::Facility => LocationLevel::Facility,
            }),
            parent: p
                .parent
                .map(|i| format!("https://id.gs1.org/414/{}", net.places[i].gln)),
            gln: None,
        })
        .collect();

    let t = Instant::now();
    let mut ledger = Ledger::build(names, movements);
    let build = t.elapsed().as_secs_f64();
    let places = Places::new(places, &ledger);
    let through = ledger.through().unwrap_or(0);

    let t = Instant::now();
    let rows = view::stock(
        &ledger,
        &places,
        &MinMaxBands::default(),
        &StockQuery::default(),
    );
    let stock = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let dates: Vec<i32> = (0..12)
        .rev()
        .map(|k| {
            equitas_ledger::calendar::month_end(equitas_ledger::calendar::month_of(through) - 1 - k)
        })
        .collect();
    let avail = view::availability(&ledger, &places, LocationLevel::Region, &[], false, &dates);
    let availability = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let report = ledger.append(tail);
    let append = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let late_report = ledger.append(late);
    let late_ms = t.elapsed().as_secs_f64() * 1000.0;
    let problems = ledger.problems().len();
    println!(
        "build ledger + monthly figures: {build:.2} s; stock rows ({} rows): {stock:.2} s; availability ({} rows): {availability:.2} s",
        rows.len(),
        avail.len()
    );
    println!(
        "total from events to indicators: {:.2} s (target < 10 s)",
        build + stock + availability
    );
    println!(
        "append {} movements ({} lots, {} location-items, {} backdated): {:.1} ms (target < 100 ms)",
        report.movements,
        report.lots,
        report.items,
        report.backdated,
        append * 1000.0
    );
    println!(
        "append {} backdated movements (copies of events spread over the history; {} lots, {} location-items): {late_ms:.1} ms",
        late_report.movements, late_report.lots, late_report.items
    );
    let (lots_only, beside) = (appends_beside_lots(false), appends_beside_lots(true));
    println!(
        "500 one-movement appends at a place with 50 lots and 40,000 movements: lots only {:.1} ms, with one early movement of no lot {:.1} ms (ratio {:.2})",
        lots_only * 1000.0,
        beside * 1000.0,
        beside / lots_only
    );
    println!(
        "problems flagged: {problems}; peak memory (VmHWM, whole process incl. preparation): {} MB (target < 2,048 MB)",
        peak_rss_mb().map_or("?".into(), |m| format!("{m:.0}"))
    );
}
