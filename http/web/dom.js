// Builds DOM nodes. Text from the API only ever goes through textContent or
// attributes set with setAttribute: nothing here parses HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.setAttribute("class", String(value));
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function")
      node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children ?? [])) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// el("td", {class: "num"}, ["text", otherNode])
export function el(tag, attrs, children) {
  return fill(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

// Replaces a panel body's content and records what it shows (for styling and tests).
export function show(body, state, nodes) {
  body.dataset.state = state;
  body.replaceChildren(...[].concat(nodes ?? []).filter(Boolean));
}

export function placeholder(text) {
  return el("p", { class: "placeholder", text });
}

export function errorText(text) {
  return el("p", { class: "error-text", role: "status", text });
}

export function badge(text, kind) {
  return el("span", { class: "badge" + (kind ? " " + kind : ""), text });
}
