// The KNX page: an ETS project (.knxproj) uploaded with its progress shown, then the table of what the
// hub imported and the group addresses it left out (POST /web/api/knx/import, see thinggate/api/web/knx.py);
// below it the live bus monitor, fed over the live channel (see thinggate/api/web/knx_monitor.py).
import { read } from "./api.js";
import { el, formatValue, scrollBox } from "./cards.js";
import { has, t } from "./i18n.js";
import { Live } from "./live.js";
import { readSession, showStatus, startPage } from "./page.js";

await startPage();

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

const session = await readSession();
csrfToken = session.csrfToken;
// A typed address: who may not add things gets a note, not a form the hub would refuse.
const mayImport = session.sections.includes("/knx");
form.hidden = !mayImport;
document.getElementById("knx-not-allowed").hidden = mayImport;

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
  return scrollBox(element, captionText, "table-box");
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
      thing.classDisplayName,
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

// -- the live bus monitor -------------------------------------------------------------------------

const MONITOR_ROWS = 200;
const monitorNote = document.getElementById("knx-monitor-note");
const monitorBox = document.getElementById("knx-monitor");
const filterInput = document.getElementById("knx-filter");
const pauseButton = document.getElementById("knx-pause");
const countLine = document.getElementById("knx-monitor-count");
const telegramRows = document.getElementById("knx-telegrams");
/** The last MONITOR_ROWS telegrams, newest first (kept while paused; shown on resuming). */
let telegrams = [];
let paused = false;
let drawing = false;

function clock(seconds) {
  const time = new Date(seconds * 1000);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, "0")}`;
}

/** Whether a telegram passes the filter: its group address begins with it ("1/0" takes 1/0/1) or its name holds it. */
function passes(telegram, filter) {
  if (!filter) return true;
  return telegram.destination.startsWith(filter) || (telegram.name || "").toLowerCase().includes(filter.toLowerCase());
}

function draw() {
  drawing = false;
  const filter = filterInput.value.trim();
  const shown = telegrams.filter((telegram) => passes(telegram, filter));
  telegramRows.replaceChildren(
    ...shown.map((telegram) => {
      const row = el("tr");
      const value = telegram.value === null ? "" : formatValue(telegram.value, "", telegram.unit);
      for (const text of [
        clock(telegram.time),
        telegram.source,
        telegram.destination,
        telegram.name || "",
        t(`knx.monitor.kind.${telegram.kind}`),
        telegram.payload,
        value,
      ]) {
        row.append(el("td", "", text));
      }
      return row;
    }),
  );
  countLine.textContent = t(paused ? "knx.monitor.countPaused" : "knx.monitor.count", {
    shown: shown.length,
    kept: telegrams.length,
  });
}

/** Draw once per frame however many telegrams arrive in it; paused, only the count of those kept moves. */
function redraw() {
  if (paused) {
    countLine.textContent = t("knx.monitor.countPaused", { shown: telegramRows.rows.length, kept: telegrams.length });
    return;
  }
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(draw);
}

function monitorMessage(message) {
  if (message.type === "knxMonitor") {
    if (message.on) {
      // Watching, but the hub does not reach the bus now: said above the (empty) monitor.
      monitorNote.hidden = message.connected !== false;
      monitorNote.textContent = t("knx.monitor.busDown");
      monitorBox.hidden = false;
      redraw();
    } else {
      monitorBox.hidden = true;
      monitorNote.hidden = false;
      monitorNote.textContent = t(`knx.monitor.error.${message.error || "off"}`);
      // No KNX on this hub: no import to offer either (the hub would answer KnxNotConfigured).
      if (message.error === "KnxNotConfigured") form.hidden = true;
    }
  } else if (message.type === "knxTelegram") {
    telegrams.unshift(message);
    if (telegrams.length > MONITOR_ROWS) telegrams.length = MONITOR_ROWS;
    redraw();
  }
}

pauseButton.addEventListener("click", () => {
  paused = !paused;
  pauseButton.setAttribute("aria-pressed", String(paused));
  pauseButton.textContent = t(paused ? "knx.monitor.resume" : "knx.monitor.pause");
  redraw();
});
document.getElementById("knx-clear").addEventListener("click", () => {
  telegrams = [];
  drawing = true;
  draw();
});
filterInput.addEventListener("input", () => {
  drawing = true;
  draw();
});

// The monitor comes over the page's live channel: asked for on every (re)connect, which the hub answers.
const live = new Live({
  onOpen: () => {
    live.socket.send(JSON.stringify({ type: "knxMonitor", on: true }));
    // A hub that restarted gave the session a new CSRF token: the upload takes it.
    read("session").then((session) => (csrfToken = session.csrfToken), () => {});
  },
  onMessage: monitorMessage,
  onStatus: (status) => {
    showStatus(status);
    if (status !== "online") {
      monitorNote.hidden = false;
      monitorNote.textContent = t(status === "lost" ? "knx.monitor.lost" : "knx.monitor.connecting");
    }
  },
  check: () => read("session"),
});
live.start();
