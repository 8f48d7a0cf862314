//! Stock movements: the one shape every source (EPCIS events, monthly stock
//! reports) is turned into before it reaches the ledger.

use crate::catalogue::ItemCatalogue;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// The most units one movement may move (docs/formulas.md 3.10): a billion
/// units of one item, in packs or in doses, is beyond any national order
/// or count. A larger quantity is a data error; so many movements of this
/// size keep every sum finite (below 1.8e28 for 2^64 movements).
pub const MAX_QUANTITY: f64 = equitas_epcis::event::MAX_QUANTITY;

/// What a movement does to the balance of its lot at its location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Stock received (from a supplier, another location, or made here): `+quantity`.
    Receipt,
    /// Stock sent to another location: `-quantity`.
    Issue,
    /// Stock given to patients or users: `-quantity`.
    Dispense,
    /// A loss or gain with a reason (expired, damaged, lost, found...):
    /// `+quantity`, the quantity being signed.
    Adjust,
    /// A physical count: the balance becomes `quantity`; the difference is
    /// recorded as an adjustment.
    Count,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Receipt,
        Kind::Issue,
        Kind::Dispense,
        Kind::Adjust,
        Kind::Count,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receipt => "receipt",
            Kind::Issue => "issue",
            Kind::Dispense => "dispense",
            Kind::Adjust => "adjust",
            Kind::Count => "count",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// True if `quantity` may be that of a movement of this kind: a finite
    /// number of at most [`MAX_QUANTITY`] units, not negative unless an
    /// adjustment. The ledger keeps other movements out of its balances
    /// and figures and flags them ([`crate::ledger::ProblemKind::ImplausibleQuantity`]).
    pub fn plausible(self, quantity: f64) -> bool {
        quantity.is_finite()
            && quantity.abs() <= MAX_QUANTITY
            && (quantity >= 0.0 || self == Kind::Adjust)
    }

    /// The balance after this movement, from the balance before it.
    pub fn apply(self, balance: f64, quantity: f64) -> f64 {
        match self {
            Kind::Receipt => balance + quantity,
            Kind::Issue | Kind::Dispense => balance - quantity,
            Kind::Adjust => balance + quantity,
            Kind::Count => quantity,
        }
    }
}

/// Where a movement comes from: a stored EPCIS event or a stock report row
/// (their row ids in the store).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Source {
    Event(u64),
    Report(u64),
}

impl Source {
    const REPORT: u64 = 1 << 63;

    /// One integer, for compact storage in the ledger.
    pub fn pack(self) -> u64 {
        match self {
            Source::Event(id) => id & !Self::REPORT,
            Source::Report(id) => id | Self::REPORT,
        }
    }

    pub fn unpack(v: u64) -> Source {
        if v & Self::REPORT != 0 {
            Source::Report(v & !Self::REPORT)
        } else {
            Source::Event(v)
        }
    }
}

/// One movement of one lot of one item at one location. Names are interned
/// in [`Names`]: `location`, `item`, `lot` and `reason` are their ids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Movement {
    /// Local wall-clock time at the location, milliseconds since 1970-01-01.
    pub at: i64,
    pub location: u32,
    pub item: u32,
    /// Lot id; the empty lot name (id 0) stands for "lot not known".
    pub lot: u32,
    pub kind: Kind,
    /// Positive, except for `Adjust` (signed) and `Count` (the counted balance).
    pub quantity: f64,
    /// Adjustment reason id (0: none).
    pub reason: u32,
    /// [`Source::pack`]ed.
    pub source: u64,
    /// The item code as the source recorded it (a GTIN, or a product code)
    /// in [`Names::recorded`]: `item` is the product it counts toward
    /// ([`crate::catalogue`]). 0: not stated (the item itself).
    pub recorded: u32,
}

/// Interned names: each distinct string gets a small id, in order of first use.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    index: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// An interner whose id 0 is the empty string.
    pub fn with_empty() -> Interner {
        let mut i = Interner::default();
        i.id("");
        i
    }

    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), id);
        id
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |s| s)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The names a ledger's ids stand for.
#[derive(Debug, Clone)]
pub struct Names {
    /// Location codes (or GLN Digital Links of locations not in the hierarchy).
    pub locations: Interner,
    /// The items stock is kept of: product codes, or the codes as recorded
    /// (GTIN-14s) of trade items not added up into a product.
    pub items: Interner,
    /// Lot numbers; id 0 is "" (lot not known).
    pub lots: Interner,
    /// Adjustment reasons; id 0 is "" (none).
    pub reasons: Interner,
    /// Item codes as the sources recorded them (GTIN-14s, product codes);
    /// id 0 is "" (not stated).
    pub recorded: Interner,
    /// Which product each recorded code counts toward, and the names.
    pub catalogue: ItemCatalogue,
    /// GLN -> location code, of the hierarchy's locations: a GLN Digital
    /// Link (an EPCIS location) is kept under the code of its location, so
    /// that a location is one ledger location whichever way it is named.
    pub glns: FxHashMap<String, String>,
}

impl Names {
    /// Names resolving item codes through `catalogue`.
    pub fn with_catalogue(catalogue: ItemCatalogue) -> Names {
        Names {
            catalogue,
            ..Names::default()
        }
    }

    /// The id of a location named by its code or by a GLN Digital Link
    /// (the code of the hierarchy's location with that GLN, if any).
    pub fn location(&mut self, name: &str) -> u32 {
        let code = name
            .strip_prefix("https://id.gs1.org/414/")
            .and_then(|r| r.split('/').next())
            .and_then(|g| self.glns.get(g));
        self.locations.id(code.map_or(name, String::as_str))
    }

    /// An item code as recorded: (the id of the item it counts as, the
    /// id of the code as recorded, the item's units in one recorded unit).
    pub fn item(&mut self, code: &str) -> (u32, u32, f64) {
        let (item, factor) = self.catalogue.resolve(code);
        (self.items.id(item), self.recorded.id(code), factor)
    }

    /// The item a code (as recorded, or a product code) counts as, if held;
    /// a GTIN in another of its forms (8, 12 or 13 digits: a spreadsheet
    /// drops the leading zero) is its 14-digit form (formulas 3.1).
    pub fn item_id(&self, code: &str) -> Option<u32> {
        self.item_id_as_written(code).or_else(|| {
            let g = equitas_gs1::Gtin::parse(code).ok()?;
            let long = g.as_gtin14();
            (long != code)
                .then(|| self.item_id_as_written(long))
                .flatten()
        })
    }

    /// [`Names::item_id`] of `code` as written: no other form of a GTIN.
    pub fn item_id_as_written(&self, code: &str) -> Option<u32> {
        self.items.get(self.catalogue.resolve(code).0)
    }

    /// The product name of an item, where the catalogue knows it.
    pub fn item_name(&self, item: u32) -> Option<&str> {
        self.catalogue.name(self.items.name(item))
    }

    /// The code recorded under `recorded` for `item` (the item's own code
    /// when not stated).
    pub fn recorded_code(&self, recorded: u32, item: u32) -> &str {
        if recorded == 0 {
            self.items.name(item)
        } else {
            self.recorded.name(recorded)
        }
    }
}

impl Default for Names {
    fn default() -> Names {
        Names {
            locations: Interner::default(),
            items: Interner::default(),
            lots: Interner::with_empty(),
            reasons: Interner::with_empty(),
            recorded: Interner::with_empty(),
            catalogue: ItemCatalogue::default(),
            glns: FxHashMap::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code as recorded fits in the padding: a movement is still 48
    /// bytes (the ledger holds millions).
    #[test]
    fn a_movement_stays_small() {
        assert_eq!(std::mem::size_of::<Movement>(), 48);
    }

    #[test]
    fn sources_pack_and_unpack() {
        for s in [Source::Event(0), Source::Event(42), Source::Report(7)] {
            assert_eq!(Source::unpack(s.pack()), s);
        }
    }

    #[test]
    fn interner_ids_are_stable() {
        let mut i = Interner::with_empty();
        assert_eq!(i.id("a"), 1);
        assert_eq!(i.id(""), 0);
        assert_eq!(i.id("a"), 1);
        assert_eq!(i.name(1), "a");
        assert_eq!(i.get("b"), None);
    }
}
