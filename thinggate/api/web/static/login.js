// The login page: the form is posted as a form, answered JSON, and the house page loaded on success.
import { loadTranslations, t, translate } from "./i18n.js";

await loadTranslations();
translate();

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const submit = form.querySelector("button[type=submit]");

function showError(text) {
  error.textContent = text;
  error.hidden = false;
}

// A plain form post (before this script ran) comes back with ?login=failed or ?login=locked.
const outcome = new URLSearchParams(location.search).get("login");
if (outcome === "failed") showError(t("login.wrong"));
if (outcome === "locked") showError(t("login.lockedShort"));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  submit.disabled = true;
  try {
    const answer = await fetch("/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)),
    });
    if (answer.ok) {
      await answer.text(); // read to its end: leaving now would abort the request (a failure in the browser's log)
      // Back to the page that was asked for (each page answers the login in its place).
      const here = location.pathname + location.search + location.hash;
      const target = location.pathname === "/login" ? "/" : here;
      // The same address with a #fragment would only scroll: load the page itself again then.
      if (target === here) location.reload();
      else location.replace(target);
      return;
    }
    let code = "";
    try {
      code = (await answer.json()).error.code;
    } catch {
      // not the door's JSON: a proxy's page, say
    }
    if (answer.status === 429) {
      showError(t("login.locked", { seconds: answer.headers.get("Retry-After") || "?" }));
    } else if (code === "WrongLogin") {
      showError(t("login.wrong"));
      document.getElementById("password").select();
    } else {
      showError(t("error.generic"));
    }
  } catch {
    showError(t("error.offline"));
  } finally {
    submit.disabled = false;
  }
});
