// Small DOM helpers: build elements, show errors where they belong.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A labelled form control; returns the label, whose .control is the input.
export function field(text, control, attrs = {}) {
  const label = el("label", attrs, text, control);
  label.control_ = control;
  return label;
}

export function toast(message, { error = false, ms = 4000 } = {}) {
  const box = el("div", { class: error ? "toast error" : "toast", role: error ? "alert" : "status" }, message);
  document.getElementById("toasts").append(box);
  setTimeout(() => box.remove(), error ? ms * 2 : ms);
}

// Show `err` in the error slot next to what caused it (and nowhere else).
export function showError(slot, err) {
  slot.textContent = err ? (err.message || String(err)) : "";
}

export function debounce(fn, ms = 250) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// A page's own stylesheet (web/pages/NAME.css), added once.
export function ensureStyle(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href }));
}
