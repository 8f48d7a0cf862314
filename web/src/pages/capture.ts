// The EPCIS repository: what it holds and the capture jobs.

import * as api from "../api";
import { chart } from "../charts";
import { el, fill, message, section } from "../dom";
import { date, num, t } from "../i18n";
import { dataTable } from "../table";
import { bizStep, errorBehaviour, eventType, stepCode } from "../vocab";

export async function capturePage(): Promise<HTMLElement> {
  const summary = section("summary", t("capture.by_step"));
  const jobs = section("jobs", t("capture.jobs"));
  const s = await api.get<api.EpcisSummary>("/api/v1/epcis/summary");
  const root = el(
    "div",
    { class: "page capture" },
    el("h1", {}, t("capture.title")),
    el(
      "dl",
      { class: "figures" },
      el("div", {}, el("dt", {}, t("capture.events")), el("dd", { "data-figure": "events" }, num(s.events))),
      el(
        "div",
        {},
        el("dt", {}, t("capture.span")),
        el("dd", {}, `${date(s.first_event_time)} – ${date(s.last_event_time)}`),
      ),
      el("div", {}, el("dt", {}, t("capture.last_record")), el("dd", {}, date(s.last_record_time))),
    ),
    el("p", { class: "note" }, t("capture.how")),
    summary.root,
    jobs.root,
  );

  void fill(summary.body, async () => {
    if (s.by_type_and_step.length === 0) return message(t("no_data"));
    const rows = s.by_type_and_step.map(([type, step, n]) => ({ type, step: stepCode(step), n }));
    const node = chart(
      "capture-steps",
      {
        tooltip: { trigger: "item" },
        grid: { left: 210, right: 30, top: 10, bottom: 30 },
        xAxis: { type: "value" },
        // The first row on top, as in the table below.
        yAxis: {
          type: "category",
          inverse: true,
          data: rows.map((r) => bizStep(r.step)),
          axisLabel: { width: 200, overflow: "truncate" },
        },
        series: [{ type: "bar", name: t("col.events"), data: rows.map((r) => r.n) }],
      },
      Math.max(140, 40 + rows.length * 28),
    );
    return [
      node,
      dataTable({
        id: "capture-steps",
        columns: [
          { label: t("col.event_type"), value: (r) => r.type, format: (r) => eventType(r.type), title: (r) => r.type },
          { label: t("col.biz_step"), value: (r) => r.step, format: (r) => bizStep(r.step), title: (r) => r.step || "–" },
          { label: t("col.events"), value: (r) => r.n, format: (r) => num(r.n), numeric: true },
        ],
        rows,
        sort: [2, "desc"],
      }),
    ];
  });

  void fill(jobs.body, async () => {
    const p = await api.all<api.CaptureJob>("/api/v1/epcis/captures");
    if (p.rows.length === 0) return message(t("no_data"));
    return dataTable({
      id: "capture-jobs",
      columns: [
        { label: t("col.capture"), value: (r) => r.captureID, numeric: true },
        { label: t("col.source"), value: (r) => r.source },
        { label: t("col.received"), value: (r) => r.receivedAt, format: (r) => date(r.receivedAt) },
        {
          label: t("col.mode"),
          value: (r) => r.errorBehaviour,
          format: (r) => errorBehaviour(r.errorBehaviour),
          title: (r) => r.errorBehaviour,
        },
        { label: t("col.events"), value: (r) => r.events, format: (r) => num(r.events), numeric: true },
        { label: t("col.captured"), value: (r) => r.captured, format: (r) => num(r.captured), numeric: true },
        { label: t("col.duplicates"), value: (r) => r.duplicates, format: (r) => num(r.duplicates), numeric: true },
        { label: t("col.rejected"), value: (r) => r.rejected, format: (r) => num(r.rejected), numeric: true },
      ],
      rows: p.rows,
      sort: [0, "desc"],
    });
  });
  return root;
}
