// The registry door's API keys: add one (the key is shown once), list them, revoke one.
import { read, write } from "../api.js";
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { actionButton, copyable, field, form, input, shownOnce, table, when } from "./ui.js";

export const apiKeysTab = { id: "apikeys", label: "admin.tab.apikeys", render };

async function render(panel, page, made = null) {
  const keys = (await read("admin/apikeys")).items;
  const adding = form(
    "admin.apikeys.add",
    [field("admin.apikeys.name", input("name", { required: true, maxlength: 64, autocomplete: "off" }))],
    "admin.apikeys.addSubmit",
    async (element) => {
      const key = await write("admin/apikeys", { name: new FormData(element).get("name") });
      await render(panel, page, key);
      page.announce(t("admin.apikeys.added", { name: key.name }));
      panel.querySelector(".secret")?.focus();
    },
  );
  const rows = keys.map((key) => [
    key.name,
    key.publishedKey ? publishedKey(key, page) : t("admin.apikeys.hashed"),
    when(key.created),
    actionButton(t("admin.revoke"), t("admin.apikeys.revoke", { name: key.name }), async () => {
      await write(`admin/apikeys/${encodeURIComponent(key.id)}/revoke`);
      page.announce(t("admin.apikeys.revoked", { name: key.name }));
      await page.refresh();
    }, page.complain),
  ]);
  const parts = [el("p", "note", t("admin.apikeys.about")), adding];
  if (made) {
    const secret = shownOnce("admin.apikeys.made", [["admin.apikeys.key", made.key]], page.announce);
    secret.tabIndex = -1;
    parts.push(secret);
  }
  parts.push(table("admin.apikeys.caption", ["admin.apikeys.name", "admin.apikeys.key", "admin.created", "admin.actions"], rows));
  panel.replaceChildren(...parts);
}

/** The key an SDK is given at /manifest: shown in full, with a word on why. */
function publishedKey(key, page) {
  const box = el("div");
  box.append(copyable(key.publishedKey, key.name, page.announce), el("p", "note", t("admin.apikeys.published")));
  return box;
}
