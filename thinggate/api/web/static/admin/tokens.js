// Login tokens: the logged-in user's own and, where it may change users, theirs; each can be revoked.
import { read, write } from "../api.js";
import { t } from "../i18n.js";
import { actionButton, table, when } from "./ui.js";

export const tokensTab = { id: "tokens", label: "admin.tab.tokens", render };

async function render(panel, page) {
  const tokens = (await read("admin/tokens")).items;
  const rows = tokens.map((token) => [
    token.username,
    token.deviceName,
    when(token.created),
    actionButton(t("admin.revoke"), t("admin.tokens.revoke", { device: token.deviceName, name: token.username }), async () => {
      await write(`admin/tokens/${encodeURIComponent(token.id)}/revoke`);
      page.announce(t("admin.tokens.revoked", { device: token.deviceName }));
      await page.refresh();
    }, page.complain),
  ]);
  panel.replaceChildren(
    table("admin.tokens.caption", ["admin.tokens.user", "admin.tokens.device", "admin.created", "admin.actions"], rows, "admin.tokens.none"),
  );
}
