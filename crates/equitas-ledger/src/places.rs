//! The location hierarchy attached to a ledger's locations, and the tier
//! of the supply chain each location belongs to (formulas 3.7).

use crate::ledger::Ledger;
use equitas_model::LocationLevel;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// A location of the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub code: String,
    pub name: String,
    /// `None` for a location the hierarchy does not hold (an unknown GLN).
    pub level: Option<LocationLevel>,
    pub parent: Option<String>,
    pub gln: Option<String>,
}

/// Which band of months of stock applies (formulas 3.7).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// A warehouse hanging from the country: the central medical store.
    Central,
    /// Any other warehouse (regional or district store).
    Store,
    Facility,
    /// A region, district or country: the sum of the locations in it.
    Area,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::Central, Tier::Store, Tier::Facility, Tier::Area];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Central => "central",
            Tier::Store => "store",
            Tier::Facility => "facility",
            Tier::Area => "area",
        }
    }

    pub fn from_name(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
}

/// The hierarchy, attached to a ledger's location ids.
#[derive(Debug, Clone)]
pub struct Places {
    pub list: Vec<Place>,
    index: FxHashMap<String, usize>,
    by_gln: FxHashMap<String, usize>,
    /// Place index of each ledger location id.
    of_location: Vec<Option<usize>>,
    /// The places of the hierarchy come first; those after, added for
    /// ledger locations it does not hold, are unknown.
    known: usize,
}

impl Places {
    /// `places`: the hierarchy; ledger locations not in it (by code, or by
    /// GLN for Digital Links) are added as places without a level.
    pub fn new(mut places: Vec<Place>, ledger: &Ledger) -> Places {
        let known = places.len();
        let mut index: FxHashMap<String, usize> = FxHashMap::default();
        for (i, p) in places.iter().enumerate() {
            index.insert(p.code.clone(), i);
        }
        let by_gln: FxHashMap<String, usize> = places
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.gln.clone().map(|g| (g, i)))
            .collect();
        let mut of_location = Vec::new();
        for id in 0..ledger.names.locations.len() as u32 {
            let name = ledger.names.locations.name(id);
            let found = index.get(name).copied().or_else(|| {
                name.strip_prefix("https://id.gs1.org/414/")
                    .and_then(|r| r.split('/').next())
                    .and_then(|g| by_gln.get(g).copied())
            });
            let i = found.unwrap_or_else(|| {
                places.push(Place {
                    code: name.to_string(),
                    name: name.to_string(),
                    level: None,
                    parent: None,
                    gln: None,
                });
                index.insert(name.to_string(), places.len() - 1);
                places.len() - 1
            });
            of_location.push(Some(i));
        }
        Places {
            list: places,
            index,
            by_gln,
            of_location,
            known,
        }
    }

    /// True if ledger location `location` is one the hierarchy does not
    /// hold: its place lies in no area.
    pub fn is_unknown(&self, location: u32) -> bool {
        self.place_of(location).is_some_and(|p| p >= self.known)
    }

    /// The index in `list` of the place `code`.
    pub fn index_of(&self, code: &str) -> Option<&usize> {
        self.index.get(code)
    }

    pub fn get(&self, code: &str) -> Option<&Place> {
        self.index.get(code).map(|&i| &self.list[i])
    }

    /// The place a location name stands for: its code, or a GLN Digital Link.
    pub fn resolve(&self, name: &str) -> Option<&Place> {
        self.index
            .get(name)
            .or_else(|| {
                name.strip_prefix("https://id.gs1.org/414/")
                    .and_then(|r| r.split('/').next())
                    .and_then(|g| self.by_gln.get(g))
            })
            // A GLN as written in a file (13 digits).
            .or_else(|| self.by_gln.get(name))
            .map(|&i| &self.list[i])
    }

    /// True if the place `code` is `area` or lies below it.
    pub fn is_within(&self, code: &str, area: &str) -> bool {
        match (self.index.get(code), self.index.get(area)) {
            (Some(&c), Some(&a)) => self.lineage(c).contains(&a),
            _ => false,
        }
    }

    /// The place index of a ledger location id.
    pub fn place_of(&self, location: u32) -> Option<usize> {
        self.of_location.get(location as usize).copied().flatten()
    }

    /// The place and its ancestors, nearest first.
    pub fn lineage(&self, mut i: usize) -> Vec<usize> {
        let mut out = vec![i];
        while let Some(p) = self.list[i]
            .parent
            .as_deref()
            .and_then(|c| self.index.get(c))
        {
            if out.contains(p) {
                break;
            }
            i = *p;
            out.push(i);
        }
        out
    }

    /// The tier of a place by code, whose stock band applies to it
    /// (formulas 3.7); an unknown code is a facility's.
    pub fn tier_of(&self, code: &str) -> Tier {
        self.index
            .get(code)
            .map_or(Tier::Facility, |&i| self.tier(i))
    }

    /// The tier of the place at index `i` of [`Places::list`].
    pub fn tier(&self, i: usize) -> Tier {
        let p = &self.list[i];
        match p.level {
            Some(LocationLevel::Facility) | None => Tier::Facility,
            Some(LocationLevel::Warehouse) => {
                let parent_level = p
                    .parent
                    .as_deref()
                    .and_then(|c| self.get(c))
                    .and_then(|x| x.level);
                if matches!(parent_level, Some(LocationLevel::Country) | None) {
                    Tier::Central
                } else {
                    Tier::Store
                }
            }
            Some(_) => Tier::Area,
        }
    }
}
