//! A synthetic national supply network, deterministic from a seed and
//! labelled synthetic everywhere (names end in "(synthetic)"; GLNs and GTINs
//! use the GS1 prefix 952, reserved for demonstrations and examples).
//!
//! Central medical store > regional stores > districts > health facilities.
//! Each facility sees weekly demand for each product (Poisson around a
//! level set by facility size and product, seasonal for some products,
//! intermittent for others); facilities order monthly up to a maximum from
//! their regional store, regional stores from the central store, and the
//! central store procures every six months with a long, variable lead time
//! (one order in five badly delayed).
//! Lots carry expiry dates and are used first-expiry-first-out; expired
//! stock is destroyed, some stock is damaged or lost, and monthly counts
//! sometimes find less than the books. Stockouts happen when demand outruns
//! supply. Everything is emitted as GS1 EPCIS 2.0 events ([`Event`],
//! [`Event::to_json`]), in time order within each month.

use equitas_gs1::check_digit;
use equitas_ledger::calendar::{self, Day, MS_PER_DAY};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Poisson};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;

/// The size and span of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub seed: u64,
    /// ISO 3166-1 alpha-3 code the network is filed under (default `XSY`, a
    /// user-assigned code: no real country).
    pub country: String,
    pub regions: usize,
    pub districts_per_region: usize,
    pub facilities: usize,
    pub products: usize,
    pub months: u32,
    /// First day simulated.
    pub start: Day,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: 1,
            country: "XSY".into(),
            regions: 10,
            districts_per_region: 6,
            facilities: 1500,
            products: 150,
            months: 24,
            start: calendar::parse_day("2025-01-01").unwrap_or(0),
        }
    }
}

impl Config {
    /// The demo's synthetic country (`equitas demo`): 30 facilities, 12
    /// products, the 12 months from November 2025.
    pub fn demo() -> Config {
        Config {
            seed: 2026,
            regions: 3,
            districts_per_region: 2,
            facilities: 30,
            products: 12,
            months: 12,
            start: calendar::parse_day("2025-11-01").unwrap_or(0),
            ..Config::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Central,
    RegionalStore,
    Region,
    District,
    Facility,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<usize>,
    pub gln: String,
    /// The store supplying it (facilities: their regional store; regional
    /// stores: the central store).
    pub supplier: Option<usize>,
    /// Demand multiplier (facilities).
    pub size: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub code: String,
    pub name: String,
    /// Programme code, as `equitas import products` reads it.
    pub programme: &'static str,
    pub gtin: String,
    /// Mean monthly demand at a facility of size 1.
    pub demand: f64,
    /// Probability that a facility sees any demand in a week (1 for regular products).
    pub occurrence: f64,
    /// Amplitude of the yearly seasonal swing (0: none).
    pub seasonal: f64,
    pub shelf_life_months: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub config: Config,
    pub places: Vec<Place>,
    pub products: Vec<Product>,
}

fn with_check_digit(body: &str) -> String {
    format!("{body}{}", check_digit(body).unwrap_or(0))
}

/// Programmes of the synthetic products: (label, `equitas import products` code).
const PROGRAMMES: [(&str, &str); 8] = [
    ("HIV", "hiv"),
    ("TB", "tb"),
    ("Malaria", "malaria"),
    ("Immunisation", "immunisation"),
    ("NTD", "ntd"),
    ("SRH", "srh"),
    ("Mental health", "mental_health"),
    ("EML", "essential_medicines"),
];

impl Network {
    pub fn new(config: Config) -> Network {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut places = Vec::new();
        let mut gln_n = 0u32;
        let seed = config.seed;
        let mut add =
            |places: &mut Vec<Place>, code: String, name: String, level, parent, supplier, size| {
                gln_n += 1;
                places.push(Place {
                    code,
                    name,
                    level,
                    parent,
                    // 952 + three digits of the seed + a serial: networks of
                    // different seeds can share a database.
                    gln: with_check_digit(&format!("952{:03}{:06}", seed % 1000, gln_n)),
                    supplier,
                    size,
                });
                places.len() - 1
            };
        let cms = add(
            &mut places,
            "CMS".into(),
            "Central Medical Store (synthetic)".into(),
            Level::Central,
            None,
            None,
            1.0,
        );
        let mut districts = Vec::new();
        for r in 0..config.regions.max(1) {
            let region = add(
                &mut places,
                format!("R{:02}", r + 1),
                format!("Region {} (synthetic)", r + 1),
                Level::Region,
                None,
                None,
                1.0,
            );
            let store = add(
                &mut places,
                format!("RMS{:02}", r + 1),
                format!("Regional Medical Store {} (synthetic)", r + 1),
                Level::RegionalStore,
                Some(region),
                Some(cms),
                1.0,
            );
            for d in 0..config.districts_per_region.max(1) {
                let district = add(
                    &mut places,
                    format!("R{:02}D{:02}", r + 1, d + 1),
                    format!("District {}-{} (synthetic)", r + 1, d + 1),
                    Level::District,
                    Some(region),
                    None,
                    1.0,
                );
                districts.push((district, store));
            }
        }
        let size = LogNormal::new(0.0, 0.6).expect("valid lognormal");
        for f in 0..config.facilities {
            let (district, store) = districts[f % districts.len()];
            let s: f64 = size.sample(&mut rng);
            let code = format!("{}F{:04}", places[district].code, f + 1);
            add(
                &mut places,
                code,
                format!("Health facility {} (synthetic)", f + 1),
                Level::Facility,
                Some(district),
                Some(store),
                s,
            );
        }
        let demand = LogNormal::new(3.4, 0.9).expect("valid lognormal");
        let products = (0..config.products)
            .map(|i| {
                let intermittent = rng.random_bool(0.3);
                let (programme, programme_code) = PROGRAMMES[i % PROGRAMMES.len()];
                Product {
                    programme: programme_code,
                    code: format!("SYN-{:03}", i + 1),
                    name: format!("{programme} product {} (synthetic)", i + 1),
                    gtin: with_check_digit(&format!("0952{:09}", i + 1)),
                    demand: if intermittent {
                        demand.sample(&mut rng) / 8.0
                    } else {
                        demand.sample(&mut rng)
                    },
                    occurrence: if intermittent {
                        rng.random_range(0.1..0.5)
                    } else {
                        1.0
                    },
                    seasonal: if programme == "Malaria" {
                        rng.random_range(0.3..0.6)
                    } else {
                        0.0
                    },
                    shelf_life_months: rng.random_range(18..=36),
                }
            })
            .collect();
        Network {
            config,
            places,
            products,
        }
    }

    /// The network's products in the `equitas import products` layout,
    /// with the mean monthly demand per facility for information.
    pub fn products_csv(&self) -> String {
        let mut out =
            String::from("code,gtin,name,programme,category,monthly_demand_per_facility\n");
        for p in &self.products {
            let category = if p.programme == "immunisation" {
                "vaccine"
            } else {
                "medicine"
            };
            out.push_str(&format!(
                "{},{},\"{}\",{},{category},{:.1}\n",
                p.code, p.gtin, p.name, p.programme, p.demand
            ));
        }
        out
    }

    /// The network's country in the `equitas import countries` layout
    /// (ISO 3166 user-assigned code, so no real country is meant).
    pub fn countries_csv(&self) -> String {
        let c = &self.config.country;
        format!(
            "ISO3166-1-Alpha-3,ISO3166-1-Alpha-2,official_name_en,official_name_fr,CLDR display name\n{c},{},Synthetic country (Equitas demo),Pays synthétique (démo Equitas),Synthetic country\n",
            &c[..2.min(c.len())]
        )
    }

    /// The hierarchy in the `equitas import locations` layout.
    pub fn locations_csv(&self) -> String {
        let mut s = String::from("code,name,level,parent,country,gln\n");
        for p in &self.places {
            let (level, parent) = match p.level {
                Level::Central => ("warehouse", self.config.country.clone()),
                Level::RegionalStore => {
                    ("warehouse", self.places[p.parent.unwrap_or(0)].code.clone())
                }
                Level::Region => ("region", self.config.country.clone()),
                Level::District => ("district", self.places[p.parent.unwrap_or(0)].code.clone()),
                Level::Facility => ("facility", self.places[p.parent.unwrap_or(0)].code.clone()),
            };
            let _ = writeln!(
                s,
                "{},\"{}\",{},{},{},{}",
                p.code, p.name, level, parent, self.config.country, p.gln
            );
        }
        s
    }
}

/// What an event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Opening stock, received (with lot and expiry) at the start of the simulation.
    Opening,
    Receiving,
    Shipping,
    Dispensing,
    CycleCounting,
    /// Destroyed, with a CBV disposition (`expired`, `damaged`).
    Destroying(&'static str),
}

/// One synthetic EPCIS event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// UTC milliseconds (events are at offset +00:00).
    pub at: i64,
    pub step: Step,
    pub location: usize,
    pub counterpart: Option<usize>,
    pub product: usize,
    /// (lot number, expiry day, quantity).
    pub lots: Vec<(u32, Day, f64)>,
    /// The ILMD (lot and expiry) is stated (receipts from suppliers and opening counts).
    pub ilmd: bool,
}

fn sgln(gln: &str) -> String {
    // GS1 company prefix 952 + 4 digits (7 digits), location reference 5 digits.
    format!("urn:epc:id:sgln:{}.{}.0", &gln[..7], &gln[7..12])
}

fn lgtin(gtin: &str, lot: u32) -> String {
    // GTIN-14 "0952xxxxxxxxc": indicator 0, company prefix 9520000 (7), item ref 5.
    format!(
        "urn:epc:class:lgtin:{}.{}{}.L{lot:06}",
        &gtin[1..8],
        &gtin[0..1],
        &gtin[8..13]
    )
}

impl Event {
    /// The event in the EPCIS 2.0 JSON binding.
    pub fn to_json(&self, net: &Network, index: u64) -> String {
        let time = chrono::DateTime::from_timestamp_millis(self.at)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_default();
        let p = &net.products[self.product];
        let here = sgln(&net.places[self.location].gln);
        let (step, action, disposition) = match self.step {
            Step::Opening => ("receiving", "ADD", "in_progress"),
            Step::Receiving => (
                "receiving",
                if self.ilmd { "ADD" } else { "OBSERVE" },
                "in_progress",
            ),
            Step::Shipping => ("shipping", "OBSERVE", "in_transit"),
            Step::Dispensing => ("dispensing", "OBSERVE", "dispensed"),
            Step::CycleCounting => ("cycle_counting", "OBSERVE", "active"),
            Step::Destroying(d) => ("destroying", "DELETE", d),
        };
        let mut s = String::with_capacity(512);
        let _ = write!(
            s,
            r#"{{"type":"ObjectEvent","eventID":"urn:uuid:{:08x}-0000-4000-8000-{:012x}","eventTime":"{time}","eventTimeZoneOffset":"+00:00","action":"{action}","bizStep":"{step}","disposition":"{disposition}","readPoint":{{"id":"{here}"}},"bizLocation":{{"id":"{here}"}}"#,
            net.config.seed as u32, index
        );
        if let Some(c) = self.counterpart {
            let other = sgln(&net.places[c].gln);
            match self.step {
                Step::Shipping => {
                    let _ = write!(
                        s,
                        r#","sourceList":[{{"type":"location","source":"{here}"}}],"destinationList":[{{"type":"location","destination":"{other}"}}]"#
                    );
                }
                _ => {
                    let _ = write!(
                        s,
                        r#","sourceList":[{{"type":"location","source":"{other}"}}],"destinationList":[{{"type":"location","destination":"{here}"}}]"#
                    );
                }
            }
        }
        s.push_str(r#","quantityList":["#);
        for (i, (lot, _, q)) in self.lots.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                r#"{{"epcClass":"{}","quantity":{q}}}"#,
                lgtin(&p.gtin, *lot)
            );
        }
        s.push(']');
        if self.ilmd
            && action == "ADD"
            && let Some((lot, expiry, _)) = self.lots.first()
        {
            let _ = write!(
                s,
                r#","ilmd":{{"cbvmda:lotNumber":"L{lot:06}","cbvmda:itemExpirationDate":"{}"}}"#,
                calendar::format_day(*expiry)
            );
        }
        s.push('}');
        s
    }
}

impl Event {
    /// The movements this event means, as `equitas_ledger::extract` reads
    /// them from its JSON (checked by a test), without the JSON.
    pub fn movements(&self, net: &Network) -> Vec<equitas_ledger::extract::RawMovement> {
        use equitas_ledger::Kind;
        let dl = |i: usize| format!("https://id.gs1.org/414/{}", net.places[i].gln);
        let (kind, sign, reason) = match self.step {
            Step::CycleCounting => (Kind::Count, 1.0, ""),
            Step::Opening | Step::Receiving => (Kind::Receipt, 1.0, ""),
            Step::Shipping => (Kind::Issue, 1.0, ""),
            Step::Dispensing => (Kind::Dispense, 1.0, ""),
            Step::Destroying(d) => (Kind::Adjust, -1.0, d),
        };
        let ilmd = self.ilmd && matches!(self.step, Step::Receiving | Step::Opening);
        self.lots
            .iter()
            .map(|&(lot, expiry, q)| equitas_ledger::extract::RawMovement {
                at: self.at,
                location: dl(self.location),
                item: net.products[self.product].gtin.clone(),
                lot: format!("L{lot:06}"),
                kind,
                quantity: sign * q,
                reason: reason.to_string(),
                counterpart: self.counterpart.map(dl),
                expiry: (ilmd && Some(lot) == self.lots.first().map(|l| l.0))
                    .then(|| calendar::format_day(expiry)),
            })
            .collect()
    }
}

/// The `@context` and header of an EPCIS document holding `events` (JSON objects).
pub fn document(events: &[String], created: &str) -> String {
    let mut s = String::with_capacity(events.iter().map(|e| e.len() + 1).sum::<usize>() + 400);
    let _ = write!(
        s,
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{{"cbvmda":"urn:epcglobal:cbv:mda:"}}],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"{created}","epcisBody":{{"eventList":["#
    );
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(e);
    }
    s.push_str("]}}");
    s
}

struct Stock {
    /// (lot, expiry, quantity), by expiry.
    lots: Vec<(u32, Day, f64)>,
    in_transit: f64,
}

impl Stock {
    fn total(&self) -> f64 {
        self.lots.iter().map(|l| l.2).sum()
    }

    fn add(&mut self, lots: &[(u32, Day, f64)]) {
        for &(lot, e, q) in lots {
            match self.lots.iter_mut().find(|l| l.0 == lot) {
                Some(l) => l.2 += q,
                None => self.lots.push((lot, e, q)),
            }
        }
        self.lots.sort_by_key(|l| (l.1, l.0));
    }

    /// Takes up to `q` first-expiry-first-out.
    fn take(&mut self, mut q: f64) -> Vec<(u32, Day, f64)> {
        let mut out = Vec::new();
        for l in &mut self.lots {
            if q <= 0.0 {
                break;
            }
            let t = l.2.min(q);
            if t > 0.0 {
                l.2 -= t;
                q -= t;
                out.push((l.0, l.1, t));
            }
        }
        self.lots.retain(|l| l.2 > 0.0);
        out
    }
}

/// Shipments on their way, by id (memory bounded by what is in transit).
#[derive(Default)]
struct Pending {
    next: u64,
    map: std::collections::HashMap<u64, Shipment>,
}

struct Shipment {
    to: usize,
    from: Option<usize>,
    product: usize,
    lots: Vec<(u32, Day, f64)>,
    ilmd: bool,
}

/// Runs the simulation, handing each event to `sink` (time order within a
/// month; receipts may come later in the stream than other events of
/// their day).
pub fn simulate(net: &Network, sink: &mut dyn FnMut(&Event)) {
    let cfg = &net.config;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed);
    let np = net.products.len();
    let mut stock: Vec<Stock> = (0..net.places.len() * np)
        .map(|_| Stock {
            lots: Vec::new(),
            in_transit: 0.0,
        })
        .collect();
    let idx = |place: usize, product: usize| place * np + product;
    let facilities: Vec<usize> = (0..net.places.len())
        .filter(|&i| net.places[i].level == Level::Facility)
        .collect();
    let stores: Vec<usize> = (0..net.places.len())
        .filter(|&i| net.places[i].level == Level::RegionalStore)
        .collect();
    let central = 0usize;
    // Mean monthly demand served by each place, per product.
    let mut served = vec![0.0f64; net.places.len() * np];
    for &f in &facilities {
        for (p, prod) in net.products.iter().enumerate() {
            let m = prod.demand * net.places[f].size;
            served[idx(f, p)] = m;
            if let Some(s) = net.places[f].supplier {
                served[idx(s, p)] += m;
                served[idx(central, p)] += m;
            }
        }
    }
    // Three products in ten are under-funded: 60-95% of the need is bought.
    let funding: Vec<f64> = (0..np)
        .map(|_| {
            if rng.random_bool(0.3) {
                rng.random_range(0.6..0.95)
            } else {
                1.0
            }
        })
        .collect();
    let mut lot_no = 0u32;
    let mut new_lot = |rng: &mut ChaCha8Rng, day: Day, p: usize| {
        lot_no += 1;
        let months = net.products[p].shelf_life_months - rng.random_range(0..6);
        (lot_no, calendar::add_months(day, months), 0.0)
    };
    let ms = |day: Day, hour: i64| day as i64 * MS_PER_DAY + hour * 3_600_000;
    // Opening stock: a few months of each place's demand, one lot.
    let opening_months = |level: Level| match level {
        Level::Central => 5.0,
        Level::RegionalStore => 3.0,
        _ => 2.5,
    };
    for (place, pl) in net.places.iter().enumerate() {
        if matches!(pl.level, Level::Region | Level::District) {
            continue;
        }
        for p in 0..np {
            let q = (served[idx(place, p)] * opening_months(pl.level)).round();
            if q <= 0.0 {
                continue;
            }
            let mut lot = new_lot(&mut rng, cfg.start, p);
            lot.2 = q;
            stock[idx(place, p)].add(&[lot]);
            sink(&Event {
                at: ms(cfg.start, 7),
                step: Step::Opening,
                location: place,
                counterpart: None,
                product: p,
                lots: vec![lot],
                ilmd: true,
            });
        }
    }
    let mut transit: BinaryHeap<Reverse<(Day, u64)>> = BinaryHeap::new();
    let mut shipments = Pending::default();
    let deliver = |until: Day,
                   transit: &mut BinaryHeap<Reverse<(Day, u64)>>,
                   shipments: &mut Pending,
                   stock: &mut Vec<Stock>,
                   sink: &mut dyn FnMut(&Event)| {
        while let Some(&Reverse((day, id))) = transit.peek() {
            if day > until {
                break;
            }
            transit.pop();
            if let Some(s) = shipments.map.remove(&id) {
                // Received first thing in the morning, before the day's
                // shipping, dispensing and counting use the stock.
                let st = &mut stock[idx(s.to, s.product)];
                st.in_transit -= s.lots.iter().map(|l| l.2).sum::<f64>();
                st.add(&s.lots);
                sink(&Event {
                    at: ms(day, 6),
                    step: Step::Receiving,
                    location: s.to,
                    counterpart: s.from,
                    product: s.product,
                    lots: s.lots,
                    ilmd: s.ilmd,
                });
            }
        }
    };
    let ship = |day: Day,
                arrive: Day,
                s: Shipment,
                transit: &mut BinaryHeap<Reverse<(Day, u64)>>,
                shipments: &mut Pending| {
        let id = shipments.next;
        shipments.next += 1;
        shipments.map.insert(id, s);
        transit.push(Reverse((arrive, id)));
        let _ = day;
    };
    let first_month = calendar::month_of(cfg.start);
    for k in 0..cfg.months as i32 {
        let m = first_month + k;
        let s = calendar::month_start(m);
        let days = calendar::days_in_month(m) as i32;
        let season = |p: usize| {
            1.0 + net.products[p].seasonal
                * (std::f64::consts::TAU * ((m % 12) as f64 - 2.0) / 12.0).sin()
        };
        deliver(s, &mut transit, &mut shipments, &mut stock, sink);
        // Expired stock is destroyed on the first day of the month.
        for (place, pl) in net.places.iter().enumerate() {
            if matches!(pl.level, Level::Region | Level::District) {
                continue;
            }
            for p in 0..np {
                let st = &mut stock[idx(place, p)];
                let expired: Vec<(u32, Day, f64)> =
                    st.lots.iter().copied().filter(|l| l.1 < s).collect();
                if !expired.is_empty() {
                    st.lots.retain(|l| l.1 >= s);
                    sink(&Event {
                        at: ms(s, 8),
                        step: Step::Destroying("expired"),
                        location: place,
                        counterpart: None,
                        product: p,
                        lots: expired,
                        ilmd: false,
                    });
                }
            }
        }
        // Central procurement every six months, up to nine months of demand
        // (less for under-funded products).
        if k % 6 == 0 {
            for p in 0..np {
                let st = &stock[idx(central, p)];
                let need =
                    (served[idx(central, p)] * 9.0 * funding[p] - st.total() - st.in_transit)
                        .round();
                if need > 0.0 {
                    // One order in five is badly delayed (a supplier or
                    // funding problem): the source of national stockouts.
                    let delay = if rng.random_bool(0.2) {
                        rng.random_range(90..180)
                    } else {
                        0
                    };
                    let arrive = s + rng.random_range(45..150) + delay;
                    let mut lot = new_lot(&mut rng, arrive, p);
                    lot.2 = need;
                    stock[idx(central, p)].in_transit += need;
                    ship(
                        s,
                        arrive,
                        Shipment {
                            to: central,
                            from: None,
                            product: p,
                            lots: vec![lot],
                            ilmd: true,
                        },
                        &mut transit,
                        &mut shipments,
                    );
                }
            }
        }
        // Regional stores order up to 5 months from the central store.
        for &r in &stores {
            let day = s + 1;
            deliver(day, &mut transit, &mut shipments, &mut stock, sink);
            for p in 0..np {
                let st = &stock[idx(r, p)];
                let want = (served[idx(r, p)] * 5.0 - st.total() - st.in_transit).round();
                if want <= served[idx(r, p)] {
                    continue;
                }
                let lots = stock[idx(central, p)].take(want);
                if lots.is_empty() {
                    continue;
                }
                let q: f64 = lots.iter().map(|l| l.2).sum();
                stock[idx(r, p)].in_transit += q;
                sink(&Event {
                    at: ms(day, 9) + 60_000 * r as i64,
                    step: Step::Shipping,
                    location: central,
                    counterpart: Some(r),
                    product: p,
                    lots: lots.clone(),
                    ilmd: false,
                });
                let arrive = day + rng.random_range(5..20);
                ship(
                    day,
                    arrive,
                    Shipment {
                        to: r,
                        from: Some(central),
                        product: p,
                        lots,
                        ilmd: false,
                    },
                    &mut transit,
                    &mut shipments,
                );
            }
        }
        // Facilities order up to 4 months from their regional store.
        let day = s + 2;
        deliver(day, &mut transit, &mut shipments, &mut stock, sink);
        for &f in &facilities {
            let store = net.places[f].supplier.unwrap_or(central);
            for p in 0..np {
                let st = &stock[idx(f, p)];
                let want =
                    (served[idx(f, p)] * season(p) * 4.0 - st.total() - st.in_transit).round();
                if want < 1.0 || want < served[idx(f, p)] * 0.5 {
                    continue;
                }
                let lots = stock[idx(store, p)].take(want);
                if lots.is_empty() {
                    continue;
                }
                let q: f64 = lots.iter().map(|l| l.2).sum();
                stock[idx(f, p)].in_transit += q;
                sink(&Event {
                    at: ms(day, 11) + 60_000 * (f as i64 % 600),
                    step: Step::Shipping,
                    location: store,
                    counterpart: Some(f),
                    product: p,
                    lots: lots.clone(),
                    ilmd: false,
                });
                let arrive = day + rng.random_range(2..15);
                ship(
                    day,
                    arrive,
                    Shipment {
                        to: f,
                        from: Some(store),
                        product: p,
                        lots,
                        ilmd: false,
                    },
                    &mut transit,
                    &mut shipments,
                );
            }
        }
        // Weekly dispensing.
        for week in 0..4 {
            let day = s + 6 + 7 * week;
            deliver(day, &mut transit, &mut shipments, &mut stock, sink);
            for &f in &facilities {
                for (p, prod) in net.products.iter().enumerate() {
                    if prod.occurrence < 1.0 && !rng.random_bool(prod.occurrence) {
                        continue;
                    }
                    let mean = served[idx(f, p)] * season(p) / 4.0 / prod.occurrence;
                    let demand = Poisson::new(mean.max(1e-6))
                        .map_or(0.0, |d| d.sample(&mut rng))
                        .round();
                    if demand <= 0.0 {
                        continue;
                    }
                    let lots = stock[idx(f, p)].take(demand);
                    if !lots.is_empty() {
                        sink(&Event {
                            at: ms(day, 16),
                            step: Step::Dispensing,
                            location: f,
                            counterpart: None,
                            product: p,
                            lots,
                            ilmd: false,
                        });
                    }
                }
            }
        }
        // Occasional damage, and the monthly count at facilities, which
        // sometimes finds less than the books hold.
        let day = s + days - 1;
        deliver(day, &mut transit, &mut shipments, &mut stock, sink);
        for &f in &facilities {
            for p in 0..np {
                let st = &mut stock[idx(f, p)];
                if st.lots.is_empty() {
                    continue;
                }
                if rng.random_bool(0.004) {
                    let q = (st.total() * 0.1).ceil();
                    let lots = st.take(q);
                    sink(&Event {
                        at: ms(day, 12),
                        step: Step::Destroying("damaged"),
                        location: f,
                        counterpart: None,
                        product: p,
                        lots,
                        ilmd: false,
                    });
                }
                if rng.random_bool(0.005)
                    && let Some(l) = st.lots.first_mut()
                {
                    l.2 = (l.2 * 0.9).floor();
                }
                st.lots.retain(|l| l.2 > 0.0);
                if !st.lots.is_empty() {
                    sink(&Event {
                        at: ms(day, 17),
                        step: Step::CycleCounting,
                        location: f,
                        counterpart: None,
                        product: p,
                        lots: st.lots.clone(),
                        ilmd: false,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
