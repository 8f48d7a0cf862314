//! An operation: one typed request, parsed from described parameters, and
//! one function from the store (and the stock ledger) to a typed answer.
//! The server serves each at its path; the CLI runs each as a command.

use crate::error::ServiceError;
use crate::param::{Args, Kind, Param};
use equitas_store::Store;
pub use equitas_store::auth::{Dim, Scope};
use equitas_store::stock::StockData;
use serde::Serialize;

/// What an operation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The store only (market figures, registers).
    Store,
    /// The stock ledger built from the store (the server keeps it cached).
    Stock,
}

/// How the API describes one route.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub method: &'static str,
    /// OpenAPI path (`{name}` for path parameters), as the server routes it.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// docs/formulas.md sections or other references.
    pub doc: &'static str,
    pub params: Vec<Param>,
    /// The success status and what it returns.
    pub ok: (u16, &'static str),
    /// Takes an EPCIS document or event as body.
    pub body: bool,
    /// Answers a page of rows (`offset` and `limit` are added).
    pub list: bool,
}

/// Rows to skip, for a page of a list (API only: the CLI prints every row).
pub const OFFSET: Param = Param::new(
    "offset",
    Kind::Int {
        min: 0,
        max: i32::MAX as i64,
    },
    "Rows to skip.",
)
.default("0")
.api_only();
/// Largest page.
pub const MAX_LIMIT: usize = 1000;
pub const LIMIT: Param = Param::new("limit", Kind::Int { min: 1, max: 1000 }, "Rows to return.")
    .default("100")
    .api_only();

impl Endpoint {
    /// A `GET` answering a page of rows.
    pub fn list(
        path: &'static str,
        tag: &'static str,
        summary: &'static str,
        doc: &'static str,
        mut params: Vec<Param>,
    ) -> Self {
        params.extend([OFFSET, LIMIT]);
        Endpoint {
            method: "get",
            path,
            tag,
            summary,
            doc,
            params,
            ok: (
                200,
                "A page of rows with the method behind them, the total and the paging.",
            ),
            body: false,
            list: true,
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.params.iter().map(|p| p.name).collect()
    }
}

/// What an answer's rows are and what is behind them; every field is
/// optional because operations state different things.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Head {
    /// How the figures were computed (docs/formulas.md sections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The delivery dates spanned (market figures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<equitas_market::analysis::Period>,
    /// Observations (procurement lines, authorisations) behind the result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<i64>,
    /// What the observations are, in the plural ("procurement lines").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<&'static str>,
    /// The day the stock figures are for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Movements behind the stock ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movements: Option<usize>,
    /// The day registers are read on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<chrono::NaiveDate>,
    /// Anything else an operation states (named by the operation).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Head {
    /// The name the answer gives the code of dimension `dim` (its `labels`),
    /// or the code itself.
    pub fn label<'a>(&'a self, dim: &str, code: &'a str) -> &'a str {
        self.extra
            .get("labels")
            .and_then(|l| l.get(dim))
            .and_then(|m| m.get(code))
            .and_then(serde_json::Value::as_str)
            .unwrap_or(code)
    }

    /// The method statement, or nothing.
    pub fn method_text(&self) -> String {
        self.method.clone().unwrap_or_default()
    }
}

/// An operation's answer: its rows, with what is behind them.
#[derive(Debug, Clone, Serialize)]
pub struct Answer<R> {
    #[serde(flatten)]
    pub head: Head,
    pub rows: Vec<R>,
    /// Remarks on the whole result (basket summaries...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl<R> Answer<R> {
    pub fn new(head: Head, rows: Vec<R>) -> Self {
        Answer {
            head,
            rows,
            notes: Vec::new(),
        }
    }
}

/// What an operation runs on.
pub struct Ctx<'a> {
    pub store: &'a mut dyn Store,
    stock: Option<&'a StockData>,
    /// The caller's scope for reading (everything for the CLI and a server
    /// without accounts).
    scope: Scope,
    /// The language codes are named in (`labels`; the API's
    /// `Accept-Language`; English for the CLI).
    pub lang: equitas_model::Lang,
}

impl<'a> Ctx<'a> {
    pub fn new(store: &'a mut dyn Store, stock: Option<&'a StockData>) -> Self {
        Ctx {
            store,
            stock,
            scope: Scope::All,
            lang: equitas_model::Lang::En,
        }
    }

    /// The same, naming codes in `lang`.
    pub fn in_lang(mut self, lang: equitas_model::Lang) -> Self {
        self.lang = lang;
        self
    }

    /// The same, answering within `scope` (see [`run_within`]).
    pub fn within(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The scope answers are kept within.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The stock ledger (given by the caller for operations that need it).
    pub fn stock(&self) -> Result<&'a StockData, ServiceError> {
        self.stock.ok_or_else(|| {
            ServiceError::Internal("this operation was run without the stock ledger".into())
        })
    }
}

/// How an operation's answer is kept within a caller's scope (issue 23,
/// docs/accounts.md), applied by [`run_within`] (and by [`keep_within`],
/// for an operation whose notes count or name its rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoping {
    /// Reference data, the same for every reader (countries, catalogues,
    /// public registers).
    Public,
    /// Rows are kept if within the scope by these fields (their JSON
    /// names, checked against the row's schema by a test).
    Rows(&'static [(Dim, &'static str)]),
    /// The operation reads only inputs within [`Ctx::scope`] (market
    /// figures: procurement lines by buying country and product).
    Inputs,
    /// One answer spanning every place and country: refused to a scoped
    /// caller. The default, so that a new operation leaks nothing.
    Unscoped,
}

/// One operation of Equitas, served at [`Operation::endpoint`]'s path and
/// run by a CLI command.
pub trait Operation: 'static {
    /// How its answers are kept within a caller's scope.
    const SCOPING: Scoping = Scoping::Unscoped;
    /// For an [`Scoping::Unscoped`] operation: why no part of its answer
    /// can be given within a scope (said in the refusal).
    const UNSCOPED_WHY: &'static str = "";
    /// The request, with every default applied and every value checked.
    type Request: Send + 'static;
    /// One row of the answer; its JSON Schema is the API's description of it.
    type Row: Serialize + schemars::JsonSchema + Send + 'static;
    const NEEDS: Needs;
    fn endpoint() -> Endpoint;
    /// The request from the parameters given.
    fn request(args: &Args) -> Result<Self::Request, ServiceError>;
    fn run(ctx: &mut Ctx<'_>, request: &Self::Request) -> Result<Answer<Self::Row>, ServiceError>;
}

/// Runs `O` within the context's scope: refused if the answer cannot be
/// scoped, its rows filtered if they can (the shared path of every answer).
pub fn run_within<O: Operation>(
    ctx: &mut Ctx<'_>,
    request: &O::Request,
) -> Result<Answer<O::Row>, ServiceError> {
    if ctx.scope.is_all() {
        return O::run(ctx, request);
    }
    match O::SCOPING {
        Scoping::Unscoped => Err(ServiceError::OutOfScope(format!(
            "{} spans every place and country{}, and your roles reach only {}",
            O::endpoint().path,
            if O::UNSCOPED_WHY.is_empty() {
                String::new()
            } else {
                format!(" ({})", O::UNSCOPED_WHY)
            },
            ctx.scope.label()
        ))),
        Scoping::Public | Scoping::Inputs => {
            let mut a = O::run(ctx, request)?;
            scoped_head(ctx, &mut a.head);
            Ok(a)
        }
        Scoping::Rows(keys) => {
            let mut a = O::run(ctx, request)?;
            scoped_head(ctx, &mut a.head);
            let scope = &ctx.scope;
            a.rows.retain(|r| row_within(r, keys, scope));
            a.notes
                .push(format!("Only rows within your scope: {}.", scope.label()));
            Ok(a)
        }
    }
}

/// Keeps `rows` within the caller's scope as [`run_within`] keeps them
/// after the operation: for an operation whose notes count or name its
/// rows, called before the notes are written, so that they tell a scoped
/// caller nothing of the rows it may not see (a user pass, 2026-12-07: a
/// district's officer read "326 of 361 rows" beside 20 rows, naming items
/// of other programmes).
pub fn keep_within<R: Serialize>(ctx: &Ctx<'_>, scoping: Scoping, rows: &mut Vec<R>) {
    if let Scoping::Rows(keys) = scoping
        && !ctx.scope.is_all()
    {
        rows.retain(|r| row_within(r, keys, &ctx.scope));
    }
}

/// The head's counts kept within the caller's scope: the movements behind
/// a stock answer are those at places and of items the caller may see.
fn scoped_head(ctx: &Ctx<'_>, head: &mut Head) {
    if let (Some(n), Some(data)) = (head.movements.as_mut(), ctx.stock) {
        *n = data.ledger.movement_count_of(|loc, item| {
            ctx.scope
                .allows(&[(Dim::Location, Some(loc)), (Dim::Product, Some(item))])
        });
    }
}

/// True if the row's `keys` fields are within `scope` (a row that cannot
/// be read is not).
fn row_within<R: Serialize>(row: &R, keys: &[(Dim, &str)], scope: &Scope) -> bool {
    let Ok(v) = serde_json::to_value(row) else {
        return false;
    };
    let values: Vec<(Dim, Option<&str>)> = keys
        .iter()
        .map(|(d, f)| (*d, v.get(*f).and_then(serde_json::Value::as_str)))
        .collect();
    scope.allows(&values)
}

/// The page `(offset, limit)` asked for, from an API request's parameters.
pub fn page(args: &Args) -> Result<(usize, usize), ServiceError> {
    Ok((args.value("offset")?, args.value("limit")?))
}

/// Anything whose parameters are described: every operation, and the
/// EPCIS event query (answered in EPCIS's own form, not as rows).
pub trait Described: 'static {
    fn params() -> Vec<Param>;
}

impl<O: Operation> Described for O {
    fn params() -> Vec<Param> {
        O::endpoint().params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field a scoped operation filters its rows by is a field of its
    /// rows: a misspelt one would keep no row (fail closed, but useless).
    #[test]
    fn scoped_rows_name_fields_of_their_rows() {
        let mut settings = schemars::generate::SchemaSettings::draft2020_12();
        settings.inline_subschemas = true;
        let mut g = settings.into_generator();
        let rows: std::collections::HashMap<&str, serde_json::Value> = crate::described()
            .into_iter()
            .map(|(e, row)| (e.path, row(&mut g).to_value()))
            .collect();
        let mut scoped = 0;
        for (path, s) in crate::scopings() {
            if let Scoping::Rows(keys) = s {
                for (_, field) in keys {
                    let props = &rows[path]["properties"];
                    assert!(
                        props.get(*field).is_some(),
                        "{path}: no field {field} in {props}"
                    );
                    scoped += 1;
                }
            }
        }
        assert!(scoped >= 10, "{scoped}");
    }

    /// A row is kept only if every field named is within the scope.
    #[test]
    fn rows_are_kept_within_the_scope() {
        use std::collections::HashSet;
        let area = equitas_store::auth::Area {
            locations: Some(HashSet::from(["R01".to_string()])),
            countries: None,
            products: Some(HashSet::from(["tld".to_string()])),
        };
        let scope = Scope::Within {
            areas: vec![area],
            label: "R01".into(),
        };
        let keys = [(Dim::Location, "location"), (Dim::Product, "item")];
        let row = |l: &str, i: Option<&str>| serde_json::json!({"location": l, "item": i});
        assert!(row_within(&row("R01", Some("tld")), &keys, &scope));
        assert!(!row_within(&row("R02", Some("tld")), &keys, &scope));
        assert!(!row_within(&row("R01", Some("act")), &keys, &scope));
        assert!(!row_within(&row("R01", None), &keys, &scope));
        assert!(row_within(&row("R02", None), &keys, &Scope::All));
    }
}
