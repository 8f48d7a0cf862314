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
import { loginPage } from "./pages/login";
import { ApiError, logout, session } from "./api";
import { scenarioPage } from "./pages/scenario";

const app = document.getElementById("app")!;
const nav = document.getElementById("nav")!;
let generation = 0;
/** The user logged in, on a server with accounts (null: none, or no accounts). */
let signedIn: string | null = null;
/** A server with accounts and no session here: every page is the login form. */
let needsLogin = false;
/** The first question to the server, whether a session is needed: every render waits for it, so a render started while it is on its way (a language button clicked at once) cannot show a page before the login form. */
let asked: Promise<void> | null = null;

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
  if (signedIn) {
    const out = el("button", { type: "button", class: "logout" }, t("nav.logout", signedIn));
    out.addEventListener("click", () => {
      void logout()
        .catch(() => undefined)
        .then(() => {
          signedIn = null;
          needsLogin = true;
          void render();
        });
    });
    nav.append(out);
  }
  for (const b of document.querySelectorAll<HTMLButtonElement>(".lang button")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === lang()));
  }
}

/** After logging in: the page asked for, or the overview. */
function loggedIn(user: string | null): void {
  signedIn = user;
  needsLogin = false;
  if (location.hash === "#/login") location.hash = "#/";
  else void render();
}

async function render(): Promise<void> {
  const mine = ++generation;
  asked ??= session().then(
    (s) => {
      signedIn = s.user;
    },
    (e: unknown) => {
      needsLogin = e instanceof ApiError && e.status === 401;
    },
  );
  await asked;
  const hash = location.hash;
  const route = parse(hash);
  document.documentElement.lang = lang();
  renderNav(route.page);
  disposeCharts();
  app.replaceChildren(el("p", { class: "loading" }, t("loading")));
  app.setAttribute("aria-busy", "true");
  let page: HTMLElement;
  try {
    if (needsLogin) throw new ApiError(401, "/problems/unauthenticated", "log in", "/api/v1/session");
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
      case "login":
        page = loginPage((s) => loggedIn(s.user));
        break;
      case "scenario":
        page = await scenarioPage(route);
        break;
      default:
        page = el("div", {}, message(`${route.arg}?`));
    }
  } catch (e) {
    // A server with accounts and no session: the login form, in place.
    page = e instanceof ApiError && e.status === 401 ? loginPage((s) => loggedIn(s.user)) : errorMessage(e);
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
