// Domains: the tenant tree the logged-in user may read, a domain added below one, an empty one removed.
import { read, write } from "../api.js";
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { actionButton, field, form, input, select } from "./ui.js";

export const domainsTab = { id: "domains", label: "admin.tab.domains", render };

async function render(panel, page) {
  const domains = (await read("admin/domains")).items;
  const parents = domains.filter((domain) => domain.mayAddBelow).map((domain) => [domain.name, `${domain.name} (${domain.path})`]);
  const parts = [];
  if (parents.length) {
    parts.push(
      form(
        "admin.domains.add",
        [
          field("admin.domains.name", input("name", { required: true, pattern: "[a-z0-9_\\-]+", autocomplete: "off", autocapitalize: "none", spellcheck: "false" })),
          field("admin.domains.parent", select("parent", parents, parents[0][0])),
          field("admin.domains.displayName", input("displayName", { autocomplete: "off" })),
          field("admin.domains.description", input("description", { autocomplete: "off" })),
        ],
        "admin.domains.addSubmit",
        async (element) => {
          const data = new FormData(element);
          const added = await write("admin/domains", {
            name: data.get("name"),
            parent: data.get("parent"),
            displayName: data.get("displayName"),
            description: data.get("description"),
          });
          page.announce(t("admin.domains.added", { path: added.path }));
          await page.refresh();
        },
      ),
    );
  }
  parts.push(el("h3", "", t("admin.domains.tree")), tree(domains, page));
  panel.replaceChildren(...parts);
}

function tree(domains, page) {
  const names = new Set(domains.map((domain) => domain.name));
  const children = new Map();
  const tops = [];
  for (const domain of domains) {
    if (domain.parent && names.has(domain.parent)) {
      if (!children.has(domain.parent)) children.set(domain.parent, []);
      children.get(domain.parent).push(domain);
    } else {
      tops.push(domain);
    }
  }
  const branch = (list) => {
    const ul = el("ul", "tree");
    for (const domain of list) {
      const li = el("li");
      const line = el("div", "tree-line");
      line.append(el("span", "tree-name", domain.path));
      if (domain.displayName && domain.displayName !== domain.name) line.append(el("span", "muted", domain.displayName));
      if (domain.description) line.append(el("span", "muted", domain.description));
      if (domain.mayRemove) {
        line.append(
          actionButton(t("admin.remove"), t("admin.domains.remove", { path: domain.path }), async () => {
            await write(`admin/domains/${encodeURIComponent(domain.name)}/remove`);
            page.announce(t("admin.domains.removed", { path: domain.path }));
            await page.refresh();
          }, page.complain),
        );
      }
      li.append(line);
      if (children.has(domain.name)) li.append(branch(children.get(domain.name)));
      ul.append(li);
    }
    return ul;
  };
  return branch(tops);
}
