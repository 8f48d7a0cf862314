// The overview: places coloured by a chosen indicator (the world map where
// the places have Natural Earth shapes, a ranked chart where they have
// none), a table of the places, and the products of the place picked.

import { chart, colourOf, countryMap, SCALE_GOOD_HIGH, SCALE_GOOD_LOW } from "../charts";
import { el, docLink, fill, message, section } from "../dom";
import { INDICATORS, indicator, type Area, type Areas, type Indicator } from "../indicators";
import { date, t } from "../i18n";
import { dataTable } from "../table";
import { loadNames, nameOf, productHref } from "../names";
import { programme } from "../vocab";
import { navigate, type Route } from "../router";

const STOCK_LEVELS = ["country", "region", "district"];

export async function overview(route: Route): Promise<HTMLElement> {
  const ind = indicator(route.query.get("ind"));
  const level = ind.kind === "stock" ? (STOCK_LEVELS.includes(route.query.get("level") ?? "") ? route.query.get("level")! : "region") : "country";
  const picked = route.query.get("area");

  const go = (changes: Record<string, string | null>) => {
    const q = new URLSearchParams(route.query);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) q.delete(k);
      else q.set(k, v);
    }
    navigate(`#/?${q.toString()}`);
  };

  const select = el("select", { id: "indicator", "aria-label": t("overview.indicator") });
  for (const i of INDICATORS) {
    select.append(el("option", { value: i.id, selected: i.id === ind.id }, t(`ind.${i.id}`)));
  }
  select.addEventListener("change", () => go({ ind: select.value, area: null }));

  const levelSelect = el("select", { id: "level", "aria-label": t("overview.level"), disabled: ind.kind !== "stock" });
  for (const l of ind.kind === "stock" ? STOCK_LEVELS : ["country"]) {
    levelSelect.append(el("option", { value: l, selected: l === level }, t(`level.${l}` as any)));
  }
  levelSelect.addEventListener("change", () => go({ level: levelSelect.value, area: null }));

  const controls = el(
    "div",
    { class: "controls" },
    el("label", {}, t("overview.indicator"), " ", select),
    el("label", {}, t("overview.level"), " ", levelSelect),
    el("span", { class: "long" }, t(`ind.${ind.id}.long` as any), " ", docLink(ind.doc, t(`ind.${ind.id}`))),
  );

  const places = section("places", t("overview.areas"), ind.doc);
  const products = section("products", picked ? t("overview.products_in", picked) : t("overview.products_in", "…"), ind.doc);
  const root = el(
    "div",
    { class: "page overview" },
    el("h1", {}, t("overview.title")),
    el("p", { class: "lead" }, t("overview.lead")),
    controls,
    places.root,
    products.root,
  );

  let areas: Area[] = [];
  await fill(places.body, async () => {
    const found = await ind.areas(level);
    areas = found.areas;
    if (areas.length === 0) return message(t("no_data"));
    const pick = (code: string) => go({ area: code });
    const parts: HTMLElement[] = [];
    const dated = datedBy(found);
    if (dated) parts.push(el("p", { class: "as-of", "data-role": "as-of" }, dated));
    if (found.basis) parts.push(el("p", { class: "note", "data-role": "basis" }, t("overview.basis", found.basis)));
    parts.push(await areaChart(ind, areas, pick));
    parts.push(
      dataTable({
        id: "areas",
        columns: [
          { label: t("col.place"), value: (a) => a.name, href: (a) => placeHref(ind, a.code) },
          { label: t("col.code"), value: (a) => a.code },
          { label: t(`ind.${ind.id}`), value: (a) => a.value, format: (a) => ind.format(a.value), numeric: true },
        ],
        rows: areas,
        sort: [2, ind.higherIsBetter ? "asc" : "desc"],
        onRowClick: (a) => pick(a.code),
      }),
    );
    if (!picked) parts.push(message(t("overview.pick")));
    return parts;
  });

  if (!picked) {
    products.root.remove();
  } else {
    const area = areas.find((a) => a.code === picked);
    products.root.querySelector("h2")!.firstChild!.textContent = t("overview.products_in", area?.name ?? picked);
    void fill(products.body, async () => {
      const [rows, names] = await Promise.all([ind.products(picked, level), loadNames()]);
      if (rows.length === 0) return message(t("no_data"));
      return dataTable({
        id: "area-products",
        columns: [
          { label: t("col.product"), value: (r) => nameOf(names, r.code), href: (r) => productHref(names, r.code) },
          { label: t("col.code"), value: (r) => r.code },
          {
            label: t("col.programme"),
            value: (r) => names.items.get(r.code)?.programme ?? "",
            format: (r) => programme(names.items.get(r.code)?.programme),
            title: (r) => names.items.get(r.code)?.programme ?? "",
          },
          { label: t(`ind.${ind.id}`), value: (r) => r.value, format: (r) => ind.format(r.value), numeric: true },
          { label: t("col.detail"), value: (r) => r.detail },
        ],
        rows,
        sort: [3, ind.higherIsBetter ? "asc" : "desc"],
      });
    });
  }
  return root;
}

/** What day (stock) or period (procurement) the places' figures are of. */
function datedBy(a: Areas): string | null {
  if (a.asOf) return t("overview.as_of", date(a.asOf));
  if (a.period?.from && a.period.to) return t("overview.period", date(a.period.from), date(a.period.to));
  return null;
}

/** Stock places have a location page; countries of market data do not. */
function placeHref(ind: Indicator, code: string): string | null {
  return ind.kind === "stock" ? `#/location/${encodeURIComponent(code)}` : null;
}

async function areaChart(ind: Indicator, areas: Area[], pick: (code: string) => void): Promise<HTMLElement> {
  const values = areas.map((a) => a.value).filter((v): v is number => v !== null);
  const [lo, hi] = ind.range ?? [Math.min(...values, 0), Math.max(...values, 1)];
  const colours = ind.higherIsBetter ? SCALE_GOOD_HIGH : SCALE_GOOD_LOW;
  const label = t(`ind.${ind.id}`);

  // Countries with a Natural Earth shape go on the map.
  if (ind.kind === "market" || areas.some((a) => a.code.length === 3)) {
    const m = await countryMap("overview-map", areas, { label, format: ind.format, lo, hi, colours, pick });
    if (m) {
      return el(
        "div",
        { class: "map-wrap" },
        m.node,
        m.missing > 0 ? message(t("overview.missing_on_map", m.missing, areas.length)) : null,
      );
    }
  }

  // No shapes: a ranked bar chart, in the order of the table (the worst first).
  const sorted = areas
    .filter((a) => a.value !== null)
    .sort((a, b) => (ind.higherIsBetter ? a.value! - b.value! : b.value! - a.value!));
  const node = chart(
    "overview-bars",
    {
      tooltip: { trigger: "item", valueFormatter: (v: number) => ind.format(v) },
      grid: { left: 200, right: 40, top: 10, bottom: 30 },
      xAxis: { type: "value", min: ind.range?.[0], max: ind.range?.[1], axisLabel: { formatter: (v: number) => ind.format(v) } },
      // The first place on top, as in the table below.
      yAxis: { type: "category", inverse: true, data: sorted.map((a) => a.name), axisLabel: { width: 190, overflow: "truncate" } },
      series: [
        {
          type: "bar",
          name: label,
          data: sorted.map((a) => ({ value: a.value, itemStyle: { color: colourOf(a.value, lo, hi, colours) } })),
        },
      ],
    },
    Math.max(120, Math.min(40 + sorted.length * 26, 700)),
    (c) => c.on("click", (p: any) => pick(sorted[p.dataIndex].code)),
  );
  return el("div", { class: "map-wrap" }, node, message(t("overview.no_shapes")));
}
