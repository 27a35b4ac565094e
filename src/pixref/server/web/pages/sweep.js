// Sweep: A1111's X/Y/Z plot. Up to three axes in A1111's value syntax over a small base
// form; Validate plans it on the server (POST /api/sweeps/check) and shows the grid's
// shape or each error beside its cause; Start queues it; the grid fills in cell by cell.
import { getJSON, postJSON, send } from "../lib/api.js";
import { el, ensureStyle, field, showError, toast } from "../lib/dom.js";
import { FINISHED, followJob, formatDuration } from "../lib/jobs.js";
import { imageUrl } from "../lib/nav.js";
import {
  applyParams, baseBody, baseFields, fillLists, loadLists, number, seedRow, sizeRow,
} from "../lib/params-form.js";

const LETTERS = ["X", "Y", "Z"];
// pixref.sweep's axis names (A1111's labels); any alias the server knows may be typed.
const AXIS_NAMES = [
  "Seed", "Var. seed", "Var. strength", "Steps", "CFG Scale", "Sampler", "Schedule type",
  "Width", "Height", "Size", "Checkpoint name", "VAE", "Clip skip", "Denoising",
  "Refiner switch at", "ControlNet weight", "LoRA weight", "Prompt S/R", "weight:TERM",
  "lora weight:NAME",
];
const HINTS = {
  seed: "1-4 · 100,200 · -1,-1 (random, fixed once)", "var seed": "1-4", "var strength": "0-0.6 [4]",
  steps: "10-30 (+10)", "cfg scale": "3-9 (+2) · 7,7.5,8", cfg: "3-9 (+2) · 7,7.5,8",
  sampler: "Euler a, DPM++ 2M", "schedule type": "Automatic, Karras", width: "448-576 (+64)",
  height: "448-576 (+64)", size: "512x512, 512x768", "checkpoint name": "a, b", checkpoint: "a, b",
  "clip skip": "1,2", "prompt s/r": "cat, fox, owl (the first occurs in the prompt)",
};
const weightHint = "0.8-1.4 (+0.2)";
const FIELD_OF = { model: "model", sampler_name: "sampler", scheduler: "scheduler", from_id: "from" };

let view = null; // the mounted page's state, for unmount

function hintFor(name) {
  const key = name.trim().toLowerCase();
  if (key.startsWith("weight:") || key.startsWith("lora weight")) return weightHint;
  return HINTS[key] ?? "1,2,3 · 1-5 · 1-5 (+2) · 7-9 [3]";
}

function axisRow(letter) {
  const lower = letter.toLowerCase();
  const error = el("div", { class: "error", id: `axis-${lower}-error`, role: "alert" });
  const name = el("input", {
    id: `axis-${lower}-name`, list: "sweep-axis-names", autocomplete: "off", spellcheck: "false",
    "aria-label": `${letter} axis`, "aria-describedby": error.id, placeholder: letter === "X" ? "e.g. CFG Scale" : "(none)",
  });
  const values = el("input", {
    id: `axis-${lower}-values`, autocomplete: "off", spellcheck: "false",
    "aria-label": `${letter} values`, "aria-describedby": error.id, placeholder: hintFor(""),
  });
  name.addEventListener("input", () => { values.placeholder = hintFor(name.value); });
  const row = el("div", { class: "sweep-axis", dataset: { axis: letter } },
    el("span", { class: "sweep-letter", "aria-hidden": "true" }, letter), name, values, error);
  return { letter, row, name, values, error };
}

function spec(axis) {
  return `${axis.name.value.trim()}=${axis.values.value.trim()}`;
}

// "7", "64x96", "Euler a": a value as a grid label.
function label(value) {
  return Array.isArray(value) ? value.join("x") : String(value);
}

function formatShape(out) {
  const [cols, rows, grids] = out.shape;
  const shape = [`a row of ${cols}`, `${cols} × ${rows} grid`, `${grids} grids of ${cols} × ${rows}`][out.axes.length - 1];
  return `${shape} · ${out.cells} cell${out.cells === 1 ? "" : "s"} · ${out.steps} sampling steps`;
}

// ---------------------------------------------------------------------------- the grid

// Empty tables with the axis values on the margins; cells fill in later.
function drawGrid(v, axes, shape) {
  const [cols, rows, grids] = shape;
  const [x, y, z] = axes;
  v.cells = new Map();
  v.cols = cols;
  v.grid.replaceChildren();
  v.grid.style.setProperty("--cell", `${v.cellSize()}px`);
  for (let k = 0; k < grids; k += 1) {
    const title = el("tr", {}, el("th", { class: "corner" }),
      el("th", { class: "axis-name", colspan: cols, scope: "colgroup" }, `${x.axis}: ${x.name}`));
    const head = el("tr", {}, el("th", { class: "corner axis-name" }, y ? `${y.axis}: ${y.name}` : ""),
      x.values.map((value) => el("th", { class: "value", scope: "col" }, label(value))));
    const body = [];
    for (let j = 0; j < rows; j += 1) {
      const cells = [];
      for (let i = 0; i < cols; i += 1) {
        const names = [[x, i], [y, j], [z, k]].filter(([a]) => a).map(([a, n]) => `${a.name} ${label(a.values[n])}`);
        const td = el("td", { class: "pending", dataset: { x: i, y: j, z: k } },
          el("span", { class: "sweep-wait", "aria-label": `${names.join(", ")}: waiting` }, "…"));
        td.dataset.names = names.join(", ");
        v.cells.set(`${i},${j},${k}`, td);
        cells.push(td);
      }
      body.push(el("tr", {}, el("th", { class: "value", scope: "row" }, y ? label(y.values[j]) : ""), cells));
    }
    const table = el("table", { class: "sweep-grid", dataset: { z: k } },
      z ? el("caption", {}, el("span", { class: "axis-name" }, `${z.axis}: ${z.name}`), ` = ${label(z.values[k])}`) : "",
      el("thead", {}, title, head), el("tbody", {}, body));
    v.grid.append(table);
  }
}

function fillCells(v, cells) {
  for (const cell of cells) {
    const td = v.cells?.get(cell.position.join(","));
    if (!td || !td.classList.contains("pending")) continue;
    td.classList.remove("pending");
    const alt = td.dataset.names;
    if (cell.image_id === null) {
      td.replaceChildren(el("span", { class: "muted", title: "made, but not logged in the library" }, "not logged"));
      continue;
    }
    const img = el("img", { src: imageUrl(cell.image_id), alt, loading: "lazy", decoding: "async" });
    td.replaceChildren(el("a", { href: `#/library/${cell.image_id}`, title: `#${cell.image_id} · ${alt}` }, img));
  }
}

// Arrow keys move between the grid's cells.
function gridKeys(event) {
  const td = event.target.closest("td");
  const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (!td || !moves[event.key]) return;
  const [dx, dy] = moves[event.key];
  const row = td.parentElement;
  const target = dy === 0 ? (dx < 0 ? td.previousElementSibling : td.nextElementSibling)
    : (dy < 0 ? row.previousElementSibling : row.nextElementSibling)?.children[td.cellIndex];
  const link = target?.querySelector("a");
  if (link) {
    event.preventDefault();
    link.focus();
  }
}

// ---------------------------------------------------------------------------- a sweep job

function showJob(v, summary) {
  const done = FINISHED.includes(summary.state);
  v.bar.style.width = `${Math.round((summary.state === "done" ? 1 : summary.progress) * 100)}%`;
  v.bar.parentElement.setAttribute("aria-valuenow", String(Math.round(summary.progress * 100)));
  const parts = [];
  if (summary.state === "queued") parts.push("queued: waiting for the device");
  else parts.push(`${summary.image} of ${summary.images} cells`);
  if (summary.state === "running" && summary.eta !== null) parts.push(`${formatDuration(summary.eta)} left`);
  if (summary.state === "running" && summary.message && !summary.message.includes("cells")) parts.push(summary.message);
  if (summary.state === "done") parts.push(`done in ${formatDuration(summary.finished - summary.started)}`);
  if (summary.state === "cancelled") parts.push("cancelled");
  v.status.textContent = parts.join(" · ");
  v.status.dataset.state = summary.state;
  v.cancel.disabled = done;
  v.start.disabled = !done;
  v.resume.classList.toggle("hidden", summary.state !== "cancelled");
  showError(v.jobError, summary.state === "failed" ? summary.error : null);
  if (done || summary.image > v.shown) refresh(v, summary);
}

// GET the sweep for its finished cells: one request at a time, once more if asked meanwhile.
async function refresh(v) {
  if (v.fetching) {
    v.again = true;
    return;
  }
  v.fetching = true;
  try {
    const sweep = await getJSON(`/api/sweeps/${encodeURIComponent(v.job)}`);
    if (!v.mounted || sweep.job.id !== v.job) return;
    const cells = sweep.result?.cells ?? [];
    v.shown = Math.max(v.shown, cells.length);
    fillCells(v, cells);
    if (FINISHED.includes(sweep.job.state)) finish(v, sweep);
  } catch (err) {
    showError(v.jobError, err);
  } finally {
    v.fetching = false;
    if (v.again && v.mounted) {
      v.again = false;
      refresh(v);
    }
  }
}

function finish(v, sweep) {
  const result = sweep.result;
  v.links.replaceChildren();
  if (!result) return;
  if (result.grid_url) v.links.append(el("a", { href: result.grid_url, target: "_blank", rel: "noopener" }, "grid PNG"));
  if (result.sweep_id) v.links.append(" · ", el("a", { href: `#/library?sweep=${result.sweep_id}` }, `library sweep #${result.sweep_id}`));
  for (const warning of result.warnings || []) v.links.append(el("div", { class: "muted" }, warning));
}

function follow(v, sweep) {
  v.follower?.stop();
  v.job = sweep.job.id;
  v.shown = 0;
  v.links.replaceChildren();
  v.heading.textContent = `Sweep ${sweep.job.id}`;
  drawGrid(v, sweep.axes, sweep.shape);
  if (sweep.result) fillCells(v, sweep.result.cells);
  showJob(v, sweep.job);
  if (FINISHED.includes(sweep.job.state)) return;
  v.follower = followJob(v.job, {
    onUpdate: (summary) => v.mounted && showJob(v, summary),
    poll: async () => (await getJSON(`/api/sweeps/${encodeURIComponent(v.job)}`)).job,
  });
}

// ---------------------------------------------------------------------------- validate, start

function clearErrors(v) {
  for (const axis of v.axes) {
    showError(axis.error, null);
    axis.name.removeAttribute("aria-invalid");
    axis.values.removeAttribute("aria-invalid");
  }
  for (const slot of Object.values(v.fieldErrors)) showError(slot, null);
  showError(v.formError, null);
}

// The request body, or null after saying (next to it) what the browser refuses already.
function body(v) {
  clearErrors(v);
  if (!v.form.reportValidity()) return null;
  const used = v.axes.filter((a) => a.name.value.trim() || a.values.value.trim());
  for (const axis of used) {
    if (!axis.name.value.trim()) {
      showError(axis.error, "choose an axis name (type or pick one)");
      axis.name.setAttribute("aria-invalid", "true");
      axis.name.focus();
      return null;
    }
  }
  if (!used.length) {
    const first = v.axes[0];
    showError(first.error, "a sweep needs at least one axis: a name and its values");
    first.name.focus();
    return null;
  }
  v.used = used;
  const out = { ...baseBody(v.f), axes: used.map(spec), batch_size: Number(v.batchSize.value) };
  if (v.fromId) out.from_id = v.fromId;
  return out;
}

// Plan on the server; show the shape or each error beside its cause. True when good.
async function validate(v) {
  const request = body(v);
  if (!request) return false;
  v.shape.textContent = "checking…";
  let out;
  try {
    out = await postJSON("/api/sweeps/check", request);
  } catch (err) {
    v.shape.textContent = "";
    showError(v.formError, err);
    return false;
  }
  out.axes.forEach((result, i) => {
    const axis = v.used[i];
    if (!result.error) return;
    showError(axis.error, result.error);
    const nameIsWrong = /unknown axis|must be NAME=VALUES|given twice|does not occur|has no <lora|needs a|no ControlNet|hires fix/.test(result.error);
    (nameIsWrong ? axis.name : axis.values).setAttribute("aria-invalid", "true");
  });
  if (out.error) showError(v.fieldErrors[FIELD_OF[out.field]] ?? v.formError, out.error);
  if (!out.ok) {
    v.shape.textContent = "";
    const firstBad = v.used.find((a, i) => out.axes[i].error);
    (firstBad?.values.getAttribute("aria-invalid") ? firstBad.values : firstBad?.name)?.focus();
    return false;
  }
  v.shape.textContent = formatShape(out);
  if (!v.job || FINISHED.includes(v.lastState())) {
    if (v.job) history.replaceState(null, "", "#/sweep");
    v.job = null;
    v.heading.textContent = "Preview";
    v.status.textContent = "";
    v.bar.style.width = "0";
    v.links.replaceChildren();
    drawGrid(v, out.axes, out.shape);
  }
  return true;
}

async function start(v) {
  if (v.start.disabled) return;
  v.start.disabled = true;
  try {
    if (!(await validate(v))) return;
    const sweep = await postJSON("/api/sweeps", body(v));
    history.replaceState(null, "", `#/sweep/${sweep.job.id}`);
    follow(v, sweep);
    toast(`sweep ${sweep.job.id} queued: ${sweep.cells} cell${sweep.cells === 1 ? "" : "s"}`);
  } catch (err) {
    showError(v.formError, err);
  } finally {
    if (!v.job || FINISHED.includes(v.lastState())) v.start.disabled = false;
  }
}

async function cancel(v) {
  if (!v.job) return;
  v.cancel.disabled = true;
  try {
    showJob(v, (await send("DELETE", `/api/sweeps/${encodeURIComponent(v.job)}`)).job);
  } catch (err) {
    showError(v.jobError, err);
  }
}

async function resume(v) {
  try {
    const sweep = await postJSON(`/api/sweeps/${encodeURIComponent(v.job)}/resume`);
    history.replaceState(null, "", `#/sweep/${sweep.job.id}`);
    follow(v, sweep);
  } catch (err) {
    showError(v.jobError, err);
  }
}

// ---------------------------------------------------------------------------- the page

async function startFrom(v, imageId) {
  try {
    const entry = await getJSON(`/api/library/${encodeURIComponent(imageId)}`);
    if (!entry.params) {
      showError(v.fieldErrors.from, `library #${imageId} has no generation parameters`);
      return;
    }
    applyParams(v.f, entry.params);
    v.fromId = entry.id;
    v.fromNote.replaceChildren(
      el("span", {}, "From ", el("a", { href: `#/library/${entry.id}` }, `library #${entry.id}`),
        ": what this form does not show (VAE, clip skip, hires fix…) comes from it too. "),
      el("button", { type: "button", class: "icon", "aria-label": "Do not start from this entry", title: "Forget the entry",
        onclick: () => { v.fromId = null; v.fromNote.replaceChildren(); } }, "✕"));
  } catch (err) {
    showError(v.fieldErrors.from, err);
  }
}

// A sweep the server knows (by job id), or the one running now.
async function reopen(v, jobId) {
  const sweeps = await getJSON("/api/sweeps");
  const sweep = jobId ? sweeps.find((s) => s.job.id === jobId)
    : sweeps.find((s) => !FINISHED.includes(s.job.state));
  if (!sweep) {
    if (jobId) showError(v.jobError, `the server no longer knows sweep ${jobId}`);
    return;
  }
  applyParams(v.f, sweep.base);
  v.fromId = null;
  v.fromNote.replaceChildren();
  sweep.axes.forEach((axis, i) => {
    const [name, values] = [axis.spec.slice(0, axis.spec.indexOf("=")), axis.spec.slice(axis.spec.indexOf("=") + 1)];
    v.axes[i].name.value = name;
    v.axes[i].values.value = values;
  });
  follow(v, sweep);
}

export async function mount(root, { args, query }) {
  ensureStyle("/ui/pages/sweep.css");
  const f = baseFields();
  const v = {
    f, mounted: true, job: null, shown: 0, fromId: null, follower: null,
    axes: LETTERS.map(axisRow),
    batchSize: number({ id: "batch-size", min: 1, max: 64, value: 4, title: "Most cells per engine batch (cells that differ by seed only)" }),
    zoom: el("select", { id: "zoom", "aria-label": "Zoom" },
      ["fit", "0.25", "0.5", "1", "2", "3", "4", "6", "8"].map((z) => el("option", { value: z }, z === "fit" ? "fit" : `${z}×`))),
    fieldErrors: {
      model: el("div", { class: "error", id: "model-error" }), sampler: el("div", { class: "error", id: "sampler-error" }),
      scheduler: el("div", { class: "error", id: "scheduler-error" }), from: el("div", { class: "error", id: "from-error" }),
    },
    formError: el("div", { class: "error", id: "sweep-error", role: "alert" }),
    jobError: el("div", { class: "error", id: "sweep-job-error", role: "alert" }),
    shape: el("span", { id: "sweep-shape", "aria-live": "polite" }),
    status: el("span", { id: "sweep-status", class: "muted", "aria-live": "polite" }),
    bar: el("div"),
    heading: el("h2", { id: "sweep-heading" }, "Grid"),
    grid: el("div", { id: "sweep-grid", class: "sweep-grids" }),
    links: el("div", { id: "sweep-links", class: "muted" }),
    fromNote: el("div", { id: "sweep-from", class: "muted" }),
  };
  v.lastState = () => v.status.dataset.state;
  v.cellSize = () => {
    const z = v.zoom.value;
    const native = Math.max(Number(f.width.value) || 512, Number(f.height.value) || 512);
    if (z !== "fit") return Math.round(native * Number(z));
    const cols = v.cols || 2;
    const room = Math.max(128, (v.grid.clientWidth || 700) - 90) / Math.max(1, cols);
    const fits = [8, 6, 4, 3, 2, 1, 0.5, 0.25].find((s) => native * s <= Math.min(room, 384)) ?? 0.25;
    return Math.round(native * fits);
  };
  v.zoom.addEventListener("change", () => v.grid.style.setProperty("--cell", `${v.cellSize()}px`));
  v.validate = el("button", { type: "submit", id: "sweep-validate" }, "Validate");
  v.start = el("button", { type: "button", class: "primary", id: "sweep-start", title: "Ctrl+Enter", onclick: () => start(v) }, "Start");
  v.cancel = el("button", { type: "button", id: "sweep-cancel", disabled: true, onclick: () => cancel(v) }, "Cancel");
  v.resume = el("button", { type: "button", id: "sweep-resume", class: "hidden", onclick: () => resume(v) }, "Resume");
  const names = el("datalist", { id: "sweep-axis-names" }, AXIS_NAMES.map((n) => el("option", { value: n })));
  v.form = el("form", { class: "panel", id: "sweep-form" },
    el("h2", {}, "Axes"), names,
    el("div", { class: "sweep-axes" }, v.axes.map((a) => a.row)),
    el("p", { class: "muted sweep-syntax" }, "A1111's syntax: ", el("code", {}, "1,2,3"), " ", el("code", {}, "1-5"), " ",
      el("code", {}, "1-5 (+2)"), " ", el("code", {}, "7-9 [3]"), " · ", el("code", {}, "weight:TERM"), " sweeps a prompt term's weight"),
    el("h2", {}, "Base parameters"),
    field("Prompt", f.prompt), field("Negative prompt", f.negative),
    el("div", { class: "row" }, field("Checkpoint", f.model)), v.fieldErrors.model,
    el("div", { class: "row" }, field("Sampler", f.sampler), field("Schedule type", f.scheduler)),
    v.fieldErrors.sampler, v.fieldErrors.scheduler,
    el("div", { class: "row" }, field("Steps", f.steps), field("CFG scale", f.cfg), field("Batch size", v.batchSize)),
    sizeRow(f), seedRow(f), v.fromNote, v.fieldErrors.from,
    el("div", { class: "row sweep-actions" }, v.validate, v.start, v.shape), v.formError);
  v.form.addEventListener("submit", (event) => {
    event.preventDefault();
    validate(v);
  });
  v.form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      start(v);
    }
  });
  v.grid.addEventListener("keydown", gridKeys);
  root.append(el("div", { class: "layout sweep-page" },
    v.form,
    el("section", { class: "panel sweep-out", "aria-label": "Sweep grid" },
      el("div", { class: "row sweep-head" }, v.heading, el("span", { class: "grow" }), field("Zoom", v.zoom, { class: "inline" }), v.cancel, v.resume),
      el("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-label": "Sweep progress" }, v.bar),
      v.status, v.jobError, v.links, v.grid)));
  view = v;
  try {
    if (!fillLists(f, await loadLists())) {
      showError(v.fieldErrors.model, "no checkpoint installed: put one in the models folder's Stable-diffusion/ and reload");
    }
  } catch (err) {
    showError(v.formError, err);
  }
  try {
    if (query.get("image") && !args[0]) await startFrom(v, query.get("image"));
    else await reopen(v, args[0]);
  } catch (err) {
    showError(v.jobError, err);
  }
  v.axes[0].name.focus();
}

export function unmount() {
  if (!view) return;
  view.mounted = false;
  view.follower?.stop();
  view = null;
}
