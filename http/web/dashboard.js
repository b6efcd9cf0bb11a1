// The operator dashboard: loads every panel from the REST API, keeps it live
// from /api/events and decides approvals with the session's bearer token.

import { getJSON, openEvents, postAuthorized } from "./api.js";
import { forecastChart } from "./chart.js";
import { badge, el, errorText, placeholder, show } from "./dom.js";
import { clock, dateTime, duration, isNumber, number, percent, relative } from "./format.js";

const MINUTE = 60000;
const HISTORY_MS = 6 * 60 * MINUTE; // actuals shown left of "now"
const SNAPSHOT_MS = 5 * MINUTE; // the aggregator's window
const TOPICS = ["snapshots", "forecasts", "warnings", "executions", "learning", "training", "anomalies", "band_changes"];
const HISTORY_ROWS = 5; // training cycles listed

const state = {
  metrics: [], // catalog metrics that warn (thresholds) or are forecast
  series: new Map(), // metric id -> [{t, v, band}] oldest first
  forecasts: new Map(), // metric id -> forecast
  warnings: null,
  decisions: new Map(), // execution id -> {text, error}
  lastDecision: null,
  live: "connecting",
  events: null,
};

const $ = (id) => document.getElementById(id);
const body = (panel) => $(panel).querySelector(".panel-body");

// ---------------------------------------------------------------------------
// The node's clock. Times in the API are the node's virtual clock, which runs
// --time-scale times faster than the wall clock. "Now" is the newest node time
// seen, carried forward at the rate the node's times are seen to advance.

const nodeClock = {
  samples: [], // {v, r}: newest node time seen and the browser time, at most one a second
  latest: null,
  rate: 0, // node ms per browser ms; 0 until measured over 10 s
  observe(v) {
    if (!isNumber(v) || (this.latest && v <= this.latest.v)) return;
    const r = Date.now();
    this.latest = { v, r };
    const last = this.samples[this.samples.length - 1];
    if (last && r - last.r < 1000) return;
    this.samples.push({ v, r });
    while (this.samples.length > 2 && r - this.samples[1].r >= 60000) this.samples.shift();
    const first = this.samples[0];
    if (r - first.r >= 10000) this.rate = Math.max(0, (v - first.v) / (r - first.r));
  },
  now() {
    if (!this.latest) return null;
    // Carried forward at most one snapshot window past what was seen.
    const ahead = Math.min((Date.now() - this.latest.r) * this.rate, SNAPSHOT_MS);
    return this.latest.v + ahead;
  },
};

// ---------------------------------------------------------------------------
// Coalesced work: each named job runs at most once per `minGap` ms.

const jobs = new Map();
function schedule(name, fn, minGap = 1000) {
  let job = jobs.get(name);
  if (!job) {
    job = { last: 0, timer: null, running: false };
    jobs.set(name, job);
  }
  if (job.timer) return;
  const wait = Math.max(job.running ? 200 : 0, job.last + minGap - Date.now());
  job.timer = setTimeout(async () => {
    job.timer = null;
    if (job.running) return schedule(name, fn, minGap);
    job.running = true;
    job.last = Date.now();
    try {
      await fn();
    } finally {
      job.running = false;
    }
  }, wait);
}

function stamp() {
  const now = new Date();
  $("last-update").textContent = "updated " + now.toLocaleTimeString("en-GB");
  const n = nodeClock.now();
  $("node-clock").textContent = n ? dateTime(n) : "–";
}

function pageError(text) {
  const box = $("page-error");
  box.hidden = !text;
  box.textContent = text || "";
}

// ---------------------------------------------------------------------------
// Forecast charts

function valueOf(snapshot, metric) {
  const v = snapshot[metric.aggregation] ?? snapshot.mean;
  return isNumber(v) ? v : null;
}

function addSnapshot(metric, s) {
  if (!isNumber(s.window_end)) return;
  const series = state.series.get(metric.id) || [];
  const point = { t: s.window_end, v: valueOf(s, metric), band: s.band };
  const at = series.findIndex((p) => p.t >= point.t);
  if (at === -1) series.push(point);
  else if (series[at].t === point.t) series[at] = point;
  else series.splice(at, 0, point);
  const keepFrom = series[series.length - 1].t - HISTORY_MS - SNAPSHOT_MS;
  while (series.length && series[0].t < keepFrom) series.shift();
  state.series.set(metric.id, series);
  nodeClock.observe(s.window_end);
}

function setForecast(f) {
  if (!f || typeof f.metric_id !== "string" || !Array.isArray(f.points)) return;
  const old = state.forecasts.get(f.metric_id);
  if (old && isNumber(old.generated_at) && f.generated_at < old.generated_at) return;
  state.forecasts.set(f.metric_id, f);
  nodeClock.observe(f.generated_at);
}

async function loadSnapshots() {
  const results = await Promise.all(
    state.metrics.map((m) => getJSON(`/api/metrics/${encodeURIComponent(m.id)}/snapshots?limit=${HISTORY_MS / SNAPSHOT_MS + 2}`))
  );
  results.forEach((r, i) => {
    const metric = state.metrics[i];
    if (!r.ok) {
      state.series.set(metric.id, state.series.get(metric.id) || []);
      metric.error = r.error;
      return;
    }
    metric.error = null;
    for (const s of r.data.snapshots || []) addSnapshot(metric, s);
  });
  renderCharts();
}

async function loadForecasts() {
  const r = await getJSON("/api/forecasts/latest");
  if (r.ok && r.data && Array.isArray(r.data.forecasts)) {
    for (const f of r.data.forecasts) setForecast(f);
  }
  // Without the route (an older node) the charts fill from the event stream.
  state.forecastRoute = r.ok ? "ok" : r.status === 404 ? "missing" : "error";
  renderCharts();
}

function chartCaption(metric, forecast, now) {
  // A metric that is not forecast on schedule may still have a forecast the
  // predictor asked for when it came near a threshold.
  const none = !forecast || !forecast.points || !forecast.points.length;
  if (none && !metric.forecast) return "not a forecast metric (forecast: false): actuals and thresholds";
  if (!forecast || !forecast.points || !forecast.points.length) {
    return state.forecastRoute === "error" ? "forecasts unavailable right now" : "no forecast yet (one comes every forecasting cycle)";
  }
  const last = forecast.points[forecast.points.length - 1];
  const ahead = isNumber(last.ts) && isNumber(forecast.generated_at) ? duration(last.ts - forecast.generated_at) : "–";
  return (
    "forecast at " + clock(forecast.generated_at) + " · in " + ahead + ": " + number(last.mean, metric.unit) +
    " (80% " + number(last.lo80) + "–" + number(last.hi80) + ")"
  );
}

function renderCharts() {
  const grid = body("forecasts");
  if (!state.metrics.length) {
    show(grid, "empty", placeholder("The catalog has no metric with thresholds or forecast: true."));
    return;
  }
  const now = nodeClock.now();
  const cards = state.metrics.map((metric) => {
    const series = state.series.get(metric.id) || [];
    const forecast = state.forecasts.get(metric.id) || null;
    const last = [...series].reverse().find((p) => isNumber(p.v));
    const band = last ? last.band : null;
    const chart = forecastChart({
      title: `${metric.id}: actuals, forecast and thresholds`,
      actuals: series,
      forecast,
      warning: metric.thresholds?.warning,
      critical: metric.thresholds?.critical,
      direction: metric.direction,
      unit: metric.unit,
      now,
      historyMs: HISTORY_MS,
      stepMs: SNAPSHOT_MS,
    });
    return el("article", { class: "chart-card", "data-metric": metric.id }, [
      el("div", { class: "chart-head" }, [
        el("h3", { title: metric.description || metric.id, text: metric.id }),
        el("span", { class: "chart-value" }, [
          last ? number(last.v, metric.unit) + " " : "",
          band ? badge(band === "good" ? "normal" : band, "badge-" + (band === "good" ? "normal" : band)) : null,
        ]),
      ]),
      el("p", { class: "chart-caption", title: forecast ? "model " + (forecast.model_version || "–") : null, text: metric.error ? "snapshots unavailable: " + metric.error : chartCaption(metric, forecast, now) }),
      chart,
    ]);
  });
  const hasData = [...state.series.values()].some((s) => s.length);
  show(grid, hasData ? "data" : "empty", cards);
  stamp();
}


// ---------------------------------------------------------------------------
// Early warnings

async function loadWarnings() {
  const r = await getJSON("/api/predictions/warnings");
  const panel = body("warnings");
  if (!r.ok) {
    show(panel, "error", errorText("Warnings unavailable: " + r.error));
    return;
  }
  state.warnings = r.data;
  for (const w of r.data.open || []) nodeClock.observe(w.updated_at);
  renderWarnings();
}

function metricUnit(id) {
  return state.allMetrics?.get(id)?.unit || "";
}

function renderWarnings() {
  const data = state.warnings;
  if (!data) return;
  const panel = body("warnings");
  const now = nodeClock.now();
  const open = (data.open || []).slice().sort((a, b) => (a.expected_breach_at || 0) - (b.expected_breach_at || 0));
  const nodes = [];
  if (!open.length) {
    nodes.push(placeholder("No open warnings: no threshold breach is predicted within the next hour."));
  } else {
    const rows = open.map((w) =>
      el("tr", { class: "warning-row", "data-warning-id": w.id, "data-metric": w.metric_id }, [
        el("td", {}, [badge(w.severity, "badge-" + (w.severity === "critical" ? "critical" : "warning"))]),
        el("td", {}, [el("code", { text: w.metric_id }), el("div", { class: "small", text: w.service })]),
        el("td", { class: "num", text: percent(w.probability) }),
        el("td", { class: "num" }, [
          el("strong", { class: "time-to-breach", text: relative(w.expected_breach_at, now) }),
          el("div", { class: "small", text: "at " + clock(w.expected_breach_at) }),
        ]),
        el("td", { class: "num" }, [
          number(w.predicted_value, metricUnit(w.metric_id)),
          el("div", { class: "small", text: "threshold " + number(w.threshold) + " · 80% " + number(w.lo80) + "–" + number(w.hi80) }),
        ]),
        el("td", {}, [
          el("code", { text: w.action_playbook || w.recommended_playbook || "–" }),
          el("div", { class: "small", text: w.action_playbook ? "ran " + clock(w.action_at) : w.recommended_playbook ? "recommended" : "" }),
        ]),
        el("td", { class: "num small", text: "raised " + clock(w.raised_at) }),
      ])
    );
    nodes.push(
      el("table", { class: "warnings-table" }, [
        el("thead", {}, [
          el("tr", {}, ["Severity", "Metric", "Probability", "Time to breach", "Predicted", "Playbook", ""].map((h) => el("th", { text: h }))),
        ]),
        el("tbody", {}, rows),
      ])
    );
  }
  const recent = (data.recent || [])
    .filter((w) => w.outcome && w.outcome !== "open")
    .sort((a, b) => (b.resolved_at || b.updated_at || 0) - (a.resolved_at || a.updated_at || 0))
    .slice(0, 4);
  if (recent.length) {
    const outcomeClass = { came_true: "badge-critical", prevented: "badge-normal", false_alarm: "" };
    nodes.push(
      el("h3", { class: "recent-title", text: "Recently resolved" }),
      el("table", { class: "recent-warnings" }, [
        el(
          "tbody",
          {},
          recent.map((w) =>
            el("tr", {}, [
              el("td", {}, [el("code", { text: w.metric_id })]),
              el("td", {}, [badge(w.severity, "badge-" + (w.severity === "critical" ? "critical" : "warning"))]),
              el("td", {}, [badge(String(w.outcome).replace(/_/g, " "), outcomeClass[w.outcome] || "")]),
              el("td", { class: "num small", text: "raised " + clock(w.raised_at) + " · " + percent(w.probability) }),
              el("td", { class: "small", text: w.action_playbook ? "ran " + w.action_playbook : w.recommended_playbook ? "recommended " + w.recommended_playbook : "" }),
            ])
          )
        ),
      ])
    );
  }
  const s = data.statistics || {};
  nodes.push(
    el("div", { class: "stat-line" }, [
      stat("raised", s.raised),
      stat("came true", s.came_true),
      stat("prevented", s.prevented),
      stat("false alarms", s.false_alarm),
      stat("mean lead", isNumber(s.mean_lead_minutes) && s.mean_lead_minutes > 0 ? Math.round(s.mean_lead_minutes) + " min" : "–"),
    ])
  );
  show(panel, open.length ? "data" : "empty", nodes);
  stamp();
}

function stat(label, value) {
  return el("span", {}, [label + " ", el("strong", { text: value ?? "–" })]);
}

// ---------------------------------------------------------------------------
// Playbook executions and approvals

async function loadExecutions() {
  const [all, pending] = await Promise.all([
    getJSON("/api/playbooks/executions"),
    getJSON("/api/playbooks/executions?state=pending_approval"),
  ]);
  renderExecutions(all);
  renderApprovals(pending);
}

function stateBadge(s) {
  return badge(String(s).replace(/_/g, " "), "state-" + String(s).replace(/[^a-z_]/g, ""));
}

function renderExecutions(r) {
  const panel = body("executions");
  if (!r.ok) {
    show(panel, "error", errorText("Executions unavailable: " + r.error));
    return;
  }
  const list = r.data.executions || [];
  for (const e of list) nodeClock.observe(e.finished_at || e.started_at || e.requested_at);
  if (!list.length) {
    show(panel, "empty", placeholder("No playbook has been requested yet."));
    return;
  }
  const counts = {};
  for (const e of list) counts[e.state] = (counts[e.state] || 0) + 1;
  const rows = list.slice(0, 10).map((e) =>
    el("tr", { class: "execution-row", "data-execution-id": e.id, "data-state": e.state }, [
      el("td", { class: "num small", text: clock(e.requested_at) }),
      el("td", {}, [el("code", { text: e.playbook }), el("div", { class: "small", text: (e.metric_id || "–") + " · " + e.id })]),
      el("td", {}, [stateBadge(e.state)]),
      el("td", { class: "wrap small", title: e.reason || null, text: firstClause(e.reason) || e.rule || "–" }),
      el("td", { class: "wrap small", text: e.outcome_summary || e.message || "–" }),
      el("td", { class: "num", text: isNumber(e.reward) && e.state === "evaluated" ? (e.reward >= 0 ? "+" : "") + e.reward.toFixed(2) : "–" }),
    ])
  );
  show(panel, "data", [
    el("table", { class: "executions-table" }, [
      el("thead", {}, [el("tr", {}, ["Requested", "Playbook", "State", "Governance", "Result", "Reward"].map((h) => el("th", { text: h })))]),
      el("tbody", {}, rows),
    ]),
    el(
      "div",
      { class: "stat-line" },
      [stat("executions", list.length)].concat(Object.entries(counts).map(([k, v]) => stat(k.replace(/_/g, " "), v)))
    ),
  ]);
  stamp();
}

// "mode: 'x' needs an operator's approval; 'x' on svc waits" -> the part before ";".
function firstClause(text) {
  return typeof text === "string" ? text.split(";")[0] : "";
}

function renderApprovals(r) {
  state.pending = r;
  const panel = body("approvals");
  if (!r.ok) {
    show(panel, "error", errorText("Approvals unavailable: " + r.error));
    return;
  }
  const list = r.data.executions || [];
  const nodes = [];
  if (state.lastDecision) {
    const d = state.lastDecision;
    nodes.push(el("p", { class: "decision-result " + (d.error ? "error-text" : "small"), role: "status", text: d.text }));
  }
  if (!list.length) {
    nodes.push(placeholder("Nothing waits for an approval."));
    show(panel, "empty", nodes);
    return;
  }
  const cards = list.map((e) => {
    const pending = state.decisions.get(e.id);
    const approve = el("button", { class: "button button-primary approve", type: "button", text: "Approve", disabled: !!pending?.busy });
    const reject = el("button", { class: "button button-danger reject", type: "button", text: "Reject", disabled: !!pending?.busy });
    approve.addEventListener("click", () => decide(e, "approve"));
    reject.addEventListener("click", () => decide(e, "reject"));
    return el("li", { class: "approval-card", "data-execution-id": e.id }, [
      el("h3", { text: e.playbook }),
      el("div", { class: "approval-meta" }, [
        "for ",
        el("code", { text: e.metric_id || "–" }),
        " on " + (e.service || "–") + " · requested " + clock(e.requested_at),
        // A person's deadline: wall-clock time, unlike the node's other times.
        e.approval_expires_at ? el("div", { class: "approval-deadline", text: "expires " + relative(Date.parse(e.approval_expires_at), Date.now()) }) : null,
        e.warning_id ? el("div", { text: "after warning " + e.warning_id }) : null,
      ]),
      el("div", { class: "approval-actions" }, [
        approve,
        reject,
        pending ? el("span", { class: "approval-result" + (pending.error ? " error-text" : " small"), text: pending.text }) : null,
      ]),
    ]);
  });
  nodes.push(el("ul", { class: "approval-list" }, cards));
  show(panel, "data", nodes);
}

async function decide(execution, verb) {
  state.decisions.set(execution.id, { busy: true, text: verb === "approve" ? "approving…" : "rejecting…" });
  if (state.pending) renderApprovals(state.pending);
  const r = await postAuthorized(`/api/playbooks/executions/${encodeURIComponent(execution.id)}/${verb}`, askToken);
  if (r.ok) {
    state.decisions.delete(execution.id);
    const done = verb === "approve" ? "Approved" : "Rejected";
    state.lastDecision = { text: `${done} ${execution.playbook} (${execution.id}): now ${String(r.data?.state || "?").replace(/_/g, " ")}` };
  } else {
    const why = r.status === 404 ? "no longer pending (decided or expired)" : r.error;
    if (r.status === 404) {
      state.decisions.delete(execution.id);
      state.lastDecision = { error: true, text: `${execution.playbook} (${execution.id}): ${why}` };
    } else {
      state.decisions.set(execution.id, { busy: false, error: true, text: why });
    }
  }
  schedule("executions", loadExecutions, 0);
}

// The token prompt: resolves to the token, or null when cancelled.
function askToken(reason) {
  const dialog = $("token-dialog");
  const form = $("token-form");
  const input = $("token-input");
  $("token-reason").textContent = reason;
  input.value = "";
  return new Promise((resolve) => {
    const finish = (value) => {
      form.removeEventListener("submit", onSubmit);
      $("token-cancel").removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      finish(input.value.trim() || null);
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(null);
    };
    form.addEventListener("submit", onSubmit);
    $("token-cancel").addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    input.focus();
  });
}

// ---------------------------------------------------------------------------
// Safety: the kill switch (state and control) and the circuit breakers

const safety = { form: null, status: null, reason: null, button: null, result: null, engaged: null, busy: false };

function safetyForm() {
  if (safety.form) return safety.form;
  safety.status = el("div", { class: "safety-status" });
  safety.reason = el("input", { id: "kill-reason", type: "text", maxlength: "500", placeholder: "reason (recorded with the decision)", "aria-label": "Reason" });
  safety.button = el("button", { id: "kill-toggle", class: "button button-danger", type: "button", text: "Engage kill switch" });
  safety.result = el("p", { class: "small", role: "status" });
  safety.button.addEventListener("click", toggleKillSwitch);
  safety.form = el("div", { class: "safety-form" }, [safety.status, el("div", { class: "kill-control" }, [safety.reason, safety.button]), safety.result]);
  return safety.form;
}

async function loadSafety() {
  const r = await getJSON("/api/playbooks");
  const panel = body("safety");
  if (!r.ok || !r.data?.governance) {
    safety.form = null;
    show(panel, "error", errorText("Safety state unavailable: " + (r.error || "no governance in the answer")));
    return;
  }
  renderSafety(r.data.governance);
}

function renderSafety(g) {
  const panel = body("safety");
  const form = safetyForm();
  if (panel.firstChild !== form) show(panel, "data", [form]);
  const k = g.kill_switch || {};
  safety.engaged = !!k.engaged;
  const breakers = Array.isArray(g.breakers) ? g.breakers : [];
  const open = breakers.filter((b) => b.state !== "closed");
  const runs = Object.values(g.runs_last_hour || {}).reduce((a, b) => a + (isNumber(b) ? b : 0), 0);
  safety.status.replaceChildren(
    el("div", { class: "kill-state" }, [
      "Kill switch ",
      badge(k.engaged ? "engaged" : "released", k.engaged ? "badge-critical" : "badge-normal"),
      k.engaged ? el("div", { class: "small", text: "since " + clock(k.since) + (k.reason ? " · " + k.reason : "") + ": every playbook run is refused" }) : null,
    ]),
    el("p", {
      class: "small",
      text: open.length
        ? "open breakers: " + open.map((b) => b.playbook + " (" + b.state.replace(/_/g, " ") + (b.opens_until ? " until " + clock(b.opens_until) : "") + ")").join(", ")
        : "all " + breakers.length + " circuit breakers closed",
    }),
    el("p", { class: "small", text: runs + " playbook run" + (runs === 1 ? "" : "s") + " in the last hour" })
  );
  safety.button.textContent = k.engaged ? "Release kill switch" : "Engage kill switch";
  safety.button.className = "button " + (k.engaged ? "button-primary" : "button-danger");
  safety.button.disabled = safety.busy;
  panel.dataset.state = k.engaged ? "engaged" : "released";
}

async function toggleKillSwitch() {
  const engage = !safety.engaged;
  const reason = safety.reason.value.trim();
  if (!reason) {
    safety.result.className = "small error-text";
    safety.result.textContent = "Give a reason: it is recorded with the decision.";
    safety.reason.focus();
    return;
  }
  safety.busy = true;
  safety.button.disabled = true;
  safety.result.className = "small";
  safety.result.textContent = engage ? "engaging…" : "releasing…";
  const r = await postAuthorized("/api/playbooks/kill-switch", askToken, { engaged: engage, reason });
  safety.busy = false;
  if (r.ok && r.data?.kill_switch) {
    safety.reason.value = "";
    safety.result.textContent = (r.data.kill_switch.engaged ? "Engaged" : "Released") + ": " + reason;
    renderSafety(r.data);
  } else {
    safety.button.disabled = false;
    safety.result.className = "small error-text";
    safety.result.textContent = "Not changed: " + r.error;
  }
  schedule("executions", loadExecutions, 0);
}

// ---------------------------------------------------------------------------
// Model training: the forecaster's model, its validation and its schedule

async function loadTraining() {
  const [stats, history] = await Promise.all([getJSON("/api/ml/forecaster/statistics"), getJSON("/api/ml/dashboard/training-history")]);
  const panel = body("training");
  if (!stats.ok) {
    show(panel, "error", errorText("Training state unavailable: " + stats.error));
    return;
  }
  const s = stats.data || {};
  const trainedAt = Date.parse(s.trained_at);
  const nextAt = Date.parse(s.next_training_at);
  const v = s.validation;
  const facts = [
    ["Model", s.model_version || "–"],
    ["Trained", isNumber(trainedAt) ? clock(trainedAt) : "not yet"],
    ["Cycles", (s.training_cycles ?? 0) + (s.failed_cycles ? " (" + s.failed_cycles + " failed)" : "")],
    ["Next training", s.training_running ? "running now" : isNumber(nextAt) ? clock(nextAt) + " (every " + (s.interval || "–") + ")" : "–"],
    ["Metrics modelled", s.metrics_modelled ?? 0],
  ];
  const nodes = [el("dl", { class: "training-facts" }, facts.map(([k, val]) => el("div", {}, [el("dt", { text: k }), el("dd", { text: String(val) })])))];
  if (v && isNumber(v.mean_mase) && isNumber(v.mean_naive_mase) && v.mean_naive_mase > 0) {
    // Skill: how much smaller the model's validation error is than the naive
    // forecast's on the same held-out points (negative: worse than naive).
    const skill = 1 - v.mean_mase / v.mean_naive_mase;
    const per = Object.values(v.per_metric || {}).filter((m) => isNumber(m.validation_mase) && isNumber(m.naive_mase));
    const better = per.filter((m) => m.validation_mase < m.naive_mase).length;
    nodes.push(
      el("p", { class: "training-skill", "data-skill": skill.toFixed(3) }, [
        "Validation MASE ",
        el("strong", { text: v.mean_mase.toFixed(2) }),
        " vs naive " + v.mean_naive_mase.toFixed(2) + " · skill ",
        badge((skill >= 0 ? "+" : "") + Math.round(skill * 100) + "%", skill > 0 ? "badge-normal" : "badge-warning"),
        el("span", { class: "small", text: " · better than naive on " + better + " of " + per.length + " metrics" }),
      ])
    );
  } else {
    nodes.push(placeholder("No validation yet: the first training cycle measures the model against the naive forecast."));
  }
  if (s.last_error) nodes.push(errorText("Last training failed: " + s.last_error));
  const cycles = history.ok && Array.isArray(history.data?.cycles) ? history.data.cycles.slice(-HISTORY_ROWS).reverse() : [];
  if (cycles.length) {
    for (const c of cycles) nodeClock.observe(c.finished_at);
    nodes.push(
      el("table", { class: "training-table" }, [
        el("thead", {}, [el("tr", {}, ["Cycle", "Finished", "Took", "Samples", "Metrics", "Validation MASE"].map((h) => el("th", { text: h })))]),
        el(
          "tbody",
          {},
          cycles.map((c) =>
            el("tr", {}, [
              el("td", { class: "num", text: c.cycle }),
              el("td", { class: "num small", text: clock(c.finished_at) }),
              el("td", { class: "num small", text: isNumber(c.duration_seconds) ? c.duration_seconds.toFixed(1) + " s" : "–" }),
              el("td", { class: "num", text: number(c.samples) }),
              el("td", { class: "num", text: c.metrics ?? "–" }),
              el("td", { class: "num", text: isNumber(c.validation_mase) ? c.validation_mase.toFixed(2) : "–" }),
            ])
          )
        ),
      ])
    );
  }
  show(panel, isNumber(trainedAt) ? "data" : "empty", nodes);
}

// ---------------------------------------------------------------------------
// Learned policies

async function loadPolicies() {
  const r = await getJSON("/api/ml/causal-rl/policies");
  const panel = body("policies");
  if (!r.ok) {
    show(panel, "error", errorText("Policies unavailable: " + r.error));
    return;
  }
  const contexts = (r.data.policies || []).filter((c) => Array.isArray(c.playbooks) && c.playbooks.length);
  if (!contexts.length) {
    show(panel, "empty", placeholder("No data yet: the agent learns once it has recommended a playbook."));
    return;
  }
  contexts.sort((a, b) => (b.updates || 0) - (a.updates || 0) || String(a.diagnosis).localeCompare(String(b.diagnosis)));
  const cards = contexts.map((c) => {
    const arms = c.playbooks.slice().sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
    const best = arms.find((a) => a.pulls > 0);
    return el("article", { class: "policy-card", "data-context": c.service + "/" + c.diagnosis }, [
      el("h3", { text: c.service + " · " + c.diagnosis }),
      el("div", { class: "small", text: (c.updates || 0) + " learned outcome" + (c.updates === 1 ? "" : "s") }),
      el("table", { class: "policy-table" }, [
        el("thead", {}, [el("tr", {}, ["Playbook", "Value ± uncertainty", "Runs"].map((h) => el("th", { text: h })))]),
        el(
          "tbody",
          {},
          arms.map((a) =>
            el("tr", { class: a === best ? "best" : "" }, [
              el("td", { class: "playbook", text: a.playbook }),
              el("td", {}, [
                el("div", { class: "value-cell" }, [
                  valueBar(a.value, a.uncertainty),
                  el("span", { class: "num small", text: isNumber(a.value) ? signed(a.value) + (isNumber(a.uncertainty) ? " ± " + a.uncertainty.toFixed(2) : "") : "–" }),
                ]),
              ]),
              el("td", { class: "num", text: a.pulls ?? 0 }),
            ])
          )
        ),
      ]),
    ]);
  });
  show(panel, "data", cards);
}

function signed(v) {
  return (v >= 0 ? "+" : "") + v.toFixed(2);
}

// A value in [-1, 1] as a bar from the middle, with its uncertainty as a whisker.
function valueBar(value, uncertainty) {
  const bar = el("div", { class: "value-bar", title: isNumber(value) ? "value " + signed(value) : "no value yet" }, [el("span", { class: "zero" })]);
  if (!isNumber(value)) return bar;
  const clamp = (v) => Math.max(-1, Math.min(1, v));
  const v = clamp(value);
  const fill = el("span", { class: "fill" + (v < 0 ? " negative" : "") });
  fill.style.left = (v < 0 ? 50 + v * 50 : 50) + "%";
  fill.style.width = Math.abs(v) * 50 + "%";
  bar.append(fill);
  if (isNumber(uncertainty) && uncertainty > 0) {
    const spread = el("span", { class: "spread" });
    spread.style.left = 50 + clamp(value - uncertainty) * 50 + "%";
    spread.style.width = (clamp(value + uncertainty) - clamp(value - uncertainty)) * 50 + "%";
    bar.append(spread);
  }
  return bar;
}

// ---------------------------------------------------------------------------
// Health score

// "forecast_accuracy" -> "Forecast accuracy"
function humanName(name) {
  const text = String(name ?? "").replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function scoreClass(value) {
  return value >= 75 ? "good" : value >= 50 ? "fair" : "poor";
}

async function loadHealth() {
  const r = await getJSON("/api/ml/dashboard/health-report");
  const panel = body("health");
  const headerBadge = $("health-badge");
  state.healthRoute = r.ok ? "ok" : r.status === 404 ? "missing" : "error";
  if (!r.ok) {
    headerBadge.textContent = "–";
    headerBadge.className = "badge";
    if (r.status === 404) show(panel, "empty", placeholder("No data yet: this node does not report a health score."));
    else show(panel, "error", errorText("Health unavailable: " + r.error));
    return;
  }
  const h = r.data || {};
  const hasScore = isNumber(h.score);
  const label = typeof h.label === "string" && h.label ? h.label : hasScore ? scoreClass(h.score) : null;
  headerBadge.textContent = hasScore ? Math.round(h.score) + (label ? " · " + label : "") : "no data yet";
  headerBadge.className = "badge" + (label ? " badge-" + label.replace(/[^a-z]/g, "") : "");
  const nodes = [
    el("div", { class: "health-score" }, [
      el("span", { class: "health-number", text: hasScore ? Math.round(h.score) : "–" }),
      el("span", { class: "small", text: "/ 100" }),
      label ? badge(label, "badge-" + label.replace(/[^a-z]/g, "")) : badge("no data yet"),
    ]),
  ];
  if (h.summary) nodes.push(el("p", { class: "health-summary", text: h.summary }));
  const parts = Array.isArray(h.parts) ? h.parts : [];
  nodes.push(
    el(
      "ul",
      { class: "health-parts" },
      parts.map((p) => {
        const has = p.has_data && isNumber(p.value);
        const fill = el("div", { class: "meter-fill " + (has ? scoreClass(p.value) : "") });
        fill.style.width = (has ? Math.max(0, Math.min(100, p.value)) : 0) + "%";
        return el("li", { class: "health-part", "data-part": p.name }, [
          el("div", { class: "health-part-head" }, [
            el("span", { text: humanName(p.name) }),
            el("span", { class: "num" }, [
              el("strong", { text: has ? Math.round(p.value) : "no data yet" }),
              el("span", { class: "small", text: isNumber(p.weight) ? " · weight " + Math.round(p.weight * 100) + "%" : "" }),
            ]),
          ]),
          el("div", { class: "meter" }, [fill]),
          p.detail ? el("div", { class: "health-part-detail", text: p.detail }) : null,
        ]);
      })
    )
  );
  show(panel, hasScore ? "data" : "empty", nodes);
}

// ---------------------------------------------------------------------------
// Start-up, events, polling

function setLive(s) {
  state.live = s;
  const node = $("live-state");
  node.dataset.state = s;
  node.textContent = { live: "live", reconnecting: "reconnecting…", closed: "polling", polling: "polling", connecting: "connecting…" }[s] || s;
  if (s === "closed") {
    // The stream was refused (e.g. too many open streams): poll, try again later.
    state.events?.close();
    state.events = null;
    setTimeout(connectEvents, 30000);
  }
}

function onEvent(topic, data) {
  switch (topic) {
    case "snapshots": {
      const metric = state.metrics.find((m) => m.id === data.metric_id);
      if (metric) addSnapshot(metric, data);
      else nodeClock.observe(data.window_end);
      schedule("charts", renderCharts, 1000);
      break;
    }
    case "forecasts":
      setForecast(data);
      schedule("charts", renderCharts, 1000);
      break;
    case "warnings":
      schedule("warnings", loadWarnings, 500);
      break;
    case "executions":
      schedule("executions", loadExecutions, 1000);
      schedule("safety", loadSafety, 2000);
      break;
    case "training":
      schedule("training", loadTraining, 1000);
      schedule("health", loadHealth, state.healthRoute === "missing" ? 60000 : 5000);
      break;
    case "learning":
      schedule("policies", loadPolicies, 2000);
      schedule("health", loadHealth, state.healthRoute === "missing" ? 60000 : 2000);
      break;
    default:
      // An older node has no health report: asked again once a minute.
      schedule("health", loadHealth, state.healthRoute === "missing" ? 60000 : 5000);
  }
}

function connectEvents() {
  if (state.events) return;
  setLive("connecting");
  state.events = openEvents(TOPICS, onEvent, setLive);
}

async function loadCatalog() {
  const r = await getJSON("/api/catalog");
  if (!r.ok) {
    pageError("Cannot read the node's catalog (" + r.error + "); retrying in 5 s.");
    return false;
  }
  pageError(null);
  const metrics = Array.isArray(r.data.metrics) ? r.data.metrics : [];
  state.allMetrics = new Map(metrics.map((m) => [m.id, m]));
  // Forecast metrics first, then the others that warn, each in catalog order.
  const warns = (m) => isNumber(m.thresholds?.warning) || isNumber(m.thresholds?.critical);
  state.metrics = metrics.filter((m) => m.forecast).concat(metrics.filter((m) => !m.forecast && warns(m)));
  return true;
}

function refreshAll() {
  schedule("warnings", loadWarnings, 0);
  schedule("executions", loadExecutions, 0);
  schedule("policies", loadPolicies, 0);
  schedule("health", loadHealth, 0);
  schedule("forecast-route", loadForecasts, 0);
  schedule("safety", loadSafety, 0);
  schedule("training", loadTraining, 0);
}

async function start() {
  while (!(await loadCatalog())) await new Promise((ok) => setTimeout(ok, 5000));
  connectEvents();
  await loadSnapshots();
  await loadForecasts();
  refreshAll();
  // Live updates come from the stream; this catches up on anything missed and
  // carries the clock forward. Without the stream it is the only source.
  let ticks = 0;
  setInterval(async () => {
    ticks++;
    const ok = await getJSON("/healthz", { timeoutMs: 4000 });
    pageError(ok.ok ? null : "The node does not answer (" + ok.error + "); retrying.");
    if (state.live !== "live" || ticks % 6 === 0) {
      refreshAll();
      schedule("snapshots", loadSnapshots, 0);
    }
    schedule("charts", renderCharts, 1000);
    if (state.warnings) renderWarnings();
  }, 5000);
}

start();
