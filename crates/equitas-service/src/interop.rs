//! Exchanges with other systems (issue 24): the store's data in their
//! formats and theirs into the store, the formats being
//! `equitas-interop`'s.
//!
//! DHIS2: a month's figures as a data value set; a data value set's
//! values imported as monthly stock reports, through the stock-report
//! import's own checks and transaction.

use crate::error::ServiceError;
use crate::stock::has_stock;
use equitas_interop::dhis2::{self, DataValueSet, Mapping, MonthFigures};
use equitas_ledger::calendar::{Day, MonthIndex, format_month};
use equitas_store::Store;
use equitas_store::import::{ImportError, ImportOptions, ImportReport, NoProgress};

/// A month's DHIS2 export: the figures, the data values they become, and
/// what the mapping left out.
pub struct Dhis2Export {
    pub figures: Vec<MonthFigures>,
    pub set: DataValueSet,
    pub notes: Vec<String>,
}

/// The figures of `month` for the mapping's products at every location
/// (those without an org unit are named in the notes), as data values.
/// A month not ended by this machine's clock (UTC) is refused
/// (`BadParameter` naming `month`): DHIS2 would keep a week's figures as
/// the month's, and imports refuse its reports likewise
/// (docs/formulas.md 3.10).
pub fn dhis2_export(
    store: &mut dyn Store,
    mapping: &Mapping,
    month: MonthIndex,
) -> Result<Dhis2Export, ServiceError> {
    dhis2_export_at(store, mapping, month, equitas_store::today())
}

/// [`dhis2_export`] on `today`.
pub fn dhis2_export_at(
    store: &mut dyn Store,
    mapping: &Mapping,
    month: MonthIndex,
    today: Day,
) -> Result<Dhis2Export, ServiceError> {
    if let Some(why) = equitas_ledger::report::period_not_ended(month, today, format_month) {
        return Err(ServiceError::BadParameter {
            param: "month".into(),
            reason: why,
        });
    }
    let data = equitas_store::stock::load(store)?;
    has_stock(&data)?;
    let items: Vec<String> = mapping.products().into_iter().map(str::to_string).collect();
    // Every item with stock, so that those the mapping leaves out are
    // named (docs/interop.md; until 2026-12-07 only the mapping's were
    // read, and a misspelt product key dropped its figures without a word).
    let held: std::collections::BTreeSet<&str> = data
        .ledger
        .item_keys()
        .map(|(_, i)| data.ledger.names.items.name(i))
        .collect();
    let mut figures = dhis2::month_figures(&data.ledger, &data.places, &data.bands, month, &[]);
    let (set, mut notes) = dhis2::data_values(&figures, mapping);
    figures.retain(|f| items.contains(&f.item));
    // The mapping's own keys that name nothing in the data: a product
    // without stock, an org unit keyed by no location.
    for (what, keys, known) in [
        (
            "product key(s) {} name no product with stock",
            items.iter().map(String::as_str).collect::<Vec<_>>(),
            held.iter().copied().collect::<Vec<_>>(),
        ),
        (
            "location key(s) {} name no location",
            mapping.locations().collect(),
            data.places.list.iter().map(|p| p.code.as_str()).collect(),
        ),
    ] {
        let unknown: Vec<String> = keys
            .iter()
            .filter(|k| !known.contains(k))
            .map(|k| {
                match equitas_model::suggest::did_you_mean(k, known.iter().map(|c| (*c, *c))) {
                    Some(g) => format!("{k} (did you mean {g}?)"),
                    None => k.to_string(),
                }
            })
            .collect();
        if !unknown.is_empty() {
            notes.push(format!(
                "the mapping's {} in the data: nothing exported for them",
                what.replace("{}", &unknown.join(", "))
            ));
        }
    }
    if figures.is_empty() {
        notes.push(format!(
            "no stock of the mapping's products ({}) in {} or before",
            items.join(", "),
            format_month(month)
        ));
    }
    Ok(Dhis2Export {
        figures,
        set,
        notes,
    })
}

/// Imports a data value set (JSON or CSV) as monthly stock reports.
pub fn dhis2_import(
    store: &mut dyn Store,
    source_name: &str,
    bytes: &[u8],
    mapping: &Mapping,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let values = dhis2::values::read(bytes)
        .map_err(|e| ImportError::Precondition(format!("{source_name}: {e}")))?;
    let read = dhis2::stock_reports(values, mapping, equitas_store::today());
    equitas_store::import::import_stock_reports(
        store,
        source_name,
        bytes,
        read.reports,
        read.notes,
        opts,
        &NoProgress,
    )
}

/// Why a FHIR Bundle (or resource) was not taken.
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// A bad resource: each issue names its element.
    #[error("{0}")]
    Outcome(equitas_interop::fhir::OperationOutcome),
    /// Refused before anything was written (by [`FhirWrite::check`]: the
    /// caller's scope); each issue names its element.
    #[error("{0}")]
    Refused(equitas_interop::fhir::OperationOutcome),
    #[error(transparent)]
    Store(#[from] equitas_store::StoreError),
}

/// What a FHIR import did.
pub struct FhirImport {
    pub read: equitas_interop::fhir::Read,
    /// The registry's Locations written to the hierarchy (`None`: there were none).
    pub locations: Option<ImportReport>,
    /// The registry's Organizations and the Locations' managing
    /// organisations written (`None`: there were none).
    pub registry: Option<equitas_store::registry::RegistryReport>,
    /// The product codings of ConceptMaps stored (`None`: there were none).
    pub codes: Option<equitas_store::repo::Tally>,
    /// The capture of the events the resources mean (`None`: they meant none).
    pub capture: Option<equitas_store::epcis::CaptureReport>,
}

/// The product code mapping held (codings of other systems to GTINs),
/// which every FHIR import reads (`equitas interop fhir codes`).
pub fn product_codes(store: &mut dyn Store) -> Result<equitas_interop::fhir::Codes, ServiceError> {
    let held = equitas_store::registry::product_codes(store)?;
    equitas_interop::fhir::Codes::from_entries(held.into_iter().map(|p| (p.system, p.code, p.gtin)))
        .map_err(|e| ServiceError::Internal(format!("the stored product code mapping: {e}")))
}

/// Stores a product code mapping (one transaction; `dry_run` rolls it
/// back): every FHIR import, from the CLI or the server, then reads it.
pub fn save_product_codes(
    store: &mut dyn Store,
    codes: &equitas_interop::fhir::Codes,
    dry_run: bool,
) -> Result<equitas_store::repo::Tally, ServiceError> {
    let rows: Vec<equitas_store::registry::ProductCode> = codes
        .entries()
        .into_iter()
        .map(|(system, code, gtin)| equitas_store::registry::ProductCode { system, code, gtin })
        .collect();
    Ok(equitas_store::registry::save_product_codes(
        store, &rows, dry_run,
    )?)
}

/// What a caller adds to a FHIR import (the server's accounts): a check
/// of what was read before anything is written, and what is written in
/// the capture's own transaction (its audit entry).
pub struct FhirWrite<'a> {
    /// An outcome refuses the whole request ([`FhirError::Refused`]).
    pub check: &'a dyn Fn(
        &equitas_interop::fhir::Read,
    ) -> Result<(), equitas_interop::fhir::OperationOutcome>,
    /// Called in the transaction of the movements' capture, before it
    /// commits (not called when the resources mean no movement).
    pub before_commit: equitas_store::epcis::BeforeCommit<'a>,
}

/// Reads a FHIR Bundle (or one resource) and captures the EPCIS events it
/// means, in one transaction, as `equitas epcis capture` does: the same
/// movements as their EPCIS equivalents, a resource sent twice a
/// duplicate. A Bundle with a bad resource writes nothing. Products coded
/// in other systems are found through the stored product code mapping,
/// `extra` taking precedence (the CLI's `--codes FILE`).
pub fn fhir_import(
    store: &mut dyn Store,
    source_name: &str,
    bytes: &[u8],
    extra: &equitas_interop::fhir::Codes,
) -> Result<FhirImport, FhirError> {
    fhir_import_with(
        store,
        source_name,
        bytes,
        extra,
        FhirWrite {
            check: &|_| Ok(()),
            before_commit: &mut |_, _| Ok(()),
        },
    )
}

/// [`fhir_import`], with `write`'s check before any write and its
/// `before_commit` in the capture's transaction.
pub fn fhir_import_with(
    store: &mut dyn Store,
    source_name: &str,
    bytes: &[u8],
    extra: &equitas_interop::fhir::Codes,
    write: FhirWrite<'_>,
) -> Result<FhirImport, FhirError> {
    use equitas_interop::fhir::{self, Issue, OperationOutcome};
    let (with, without): (Vec<_>, Vec<_>) = equitas_store::stock::places(store)?
        .into_iter()
        .partition(|p| p.gln.is_some());
    let glns = with
        .into_iter()
        .filter_map(|p| p.gln.map(|g| (p.code, g)))
        .collect();
    let without_gln = without.into_iter().map(|p| p.code).collect();
    let codes = product_codes(store)
        .map_err(|e| FhirError::Store(equitas_store::StoreError::Invalid(e.to_string())))?;
    let ctx = fhir::Context {
        codes: codes.merged(extra),
        pack_sizes: equitas_store::stock::pack_sizes(store)?,
        glns,
        without_gln,
        organizations: equitas_store::registry::organization_codes(store)?
            .into_iter()
            .collect(),
    };
    let read = fhir::read(bytes, &ctx).map_err(FhirError::Outcome)?;
    (write.check)(&read).map_err(FhirError::Refused)?;
    // Registry entries first, through the locations import (its checks,
    // its transaction; all or nothing), then the movements.
    let locations = if read.locations.is_empty() {
        None
    } else {
        let parsed = equitas_model::reference::Parsed {
            records: read
                .locations
                .iter()
                .enumerate()
                .map(|(i, (_, l))| (i as u64 + 1, l.clone()))
                .collect(),
            errors: Vec::new(),
            notes: Vec::new(),
        };
        let opts = ImportOptions {
            strict: true,
            dry_run: false,
        };
        match equitas_store::import::import_locations(
            store,
            source_name,
            bytes,
            parsed,
            opts,
            &NoProgress,
        ) {
            Ok(r) => Some(r),
            Err(ImportError::Strict { errors, .. }) => {
                let issues = errors
                    .iter()
                    .map(|e| {
                        let at = read
                            .locations
                            .get(e.line.saturating_sub(1) as usize)
                            .map_or("Location", |(p, _)| p.as_str());
                        let element = match e.field.as_deref() {
                            Some("country") => ".address.country",
                            Some("parent") => ".partOf",
                            Some("gln") => ".identifier",
                            Some("level") => ".type",
                            Some("name") => ".name",
                            _ => "",
                        };
                        Issue {
                            severity: "error".into(),
                            code: "business-rule".into(),
                            diagnostics: e.message.clone(),
                            expression: vec![format!("{at}{element}")],
                        }
                    })
                    .collect();
                return Err(FhirError::Outcome(OperationOutcome::new(issues)));
            }
            Err(ImportError::Store(e)) => return Err(FhirError::Store(e)),
            Err(e) => {
                return Err(FhirError::Outcome(OperationOutcome::new(vec![Issue {
                    severity: "error".into(),
                    code: "processing".into(),
                    diagnostics: e.to_string(),
                    expression: Vec::new(),
                }])));
            }
        }
    };
    // The registry's organisations and who manages each new location
    // (checked when read: parents and managers exist).
    let registry = if read.organizations.is_empty() && read.managed.is_empty() {
        None
    } else {
        let orgs: Vec<equitas_store::registry::Organization> = read
            .organizations
            .iter()
            .map(|(_, o)| equitas_store::registry::Organization {
                code: o.code.clone(),
                name: o.name.clone(),
                kind: o.kind.clone(),
                part_of: o.part_of.clone(),
                identifiers: o.identifiers.clone(),
            })
            .collect();
        let links: Vec<(String, String)> = read
            .managed
            .iter()
            .map(|(_, l, o)| (l.clone(), o.clone()))
            .collect();
        match equitas_store::registry::save(store, &orgs, &links) {
            Ok(r) => Some(r),
            Err(equitas_store::StoreError::Invalid(m)) => {
                return Err(FhirError::Outcome(OperationOutcome::new(vec![Issue {
                    severity: "error".into(),
                    code: "business-rule".into(),
                    diagnostics: m,
                    expression: Vec::new(),
                }])));
            }
            Err(e) => return Err(FhirError::Store(e)),
        }
    };
    // A ConceptMap's codings join the stored product code mapping.
    let codes = if read.codes.is_empty() {
        None
    } else {
        let rows: Vec<equitas_store::registry::ProductCode> = read
            .codes
            .iter()
            .map(
                |(system, code, gtin)| equitas_store::registry::ProductCode {
                    system: system.clone(),
                    code: code.clone(),
                    gtin: gtin.clone(),
                },
            )
            .collect();
        Some(equitas_store::registry::save_product_codes(
            store, &rows, false,
        )?)
    };
    if read.events.is_empty() {
        return Ok(FhirImport {
            read,
            locations,
            registry,
            codes,
            capture: None,
        });
    }
    let doc = read.epcis_document();
    // The events are made here: one refused is Equitas's fault, said as such.
    let internal = |why: String| {
        FhirError::Outcome(OperationOutcome::new(vec![Issue {
            severity: "fatal".into(),
            code: "exception".into(),
            diagnostics: format!("the EPCIS events made from the resources were refused: {why}"),
            expression: Vec::new(),
        }]))
    };
    let reader = equitas_epcis::EventReader::new(&doc).map_err(|e| internal(e.to_string()))?;
    let r = equitas_store::epcis::capture_then(
        store,
        source_name,
        &reader,
        Vec::new(),
        equitas_store::epcis::ErrorBehaviour::Rollback,
        &NoProgress,
        write.before_commit,
    )?;
    if r.rolled_back {
        return Err(
            refused_events(&read, &r.rejected).map_or_else(internal, |issues| {
                FhirError::Outcome(OperationOutcome::new(issues))
            }),
        );
    }
    Ok(FhirImport {
        read,
        locations,
        registry,
        codes,
        capture: Some(r),
    })
}

/// The events the capture refused, each as an issue at the element of the
/// resource it was made from: its time (`Bundle.entry[1].resource.whenHandedOver`,
/// an event dated after the capture), or the resource (sent before with
/// other content: a conflict of its eventID). `Err`: a refusal no element
/// explains (Equitas's fault), as text.
fn refused_events(
    read: &equitas_interop::fhir::Read,
    rejected: &[equitas_store::epcis::Rejected],
) -> Result<Vec<equitas_interop::fhir::Issue>, String> {
    let mut issues: Vec<equitas_interop::fhir::Issue> = Vec::new();
    let mut unexplained = Vec::new();
    for x in rejected {
        let Some(src) = read.event_sources.get(x.index) else {
            unexplained.push(format!("event {}: {}: {}", x.index, x.field, x.reason));
            continue;
        };
        let (code, expression, diagnostics) = match x.field.as_str() {
            "eventTime" => ("business-rule", src.time.clone(), x.reason.clone()),
            "eventID" => (
                "conflict",
                src.resource.clone(),
                format!(
                    "{} was sent before (in this Bundle or an earlier import) with other \
                     content: a resource sent again must be the same, a change to one already \
                     imported is not applied ({})",
                    src.identity, x.reason
                ),
            ),
            _ => {
                unexplained.push(format!("event {}: {}: {}", x.index, x.field, x.reason));
                continue;
            }
        };
        // One issue per element (a resource's several events share one).
        if issues
            .iter()
            .any(|i| i.expression.first() == Some(&expression))
        {
            continue;
        }
        issues.push(equitas_interop::fhir::Issue {
            severity: "error".into(),
            code: code.into(),
            diagnostics,
            expression: vec![expression],
        });
    }
    if unexplained.is_empty() {
        Ok(issues)
    } else {
        Err(unexplained.join("; "))
    }
}

/// Stock snapshots out: the Bundle, and why it holds none when it is
/// empty (as `equitas stock` says why it has no rows).
pub struct Snapshots {
    pub bundle: serde_json::Value,
    /// Set when the Bundle is empty: a day before the first movement, or
    /// no stock line at or below the place (within the caller's scope).
    pub note: Option<String>,
}

/// A stock snapshot (R5 InventoryReport) of each location at or below
/// `location` (a code or GLN) holding stock at the end of `as_of` (the
/// ledger's last day when `None`), in a Bundle of type `collection`: the
/// stock on hand of `equitas stock` for the same day and places. None
/// (a day before the data, a place without stock) is an empty Bundle and
/// a note saying why, as a search matching nothing (docs/interop.md).
pub fn fhir_inventory(
    store: &mut dyn Store,
    location: &str,
    as_of: Option<equitas_ledger::calendar::Day>,
) -> Result<Snapshots, ServiceError> {
    fhir_inventory_within(store, location, as_of, &equitas_store::auth::Scope::All)
}

/// [`fhir_inventory`] holding only the stock lines within `scope` (by
/// location and product, as the `stock` operation's rows are filtered).
pub fn fhir_inventory_within(
    store: &mut dyn Store,
    location: &str,
    as_of: Option<equitas_ledger::calendar::Day>,
    scope: &equitas_store::auth::Scope,
) -> Result<Snapshots, ServiceError> {
    use equitas_interop::fhir::{self, StockLine};
    use equitas_ledger::view::{self, StockQuery};
    use equitas_store::auth::Dim;
    let data = equitas_store::stock::load(store)?;
    has_stock(&data)?;
    let Some(place) = data.places.resolve(location) else {
        return Err(ServiceError::Unknown {
            param: "location".into(),
            reason: format!("{location:?} is not a known location code or GLN"),
        });
    };
    let as_of = as_of.or(data.ledger.through());
    let q = StockQuery {
        as_of,
        within: Some(place.code.clone()),
        ..StockQuery::default()
    };
    let rows = view::stock(&data.ledger, &data.places, &data.bands, &q);
    let day = as_of
        .map(equitas_ledger::calendar::format_day)
        .unwrap_or_default();
    let mut by_place: std::collections::BTreeMap<&str, Vec<StockLine>> = Default::default();
    for r in rows.iter().filter(|r| {
        scope.allows(&[
            (Dim::Location, Some(r.location.as_str())),
            (Dim::Product, Some(r.item.as_str())),
        ])
    }) {
        by_place.entry(&r.location).or_default().push(StockLine {
            product: r.item.clone(),
            name: r.item_name.clone(),
            quantity: r.stock_on_hand,
        });
    }
    let mut reports = Vec::new();
    for (code, lines) in by_place {
        let Some(p) = data.places.get(code) else {
            continue;
        };
        let rep = fhir::inventory_report(
            fhir::location_reference(&p.code, &p.name, p.gln.as_deref()),
            &day,
            &lines,
        );
        reports.push(serde_json::to_value(rep).map_err(|e| ServiceError::Internal(e.to_string()))?);
    }
    let note = reports.is_empty().then(|| {
        let before = as_of.zip(data.ledger.since()).filter(|(d, f)| d < f);
        match before {
            Some((d, first)) => format!(
                "no stock: {} is before the first movement ({}); the data runs from {} to {}",
                equitas_ledger::calendar::format_day(d),
                equitas_ledger::calendar::format_day(first),
                equitas_ledger::calendar::format_day(first),
                data.ledger
                    .through()
                    .map(equitas_ledger::calendar::format_day)
                    .unwrap_or_default()
            ),
            None => format!(
                "no stock: {} and the places below it hold no stock line at the end of {day}{}",
                place.code,
                if scope.is_all() {
                    ""
                } else {
                    " within your scope"
                }
            ),
        }
    });
    Ok(Snapshots {
        bundle: fhir::bundle(reports),
        note,
    })
}

/// The shipments from and receipts at `location` (a code or GLN) and the
/// places below it, from `from` to `to` (days, included), as R5
/// SupplyDeliveries (`in-progress` when shipped, `completed` when
/// received) in a Bundle of type `collection`: the issues and receipts
/// whose other end is known (EPCIS source and destination lists).
pub fn fhir_deliveries(
    store: &mut dyn Store,
    location: &str,
    from: equitas_ledger::calendar::Day,
    to: equitas_ledger::calendar::Day,
) -> Result<serde_json::Value, ServiceError> {
    use equitas_interop::fhir::{self, Delivery};
    use equitas_ledger::calendar::{day_of_ms, format_day};
    let data = equitas_store::stock::load(store)?;
    let Some(area) = data.places.resolve(location).map(|p| p.code.clone()) else {
        return Err(ServiceError::Unknown {
            param: "location".into(),
            reason: format!("{location:?} is not a known location code or GLN"),
        });
    };
    let within = |name: &str| {
        data.places
            .resolve(name)
            .is_some_and(|p| data.places.is_within(&p.code, &area))
    };
    let reference = |name: &str| match data.places.resolve(name) {
        Some(p) => fhir::location_reference(&p.code, &p.name, p.gln.as_deref()),
        None => {
            let gln = name
                .strip_prefix("https://id.gs1.org/414/")
                .and_then(|r| r.split('/').next());
            fhir::location_reference(name, name, gln)
        }
    };
    // Movements between two places: not receipts without a source (which
    // the transit matching reads too, 4.7).
    let mut legs = equitas_store::stock::transit_legs(store)?;
    legs.retain(|l| !l.from.is_empty());
    legs.sort_by_key(|l| (l.at, l.receipt));
    let mut out = Vec::new();
    for l in legs {
        let day = day_of_ms(l.at);
        let here = if l.receipt { &l.to } else { &l.from };
        if day < from || day > to || !within(here) {
            continue;
        }
        let d = fhir::supply_delivery(&Delivery {
            day: format_day(day),
            destination: reference(&l.to),
            item: l.item.clone(),
            quantity: l.quantity,
            received: l.receipt,
        });
        out.push(serde_json::to_value(d).map_err(|e| ServiceError::Internal(e.to_string()))?);
    }
    Ok(fhir::bundle(out))
}
