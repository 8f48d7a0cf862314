//! Quantification: demand series from the stock ledger, forecasting models
//! written from their published definitions, automatic model choice by
//! rolling-origin evaluation, prediction intervals, supply plans and the
//! probability of stockouts (docs/formulas.md section 4).

pub mod accuracy;
pub mod metrics;
pub mod models;
pub mod optimize;
pub mod plan;
pub mod quantify;
pub mod select;
pub mod series;

pub use models::{Method, ModelParams};
