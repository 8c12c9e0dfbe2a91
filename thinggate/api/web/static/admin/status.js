// The lifecycle events' outbox and the MQTT broker: events waiting to go out, and each link up or down.
import { read } from "../api.js";
import { el } from "../cards.js";
import { has, t } from "../i18n.js";
import { actionButton } from "./ui.js";

export const statusTab = { id: "status", label: "admin.tab.status", render };

async function render(panel, page) {
  const status = await read("admin/status");
  const facts = el("dl", "facts");
  const add = (key, value) => facts.append(el("dt", "", has(key) ? t(key) : key.split(".").pop()), el("dd", "", value));
  add("admin.status.outbox", status.outbox === null ? t("admin.status.noOutbox") : String(status.outbox));
  add("admin.status.broker", status.broker.configured ? t("admin.status.configured") : t("admin.status.notConfigured"));
  for (const [link, up] of Object.entries(status.broker.links)) {
    add(`admin.status.link.${link}`, up ? t("admin.status.up") : t("admin.status.down"));
  }
  panel.replaceChildren(facts, actionButton(t("admin.status.refresh"), "", () => page.refresh(), page.complain));
}
