// Users: add one, and per user reset its password, set nymea's scopes and allowed things, or remove it.
import { read, write } from "../api.js";
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { actionButton, check, field, form, input, nextId, select } from "./ui.js";

const SCOPES = [
  "PermissionScopeControlThings",
  "PermissionScopeConfigureThings",
  "PermissionScopeAccessAllThings",
  "PermissionScopeExecuteRules",
  "PermissionScopeConfigureRules",
  "PermissionScopeAdmin",
];
const ROLES = ["Read", "ReadWrite", "Admin"];

export const usersTab = { id: "users", label: "admin.tab.users", render };

async function render(panel, page) {
  const [users, domains, things] = await Promise.all([read("admin/users"), read("admin/domains"), read("things")]);
  const domainChoices = domains.items.map((domain) => [domain.name, `${domain.name} (${domain.path})`]);
  const adding = form(
    "admin.users.add",
    [
      field("admin.users.username", input("username", { required: true, autocomplete: "off", autocapitalize: "none", spellcheck: "false" })),
      passwordField("admin.users.password"),
      field("admin.users.displayName", input("displayName", { autocomplete: "off" })),
      field("admin.users.role", select("role", ROLES.map((role) => [role, t(`admin.role.${role}`)]), "Read")),
      field("admin.users.homeDomain", select("homeDomain", domainChoices, domainChoices.length ? domainChoices[0][0] : null)),
    ],
    "admin.users.addSubmit",
    async (element) => {
      const data = new FormData(element);
      const user = await write("admin/users", {
        username: data.get("username"),
        password: data.get("password"),
        displayName: data.get("displayName"),
        role: data.get("role"),
        homeDomain: data.get("homeDomain"),
      });
      page.announce(t("admin.users.added", { name: user.username }));
      await page.refresh();
    },
  );
  const list = el("div", "items");
  for (const user of users.items) list.append(userItem(user, things, page));
  panel.replaceChildren(adding, el("h3", "", t("admin.users.list")), list);
}

function userItem(user, things, page) {
  const item = el("section", "item");
  const heading = el("h4", "", user.displayName ? `${user.displayName} (${user.username})` : user.username);
  heading.id = `user-${user.username}`;
  item.setAttribute("aria-labelledby", heading.id);
  const facts = el("dl", "facts");
  const role = user.role ? t(`admin.role.${user.role}`) : t("admin.users.noRole");
  // What the user may do: its own scopes with those of its role (as `thinggate user list` shows them).
  const scopes = user.effectiveScopes.map((scope) => t(`admin.scope.${scope}`)).join(", ");
  for (const [key, value] of [
    ["admin.users.homeDomain", user.homeDomain],
    ["admin.users.role", role],
    ["admin.users.scopes", scopes || t("value.none")],
    ["admin.users.allowedThings", user.allowedThings.length ? String(user.allowedThings.length) : t("value.none")],
  ]) {
    facts.append(el("dt", "", t(key)), el("dd", "", value));
  }
  const more = el("details", "more");
  more.append(el("summary", "", t("admin.users.change", { name: user.username })));
  more.append(passwordForm(user, page), scopesForm(user, things, page));
  if (!user.self) {
    more.append(
      actionButton(t("admin.remove"), t("admin.users.remove", { name: user.username }), async () => {
        await write(`admin/users/${encodeURIComponent(user.username)}/remove`);
        page.announce(t("admin.users.removed", { name: user.username }));
        await page.refresh();
      }, page.complain),
    );
  }
  item.append(heading, facts, more);
  return item;
}

/** A new password's field with the hub's rules said beside it (not only after a refusal). */
function passwordField(labelKey) {
  const control = input("password", { type: "password", required: true, autocomplete: "new-password", minlength: 8 });
  const box = field(labelKey, control);
  const rules = el("p", "note", t("admin.users.password.rules"));
  rules.id = nextId("rules");
  control.setAttribute("aria-describedby", rules.id);
  box.append(rules);
  return box;
}

function passwordForm(user, page) {
  return form(
    "admin.users.password.heading",
    [passwordField("admin.users.password.new")],
    "admin.users.password.submit",
    async (element) => {
      await write(`admin/users/${encodeURIComponent(user.username)}/password`, {
        password: new FormData(element).get("password"),
      });
      element.reset();
      page.announce(t("admin.users.password.done", { name: user.username }));
    },
  );
}

function scopesForm(user, things, page) {
  const scopes = el("fieldset", "checks");
  scopes.append(el("legend", "", t("admin.users.scopes")));
  for (const scope of SCOPES) {
    scopes.append(check("scope", t(`admin.scope.${scope}`), user.scopes.includes(scope), scope));
  }
  const allowed = el("fieldset", "checks things");
  allowed.append(el("legend", "", t("admin.users.allowedThings")));
  for (const thing of things) {
    const name = thing.room ? `${thing.name} (${thing.room})` : thing.name;
    allowed.append(check("thing", name, user.allowedThings.includes(thing.id), thing.id));
  }
  return form("admin.users.scopes.heading", [scopes, allowed], "admin.users.scopes.submit", async (element) => {
    const data = new FormData(element);
    await write(`admin/users/${encodeURIComponent(user.username)}/scopes`, {
      scopes: data.getAll("scope"),
      allowedThings: data.getAll("thing"),
    });
    page.announce(t("admin.users.scopes.done", { name: user.username }));
    await page.refresh();
  });
}
