// The administration page: one tab per part (users, roles, domains, tokens, API keys, OAuth clients,
// thing types, Thinknx, status). Each tab reads the hub afresh when it opens; what a user sees and may
// change is the hub's word (a refusal shows as the hub's reason). `#<tab>` in the address opens a tab.
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { renderSections } from "../nav.js";
import { announce, followLive, readSession, showToast, startPage } from "../page.js";
import { apiKeysTab } from "./apikeys.js";
import { domainsTab } from "./domains.js";
import { oauthTab } from "./oauth.js";
import { rolesTab } from "./roles.js";
import { statusTab } from "./status.js";
import { thingTypesTab } from "./thingtypes.js";
import { thinknxTab } from "./thinknx.js";
import { tokensTab } from "./tokens.js";
import { explain, problem } from "./ui.js";
import { usersTab } from "./users.js";

const TABS = [usersTab, rolesTab, domainsTab, tokensTab, apiKeysTab, oauthTab, thingTypesTab, thinknxTab, statusTab];

await startPage();

const tabList = document.getElementById("tabs");
const panels = document.getElementById("panels");
const buttons = new Map();
const sheets = new Map();

const page = {
  session: null,
  announce,
  complain(error) {
    showToast(explain(error));
  },
  refresh() {
    return show(current, false);
  },
};

let current = null;

async function show(tab, focus) {
  current = tab;
  for (const [other, button] of buttons) {
    const selected = other === tab;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    sheets.get(other).hidden = !selected;
  }
  if (focus) buttons.get(tab).focus();
  if (location.hash !== `#${tab.id}`) history.replaceState(null, "", `#${tab.id}`);
  const panel = sheets.get(tab);
  panel.setAttribute("aria-busy", "true");
  try {
    await tab.render(panel, page);
  } catch (error) {
    panel.replaceChildren(problem(error));
  } finally {
    panel.setAttribute("aria-busy", "false");
  }
}

function build() {
  for (const tab of TABS) {
    const button = el("button", "tab", t(tab.label));
    button.type = "button";
    button.id = `tab-${tab.id}`;
    button.setAttribute("role", "tab");
    button.setAttribute("aria-controls", `panel-${tab.id}`);
    button.addEventListener("click", () => show(tab, false));
    buttons.set(tab, button);
    tabList.append(button);
    const panel = el("section", "tab-panel");
    panel.id = `panel-${tab.id}`;
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", button.id);
    panel.tabIndex = 0;
    panel.hidden = true;
    sheets.set(tab, panel);
    panels.append(panel);
  }
  // Arrow keys move between tabs, as the ARIA tabs pattern has it (Tab goes on into the panel).
  tabList.addEventListener("keydown", (event) => {
    const index = TABS.indexOf(current);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    show(TABS[(moves[event.key] + TABS.length) % TABS.length], true);
  });
}

function fromHash() {
  return TABS.find((tab) => `#${tab.id}` === location.hash) || TABS[0];
}

window.addEventListener("hashchange", () => {
  const tab = fromHash();
  if (buttons.size && tab !== current) show(tab, false);
});

/** The session again; the page for those the hub lets administer, a note for anyone else (a typed address). */
async function load() {
  page.session = await readSession();
  if (!page.session.sections.includes("/admin")) {
    tabList.replaceChildren();
    panels.replaceChildren(el("p", "note", t("admin.notAllowed")));
    buttons.clear();
    sheets.clear();
    current = null;
    return;
  }
  if (!buttons.size) build();
  await show(current || fromHash(), false);
}

function loadOrSay() {
  return load().catch((error) => panels.replaceChildren(problem(error)));
}

await loadOrSay();
// On every reconnect the session is read again (a restarted hub gives it a new CSRF token), the open
// tab left as it is: a form being filled in keeps what was typed. A change of the user's rights reads
// the page again (the navigation too); an ended session closes the channel and the page shows the login.
let connected = false;
followLive(
  async () => {
    if (connected) page.session = await readSession();
    connected = true;
  },
  (message) => {
    if (message.type !== "rights") return;
    renderSections(document.getElementById("sections"));
    loadOrSay();
  },
);
