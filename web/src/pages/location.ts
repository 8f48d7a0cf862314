// A location: where it sits in the hierarchy, the stock status of every
// product there, the data problems flagged, and the places within it.

import * as api from "../api";
import { el, fill, message, section } from "../dom";
import { date, num, t } from "../i18n";
import { loadNames, loadPlaceNames, nameOf, productHref } from "../names";
import type { Route } from "../router";
import { stockFigures } from "../stock";
import { dataTable } from "../table";
import { problemDetail, problemKind } from "../vocab";

export async function locationPage(route: Route): Promise<HTMLElement> {
  const code = route.arg;
  const [located, names, placeName] = await Promise.all([api.all<api.Place>("/api/v1/locations"), loadNames(), loadPlaceNames()]);
  // Countries named in the page's language.
  const places = { ...located, rows: located.rows.map((p) => ({ ...p, name: placeName(p.code, p.name) })) };
  const byCode = new Map(places.rows.map((p) => [p.code, p]));
  const place = byCode.get(code);
  const root = el("div", { class: "page location" });
  if (!place) {
    root.append(el("h1", {}, t("location.title")), message(t("location.unknown", code)));
    return root;
  }
  const lineage: api.Place[] = [];
  for (let p = byCode.get(place.parent ?? ""); p; p = byCode.get(p.parent ?? "")) lineage.unshift(p);
  root.append(
    el(
      "nav",
      { class: "crumbs", "aria-label": t("crumbs") },
      ...lineage.flatMap((p) => [el("a", { href: `#/location/${encodeURIComponent(p.code)}` }, p.name), " › "]),
      el("span", {}, place.name),
    ),
    el("h1", {}, place.name),
    el("p", { class: "lead" }, [place.code, place.level ? t(`lvl.${place.level}` as any) : ""].filter(Boolean).join(" · ")),
  );

  const stock = section("stock", t("location.stock"), "3.7");
  const problems = section("problems", t("location.problems"), "3.10");
  const children = places.rows.filter((p) => p.parent === code);
  const within = section("children", t("location.children"));
  root.append(stock.root, problems.root);
  if (children.length > 0) root.append(within.root);

  void fill(stock.body, async () => {
    const p = await api.optional(() =>
      api.all<api.StockRow>("/api/v1/stock", { within: code, level: place.level ?? undefined }),
    );
    const rows = (p?.rows ?? []).filter((r) => r.location === code);
    if (rows.length === 0) return message(t("no_data"));
    return [
      el("p", {}, t("location.as_of", date(p!.as_of))),
      dataTable({
        id: "location-stock",
        columns: [
          { label: t("col.product"), value: (r) => nameOf(names, r.item), href: (r) => productHref(names, r.item) },
          { label: t("col.item"), value: (r) => r.item },
          ...stockFigures(),
          { label: t("col.problems"), value: (r) => r.problems, format: (r) => num(r.problems), numeric: true },
        ],
        rows,
        sort: [4, "asc"],
      }),
    ];
  });

  void fill(problems.body, async () => {
    const p = await api.optional(() => api.all<api.ProblemRow>("/api/v1/stock/problems", { within: code }));
    const rows = p?.rows ?? [];
    if (rows.length === 0) return message(t("location.no_problems"));
    return dataTable({
      id: "location-problems",
      columns: [
        { label: t("col.date"), value: (r) => r.at, format: (r) => date(r.at.replace(" ", "T") + "Z") },
        { label: t("col.place"), value: (r) => byCode.get(r.location)?.name ?? r.location, href: (r) => `#/location/${encodeURIComponent(r.location)}` },
        { label: t("col.product"), value: (r) => nameOf(names, r.item), href: (r) => productHref(names, r.item) },
        { label: t("col.kind"), value: (r) => r.kind, format: (r) => problemKind(r.kind), title: (r) => r.kind },
        {
          label: t("col.detail"),
          value: (r) => r.description,
          format: (r) => problemDetail(r.kind, r.description) + (r.expected !== undefined ? ` (${num(r.expected)} → ${num(r.found)})` : ""),
        },
        {
          // The first source, and how many more; all of them in the tooltip
          // (an event's ID finds it on the capture page and in GET /events).
          label: t("col.sources"),
          value: (r) => r.sources.map((s) => `${s.kind} ${s.name}`).join("; "),
          format: (r) => {
            const [first, ...rest] = r.sources;
            if (!first) return "";
            return `${t(`source.${first.kind}` as any)} ${first.name}` + (rest.length ? ` (+${rest.length})` : "");
          },
          title: (r) => r.sources.map((s) => `${t(`source.${s.kind}` as any)} ${s.name}`).join("\n"),
        },
      ],
      rows,
      sort: [0, "desc"],
    });
  });

  void fill(within.body, async () =>
    dataTable({
      id: "location-children",
      columns: [
        { label: t("col.place"), value: (p) => p.name, href: (p) => `#/location/${encodeURIComponent(p.code)}` },
        { label: t("col.code"), value: (p) => p.code },
        { label: t("col.level"), value: (p) => (p.level ? t(`lvl.${p.level}` as any) : "") },
      ],
      rows: children,
      sort: [1, "asc"],
    }),
  );
  return root;
}
