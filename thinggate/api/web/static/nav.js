// The dashboard's pages, in the order of thinggate/api/web/sections.py (a test holds the two alike):
// every page shows this navigation, the current page marked for assistive technology. Which pages a
// user gets listed is the hub's word (the session's `sections`: the administration only for those
// who may administer); the page only follows it.
import { read } from "./api.js";
import { el } from "./cards.js";
import { t } from "./i18n.js";

export const SECTIONS = [
  { path: "/", label: "nav.house" },
  { path: "/history", label: "nav.history" },
  { path: "/things", label: "nav.things" },
  { path: "/knx", label: "nav.knx" },
  { path: "/admin", label: "nav.admin" },
];

/** Fill `nav` with a link per page the hub lists for the session; the one open now is marked aria-current="page". */
export async function renderSections(nav, session = null) {
  let shown = session;
  if (!shown) {
    try {
      shown = await read("session");
    } catch {
      shown = null; // the page says why itself; the navigation stays as small as it can be
    }
  }
  const allowed = new Set(shown && Array.isArray(shown.sections) ? shown.sections : ["/"]);
  const list = el("ul");
  let count = 0;
  for (const section of SECTIONS) {
    if (!allowed.has(section.path)) continue;
    const link = el("a", "", t(section.label));
    link.href = section.path;
    if (section.path === location.pathname) link.setAttribute("aria-current", "page");
    const item = el("li");
    item.append(link);
    list.append(item);
    count += 1;
  }
  nav.replaceChildren(list);
  nav.hidden = count < 2;
}
