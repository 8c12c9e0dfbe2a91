// Every text the page shows comes from one translation table, static/i18n/<language>.json.
// Elements name their text with data-i18n (content), data-i18n-label (aria-label) or
// data-i18n-title (title); code asks t(key, {name: value}) for texts it builds.

let table = {};

/** Load the table of the page's language (English when there is none for it). */
export async function loadTranslations() {
  const wanted = (document.documentElement.lang || "en").toLowerCase();
  for (const language of [wanted, "en"]) {
    const answer = await fetch(`/web/static/i18n/${encodeURIComponent(language)}.json`, { credentials: "same-origin" });
    if (answer.ok) {
      table = await answer.json();
      return;
    }
  }
}

const plurals = new Intl.PluralRules(document.documentElement.lang || "en");

/**
 * The text of a key with {placeholders} filled in; the key itself when the table has none. A numeric
 * {count} picks the language's plural form of it where the table has one (`key.one` for "1 reading").
 */
export function t(key, values = {}) {
  if (typeof values.count === "number") {
    const form = `${key}.${plurals.select(values.count)}`;
    if (Object.hasOwn(table, form)) key = form;
  }
  let text = Object.hasOwn(table, key) ? table[key] : key;
  for (const [name, value] of Object.entries(values)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

/** Whether the table has a text for the key. */
export function has(key) {
  return Object.hasOwn(table, key);
}

/** Fill in the texts of every element below root that names one. */
export function translate(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
  for (const element of root.querySelectorAll("[data-i18n-title]")) {
    element.title = t(element.dataset.i18nTitle);
  }
}
