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
use equitas_ledger::calendar::{MonthIndex, format_month};
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
pub fn dhis2_export(
    store: &mut dyn Store,
    mapping: &Mapping,
    month: MonthIndex,
) -> Result<Dhis2Export, ServiceError> {
    let data = equitas_store::stock::load(store)?;
    has_stock(&data)?;
    let items: Vec<String> = mapping.products().into_iter().map(str::to_string).collect();
    let figures = dhis2::month_figures(&data.ledger, &data.places, &data.bands, month, &items);
    let (set, mut notes) = dhis2::data_values(&figures, mapping);
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
    let read = dhis2::stock_reports(values, mapping);
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
