// The dashboard's pages, in the order of thinggate/api/web/sections.py (a test holds the two alike):
// every page shows this navigation, the current page marked for assistive technology.
import { el } from "./cards.js";
import { t } from "./i18n.js";

export const SECTIONS = [
  { path: "/", label: "nav.house" },
  { path: "/knx", label: "nav.knx" },
];

/** Fill `nav` with a link per page; the one open now is marked aria-current="page". */
export function renderSections(nav) {
  const list = el("ul");
  for (const section of SECTIONS) {
    const link = el("a", "", t(section.label));
    link.href = section.path;
    if (section.path === location.pathname) link.setAttribute("aria-current", "page");
    const item = el("li");
    item.append(link);
    list.append(item);
  }
  nav.replaceChildren(list);
  nav.hidden = SECTIONS.length < 2;
}
