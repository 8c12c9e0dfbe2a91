// The Thinknx door: its integration key, its REST hooks with their last error, and the project tree
// with every device's GUID and, per controller, the URL a Thinknx client calls (copied with a value filled in).
import { read, write } from "../api.js";
import { el } from "../cards.js";
import { t } from "../i18n.js";
import { actionButton, copyable, problem, shownOnce, table } from "./ui.js";

export const thinknxTab = { id: "thinknx", label: "admin.tab.thinknx", render };

async function render(panel, page, made = null) {
  const tree = await read("admin/thinknx");
  const [key, hooks] = await Promise.all([
    read("admin/thinknx/key").catch((error) => ({ error })),
    read("admin/thinknx/hooks"),
  ]);
  const parts = [el("h3", "", t("admin.thinknx.key"))];
  if (key.error) {
    parts.push(problem(key.error));
  } else {
    parts.push(keyPart(key, panel, page, made));
  }
  parts.push(el("h3", "", t("admin.thinknx.hooks")), hooksPart(hooks.items, page));
  parts.push(el("h3", "", t("admin.thinknx.tree")), treePart(tree, page));
  panel.replaceChildren(...parts);
}

function keyPart(key, panel, page, made) {
  const box = el("div", "key");
  const state = !key.set ? "admin.thinknx.keyNone" : key.enabled ? "admin.thinknx.keyEnabled" : "admin.thinknx.keyDisabled";
  box.append(el("p", "", t(state)));
  const change = async (body) => {
    const answer = await write("admin/thinknx/key", body);
    await render(panel, page, answer.key);
    page.announce(t(answer.enabled ? "admin.thinknx.keyEnabled" : "admin.thinknx.keyDisabled"));
  };
  const buttons = el("div", "buttons");
  if (key.enabled) {
    buttons.append(actionButton(t("admin.thinknx.disable"), "", () => change({ enabled: false }), page.complain));
  } else {
    buttons.append(actionButton(t("admin.thinknx.enable"), "", () => change({ enabled: true }), page.complain));
  }
  if (key.set) {
    buttons.append(
      actionButton(t("admin.thinknx.regenerate"), "", () => change({ enabled: key.enabled, regenerate: true }), page.complain),
    );
  }
  box.append(buttons);
  if (made) box.append(shownOnce("admin.thinknx.keyMade", [["admin.thinknx.keyValue", made]], page.announce));
  return box;
}

function hooksPart(hooks, page) {
  const rows = hooks.map((hook) => {
    const actions = el("div", "buttons");
    if (!hook.enabled) {
      actions.append(
        actionButton(t("admin.thinknx.hookEnable"), t("admin.thinknx.hookEnableWhich", { url: hook.url }), async () => {
          await write(`admin/thinknx/hooks/${encodeURIComponent(hook.id)}/enable`);
          await page.refresh();
        }, page.complain),
      );
    }
    actions.append(
      actionButton(t("admin.remove"), t("admin.thinknx.hookRemove", { url: hook.url }), async () => {
        await write(`admin/thinknx/hooks/${encodeURIComponent(hook.id)}/remove`);
        await page.refresh();
      }, page.complain),
    );
    return [
      hook.url,
      hook.owner,
      [hook.guid, hook.controller].filter(Boolean).join(" · ") || t("admin.thinknx.everything"),
      hook.enabled ? t("admin.thinknx.hookOn") : t("admin.thinknx.hookOff"),
      hook.last_error,
      actions,
    ];
  });
  return table(
    "admin.thinknx.hooksCaption",
    ["admin.thinknx.hookUrl", "admin.thinknx.hookOwner", "admin.thinknx.hookCovers", "admin.thinknx.hookState", "admin.thinknx.hookError", "admin.actions"],
    rows,
    "admin.thinknx.noHooks",
  );
}

function treePart(tree, page) {
  const origin = `${tree.tls ? "https" : "http"}://${location.hostname}:${tree.port}`;
  const box = el("div", "thinknx-tree");
  box.append(el("p", "note", t("admin.thinknx.treeAbout", { origin })));
  let room = null;
  let list = null;
  for (const device of tree.devices) {
    if (device.room !== room) {
      room = device.room;
      box.append(el("h4", "", room));
      list = el("ul", "devices");
      box.append(list);
    }
    const item = el("li", "device");
    const title = el("p", "device-name", `${device.name} · ${device.kind}`);
    const guid = el("p", "guid");
    guid.append(el("span", "", `${t("admin.thinknx.guid")} `), copyable(device.guid, t("admin.thinknx.guidOf", { name: device.name, room: device.room }), page.announce));
    const controllers = el("ul", "urls");
    for (const controller of device.controllers) {
      const line = el("li");
      const label = t("admin.thinknx.urlOf", { controller: controller.name, name: device.name, room: device.room });
      const shown = copyable(origin + controller.example, label, page.announce);
      shown.querySelector("code").textContent = controller.url;
      shown.querySelector("code").title = origin + controller.example;
      line.append(shown);
      controllers.append(line);
    }
    // Folded: a house has hundreds of URLs, a phone shows a device's when asked.
    const urls = el("details", "more");
    urls.append(el("summary", "", t("admin.thinknx.urls", { count: device.controllers.length, name: device.name })), controllers);
    item.append(title, guid, urls);
    list.append(item);
  }
  if (!tree.devices.length) box.append(el("p", "note", t("admin.thinknx.noDevices")));
  return box;
}
