// The Equitas HTTP API, as the dashboard reads it. Errors are RFC 9457
// problem details; they become ApiError with the server's own words.

import { lang } from "./i18n";

export class ApiError extends Error {
  constructor(
    public status: number,
    public type: string,
    /** The server's words (English): `detail`, else `title`. */
    message: string,
    /** The path asked for, without its query. */
    public path: string,
    /** The query parameter at fault, if the server names one. */
    public parameter?: string,
  ) {
    super(message);
  }
  /** The data this needs is not loaded (409) or matches nothing (404). */
  get missing(): boolean {
    return this.status === 409 || this.status === 404;
  }
}

export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  rows: T[];
  method?: string;
  /** Stock answers: the day the figures are of. */
  as_of?: string;
  /** Market answers: the delivery dates of the procurement lines used. */
  period?: { from: string | null; to: string | null };
  notes?: string[];
  /** Market and supply answers: the names of the codes in the rows, by
   * dimension or field (`labels.supplier["aurobindo-pharma-limited"]`). */
  labels?: Record<string, Record<string, string>>;
}

/** The name a market answer gives a code of dimension `dim`, or the code. */
export function label(p: Page<unknown>, dim: string, code: string): string {
  return p.labels?.[dim]?.[code] ?? code;
}

type Params = Record<string, string | number | boolean | undefined | null>;

const cache = new Map<string, Promise<unknown>>();

function url(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function fetchJson<T>(u: string): Promise<T> {
  // Codes are named (labels) in the page's language, not the browser's.
  const r = await fetch(u, { headers: { Accept: "application/json", "Accept-Language": lang() } });
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const b = (body ?? {}) as { type?: string; detail?: string; title?: string; parameter?: string };
    throw new ApiError(r.status, b.type ?? "", b.detail ?? b.title ?? `HTTP ${r.status}`, u.split("?")[0], b.parameter);
  }
  return body as T;
}

// ---------------------------------------------------------------- accounts

/** Who is logged in (`mode: "open"` on a server without accounts). */
export interface Session {
  mode: "open" | "accounts";
  user: string | null;
  grants: { id: number; role: string; scope: { countries: string[]; location: string | null; programmes: string[] } }[];
  csrf_token?: string | null;
}

/** The session's CSRF token, sent with every write (never stored: a reload asks the server). */
let csrf: string | null = null;

async function post<T>(path: string, body: unknown = {}): Promise<T | null> {
  const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const r = await fetch(path, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" });
  const answer = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) {
    const b = (answer ?? {}) as { type?: string; detail?: string; title?: string; parameter?: string };
    throw new ApiError(r.status, b.type ?? "", b.detail ?? b.title ?? `HTTP ${r.status}`, path, b.parameter);
  }
  return answer as T;
}

/** The session; an ApiError 401 when a server with accounts has none. */
export async function session(): Promise<Session> {
  const s = await fetchJson<Session>("/api/v1/session");
  csrf = s.csrf_token ?? null;
  return s;
}

/** Logs in (a new session cookie); answers read before are forgotten. */
export async function login(user: string, password: string): Promise<Session> {
  const s = (await post<Session>("/api/v1/login", { user, password })) as Session;
  csrf = s.csrf_token ?? null;
  cache.clear();
  return { ...s, mode: "accounts" };
}

/** Single sign-on, if the server offers it: the provider's name and where the sign-in starts. */
export interface Sso {
  enabled: boolean;
  label?: string;
  login?: string;
}

export function sso(): Promise<Sso> {
  return fetchJson<Sso>("/api/v1/sso");
}

export async function logout(): Promise<void> {
  await post<null>("/api/v1/logout");
  csrf = null;
  cache.clear();
}

/** GET a JSON resource; answers are kept for the session (the data changes by capture or import, and a reload reads it again). */
export function get<T>(path: string, params: Params = {}): Promise<T> {
  const u = url(path, params);
  // Kept per language: labels name codes in the page's language.
  const key = `${lang()} ${u}`;
  let p = cache.get(key) as Promise<T> | undefined;
  if (!p) {
    p = fetchJson<T>(u);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Every row of a paginated list (pages of 1,000). */
export async function all<T>(path: string, params: Params = {}): Promise<Page<T>> {
  const first = await get<Page<T>>(path, { ...params, limit: 1000 });
  const rows = first.rows.slice();
  for (let offset = 1000; offset < first.total; offset += 1000) {
    const next = await get<Page<T>>(path, { ...params, limit: 1000, offset });
    rows.push(...next.rows);
  }
  return { ...first, rows, offset: 0, limit: rows.length };
}

/** `fn()`, or `null` when the server says the data is not there. */
export async function optional<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError && e.missing) return null;
    throw e;
  }
}

// ---------------------------------------------------------------- shapes

export interface Summary {
  n: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
  mean: number;
}

export interface Country {
  iso3: string;
  numeric: number | null;
  name_en: string;
  name_fr: string | null;
}

export interface Item {
  item: string;
  name: string | null;
  product: string | null;
  programme: string | null;
  category: string | null;
}

export interface Place {
  code: string;
  name: string;
  level: string | null;
  parent: string | null;
}

export interface StockRow {
  location: string;
  location_name: string;
  level: string;
  item: string;
  as_of: string;
  stock_on_hand: number;
  amc: number | null;
  /** Months of the AMC's window left out: nothing was recorded in them (docs/formulas.md 3.5). */
  months_unreported: number;
  months_of_stock: number | null;
  status: string;
  min_months: number;
  max_months: number;
  stockout_days: number | null;
  expiring: number;
  at_risk: number;
  /** Past its expiry on the as-of day and still held (docs/formulas.md 3.8). */
  expired: number;
  problems: number;
}

export interface AvailabilityRow {
  area: string;
  area_name: string;
  item: string;
  date: string;
  facilities: number;
  in_stock: number;
  availability: number | null;
}

export interface RiskRow {
  area: string;
  area_name: string;
  item: string;
  method: string;
  /** The methods whose median forecasts, best first (one: a single method). */
  combined: string[];
  months: string[];
  probability: number[];
  max_6: number;
  max_all: number;
}

/** An order of a supply plan (docs/formulas.md 4.7): placed in one month, arriving in another. */
export interface PlanOrder {
  order: string;
  arrival: string;
  order_month: number;
  arrival_month: number;
  quantity: number;
  cost: number | null;
  /** Placed now, too late to keep stock above the minimum until it arrives. */
  late: boolean;
}

/** A row of /api/v1/plan (docs/formulas.md 4.7): one item at one place. */
export interface PlanRow {
  area: string;
  area_name: string;
  /** A store planned as the area it serves (its echelon, 4.1). */
  served?: string;
  item: string;
  stock_on_hand: number;
  min_months: number;
  max_months: number;
  /** Months from order to arrival. */
  lead_time: number;
  orders: PlanOrder[];
}

/** A row of /api/v1/plan/lead-times (docs/formulas.md 4.7): a supplier's lead time, for one item or every item. */
export interface LeadTimeRow {
  /** Absent: every item this supplier has no row of its own for. */
  item?: string;
  supplier: string;
  total_months: number;
  /** The whole months a plan counts. */
  months: number;
}

/** A data problem flagged in the ledger (docs/formulas.md 3.10). */
export interface ProblemRow {
  at: string;
  description: string;
  item: string;
  kind: string;
  location: string;
  lot?: string;
  expected?: number;
  found?: number;
  /** The movements involved: an event by its event ID, a stock report row by its month. */
  sources: ProblemSource[];
}

/** A source of a data problem (docs/formulas.md 3.10). */
export interface ProblemSource {
  kind: string;
  name: string;
}

/** A row of /api/v1/market/concentration (docs/formulas.md 2.2, 2.8). */
export interface ConcentrationRow {
  key: string[];
  /** What the groups are: supplier, site or site-country. */
  by: string;
  groups: number;
  hhi: number;
  effective_number: number;
  top: string;
  /** The top group's share of the weight of known group. */
  top_share: number;
  /** Share of the weight whose group (site, site's country) is not known, left out of the HHI and shares. */
  unknown_share: number;
  band: string;
  n: number;
}

export interface PriceRow {
  key: string[];
  lines: number;
  unit_price: Summary | null;
  weighted_unit_price: number | null;
  value_usd: number;
}

export interface DeliveryRow {
  key: string[];
  lines: number;
  lead_time_days: Summary | null;
  delay_days: Summary | null;
  on_time_share: number | null;
}

export interface MprRow {
  key: string[];
  n: number;
  reference_source: string;
  mpr: number | null;
}

export interface CaptureJob {
  captureID: number;
  source: string;
  receivedAt: string;
  errorBehaviour: string;
  events: number;
  captured: number;
  duplicates: number;
  rejected: number;
}

export interface EpcisSummary {
  events: number;
  first_event_time: string | null;
  last_event_time: string | null;
  last_record_time: string | null;
  by_type_and_step: [string, string, number][];
}

export interface TierConcentration {
  tier: "manufacturer" | "site" | "country" | "ingredient-country";
  groups: number;
  hhi: number;
  effective_number: number;
  top: string;
  top_share: number;
  unknown_share: number;
}

/** A row of /api/v1/supply/concentration (docs/formulas.md 6.1). */
export interface TiersRow {
  key: string[];
  n: number;
  total: number;
  tiers: TierConcentration[];
  weakest: string;
  single_source: boolean;
  single_country: boolean;
  band: string;
}

export interface RegionRow {
  region: string;
  total: number;
  in_region: number;
  share_in_region: number | null;
  unknown_share: number;
  countries: string[];
}

export interface SingleSourceRow {
  product_type: string;
  manufacturer: string;
  products: number;
  authorities: Record<string, number>;
}

export interface RegulatorRow {
  country: string;
  authority: string;
  gbt_level: number | null;
  gbt_year: number | null;
  wla: string | null;
  pathway: string;
  days_to_authorise: number | null;
  provenance: { source: string; source_date: string | null };
}

/** A row of /api/v1/supply/licences. */
export interface LicenceRow {
  programme: string;
  licensor: string;
  licensee: string;
  licensee_site: string | null;
  technology: string;
  territory: string[];
  start: string | null;
  end: string | null;
  status: string;
  provenance: { source: string; source_date: string | null };
}

/** A row of /api/v1/supply/map. */
export interface MapRow {
  key: string[];
  manufacturer: string | null;
  site: string | null;
  country: string | null;
  weight: number;
  share: number;
}

/** A row of /api/v1/supply/match (docs/formulas.md 6.5). */
export interface MatchRow {
  region: string;
  product: string;
  demand: number;
  made_in_region: number;
  uncovered: number;
  producers: string[];
  qualified_producers: string[];
  capacity: string[];
  capacity_cover: CapacityCover | null;
  licences: string[];
  priority: boolean;
}

/** Regional producers' yearly capacity against a region's yearly demand (docs/formulas.md 6.5). */
export interface CapacityCover {
  unit: string;
  yearly_demand: number;
  capacity_min: number;
  capacity_max: number;
  cover_min: number;
  cover_max: number;
  sites: string[];
  other_units: string[];
}

/** A row of /api/v1/scenario/run (docs/formulas.md 7). */
export interface ImpactRow {
  country: string;
  product: string;
  income_group: string | null;
  demand_per_month: number;
  stock: number;
  pipeline: number;
  exposure: number;
  time_to_survive_months: number | null;
  time_to_recover_months: number;
  time_to_qualify_months: number | null;
  alternative: string;
  gap_months: number;
  stockout_date: string | null;
  months_short: number;
  unmet: number;
  unmet_courses: number | null;
  alternative_per_month: number;
  probability_of_stockout: number;
  expected_unmet: number;
  unmet_p95: number;
  assumptions: string[];
  /** Each level inside the country, where the ledger holds stock (7.8). */
  levels: LevelRow[];
}

/** A level inside a buying country under the scenario (docs/formulas.md 7.8). */
export interface LevelRow {
  level: string;
  share_of_demand: number;
  demand_per_month: number;
  stock: number;
  pipeline: number;
  exposure: number;
  time_to_survive_months: number | null;
  stockout_date: string | null;
  months_short: number;
  unmet: number;
  probability_of_stockout: number;
  expected_unmet: number;
  unmet_p95: number;
}

/** A row of /api/v1/scenario/nodes (docs/formulas.md 7.7). */
export interface NodeRow {
  rank: number;
  kind: string;
  node: string;
  pairs: number;
  countries_short: number;
  unmet: number;
  min_time_to_survive_months: number | null;
  exposed_per_month: number;
}

/** A row of /api/v1/scenario/compare (docs/formulas.md 7.7). */
export interface MitigationRow {
  mitigation: string;
  kind: string;
  unmet_without: number;
  unmet_with: number;
  reduction: number;
  reduction_share: number | null;
  countries_benefiting: number;
  beneficiaries: { country: string; product: string; reduction: number }[];
  cost: number | null;
  cost_per_unit_averted: number | null;
  /** Products a safety stock holds that have no price, left out of its cost. */
  unpriced: number;
}

/** A row of /api/v1/scenario/allocation (docs/formulas.md 7.5). */
export interface AllocationRow {
  rule: string;
  income_group: string;
  countries: number;
  requested_per_month: number;
  allocated_per_month: number;
  demand_at_risk: number;
  unmet: number;
  unmet_share: number;
  disparity: number;
}

/** A row of /api/v1/scenario/countries (docs/formulas.md 7.3). */
export interface CountryImpactRow {
  country: string;
  income_group: string | null;
  products: number;
  products_short: number;
  max_gap_months: number;
  first_stockout: string | null;
  unmet: number;
  unmet_courses: number | null;
}

/** A row of /api/v1/scenario/projection (docs/formulas.md 7.2). */
export interface Month {
  month: number;
  demand: number;
  supply: number;
  alternative: number;
  stock: number;
  stock_without: number;
  unmet: number;
}
