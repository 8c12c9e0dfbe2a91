// The house page: rooms with their things as cards, the house mode, kept live by the hub's live channel.
import { execute, read, useToken, write } from "./api.js";
import { Card, el } from "./cards.js";
import { has, t } from "./i18n.js";
import { announce, complain, followLive, startPage } from "./page.js";

await startPage();

const houseElement = document.getElementById("house");
const roomsNav = document.getElementById("rooms");
const modeBox = document.getElementById("mode-box");

const house = {
  session: null,
  mode: null,
  rooms: [],
  classes: new Map(),
  things: new Map(),
  cards: new Map(),
  loaded: false,
  pending: [], // live messages that came while the house was being read
  get mayControl() {
    return Boolean(this.session && this.session.mayControl);
  },
  act,
};

// -- talking to the hub ----------------------------------------------------------------------------

async function act(card, actionType, params) {
  try {
    await execute(card.thing.id, actionType.id, params);
    // A state's change shows by itself; an action without one (a scene, a button) is told.
    if (!card.thingClass.stateTypes.some((stateType) => stateType.id === actionType.id)) {
      announce(t("action.done", { action: `${card.thing.name}: ${actionType.displayName}` }));
    }
  } catch (error) {
    complain(error);
    // Put the card back as the hub has it (a refused switch flips back).
    const thing = house.things.get(card.thing.id);
    if (thing) replaceCard(thing);
  }
}

async function loadHouse() {
  house.loaded = false;
  const answer = await read("house");
  house.session = answer.session;
  useToken(answer.session.csrfToken);
  house.mode = answer.mode;
  house.rooms = answer.rooms;
  house.classes = new Map(answer.classes.map((thingClass) => [thingClass.id, thingClass]));
  house.things = new Map(answer.things.map((thing) => [thing.id, thing]));
  render();
  house.loaded = true;
  const pending = house.pending;
  house.pending = [];
  for (const message of pending) apply(message);
}

// -- painting --------------------------------------------------------------------------------------

function roomId(room) {
  return `room-${[...room].map((c) => c.codePointAt(0).toString(16)).join("")}`;
}

function render() {
  const focused = document.activeElement && document.activeElement.id;
  document.getElementById("user").textContent = t("house.user", { name: house.session.displayName });
  houseElement.setAttribute("aria-busy", "false");
  renderMode();
  house.cards.clear();
  const byRoom = new Map(house.rooms.map((room) => [room, []]));
  const homeless = [];
  for (const thing of house.things.values()) {
    const list = thing.room ? byRoom.get(thing.room) || byRoom.set(thing.room, []).get(thing.room) : homeless;
    list.push(thing);
  }
  const sections = [];
  const links = [];
  const rooms = [...byRoom.entries()];
  if (homeless.length) rooms.push(["", homeless]);
  for (const [room, things] of rooms) {
    if (!things.length) continue;
    const section = el("section", "room");
    const heading = el("h2", "", room || t("room.none"));
    heading.id = roomId(room);
    section.setAttribute("aria-labelledby", heading.id);
    const cards = el("div", "cards");
    for (const thing of things.sort(byName)) {
      const card = makeCard(thing);
      if (card) cards.append(card.element);
    }
    section.append(heading, cards);
    sections.push(section);
    const link = el("a", "", room || t("room.none"));
    link.href = `#${heading.id}`;
    const item = el("li");
    item.append(link);
    links.push(item);
  }
  const notes = [];
  if (!house.mayControl) notes.push(el("p", "note", t("house.viewOnly")));
  if (!sections.length) notes.push(el("p", "note", t("house.empty")));
  houseElement.replaceChildren(...notes, ...sections);
  const list = el("ul");
  list.append(...links);
  roomsNav.replaceChildren(list);
  roomsNav.hidden = links.length < 2;
  if (focused) document.getElementById(focused)?.focus();
}

function byName(a, b) {
  return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

function makeCard(thing) {
  const thingClass = house.classes.get(thing.classId);
  if (!thingClass) return null;
  const card = new Card(thing, thingClass, house);
  house.cards.set(thing.id, card);
  return card;
}

function replaceCard(thing) {
  const old = house.cards.get(thing.id);
  if (!old || old.thing.room !== thing.room) {
    render(); // a new thing, or one that moved to another room
    return;
  }
  const focused = document.activeElement && old.element.contains(document.activeElement);
  const card = makeCard(thing);
  if (!card) return;
  old.element.replaceWith(card.element);
  if (focused) card.element.querySelector("button, input, select, summary")?.focus();
}

function renderMode() {
  const mode = house.mode;
  const legend = el("legend", "", t("mode.label"));
  const box = el("fieldset", "modes");
  box.append(legend);
  for (const choice of mode.modes) {
    const label = el("label");
    const input = el("input");
    input.type = "radio";
    input.name = "house-mode";
    input.value = choice.id;
    input.checked = choice.id === mode.current;
    input.disabled = !mode.maySwitch;
    input.addEventListener("change", () => switchMode(choice.id));
    label.append(input, el("span", "", modeName(choice)));
    box.append(label);
  }
  modeBox.replaceChildren(box);
}

function modeName(mode) {
  return has(`mode.${mode.id}`) ? t(`mode.${mode.id}`) : mode.name;
}

async function switchMode(id) {
  try {
    house.mode = await write("mode", { mode: id });
  } catch (error) {
    complain(error);
  }
  renderMode();
}

// -- live ------------------------------------------------------------------------------------------

function apply(message) {
  if (!house.loaded) {
    house.pending.push(message);
    return;
  }
  switch (message.type) {
    case "state": {
      const card = house.cards.get(message.thingId);
      if (card) card.update(message.stateTypeId, message.value, message);
      break;
    }
    case "thingAdded":
    case "thingChanged": {
      house.classes.set(message.thingClass.id, message.thingClass);
      const thing = message.thing;
      if (thing.room && !house.rooms.includes(thing.room)) house.rooms = [...house.rooms, thing.room].sort();
      house.things.set(thing.id, thing);
      replaceCard(thing);
      break;
    }
    case "thingRemoved": {
      if (house.things.delete(message.thingId)) {
        const card = house.cards.get(message.thingId);
        house.cards.delete(message.thingId);
        card?.element.remove();
        render();
      }
      break;
    }
    case "mode": {
      house.mode = { ...house.mode, current: message.mode };
      renderMode();
      const mode = house.mode.modes.find((choice) => choice.id === message.mode);
      if (mode) announce(t("mode.switched", { mode: modeName(mode) }));
      break;
    }
    case "rights":
      loadHouse().catch(complain);
      break;
    default:
      break;
  }
}

houseElement.setAttribute("aria-busy", "true");
houseElement.replaceChildren(el("p", "note", t("house.loading")));

followLive(loadHouse, apply);
