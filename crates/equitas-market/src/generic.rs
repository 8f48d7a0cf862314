//! Procurement lines from any CSV, its columns named in a small TOML
//! mapping. Example (`docs/procurement-mapping.toml` in the repository):
//!
//! ```toml
//! source = "national-tenders-2024"   # part of every line's key
//! currency = "USD"                   # when there is no currency column
//! date_format = "%d/%m/%Y"           # chrono format of the date columns
//! category = "medicine"              # when there is no category column
//! programme = "tb"                   # optional
//!
//! [columns]
//! id = "Line"
//! buyer_country = "Country"          # ISO3, ISO2 or a name
//! supplier = "Supplier"
//! molecule = "INN"
//! quantity = "Packs"
//! strength = "Strength"
//! dosage_form = "Form"
//! pack_size = "Units per pack"
//! value = "Total"
//! ```
//!
//! Optional columns: `description`, `brand`, `category`, `currency`,
//! `incoterm`, `mode`, `site`, `site_country`, `manufacturer`, `order_date`,
//! `scheduled_date`, `delivered_date`, `freight`, `insurance`.

use crate::catalogue::{CatalogueBuilder, ProductSpec, SiteSpec};
use crate::inputs::date_cell;
use crate::procurement::{FieldGap, GapKind, ProcurementData, ProcurementLine};
use chrono::NaiveDate;
use equitas_model::reference::{Table, cell, number_cell};
use equitas_model::{OrgRole, ProductCategory, Programme, RowError, RowErrors};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Read;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_date_format")]
    pub date_format: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub programme: Option<String>,
    pub columns: Columns,
}

fn default_currency() -> String {
    "USD".into()
}
fn default_date_format() -> String {
    "%Y-%m-%d".into()
}

/// CSV column names for each field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: String,
    pub buyer_country: String,
    pub supplier: String,
    pub molecule: String,
    pub quantity: String,
    pub strength: Option<String>,
    pub dosage_form: Option<String>,
    pub pack_size: Option<String>,
    pub value: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub currency: Option<String>,
    pub incoterm: Option<String>,
    pub mode: Option<String>,
    pub site: Option<String>,
    pub site_country: Option<String>,
    pub manufacturer: Option<String>,
    pub order_date: Option<String>,
    pub scheduled_date: Option<String>,
    pub delivered_date: Option<String>,
    pub freight: Option<String>,
    pub insurance: Option<String>,
}

/// Reads a mapping; the error says where the TOML is wrong.
pub fn parse_mapping(text: &str) -> Result<Mapping, String> {
    let m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
    if m.source.trim().is_empty() {
        return Err("`source` must name the dataset".into());
    }
    if let Some(c) = &m.category {
        c.parse::<ProductCategory>()?;
    }
    if let Some(p) = &m.programme {
        p.parse::<Programme>()?;
    }
    Ok(m)
}

/// Parses `r` with `m`. `country_iso3` resolves country names and codes.
pub fn parse_generic<R: Read>(
    r: R,
    m: &Mapping,
    country_iso3: &dyn Fn(&str) -> Option<String>,
) -> Result<ProcurementData, RowError> {
    let mut t = Table::new(r)?;
    let c = &m.columns;
    // Every column the mapping names must exist; the error names both.
    let col =
        |t: &Table<R>, field: &str, name: &Option<String>| -> Result<Option<usize>, RowError> {
            match name {
                None => Ok(None),
                Some(n) => t.column(n).map(Some).ok_or_else(|| {
                    RowError::new(
                        1,
                        n.clone(),
                        format!("column named by mapping field `{field}` is not in the header row"),
                    )
                }),
            }
        };
    let req = |t: &Table<R>, field: &str, name: &str| {
        col(t, field, &Some(name.to_string())).map(|i| i.unwrap_or(0))
    };
    let i_id = req(&t, "id", &c.id)?;
    let i_country = req(&t, "buyer_country", &c.buyer_country)?;
    let i_supplier = req(&t, "supplier", &c.supplier)?;
    let i_molecule = req(&t, "molecule", &c.molecule)?;
    let i_quantity = req(&t, "quantity", &c.quantity)?;
    // Each optional field: its column's index and name, if the mapping names one.
    let opt: HashMap<&'static str, Option<(usize, &str)>> = [
        ("strength", &c.strength),
        ("dosage_form", &c.dosage_form),
        ("pack_size", &c.pack_size),
        ("value", &c.value),
        ("description", &c.description),
        ("brand", &c.brand),
        ("category", &c.category),
        ("currency", &c.currency),
        ("incoterm", &c.incoterm),
        ("mode", &c.mode),
        ("site", &c.site),
        ("site_country", &c.site_country),
        ("manufacturer", &c.manufacturer),
        ("order_date", &c.order_date),
        ("scheduled_date", &c.scheduled_date),
        ("delivered_date", &c.delivered_date),
        ("freight", &c.freight),
        ("insurance", &c.insurance),
    ]
    .into_iter()
    .map(|(f, n)| Ok((f, col(&t, f, n)?.zip(n.as_deref()))))
    .collect::<Result<_, RowError>>()?;
    let default_category: ProductCategory = m
        .category
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| RowError::new(0, "category", e))?
        .unwrap_or(ProductCategory::Medicine);
    let programme: Option<Programme> = m
        .programme
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| RowError::new(0, "programme", e))?;

    let mut cat = CatalogueBuilder::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let parsed = t.parse(|rec, line| {
        generic_row(
            rec,
            line,
            m,
            &opt,
            [i_id, i_country, i_supplier, i_molecule, i_quantity],
            default_category,
            programme,
            country_iso3,
            &mut cat,
            &mut seen,
        )
    });
    let mut out = ProcurementData {
        rows_read: parsed.rows(),
        lines: parsed.records,
        errors: parsed.errors,
        ..Default::default()
    };
    out.unmapped_sites = std::mem::take(&mut cat.unmapped_sites);
    let c = cat.finish();
    out.products = c.products;
    out.trade_items = c.trade_items;
    out.organisations = c.organisations;
    out.sites = c.sites;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn generic_row(
    rec: &csv::StringRecord,
    line: u64,
    m: &Mapping,
    opt: &HashMap<&'static str, Option<(usize, &str)>>,
    [i_id, i_country, i_supplier, i_molecule, i_quantity]: [usize; 5],
    default_category: ProductCategory,
    programme: Option<Programme>,
    country_iso3: &dyn Fn(&str) -> Option<String>,
    cat: &mut CatalogueBuilder,
    seen: &mut HashMap<String, u64>,
) -> Result<ProcurementLine, RowErrors> {
    let c = &m.columns;
    let get = |f: &str| cell(rec, opt.get(f).copied().flatten().map(|(i, _)| i));
    let required = |i: usize, name: &str| {
        cell(rec, Some(i)).ok_or_else(|| RowError::new(line, name.to_string(), "empty"))
    };
    // Every field is checked before anything is added to the catalogue, so
    // that a bad row lists all its bad fields and adds nothing.
    let mut e = RowErrors::default();
    let id = e.field(required(i_id, &c.id).and_then(|id| match seen.get(id) {
        Some(first) => Err(RowError::new(
            line,
            c.id.clone(),
            format!("{id:?} already used on line {first}"),
        )),
        None => Ok(id.to_string()),
    }));
    let buyer_country = e.field(required(i_country, &c.buyer_country).and_then(|raw| {
        country_iso3(raw).ok_or_else(|| {
            RowError::new(
                line,
                c.buyer_country.clone(),
                format!("{raw:?} is not a known country name or code"),
            )
        })
    }));
    let supplier_name = e.field(required(i_supplier, &c.supplier));
    let molecule = e.field(required(i_molecule, &c.molecule));
    let quantity =
        e.field(
            required(i_quantity, &c.quantity).and_then(|qraw| match number_cell(qraw) {
                Ok(Some(q)) if q >= 0.0 => Ok(q),
                Err(why) => Err(RowError::new(line, c.quantity.clone(), why)),
                _ => Err(RowError::new(
                    line,
                    c.quantity.clone(),
                    format!("{qraw:?} is not a non-negative number"),
                )),
            }),
        );
    let category = e.field(match get("category") {
        Some(v) => v
            .parse::<ProductCategory>()
            .map_err(|e| RowError::new(line, c.category.clone().unwrap_or_default(), e)),
        None => Ok(default_category),
    });
    let site_country = e.field(match get("site_country") {
        None => Ok(None),
        Some(s) => country_iso3(s).map(Some).ok_or_else(|| {
            RowError::new(
                line,
                c.site_country.clone().unwrap_or_default(),
                format!("{s:?} is not a known country name or code"),
            )
        }),
    });
    // The other columns the mapping names: a value, a gap (text that is no
    // value, kept with its reason), or an error (a decimal comma, a day the
    // calendar lacks), read before the catalogue hears of the row.
    let mut gaps = Vec::new();
    let mut gap = |f: &'static str, raw: &str| {
        gaps.push(FieldGap {
            field: f,
            kind: GapKind::classify(raw),
            raw: raw.to_string(),
        })
    };
    let mut number = |f: &'static str| -> Option<f64> {
        let (i, name) = opt.get(f).copied().flatten()?;
        let raw = rec.get(i).unwrap_or("").trim();
        match number_cell(raw) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                gap(f, raw);
                None
            }
            Err(why) => {
                e.push(RowError::new(line, name, why));
                None
            }
        }
    };
    let pack_size = number("pack_size");
    let value = number("value");
    let freight = number("freight");
    let insurance = number("insurance");
    let mut date = |f: &'static str| -> Option<NaiveDate> {
        let (i, name) = opt.get(f).copied().flatten()?;
        let raw = rec.get(i).unwrap_or("").trim();
        match date_cell(raw, &[m.date_format.as_str()]) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                gap(f, raw);
                None
            }
            Err(why) => {
                e.push(RowError::new(line, name, why));
                None
            }
        }
    };
    let order_date = date("order_date");
    let scheduled_date = date("scheduled_date");
    let delivered_date = date("delivered_date");
    // A site or manufacturer cell stating there is none ("Not Applicable")
    // names no site: the line's origin is unknown (formulas 6.1).
    let mut stated = |f: &'static str| -> Option<&str> {
        let v = get(f)?;
        match GapKind::classify(v) {
            GapKind::Unrecognised => Some(v),
            _ => {
                gap(f, v);
                None
            }
        }
    };
    let site_name = stated("site");
    let manufacturer = stated("manufacturer");
    let (
        Some(id),
        Some(buyer_country),
        Some(supplier_name),
        Some(molecule),
        Some(quantity),
        Some(category),
        Some(site_country),
    ) = (
        id,
        buyer_country,
        supplier_name,
        molecule,
        quantity,
        category,
        site_country,
    )
    else {
        return Err(e);
    };
    if !e.is_empty() {
        return Err(e);
    }
    seen.insert(id.clone(), line);

    let product = cat.product(&ProductSpec {
        molecule,
        strength: get("strength"),
        dosage_form: get("dosage_form"),
        category,
        programme,
    });
    let description = match get("description") {
        Some(d) => d.to_string(),
        None => match pack_size {
            Some(p) => format!("{product} x {p}"),
            None => product.clone(),
        },
    };
    let trade_item = cat.trade_item(&description, &product, pack_size, get("brand"));
    let supplier = cat.organisation(supplier_name, OrgRole::Supplier, None);
    let site = site_name.or(manufacturer).map(|name| {
        cat.site(SiteSpec::Given {
            name,
            manufacturer,
            country: site_country.as_deref(),
        })
    });
    Ok(ProcurementLine {
        source: m.source.clone(),
        source_id: id,
        buyer_country,
        supplier,
        product,
        trade_item,
        site,
        pack_size,
        quantity,
        value,
        pack_price: match (value, quantity) {
            (Some(v), q) if q > 0.0 => Some(v / q),
            _ => None,
        },
        unit_price: None,
        currency: get("currency").unwrap_or(&m.currency).to_string(),
        incoterm: get("incoterm").map(str::to_string),
        mode: get("mode").map(str::to_string),
        fulfil_via: None,
        quote_date: None,
        order_date,
        scheduled_date,
        delivered_date,
        recorded_date: None,
        weight_kg: None,
        freight,
        insurance,
        first_line: None,
        project_code: None,
        quote_ref: None,
        order_ref: None,
        shipment_ref: None,
        gaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = r#"
source = "tenders-2024"
date_format = "%d/%m/%Y"
programme = "tb"

[columns]
id = "Line"
buyer_country = "Country"
supplier = "Supplier"
molecule = "INN"
quantity = "Packs"
strength = "Strength"
dosage_form = "Form"
pack_size = "Units"
value = "Total"
manufacturer = "Maker"
site_country = "Made in"
delivered_date = "Delivered"
"#;

    fn lookup(s: &str) -> Option<String> {
        match s {
            "Kenya" | "KEN" => Some("KEN".into()),
            "India" | "IND" => Some("IND".into()),
            _ => None,
        }
    }

    #[test]
    fn maps_columns_and_reports_problems() {
        let m = parse_mapping(MAPPING).unwrap();
        let csv = "Line,Country,Supplier,INN,Packs,Strength,Form,Units,Total,Maker,Made in,Delivered\n\
                   1,Kenya,GDF,Isoniazid,100,300mg,Tablet,672,1500.5,Macleods,India,15/03/2024\n\
                   2,Kenya,GDF,Isoniazid,x,300mg,Tablet,672,1,Macleods,India,15/03/2024\n\
                   3,Atlantis,GDF,Isoniazid,1,300mg,Tablet,672,1,Macleods,India,15/03/2024\n\
                   4,KEN,GDF,Isoniazid,5,300mg,Tablet,672,n/a,Macleods,IND,not yet\n\
                   1,Kenya,GDF,Isoniazid,1,300mg,Tablet,672,1,Macleods,India,15/03/2024\n\
                   7,Atlantis,,Isoniazid,-2,300mg,Tablet,672,1,Macleods,Nowhere,15/03/2024\n";
        let d = parse_generic(csv.as_bytes(), &m, &lookup).unwrap();
        assert_eq!(d.rows_read, 6);
        assert_eq!(d.lines.len(), 2);
        let e: Vec<String> = d.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            e,
            vec![
                "line 3, field `Packs`: \"x\" is not a non-negative number",
                "line 4, field `Country`: \"Atlantis\" is not a known country name or code",
                "line 6, field `Line`: \"1\" already used on line 2",
                // Issue 19: every bad field of the row.
                "line 7, field `Country`: \"Atlantis\" is not a known country name or code",
                "line 7, field `Supplier`: empty",
                "line 7, field `Packs`: \"-2\" is not a non-negative number",
                "line 7, field `Made in`: \"Nowhere\" is not a known country name or code",
            ]
        );
        let l = &d.lines[0].1;
        assert_eq!(l.product, "isoniazid-300mg-tablet");
        assert_eq!(l.delivered_date, NaiveDate::from_ymd_opt(2024, 3, 15));
        assert_eq!(l.value, Some(1500.5));
        assert_eq!(d.products[0].programme, Some(Programme::Tb));
        assert_eq!(d.sites[0].country.as_deref(), Some("IND"));
        let gaps: Vec<(&str, GapKind)> = d.lines[1]
            .1
            .gaps
            .iter()
            .map(|g| (g.field, g.kind))
            .collect();
        assert_eq!(
            gaps,
            vec![
                ("value", GapKind::NotApplicable),
                ("delivered_date", GapKind::Unrecognised)
            ]
        );
    }

    #[test]
    fn a_decimal_comma_or_impossible_date_is_an_error_naming_the_column() {
        let m = parse_mapping(
            &MAPPING.replace("delivered_date = \"Delivered\"", "order_date = \"PO date\""),
        )
        .unwrap();
        let csv = "Line,Country,Supplier,INN,Packs,Strength,Form,Units,Total,Maker,Made in,PO date\n\
                   1,Kenya,GDF,Isoniazid,100,300mg,Tablet,672,\"1500,50\",Macleods,India,15/03/2024\n\
                   2,Kenya,GDF,Isoniazid,100,300mg,Tablet,672,1500.5,Macleods,India,30/02/2020\n\
                   3,Kenya,GDF,Isoniazid,\"1,5\",300mg,Tablet,672,\"1,500.50\",Macleods,India,29/02/2020\n\
                   4,Kenya,GDF,Isoniazid,\"1,000\",300mg,Tablet,672,\"1,500.50\",Not Applicable,,29/02/2020\n";
        let d = parse_generic(csv.as_bytes(), &m, &lookup).unwrap();
        let e: Vec<String> = d.errors.iter().map(|e| e.to_string()).collect();
        let comma = "is not a number: a comma is read only as a thousands separator, as in 1,234 or 12,345.67 (a decimal comma: write the number with a point, as 0.5, or separate the columns with semicolons, as a spreadsheet set to French saves CSV: such a file is read with decimal commas)";
        assert_eq!(
            e,
            vec![
                format!("line 2, field `Total`: \"1500,50\" {comma}"),
                "line 3, field `PO date`: \"30/02/2020\" is not a date: February 2020 has 29 days"
                    .to_string(),
                format!("line 4, field `Packs`: \"1,5\" {comma}"),
            ]
        );
        assert_eq!(d.lines.len(), 1);
        let l = &d.lines[0].1;
        assert_eq!((l.quantity, l.value), (1000.0, Some(1500.5)));
        assert_eq!(l.order_date, NaiveDate::from_ymd_opt(2020, 2, 29));
        // A maker the file says is not applicable names no site.
        assert_eq!(l.site, None);
        assert!(d.sites.is_empty());
        assert_eq!(
            l.gaps.iter().map(|g| (g.field, g.kind)).collect::<Vec<_>>(),
            vec![("manufacturer", GapKind::NotApplicable)]
        );
        // Rejected rows add nothing to the catalogue.
        assert_eq!(d.trade_items.len(), 1);
    }

    #[test]
    fn mapping_errors_are_precise() {
        let e = parse_mapping("source = \"x\"\n[columns]\nid = \"a\"\n").unwrap_err();
        assert!(e.contains("missing field `buyer_country`"), "{e}");
        let e = parse_mapping(&MAPPING.replace("molecule =", "molecul =")).unwrap_err();
        assert!(e.contains("unknown field `molecul`"), "{e}");
        let e = parse_mapping(&MAPPING.replace("\"tb\"", "\"oncology\"")).unwrap_err();
        assert!(e.contains("unknown programme"), "{e}");
        let m = parse_mapping(MAPPING).unwrap();
        let e = parse_generic("Line,Country\n".as_bytes(), &m, &lookup).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, field `Supplier`: column named by mapping field `supplier` is not in the header row"
        );
    }
}
