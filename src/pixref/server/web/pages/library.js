// Library: every logged image in a virtual thumbnail grid, with search and filters, a
// detail panel (zoomable image, parameters, infotext, lineage, tags / note / rating /
// keep, "send to"), a diff of two marked entries and the "similar" view.
//
// Routes: #/library?FILTERS (the grid), #/library/ID?FILTERS (with ID's detail open).
// The hash follows the filters and the open entry (replaceState: no re-mount).
import { getJSON, send } from "../lib/api.js";
import { debounce, el, ensureStyle, field, showError, toast } from "../lib/dom.js";
import { sendTo, thumbUrl } from "../lib/nav.js";
import { VirtualGrid } from "../lib/vgrid.js";

const TILE_SIZES = { S: 96, M: 128, L: 192 };
const THUMB_SIZES = [64, 128, 256, 512];
const PAGE_SIZE = 120;
const PAINT_MARK = "pixref:library-thumbnails-painted";

// Query parameters of GET /api/library the toolbar sets (besides q, rating, keep, order).
const MORE_FILTERS = [
  // [name, label, check, placeholder]
  ["sampler", "Sampler", "text", "Euler a"],
  ["schedule", "Schedule type", "text", "Karras"],
  ["model", "Checkpoint", "text", "name or hash"],
  ["cfg", "CFG scale", "range", "6..8"],
  ["steps", "Steps", "whole", "20..30"],
  ["seed", "Seed", "whole", "1234 or 1..99"],
  ["size", "Size", "size", "512x768"],
  ["lora", "LoRA", "text", "name"],
  ["tag", "Tags", "tags", "fairy, left arm"],
  ["kind", "Kind", "kind", ""],
  ["generator", "Generator", "text", "A1111, ComfyUI…"],
  ["since", "Since", "date", ""],
  ["until", "Until", "date", ""],
  ["sweep", "Sweep id", "id", ""],
  ["parent", "Made from id", "id", ""],
];
const KINDS = ["generation", "import", "sweep_cell", "mockup", "pixelized", "snapped"];

// Parameter names as A1111 labels them (diff and similar use pixref's field names).
const LABELS = {
  prompt: "Prompt", negative_prompt: "Negative prompt", steps: "Steps", sampler: "Sampler",
  schedule_type: "Schedule type", cfg_scale: "CFG scale", seed: "Seed", size: "Size",
  variation_seed: "Variation seed", variation_strength: "Variation strength",
  seed_resize_from: "Seed resize from", model: "Model", model_hash: "Model hash", vae: "VAE",
  vae_hash: "VAE hash", clip_skip: "Clip skip", denoising_strength: "Denoising strength",
  refiner: "Refiner", refiner_switch_at: "Refiner switch at", rng: "RNG", eta: "Eta",
  ensd: "ENSD", lora_hashes: "Lora hashes", hires: "Hires", inpaint: "Inpaint",
  controlnets: "ControlNet",
};
const label = (name) => LABELS[name] ?? (name.startsWith("extra:") ? name.slice(6) : name.replaceAll("_", " "));

let S = null; // the mounted page's state

// ----------------------------------------------------------------------------- helpers

function formatValue(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function thumbFor(item, px) {
  const need = px * (window.devicePixelRatio || 1);
  const size = THUMB_SIZES.find((s) => s >= need) ?? THUMB_SIZES.at(-1);
  return item.thumbnail_url.replace(/([?&])size=\d+/, `$1size=${size}`);
}

const hasParams = (item) => item.sampler !== null || item.steps !== null || item.seed !== null;
const plural = (n, one, many) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

// A small thumbnail that opens its entry (lineage, similar, diff).
function entryLink(id, caption, { src, size = 64, title, lazy = false } = {}) {
  return el("a", {
    href: `#/library/${id}`, class: "entry-link", title: title ?? `#${id}`, dataset: { id },
    onclick: (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      openDetail(id);
    },
  }, el("img", { src: src ?? thumbUrl(id, size), alt: `#${id}`, loading: lazy ? "lazy" : null, style: `max-width:${size}px;max-height:${size}px` }),
  el("span", {}, caption));
}

// ----------------------------------------------------------------------------- filters

const NUM = "-?\\d+(?:\\.\\d+)?";
const RANGE = new RegExp(`^(?:(${NUM})?\\.\\.(${NUM})?|(${NUM})|(\\d+(?:\\.\\d+)?)-(\\d+(?:\\.\\d+)?))$`);

// The server checks every filter too; checking here first shows the message at once
// and spares a 400.
function checkFilter(check, text, name) {
  if (check === "range" || check === "whole") {
    const m = text.replaceAll(" ", "").match(RANGE);
    if (!m) return `${name}: write a number or a range like 6..8, 6.. or ..8`;
    const numbers = m.slice(1).filter((x) => x !== undefined);
    if (check === "whole" && numbers.some((x) => x.includes("."))) return `${name}: whole numbers only`;
    const lo = m[1] ?? m[4];
    const hi = m[2] ?? m[5];
    if (lo !== undefined && hi !== undefined && Number(lo) > Number(hi)) {
      return `${name}: the range ${text} is empty; write the smaller number first`;
    }
  }
  if (check === "size" && !/^\d+\s*[xX×]\s*\d+$/.test(text)) return `${name}: write a size like 512x768`;
  if (check === "id" && !/^\d+$/.test(text)) return `${name}: a library id is a whole number, like 12`;
  return null;
}

function buildToolbar() {
  const c = {};
  c.q = el("input", {
    type: "search", id: "lib-q", autocomplete: "off", "aria-label": "Search",
    placeholder: 'search prompts, notes, tags, file names   -word excludes · word* · "a phrase"',
  });
  c.rating = el("select", { id: "lib-rating", "aria-label": "Rating" },
    [["", "any rating"], ["1..", "★ 1 or more"], ["3..", "★ 3 or more"], ["4..", "★ 4 or more"],
      ["5", "★ 5"], ["0", "unrated"]].map(([v, t]) => el("option", { value: v }, t)));
  c.keep = el("input", { type: "checkbox", id: "lib-keep" });
  c.trash = el("input", { type: "checkbox", id: "lib-trash" });
  c.order = el("select", { id: "lib-order", "aria-label": "Order" },
    [["newest", "newest first"], ["oldest", "oldest first"], ["rating", "best rated"], ["rank", "best match"]]
      .map(([v, t]) => el("option", { value: v }, t)));
  c.tile = el("select", { id: "lib-tile-size", "aria-label": "Thumbnail size" },
    Object.keys(TILE_SIZES).map((k) => el("option", { value: k, selected: k === "M" }, `thumbnails ${k}`)));
  c.more = {};
  for (const [name, text, check, placeholder] of MORE_FILTERS) {
    let input;
    if (check === "kind") {
      input = el("select", { id: `lib-f-${name}` }, el("option", { value: "" }, "any"), KINDS.map((k) => el("option", { value: k }, k)));
    } else {
      input = el("input", { id: `lib-f-${name}`, type: check === "date" ? "date" : "text", placeholder, autocomplete: "off" });
    }
    input.dataset.check = check;
    input.dataset.label = text;
    c.more[name] = input;
  }
  return c;
}

// The filters as GET /api/library's query (limit/offset added per page), or an error.
function readFilters(c) {
  const params = new URLSearchParams();
  for (const input of Object.values(c.more)) input.removeAttribute("aria-invalid");
  if (c.q.value.trim()) params.set("q", c.q.value.trim());
  if (c.rating.value) params.set("rating", c.rating.value);
  if (c.keep.checked) params.set("keep", "true");
  if (c.trash.checked) params.set("trash", "true");
  for (const [name, input] of Object.entries(c.more)) {
    const value = input.value.trim();
    if (!value) continue;
    if (name === "tag") {
      for (const tag of value.split(",").map((t) => t.trim()).filter(Boolean)) params.append("tag", tag);
      continue;
    }
    const problem = checkFilter(input.dataset.check, value, input.dataset.label);
    if (problem) {
      input.setAttribute("aria-invalid", "true");
      return { error: problem, input };
    }
    params.set(name, value);
  }
  if (c.order.value !== "newest") params.set("order", c.order.value);
  return { params };
}

function writeFilters(c, query) {
  c.q.value = query.get("q") ?? "";
  c.rating.value = query.get("rating") ?? "";
  c.keep.checked = query.get("keep") === "true";
  c.trash.checked = query.get("trash") === "true";
  c.order.value = query.get("order") ?? "newest";
  if (query.get("tiles") in TILE_SIZES) c.tile.value = query.get("tiles");
  for (const [name, input] of Object.entries(c.more)) {
    input.value = name === "tag" ? query.getAll("tag").join(", ") : (query.get(name) ?? "");
  }
}

function activeMoreFilters(c) {
  return Object.values(c.more).filter((input) => input.value.trim()).length;
}

function syncHash() {
  if (!S) return;
  const query = new URLSearchParams(S.params);
  if (S.controls.tile.value !== "M") query.set("tiles", S.controls.tile.value);
  const path = S.mode === "detail" && S.detailId ? `#/library/${S.detailId}` : "#/library";
  const hash = query.toString() ? `${path}?${query}` : path;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

async function applyFilters() {
  if (!S) return; // a debounced call after the page was left
  const c = S.controls;
  const { params, error, input } = readFilters(c);
  showError(S.filterError, error);
  c.moreButton.textContent = `Filters${activeMoreFilters(c) ? ` (${activeMoreFilters(c)})` : ""}`;
  if (error) {
    if (input) c.moreBox.classList.remove("hidden");
    return;
  }
  S.params = params;
  syncHash();
  const page = S;
  try {
    await page.grid.reload();
    showError(page.filterError, null);
  } catch (err) {
    showError(page.filterError, err);
  }
  if (S === page) updateCount();
}

function updateCount() {
  if (!S) return;
  const total = S.grid.total;
  S.count.textContent = S.params.get("trash") ? plural(total, "entry in the trash", "entries in the trash")
    : plural(total, "entry", "entries");
  S.empty.classList.toggle("hidden", total > 0);
  S.empty.textContent = S.params.toString()
    ? "Nothing matches these filters." : "The library is empty: generate something, or import a folder (pixref log import).";
}

// ----------------------------------------------------------------------------- the grid

async function fetchPage(offset, limit) {
  const query = new URLSearchParams(S.params);
  query.set("limit", String(limit));
  query.set("offset", String(offset));
  const page = await getJSON(`/api/library?${query}`);
  return { total: page.total, items: page.entries };
}

function renderTile(tile, item, index, inView) {
  const marked = Boolean(item && S.marks.has(item.id));
  tile.classList.toggle("marked", marked);
  tile.setAttribute("aria-selected", String(marked));
  if (!item) {
    if (tile.key_ === null) return;
    tile.key_ = null;
    delete tile.dataset.id;
    tile.classList.add("loading");
    tile.replaceChildren();
    tile.removeAttribute("title");
    tile.setAttribute("aria-label", "loading");
    return;
  }
  // Until the first screen has painted, the rows around it wait for their thumbnails:
  // six connections to loopback are the bottleneck, and those rows are not seen yet.
  const src = inView || S.painted ? thumbFor(item, S.grid.tileSize) : null;
  const kept = item.keep ? "kept" : "";
  const key = `${src}|${item.rating}|${kept}|${item.in_trash}`;
  if (tile.key_ === key) return;
  tile.key_ = key;
  tile.classList.remove("loading");
  tile.dataset.id = String(item.id);
  tile.title = `#${item.id} · ${item.width}×${item.height}${item.prompt ? ` · ${item.prompt}` : ""}`;
  tile.setAttribute("aria-label", `#${item.id}${item.prompt ? `: ${item.prompt.slice(0, 80)}` : ""}`);
  let img = tile.querySelector("img");
  if (src && (!img || img.getAttribute("src") !== src)) {
    img = el("img", { src, alt: "", decoding: "async", draggable: "false", fetchpriority: inView ? "high" : "low" });
    img.addEventListener("load", watchFirstPaint, { once: true });
    img.addEventListener("error", () => { tile.classList.add("broken"); painted(); }, { once: true });
  }
  const badges = el("span", { class: "badges" },
    item.rating ? el("span", { class: "stars-badge" }, "★".repeat(item.rating)) : null,
    item.keep ? el("span", { class: "keep-badge", title: "kept" }, "keep") : null);
  tile.replaceChildren(...[src ? img : null, badges, el("span", { class: "mark", "aria-hidden": "true" }, "✓")].filter(Boolean));
}

// Marks the moment every thumbnail in view has loaded, once per mount (the paint
// benchmark and the tests read it); then the rows around the view get theirs.
function watchFirstPaint() {
  if (!S || S.painted) return;
  const [first, end] = S.grid.view;
  const inView = [...S.grid.tiles].filter(([index]) => index >= first && index < end).map(([, tile]) => tile);
  if (!inView.length || inView.some((tile) => !tile.querySelector("img")?.complete)) return;
  painted();
}

function painted() {
  if (!S || S.painted) return;
  S.painted = true;
  requestAnimationFrame(() => {
    performance.mark(PAINT_MARK);
    if (!S) return;
    S.root.setAttribute("data-painted", "true");
    S.grid.redraw(); // now the rows around the view
  });
}

function toggleMark(item) {
  if (!item) return;
  if (S.marks.has(item.id)) S.marks.delete(item.id);
  else S.marks.set(item.id, item);
  S.grid.redraw();
  updateSelectionBar();
}

function updateSelectionBar() {
  const ids = [...S.marks.keys()];
  S.diffButton.disabled = ids.length !== 2;
  S.clearMarks.classList.toggle("hidden", !ids.length);
  S.marked.textContent = ids.length
    ? `${ids.length} marked: ${ids.map((id) => `#${id}`).join(", ")}${ids.length === 2 ? "" : " — mark exactly two to diff"}`
    : "Ctrl-click or Space marks entries; mark two to diff. ←↑→↓ move, Enter opens, 0–5 rate, K keeps, Esc closes.";
}

function gridKey(event, index, item) {
  if (event.key === "Escape") {
    if (S.mode) closeSide();
    else if (S.marks.size) { S.marks.clear(); S.grid.redraw(); updateSelectionBar(); }
    return true;
  }
  if (!item || event.ctrlKey || event.metaKey) return false;
  if (event.key === " ") {
    toggleMark(item);
    return true;
  }
  if (/^[0-5]$/.test(event.key)) {
    annotate(item.id, "rating", { rating: Number(event.key) }, S.filterError);
    return true;
  }
  if (event.key === "k" || event.key === "K") {
    annotate(item.id, "keep", { keep: !item.keep }, S.filterError);
    return true;
  }
  return false;
}

function gridClick(event, index, item) {
  if (!(event.ctrlKey || event.metaKey || event.shiftKey)) return false;
  toggleMark(item);
  return true;
}

// ----------------------------------------------------------------------------- annotations

// PUT/POST/DELETE one annotation; the answer (the entry in full) updates the grid and
// the detail panel. Errors go to `slot`, next to the control that sent them.
async function annotate(id, what, body, slot) {
  showError(slot, null);
  const url = `/api/library/${id}/${what}`;
  try {
    let entry;
    if (what === "tags" && body.remove) {
      entry = await send("DELETE", `${url}?${new URLSearchParams(body.remove.map((t) => ["tag", t]))}`);
    } else {
      entry = await send(what === "tags" ? "POST" : "PUT", url, body);
    }
    if (!S) return null;
    const { params: _p, infotext: _i, raw: _r, parents: _pa, children: _c, sweep: _s, ...summary } = entry;
    S.grid.update((item) => item.id === id, summary);
    if (S.marks.has(id)) S.marks.set(id, { ...S.marks.get(id), ...summary });
    if (S.mode === "detail" && S.detailId === id) refreshAnnotations(entry);
    return entry;
  } catch (err) {
    showError(slot, err);
    return null;
  }
}

function annotationsSection(e) {
  const slot = el("div", { class: "error", id: "lib-annot-error", role: "alert" });
  const stars = el("div", { class: "stars", role: "group", "aria-label": "Rating" },
    [1, 2, 3, 4, 5].map((n) => el("button", {
      type: "button", class: "star", dataset: { n }, "aria-label": `${n} star${n > 1 ? "s" : ""}`,
      title: `${n} star${n > 1 ? "s" : ""} (click again to clear)`,
      onclick: () => annotate(e.id, "rating", { rating: S.detail.rating === n ? 0 : n }, slot),
    }, "★")));
  const keep = el("input", { type: "checkbox", id: "lib-keep-toggle" });
  keep.addEventListener("change", () => annotate(e.id, "keep", { keep: keep.checked }, slot));
  const tagSlot = el("div", { class: "error", id: "lib-tag-error", role: "alert" });
  const chips = el("div", { class: "chips", id: "lib-tags" });
  const tagInput = el("input", { id: "lib-tag-input", placeholder: "add tags: fairy, left arm ⏎", autocomplete: "off", "aria-label": "Add tags" });
  tagInput.addEventListener("keydown", async (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const tags = tagInput.value.split(",").map((t) => t.trim()).filter(Boolean);
    if (!tags.length) return;
    if (await annotate(e.id, "tags", { tags }, tagSlot)) tagInput.value = "";
  });
  const noteSlot = el("div", { class: "error", id: "lib-note-error", role: "alert" });
  const note = el("textarea", { id: "lib-note", rows: 2, placeholder: "a note (saved when you leave the box, or Ctrl+Enter)" });
  const noteStatus = el("span", { class: "muted", id: "lib-note-status", "aria-live": "polite" });
  const saveNote = async () => {
    if (note.value === S.detail.note) return;
    noteStatus.textContent = "saving…";
    const entry = await annotate(e.id, "note", { note: note.value }, noteSlot);
    noteStatus.textContent = entry ? "saved" : "";
  };
  note.addEventListener("change", saveNote);
  note.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); saveNote(); }
  });
  const section = el("section", { class: "annotations", "aria-label": "Rating, keep, tags and note" },
    el("div", { class: "row tight" }, stars, el("label", { class: "inline" }, keep, "keep"), slot),
    el("div", { class: "row tight" }, chips, tagInput), tagSlot,
    note, el("div", { class: "row tight" },
      el("button", { type: "button", id: "lib-note-save", onclick: saveNote }, "save note"), noteStatus), noteSlot);
  S.annot = { stars, keep, chips, note, tagSlot, id: e.id };
  refreshAnnotations(e);
  return section;
}

function refreshAnnotations(e) {
  S.detail = { ...S.detail, ...e };
  const a = S.annot;
  if (!a || a.id !== e.id) return;
  for (const star of a.stars.children) {
    const n = Number(star.dataset.n);
    star.classList.toggle("on", n <= e.rating);
    star.setAttribute("aria-pressed", String(n === e.rating));
  }
  a.keep.checked = e.keep;
  a.chips.replaceChildren(...e.tags.map((tag) => el("span", { class: "chip" }, tag,
    el("button", { type: "button", class: "chip-x", "aria-label": `remove tag ${tag}`,
      onclick: () => annotate(e.id, "tags", { remove: [tag] }, a.tagSlot) }, "×"))));
  if (document.activeElement !== a.note) a.note.value = e.note;
}

// ----------------------------------------------------------------------------- detail

function sideHeader(title, subtitle) {
  return el("header", { class: "side-head" },
    el("h2", { id: "lib-side-title" }, title), el("span", { class: "muted" }, subtitle),
    el("button", { type: "button", class: "icon close", "aria-label": "Close (Esc)", title: "Close (Esc)", onclick: closeSide }, "✕"));
}

function showSide(mode) {
  S.mode = mode;
  S.side.classList.remove("hidden");
  S.body.classList.add("with-side");
}

function closeSide() {
  if (!S) return;
  S.mode = null;
  S.detailId = null;
  S.annot = null;
  S.side.classList.add("hidden");
  S.body.classList.remove("with-side");
  S.side.replaceChildren();
  syncHash();
  S.grid.el.focus({ preventScroll: true });
  requestAnimationFrame(() => S && S.grid.cursor >= 0 && S.grid.scrollToIndex(S.grid.cursor));
}

async function openDetail(ref) {
  const id = /^\d+$/.test(String(ref)) ? Number(ref) : NaN;
  S.detailId = id;
  showSide("detail");
  syncHash();
  const token = (S.sideToken += 1);
  S.side.replaceChildren(sideHeader(`#${ref}`, "loading…"));
  if (!Number.isSafeInteger(id) || id < 1) {
    S.side.append(el("div", { class: "error", id: "lib-detail-error", role: "alert" }, "a library id is a whole number, like 12"));
    return;
  }
  try {
    const entry = await getJSON(`/api/library/${id}`);
    if (!S || token !== S.sideToken) return;
    renderDetail(entry);
  } catch (err) {
    if (!S || token !== S.sideToken) return;
    S.side.querySelector(".side-head .muted").textContent = "";
    S.side.append(el("div", { class: "error", id: "lib-detail-error", role: "alert" }, err.message));
  }
  requestAnimationFrame(() => {
    if (S && S.grid.itemAt(S.grid.cursor)?.id === id) S.grid.scrollToIndex(S.grid.cursor);
  });
}

function renderDetail(e) {
  S.detail = e;
  const when = e.created_utc.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
  const sendRow = el("div", { class: "row tight send", role: "group", "aria-label": "Send to" },
    el("span", { class: "muted" }, "send to"),
    el("button", { type: "button", onclick: () => sendTo("generate", e.id, { mode: "img2img" }) }, "img2img"),
    el("button", { type: "button", onclick: () => sendTo("generate", e.id, { mode: "inpaint" }) }, "inpaint"),
    el("button", { type: "button", onclick: () => sendTo("sweep", e.id) }, "sweep"),
    el("button", { type: "button", onclick: () => sendTo("mockup", e.id) }, "mockup"),
    el("button", { type: "button", onclick: () => sendTo("pixelize", e.id) }, "pixelize"),
    el("a", { href: e.image_url, download: "", class: "button-link", title: "Download the file (infotext intact)" }, "download"));
  S.side.replaceChildren(...[
    sideHeader(`#${e.id}`, `${e.kind}${e.generator ? ` · ${e.generator}` : ""} · ${e.width}×${e.height} · ${when}`),
    imageViewer(e), sendRow, annotationsSection(e), paramsSection(e), infotextSection(e),
    lineageSection(e), similarSection(e), trashRow(e)].filter(Boolean));
}

function imageViewer(e) {
  const img = el("img", { src: e.image_url, alt: `#${e.id}`, id: "lib-full", draggable: "false" });
  const box = el("div", { class: "viewer checker", tabindex: "0", "aria-label": "Image: + and − zoom, 0 fits, drag to pan" }, img);
  const zoomLabel = el("span", { class: "muted", id: "lib-zoom" });
  let scale = 0; // 0: fit the box (whole multiples when the image is smaller)
  const effective = () => {
    if (scale) return scale;
    const fit = Math.min(box.clientWidth / img.naturalWidth, (window.innerHeight * 0.45) / img.naturalHeight);
    return fit >= 1 ? Math.floor(fit) : fit;
  };
  const apply = () => {
    if (!img.naturalWidth) return;
    const s = effective();
    img.style.width = `${Math.round(img.naturalWidth * s)}px`;
    img.style.height = `${Math.round(img.naturalHeight * s)}px`;
    const text = s >= 1 ? `${+s.toFixed(2)}×` : `${Math.round(s * 100)}%`;
    zoomLabel.textContent = `${img.naturalWidth}×${img.naturalHeight} at ${scale ? text : `fit (${text})`}`;
  };
  const zoom = (to) => { scale = to; apply(); };
  const step = (dir) => {
    const s = effective();
    zoom(dir > 0 ? Math.min(32, Math.floor(s) + 1) : Math.max(1, Math.ceil(s) - 1));
  };
  img.addEventListener("load", apply);
  box.addEventListener("keydown", (event) => {
    if (event.key === "+" || event.key === "=") step(1);
    else if (event.key === "-") step(-1);
    else if (event.key === "0") zoom(0);
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
  box.addEventListener("wheel", (event) => {
    if (!event.ctrlKey) return;
    event.preventDefault();
    step(event.deltaY < 0 ? 1 : -1);
  }, { passive: false });
  let drag = null;
  box.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
    box.setPointerCapture(event.pointerId);
  });
  box.addEventListener("pointermove", (event) => {
    if (!drag) return;
    box.scrollLeft = drag.left - (event.clientX - drag.x);
    box.scrollTop = drag.top - (event.clientY - drag.y);
  });
  for (const end of ["pointerup", "pointercancel"]) box.addEventListener(end, () => { drag = null; });
  const bar = el("div", { class: "row tight zoom-bar", role: "group", "aria-label": "Zoom" },
    el("button", { type: "button", onclick: () => zoom(0) }, "fit"),
    [1, 2, 4, 8].map((n) => el("button", { type: "button", onclick: () => zoom(n) }, `${n}×`)),
    el("button", { type: "button", class: "icon", "aria-label": "Zoom out", onclick: () => step(-1) }, "−"),
    el("button", { type: "button", class: "icon", "aria-label": "Zoom in", onclick: () => step(1) }, "+"),
    zoomLabel);
  return el("section", { class: "image-view", "aria-label": "Image" }, box, bar);
}

function paramsSection(e) {
  if (!e.params) {
    return el("section", { class: "params", id: "lib-params" },
      el("p", { class: "muted" }, "No generation parameters: imported without metadata."));
  }
  const p = e.params;
  // GenerationParams.to_dict leaves out fields at their default (512x512 is the size's).
  const main = [
    ["Steps", e.steps], ["Sampler", e.sampler], ["Schedule type", e.schedule_type],
    ["CFG scale", e.cfg_scale], ["Seed", e.seed], ["Size", `${p.width ?? 512}x${p.height ?? 512}`],
    ["Model", e.model],
  ];
  const skip = new Set(["version_record", "prompt", "negative_prompt", "steps", "sampler", "schedule_type",
    "cfg_scale", "seed", "width", "height", "model", "batch_size", "batch_count", "extra"]);
  const rest = Object.entries(p).filter(([k]) => !skip.has(k)).map(([k, v]) => [label(k), formatValue(v)]);
  for (const [k, v] of p.extra ?? []) rest.push([k, v]);
  const rows = [...main.filter(([, v]) => v !== null && v !== undefined), ...rest];
  return el("section", { class: "params", id: "lib-params", "aria-label": "Parameters" },
    el("div", { class: "prompt-block" }, el("div", { class: "muted" }, "Prompt"), el("div", { id: "lib-prompt" }, p.prompt || "—")),
    p.negative_prompt ? el("div", { class: "prompt-block" }, el("div", { class: "muted" }, "Negative prompt"),
      el("div", { id: "lib-negative" }, p.negative_prompt)) : null,
    el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { dataset: { name: k } }, formatValue(v))])));
}

async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied`);
  } catch {
    toast(`could not copy the ${what}: the browser refused the clipboard; select the text and copy it`, { error: true });
  }
}

function infotextSection(e) {
  const text = e.infotext ?? "";
  const slot = el("div", { class: "error" });
  const recall = el("button", { type: "button", onclick: async () => {
    showError(slot, null);
    try { copyText((await getJSON(`/api/library/${e.id}/recall`)).command, "command"); } catch (err) { showError(slot, err); }
  } }, "copy pixref command");
  return el("section", { "aria-label": "Infotext" },
    el("div", { class: "row tight" }, el("span", { class: "muted" }, "Infotext"),
      el("button", { type: "button", id: "lib-copy-infotext", disabled: !text, onclick: () => copyText(text, "infotext") }, "copy infotext"),
      e.params ? recall : null),
    el("div", { class: "infotext", id: "lib-infotext" }, text || "(none)"), slot);
}

// How a link reads from the child's side ("img2img of #3") and from the parent's ("#9 img2img").
const AS_CHILD = {
  img2img: "img2img of", inpaint: "inpainted from", variation_of: "variation of", refiner_pair: "refiner pair of",
  mockup_layer: "mockup with", pixelized_from: "pixelized from", snapped_from: "snapped from",
};
const AS_PARENT = {
  img2img: "img2img", inpaint: "inpainted", variation_of: "variation", refiner_pair: "refiner pair",
  mockup_layer: "in mockup", pixelized_from: "pixelized", snapped_from: "snapped",
};

function lineageSection(e) {
  const parts = [];
  const words = (table, relation) => table[relation] ?? relation.replaceAll("_", " ");
  for (const link of e.parents) parts.push(entryLink(link.id, `${words(AS_CHILD, link.relation)} #${link.id}`));
  for (const link of e.children) parts.push(entryLink(link.id, `#${link.id} ${words(AS_PARENT, link.relation)}`));
  const filterBy = (name, value) => {
    writeFilters(S.controls, new URLSearchParams([[name, String(value)]]));
    S.controls.moreBox.classList.remove("hidden");
    applyFilters();
  };
  const extras = [];
  if (e.sweep) {
    const values = Object.entries(e.sweep.values).map(([k, v]) => `${k} ${formatValue(v)}`).join(", ");
    extras.push(el("div", { class: "muted" }, `cell of sweep #${e.sweep.id}${e.sweep.name ? ` “${e.sweep.name}”` : ""}`
      + `${values ? ` (${values})` : ""}, ${e.sweep.cells} cells `,
    el("button", { type: "button", onclick: () => filterBy("sweep", e.sweep.id) }, "show the sweep")));
  }
  if (e.children.length) {
    extras.push(el("button", { type: "button", onclick: () => filterBy("parent", e.id) }, `show what was made from #${e.id}`));
  }
  if (!parts.length && !extras.length) return null;
  return el("section", { class: "lineage", id: "lib-lineage", "aria-label": "Lineage" },
    el("h3", {}, "Lineage"), el("div", { class: "strip" }, parts), extras);
}

function similarSection(e) {
  const out = el("div", { id: "lib-similar" });
  const slot = el("div", { class: "error" });
  const button = el("button", { type: "button", id: "lib-similar-btn", disabled: !e.params, onclick: async () => {
    button.disabled = true;
    showError(slot, null);
    try {
      const { groups } = await getJSON(`/api/library/${e.id}/similar`);
      if (!S || S.detailId !== e.id) return;
      out.replaceChildren(...(groups.length ? groups.map((g) => el("div", { class: "similar-group", dataset: { parameter: g.parameter } },
        el("h4", {}, label(g.parameter), el("span", { class: "muted" }, ` — this one: ${formatValue(g.base_value)}`)),
        el("div", { class: "strip" }, g.entries.map(({ value, entry }) =>
          entryLink(entry.id, formatValue(value), { src: thumbFor(entry, 64), title: `#${entry.id}: ${label(g.parameter)} ${formatValue(value)}`, lazy: true })))))
        : [el("p", { class: "muted" }, `Nothing in the library differs from #${e.id} in exactly one parameter.`)]));
    } catch (err) {
      showError(slot, err);
    } finally {
      button.disabled = false;
    }
  } }, "similar: one parameter away");
  return el("section", { class: "similar", "aria-label": "Similar" },
    el("div", { class: "row tight" }, button, e.params ? null : el("span", { class: "muted" }, "no parameters to compare")), slot, out);
}

function trashRow(e) {
  const slot = el("div", { class: "error" });
  const act = async (method, url, message) => {
    showError(slot, null);
    try {
      await send(method, url);
      toast(message);
      S.marks.delete(e.id);
      updateSelectionBar();
      closeSide();
      await S?.grid.reload({ keepScroll: true });
    } catch (err) { showError(slot, err); }
  };
  const button = e.in_trash
    ? el("button", { type: "button", onclick: () => act("POST", `/api/library/${e.id}/restore`, `#${e.id} restored`) }, "restore from the trash")
    : el("button", { type: "button", class: "danger", onclick: () => act("DELETE", `/api/library/${e.id}`, `#${e.id} moved to the trash`) }, "move to the trash");
  return el("section", { class: "row tight trash-row" }, button, slot);
}

// ----------------------------------------------------------------------------- diff

function wordDiff(parts, id) {
  return el("div", { class: "word-diff", id }, parts.flatMap(({ op, text }, i) => [
    i ? " " : "", op === "=" ? text : el(op === "-" ? "del" : "ins", {}, text)]));
}

async function showDiff() {
  const [a, b] = [...S.marks.values()];
  if (!a || !b) return;
  showSide("diff");
  S.detailId = null;
  syncHash();
  const token = (S.sideToken += 1);
  S.side.replaceChildren(sideHeader(`#${a.id} → #${b.id}`, "diff: the sliders that moved"));
  const slot = el("div", { class: "error", id: "lib-diff-error", role: "alert" });
  S.side.append(slot);
  const missing = [a, b].find((item) => !hasParams(item));
  if (missing) {
    showError(slot, `entry ${missing.id} has no generation parameters (an image imported without metadata); nothing to compare`);
    return;
  }
  try {
    const d = await getJSON(`/api/library/diff?a=${a.id}&b=${b.id}`);
    if (!S || token !== S.sideToken) return;
    const changes = d.changes.filter((c) => c.name !== "prompt" && c.name !== "negative_prompt");
    const promptMoved = d.prompt.some((p) => p.op !== "=");
    const negativeMoved = d.negative_prompt.some((p) => p.op !== "=");
    S.side.append(...[
      el("div", { class: "diff-images" },
        entryLink(a.id, `A #${a.id}`, { src: thumbFor(a, 192), size: 192 }),
        entryLink(b.id, `B #${b.id}`, { src: thumbFor(b, 192), size: 192 })),
      changes.length ? el("table", { class: "diff-table", id: "lib-diff-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "moved"), el("th", {}, `A #${a.id}`), el("th", {}, `B #${b.id}`))),
        el("tbody", {}, changes.map((c) => el("tr", { dataset: { name: c.name } },
          el("th", { scope: "row" }, label(c.name)), el("td", {}, formatValue(c.a)), el("td", {}, formatValue(c.b))))))
        : el("p", { class: "muted", id: "lib-diff-table" }, promptMoved || negativeMoved
          ? "Only the prompts differ." : "No slider moved: the same parameters."),
      promptMoved ? el("div", {}, el("h4", {}, "Prompt"), wordDiff(d.prompt, "lib-diff-prompt")) : null,
      negativeMoved ? el("div", {}, el("h4", {}, "Negative prompt"), wordDiff(d.negative_prompt, "lib-diff-negative")) : null,
      el("div", { class: "row tight" },
        el("button", { type: "button", onclick: () => {
          S.marks = new Map([[b.id, b], [a.id, a]]);
          showDiff();
        } }, "swap A and B"))].filter(Boolean));
  } catch (err) {
    if (S && token === S.sideToken) showError(slot, err);
  }
}

// ----------------------------------------------------------------------------- page

export async function mount(root, { args, query }) {
  ensureStyle("/ui/pages/library.css");
  const c = buildToolbar();
  S = {
    root: null, controls: c, params: new URLSearchParams(), marks: new Map(), mode: null,
    detailId: null, detail: null, annot: null, sideToken: 0, painted: false,
  };
  writeFilters(c, query);
  S.filterError = el("div", { class: "error", id: "lib-filter-error", role: "alert" });
  S.count = el("span", { class: "muted", id: "lib-count", "aria-live": "polite" });
  c.moreBox = el("div", { class: "filters hidden", id: "lib-filters" },
    Object.entries(c.more).map(([name, input]) => field(input.dataset.label, input, { class: `f-${name}` })));
  c.moreButton = el("button", { type: "button", id: "lib-more", "aria-expanded": "false", "aria-controls": "lib-filters",
    onclick: () => {
      const open = c.moreBox.classList.toggle("hidden") === false;
      c.moreButton.setAttribute("aria-expanded", String(open));
    } }, "Filters");
  if (activeMoreFilters(c)) c.moreBox.classList.remove("hidden");
  const clear = el("button", { type: "button", id: "lib-clear", title: "Clear every filter", onclick: () => {
    writeFilters(c, new URLSearchParams());
    applyFilters();
  } }, "clear");
  const refresh = el("button", { type: "button", class: "icon", id: "lib-refresh", title: "Reload the list (new generations)",
    "aria-label": "Reload the list", onclick: async () => {
      try {
        await S.grid.reload({ keepScroll: true });
        showError(S.filterError, null);
      } catch (err) { showError(S.filterError, err); }
    } }, "↻");
  const toolbar = el("form", { class: "toolbar panel", role: "search", onsubmit: (e) => { e.preventDefault(); applyFilters(); } },
    el("div", { class: "row tight" }, c.q, c.rating, el("label", { class: "inline" }, c.keep, "kept"),
      el("label", { class: "inline" }, c.trash, "trash"), c.order, c.moreButton, clear, c.tile, S.count, refresh),
    c.moreBox, S.filterError);
  const later = debounce(applyFilters, 250);
  c.q.addEventListener("input", later);
  for (const input of Object.values(c.more)) input.addEventListener(input.tagName === "SELECT" || input.type === "date" ? "change" : "input", later);
  for (const input of [c.rating, c.keep, c.trash, c.order]) input.addEventListener("change", applyFilters);
  c.tile.addEventListener("change", () => {
    S.grid.setTileSize(TILE_SIZES[c.tile.value]);
    syncHash();
  });

  S.grid = new VirtualGrid({
    fetchPage, renderTile, pageSize: PAGE_SIZE, tileSize: TILE_SIZES[c.tile.value], label: "Library entries",
    onOpen: (index, item) => openDetail(item.id),
    onCursor: (index, item) => { if (S.mode === "detail" && item && item.id !== S.detailId) S.followCursor(item.id); },
    onKey: gridKey, onClick: gridClick,
    onError: (err) => showError(S.filterError, err),
    onTotal: () => updateCount(),
  });
  S.followCursor = debounce((id) => S?.mode === "detail" && openDetail(id), 120);
  S.diffButton = el("button", { type: "button", id: "lib-diff", disabled: true, onclick: showDiff }, "diff");
  S.clearMarks = el("button", { type: "button", class: "hidden", onclick: () => {
    S.marks.clear();
    S.grid.redraw();
    updateSelectionBar();
  } }, "clear marks");
  S.marked = el("span", { class: "muted", id: "lib-marked" });
  S.empty = el("p", { class: "muted empty hidden", id: "lib-empty" });
  S.side = el("aside", { class: "side panel hidden", id: "lib-side", "aria-label": "Entry" });
  S.body = el("div", { class: "lib-body" },
    el("div", { class: "grid-col" }, el("div", { class: "selbar" }, S.marked, S.diffButton, S.clearMarks), S.empty, S.grid.el),
    S.side);
  S.root = el("div", { class: "library", id: "library" }, toolbar, S.body);
  // Escape closes the side panel wherever the focus is (the grid handles it first).
  S.onEscape = (event) => {
    if (event.key === "Escape" && S?.mode && !event.defaultPrevented) {
      event.preventDefault();
      closeSide();
    }
  };
  document.addEventListener("keydown", S.onEscape);
  root.append(S.root);
  S.fit = () => {
    const top = S.root.getBoundingClientRect().top + window.scrollY;
    S.root.style.height = `${Math.max(360, window.innerHeight - top - 16)}px`;
  };
  S.fit();
  window.addEventListener("resize", S.fit);
  updateSelectionBar();
  S.params = readFilters(c).params ?? new URLSearchParams();
  if (args[0]) openDetail(args[0]);
  S.grid.el.focus({ preventScroll: true });
  await applyFilters();
}

export function unmount() {
  if (!S) return;
  window.removeEventListener("resize", S.fit);
  document.removeEventListener("keydown", S.onEscape);
  S.grid.destroy();
  S = null;
}
