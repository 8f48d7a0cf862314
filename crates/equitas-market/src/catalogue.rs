//! Builds the catalogue (products, trade items, organisations, sites) that
//! procurement sources describe line by line, shared by every importer.

use equitas_model::reference::SiteMapping;
use equitas_model::{
    ManufacturingSite, OrgRole, Organisation, Product, ProductCategory, Programme, TradeItem, slug,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a source line says about its product.
pub struct ProductSpec<'a> {
    /// Active ingredients separated by `/` (or a test's name).
    pub molecule: &'a str,
    pub strength: Option<&'a str>,
    pub dosage_form: Option<&'a str>,
    pub category: ProductCategory,
    pub programme: Option<Programme>,
}

/// Where a line's product was made.
pub enum SiteSpec<'a> {
    /// A site name looked up in a reviewed mapping.
    Mapped(&'a str, &'a HashMap<String, SiteMapping>),
    /// A site whose manufacturer and country the source gives.
    Given {
        name: &'a str,
        manufacturer: Option<&'a str>,
        country: Option<&'a str>,
    },
}

#[derive(Default)]
pub struct CatalogueBuilder {
    products: BTreeMap<String, Product>,
    items: BTreeMap<String, TradeItem>,
    orgs: BTreeMap<String, Organisation>,
    sites: BTreeMap<String, ManufacturingSite>,
    /// Site names absent from the mapping.
    pub unmapped_sites: BTreeSet<String>,
}

/// The dosage form without packaging qualifiers: `Tablet - FDC + blister` -> `tablet`.
pub fn base_form(form: &str) -> String {
    form.split(" - ")
        .next()
        .unwrap_or(form)
        .trim()
        .to_lowercase()
}

/// A count noun in the singular, lower case: `Tablets` -> `tablet`.
pub fn singular(word: &str) -> String {
    let w = word.trim().to_lowercase();
    match w.strip_suffix('s') {
        Some(stem) if !stem.is_empty() && !stem.ends_with('s') => stem.to_string(),
        _ => w,
    }
}

/// The unit a product's comparison units count, from its dosage form
/// (docs/formulas.md 2.6): tablets of any kind count `tablet`, capsules
/// `capsule`, oral solutions, suspensions and syrups `ml`, test kits `test`
/// (as the MSH guide's `TAB-CAP`, `ML` and `TEST`); another form counts
/// itself, singular (`injection`).
pub fn comparison_unit(dosage_form: &str) -> String {
    let form = singular(&base_form(dosage_form));
    let has = |w: &str| form.split([' ', '/', '-']).any(|x| singular(x) == w);
    if has("tablet") {
        "tablet".into()
    } else if has("capsule") {
        "capsule".into()
    } else if form == "test kit" || has("test") {
        "test".into()
    } else if !has("powder") && (has("solution") || has("suspension") || has("syrup")) {
        "ml".into()
    } else {
        form
    }
}

/// The code of a site a source line gives by name (its site, else its
/// manufacturer) and, where it states one, its country of manufacture:
/// `Bar Pharma` made in `CHN` is `bar-pharma-chn`, in `IND`
/// `bar-pharma-ind`, of no stated country `bar-pharma`.
pub fn given_site_code(name: &str, country: Option<&str>) -> String {
    match country {
        Some(k) => slug(&format!("{name} {k}")),
        None => slug(name),
    }
}

/// The finished catalogue.
pub struct Catalogue {
    pub products: Vec<Product>,
    pub trade_items: Vec<TradeItem>,
    pub organisations: Vec<Organisation>,
    pub sites: Vec<ManufacturingSite>,
}

impl CatalogueBuilder {
    /// The product's code (`efavirenz-600mg-tablet`), adding it if new.
    pub fn product(&mut self, p: &ProductSpec) -> String {
        let form = p.dosage_form.map(base_form);
        let name = [Some(p.molecule), p.strength, form.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let code = slug(&name);
        self.products
            .entry(code.clone())
            .or_insert_with(|| Product {
                code: code.clone(),
                name: name.clone(),
                inns: if p.category == ProductCategory::Medicine {
                    p.molecule
                        .split('/')
                        .map(|s| s.trim().to_string())
                        .collect()
                } else {
                    Vec::new()
                },
                strength: p.strength.map(str::to_string),
                dosage_form: form.clone(),
                category: p.category,
                programme: p.programme,
                atc: None,
                essential: None,
            });
        code
    }

    /// The trade item's code (from its description), adding it if new.
    pub fn trade_item(
        &mut self,
        description: &str,
        product: &str,
        pack_size: Option<f64>,
        brand: Option<&str>,
    ) -> String {
        let code = slug(description);
        self.items.entry(code.clone()).or_insert_with(|| TradeItem {
            code: code.clone(),
            gtin: None,
            product: product.to_string(),
            description: description.to_string(),
            pack_size,
            brand: brand.map(str::to_string),
            manufacturer: None,
        });
        code
    }

    /// An organisation's code, adding the organisation or the role.
    pub fn organisation(&mut self, name: &str, role: OrgRole, country: Option<&str>) -> String {
        let code = slug(name);
        let o = self
            .orgs
            .entry(code.clone())
            .or_insert_with(|| Organisation {
                code: code.clone(),
                name: name.to_string(),
                roles: Vec::new(),
                country: None,
            });
        if !o.roles.contains(&role) {
            o.roles.push(role);
            o.roles.sort();
        }
        if o.country.is_none() {
            o.country = country.map(str::to_string);
        }
        code
    }

    /// The site's code, adding it (and its manufacturer) if new.
    ///
    /// A site the source gives with its country is keyed by its name and
    /// that country ([`given_site_code`]): a manufacturer whose lines state
    /// two countries of manufacture has two sites, and each line keeps the
    /// country it states (docs/formulas.md 6.1), never an earlier line's.
    pub fn site(&mut self, spec: SiteSpec) -> String {
        let (name, code) = match &spec {
            SiteSpec::Mapped(n, _) => (*n, slug(n)),
            SiteSpec::Given { name, country, .. } => (*name, given_site_code(name, *country)),
        };
        if self.sites.contains_key(&code) {
            return code;
        }
        let (manufacturer, country, city) = match spec {
            SiteSpec::Mapped(n, map) => match map.get(n) {
                Some(m) => (
                    Some(m.manufacturer.clone()),
                    m.country.clone(),
                    m.city.clone(),
                ),
                None => {
                    self.unmapped_sites.insert(n.to_string());
                    (None, None, None)
                }
            },
            SiteSpec::Given {
                manufacturer,
                country,
                ..
            } => (
                manufacturer.map(str::to_string),
                country.map(str::to_string),
                None,
            ),
        };
        let mcode = manufacturer
            .as_deref()
            .map(|m| self.organisation(m, OrgRole::Manufacturer, None));
        self.sites.insert(
            code.clone(),
            ManufacturingSite {
                code: code.clone(),
                name: name.to_string(),
                manufacturer: mcode,
                country,
                city,
                latitude: None,
                longitude: None,
            },
        );
        code
    }

    pub fn finish(self) -> Catalogue {
        Catalogue {
            products: self.products.into_values().collect(),
            trade_items: self.items.into_values().collect(),
            organisations: self.orgs.into_values().collect(),
            sites: self.sites.into_values().collect(),
        }
    }
}

#[cfg(test)]
mod unit_tests {
    use super::comparison_unit;

    #[test]
    fn comparison_units_of_the_scms_dosage_forms() {
        for (form, unit) in [
            ("Tablet - FDC + blister", "tablet"),
            ("chewable/dispersible tablet", "tablet"),
            ("delayed-release capsules", "capsule"),
            ("Capsule", "capsule"),
            ("oral solution", "ml"),
            ("Oral suspension", "ml"),
            ("Test kit", "test"),
            ("powder for oral solution", "powder for oral solution"),
            ("injection", "injection"),
        ] {
            assert_eq!(comparison_unit(form), unit, "{form}");
        }
    }
}
