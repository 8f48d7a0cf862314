//! Which product each recorded item counts toward, and in what unit
//! (docs/formulas.md 3.1, "Products and trade items").
//!
//! Sources name an item by a trade item's GTIN (EPCIS events, some stock
//! reports) or by a product code (stock reports). The ledger adds trade
//! items up per product, in one unit per product:
//!
//! - every trade item of the product has a pack size (comparison units,
//!   such as tablets or tests, in one pack): the product is counted in
//!   comparison units, a pack of a trade item being `pack_size` of them;
//! - else, if the product has exactly one trade item: the product is
//!   counted in packs of it (a pack is 1);
//! - else (several trade items, a pack size missing): their packs cannot
//!   be added, so each trade item stays an item of its own.
//!
//! A quantity recorded under the product code is in the product's unit.

use rustc_hash::FxHashMap;

/// A trade item as the catalogue describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeItemUnit {
    /// The trade item's code (its GTIN-14 where it has one).
    pub code: String,
    pub gtin: Option<String>,
    /// The product's code.
    pub product: String,
    /// Comparison units in one pack.
    pub pack_size: Option<f64>,
}

/// Item codes (GTINs, trade item codes, product codes) to the product they
/// count toward, with the product names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemCatalogue {
    /// Recorded code -> (product code, product units in one recorded unit).
    to_product: FxHashMap<String, (String, f64)>,
    /// Any known code (product or trade item) -> the product's name.
    names: FxHashMap<String, String>,
}

impl ItemCatalogue {
    /// `products`: (code, name); `trade_items`: their presentations.
    /// Trade items of products not listed are left as they are.
    pub fn new(
        products: impl IntoIterator<Item = (String, String)>,
        trade_items: &[TradeItemUnit],
    ) -> ItemCatalogue {
        let mut names: FxHashMap<String, String> = products.into_iter().collect();
        let mut by_product: FxHashMap<&str, Vec<&TradeItemUnit>> = FxHashMap::default();
        for t in trade_items {
            if names.contains_key(&t.product) {
                by_product.entry(&t.product).or_default().push(t);
            }
        }
        let mut to_product = FxHashMap::default();
        for (product, items) in by_product {
            let name = names[product].clone();
            let all_sized = items.iter().all(|t| t.pack_size.is_some());
            for t in &items {
                let codes = std::iter::once(&t.code).chain(t.gtin.as_ref());
                let factor = if all_sized {
                    t.pack_size
                } else if items.len() == 1 {
                    Some(1.0)
                } else {
                    None
                };
                for code in codes {
                    names.entry(code.clone()).or_insert_with(|| name.clone());
                    if let Some(f) = factor
                        && code != product
                    {
                        to_product.insert(code.clone(), (product.to_string(), f));
                    }
                }
            }
        }
        ItemCatalogue { to_product, names }
    }

    /// The item a recorded code counts as, and how many of its units one
    /// recorded unit is: the product and the pack size (or 1) for a trade
    /// item added up into its product, else the code itself and 1.
    pub fn resolve<'a>(&'a self, code: &'a str) -> (&'a str, f64) {
        match self.to_product.get(code) {
            Some((p, f)) => (p, *f),
            None => (code, 1.0),
        }
    }

    /// Whether the catalogue lists no product at all (a ledger built
    /// without one: every item is then unknown, and none is flagged).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The product name of a product or trade item code.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ti(code: &str, product: &str, pack_size: Option<f64>) -> TradeItemUnit {
        TradeItemUnit {
            code: code.into(),
            gtin: code.starts_with('0').then(|| code.to_string()),
            product: product.into(),
            pack_size,
        }
    }

    /// docs/formulas.md 3.1: recorded quantities added up per item kept.
    #[test]
    fn trade_items_vectors() {
        for v in equitas_doc_vectors::vectors("trade_items") {
            let items: Vec<TradeItemUnit> = v["trade_items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| TradeItemUnit {
                    code: t[0].as_str().unwrap().into(),
                    gtin: Some(t[0].as_str().unwrap().into()),
                    product: t[1].as_str().unwrap().into(),
                    pack_size: t[2].as_f64(),
                })
                .collect();
            let products = items.iter().map(|t| (t.product.clone(), String::new()));
            let c = ItemCatalogue::new(products.collect::<Vec<_>>(), &items);
            let mut totals: std::collections::BTreeMap<String, f64> = Default::default();
            for r in v["recorded"].as_array().unwrap() {
                let (item, units) = c.resolve(r[0].as_str().unwrap());
                *totals.entry(item.to_string()).or_default() += r[1].as_f64().unwrap() * units;
            }
            let want: Vec<(String, f64)> = v["totals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (t[0].as_str().unwrap().to_string(), t[1].as_f64().unwrap()))
                .collect();
            assert_eq!(totals.into_iter().collect::<Vec<_>>(), want, "{v}");
        }
    }

    #[test]
    fn trade_items_count_toward_their_product_in_one_unit() {
        let c = ItemCatalogue::new(
            [
                ("TLD".to_string(), "TLD tablet".to_string()),
                ("AMOX".to_string(), "Amoxicillin".to_string()),
                ("ORS".to_string(), "ORS sachet".to_string()),
            ],
            &[
                // One trade item, no pack size: packs of it.
                ti("09520000000011", "TLD", None),
                // Two trade items with pack sizes: tablets.
                ti("09520000000028", "AMOX", Some(100.0)),
                ti("09520000000035", "AMOX", Some(1000.0)),
                // Two, one pack size missing: left apart.
                ti("09520000000042", "ORS", Some(10.0)),
                ti("09520000000059", "ORS", None),
                // A product not in the catalogue: left apart.
                ti("09520000000066", "NONE", Some(5.0)),
            ],
        );
        assert_eq!(c.resolve("09520000000011"), ("TLD", 1.0));
        assert_eq!(c.resolve("TLD"), ("TLD", 1.0));
        assert_eq!(c.resolve("09520000000028"), ("AMOX", 100.0));
        assert_eq!(c.resolve("09520000000035"), ("AMOX", 1000.0));
        assert_eq!(c.resolve("09520000000042"), ("09520000000042", 1.0));
        assert_eq!(c.resolve("09520000000066"), ("09520000000066", 1.0));
        assert_eq!(c.resolve("OTHER"), ("OTHER", 1.0));
        assert_eq!(c.name("09520000000059"), Some("ORS sachet"));
        assert_eq!(c.name("TLD"), Some("TLD tablet"));
        assert_eq!(c.name("09520000000066"), None);
    }
}
