// What every page shares (house, history, things, KNX, administration): the translated texts, the
// navigation, who is logged in, logging out, refusals shown in the toast, news for screen readers, the
// live channel's status.
import { logout, read, Refused, useToken } from "./api.js";
import { has, loadTranslations, t, translate } from "./i18n.js";
import { Live } from "./live.js";
import { renderSections } from "./nav.js";

/** Translate the page, show the navigation and wire the logout button and the toast. */
export async function startPage() {
  await loadTranslations();
  translate();
  renderSections(document.getElementById("sections"));
  document.getElementById("logout").addEventListener("click", async () => {
    try {
      await logout();
    } finally {
      location.replace("/");
    }
  });
  // A page without a toast (the KNX page says its failures beside its form) has nothing to wire.
  document.getElementById("toast")?.addEventListener("click", (event) => {
    event.currentTarget.hidden = true;
  });
}

/** Read the session (its CSRF token is kept for writes) and say who is logged in. */
export async function readSession() {
  const session = await read("session");
  useToken(session.csrfToken);
  document.getElementById("user").textContent = t("house.user", { name: session.displayName });
  return session;
}

/** Show a refusal of the hub in the toast, by its code. */
export function complain(error) {
  const code = error instanceof Refused ? error.code : "generic";
  showToast(has(`error.${code}`) ? t(`error.${code}`) : t("error.generic"));
}

/** Show a text in the toast for a while (a click hides it sooner). */
export function showToast(text) {
  const toast = document.getElementById("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => {
    toast.hidden = true;
  }, 8000);
}

/** Tell screen readers (the page's polite live region). */
export function announce(text) {
  document.getElementById("announce").textContent = text;
}

/** Open the live channel: `load` (the page's reading of what it shows) on every (re)connect, `apply` each message. */
export function followLive(load, apply) {
  new Live({
    onOpen: () => load().catch(complain),
    onMessage: apply,
    onStatus: showStatus,
    check: () => read("session"),
  }).start();
}

/** Show the live channel's state in the header. */
export function showStatus(status) {
  const element = document.getElementById("status");
  const texts = { connecting: "live.connecting", online: "live.online", lost: "live.lost" };
  element.textContent = t(texts[status]);
  element.dataset.status = status;
}
