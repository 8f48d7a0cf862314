// Disruption scenarios (issue 21): the demo's scenario (the API's default:
// manufacturing in the largest producing country stops for six months),
// as the /api/v1/scenario operations compute it (docs/formulas.md 7): who
// runs out of what and when, the nodes that matter most, the mitigations
// and the allocation rules compared. The page computes no figure.

import * as api from "../api";
import { chart, countryMap, SCALE_GOOD_LOW } from "../charts";
import { loadCountryNames, loadNames, nameOf } from "../names";
import { el, fill, message, section } from "../dom";
import { date, num, pct, t } from "../i18n";
import { dataTable } from "../table";
import { incomeGroup } from "../vocab";
import { navigate, type Route } from "../router";

function alternative(a: string): string {
  switch (a) {
    case "authorised":
      return t("scenario.alt_authorised");
    case "to-authorise":
      return t("scenario.alt_to_authorise");
    case "no-spare-capacity":
      return t("scenario.alt_no_spare");
    case "never":
      return t("scenario.alt_never");
    default:
      return t("scenario.alt_not_needed");
  }
}

function kind(k: string): string {
  switch (k) {
    case "site":
      return t("scenario.kind_site");
    case "manufacturer":
      return t("scenario.kind_manufacturer");
    case "producing-country":
      return t("scenario.kind_country");
    case "safety-stock":
      return t("scenario.kind_safety_stock");
    case "second-source":
      return t("scenario.kind_second_source");
    case "regional-producer":
      return t("scenario.kind_regional_producer");
    default:
      return k;
  }
}

function level(l: string): string {
  switch (l) {
    case "national store":
      return t("scenario.level_national");
    case "region":
      return t("scenario.level_region");
    case "district":
      return t("scenario.level_district");
    case "facility":
      return t("scenario.level_facility");
    default:
      return l;
  }
}

/** A pair's levels inside its country, as the API gives them (7.8). */
function levels(r: api.ImpactRow): HTMLElement | null {
  if (!r.levels || r.levels.length === 0) return null;
  return el(
    "div",
    { "data-levels": `${r.country} ${r.product}` },
    el("p", { class: "note" }, t("scenario.levels_note")),
    dataTable({
      id: "scenario-levels",
      columns: [
        { label: t("scenario.col_level"), value: (l: api.LevelRow) => l.level, format: (l) => level(l.level) },
        { label: t("scenario.col_share"), value: (l) => l.share_of_demand, format: (l) => pct(l.share_of_demand), numeric: true },
        { label: t("scenario.col_stock"), value: (l) => l.stock, format: (l) => num(l.stock), numeric: true },
        { label: t("scenario.col_tts"), value: (l) => l.time_to_survive_months, format: (l) => num(l.time_to_survive_months, 1), numeric: true },
        { label: t("scenario.col_stockout"), value: (l) => l.stockout_date, format: (l) => date(l.stockout_date) },
        { label: t("scenario.col_unmet"), value: (l) => l.unmet, format: (l) => num(l.unmet), numeric: true },
        { label: t("scenario.col_probability"), value: (l) => l.probability_of_stockout, format: (l) => pct(l.probability_of_stockout), numeric: true },
        { label: t("scenario.col_expected_unmet"), value: (l) => l.expected_unmet, format: (l) => num(l.expected_unmet), numeric: true },
        { label: t("scenario.col_unmet_p95"), value: (l) => l.unmet_p95, format: (l) => num(l.unmet_p95), numeric: true },
      ],
      rows: r.levels,
    }),
  );
}

function rule(r: string): string {
  switch (r) {
    case "pro-rata":
      return t("scenario.rule_pro_rata");
    case "order-date":
      return t("scenario.rule_order_date");
    default:
      return t("scenario.rule_need");
  }
}

export async function scenarioPage(route: Route): Promise<HTMLElement> {
  const map = section("map", t("scenario.map"), "7.3");
  const impact = section("impact", t("scenario.impact"), "7.2");
  const projection = section("projection", t("scenario.projection"), "7.2");
  const nodes = section("nodes", t("scenario.nodes"), "7.7");
  const mitigations = section("mitigations", t("scenario.mitigations"), "7.7");
  const allocation = section("allocation", t("scenario.allocation"), "7.5");
  const run = await api.all<api.ImpactRow>("/api/v1/scenario/run");
  const head = run as api.Page<api.ImpactRow> & { scenario?: string; start?: string; assumptions?: string[] };
  const short = run.rows.filter((r) => r.unmet > 0).length;
  const root = el(
    "div",
    { class: "page scenario" },
    el("h1", {}, t("scenario.title")),
    el("p", { class: "note" }, t("scenario.lead")),
    el("p", { class: "note", "data-figure": "scenario" }, t("scenario.which", head.scenario ?? "", date(head.start ?? null))),
    el(
      "dl",
      { class: "figures" },
      el("div", {}, el("dt", {}, t("scenario.pairs")), el("dd", { "data-figure": "pairs" }, num(run.total))),
      el("div", {}, el("dt", {}, t("scenario.short")), el("dd", { "data-figure": "short" }, num(short))),
    ),
    map.root,
    impact.root,
    projection.root,
    mitigations.root,
    allocation.root,
    nodes.root,
    el("p", { class: "note", "data-figure": "assumptions" }, `${t("scenario.assumptions")} ${(head.assumptions ?? []).join("; ")}`),
  );

  // Countries and products by name (codes in the cells' titles).
  const [countryNames, names] = await Promise.all([loadCountryNames(), loadNames()]);
  const countryName = (code: string) => countryNames.get(code) ?? code;

  void fill(map.body, async () => {
    const p = await api.all<api.CountryImpactRow>("/api/v1/scenario/countries");
    if (p.rows.length === 0) return message(t("no_data"));
    const m = await countryMap(
      "scenario-map",
      p.rows.map((r) => ({
        code: r.country,
        name: countryName(r.country),
        value: r.max_gap_months,
        detail: `${t("scenario.col_stockout")}: ${date(r.first_stockout)}<br>${t("scenario.col_unmet")}: ${num(r.unmet)}`,
      })),
      {
        label: t("scenario.col_gap"),
        format: (v) => num(v, 1),
        lo: 0,
        hi: Math.max(1, ...p.rows.map((r) => r.max_gap_months)),
        colours: SCALE_GOOD_LOW,
      },
    );
    return m ? [el("p", { class: "note" }, t("scenario.map_note")), m.node] : message(t("no_data"));
  });

  void fill(impact.body, async () => {
    if (run.rows.length === 0) return message(t("no_data"));
    return dataTable({
      id: "scenario-impact",
      columns: [
        { label: t("col.country"), value: (r) => countryName(r.country), title: (r) => r.country },
        { label: t("col.product"), value: (r) => nameOf(names, r.product), title: (r) => r.product },
        { label: t("scenario.col_exposure"), value: (r) => r.exposure, format: (r) => pct(r.exposure), numeric: true },
        { label: t("scenario.col_tts"), value: (r) => r.time_to_survive_months, format: (r) => num(r.time_to_survive_months, 1), numeric: true },
        { label: t("scenario.col_ttq"), value: (r) => r.time_to_qualify_months, format: (r) => num(r.time_to_qualify_months, 1), numeric: true },
        { label: t("scenario.col_alternative"), value: (r) => r.alternative, format: (r) => alternative(r.alternative) },
        { label: t("scenario.col_gap"), value: (r) => r.gap_months, format: (r) => num(r.gap_months, 1), numeric: true },
        { label: t("scenario.col_stockout"), value: (r) => r.stockout_date, format: (r) => date(r.stockout_date) },
        { label: t("scenario.col_unmet"), value: (r) => r.unmet, format: (r) => num(r.unmet), numeric: true },
        {
          label: t("scenario.col_probability"),
          value: (r) => r.probability_of_stockout,
          format: (r) => pct(r.probability_of_stockout),
          numeric: true,
        },
      ],
      rows: run.rows,
      pageSize: 20,
      detail: levels,
      detailLabel: t("scenario.levels"),
      onRowClick: (r) =>
        navigate(`#/scenario?country=${encodeURIComponent(r.country)}&product=${encodeURIComponent(r.product)}`),
    });
  });

  void fill(projection.body, async () => {
    const p = (await api.all<api.Month>("/api/v1/scenario/projection", {
      country: route.query.get("country"),
      product: route.query.get("product"),
    })) as api.Page<api.Month> & { country?: string; product?: string };
    if (p.rows.length === 0) return message(t("no_data"));
    const months = p.rows.map((m) => String(m.month));
    const line = (name: string, data: number[]) => ({ type: "line", name, data, showSymbol: false });
    const node = chart(
      "scenario-projection",
      {
        tooltip: { trigger: "axis", valueFormatter: (v: number) => num(v) },
        legend: { top: 0 },
        grid: { left: 70, right: 20, top: 40, bottom: 40 },
        xAxis: { type: "category", data: months, name: t("scenario.month") },
        yAxis: { type: "value", axisLabel: { formatter: (v: number) => num(v) } },
        series: [
          line(t("scenario.stock_with"), p.rows.map((m) => m.stock)),
          line(t("scenario.stock_without"), p.rows.map((m) => m.stock_without)),
          line(t("scenario.demand"), p.rows.map((m) => m.demand)),
          { type: "bar", name: t("scenario.col_unmet"), data: p.rows.map((m) => m.unmet) },
        ],
      },
      320,
    );
    return [el("p", { class: "note", "data-figure": "pair" }, t("scenario.projection_note", p.country ?? "", p.product ?? "")), node];
  });

  void fill(mitigations.body, async () => {
    const p = await api.all<api.MitigationRow>("/api/v1/scenario/compare");
    if (p.rows.length === 0) return message(t("no_data"));
    return dataTable({
      id: "scenario-mitigations",
      columns: [
        { label: t("scenario.col_mitigation"), value: (r) => r.mitigation },
        { label: t("scenario.col_kind"), value: (r) => r.kind, format: (r) => kind(r.kind) },
        { label: t("scenario.col_unmet_without"), value: (r) => r.unmet_without, format: (r) => num(r.unmet_without), numeric: true },
        { label: t("scenario.col_unmet_with"), value: (r) => r.unmet_with, format: (r) => num(r.unmet_with), numeric: true },
        { label: t("scenario.col_reduction"), value: (r) => r.reduction_share, format: (r) => pct(r.reduction_share), numeric: true },
        { label: t("scenario.col_helped"), value: (r) => r.countries_benefiting, numeric: true },
        // A cost over part of the products (some have no price) is a lower bound: "≥".
        {
          label: t("scenario.col_cost"),
          value: (r) => r.cost,
          format: (r) => (r.cost !== null && r.unpriced > 0 ? `≥ ${num(r.cost)}` : num(r.cost)),
          title: (r) => (r.unpriced > 0 ? t("scenario.cost_partial", String(r.unpriced)) : ""),
          numeric: true,
        },
      ],
      rows: p.rows,
    });
  });

  void fill(allocation.body, async () => {
    const p = await api.all<api.AllocationRow>("/api/v1/scenario/allocation");
    if (p.rows.length === 0) return message(t("no_data"));
    return [
      el("p", { class: "note" }, t("scenario.allocation_note")),
      dataTable({
        id: "scenario-allocation",
        columns: [
          { label: t("scenario.col_rule"), value: (r) => r.rule, format: (r) => rule(r.rule) },
          { label: t("col.income_group"), value: (r) => r.income_group, format: (r) => incomeGroup(r.income_group) },
          { label: t("scenario.col_allocated"), value: (r) => r.allocated_per_month, format: (r) => num(r.allocated_per_month), numeric: true },
          { label: t("scenario.col_unmet_share"), value: (r) => r.unmet_share, format: (r) => pct(r.unmet_share), numeric: true },
          { label: t("scenario.col_disparity"), value: (r) => r.disparity, format: (r) => pct(r.disparity), numeric: true },
        ],
        rows: p.rows,
      }),
    ];
  });

  void fill(nodes.body, async () => {
    const p = await api.all<api.NodeRow>("/api/v1/scenario/nodes");
    if (p.rows.length === 0) return message(t("no_data"));
    return dataTable({
      id: "scenario-nodes",
      columns: [
        { label: t("scenario.col_rank"), value: (r) => r.rank, numeric: true },
        { label: t("scenario.col_kind"), value: (r) => r.kind, format: (r) => kind(r.kind) },
        // Named as the API's labels name it (a producing country under `country`).
        { label: t("scenario.col_node"), value: (r) => r.node, format: (r) => api.label(p, r.kind === "producing-country" ? "country" : r.kind, r.node) },
        { label: t("scenario.col_countries_short"), value: (r) => r.countries_short, numeric: true },
        { label: t("scenario.col_unmet"), value: (r) => r.unmet, format: (r) => num(r.unmet), numeric: true },
      ],
      rows: p.rows,
      pageSize: 20,
    });
  });
  return root;
}
