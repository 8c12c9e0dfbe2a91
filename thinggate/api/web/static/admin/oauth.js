// OAuth clients of the sensor-data door: add one (its secret is shown once), list them, revoke one.
import { read, write } from "../api.js";
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { actionButton, check, field, form, input, select, shownOnce, table, when } from "./ui.js";

export const oauthTab = { id: "oauth", label: "admin.tab.oauth", render };

async function render(panel, page, made = null) {
  const [clients, users] = await Promise.all([read("admin/oauth-clients"), read("admin/users")]);
  const scopes = el("fieldset", "checks");
  scopes.append(el("legend", "", t("admin.oauth.scopes")));
  for (const scope of clients.scopes) scopes.append(check("scope", scope, false, scope));
  const adding = form(
    "admin.oauth.add",
    [
      field("admin.oauth.name", input("name", { required: true, maxlength: 64, autocomplete: "off" })),
      field("admin.oauth.user", select("username", users.items.map((user) => [user.username, user.username]), page.session.username)),
      scopes,
    ],
    "admin.oauth.addSubmit",
    async (element) => {
      const data = new FormData(element);
      const client = await write("admin/oauth-clients", {
        name: data.get("name"),
        username: data.get("username"),
        scopes: data.getAll("scope"),
      });
      await render(panel, page, client);
      page.announce(t("admin.oauth.added", { name: client.name }));
      panel.querySelector(".secret")?.focus();
    },
  );
  const rows = clients.items.map((client) => [
    client.name,
    client.clientId,
    client.userExists ? client.username : t("admin.oauth.userGone", { name: client.username }),
    client.scopes.join(" "),
    when(client.created),
    actionButton(t("admin.revoke"), t("admin.oauth.revoke", { name: client.name }), async () => {
      await write(`admin/oauth-clients/${encodeURIComponent(client.clientId)}/revoke`);
      page.announce(t("admin.oauth.revoked", { name: client.name }));
      await page.refresh();
    }, page.complain),
  ]);
  const parts = [el("p", "note", t("admin.oauth.about")), adding];
  if (made) {
    const secret = shownOnce(
      "admin.oauth.made",
      [
        ["admin.oauth.clientId", made.clientId],
        ["admin.oauth.secret", made.clientSecret],
      ],
      page.announce,
    );
    secret.tabIndex = -1;
    parts.push(secret);
  }
  parts.push(
    table(
      "admin.oauth.caption",
      ["admin.oauth.name", "admin.oauth.clientId", "admin.oauth.user", "admin.oauth.scopes", "admin.created", "admin.actions"],
      rows,
    ),
  );
  panel.replaceChildren(...parts);
}
