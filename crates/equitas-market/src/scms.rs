//! The USAID SCMS "Supply Chain Shipment Pricing Data" file (10,324
//! shipment lines of ARVs and HIV tests, 2006-2015, public domain).
//!
//! Every row is accounted for: it becomes a [`ProcurementLine`] with the
//! fields that hold values typed and the others kept as [`FieldGap`]s with
//! their reason, or it is rejected with a [`RowError`] naming the line and
//! field (only when the country, item or quantity cannot be read).
//!
//! The file also yields the first catalogue: products (molecule, strength,
//! dosage form), trade items (item descriptions with pack sizes), suppliers
//! (vendors) and manufacturing sites, whose countries come from a reviewed
//! mapping table rather than from guessing at names.

use crate::catalogue::{CatalogueBuilder, ProductSpec, SiteSpec};
use crate::inputs::date_cell;
use crate::procurement::{FieldGap, GapKind, ProcurementData, ProcurementLine};
use chrono::NaiveDate;
use equitas_model::reference::{SiteMapping, Table, number_cell};
use equitas_model::{OrgRole, ProductCategory, Programme, RowError, RowErrors};
use std::collections::HashMap;
use std::io::Read;

pub const SOURCE: &str = "scms";

const COLUMNS: &[&str] = &[
    "id",
    "project code",
    "pq #",
    "po / so #",
    "asn/dn #",
    "country",
    "fulfill via",
    "vendor inco term",
    "shipment mode",
    "pq first sent to client date",
    "po sent to vendor date",
    "scheduled delivery date",
    "delivered to client date",
    "delivery recorded date",
    "product group",
    "vendor",
    "item description",
    "molecule/test type",
    "brand",
    "dosage",
    "dosage form",
    "unit of measure (per pack)",
    "line item quantity",
    "line item value",
    "pack price",
    "unit price",
    "manufacturing site",
    "first line designation",
    "weight (kilograms)",
    "freight cost (usd)",
    "line item insurance (usd)",
];

/// The two ways SCMS writes a date: `2-Jun-06` or `6/2/2006` (month first).
const DATE_FORMATS: &[&str] = &["%d-%b-%y", "%m/%d/%Y"];

/// Reads a date as SCMS writes it: `Ok(None)` for text of another shape
/// ("Date Not Captured", "Pre-PQ Process": a gap), `Err` with the reason for
/// a day the calendar lacks ("31-Feb-08").
pub fn parse_scms_date(s: &str) -> Result<Option<NaiveDate>, String> {
    date_cell(s, DATE_FORMATS)
}

fn classify_group(group: &str) -> (ProductCategory, Option<Programme>) {
    match group.trim().to_ascii_uppercase().as_str() {
        "ARV" => (ProductCategory::Medicine, Some(Programme::Hiv)),
        "HRDT" => (ProductCategory::Diagnostic, Some(Programme::Hiv)),
        "ACT" | "ANTM" => (ProductCategory::Medicine, Some(Programme::Malaria)),
        "MRDT" => (ProductCategory::Diagnostic, Some(Programme::Malaria)),
        _ => (ProductCategory::Medicine, None),
    }
}

struct Row<'a> {
    rec: &'a csv::StringRecord,
    line: u64,
    idx: &'a HashMap<&'static str, usize>,
    gaps: Vec<FieldGap>,
}

impl Row<'_> {
    fn raw(&self, col: &str) -> &str {
        self.idx
            .get(col)
            .and_then(|&i| self.rec.get(i))
            .map(str::trim)
            .unwrap_or("")
    }
    fn text(&self, col: &str) -> Option<String> {
        Some(self.raw(col))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
    fn gap(&mut self, field: &'static str, raw: &str) {
        self.gaps.push(FieldGap {
            field,
            kind: GapKind::classify(raw),
            raw: raw.to_string(),
        });
    }
    /// A number, or a gap recorded for `field` (text that is no number);
    /// an error naming the column for a number whose comma is not a
    /// thousands separator ("6200,50").
    fn number(&mut self, col: &'static str, field: &'static str) -> Result<Option<f64>, RowError> {
        let raw = self.raw(col).to_string();
        match number_cell(&raw) {
            Ok(Some(v)) => Ok(Some(v)),
            Ok(None) => {
                self.gap(field, &raw);
                Ok(None)
            }
            Err(why) => Err(RowError::new(self.line, col, why)),
        }
    }
    /// A date, or a gap recorded for `field` ("Date Not Captured"); an
    /// error naming the column for a day the calendar lacks ("31-Feb-08").
    fn date(
        &mut self,
        col: &'static str,
        field: &'static str,
    ) -> Result<Option<NaiveDate>, RowError> {
        let raw = self.raw(col).to_string();
        match parse_scms_date(&raw) {
            Ok(Some(d)) => Ok(Some(d)),
            Ok(None) => {
                self.gap(field, &raw);
                Ok(None)
            }
            Err(why) => Err(RowError::new(self.line, col, why)),
        }
    }
    /// Text that may be a known gap phrase (Incoterm "N/A - From RDC", blank mode).
    fn coded(&mut self, col: &'static str, field: &'static str) -> Option<String> {
        let raw = self.raw(col).to_string();
        match GapKind::classify(&raw) {
            GapKind::Unrecognised => Some(raw),
            _ => {
                self.gap(field, &raw);
                None
            }
        }
    }
}

/// Parses the SCMS file. `country_iso3` maps a country name to its ISO3
/// code; `sites` is the reviewed site mapping, keyed by the site name.
pub fn parse_scms<R: Read>(
    r: R,
    country_iso3: &dyn Fn(&str) -> Option<String>,
    sites: &HashMap<String, SiteMapping>,
) -> Result<ProcurementData, RowError> {
    let mut t = Table::new(r)?;
    let mut idx = HashMap::new();
    for c in COLUMNS {
        idx.insert(*c, t.require(c)?);
    }
    let mut out = ProcurementData::default();
    let mut cat = CatalogueBuilder::default();
    let mut seen_ids: HashMap<String, u64> = HashMap::new();

    let parsed = t.parse(|rec, line| {
        let mut row = Row {
            rec,
            line,
            idx: &idx,
            gaps: Vec::new(),
        };
        // Every field is checked before anything is added to the catalogue,
        // so that a bad row names all its bad fields and adds nothing.
        let mut e = RowErrors::default();
        let id = e.field(
            row.text("id")
                .ok_or_else(|| RowError::new(line, "id", "empty"))
                .and_then(|id| match seen_ids.get(&id) {
                    Some(first) => Err(RowError::new(
                        line,
                        "id",
                        format!("{id:?} already used on line {first}"),
                    )),
                    None => Ok(id),
                }),
        );
        let country_name = row.raw("country").to_string();
        let buyer_country = e.field(country_iso3(&country_name).ok_or_else(|| {
            RowError::new(
                line,
                "country",
                format!("{country_name:?} is not a known country name or alias"),
            )
        }));
        let description = e.field(
            row.text("item description")
                .ok_or_else(|| RowError::new(line, "item description", "empty")),
        );
        let quantity = e.field(match number_cell(row.raw("line item quantity")) {
            Ok(Some(q)) if q >= 0.0 => Ok(q),
            Err(why) => Err(RowError::new(line, "line item quantity", why)),
            _ => Err(RowError::new(
                line,
                "line item quantity",
                format!(
                    "{:?} is not a non-negative number",
                    row.raw("line item quantity")
                ),
            )),
        });
        let vendor = e.field(
            row.text("vendor")
                .ok_or_else(|| RowError::new(line, "vendor", "empty")),
        );
        let pack_size = e
            .field(row.number("unit of measure (per pack)", "pack_size"))
            .flatten();
        // Keep the site name exactly as written: the mapping is keyed by it.
        // A cell stating that there is no site ("Not Applicable") is a gap,
        // not a site: its lines count in the unknown share (formulas 6.1).
        let site_name = idx
            .get("manufacturing site")
            .and_then(|&i| rec.get(i))
            .unwrap_or("")
            .to_string();
        let site_name = match GapKind::classify(&site_name) {
            GapKind::Unrecognised => Some(site_name),
            _ => {
                row.gap("site", &site_name);
                None
            }
        };
        let mut number = |row: &mut Row, col, field| e.field(row.number(col, field)).flatten();
        let value = number(&mut row, "line item value", "value");
        let pack_price = number(&mut row, "pack price", "pack_price");
        let unit_price = number(&mut row, "unit price", "unit_price");
        let incoterm = row.coded("vendor inco term", "incoterm");
        let mode = row.coded("shipment mode", "mode");
        let mut date = |row: &mut Row, col, field| e.field(row.date(col, field)).flatten();
        let quote_date = date(&mut row, "pq first sent to client date", "quote_date");
        let order_date = date(&mut row, "po sent to vendor date", "order_date");
        let scheduled_date = date(&mut row, "scheduled delivery date", "scheduled_date");
        let delivered_date = date(&mut row, "delivered to client date", "delivered_date");
        let recorded_date = date(&mut row, "delivery recorded date", "recorded_date");
        let mut number = |row: &mut Row, col, field| e.field(row.number(col, field)).flatten();
        let weight_kg = number(&mut row, "weight (kilograms)", "weight_kg");
        let freight = number(&mut row, "freight cost (usd)", "freight");
        let insurance = number(&mut row, "line item insurance (usd)", "insurance");
        let first_line = match row
            .raw("first line designation")
            .to_ascii_lowercase()
            .as_str()
        {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            other => {
                let other = other.to_string();
                row.gap("first_line", &other);
                None
            }
        };
        let quote_ref = row.coded("pq #", "quote_ref");
        let (Some(id), Some(buyer_country), Some(description), Some(quantity), Some(vendor)) =
            (id, buyer_country, description, quantity, vendor)
        else {
            return Err(e);
        };
        if !e.is_empty() {
            return Err(e);
        }
        seen_ids.insert(id.clone(), line);

        // Catalogue: product, trade item, supplier, site.
        let (category, programme) = classify_group(row.raw("product group"));
        let dosage = row.text("dosage");
        let form = row.text("dosage form");
        let product_code = cat.product(&ProductSpec {
            molecule: row.raw("molecule/test type"),
            strength: dosage.as_deref(),
            dosage_form: form.as_deref(),
            category,
            programme,
        });
        let brand = row.text("brand");
        let item_code = cat.trade_item(&description, &product_code, pack_size, brand.as_deref());
        let supplier = cat.organisation(&vendor, OrgRole::Supplier, None);
        let site = site_name.map(|n| cat.site(SiteSpec::Mapped(&n, sites)));
        let l = ProcurementLine {
            source: SOURCE.to_string(),
            source_id: id,
            buyer_country,
            supplier,
            product: product_code,
            trade_item: item_code,
            site,
            pack_size,
            quantity,
            value,
            pack_price,
            unit_price,
            currency: "USD".into(),
            incoterm,
            mode,
            fulfil_via: row.text("fulfill via"),
            quote_date,
            order_date,
            scheduled_date,
            delivered_date,
            recorded_date,
            weight_kg,
            freight,
            insurance,
            first_line,
            project_code: row.text("project code"),
            quote_ref,
            order_ref: row.text("po / so #"),
            shipment_ref: row.text("asn/dn #"),
            gaps: std::mem::take(&mut row.gaps),
        };
        Ok(l)
    });
    out.rows_read = parsed.rows();
    out.lines = parsed.records;
    out.errors = parsed.errors;
    out.unmapped_sites = std::mem::take(&mut cat.unmapped_sites);
    let c = cat.finish();
    out.products = c.products;
    out.trade_items = c.trade_items;
    out.organisations = c.organisations;
    out.sites = c.sites;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,project code,pq #,po / so #,asn/dn #,country,managed by,fulfill via,vendor inco term,shipment mode,pq first sent to client date,po sent to vendor date,scheduled delivery date,delivered to client date,delivery recorded date,product group,sub classification,vendor,item description,molecule/test type,brand,dosage,dosage form,unit of measure (per pack),line item quantity,line item value,pack price,unit price,manufacturing site,first line designation,weight (kilograms),freight cost (usd),line item insurance (usd)";

    fn lookup(n: &str) -> Option<String> {
        match n {
            "Vietnam" => Some("VNM".into()),
            "Côte d'Ivoire" => Some("CIV".into()),
            _ => None,
        }
    }

    #[test]
    fn dates_in_both_spellings() {
        assert_eq!(
            parse_scms_date("2-Jun-06"),
            Ok(NaiveDate::from_ymd_opt(2006, 6, 2))
        );
        assert_eq!(
            parse_scms_date("14-Nov-06"),
            Ok(NaiveDate::from_ymd_opt(2006, 11, 14))
        );
        assert_eq!(
            parse_scms_date("9/5/2011"),
            Ok(NaiveDate::from_ymd_opt(2011, 9, 5))
        );
        assert_eq!(parse_scms_date("Date Not Captured"), Ok(None));
        assert_eq!(
            parse_scms_date("31-Feb-08"),
            Err("\"31-Feb-08\" is not a date: February 2008 has 29 days".into())
        );
    }

    /// The site mapping of the tests: Aurobindo's unit III, in India.
    fn aurobindo() -> HashMap<String, SiteMapping> {
        let mut map = HashMap::new();
        map.insert(
            "Aurobindo Unit III, India".to_string(),
            SiteMapping {
                site: "Aurobindo Unit III, India".into(),
                manufacturer: "Aurobindo Pharma".into(),
                country: Some("IND".into()),
                city: None,
                note: None,
            },
        );
        map
    }

    #[test]
    fn rows_become_lines_with_gaps_or_errors() {
        let csv = format!(
            "{HEADER}\n\
1,100-CI-T01,Pre-PQ Process,SCMS-4,ASN-8,Côte d'Ivoire,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,Date Not Captured,2-Jun-06,2-Jun-06,2-Jun-06,HRDT,HIV test,RANBAXY Fine Chemicals LTD.,\"HIV, Reveal G3 Rapid HIV-1 Antibody Test, 30 Tests\",\"HIV, Reveal G3 Rapid HIV-1 Antibody Test\",Reveal,,Test kit,30,19,551,29,0.97,Ranbaxy Fine Chemicals LTD,TRUE,13,780.34,\n\
3,108-VN-T01,Pre-PQ Process,SCMS-13,ASN-85,Vietnam,PMO - US,From RDC,N/A - From RDC,,9/5/2011,N/A - From RDC,14-Nov-06,14-Nov-06,14-Nov-06,ARV,Pediatric,Aurobindo Pharma Limited,\"Nevirapine 10mg/ml, oral suspension, Bottle, 240 ml\",Nevirapine,Generic,10mg/ml,Oral suspension,240,1000,6200,6.2,0.03,\"Aurobindo Unit III, India\",TRUE,See ASN-93 (ID#:1281),Freight Included in Commodity Cost,12.5\n\
4,x,x,x,x,Atlantis,PMO - US,Direct Drop,EXW,Air,,,,,,ARV,Adult,V,Item,M,Generic,1mg,Tablet,1,1,1,1,1,S,TRUE,1,1,1\n\
5,x,x,x,x,Vietnam,PMO - US,Direct Drop,EXW,Air,,,,,,ARV,Adult,V,Item,M,Generic,1mg,Tablet,1,many,1,1,1,S,TRUE,1,1,1\n\
6,x,x,x,x,Atlantis,PMO - US,Direct Drop,EXW,Air,,,,,,ARV,Adult,V,Item,M,Generic,1mg,Tablet,1,-1,1,1,1,S,TRUE,1,1,1\n"
        );
        let map = aurobindo();
        let d = parse_scms(csv.as_bytes(), &lookup, &map).unwrap();
        assert_eq!(d.rows_read, 5);
        assert_eq!(d.lines.len(), 2);
        let errs: Vec<String> = d.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            vec![
                "line 4, field `country`: \"Atlantis\" is not a known country name or alias",
                "line 5, field `line item quantity`: \"many\" is not a non-negative number",
                // Issue 19: every bad field of the row.
                "line 6, field `country`: \"Atlantis\" is not a known country name or alias",
                "line 6, field `line item quantity`: \"-1\" is not a non-negative number",
            ]
        );
        let (line, first) = &d.lines[0];
        assert_eq!(*line, 2);
        assert_eq!(first.buyer_country, "CIV");
        assert_eq!(first.value, Some(551.0));
        assert_eq!(first.insurance, None);
        let kinds: Vec<(&str, GapKind)> = first.gaps.iter().map(|g| (g.field, g.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("quote_date", GapKind::PrePqProcess),
                ("order_date", GapKind::NotCaptured),
                ("insurance", GapKind::Blank),
                ("quote_ref", GapKind::PrePqProcess),
            ]
        );
        let second = &d.lines[1].1;
        assert_eq!(second.incoterm, None);
        assert_eq!(second.insurance, Some(12.5));
        assert_eq!(second.quote_date, NaiveDate::from_ymd_opt(2011, 9, 5));
        assert!(
            second
                .gaps
                .iter()
                .any(|g| g.field == "weight_kg" && g.kind == GapKind::SeeOtherShipment)
        );
        assert!(
            second
                .gaps
                .iter()
                .any(|g| g.field == "mode" && g.kind == GapKind::Blank)
        );
        assert!(
            second
                .gaps
                .iter()
                .any(|g| g.field == "freight" && g.kind == GapKind::IncludedInCommodityCost)
        );
        // Catalogue.
        let p: Vec<&str> = d.products.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            p,
            vec![
                "hiv-reveal-g3-rapid-hiv-1-antibody-test-test-kit",
                "nevirapine-10mg-ml-oral-suspension"
            ]
        );
        let nvp = &d.products[1];
        assert_eq!(nvp.inns, vec!["Nevirapine"]);
        assert_eq!(nvp.programme, Some(Programme::Hiv));
        assert_eq!(d.products[0].category, ProductCategory::Diagnostic);
        let site = d
            .sites
            .iter()
            .find(|s| s.name == "Aurobindo Unit III, India")
            .unwrap();
        assert_eq!(site.country.as_deref(), Some("IND"));
        assert_eq!(site.manufacturer.as_deref(), Some("aurobindo-pharma"));
        assert!(d.unmapped_sites.contains("Ranbaxy Fine Chemicals LTD"));
    }

    /// A row of the test file: line item value, manufacturing site,
    /// delivered date and quantity given, the rest as SCMS writes them.
    fn line(id: u32, quantity: &str, value: &str, site: &str, delivered: &str) -> String {
        format!(
            "{id},100-CI-T01,Pre-PQ Process,SCMS-{id},ASN-{id},Côte d'Ivoire,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,Date Not Captured,2-Jun-06,{delivered},2-Jun-06,ANTM,Adult,V,Item {id},Artesunate,Generic,50mg,Tablet,30,{quantity},{value},1,0.03,{site},TRUE,13,780.34,1\n"
        )
    }

    #[test]
    fn a_decimal_comma_or_impossible_date_is_a_row_error_naming_the_column() {
        let csv = format!(
            "{HEADER}\n{}{}{}{}",
            line(1, "\"1,000\"", "\"6200,50\"", "S", "2-Jun-06"),
            line(2, "10", "6200.5", "S", "31-Feb-08"),
            line(3, "\"1,5\"", "\"12,345.67\"", "S", "2-Jun-06"),
            line(4, "\"1,000\"", "\"12,345.67\"", "S", "29-Feb-08"),
        );
        let d = parse_scms(csv.as_bytes(), &lookup, &HashMap::new()).unwrap();
        let errs: Vec<String> = d.errors.iter().map(|e| e.to_string()).collect();
        let comma = "is not a number: a comma is read only as a thousands separator, as in 1,234 or 12,345.67 (a decimal comma: write the number with a point, as 0.5, or separate the columns with semicolons, as a spreadsheet set to French saves CSV: such a file is read with decimal commas)";
        assert_eq!(
            errs,
            vec![
                format!("line 2, field `line item value`: \"6200,50\" {comma}"),
                "line 3, field `delivered to client date`: \"31-Feb-08\" is not a date: February 2008 has 29 days".to_string(),
                format!("line 4, field `line item quantity`: \"1,5\" {comma}"),
            ]
        );
        // The good row: thousands separators read, a leap day a date.
        assert_eq!(d.lines.len(), 1);
        let l = &d.lines[0].1;
        assert_eq!((l.quantity, l.value), (1000.0, Some(12_345.67)));
        assert_eq!(l.delivered_date, NaiveDate::from_ymd_opt(2008, 2, 29));
        // A rejected row adds nothing to the catalogue.
        assert_eq!(d.products.len(), 1);
        assert_eq!(d.trade_items.len(), 1);
    }

    #[test]
    fn a_site_the_source_says_is_not_applicable_is_no_site() {
        let csv = format!(
            "{HEADER}\n{}{}{}",
            line(1, "10", "100", "Not Applicable", "2-Jun-06"),
            line(2, "10", "100", "N/A", "2-Jun-06"),
            line(3, "10", "100", "\"Aurobindo Unit III, India\"", "2-Jun-06"),
        );
        let map = aurobindo();
        let d = parse_scms(csv.as_bytes(), &lookup, &map).unwrap();
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let sites: Vec<Option<&str>> = d.lines.iter().map(|(_, l)| l.site.as_deref()).collect();
        assert_eq!(sites, vec![None, None, Some("aurobindo-unit-iii-india")]);
        for (_, l) in &d.lines[..2] {
            assert!(
                l.gaps
                    .iter()
                    .any(|g| g.field == "site" && g.kind == GapKind::NotApplicable),
                "{:?}",
                l.gaps
            );
        }
        // Neither a site nor a manufacturer of that name, nor an unmapped site.
        assert_eq!(d.sites.len(), 1);
        assert!(
            d.organisations
                .iter()
                .all(|o| !o.code.contains("applicable") && o.code != "n-a")
        );
        assert!(d.unmapped_sites.is_empty(), "{:?}", d.unmapped_sites);
    }

    #[test]
    fn missing_column_names_it() {
        let e = parse_scms(
            "id,country\n1,Vietnam\n".as_bytes(),
            &lookup,
            &HashMap::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, field `project code`: required column is missing from the header row (it has: id, country)"
        );
    }
}
