//! Synthetic multi-country networks (`equitas-synth`), one ledger per
//! country as each country's own database would hold, for the equality
//! tests and the benchmark.

use crate::EngineError;
use crate::export::{write_ledger, write_locations};
use crate::figures::{Figure, single_node};
use equitas_ledger::calendar::Day;
use equitas_ledger::view::{Place, Places};
use equitas_ledger::{Ledger, Movement, Names, Source};
use equitas_model::LocationLevel;
use std::path::Path;

/// One country's movements and location hierarchy.
pub struct Country {
    pub code: String,
    pub names: Names,
    pub movements: Vec<Movement>,
    /// The hierarchy (the country, its regions, districts, stores and
    /// facilities), as `equitas import locations` would hold it.
    pub places: Vec<Place>,
}

/// Several synthetic countries (codes `XSA`, `XSB`, ...: ISO 3166
/// user-assigned, no real country).
pub struct Networks {
    pub countries: Vec<Country>,
}

impl Networks {
    pub fn new(countries: usize, facilities: usize, products: usize, months: u32) -> Networks {
        let countries = (0..countries)
            .map(|i| {
                let code = format!("XS{}", (b'A' + (i % 26) as u8) as char);
                let net = equitas_synth::Network::new(equitas_synth::Config {
                    seed: 101 + i as u64,
                    country: code.clone(),
                    regions: (facilities / 150).clamp(1, 10),
                    districts_per_region: 3,
                    facilities,
                    products,
                    months,
                    ..equitas_synth::Config::default()
                });
                let mut names = Names::default();
                let mut movements = Vec::new();
                let mut n = 0u64;
                equitas_synth::simulate(&net, &mut |e| {
                    n += 1;
                    for m in e.movements(&net) {
                        movements.push(m.intern(&mut names, Source::Event(n)));
                    }
                });
                Country {
                    places: hierarchy(&net),
                    code,
                    names,
                    movements,
                }
            })
            .collect();
        Networks { countries }
    }

    pub fn movements(&self) -> usize {
        self.countries.iter().map(|c| c.movements.len()).sum()
    }

    /// The last day with a movement in any country.
    pub fn as_of(&self) -> Day {
        self.countries
            .iter()
            .flat_map(|c| {
                c.movements
                    .iter()
                    .map(|m| m.at.div_euclid(equitas_ledger::calendar::MS_PER_DAY) as Day)
            })
            .max()
            .unwrap_or(0)
    }

    /// The single-node figures of every country, as of [`Networks::as_of`],
    /// in (country, location, item, month) order: each country's ledger
    /// built from its movements, then its months.
    pub fn single_node(&self) -> Vec<Figure> {
        self.single_node_timed().0
    }

    /// [`Networks::single_node`], and the seconds it took once its input
    /// was copied (each country's ledger built, its months, the ledger
    /// dropped; not the copy). One country's copy and ledger at a time,
    /// as each country's own server would hold.
    pub fn single_node_timed(&self) -> (Vec<Figure>, f64) {
        let as_of = self.as_of();
        let mut out = Vec::new();
        let mut secs = 0.0;
        for c in &self.countries {
            let (names, movements) = (c.names.clone(), c.movements.clone());
            let t = std::time::Instant::now();
            let l = Ledger::build(names, movements);
            let countries = vec![c.code.clone(); l.names.locations.len()];
            out.extend(single_node(&l, &countries, as_of));
            drop(l);
            secs += t.elapsed().as_secs_f64();
        }
        (out, secs)
    }

    /// Writes every country's Parquet files under `out` (export layout,
    /// its locations included), one country's ledger at a time.
    pub fn write(&self, out: &Path) -> Result<(), EngineError> {
        let as_of = self.as_of();
        for c in &self.countries {
            let l = Ledger::build(c.names.clone(), c.movements.clone());
            let countries = vec![c.code.clone(); l.names.locations.len()];
            write_ledger(
                &l,
                &countries,
                as_of,
                out,
                &indicatif::ProgressBar::hidden(),
            )?;
            write_locations(&l, &Places::new(c.places.clone(), &l), &countries, out)?;
        }
        Ok(())
    }

    /// Each country's ledger, with its hierarchy attached and the country
    /// of each of its location ids, one at a time (for the single-node
    /// side of a comparison).
    pub fn each_ledger(&self, f: &mut dyn FnMut(&Ledger, &Places, &[String])) {
        for c in &self.countries {
            let l = Ledger::build(c.names.clone(), c.movements.clone());
            let places = Places::new(c.places.clone(), &l);
            let countries = vec![c.code.clone(); l.names.locations.len()];
            f(&l, &places, &countries);
        }
    }
}

/// The location hierarchy of a synthetic network, as its locations file
/// imports it (`equitas_synth::Network::locations_csv`), under its country.
fn hierarchy(net: &equitas_synth::Network) -> Vec<Place> {
    use equitas_synth::Level;
    let country = net.config.country.clone();
    let mut out = vec![Place {
        code: country.clone(),
        name: country.clone(),
        level: Some(LocationLevel::Country),
        parent: None,
        gln: None,
    }];
    for p in &net.places {
        let parent_code = || Some(net.places[p.parent.unwrap_or(0)].code.clone());
        let (level, parent) = match p.level {
            Level::Central => (LocationLevel::Warehouse, Some(country.clone())),
            Level::RegionalStore => (LocationLevel::Warehouse, parent_code()),
            Level::Region => (LocationLevel::Region, Some(country.clone())),
            Level::District => (LocationLevel::District, parent_code()),
            Level::Facility => (LocationLevel::Facility, parent_code()),
        };
        out.push(Place {
            code: p.code.clone(),
            name: p.name.clone(),
            level: Some(level),
            parent,
            gln: Some(p.gln.clone()),
        });
    }
    out
}
