// One forecast chart as inline SVG: recent actuals, the forecast's mean with
// its 80% and 95% bands, the warning and critical thresholds and "now".

import { svg } from "./dom.js";
import { clock, isNumber, number } from "./format.js";

const W = 480;
const H = 200;
const M = { left: 46, right: 58, top: 10, bottom: 22 };
const MINUTE = 60000;
const TIME_STEPS = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * MINUTE);

let chartCount = 0;

function niceStep(span, count) {
  const raw = span / Math.max(count, 1);
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const f of [1, 2, 5, 10]) if (raw <= f * magnitude) return f * magnitude;
  return 10 * magnitude;
}

function valueTicks(lo, hi) {
  const step = niceStep(hi - lo, 4);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks = [];
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) {
    const v = i * step;
    ticks.push({ v, text: Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(decimals) });
  }
  return ticks;
}

function timeTicks(start, end) {
  const step = TIME_STEPS.find((s) => (end - start) / s <= 6) || TIME_STEPS[TIME_STEPS.length - 1];
  // Aligned in the browser's time zone, so ticks fall on whole hours there.
  const offset = new Date(start).getTimezoneOffset() * MINUTE;
  const ticks = [];
  for (let t = Math.ceil((start - offset) / step) * step + offset; t <= end; t += step) ticks.push(t);
  return ticks;
}

// Path through points; a gap longer than `maxGap` starts a new segment.
function linePath(points, x, y, maxGap) {
  let d = "";
  let prev = null;
  for (const p of points) {
    if (!isNumber(p.v)) {
      prev = null;
      continue;
    }
    const cmd = prev === null || p.t - prev > maxGap ? "M" : "L";
    d += cmd + x(p.t).toFixed(1) + " " + y(p.v).toFixed(1) + " ";
    prev = p.t;
  }
  return d.trim();
}

function bandPath(points, key, x, y) {
  const lo = "lo" + key;
  const hi = "hi" + key;
  const usable = points.filter((p) => isNumber(p[lo]) && isNumber(p[hi]));
  if (usable.length < 2) return "";
  const top = usable.map((p, i) => (i ? "L" : "M") + x(p.ts).toFixed(1) + " " + y(p[hi]).toFixed(1));
  const bottom = usable
    .slice()
    .reverse()
    .map((p) => "L" + x(p.ts).toFixed(1) + " " + y(p[lo]).toFixed(1));
  return top.concat(bottom).join(" ") + " Z";
}

// options: {actuals: [{t, v}], forecast: {points: [...]} | null, warning,
// critical, direction, unit, now, historyMs, stepMs, title}
export function forecastChart(o) {
  const id = "chart-clip-" + ++chartCount;
  const actuals = o.actuals.filter((p) => isNumber(p.t));
  const fpoints = (o.forecast && Array.isArray(o.forecast.points) ? o.forecast.points : []).filter(
    (p) => isNumber(p.ts) && isNumber(p.mean)
  );
  const lastActual = actuals.length ? actuals[actuals.length - 1].t : null;
  const now = isNumber(o.now) ? o.now : lastActual;

  const root = svg("svg", {
    class: "forecast-chart",
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-label": o.title,
    "data-actual-points": actuals.filter((p) => isNumber(p.v)).length,
    "data-forecast-points": fpoints.length,
  });
  if (!isNumber(now)) {
    root.append(svg("text", { class: "empty-label", x: W / 2, y: H / 2, "text-anchor": "middle", text: "no snapshots yet" }));
    return root;
  }

  const forecastEnd = fpoints.length ? fpoints[fpoints.length - 1].ts : now;
  const end = Math.max(now + 60 * MINUTE, forecastEnd);
  const start = now - o.historyMs;
  const shown = actuals.filter((p) => p.t >= start);
  const futures = fpoints.filter((p) => p.ts >= start);

  // Value range: the data, the forecast's 95% band and the warning threshold;
  // the critical one too once the data goes past the warning threshold.
  const values = [];
  for (const p of shown) if (isNumber(p.v)) values.push(p.v);
  for (const p of futures) for (const k of ["mean", "lo95", "hi95"]) if (isNumber(p[k])) values.push(p[k]);
  const worse = o.direction === "lower_is_worse" ? (a, b) => a < b : (a, b) => a > b;
  if (isNumber(o.warning)) values.push(o.warning);
  if (isNumber(o.critical) && isNumber(o.warning) && values.some((v) => worse(v, o.warning))) values.push(o.critical);
  // A metric whose actuals never go below zero is not drawn below zero, even
  // where a wide band would reach there.
  const nonNegative = shown.every((p) => !isNumber(p.v) || p.v >= 0);
  let lo = Math.min(...values);
  if (nonNegative) lo = Math.max(lo, 0);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    const pad = Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const padding = (hi - lo) * 0.08;
  lo = nonNegative && lo - padding < 0 ? 0 : lo - padding;
  hi += padding;

  const x = (t) => M.left + ((t - start) / (end - start)) * (W - M.left - M.right);
  const y = (v) => M.top + (1 - (v - lo) / (hi - lo)) * (H - M.top - M.bottom);
  const plotRight = W - M.right;
  const plotBottom = H - M.bottom;

  root.append(
    svg("defs", {}, [
      svg("clipPath", { id }, [svg("rect", { x: M.left, y: M.top, width: plotRight - M.left, height: plotBottom - M.top })]),
    ])
  );

  for (const { v, text } of valueTicks(lo, hi)) {
    root.append(svg("line", { class: "grid-line", x1: M.left, x2: plotRight, y1: y(v), y2: y(v) }));
    root.append(svg("text", { class: "axis-label", x: M.left - 5, y: y(v) + 3, "text-anchor": "end", text }));
  }
  for (const t of timeTicks(start, end)) {
    root.append(svg("line", { class: "grid-line", x1: x(t), x2: x(t), y1: M.top, y2: plotBottom }));
    root.append(svg("text", { class: "axis-label", x: x(t), y: H - 6, "text-anchor": "middle", text: clock(t) }));
  }

  const plot = svg("g", { "clip-path": `url(#${id})` });
  root.append(plot);
  plot.append(svg("path", { class: "band-95", d: bandPath(futures, "95", x, y) }));
  plot.append(svg("path", { class: "band-80", d: bandPath(futures, "80", x, y) }));
  plot.append(
    svg("path", {
      class: "forecast-line",
      d: linePath(futures.map((p) => ({ t: p.ts, v: p.mean })), x, y, Infinity),
    })
  );
  plot.append(svg("path", { class: "actual-line", d: linePath(shown, x, y, 2.5 * o.stepMs) }));
  const last = [...shown].reverse().find((p) => isNumber(p.v));
  if (last) plot.append(svg("circle", { class: "last-point", cx: x(last.t), cy: y(last.v), r: 2.8 }));

  const labels = [];
  for (const [kind, value] of [["warning", o.warning], ["critical", o.critical]]) {
    if (!isNumber(value)) continue;
    const label = (kind === "warning" ? "warn " : "crit ") + number(value);
    if (value >= lo && value <= hi) {
      root.append(svg("line", { class: "threshold-" + kind, x1: M.left, x2: plotRight, y1: y(value), y2: y(value) }));
      labels.push({ kind, y: y(value) + 3, text: label });
    } else {
      // Off the chart: named at the edge it lies beyond.
      const above = value > hi;
      labels.push({ kind, y: above ? M.top + 8 : plotBottom - 2, text: label + (above ? " ↑" : " ↓") });
    }
  }
  labels.sort((a, b) => a.y - b.y);
  if (labels.length === 2 && labels[1].y - labels[0].y < 11) {
    if (labels[1].y + 11 <= plotBottom) labels[1].y = labels[0].y + 11;
    else labels[0].y = labels[1].y - 11;
  }
  for (const l of labels) root.append(svg("text", { class: "threshold-label-" + l.kind, x: plotRight + 4, y: l.y, text: l.text }));

  if (now >= start && now <= end) {
    root.append(svg("line", { class: "now-line", x1: x(now), x2: x(now), y1: M.top, y2: plotBottom }));
    root.append(svg("text", { class: "now-label", x: x(now) + 3, y: M.top + 9, text: "now" }));
  }
  return root;
}
