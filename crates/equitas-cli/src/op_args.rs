//! The command-line options of an operation, made from its parameters'
//! descriptions (`equitas_service::Param`): the same names, defaults,
//! allowed values and help as the API's, read by the same parser.

use anyhow::{Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use equitas_service::{Answer, Args, Ctx, Described, Kind, Needs, Operation, Param, Surface};
use equitas_store::Store;
use equitas_store::stock::StockData;
use std::marker::PhantomData;

/// The options of operation `O` as given on the command line.
pub struct OpArgs<O> {
    given: Vec<(&'static str, Vec<String>)>,
    op: PhantomData<fn() -> O>,
}

impl<O> Clone for OpArgs<O> {
    fn clone(&self) -> Self {
        OpArgs {
            given: self.given.clone(),
            op: PhantomData,
        }
    }
}

impl<O> std::fmt::Debug for OpArgs<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpArgs")
            .field("given", &self.given)
            .finish()
    }
}

fn cli_params<O: Described>() -> Vec<Param> {
    O::params()
        .into_iter()
        .filter(|p| p.surface != Surface::Api)
        .collect()
}

fn value_name(k: Kind) -> &'static str {
    match k {
        Kind::Date | Kind::Day => "DATE",
        Kind::Month => "MONTH",
        Kind::DateTime => "TIME",
        Kind::Int { .. } => "N",
        Kind::Number { .. } => "NUMBER",
        Kind::Numbers => "NUMBERS",
        Kind::Range { .. } => "LOW,HIGH",
        Kind::OneOf(_) | Kind::ListOf(_) | Kind::Words(_) => "VALUE",
        Kind::Text | Kind::List | Kind::Bool => "VALUE",
    }
}

fn arg(p: &Param) -> Arg {
    // clap keeps option names for the life of the process.
    let long: &'static str = Box::leak(p.option().into_boxed_str());
    let mut help = p.help();
    match p.kind {
        Kind::OneOf(v) | Kind::ListOf(v) => help.push_str(&format!(" [values: {}]", v.join(", "))),
        Kind::Words(_) => help.push_str(" [a CBV word or a URI]"),
        _ => {}
    }
    if p.kind.is_list() {
        help.push_str(" Repeatable, or comma-separated.");
    }
    let a = Arg::new(p.name).long(long).help(help);
    match p.kind {
        Kind::Bool => a.action(ArgAction::SetTrue),
        k if k.is_list() => a.action(ArgAction::Append).value_name(value_name(k)),
        // Negative numbers are values (`--lead-time -1` is refused by the
        // parameter's check, naming it, not taken for an unknown option).
        k => a
            .action(ArgAction::Set)
            .value_name(value_name(k))
            .allow_negative_numbers(true),
    }
}

impl<O: Described> clap::Args for OpArgs<O> {
    fn augment_args(cmd: Command) -> Command {
        cmd.args(cli_params::<O>().iter().map(arg))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl<O: Described> clap::FromArgMatches for OpArgs<O> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given = Vec::new();
        for p in cli_params::<O>() {
            if p.kind == Kind::Bool {
                if m.get_flag(p.name) {
                    given.push((p.name, vec!["true".to_string()]));
                }
            } else if let Some(v) = m.get_many::<String>(p.name) {
                given.push((p.name, v.cloned().collect()));
            }
        }
        Ok(OpArgs {
            given,
            op: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<O: Described> OpArgs<O> {
    /// Gives parameter `name` the value `value` (an argument the command
    /// reads itself, such as a file's content), unless given already:
    /// false then.
    pub fn set(&mut self, name: &'static str, value: String) -> bool {
        if self.given.iter().any(|g| g.0 == name) {
            return false;
        }
        self.given.push((name, vec![value]));
        true
    }

    /// The parameters, checked (errors name the option: `--lead-time`).
    pub fn args(&self) -> Result<Args, equitas_service::ServiceError> {
        Args::cli(cli_params::<O>(), self.given.clone())
    }
}

/// The stock ledger of the store, with a spinner while it is built.
pub fn load_stock(store: &mut dyn Store) -> Result<StockData> {
    let bar = crate::progress::Bar::spinner("building the stock ledger");
    let data = equitas_store::stock::load(store).context("cannot read the stock data")?;
    bar.finish_and_clear();
    tracing::info!(
        movements = data.ledger.movement_count(),
        "stock ledger built"
    );
    Ok(data)
}

/// Runs operation `O` as the server would, from the options given; `busy`
/// names the work for a spinner.
pub fn run<O: Operation>(
    store: &mut dyn Store,
    given: &OpArgs<O>,
    busy: &str,
) -> Result<Answer<O::Row>> {
    let args = given.args()?;
    // A request's own checks (a lead-times file's supplier) name the
    // parameter by its API name, as the run's do.
    let request = O::request(&args).map_err(|e| args.as_caller_names(e))?;
    let data = match O::NEEDS {
        Needs::Stock => Some(load_stock(store)?),
        Needs::Store => None,
    };
    let bar = (!busy.is_empty()).then(|| crate::progress::Bar::spinner(busy));
    let answer = O::run(&mut Ctx::new(store, data.as_ref()), &request)
        .map_err(|e| args.as_caller_names(e))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(answer)
}
