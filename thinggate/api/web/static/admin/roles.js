// Roles and privileges: the registry's roles, what the logged-in user may do, and per user its role
// and custom privileges (operations on a kind of object in a domain's subtree).
import { read, write } from "../api.js";
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { check, field, form, select } from "./ui.js";

const OPERATIONS = ["C", "R", "U", "D"];

export const rolesTab = { id: "roles", label: "admin.tab.roles", render };

async function render(panel, page) {
  const [roles, users, domains] = await Promise.all([read("admin/roles"), read("admin/users"), read("admin/domains")]);
  const mine = el("dl", "facts");
  for (const [object, operations] of Object.entries(roles.permissions)) {
    mine.append(el("dt", "", t(`admin.object.${object}`)), el("dd", "", operations.map(operationName).join(", ") || t("value.none")));
  }
  const roleList = el("dl", "facts");
  for (const role of roles.roles) {
    roleList.append(el("dt", "", t(`admin.role.${role.name}`)), el("dd", "", t(`admin.role.${role.name}.about`)));
  }
  const items = el("div", "items");
  for (const user of users.items) {
    if (!user.self) items.append(userRoles(user, roles, domains.items, page));
  }
  panel.replaceChildren(
    el("h3", "", t("admin.roles.roles")),
    roleList,
    el("h3", "", t("admin.roles.mine", { domain: roles.homeDomain })),
    mine,
    el("h3", "", t("admin.roles.users")),
    items,
  );
}

function operationName(letter) {
  return t(`admin.operation.${letter}`);
}

function privilegeText(privilege) {
  return t("admin.roles.privilege", {
    object: t(`admin.object.${privilege.object}`),
    domain: privilege.domain,
    operations: privilege.operations.map(operationName).join(", "),
  });
}

function roleChoice(user, roles) {
  const choices = roles.roles.map((role) => [role.name, t(`admin.role.${role.name}`)]);
  // A user given nymea scopes has no role: saving its privileges keeps them unless a role is chosen.
  if (!user.roles.length) choices.unshift(["", t("admin.roles.keepScopes")]);
  return select("role", choices, user.roles.length ? user.role : "");
}

function userRoles(user, roles, domains, page) {
  const item = el("section", "item");
  const kept = el("fieldset", "checks");
  kept.append(el("legend", "", t("admin.roles.privileges")));
  if (!user.privileges.length) kept.append(el("p", "note", t("admin.roles.noPrivileges")));
  user.privileges.forEach((privilege, index) => {
    kept.append(check("keep", privilegeText(privilege), true, String(index)));
  });
  const added = el("fieldset", "checks");
  added.append(el("legend", "", t("admin.roles.newPrivilege")));
  added.append(
    field("admin.roles.object", select("object", roles.objects.map((object) => [object, t(`admin.object.${object}`)]))),
    field("admin.roles.domain", select("domain", domains.map((domain) => [domain.name, `${domain.name} (${domain.path})`]))),
  );
  for (const letter of OPERATIONS) added.append(check("operation", operationName(letter), false, letter));
  const heading = user.displayName ? `${user.displayName} (${user.username})` : user.username;
  const editor = form(
    "admin.roles.of",
    [
      field("admin.users.role", roleChoice(user, roles)),
      kept,
      added,
    ],
    "admin.roles.save",
    async (element) => {
      const data = new FormData(element);
      const keep = new Set(data.getAll("keep"));
      const privileges = user.privileges.filter((_, index) => keep.has(String(index)));
      const operations = data.getAll("operation");
      if (operations.length) privileges.push({ object: data.get("object"), domain: data.get("domain"), operations });
      const role = data.get("role") || null; // "": keep the scopes of a user without a role
      await write(`admin/users/${encodeURIComponent(user.username)}/role`, { role, privileges });
      page.announce(t("admin.roles.saved", { name: user.username }));
      await page.refresh();
    },
  );
  // The form's heading names the user it changes.
  editor.querySelector("h3").textContent = t("admin.roles.of", { name: heading });
  item.append(editor);
  return item;
}
