// A small helper to build DOM nodes (no framework: the pages are small and
// must load fast on a cheap laptop).

import { ApiError } from "./api";
import { lang, t } from "./i18n";

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (v === true) e.setAttribute(k, "");
    else if (k === "class") {
      if (v) e.className = v;
    } else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c);
  }
  return e;
}

/** The formulas doc in the dashboard's language (the sections' anchors are the same in both). */
export function formulasPage(): string {
  return lang() === "fr" ? "/docs/formulas/fr" : "/docs/formulas";
}

/** Where the formulas doc defines a figure: a section number like "3.9". */
export function docLink(section: string, what: string): HTMLAnchorElement {
  return el(
    "a",
    {
      class: "doc",
      href: `${formulasPage()}#s${section.replace(/\./g, "-")}`,
      target: "_blank",
      rel: "noopener",
      title: t("definition_of", what),
      "aria-label": t("definition_of", what),
      "data-doc": section,
    },
    `§${section}`,
  );
}

/** A section with a heading, its definition link, and a body filled later. */
export function section(id: string, title: string, doc?: string): { root: HTMLElement; body: HTMLElement } {
  const body = el("div", { class: "body" }, el("p", { class: "loading" }, t("loading")));
  const root = el(
    "section",
    { class: "card", "data-section": id },
    el("h2", {}, title, doc ? " " : "", doc ? docLink(doc, title) : null),
    body,
  );
  return { root, body };
}

export function message(text: string, cls = "note"): HTMLElement {
  return el("p", { class: cls }, text);
}

/**
 * What an API problem (RFC 9457, in English) means, in the page's language:
 * read from its `type` (and, for missing data, from what was asked), never
 * from its English words, which stay in the tooltip.
 */
export function problemText(e: ApiError): string {
  switch (e.type) {
    case "/problems/missing-data":
      if (e.path === "/api/v1/market/mpr") return t("missing.mpr");
      if (e.path === "/api/v1/supply/single-source") return t("missing.pq");
      if (/^\/api\/v1\/supply\/(concentration|regional|dependence)$/.test(e.path)) return t("missing.market");
      if (e.path.startsWith("/api/v1/market/")) return t("missing.market");
      if (/^\/api\/v1\/(stock|availability|risk|forecast|plan)\b/.test(e.path)) return t("missing.stock");
      return t("problem.missing_data");
    case "/problems/not-found":
      return t("problem.not_found");
    case "/problems/bad-parameter":
      return t("problem.bad_parameter", e.parameter ?? "?");
    case "/problems/outside-data":
      return t("problem.outside_data", e.parameter ?? "?");
    case "/problems/busy":
      return t("problem.busy");
    case "/problems/internal":
      return t("problem.internal");
    case "/problems/out-of-scope":
      return t("problem.out_of_scope");
    case "/problems/forbidden":
      return t("problem.forbidden");
    case "/problems/unauthenticated":
      return t("problem.unauthenticated");
    default:
      return t("problem.other", e.status);
  }
}

/** An error as a paragraph: missing data is a note, anything else an error. */
export function errorMessage(e: unknown): HTMLElement {
  if (e instanceof ApiError) {
    const p = message(e.missing ? problemText(e) : t("error", problemText(e)), e.missing ? "note" : "error");
    p.title = t("problem.server_words", e.message);
    p.dataset.problem = e.type;
    return p;
  }
  return message(t("error", e instanceof Error ? e.message : String(e)), "error");
}

/** Fills `body` with what `fill` builds, or with the error it met. */
export async function fill(body: HTMLElement, fillFn: () => Promise<Node | Node[]>): Promise<void> {
  try {
    const out = await fillFn();
    body.replaceChildren(...(Array.isArray(out) ? out : [out]));
  } catch (e) {
    if (!(e instanceof ApiError && e.missing)) console.error(e);
    body.replaceChildren(errorMessage(e));
  }
}
