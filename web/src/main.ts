// The Equitas dashboard: one page application served by `equitas serve`.

import "./style.css";
import { disposeCharts } from "./charts";
import { el, errorMessage, formulasPage, message } from "./dom";
import { lang, setLang, t, type Lang } from "./i18n";
import { parse } from "./router";
import { overview } from "./pages/overview";
import { productPage } from "./pages/product";
import { locationPage } from "./pages/location";
import { capturePage } from "./pages/capture";
import { supplyPage } from "./pages/supply";
import { scenarioPage } from "./pages/scenario";

const app = document.getElementById("app")!;
const nav = document.getElementById("nav")!;
let generation = 0;

function renderNav(page: string): void {
  const link = (href: string, label: string, current: boolean, external = false) =>
    el("a", { href, "aria-current": current ? "page" : undefined, target: external ? "_blank" : undefined }, label);
  nav.replaceChildren(
    link("#/", t("nav.overview"), page === "overview"),
    link("#/supply", t("nav.supply"), page === "supply"),
    link("#/scenario", t("nav.scenario"), page === "scenario"),
    link("#/capture", t("nav.capture"), page === "capture"),
    link(formulasPage(), t("nav.formulas"), false, true),
    link("/api/docs", t("nav.api"), false, true),
  );
  for (const b of document.querySelectorAll<HTMLButtonElement>(".lang button")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === lang()));
  }
}

async function render(): Promise<void> {
  const mine = ++generation;
  const hash = location.hash;
  const route = parse(hash);
  document.documentElement.lang = lang();
  renderNav(route.page);
  disposeCharts();
  app.replaceChildren(el("p", { class: "loading" }, t("loading")));
  app.setAttribute("aria-busy", "true");
  let page: HTMLElement;
  try {
    switch (route.page) {
      case "overview":
        page = await overview(route);
        break;
      case "product":
        page = await productPage(route);
        break;
      case "location":
        page = await locationPage(route);
        break;
      case "capture":
        page = await capturePage();
        break;
      case "supply":
        page = await supplyPage(route);
        break;
      case "scenario":
        page = await scenarioPage(route);
        break;
      default:
        page = el("div", {}, message(`${route.arg}?`));
    }
  } catch (e) {
    page = errorMessage(e);
  }
  if (mine !== generation) return; // a newer navigation won
  app.replaceChildren(page);
  app.removeAttribute("aria-busy");
  // Which route the page shows: a hash changed but not yet rendered differs.
  app.dataset.rendered = hash;
  document.title = `${page.querySelector("h1")?.textContent ?? ""} · Equitas`;
}

for (const b of document.querySelectorAll<HTMLButtonElement>(".lang button")) {
  b.addEventListener("click", () => {
    setLang(b.dataset.lang as Lang);
    void render();
  });
}
window.addEventListener("hashchange", () => void render());
void render();
