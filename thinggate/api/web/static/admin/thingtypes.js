// The registry's thing types and their resources (the integrations' classes among them, read-only).
import { read } from "../api.js";
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { table } from "./ui.js";

export const thingTypesTab = { id: "thingtypes", label: "admin.tab.thingtypes", render };

async function render(panel) {
  const types = (await read("admin/thingtypes")).items;
  const resources = (type) => {
    if (!type.resources.length) return t("value.none");
    const list = el("ul", "plain");
    for (const resource of type.resources) {
      const details = [resource.type, resource.unit, resource.settable ? t("admin.thingtypes.settable") : ""].filter(Boolean);
      list.append(el("li", "", `${resource.name} (${details.join(", ")})`));
    }
    return list;
  };
  const rows = types.map((type) => [
    type.id,
    type.label,
    type.domain,
    type.integration ? t("admin.thingtypes.integration") : t("admin.thingtypes.registry"),
    String(type.things),
    resources(type),
  ]);
  panel.replaceChildren(
    table(
      "admin.thingtypes.caption",
      ["admin.thingtypes.id", "admin.thingtypes.label", "admin.thingtypes.domain", "admin.thingtypes.origin", "admin.thingtypes.things", "admin.thingtypes.resources"],
      rows,
    ),
  );
}
