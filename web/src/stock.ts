// The figures of a stock row (docs/formulas.md 3.2-3.8), as the product
// and location pages both show them.

import type { StockRow } from "./api";
import { num, t } from "./i18n";
import type { Column } from "./table";

/** Levels whose rows add up the locations in them. */
const AREAS = new Set(["country", "region", "district"]);

/** Stock on hand, AMC, months of stock, status, stockout days, expiring, expired (3.8). */
export function stockFigures(): Column<StockRow>[] {
  return [
    { label: t("col.stock_on_hand"), value: (r) => r.stock_on_hand, format: (r) => num(r.stock_on_hand), numeric: true },
    // A month with nothing recorded is left out of the AMC (3.5): said on the cell.
    {
      label: t("col.amc"),
      value: (r) => r.amc,
      format: (r) => num(r.amc, 1),
      numeric: true,
      cellClass: (r) => (r.months_unreported > 0 ? "unreported" : ""),
      // An area's count adds up its locations' months.
      title: (r) =>
        r.months_unreported > 0
          ? t(AREAS.has(r.level) ? "amc.unreported_area" : "amc.unreported", r.months_unreported)
          : "",
    },
    { label: t("col.months_of_stock"), value: (r) => r.months_of_stock, format: (r) => num(r.months_of_stock, 1), numeric: true },
    {
      label: t("col.status"),
      value: (r) => r.status,
      format: (r) => t(`status.${r.status}` as any),
      cellClass: (r) => `status status-${r.status}`,
    },
    { label: t("col.stockout_days"), value: (r) => r.stockout_days, format: (r) => num(r.stockout_days), numeric: true },
    { label: t("col.expiring"), value: (r) => r.expiring, format: (r) => num(r.expiring), numeric: true },
    // Past its expiry and still held: counted in the stock on hand, usable by no one.
    { label: t("col.expired"), value: (r) => r.expired, format: (r) => num(r.expired), numeric: true, cellClass: (r) => (r.expired > 0 ? "expired" : "") },
  ];
}
