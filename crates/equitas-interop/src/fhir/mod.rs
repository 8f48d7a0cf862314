//! HL7 FHIR R5, following IHE Pharmacy "Supply of Products for
//! Healthcare" where it applies: resources read in become the EPCIS 2.0
//! events that mean the same movements, so that they reach the ledger by
//! the capture path every other movement takes (one transaction,
//! duplicates told apart); stock goes out as `InventoryReport` snapshots.
//!
//! In:
//! - `MedicationDispense` (status `completed`): a dispensing event at its
//!   `location`, when handed over (or prepared);
//! - `SupplyDelivery` (status `completed`): a receiving event at its
//!   `destination`, one quantity per supplied item (a coded item, or a
//!   Medication with its lot, as for dispenses);
//! - `InventoryReport`: `countType` `snapshot`, a cycle-counting event per
//!   listing, at its location; `difference`, the signed changes since the
//!   last count: decreases as dispensing (consumption), increases as
//!   receiving;
//! - `Location` with a level (a `type` coding of `urn:equitas:location-level`:
//!   region, district, facility, warehouse): an entry of the location
//!   hierarchy (the facility registry, as IHE mCSD), its code the
//!   `urn:equitas:location` identifier (else its id), its parent `partOf`,
//!   its country `address.country` (ISO 3166 alpha-3), its GLN and
//!   position; any Location of a Bundle resolves references to it.
//!
//! Products are named by a GTIN coding (system `https://www.gs1.org/gtin`
//! or `urn:oid:1.3.160`) or by a coding of another system that the code
//! mapping ([`Codes`]) sends to a GTIN. Locations by a GLN identifier
//! (`https://www.gs1.org/gln`), an Equitas location code
//! (`urn:equitas:location`, whose GLN the hierarchy gives), or a
//! reference to a `Location` of the Bundle carrying either.
//!
//! A resource with a bad element gives an [`OperationOutcome`] issue whose
//! expression names it (`Bundle.entry[2].resource.quantity.value`); a
//! Bundle with any bad resource is refused whole.
//!
//! Each event carries the identity of its resource (an `eventID` and a
//! `bizTransaction`, name-based UUIDs of its identifier, else its id within
//! its `meta.source`, else its `fullUrl`, else its content and rank in the
//! Bundle): the same resource sent again makes the same events (duplicates
//! on capture), two resources alike never do, and one sent again with other
//! content has the same eventID with another hash (a conflict).

pub mod types;

pub use types::{InventoryReport, Issue, OperationOutcome, SupplyDelivery};

use equitas_gs1::{Gln, Gtin};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use types::{CodeableConcept, Identifier, Quantity, Reference};

pub const GTIN_SYSTEMS: [&str; 2] = ["https://www.gs1.org/gtin", "urn:oid:1.3.160"];
pub const GLN_SYSTEM: &str = "https://www.gs1.org/gln";
/// Equitas's location codes as a FHIR identifier system.
pub const LOCATION_SYSTEM: &str = "urn:equitas:location";
/// Equitas's product codes as a FHIR code system.
pub const PRODUCT_SYSTEM: &str = "urn:equitas:product";
/// Location levels as a FHIR code system (Location.type).
pub const LEVEL_SYSTEM: &str = "urn:equitas:location-level";
/// Equitas's organisation codes (the facility registry's) as a FHIR
/// identifier system.
pub const ORGANIZATION_SYSTEM: &str = "urn:equitas:organization";

/// A code mapping: codings of other systems to GTINs (TOML:
/// `[[code]] system = "...", code = "...", gtin = "..."`).
#[derive(Debug, Clone, Default)]
pub struct Codes {
    map: HashMap<(String, String), String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    system: String,
    code: String,
    gtin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodes {
    #[serde(default)]
    code: Vec<RawCode>,
}

impl Codes {
    /// A mapping of (system, code) to GTINs, checked as [`Codes::parse`] does.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (String, String, String)>,
    ) -> Result<Codes, String> {
        let mut map = HashMap::new();
        for (i, (system, code, gtin)) in entries.into_iter().enumerate() {
            let g = Gtin::parse(&gtin).map_err(|e| format!("code[{i}].gtin: {gtin:?}: {e}"))?;
            map.insert((system, code), g.as_gtin14().to_string());
        }
        Ok(Codes { map })
    }

    /// The entries (system, code, GTIN-14), sorted.
    pub fn entries(&self) -> Vec<(String, String, String)> {
        let mut v: Vec<_> = self
            .map
            .iter()
            .map(|((s, c), g)| (s.clone(), c.clone(), g.clone()))
            .collect();
        v.sort();
        v
    }

    /// These entries, and those of `over` in their place where both map a coding.
    pub fn merged(&self, over: &Codes) -> Codes {
        let mut map = self.map.clone();
        map.extend(over.map.clone());
        Codes { map }
    }

    /// Reads a code mapping; an error names the entry (`code[2].gtin`).
    pub fn parse(text: &str) -> Result<Codes, String> {
        let raw: RawCodes = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, c) in raw.code.iter().enumerate() {
            if c.system.trim().is_empty() || c.code.trim().is_empty() {
                return Err(format!("code[{i}]: an empty system or code"));
            }
        }
        Codes::from_entries(raw.code.into_iter().map(|c| (c.system, c.code, c.gtin)))
    }
}

/// What reading needs from the store: the product code mapping, each
/// location code's GLN, the registry's organisation codes.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub codes: Codes,
    /// Units in a pack of each trade item (GTIN-14), where known: a
    /// quantity in units (tablets) is counted in packs by it.
    pub pack_sizes: HashMap<String, f64>,
    pub glns: HashMap<String, String>,
    /// Location codes of the hierarchy without a GLN (said so when a
    /// resource names one: movements are recorded at GLNs).
    pub without_gln: std::collections::HashSet<String>,
    pub organizations: std::collections::HashSet<String>,
}

/// An organisation of the facility registry (FHIR Organization, IHE mCSD).
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryOrganization {
    /// Its `urn:equitas:organization` identifier, else its id.
    pub code: String,
    pub name: String,
    /// The first coding of its first `type`, as `system|code` (or the text).
    pub kind: Option<String>,
    /// The parent organisation's code (`partOf`).
    pub part_of: Option<String>,
    /// Every identifier with a system and a value.
    pub identifiers: Vec<(String, String)>,
}

/// The resource an event was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSource {
    /// The resource's path: `Bundle.entry[1].resource`.
    pub resource: String,
    /// The element its time was read from: `Bundle.entry[1].resource.whenHandedOver`.
    pub time: String,
    /// The resource's identity as people read it: `MedicationDispense
    /// disp-1`, `MedicationDispense identifier urn:rx|RX-3`...
    pub identity: String,
}

/// A resource's identity, which its events carry (docs/interop.md, "FHIR
/// In"): the same resource sent again makes the same events (duplicates),
/// two resources never do, however alike.
#[derive(Debug, Clone, PartialEq)]
struct Identity {
    /// What the name is made of, unambiguous (a JSON array).
    name: String,
    /// As people read it.
    shown: String,
}

/// A name-based UUID (RFC 9562 version 8, from SHA-256) of `name`, as a URN.
fn name_uuid(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("equitas:fhir:{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The identity of a resource of type `kind`: its first business
/// identifier (system and value); else its id, within the sending system
/// its `meta.source` (or the Bundle's) names; else its entry's `fullUrl`;
/// else its content, and how many resources of the same content came
/// before it in the Bundle (`seen`).
fn identity(
    kind: &str,
    v: &Value,
    full_url: Option<&str>,
    bundle_source: Option<&str>,
    seen: &mut HashMap<String, usize>,
) -> Identity {
    fn text(x: Option<&Value>) -> Option<&str> {
        x.and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
    let name = |parts: &[&str]| serde_json::to_string(parts).unwrap_or_default();
    let identifier = v
        .get("identifier")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|i| Some((text(i.get("system")).unwrap_or(""), text(i.get("value"))?)));
    if let Some((system, value)) = identifier {
        return Identity {
            name: name(&[kind, "identifier", system, value]),
            shown: format!("{kind} identifier {system}|{value}"),
        };
    }
    if let Some(id) = text(v.get("id")) {
        let source = text(v.pointer("/meta/source"))
            .or(bundle_source)
            .unwrap_or("");
        return Identity {
            name: name(&[kind, "id", source, id]),
            shown: if source.is_empty() {
                format!("{kind} {id}")
            } else {
                format!("{kind} {id} of {source}")
            },
        };
    }
    if let Some(u) = full_url.map(str::trim).filter(|u| !u.is_empty()) {
        return Identity {
            name: name(&[kind, "fullUrl", u]),
            shown: format!("{kind} {u}"),
        };
    }
    use sha2::{Digest, Sha256};
    // serde_json's objects keep their keys sorted (its `preserve_order` is
    // off in this build): the same content gives the same text whatever
    // order its sender wrote it in (test
    // `a_resource_is_known_by_identifier_then_id_then_full_url_then_content`).
    let digest: String = Sha256::digest(v.to_string().as_bytes())
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    let n = seen.entry(digest.clone()).or_default();
    *n += 1;
    Identity {
        name: name(&[kind, "content", &digest, &n.to_string()]),
        shown: format!("{kind} without id, identifier or fullUrl"),
    }
}

/// What a Bundle (or one resource) meant.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// EPCIS 2.0 JSON events, in the order of the resources.
    pub events: Vec<Value>,
    /// The element naming each event's location (its `bizLocation`), as
    /// `events`: `Bundle.entry[0].resource.location`.
    pub event_paths: Vec<String>,
    /// Where each event comes from, as `events`: the resource, the element
    /// giving its time, and the resource's identity.
    pub event_sources: Vec<EventSource>,
    /// Resources read, by type.
    pub read: BTreeMap<String, usize>,
    /// Resources read that move no stock (a dispense not completed...), and why.
    pub notes: Vec<String>,
    /// Locations of the hierarchy (registry entries), with their paths.
    pub locations: Vec<(String, equitas_model::Location)>,
    /// Organisations of the registry, with their paths.
    pub organizations: Vec<(String, RegistryOrganization)>,
    /// The organisation managing a registry Location: (path of the
    /// Location, its code, the organisation's code).
    pub managed: Vec<(String, String, String)>,
    /// Product codings a ConceptMap sends to GTINs, for the stored
    /// product code mapping: (system, code, GTIN-14).
    pub codes: Vec<(String, String, String)>,
}

impl Read {
    /// The events as one EPCIS 2.0 JSON-LD document, created at the time
    /// of its first event (no clock is read here).
    pub fn epcis_document(&self) -> String {
        let created = self
            .events
            .first()
            .and_then(|e| e["eventTime"].as_str())
            .unwrap_or("1970-01-01T00:00:00Z");
        let doc = json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": created,
            "epcisBody": {"eventList": self.events},
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }
}

/// A number as quoted in a message: in full up to 1e15, else as 1e300.
fn number(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

const DISPENSE_STATUS: &[&str] = &[
    "preparation",
    "in-progress",
    "cancelled",
    "on-hold",
    "completed",
    "entered-in-error",
    "stopped",
    "declined",
    "unknown",
];
const DELIVERY_STATUS: &[&str] = &["in-progress", "completed", "abandoned", "entered-in-error"];
const INVENTORY_STATUS: &[&str] = &["draft", "requested", "active", "entered-in-error"];

fn issue(code: &str, path: &str, diagnostics: impl Into<String>) -> Issue {
    Issue {
        severity: "error".into(),
        code: code.into(),
        diagnostics: diagnostics.into(),
        expression: vec![path.to_string()],
    }
}

struct Reader<'a> {
    ctx: &'a Context,
    /// Bundle Locations: "Location/id" and fullUrl -> GLN (or the issue
    /// of not having one).
    locations: HashMap<String, Result<String, String>>,
    issues: Vec<Issue>,
    out: Read,
    /// Bundle Locations: "Location/id" and fullUrl -> location code.
    codes: HashMap<String, String>,
    /// Location code -> GLN: the hierarchy's and the Bundle's.
    glns: HashMap<String, String>,
    /// Bundle Medications: "Medication/id" and fullUrl -> the resource.
    medications: HashMap<String, Value>,
    /// Bundle Organizations: "Organization/id" and fullUrl -> code.
    organizations: HashMap<String, String>,
    /// The identity of the resource being read (its events carry it).
    identity: Option<Identity>,
    /// Resources passed over ([`PASSED_OVER`]), by type.
    passed_over: std::collections::BTreeMap<String, usize>,
}

/// An event's time: its eventTime, eventTimeZoneOffset and the element read.
#[derive(Debug, Clone)]
struct When {
    time: String,
    offset: String,
    path: String,
}

/// (eventTime, eventTimeZoneOffset) of a FHIR dateTime with a time zone,
/// or a date (midnight UTC).
fn event_time(v: &str) -> Option<(String, String)> {
    if v.len() == 10 {
        let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
        return Some((format!("{d}T00:00:00Z"), "+00:00".into()));
    }
    let t = chrono::DateTime::parse_from_rfc3339(v).ok()?;
    Some((t.to_rfc3339(), t.format("%:z").to_string()))
}

/// Why a location code gives no GLN: a place of the hierarchy without one,
/// or no such place (with the code it likely meant).
fn no_gln(
    code: &str,
    glns: &HashMap<String, String>,
    without: &std::collections::HashSet<String>,
) -> String {
    if without.contains(code) {
        return format!(
            "location {code:?} has no GLN in Equitas's hierarchy, and movements are recorded at GLNs: give it one (equitas import locations, column gln)"
        );
    }
    let known = glns
        .keys()
        .chain(without.iter())
        .map(|c| (c.as_str(), c.as_str()));
    match equitas_model::suggest::did_you_mean(code, known) {
        Some(g) => format!("no location {code:?} in Equitas's hierarchy: did you mean {g}?"),
        None => format!(
            "no location {code:?} in Equitas's hierarchy (equitas import locations adds places)"
        ),
    }
}

fn gln_of(
    ids: &[Identifier],
    glns: &HashMap<String, String>,
    without: &std::collections::HashSet<String>,
) -> Option<Result<String, String>> {
    for id in ids {
        let (Some(system), Some(value)) = (id.system.as_deref(), id.value.as_deref()) else {
            continue;
        };
        if system == GLN_SYSTEM {
            return Some(
                Gln::parse(value)
                    .map(|g| g.as_str().to_string())
                    .map_err(|e| format!("{value:?} is not a GLN: {e}")),
            );
        }
        if system == LOCATION_SYSTEM {
            return Some(
                glns.get(value)
                    .cloned()
                    .ok_or_else(|| no_gln(value, glns, without)),
            );
        }
    }
    None
}

/// An Organization's Equitas code: its `urn:equitas:organization`
/// identifier, else its id.
fn organization_code(o: &types::Organization) -> Option<String> {
    o.identifier
        .iter()
        .find(|i| i.system.as_deref() == Some(ORGANIZATION_SYSTEM))
        .and_then(|i| i.value.clone())
        .or_else(|| o.id.clone())
}

impl Reader<'_> {
    /// The code of the organisation a reference names: an Organization of
    /// the Bundle, or an organisation code the registry holds or the
    /// Bundle brings.
    fn organization_ref(&mut self, r: &Reference, path: &str) -> Option<String> {
        if let Some(id) = &r.identifier {
            let known = id.system.as_deref() == Some(ORGANIZATION_SYSTEM)
                && id.value.as_ref().is_some_and(|v| {
                    self.ctx.organizations.contains(v)
                        || self.organizations.values().any(|c| c == v)
                });
            if known {
                return id.value.clone();
            }
            self.issues.push(issue(
                "not-found",
                &format!("{path}.identifier"),
                format!(
                    "{:?} is not an organisation of the registry ({ORGANIZATION_SYSTEM}) nor of this Bundle",
                    id.value.as_deref().unwrap_or_default()
                ),
            ));
            return None;
        }
        let found = r
            .reference
            .as_ref()
            .and_then(|x| self.organizations.get(x).cloned());
        if found.is_none() {
            self.issues.push(issue(
                "not-found",
                &format!("{path}.reference"),
                format!(
                    "{:?} is not an Organization of this Bundle",
                    r.reference.as_deref().unwrap_or_default()
                ),
            ));
        }
        found
    }

    /// A ConceptMap whose groups map another system's codes to GTINs
    /// (`group.target` a GTIN system) becomes entries of the product code
    /// mapping: each element's code, to its target's code (relationship
    /// `equivalent` or `source-is-narrower-than-target`, or none given).
    fn concept_map(&mut self, v: &Value, path: &str) {
        let n = self.issues.len();
        let mut found = Vec::new();
        let groups = v.get("group").and_then(Value::as_array);
        if groups.is_none_or(|g| g.is_empty()) {
            self.issues.push(issue(
                "required",
                &format!("{path}.group"),
                "a ConceptMap of product codes needs a group (source: the system, target: https://www.gs1.org/gtin)",
            ));
        }
        for (i, g) in groups.into_iter().flatten().enumerate() {
            let gp = format!("{path}.group[{i}]");
            let source = g.get("source").and_then(Value::as_str).map(str::trim);
            let target = g.get("target").and_then(Value::as_str);
            let Some(source) = source.filter(|s| !s.is_empty()) else {
                self.issues.push(issue(
                    "required",
                    &format!("{gp}.source"),
                    "the system of the codes mapped",
                ));
                continue;
            };
            if !target.is_some_and(|t| GTIN_SYSTEMS.contains(&t)) {
                self.issues.push(issue(
                    "not-supported",
                    &format!("{gp}.target"),
                    format!(
                        "{target:?}: codes are mapped to GTINs ({})",
                        GTIN_SYSTEMS[0]
                    ),
                ));
                continue;
            }
            let elements = g.get("element").and_then(Value::as_array);
            for (j, e) in elements.into_iter().flatten().enumerate() {
                let ep = format!("{gp}.element[{j}]");
                let Some(code) = e
                    .get("code")
                    .and_then(Value::as_str)
                    .filter(|c| !c.trim().is_empty())
                else {
                    self.issues.push(issue(
                        "required",
                        &format!("{ep}.code"),
                        "required element is missing",
                    ));
                    continue;
                };
                let targets: Vec<&Value> = e
                    .get("target")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|t| {
                        matches!(
                            t.get("relationship").and_then(Value::as_str),
                            None | Some("equivalent") | Some("source-is-narrower-than-target")
                        )
                    })
                    .collect();
                if targets.len() != 1 {
                    self.issues.push(issue(
                        "value",
                        &format!("{ep}.target"),
                        format!(
                            "{} equivalent target(s): a code names one GTIN",
                            targets.len()
                        ),
                    ));
                    continue;
                }
                let gtin = targets[0]
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                match Gtin::parse(gtin) {
                    Ok(g) => found.push((
                        source.to_string(),
                        code.to_string(),
                        g.as_gtin14().to_string(),
                    )),
                    Err(e) => self.issues.push(issue(
                        "value",
                        &format!("{ep}.target[0].code"),
                        format!("{gtin:?} is not a GTIN: {e}"),
                    )),
                }
            }
        }
        if self.issues.len() == n {
            self.out.codes.extend(found);
        }
    }

    /// An Organization becomes an organisation of the registry.
    fn registry_organization(&mut self, o: &types::Organization, path: &str) {
        let n = self.issues.len();
        let code = organization_code(o);
        if code.is_none() {
            self.issues.push(issue(
                "required",
                &format!("{path}.identifier"),
                format!(
                    "an organisation needs its code ({ORGANIZATION_SYSTEM} identifier) or an id"
                ),
            ));
        }
        let name = self.need(o.name.as_ref(), &format!("{path}.name")).cloned();
        let kind = o.kind.first().and_then(|t| {
            t.coding
                .iter()
                .find_map(|c| {
                    c.code.as_ref().map(|code| match &c.system {
                        Some(s) => format!("{s}|{code}"),
                        None => code.clone(),
                    })
                })
                .or_else(|| t.text.clone())
        });
        let part_of = match &o.part_of {
            None => None,
            Some(r) => self.organization_ref(r, &format!("{path}.partOf")),
        };
        if part_of.is_some() && part_of == code {
            self.issues.push(issue(
                "value",
                &format!("{path}.partOf"),
                "an organisation is not part of itself",
            ));
        }
        let identifiers = o
            .identifier
            .iter()
            .filter_map(|i| Some((i.system.clone()?, i.value.clone()?)))
            .collect();
        if let (Some(code), Some(name)) = (code, name)
            && self.issues.len() == n
        {
            self.out.organizations.push((
                path.to_string(),
                RegistryOrganization {
                    code,
                    name,
                    kind,
                    part_of,
                    identifiers,
                },
            ));
        }
    }

    /// A Location is one place: an issue at the first identifier naming
    /// another place than those before it (two location codes, two GLNs,
    /// or a code and a GLN the hierarchy gives to different places; a
    /// registry entry may give its place a new GLN).
    fn one_place(&mut self, l: &types::Location, path: &str) {
        let registry = l.kind.iter().any(|t| {
            t.coding
                .iter()
                .any(|c| c.system.as_deref() == Some(LEVEL_SYSTEM))
        });
        let owner = |gln: &str| {
            self.ctx
                .glns
                .iter()
                .find(|(_, g)| g.as_str() == gln)
                .map(|(c, _)| c.clone())
        };
        // The first location code and the first GLN, with their indexes.
        let mut code: Option<(usize, String)> = None;
        let mut gln: Option<(usize, String)> = None;
        for (i, id) in l.identifier.iter().enumerate() {
            let Some(value) = id.value.as_deref().map(str::trim) else {
                continue;
            };
            let at = format!("{path}.identifier[{i}]");
            let clash = match id.system.as_deref() {
                Some(LOCATION_SYSTEM) => {
                    let clash = match (&code, &gln) {
                        (Some((j, c)), _) if c != value => Some(format!(
                            "location code {value:?}, and identifier[{j}] names location {c:?}"
                        )),
                        (_, Some((j, g))) => {
                            let held = self.ctx.glns.get(value);
                            match owner(g) {
                                Some(o) if o != value => Some(format!(
                                    "location {value:?}, and identifier[{j}] gives GLN {g}, which is location {o:?}'s"
                                )),
                                _ if !registry && held.is_some_and(|h| h != g) => Some(format!(
                                    "location {value:?}, whose GLN is {}, and identifier[{j}] gives GLN {g}",
                                    held.map_or("", String::as_str)
                                )),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    code.get_or_insert((i, value.to_string()));
                    clash
                }
                Some(GLN_SYSTEM) => {
                    let Ok(g) = Gln::parse(value) else {
                        continue;
                    };
                    let g = g.as_str().to_string();
                    let clash = match (&gln, &code) {
                        (Some((j, other)), _) if *other != g => {
                            Some(format!("GLN {g}, and identifier[{j}] gives GLN {other}"))
                        }
                        (_, Some((j, c))) => {
                            let held = self.ctx.glns.get(c);
                            match owner(&g) {
                                Some(o) if &o != c => Some(format!(
                                    "GLN {g}, location {o:?}'s, and identifier[{j}] names location {c:?}"
                                )),
                                _ if !registry && held.is_some_and(|h| *h != g) => Some(format!(
                                    "GLN {g}, and identifier[{j}] names location {c:?}, whose GLN is {}",
                                    held.map_or("", String::as_str)
                                )),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    gln.get_or_insert((i, g));
                    clash
                }
                _ => None,
            };
            if let Some(why) = clash {
                self.issues.push(issue(
                    "value",
                    &at,
                    format!("{why}: a Location's identifiers name one place"),
                ));
                return;
            }
        }
    }

    /// A Location with a level becomes an entry of the hierarchy.
    fn registry_entry(&mut self, l: &types::Location, path: &str) {
        let level = l.kind.iter().enumerate().find_map(|(i, t)| {
            t.coding.iter().enumerate().find_map(|(j, c)| {
                (c.system.as_deref() == Some(LEVEL_SYSTEM))
                    .then(|| (format!("{path}.type[{i}].coding[{j}].code"), c.code.clone()))
            })
        });
        let Some((level_path, level)) = level else {
            return;
        };
        let n = self.issues.len();
        let level = match level
            .as_deref()
            .map(str::parse::<equitas_model::LocationLevel>)
        {
            Some(Ok(v)) => Some(v),
            _ => {
                self.issues.push(issue(
                    "value",
                    &level_path,
                    format!("{level:?} is not a level (region, district, facility, warehouse)"),
                ));
                None
            }
        };
        let code = location_code(l);
        if code.is_none() {
            self.issues.push(issue(
                "required",
                &format!("{path}.identifier"),
                format!("a registry entry needs its code ({LOCATION_SYSTEM} identifier) or an id"),
            ));
        }
        let name = self.need(l.name.as_ref(), &format!("{path}.name")).cloned();
        let country = l.address.as_ref().and_then(|a| a.country.clone());
        let country = match country {
            Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c),
            other => {
                self.issues.push(issue(
                    "value",
                    &format!("{path}.address.country"),
                    format!("{other:?}: the country as ISO 3166-1 alpha-3 (e.g. BEL)"),
                ));
                None
            }
        };
        let parent = match &l.part_of {
            None => None,
            Some(r) => {
                let code = r
                    .identifier
                    .as_ref()
                    .filter(|i| i.system.as_deref() == Some(LOCATION_SYSTEM))
                    .and_then(|i| i.value.clone())
                    .or_else(|| {
                        r.reference
                            .as_ref()
                            .and_then(|x| self.codes.get(x).cloned())
                    });
                if code.is_none() {
                    self.issues.push(issue(
                        "not-found",
                        &format!("{path}.partOf"),
                        "the parent is a Location of this Bundle or a location code (urn:equitas:location)",
                    ));
                }
                code
            }
        };
        let mut gln = None;
        for (i, id) in l.identifier.iter().enumerate() {
            if id.system.as_deref() == Some(GLN_SYSTEM) {
                match id.value.as_deref().map(Gln::parse) {
                    Some(Ok(g)) => gln = Some(g),
                    _ => self.issues.push(issue(
                        "value",
                        &format!("{path}.identifier[{i}].value"),
                        format!("{:?} is not a GLN", id.value),
                    )),
                }
            }
        }
        let manager = match &l.managing_organization {
            None => None,
            Some(r) => self.organization_ref(r, &format!("{path}.managingOrganization")),
        };
        if let (Some(level), Some(code), Some(name), Some(country)) = (level, code, name, country)
            && self.issues.len() == n
        {
            if let Some(org) = manager {
                self.out.managed.push((path.to_string(), code.clone(), org));
            }
            self.out.locations.push((
                path.to_string(),
                equitas_model::Location {
                    code,
                    name,
                    level,
                    parent,
                    country,
                    gln,
                    latitude: l.position.as_ref().and_then(|p| p.latitude),
                    longitude: l.position.as_ref().and_then(|p| p.longitude),
                },
            ));
        }
    }

    /// The product (and lot, as `GTIN/10/LOT`) of a Medication referred
    /// to: contained in `resource` (`#id`) or an entry of the Bundle; its
    /// `code` names the product, its `batch.lotNumber` the lot.
    fn medication(&mut self, r: &Reference, resource: &Value, path: &str) -> Option<String> {
        let target = r.reference.as_deref().unwrap_or("");
        let found = match target.strip_prefix('#') {
            Some(id) => resource
                .get("contained")
                .and_then(Value::as_array)
                .and_then(|c| {
                    c.iter()
                        .find(|m| m.get("id").and_then(Value::as_str) == Some(id))
                })
                .cloned(),
            None => self.medications.get(target).cloned(),
        };
        let Some(m) =
            found.filter(|m| m.get("resourceType").and_then(Value::as_str) == Some("Medication"))
        else {
            self.issues.push(issue(
                "not-found",
                &format!("{path}.reference"),
                format!(
                    "{target:?} is not a Medication contained in the resource or in the Bundle"
                ),
            ));
            return None;
        };
        let code = m
            .get("code")
            .and_then(|c| CodeableConcept::deserialize(c).ok());
        let gtin = self.product(code.as_ref(), &format!("{path}.resolve().code"))?;
        match m.pointer("/batch/lotNumber") {
            None => Some(gtin),
            Some(Value::String(lot)) if !lot.trim().is_empty() => {
                Some(format!("{gtin}/10/{}", percent_encode(lot.trim())))
            }
            Some(other) => {
                self.issues.push(issue(
                    "value",
                    &format!("{path}.resolve().batch.lotNumber"),
                    format!("{other} is not a lot number"),
                ));
                None
            }
        }
    }

    fn need<'v, T>(&mut self, v: Option<&'v T>, path: &str) -> Option<&'v T> {
        if v.is_none() {
            self.issues
                .push(issue("required", path, "required element is missing"));
        }
        v
    }

    fn location(&mut self, r: Option<&Reference>, path: &str) -> Option<String> {
        let r = self.need(r, path)?;
        if let Some(id) = &r.identifier {
            return match gln_of(std::slice::from_ref(id), &self.glns, &self.ctx.without_gln) {
                Some(Ok(g)) => Some(g),
                Some(Err(e)) => {
                    self.issues
                        .push(issue("not-found", &format!("{path}.identifier"), e));
                    None
                }
                None => {
                    self.issues.push(issue(
                        "not-supported",
                        &format!("{path}.identifier.system"),
                        format!("a location is identified by a GLN ({GLN_SYSTEM}) or a location code ({LOCATION_SYSTEM})"),
                    ));
                    None
                }
            };
        }
        let Some(target) = &r.reference else {
            self.issues.push(issue(
                "required",
                path,
                "a location reference needs a reference or an identifier",
            ));
            return None;
        };
        match self.locations.get(target) {
            Some(Ok(g)) => Some(g.clone()),
            Some(Err(e)) => {
                self.issues
                    .push(issue("not-found", &format!("{path}.reference"), e.clone()));
                None
            }
            None => {
                self.issues.push(issue(
                    "not-found",
                    &format!("{path}.reference"),
                    format!("{target:?} is not a Location of this Bundle"),
                ));
                None
            }
        }
    }

    fn product(&mut self, c: Option<&CodeableConcept>, path: &str) -> Option<String> {
        let c = self.need(c, path)?;
        for (i, coding) in c.coding.iter().enumerate() {
            let (Some(system), Some(code)) = (coding.system.as_deref(), coding.code.as_deref())
            else {
                continue;
            };
            if GTIN_SYSTEMS.contains(&system) {
                return match Gtin::parse(code) {
                    Ok(g) => Some(g.as_gtin14().to_string()),
                    Err(e) => {
                        self.issues.push(issue(
                            "value",
                            &format!("{path}.coding[{i}].code"),
                            format!("{code:?} is not a GTIN: {e}"),
                        ));
                        None
                    }
                };
            }
            if let Some(g) = self
                .ctx
                .codes
                .map
                .get(&(system.to_string(), code.to_string()))
            {
                return Some(g.clone());
            }
        }
        self.issues.push(issue(
            "not-found",
            &format!("{path}.coding"),
            "no coding with a GTIN (system https://www.gs1.org/gtin) nor one the code mapping knows",
        ));
        None
    }

    fn quantity(&mut self, q: Option<&Quantity>, path: &str) -> Option<f64> {
        let q = self.need(q, path)?;
        let v = self.need(q.value.as_ref(), &format!("{path}.value"))?;
        if !(v.is_finite() && *v > 0.0 && *v <= equitas_ledger::movement::MAX_QUANTITY) {
            self.issues.push(issue(
                "value",
                &format!("{path}.value"),
                format!("{} is not a positive quantity of at most 1e9", number(*v)),
            ));
            return None;
        }
        Some(*v)
    }

    /// `v`, the value of quantity `q` of trade item `gtin`, in packs, as
    /// an EPCIS quantity of the trade item counts (the ledger then counts
    /// the product's units by its pack size, docs/formulas.md 3.1): a
    /// quantity without a unit, or whose `unit` or `code` is a pack word,
    /// as it is; one whose unit is a unit of the product (tablet, capsule,
    /// dose, mL, test) divided by the trade item's pack size, refused
    /// naming the unit where that is not known; any other unit (`vial`,
    /// `bottle`, UCUM's `1`: how many of the product's units they hold is
    /// not known) refused, naming it. Until 2026-12-07 the unit was not
    /// read: 60 tablets were 60 packs.
    fn in_packs(&mut self, q: Option<&Quantity>, gtin: &str, v: f64, path: &str) -> Option<f64> {
        let words: Vec<&str> = q
            .map(|q| [q.unit.as_deref(), q.code.as_deref()])
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        if words.is_empty() || words.iter().any(|u| unit_kind(u) == UnitKind::Pack) {
            return Some(v);
        }
        let shown = words.join(" / ");
        if !words.iter().any(|u| unit_kind(u) == UnitKind::ProductUnit) {
            self.issues.push(issue(
                "value",
                &format!("{path}.unit"),
                format!(
                    "{v} {shown:?}: neither packs (pack, box, package) nor units of the product (tablet, capsule, dose, mL, test), so it cannot be counted (send the quantity in packs)"
                ),
            ));
            return None;
        }
        match self.ctx.pack_sizes.get(gtin).filter(|s| **s > 0.0) {
            Some(size) => Some(v / size),
            None => {
                self.issues.push(issue(
                    "value",
                    &format!("{path}.unit"),
                    format!(
                        "{v} {shown:?}: not packs, and the pack size of trade item {gtin} is not known, so it cannot be counted in packs (send the quantity in packs, or import the product's gtin with its pack_size)"
                    ),
                ));
                None
            }
        }
    }

    fn time(&mut self, v: Option<&String>, path: &str) -> Option<When> {
        let v = self.need(v, path)?;
        let t = event_time(v);
        if t.is_none() {
            self.issues.push(issue(
                "value",
                path,
                format!("{v:?} is not a date or a dateTime with a time zone"),
            ));
        }
        t.map(|(time, offset)| When {
            time,
            offset,
            path: path.to_string(),
        })
    }

    /// Whether a resource's status moves stock; a status outside the
    /// resource's required code list (`codes`) is an error.
    fn status(
        &mut self,
        s: Option<&String>,
        path: &str,
        (moves, codes): (&[&str], &[&str]),
        what: &str,
    ) -> bool {
        let Some(s) = self.need(s, path) else {
            return false;
        };
        if moves.contains(&s.as_str()) {
            return true;
        }
        if !codes.contains(&s.as_str()) {
            self.issues.push(issue(
                "code-invalid",
                path,
                format!(
                    "{:?} is not a status of {what} (FHIR R5: {})",
                    equitas_model::clip(s),
                    codes.join(", ")
                ),
            ));
            return false;
        }
        self.out.notes.push(format!(
            "{path} is {s:?}: {what} moves stock only when {}",
            moves.join(" or ")
        ));
        false
    }

    /// An event of the resource being read: `part` tells its events apart
    /// (`""` for the only one), `at` is the element naming its location.
    fn event(
        &mut self,
        step: &str,
        when: When,
        gln: String,
        lines: Vec<(String, f64)>,
        at: &str,
        part: &str,
    ) {
        let resource = at
            .find(".resource.")
            .map_or_else(
                || at.split('.').next().unwrap_or(at),
                |i| &at[..i + ".resource".len()],
            )
            .to_string();
        let identity = self.identity.clone().unwrap_or_else(|| Identity {
            name: resource.clone(),
            shown: resource.clone(),
        });
        self.out.event_paths.push(at.to_string());
        self.out.event_sources.push(EventSource {
            resource,
            time: when.path,
            identity: identity.shown,
        });
        let When { time, offset, .. } = when;
        // `gtin` is a GTIN-14, or one with its lot (`GTIN/10/LOT`).
        let quantities: Vec<Value> = lines
            .into_iter()
            .map(|(gtin, q)| {
                json!({"epcClass": format!("https://id.gs1.org/01/{gtin}"), "quantity": q})
            })
            .collect();
        self.out.events.push(json!({
            "type": "ObjectEvent",
            "eventTime": time,
            "eventTimeZoneOffset": offset,
            "action": "OBSERVE",
            "bizStep": step,
            "bizLocation": {"id": format!("https://id.gs1.org/414/{gln}")},
            "quantityList": quantities,
            // The resource's identity: in the event's content, so that two
            // resources alike are two events (their Event Hash IDs differ),
            // and in its eventID, so that the resource sent again with
            // other content is a conflict, not a second movement.
            "bizTransactionList": [{"bizTransaction": name_uuid(&identity.name)}],
            "eventID": name_uuid(&format!("{}#{part}", identity.name)),
        }));
    }

    fn resource(&mut self, v: &Value, path: &str) {
        let Some(kind) = v.get("resourceType").and_then(Value::as_str) else {
            self.issues.push(issue(
                "required",
                &format!("{path}.resourceType"),
                "required element is missing",
            ));
            return;
        };
        // The resource as type `$t`, or an issue naming it and nothing more
        // read of it.
        macro_rules! typed {
            ($t:ty) => {
                match serde_path_to_error::deserialize::<_, $t>(v) {
                    Ok(x) => x,
                    Err(e) => {
                        // The element at fault: `quantity.value`.
                        let at = e.path().to_string();
                        let at = if at.is_empty() || at == "." {
                            path.to_string()
                        } else {
                            format!("{path}.{at}")
                        };
                        // Said in FHIR's words: a decimal is a number.
                        let why = e
                            .into_inner()
                            .to_string()
                            .replace("expected f64", "expected a number");
                        self.issues.push(issue("structure", &at, why));
                        return;
                    }
                }
            };
        }
        match kind {
            "MedicationDispense" => {
                let d = typed!(types::MedicationDispense);
                let n = self.issues.len();
                let moves = self.status(
                    d.status.as_ref(),
                    &format!("{path}.status"),
                    (&["completed"], DISPENSE_STATUS),
                    "a dispense",
                );
                let gtin = match d
                    .medication
                    .as_ref()
                    .and_then(|m| m.reference.as_ref().filter(|_| m.concept.is_none()))
                {
                    Some(r) => self.medication(r, v, &format!("{path}.medication.reference")),
                    None => self.product(
                        d.medication.as_ref().and_then(|m| m.concept.as_ref()),
                        &format!("{path}.medication.concept"),
                    ),
                };
                let q = self.quantity(d.quantity.as_ref(), &format!("{path}.quantity"));
                let q = match (q, &gtin) {
                    (Some(v), Some(g)) => {
                        self.in_packs(d.quantity.as_ref(), g, v, &format!("{path}.quantity"))
                    }
                    _ => None,
                };
                let when = if d.when_handed_over.is_some() || d.when_prepared.is_none() {
                    self.time(
                        d.when_handed_over.as_ref(),
                        &format!("{path}.whenHandedOver"),
                    )
                } else {
                    self.time(d.when_prepared.as_ref(), &format!("{path}.whenPrepared"))
                };
                let gln = self.location(d.location.as_ref(), &format!("{path}.location"));
                if let (true, Some(g), Some(q), Some(t), Some(l)) = (moves, gtin, q, when, gln)
                    && self.issues.len() == n
                {
                    self.event(
                        "dispensing",
                        t,
                        l,
                        vec![(g, q)],
                        &format!("{path}.location"),
                        "",
                    );
                }
            }
            "SupplyDelivery" => {
                let d = typed!(types::SupplyDelivery);
                let n = self.issues.len();
                let moves = self.status(
                    d.status.as_ref(),
                    &format!("{path}.status"),
                    (&["completed"], DELIVERY_STATUS),
                    "a delivery",
                );
                let when = self.time(
                    d.occurrence_date_time.as_ref(),
                    &format!("{path}.occurrenceDateTime"),
                );
                let gln = self.location(d.destination.as_ref(), &format!("{path}.destination"));
                if d.supplied_item.is_empty() {
                    self.issues.push(issue(
                        "required",
                        &format!("{path}.suppliedItem"),
                        "a delivery needs at least one supplied item",
                    ));
                }
                let mut lines = Vec::new();
                for (i, it) in d.supplied_item.iter().enumerate() {
                    let p = format!("{path}.suppliedItem[{i}]");
                    let g = match (&it.item_codeable_concept, &it.item_reference) {
                        (None, Some(r)) => self.medication(r, v, &format!("{p}.itemReference")),
                        _ => self.product(
                            it.item_codeable_concept.as_ref(),
                            &format!("{p}.itemCodeableConcept"),
                        ),
                    };
                    let q = self.quantity(it.quantity.as_ref(), &format!("{p}.quantity"));
                    if let (Some(g), Some(q)) = (g, q)
                        && let Some(q) =
                            self.in_packs(it.quantity.as_ref(), &g, q, &format!("{p}.quantity"))
                    {
                        lines.push((g, q));
                    }
                }
                if let (true, Some(t), Some(l)) = (moves, when, gln)
                    && self.issues.len() == n
                {
                    self.event("receiving", t, l, lines, &format!("{path}.destination"), "");
                }
            }
            "InventoryReport" => {
                let r = typed!(InventoryReport);
                let n = self.issues.len();
                let moves = self.status(
                    r.status.as_ref(),
                    &format!("{path}.status"),
                    (&["active"], INVENTORY_STATUS),
                    "an inventory report",
                );
                let difference = match r.count_type.as_deref() {
                    Some("snapshot") => false,
                    Some("difference") => true,
                    Some(other) => {
                        self.issues.push(issue(
                            "value",
                            &format!("{path}.countType"),
                            format!("{other:?} is not snapshot or difference"),
                        ));
                        false
                    }
                    None => {
                        self.issues.push(issue(
                            "required",
                            &format!("{path}.countType"),
                            "required element is missing",
                        ));
                        false
                    }
                };
                let reported = self.time(
                    r.reported_date_time.as_ref(),
                    &format!("{path}.reportedDateTime"),
                );
                let mut events = Vec::new();
                for (i, l) in r.inventory_listing.iter().enumerate() {
                    let p = format!("{path}.inventoryListing[{i}]");
                    let gln = self.location(l.location.as_ref(), &format!("{p}.location"));
                    let when = match &l.counting_date_time {
                        Some(_) => self.time(
                            l.counting_date_time.as_ref(),
                            &format!("{p}.countingDateTime"),
                        ),
                        None => reported.clone(),
                    };
                    let mut lines = Vec::new();
                    for (j, it) in l.item.iter().enumerate() {
                        let q = format!("{p}.item[{j}]");
                        let concept = it.item.as_ref().and_then(|c| c.concept.as_ref());
                        let g = self.product(concept, &format!("{q}.item.concept"));
                        // A count may be zero; a difference is signed.
                        let v = match it.quantity.as_ref().and_then(|x| x.value) {
                            Some(v)
                                if v.is_finite() && v.abs() <= 1e9 && (difference || v >= 0.0) =>
                            {
                                Some(v)
                            }
                            Some(v) => {
                                self.issues.push(issue(
                                    "value",
                                    &format!("{q}.quantity.value"),
                                    if difference {
                                        format!("{} is not a difference of at most 1e9", number(v))
                                    } else {
                                        format!("{} is not a count from 0 to 1e9", number(v))
                                    },
                                ));
                                None
                            }
                            None => {
                                self.issues.push(issue(
                                    "required",
                                    &format!("{q}.quantity.value"),
                                    "required element is missing",
                                ));
                                None
                            }
                        };
                        if let (Some(g), Some(v)) = (g, v)
                            && let Some(v) =
                                self.in_packs(it.quantity.as_ref(), &g, v, &format!("{q}.quantity"))
                        {
                            lines.push((g, v));
                        }
                    }
                    if let (Some(g), Some(t)) = (gln, when) {
                        events.push((i, t, g, lines, format!("{p}.location")));
                    }
                }
                if moves && self.issues.len() == n {
                    for (i, t, g, lines, at) in events {
                        if !difference {
                            let part = format!("inventoryListing[{i}]");
                            self.event("cycle_counting", t, g, lines, &at, &part);
                            continue;
                        }
                        // A difference: what left the stock was used
                        // (dispensing), what came in was received.
                        let (used, added): (Vec<_>, Vec<_>) = lines
                            .into_iter()
                            .filter(|(_, v)| *v != 0.0)
                            .partition(|(_, v)| *v < 0.0);
                        if !used.is_empty() {
                            let used = used.into_iter().map(|(g, v)| (g, -v)).collect();
                            let part = format!("inventoryListing[{i}]/dispensing");
                            self.event("dispensing", t.clone(), g.clone(), used, &at, &part);
                        }
                        if !added.is_empty() {
                            let part = format!("inventoryListing[{i}]/receiving");
                            self.event("receiving", t, g, added, &at, &part);
                        }
                    }
                }
            }
            "Location" => {
                let l = typed!(types::Location);
                self.one_place(&l, path);
                self.registry_entry(&l, path);
            }
            "Organization" => {
                let o = typed!(types::Organization);
                self.registry_organization(&o, path);
            }
            "Medication" => {
                // Read for the references to it (its product and lot).
            }
            "ConceptMap" => self.concept_map(v, path),
            // What a dispensing system sends beside its dispenses (the
            // patient, the prescriber, the encounter, the prescription):
            // no stock in it, and Equitas keeps no patient data. Passed
            // over, counted in a note (until 2026-12-07 a Bundle holding a
            // Patient was refused whole).
            k if PASSED_OVER.contains(&k) => {
                *self.passed_over.entry(k.to_string()).or_default() += 1;
                return;
            }
            other => {
                self.issues.push(issue(
                    "not-supported",
                    &format!("{path}.resourceType"),
                    format!("{other:?} is not read (MedicationDispense, SupplyDelivery, InventoryReport, Location, Organization, ConceptMap)"),
                ));
                return;
            }
        }
        *self.out.read.entry(kind.to_string()).or_default() += 1;
    }
}

/// Resources a dispensing system sends beside its dispenses that hold no
/// stock: read past, never kept.
const PASSED_OVER: &[&str] = &[
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "RelatedPerson",
    "Encounter",
    "MedicationRequest",
    "Provenance",
];

/// A lot as a GS1 Digital Link path segment: unreserved characters kept,
/// the others percent-encoded.
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A Location's Equitas code: its `urn:equitas:location` identifier, else its id.
fn location_code(l: &types::Location) -> Option<String> {
    l.identifier
        .iter()
        .find(|i| i.system.as_deref() == Some(LOCATION_SYSTEM))
        .and_then(|i| i.value.clone())
        .or_else(|| l.id.clone())
}

/// The deepest nesting of arrays and objects a body may have: far more
/// than any resource needs, and below what the JSON reader refuses.
pub const MAX_DEPTH: usize = 100;

/// How deeply `bytes` nest arrays and objects, up to `MAX_DEPTH + 1`
/// (strings skipped), without reading them into a tree.
fn too_deep(bytes: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A body as a FHIR resource: JSON, an object, not nested too deeply; else
/// what is wrong with it, as a `structure` issue at `expression`.
pub fn parse_resource(bytes: &[u8], expression: &str) -> Result<Value, Issue> {
    let wrong = |why: String| issue("structure", expression, why);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(wrong(
            "the body is empty: a FHIR resource in JSON (application/fhir+json) was expected"
                .into(),
        ));
    }
    if too_deep(bytes) {
        return Err(wrong(format!(
            "the body nests arrays or objects more than {MAX_DEPTH} levels deep, which no FHIR resource does"
        )));
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        wrong(format!(
            "the body is not JSON: line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let kind = match &v {
        Value::Object(_) => return Ok(v),
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    };
    Err(wrong(format!(
        "the body is JSON {kind}, not a resource (an object with a resourceType)"
    )))
}

/// Reads a Bundle, or one resource, into the EPCIS events it means.
/// What a FHIR quantity's unit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    /// Trade items: `pack`, `package`, `box`, `carton`, `pkg` (HL7), their
    /// plurals, with or without UCUM's braces (`{pack}`).
    Pack,
    /// The product's own units, as pack sizes count them: tablets,
    /// capsules, doses, millilitres, tests (`tablet`, UCUM `{tbl}`, `mL`).
    ProductUnit,
    /// Anything else (`vial`, `bottle`, `1`): how many units it holds is not
    /// known.
    Other,
}

fn unit_kind(unit: &str) -> UnitKind {
    let u = unit
        .trim_matches(|c| c == '{' || c == '}')
        .trim()
        .to_ascii_lowercase();
    let u = u
        .strip_suffix("es")
        .filter(|s| s.ends_with('x'))
        .unwrap_or(&u);
    let u = u.strip_suffix('s').unwrap_or(u);
    match u {
        "pack" | "package" | "pkg" | "pk" | "box" | "bx" | "carton" => UnitKind::Pack,
        "tablet" | "tab" | "tbl" | "capsule" | "cap" | "dose" | "ml" | "millilitre"
        | "milliliter" | "test" => UnitKind::ProductUnit,
        _ => UnitKind::Other,
    }
}

pub fn read(bytes: &[u8], ctx: &Context) -> Result<Read, OperationOutcome> {
    let v = parse_resource(bytes, "$this").map_err(|i| OperationOutcome::new(vec![i]))?;
    let mut r = Reader {
        ctx,
        locations: HashMap::new(),
        issues: Vec::new(),
        out: Read::default(),
        codes: HashMap::new(),
        glns: ctx.glns.clone(),
        medications: HashMap::new(),
        organizations: HashMap::new(),
        identity: None,
        passed_over: Default::default(),
    };
    let mut codes: HashMap<String, String> = HashMap::new();
    let mut local_glns: HashMap<String, String> = HashMap::new();
    let entries: Vec<(String, &Value, Option<&str>)> = if v
        .get("resourceType")
        .and_then(Value::as_str)
        == Some("Bundle")
    {
        let Some(list) = v.get("entry").and_then(Value::as_array) else {
            return Err(OperationOutcome::new(vec![issue(
                "required",
                "Bundle.entry",
                "a Bundle without entries",
            )]));
        };
        let mut out = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let path = format!("Bundle.entry[{i}].resource");
            let Some(res) = e.get("resource") else {
                r.issues
                    .push(issue("required", &path, "required element is missing"));
                continue;
            };
            if res.get("resourceType").and_then(Value::as_str) == Some("Medication") {
                if let Some(id) = res.get("id").and_then(Value::as_str) {
                    r.medications
                        .insert(format!("Medication/{id}"), res.clone());
                }
                if let Some(u) = e.get("fullUrl").and_then(Value::as_str) {
                    r.medications.insert(u.to_string(), res.clone());
                }
            }
            if res.get("resourceType").and_then(Value::as_str) == Some("Organization") {
                let org = types::Organization::deserialize(res).unwrap_or_default();
                if let Some(c) = organization_code(&org) {
                    if let Some(id) = &org.id {
                        r.organizations
                            .insert(format!("Organization/{id}"), c.clone());
                    }
                    if let Some(u) = e.get("fullUrl").and_then(Value::as_str) {
                        r.organizations.insert(u.to_string(), c);
                    }
                }
            }
            if res.get("resourceType").and_then(Value::as_str) == Some("Location") {
                let loc = types::Location::deserialize(res).unwrap_or_default();
                // Codes of the Bundle's Locations, for references to them.
                let code = location_code(&loc);
                let own_gln = loc
                    .identifier
                    .iter()
                    .find(|i| i.system.as_deref() == Some(GLN_SYSTEM))
                    .and_then(|i| i.value.clone());
                if let Some(c) = &code {
                    if let Some(id) = &loc.id {
                        codes.insert(format!("Location/{id}"), c.clone());
                    }
                    if let Some(u) = e.get("fullUrl").and_then(Value::as_str) {
                        codes.insert(u.to_string(), c.clone());
                    }
                    if let Some(g) = &own_gln {
                        local_glns.insert(c.clone(), g.clone());
                    }
                }
                let gln = gln_of(&loc.identifier, &ctx.glns, &ctx.without_gln).unwrap_or_else(|| {
                    Err(format!(
                        "the Location at {path} has no GLN ({GLN_SYSTEM}) or location code ({LOCATION_SYSTEM}) identifier"
                    ))
                });
                if let Some(id) = &loc.id {
                    r.locations.insert(format!("Location/{id}"), gln.clone());
                }
                if let Some(u) = e.get("fullUrl").and_then(Value::as_str) {
                    r.locations.insert(u.to_string(), gln);
                }
            }
            out.push((path, res, e.get("fullUrl").and_then(Value::as_str)));
        }
        out
    } else {
        let kind = v
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("Resource")
            .to_string();
        vec![(kind, &v, None)]
    };
    r.codes = codes;
    // A location code of the Bundle's registry names its GLN too.
    r.glns.extend(local_glns);
    let bundle_source = v.pointer("/meta/source").and_then(Value::as_str);
    let mut seen = HashMap::new();
    for (path, res, full_url) in entries {
        let kind = res
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("Resource");
        r.identity = Some(identity(kind, res, full_url, bundle_source, &mut seen));
        r.resource(res, &path);
    }
    if !r.passed_over.is_empty() {
        let list: Vec<String> = r
            .passed_over
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        r.out.notes.push(format!(
            "passed over, holding no stock (and Equitas keeps no patient data): {}",
            list.join(", ")
        ));
    }
    if r.issues.is_empty() {
        Ok(r.out)
    } else {
        Err(OperationOutcome::new(r.issues))
    }
}

/// One product's stock at a location, for an [`InventoryReport`].
#[derive(Debug, Clone, PartialEq)]
pub struct StockLine {
    pub product: String,
    pub name: Option<String>,
    pub quantity: f64,
}

/// A location as FHIR references name it: by GLN where it has one, else
/// by its Equitas code.
pub fn location_reference(code: &str, name: &str, gln: Option<&str>) -> Reference {
    Reference {
        reference: None,
        identifier: Some(Identifier {
            system: Some(
                if gln.is_some() {
                    GLN_SYSTEM
                } else {
                    LOCATION_SYSTEM
                }
                .into(),
            ),
            value: Some(gln.unwrap_or(code).to_string()),
        }),
        display: Some(name.to_string()),
    }
}

/// A snapshot of one location's stock on `day` (`YYYY-MM-DD`, the end of
/// the day), as an R5 InventoryReport.
pub fn inventory_report(location: Reference, day: &str, lines: &[StockLine]) -> InventoryReport {
    use types::{CodeableReference, Coding, InventoryItem, InventoryListing};
    InventoryReport {
        resource_type: "InventoryReport".into(),
        id: None,
        status: Some("active".into()),
        count_type: Some("snapshot".into()),
        reported_date_time: Some(day.to_string()),
        reporting_period: None,
        inventory_listing: vec![InventoryListing {
            location: Some(location),
            counting_date_time: Some(day.to_string()),
            item: lines
                .iter()
                .map(|l| InventoryItem {
                    category: None,
                    quantity: Some(Quantity {
                        value: Some(l.quantity),
                        ..Quantity::default()
                    }),
                    item: Some(CodeableReference {
                        concept: Some(CodeableConcept {
                            coding: vec![Coding {
                                system: Some(PRODUCT_SYSTEM.into()),
                                code: Some(l.product.clone()),
                                display: l.name.clone(),
                            }],
                            text: l.name.clone(),
                        }),
                        reference: None,
                    }),
                })
                .collect(),
        }],
    }
}

/// An item as a FHIR coding: a GTIN-14 as a GTIN, anything else as an
/// Equitas product code.
pub fn item_concept(code: &str, name: Option<&str>) -> CodeableConcept {
    let gtin = code.len() == 14 && Gtin::parse(code).is_ok();
    CodeableConcept {
        coding: vec![types::Coding {
            system: Some(
                if gtin {
                    GTIN_SYSTEMS[0]
                } else {
                    PRODUCT_SYSTEM
                }
                .into(),
            ),
            code: Some(code.to_string()),
            display: name.map(str::to_string),
        }],
        text: name.map(str::to_string),
    }
}

/// One shipment or receipt between two locations, for a [`SupplyDelivery`].
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `YYYY-MM-DD` (local day of the movement).
    pub day: String,
    pub destination: Reference,
    /// The item as recorded (a GTIN-14 or a product code).
    pub item: String,
    pub quantity: f64,
    /// True for the receipt at the destination (`completed`); false for
    /// the shipment leaving for it (`in-progress`).
    pub received: bool,
}

/// A shipment (`in-progress`) or a receipt (`completed`) as an R5
/// SupplyDelivery; read back in, a receipt is a receiving event.
pub fn supply_delivery(d: &Delivery) -> SupplyDelivery {
    SupplyDelivery {
        resource_type: "SupplyDelivery".into(),
        status: Some(
            if d.received {
                "completed"
            } else {
                "in-progress"
            }
            .into(),
        ),
        supplied_item: vec![types::SuppliedItem {
            quantity: Some(Quantity {
                value: Some(d.quantity),
                ..Quantity::default()
            }),
            item_codeable_concept: Some(item_concept(&d.item, None)),
            item_reference: None,
        }],
        occurrence_date_time: Some(d.day.clone()),
        destination: Some(d.destination.clone()),
        ..SupplyDelivery::default()
    }
}

/// Resources as a Bundle of type `collection`.
pub fn bundle(resources: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": resources.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            codes: Codes::parse(
                "[[code]]\nsystem = \"http://snomed.info/sct\"\ncode = \"323510009\"\ngtin = \"09520000000011\"\n",
            )
            .unwrap(),
            glns: HashMap::from([("FAC1".to_string(), "9520000000011".to_string())]),
            without_gln: Default::default(),
            organizations: ["MOH".to_string()].into(),
            // 10 tablets in a pack of 09520000000011.
            pack_sizes: HashMap::from([("09520000000011".to_string(), 10.0)]),
        }
    }

    const DISPENSE: &str = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
      {"fullUrl": "urn:uuid:7f1a0c52-1f7e-4b3a-9d1c-000000000001",
       "resource": {"resourceType": "Location", "id": "pharm", "identifier": [{"system": "https://www.gs1.org/gln", "value": "9520000000028"}]}},
      {"resource": {"resourceType": "MedicationDispense", "status": "completed",
        "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
        "subject": {"reference": "Patient/p1"}, "quantity": {"value": 30, "unit": "tablet"},
        "whenHandedOver": "2026-03-14T10:30:00+01:00", "location": {"reference": "Location/pharm"}}},
      {"resource": {"resourceType": "MedicationDispense", "status": "completed",
        "medication": {"concept": {"coding": [{"system": "http://snomed.info/sct", "code": "323510009"}]}},
        "subject": {"reference": "Patient/p2"}, "quantity": {"value": 10},
        "whenHandedOver": "2026-03-15", "location": {"identifier": {"system": "urn:equitas:location", "value": "FAC1"}}}},
      {"resource": {"resourceType": "MedicationDispense", "status": "cancelled",
        "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
        "subject": {"reference": "Patient/p3"}, "quantity": {"value": 5},
        "whenHandedOver": "2026-03-15", "location": {"reference": "Location/pharm"}}}
    ]}"#;

    #[test]
    fn dispenses_become_dispensing_events() {
        let r = read(DISPENSE.as_bytes(), &ctx()).unwrap();
        assert_eq!(r.events.len(), 2);
        let e = &r.events[0];
        assert_eq!(e["bizStep"], "dispensing");
        assert_eq!(
            e["bizLocation"]["id"],
            "https://id.gs1.org/414/9520000000028"
        );
        assert_eq!(
            e["quantityList"][0]["epcClass"],
            "https://id.gs1.org/01/09520000000011"
        );
        // 30 tablets of a pack of 10: 3 packs, as the ledger counts the
        // trade item.
        assert_eq!(e["quantityList"][0]["quantity"], 3.0);
        assert_eq!(e["eventTimeZoneOffset"], "+01:00");
        assert_eq!(
            r.events[1]["bizLocation"]["id"],
            "https://id.gs1.org/414/9520000000011"
        );
        assert_eq!(r.read["MedicationDispense"], 3);
        assert!(r.notes[0].contains("cancelled"), "{:?}", r.notes);
        // The document reads as EPCIS, each event giving its movement.
        let doc = r.epcis_document();
        let events = equitas_epcis::parse_events(&doc).unwrap();
        assert_eq!(events.len(), 2);
    }

    /// A status outside the resource's code list is an error naming it
    /// (a typo would otherwise be a note, and the dispense lost); a number
    /// too large is quoted short.
    #[test]
    fn an_unknown_status_and_a_huge_quantity_are_errors() {
        let doc = DISPENSE.replacen(r#""status": "cancelled""#, r#""status": "complete""#, 1);
        let e = read(doc.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(e.issue.len(), 1, "{e:?}");
        assert_eq!(e.issue[0].code, "code-invalid");
        assert_eq!(e.issue[0].expression, ["Bundle.entry[3].resource.status"]);
        assert!(
            e.issue[0]
                .diagnostics
                .starts_with(r#""complete" is not a status of a dispense (FHIR R5: preparation,"#),
            "{e:?}"
        );
        for (kind, status) in [("SupplyDelivery", "done"), ("InventoryReport", "final")] {
            let doc = format!(r#"{{"resourceType": "{kind}", "status": "{status}"}}"#);
            let e = read(doc.as_bytes(), &ctx()).unwrap_err();
            assert!(e.issue.iter().any(|i| i.code == "code-invalid" && i.expression == [format!("{kind}.status")]), "{e:?}");
        }
        // FHIR's own codes that move no stock are still notes.
        for status in ["entered-in-error", "on-hold", "declined"] {
            let doc = DISPENSE.replacen(
                r#""status": "cancelled""#,
                &format!(r#""status": "{status}""#),
                1,
            );
            let r = read(doc.as_bytes(), &ctx()).unwrap();
            assert!(r.notes[0].contains(status), "{:?}", r.notes);
        }
        let doc = DISPENSE.replacen(
            r#""quantity": {"value": 10}"#,
            r#""quantity": {"value": 1e300}"#,
            1,
        );
        let e = read(doc.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            e.issue[0].diagnostics,
            "1e300 is not a positive quantity of at most 1e9"
        );
    }

    /// The patient, prescriber and prescription a dispensing system sends
    /// beside its dispenses are passed over, named in a note; the dispense
    /// is read (the Bundle was refused whole).
    #[test]
    fn a_patient_beside_the_dispenses_is_passed_over() {
        let with_patient = DISPENSE.replacen(
            r#""entry": ["#,
            r#""entry": [{"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "X"}]}},
                         {"resource": {"resourceType": "MedicationRequest", "id": "rx1", "status": "active"}},"#,
            1,
        );
        let r = read(with_patient.as_bytes(), &ctx()).unwrap();
        assert_eq!(r.events.len(), 2);
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("1 MedicationRequest, 1 Patient")),
            "{:?}",
            r.notes
        );
        assert!(!r.read.contains_key("Patient"));
    }

    /// A quantity in packs, or without a unit, is packs; one in units of
    /// the product is divided by the pack size, refused where that is not
    /// known (it was counted as packs).
    #[test]
    fn quantities_in_units_are_counted_in_packs() {
        let with = |q: &str| DISPENSE.replace(r#"{"value": 30, "unit": "tablet"}"#, q);
        for (q, want) in [
            (r#"{"value": 30, "unit": "pack"}"#, 30.0),
            (
                r#"{"value": 30, "code": "{pack}", "system": "http://unitsofmeasure.org"}"#,
                30.0,
            ),
            (r#"{"value": 3, "unit": "boxes"}"#, 3.0),
            // UCUM's unity beside a pack word: packs.
            (r#"{"value": 30, "unit": "pack", "code": "1"}"#, 30.0),
            (r#"{"value": 30}"#, 30.0),
            (r#"{"value": 25, "unit": "tablets", "code": "{tbl}"}"#, 2.5),
        ] {
            let r = read(with(q).as_bytes(), &ctx()).unwrap();
            assert_eq!(r.events[0]["quantityList"][0]["quantity"], want, "{q}");
        }
        // A unit whose content is not known is refused, naming it.
        let e = read(with(r#"{"value": 2, "unit": "vial"}"#).as_bytes(), &ctx()).unwrap_err();
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains("neither packs"), "{text}");
        let unknown = Context {
            pack_sizes: HashMap::new(),
            ..ctx()
        };
        let e = read(DISPENSE.as_bytes(), &unknown).unwrap_err();
        let text = serde_json::to_string(&e).unwrap();
        assert!(
            text.contains("Bundle.entry[1].resource.quantity.unit")
                && text.contains("the pack size of trade item 09520000000011 is not known"),
            "{text}"
        );
    }

    /// The Event Hash ID and eventID of each event, as capture reads them.
    fn keys(r: &Read) -> Vec<(String, Option<String>)> {
        equitas_epcis::parse_events(&r.epcis_document())
            .unwrap()
            .iter()
            .map(|e| {
                let rec = equitas_epcis::event::record(e, &[]).unwrap();
                (rec.hash, rec.event_id)
            })
            .collect()
    }

    const TWO_ALIKE: &str = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
      {"resource": {"resourceType": "MedicationDispense", "id": "disp-1", "status": "completed",
        "subject": {"reference": "Patient/a"},
        "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
        "quantity": {"value": 3}, "whenHandedOver": "2026-11-03",
        "location": {"identifier": {"system": "urn:equitas:location", "value": "FAC1"}}}},
      {"resource": {"resourceType": "MedicationDispense", "id": "disp-2", "status": "completed",
        "subject": {"reference": "Patient/b"},
        "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
        "quantity": {"value": 3}, "whenHandedOver": "2026-11-03",
        "location": {"identifier": {"system": "urn:equitas:location", "value": "FAC1"}}}}
    ]}"#;

    #[test]
    fn two_resources_alike_are_two_events_and_one_sent_again_the_same() {
        let r = read(TWO_ALIKE.as_bytes(), &ctx()).unwrap();
        let k = keys(&r);
        assert_eq!(k.len(), 2);
        // Distinct resources: distinct hashes and eventIDs, though the
        // movements are the same.
        assert_ne!(k[0].0, k[1].0);
        assert_ne!(k[0].1, k[1].1);
        assert!(k[0].1.as_deref().unwrap().starts_with("urn:uuid:"));
        // Read again: the same events, to the byte (duplicates on capture).
        assert_eq!(keys(&read(TWO_ALIKE.as_bytes(), &ctx()).unwrap()), k);
        assert_eq!(r.event_sources[1].identity, "MedicationDispense disp-2");
        assert_eq!(
            r.event_sources[1].time,
            "Bundle.entry[1].resource.whenHandedOver"
        );
        assert_eq!(r.event_sources[1].resource, "Bundle.entry[1].resource");
        // disp-1 sent alone (no Bundle, keys in another order) is the
        // same resource: the same event.
        let v: Value = serde_json::from_str(TWO_ALIKE).unwrap();
        let alone = v["entry"][0]["resource"].to_string();
        assert_eq!(keys(&read(alone.as_bytes(), &ctx()).unwrap())[0], k[0]);
        // The same resource changed (5 packs, not 3): the same eventID,
        // another hash, which capture refuses as a conflict.
        let changed = alone.replace("\"value\":3", "\"value\":5");
        assert_ne!(changed, alone);
        let c = keys(&read(changed.as_bytes(), &ctx()).unwrap());
        assert_eq!(c[0].1, k[0].1);
        assert_ne!(c[0].0, k[0].0);
    }

    #[test]
    fn a_resource_is_known_by_identifier_then_id_then_full_url_then_content() {
        let ids = |doc: &str| -> Vec<(String, Option<String>)> {
            keys(&read(doc.as_bytes(), &ctx()).unwrap())
        };
        let v: Value = serde_json::from_str(TWO_ALIKE).unwrap();
        let one = v["entry"][0]["resource"].clone();
        let bundle = |entries: Vec<Value>| {
            json!({"resourceType": "Bundle", "type": "transaction", "entry": entries}).to_string()
        };
        // A business identifier wins over the id: the same identifier under
        // two ids is one resource.
        let mut a = one.clone();
        a["identifier"] = json!([{"system": "urn:rx", "value": "RX-3"}]);
        let mut b = a.clone();
        b["id"] = json!("other");
        let k = ids(&bundle(vec![
            json!({"resource": a}),
            json!({"resource": b}),
        ]));
        assert_eq!(k[0], k[1]);
        // The same id from two systems (meta.source) is two resources.
        let mut a = one.clone();
        a["meta"] = json!({"source": "https://clinic-a.example/fhir"});
        let mut b = one.clone();
        b["meta"] = json!({"source": "https://clinic-b.example/fhir"});
        let k = ids(&bundle(vec![
            json!({"resource": a}),
            json!({"resource": b}),
        ]));
        assert_ne!(k[0].0, k[1].0);
        // Without id or identifier: the fullUrl.
        let mut anon = one.clone();
        anon.as_object_mut().unwrap().remove("id");
        let k = ids(&bundle(vec![
            json!({"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": anon}),
            json!({"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000002", "resource": anon}),
        ]));
        assert_ne!(k[0].0, k[1].0);
        // Without any: two entries alike in one Bundle are two dispenses,
        // and the Bundle sent again the same two events.
        let doc = bundle(vec![json!({"resource": anon}), json!({"resource": anon})]);
        let k = ids(&doc);
        assert_ne!(k[0].0, k[1].0);
        assert_eq!(ids(&doc), k);
        // The same content with its keys in another order is the same
        // resource.
        let text = anon.to_string();
        let reordered = {
            let m = anon.as_object().unwrap();
            let mut keys: Vec<&String> = m.keys().collect();
            keys.reverse();
            let fields: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), m[*k]))
                .collect();
            format!("{{{}}}", fields.join(","))
        };
        assert_ne!(text, reordered);
        let one_entry = |r: &str| {
            format!(
                r#"{{"resourceType": "Bundle", "type": "transaction", "entry": [{{"resource": {r}}}]}}"#
            )
        };
        assert_eq!(ids(&one_entry(&text)), ids(&one_entry(&reordered)));
    }

    #[test]
    fn a_location_code_without_a_gln_is_told_apart_from_a_typo() {
        let glns = HashMap::from([("R01D01F0001".to_string(), "9520000000011".to_string())]);
        let without = std::collections::HashSet::from(["SN-DK-PK-01".to_string()]);
        let no_gln = no_gln("SN-DK-PK-01", &glns, &without);
        assert!(
            no_gln.contains("has no GLN") && no_gln.contains("column gln"),
            "{no_gln}"
        );
        let typo = super::no_gln("R01D01F001", &glns, &without);
        assert!(typo.ends_with("did you mean R01D01F0001?"), "{typo}");
        let none = super::no_gln("ELSEWHERE", &glns, &without);
        assert!(none.starts_with("no location \"ELSEWHERE\""), "{none}");
        // Through a resource: the issue names the element.
        let ctx = Context {
            glns,
            without_gln: without,
            ..Context::default()
        };
        let doc = r#"{"resourceType": "InventoryReport", "id": "inv-9", "status": "active", "countType": "snapshot",
          "reportedDateTime": "2026-03-31",
          "inventoryListing": [{"location": {"identifier": {"system": "urn:equitas:location", "value": "SN-DK-PK-01"}},
            "item": [{"quantity": {"value": 2}, "item": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}}}]}]}"#;
        let e = read(doc.as_bytes(), &ctx).unwrap_err();
        assert!(
            e.issue.iter().any(|i| i.diagnostics.contains("has no GLN")),
            "{e:?}"
        );
    }

    #[test]
    fn each_event_of_a_report_has_its_own_id() {
        let doc = r#"{"resourceType": "InventoryReport", "id": "inv-1", "status": "active", "countType": "difference",
          "reportedDateTime": "2026-03-31",
          "inventoryListing": [{"location": {"identifier": {"system": "urn:equitas:location", "value": "FAC1"}},
            "item": [{"quantity": {"value": -2}, "item": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}}},
                     {"quantity": {"value": 4}, "item": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000028"}]}}}]}]}"#;
        let r = read(doc.as_bytes(), &ctx()).unwrap();
        let k = keys(&r);
        assert_eq!(k.len(), 2);
        assert_ne!(k[0].1, k[1].1);
        assert_eq!(r.event_sources[0].time, "InventoryReport.reportedDateTime");
    }

    #[test]
    fn a_body_that_is_no_resource_is_said_so() {
        let said = |b: &[u8]| parse_resource(b, "Bundle").unwrap_err();
        assert!(said(b"").diagnostics.contains("empty"), "{:?}", said(b""));
        assert!(said(b"  \n").diagnostics.contains("empty"));
        assert!(said(b"xx{").diagnostics.contains("not JSON"));
        assert!(said(b"[1,2]").diagnostics.contains("JSON an array"));
        assert!(said(b"7").diagnostics.contains("a number"));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let i = said(deep.as_bytes());
        assert!(i.diagnostics.contains("levels deep"), "{i:?}");
        assert_eq!(i.expression, ["Bundle"]);
        // Brackets inside strings are text, not nesting.
        let text = format!(
            r#"{{"resourceType": "Bundle", "x": "{}"}}"#,
            "[".repeat(500)
        );
        assert!(parse_resource(text.as_bytes(), "Bundle").is_ok());
        let o = read(deep.as_bytes(), &ctx()).unwrap_err();
        assert!(o.issue[0].diagnostics.contains("levels deep"), "{o}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_element() {
        let doc = r#"{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MedicationDispense", "status": "completed",
          "quantity": {"value": "5"}, "whenHandedOver": "2026-11-02"}}]}"#;
        let o = read(doc.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            o.issue[0].expression,
            ["Bundle.entry[0].resource.quantity.value"]
        );
        assert!(o.issue[0].diagnostics.contains("expected a number"), "{o}");
        let doc = r#"{"resourceType": "SupplyDelivery", "status": "completed",
          "suppliedItem": [{"quantity": {"value": 1}}, {"quantity": {"value": true}}]}"#;
        let o = read(doc.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            o.issue[0].expression,
            ["SupplyDelivery.suppliedItem[1].quantity.value"]
        );
    }

    #[test]
    fn a_location_naming_two_places_is_refused() {
        let mut c = ctx();
        c.glns.insert("FAC2".into(), "9520000000035".into());
        let loc = |ids: &str| {
            format!(
                r#"{{"resourceType": "Bundle", "entry": [{{"resource": {{"resourceType": "Location", "id": "x", "identifier": {ids}}}}},
                  {{"resource": {{"resourceType": "MedicationDispense", "status": "completed",
                    "medication": {{"concept": {{"coding": [{{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}}]}}}},
                    "quantity": {{"value": 1}}, "whenHandedOver": "2026-11-09", "location": {{"reference": "Location/x"}}}}}}]}}"#
            )
        };
        let code = r#"{"system": "urn:equitas:location", "value": "FAC1"}"#;
        let its_gln = r#"{"system": "https://www.gs1.org/gln", "value": "9520000000011"}"#;
        let fac2_gln = r#"{"system": "https://www.gs1.org/gln", "value": "9520000000035"}"#;
        let new_gln = r#"{"system": "https://www.gs1.org/gln", "value": "9520000000042"}"#;
        // The code and its own GLN: one place.
        assert!(read(loc(&format!("[{code}, {its_gln}]")).as_bytes(), &c).is_ok());
        for (ids, at) in [
            (format!("[{code}, {fac2_gln}]"), "identifier[1]"),
            (format!("[{fac2_gln}, {code}]"), "identifier[1]"),
            (format!("[{code}, {new_gln}]"), "identifier[1]"),
            (format!("[{its_gln}, {fac2_gln}]"), "identifier[1]"),
            (
                format!(r#"[{code}, {{"system": "urn:equitas:location", "value": "FAC2"}}]"#),
                "identifier[1]",
            ),
        ] {
            let o = read(loc(&ids).as_bytes(), &c).unwrap_err();
            assert_eq!(
                o.issue[0].expression,
                [format!("Bundle.entry[0].resource.{at}")],
                "{ids}: {o}"
            );
            assert!(o.issue[0].diagnostics.contains("one place"), "{o}");
        }
    }

    #[test]
    fn bad_elements_are_named_by_their_path() {
        let bad = DISPENSE
            .replace("\"value\": 30,", "\"value\": -3,")
            .replace("\"code\": \"323510009\"", "\"code\": \"999\"")
            .replace("Location/pharm\"}}},", "Location/nowhere\"}}},")
            .replace(
                "\"2026-03-15\", \"location\": {\"identifier\"",
                "\"15/03/2026\", \"location\": {\"identifier\"",
            );
        let o = read(bad.as_bytes(), &ctx()).unwrap_err();
        let got: Vec<(String, String)> = o
            .issue
            .iter()
            .map(|i| (i.expression[0].clone(), i.code.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Bundle.entry[1].resource.quantity.value".into(),
                    "value".into()
                ),
                (
                    "Bundle.entry[1].resource.location.reference".into(),
                    "not-found".into()
                ),
                (
                    "Bundle.entry[2].resource.medication.concept.coding".into(),
                    "not-found".into()
                ),
                (
                    "Bundle.entry[2].resource.whenHandedOver".into(),
                    "value".into()
                ),
            ]
        );
        let o = read(
            br#"{"resourceType": "MedicationDispense", "status": "completed"}"#,
            &ctx(),
        )
        .unwrap_err();
        let paths: Vec<&str> = o.issue.iter().map(|i| i.expression[0].as_str()).collect();
        assert_eq!(
            paths,
            [
                "MedicationDispense.medication.concept",
                "MedicationDispense.quantity",
                "MedicationDispense.whenHandedOver",
                "MedicationDispense.location"
            ]
        );
        let o = read(
            br#"{"resourceType": "MedicationDispense", "quantity": {"value": "ten"}}"#,
            &ctx(),
        )
        .unwrap_err();
        assert_eq!(o.issue[0].code, "structure");
        assert!(read(b"[", &ctx()).is_err());
    }

    #[test]
    fn deliveries_and_snapshots_become_receipts_and_counts() {
        let doc = r#"{"resourceType": "Bundle", "type": "batch", "entry": [
          {"resource": {"resourceType": "SupplyDelivery", "status": "completed",
            "occurrenceDateTime": "2026-03-01T08:00:00Z",
            "destination": {"identifier": {"system": "urn:equitas:location", "value": "FAC1"}},
            "suppliedItem": [{"quantity": {"value": 100}, "itemCodeableConcept": {"coding": [{"system": "urn:oid:1.3.160", "code": "9520000000011"}]}}]}},
          {"resource": {"resourceType": "InventoryReport", "status": "active", "countType": "snapshot",
            "reportedDateTime": "2026-03-31",
            "inventoryListing": [{"location": {"identifier": {"system": "https://www.gs1.org/gln", "value": "9520000000011"}},
              "item": [{"quantity": {"value": 0}, "item": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}}}]}]}}
        ]}"#;
        let r = read(doc.as_bytes(), &ctx()).unwrap();
        assert_eq!(r.events[0]["bizStep"], "receiving");
        assert_eq!(r.events[0]["quantityList"][0]["quantity"], 100.0);
        assert_eq!(r.events[1]["bizStep"], "cycle_counting");
        assert_eq!(r.events[1]["quantityList"][0]["quantity"], 0.0);
        // A difference: -12 used and +5 received of two items.
        let diff = doc.replace("\"snapshot\"", "\"difference\"").replace(
            "\"item\": [{\"quantity\": {\"value\": 0}",
            "\"item\": [{\"quantity\": {\"value\": 5}, \"item\": {\"concept\": {\"coding\": [{\"system\": \"https://www.gs1.org/gtin\", \"code\": \"09520000000028\"}]}}}, {\"quantity\": {\"value\": -12}",
        );
        let r = read(diff.as_bytes(), &ctx()).unwrap();
        assert_eq!(r.events.len(), 3, "{:?}", r.events);
        assert_eq!(r.events[1]["bizStep"], "dispensing");
        assert_eq!(r.events[1]["quantityList"][0]["quantity"], 12.0);
        assert_eq!(r.events[2]["bizStep"], "receiving");
        assert_eq!(
            r.events[2]["quantityList"][0]["epcClass"],
            "https://id.gs1.org/01/09520000000028"
        );
        let odd = doc.replace("\"snapshot\"", "\"sideways\"");
        let o = read(odd.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            o.issue[0].expression[0],
            "Bundle.entry[1].resource.countType"
        );
        let negative = doc.replace("\"value\": 0}", "\"value\": -1}");
        let o = read(negative.as_bytes(), &ctx()).unwrap_err();
        assert!(
            o.issue[0].expression[0].ends_with("item[0].quantity.value"),
            "{o}"
        );
    }

    proptest::proptest! {
        /// Any bytes, and the demo Bundle with any stretch cut out: an
        /// answer or an OperationOutcome, never a panic.
        #[test]
        fn any_input_is_answered(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            cut in 0usize..2000,
            len in 0usize..40,
        ) {
            let _ = read(&bytes, &ctx());
            let b = DISPENSE.as_bytes();
            let at = cut.min(b.len());
            let mut v = b[..at].to_vec();
            v.extend_from_slice(&b[(at + len).min(b.len())..]);
            match read(&v, &ctx()) {
                Ok(r) => proptest::prop_assert!(r.events.len() <= 3),
                Err(o) => proptest::prop_assert!(!o.issue.is_empty()),
            }
        }
    }

    #[test]
    fn a_contained_medication_names_the_lot() {
        let doc = r##"{"resourceType": "MedicationDispense", "status": "completed",
          "contained": [{"resourceType": "Medication", "id": "m1",
            "code": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]},
            "batch": {"lotNumber": "L/7 A", "expirationDate": "2027-05-31"}}],
          "medication": {"reference": {"reference": "#m1"}},
          "subject": {"reference": "Patient/a"}, "quantity": {"value": 3}, "whenHandedOver": "2026-03-02",
          "location": {"identifier": {"system": "urn:equitas:location", "value": "FAC1"}}}"##;
        let r = read(doc.as_bytes(), &ctx()).unwrap();
        let class = r.events[0]["quantityList"][0]["epcClass"].as_str().unwrap();
        assert_eq!(class, "https://id.gs1.org/01/09520000000011/10/L%2F7%20A");
        // As the ledger reads the event: the lot is the batch's.
        let events = equitas_epcis::parse_events(&r.epcis_document()).unwrap();
        let rec = equitas_epcis::event::record(&events[0], &[]).unwrap();
        let m = equitas_ledger::extract::movements(&rec);
        assert_eq!(
            (m.movements[0].lot.as_str(), m.movements[0].quantity),
            ("L/7 A", 3.0)
        );
        let missing = doc.replace("\"#m1\"", "\"#m2\"");
        let o = read(missing.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            o.issue[0].expression[0],
            "MedicationDispense.medication.reference.reference"
        );
        // A delivery of the same Medication: received into its lot.
        let delivery = r##"{"resourceType": "SupplyDelivery", "status": "completed", "occurrenceDateTime": "2026-03-01",
          "contained": [{"resourceType": "Medication", "id": "m1",
            "code": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]},
            "batch": {"lotNumber": "L/7 A"}}],
          "destination": {"identifier": {"system": "urn:equitas:location", "value": "FAC1"}},
          "suppliedItem": [{"quantity": {"value": 50}, "itemReference": {"reference": "#m1"}}]}"##;
        let d = read(delivery.as_bytes(), &ctx()).unwrap();
        assert_eq!(d.events[0]["quantityList"][0]["epcClass"], class);
        let uncoded = doc.replace("https://www.gs1.org/gtin", "http://example.org/x");
        let o = read(uncoded.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            o.issue[0].expression[0],
            "MedicationDispense.medication.reference.resolve().code.coding"
        );
    }

    #[test]
    fn registry_locations_become_hierarchy_entries() {
        let doc = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
          {"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000aa",
           "resource": {"resourceType": "Location", "id": "r9", "name": "Region 9",
             "identifier": [{"system": "urn:equitas:location", "value": "R9"}],
             "type": [{"coding": [{"system": "urn:equitas:location-level", "code": "region"}]}],
             "partOf": {"identifier": {"system": "urn:equitas:location", "value": "XSY"}},
             "address": {"country": "XSY"}}},
          {"resource": {"resourceType": "Location", "id": "f9", "name": "Facility 9",
             "identifier": [{"system": "urn:equitas:location", "value": "F9"}, {"system": "https://www.gs1.org/gln", "value": "9520000000035"}],
             "type": [{"coding": [{"system": "urn:equitas:location-level", "code": "facility"}]}],
             "partOf": {"reference": "urn:uuid:00000000-0000-4000-8000-0000000000aa"},
             "address": {"country": "XSY"}, "position": {"latitude": -1.5, "longitude": 29.25}}},
          {"resource": {"resourceType": "MedicationDispense", "status": "completed",
            "medication": {"concept": {"coding": [{"system": "https://www.gs1.org/gtin", "code": "09520000000011"}]}},
            "subject": {"reference": "Patient/a"}, "quantity": {"value": 2}, "whenHandedOver": "2026-03-02",
            "location": {"identifier": {"system": "urn:equitas:location", "value": "F9"}}}}
        ]}"#;
        let r = read(doc.as_bytes(), &ctx()).unwrap();
        let l: Vec<(&str, Option<&str>, Option<f64>)> = r
            .locations
            .iter()
            .map(|(_, l)| (l.code.as_str(), l.parent.as_deref(), l.latitude))
            .collect();
        assert_eq!(
            l,
            [("R9", Some("XSY"), None), ("F9", Some("R9"), Some(-1.5))]
        );
        assert_eq!(
            r.locations[1].1.gln.as_ref().map(|g| g.as_str()),
            Some("9520000000035")
        );
        // The dispense at the new facility, named by its code, finds its GLN.
        assert_eq!(
            r.events[0]["bizLocation"]["id"],
            "https://id.gs1.org/414/9520000000035"
        );
        let bad = doc
            .replace("\"code\": \"facility\"", "\"code\": \"ward\"")
            .replace(
                "\"address\": {\"country\": \"XSY\"}, \"position\"",
                "\"address\": {\"country\": \"be\"}, \"position\"",
            );
        let o = read(bad.as_bytes(), &ctx()).unwrap_err();
        let paths: Vec<&str> = o.issue.iter().map(|i| i.expression[0].as_str()).collect();
        assert_eq!(
            paths,
            [
                "Bundle.entry[1].resource.type[0].coding[0].code",
                "Bundle.entry[1].resource.address.country"
            ]
        );
    }

    #[test]
    fn registry_organizations_are_read_with_their_locations() {
        let doc = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
          {"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000b1",
           "resource": {"resourceType": "Organization", "id": "dho",
             "identifier": [{"system": "urn:equitas:organization", "value": "DHO9"}, {"system": "urn:oid:2.16.840.1.113883.2.4.6.1", "value": "12345"}],
             "name": "District health office 9",
             "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "govt"}]}],
             "partOf": {"identifier": {"system": "urn:equitas:organization", "value": "MOH"}}}},
          {"resource": {"resourceType": "Organization", "id": "ngo", "name": "Clinic network",
             "partOf": {"reference": "urn:uuid:00000000-0000-4000-8000-0000000000b1"}}},
          {"resource": {"resourceType": "Location", "id": "f9", "name": "Facility 9",
             "identifier": [{"system": "urn:equitas:location", "value": "F9"}],
             "type": [{"coding": [{"system": "urn:equitas:location-level", "code": "facility"}]}],
             "partOf": {"identifier": {"system": "urn:equitas:location", "value": "R01"}},
             "managingOrganization": {"reference": "Organization/ngo"},
             "address": {"country": "XSY"}}}
        ]}"#;
        let r = read(doc.as_bytes(), &ctx()).unwrap();
        let o: Vec<(&str, &str, Option<&str>, Option<&str>)> = r
            .organizations
            .iter()
            .map(|(_, o)| {
                (
                    o.code.as_str(),
                    o.name.as_str(),
                    o.kind.as_deref(),
                    o.part_of.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            o,
            [
                (
                    "DHO9",
                    "District health office 9",
                    Some("http://terminology.hl7.org/CodeSystem/organization-type|govt"),
                    Some("MOH")
                ),
                ("ngo", "Clinic network", None, Some("DHO9")),
            ]
        );
        assert_eq!(r.organizations[0].1.identifiers.len(), 2);
        assert_eq!(
            r.managed,
            [(
                "Bundle.entry[2].resource".to_string(),
                "F9".to_string(),
                "ngo".to_string()
            )]
        );
        assert_eq!(r.read["Organization"], 2);
        // An unknown parent, a manager not in the Bundle, a missing name:
        // each named by its element.
        let bad = doc
            .replace(r#""value": "MOH""#, r#""value": "NOPE""#)
            .replace(r#""Organization/ngo""#, r#""Organization/x""#)
            .replace(r#""name": "Clinic network","#, "");
        let o = read(bad.as_bytes(), &ctx()).unwrap_err();
        let paths: Vec<&str> = o.issue.iter().map(|i| i.expression[0].as_str()).collect();
        assert_eq!(
            paths,
            [
                "Bundle.entry[0].resource.partOf.identifier",
                "Bundle.entry[1].resource.name",
                "Bundle.entry[2].resource.managingOrganization.reference"
            ]
        );
    }

    #[test]
    fn a_concept_map_gives_product_codes() {
        let doc = r#"{"resourceType": "ConceptMap", "status": "active", "group": [
          {"source": "http://www.nlm.nih.gov/research/umls/rxnorm", "target": "https://www.gs1.org/gtin",
           "element": [{"code": "197361", "target": [{"code": "9520000000011", "relationship": "equivalent"}]},
                       {"code": "197362", "target": [{"code": "09520000000028"}]}]}]}"#;
        let r = read(doc.as_bytes(), &ctx()).unwrap();
        let rx = "http://www.nlm.nih.gov/research/umls/rxnorm".to_string();
        assert_eq!(
            r.codes,
            [
                (
                    rx.clone(),
                    "197361".to_string(),
                    "09520000000011".to_string()
                ),
                (rx, "197362".to_string(), "09520000000028".to_string())
            ]
        );
        let bad = doc
            .replace("https://www.gs1.org/gtin", "http://snomed.info/sct")
            .replace(
                "\"group\": [",
                "\"group\": [{\"target\": \"https://www.gs1.org/gtin\"},",
            );
        let o = read(bad.as_bytes(), &ctx()).unwrap_err();
        let paths: Vec<&str> = o.issue.iter().map(|i| i.expression[0].as_str()).collect();
        assert_eq!(
            paths,
            ["ConceptMap.group[0].source", "ConceptMap.group[1].target"]
        );
        let two = doc.replace(
            r#"[{"code": "09520000000028"}]"#,
            r#"[{"code": "09520000000028"}, {"code": "09520000000011"}]"#,
        );
        let o = read(two.as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            o.issue[0].expression[0],
            "ConceptMap.group[0].element[1].target"
        );
    }

    #[test]
    fn a_receipt_out_reads_back_as_a_receipt() {
        let d = Delivery {
            day: "2026-03-02".into(),
            destination: location_reference("FAC1", "Facility 1", Some("9520000000011")),
            item: "09520000000011".into(),
            quantity: 40.0,
            received: true,
        };
        let v = serde_json::to_value(supply_delivery(&d)).unwrap();
        let r = read(v.to_string().as_bytes(), &ctx()).unwrap();
        assert_eq!(r.events[0]["bizStep"], "receiving");
        assert_eq!(r.events[0]["quantityList"][0]["quantity"], 40.0);
        let shipped = supply_delivery(&Delivery {
            received: false,
            ..d
        });
        let r = read(serde_json::to_string(&shipped).unwrap().as_bytes(), &ctx()).unwrap();
        assert!(
            r.events.is_empty() && r.notes[0].contains("in-progress"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn an_inventory_report_out_reads_back_in() {
        let rep = inventory_report(
            location_reference("FAC1", "Facility 1", Some("9520000000011")),
            "2026-03-31",
            &[StockLine {
                product: "AMOX".into(),
                name: Some("Amoxicillin".into()),
                quantity: 12.0,
            }],
        );
        let v = serde_json::to_value(&rep).unwrap();
        assert_eq!(v["resourceType"], "InventoryReport");
        assert_eq!(
            v["inventoryListing"][0]["item"][0]["quantity"]["value"],
            12.0
        );
        // Read back, its product needs a GTIN (or a code mapping): the
        // issue names the coding.
        let o = read(v.to_string().as_bytes(), &ctx()).unwrap_err();
        assert_eq!(
            o.issue[0].expression[0],
            "InventoryReport.inventoryListing[0].item[0].item.concept.coding"
        );
        let mut c = ctx();
        c.codes.map.insert(
            (PRODUCT_SYSTEM.into(), "AMOX".into()),
            "09520000000011".into(),
        );
        let r = read(v.to_string().as_bytes(), &c).unwrap();
        assert_eq!(r.events[0]["quantityList"][0]["quantity"], 12.0);
    }
}
