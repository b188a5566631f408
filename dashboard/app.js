/* Akleao dashboard: plain JS against the /v1 API, no build step.
 *
 * Where the API is: config.json beside this page when a separate static server serves it
 * (the demo writes {"api": "http://127.0.0.1:PORT"}), else this page's own origin. The API
 * origin is never taken from the URL, so a crafted link cannot send the token elsewhere.
 * The token comes from the URL fragment (#token=..., never sent to any server) or the
 * sign-in box, and lives in sessionStorage: gone when the tab closes.
 */
"use strict";

const TOKEN_KEY = "akleao.token";
const REFRESH_MS = 10000;
const TIMEOUT_MS = 15000; // a call that has not answered by then is given up, and the next poll tries again
// One week: what the API answers from Firestore (longer ranges come from the BigQuery archive).
const HISTORY_HOURS = 24 * 7;

const state = {
  api: "",
  token: null,
  window: "24h",
  selected: null, // symbol shown in the chart
  userSelected: false,
  alertDetails: new Map(), // alert_id -> {updated_at, alert}
  plot: null,
  timer: null,
  // Bumped by every new start, sign-out and window change: a refresh of an older generation
  // drops what it gets, so a slow answer never overwrites a newer view or outlives a sign-out.
  generation: 0,
  evidenceOpen: null, // alert ids whose evidence the user has open (the first card's, at first)
  riskMax: null, // the detector's pump_risk_max, read from the config in force
  markers: [], // the chart's alert markers, read by its draw hook
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmtTime(epochSeconds) {
  if (epochSeconds === null || epochSeconds === undefined) return "—";
  return new Date(epochSeconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function fmtNum(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return Number(value).toFixed(digits);
}

function redditUrl(permalink) {
  if (!permalink) return null;
  if (permalink.startsWith("/")) return "https://www.reddit.com" + permalink;
  if (/^https?:\/\//.test(permalink)) return permalink;
  return null;
}

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

// ------------------------------------------------------------------ auth

function takeTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function showSignin(message) {
  state.token = null;
  state.generation += 1;
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(state.timer);
  $("app").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("signin-error").hidden = !message;
  $("signin-error").textContent = message || "";
  document.body.dataset.state = "signin";
  setStatus("signed out");
}

class Unauthorized extends Error {}
class RateLimited extends Error {
  constructor(message, retryAfterS) {
    super(message);
    this.retryAfterS = retryAfterS;
  }
}
class Stale extends Error {}

async function api(path) {
  if (!state.token) throw new Stale("signed out");
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let response;
  let body;
  try {
    // the body too within the timeout: headers then nothing would hold the poll for good
    response = await fetch(state.api + path, {
      headers: { Authorization: "Bearer " + state.token, Accept: "application/json" },
      signal: abort.signal,
    });
    body = await response.json().catch((error) => {
      if (abort.signal.aborted) throw error; // the body stalled: no answer, not a bad one
      return null;
    });
  } catch (error) {
    throw abort.signal.aborted ? new Error(`${path}: no answer in ${TIMEOUT_MS / 1000} s`) : error;
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 429) {
    const wait = Number(response.headers.get("Retry-After"));
    throw new RateLimited(`${path}: rate limited`, Number.isFinite(wait) && wait > 0 ? wait : REFRESH_MS / 1000);
  }
  if (response.status === 401) throw new Unauthorized(body?.error?.message || "the API refused the token");
  if (!response.ok || body === null) throw new Error(`${path}: HTTP ${response.status}`);
  return body;
}

// ------------------------------------------------------------------ trending

/** At or above the detector's own limit (config/detection's pump_risk_max, which an admin may
 * change): what it treats as a pump risk. Unknown until the config is read: nothing flagged. */
function risky(risk) {
  return state.riskMax !== null && (risk ?? 0) >= state.riskMax;
}

function renderTrending(trending) {
  const rows = $("trending-rows");
  rows.replaceChildren();
  if (!trending.tickers.length) {
    rows.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "no data yet")));
    return;
  }
  for (const t of trending.tickers) {
    const risk = t.pump_risk ?? 0;
    const row = el(
      "tr",
      {
        class: [t.symbol === state.selected ? "selected" : "", t.alert_id ? "alerted" : ""].join(" ").trim(),
        "data-symbol": t.symbol,
        onclick: () => select(t.symbol, true),
      },
      el("td", {}, el("span", { class: "sym" }, t.symbol), t.alert_id ? el("span", { class: "dot", title: "open alert" }) : null),
      el("td", { class: "num" }, t.mentions),
      el("td", { class: "num" }, t.window.distinct_authors),
      el("td", { class: "num" }, fmtNum(t.score)),
      el("td", { class: "num" + (risky(risk) ? " risky" : "") }, fmtNum(t.pump_risk)),
    );
    rows.append(row);
  }
}

// ------------------------------------------------------------------ alerts

async function alertDetail(summary) {
  const cached = state.alertDetails.get(summary.alert_id);
  if (cached && cached.updated_at === summary.updated_at) return cached.alert;
  const alert = await api("/v1/alerts/" + encodeURIComponent(summary.alert_id));
  state.alertDetails.set(summary.alert_id, { updated_at: summary.updated_at, alert });
  return alert;
}

function alertCard(alert) {
  const evidence = (alert.evidence || []).slice(0, 5).map((e) => {
    const href = e.url || redditUrl(e.permalink);
    const label = e.title || e.item_id;
    return el(
      "li",
      {},
      href ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }, label) : label,
      el("span", { class: "muted" }, ` r/${e.subreddit || "?"} · u/${e.author || "[deleted]"} · ${fmtTime(e.created_utc)}`),
    );
  });
  return el(
    "article",
    {
      class: `alert ${alert.kind}${alert.symbol === state.selected ? " selected" : ""}`,
      "data-alert-id": alert.alert_id,
      "data-symbol": alert.symbol,
      onclick: (event) => {
        if (event.target.closest("a")) return;
        select(alert.symbol, true);
      },
    },
    el(
      "div",
      { class: "alert-head" },
      el("span", { class: "sym" }, alert.symbol),
      el("span", { class: `badge ${alert.kind}` }, alert.kind),
      alert.level > 1 ? el("span", { class: "badge level" }, `level ${alert.level}`) : null,
      el("span", { class: "badge status" }, alert.status),
      el("span", { class: "rule" }, alert.rule),
    ),
    el(
      "div",
      { class: "scores" },
      el("span", { title: "latest evaluation; 1 = both spike bars just met" }, "score now ", el("b", {}, fmtNum(alert.score))),
      el("span", { title: "the episode's highest score" }, "peak ", el("b", {}, fmtNum(alert.peak_score ?? alert.score))),
      el("span", { class: risky(alert.pump_risk) ? "risky" : "" }, "pump risk ", el("b", {}, fmtNum(alert.pump_risk))),
      el("span", { class: "muted" }, "opened " + fmtTime(alert.opened_at)),
    ),
    alert.trigger && alert.trigger.as_of
      ? el("p", { class: "muted why" }, `why it fired (at ${fmtTime(alert.trigger.as_of)}, score ${fmtNum(alert.trigger.score)}):`)
      : null,
    el("ul", { class: "reasons" }, (alert.reasons || []).map((r) => el("li", {}, r))),
    evidence.length
      ? el(
          "details",
          {
            open: state.evidenceOpen.has(alert.alert_id) ? "" : null,
            ontoggle: (event) => {
              if (event.target.open) state.evidenceOpen.add(alert.alert_id);
              else state.evidenceOpen.delete(alert.alert_id);
            },
          },
          el("summary", {}, `evidence (${alert.evidence.length})`),
          el("ul", { class: "evidence" }, evidence),
        )
      : null,
  );
}

/** Every alert not resolved: each status asked for on its own, so an open alert not updated
 * lately is not lost behind a page of newer resolved ones. */
async function openAlerts() {
  const pages = await Promise.all(["open", "escalated"].map((status) => api(`/v1/alerts?status=${status}&limit=100`)));
  const open = pages.flatMap((page) => page.alerts).sort((a, b) => (b.updated_at ?? 0) - (a.updated_at ?? 0));
  return { open, more: pages.some((page) => page.next_cursor) };
}

async function renderAlerts({ open, more }, generation) {
  const details = await Promise.all(open.map((a) => alertDetail(a).catch(() => a)));
  if (generation !== state.generation) return false;
  $("alert-count").textContent = `${open.length}${more ? "+" : ""}`;
  document.body.dataset.alerts = String(open.length);
  const box = $("alerts");
  if (!open.length) {
    box.replaceChildren(el("p", { class: "muted" }, "no open alerts"));
    return true;
  }
  if (state.evidenceOpen === null) state.evidenceOpen = new Set([open[0].alert_id]);
  box.replaceChildren(...details.map((alert) => alertCard(alert)));
  return true;
}

// ------------------------------------------------------------------ chart

/** Every hour between the first and last bucket (missing hours are zero), and the
 * detector's current expectation per hour as the baseline they are compared with. */
function series(history, baselineNow) {
  const byStart = new Map(history.hours.map((h) => [h.start_utc, h.mentions]));
  const starts = history.hours.map((h) => h.start_utc);
  if (!starts.length) return [[], [], []];
  const first = Math.min(...starts);
  const last = Math.max(...starts);
  const xs = [];
  const mentions = [];
  const baseline = [];
  for (let t = first; t <= last; t += 3600) {
    xs.push(t);
    mentions.push(byStart.get(t) || 0);
    baseline.push(baselineNow ?? null);
  }
  return [xs, mentions, baseline];
}

// Axis ticks only on whole hours: 1, 2, 3, 6, 12 hours, then days and weeks.
const HOUR_STEPS = [1, 2, 3, 6, 12, 24, 48, 72, 168].map((h) => h * 3600);
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Axis labels in UTC, 24-hour clock: the day at midnight, the hour otherwise. */
function hourLabels(_u, splits) {
  return splits.map((ts) => {
    const d = new Date(ts * 1000);
    const hh = d.getUTCHours();
    return hh === 0 ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}` : `${String(hh).padStart(2, "0")}:00`;
  });
}

function alertMarkers() {
  return {
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx;
          ctx.save();
          let row = 0; // stagger labels so close alerts stay readable
          for (const a of state.markers) {
            if (a.opened_at === null || a.opened_at === undefined) continue;
            const x = Math.round(u.valToPos(a.opened_at, "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.strokeStyle = a.kind === "pump" ? "#f0a030" : "#ff4d5e";
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = ctx.strokeStyle;
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            const label = ` ${a.kind} · ${a.rule} `;
            const right = x + ctx.measureText(label).width > u.bbox.left + u.bbox.width;
            ctx.textAlign = right ? "right" : "left";
            ctx.fillText(label, right ? x - 3 : x + 3, u.bbox.top + (12 + 14 * (row % 4)) * devicePixelRatio);
            row += 1;
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** Whether the user has zoomed into the plot: its x scale narrower than its data. */
function zoomed(plot) {
  const xs = plot.data[0];
  if (!xs.length) return false;
  return plot.scales.x.min > xs[0] || plot.scales.x.max < xs[xs.length - 1];
}

async function renderChart(symbol, generation = state.generation) {
  const chart = $("chart");
  const [history, ticker, alerts] = await Promise.all([
    api(`/v1/tickers/${encodeURIComponent(symbol)}/history?hours=${HISTORY_HOURS}`),
    api(`/v1/tickers/${encodeURIComponent(symbol)}`).catch(() => null),
    api(`/v1/alerts?symbol=${encodeURIComponent(symbol)}&limit=20`).then((p) => p.alerts).catch(() => []),
  ]);
  if (symbol !== state.selected || generation !== state.generation) return; // picked another ticker, or signed out
  const detection = ticker && ticker.detection ? ticker.detection : {};
  const data = series(history, detection.baseline_1h);
  $("chart-title").textContent = `${symbol} — hourly mentions`;
  $("chart-note").textContent =
    `detector now: baseline ${fmtNum(detection.baseline_1h, 1)}/h · ratio ${fmtNum(detection.ratio, 1)} · ` +
    `score ${fmtNum(detection.score)} · as of ${fmtTime(ticker ? ticker.as_of : null)}`;
  const opts = {
    width: Math.max(320, chart.clientWidth),
    height: 300,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] } },
    axes: [
      {
        stroke: "#9aa4b2",
        grid: { stroke: "#263040" },
        ticks: { stroke: "#263040" },
        incrs: HOUR_STEPS,
        values: hourLabels,
      },
      { stroke: "#9aa4b2", grid: { stroke: "#263040" }, ticks: { stroke: "#263040" }, label: "mentions / hour" },
    ],
    legend: { show: true },
    series: [
      { label: "hour (UTC)" },
      {
        label: "mentions",
        stroke: "#4fd1a5",
        fill: "rgba(79, 209, 165, 0.35)",
        paths: uPlot.paths.bars({ size: [0.85, 48] }),
        points: { show: false },
      },
      {
        label: "baseline (detector, per hour)",
        stroke: "#8fb3ff",
        width: 2,
        dash: [8, 5],
        points: { show: false },
      },
    ],
    plugins: [alertMarkers()],
  };
  state.markers = alerts;
  if (state.plot && chart.dataset.rendered === symbol) {
    // the same ticker: keep the user's zoom (setData without resetting scales draws nothing:
    // redraw re-applies the x range, so the new bars, markers and y range are drawn)
    const keep = zoomed(state.plot);
    state.plot.setData(data, !keep);
    if (keep) state.plot.redraw();
  } else {
    if (state.plot) state.plot.destroy();
    chart.replaceChildren();
    state.plot = new uPlot(opts, data, chart);
  }
  chart.dataset.rendered = symbol;
  chart.dataset.points = String(data[0].length);
  chart.dataset.markers = String(alerts.length);
}

// ------------------------------------------------------------------ refresh loop

function select(symbol, byUser) {
  if (byUser) state.userSelected = true;
  state.selected = symbol;
  for (const row of document.querySelectorAll("#trending-rows tr[data-symbol]")) {
    row.classList.toggle("selected", row.dataset.symbol === symbol);
  }
  const generation = state.generation;
  renderChart(symbol, generation).catch((error) => {
    if (generation === state.generation) handleError(error); // not a signed-out session's
  });
}

function handleError(error) {
  if (error instanceof Stale) return;
  if (error instanceof Unauthorized) {
    showSignin(error.message);
    return;
  }
  setStatus(`API error: ${error.message}`, true);
}

/** One poll; the next is scheduled when this one ends (never two at once), later when the
 * API asked to wait. A newer generation (sign-out, a window change) drops what this gets. */
async function refresh() {
  const generation = state.generation;
  clearTimeout(state.timer);
  let next = REFRESH_MS;
  try {
    const [trending, alerts, config] = await Promise.all([
      api(`/v1/tickers/trending?window=${state.window}&limit=15`),
      openAlerts(),
      api("/v1/config/detection").catch((error) => (error instanceof Unauthorized ? Promise.reject(error) : null)),
    ]);
    if (generation !== state.generation) return;
    if (config) state.riskMax = config.config.pump_risk_max;
    renderTrending(trending);
    if (!(await renderAlerts(alerts, generation))) return;
    const wanted = state.userSelected
      ? state.selected
      : (alerts.open[0] && alerts.open[0].symbol) || (trending.tickers[0] && trending.tickers[0].symbol) || null;
    if (wanted) {
      state.selected = wanted;
      await renderChart(wanted, generation);
    }
    if (generation !== state.generation) return;
    document.body.dataset.state = "ready";
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    setStatus(`updated ${new Date().toLocaleTimeString()} · ${alerts.open.length} open alerts`);
  } catch (error) {
    if (generation !== state.generation) return;
    if (error instanceof RateLimited) next = Math.max(next, error.retryAfterS * 1000);
    handleError(error);
  }
  if (generation === state.generation && state.token) state.timer = setTimeout(refresh, next);
}

function start() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = false;
  state.generation += 1;
  refresh();
}

async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) {
      const config = await response.json();
      if (typeof config.api === "string") state.api = config.api.replace(/\/$/, "");
    }
  } catch (_) { /* served by the API itself: same origin */ }
}

async function main() {
  takeTokenFromFragment();
  await loadConfig();
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.token = token;
    start();
  });
  $("signout").addEventListener("click", () => showSignin(""));
  for (const button of document.querySelectorAll("#window-select button")) {
    button.addEventListener("click", () => {
      state.window = button.dataset.window;
      for (const b of document.querySelectorAll("#window-select button")) b.classList.toggle("active", b === button);
      state.generation += 1;
      refresh();
    });
  }
  window.addEventListener("resize", () => {
    if (state.plot) state.plot.setSize({ width: Math.max(320, $("chart").clientWidth), height: 300 });
  });
  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (state.token) start();
  else showSignin("");
}

main();
