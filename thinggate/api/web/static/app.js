// The house page (filled in with the house in the next step): who is logged in, and logging out.
import { loadTranslations, translate } from "./i18n.js";

await loadTranslations();
translate();

const answer = await fetch("/web/api/session", { credentials: "same-origin" });
if (answer.status === 401) location.replace("/");
const session = await answer.json();
document.getElementById("user").textContent = session.displayName;
document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": session.csrfToken } });
  location.replace("/");
});
