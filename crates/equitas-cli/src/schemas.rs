//! Where GS1's EPCIS 2.0 schemas are (they are not shipped: docs/epcis.md),
//! for `epcis validate`, `epcis capture` and `serve`.

use crate::Cli;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Where the GS1 EPCIS 2.0 schemas are (GS1's, not shipped with Equitas;
/// docs/epcis.md).
#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// The GS1 EPCIS 2.0 JSON Schema file, to validate JSON documents.
    #[arg(long, env = "EQUITAS_EPCIS_SCHEMA", value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// The directory of the GS1 EPCIS 2.0 XSDs (EPCglobal-epcis-2_0.xsd and
    /// the files it imports), to validate XML documents.
    #[arg(long, env = "EQUITAS_EPCIS_XSD", value_name = "DIR")]
    pub xsd: Option<PathBuf>,
}

/// Where the EPCIS JSON Schema is: --schema / EQUITAS_EPCIS_SCHEMA, else
/// `schemas/EPCIS-JSON-Schema.json` in the data directory.
fn epcis_schema_path(cli: &Cli, given: Option<&Path>) -> Result<std::path::PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let p = schemas_dir(cli)?.join("EPCIS-JSON-Schema.json");
    if !p.exists() {
        bail!(
            "no EPCIS JSON Schema: give --schema FILE or set EQUITAS_EPCIS_SCHEMA, or put GS1's \
             EPCIS-JSON-Schema.json at {} (it is published with the EPCIS 2.0 standard)",
            p.display()
        );
    }
    Ok(p)
}

/// `schemas` in the data directory.
fn schemas_dir(cli: &Cli) -> Result<std::path::PathBuf> {
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("equitas"))
            .context("no data directory: give the schema's path")?,
    };
    Ok(dir.join("schemas"))
}

/// Where the EPCIS XSDs are: --xsd / EQUITAS_EPCIS_XSD, else `schemas/XSD`
/// in the data directory.
fn epcis_xsd_dir(cli: &Cli, given: Option<&Path>) -> Result<std::path::PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let p = schemas_dir(cli)?.join("XSD");
    if !p.join(equitas_epcis::xsd::MAIN_XSD).exists() {
        bail!(
            "no EPCIS XSDs: give --xsd DIR or set EQUITAS_EPCIS_XSD, or put GS1's EPCIS 2.0 XSD \
             files ({} and the files it imports) in {}",
            equitas_epcis::xsd::MAIN_XSD,
            p.display()
        );
    }
    Ok(p)
}

/// Reads and compiles the EPCIS JSON Schema at `path`.
pub fn epcis_validator(path: &Path) -> Result<equitas_epcis::validate::Validator> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    equitas_epcis::validate::Validator::new(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The GS1 schemas found, and why each one not found is missing.
pub struct FoundSchemas {
    pub schemas: equitas_epcis::validate::Schemas,
    json_missing: Option<anyhow::Error>,
    xsd_missing: Option<anyhow::Error>,
}

impl FoundSchemas {
    /// Why the GS1 schema of one binding (XML or JSON) is not applied and
    /// how to get it; `None` when it is loaded.
    pub fn missing_note(&self, xml: bool) -> Option<String> {
        let (missing, what) = if xml {
            (
                &self.xsd_missing,
                "XML documents are not validated against the GS1 XSDs",
            )
        } else {
            (
                &self.json_missing,
                "JSON documents are not validated against the GS1 JSON Schema",
            )
        };
        missing.as_ref().map(|e| format!("{what} ({e})"))
    }

    /// The schemas, after a note for each missing one (for `serve`, which
    /// takes documents in both bindings).
    pub fn noted(self) -> equitas_epcis::validate::Schemas {
        for xml in [false, true] {
            if let Some(note) = self.missing_note(xml) {
                eprintln!("note: {note}");
            }
        }
        self.schemas
    }
}

/// Loads the GS1 schemas: one given (or in the data directory) but unusable
/// is an error; one not given and not in the data directory is missing.
pub fn epcis_schemas(cli: &Cli, args: &SchemaArgs) -> Result<FoundSchemas> {
    let (mut json, mut json_missing) = (None, None);
    match epcis_schema_path(cli, args.schema.as_deref()) {
        Ok(p) => {
            tracing::info!("EPCIS JSON documents are validated against {}", p.display());
            json = Some(epcis_validator(&p)?);
        }
        Err(e) => json_missing = Some(e),
    }
    let (mut xsd, mut xsd_missing) = (None, None);
    match epcis_xsd_dir(cli, args.xsd.as_deref()) {
        Ok(d) => {
            tracing::info!("EPCIS XML documents are validated against {}", d.display());
            xsd = Some(equitas_epcis::xsd::XsdValidator::from_dir(&d)?);
        }
        Err(e) => xsd_missing = Some(e),
    }
    Ok(FoundSchemas {
        schemas: equitas_epcis::validate::Schemas { json, xsd },
        json_missing,
        xsd_missing,
    })
}
