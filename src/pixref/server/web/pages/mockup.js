// Mockup: combine generations and photos as layers — place, mask, adjust, blend — then
// render, export PSD/ORA/PNG or send to img2img. The document lives on the server
// (/api/mockups); every edit goes through the API. The canvas shows the server's render
// of the stored document, and a drawing of its own while something moves.
import { getJSON, postJSON, send } from "../lib/api.js";
import { confirmDialog, showDialog } from "../lib/dialog.js";
import { debounce, el, ensureStyle, field, showError, toast } from "../lib/dom.js";
import * as R from "../lib/mockup-render.js";
import { imageUrl, sendTo, thumbUrl } from "../lib/nav.js";

const API = "/api/mockups";
const LAST = "pixref.mockup.last";
const ZOOMS = [0.125, 0.25, 1 / 3, 0.5, 2 / 3, 1, 2, 3, 4, 6, 8, 12, 16];
const TOOLS = [
  ["move", "Move", "V", "select, move, scale (corners), rotate (knob)"],
  ["rect", "Rect", "R", "rectangle mask"],
  ["ellipse", "Ellipse", "E", "ellipse mask"],
  ["lasso", "Lasso", "L", "freehand polygon mask"],
  ["brush", "Brush", "B", "paint mask strokes"],
];
const ADJUST = [
  ["brightness", "Brightness", -1, 1, 0.01], ["contrast", "Contrast", -1, 1, 0.01],
  ["hue", "Hue °", -180, 180, 1], ["saturation", "Saturation", -1, 1, 0.01],
  ["lightness", "Lightness", -1, 1, 0.01],
];
const LEVELS = [
  ["in_low", "In black", 0, 1, 0.01, 0], ["in_high", "In white", 0, 1, 0.01, 1],
  ["gamma", "Gamma", 0.1, 5, 0.01, 1], ["out_low", "Out black", 0, 1, 0.01, 0],
  ["out_high", "Out white", 0, 1, 0.01, 1],
];
const BALANCE = [["Red", 0], ["Green", 1], ["Blue", 2]];
const HANDLE = 7; // screen pixels around a handle that grab it

let S = null; // the page's state while mounted

// ------------------------------------------------------------------ small helpers

const svgNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}) {
  const node = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
const number = (attrs) => el("input", { type: "number", ...attrs });
const round = (v, places = 2) => Math.round(v * 10 ** places) / 10 ** places;
const docUrl = (...parts) => [`${API}/${encodeURIComponent(S.name)}`, ...parts].join("/");
const layers = () => (S.doc ? R.walk(S.doc.layers) : []);
const findLayer = (name) => layers().find((x) => x.layer.name === name)?.layer || null;
const selectedLayer = () => (S.selected ? findLayer(S.selected) : null);

// How the API addresses a layer: its name, or its position (1 = bottom) when the name
// cannot travel in a URL path.
function layerRef(name) {
  const all = layers();
  const safe = !name.includes("/") && name !== "." && name !== ".." && !/^\d+$/.test(name);
  return encodeURIComponent(safe ? name : String(all.findIndex((x) => x.layer.name === name) + 1));
}

// The file route of a path source or mask image stored in this mockup's folder.
function fileUrl(path) {
  const prefix = `${S.name}.layers/`;
  if (!path.startsWith(prefix) || path.slice(prefix.length).includes("/")) return null;
  return docUrl("files", encodeURIComponent(path.slice(prefix.length)));
}

function sourceUrl(source) {
  if (source.library !== undefined) return imageUrl(source.library);
  if (source.path !== undefined) return fileUrl(source.path);
  return null;
}

// A layer's source size in pixels; null while its image loads.
function sourceSize(layer) {
  if (layer.source.color !== undefined) return layer.source.size || [S.doc.width, S.doc.height];
  const image = S.images.get(R.sourceKey(layer.source));
  return image ? [image.width, image.height] : null;
}

function matrixOf(layer) {
  const size = sourceSize(layer);
  return size ? { M: R.layerMatrix(layer, ...size), w: size[0], h: size[1] } : null;
}

function toolError(message) {
  showError(S.ui.maskError, message);
  S.ui.maskDetails.open = true;
}

// ------------------------------------------------------------------ talking to the server

// Edits run one at a time, in order. When the last one is done the page takes the
// server's document (or, after a refused edit, reads it again): the stored document is
// what the page shows.
function commit(request, slot, onDone) {
  const state = S;
  state.pending += 1;
  state.queue = state.queue.then(async () => {
    try {
      const out = await request();
      if (slot) showError(slot, null);
      if (out && out.document && out.name === state.name) state.latest = out;
      if (onDone && S === state) onDone(out);
    } catch (err) {
      state.failed = true;
      if (slot) showError(slot, err);
      else toast(err.message, { error: true });
    } finally {
      state.pending -= 1;
      if (state.pending === 0 && S === state) await settle();
    }
  });
  return state.queue;
}

async function settle() {
  if (S.drag || S.nudge) return; // a local change is on its way; it settles after
  let out = S.latest;
  S.latest = null;
  if (S.failed) {
    S.failed = false;
    try {
      out = await getJSON(docUrl());
    } catch (err) {
      showError(S.ui.docError, err);
      return;
    }
  }
  if (out && S) applyDoc(out.document);
}

function applyDoc(doc) {
  S.doc = doc;
  S.version += 1;
  if (S.selected && !findLayer(S.selected)) S.selected = null;
  loadImages();
  renderLayerList();
  renderProps();
  sizeStage();
  draw();
  schedulePreview();
}

// A change made here first (drag, slider, nudge): draw it now, store it after.
function localChanged() {
  S.version += 1;
  draw();
  setStatus("live", "live preview");
}

function patchLayer(name, changes, slot = S.ui.propsError) {
  const ref = layerRef(name);
  const layer = findLayer(name);
  if (layer) {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete layer[key];
      else layer[key] = value;
    }
    if (changes.name) S.selected = changes.name;
    localChanged();
    if (changes.name || "visible" in changes) renderLayerList();
  }
  const url = docUrl("layers", ref);
  return commit(() => send("PATCH", url, changes), slot);
}

const refreshPreview = async () => {
  if (!S || !S.doc) return;
  const state = S;
  const version = S.version;
  setStatus("busy", "rendering…");
  try {
    const response = await fetch(docUrl("preview"), { headers: { Accept: "image/png, application/json" } });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error(body?.detail || `the server answered ${response.status}`);
    }
    const bitmap = await createImageBitmap(await response.blob());
    if (S !== state || S.version !== version) return;
    showError(S.ui.stageError, null);
    S.truth = bitmap;
    S.truthVersion = version;
    draw();
  } catch (err) {
    if (S !== state) return;
    showError(S.ui.stageError, err);
    setStatus("live", "live preview");
  }
};
const schedulePreview = debounce(refreshPreview, 120);

// Images for the live drawing: sources and mask images, each fetched once.
function loadImages() {
  const wanted = [];
  for (const { layer } of layers()) {
    if (layer.source.color === undefined) wanted.push([R.sourceKey(layer.source), sourceUrl(layer.source), S.images]);
    for (const item of layer.mask || []) {
      if (item.image) wanted.push([item.image, fileUrl(item.image), S.maskImages]);
    }
  }
  for (const [key, url, into] of wanted) {
    if (into.has(key) || S.loading.has(key) || !url) continue;
    S.loading.add(key);
    const state = S;
    fetch(url)
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(`${r.status}`))))
      .then((blob) => createImageBitmap(blob))
      .then((bitmap) => {
        if (S !== state) return;
        into.set(key, bitmap);
        renderLayerList();
        draw();
      })
      .catch(() => { /* the server's render shows it, or says why not */ })
      .finally(() => state.loading.delete(key));
  }
}

// ------------------------------------------------------------------ drawing

function setStatus(state, text) {
  S.ui.status.dataset.state = state;
  S.ui.status.textContent = text;
}

function draw() {
  if (!S || S.raf) return;
  S.raf = requestAnimationFrame(() => {
    if (!S) return;
    S.raf = 0;
    paint();
  });
}

function paint() {
  const { canvas } = S.ui;
  if (!S.doc) return;
  const ctx = canvas.getContext("2d");
  if (S.truth && S.truthVersion === S.version) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(S.truth, 0, 0);
    setStatus("server", "server render");
  } else {
    R.drawDocument(ctx, S.doc, S.images, S.maskImages, S.cache);
  }
  paintOverlay();
}

function toScreen(p) {
  return [p[0] * S.zoom, p[1] * S.zoom];
}

const pointsAttr = (pts) => pts.map((p) => toScreen(p).map((v) => v.toFixed(1)).join(",")).join(" ");

function handlesOf(layer) {
  const m = matrixOf(layer);
  if (!m) return null;
  const quad = R.corners(layer, m.w, m.h);
  const screen = quad.map(toScreen);
  const centre = screen.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
  const top = [(screen[0][0] + screen[1][0]) / 2, (screen[0][1] + screen[1][1]) / 2];
  const len = Math.hypot(top[0] - centre[0], top[1] - centre[1]) || 1;
  const knob = [top[0] + ((top[0] - centre[0]) / len) * 24, top[1] + ((top[1] - centre[1]) / len) * 24];
  return { ...m, quad, screen, centre, top, knob };
}

function maskOutline(item, M, w, h) {
  const pts = item.points || [];
  if (item.shape === "rect") {
    const [[x0, y0], [x1, y1]] = pts;
    return { pts: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]].map((p) => R.apply(M, p)), closed: true };
  }
  if (item.shape === "ellipse") {
    const [[x0, y0], [x1, y1]] = pts;
    const out = [];
    for (let i = 0; i < 48; i += 1) {
      const t = (i / 48) * 2 * Math.PI;
      out.push(R.apply(M, [(x0 + x1) / 2 + (Math.cos(t) * (x1 - x0)) / 2, (y0 + y1) / 2 + (Math.sin(t) * (y1 - y0)) / 2]));
    }
    return { pts: out, closed: true };
  }
  if (item.shape === "polygon") return { pts: pts.map((p) => R.apply(M, p)), closed: true };
  if (item.shape === "stroke") return { pts: pts.map((p) => R.apply(M, p)), closed: false, width: item.width ?? 16 };
  return { pts: [[0, 0], [w, 0], [w, h], [0, h]].map((p) => R.apply(M, p)), closed: true };
}

function paintOverlay() {
  const { overlay } = S.ui;
  overlay.replaceChildren();
  const layer = selectedLayer();
  if (!layer) return;
  const h = handlesOf(layer);
  if (!h) return;
  const scale = Math.hypot(h.M[0], h.M[1]) * S.zoom;
  for (const item of [...(layer.mask || []), ...(S.draft ? [S.draft] : [])]) {
    const outline = maskOutline(item, h.M, h.w, h.h);
    const attrs = { points: pointsAttr(outline.pts), class: item === S.draft ? "mk-draft" : "mk-mask-outline" };
    if (outline.width) {
      attrs.style = `stroke-width: ${Math.max(1, outline.width * scale).toFixed(1)}px`;
      attrs.class += " mk-stroke";
    }
    overlay.append(svg(outline.closed ? "polygon" : "polyline", attrs));
  }
  overlay.append(svg("polygon", { points: pointsAttr(h.quad), class: "mk-select-under" }));
  overlay.append(svg("polygon", { points: pointsAttr(h.quad), class: "mk-select" }));
  if (S.tool !== "move" || layer.perspective) return;
  overlay.append(svg("line", { x1: h.top[0], y1: h.top[1], x2: h.knob[0], y2: h.knob[1], class: "mk-select" }));
  overlay.append(svg("circle", { cx: h.knob[0], cy: h.knob[1], r: 5, class: "mk-handle", "data-handle": "rotate" }));
  h.screen.forEach(([x, y], i) => overlay.append(svg("rect", {
    x: x - 4, y: y - 4, width: 8, height: 8, class: "mk-handle", "data-handle": `corner${i}`,
  })));
}

// ------------------------------------------------------------------ zoom

function fitZoom() {
  const { viewport } = S.ui;
  const w = viewport.clientWidth - 16;
  const h = viewport.clientHeight - 16;
  const z = Math.max(1 / 16, Math.min(w / S.doc.width, h / S.doc.height));
  return z >= 1 ? Math.min(16, Math.floor(z)) : z; // whole multiples when enlarging: every pixel the same size
}

function sizeStage() {
  if (!S.doc) return;
  const { canvas, overlay, stage, zoomLabel } = S.ui;
  if (canvas.width !== S.doc.width || canvas.height !== S.doc.height) {
    canvas.width = S.doc.width;
    canvas.height = S.doc.height;
  }
  if (S.fit) S.zoom = fitZoom();
  const w = Math.round(S.doc.width * S.zoom);
  const h = Math.round(S.doc.height * S.zoom);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  stage.style.width = `${w}px`;
  stage.style.height = `${h}px`;
  overlay.setAttribute("width", w);
  overlay.setAttribute("height", h);
  zoomLabel.textContent = `${Math.round(S.zoom * 100)}%`;
  paintOverlay();
}

function setZoom(zoom) {
  S.fit = zoom === "fit";
  if (!S.fit) S.zoom = Math.min(16, Math.max(1 / 16, zoom));
  sizeStage();
}

function stepZoom(direction) {
  const next = direction > 0 ? ZOOMS.find((z) => z > S.zoom + 1e-6) : [...ZOOMS].reverse().find((z) => z < S.zoom - 1e-6);
  setZoom(next ?? S.zoom);
}

// ------------------------------------------------------------------ pointer on the canvas

function docPoint(event) {
  const box = S.ui.canvas.getBoundingClientRect();
  return [((event.clientX - box.left) * S.doc.width) / box.width, ((event.clientY - box.top) * S.doc.height) / box.height];
}

function inside(layer, p) {
  const m = matrixOf(layer);
  if (!m) return false;
  const [x, y] = R.apply(R.invert(m.M), p);
  return x >= 0 && y >= 0 && x < m.w && y < m.h;
}

function hitLayer(p) {
  const all = layers().filter((x) => x.layer.visible !== false);
  for (let i = all.length - 1; i >= 0; i -= 1) if (inside(all[i].layer, p)) return all[i].layer;
  return null;
}

function onPointerDown(event) {
  if (!S.doc || event.button !== 0) return;
  S.ui.viewport.focus({ preventScroll: true });
  const p = docPoint(event);
  const screen = [p[0] * S.zoom, p[1] * S.zoom];
  let layer = selectedLayer();
  if (S.tool !== "move") {
    if (!layer) return toolError("select a layer to mask first");
    const m = matrixOf(layer);
    if (!m) return;
    const q = R.apply(R.invert(m.M), p).map((v) => round(v));
    const shape = { rect: "rect", ellipse: "ellipse", lasso: "polygon", brush: "stroke" }[S.tool];
    S.draft = { shape, points: shape === "rect" || shape === "ellipse" ? [q, q] : [q] };
    if (shape === "stroke") S.draft.width = Number(S.ui.brush.value) || 16;
    S.drag = { kind: "mask", name: layer.name, inverse: R.invert(m.M), last: screen };
    S.ui.overlay.setPointerCapture(event.pointerId);
    paintOverlay();
    return;
  }
  const h = layer && !layer.perspective ? handlesOf(layer) : null;
  const near = (q) => Math.hypot(q[0] - screen[0], q[1] - screen[1]) <= HANDLE;
  let kind = null;
  if (h && near(h.knob)) kind = "rotate";
  else if (h && h.screen.some(near)) kind = "scale";
  else if (layer && inside(layer, p)) kind = "move";
  else {
    layer = hitLayer(p);
    if (layer) kind = "move";
    select(layer ? layer.name : null);
  }
  if (!kind) return;
  const m = handlesOf(layer);
  const centre = m ? [m.centre[0] / S.zoom, m.centre[1] / S.zoom] : p;
  S.drag = {
    kind, name: layer.name, start: p, centre, moved: false,
    x: layer.x || 0, y: layer.y || 0, scale: R.scaleOf(layer), rotate: layer.rotate || 0,
    perspective: layer.perspective, size: m ? [m.w, m.h] : [0, 0],
  };
  S.ui.overlay.setPointerCapture(event.pointerId);
}

function onPointerMove(event) {
  const d = S?.drag;
  if (!d) return;
  const p = docPoint(event);
  const layer = findLayer(d.name);
  if (!layer) return;
  if (d.kind === "mask") {
    const q = R.apply(d.inverse, p).map((v) => round(v));
    const screen = [p[0] * S.zoom, p[1] * S.zoom];
    if (S.draft.shape === "rect" || S.draft.shape === "ellipse") S.draft.points[1] = q;
    else if (Math.hypot(screen[0] - d.last[0], screen[1] - d.last[1]) >= 3) {
      S.draft.points.push(q);
      d.last = screen;
    }
    paintOverlay();
    return;
  }
  d.moved = true;
  if (d.kind === "move") {
    let dx = p[0] - d.start[0];
    let dy = p[1] - d.start[1];
    if (event.shiftKey) (Math.abs(dx) > Math.abs(dy) ? (dy = 0) : (dx = 0));
    dx = Math.round(dx);
    dy = Math.round(dy);
    if (d.perspective) layer.perspective = d.perspective.map(([x, y]) => [x + dx, y + dy]);
    else {
      layer.x = d.x + dx;
      layer.y = d.y + dy;
    }
  } else if (d.kind === "scale") {
    const r0 = Math.hypot(d.start[0] - d.centre[0], d.start[1] - d.centre[1]) || 1;
    const r1 = Math.hypot(p[0] - d.centre[0], p[1] - d.centre[1]);
    const f = Math.max(0.001, r1 / r0);
    const [sx, sy] = d.scale.map((s) => Math.min(100, Math.max(0.001, round(s * f, 4))));
    layer.scale = sx === sy ? sx : [sx, sy];
    layer.x = round(d.centre[0] - (d.size[0] * sx) / 2);
    layer.y = round(d.centre[1] - (d.size[1] * sy) / 2);
  } else if (d.kind === "rotate") {
    const a0 = Math.atan2(d.start[1] - d.centre[1], d.start[0] - d.centre[0]);
    const a1 = Math.atan2(p[1] - d.centre[1], p[0] - d.centre[0]);
    let angle = d.rotate + ((a1 - a0) * 180) / Math.PI;
    if (event.shiftKey) angle = Math.round(angle / 15) * 15;
    angle = ((((angle + 180) % 360) + 360) % 360) - 180;
    layer.rotate = round(angle, 1);
  }
  localChanged();
  renderProps();
}

function onPointerUp() {
  const d = S?.drag;
  if (!d) return;
  S.drag = null;
  const layer = findLayer(d.name);
  if (d.kind === "mask") {
    const item = S.draft;
    S.draft = null;
    paintOverlay();
    if (layer) finishMaskShape(layer, item);
    return;
  }
  if (!layer || !d.moved) return settleSoon();
  const changes = d.kind === "move"
    ? (d.perspective ? { perspective: layer.perspective } : { x: layer.x, y: layer.y })
    : d.kind === "scale" ? { scale: layer.scale, x: layer.x, y: layer.y } : { rotate: layer.rotate };
  patchLayer(d.name, changes, S.ui.stageError);
}

// Escape during a drag: put the layer back where it was; nothing is stored.
function cancelDrag() {
  const d = S.drag;
  S.drag = null;
  S.draft = null;
  const layer = findLayer(d.name);
  if (layer && d.kind !== "mask" && d.moved) {
    const [sx, sy] = d.scale;
    Object.assign(layer, { x: d.x, y: d.y, scale: sx === sy ? sx : [sx, sy], rotate: d.rotate });
    if (d.perspective) layer.perspective = d.perspective;
    localChanged();
    renderProps();
    schedulePreview();
  }
  paintOverlay();
  settleSoon();
}

// A server answer that came during a drag is applied once the drag is over.
function settleSoon() {
  if (S.pending === 0 && (S.latest || S.failed)) settle();
}

function finishMaskShape(layer, item) {
  const pts = item.points;
  if (item.shape === "rect" || item.shape === "ellipse") {
    const [[x0, y0], [x1, y1]] = pts;
    if (Math.abs(x1 - x0) < 1 || Math.abs(y1 - y0) < 1) return toolError("drag to draw the shape (it was empty)");
    item.points = [[Math.min(x0, x1), Math.min(y0, y1)], [Math.max(x0, x1), Math.max(y0, y1)]];
  } else if (item.shape === "polygon" && Math.abs(area(pts)) < 1) {
    return toolError("drag around the area to keep (the lasso enclosed nothing)");
  }
  addMaskItem(layer, item);
}

function area(pts) {
  let twice = 0;
  pts.forEach(([x0, y0], i) => {
    const [x1, y1] = pts[(i + 1) % pts.length];
    twice += x0 * y1 - x1 * y0;
  });
  return twice / 2;
}

function maskOptions() {
  const { feather, op, invert } = S.ui;
  const out = { feather: Math.max(0, Number(feather.value) || 0), op: op.value };
  if (invert.checked) out.invert = true;
  return out;
}

function addMaskItem(layer, shape) {
  const item = { ...shape, ...maskOptions() };
  layer.mask = [...(layer.mask || []), item];
  localChanged();
  renderProps();
  const url = docUrl("layers", layerRef(layer.name), "mask");
  commit(() => postJSON(url, item), S.ui.maskError);
}

// The document's mask items as the API takes them (an image mask by its `file`).
function maskForApi(items) {
  return items.map((item) => {
    const out = { ...item };
    if (out.image) {
      out.file = out.image.split("/").pop();
      delete out.image;
    }
    return out;
  });
}

// ------------------------------------------------------------------ keyboard

function onKey(event) {
  if (!S || !S.doc || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest?.("input, textarea, select, [contenteditable], dialog") || document.querySelector("dialog[open]")) return;
  const key = event.key;
  const step = event.shiftKey ? 10 : 1;
  const arrows = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  const layer = selectedLayer();
  if (arrows[key]) {
    if (!layer) return;
    event.preventDefault();
    nudge(layer, ...arrows[key]);
  } else if (key === "Delete" || key === "Backspace") {
    if (!layer) return;
    event.preventDefault();
    removeLayer(layer.name);
  } else if (key === "Escape") {
    if (S.drag) cancelDrag();
    else select(null);
  } else if (key === "PageUp" || key === "PageDown") {
    if (!layer) return;
    event.preventDefault();
    restack(layer.name, key === "PageUp" ? "up" : "down");
  } else if (!event.shiftKey || key === "+") {
    const tool = TOOLS.find((t) => t[2].toLowerCase() === key.toLowerCase());
    if (tool) setTool(tool[0]);
    else if (key === "+" || key === "=") stepZoom(1);
    else if (key === "-") stepZoom(-1);
    else if (key === "0") setZoom("fit");
    else if (key === "1") setZoom(1);
  }
}

function nudge(layer, dx, dy) {
  if (S.nudge && S.nudge.name !== layer.name) flushNudge();
  if (layer.perspective) layer.perspective = layer.perspective.map(([x, y]) => [x + dx, y + dy]);
  else {
    layer.x = (layer.x || 0) + dx;
    layer.y = (layer.y || 0) + dy;
  }
  localChanged();
  renderProps();
  clearTimeout(S.nudge?.timer);
  S.nudge = { name: layer.name, timer: setTimeout(flushNudge, 300) };
}

function flushNudge() {
  if (!S || !S.nudge) return;
  const { name, timer } = S.nudge;
  clearTimeout(timer);
  S.nudge = null;
  const layer = findLayer(name);
  if (!layer) return;
  patchLayer(name, layer.perspective ? { perspective: layer.perspective } : { x: layer.x || 0, y: layer.y || 0 }, S.ui.stageError);
}

// ------------------------------------------------------------------ layer actions

function select(name) {
  S.selected = name;
  renderLayerList();
  renderProps();
  paintOverlay();
}

function setTool(tool) {
  S.tool = tool;
  for (const b of S.ui.tools) b.setAttribute("aria-pressed", String(b.dataset.tool === tool));
  S.ui.stage.dataset.tool = tool;
  if (tool !== "move") S.ui.maskDetails.open = true;
  paintOverlay();
}

async function removeLayer(name) {
  if (!(await confirmDialog(`Remove layer “${name}” from ${S.name}?`, { ok: "Remove" }))) return;
  const url = docUrl("layers", layerRef(name));
  commit(() => send("DELETE", url), S.ui.layersError);
  if (S.selected === name) select(null);
}

function restack(name, to) {
  const url = docUrl("layers", layerRef(name), "order");
  commit(() => postJSON(url, { to }), S.ui.layersError);
}

const selectTop = (out) => {
  if (S && out?.layers?.length) S.selected = out.layers[out.layers.length - 1];
};

function uploadLayers(files, at = null) {
  for (const file of files) {
    const form = new FormData();
    form.append("file", file);
    if (at) {
      form.append("x", String(Math.round(at[0])));
      form.append("y", String(Math.round(at[1])));
    }
    const url = docUrl("layers", "upload");
    commit(() => send("POST", url, form), S.ui.layersError, selectTop);
  }
}

function addLibraryLayer(id) {
  const url = docUrl("layers");
  return commit(() => postJSON(url, { source: { library: Number(id) } }), S.ui.layersError, selectTop);
}

async function pickFromLibrary() {
  const grid = el("div", { class: "mk-pick-grid" });
  const search = el("input", { type: "search", placeholder: "search the library", "aria-label": "Search the library" });
  const error = el("div", { class: "error" });
  const close = el("button", { type: "button" }, "Close");
  const dialog = el("dialog", { class: "ui-dialog mk-pick", "aria-label": "Add from the library" },
    el("h2", {}, "Add a layer from the library"), search, error, grid, el("div", { class: "ui-dialog-buttons" }, close));
  close.addEventListener("click", () => dialog.close());
  const load = async () => {
    showError(error, null);
    try {
      const q = new URLSearchParams({ limit: "48" });
      if (search.value.trim()) q.set("q", search.value.trim());
      const list = await getJSON(`/api/library?${q}`);
      grid.replaceChildren(...list.entries.map((e) => el("button", {
        type: "button", class: "mk-pick-item", title: `#${e.id} ${e.prompt || e.filename}`,
        onclick: () => { dialog.close(); addLibraryLayer(e.id); },
      }, el("img", { src: e.thumbnail_url.replace("size=256", "size=128"), alt: "", loading: "lazy" }), el("span", {}, `#${e.id}`))));
      if (!list.entries.length) grid.append(el("p", { class: "muted" }, "nothing found"));
    } catch (err) {
      showError(error, err);
    }
  };
  search.addEventListener("input", debounce(load, 250));
  showDialog(dialog);
  await load();
}

// ------------------------------------------------------------------ mockups

async function refreshList() {
  const list = await getJSON(API);
  S.list = list.map((m) => m.name);
  const { picker } = S.ui;
  picker.replaceChildren(...list.map((m) => el("option", { value: m.name }, `${m.name} · ${m.width}×${m.height}`)));
  if (S.name) picker.value = S.name;
  S.ui.newDetails.open = !list.length;
  S.ui.newName.value = freeName("mockup");
  return S.list;
}

function freeName(base) {
  let n = 1;
  while (S.list.includes(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

async function open(name) {
  await S.queue;
  const out = await getJSON(`${API}/${encodeURIComponent(name)}`);
  S.name = out.name;
  S.selected = null;
  S.truth = null;
  S.images = new Map();
  S.maskImages = new Map();
  S.cache = new Map();
  S.fit = true;
  localStorage.setItem(LAST, S.name);
  history.replaceState(null, "", `#/mockup/${encodeURIComponent(S.name)}`);
  S.ui.picker.value = S.name;
  S.ui.root.classList.remove("mk-empty");
  S.ui.result.replaceChildren();
  for (const slot of [S.ui.outputError, S.ui.stageError, S.ui.layersError, S.ui.canvasError]) showError(slot, null);
  fillCanvasForm(out.document);
  applyDoc(out.document);
}

// `?image=ID`: add the library entry to the open mockup (or to NAME of #/mockup/NAME),
// or start a new mockup the image's size when there is none; an entry that is already a
// layer there is selected, not added again.
async function openWithImage(id, name) {
  const entry = await getJSON(`/api/library/${encodeURIComponent(id)}`);
  const last = localStorage.getItem(LAST);
  const target = name || (S.list.includes(last) ? last : null);
  if (!target) {
    const fresh = S.list.includes(`entry-${entry.id}`) ? freeName(`entry-${entry.id}`) : `entry-${entry.id}`;
    await postJSON(API, { name: fresh, width: entry.width, height: entry.height });
    await postJSON(`${API}/${fresh}/layers`, { source: { library: entry.id } });
    await refreshList();
    await open(fresh);
    select(findLayer(`#${entry.id}`) ? `#${entry.id}` : null);
    return;
  }
  await open(target);
  const present = layers().find((x) => x.layer.source.library === entry.id);
  if (present) return select(present.layer.name);
  await addLibraryLayer(entry.id);
  toast(`library #${entry.id} added to ${target}`);
}

async function createMockup(slot) {
  const { newName, newWidth, newHeight, newBgOn, newBg } = S.ui;
  const body = { name: newName.value.trim(), width: Number(newWidth.value), height: Number(newHeight.value) };
  if (newBgOn.checked) body.background = newBg.value;
  try {
    await postJSON(API, body);
    showError(slot, null);
    await refreshList();
    await open(body.name);
  } catch (err) {
    showError(slot, err);
  }
}

async function deleteMockup() {
  if (!S.name || !(await confirmDialog(`Delete mockup “${S.name}” and its uploaded files?`, { ok: "Delete" }))) return;
  try {
    await send("DELETE", `${API}/${encodeURIComponent(S.name)}`);
    localStorage.removeItem(LAST);
    const list = await refreshList();
    if (list.length) await open(list[0]);
    else showEmpty();
  } catch (err) {
    showError(S.ui.docError, err);
  }
}

function showEmpty() {
  S.name = null;
  S.doc = null;
  S.ui.root.classList.add("mk-empty");
  history.replaceState(null, "", "#/mockup");
  renderLayerList();
  renderProps();
}

function fillCanvasForm(doc) {
  const { cvWidth, cvHeight, cvBgOn, cvBg, cvResample } = S.ui;
  cvWidth.value = doc.width;
  cvHeight.value = doc.height;
  cvBgOn.checked = Boolean(doc.background);
  cvBg.value = (doc.background || "#ffffff").slice(0, 7);
  cvResample.value = doc.resample || "bicubic";
}

function applyCanvas() {
  const { cvWidth, cvHeight, cvBgOn, cvBg, cvResample, canvasError } = S.ui;
  const doc = structuredClone(S.doc);
  doc.width = Number(cvWidth.value);
  doc.height = Number(cvHeight.value);
  if (cvBgOn.checked) doc.background = cvBg.value;
  else delete doc.background;
  doc.resample = cvResample.value;
  S.fit = true;
  const url = docUrl();
  commit(() => send("PUT", url, { document: doc }), canvasError);
}

async function importLayered(file, name, slot) {
  const form = new FormData();
  form.append("file", file);
  if (name) form.append("name", name);
  try {
    const out = await send("POST", `${API}/import`, form);
    showError(slot, null);
    await refreshList();
    await open(out.name);
  } catch (err) {
    showError(slot, err);
  }
}

// ------------------------------------------------------------------ output

async function renderDoc() {
  await S.queue;
  const out = await postJSON(docUrl("render"));
  const id = out.image.image_id;
  const { result } = S.ui;
  result.replaceChildren();
  if (id === null || id === undefined) {
    result.append(el("p", { class: "muted" }, `rendered, not logged: ${(out.warnings || []).join("; ")}`));
    return null;
  }
  result.append(el("a", { href: `#/library/${id}`, class: "mk-result", title: `library #${id}` },
    el("img", { src: thumbUrl(id, 128), alt: `render, library #${id}` }), `library #${id}`));
  return id;
}

function download(href, filename) {
  const a = el("a", { href, download: filename, class: "hidden" });
  document.body.append(a);
  a.click();
  a.remove();
}

function outputAction(button, action) {
  button.addEventListener("click", async () => {
    const { outputError, outputButtons } = S.ui;
    showError(outputError, null);
    for (const b of outputButtons) b.disabled = true;
    try {
      await action();
    } catch (err) {
      showError(outputError, err);
    } finally {
      for (const b of outputButtons) b.disabled = false;
    }
  });
}

async function exportAs(format) {
  await S.queue;
  const response = await fetch(docUrl(`export?format=${format}`));
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error(body?.detail || `the server answered ${response.status}`);
  }
  const url = URL.createObjectURL(await response.blob());
  download(url, `${S.name}.${format}`);
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ------------------------------------------------------------------ the panels

// Rebuild `container`'s children keeping the keyboard focus on the control with the same
// data-key (a list redrawn under the caret must not drop it).
function keepFocus(container, rebuild) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  rebuild();
  if (key !== undefined) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

function renderLayerList() {
  keepFocus(S.ui.layerList, buildLayerList);
  S.ui.layerButtons.forEach((b) => { b.disabled = !S.selected; });
}

function buildLayerList() {
  const { layerList } = S.ui;
  const items = layers().reverse(); // top of the stack first, as painting apps list them
  layerList.replaceChildren(...items.map(({ layer, group }) => {
    const visible = el("input", {
      type: "checkbox", checked: layer.visible !== false, "aria-label": `Show ${layer.name}`, title: "visible",
      dataset: { key: `visible:${layer.name}` },
      onchange: () => patchLayer(layer.name, { visible: visible.checked ? null : false }, S.ui.layersError),
    });
    const thumb = el("canvas", { class: "mk-thumb checker", width: 28, height: 28, "aria-hidden": "true" });
    drawThumb(thumb, layer);
    const label = el("button", {
      type: "button", class: "mk-layer-name", "aria-pressed": String(layer.name === S.selected),
      dataset: { key: `select:${layer.name}` },
      onclick: () => select(layer.name),
    }, thumb, el("span", {}, group ? el("span", { class: "muted" }, `${group} / `) : null, layer.name),
    layer.blend && layer.blend !== "normal" ? el("span", { class: "mk-badge" }, layer.blend.replace("_", " ")) : null,
    layer.opacity !== undefined && layer.opacity !== 1 ? el("span", { class: "mk-badge" }, `${Math.round(layer.opacity * 100)}%`) : null,
    layer.mask?.length ? el("span", { class: "mk-badge", title: "masked" }, "◐") : null);
    return el("li", { class: layer.name === S.selected ? "selected" : "", dataset: { name: layer.name } }, visible, label);
  }));
  if (!items.length && S.doc) layerList.append(el("li", { class: "muted mk-hint" }, "No layers yet: add an image below, or drop files on the canvas."));
}

function drawThumb(canvas, layer) {
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  if (layer.source.color !== undefined) {
    ctx.fillStyle = layer.source.color;
    ctx.fillRect(0, 0, 28, 28);
    return;
  }
  const image = S.images.get(R.sourceKey(layer.source));
  if (!image) return;
  const s = Math.min(28 / image.width, 28 / image.height);
  ctx.drawImage(image, (28 - image.width * s) / 2, (28 - image.height * s) / 2, image.width * s, image.height * s);
}

// Fill an input from the document unless someone is typing in it.
function fill(input, value) {
  if (document.activeElement === input) return;
  if (input.type === "checkbox") input.checked = Boolean(value);
  else input.value = value;
}

function renderProps() {
  const { props, noSelection } = S.ui;
  const layer = selectedLayer();
  props.classList.toggle("hidden", !layer);
  noSelection.classList.toggle("hidden", Boolean(layer));
  if (!layer) return;
  const u = S.ui;
  fill(u.name, layer.name);
  fill(u.visible, layer.visible !== false);
  fill(u.opacity, Math.round((layer.opacity ?? 1) * 100));
  u.opacityOut.textContent = `${Math.round((layer.opacity ?? 1) * 100)}%`;
  fill(u.blend, layer.blend || "normal");
  const [sx, sy] = R.scaleOf(layer);
  fill(u.x, round(layer.x || 0));
  fill(u.y, round(layer.y || 0));
  fill(u.sx, round(sx * 100));
  fill(u.sy, round(sy * 100));
  fill(u.rotate, round(layer.rotate || 0, 1));
  u.flipX.setAttribute("aria-pressed", String(Boolean(layer.flip_x)));
  u.flipY.setAttribute("aria-pressed", String(Boolean(layer.flip_y)));
  for (const input of [u.x, u.y, u.sx, u.sy, u.rotate]) input.disabled = Boolean(layer.perspective);
  u.perspectiveNote.classList.toggle("hidden", !layer.perspective);
  const size = sourceSize(layer);
  u.sourceInfo.textContent = `${layer.source.library !== undefined ? `library #${layer.source.library}`
    : layer.source.color !== undefined ? `colour ${layer.source.color}` : "uploaded image"}${size ? ` · ${size[0]}×${size[1]}` : ""}`;
  const adj = layer.adjust || {};
  for (const [key, , , , , input] of u.adjust) fill(input, adj[key] ?? 0);
  for (const [key, , , , , def, input] of u.levels) fill(input, adj.levels?.[key] ?? def);
  u.balance.forEach(([, i, input]) => fill(input, (adj.color_balance || [0, 0, 0])[i]));
  for (const out of u.adjustOutputs) out.refresh();
  if (size && document.activeElement?.closest?.(".mk-mask-add") == null) {
    fill(u.mx, 0);
    fill(u.my, 0);
    fill(u.mw, size[0]);
    fill(u.mh, size[1]);
  }
  renderMaskItems(layer);
}

function renderMaskItems(layer) {
  keepFocus(S.ui.maskList, () => buildMaskItems(layer));
  S.ui.clearMask.disabled = !(layer.mask || []).length;
}

function buildMaskItems(layer) {
  const { maskList } = S.ui;
  const items = layer.mask || [];
  maskList.replaceChildren(...items.map((item, i) => {
    const feather = number({ min: 0, max: 1000, step: 0.5, value: item.feather || 0, "aria-label": `Feather of mask item ${i + 1}`, dataset: { key: `${i}:feather` } });
    const op = el("select", { "aria-label": `Combine mask item ${i + 1}`, dataset: { key: `${i}:op` } }, ["add", "subtract", "intersect"].map((o) => el("option", { value: o }, o)));
    op.value = item.op || "add";
    const invert = el("input", { type: "checkbox", checked: Boolean(item.invert), "aria-label": `Invert mask item ${i + 1}`, dataset: { key: `${i}:invert` } });
    const edit = (change) => {
      const next = items.map((x, j) => (j === i ? change({ ...x }) : x));
      patchLayer(layer.name, { mask: maskForApi(next) }, S.ui.maskError);
    };
    feather.addEventListener("change", () => edit((x) => ({ ...x, feather: Math.max(0, Number(feather.value) || 0) })));
    op.addEventListener("change", () => edit((x) => ({ ...x, op: op.value })));
    invert.addEventListener("change", () => edit((x) => {
      if (invert.checked) x.invert = true;
      else delete x.invert;
      return x;
    }));
    const remove = el("button", { type: "button", class: "icon", "aria-label": `Remove mask item ${i + 1}`, title: "remove",
      onclick: () => patchLayer(layer.name, { mask: items.length > 1 ? maskForApi(items.filter((_, j) => j !== i)) : null }, S.ui.maskError) }, "×");
    return el("li", {}, el("span", { class: "mk-mask-shape" }, `${i + 1}. ${item.shape}`),
      el("label", { class: "inline" }, "feather", feather), op, el("label", { class: "inline" }, invert, "inv"), remove);
  }));
  if (!items.length) maskList.append(el("li", { class: "muted" }, "No mask: the whole layer shows."));
}

// The adjustments the sliders say, in the document's form (defaults left out).
function readAdjust() {
  const u = S.ui;
  const out = {};
  for (const [key, , , , , input] of u.adjust) if (Number(input.value)) out[key] = Number(input.value);
  const levels = {};
  for (const [key, , , , , def, input] of u.levels) if (Number(input.value) !== def) levels[key] = Number(input.value);
  if (Object.keys(levels).length) out.levels = levels;
  const balance = u.balance.map(([, , input]) => Number(input.value));
  if (balance.some((v) => v)) out.color_balance = balance;
  return Object.keys(out).length ? out : null;
}

function slider(label, min, max, stepValue, id) {
  const input = el("input", { type: "range", min, max, step: stepValue, id, "aria-label": label });
  const out = el("output", { for: id });
  out.refresh = () => { out.textContent = Number(input.value).toFixed(stepValue >= 1 ? 0 : 2); };
  input.addEventListener("input", out.refresh);
  input.addEventListener("dblclick", () => {
    input.value = input.dataset.default ?? 0;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  return { input, out, row: el("label", { class: "mk-slider" }, el("span", {}, label), input, out) };
}

function buildAdjust(u) {
  const outputs = [];
  const rows = [];
  const make = (label, min, max, stepValue, id, def = 0) => {
    const s = slider(label, min, max, stepValue, id);
    s.input.dataset.default = def;
    outputs.push(s.out);
    rows.push(s.row);
    return s.input;
  };
  u.adjust = ADJUST.map(([key, label, min, max, stepValue]) => [key, label, min, max, stepValue, make(label, min, max, stepValue, `mk-adj-${key}`)]);
  const levelRows = rows.length;
  u.levels = LEVELS.map(([key, label, min, max, stepValue, def]) => [key, label, min, max, stepValue, def, make(label, min, max, stepValue, `mk-lv-${key}`, def)]);
  const balanceRows = rows.length;
  u.balance = BALANCE.map(([label, i]) => [label, i, make(label, -1, 1, 0.01, `mk-cb-${i}`)]);
  u.adjustOutputs = outputs;
  const onInput = () => {
    const layer = selectedLayer();
    if (!layer) return;
    const adj = readAdjust();
    if (adj) layer.adjust = adj;
    else delete layer.adjust;
    localChanged();
  };
  const onChange = () => {
    const layer = selectedLayer();
    if (layer) patchLayer(layer.name, { adjust: readAdjust() }, u.adjustError);
  };
  const box = el("div", { class: "mk-sliders" },
    rows.slice(0, levelRows), el("h4", {}, "Levels"), rows.slice(levelRows, balanceRows), el("h4", {}, "Colour balance"), rows.slice(balanceRows));
  box.addEventListener("input", onInput);
  box.addEventListener("change", onChange);
  const reset = el("button", { type: "button", onclick: () => {
    const layer = selectedLayer();
    if (layer) patchLayer(layer.name, { adjust: null }, u.adjustError);
  } }, "Reset adjustments");
  return el("details", { class: "panel mk-section" }, el("summary", {}, "Adjust"), box,
    el("p", { class: "muted" }, "Double-click a slider to reset it."), reset, u.adjustError);
}

function buildProps(u) {
  u.name = el("input", { id: "mk-name", type: "text", autocomplete: "off" });
  u.visible = el("input", { id: "mk-visible", type: "checkbox" });
  u.opacity = el("input", { id: "mk-opacity", type: "range", min: 0, max: 100, step: 1 });
  u.opacityOut = el("output", { for: "mk-opacity" });
  u.blend = el("select", { id: "mk-blend" }, R.BLEND_MODES.map((m) => el("option", { value: m }, m.replace("_", " "))));
  u.x = number({ id: "mk-x", step: 1 });
  u.y = number({ id: "mk-y", step: 1 });
  u.sx = number({ id: "mk-sx", step: 1, min: 0.1 });
  u.sy = number({ id: "mk-sy", step: 1, min: 0.1 });
  u.link = el("input", { id: "mk-link", type: "checkbox", checked: true, title: "keep proportions" });
  u.rotate = number({ id: "mk-rotate", step: 1 });
  u.flipX = el("button", { type: "button", id: "mk-flip-x", "aria-pressed": "false" }, "⇋ Flip H");
  u.flipY = el("button", { type: "button", id: "mk-flip-y", "aria-pressed": "false" }, "⇵ Flip V");
  u.sourceInfo = el("div", { class: "muted" });
  u.perspectiveNote = el("p", { class: "muted hidden" }, "This layer has a four-corner perspective: drag or nudge it to move it; ",
    el("button", { type: "button", onclick: () => withLayer((l) => patchLayer(l.name, { perspective: null })) }, "remove perspective"));
  u.propsError = el("div", { class: "error", id: "mk-props-error" });
  u.adjustError = el("div", { class: "error", id: "mk-adjust-error" });
  u.maskError = el("div", { class: "error", id: "mk-mask-error" });

  const withLayer = (fn) => { const layer = selectedLayer(); if (layer) fn(layer); };
  const numberChange = (input, fn) => input.addEventListener("change", () => {
    if (input.value === "" || !Number.isFinite(Number(input.value))) return renderProps();
    withLayer((l) => fn(l, Number(input.value)));
  });
  u.name.addEventListener("change", () => withLayer((l) => {
    const name = u.name.value.trim();
    if (!name) return renderProps();
    if (name !== l.name) patchLayer(l.name, { name });
  }));
  u.visible.addEventListener("change", () => withLayer((l) => patchLayer(l.name, { visible: u.visible.checked ? null : false })));
  u.opacity.addEventListener("input", () => withLayer((l) => {
    l.opacity = Number(u.opacity.value) / 100;
    u.opacityOut.textContent = `${u.opacity.value}%`;
    localChanged();
  }));
  u.opacity.addEventListener("change", () => withLayer((l) => patchLayer(l.name, { opacity: Number(u.opacity.value) / 100 })));
  u.blend.addEventListener("change", () => withLayer((l) => patchLayer(l.name, { blend: u.blend.value })));
  numberChange(u.x, (l, v) => patchLayer(l.name, { x: v }));
  numberChange(u.y, (l, v) => patchLayer(l.name, { y: v }));
  numberChange(u.rotate, (l, v) => patchLayer(l.name, { rotate: v }));
  const setScale = (which) => (l, v) => {
    const [sx, sy] = R.scaleOf(l);
    const f = v / 100;
    const next = u.link.checked ? [f, f] : which === "x" ? [f, sy] : [sx, f];
    patchLayer(l.name, { scale: next[0] === next[1] ? next[0] : next });
  };
  numberChange(u.sx, setScale("x"));
  numberChange(u.sy, setScale("y"));
  u.flipX.addEventListener("click", () => withLayer((l) => patchLayer(l.name, { flip_x: l.flip_x ? null : true })));
  u.flipY.addEventListener("click", () => withLayer((l) => patchLayer(l.name, { flip_y: l.flip_y ? null : true })));
  const resetTransform = el("button", { type: "button", title: "position 0,0, scale 100%, no rotation, flips or perspective",
    onclick: () => withLayer((l) => patchLayer(l.name, { x: null, y: null, scale: null, rotate: null, flip_x: null, flip_y: null, perspective: null })) }, "Reset");

  const layerPanel = el("section", { class: "panel mk-section", "aria-label": "Layer" },
    el("h3", {}, "Layer"), u.sourceInfo,
    el("div", { class: "row mk-name-row" }, field("Name", u.name), el("label", { class: "inline" }, u.visible, "visible")),
    el("label", { class: "mk-slider" }, el("span", {}, "Blend"), u.blend),
    el("label", { class: "mk-slider" }, el("span", {}, "Opacity"), u.opacity, u.opacityOut),
    u.propsError);
  const transformPanel = el("section", { class: "panel mk-section", "aria-label": "Transform" },
    el("h3", {}, "Transform"),
    el("div", { class: "row" }, field("X", u.x), field("Y", u.y), field("Rotate °", u.rotate)),
    el("div", { class: "row" }, field("Scale W %", u.sx), field("Scale H %", u.sy),
      el("label", { class: "inline", title: "keep proportions" }, u.link, "linked")),
    el("div", { class: "row" }, u.flipX, u.flipY, resetTransform), u.perspectiveNote);
  return [layerPanel, transformPanel, buildAdjust(u), buildMask(u)];
}

function buildMask(u) {
  u.feather = number({ id: "mk-feather", min: 0, max: 1000, step: 0.5, value: 0 });
  u.op = el("select", { id: "mk-op" }, ["add", "subtract", "intersect"].map((o) => el("option", { value: o }, o)));
  u.invert = el("input", { id: "mk-invert", type: "checkbox" });
  u.brush = number({ id: "mk-brush", min: 1, max: 2000, step: 1, value: 24 });
  u.maskShape = el("select", { id: "mk-mask-shape", "aria-label": "Shape" }, el("option", { value: "rect" }, "rectangle"), el("option", { value: "ellipse" }, "ellipse"));
  u.mx = number({ id: "mk-mask-x", step: 1 });
  u.my = number({ id: "mk-mask-y", step: 1 });
  u.mw = number({ id: "mk-mask-w", step: 1, min: 1 });
  u.mh = number({ id: "mk-mask-h", step: 1, min: 1 });
  u.maskList = el("ol", { class: "mk-mask-items", id: "mk-mask-items" });
  u.clearMask = el("button", { type: "button", id: "mk-clear-mask", onclick: () => {
    const layer = selectedLayer();
    if (!layer) return;
    const url = docUrl("layers", layerRef(layer.name), "mask");
    commit(() => send("DELETE", url), u.maskError);
  } }, "Clear mask");
  const add = el("button", { type: "button", id: "mk-mask-add", onclick: () => {
    const layer = selectedLayer();
    if (!layer) return;
    const [x, y, w, h] = [u.mx, u.my, u.mw, u.mh].map((i) => Number(i.value));
    if (!(w > 0 && h > 0)) return toolError("give the shape a width and height above 0");
    addMaskItem(layer, { shape: u.maskShape.value, points: [[x, y], [x + w, y + h]] });
  } }, "Add");
  u.maskDetails = el("details", { class: "panel mk-section", open: true },
    el("summary", {}, "Mask"),
    el("p", { class: "muted" }, "Draw with the Rect, Ellipse, Lasso or Brush tool on the canvas; coordinates are the layer's own pixels, so the mask moves with it."),
    el("div", { class: "row" }, field("Feather px", u.feather), field("Combine", u.op), el("label", { class: "inline" }, u.invert, "invert")),
    el("div", { class: "row" }, field("Brush px", u.brush)),
    el("h4", {}, "Add by numbers (layer pixels)"),
    el("div", { class: "row mk-mask-add" }, field("x", u.mx), field("y", u.my), field("w", u.mw), field("h", u.mh)),
    el("div", { class: "row mk-mask-add" }, u.maskShape, add),
    u.maskList, u.clearMask, u.maskError);
  return u.maskDetails;
}

function buildToolbar(u) {
  u.tools = TOOLS.map(([tool, label, key, title]) => el("button", {
    type: "button", class: "mk-tool", dataset: { tool }, "aria-pressed": String(tool === "move"),
    title: `${title} (${key})`, onclick: () => setTool(tool),
  }, label, el("kbd", {}, key)));
  u.zoomLabel = el("span", { class: "mk-zoom", id: "mk-zoom" }, "100%");
  u.status = el("span", { class: "mk-status", id: "mk-status", role: "status", dataset: { state: "idle" } });
  return el("div", { class: "mk-toolbar", role: "toolbar", "aria-label": "Tools and zoom" },
    el("div", { class: "mk-tools" }, u.tools),
    el("div", { class: "mk-zoombar" },
      el("button", { type: "button", class: "icon", title: "Zoom out (-)", "aria-label": "Zoom out", onclick: () => stepZoom(-1) }, "−"),
      u.zoomLabel,
      el("button", { type: "button", class: "icon", title: "Zoom in (+)", "aria-label": "Zoom in", onclick: () => stepZoom(1) }, "+"),
      el("button", { type: "button", title: "Fit (0)", onclick: () => setZoom("fit") }, "Fit"),
      el("button", { type: "button", title: "Actual pixels (1)", onclick: () => setZoom(1) }, "1:1")),
    u.status);
}

function buildSide(u) {
  u.picker = el("select", { id: "mk-select", "aria-label": "Mockup" });
  u.docError = el("div", { class: "error", id: "mk-doc-error" });
  u.picker.addEventListener("change", () => open(u.picker.value).catch((err) => showError(u.docError, err)));
  const del = el("button", { type: "button", class: "icon", title: "Delete this mockup", "aria-label": "Delete mockup", onclick: deleteMockup }, "Delete");

  u.newName = el("input", { id: "mk-new-name", type: "text", autocomplete: "off" });
  u.newWidth = number({ id: "mk-new-width", min: 1, max: 30000, value: 512 });
  u.newHeight = number({ id: "mk-new-height", min: 1, max: 30000, value: 512 });
  u.newBgOn = el("input", { type: "checkbox", id: "mk-new-bg-on" });
  u.newBg = el("input", { type: "color", id: "mk-new-bg", value: "#ffffff", "aria-label": "Background colour" });
  const newError = el("div", { class: "error", id: "mk-new-error" });
  const newForm = el("form", { class: "mk-form" },
    field("Name", u.newName),
    el("div", { class: "row" }, field("Width", u.newWidth), field("Height", u.newHeight)),
    el("div", { class: "row" }, el("label", { class: "inline" }, u.newBgOn, "background"), u.newBg,
      el("button", { type: "submit", class: "primary", id: "mk-create" }, "Create")), newError);
  newForm.addEventListener("submit", (event) => { event.preventDefault(); createMockup(newError); });
  u.newDetails = el("details", {}, el("summary", {}, "New mockup"), newForm);

  u.cvWidth = number({ id: "mk-cv-width", min: 1, max: 30000 });
  u.cvHeight = number({ id: "mk-cv-height", min: 1, max: 30000 });
  u.cvBgOn = el("input", { type: "checkbox", id: "mk-cv-bg-on" });
  u.cvBg = el("input", { type: "color", id: "mk-cv-bg", "aria-label": "Background colour" });
  u.cvResample = el("select", { id: "mk-cv-resample" }, ["nearest", "bilinear", "bicubic"].map((r) => el("option", { value: r }, r)));
  u.canvasError = el("div", { class: "error", id: "mk-canvas-error" });
  const canvasForm = el("form", { class: "mk-form" },
    el("div", { class: "row" }, field("Width", u.cvWidth), field("Height", u.cvHeight)),
    el("div", { class: "row" }, el("label", { class: "inline" }, u.cvBgOn, "background"), u.cvBg, field("Resample", u.cvResample)),
    el("button", { type: "submit" }, "Apply"), u.canvasError);
  canvasForm.addEventListener("submit", (event) => { event.preventDefault(); applyCanvas(); });

  const importInput = el("input", { type: "file", id: "mk-import", accept: ".psd,.ora" });
  const importName = el("input", { type: "text", id: "mk-import-name", autocomplete: "off", placeholder: "the file's name" });
  const importError = el("div", { class: "error", id: "mk-import-error" });
  importInput.addEventListener("change", async () => {
    if (!importInput.files[0]) return;
    await importLayered(importInput.files[0], importName.value.trim(), importError);
    importInput.value = "";
  });

  const mockupPanel = el("section", { class: "panel mk-section", "aria-label": "Mockup" },
    el("div", { class: "row mk-picker" }, field("Mockup", u.picker), del), u.docError,
    u.newDetails,
    el("details", { class: "mk-needs-doc" }, el("summary", {}, "Canvas"), canvasForm),
    el("details", {}, el("summary", {}, "Import PSD / ORA"),
      el("p", { class: "muted" }, "Its layers become a new mockup (Krita, GIMP, Clip Studio Paint files come back)."),
      field("New mockup's name", importName), field("Layered file", importInput), importError));

  u.layerList = el("ul", { class: "mk-layers", id: "mk-layers", "aria-label": "Layers, top first" });
  u.layersError = el("div", { class: "error", id: "mk-layers-error" });
  const upload = el("input", { type: "file", id: "mk-upload", accept: "image/*", multiple: true });
  upload.addEventListener("change", () => {
    uploadLayers([...upload.files]);
    upload.value = "";
  });
  u.color = el("input", { type: "color", id: "mk-color", value: "#3060a0", "aria-label": "Colour layer colour" });
  const up = el("button", { type: "button", class: "icon", title: "Raise (PageUp)", "aria-label": "Raise layer", onclick: () => S.selected && restack(S.selected, "up") }, "▲");
  const down = el("button", { type: "button", class: "icon", title: "Lower (PageDown)", "aria-label": "Lower layer", onclick: () => S.selected && restack(S.selected, "down") }, "▼");
  const remove = el("button", { type: "button", class: "icon", title: "Remove (Delete)", "aria-label": "Remove layer", onclick: () => S.selected && removeLayer(S.selected) }, "✕");
  u.layerButtons = [up, down, remove];
  const layersPanel = el("section", { class: "panel mk-section mk-needs-doc", "aria-label": "Layers" },
    el("div", { class: "mk-head" }, el("h3", {}, "Layers"), el("div", {}, up, down, remove)),
    u.layerList,
    el("div", { class: "mk-add" },
      el("label", { class: "mk-file", title: "Add images as layers" }, "+ Image…", upload),
      el("button", { type: "button", id: "mk-from-library", onclick: pickFromLibrary }, "+ Library…"),
      el("span", { class: "mk-color-add" }, u.color, el("button", { type: "button", id: "mk-add-color",
        onclick: () => {
          const url = docUrl("layers");
          commit(() => postJSON(url, { source: { color: u.color.value } }), u.layersError, selectTop);
        } }, "+ Colour"))),
    u.layersError);

  u.result = el("div", { class: "mk-result-box", id: "mk-result" });
  u.outputError = el("div", { class: "error", id: "mk-output-error" });
  const renderButton = el("button", { type: "button", class: "primary", id: "mk-render", title: "Render a PNG into the library" }, "Render");
  const png = el("button", { type: "button", id: "mk-export-png", title: "Render and download the PNG" }, "PNG");
  const psd = el("button", { type: "button", id: "mk-export-psd", title: "Layers for Clip Studio Paint, Photoshop, Krita" }, "PSD");
  const ora = el("button", { type: "button", id: "mk-export-ora", title: "Layers for Krita, GIMP, MyPaint" }, "ORA");
  const img2img = el("button", { type: "button", id: "mk-img2img", title: "Render, then open it in Generate's img2img" }, "→ img2img");
  u.outputButtons = [renderButton, png, psd, ora, img2img];
  outputAction(renderButton, async () => {
    const id = await renderDoc();
    if (id) toast(`rendered as library #${id}`);
  });
  outputAction(png, async () => {
    const id = await renderDoc();
    if (id) download(imageUrl(id), `${S.name}.png`);
  });
  outputAction(psd, () => exportAs("psd"));
  outputAction(ora, () => exportAs("ora"));
  outputAction(img2img, async () => {
    const id = await renderDoc();
    if (id) sendTo("generate", id, { mode: "img2img" });
  });
  const outputPanel = el("section", { class: "panel mk-section mk-needs-doc", "aria-label": "Output" },
    el("h3", {}, "Output"),
    el("div", { class: "mk-output" }, renderButton, png, psd, ora, img2img), u.outputError, u.result);
  return el("aside", { class: "mk-side" }, mockupPanel, layersPanel, outputPanel);
}

function buildCentre(u) {
  u.canvas = el("canvas", { id: "mk-canvas", class: "checker", width: 1, height: 1 });
  u.overlay = svg("svg", { id: "mk-overlay", class: "mk-overlay", "aria-hidden": "true" });
  u.stage = el("div", { class: "mk-stage", dataset: { tool: "move" } }, u.canvas, u.overlay);
  u.viewport = el("div", {
    class: "mk-viewport", id: "mk-viewport", tabindex: 0,
    "aria-label": "Canvas: arrows nudge the selected layer (Shift: 10 px), Delete removes it, Escape deselects",
  }, u.stage, el("p", { class: "mk-empty-note muted" }, "No mockup open: create one on the left, import a PSD or ORA, or send an image here from the library."));
  u.stageError = el("div", { class: "error", id: "mk-stage-error" });
  u.overlay.addEventListener("pointerdown", onPointerDown);
  u.overlay.addEventListener("pointermove", onPointerMove);
  u.overlay.addEventListener("pointerup", onPointerUp);
  u.overlay.addEventListener("pointercancel", onPointerUp);
  u.viewport.addEventListener("wheel", (event) => {
    if (!(event.ctrlKey || event.metaKey) || !S.doc) return;
    event.preventDefault();
    stepZoom(event.deltaY < 0 ? 1 : -1);
  }, { passive: false });
  u.viewport.addEventListener("dragover", (event) => {
    if (S.doc && event.dataTransfer?.types.includes("Files")) event.preventDefault();
  });
  u.viewport.addEventListener("drop", (event) => {
    if (!S.doc || !event.dataTransfer?.files.length) return;
    event.preventDefault();
    uploadLayers([...event.dataTransfer.files], docPoint(event));
  });
  return el("section", { class: "mk-centre", "aria-label": "Canvas" }, buildToolbar(u), u.stageError, u.viewport);
}

function buildPage(root) {
  const u = { root };
  const side = buildSide(u);
  const centre = buildCentre(u);
  u.noSelection = el("p", { class: "muted mk-no-selection" }, "Select a layer on the canvas or in the list to edit it.");
  u.props = el("div", { class: "mk-props-body hidden" }, buildProps(u));
  // A field left with a value the server refused shows the stored value again.
  u.props.addEventListener("focusout", () => setTimeout(() => S && renderProps()));
  const props = el("aside", { class: "mk-props mk-needs-doc", "aria-label": "Layer properties" }, u.noSelection, u.props);
  root.classList.add("mk-page");
  root.append(side, centre, props);
  return u;
}

// ------------------------------------------------------------------ mount

const onResize = debounce(() => S?.doc && S.fit && sizeStage(), 100);

export async function mount(root, { args, query }) {
  ensureStyle("/ui/pages/mockup.css");
  S = {
    name: null, doc: null, list: [], selected: null, version: 0, tool: "move",
    images: new Map(), maskImages: new Map(), loading: new Set(), cache: new Map(),
    truth: null, truthVersion: -1, zoom: 1, fit: true, drag: null, draft: null, nudge: null,
    queue: Promise.resolve(), pending: 0, latest: null, failed: false, raf: 0,
  };
  S.ui = buildPage(root);
  document.addEventListener("keydown", onKey);
  window.addEventListener("resize", onResize);
  try {
    await refreshList();
    const image = query.get("image");
    const wanted = args[0] || null;
    if (image) await openWithImage(image, wanted);
    else {
      const last = localStorage.getItem(LAST);
      const name = wanted || (S.list.includes(last) ? last : S.list[0]);
      if (name) await open(name);
      else showEmpty();
    }
  } catch (err) {
    if (!S) return;
    if (!S.doc) showEmpty();
    showError(S.ui.docError, err);
  }
}

export function unmount() {
  if (!S) return;
  flushNudge();
  document.removeEventListener("keydown", onKey);
  window.removeEventListener("resize", onResize);
  cancelAnimationFrame(S.raf);
  for (const dialog of document.querySelectorAll("dialog.ui-dialog[open]")) dialog.close();
  S.ui.root.classList.remove("mk-page", "mk-empty");
  S = null;
}
