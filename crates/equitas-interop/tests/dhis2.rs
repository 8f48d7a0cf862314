//! DHIS2 out and back: a ledger's month figures become data values in
//! both layouts and both formats, and those values become the stock
//! reports that give the ledger the same figures again.

use equitas_interop::dhis2::{self, Mapping, Metric, MonthFigures, values};
use equitas_ledger::calendar::parse_month;
use equitas_ledger::report::{StockReport, parse_stock_reports};
use equitas_ledger::view::{MinMaxBands, Place, Places};
use equitas_ledger::{Ledger, Names, Source};
use equitas_model::LocationLevel;

const REPORTS: &str = "location,product,period,opening_balance,received,dispensed,issued,adjustments,closing_balance,stockout_days\n\
FAC1,AMOX,2026-01,100,50,120,0,-5,25,0\n\
FAC1,AMOX,2026-02,20,200,30,10,,170,3\n\
FAC1,ORS,2026-01,0,40,10,0,,30,12\n\
FAC1,ORS,2026-02,30,0,30,0,,0,6\n\
FAC2,AMOX,2026-02,10,0,4,0,2,8,0\n\
FAC3,AMOX,2026-02,10,0,4,0,,6,0\n";

fn ledger(reports: &[StockReport]) -> (Ledger, Places) {
    let mut names = Names::default();
    let mut moves = Vec::new();
    let mut days = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        for m in r.movements() {
            moves.push(m.intern(&mut names, Source::Report(i as u64)));
        }
        let (item, _, _) = names.item(&r.item);
        days.push((names.location(&r.location), item, r.period, r.stockout_days));
    }
    let mut l = Ledger::build(names, moves);
    for (loc, item, m, d) in days {
        l.set_reported_stockout_days(loc, item, m, d);
    }
    let place = |code: &str| Place {
        code: code.into(),
        name: code.into(),
        level: Some(LocationLevel::Facility),
        parent: None,
        gln: None,
    };
    let places = Places::new(vec![place("FAC1"), place("FAC2"), place("FAC3")], &l);
    (l, places)
}

fn reports(csv: &str) -> Vec<StockReport> {
    let p = parse_stock_reports(csv.as_bytes()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    p.records.into_iter().map(|(_, r)| r).collect()
}

const BY_COMBO: &str = r#"
layout = "category-option-combo"
data_set = "ULowA8V3ucd"
[metrics]
opening_balance = "Nd7Qhv2Rz1d"
stock_on_hand = "J2Qf1jtZuj8"
consumption = "KPP63zJPkOu"
received = "rQLFnNXXIL0"
adjustments = "Cf4kqUd9bvP"
stockout_days = "Gmbgme7z9BF"
months_of_stock = "Wq1vQvPZkXJ"
status = "zp9NJZhbw3w"
[products.AMOX]
data_element = "s46m5MS0hxu"
[products.ORS]
data_element = "dY4OCwl0Y7Y"
[org_units]
FAC1 = "DiszpKrYNg8"
FAC2 = "g8upMTyEZGZ"
"#;

const PER_METRIC: &str = r#"
layout = "data-element-per-metric"
org_unit_scheme = "code"
id_scheme = "code"
[products.AMOX.metrics]
opening_balance = "AMOX_OB"
stock_on_hand = "AMOX_SOH"
consumption = "AMOX_CONS"
received = "AMOX_REC"
adjustments = "AMOX_ADJ"
stockout_days = "AMOX_SOD"
months_of_stock = "AMOX_MOS"
status = "AMOX_STATUS"
[products.ORS.metrics]
stock_on_hand = "ORS_SOH"
consumption = "ORS_CONS"
received = "ORS_REC"
adjustments = "ORS_ADJ"
stockout_days = "ORS_SOD"
[org_units]
FAC1 = "OU_FAC1"
FAC2 = "OU_FAC2"
"#;

fn figures(l: &Ledger, p: &Places, month: &str) -> Vec<MonthFigures> {
    dhis2::month_figures(
        l,
        p,
        &MinMaxBands::default(),
        parse_month(month).unwrap(),
        &["AMOX".into(), "ORS".into()],
    )
}

#[test]
fn month_figures_are_the_ledgers() {
    let (l, p) = ledger(&reports(REPORTS));
    let f = figures(&l, &p, "2026-02");
    let amox = f
        .iter()
        .find(|f| f.location == "FAC1" && f.item == "AMOX")
        .unwrap();
    // Balance 25 at the end of January, counted 20: -5; +200 -10 -30 = 180,
    // counted 170: -10. Adjustments -15.
    assert_eq!(
        (
            amox.stock_on_hand,
            amox.received,
            amox.consumption,
            amox.adjustments,
            amox.stockout_days
        ),
        (170.0, 200.0, 40.0, -15.0, 3)
    );
    let ors = f
        .iter()
        .find(|f| f.location == "FAC1" && f.item == "ORS")
        .unwrap();
    assert_eq!((ors.stock_on_hand, ors.stockout_days), (0.0, 6));
    assert_eq!(ors.status.as_str(), "stocked_out");
    assert_eq!(f.len(), 4);
}

#[test]
fn both_layouts_and_formats_round_trip_to_the_same_figures() {
    let (l, p) = ledger(&reports(REPORTS));
    for mapping in [BY_COMBO, PER_METRIC] {
        let mapping = Mapping::parse(mapping).unwrap();
        let mut back = Vec::new();
        for month in ["2026-01", "2026-02"] {
            let (set, notes) = dhis2::data_values(&figures(&l, &p, month), &mapping);
            // FAC3 has no org unit: left out, and said so.
            if month == "2026-02" {
                assert_eq!(notes.len(), 1, "{notes:?}");
                assert!(notes[0].contains("FAC3"), "{notes:?}");
            }
            assert!(set.data_values.iter().all(|v| v.period.len() == 6));
            for text in [
                values::write_json(&set),
                values::write_csv(&set.data_values),
            ] {
                let read = values::read(text.as_bytes()).unwrap();
                let imp = dhis2::stock_reports(read, &mapping, now());
                assert!(imp.reports.errors.is_empty(), "{:?}", imp.reports.errors);
                assert!(
                    imp.notes.iter().any(|n| n.contains("derived")),
                    "{:?}",
                    imp.notes
                );
                if text.starts_with('{') {
                    back.extend(imp.reports.records.into_iter().map(|(_, r)| r));
                }
            }
        }
        // The reports read back give the same figures. Without opening
        // balances (ORS in the second layout), the closing count of the
        // month before stands for them: the same from the second month on.
        let (l2, p2) = ledger(&back);
        for month in ["2026-01", "2026-02"] {
            let before: Vec<MonthFigures> = figures(&l, &p, month)
                .into_iter()
                .filter(|f| f.location != "FAC3")
                .collect();
            let after = figures(&l2, &p2, month);
            assert_eq!(after.len(), before.len());
            for (a, b) in after.iter().zip(&before) {
                if a.item == "ORS" && mapping.target("ORS", Metric::OpeningBalance).is_none() {
                    assert_eq!(
                        a.opening_balance,
                        if month == "2026-01" {
                            0.0
                        } else {
                            b.opening_balance
                        }
                    );
                    assert_eq!(
                        (a.stock_on_hand, a.consumption, a.received),
                        (b.stock_on_hand, b.consumption, b.received)
                    );
                } else {
                    assert_eq!(a, b);
                }
            }
        }
    }
}

/// The month the tests run in (their "now").
/// December 2026's last day: the month has ended.
fn now() -> i32 {
    equitas_ledger::calendar::parse_day("2026-12-31").unwrap()
}

#[test]
fn a_report_with_a_bad_value_is_rejected_whole_and_the_rest_imported() {
    let mapping = Mapping::parse(BY_COMBO).unwrap();
    let doc = r#"{"period": "202602", "orgUnit": "DiszpKrYNg8", "dataValues": [
  {"dataElement": "s46m5MS0hxu", "categoryOptionCombo": "J2Qf1jtZuj8", "value": "12"},
  {"dataElement": "s46m5MS0hxu", "categoryOptionCombo": "Gmbgme7z9BF", "value": "2"},
  {"dataElement": "s46m5MS0hxu", "categoryOptionCombo": "Gmbgme7z9BF", "value": "3"},
  {"dataElement": "dY4OCwl0Y7Y", "categoryOptionCombo": "J2Qf1jtZuj8", "value": "-1"},
  {"dataElement": "dY4OCwl0Y7Y", "categoryOptionCombo": "Gmbgme7z9BF", "value": "29"},
  {"dataElement": "dY4OCwl0Y7Y", "categoryOptionCombo": "J2Qf1jtZuj8", "value": "1", "orgUnit": "nowhere0000"},
  {"dataElement": "dY4OCwl0Y7Y", "categoryOptionCombo": "J2Qf1jtZuj8", "value": "1", "period": "2026Q1"},
  {"dataElement": "Uvn6LCg7dVU", "value": "1"},
  {"dataElement": "s46m5MS0hxu", "categoryOptionCombo": "J2Qf1jtZuj8", "value": "40", "orgUnit": "g8upMTyEZGZ"},
  {"dataElement": "s46m5MS0hxu", "categoryOptionCombo": "KPP63zJPkOu", "value": "NaN", "orgUnit": "g8upMTyEZGZ"},
  {"dataElement": "s46m5MS0hxu", "categoryOptionCombo": "Gmbgme7z9BF", "value": "0", "orgUnit": "g8upMTyEZGZ"},
  {"dataElement": "dY4OCwl0Y7Y", "categoryOptionCombo": "KPP63zJPkOu", "value": "6", "orgUnit": "g8upMTyEZGZ"},
  {"dataElement": "dY4OCwl0Y7Y", "categoryOptionCombo": "J2Qf1jtZuj8", "value": "30", "orgUnit": "g8upMTyEZGZ"},
  {"dataElement": "dY4OCwl0Y7Y", "categoryOptionCombo": "Gmbgme7z9BF", "value": "0", "orgUnit": "g8upMTyEZGZ"}
]}"#;
    let imp = dhis2::stock_reports(values::read(doc.as_bytes()).unwrap(), &mapping, now());
    let e: Vec<String> = imp.reports.errors.iter().map(|e| e.to_string()).collect();
    let amox = "the report of AMOX at DiszpKrYNg8 for 202602 is not imported: a report is taken whole, and line 4 of it was rejected";
    let fac2 = "the report of AMOX at g8upMTyEZGZ for 202602 is not imported: a report is taken whole, and line 11 of it was rejected";
    assert_eq!(
        e,
        [
            format!("line 2, field `value`: {amox}"),
            format!("line 3, field `value`: {amox}"),
            "line 4, field `value`: line 3 already gives stockout_days of AMOX at DiszpKrYNg8 for 202602".into(),
            "line 5, field `value`: \"-1\" (stock_on_hand) is not a non-negative number".into(),
            "line 6, field `value`: \"29\" (stockout_days) is not a whole number of days from 0 to 28".into(),
            "line 7, field `orgUnit`: \"nowhere0000\" is not an org unit of the mapping".into(),
            "line 8, field `period`: \"2026Q1\" is not a monthly period (YYYYMM)".into(),
            format!("line 10, field `value`: {fac2}"),
            "line 11, field `value`: \"NaN\" (consumption) is not a non-negative number".into(),
            format!("line 12, field `value`: {fac2}"),
        ]
    );
    // Only FAC2's ORS report, whole: none made of what was left of the others.
    assert_eq!(imp.reports.records.len(), 1);
    let r = &imp.reports.records[0].1;
    assert_eq!(
        (
            r.location.as_str(),
            r.item.as_str(),
            r.closing,
            r.dispensed,
            r.stockout_days
        ),
        ("FAC2", "ORS", Some(30.0), 6.0, 0)
    );
    assert!(
        imp.notes[0].starts_with("1 data value(s)"),
        "{:?}",
        imp.notes
    );
}

/// A data element that misspells one of the mapping is a figure of its
/// report, lost: the report is rejected, the element named with the one it
/// likely meant; an element the mapping has nothing like is noted by name.
#[test]
fn a_misspelt_data_element_rejects_its_report() {
    let mapping = Mapping::parse(PER_METRIC).unwrap();
    let csv = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n\
               AMOX_OB,202611,OU_FAC1,,,90\n\
               AMOX_REC,202611,OU_FAC1,,,0\n\
               AMOX_CONSO,202611,OU_FAC1,,,80\n\
               AMOX_SOH,202611,OU_FAC1,,,10\n\
               AMOX_SOD,202611,OU_FAC1,,,0\n\
               ORS_SOH,202611,OU_FAC1,,,5\n\
               ORS_SOD,202611,OU_FAC1,,,0\n\
               MALARIA_CASES,202611,OU_FAC1,,,7\n";
    let imp = dhis2::stock_reports(values::read(csv.as_bytes()).unwrap(), &mapping, now());
    let e: Vec<String> = imp.reports.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        e.contains(&"line 4, field `dataElement`: \"AMOX_CONSO\" is not a data element of the mapping: did you mean AMOX_CONS (consumption of AMOX)?".to_string()),
        "{e:?}"
    );
    // The rest of AMOX's report is rejected with it; ORS's is imported.
    assert!(
        e.iter()
            .any(|x| x.starts_with("line 2, field `value`: the report of AMOX")),
        "{e:?}"
    );
    let items: Vec<&str> = imp
        .reports
        .records
        .iter()
        .map(|r| r.1.item.as_str())
        .collect();
    assert_eq!(items, ["ORS"]);
    assert_eq!(
        imp.notes,
        [
            "1 data value(s) of data elements or combos not in the mapping, not imported: MALARIA_CASES (1)"
        ]
    );
}

#[test]
fn a_report_needs_its_stockout_days_a_figure_and_a_month_ended() {
    let mapping = Mapping::parse(PER_METRIC).unwrap();
    let csv = "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupd,comment
AMOX_SOD,202611,OU_FAC1,,,0,,,
AMOX_SOH,209901,OU_FAC1,,,7,,,
AMOX_SOD,209901,OU_FAC1,,,0,,,
AMOX_SOH,202702,OU_FAC1,,,0,,,
AMOX_SOD,202702,OU_FAC1,,,31,,,
ORS_SOH,202611,OU_FAC1,,,5,,,
ORS_SOH,202612,OU_FAC2,,,5,,,
ORS_SOD,202612,OU_FAC2,,,1,,,
";
    let imp = dhis2::stock_reports(values::read(csv.as_bytes()).unwrap(), &mapping, now());
    let e: Vec<String> = imp.reports.errors.iter().map(|e| e.to_string()).collect();
    let after = |p: &str| {
        format!(
            "field `period`: {p} is after this month (202612): a month is reported once it has ended (a typing error in the year?)"
        )
    };
    assert_eq!(
        e,
        [
            "line 2, field `value`: the report of AMOX at OU_FAC1 for 202611 gives only stockout_days: a stock report needs a figure of stock too (stock_on_hand, opening_balance, consumption, received or adjustments)".to_string(),
            format!("line 3, {}", after("209901")),
            format!("line 4, {}", after("209901")),
            format!("line 5, {}", after("202702")),
            format!("line 6, {}", after("202702")),
            "line 6, field `value`: \"31\" (stockout_days) is not a whole number of days from 0 to 28".into(),
            "line 7, field `value`: the report of ORS at OU_FAC1 for 202611 has no stockout_days: a stock report needs them (line 7 not imported)".into(),
        ]
    );
    assert_eq!(imp.reports.records.len(), 1);
    assert_eq!(imp.reports.records[0].1.location, "FAC2");
    // Before December's last day, its report would count stock at a date
    // still to come: refused, saying when it can be imported.
    let mid = equitas_ledger::calendar::parse_day("2026-12-07").unwrap();
    let imp = dhis2::stock_reports(values::read(csv.as_bytes()).unwrap(), &mapping, mid);
    assert!(imp.reports.records.is_empty());
    let e: Vec<String> = imp.reports.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        e.contains(&"line 8, field `period`: 202612 has not ended (today is 2026-12-07): a month is reported at its end, on 2026-12-31 or later".to_string()),
        "{e:?}"
    );
}

/// A value marked deleted in DHIS2 is no figure: left out, and counted in
/// the notes (it was imported as the month's figure).
#[test]
fn a_value_deleted_in_dhis2_is_not_imported() {
    let mapping = Mapping::parse(PER_METRIC).unwrap();
    let doc = r#"{"dataValues": [
  {"dataElement": "ORS_SOH", "period": "202611", "orgUnit": "OU_FAC2", "value": "999", "deleted": true},
  {"dataElement": "ORS_SOH", "period": "202611", "orgUnit": "OU_FAC2", "value": "5"},
  {"dataElement": "ORS_SOD", "period": "202611", "orgUnit": "OU_FAC2", "value": "1"}
]}"#;
    let imp = dhis2::stock_reports(values::read(doc.as_bytes()).unwrap(), &mapping, now());
    assert!(imp.reports.errors.is_empty(), "{:?}", imp.reports.errors);
    assert_eq!(imp.reports.records.len(), 1);
    assert_eq!(imp.reports.records[0].1.closing, Some(5.0));
    assert!(
        imp.notes
            .contains(&"1 data value(s) marked deleted in DHIS2, not imported".to_string()),
        "{:?}",
        imp.notes
    );
}
