// Hash routes: #/ (overview), #/product/CODE, #/location/CODE, #/capture, #/supply, #/login.
// The query after `?` keeps the page's choices, so links and the back
// button restore them.

export interface Route {
  page: "overview" | "product" | "location" | "capture" | "supply" | "login" | "unknown";
  arg: string;
  query: URLSearchParams;
}

export function parse(hash: string): Route {
  const h = hash.replace(/^#/, "") || "/";
  const [path, qs] = h.split("?", 2);
  const query = new URLSearchParams(qs ?? "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "overview", arg: "", query };
  if ((parts[0] === "product" || parts[0] === "location") && parts.length === 2) {
    return { page: parts[0], arg: parts[1], query };
  }
  if (parts[0] === "capture" && parts.length === 1) return { page: "capture", arg: "", query };
  if (parts[0] === "supply" && parts.length === 1) return { page: "supply", arg: "", query };
  if (parts[0] === "login" && parts.length === 1) return { page: "login", arg: "", query };
  return { page: "unknown", arg: path, query };
}

export function navigate(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
