// Pieces the Pixelize and Snap pages share: pixel art drawn nearest-neighbour with a grid,
// a drop zone, downloads, palette swatches, and server errors put next to their field.
import { el, showError } from "./dom.js";
import { send } from "./api.js";

// An art pixel must cover this many CSS pixels before its grid is drawn.
export const GRID_MIN_CELL = 6;
// Browsers refuse (or blank) canvases much larger than this on a side.
const MAX_CANVAS = 8192;

export function loadImage(src) {
  const img = new Image();
  img.src = src;
  return img.decode().then(() => img);
}

// Where nearest-neighbour sampling of `n` art pixels over `size` device pixels moves
// from one art pixel to the next: the first device pixel of cells 1..n-1.
function cellStarts(n, size) {
  const out = [];
  for (let i = 1; i < n; i += 1) out.push(Math.ceil((i * size) / n - 0.5));
  return out;
}

// One image on a canvas at a chosen CSS width, never smoothed: the canvas holds device
// pixels, so each art pixel covers whole screen pixels and the grid lines fall exactly
// on the pixel boundaries drawn.
export class PixelView {
  constructor({ label = "", id, className = "" } = {}) {
    this.canvas = el("canvas", { class: `pixel-view checker ${className}`.trim(), role: "img", "aria-label": label, id });
    this.ctx = this.canvas.getContext("2d");
    this.image = null;
  }

  get naturalWidth() { return this.image ? this.image.naturalWidth : 0; }
  get naturalHeight() { return this.image ? this.image.naturalHeight : 0; }

  // width: CSS pixels; pixelGrid: draw art-pixel lines when large enough;
  // lines: {xs, ys, color} in image pixels (a detected grid), drawn whatever the zoom.
  draw(image, { width, pixelGrid = false, lines = null } = {}) {
    this.image = image;
    const w = image.naturalWidth;
    const h = image.naturalHeight;
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(1, Math.min(width, MAX_CANVAS / dpr, (MAX_CANVAS / dpr) * (w / h)));
    const cssH = (cssW * h) / w;
    const cw = Math.max(1, Math.round(cssW * dpr));
    const ch = Math.max(1, Math.round(cssH * dpr));
    const { canvas, ctx } = this;
    canvas.width = cw;
    canvas.height = ch;
    canvas.style.width = `${cw / dpr}px`;
    canvas.style.height = `${ch / dpr}px`;
    canvas.dataset.width = w;
    canvas.dataset.height = h;
    canvas.dataset.zoom = (cssW / w).toFixed(3);
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, cw, ch);
    ctx.drawImage(image, 0, 0, cw, ch);
    const gridShown = pixelGrid && cssW / w >= GRID_MIN_CELL;
    canvas.dataset.grid = gridShown ? "pixels" : "";
    if (gridShown) {
      ctx.fillStyle = "rgba(128, 128, 128, 0.45)";
      for (const x of cellStarts(w, cw)) ctx.fillRect(x, 0, 1, ch);
      for (const y of cellStarts(h, ch)) ctx.fillRect(0, y, cw, 1);
    }
    if (lines) {
      const lw = Math.max(1, Math.round(dpr));
      ctx.fillStyle = lines.color || "rgba(255, 0, 255, 0.85)";
      for (const x of lines.xs) ctx.fillRect(Math.min(cw - lw, Math.round((x * cw) / w)), 0, lw, ch);
      for (const y of lines.ys) ctx.fillRect(0, Math.min(ch - lw, Math.round((y * ch) / h)), cw, lw);
      canvas.dataset.lines = `${lines.xs.length}x${lines.ys.length}`;
    } else {
      delete canvas.dataset.lines;
    }
  }
}

// The largest whole zoom that shows `w`×`h` within `maxW`×`maxH` (at least 1).
export function wholeZoom(w, h, maxW, maxH) {
  return Math.max(1, Math.floor(Math.min(maxW / w, maxH / h)));
}

// A file picker that also takes a dropped (or, with paste, a pasted) image.
// Returns {node, input, dispose}; onFile(file) gets the image.
export function dropZone({ id, inputId, text, accept = "image/*", onFile, paste = false }) {
  const input = el("input", { type: "file", id: inputId, accept, class: "visually-hidden" });
  const pick = el("label", { class: "button", for: inputId }, "Choose file…");
  const node = el("div", { class: "dropzone", id }, el("span", { class: "muted" }, text), pick, input);
  const take = (file) => {
    if (!file) return;
    if (!file.type.startsWith("image/")) {
      onFile(null, new Error(`${file.name || "that file"} is not an image`));
      return;
    }
    onFile(file);
  };
  input.addEventListener("change", () => { take(input.files[0]); input.value = ""; });
  node.addEventListener("dragover", (event) => {
    event.preventDefault();
    node.classList.add("over");
  });
  node.addEventListener("dragleave", () => node.classList.remove("over"));
  node.addEventListener("drop", (event) => {
    event.preventDefault();
    node.classList.remove("over");
    take(event.dataTransfer?.files?.[0]);
  });
  const onPaste = (event) => {
    const file = [...(event.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
    if (file) { event.preventDefault(); take(file); }
  };
  if (paste) document.addEventListener("paste", onPaste);
  return { node, input, dispose: () => document.removeEventListener("paste", onPaste) };
}

export function base64Blob(b64, type = "image/png") {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type });
}

export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name, class: "hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

// A palette as a GIMP .gpl file, written by the server as `pixref palette convert` does.
export async function gplBlob(colors, name) {
  const form = new FormData();
  form.append("colors", colors.join(","));
  form.append("format", "gpl");
  form.append("name", name);
  const response = await send("POST", "/api/palettes/convert", form);
  return response.blob();
}

export function swatches(colors, { id, label = "palette" } = {}) {
  return el("div", { class: "swatches", id, role: "list", "aria-label": `${label}: ${colors.length} colours` },
    colors.map((hex) => el("span", { role: "listitem", style: `background:#${hex}`, title: `#${hex}` })));
}

// A file name's stem, safe to build download names from.
export function stemOf(name) {
  return (name || "image").replace(/\.[^.]*$/, "").replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "") || "image";
}

// Put a server message next to the field it is about. `routes` is a list of
// [pattern, slot, control?]: the first whose pattern (a field name written `name` in
// the message, or a RegExp) matches gets it; else `fallback`. Returns the slot used.
export function routeError(err, routes, fallback) {
  const message = err?.message || String(err);
  const named = [...message.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  for (const [pattern, slot, control] of routes) {
    const hit = pattern instanceof RegExp ? pattern.test(message) : named.includes(pattern);
    if (hit) {
      showError(slot, err);
      if (control) control.setAttribute("aria-invalid", "true");
      return slot;
    }
  }
  showError(fallback, err);
  return fallback;
}

export function clearErrors(routes, fallback) {
  for (const [, slot, control] of routes) {
    showError(slot, null);
    if (control) control.removeAttribute("aria-invalid");
  }
  showError(fallback, null);
}

// The live preview of the Pixelize and Snap pages, over the page's `state` object.
// `schedulePreview` runs `work` `delayMs` after the last change: the preview is stale
// from the change on, so `status` spins until the re-run is shown.
export function schedulePreview(state, status, delayMs, work) {
  return () => {
    if (!state.source) return;
    state.scheduled = true;
    status.classList.add("busy");
    clearTimeout(state.timer);
    state.timer = setTimeout(() => { state.scheduled = false; work(); }, delayMs);
  };
}

// One preview run at a time for the page state `mine`: asked again while one runs, it
// runs once more (`again`) when that ends; `status` stops spinning once nothing is
// running, pending or scheduled. `current()` is the page's state now (the user may
// have left the page, which makes a new one).
export async function runPreview(mine, current, status, work, again) {
  if (mine.running) { mine.pending = true; return; }
  mine.running = true;
  status.classList.add("busy");
  try {
    await work();
  } finally {
    mine.running = false;
    if (current() === mine) {
      if (mine.pending) { mine.pending = false; again(); }
      else if (!mine.scheduled) status.classList.remove("busy");
    }
  }
}
