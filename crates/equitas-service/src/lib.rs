//! The operations of Equitas, each one typed request with its parameters
//! described once (defaults, allowed values, meaning) and one function from
//! the store to a typed answer. The HTTP server serves them and the CLI runs
//! them from these descriptions, so that a default, a list of allowed values
//! or a path is written in one place; errors keep their kind
//! ([`ErrorKind`]) and are mapped once to problem details and once to exit
//! statuses.
//!
//! Adding an operation: a type implementing [`Operation`] (its endpoint, its
//! request from [`Args`], its run), listed in [`for_each_operation!`].

pub mod epcis;
pub mod error;
pub mod interop;
pub mod market;
pub mod op;
pub mod param;
pub mod planning;
pub mod region;
pub mod scenario;
pub mod stock;
pub mod subscriptions;
pub mod supply;
pub mod vocab;

pub use error::{ErrorKind, ServiceError};
pub use op::{Answer, Ctx, Described, Endpoint, Head, Needs, Operation, Scoping, run_within};
pub use param::{Args, Given, Kind, Param, Style, Surface};

use equitas_store::report;

/// `GET /api/v1/countries`: ISO codes, names, WHO region, income group.
pub struct Countries;

impl Operation for Countries {
    type Request = ();
    type Row = report::CountryRow;
    const NEEDS: Needs = Needs::Store;
    const SCOPING: Scoping = Scoping::Public;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/countries",
            "status",
            "Countries: ISO 3166 codes, names in English and French, WHO region, income group",
            "",
            vec![],
        )
    }

    fn request(_: &Args) -> Result<(), ServiceError> {
        Ok(())
    }

    fn run(ctx: &mut Ctx<'_>, _: &()) -> Result<Answer<Self::Row>, ServiceError> {
        Ok(Answer::new(Head::default(), report::countries(ctx.store)?))
    }
}

/// Calls `$m!(Type)` for every operation, in the order of the API's
/// documentation: the server routes them and the API description lists them
/// from this one list.
#[macro_export]
macro_rules! for_each_operation {
    ($m:ident) => {
        $m!($crate::Countries);
        $m!($crate::market::Products);
        $m!($crate::market::Prices);
        $m!($crate::market::Mpr);
        $m!($crate::market::PooledPrices);
        $m!($crate::market::Affordability);
        $m!($crate::market::Concentration);
        $m!($crate::market::Delivery);
        $m!($crate::market::Sources);
        $m!($crate::supply::Concentration);
        $m!($crate::supply::SupplyMap);
        $m!($crate::supply::QualifiedSources);
        $m!($crate::supply::SingleSource);
        $m!($crate::supply::Reach);
        $m!($crate::supply::Regional);
        $m!($crate::supply::Dependence);
        $m!($crate::supply::Match);
        $m!($crate::supply::Regulators);
        $m!($crate::supply::Licences);
        $m!($crate::stock::Stock);
        $m!($crate::stock::StockLots);
        $m!($crate::stock::StockProblems);
        $m!($crate::stock::Items);
        $m!($crate::stock::Locations);
        $m!($crate::stock::Availability);
        $m!($crate::planning::Forecast);
        $m!($crate::planning::ForecastAccuracy);
        $m!($crate::planning::Plan);
        $m!($crate::planning::LeadTimes);
        $m!($crate::planning::Pipeline);
        $m!($crate::planning::Risk);
        $m!($crate::scenario::Run);
        $m!($crate::scenario::Countries);
        $m!($crate::scenario::Projection);
        $m!($crate::scenario::Nodes);
        $m!($crate::scenario::Compare);
        $m!($crate::scenario::Allocation);
        $m!($crate::region::Publications);
        $m!($crate::region::PublicationFigures);
        $m!($crate::region::RegionStock);
    };
}

/// The endpoints of every operation, in the documentation's order.
pub fn operation_endpoints() -> Vec<Endpoint> {
    described().into_iter().map(|(e, _)| e).collect()
}

/// Writes the JSON Schema of an operation's rows into a generator (its
/// definitions), returning the reference to it.
pub type RowSchema = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// Every operation's endpoint with the schema of its rows, in the
/// documentation's order.
pub fn described() -> Vec<(Endpoint, RowSchema)> {
    let mut v: Vec<(Endpoint, RowSchema)> = Vec::new();
    macro_rules! push {
        ($t:ty) => {
            v.push((<$t as Operation>::endpoint(), |g| {
                g.subschema_for::<<$t as Operation>::Row>()
            }));
        };
    }
    for_each_operation!(push);
    v
}

/// Runs an operation from raw parameters, within the context's scope: what
/// the CLI and the server do.
pub fn call<O: Operation>(ctx: &mut Ctx<'_>, args: &Args) -> Result<Answer<O::Row>, ServiceError> {
    let request = O::request(args)?;
    run_within::<O>(ctx, &request)
}

/// Every operation's path with how it is scoped, in the documentation's order.
pub fn scopings() -> Vec<(&'static str, Scoping)> {
    let mut v = Vec::new();
    macro_rules! push {
        ($t:ty) => {
            v.push((
                <$t as Operation>::endpoint().path,
                <$t as Operation>::SCOPING,
            ));
        };
    }
    for_each_operation!(push);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every operation reads every parameter it documents (so none is
    /// documented and ignored), every documented default and allowed value
    /// is taken by its request, and an undocumented value is refused.
    #[test]
    fn requests_read_what_they_document_and_take_its_defaults_and_values() {
        fn check<O: Operation>() {
            let e = O::endpoint();
            let a = Args::cli(e.params.clone(), vec![]).unwrap();
            if let Err(err) = O::request(&a) {
                panic!("{}: the defaults are refused: {err}", e.path);
            }
            let read = a.read();
            for p in &e.params {
                if p.surface == Surface::Api {
                    continue; // paging, read by the server
                }
                assert!(read.contains(p.name), "{}: {} is not read", e.path, p.name);
                let values: &[&str] = match p.kind {
                    Kind::OneOf(v) | Kind::ListOf(v) | Kind::Words(v) => v,
                    _ => &[],
                };
                for v in values {
                    let a =
                        Args::cli(e.params.clone(), vec![(p.name, vec![v.to_string()])]).unwrap();
                    if let Err(err) = O::request(&a) {
                        panic!(
                            "{}: {}={v} is documented but refused: {err}",
                            e.path, p.name
                        );
                    }
                }
                if !values.is_empty() {
                    let bad = Args::cli(e.params.clone(), vec![(p.name, vec!["zzz".into()])]);
                    assert!(bad.is_err(), "{}: {}=zzz taken", e.path, p.name);
                }
            }
            // The API refuses the CLI's own options.
            for p in e.params.iter().filter(|p| p.surface == Surface::Cli) {
                let q: HashMap<String, String> = [(p.name.to_string(), "x".to_string())].into();
                assert!(
                    Args::api(e.params.clone(), &q).is_err(),
                    "{}: {}",
                    e.path,
                    p.name
                );
            }
        }
        macro_rules! each {
            ($t:ty) => {
                check::<$t>();
            };
        }
        for_each_operation!(each);
    }

    #[test]
    fn the_event_query_reads_every_parameter() {
        let a = Args::cli(epcis::query_params(), vec![]).unwrap();
        let q = epcis::query(&a).unwrap();
        assert_eq!(q.limit, 100);
        let read = a.read();
        for p in epcis::query_params() {
            assert!(read.contains(p.name), "{}", p.name);
        }
        let e = Args::cli(
            epcis::query_params(),
            vec![("EQ_bizStep", vec!["recieving".into()])],
        )
        .unwrap_err();
        assert_eq!(e.parameter(), Some("--biz-step"));
        assert!(e.to_string().contains("did you mean receiving"), "{e}");
        let a = Args::cli(
            epcis::query_params(),
            vec![("GE_eventTime", vec!["2026-01-31".into()])],
        )
        .unwrap();
        assert_eq!(
            epcis::query(&a).unwrap().from.as_deref(),
            Some("2026-01-31T00:00:00Z")
        );
    }
}
