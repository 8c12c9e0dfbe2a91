// The history page: a chart per logged state and per sensor-data sensor's metric (uPlot, vendored), over the
// last hour, day or week or a range the user picks, and which states the hub logs. Live: while the range
// ends now, a state message of the live channel for a charted series reads that chart again (the reading
// keeps the hub's own time); a thing added, changed (its logging turned on or off), removed, or the user's
// rights changed read the list of charts again.
import { read, write } from "./api.js";
import { el, unitText } from "./cards.js";
import { t } from "./i18n.js";
import { announce, complain, followLive, readSession, startPage } from "./page.js";

await startPage();

const uPlot = window.uPlot;
const chartsElement = document.getElementById("charts");
const shownElement = document.getElementById("shown");
const rangeForm = document.getElementById("range");
const customBox = document.getElementById("custom");
const fromInput = document.getElementById("from");
const toInput = document.getElementById("to");
const loggingThing = document.getElementById("logging-thing");
const loggingStates = document.getElementById("logging-states");
const loggingList = document.getElementById("logging-list");
const loggingNote = document.getElementById("logging-note");

const SPANS = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3 };
const language = document.documentElement.lang || "en";
const times = new Intl.DateTimeFormat(language, { dateStyle: "short", timeStyle: "medium" });
const numbers = new Intl.NumberFormat(language, { maximumFractionDigits: 3 });

const page = {
  session: null,
  series: [],
  charts: new Map(), // "thingId/typeId" -> Chart
  mayConfigure: false,
  loaded: false,
};

// -- the range --------------------------------------------------------------------------------------

function rangeChoice() {
  return rangeForm.elements.range.value;
}

/** The range shown now: [start, end) as Dates, and whether it ends now (live). */
function currentRange() {
  const choice = rangeChoice();
  if (choice === "custom") {
    const start = new Date(fromInput.value);
    const end = new Date(toInput.value);
    return { start, end, live: false };
  }
  const end = new Date(Date.now() + 1000); // a reading of this very second is in it
  return { start: new Date(end.getTime() - SPANS[choice]), end, live: true };
}

function localInput(date) {
  const pad = (number) => String(number).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

rangeForm.addEventListener("change", (event) => {
  if (event.target.name !== "range") return;
  const custom = rangeChoice() === "custom";
  customBox.hidden = !custom;
  if (custom) {
    if (!fromInput.value || !toInput.value) {
      const end = new Date();
      fromInput.value = localInput(new Date(end.getTime() - SPANS.day));
      toInput.value = localInput(end);
    }
    return; // drawn once the user asks for it ("Show")
  }
  drawAll();
});

rangeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const { start, end } = currentRange();
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) {
    shownElement.textContent = t("history.badRange");
    return;
  }
  drawAll();
});

// -- charts -----------------------------------------------------------------------------------------

function keyOf(thingId, typeId) {
  return `${thingId}/${typeId}`;
}

let serial = 0;

class Chart {
  constructor(series) {
    this.series = series;
    this.id = `chart-${++serial}`;
    this.plot = null;
    this.points = [];
    this.timer = null;
    this.element = this.build();
  }

  get unit() {
    return unitText(this.series.unit) || this.series.unit;
  }

  build() {
    const series = this.series;
    const section = el("section", "chart");
    section.dataset.thingId = series.thingId;
    section.dataset.typeId = series.typeId;
    const heading = el("h3", "", chartTitle(series));
    heading.id = `${this.id}-title`;
    section.setAttribute("aria-labelledby", heading.id);
    const where = series.room ? `${series.room} · ` : "";
    const kind = el("p", "kind", where + t(series.source === "sensor" ? "history.sensor" : "history.logged"));
    this.summary = el("p", "summary");
    this.summary.id = `${this.id}-summary`;
    this.plotBox = el("div", "plot");
    // The drawing is for eyes; its numbers are in the summary and the table below.
    this.plotBox.setAttribute("role", "img");
    this.plotBox.setAttribute("aria-labelledby", `${heading.id} ${this.summary.id}`);
    this.details = el("details", "readings");
    const summaryLine = el("summary", "", t("history.table"));
    this.details.append(summaryLine);
    this.details.addEventListener("toggle", () => {
      if (this.details.open) this.fillTable();
    });
    section.append(heading, kind, this.summary, this.plotBox, this.details);
    return section;
  }

  async load() {
    // Loads overlap (a live refresh while the range is read): only the latest one asked draws.
    const asked = (this.asked = (this.asked || 0) + 1);
    const { start, end } = currentRange();
    const series = this.series;
    const query = new URLSearchParams({
      thingId: series.thingId,
      typeId: series.typeId,
      start: start.toISOString(),
      end: end.toISOString(),
    });
    const answer = await read(`history/readings?${query}`);
    if (asked !== this.asked) return;
    this.points = answer.points;
    this.truncated = answer.truncated;
    this.draw(start, end);
  }

  /** Read the chart again soon (several changes in a burst are read once). */
  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load().catch(complain), 250);
  }

  draw(start, end) {
    const points = this.points;
    const count = points.length;
    this.element.dataset.points = String(count);
    if (!count) {
      this.summary.textContent = t("history.none");
    } else {
      const [time, value] = points[count - 1];
      const text = t("history.summary", { count, value: this.format(value), time: times.format(new Date(time)) });
      this.summary.textContent = this.truncated ? `${text} ${t("history.truncated", { count })}` : text;
    }
    if (this.details.open) this.fillTable();
    const xs = points.map((point) => point[0] / 1000);
    const ys = points.map((point) => point[1]);
    // A logged state keeps its last value until it changes: drawn on to now (a reading is only its moment).
    if (this.series.source === "state" && count && currentRange().live) {
      xs.push(Math.max(xs[count - 1], Date.now() / 1000));
      ys.push(ys[count - 1]);
    }
    const width = Math.max(240, this.plotBox.clientWidth || chartsElement.clientWidth || 600);
    const bool = this.series.type === "Bool";
    const options = {
      width,
      height: 220,
      scales: { x: { time: true, range: [start.getTime() / 1000, end.getTime() / 1000] } },
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { stroke: "#1f2328", grid: { stroke: "#d0d7de" }, ticks: { stroke: "#6e7781" } },
        {
          stroke: "#1f2328",
          grid: { stroke: "#d0d7de" },
          ticks: { stroke: "#6e7781" },
          values: (plot, ticks) => ticks.map((tick) => this.format(tick, true)),
          // A switch has two values: ticks (and grid lines) at those two only.
          ...(bool ? { splits: () => [0, 1] } : {}),
          size: 64,
        },
      ],
      series: [
        {},
        {
          label: this.series.name,
          stroke: "#0a58ca",
          width: 2,
          fill: "rgba(10, 88, 202, 0.08)",
          points: { show: count < 200, size: 5 },
          ...(bool ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
        },
      ],
    };
    if (bool) options.scales.y = { range: [-0.1, 1.1] };
    if (this.plot) this.plot.destroy();
    this.plot = new uPlot(options, [xs, ys], this.plotBox);
  }

  format(value, tick = false) {
    if (this.series.type === "Bool") {
      if (tick) return value === 0 || value === 1 ? t(value ? "value.true" : "value.false") : "";
      return t(value ? "value.true" : "value.false");
    }
    const unit = this.unit;
    return unit ? `${numbers.format(value)} ${unit}` : numbers.format(value);
  }

  fillTable() {
    const table = el("table");
    const caption = el("caption", "visually-hidden", chartTitle(this.series));
    const head = el("tr");
    head.append(el("th", "", t("history.time")), el("th", "", t("history.value")));
    head.firstChild.scope = "col";
    head.lastChild.scope = "col";
    const thead = el("thead");
    thead.append(head);
    const body = el("tbody");
    // Newest first: the reading people look for.
    for (let index = this.points.length - 1; index >= 0; index--) {
      const [time, value] = this.points[index];
      const row = el("tr");
      row.append(el("td", "", times.format(new Date(time))), el("td", "", this.format(value)));
      body.append(row);
    }
    table.append(caption, thead, body);
    const old = this.details.querySelector("table");
    if (old) old.replaceWith(table);
    else this.details.append(table);
  }

  destroy() {
    clearTimeout(this.timer);
    this.asked = (this.asked || 0) + 1; // a load under way draws nothing
    this.plot?.destroy();
    this.plot = null;
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: Math.max(240, this.plotBox.clientWidth), height: 220 });
  }
}

/** A chart's title: the thing and its state, or the thing alone where both have one name ("Temperature"). */
function chartTitle(series) {
  if (series.thingName.toLowerCase() === series.name.toLowerCase()) return series.thingName;
  return t("history.chartTitle", { thing: series.thingName, state: series.name });
}

function describeRange() {
  const { start, end } = currentRange();
  const choice = rangeChoice();
  shownElement.textContent =
    choice === "custom"
      ? t("history.shownCustom", { start: times.format(start), end: times.format(end) })
      : t(`history.shown.${choice}`);
}

async function loadSeries() {
  const answer = await read("history/series");
  page.series = answer.series;
  page.mayConfigure = answer.mayConfigure;
  // A chart that stays is kept (with a live refresh it has pending); one whose series changed is made anew.
  const old = page.charts;
  page.charts = new Map();
  const sections = [];
  for (const series of page.series) {
    const key = keyOf(series.thingId, series.typeId);
    const kept = old.get(key);
    const chart = kept && JSON.stringify(kept.series) === JSON.stringify(series) ? kept : new Chart(series);
    if (chart === kept) old.delete(key);
    page.charts.set(key, chart);
    sections.push(chart.element);
  }
  for (const gone of old.values()) gone.destroy();
  chartsElement.replaceChildren(...(sections.length ? sections : [el("p", "note", t("history.empty"))]));
  page.loaded = true;
  await drawAll();
}

async function drawAll() {
  describeRange();
  await Promise.all([...page.charts.values()].map((chart) => chart.load().catch(complain)));
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const chart of page.charts.values()) chart.resize();
  }, 150);
});

// -- which states are logged -----------------------------------------------------------------------

async function loadThings() {
  const things = await read("things");
  const chosen = loggingThing.value;
  const options = [el("option", "", t("history.pickThing"))];
  options[0].value = "";
  for (const thing of things) {
    const option = el("option", "", thing.room ? `${thing.room} · ${thing.name}` : thing.name);
    option.value = thing.id;
    options.push(option);
  }
  loggingThing.replaceChildren(...options);
  if (chosen && things.some((thing) => thing.id === chosen)) loggingThing.value = chosen;
  loggingNote.textContent = page.mayConfigure ? t("history.loggingHelp") : t("history.loggingViewOnly");
  await showLogging();
}

async function showLogging() {
  const thingId = loggingThing.value;
  if (!thingId) {
    loggingStates.hidden = true;
    return;
  }
  renderLogging(await read(`history/logging/${encodeURIComponent(thingId)}`));
}

function renderLogging(answer) {
  document.getElementById("logging-legend").textContent = t("history.loggingOf", { thing: answer.name });
  const rows = [];
  for (const state of answer.states.filter((candidate) => candidate.charted)) {
    const row = el("div", "field check");
    const input = el("input");
    input.type = "checkbox";
    input.id = `log-${state.id}`;
    input.checked = state.logged;
    input.disabled = !answer.mayConfigure;
    input.addEventListener("change", () => setLogging(answer.thingId, state, input));
    const label = el("label", "", state.displayName);
    label.htmlFor = input.id;
    row.append(input, label);
    rows.push(row);
  }
  loggingList.replaceChildren(...(rows.length ? rows : [el("p", "note", t("history.nothingToLog"))]));
  loggingStates.hidden = false;
}

async function setLogging(thingId, state, input) {
  try {
    const answer = await write(`history/logging/${encodeURIComponent(thingId)}/${encodeURIComponent(state.id)}`, {
      enabled: input.checked,
    });
    renderLogging(answer);
    announce(t(input.checked ? "history.loggingOn" : "history.loggingOff", { state: state.displayName }));
    document.getElementById(`log-${state.id}`)?.focus();
    await loadSeries();
  } catch (error) {
    input.checked = !input.checked;
    complain(error);
  }
}

loggingThing.addEventListener("change", () => showLogging().catch(complain));

// -- live -------------------------------------------------------------------------------------------

let seriesTimer = null;

function reloadSeriesSoon() {
  clearTimeout(seriesTimer);
  seriesTimer = setTimeout(() => loadSeries().catch(complain), 250);
}

function apply(message) {
  if (!page.loaded) return; // the list is being read: it has what came meanwhile
  switch (message.type) {
    case "state": {
      const chart = page.charts.get(keyOf(message.thingId, message.stateTypeId));
      if (chart && currentRange().live) chart.refreshSoon();
      break;
    }
    case "thingAdded":
    case "thingChanged":
    case "thingRemoved":
      reloadSeriesSoon();
      break;
    case "rights":
      reloadSeriesSoon();
      loadThings().catch(complain);
      break;
    default:
      break;
  }
}

async function loadPage() {
  page.session = await readSession();
  await loadSeries();
  await loadThings();
}

chartsElement.replaceChildren(el("p", "note", t("history.loading")));

followLive(loadPage, apply);
