// The node's REST API and its event stream, as the page uses them.

const TOKEN_KEY = "grace.token";

// The API writes its event times as ISO 8601 UTC text; the page computes with
// them (ages, ordering, the node's clock), so these keys are read back as unix
// milliseconds. The others with a time (trained_at, next_training_at,
// approval_expires_at, last_success) are used as text or parsed where shown.
const TIME_KEYS = new Set([
  "generated_at", "raised_at", "updated_at", "expected_breach_at", "action_at", "breached_at",
  "resolved_at", "requested_at", "started_at", "finished_at", "evaluate_at", "last_finished_at",
  "next_due_at", "expires_at", "since", "opens_until", "at", "closed_before",
]);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

function reviveTime(key, value) {
  return TIME_KEYS.has(key) && typeof value === "string" && ISO_TIME.test(value) ? Date.parse(value) : value;
}

function parseJSON(text) {
  return JSON.parse(text, reviveTime);
}

// {ok, status, data, error}: never throws, so panels can show what went wrong.
export async function getJSON(path, { timeoutMs = 10000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(path, { headers: { Accept: "application/json" }, signal: controller.signal });
    return await answer(res);
  } catch (e) {
    const error = e.name === "AbortError" ? "no answer within " + timeoutMs / 1000 + " s" : "node unreachable";
    return { ok: false, status: 0, data: null, error };
  } finally {
    clearTimeout(timer);
  }
}

async function answer(res) {
  let data = null;
  try {
    data = parseJSON(await res.text());
  } catch {
    data = null;
  }
  const error = res.ok ? null : (data && typeof data.error === "string" ? data.error : "HTTP " + res.status);
  return { ok: res.ok, status: res.status, data, error };
}

export function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token is asked again next time.
  }
}

// POST with the session's bearer token (and `body` as JSON, if given). On 401
// asks for the token through `askToken(reason)` (resolves to a token or null
// when the operator cancels), keeps it for the session and tries once more.
export async function postAuthorized(path, askToken, body) {
  let token = storedToken();
  for (let attempt = 0; attempt < 3; attempt++) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    const init = { method: "POST", headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      return { ok: false, status: 0, data: null, error: "node unreachable" };
    }
    if (res.status !== 401) return answer(res);
    storeToken("");
    const reason = token ? "The node refused that token. Enter it again." : "This node needs its API token (http.token) for this action. It is kept for this browser session only.";
    token = await askToken(reason);
    if (!token) return { ok: false, status: 401, data: null, error: "not sent: the node needs its API token" };
    storeToken(token);
  }
  return { ok: false, status: 401, data: null, error: "the node refused the token" };
}

// Server-sent events from /api/events. `onEvent(topic, data)` per event,
// `onState("live" | "reconnecting")` as the connection changes. The browser
// reconnects by itself; `close()` stops it.
export function openEvents(topics, onEvent, onState) {
  const source = new EventSource("/api/events");
  source.onopen = () => onState("live");
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
  for (const topic of topics) {
    source.addEventListener(topic, (event) => {
      let data = null;
      try {
        data = parseJSON(event.data);
      } catch {
        return;
      }
      onEvent(topic, data);
    });
  }
  return source;
}
