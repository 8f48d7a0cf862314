// The login page (#/login, or in place of any page a server with accounts
// answers 401): a form posting to /api/v1/login. The session lives in an
// HttpOnly cookie the page never sees; its CSRF token stays in memory.
// When the server offers single sign-on, a "Sign in with ..." link starts
// it (/api/v1/sso/login); a refused sign-in comes back here as
// #/login?sso_error=REASON, said in the page's language.

import { ApiError, login, sso, type Session } from "../api";
import { el, problemText } from "../dom";
import { t, type Key } from "../i18n";
import { parse } from "../router";

const SSO_ERRORS = ["unavailable", "flow", "state", "provider", "token", "unmapped", "disabled"];

export function loginPage(done: (s: Session) => void): HTMLElement {
  const user = el("input", { id: "login-user", name: "username", autocomplete: "username", required: true });
  const password = el("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit" }, t("login.submit"));
  const form = el(
    "form",
    { class: "login", "data-page": "login" },
    el("label", { for: "login-user" }, t("login.user")),
    user,
    el("label", { for: "login-password" }, t("login.password")),
    password,
    submit,
    error,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    login(user.value, password.value)
      .then(done)
      .catch((e: unknown) => {
        const status = e instanceof ApiError ? e.status : 0;
        error.textContent =
          status === 401
            ? t("login.failed")
            : status === 429
              ? t("login.locked")
              : status === 409
                ? t("login.open")
                : e instanceof ApiError
                  ? problemText(e)
                  : String(e);
        error.hidden = false;
        password.value = "";
        submit.disabled = false;
      });
  });
  const ssoBox = el("div", { class: "sso", hidden: true });
  const reason = parse(location.hash).query.get("sso_error");
  if (reason) {
    const known = SSO_ERRORS.includes(reason) ? t(`sso.error.${reason}` as Key) : reason;
    ssoBox.append(el("p", { class: "error", role: "alert", "data-sso-error": reason }, known));
    ssoBox.hidden = false;
  }
  void sso()
    .then((s) => {
      if (!s.enabled || !s.login) return;
      ssoBox.append(
        el("p", {}, el("a", { class: "button sso-login", href: s.login }, t("sso.button", s.label ?? ""))),
        el("p", {}, t("sso.or")),
      );
      ssoBox.hidden = false;
    })
    .catch(() => undefined);
  return el("div", {}, el("h1", {}, t("login.title")), el("p", { class: "lead" }, t("login.lead")), ssoBox, form);
}
