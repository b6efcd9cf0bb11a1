// Numbers, times and durations as the page shows them.

export function isNumber(x) {
  return typeof x === "number" && Number.isFinite(x);
}

// 3 significant digits for small values, thousands grouped for large ones.
export function number(x, unit) {
  if (!isNumber(x)) return "–";
  const abs = Math.abs(x);
  let text;
  if (abs >= 1000) text = Math.round(x).toLocaleString("en-US");
  else if (abs >= 100) text = x.toFixed(0);
  else if (abs >= 10) text = x.toFixed(1);
  else if (abs >= 1) text = x.toFixed(2);
  else if (abs === 0) text = "0";
  else text = x.toPrecision(2);
  return unit ? text + " " + unit : text;
}

export function percent(p) {
  return isNumber(p) ? Math.round(p * 100) + "%" : "–";
}

function pad(n) {
  return String(n).padStart(2, "0");
}

// Node-clock times (epoch ms) with their date, in UTC as the API has them:
// "2026-12-07 14:05Z" (ISO 8601 to the minute, a blank for the T).
export function clock(ms) {
  if (!isNumber(ms) || ms <= 0) return "–";
  const d = new Date(ms);
  return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
    pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + "Z";
}

export const dateTime = clock;

// "42 min", "3 h 05 min", "2 d 4 h"
export function duration(ms) {
  if (!isNumber(ms)) return "–";
  const minutes = Math.round(Math.abs(ms) / 60000);
  if (minutes < 60) return minutes + " min";
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return hours + " h " + pad(minutes % 60) + " min";
  return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
}

// Until `at` from `now`: "in 25 min" or "5 min ago".
export function relative(at, now) {
  if (!isNumber(at) || !isNumber(now)) return "–";
  const d = at - now;
  return d >= 0 ? "in " + duration(d) : duration(d) + " ago";
}
