// Codes the API sends (EPCIS business steps and event types, data problem
// kinds, programmes, forecasting methods, capture modes) and what people
// read instead, in English and French. The code itself stays available: in
// a tooltip, in the table filter and in the CSV export.

import { lang, type Lang } from "./i18n";

type Words = Record<Lang, string>;

/** GS1 CBV 2.0 business steps (https://ref.gs1.org/cbv/BizStep). */
const BIZ_STEPS: Record<string, Words> = {
  accepting: { en: "Accepting", fr: "Acceptation" },
  arriving: { en: "Arriving", fr: "Arrivée" },
  assembling: { en: "Assembling", fr: "Assemblage" },
  collecting: { en: "Collecting", fr: "Collecte" },
  commissioning: { en: "Commissioning", fr: "Mise en service" },
  consigning: { en: "Consigning", fr: "Remise au transporteur" },
  creating_class_instance: { en: "Creating class instance", fr: "Création d’instances" },
  cycle_counting: { en: "Cycle counting (stock count)", fr: "Inventaire tournant" },
  decommissioning: { en: "Decommissioning", fr: "Mise hors service" },
  departing: { en: "Departing", fr: "Départ" },
  destroying: { en: "Destroying", fr: "Destruction" },
  disassembling: { en: "Disassembling", fr: "Désassemblage" },
  dispensing: { en: "Dispensing", fr: "Dispensation" },
  encoding: { en: "Encoding", fr: "Encodage" },
  entering_exiting: { en: "Entering or exiting", fr: "Entrée ou sortie" },
  holding: { en: "Holding", fr: "Mise en attente" },
  inspecting: { en: "Inspecting", fr: "Inspection" },
  installing: { en: "Installing", fr: "Installation" },
  killing: { en: "Killing (tag disabled)", fr: "Désactivation d’étiquette" },
  loading: { en: "Loading", fr: "Chargement" },
  other: { en: "Other", fr: "Autre" },
  packing: { en: "Packing", fr: "Emballage" },
  picking: { en: "Picking", fr: "Préparation de commande" },
  receiving: { en: "Receiving", fr: "Réception" },
  removing: { en: "Removing", fr: "Retrait" },
  repackaging: { en: "Repackaging", fr: "Reconditionnement" },
  repairing: { en: "Repairing", fr: "Réparation" },
  replacing: { en: "Replacing", fr: "Remplacement" },
  reserving: { en: "Reserving", fr: "Réservation" },
  retail_selling: { en: "Retail selling", fr: "Vente au détail" },
  sampling: { en: "Sampling", fr: "Échantillonnage" },
  sensor_reporting: { en: "Sensor reporting", fr: "Relevé de capteur" },
  shipping: { en: "Shipping", fr: "Expédition" },
  staging_outbound: { en: "Staging outbound", fr: "Préparation à l’expédition" },
  stock_taking: { en: "Stock taking", fr: "Inventaire" },
  stocking: { en: "Stocking", fr: "Mise en stock" },
  storing: { en: "Storing", fr: "Stockage" },
  transporting: { en: "Transporting", fr: "Transport" },
  unloading: { en: "Unloading", fr: "Déchargement" },
  unpacking: { en: "Unpacking", fr: "Déballage" },
  void_shipping: { en: "Void shipping", fr: "Annulation d’expédition" },
};

/** EPCIS 2.0 event types. */
const EVENT_TYPES: Record<string, Words> = {
  ObjectEvent: { en: "Object event", fr: "Événement d’objet" },
  AggregationEvent: { en: "Aggregation event", fr: "Événement d’agrégation" },
  TransactionEvent: { en: "Transaction event", fr: "Événement de transaction" },
  TransformationEvent: { en: "Transformation event", fr: "Événement de transformation" },
  AssociationEvent: { en: "Association event", fr: "Événement d’association" },
};

/** Data problems of the ledger (docs/formulas.md 3.10): a label and what it means. */
const PROBLEMS: Record<string, { label: Words; detail: Words }> = {
  issue_before_receipt: {
    label: { en: "Issue before receipt", fr: "Sortie avant réception" },
    detail: { en: "stock left before any receipt or count", fr: "du stock est sorti avant toute réception ou tout inventaire" },
  },
  negative_balance: {
    label: { en: "Negative balance", fr: "Solde négatif" },
    detail: { en: "the running balance went below zero", fr: "le solde courant est passé sous zéro" },
  },
  count_mismatch: {
    label: { en: "Count mismatch", fr: "Écart d’inventaire" },
    detail: { en: "a physical count differs from the ledger", fr: "un inventaire physique diffère du registre de stock" },
  },
  possible_duplicate: {
    label: { en: "Possible duplicate", fr: "Doublon possible" },
    detail: {
      en: "same lot, time, kind and quantity from two sources",
      fr: "même lot, même instant, même type et même quantité venant de deux sources",
    },
  },
  implausible_quantity: {
    label: { en: "Implausible quantity", fr: "Quantité invraisemblable" },
    detail: {
      en: "a quantity not finite, negative or above 1e9 units: left out of the stock figures",
      fr: "une quantité non finie, négative ou de plus de 10⁹ unités : exclue des chiffres de stock",
    },
  },
  count_beside_lots: {
    label: { en: "Lot counted beside stock of no lot", fr: "Lot inventorié à côté de stock sans lot" },
    detail: {
      en: "a lot counted while stock of no lot is held: that stock stays beside it, perhaps counted twice",
      fr: "un lot inventorié alors que du stock sans lot est détenu : ce stock reste à côté, peut-être compté deux fois",
    },
  },
  unknown_location: {
    label: { en: "Unknown location", fr: "Lieu inconnu" },
    detail: {
      en: "a location the hierarchy does not hold: its stock is in no area's totals",
      fr: "un lieu absent de la hiérarchie : son stock n’entre dans les totaux d’aucune zone",
    },
  },
  unknown_item: {
    label: { en: "Unknown item", fr: "Article inconnu" },
    detail: {
      en: "an item the catalogue does not hold: its stock counts toward no product",
      fr: "un article absent du catalogue : son stock ne compte pour aucun produit",
    },
  },
};

/** Health programmes of the catalogue. */
const PROGRAMMES: Record<string, Words> = {
  hiv: { en: "HIV", fr: "VIH" },
  tb: { en: "Tuberculosis", fr: "Tuberculose" },
  malaria: { en: "Malaria", fr: "Paludisme" },
  immunisation: { en: "Immunisation", fr: "Vaccination" },
  ntd: { en: "Neglected tropical diseases", fr: "Maladies tropicales négligées" },
  srh: { en: "Sexual and reproductive health", fr: "Santé sexuelle et reproductive" },
  mental_health: { en: "Mental health", fr: "Santé mentale" },
  essential_medicines: { en: "Essential medicines", fr: "Médicaments essentiels" },
};

/** What a capture does with a bad event (GS1-Capture-Error-Behaviour). */
const ERROR_BEHAVIOURS: Record<string, Words> = {
  rollback: { en: "Reject the whole document", fr: "Rejeter tout le document" },
  proceed: { en: "Keep the good events", fr: "Garder les événements valides" },
};

/** Forecasting methods (docs/formulas.md 4.2): full name and one line on what it does. */
const METHODS: Record<string, { name: Words; explain: Words }> = {
  naive: {
    name: { en: "Naive", fr: "Méthode naïve" },
    explain: { en: "next months equal the last month", fr: "les mois suivants valent le dernier mois" },
  },
  seasonal_naive: {
    name: { en: "Seasonal naive", fr: "Naïve saisonnière" },
    explain: { en: "each month equals the same month a year before", fr: "chaque mois vaut le même mois un an plus tôt" },
  },
  moving_average: {
    name: { en: "Moving average", fr: "Moyenne mobile" },
    explain: { en: "the mean of the last 3 months", fr: "la moyenne des 3 derniers mois" },
  },
  ses: {
    name: { en: "Simple exponential smoothing", fr: "Lissage exponentiel simple" },
    explain: {
      en: "a weighted mean of past months, recent months weighing more; no trend, no season",
      fr: "une moyenne pondérée des mois passés, les plus récents pesant davantage ; sans tendance ni saison",
    },
  },
  holt: {
    name: { en: "Holt's linear trend", fr: "Tendance linéaire de Holt" },
    explain: { en: "exponential smoothing of a level and a trend", fr: "lissage exponentiel d’un niveau et d’une tendance" },
  },
  damped_holt: {
    name: { en: "Damped trend (Holt)", fr: "Tendance amortie (Holt)" },
    explain: {
      en: "Holt's trend, flattening out month after month",
      fr: "la tendance de Holt, qui s’aplatit de mois en mois",
    },
  },
  holt_winters: {
    name: { en: "Holt-Winters", fr: "Holt-Winters" },
    explain: {
      en: "exponential smoothing of a level, a trend and 12 monthly seasonal effects",
      fr: "lissage exponentiel d’un niveau, d’une tendance et de 12 effets saisonniers mensuels",
    },
  },
  ets: {
    name: { en: "Exponential smoothing (ETS, chosen form)", fr: "Lissage exponentiel (ETS, forme choisie)" },
    explain: {
      en: "level, with or without a (damped) trend and 12 monthly seasonal effects, the form chosen by AICc",
      fr: "niveau, avec ou sans tendance (amortie) et 12 effets saisonniers mensuels, la forme choisie par l’AICc",
    },
  },
  theta: {
    name: { en: "Theta method", fr: "Méthode Thêta" },
    explain: {
      en: "simple exponential smoothing plus half the long-run trend",
      fr: "lissage exponentiel simple plus la moitié de la tendance de long terme",
    },
  },
  croston: {
    name: { en: "Croston's method", fr: "Méthode de Croston" },
    explain: {
      en: "for intermittent demand: smooths the sizes of demands and the gaps between them",
      fr: "pour une demande intermittente : lisse la taille des demandes et l’intervalle entre elles",
    },
  },
  croston_sba: {
    name: { en: "Croston, Syntetos-Boylan approximation", fr: "Croston, approximation de Syntetos-Boylan" },
    explain: {
      en: "Croston's forecast lowered by 5% to remove its known bias",
      fr: "la prévision de Croston diminuée de 5 % pour corriger son biais connu",
    },
  },
  croston_optimized: {
    name: { en: "Croston, optimised", fr: "Croston optimisé" },
    explain: {
      en: "Croston's method with its smoothing constants fitted to the series",
      fr: "la méthode de Croston, ses constantes de lissage ajustées à la série",
    },
  },
  tsb: {
    name: { en: "Teunter-Syntetos-Babai", fr: "Teunter-Syntetos-Babai" },
    explain: {
      en: "smooths how often demand occurs and its size; made for intermittent demand, and with demand every month a slow exponential smoothing: the forecast of steady demand",
      fr: "lisse la fréquence de la demande et sa taille ; conçue pour une demande intermittente, et, avec une demande chaque mois, un lissage exponentiel lent : la prévision d’une demande régulière",
    },
  },
  adida: {
    name: { en: "ADIDA (temporal aggregation)", fr: "ADIDA (agrégation temporelle)" },
    explain: {
      en: "smooths demand summed over buckets of several months, then spreads it back",
      fr: "lisse la demande cumulée par paquets de plusieurs mois, puis la répartit",
    },
  },
  imapa: {
    name: { en: "IMAPA (multiple aggregation)", fr: "IMAPA (agrégation multiple)" },
    explain: {
      en: "the mean of ADIDA forecasts over several bucket sizes",
      fr: "la moyenne des prévisions ADIDA sur plusieurs tailles de paquets",
    },
  },
};

/** `https://ref.gs1.org/cbv/BizStep-receiving` or `urn:epcglobal:cbv:bizstep:receiving` → `receiving`. */
export function stepCode(s: string): string {
  return s.replace(/^.*BizStep-/, "").replace(/^urn:epcglobal:cbv:bizstep:/, "");
}

const pick = (w: Words | undefined, code: string): string => (w ? w[lang()] : code);

/** What a business step (code or URI) reads as; an unknown one is shown as its code. */
export function bizStep(s: string): string {
  const code = stepCode(s);
  return code ? pick(BIZ_STEPS[code], code) : "–";
}

export function eventType(code: string): string {
  return pick(EVENT_TYPES[code], code);
}

export function problemKind(code: string): string {
  return pick(PROBLEMS[code]?.label, code);
}

/** What a problem kind means; `server` (the API's English words) for a kind not known here. */
export function problemDetail(code: string, server: string): string {
  return PROBLEMS[code]?.detail[lang()] ?? server;
}

export function programme(code: string | null | undefined): string {
  return code ? pick(PROGRAMMES[code], code) : "";
}

export function errorBehaviour(code: string): string {
  return pick(ERROR_BEHAVIOURS[code], code);
}

/** A forecasting method's full name and what it does, or the code alone if unknown. */
export function method(code: string): { name: string; explain: string | null } {
  const m = METHODS[code];
  return m ? { name: m.name[lang()], explain: m.explain[lang()] } : { name: code, explain: null };
}

/** Tiers of a supply chain (docs/formulas.md 6.1). */
const TIERS: Record<string, Words> = {
  manufacturer: { en: "Manufacturer", fr: "Fabricant" },
  site: { en: "Manufacturing site", fr: "Site de fabrication" },
  country: { en: "Producing country", fr: "Pays producteur" },
  "ingredient-country": { en: "Ingredient country", fr: "Pays du principe actif" },
};

export function tier(code: string): string {
  return pick(TIERS[code], code);
}

/** The default concentration bands (US merger guidelines 2023, docs/formulas.md 2.8). */
const BANDS: Record<string, Words> = {
  unconcentrated: { en: "Unconcentrated", fr: "Non concentré" },
  "moderately concentrated": { en: "Moderately concentrated", fr: "Modérément concentré" },
  "highly concentrated": { en: "Highly concentrated", fr: "Très concentré" },
};

export function band(label: string): string {
  return pick(BANDS[label], label);
}

/** Programmes of technology transfers and licences (the licences register). */
const LICENCE_PROGRAMMES: Record<string, Words> = {
  "who-mrna": { en: "WHO mRNA technology transfer programme", fr: "Programme de transfert de technologie ARNm de l’OMS" },
  htap: { en: "Health Technology Access Programme (HTAP)", fr: "Programme d’accès aux technologies de santé (HTAP)" },
  "c-tap": { en: "COVID-19 Technology Access Pool (C-TAP)", fr: "Groupement d’accès aux technologies contre la COVID-19 (C-TAP)" },
  mpp: { en: "Medicines Patent Pool", fr: "Medicines Patent Pool (communauté de brevets)" },
  voluntary: { en: "Voluntary licence", fr: "Licence volontaire" },
  other: { en: "Other", fr: "Autre" },
};

export function licenceProgramme(code: string): string {
  return pick(LICENCE_PROGRAMMES[code], code);
}

const LICENCE_STATUSES: Record<string, Words> = {
  active: { en: "Active", fr: "En vigueur" },
  planned: { en: "Planned", fr: "Prévue" },
  expired: { en: "Expired", fr: "Expirée" },
  terminated: { en: "Terminated", fr: "Résiliée" },
};

export function licenceStatus(code: string): string {
  return pick(LICENCE_STATUSES[code], code);
}

/** The World Bank's income groups (its French terms), as the country codes' import gives them. */
const INCOME_GROUPS: Record<string, Words> = {
  "Low income": { en: "Low income", fr: "Faible revenu" },
  "Lower middle income": { en: "Lower middle income", fr: "Revenu intermédiaire, tranche inférieure" },
  "Upper middle income": { en: "Upper middle income", fr: "Revenu intermédiaire, tranche supérieure" },
  "High income": { en: "High income", fr: "Revenu élevé" },
  unknown: { en: "Unknown", fr: "Inconnu" },
  NA: { en: "Not classified", fr: "Non classé" },
};

export function incomeGroup(code: string | null | undefined): string {
  return code ? pick(INCOME_GROUPS[code], code) : "–";
}
