// The things page: add a thing by every setup path the hub has (just add, discovery, push button, display PIN,
// user and password, OAuth) through forms built from its class's param types, and rename, move, set up and
// remove the things the user sees. The list follows the live channel (a thing added, changed or removed
// anywhere is read again); the core decides who may do what (ConfigureThings).
import { read, Refused, write } from "./api.js";
import { el } from "./cards.js";
import { has, t } from "./i18n.js";
import { announce, complain, followLive, readSession, showToast, startPage } from "./page.js";

await startPage();

const $ = (id) => document.getElementById(id);
const addSection = $("add");
const classSelect = $("add-class");
const wayBox = $("add-way");
const discoverForm = $("discover-form");
const foundBox = $("found");
const foundList = $("found-list");
const addForm = $("add-form");
const pairForm = $("pair-form");
const thingsElement = $("things");

const page = {
  mayConfigure: false,
  classes: new Map(),
  things: [],
  rooms: [],
  chosen: null, // the class being added
  descriptor: null, // the discovery result being added, if any
  pairing: null, // {transactionId, setupMethod, room}
  editing: null, // id of the thing whose form is open
  loaded: false,
};

// -- forms from param types -------------------------------------------------------------------------

let fieldSerial = 0;

/** A labelled input for a param type; `value` is its current value (or its default). */
function paramField(paramType, value) {
  const id = `param-${++fieldSerial}`;
  const row = el("div", "field");
  const label = el("label", "", paramType.displayName || paramType.name);
  label.htmlFor = id;
  let input;
  if (paramType.values && paramType.values.length) {
    input = el("select");
    for (const allowed of paramType.values) {
      const option = el("option", "", String(allowed));
      option.value = JSON.stringify(allowed);
      input.append(option);
    }
    if (value !== undefined && value !== null) input.value = JSON.stringify(value);
  } else if (paramType.type === "Uuid") {
    // A thing's id (a device's node, a sensor's device): picked from the things the user sees, by name.
    input = el("select");
    const none = el("option", "", t("things.pickThing"));
    none.value = "";
    input.append(none);
    for (const thing of [...page.things].sort((a, b) => a.name.localeCompare(b.name))) {
      const option = el("option", "", thing.room ? `${thing.name} · ${thing.room}` : thing.name);
      option.value = JSON.stringify(thing.id);
      input.append(option);
    }
    input.required = paramType.default === null || paramType.default === undefined;
    if (value !== undefined && value !== null) input.value = JSON.stringify(value);
  } else if (paramType.type === "Bool") {
    row.className = "field check";
    input = el("input");
    input.type = "checkbox";
    input.checked = Boolean(value);
  } else {
    input = el("input");
    const numeric = ["Int", "Uint", "UInt", "Double"].includes(paramType.type);
    if (numeric) {
      input.type = "number";
      input.step = paramType.type === "Double" ? String(paramType.step || "any") : String(paramType.step || 1);
      if (paramType.min !== null && paramType.min !== undefined) input.min = String(paramType.min);
      if (paramType.max !== null && paramType.max !== undefined) input.max = String(paramType.max);
    } else if (paramType.type === "Color") {
      input.type = "color";
    } else if (paramType.inputType === "Password") {
      input.type = "password";
      input.autocomplete = "new-password";
    } else {
      input.type = "text";
    }
    if (value !== undefined && value !== null) {
      input.value = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
    // A param without a default must be given.
    if (paramType.default === null || paramType.default === undefined) input.required = true;
  }
  input.id = id;
  input.dataset.paramId = paramType.id;
  input.dataset.type = paramType.type;
  if (paramType.readOnly) input.disabled = true;
  if (row.className === "field check") row.append(input, label);
  else row.append(label, input);
  const unit = paramType.unit && has(`unit.${paramType.unit}`) ? t(`unit.${paramType.unit}`) : "";
  if (unit) row.append(el("span", "unit", unit));
  return row;
}

/** Fields for param types (the ones the hub fills itself, read-only, left out unless `all`). */
function paramFields(container, paramTypes, values = {}, all = false) {
  const fields = paramTypes
    .filter((paramType) => all || !paramType.readOnly)
    .map((paramType) => paramField(paramType, Object.hasOwn(values, paramType.id) ? values[paramType.id] : paramType.default));
  container.replaceChildren(...fields);
}

/** The values of a container's param fields by param type id (empty optional fields left out). */
function paramValues(container) {
  const values = {};
  for (const input of container.querySelectorAll("[data-param-id]")) {
    if (input.disabled) continue;
    const type = input.dataset.type;
    let value;
    if (input.tagName === "SELECT") {
      if (input.value === "") continue; // no thing picked for an optional one
      value = JSON.parse(input.value);
    }
    else if (input.type === "checkbox") value = input.checked;
    else if (input.value === "") continue;
    else if (input.type === "number") value = Number(input.value);
    else if (type === "Object" || type === "StringList") {
      try {
        value = JSON.parse(input.value);
      } catch {
        value = input.value; // the hub says what it expects
      }
    } else value = input.value;
    values[input.dataset.paramId] = value;
  }
  return values;
}

// -- adding -----------------------------------------------------------------------------------------

function renderClasses() {
  const options = [el("option", "", t("things.pickClass"))];
  options[0].value = "";
  const byVendor = new Map();
  for (const thingClass of page.classes.values()) {
    const vendor = thingClass.vendor || t("things.otherVendor");
    if (!byVendor.has(vendor)) byVendor.set(vendor, []);
    byVendor.get(vendor).push(thingClass);
  }
  for (const [vendor, classes] of [...byVendor.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const group = el("optgroup");
    group.label = vendor;
    for (const thingClass of classes) {
      const option = el("option", "", thingClass.displayName);
      option.value = thingClass.id;
      group.append(option);
    }
    options.push(group);
  }
  const chosen = classSelect.value;
  classSelect.replaceChildren(...options);
  if (chosen && page.classes.has(chosen)) classSelect.value = chosen;
}

function setupText(setupMethod) {
  return has(`things.setup.${setupMethod}`) ? t(`things.setup.${setupMethod}`) : setupMethod;
}

function resetAdding() {
  for (const part of [wayBox, discoverForm, foundBox, addForm, pairForm]) part.hidden = true;
  page.descriptor = null;
  page.pairing = null;
  $("add-how").textContent = "";
}

function chooseClass() {
  resetAdding();
  const thingClass = page.classes.get(classSelect.value);
  page.chosen = thingClass || null;
  if (!thingClass) return;
  $("add-how").textContent = setupText(thingClass.setupMethod);
  const byHand = thingClass.createMethods.includes("User");
  const discovery = thingClass.createMethods.includes("Discovery");
  wayBox.hidden = !(byHand && discovery);
  if (byHand && discovery) {
    wayBox.querySelector('input[value="discover"]').checked = true;
  }
  showWay(discovery ? "discover" : "user");
}

function showWay(way) {
  const thingClass = page.chosen;
  foundBox.hidden = true;
  pairForm.hidden = true;
  page.descriptor = null;
  if (way === "discover") {
    paramFields($("discover-params"), thingClass.discoveryParams);
    discoverForm.hidden = false;
    addForm.hidden = true;
  } else {
    discoverForm.hidden = true;
    openAddForm(null);
  }
}

/** The add form for the class, or for a discovery result (its params are the device's own). */
function openAddForm(descriptor) {
  const thingClass = page.chosen;
  page.descriptor = descriptor;
  $("add-form-heading").textContent = descriptor ? descriptor.title : thingClass.displayName;
  $("add-name").value = descriptor ? descriptor.title : thingClass.displayName;
  $("add-room").value = "";
  // A discovered device's params come with it: only the ones it did not bring are asked.
  const given = descriptor ? descriptor.params : {};
  paramFields(
    $("add-params"),
    thingClass.params.filter((paramType) => !Object.hasOwn(given, paramType.id)),
  );
  $("add-submit").textContent = t(thingClass.setupMethod === "JustAdd" ? "things.addButton" : "things.pairButton");
  addForm.hidden = false;
  pairForm.hidden = true;
  $("add-name").focus();
}

wayBox.addEventListener("change", (event) => showWay(event.target.value));
classSelect.addEventListener("change", chooseClass);

discoverForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = discoverForm.querySelector("button");
  button.disabled = true;
  foundList.replaceChildren(el("li", "note", t("things.searching")));
  foundBox.hidden = false;
  try {
    const answer = await write("setup/discover", { classId: page.chosen.id, params: paramValues($("discover-params")) });
    renderFound(answer.descriptors);
  } catch (error) {
    foundBox.hidden = true;
    complain(error);
  } finally {
    button.disabled = false;
  }
});

function renderFound(descriptors) {
  const items = descriptors.map((descriptor) => {
    const item = el("li", "found-item");
    const text = el("div");
    text.append(el("strong", "", descriptor.title));
    if (descriptor.description) text.append(el("p", "note", descriptor.description));
    if (descriptor.thingId) text.append(el("p", "note", t("things.known")));
    const button = el("button", "", t("things.choose"));
    button.type = "button";
    button.setAttribute("aria-label", t("things.chooseThis", { title: descriptor.title }));
    button.addEventListener("click", () => openAddForm(descriptor));
    item.append(text, button);
    return item;
  });
  foundList.replaceChildren(...(items.length ? items : [el("li", "note", t("things.nothingFound"))]));
  announce(t("things.foundCount", { count: descriptors.length }));
}

$("add-cancel").addEventListener("click", () => {
  addForm.hidden = true;
  classSelect.focus();
});

addForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const thingClass = page.chosen;
  const body = {
    name: $("add-name").value,
    params: paramValues($("add-params")),
    ...(page.descriptor ? { descriptorId: page.descriptor.id } : { classId: thingClass.id }),
  };
  const room = $("add-room").value.trim();
  const button = $("add-submit");
  button.disabled = true;
  try {
    if (thingClass.setupMethod === "JustAdd") {
      await write("setup/add", { ...body, room });
      added(body.name);
    } else {
      const pairing = await write("setup/pair", body);
      startPairing(pairing, room, body.name);
    }
  } catch (error) {
    complain(error);
  } finally {
    button.disabled = false;
  }
});

function startPairing(pairing, room, name) {
  page.pairing = { ...pairing, room, name };
  const method = pairing.setupMethod;
  $("pair-message").textContent = pairing.displayMessage || setupText(method);
  $("pair-oauth").hidden = method !== "OAuth";
  if (method === "OAuth") $("pair-oauth-link").href = pairing.oauthUrl;
  $("pair-username-field").hidden = method !== "UserAndPassword";
  const secretShown = method !== "PushButton";
  $("pair-secret-field").hidden = !secretShown;
  const secretLabels = {
    DisplayPin: "things.pin",
    EnterPin: "things.pin",
    UserAndPassword: "things.password",
    OAuth: "things.oauthBack",
  };
  $("pair-secret-label").textContent = t(secretLabels[method] || "things.pin");
  $("pair-secret").type = method === "UserAndPassword" ? "password" : "text";
  $("pair-secret").value = "";
  $("pair-username").value = "";
  $("pair-secret").required = secretShown;
  $("pair-submit").textContent = t(method === "PushButton" ? "things.pushed" : "things.confirm");
  addForm.hidden = true;
  discoverForm.hidden = true;
  foundBox.hidden = true;
  pairForm.hidden = false;
  (secretShown ? $(method === "UserAndPassword" ? "pair-username" : "pair-secret") : $("pair-submit")).focus();
}

pairForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const pairing = page.pairing;
  const button = $("pair-submit");
  button.disabled = true;
  try {
    await write("setup/confirm", {
      transactionId: pairing.transactionId,
      username: $("pair-username").value,
      secret: $("pair-secret").value,
      room: pairing.room,
    });
    added(pairing.name);
  } catch (error) {
    // The device's refusal told as the way of pairing has it (a button not pressed is no wrong PIN).
    const refusal = `things.pairRefused.${pairing.setupMethod}`;
    if (error instanceof Refused && error.code === "AuthenticationFailure" && has(refusal)) showToast(t(refusal));
    else complain(error);
    // A refused confirmation ends the pairing at the hub: the person starts it again (the form as it was).
    pairForm.hidden = true;
    addForm.hidden = false;
    $("add-submit").focus();
  } finally {
    button.disabled = false;
  }
});

$("pair-cancel").addEventListener("click", () => {
  resetAdding();
  classSelect.focus();
});

function added(name) {
  resetAdding();
  classSelect.value = "";
  page.chosen = null;
  announce(t("things.added", { name }));
  $("add-how").textContent = t("things.added", { name });
  loadThings().catch(complain);
}

// -- the things ------------------------------------------------------------------------------------

function renderThings() {
  const rooms = $("rooms-list");
  rooms.replaceChildren(
    ...page.rooms.map((room) => {
      const option = el("option");
      option.value = room;
      return option;
    }),
  );
  if (!page.things.length) {
    thingsElement.replaceChildren(el("p", "note", t("house.empty")));
    return;
  }
  // An open editor is kept as it is (what the person is typing stays); it is read again after its own saves.
  const kept = thingsElement.querySelector(".editor");
  let reopen = false;
  const list = el("ul", "thing-list");
  for (const thing of page.things) {
    const item = el("li", "thing-row");
    item.dataset.thingId = thing.id;
    const text = el("div", "thing-text");
    text.append(el("strong", "thing-name", thing.name));
    const where = thing.room || t("room.none");
    text.append(el("span", "note", ` · ${where}`));
    const edit = el("button", "", t(page.mayConfigure ? "things.edit" : "things.details"));
    edit.type = "button";
    edit.setAttribute("aria-label", t(page.mayConfigure ? "things.editThis" : "things.detailsOf", { name: thing.name }));
    edit.setAttribute("aria-expanded", String(page.editing === thing.id));
    edit.addEventListener("click", () => toggleEditor(thing.id));
    item.append(text, edit);
    if (page.editing === thing.id) {
      if (kept && kept.dataset.thingId === thing.id) {
        item.append(kept);
      } else {
        reopen = true;
      }
    }
    list.append(item);
  }
  thingsElement.replaceChildren(list);
  if (reopen) openEditor(page.editing).catch(complain);
}

function toggleEditor(thingId) {
  page.editing = page.editing === thingId ? null : thingId;
  thingsElement.querySelector(".editor")?.remove();
  renderThings();
  if (!page.editing) thingsElement.querySelector(`[data-thing-id="${thingId}"] button`)?.focus();
}

async function openEditor(thingId, focus = true) {
  const row = thingsElement.querySelector(`[data-thing-id="${thingId}"]`);
  if (!row) return;
  const details = await read(`setup/things/${encodeURIComponent(thingId)}`);
  const box = row.querySelector(".editor") || row.appendChild(el("div", "editor"));
  box.dataset.thingId = thingId;
  const may = details.mayConfigure;
  const thing = details.thing;

  const heading = el("h3", "", t("things.editing", { name: thing.name }));
  heading.id = `edit-${thingId}-heading`;
  box.setAttribute("role", "group");
  box.setAttribute("aria-labelledby", heading.id);
  const kind = el("p", "note", details.className);

  const naming = el("form", "setup-form");
  const nameRow = el("div", "field");
  const nameLabel = el("label", "", t("things.name"));
  const nameInput = el("input");
  nameInput.id = `edit-${thingId}-name`;
  nameInput.value = thing.name;
  nameInput.required = true;
  nameInput.maxLength = 200;
  nameLabel.htmlFor = nameInput.id;
  nameRow.append(nameLabel, nameInput);
  const roomRow = el("div", "field");
  const roomLabel = el("label", "", t("things.room"));
  const roomInput = el("input");
  roomInput.id = `edit-${thingId}-room`;
  roomInput.value = thing.room;
  roomInput.maxLength = 200;
  roomInput.setAttribute("list", "rooms-list");
  roomLabel.htmlFor = roomInput.id;
  roomRow.append(roomLabel, roomInput);
  const save = el("button", "primary", t("things.save"));
  save.type = "submit";
  naming.append(nameRow, roomRow, save);
  naming.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await write(`setup/things/${encodeURIComponent(thingId)}/edit`, { name: nameInput.value, room: roomInput.value });
      announce(t("things.saved", { name: nameInput.value }));
      await loadThings();
      await openEditor(thingId, false);
    } catch (error) {
      complain(error);
    }
  });

  const parts = [heading, kind, naming];
  if (details.params.length) {
    const params = el("div", "params");
    params.append(el("h4", "", t("things.params")));
    const fields = el("div");
    paramFields(fields, details.params, details.paramValues, true);
    for (const input of fields.querySelectorAll("input, select")) input.disabled = true;
    params.append(fields);
    parts.push(params);
  }
  if (details.settings.length) {
    const settings = el("form", "setup-form");
    settings.append(el("h4", "", t("things.settings")));
    const fields = el("div");
    paramFields(fields, details.settings, details.settingValues, true);
    const apply = el("button", "primary", t("things.saveSettings"));
    apply.type = "submit";
    settings.append(fields, apply);
    settings.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await write(`setup/things/${encodeURIComponent(thingId)}/settings`, { settings: paramValues(fields) });
        announce(t("things.settingsSaved", { name: thing.name }));
      } catch (error) {
        complain(error);
      }
    });
    parts.push(settings);
  }
  const removing = el("div", "remove");
  const remove = el("button", "danger", t("things.remove"));
  remove.type = "button";
  const sure = el("div", "confirm");
  sure.hidden = true;
  const question = el("p", "", t("things.removeSure", { name: thing.name }));
  const yes = el("button", "danger", t("things.removeYes"));
  yes.type = "button";
  const no = el("button", "", t("things.cancel"));
  no.type = "button";
  sure.append(question, yes, no);
  remove.addEventListener("click", () => {
    sure.hidden = false;
    no.focus();
  });
  no.addEventListener("click", () => {
    sure.hidden = true;
    remove.focus();
  });
  yes.addEventListener("click", async () => {
    try {
      await write(`setup/things/${encodeURIComponent(thingId)}/remove`, {});
      announce(t("things.removed", { name: thing.name }));
      page.editing = null;
      await loadThings();
      $("list-heading").focus();
    } catch (error) {
      complain(error);
    }
  });
  removing.append(remove, sure);
  parts.push(removing);
  box.replaceChildren(...parts);
  for (const control of box.querySelectorAll("form input, form select, form button, .remove button")) {
    if (!may) control.disabled = true;
  }
  if (focus) nameInput.focus();
}

// The list's heading takes the focus after a removal (the row that had it is gone).
$("list-heading").tabIndex = -1;

async function loadThings() {
  const [things, rooms] = await Promise.all([read("things"), read("rooms")]);
  page.things = things;
  page.rooms = rooms;
  if (page.editing && !things.some((thing) => thing.id === page.editing)) page.editing = null;
  renderThings();
}

async function loadPage() {
  await readSession();
  const answer = await read("setup/classes");
  page.mayConfigure = answer.mayConfigure;
  page.classes = new Map(answer.classes.map((thingClass) => [thingClass.id, thingClass]));
  addSection.hidden = !page.mayConfigure;
  $("view-only").hidden = page.mayConfigure;
  await loadThings(); // before the classes can be chosen: a form's thing pickers list them
  renderClasses();
  page.loaded = true;
}

// -- live -------------------------------------------------------------------------------------------

let reloadTimer = null;

function apply(message) {
  if (!page.loaded) return;
  if (["thingAdded", "thingChanged", "thingRemoved"].includes(message.type)) {
    // A burst (a parent and its children) is read once.
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => loadThings().catch(complain), 250);
  } else if (message.type === "rights") {
    loadPage().catch(complain);
  }
}

thingsElement.replaceChildren(el("p", "note", t("things.loading")));

followLive(loadPage, apply);
