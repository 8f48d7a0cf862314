// Names of items (GTINs), products and places, read once per page load.

import * as api from "./api";
import { lang } from "./i18n";

export interface Names {
  items: Map<string, api.Item>;
  products: Map<string, string>;
  /** Items by product code. */
  itemsOf: Map<string, string[]>;
  /** Products with procurement lines. */
  market: Set<string>;
}

let names: Promise<Names> | null = null;

export function loadNames(): Promise<Names> {
  names ??= (async () => {
    const [items, market] = await Promise.all([
      api.optional(() => api.all<api.Item>("/api/v1/items")),
      api.optional(() => api.all<{ product: string; name: string | null }>("/api/v1/market/products")),
    ]);
    const n: Names = { items: new Map(), products: new Map(), itemsOf: new Map(), market: new Set() };
    for (const r of market?.rows ?? []) {
      n.products.set(r.product, r.name ?? r.product);
      n.market.add(r.product);
    }
    for (const i of items?.rows ?? []) {
      n.items.set(i.item, i);
      if (i.product) {
        if (i.name && !n.products.has(i.product)) n.products.set(i.product, i.name);
        const list = n.itemsOf.get(i.product) ?? [];
        list.push(i.item);
        n.itemsOf.set(i.product, list);
      }
    }
    return n;
  })();
  names.catch(() => (names = null));
  return names;
}

/** The name to show for an item or product code. */
export function nameOf(n: Names, code: string): string {
  return n.items.get(code)?.name ?? n.products.get(code) ?? code;
}

/** The product page of an item or product code. */
export function productHref(n: Names, code: string): string {
  const product = n.items.get(code)?.product ?? code;
  return `#/product/${encodeURIComponent(product)}`;
}

let countries: Promise<api.Country[]> | undefined;

/** The countries list, read once and shared by the names below; read
 * again after a failure. */
function loadCountries(): Promise<api.Country[]> {
  if (!countries) {
    const p = api.all<api.Country>("/api/v1/countries").then((c) => c.rows);
    p.catch(() => {
      countries = undefined;
    });
    countries = p;
  }
  return countries;
}

const countryNames = new Map<string, Promise<Map<string, string>>>();

/** Country names by ISO 3166 alpha-3 code, in the page's language (read once per language). */
export function loadCountryNames(): Promise<Map<string, string>> {
  const l = lang();
  let p = countryNames.get(l);
  if (!p) {
    p = loadCountries().then((rows) => new Map(rows.map((r) => [r.iso3, (l === "fr" && r.name_fr) || r.name_en])));
    p.catch(() => countryNames.delete(l));
    countryNames.set(l, p);
  }
  return p;
}

/** Names places in the page's language. A country's place (its code an
 * ISO 3166 alpha-3 code) is stored under the country's English name: in
 * French it is named by the country's French name, as market figures name
 * their countries; any other place, and every place in English, by its own
 * name (the data's). */
export async function loadPlaceNames(): Promise<(code: string, name: string) => string> {
  if (lang() !== "fr") return (_code, name) => name;
  const rows = await api.optional(loadCountries);
  const fr = new Map((rows ?? []).filter((r) => r.name_fr).map((r) => [r.iso3, r.name_fr!]));
  return (code, name) => fr.get(code) ?? name;
}
