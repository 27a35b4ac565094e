// Pixelize: a reference → indexed pixel art at several widths, previewed live as the
// options change (nothing is written until "Save to library"); downloads per variant.
import { getJSON, send } from "../lib/api.js";
import { debounce, el, ensureStyle, field, showError, toast } from "../lib/dom.js";
import { imageUrl } from "../lib/nav.js";
import {
  PixelView, base64Blob, clearErrors, download, dropZone, gplBlob, loadImage, routeError, runPreview,
  schedulePreview, stemOf, swatches,
} from "../lib/pixel.js";

const METHODS = [
  ["box", "box (average)"], ["nearest", "nearest"], ["median", "median"],
  ["dominant", "dominant (k-centroid)"], ["contrast", "contrast-aware"],
];
const DITHERS = [
  ["none", "none"], ["bayer2", "ordered 2×2"], ["bayer4", "ordered 4×4"], ["bayer8", "ordered 8×8"],
  ["floyd-steinberg", "Floyd–Steinberg"],
];
// [name, label, min, max, step, neutral]
const ADJUSTMENTS = [
  ["brightness", "Brightness", -1, 1, 0.05, 0],
  ["contrast", "Contrast", 0, 3, 0.05, 1],
  ["saturation", "Saturation", 0, 3, 0.05, 1],
  ["hue", "Hue shift °", -180, 180, 1, 0],
  ["gamma", "Gamma", 0.2, 3, 0.05, 1],
];
const MAX_DISPLAY = 1024;

let state = null;

function newState() {
  return {
    source: null, // {file?, id?, name, width, height, url}
    result: null,
    images: [], // decoded variant images, in result order
    views: [],
    running: false,
    pending: false,
    fit: true,
    palettes: [],
    cleanup: [],
  };
}

const number = (attrs) => el("input", { type: "number", ...attrs });

function buildForm() {
  const f = {};
  f.widths = el("input", { id: "widths", type: "text", inputmode: "numeric", autocomplete: "off",
    placeholder: "e.g. 48, 64, 96", "aria-describedby": "widths-help sizes-error" });
  f.method = el("select", { id: "method" }, METHODS.map(([v, t]) => el("option", { value: v }, t)));
  f.palette = el("select", { id: "palette", "aria-describedby": "palette-error" });
  f.paletteFile = el("input", { id: "palette-file", type: "file", accept: ".gpl,.pal,.hex,.act,.ase,.txt,.png" });
  f.colors = number({ id: "colors", min: 1, max: 256, value: 16, "aria-describedby": "colors-error" });
  f.paletteMethod = el("select", { id: "palette-method" },
    el("option", { value: "kmeans" }, "k-means"), el("option", { value: "median-cut" }, "median cut"));
  f.dither = el("select", { id: "dither" }, DITHERS.map(([v, t]) => el("option", { value: v }, t)));
  f.ditherStrength = el("input", { id: "dither-strength", type: "range", min: 0, max: 1, step: 0.05, value: 1 });
  f.clean = el("input", { id: "clean", type: "checkbox" });
  f.outline = number({ id: "outline", min: 0, max: 16, value: 0 });
  f.alpha = number({ id: "alpha-threshold", min: 0, max: 255, value: 128 });
  f.adjust = {};
  for (const [name, , min, max, step, neutral] of ADJUSTMENTS) {
    f.adjust[name] = el("input", { id: name, type: "range", min, max, step, value: neutral });
  }
  return f;
}

function rangeRow(label, input, format = (v) => v) {
  const out = el("output", { for: input.id }, format(input.value));
  input.addEventListener("input", () => { out.textContent = format(input.value); });
  const row = el("label", { class: "range-row" }, el("span", {}, label), input, out);
  row.sync = () => { out.textContent = format(input.value); };
  return row;
}

// Default widths for a source: about 8 source pixels per art pixel, ±25 %.
function defaultWidths(width) {
  const base = Math.max(4, Math.round(width / 8));
  const list = [Math.round(base * 0.75), base, Math.round(base * 1.25)].map((w) => Math.min(w, width));
  return [...new Set(list)].join(", ");
}

function formData(f, { save }) {
  const data = new FormData();
  const { source } = state;
  if (source.id) data.append("image_id", source.id);
  else data.append("image", source.file, source.name);
  const widths = f.widths.value.trim();
  if (widths) data.append("widths", widths);
  data.append("method", f.method.value);
  const paletteFile = f.palette.value === "@file" ? f.paletteFile.files[0] : null;
  if (paletteFile) data.append("palette_file", paletteFile);
  else if (f.palette.value && f.palette.value !== "@file") data.append("palette", f.palette.value);
  else {
    data.append("colors", f.colors.value);
    data.append("palette_method", f.paletteMethod.value);
  }
  data.append("dither", f.dither.value);
  data.append("dither_strength", f.ditherStrength.value);
  data.append("clean", f.clean.checked ? "true" : "false");
  data.append("outline", f.outline.value);
  data.append("alpha_threshold", f.alpha.value);
  for (const [name] of ADJUSTMENTS) data.append(name, f.adjust[name].value);
  if (!save) data.append("aseprite", "true");
  return data;
}

function displayWidth(ui) {
  if (!state.fit) return Number(ui.size.value);
  const n = Math.max(1, state.images.length);
  const box = ui.variants.getBoundingClientRect();
  const gap = 12;
  const cardPad = 18;
  const perCard = Math.floor((box.width - gap * (n - 1)) / n) - cardPad;
  const first = state.images[0];
  const availH = Math.max(160, window.innerHeight - box.top - 150);
  const byHeight = first ? (availH * first.naturalWidth) / first.naturalHeight : perCard;
  const width = Math.max(64, Math.min(MAX_DISPLAY, perCard, Math.floor(byHeight)));
  ui.size.value = width;
  return width;
}

function redraw(ui) {
  const width = displayWidth(ui);
  ui.sizeOut.textContent = `${Math.round(width)} px`;
  state.views.forEach((view, i) => view.draw(state.images[i], { width, pixelGrid: ui.grid.checked }));
}

function variantCard(art, i, ui) {
  const { width: w, height: h } = art;
  const name = `${stemOf(state.source.name)}-${w}x${h}`;
  const view = new PixelView({ label: `${w} × ${h} variant`, id: `variant-${i}` });
  const png = () => base64Blob(art.png_base64);
  const buttons = [
    el("button", { type: "button", "aria-label": `Download the ${w}×${h} indexed PNG`, dataset: { download: "png" },
      onclick: () => download(png(), `${name}.png`) }, "PNG"),
    el("button", { type: "button", "aria-label": `Download the ${w}×${h} palette (.gpl)`, dataset: { download: "gpl" },
      onclick: async () => {
        try { download(await gplBlob(art.palette, name), `${name}.gpl`); } catch (err) { toast(err.message, { error: true }); }
      } }, ".gpl"),
    el("button", { type: "button", "aria-label": `Download the ${w}×${h} .aseprite file`, dataset: { download: "aseprite" },
      onclick: () => download(base64Blob(art.aseprite_base64, "application/octet-stream"), `${name}.aseprite`) }, ".aseprite"),
  ];
  const oneX = el("img", { class: "at-1x", alt: `${w} × ${h} at 1x`, src: `data:image/png;base64,${art.png_base64}`,
    width: w, height: h });
  const card = el("figure", { class: "variant panel", dataset: { width: w, height: h } },
    el("div", { class: "variant-view" }, view.canvas),
    el("figcaption", {},
      el("div", { class: "variant-head" },
        el("strong", { class: "variant-size" }, `${w} × ${h}`),
        el("span", { class: "muted" }, `${art.colors} colours${art.transparent ? " + transparent" : ""}`)),
      el("div", { class: "variant-meta" }, el("div", { class: "one-x", title: "1x" }, oneX),
        el("div", {}, swatches(art.palette, { label: `${w}×${h} palette` }), el("div", { class: "downloads" }, buttons)))));
  return { card, view };
}

async function showResult(ui, result) {
  const images = await Promise.all(result.images.map((art) => loadImage(`data:image/png;base64,${art.png_base64}`)));
  state.result = result;
  state.images = images;
  const cards = result.images.map((art, i) => variantCard(art, i, ui));
  state.views = cards.map((c) => c.view);
  ui.variants.replaceChildren(...cards.map((c) => c.card));
  ui.warnings.textContent = (result.warnings || []).join("\n");
  ui.save.disabled = false;
  ui.saved.replaceChildren();
  redraw(ui);
}

async function run(f, ui) {
  const mine = state;
  if (!mine?.source) return;
  await runPreview(mine, () => state, ui.status, async () => {
    const started = performance.now();
    ui.status.textContent = "pixelizing…";
    clearErrors(ui.routes, ui.error);
    try {
      const result = await send("POST", "/api/pixelize?save=false&inline=true", formData(f, { save: false }));
      if (state !== mine) return; // left the page
      await showResult(ui, result);
      ui.variants.classList.remove("stale");
      const sizes = result.images.map((a) => `${a.width}×${a.height}`).join(", ");
      ui.status.textContent = `${sizes} · ${Math.round(performance.now() - started)} ms · preview, not saved`;
    } catch (err) {
      if (state !== mine) return;
      routeError(err, ui.routes, ui.error);
      ui.variants.classList.add("stale"); // the last good preview, not these options
      ui.save.disabled = true;
      ui.status.textContent = state.result ? "the options were refused: showing the last preview" : "";
    }
  }, () => run(f, ui));
}

async function save(f, ui) {
  if (!state.source || !state.result) return;
  ui.save.disabled = true;
  clearErrors(ui.routes, ui.error);
  try {
    const result = await send("POST", "/api/pixelize", formData(f, { save: true }));
    ui.saved.replaceChildren("saved: ", ...result.images.flatMap((a) => a.image_id
      ? [el("a", { href: `#/library/${a.image_id}` }, `#${a.image_id}`), " "] : []));
    if (result.warnings?.length) ui.warnings.textContent = result.warnings.join("\n");
    toast(`saved ${result.images.length} image${result.images.length > 1 ? "s" : ""} to the library`);
  } catch (err) {
    routeError(err, ui.routes, ui.error);
    ui.save.disabled = false;
  }
}

async function setSource(f, ui, source) {
  state.source = source;
  state.result = null;
  ui.sourceImg.src = source.url;
  ui.sourceImg.alt = source.name;
  ui.sourceInfo.textContent = `${source.name} · ${source.width} × ${source.height}` + (source.id ? ` · library #${source.id}` : "");
  ui.sourceBox.classList.remove("hidden");
  if (!f.widths.value.trim() || state.autoWidths === f.widths.value) {
    f.widths.value = defaultWidths(source.width);
    state.autoWidths = f.widths.value;
  }
  await run(f, ui);
}

async function fromFile(f, ui, file) {
  showError(ui.sourceError, null);
  try {
    const url = URL.createObjectURL(file);
    const img = await loadImage(url);
    await setSource(f, ui, { file, name: file.name || "pasted.png", width: img.naturalWidth, height: img.naturalHeight, url });
  } catch (err) {
    showError(ui.sourceError, `${file.name}: not an image the browser can read (${err.message})`);
  }
}

async function fromLibrary(f, ui, id) {
  showError(ui.sourceError, null);
  try {
    const entry = await getJSON(`/api/library/${encodeURIComponent(id)}`);
    await setSource(f, ui, { id: entry.id, name: entry.filename, width: entry.width, height: entry.height, url: imageUrl(entry.id) });
  } catch (err) {
    showError(ui.sourceError, err);
  }
}

async function loadPalettes(f, ui) {
  try {
    state.palettes = await getJSON("/api/palettes");
  } catch (err) {
    showError(ui.paletteError, err);
  }
  f.palette.replaceChildren(
    el("option", { value: "" }, "extract from the image"),
    el("optgroup", { label: "Built-in" }, state.palettes.map((p) => el("option", { value: p.name }, `${p.name} (${p.count})`))),
    el("option", { value: "@file" }, "palette file…"));
}

function paletteChanged(f, ui) {
  const value = f.palette.value;
  const fixed = state.palettes.find((p) => p.name === value);
  ui.paletteFileRow.classList.toggle("hidden", value !== "@file");
  ui.extractRow.classList.toggle("hidden", value !== "");
  ui.paletteSwatches.replaceChildren(...(fixed ? [swatches(fixed.colors, { label: fixed.name })] : []));
}

export async function mount(root, { query }) {
  ensureStyle("/ui/lib/pixel.css");
  ensureStyle("/ui/pages/pixelize.css");
  state = newState();
  const f = buildForm();
  const ui = {};
  ui.error = el("div", { class: "error", id: "pixelize-error", role: "alert" });
  ui.sourceError = el("div", { class: "error", id: "source-error", role: "alert" });
  ui.sizesError = el("div", { class: "error", id: "sizes-error", role: "alert" });
  ui.paletteError = el("div", { class: "error", id: "palette-error", role: "alert" });
  ui.colorsError = el("div", { class: "error", id: "colors-error", role: "alert" });
  ui.optionsError = el("div", { class: "error", id: "options-error", role: "alert" });
  ui.adjustError = el("div", { class: "error", id: "adjust-error", role: "alert" });
  ui.routes = [
    ["image", ui.sourceError], ["image_id", ui.sourceError],
    ["widths", ui.sizesError, f.widths], ["heights", ui.sizesError, f.widths], ["width", ui.sizesError, f.widths],
    ["height", ui.sizesError, f.widths], [/target|larger than the source|size/i, ui.sizesError, f.widths],
    ["palette_file", ui.paletteError, f.paletteFile], ["palette", ui.paletteError, f.palette], [/palette/i, ui.paletteError, f.palette],
    ["colors", ui.colorsError, f.colors], ["palette_method", ui.colorsError, f.paletteMethod],
    ["method", ui.optionsError, f.method], ["dither", ui.optionsError, f.dither],
    ["dither_strength", ui.optionsError, f.ditherStrength], ["clean", ui.optionsError],
    ...ADJUSTMENTS.map(([name]) => [name, ui.adjustError, f.adjust[name]]),
    ["outline", ui.adjustError, f.outline], ["alpha_threshold", ui.adjustError, f.alpha],
  ];
  ui.sourceImg = el("img", { id: "pixelize-source", alt: "" });
  ui.sourceInfo = el("div", { class: "muted", id: "source-info" });
  ui.sourceBox = el("div", { class: "source-box hidden" }, el("div", { class: "source-thumb checker" }, ui.sourceImg), ui.sourceInfo);
  const zone = dropZone({ id: "pixelize-drop", inputId: "pixelize-file", text: "Drop a reference image here, paste it, or",
    onFile: (file, err) => (err ? showError(ui.sourceError, err) : fromFile(f, ui, file)), paste: true });
  state.cleanup.push(zone.dispose);
  ui.paletteSwatches = el("div", { id: "palette-swatches" });
  ui.paletteFileRow = el("div", { class: "row hidden" }, field("Palette file (.gpl, .pal, .hex, .act, .ase, .txt, .png)", f.paletteFile));
  ui.extractRow = el("div", { class: "row" }, field("Colours", f.colors), field("Extraction", f.paletteMethod));
  const adjustRows = ADJUSTMENTS.map(([name, label]) => rangeRow(label, f.adjust[name]));
  const resetAdjust = el("button", { type: "button", id: "reset-adjustments", onclick: () => {
    for (const [name, , , , , neutral] of ADJUSTMENTS) f.adjust[name].value = neutral;
    f.outline.value = 0;
    adjustRows.forEach((r) => r.sync());
    schedule();
  } }, "Reset");

  const form = el("form", { class: "panel pixelize-options", id: "pixelize-form", "aria-label": "Pixelize options" },
    el("h2", {}, "Pixelize"),
    zone.node, ui.sourceError, ui.sourceBox,
    el("div", { class: "group" },
      field("Widths (art pixels, one variant each)", f.widths),
      el("div", { class: "field-help", id: "widths-help" }, "comma-separated; height follows the aspect"),
      ui.sizesError),
    el("div", { class: "group" },
      el("div", { class: "row" }, field("Downscale", f.method)),
      el("div", { class: "row" }, field("Palette", f.palette)), ui.paletteFileRow, ui.paletteSwatches, ui.paletteError,
      ui.extractRow, ui.colorsError),
    el("div", { class: "group" },
      el("div", { class: "row" }, field("Dither", f.dither)),
      rangeRow("Dither strength", f.ditherStrength, (v) => `${Math.round(v * 100)}%`),
      el("label", { class: "inline" }, f.clean, "remove isolated pixels"), ui.optionsError),
    el("details", { class: "group", id: "adjustments" }, el("summary", {}, "Adjustments"),
      adjustRows,
      el("div", { class: "row" }, field("Outline (px)", f.outline), field("Alpha threshold", f.alpha), resetAdjust),
      ui.adjustError),
    ui.error);
  form.addEventListener("submit", (event) => { event.preventDefault(); run(f, ui); });

  ui.size = el("input", { id: "display-size", type: "range", min: 64, max: MAX_DISPLAY, step: 8, value: 256,
    "aria-label": "Display size" });
  ui.sizeOut = el("output", { for: "display-size", class: "muted" }, "");
  ui.grid = el("input", { id: "pixel-grid", type: "checkbox", checked: true });
  ui.status = el("span", { class: "status", id: "pixelize-status", role: "status" });
  ui.save = el("button", { type: "button", id: "save", class: "primary", disabled: true, onclick: () => save(f, ui) }, "Save to library");
  ui.saved = el("span", { id: "saved", class: "muted" });
  ui.warnings = el("div", { class: "warn", id: "pixelize-warnings" });
  ui.variants = el("div", { class: "variants", id: "variants", "aria-label": "Variants" },
    el("p", { class: "muted empty" }, "Choose an image to see its pixel-art variants here."));
  const fit = el("button", { type: "button", id: "fit", title: "Fit the variants to the window (f)",
    onclick: () => { state.fit = true; redraw(ui); } }, "Fit");
  ui.size.addEventListener("input", () => { state.fit = false; redraw(ui); });
  ui.grid.addEventListener("change", () => redraw(ui));

  // Options changed: the preview is stale from now (busy) until the re-run is shown.
  const schedule = schedulePreview(state, ui.status, 300, () => run(f, ui));
  form.addEventListener("input", (event) => {
    if (event.target.type !== "file" && event.target !== f.palette) schedule();
  });
  form.addEventListener("change", (event) => {
    if (event.target === f.palette) { paletteChanged(f, ui); if (f.palette.value !== "@file" || f.paletteFile.files[0]) schedule(); }
    if (event.target === f.paletteFile) schedule();
  });

  const onResize = debounce(() => { if (state?.fit && state.images.length) redraw(ui); }, 100);
  window.addEventListener("resize", onResize);
  state.cleanup.push(() => window.removeEventListener("resize", onResize));
  const onKey = (event) => {
    if (event.target.closest?.("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "g") { ui.grid.checked = !ui.grid.checked; redraw(ui); }
    else if (event.key === "f") { state.fit = true; redraw(ui); }
    else if (event.key === "+" || event.key === "=" || event.key === "-") {
      state.fit = false;
      ui.size.value = Number(ui.size.value) + (event.key === "-" ? -32 : 32);
      redraw(ui);
    }
  };
  document.addEventListener("keydown", onKey);
  state.cleanup.push(() => document.removeEventListener("keydown", onKey));

  root.append(el("div", { class: "pixelize-layout" },
    form,
    el("section", { class: "pixelize-results", "aria-label": "Results" },
      el("div", { class: "panel toolbar" },
        el("div", { class: "toolbar-row" },
          el("label", { class: "inline", title: "Display size: every variant at this width (+/−)" }, "Display", ui.size, ui.sizeOut), fit,
          el("label", { class: "inline", title: "Pixel grid when zoomed in (g)" }, ui.grid, "pixel grid"),
          el("span", { class: "spacer" }), ui.saved, ui.save),
        ui.status),
      ui.warnings,
      ui.variants)));

  await loadPalettes(f, ui);
  paletteChanged(f, ui);
  const image = query.get("image");
  if (image) await fromLibrary(f, ui, image);
}

export function unmount() {
  if (!state) return;
  for (const fn of state.cleanup) fn();
  clearTimeout(state.timer);
  state = null;
}
