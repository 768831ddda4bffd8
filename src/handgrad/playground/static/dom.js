// Small DOM helpers shared by the views.

// el("div.a.b", {attrs}, children...): an element with classes, attributes and children.
export function el(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag || "div");
  if (classes.length) node.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A <select> of options (values or [value, label] pairs), calling onchange with the value.
export function select(options, value, onchange, attrs = {}) {
  const node = el("select", attrs);
  for (const option of options) {
    const [v, label] = Array.isArray(option) ? option : [option, option];
    node.append(el("option", { value: String(v), text: String(label) }));
  }
  node.value = String(value);
  node.addEventListener("change", () => onchange(node.value));
  return node;
}

// A number input that reports a finite number when the user commits it (Enter or blur).
export function number(value, onchange, attrs = {}) {
  const node = el("input", { type: "number", value: String(value), ...attrs });
  node.addEventListener("change", () => {
    const v = Number(node.value);
    if (node.value.trim() !== "" && Number.isFinite(v)) onchange(v);
    else node.value = String(value);
  });
  return node;
}

export const fmt = (v, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : Number(v).toFixed(digits);

export const percent = (v) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(1)}%`;

export function epochText(n) {
  const s = String(n).padStart(6, "0");
  return `${s.slice(0, 3)},${s.slice(3)}`;
}

// Keep a canvas's backing store at the device's pixel density.
export function sizeCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
}
