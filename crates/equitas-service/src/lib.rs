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
pub mod market;
pub mod op;
pub mod param;
pub mod planning;
pub mod stock;
pub mod vocab;

pub use error::{ErrorKind, ServiceError};
pub use op::{Answer, Ctx, Endpoint, Head, Needs, Operation};
pub use param::{Args, Given, Kind, Param, Style, Surface};

use equitas_store::report;

/// `GET /api/v1/countries`: ISO codes, names, WHO region, income group.
pub struct Countries;

impl Operation for Countries {
    type Request = ();
    type Row = report::CountryRow;
    const NEEDS: Needs = Needs::Store;

    fn endpoint() -> Endpoint {
        Endpoint::list(
            "/api/v1/countries",
            "status",
            "Countries: ISO 3166 codes, names in English and French, WHO region, income group",
            "",
            vec![],
        )
        .rows("CountryRow")
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
        $m!($crate::market::Affordability);
        $m!($crate::market::Concentration);
        $m!($crate::market::Delivery);
        $m!($crate::market::Sources);
        $m!($crate::stock::Stock);
        $m!($crate::stock::StockLots);
        $m!($crate::stock::StockProblems);
        $m!($crate::stock::Items);
        $m!($crate::stock::Locations);
        $m!($crate::stock::Availability);
        $m!($crate::planning::Forecast);
        $m!($crate::planning::ForecastAccuracy);
        $m!($crate::planning::Plan);
        $m!($crate::planning::Risk);
    };
}

/// The endpoints of every operation, in the documentation's order.
pub fn operation_endpoints() -> Vec<Endpoint> {
    let mut v = Vec::new();
    macro_rules! push {
        ($t:ty) => {
            v.push(<$t as Operation>::endpoint());
        };
    }
    for_each_operation!(push);
    v
}

/// Runs an operation from raw parameters: what the CLI and the server do.
pub fn call<O: Operation>(ctx: &mut Ctx<'_>, args: &Args) -> Result<Answer<O::Row>, ServiceError> {
    let request = O::request(args)?;
    O::run(ctx, &request)
}
