// Supply security (issue 20): each product's weakest tier, the share of
// each region's supply made in the region, single-source vaccine types and
// the regulators register, as the /api/v1/supply operations compute them
// (docs/formulas.md 6).

import * as api from "../api";
import { chart, countryMap, SCALE_GOOD_HIGH } from "../charts";
import { el, fill, message, section } from "../dom";
import { num, pct, t } from "../i18n";
import { dataTable, type Column } from "../table";
import { navigate, type Route } from "../router";
import { band, licenceProgramme, licenceStatus, tier } from "../vocab";
import { loadCountryNames } from "../names";

export async function supplyPage(route: Route): Promise<HTMLElement> {
  const tiers = section("tiers", t("supply.tiers"), "6.1");
  const regional = section("regional", t("supply.regional"), "6.4");
  const single = section("single", t("supply.single"), "6.2");
  const matching = section("match", t("supply.match"), "6.5");
  const regulators = section("regulators", t("supply.regulators"));
  const licences = section("licences", t("supply.licences"));
  const [c, countryNames] = await Promise.all([
    api.all<api.TiersRow>("/api/v1/supply/concentration"),
    loadCountryNames(),
  ]);
  const countryName = (code: string) => countryNames.get(code) ?? code;
  const singleCountry = c.rows.filter((r) => r.single_country).length;
  const singleSource = c.rows.filter((r) => r.single_source).length;
  // The product whose map is drawn: the one asked for, else the largest.
  const largest = c.rows.reduce<api.TiersRow | null>((a, r) => (a && a.total >= r.total ? a : r), null);
  const product = route.query.get("product") ?? largest?.key[0] ?? "";
  const map = section("map", t("supply.map", c.labels?.product?.[product] ?? product), "6.1");
  const root = el(
    "div",
    { class: "page supply" },
    el("h1", {}, t("supply.title")),
    el("p", { class: "note" }, t("supply.lead")),
    el(
      "dl",
      { class: "figures" },
      el("div", {}, el("dt", {}, t("supply.products")), el("dd", { "data-figure": "products" }, num(c.rows.length))),
      el(
        "div",
        {},
        el("dt", {}, t("supply.single_country")),
        el("dd", { "data-figure": "single-country" }, num(singleCountry)),
      ),
      el(
        "div",
        {},
        el("dt", {}, t("supply.single_source")),
        el("dd", { "data-figure": "single-source" }, num(singleSource)),
      ),
    ),
    map.root,
    tiers.root,
    regional.root,
    matching.root,
    single.root,
    regulators.root,
    licences.root,
  );
  const label = (field: string, code: string) => c.labels?.[field]?.[code] ?? code;
  const hhi = (r: api.TiersRow, name: string) => r.tiers.find((x) => x.tier === name)?.hhi ?? null;

  void fill(map.body, async () => {
    if (!product) return message(t("no_data"));
    const m = await api.all<api.MapRow>("/api/v1/supply/map", { product, by_country: true });
    if (m.rows.length === 0) return message(t("no_data"));
    const name = (field: string, code: string | null) =>
      code === null ? t("supply.unknown") : (m.labels?.[field]?.[code] ?? code);
    // Producing countries -> manufacturers -> buying countries: node ids
    // carry their tier, so that a country can both produce and buy.
    const links = new Map<string, number>();
    const add = (a: string, b: string, w: number) => links.set(`${a}\u0000${b}`, (links.get(`${a}\u0000${b}`) ?? 0) + w);
    for (const r of m.rows) {
      add(`c:${r.country ?? ""}`, `m:${r.manufacturer ?? ""}`, r.weight);
      add(`m:${r.manufacturer ?? ""}`, `b:${r.key[1]}`, r.weight);
    }
    const ids = new Set<string>();
    for (const k of links.keys()) for (const id of k.split("\u0000")) ids.add(id);
    const label = (id: string) =>
      id.startsWith("m:") ? name("manufacturer", id.slice(2) || null) : name("country", id.slice(2) || null);
    const level = (p: string) => [...ids].filter((id) => id.startsWith(p)).length;
    const node = chart(
      "supply-map",
      {
        tooltip: { trigger: "item" },
        series: [
          {
            type: "sankey",
            left: 10,
            right: 160,
            nodeGap: 6,
            data: [...ids].map((id) => ({ name: id })),
            links: [...links].map(([k, v]) => {
              const [source, target] = k.split("\u0000");
              return { source, target, value: v };
            }),
            label: { formatter: (p: { name: string }) => label(p.name) },
            tooltip: {
              formatter: (p: { dataType?: string; name: string; value: number; data: { source?: string; target?: string } }) =>
                p.dataType === "edge"
                  ? `${label(p.data.source ?? "")} → ${label(p.data.target ?? "")}: ${num(p.value)}`
                  : `${label(p.name)}: ${num(p.value)}`,
            },
          },
        ],
      },
      Math.max(260, 60 + 20 * Math.max(level("c:"), level("m:"), level("b:"))),
    );
    return [el("p", { class: "note" }, t("supply.map_note")), node];
  });

  void fill(tiers.body, async () => {
    if (c.rows.length === 0) return message(t("no_data"));
    return dataTable({
      id: "supply-tiers",
      columns: [
        { label: t("col.product"), value: (r) => label("product", r.key[0]), title: (r) => r.key[0] },
        { label: t("col.hhi_manufacturer"), value: (r) => hhi(r, "manufacturer"), format: (r) => num(hhi(r, "manufacturer")), numeric: true },
        { label: t("col.hhi_site"), value: (r) => hhi(r, "site"), format: (r) => num(hhi(r, "site")), numeric: true },
        { label: t("col.hhi_country"), value: (r) => hhi(r, "country"), format: (r) => num(hhi(r, "country")), numeric: true },
        { label: t("col.weakest"), value: (r) => r.weakest, format: (r) => tier(r.weakest), title: (r) => r.weakest },
        { label: t("col.band"), value: (r) => r.band, format: (r) => band(r.band), title: (r) => r.band },
        {
          label: t("col.single_country"),
          value: (r) => (r.single_country ? 1 : 0),
          format: (r) => (r.single_country ? t("yes") : t("no")),
        },
      ],
      // Most concentrated by producing country first, products of unknown
      // origin last, then by name.
      onRowClick: (r) => navigate(`#/supply?product=${encodeURIComponent(r.key[0])}`),
      rows: c.rows.slice().sort(
        (a, b) =>
          (hhi(b, "country") ?? -1) - (hhi(a, "country") ?? -1) ||
          label("product", a.key[0]).localeCompare(label("product", b.key[0])),
      ),
    });
  });

  void fill(regional.body, async () => {
    const p = await api.all<api.RegionRow>("/api/v1/supply/regional");
    if (p.rows.length === 0) return message(t("no_data"));
    // Each buying country coloured by its region's share made in the region.
    const areas = p.rows.flatMap((r) =>
      r.countries.map((code) => ({
        code,
        name: p.labels?.country?.[code] ?? code,
        value: r.share_in_region,
        detail: t("supply.region_of", r.region),
      })),
    );
    const map = await countryMap("supply-regional-map", areas, {
      label: t("col.in_region"),
      format: (v) => pct(v),
      lo: 0,
      hi: 1,
      colours: SCALE_GOOD_HIGH,
    });
    const table = dataTable({
      id: "supply-regional",
      columns: [
        { label: t("col.who_region"), value: (r) => r.region },
        { label: t("col.in_region"), value: (r) => r.share_in_region, format: (r) => pct(r.share_in_region), numeric: true },
        { label: t("col.unknown_origin"), value: (r) => r.unknown_share, format: (r) => pct(r.unknown_share), numeric: true },
      ],
      rows: p.rows,
      sort: [0, "asc"],
    });
    return map ? [map.node, table] : table;
  });

  void fill(matching.body, async () => {
    const p = await api.all<api.MatchRow>("/api/v1/supply/match");
    if (p.rows.length === 0) return message(t("no_data"));
    const name = (code: string) => p.labels?.product?.[code] ?? code;
    return [
      el("p", { class: "note" }, t("supply.match_note")),
      dataTable({
        id: "supply-match",
        columns: [
          { label: t("col.who_region"), value: (r) => r.region },
          { label: t("col.product"), value: (r) => name(r.product), title: (r) => r.product },
          { label: t("col.uncovered"), value: (r) => r.uncovered, format: (r) => num(r.uncovered), numeric: true },
          { label: t("col.regional_producers"), value: (r) => r.producers.length, numeric: true },
          { label: t("col.qualified"), value: (r) => r.qualified_producers.length, numeric: true },
          { label: t("col.licences"), value: (r) => r.licences.length, numeric: true },
          { label: t("col.priority"), value: (r) => (r.priority ? 1 : 0), format: (r) => (r.priority ? t("yes") : t("no")) },
        ],
        rows: p.rows,
        pageSize: 20,
      }),
    ];
  });

  void fill(single.body, async () => {
    const p = await api.all<api.SingleSourceRow>("/api/v1/supply/single-source");
    if (p.rows.length === 0) return message(t("no_data"));
    return dataTable({
      id: "supply-single",
      columns: [
        { label: t("col.vaccine_type"), value: (r) => r.product_type },
        { label: t("col.manufacturer"), value: (r) => r.manufacturer },
        { label: t("col.products"), value: (r) => r.products, format: (r) => num(r.products), numeric: true },
        {
          label: t("col.authorities"),
          value: (r) =>
            Object.entries(r.authorities)
              .map(([a, n]) => `${a} (${n})`)
              .join("; "),
        },
      ],
      rows: p.rows,
      sort: [0, "asc"],
    });
  });

  void fill(regulators.body, async () => {
    const p = await api.all<api.RegulatorRow>("/api/v1/supply/regulators");
    if (p.rows.length === 0) return message(t("supply.no_regulators"));
    return dataTable({
      id: "supply-regulators",
      columns: [
        { label: t("col.country"), value: (r) => countryName(r.country), title: (r) => r.country },
        { label: t("col.authority"), value: (r) => r.authority },
        { label: t("col.gbt_level"), value: (r) => r.gbt_level, format: (r) => (r.gbt_level ? `ML${r.gbt_level}` : "–"), numeric: true },
        { label: t("col.year"), value: (r) => r.gbt_year, format: (r) => (r.gbt_year ? String(r.gbt_year) : "–"), numeric: true },
        sourceColumn(),
      ],
      rows: p.rows,
      sort: [0, "asc"],
    });
  });

  void fill(licences.body, async () => {
    const p = await api.all<api.LicenceRow>("/api/v1/supply/licences");
    if (p.rows.length === 0) return message(t("supply.no_licences"));
    return dataTable({
      id: "supply-licences",
      columns: [
        { label: t("col.programme"), value: (r) => licenceProgramme(r.programme), title: (r) => r.programme },
        { label: t("col.licensor"), value: (r) => r.licensor },
        { label: t("col.licensee"), value: (r) => r.licensee },
        { label: t("col.technology"), value: (r) => r.technology },
        {
          label: t("col.territory"),
          value: (r) => r.territory.length,
          // A long territory is counted; a short one listed.
          format: (r) =>
            r.territory.length === 0
              ? t("supply.not_stated")
              : r.territory.length > 6
                ? t("supply.countries", num(r.territory.length))
                : r.territory.map(countryName).join(", "),
          numeric: true,
        },
        { label: t("col.status"), value: (r) => licenceStatus(r.status), title: (r) => r.status },
        sourceColumn(),
      ],
      rows: p.rows,
      pageSize: 20,
    });
  });
  return root;
}

/** A register row's source: a link where it is a URL, its date in the title. */
function sourceColumn<T extends { provenance: { source: string; source_date: string | null } }>(): Column<T> {
  return {
    label: t("col.source"),
    value: (r) => r.provenance.source,
    format: () => t("supply.source_link"),
    href: (r) => (r.provenance.source.startsWith("https://") ? r.provenance.source : null),
    title: (r) => `${r.provenance.source} (${r.provenance.source_date ?? "–"})`,
  };
}
