// Tables that sort (click a heading), filter (text in any cell) and export
// what they hold to CSV (raw values, not the locale's formatting).

import { lang, t } from "./i18n";
import { el } from "./dom";

export interface Column<T> {
  label: string;
  /** The raw value: sorts and goes to the CSV. */
  value: (row: T) => string | number | null | undefined;
  /** What the cell shows (default: the raw value). */
  format?: (row: T) => string;
  /** Makes the cell a link. */
  href?: (row: T) => string | null;
  numeric?: boolean;
  /** Extra class of the cell (per row), e.g. a status colour. */
  cellClass?: (row: T) => string;
  /** A tooltip of the cell, e.g. the code behind a label. */
  title?: (row: T) => string;
}

export interface TableOptions<T> {
  /** Names the table for tests and the CSV file. */
  id: string;
  columns: Column<T>[];
  rows: T[];
  /** Initial sort: column index and direction. */
  sort?: [number, "asc" | "desc"];
  /** Rows shown before "show all". */
  pageSize?: number;
  /** Called when a row is clicked (besides its links). */
  onRowClick?: (row: T) => void;
  /** Rows that expand: what shows below the row (null: it does not expand),
   * opened and closed by a button in its first cell labelled `detailLabel`. */
  detail?: (row: T) => HTMLElement | null;
  detailLabel?: string;
}

/** How a CSV file separates its cells and writes a decimal number: as a
 * spreadsheet in the page's language opens it (in French: semicolons and
 * a decimal comma, what a spreadsheet set to French writes and reads, and
 * what Equitas's imports read, docs/formulas.md conventions). */
export interface CsvStyle {
  separator: "," | ";";
  decimal: "." | ",";
}

export function csvStyle(): CsvStyle {
  return lang() === "fr" ? { separator: ";", decimal: "," } : { separator: ",", decimal: "." };
}

/** A cell's text in `style`; `special` matches what must be quoted in it. */
function csvCell(v: string | number | null | undefined, style: CsvStyle, special: RegExp): string {
  if (v === null || v === undefined) return "";
  // A number raw (all its digits, no grouping), with the style's decimal mark.
  const s = typeof v === "number" ? String(v).replace(".", style.decimal) : String(v);
  return special.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The rows as CSV, raw values in the given style (default: commas and
 * decimal points), each line ended by CRLF. */
export function toCsv<T>(columns: Column<T>[], rows: T[], style: CsvStyle = { separator: ",", decimal: "." }): string {
  const special = new RegExp(`["\n\r${style.separator}]`);
  const line = (cells: (string | number | null | undefined)[]) => cells.map((v) => csvCell(v, style, special)).join(style.separator);
  const lines = [line(columns.map((c) => c.label))];
  for (const r of rows) lines.push(line(columns.map((c) => c.value(r))));
  return lines.join("\r\n") + "\r\n";
}

function compare(a: string | number | null | undefined, b: string | number | null | undefined): number {
  const na = a === null || a === undefined || a === "";
  const nb = b === null || b === undefined || b === "";
  if (na || nb) return na === nb ? 0 : na ? 1 : -1; // empty last
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function dataTable<T>(opts: TableOptions<T>): HTMLElement {
  const { columns, rows, id } = opts;
  const pageSize = opts.pageSize ?? 200;
  let [sortCol, sortDir] = opts.sort ?? [-1, "asc"];
  let filter = "";
  let showAll = false;
  const open = new Set<T>();

  const input = el("input", {
    type: "search",
    placeholder: t("table.filter"),
    "aria-label": t("table.filter"),
    "data-role": "filter",
  }) as HTMLInputElement;
  const count = el("span", { class: "count", "data-role": "count" });
  const csvButton = el("button", { type: "button", "data-role": "csv" }, t("table.csv"));
  const table = el("table", { class: "data", "data-table": id });
  const more = el("button", { type: "button", class: "more", "data-role": "more" });
  const wrap = el(
    "div",
    { class: "table-wrap", "data-table-wrap": id },
    el("div", { class: "table-tools" }, input, count, csvButton),
    el("div", { class: "scroll" }, table),
    more,
  );

  function visible(): T[] {
    const f = filter.trim().toLowerCase();
    let out = f
      ? rows.filter((r) =>
          columns.some((c) => {
            const shown = c.format ? c.format(r) : c.value(r);
            return String(shown ?? "").toLowerCase().includes(f) || String(c.value(r) ?? "").toLowerCase().includes(f);
          }),
        )
      : rows.slice();
    if (sortCol >= 0) {
      const c = columns[sortCol];
      const sign = sortDir === "asc" ? 1 : -1;
      out.sort((a, b) => sign * compare(c.value(a), c.value(b)));
    }
    return out;
  }

  function render(): void {
    const vis = visible();
    const shown = showAll ? vis : vis.slice(0, pageSize);
    table.replaceChildren();
    const head = el("tr");
    columns.forEach((c, i) => {
      const sorted = i === sortCol;
      const th = el(
        "th",
        {
          scope: "col",
          class: c.numeric ? "num" : "",
          "aria-sort": sorted ? (sortDir === "asc" ? "ascending" : "descending") : "none",
        },
        el(
          "button",
          { type: "button", title: t("table.sort", c.label), "data-col": String(i) },
          c.label,
          sorted ? (sortDir === "asc" ? " ▲" : " ▼") : "",
        ),
      );
      th.querySelector("button")!.addEventListener("click", () => {
        if (sortCol === i) sortDir = sortDir === "asc" ? "desc" : "asc";
        else {
          sortCol = i;
          sortDir = c.numeric ? "desc" : "asc";
        }
        render();
      });
      head.append(th);
    });
    const body = el("tbody");
    for (const r of shown) {
      const tr = el("tr");
      for (const c of columns) {
        const text = c.format ? c.format(r) : String(c.value(r) ?? "–");
        const href = c.href?.(r);
        const cls = [c.numeric ? "num" : "", c.cellClass?.(r) ?? ""].join(" ").trim();
        tr.append(el("td", { class: cls, title: c.title?.(r) }, href ? el("a", { href }, text) : text));
      }
      const detail = opts.detail?.(r) ?? null;
      let below: HTMLElement | null = null;
      if (detail) {
        const isOpen = open.has(r);
        const button = el(
          "button",
          { type: "button", class: "expand", "data-role": "expand", "aria-expanded": String(isOpen), title: opts.detailLabel ?? "" },
          isOpen ? "▾" : "▸",
        );
        button.addEventListener("click", (e) => {
          e.stopPropagation();
          if (open.has(r)) open.delete(r);
          else open.add(r);
          render();
        });
        tr.firstElementChild?.prepend(button, " ");
        if (isOpen) below = el("tr", { class: "detail", "data-role": "detail" }, el("td", { colspan: String(columns.length) }, detail));
      }
      if (opts.onRowClick) {
        tr.classList.add("clickable");
        tr.addEventListener("click", (e) => {
          if ((e.target as HTMLElement).closest("a")) return;
          opts.onRowClick!(r);
        });
      }
      body.append(tr);
      if (below) body.append(below);
    }
    table.append(el("thead", {}, head), body);
    count.textContent = t("table.rows", shown.length, rows.length);
    more.textContent = t("table.more", vis.length);
    more.hidden = showAll || vis.length <= pageSize;
  }

  input.addEventListener("input", () => {
    filter = input.value;
    render();
  });
  more.addEventListener("click", () => {
    showAll = true;
    render();
  });
  csvButton.addEventListener("click", () => {
    // A byte order mark: a spreadsheet opens the file as UTF-8 (accents
    // intact) rather than in the system's legacy code page.
    const blob = new Blob(["\ufeff", toCsv(columns, visible(), csvStyle())], { type: "text/csv;charset=utf-8" });
    const a = el("a", { href: URL.createObjectURL(blob), download: `${id}.csv` }) as HTMLAnchorElement;
    document.body.append(a);
    a.click();
    setTimeout(() => {
      URL.revokeObjectURL(a.href);
      a.remove();
    }, 0);
  });
  render();
  return wrap;
}
