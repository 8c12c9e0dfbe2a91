// The administration's building blocks: labelled fields, forms that say what went wrong, tables, copy buttons.
import { Refused } from "../api.js";
import { el, scrollBox } from "../cards.js";
import { has, t } from "../i18n.js";

let counter = 0;

/** A fresh id for an element a label or description points at. */
export function nextId(prefix = "admin") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** An <input> with a name (and type, required, autocomplete and such as attributes). */
export function input(name, attributes = {}) {
  const element = el("input");
  element.name = name;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(key, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(key, String(value));
  }
  return element;
}

/** A <select> of [value, text] choices. */
export function select(name, choices, selected = null) {
  const element = el("select");
  element.name = name;
  for (const [value, text] of choices) {
    const option = el("option", "", text);
    option.value = value;
    option.selected = value === selected;
    element.append(option);
  }
  return element;
}

/** A control with its visible label. */
export function field(labelKey, control) {
  control.id = control.id || nextId("field");
  const label = el("label", "", t(labelKey));
  label.htmlFor = control.id;
  const box = el("div", "field");
  box.append(label, control);
  return box;
}

/** A checkbox with its label after it. */
export function check(name, text, checked = false, value = "on") {
  const box = el("label", "check-row");
  const element = input(name, { type: "checkbox", value });
  element.checked = checked;
  box.append(element, el("span", "", text));
  return box;
}

/** What the hub said, as people read it: the translated text of its code, else its own message. */
export function explain(error) {
  if (error instanceof Refused) {
    if (has(`admin.error.${error.code}`)) return t(`admin.error.${error.code}`);
    if (has(`error.${error.code}`)) return t(`error.${error.code}`);
    if (error.message) return t("admin.error.said", { message: error.message });
  }
  return t("error.generic");
}

/** A paragraph that reports a failure to assistive technology as soon as it shows. */
export function problem(error) {
  const box = el("p", "error", explain(error));
  box.setAttribute("role", "alert");
  return box;
}

/**
 * A form: a heading, its fields, a submit button and a place for its failure. `submit(form)` does the
 * work; when it throws the failure shows in the form and focus stays there.
 */
export function form(headingKey, fields, submitKey, submit) {
  const element = el("form", "admin-form");
  const headingId = nextId("form");
  const heading = el("h3", "", t(headingKey));
  heading.id = headingId;
  element.setAttribute("aria-labelledby", headingId);
  const failure = el("p", "error");
  failure.setAttribute("role", "alert");
  failure.hidden = true;
  const button = el("button", "primary", t(submitKey));
  button.type = "submit";
  const grid = el("div", "form-fields");
  grid.append(...fields);
  element.append(heading, failure, grid, button);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    failure.hidden = true;
    button.disabled = true;
    try {
      await submit(element);
    } catch (error) {
      failure.textContent = explain(error);
      failure.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

/** A table with a caption, column heads and rows of cells (text or elements). */
export function table(captionKey, heads, rows, emptyKey = "admin.empty") {
  if (!rows.length) return el("p", "note", t(emptyKey));
  const element = el("table", "admin-table");
  element.append(el("caption", "", t(captionKey)));
  const head = el("tr");
  for (const key of heads) {
    const cell = el("th", "", t(key));
    cell.scope = "col";
    head.append(cell);
  }
  const thead = el("thead");
  thead.append(head);
  const body = el("tbody");
  for (const cells of rows) {
    const row = el("tr");
    for (const cell of cells) {
      const td = el("td");
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell === null || cell === undefined || cell === "" ? t("value.none") : String(cell);
      row.append(td);
    }
    body.append(row);
  }
  element.append(thead, body);
  return scrollBox(element, t(captionKey), "table-wrap");
}

/** A button that does `action` (the failure goes to `complain`), labelled for assistive technology with `label`. */
export function actionButton(text, label, action, complain) {
  const button = el("button", "", text);
  button.type = "button";
  if (label && label !== text) button.setAttribute("aria-label", label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      complain(error);
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });
  return button;
}

/** Text in <code> with a button that copies it (the text stays selectable where the clipboard is closed). */
export function copyable(text, label, announce) {
  const box = el("span", "copyable");
  const code = el("code", "", text);
  const button = el("button", "copy", t("admin.copy"));
  button.type = "button";
  button.setAttribute("aria-label", t("admin.copyWhat", { what: label }));
  button.dataset.copy = text;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      announce(t("admin.copied", { what: label }));
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      announce(t("admin.copyByHand"));
    }
  });
  box.append(code, button);
  return box;
}

/** A secret shown once: what it is, the value to copy, and that it is never shown again. */
export function shownOnce(headingKey, entries, announce) {
  const box = el("section", "secret");
  box.setAttribute("role", "status");
  const heading = el("h3", "", t(headingKey));
  box.append(heading);
  const list = el("dl");
  for (const [labelKey, value] of entries) {
    list.append(el("dt", "", t(labelKey)));
    const detail = el("dd");
    detail.append(copyable(value, t(labelKey), announce));
    list.append(detail);
  }
  box.append(list, el("p", "note", t("admin.shownOnce")));
  return box;
}

/** When something was made, as the browser's locale writes it. */
export function when(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? iso : moment.toLocaleString();
}
