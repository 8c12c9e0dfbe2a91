// A thing's card: its name, badges and a control for each capability its class offers (interfaces),
// then every state and every action of the class (the generic part, open when no capability fits).
// A user without the right to control things gets the values and no controls.

import { has, t } from "./i18n.js";

const language = document.documentElement.lang || "en";
const numbers = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });

/** An element with a class and a text. */
export function el(tag, className = "", text = "") {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text) element.textContent = text;
  return element;
}

/** A wide table in a box that scrolls sideways at phone width: a labelled region the keyboard can scroll. */
export function scrollBox(table, label, className) {
  const box = el("div", className);
  box.tabIndex = 0;
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", label);
  box.append(table);
  return box;
}

/** A unit's symbol ("" for none or one the table has no symbol for). */
export function unitText(unit) {
  return unit && has(`unit.${unit}`) ? t(`unit.${unit}`) : "";
}

/** A value as people read it: numbers with their unit, yes/no, the size of lists and objects. */
export function formatValue(value, type, unit) {
  if (value === null || value === undefined) return t("value.none");
  if (type === "Bool" || typeof value === "boolean") return t(value ? "value.true" : "value.false");
  if (typeof value === "number") {
    const symbol = unitText(unit);
    return symbol ? `${numbers.format(value)} ${symbol}` : numbers.format(value);
  }
  if (typeof value === "object") {
    // Objects can be large, and hold secrets (a lock's codes): their size, not their content.
    return t("value.entries", { count: Array.isArray(value) ? value.length : Object.keys(value).length });
  }
  return String(value);
}

let serial = 0;

export class Card {
  /**
   * @param {object} thing the API's thing
   * @param {object} thingClass the API's class of it
   * @param {object} house {mayControl, act(card, actionType, params) -> Promise}
   */
  constructor(thing, thingClass, house) {
    this.thing = thing;
    this.thingClass = thingClass;
    this.house = house;
    this.key = `t${++serial}`;
    this.watchers = new Map(); // state type id -> [fn(value)]
    this.inputs = []; // controls to disable while the thing is offline
    this.stateTypes = new Map(thingClass.stateTypes.map((stateType) => [stateType.name, stateType]));
    this.actionTypes = new Map(thingClass.actionTypes.map((actionType) => [actionType.name, actionType]));
    this.element = this.build();
    this.refreshEnabled();
  }

  get may() {
    return this.house.mayControl;
  }

  /** An id unique to this card. */
  id(part) {
    return `${this.key}-${part}`;
  }

  has(interfaceName) {
    return this.thingClass.interfaces.includes(interfaceName);
  }

  stateType(name) {
    return this.stateTypes.get(name);
  }

  value(name) {
    const stateType = this.stateType(name);
    return stateType ? this.thing.states[stateType.id] : undefined;
  }

  /** The state's range now: its dynamic limits if it has them, else its type's. */
  range(stateType) {
    const limits = (this.thing.limits || {})[stateType.id] || {};
    return {
      min: limits.min ?? stateType.min,
      max: limits.max ?? stateType.max,
      values: limits.values ?? stateType.values,
    };
  }

  /** Call fn with the state's value now and at every change. */
  watch(name, fn) {
    const stateType = this.stateType(name);
    if (!stateType) return;
    const list = this.watchers.get(stateType.id) || [];
    list.push(fn);
    this.watchers.set(stateType.id, list);
    fn(this.thing.states[stateType.id]);
  }

  /** A control that is disabled while the thing cannot act. */
  control(input) {
    this.inputs.push(input);
    return input;
  }

  get online() {
    const connected = this.value("connected");
    return connected !== false && this.thing.setupStatus === "Complete";
  }

  refreshEnabled() {
    const online = this.online;
    this.element.classList.toggle("offline", !online);
    for (const input of this.inputs) input.disabled = !online;
    this.offlineBadge.hidden = online;
    this.offlineBadge.textContent = t(this.thing.setupStatus === "Complete" ? "card.offline" : "card.notSetUp");
  }

  /** A state changed (live). */
  update(stateTypeId, value, limits) {
    this.thing.states[stateTypeId] = value;
    if (limits && (limits.min !== null || limits.max !== null || limits.values !== null)) {
      this.thing.limits = { ...(this.thing.limits || {}), [stateTypeId]: limits };
    }
    for (const fn of this.watchers.get(stateTypeId) || []) fn(value);
    const connected = this.stateType("connected");
    if (connected && connected.id === stateTypeId) this.refreshEnabled();
  }

  /** Run an action by its name with params by name. */
  act(actionName, values = {}) {
    const actionType = this.actionTypes.get(actionName);
    if (!actionType) return Promise.resolve();
    const params = {};
    for (const param of actionType.params) {
      if (Object.hasOwn(values, param.name)) params[param.id] = values[param.name];
    }
    return this.house.act(this, actionType, params);
  }

  // -- building -------------------------------------------------------------------------------

  build() {
    const card = el("article", "card");
    card.dataset.thingId = this.thing.id;
    card.setAttribute("aria-labelledby", this.id("name"));
    const head = el("header", "card-head");
    const name = el("h3", "", this.thing.name);
    name.id = this.id("name");
    head.append(name, el("p", "kind", this.thingClass.displayName));
    const badges = el("ul", "badges");
    this.offlineBadge = el("li", "badge warn");
    badges.append(this.offlineBadge, ...this.badges());
    head.append(badges);
    card.append(head);

    const controls = el("div", "controls");
    let fitted = 0;
    for (const [interfaceName, build] of CAPABILITIES) {
      if (!this.has(interfaceName)) continue;
      const parts = build(this).filter(Boolean);
      if (parts.length) fitted += 1;
      controls.append(...parts);
    }
    if (controls.childElementCount) card.append(controls);
    card.append(this.generic(fitted === 0));
    return card;
  }

  badges() {
    const badges = [];
    if (this.stateType("batteryLevel") || this.stateType("batteryCritical")) {
      const badge = el("li", "badge");
      const show = () => {
        const critical = this.value("batteryCritical") === true;
        const level = this.value("batteryLevel");
        badge.classList.toggle("warn", critical);
        badge.textContent =
          level !== undefined && level !== null
            ? t("badge.battery", { value: formatValue(level, "Int", "Percentage") })
            : t("badge.batteryLow");
        badge.hidden = level === undefined && !critical;
      };
      this.watch("batteryLevel", show);
      this.watch("batteryCritical", show);
      badges.push(badge);
    }
    if (this.stateType("signalStrength")) {
      const badge = el("li", "badge");
      this.watch("signalStrength", (value) => {
        badge.textContent = t("badge.signal", { value: formatValue(value, "Uint", "Percentage") });
      });
      badges.push(badge);
    }
    return badges;
  }

  /** Every state, and (for a user who may) every action as a form. */
  generic(open) {
    const details = el("details", "more");
    details.open = open;
    details.append(el("summary", "", t("card.more")));
    if (this.thingClass.stateTypes.length) {
      const heading = el("h4", "", t("card.states"));
      const list = el("dl", "states");
      for (const stateType of this.thingClass.stateTypes) {
        const value = el("dd");
        list.append(el("dt", "", stateType.displayName), value);
        this.watch(stateType.name, (current) => {
          value.textContent = formatValue(current, stateType.type, stateType.unit);
        });
      }
      details.append(heading, list);
    }
    if (this.may && this.thingClass.actionTypes.length) {
      details.append(el("h4", "", t("card.actions")));
      for (const actionType of this.thingClass.actionTypes) details.append(this.actionForm(actionType));
    }
    return details;
  }

  actionForm(actionType) {
    const form = el("form", "action");
    const fields = [];
    for (const param of actionType.params) {
      const field = paramField(this, param, actionType);
      fields.push([param, field.input]);
      form.append(field.row);
    }
    const submit = this.control(el("button", "", actionType.displayName));
    submit.type = "submit";
    form.append(submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = {};
      for (const [param, input] of fields) {
        const value = readField(param, input);
        if (value !== undefined) params[param.id] = value;
      }
      this.house.act(this, actionType, params);
    });
    return form;
  }
}

/** A labelled input for an action's param: a checkbox, a number, a choice or text. */
function paramField(card, param, actionType) {
  const row = el("div", "field");
  const id = card.id(`p-${actionType.id}-${param.id}`);
  const label = el("label", "", param.displayName);
  label.htmlFor = id;
  let input;
  // A state's action starts from the state's value; any other from the param's default.
  const current = card.thing.states[param.id] ?? param.default;
  if (param.values && param.values.length) {
    input = el("select");
    for (const value of param.values) {
      const option = el("option", "", String(value));
      option.value = JSON.stringify(value);
      option.selected = value === current;
      input.append(option);
    }
  } else if (param.type === "Bool") {
    input = el("input");
    input.type = "checkbox";
    input.checked = Boolean(current);
    row.classList.add("check");
  } else if (["Int", "Uint", "Double"].includes(param.type)) {
    input = el("input");
    input.type = "number";
    input.step = param.step ?? (param.type === "Double" ? "any" : "1");
    if (param.min !== null) input.min = param.min;
    if (param.max !== null) input.max = param.max;
    if (current !== null && current !== undefined) input.value = current;
  } else {
    input = el("input");
    input.type = "text";
    if (current !== null && current !== undefined) {
      input.value = typeof current === "string" ? current : JSON.stringify(current);
    }
  }
  input.id = id;
  input.dataset.type = param.type;
  card.control(input);
  const unit = unitText(param.unit);
  if (row.classList.contains("check")) {
    row.append(input, label);
  } else {
    row.append(label, input);
    if (unit) row.append(el("span", "unit", unit));
  }
  return { row, input };
}

function readField(param, input) {
  if (input.tagName === "SELECT") return JSON.parse(input.value);
  if (input.type === "checkbox") return input.checked;
  if (input.type === "number") return input.value === "" ? undefined : Number(input.value);
  if (["String", "Color", "Time"].includes(param.type)) return input.value;
  try {
    return JSON.parse(input.value); // lists and objects as JSON
  } catch {
    return input.value;
  }
}

// -- capabilities: one builder per interface, each answering the card's parts for it ------------

/** A row with a label and a value that follows the state (what a user who may not control sees). */
function reading(card, name, labelKey) {
  const stateType = card.stateType(name);
  if (!stateType) return null;
  const row = el("div", "reading");
  const value = el("span", "value");
  row.append(el("span", "label", t(labelKey)), value);
  card.watch(name, (current) => {
    value.textContent = formatValue(current, stateType.type, stateType.unit);
  });
  return row;
}

/** An on/off switch for a Bool state. */
function toggle(card, name, labelKey, onKey = "control.on", offKey = "control.off") {
  const stateType = card.stateType(name);
  if (!stateType) return null;
  if (!card.may || !stateType.writable) {
    const row = el("div", "reading");
    const value = el("span", "value");
    row.append(el("span", "label", t(labelKey)), value);
    card.watch(name, (current) => {
      value.textContent = t(current ? onKey : offKey);
    });
    return row;
  }
  const row = el("div", "row");
  const label = el("span", "label", t(labelKey));
  label.id = card.id(`${name}-label`);
  const button = card.control(el("button", "switch"));
  button.type = "button";
  button.setAttribute("role", "switch");
  button.setAttribute("aria-labelledby", label.id);
  const text = el("span", "switch-text");
  button.append(el("span", "switch-knob"), text);
  card.watch(name, (current) => {
    button.setAttribute("aria-checked", String(current === true));
    text.textContent = t(current ? onKey : offKey);
  });
  button.addEventListener("click", () => {
    card.act(name, { [name]: button.getAttribute("aria-checked") !== "true" });
  });
  row.append(label, button);
  return row;
}

/** A slider for a number state (brightness, position, angle). */
function slider(card, name, labelKey) {
  const stateType = card.stateType(name);
  if (!stateType) return null;
  if (!card.may || !stateType.writable) return reading(card, name, labelKey);
  const row = el("div", "field slider");
  const id = card.id(name);
  const label = el("label", "", t(labelKey));
  label.htmlFor = id;
  const input = card.control(el("input"));
  input.type = "range";
  input.id = id;
  const output = el("output");
  output.htmlFor = id;
  const show = (value) => {
    const text = formatValue(Number(value), stateType.type, stateType.unit);
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  };
  card.watch(name, (current) => {
    const range = card.range(stateType);
    input.min = range.min ?? 0;
    input.max = range.max ?? 100;
    input.step = stateType.step ?? 1;
    // Not while the user moves it: the hub's echo would pull it from under the finger.
    if (input.dataset.editing !== "true" && current !== undefined && current !== null) input.value = current;
    show(input.dataset.editing === "true" ? input.value : current);
  });
  input.addEventListener("input", () => {
    input.dataset.editing = "true";
    show(input.value);
  });
  input.addEventListener("change", () => {
    input.dataset.editing = "false";
    card.act(name, { [name]: Number(input.value) });
  });
  input.addEventListener("blur", () => {
    input.dataset.editing = "false";
  });
  row.append(label, input, output);
  return row;
}

/** A number field with a Set button (a set point, an analog value). */
function numberField(card, name, labelKey) {
  const stateType = card.stateType(name);
  if (!stateType) return null;
  if (!card.may || !stateType.writable) return reading(card, name, labelKey);
  const form = el("form", "field number");
  const id = card.id(name);
  const label = el("label", "", t(labelKey));
  label.htmlFor = id;
  const input = card.control(el("input"));
  input.type = "number";
  input.id = id;
  // A Double without a step takes any value (20.3 °C is a set point too); arrows move it by 1.
  input.step = stateType.step ?? (stateType.type === "Double" ? "any" : 1);
  const set = card.control(el("button", "", t("control.set")));
  set.type = "submit";
  card.watch(name, (current) => {
    const range = card.range(stateType);
    if (range.min !== null && range.min !== undefined) input.min = range.min;
    if (range.max !== null && range.max !== undefined) input.max = range.max;
    if (document.activeElement !== input && current !== undefined && current !== null) input.value = current;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value !== "" && input.reportValidity()) card.act(name, { [name]: Number(input.value) });
  });
  const unit = unitText(stateType.unit);
  form.append(label, input);
  if (unit) form.append(el("span", "unit", unit));
  form.append(set);
  return form;
}

/** A choice among a state's possible values (operating mode, HVAC mode, fan speed). */
function choice(card, name, labelKey, valueKeyPrefix) {
  const stateType = card.stateType(name);
  if (!stateType) return null;
  const named = (value) => (has(`${valueKeyPrefix}${value}`) ? t(`${valueKeyPrefix}${value}`) : String(value));
  if (!card.may || !stateType.writable) {
    const row = el("div", "reading");
    const value = el("span", "value");
    row.append(el("span", "label", t(labelKey)), value);
    card.watch(name, (current) => {
      value.textContent = current === undefined || current === null ? t("value.none") : named(current);
    });
    return row;
  }
  const row = el("div", "field");
  const id = card.id(name);
  const label = el("label", "", t(labelKey));
  label.htmlFor = id;
  const select = card.control(el("select"));
  select.id = id;
  for (const value of card.range(stateType).values || []) {
    const option = el("option", "", named(value));
    option.value = value;
    select.append(option);
  }
  card.watch(name, (current) => {
    select.value = current;
  });
  select.addEventListener("change", () => card.act(name, { [name]: select.value }));
  row.append(label, select);
  return row;
}

/** Buttons for actions without params (open/stop/close, lamella steps, launch, press). */
function buttons(card, groupKey, actions) {
  if (!card.may) return null;
  const present = actions.filter(([name]) => card.actionTypes.has(name));
  if (!present.length) return null;
  const group = el("div", "buttons");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", `${card.thing.name}: ${t(groupKey)}`);
  for (const [name, key] of present) {
    const button = card.control(el("button", "", t(key)));
    button.type = "button";
    button.addEventListener("click", () => card.act(name));
    group.append(button);
  }
  return group;
}

/** The codes of a lock's slots: slot and name, never the code. */
function userCodes(card) {
  if (!card.stateType("userCodes")) return null;
  const box = el("div", "codes");
  const heading = el("p", "label", t("lock.codes"));
  const list = el("ul");
  card.watch("userCodes", (codes) => {
    list.replaceChildren();
    const slots = Object.entries(codes || {}).sort((a, b) => Number(a[0]) - Number(b[0]));
    if (!slots.length) list.append(el("li", "", t("lock.noCodes")));
    for (const [slot, entry] of slots) list.append(el("li", "", t("lock.code", { slot, name: entry.name ?? "" })));
  });
  box.append(heading, list);
  return box;
}

const SENSORS = [
  ["temperature", "sensor.temperature"],
  ["humidity", "sensor.humidity"],
  ["moisture", "sensor.moisture"],
  ["lightIntensity", "sensor.lightIntensity"],
  ["isPresent", "sensor.isPresent"],
  ["currentPower", "sensor.currentPower"],
  ["totalEnergyConsumed", "sensor.totalEnergyConsumed"],
];

/** The sensor readings of a card, each once (a thermostat is a temperature sensor too). */
function readings(card) {
  if (card.readingsShown) return [];
  card.readingsShown = true;
  return SENSORS.map(([name, key]) => reading(card, name, key));
}

// In card order: what a person reaches for first comes first.
const CAPABILITIES = [
  ["power", (card) => [toggle(card, "power", "control.power")]],
  ["dimmablelight", (card) => [slider(card, "brightness", "control.brightness")]],
  [
    "simpleclosable",
    (card) => [
      buttons(card, "control.position", [
        ["open", "control.open"],
        ["stop", "control.stop"],
        ["close", "control.close"],
      ]),
    ],
  ],
  ["extendedclosable", (card) => [slider(card, "percentage", "control.position")]],
  ["venetianblind", (card) => [slider(card, "angle", "control.angle")]],
  [
    "venetianblindstep",
    (card) => [
      buttons(card, "control.angle", [
        ["stepUp", "control.stepUp"],
        ["stepDown", "control.stepDown"],
      ]),
    ],
  ],
  ["thermostat", (card) => [numberField(card, "targetTemperature", "control.setPoint")]],
  ["thermostatmode", (card) => [choice(card, "operatingMode", "control.operatingMode", "thermostat.mode.")]],
  ["chronothermostat", (card) => [toggle(card, "chronoEnabled", "control.chrono")]],
  [
    "hvac",
    (card) => [
      choice(card, "hvacMode", "control.hvacMode", "hvac.mode."),
      choice(card, "fanSpeed", "control.fanSpeed", "fan."),
    ],
  ],
  ["analogvalue", (card) => [numberField(card, "value", "control.value")]],
  [
    "scene",
    (card) => [
      reading(card, "active", "sensor.active"),
      buttons(card, "control.launch", [
        ["launch", "control.launch"],
        ["stop", "control.stop"],
      ]),
    ],
  ],
  ["button", (card) => [buttons(card, "control.press", [["trigger", "control.press"]])]],
  ["doorlock", (card) => [toggle(card, "locked", "control.locked", "lock.locked", "lock.unlocked"), userCodes(card)]],
  ["sensor", readings],
  ["temperaturesensor", readings],
  ["energymeter", readings],
];
