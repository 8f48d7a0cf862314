//! Countries and the location hierarchy:
//! country > region > district > facility or warehouse.

use equitas_gs1::Gln;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A country with the groupings analysts slice by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-3, the key.
    pub iso3: String,
    pub iso2: String,
    pub numeric: Option<u16>,
    /// The official English name of the country list (matched on import).
    pub name_en: String,
    /// The official French name, shown in French.
    pub name_fr: Option<String>,
    /// Short English name in common use (CLDR display name, e.g. "Vietnam"):
    /// a name sources write, matched on import; shown where UNTERM has none.
    pub name_short: Option<String>,
    /// The UN terminology database's English short name, its article
    /// dropped ("United Republic of Tanzania"): the English name shown.
    #[serde(default)]
    pub name_un: Option<String>,
    /// UN M49 region (e.g. Africa) and sub-region (e.g. Western Africa).
    pub m49_region: Option<String>,
    pub m49_subregion: Option<String>,
    /// ISO 4217 alphabetic code.
    pub currency: Option<String>,
    pub least_developed: bool,
    pub landlocked_developing: bool,
    pub small_island_developing: bool,
    /// WHO region (AFRO, AMRO, EMRO, EURO, SEARO, WPRO).
    pub who_region: Option<String>,
    /// World Bank region and income group.
    pub wb_region: Option<String>,
    pub income_group: Option<String>,
}

/// The level of a location in the national hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationLevel {
    Country,
    Region,
    District,
    Facility,
    Warehouse,
}

impl LocationLevel {
    /// Every level, from the top.
    pub const ALL: [LocationLevel; 5] = [
        LocationLevel::Country,
        LocationLevel::Region,
        LocationLevel::District,
        LocationLevel::Facility,
        LocationLevel::Warehouse,
    ];

    /// A country, region or district: an area, whose stock is the sum of
    /// the facilities' and stores' within it.
    pub fn is_area(self) -> bool {
        matches!(
            self,
            LocationLevel::Country | LocationLevel::Region | LocationLevel::District
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LocationLevel::Country => "country",
            LocationLevel::Region => "region",
            LocationLevel::District => "district",
            LocationLevel::Facility => "facility",
            LocationLevel::Warehouse => "warehouse",
        }
    }

    /// The levels a parent of this level may have. A warehouse (central or
    /// regional medical store) may hang from any administrative level.
    pub fn allowed_parents(self) -> &'static [LocationLevel] {
        use LocationLevel::*;
        match self {
            Country => &[],
            Region => &[Country],
            District => &[Region, Country],
            Facility => &[District, Region, Country],
            Warehouse => &[Country, Region, District],
        }
    }
}

impl fmt::Display for LocationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LocationLevel {
    type Err = String;
    /// In English or French, any case, accents, spaces and punctuation
    /// aside (`Région`, `formation sanitaire`, `district sanitaire`,
    /// `dépôt`); a level spelt close is suggested.
    fn from_str(s: &str) -> Result<Self, String> {
        const NAMES: [(&str, LocationLevel); 27] = [
            ("country", LocationLevel::Country),
            ("pays", LocationLevel::Country),
            ("region", LocationLevel::Region),
            ("province", LocationLevel::Region),
            ("region sanitaire", LocationLevel::Region),
            ("district", LocationLevel::District),
            ("district sanitaire", LocationLevel::District),
            ("zone sanitaire", LocationLevel::District),
            ("facility", LocationLevel::Facility),
            ("health facility", LocationLevel::Facility),
            ("formation sanitaire", LocationLevel::Facility),
            ("etablissement de sante", LocationLevel::Facility),
            ("centre de sante", LocationLevel::Facility),
            ("poste de sante", LocationLevel::Facility),
            ("hopital", LocationLevel::Facility),
            // The English of the French kinds above (a user pass,
            // 2026-12-07: `hospital` was refused, `hopital` read).
            ("hospital", LocationLevel::Facility),
            ("health centre", LocationLevel::Facility),
            ("health center", LocationLevel::Facility),
            ("health post", LocationLevel::Facility),
            ("clinic", LocationLevel::Facility),
            ("warehouse", LocationLevel::Warehouse),
            ("store", LocationLevel::Warehouse),
            ("medical store", LocationLevel::Warehouse),
            ("entrepot", LocationLevel::Warehouse),
            ("depot", LocationLevel::Warehouse),
            ("magasin", LocationLevel::Warehouse),
            ("pharmacie regionale", LocationLevel::Warehouse),
        ];
        let key = crate::suggest::name_key(s);
        if let Some((_, l)) = NAMES
            .iter()
            .find(|(n, _)| crate::suggest::name_key(n) == key)
        {
            return Ok(*l);
        }
        let expected = "expected country, region (province), district, facility (health facility, hospital, health centre, health post, clinic) or warehouse (store, medical store, depot); in French: pays, région, district (sanitaire), formation sanitaire (hôpital, centre de santé, poste de santé), entrepôt (dépôt, magasin)";
        Err(
            match crate::suggest::did_you_mean(s, NAMES.iter().map(|(n, _)| (*n, *n))) {
                Some(n) => format!("unknown location level {s:?}; did you mean {n:?}? {expected}"),
                None => format!("unknown location level {s:?}; {expected}"),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Levels as officers write them, in English or French (a user pass,
    /// 2026-12-07: `région` was refused).
    #[test]
    fn levels_in_english_or_french() {
        for (s, l) in [
            ("Region", LocationLevel::Region),
            ("région", LocationLevel::Region),
            ("Formation sanitaire", LocationLevel::Facility),
            ("health_facility", LocationLevel::Facility),
            ("District sanitaire", LocationLevel::District),
            ("Entrepôt", LocationLevel::Warehouse),
            ("dépôt", LocationLevel::Warehouse),
            ("PAYS", LocationLevel::Country),
            ("Hospital", LocationLevel::Facility),
            ("hôpital", LocationLevel::Facility),
            ("Health Centre", LocationLevel::Facility),
        ] {
            assert_eq!(s.parse::<LocationLevel>(), Ok(l), "{s}");
        }
        let e = "facilty".parse::<LocationLevel>().unwrap_err();
        assert!(e.contains("did you mean \"facility\"?"), "{e}");
        let e = "xyz".parse::<LocationLevel>().unwrap_err();
        assert!(
            e.starts_with("unknown location level \"xyz\"; expected"),
            "{e}"
        );
    }
}

/// A place in the hierarchy. Countries are locations too, keyed by ISO3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub code: String,
    pub name: String,
    pub level: LocationLevel,
    /// Code of the parent location; `None` only for countries.
    pub parent: Option<String>,
    /// ISO 3166-1 alpha-3 of the country it belongs to.
    pub country: String,
    pub gln: Option<Gln>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}
