// Snap: drop AI "pixel art" (or any upscaled sprite), see the pixel grid found in it,
// correct pitch and phase by hand, and get the sprite back at its true resolution.
// Previews are not written anywhere until "Save to library".
import { getJSON, send } from "../lib/api.js";
import { debounce, el, ensureStyle, field, showError, toast } from "../lib/dom.js";
import { imageUrl } from "../lib/nav.js";
import {
  PixelView, base64Blob, clearErrors, download, dropZone, gplBlob, loadImage, routeError, runPreview,
  schedulePreview, stemOf, swatches, wholeZoom,
} from "../lib/pixel.js";

const ZOOMS = [["fit", "fit"], ["1", "1×"], ["2", "2×"], ["3", "3×"], ["4", "4×"], ["6", "6×"], ["8", "8×"]];
const RESULT_ZOOMS = [["auto", "auto"], ...[1, 2, 3, 4, 6, 8, 12, 16].map((z) => [String(z), `${z}×`])];

let state = null;

// Cell boundaries along one axis, as the server cuts them (`AxisGrid.edges`): partial
// cells at the borders are kept when at least 15 % of a cell (and 0.75 px) shows.
export function gridEdges(pitch, offset, length) {
  const first = offset > 0 ? offset - pitch : offset;
  const count = Math.ceil((length - first) / pitch);
  const edges = [];
  for (let i = 0; i <= count; i += 1) {
    const x = Math.min(length, Math.max(0, first + pitch * i));
    if (!edges.length || x > edges[edges.length - 1]) edges.push(x);
  }
  const keep = Math.max(0.75, 0.15 * pitch);
  if (edges.length > 2 && edges[1] - edges[0] < keep) edges.splice(1, 1);
  if (edges.length > 2 && edges[edges.length - 1] - edges[edges.length - 2] < keep) edges.splice(edges.length - 2, 1);
  return edges;
}

const number = (attrs) => el("input", { type: "number", ...attrs });
const fmt = (x, digits) => Number(x).toFixed(digits).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
// The server keeps 0 ≤ offset < pitch; an offset a hair below the pitch is a grid from 0.
const phase = (offset, pitch) => (pitch - offset < 0.02 ? 0 : offset);

function buildForm() {
  const f = {};
  f.manual = el("input", { id: "manual-grid", type: "checkbox" });
  f.pitch = number({ id: "pitch", min: 1, step: 0.01, "aria-describedby": "grid-error" });
  f.offsetX = number({ id: "offset-x", step: 0.1, value: 0, "aria-describedby": "grid-error" });
  f.offsetY = number({ id: "offset-y", step: 0.1, value: 0, "aria-describedby": "grid-error" });
  f.colors = number({ id: "snap-colors", min: 1, max: 256, placeholder: "all", "aria-describedby": "snap-colors-error" });
  f.palette = el("select", { id: "snap-palette", "aria-describedby": "snap-colors-error" });
  f.merge = number({ id: "merge", min: 0, step: 0.005, placeholder: "auto", "aria-describedby": "snap-colors-error" });
  return f;
}

function formData(f, { save }) {
  const data = new FormData();
  const { source } = state;
  if (source.id) data.append("image_id", source.id);
  else data.append("image", source.file, source.name);
  if (f.manual.checked) {
    data.append("pixel_size", f.pitch.value);
    data.append("offset_x", f.offsetX.value || "0");
    data.append("offset_y", f.offsetY.value || "0");
  }
  if (f.colors.value !== "") data.append("colors", f.colors.value);
  if (f.palette.value) data.append("palette", f.palette.value);
  if (f.merge.value !== "") data.append("merge", f.merge.value);
  return data;
}

function sourceWidth(ui) {
  const img = state.sourceImage;
  if (ui.zoom.value !== "fit") return img.naturalWidth * Number(ui.zoom.value);
  const box = ui.stage.getBoundingClientRect();
  const availW = Math.max(64, box.width - 2);
  const availH = Math.max(160, window.innerHeight - box.top - 16);
  return Math.min(availW, (availH * img.naturalWidth) / img.naturalHeight);
}

function drawSource(ui) {
  const img = state.sourceImage;
  if (!img) return;
  const r = state.result;
  let lines = null;
  if (r && ui.showGrid.checked) {
    lines = {
      xs: gridEdges(r.pitch[0], r.offset[0], img.naturalWidth).slice(1, -1),
      ys: gridEdges(r.pitch[1], r.offset[1], img.naturalHeight).slice(1, -1),
    };
  }
  state.sourceView.draw(img, { width: sourceWidth(ui), lines });
}

function drawResult(ui) {
  const art = state.resultImage;
  if (!art) return;
  const box = ui.zoomedBox.getBoundingClientRect();
  const zoom = ui.resultZoom.value === "auto"
    ? wholeZoom(art.naturalWidth, art.naturalHeight, Math.max(32, box.width - 2), 320)
    : Number(ui.resultZoom.value);
  state.zoomedView.draw(art, { width: art.naturalWidth * zoom, pixelGrid: ui.showGrid.checked });
  ui.zoomLabel.textContent = `${zoom}×`;
}

function clearResult(ui) {
  state.result = null;
  state.resultImage = null;
  ui.result.classList.add("hidden");
  ui.placeholder.textContent = "Nothing recovered.";
  ui.readout.textContent = "—";
  drawSource(ui);
}

async function showResult(f, ui, r) {
  state.resultImage = await loadImage(`data:image/png;base64,${r.image.png_base64}`);
  state.result = r;
  const { width: w, height: h } = r.image;
  ui.size.textContent = `${w} × ${h}`;
  ui.colorsInfo.textContent = r.colors === null ? "truecolour (over 256 colours)" : `${r.colors} colours`;
  ui.oneX.src = `data:image/png;base64,${r.image.png_base64}`;
  ui.oneX.width = w;
  ui.oneX.height = h;
  ui.oneX.alt = `recovered sprite, ${w} × ${h}, at 1x`;
  ui.palette.replaceChildren(...(r.palette ? [swatches(r.palette, { label: "recovered palette" })] : []));
  ui.gpl.disabled = !r.palette;
  ui.warnings.textContent = (r.warnings || []).join("\n");
  ui.save.disabled = false;
  ui.saved.replaceChildren();
  ui.result.classList.remove("hidden");
  ui.placeholder.textContent = "";
  const [px, py] = r.pitch;
  const [ox, oy] = [phase(r.offset[0], px), phase(r.offset[1], py)];
  const square = Math.abs(px - py) < 0.005;
  ui.readout.replaceChildren(
    el("span", {}, "pitch ", el("strong", { id: "pitch-found" }, square ? fmt(px, 3) : `${fmt(px, 3)} × ${fmt(py, 3)}`), " px"),
    el("span", {}, "offset ", el("strong", { id: "offset-found" }, `${fmt(ox, 2)}, ${fmt(oy, 2)}`)),
    f.manual.checked ? null : el("span", {}, "confidence ", el("strong", { id: "confidence" }, fmt(r.confidence, 2))),
    el("span", { title: "colours closer than this OKLab distance were merged" }, "merge ", el("strong", {}, fmt(r.merge, 3))));
  if (!f.manual.checked) { // start any correction from what was found
    f.pitch.value = fmt((px + py) / 2, 3);
    f.offsetX.value = fmt(ox, 2);
    f.offsetY.value = fmt(oy, 2);
  }
  drawSource(ui);
  drawResult(ui);
}

async function run(f, ui) {
  const mine = state;
  if (!mine?.source) return;
  await runPreview(mine, () => state, ui.status, async () => {
    if (f.manual.checked && !(Number(f.pitch.value) > 0)) {
      clearErrors(ui.routes, ui.error);
      showError(ui.gridError, "enter the pitch: source pixels per art pixel");
      return;
    }
    const started = performance.now();
    ui.status.textContent = f.manual.checked ? "snapping to your grid…" : "finding the grid…";
    clearErrors(ui.routes, ui.error);
    try {
      const r = await send("POST", "/api/snap?save=false&inline=true", formData(f, { save: false }));
      if (state !== mine) return;
      await showResult(f, ui, r);
      ui.status.textContent = `${Math.round(performance.now() - started)} ms · preview, not saved`;
    } catch (err) {
      if (state !== mine) return;
      clearResult(ui);
      const slot = routeError(err, ui.routes, ui.error);
      if (slot === ui.gridError && !f.manual.checked) {
        ui.gridError.append(" ", el("button", { type: "button", id: "set-by-hand", onclick: () => {
          f.manual.checked = true;
          manualChanged(f, ui);
          f.pitch.focus();
          f.pitch.select();
        } }, "set the grid by hand"));
      }
      ui.status.textContent = "";
    }
  }, () => run(f, ui));
}

async function save(f, ui) {
  if (!state.source || !state.result) return;
  ui.save.disabled = true;
  try {
    const r = await send("POST", "/api/snap", formData(f, { save: true }));
    const id = r.image.image_id;
    ui.saved.replaceChildren(...(id ? ["saved: ", el("a", { href: `#/library/${id}` }, `#${id}`)] : []));
    if (r.warnings?.length) ui.warnings.textContent = r.warnings.join("\n");
    toast(id ? `saved to the library as #${id}` : "written, but not logged in the library");
  } catch (err) {
    routeError(err, ui.routes, ui.error);
    ui.save.disabled = false;
  }
}

function manualChanged(f, ui) {
  ui.manualFields.classList.toggle("off", !f.manual.checked);
  ui.detect.disabled = !f.manual.checked;
  state.schedule();
}

async function setSource(f, ui, source, image) {
  state.source = source;
  state.sourceImage = image;
  state.result = null;
  state.resultImage = null;
  ui.sourceInfo.textContent = `${source.name} · ${image.naturalWidth} × ${image.naturalHeight}` + (source.id ? ` · library #${source.id}` : "");
  ui.sourcePanel.classList.add("loaded");
  ui.stage.classList.remove("hidden");
  ui.result.classList.add("hidden");
  f.manual.checked = false;
  ui.manualFields.classList.add("off");
  ui.detect.disabled = true;
  drawSource(ui);
  await run(f, ui);
}

async function fromFile(f, ui, file) {
  showError(ui.sourceError, null);
  let image;
  try {
    image = await loadImage(URL.createObjectURL(file));
  } catch (err) {
    showError(ui.sourceError, `${file.name}: not an image the browser can read (${err.message})`);
    return;
  }
  await setSource(f, ui, { file, name: file.name || "pasted.png" }, image);
}

async function fromLibrary(f, ui, id) {
  showError(ui.sourceError, null);
  try {
    const entry = await getJSON(`/api/library/${encodeURIComponent(id)}`);
    await setSource(f, ui, { id: entry.id, name: entry.filename }, await loadImage(imageUrl(entry.id)));
  } catch (err) {
    showError(ui.sourceError, err);
  }
}

export async function mount(root, { query }) {
  ensureStyle("/ui/lib/pixel.css");
  ensureStyle("/ui/pages/snap.css");
  state = { source: null, result: null, sourceImage: null, resultImage: null, running: false, pending: false, cleanup: [] };
  const f = buildForm();
  const ui = {};
  ui.error = el("div", { class: "error", id: "snap-error", role: "alert" });
  ui.sourceError = el("div", { class: "error", id: "snap-source-error", role: "alert" });
  ui.gridError = el("div", { class: "error", id: "grid-error", role: "alert" });
  ui.colorsError = el("div", { class: "error", id: "snap-colors-error", role: "alert" });
  ui.status = el("div", { class: "status", id: "snap-status", role: "status" });
  ui.routes = [
    ["image", ui.sourceError], ["image_id", ui.sourceError],
    [/no pixel grid/i, ui.gridError],
    ["pixel_size", ui.gridError, f.pitch], ["offset_x", ui.gridError, f.offsetX], ["offset_y", ui.gridError, f.offsetY],
    ["min_confidence", ui.gridError],
    ["colors", ui.colorsError, f.colors], ["merge", ui.colorsError, f.merge],
    ["palette", ui.colorsError, f.palette], [/palette|colou?rs/i, ui.colorsError],
  ];

  state.schedule = schedulePreview(state, ui.status, 350, () => run(f, ui));

  // Source: drop zone, then the image with the grid over it.
  const zone = dropZone({ id: "snap-drop", inputId: "snap-file", text: "Drop AI “pixel art” here, paste it, or",
    onFile: (file, err) => (err ? showError(ui.sourceError, err) : fromFile(f, ui, file)), paste: true });
  state.cleanup.push(zone.dispose);
  ui.zoom = el("select", { id: "snap-zoom", "aria-label": "Source zoom" }, ZOOMS.map(([v, t]) => el("option", { value: v }, t)));
  ui.showGrid = el("input", { id: "show-grid", type: "checkbox", checked: true });
  ui.sourceInfo = el("span", { class: "muted", id: "snap-source-info" });
  state.sourceView = new PixelView({ label: "the image with the detected grid", id: "snap-source" });
  ui.stage = el("div", { class: "snap-stage checker hidden", id: "snap-stage", tabindex: 0,
    "aria-label": "Source image (scroll when zoomed)" }, state.sourceView.canvas);
  ui.sourcePanel = el("section", { class: "panel snap-source", "aria-label": "Source" },
    el("div", { class: "snap-source-head" },
      el("div", {}, el("h2", {}, "Snap"),
        el("p", { class: "muted intro" }, "Finds the pixel grid of upscaled or AI “pixel art” and gives the sprite back at its true resolution.")),
      zone.node),
    ui.sourceError,
    el("div", { class: "toolbar" }, ui.sourceInfo, el("span", { class: "spacer" }),
      el("label", { class: "inline" }, "zoom", ui.zoom),
      el("label", { class: "inline", title: "Grids (g)" }, ui.showGrid, "grid")),
    ui.stage);

  // Grid: what was found, and the override.
  ui.readout = el("div", { class: "readout", id: "grid-readout", "aria-live": "polite" }, "—");
  ui.detect = el("button", { type: "button", id: "detect", disabled: true,
    onclick: () => { f.manual.checked = false; manualChanged(f, ui); } }, "Detect");
  ui.manualFields = el("div", { class: "row manual off" }, field("Pitch (px)", f.pitch), field("Offset x", f.offsetX), field("Offset y", f.offsetY));
  const gridPanel = el("section", { class: "panel", "aria-label": "Grid" },
    el("h3", {}, "Pixel grid"), ui.readout,
    el("div", { class: "row manual-toggle" }, el("label", { class: "inline" }, f.manual, "set by hand"), ui.detect),
    ui.manualFields, ui.gridError);

  // Result: the sprite at 1x and zoomed, downloads.
  ui.size = el("strong", { id: "recovered-size" });
  ui.colorsInfo = el("span", { class: "muted", id: "recovered-colors" });
  ui.oneX = el("img", { id: "snap-1x", class: "at-1x", alt: "" });
  ui.resultZoom = el("select", { id: "result-zoom", "aria-label": "Result zoom" }, RESULT_ZOOMS.map(([v, t]) => el("option", { value: v }, t)));
  ui.zoomLabel = el("span", { class: "muted" });
  state.zoomedView = new PixelView({ label: "the recovered sprite, zoomed", id: "snap-zoomed" });
  ui.zoomedBox = el("div", { class: "snap-zoomed" }, state.zoomedView.canvas);
  ui.palette = el("div", { id: "snap-palette-swatches" });
  ui.warnings = el("div", { class: "warn", id: "snap-warnings" });
  const name = () => `${stemOf(state.source.name)}-${state.result.image.width}x${state.result.image.height}`;
  const png = el("button", { type: "button", id: "download-png", onclick: () =>
    download(base64Blob(state.result.image.png_base64), `${name()}.png`) }, "PNG");
  ui.gpl = el("button", { type: "button", id: "download-gpl", onclick: async () => {
    try { download(await gplBlob(state.result.palette, name()), `${name()}.gpl`); } catch (err) { toast(err.message, { error: true }); }
  } }, ".gpl");
  ui.save = el("button", { type: "button", id: "snap-save", class: "primary", onclick: () => save(f, ui) }, "Save to library");
  ui.saved = el("span", { class: "muted", id: "snap-saved" });
  ui.result = el("div", { class: "hidden", id: "snap-result" },
    el("div", { class: "result-head" }, ui.size, ui.colorsInfo),
    el("div", { class: "result-views" },
      el("figure", { class: "one-x" }, ui.oneX, el("figcaption", { class: "muted" }, "1×")),
      el("figure", {}, ui.zoomedBox, el("figcaption", { class: "muted" }, ui.zoomLabel, " ", ui.resultZoom))),
    ui.palette,
    el("div", { class: "downloads" }, png, ui.gpl, el("span", { class: "spacer" }), ui.saved, ui.save),
    ui.warnings);
  ui.placeholder = el("p", { class: "muted", id: "snap-placeholder" }, "The sprite comes back here at its true size.");
  const resultPanel = el("section", { class: "panel", "aria-label": "Recovered sprite" },
    el("h3", {}, "Recovered"), ui.status, ui.placeholder, ui.result, ui.error);

  f.palette.append(el("option", { value: "" }, "its own colours"));
  const colorsPanel = el("details", { class: "panel", id: "snap-colours", open: true },
    el("summary", {}, "Colours"),
    el("div", { class: "row" }, field("At most (colours)", f.colors), field("Merge distance", f.merge)),
    el("div", { class: "row" }, field("Palette", f.palette)),
    ui.colorsError);

  root.append(el("div", { class: "snap-layout" },
    ui.sourcePanel,
    el("div", { class: "snap-side" }, gridPanel, resultPanel, colorsPanel)));

  // Events.
  f.manual.addEventListener("change", () => manualChanged(f, ui));
  for (const input of [f.pitch, f.offsetX, f.offsetY]) {
    input.addEventListener("input", () => {
      if (!f.manual.checked) { f.manual.checked = true; ui.manualFields.classList.remove("off"); ui.detect.disabled = false; }
      state.schedule();
    });
  }
  for (const input of [f.colors, f.palette, f.merge]) input.addEventListener("input", () => state.schedule());
  ui.zoom.addEventListener("change", () => drawSource(ui));
  ui.resultZoom.addEventListener("change", () => drawResult(ui));
  ui.showGrid.addEventListener("change", () => { drawSource(ui); drawResult(ui); });
  const onResize = debounce(() => { if (state) { drawSource(ui); drawResult(ui); } }, 100);
  window.addEventListener("resize", onResize);
  state.cleanup.push(() => window.removeEventListener("resize", onResize));
  const onKey = (event) => {
    if (event.target.closest?.("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "g") { ui.showGrid.checked = !ui.showGrid.checked; drawSource(ui); drawResult(ui); }
  };
  document.addEventListener("keydown", onKey);
  state.cleanup.push(() => document.removeEventListener("keydown", onKey));

  try {
    const palettes = await getJSON("/api/palettes");
    f.palette.append(...palettes.map((p) => el("option", { value: p.name }, `${p.name} (${p.count})`)));
  } catch (err) {
    showError(ui.colorsError, err);
  }
  const image = query.get("image");
  if (image) await fromLibrary(f, ui, image);
}

export function unmount() {
  if (!state) return;
  for (const fn of state.cleanup) fn();
  clearTimeout(state.timer);
  state = null;
}
