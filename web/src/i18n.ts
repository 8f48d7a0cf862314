// English and French: every string the dashboard shows, and numbers and
// dates formatted in the user's locale for the chosen language.

export type Lang = "en" | "fr";

const en = {
  "nav.overview": "Overview",
  "nav.capture": "EPCIS capture",
  "nav.supply": "Supply security",
  "supply.title": "Supply security",
  "supply.lead":
    "Who makes each product and where: concentration at every tier of supply, the share made in the buyers' own region, single-source products and the regulators that can authorise another source.",
  "supply.products": "Products assessed",
  "supply.single_country": "Made in a single country",
  "supply.single_source": "From a single manufacturer",
  "supply.tiers": "Weakest tier of each product",
  "supply.regional": "Share of each region's procurement made in the region",
  "supply.single": "Vaccine types with a single prequalified manufacturer",
  "supply.regulators": "Regulators (each row with its source)",
  "supply.no_regulators": "No regulators register loaded: `equitas import regulators FILE` (the demo loads a few public facts).",
  "supply.source_link": "source",
  "supply.map": "Where {0} comes from: producing countries, manufacturers, buying countries",
  "supply.map_note": "Procurement value from each producing country through each manufacturer to each buying country; click a product in the table below to draw its map.",
  "supply.unknown": "unknown",
  "missing.pq": "No WHO prequalification list loaded: `equitas import who-pq-vaccines FILE` (WHO's list cannot be shipped with Equitas).",
  "col.hhi_manufacturer": "HHI manufacturers",
  "col.hhi_site": "HHI sites",
  "col.hhi_country": "HHI countries",
  "col.weakest": "Weakest tier",
  "col.band": "Band",
  "col.single_country": "Single country",
  "col.who_region": "WHO region",
  "col.in_region": "Made in the region",
  "col.unknown_origin": "Origin unknown",
  "col.vaccine_type": "Vaccine type",
  "col.manufacturer": "Manufacturer",
  "col.products": "Products",
  "col.authorities": "Products per responsible authority",
  "col.country": "Country",
  "col.authority": "Authority",
  "col.gbt_level": "WHO maturity level",
  "yes": "yes",
  "no": "no",
  "nav.api": "API",
  "nav.formulas": "Formulas",
  "loading": "Loading…",
  "error": "Could not load: {0}",
  "no_data": "No data for this view.",
  "definition": "Definition",
  "definition_of": "Definition of {0} (docs/formulas.md)",
  "overview.title": "Overview",
  "overview.lead":
    "Is each essential product available, affordable and securely supplied? Choose an indicator, then a place, then a product.",
  "overview.indicator": "Indicator",
  "overview.level": "Places",
  "overview.areas": "Places",
  "overview.no_shapes":
    "These places have no boundaries on the world map (a ministry's own boundaries are not loaded): ranked instead.",
  "overview.pick": "Click a place on the map, the chart or the table to see its products.",
  "overview.products_in": "Products in {0}",
  "overview.map": "Map of {0}",
  "overview.missing_on_map": "{0} of {1} places have no shape on the world map and are listed in the table.",
  "ind.availability": "Availability",
  "ind.availability.long": "Share of facilities with the products in stock (WHO SARA basket mean)",
  "ind.months_of_stock": "Months of stock",
  "ind.months_of_stock.long": "Median months of stock over the products",
  "ind.risk": "Stockout risk",
  "ind.risk.long": "Highest probability of a stockout in the next 6 months among the products",
  "ind.concentration": "Supplier concentration",
  "ind.concentration.long": "Herfindahl-Hirschman Index of procurement value across suppliers (0-10,000)",
  "ind.mpr": "Median price ratio",
  "ind.mpr.long": "Median of the products' median price ratios to international reference prices",
  "ind.on_time": "On-time delivery",
  "ind.on_time.long": "Share of shipments delivered on or before the scheduled date",
  "level.country": "Countries",
  "level.region": "Regions",
  "level.district": "Districts",
  "level.facility": "Facilities",
  "level.warehouse": "Warehouses",
  "lvl.country": "country",
  "lvl.region": "region",
  "lvl.district": "district",
  "lvl.facility": "facility",
  "lvl.warehouse": "warehouse",
  "col.place": "Place",
  "col.code": "Code",
  "col.level": "Level",
  "col.value": "Value",
  "col.product": "Product",
  "col.item": "Item",
  "col.programme": "Programme",
  "col.availability": "Availability",
  "col.in_stock": "Facilities in stock",
  "col.facilities": "Facilities",
  "col.stock_on_hand": "Stock on hand",
  "col.amc": "AMC",
  "col.months_of_stock": "Months of stock",
  "col.status": "Status",
  "col.stockout_days": "Stockout days",
  "col.expiring": "Expiring",
  "col.problems": "Problems",
  "col.risk6": "Stockout risk, 6 months",
  "col.hhi": "HHI",
  "col.top_supplier": "Main supplier",
  "col.top_share": "Its share",
  "col.mpr": "MPR",
  "col.on_time": "On time",
  "col.median_delay": "Median delay (days)",
  "col.lines": "Lines",
  "col.supplier": "Supplier",
  "col.share": "Share of value",
  "col.value_usd": "Value (US$)",
  "col.year": "Year",
  "col.median_price": "Median unit price (US$)",
  "col.p25": "25th percentile",
  "col.p75": "75th percentile",
  "col.weighted_price": "Volume-weighted price (US$)",
  "col.lead_time": "Median lead time (days)",
  "col.kind": "Problem",
  "col.date": "Date",
  "col.detail": "Detail",
  "col.events": "Events",
  "col.event_type": "Event type",
  "col.biz_step": "Business step",
  "col.capture": "Capture",
  "col.source": "Source",
  "col.received": "Received",
  "col.mode": "On error",
  "col.captured": "Captured",
  "col.duplicates": "Duplicates",
  "col.rejected": "Rejected",
  "table.filter": "Filter",
  "table.rows": "{0} of {1} rows",
  "table.csv": "Export CSV",
  "table.more": "Show all {0} rows",
  "table.sort": "Sort by {0}",
  "status.stocked_out": "stocked out",
  "status.below_min": "below minimum",
  "status.adequate": "adequate",
  "status.above_max": "above maximum",
  "status.no_consumption": "no consumption",
  "product.title": "Product",
  "product.unknown": "No stock or procurement data names {0}.",
  "product.stock_by_level": "Stock by level",
  "product.availability_time": "Availability over time",
  "product.risk": "Probability of a stockout, next 18 months",
  "product.prices": "Prices and their spread",
  "product.suppliers": "Suppliers and their shares",
  "product.delivery": "Delivery delays",
  "product.no_stock": "No stock data for this product.",
  "product.no_market": "No procurement lines for this product.",
  "product.gtin": "GTIN {0}",
  "location.title": "Location",
  "location.unknown": "No location {0}.",
  "location.stock": "Stock status of every product",
  "location.problems": "Data problems flagged",
  "location.no_problems": "No data problems flagged here.",
  "location.children": "Places within",
  "location.as_of": "As of {0}",
  "capture.title": "EPCIS capture status",
  "capture.events": "Events held",
  "capture.span": "Event times",
  "capture.last_record": "Last recorded",
  "capture.by_step": "Events by type and business step",
  "capture.jobs": "Capture jobs, newest first",
  "capture.how": "Capture with `equitas epcis capture FILE` or POST /capture (EPCIS 2.0 REST binding).",
  "missing.mpr": "Median price ratios need reference prices: `equitas import reference-prices FILE`.",
  "lang.switch": "Language",
  "overview.as_of": "Stock data as of {0}",
  "overview.period": "Procurement lines delivered from {0} to {1}",
  "product.model": "Forecasting model: {0}",
  "product.risk6": "Stockout risk, next 6 months: {0}",
  "usd": "US$ {0}",
  "usd.axis": "US$",
  "crumbs": "Where this place is",
  "stat.min": "Lowest",
  "stat.median": "Median",
  "stat.max": "Highest",
  "problem.missing_data": "The data this needs is not loaded.",
  "problem.not_found": "Not found.",
  "problem.bad_parameter": "A query parameter is not valid ({0}).",
  "problem.busy": "The server is busy with other writes: try again in a few seconds.",
  "problem.internal": "The server met an internal error.",
  "problem.other": "The server refused the request (HTTP {0}).",
  "problem.server_words": "The server's words: {0}",
  "missing.stock": "No stock data: capture EPCIS events (`equitas epcis capture FILE`) or import stock reports (`equitas import stock-reports FILE`).",
  "missing.market": "No procurement lines: load them (`equitas demo`, `equitas import scms FILE`).",
  "lvl.unknown": "unknown place",
  "aria.chart": "A chart.",
  "aria.chart_titled": "A chart of {title}.",
  "aria.series_named": " It shows {seriesName}.",
  "aria.series_count": " It has {seriesCount} series.",
  "aria.series_n_named": " Series {seriesId}: {seriesName}.",
  "aria.series_n": " Series {seriesId}.",
  "aria.all_data": "Its data: ",
  "aria.partial_data": "Its first {displayCnt} items: ",
  "aria.data_named": "{name}: {value}",
};

type Key = keyof typeof en;

const fr: Record<Key, string> = {
  "nav.overview": "Vue d’ensemble",
  "nav.capture": "Saisie EPCIS",
  "nav.supply": "Sécurité d’approvisionnement",
  "supply.title": "Sécurité d’approvisionnement",
  "supply.lead":
    "Qui fabrique chaque produit, et où : la concentration à chaque maillon de l’approvisionnement, la part fabriquée dans la région des acheteurs, les produits à source unique et les autorités de réglementation qui peuvent autoriser une autre source.",
  "supply.products": "Produits évalués",
  "supply.single_country": "Fabriqués dans un seul pays",
  "supply.single_source": "D’un seul fabricant",
  "supply.tiers": "Maillon le plus faible de chaque produit",
  "supply.regional": "Part des achats de chaque région fabriquée dans la région",
  "supply.single": "Types de vaccins d’un seul fabricant préqualifié",
  "supply.regulators": "Autorités de réglementation (chaque ligne avec sa source)",
  "supply.no_regulators": "Aucun registre des autorités de réglementation : `equitas import regulators FICHIER` (la démo en charge quelques faits publics).",
  "supply.source_link": "source",
  "supply.map": "D’où vient {0} : pays producteurs, fabricants, pays acheteurs",
  "supply.map_note": "Valeur des achats de chaque pays producteur, par chaque fabricant, vers chaque pays acheteur ; cliquer sur un produit dans le tableau ci-dessous pour dessiner sa carte.",
  "supply.unknown": "inconnu",
  "missing.pq": "Aucune liste de préqualification de l’OMS : `equitas import who-pq-vaccines FICHIER` (la liste de l’OMS ne peut pas être livrée avec Equitas).",
  "col.hhi_manufacturer": "IHH fabricants",
  "col.hhi_site": "IHH sites",
  "col.hhi_country": "IHH pays",
  "col.weakest": "Maillon le plus faible",
  "col.band": "Niveau",
  "col.single_country": "Un seul pays",
  "col.who_region": "Région OMS",
  "col.in_region": "Fabriqué dans la région",
  "col.unknown_origin": "Origine inconnue",
  "col.vaccine_type": "Type de vaccin",
  "col.manufacturer": "Fabricant",
  "col.products": "Produits",
  "col.authorities": "Produits par autorité responsable",
  "col.country": "Pays",
  "col.authority": "Autorité",
  "col.gbt_level": "Niveau de maturité OMS",
  "yes": "oui",
  "no": "non",
  "nav.api": "API",
  "nav.formulas": "Formules",
  "loading": "Chargement…",
  "error": "Chargement impossible : {0}",
  "no_data": "Aucune donnée pour cette vue.",
  "definition": "Définition",
  "definition_of": "Définition de {0} (docs/formulas.md)",
  "overview.title": "Vue d’ensemble",
  "overview.lead":
    "Chaque produit essentiel est-il disponible, abordable et son approvisionnement sûr ? Choisissez un indicateur, puis un lieu, puis un produit.",
  "overview.indicator": "Indicateur",
  "overview.level": "Lieux",
  "overview.areas": "Lieux",
  "overview.no_shapes":
    "Ces lieux n’ont pas de frontières sur la carte du monde (les limites du ministère ne sont pas chargées) : classement à la place.",
  "overview.pick": "Cliquez sur un lieu (carte, graphique ou tableau) pour voir ses produits.",
  "overview.products_in": "Produits – {0}",
  "overview.map": "Carte : {0}",
  "overview.missing_on_map": "{0} lieux sur {1} n’ont pas de forme sur la carte et figurent dans le tableau.",
  "ind.availability": "Disponibilité",
  "ind.availability.long": "Part des formations sanitaires ayant les produits en stock (moyenne du panier SARA de l’OMS)",
  "ind.months_of_stock": "Mois de stock",
  "ind.months_of_stock.long": "Médiane des mois de stock des produits",
  "ind.risk": "Risque de rupture",
  "ind.risk.long": "Plus forte probabilité de rupture dans les 6 prochains mois parmi les produits",
  "ind.concentration": "Concentration des fournisseurs",
  "ind.concentration.long": "Indice de Herfindahl-Hirschman de la valeur achetée par fournisseur (0-10 000)",
  "ind.mpr": "Ratio du prix médian",
  "ind.mpr.long": "Médiane des ratios de prix médian des produits aux prix de référence internationaux",
  "ind.on_time": "Livraison à temps",
  "ind.on_time.long": "Part des livraisons reçues à la date prévue ou avant",
  "level.country": "Pays",
  "level.region": "Régions",
  "level.district": "Districts",
  "level.facility": "Formations sanitaires",
  "level.warehouse": "Entrepôts",
  "lvl.country": "pays",
  "lvl.region": "région",
  "lvl.district": "district",
  "lvl.facility": "formation sanitaire",
  "lvl.warehouse": "entrepôt",
  "col.place": "Lieu",
  "col.code": "Code",
  "col.level": "Niveau",
  "col.value": "Valeur",
  "col.product": "Produit",
  "col.item": "Article",
  "col.programme": "Programme",
  "col.availability": "Disponibilité",
  "col.in_stock": "Formations en stock",
  "col.facilities": "Formations",
  "col.stock_on_hand": "Stock disponible",
  "col.amc": "CMM",
  "col.months_of_stock": "Mois de stock",
  "col.status": "État",
  "col.stockout_days": "Jours de rupture",
  "col.expiring": "Péremption proche",
  "col.problems": "Problèmes",
  "col.risk6": "Risque de rupture, 6 mois",
  "col.hhi": "IHH",
  "col.top_supplier": "Principal fournisseur",
  "col.top_share": "Sa part",
  "col.mpr": "RPM",
  "col.on_time": "À temps",
  "col.median_delay": "Retard médian (jours)",
  "col.lines": "Lignes",
  "col.supplier": "Fournisseur",
  "col.share": "Part de la valeur",
  "col.value_usd": "Valeur ($\u00a0US)",
  "col.year": "Année",
  "col.median_price": "Prix unitaire médian ($\u00a0US)",
  "col.p25": "25e centile",
  "col.p75": "75e centile",
  "col.weighted_price": "Prix pondéré par les volumes ($\u00a0US)",
  "col.lead_time": "Délai médian (jours)",
  "col.kind": "Problème",
  "col.date": "Date",
  "col.detail": "Détail",
  "col.events": "Événements",
  "col.event_type": "Type d’événement",
  "col.biz_step": "Étape métier",
  "col.capture": "Saisie",
  "col.source": "Source",
  "col.received": "Reçue le",
  "col.mode": "En cas d’erreur",
  "col.captured": "Enregistrés",
  "col.duplicates": "Doublons",
  "col.rejected": "Rejetés",
  "table.filter": "Filtrer",
  "table.rows": "{0} lignes sur {1}",
  "table.csv": "Exporter en CSV",
  "table.more": "Afficher les {0} lignes",
  "table.sort": "Trier par {0}",
  "status.stocked_out": "en rupture",
  "status.below_min": "sous le minimum",
  "status.adequate": "suffisant",
  "status.above_max": "au-dessus du maximum",
  "status.no_consumption": "sans consommation",
  "product.title": "Produit",
  "product.unknown": "Aucune donnée de stock ni d’achat ne mentionne {0}.",
  "product.stock_by_level": "Stock par niveau",
  "product.availability_time": "Disponibilité dans le temps",
  "product.risk": "Probabilité de rupture, 18 prochains mois",
  "product.prices": "Prix et dispersion",
  "product.suppliers": "Fournisseurs et leurs parts",
  "product.delivery": "Retards de livraison",
  "product.no_stock": "Aucune donnée de stock pour ce produit.",
  "product.no_market": "Aucune ligne d’achat pour ce produit.",
  "product.gtin": "GTIN {0}",
  "location.title": "Lieu",
  "location.unknown": "Aucun lieu {0}.",
  "location.stock": "État du stock de chaque produit",
  "location.problems": "Problèmes de données signalés",
  "location.no_problems": "Aucun problème de données signalé ici.",
  "location.children": "Lieux rattachés",
  "location.as_of": "Au {0}",
  "capture.title": "État des saisies EPCIS",
  "capture.events": "Événements enregistrés",
  "capture.span": "Dates des événements",
  "capture.last_record": "Dernier enregistrement",
  "capture.by_step": "Événements par type et étape métier",
  "capture.jobs": "Saisies, la plus récente d’abord",
  "capture.how": "Saisir avec `equitas epcis capture FICHIER` ou POST /capture (liaison REST d’EPCIS 2.0).",
  "missing.mpr": "Les ratios de prix médians demandent des prix de référence : `equitas import reference-prices FICHIER`.",
  "lang.switch": "Langue",
  "overview.as_of": "Données de stock au {0}",
  "overview.period": "Lignes d’achat livrées du {0} au {1}",
  "product.model": "Modèle de prévision : {0}",
  "product.risk6": "Risque de rupture dans les 6 prochains mois : {0}",
  "usd": "{0} $\u00a0US",
  "usd.axis": "$\u00a0US",
  "crumbs": "Où se trouve ce lieu",
  "stat.min": "Minimum",
  "stat.median": "Médiane",
  "stat.max": "Maximum",
  "problem.missing_data": "Les données nécessaires ne sont pas chargées.",
  "problem.not_found": "Introuvable.",
  "problem.bad_parameter": "Un paramètre de la requête n’est pas valide ({0}).",
  "problem.busy": "Le serveur est occupé par d’autres écritures : réessayez dans quelques secondes.",
  "problem.internal": "Le serveur a rencontré une erreur interne.",
  "problem.other": "Le serveur a refusé la requête (HTTP {0}).",
  "problem.server_words": "Message du serveur (en anglais) : {0}",
  "missing.stock": "Aucune donnée de stock : saisir des événements EPCIS (`equitas epcis capture FICHIER`) ou importer des rapports de stock (`equitas import stock-reports FICHIER`).",
  "missing.market": "Aucune ligne d’achat : les charger (`equitas demo`, `equitas import scms FICHIER`).",
  "lvl.unknown": "lieu inconnu",
  "aria.chart": "Un graphique.",
  "aria.chart_titled": "Graphique : {title}.",
  "aria.series_named": " Il montre {seriesName}.",
  "aria.series_count": " Il comporte {seriesCount} séries.",
  "aria.series_n_named": " Série {seriesId} : {seriesName}.",
  "aria.series_n": " Série {seriesId}.",
  "aria.all_data": "Ses données : ",
  "aria.partial_data": "Ses {displayCnt} premiers éléments : ",
  "aria.data_named": "{name} : {value}",
};

const dictionaries: Record<Lang, Record<Key, string>> = { en, fr };

const STORAGE = "equitas.lang";

function initial(): Lang {
  const saved = localStorage.getItem(STORAGE);
  if (saved === "en" || saved === "fr") return saved;
  return navigator.language.toLowerCase().startsWith("fr") ? "fr" : "en";
}

let current: Lang = initial();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem(STORAGE, l);
  document.documentElement.lang = l;
}

/** The translation of `key`, with `{0}`, `{1}`... replaced by `args`. */
export function t(key: Key, ...args: (string | number)[]): string {
  const s = dictionaries[current][key] ?? en[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ""));
}

/** A colon as the language writes it (French puts a space before it). */
export function colon(): string {
  return current === "fr" ? "\u00a0: " : ": ";
}

/** The user's locale for the chosen language (their own variant if they have one). */
export function locale(): string {
  const mine = navigator.languages?.find((l) => l.toLowerCase().startsWith(current));
  return mine ?? (current === "fr" ? "fr-FR" : "en-GB");
}

const cache = new Map<string, Intl.NumberFormat>();
function nf(opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const k = locale() + JSON.stringify(opts);
  let f = cache.get(k);
  if (!f) {
    f = new Intl.NumberFormat(locale(), opts);
    cache.set(k, f);
  }
  return f;
}

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return nf({ maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
}

export function pct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return nf({ style: "percent", maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
}

/** A `YYYY-MM-DD` date, or an RFC 3339 time, in the user's locale. */
export function date(s: string | null | undefined): string {
  if (!s) return "–";
  const d = s.length === 10 ? new Date(s + "T00:00:00Z") : new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  const opts: Intl.DateTimeFormatOptions =
    s.length === 10 ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium", timeStyle: "short" };
  return new Intl.DateTimeFormat(locale(), opts).format(d);
}

/** A `YYYY-MM` month in the user's locale. */
export function month(s: string): string {
  const d = new Date(s + "-01T00:00:00Z");
  if (Number.isNaN(d.getTime())) return s;
  return new Intl.DateTimeFormat(locale(), { month: "short", year: "numeric", timeZone: "UTC" }).format(d);
}
