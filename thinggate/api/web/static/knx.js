// The KNX page: an ETS project (.knxproj) uploaded with its progress shown, then the table of what the
// hub imported and the group addresses it left out (POST /web/api/knx/import, see thinggate/api/web/knx.py).
import { logout, read, useToken } from "./api.js";
import { el } from "./cards.js";
import { has, loadTranslations, t, translate } from "./i18n.js";
import { renderSections } from "./nav.js";

await loadTranslations();
translate();
renderSections(document.getElementById("sections"));

const form = document.getElementById("knx-import");
const fileInput = document.getElementById("knx-project");
const passwordInput = document.getElementById("knx-password");
const progressBox = document.getElementById("knx-progress");
const progressLabel = document.getElementById("knx-progress-label");
const progress = document.getElementById("knx-upload");
const errorBox = document.getElementById("knx-error");
const statusLine = document.getElementById("knx-status");
const result = document.getElementById("knx-result");
const submit = form.querySelector("button[type=submit]");
let csrfToken = "";

const session = await read("session");
csrfToken = session.csrfToken;
useToken(csrfToken);
document.getElementById("user").textContent = t("house.user", { name: session.displayName });

document.getElementById("logout").addEventListener("click", async () => {
  try {
    await logout();
  } finally {
    location.replace("/");
  }
});

function showError(code) {
  const key = [`knx.error.${code}`, `error.${code}`].find(has) ?? "error.generic";
  errorBox.textContent = t(key);
  errorBox.hidden = false;
}

/** POST the file with the session's CSRF token; the upload's progress is shown as it goes. */
function upload(file, password) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/web/api/knx/import");
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("X-CSRF-Token", csrfToken);
    if (password) request.setRequestHeader("X-Project-Password", password);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.upload.addEventListener("load", () => {
      progress.value = 100;
      progressLabel.textContent = t("knx.importing");
    });
    request.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(request.responseText);
      } catch {
        // not the door's JSON: a proxy's page, say
      }
      resolve({ status: request.status, data });
    });
    request.addEventListener("error", () => resolve({ status: 0, data: null }));
    request.send(file);
  });
}

function table(captionText, headings, rows) {
  const element = el("table", "knx-table");
  element.append(el("caption", "", captionText));
  const head = el("tr");
  for (const heading of headings) {
    const cell = el("th", "", heading);
    cell.scope = "col";
    head.append(cell);
  }
  const thead = el("thead");
  thead.append(head);
  const body = el("tbody");
  for (const cells of rows) {
    const row = el("tr");
    for (const text of cells) row.append(el("td", "", text));
    body.append(row);
  }
  element.append(thead, body);
  // A wide table scrolls sideways at phone width: its box is a labelled region the keyboard can scroll.
  const box = el("div", "table-box");
  box.tabIndex = 0;
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", captionText);
  box.append(element);
  return box;
}

function render(answer) {
  const counts = { added: 0, existing: 0, failed: 0 };
  for (const thing of answer.things) counts[thing.outcome] += 1;
  statusLine.textContent = t("knx.summary", { ...counts, skipped: answer.skipped.length });
  const things = table(
    t("knx.things", { project: answer.project }),
    [t("knx.col.name"), t("knx.col.room"), t("knx.col.class"), t("knx.col.addresses"), t("knx.col.outcome")],
    answer.things.map((thing) => [
      thing.name,
      thing.room,
      thing.class,
      thing.addresses.join(" "),
      thing.message ? `${t(`knx.outcome.${thing.outcome}`)}: ${thing.message}` : t(`knx.outcome.${thing.outcome}`),
    ]),
  );
  const parts = [things];
  if (answer.skipped.length) {
    parts.push(
      table(
        t("knx.skipped"),
        [t("knx.col.address"), t("knx.col.name"), t("knx.col.reason")],
        answer.skipped.map((entry) => [entry.address, entry.name, entry.reason]),
      ),
    );
  }
  result.replaceChildren(...parts);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = fileInput.files[0];
  if (!file) return;
  errorBox.hidden = true;
  statusLine.textContent = "";
  result.replaceChildren();
  progress.value = 0;
  progressLabel.textContent = t("knx.uploading");
  progressBox.hidden = false;
  submit.disabled = true;
  try {
    const { status, data } = await upload(file, passwordInput.value);
    if (status === 401) {
      location.replace("/knx");
      return;
    }
    if (status === 200 && data) {
      render(data);
    } else {
      showError(status === 0 ? "offline" : data && data.error ? data.error.code : "generic");
    }
  } finally {
    progressBox.hidden = true;
    submit.disabled = false;
  }
});
