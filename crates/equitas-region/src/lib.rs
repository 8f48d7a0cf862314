//! Data kept in each country (issue 25, ARCHITECTURE.md): each country runs
//! its own Equitas and publishes its monthly stock figures; a regional
//! Equitas pulls them and answers across countries from them.
//!
//! - [`figures`]: a month's publication, computed from the country's own
//!   ledger by the views `equitas stock` and `equitas availability` show
//!   (`equitas_ledger::view`) and the ledger's monthly figures
//!   (`Ledger::month`), at the level the country chose, with the country's
//!   totals always included;
//! - [`Publication`]: what describes a published month (country, month,
//!   level, format and formulas' versions, computed-at time, digest);
//! - [`to_pull`]: which months a regional server fetches (new or
//!   republished);
//! - [`coverage`]: which countries and months a regional answer covers, and
//!   which it lacks.
//!
//! Invariant: a published row's figures are those the country's own
//! `equitas stock --level LEVEL --as-of END-OF-MONTH` and `equitas
//! availability --by LEVEL --date END-OF-MONTH` give, and its monthly
//! figures the sums of its locations' ledger months (tests).

use equitas_ledger::Ledger;
use equitas_ledger::calendar::{self, MonthIndex};
use equitas_ledger::view::{self, MinMaxBands, Places, StockQuery};
use equitas_model::LocationLevel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The version of the publication format (the fields of [`Publication`]
/// and [`FigureRow`]); a regional server refuses another.
pub const FORMAT: u32 = 1;

/// The version of docs/formulas.md section 3 the figures follow: raised
/// whenever a formula of that section changes, so that figures computed by
/// different formulas are not compared unknowingly.
/// 2 (2026-12-07): the AMC leaves out months with nothing recorded (3.5);
/// a count of no lot counts the item whole (3.1).
/// 3 (2026-12-07, later): such a month is one with nothing recorded at the
/// place for any item; an item silent while its place reports counts 0
/// (3.5).
pub const FORMULAS_VERSION: u32 = 3;

/// The level a country publishes at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Every location of the ledger (facilities and stores) on its own.
    Facility,
    District,
    Region,
    Country,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Facility,
        Level::District,
        Level::Region,
        Level::Country,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Facility => "facility",
            Level::District => "district",
            Level::Region => "region",
            Level::Country => "country",
        }
    }

    /// The level of the hierarchy rows are summed to (`None`: each
    /// location on its own).
    fn hierarchy(self) -> Option<LocationLevel> {
        match self {
            Level::Facility => None,
            Level::District => Some(LocationLevel::District),
            Level::Region => Some(LocationLevel::Region),
            Level::Country => Some(LocationLevel::Country),
        }
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not a publication level (facility, district, region or country)")
            })
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One published row: an item at a location (or area) in a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FigureRow {
    /// ISO 3166 alpha-3 code of the publishing country.
    pub country: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The level of the row: the publication's level, or `country` for
    /// the country's totals (always published).
    pub level: String,
    pub location: String,
    pub location_name: String,
    pub item: String,
    pub item_name: Option<String>,
    /// Monthly figures (docs/formulas.md 3.2), summed over the row's
    /// locations (an area's received and issued include transfers between
    /// its own locations).
    pub opening: f64,
    pub received: f64,
    pub issued: f64,
    pub dispensed: f64,
    pub adjusted: f64,
    pub closing: f64,
    /// Stockout days of the month (3.3): single locations only.
    pub stockout_days: Option<u32>,
    /// AMC at the month's end (3.5; an area's: the sum of its locations',
    /// each on what it dispensed).
    pub amc: Option<f64>,
    /// Months of stock at the month's end (3.6).
    pub months_of_stock: Option<f64>,
    /// Facilities managing the item at the month's end (3.9).
    pub facilities: u32,
    /// Of which with the item in stock.
    pub in_stock: u32,
    /// `in_stock / facilities` (3.9).
    pub availability: Option<f64>,
}

/// What describes one published month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Publication {
    pub country: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The level chosen by the country (its totals are published too).
    pub level: String,
    /// The publication format ([`FORMAT`]).
    pub format: u32,
    /// The Equitas version that computed the figures.
    pub equitas_version: String,
    /// The version of docs/formulas.md section 3 ([`FORMULAS_VERSION`]).
    pub formulas_version: u32,
    /// RFC 3339, UTC.
    pub computed_at: String,
    /// SHA-256 of the rows ([`digest`]): changes when a figure does.
    pub digest: String,
    pub rows: u64,
}

/// The months a ledger can publish: from its first month to the last month
/// complete on its last day with data.
pub fn months(ledger: &Ledger) -> Vec<MonthIndex> {
    let first = ledger
        .item_keys()
        .filter_map(|(l, i)| ledger.series(l, i))
        .map(|s| s.first_month)
        .min();
    match (first, ledger.through()) {
        (Some(f), Some(t)) => (f..=calendar::last_complete_month(t)).collect(),
        _ => Vec::new(),
    }
}

#[derive(Default, Clone, Copy)]
struct Sums {
    opening: f64,
    received: f64,
    issued: f64,
    dispensed: f64,
    adjusted: f64,
    closing: f64,
    stockout_days: u32,
}

/// The rows of `month` at `level` within `country` (a place of the
/// hierarchy).
fn rows_at(
    ledger: &Ledger,
    places: &Places,
    bands: &MinMaxBands,
    country: &str,
    level: Level,
    month: MonthIndex,
) -> Vec<FigureRow> {
    let as_of = calendar::month_end(month);
    let to = level.hierarchy();
    let q = StockQuery {
        as_of: Some(as_of),
        within: Some(country.to_string()),
        level: to,
        ..StockQuery::default()
    };
    let stock = view::stock(ledger, places, bands, &q);
    // The ledger's months, summed to the row's place as `view::stock` sums
    // stock on hand.
    let mut sums: HashMap<(&str, &str), Sums> = HashMap::new();
    for (loc, item) in ledger.item_keys() {
        let Some(place) = places.place_of(loc) else {
            continue;
        };
        let lineage = places.lineage(place);
        if !lineage.iter().any(|&i| places.list[i].code == country) {
            continue;
        }
        let target = match to {
            None => Some(place),
            Some(l) => lineage
                .iter()
                .copied()
                .find(|&i| places.list[i].level == Some(l)),
        };
        let (Some(t), Some(f)) = (target, ledger.month(loc, item, month, as_of)) else {
            continue;
        };
        let e = sums
            .entry((places.list[t].code.as_str(), ledger.names.items.name(item)))
            .or_default();
        e.opening += f.opening;
        e.received += f.received;
        e.issued += f.issued;
        e.dispensed += f.dispensed;
        e.adjusted += f.adjusted;
        e.closing += f.closing;
        e.stockout_days += f.stockout_days;
    }
    let by = to.unwrap_or(LocationLevel::Facility);
    let avail: HashMap<(String, String), (usize, usize)> =
        view::availability(ledger, places, by, &[], false, &[as_of])
            .into_iter()
            .map(|r| ((r.area, r.item), (r.facilities, r.in_stock)))
            .collect();
    let month_text = calendar::format_month(month);
    stock
        .into_iter()
        .map(|r| {
            let s = sums
                .get(&(r.location.as_str(), r.item.as_str()))
                .copied()
                .unwrap_or_default();
            let (facilities, in_stock) = avail
                .get(&(r.location.clone(), r.item.clone()))
                .copied()
                .unwrap_or((0, 0));
            FigureRow {
                country: country.to_string(),
                month: month_text.clone(),
                level: level.as_str().to_string(),
                location: r.location,
                location_name: r.location_name,
                item: r.item,
                item_name: r.item_name,
                opening: s.opening,
                received: s.received,
                issued: s.issued,
                dispensed: s.dispensed,
                adjusted: s.adjusted,
                closing: s.closing,
                stockout_days: to.is_none().then_some(s.stockout_days),
                amc: r.amc,
                months_of_stock: r.months_of_stock,
                facilities: u32::try_from(facilities).unwrap_or(u32::MAX),
                in_stock: u32::try_from(in_stock).unwrap_or(u32::MAX),
                availability: equitas_ledger::indicators::availability(in_stock, facilities),
            }
        })
        .collect()
}

/// The published rows of `month`: at `level` within `country`, then the
/// country's totals (unless the level is the country).
pub fn figures(
    ledger: &Ledger,
    places: &Places,
    bands: &MinMaxBands,
    country: &str,
    level: Level,
    month: MonthIndex,
) -> Vec<FigureRow> {
    let mut rows = rows_at(ledger, places, bands, country, level, month);
    if level != Level::Country {
        rows.extend(rows_at(
            ledger,
            places,
            bands,
            country,
            Level::Country,
            month,
        ));
    }
    rows
}

/// The SHA-256 (hex) of the rows as JSON: two publications of a month with
/// the same figures have the same digest.
pub fn digest(rows: &[FigureRow]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        // Serialising plain numbers and strings cannot fail.
        if let Ok(b) = serde_json::to_vec(r) {
            h.update(&b);
        }
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The publication of `month`: its description and its rows.
pub fn publish(
    ledger: &Ledger,
    places: &Places,
    bands: &MinMaxBands,
    country: &str,
    level: Level,
    month: MonthIndex,
    computed_at: &str,
) -> (Publication, Vec<FigureRow>) {
    let rows = figures(ledger, places, bands, country, level, month);
    let p = Publication {
        country: country.to_string(),
        month: calendar::format_month(month),
        level: level.as_str().to_string(),
        format: FORMAT,
        equitas_version: env!("CARGO_PKG_VERSION").to_string(),
        formulas_version: FORMULAS_VERSION,
        computed_at: computed_at.to_string(),
        digest: digest(&rows),
        rows: rows.len() as u64,
    };
    (p, rows)
}

/// Why a publication offered cannot be taken.
pub fn check(p: &Publication, country: &str) -> Result<(), String> {
    if p.format != FORMAT {
        return Err(format!(
            "publication format {} for {}, and this Equitas reads format {FORMAT}: upgrade the older of the two servers",
            p.format, p.month
        ));
    }
    if p.country != country {
        return Err(format!(
            "the server publishes the figures of {}, not of {country}: check the URL",
            p.country
        ));
    }
    if calendar::parse_month(&p.month).is_none() {
        return Err(format!("{:?} is not a month (YYYY-MM)", p.month));
    }
    Ok(())
}

/// What a pull does with a month offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pull {
    New,
    Republished,
    Unchanged,
}

/// For each month offered, in order: new (not held), republished (held
/// with another digest) or unchanged.
pub fn to_pull<'a>(
    offered: &'a [Publication],
    held: &BTreeMap<String, String>,
) -> Vec<(&'a Publication, Pull)> {
    offered
        .iter()
        .map(|p| {
            let what = match held.get(&p.month) {
                None => Pull::New,
                Some(d) if *d != p.digest => Pull::Republished,
                Some(_) => Pull::Unchanged,
            };
            (p, what)
        })
        .collect()
}

/// What a regional answer covers for one country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Covered {
    pub country: String,
    /// The months held, among those asked.
    pub months: Vec<String>,
    /// Months held for other countries and not for this one.
    pub missing: Vec<String>,
    /// The level it publishes at (of its latest month held).
    pub level: Option<String>,
    pub formulas_versions: Vec<u32>,
}

/// Which countries and months an answer covers: for each country of
/// `countries` (the sources and the countries held, those asked if any),
/// the months held (of `month` if given), the months held for others and
/// not for it; and notes naming every gap (a country with nothing held, a
/// month missing, a level not published, formulas' versions that differ).
pub fn coverage(
    countries: &BTreeSet<String>,
    held: &[Publication],
    month: Option<&str>,
    level: Level,
) -> (Vec<Covered>, Vec<String>) {
    let held: Vec<&Publication> = held
        .iter()
        .filter(|p| countries.contains(&p.country) && month.is_none_or(|m| p.month == m))
        .collect();
    let all_months: BTreeSet<&str> = held.iter().map(|p| p.month.as_str()).collect();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut versions: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for c in countries {
        let mine: Vec<&&Publication> = held.iter().filter(|p| p.country == *c).collect();
        let months: BTreeSet<&str> = mine.iter().map(|p| p.month.as_str()).collect();
        let missing: Vec<String> = all_months
            .difference(&months)
            .map(|m| m.to_string())
            .collect();
        let last = mine.iter().max_by(|a, b| a.month.cmp(&b.month));
        let mut fv: Vec<u32> = mine.iter().map(|p| p.formulas_version).collect();
        fv.sort_unstable();
        fv.dedup();
        for v in &fv {
            versions.entry(*v).or_default().push(c.as_str());
        }
        if mine.is_empty() {
            notes.push(match month {
                Some(m) => format!("{c}: no publication held for {m}: absent from the answer"),
                None => format!(
                    "{c}: no publication held (equitas region pull): absent from the answer"
                ),
            });
        } else if !missing.is_empty() {
            notes.push(format!(
                "{c}: no publication held for {}: absent from those months",
                missing.join(", ")
            ));
        }
        let published_at: BTreeSet<&str> = mine.iter().map(|p| p.level.as_str()).collect();
        if level != Level::Country && !mine.is_empty() && !published_at.contains(level.as_str()) {
            notes.push(format!(
                "{c} publishes at {} level, not {level}: only its country totals are held",
                published_at.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        out.push(Covered {
            country: c.clone(),
            months: months.iter().map(|m| m.to_string()).collect(),
            missing,
            level: last.map(|p| p.level.clone()),
            formulas_versions: fv,
        });
    }
    if versions.len() > 1 {
        let list: Vec<String> = versions
            .iter()
            .map(|(v, cs)| format!("version {v}: {}", cs.join(", ")))
            .collect();
        notes.push(format!(
            "the figures follow different versions of the formulas ({}): compare them with care",
            list.join("; ")
        ));
    }
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_ledger::movement::{Kind, Movement, Names};
    use equitas_ledger::view::Place;

    fn place(code: &str, level: LocationLevel, parent: Option<&str>) -> Place {
        Place {
            code: code.into(),
            name: code.to_lowercase(),
            level: Some(level),
            parent: parent.map(str::to_string),
            gln: None,
        }
    }

    /// Country XSY: a central store, districts D1 (F1, F2) and D2 (F3);
    /// another country's facility G1 in the same ledger.
    fn ledger() -> (Ledger, Places) {
        use LocationLevel::*;
        let hierarchy = vec![
            place("XSY", Country, None),
            place("CMS", Warehouse, Some("XSY")),
            place("R1", Region, Some("XSY")),
            place("D1", District, Some("R1")),
            place("D2", District, Some("R1")),
            place("F1", Facility, Some("D1")),
            place("F2", Facility, Some("D1")),
            place("F3", Facility, Some("D2")),
            place("XSZ", Country, None),
            place("G1", Facility, Some("XSZ")),
        ];
        let mut n = Names::default();
        let ids: Vec<u32> = ["CMS", "F1", "F2", "F3", "G1"]
            .iter()
            .map(|c| n.locations.id(c))
            .collect();
        let item = n.items.id("AMOX");
        let day =
            |d: &str| calendar::parse_day(d).unwrap() as i64 * calendar::MS_PER_DAY + 3_600_000;
        let mv = |at: &str, location: u32, kind, quantity| Movement {
            recorded: 0,
            at: day(at),
            location,
            item,
            lot: 0,
            kind,
            quantity,
            reason: 0,
            source: 0,
        };
        let l = Ledger::build(
            n,
            vec![
                mv("2026-01-02", ids[0], Kind::Receipt, 1000.0),
                mv("2026-01-03", ids[0], Kind::Issue, 300.0),
                mv("2026-01-04", ids[1], Kind::Receipt, 100.0),
                mv("2026-01-04", ids[2], Kind::Receipt, 100.0),
                mv("2026-01-04", ids[3], Kind::Receipt, 100.0),
                mv("2026-01-15", ids[1], Kind::Dispense, 40.0),
                mv("2026-01-20", ids[2], Kind::Dispense, 100.0),
                mv("2026-02-10", ids[1], Kind::Dispense, 10.0),
                mv("2026-02-11", ids[3], Kind::Count, 90.0),
                mv("2026-02-12", ids[4], Kind::Receipt, 5.0),
                mv("2026-03-31", ids[3], Kind::Dispense, 1.0),
            ],
        );
        let places = Places::new(hierarchy, &l);
        (l, places)
    }

    #[test]
    fn publishable_months_end_at_the_last_complete_one() {
        let (l, _) = ledger();
        let m: Vec<String> = months(&l).into_iter().map(calendar::format_month).collect();
        assert_eq!(m, ["2026-01", "2026-02", "2026-03"]);
    }

    /// Districts add up to the country's row; each row balances; closing
    /// is the stock on hand `equitas stock` shows; another country's
    /// location is in none of the rows.
    #[test]
    fn district_rows_add_up_to_the_country_and_balance() {
        let (l, places) = ledger();
        let b = MinMaxBands::default();
        let feb = calendar::parse_month("2026-02").unwrap();
        let rows = figures(&l, &places, &b, "XSY", Level::District, feb);
        let at: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.level.as_str(), r.location.as_str()))
            .collect();
        assert_eq!(
            at,
            [("district", "D1"), ("district", "D2"), ("country", "XSY")]
        );
        for r in &rows {
            let balance = r.opening + r.received - r.issued - r.dispensed + r.adjusted;
            assert!((balance - r.closing).abs() < 1e-9, "{r:?}");
            assert_eq!(r.stockout_days, None);
        }
        // D1: F1 90 - 10 = 80, F2 0; D2: F3 counted at 90 (-10).
        assert_eq!((rows[0].opening, rows[0].closing), (60.0, 50.0));
        assert_eq!((rows[1].adjusted, rows[1].closing), (-10.0, 90.0));
        // The country: the store's 700 too, not G1's 5.
        assert_eq!(rows[2].closing, 700.0 + 50.0 + 90.0);
        let d_sum: f64 = rows[..2].iter().map(|r| r.closing).sum();
        assert_eq!(d_sum + 700.0, rows[2].closing);
        // Availability: F1 and F3 in stock, F2 out.
        assert_eq!((rows[0].facilities, rows[0].in_stock), (2, 1));
        assert_eq!((rows[2].facilities, rows[2].in_stock), (3, 2));
        assert_eq!(rows[2].availability, Some(2.0 / 3.0));
        // The same as the stock view at the month's end.
        let q = StockQuery {
            as_of: Some(calendar::month_end(feb)),
            level: Some(LocationLevel::District),
            ..StockQuery::default()
        };
        let s = view::stock(&l, &places, &b, &q);
        for (r, v) in rows.iter().zip(&s) {
            assert_eq!(
                (r.closing, r.amc, r.months_of_stock),
                (v.stock_on_hand, v.amc, v.months_of_stock)
            );
        }
    }

    /// At facility level every location has its row, with its stockout
    /// days; the country's totals follow.
    #[test]
    fn facility_rows_carry_stockout_days() {
        let (l, places) = ledger();
        let jan = calendar::parse_month("2026-01").unwrap();
        let rows = figures(
            &l,
            &places,
            &MinMaxBands::default(),
            "XSY",
            Level::Facility,
            jan,
        );
        let f2 = rows.iter().find(|r| r.location == "F2").unwrap();
        // Out from 20 January to the 31st.
        assert_eq!(f2.stockout_days, Some(12));
        assert_eq!(
            (f2.facilities, f2.in_stock, f2.availability),
            (1, 0, Some(0.0))
        );
        let cms = rows.iter().find(|r| r.location == "CMS").unwrap();
        assert_eq!(
            (cms.issued, cms.facilities, cms.availability),
            (300.0, 0, None)
        );
        assert!(rows.iter().all(|r| r.location != "G1"));
        assert_eq!(rows.last().unwrap().level, "country");
        let g = figures(
            &l,
            &places,
            &MinMaxBands::default(),
            "XSZ",
            Level::Country,
            jan,
        );
        assert!(g.is_empty(), "G1 begins in February: {g:?}");
    }

    #[test]
    fn a_changed_figure_changes_the_digest_and_is_pulled_again() {
        let (l, places) = ledger();
        let b = MinMaxBands::default();
        let feb = calendar::parse_month("2026-02").unwrap();
        let (p, mut rows) = publish(
            &l,
            &places,
            &b,
            "XSY",
            Level::Region,
            feb,
            "2026-03-01T00:00:00Z",
        );
        assert_eq!(p.digest, digest(&rows));
        assert_eq!((p.rows, p.format, p.level.as_str()), (2, FORMAT, "region"));
        rows[0].closing += 1.0;
        assert_ne!(p.digest, digest(&rows));
        let mut other = p.clone();
        other.month = "2026-03".into();
        let held = BTreeMap::from([("2026-02".to_string(), "old".to_string())]);
        let offered = [p.clone(), other];
        let what: Vec<Pull> = to_pull(&offered, &held).into_iter().map(|x| x.1).collect();
        assert_eq!(what, [Pull::Republished, Pull::New]);
        let held = BTreeMap::from([("2026-02".to_string(), p.digest.clone())]);
        assert_eq!(to_pull(&offered[..1], &held)[0].1, Pull::Unchanged);
        assert!(check(&p, "XSY").is_ok());
        assert!(check(&p, "XSZ").unwrap_err().contains("not of XSZ"));
        let mut future = p.clone();
        future.format = FORMAT + 1;
        assert!(check(&future, "XSY").unwrap_err().contains("format 2"));
    }

    #[test]
    fn coverage_names_what_is_absent() {
        let pubn = |c: &str, m: &str, level: &str, v: u32| Publication {
            country: c.into(),
            month: m.into(),
            level: level.into(),
            format: FORMAT,
            equitas_version: "0".into(),
            formulas_version: v,
            computed_at: String::new(),
            digest: String::new(),
            rows: 1,
        };
        let held = [
            pubn("XSY", "2026-01", "district", 1),
            pubn("XSY", "2026-02", "district", 1),
            pubn("XSZ", "2026-01", "country", 2),
        ];
        let countries: BTreeSet<String> = ["XSY", "XSZ", "XSW"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (c, notes) = coverage(&countries, &held, None, Level::District);
        assert_eq!(c.len(), 3);
        let xsz = c.iter().find(|x| x.country == "XSZ").unwrap();
        assert_eq!(
            (xsz.months.clone(), xsz.missing.clone()),
            (vec!["2026-01".to_string()], vec!["2026-02".to_string()])
        );
        let text = notes.join("\n");
        assert!(text.contains("XSW: no publication held"), "{text}");
        assert!(
            text.contains("XSZ: no publication held for 2026-02"),
            "{text}"
        );
        assert!(text.contains("XSZ publishes at country level"), "{text}");
        assert!(text.contains("different versions"), "{text}");
        let (c, notes) = coverage(&countries, &held, Some("2026-02"), Level::Country);
        assert_eq!(c.iter().filter(|x| !x.months.is_empty()).count(), 1);
        assert!(
            notes
                .iter()
                .any(|n| n == "XSZ: no publication held for 2026-02: absent from the answer"),
            "{notes:?}"
        );
    }
}
