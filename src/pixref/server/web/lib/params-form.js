// The base generation parameters as form controls, shared by pages that generate:
// prompt, negative, checkpoint, sampler, schedule type, steps, CFG, size and seed.
// Values go out under A1111's API names and come in from library entries.
import { getJSON } from "./api.js";
import { bindAttentionKeys } from "./attention.js";
import { el, field } from "./dom.js";

export const SIZE_PRESETS = ["512x512", "512x768", "768x512", "768x768", "832x1216", "1024x1024", "1216x832"];

// GenerationParams' defaults: library entries leave out what equals them.
export const PARAM_DEFAULTS = {
  prompt: "", negative_prompt: "", steps: 20, sampler: "Euler a", schedule_type: "Automatic",
  cfg_scale: 7, seed: -1, width: 512, height: 512, model: null,
};

export const number = (attrs) => el("input", { type: "number", required: true, ...attrs });

// Fill a <select> with [value, label] pairs, keeping the current choice when it stays.
export function setOptions(select, items, { keep = true } = {}) {
  const previous = select.value;
  select.replaceChildren(...items.map(([value, label]) => el("option", { value }, label ?? value)));
  if (keep && items.some(([value]) => value === previous)) select.value = previous;
}

// Choose `value` in `select`, adding it (marked) when the server does not list it.
export function choose(select, value, note = "not installed?") {
  if (value === null || value === undefined || value === "") return;
  const stem = String(value).split(/[\\/]/).pop().replace(/\.(safetensors|ckpt|pt|bin|pth)$/i, "");
  const match = [...select.options].find((o) => o.value === value)
    ?? [...select.options].find((o) => o.dataset.name === value || o.dataset.name === stem);
  if (match) {
    select.value = match.value;
    return;
  }
  select.append(el("option", { value }, `${value} (${note})`));
  select.value = value;
}

let lists = null;

// Checkpoints, samplers and schedule types, fetched once per page load.
export function loadLists() {
  lists ??= Promise.all([
    getJSON("/sdapi/v1/sd-models"), getJSON("/sdapi/v1/samplers"), getJSON("/sdapi/v1/schedulers"),
  ]).then(([models, samplers, schedulers]) => ({ models, samplers, schedulers }))
    .catch((err) => { lists = null; throw err; });
  return lists;
}

// The controls, by name; `idPrefix` keeps ids apart when a page shows two forms.
export function baseFields(idPrefix = "") {
  const id = (name) => idPrefix + name;
  const f = {
    prompt: el("textarea", { id: id("prompt"), rows: 3, placeholder: "prompt — Ctrl+↑/↓ changes the weight of the selection" }),
    negative: el("textarea", { id: id("negative"), rows: 2, placeholder: "negative prompt" }),
    model: el("select", { id: id("model") }),
    sampler: el("select", { id: id("sampler") }),
    scheduler: el("select", { id: id("scheduler") }),
    steps: number({ id: id("steps"), min: 1, max: 150, value: 20 }),
    cfg: number({ id: id("cfg"), min: 0, max: 30, step: 0.5, value: 7 }),
    width: number({ id: id("width"), min: 64, max: 4096, step: 8, value: 512 }),
    height: number({ id: id("height"), min: 64, max: 4096, step: 8, value: 512 }),
    preset: el("select", { id: id("preset"), "aria-label": "Size preset" },
      el("option", { value: "" }, "presets…"), SIZE_PRESETS.map((p) => el("option", { value: p }, p.replace("x", " × ")))),
    seed: number({ id: id("seed"), min: -1, max: 4294967295, value: -1 }),
  };
  bindAttentionKeys(f.prompt);
  bindAttentionKeys(f.negative);
  return f;
}

// Fill the selects from the server's lists; an empty models list is said in `slot`.
export function fillLists(f, { models, samplers, schedulers }) {
  setOptions(f.model, models.map((m) => [m.title, m.model_name]));
  [...f.model.options].forEach((option, i) => { option.dataset.name = models[i].model_name; });
  setOptions(f.sampler, samplers.map((s) => [s.name]));
  if (samplers.some((s) => s.name === "DPM++ 2M")) f.sampler.value = "DPM++ 2M";
  setOptions(f.scheduler, schedulers.map((s) => [s.label]));
  return models.length > 0;
}

export function sizeRow(f) {
  const swap = el("button", { type: "button", class: "icon", title: "Swap width and height", "aria-label": "Swap width and height",
    onclick: () => { [f.width.value, f.height.value] = [f.height.value, f.width.value]; } }, "⇅");
  f.preset.addEventListener("change", () => {
    if (!f.preset.value) return;
    [f.width.value, f.height.value] = f.preset.value.split("x");
    f.preset.value = "";
    f.width.dispatchEvent(new Event("change", { bubbles: true }));
  });
  return el("div", { class: "row" }, field("Width", f.width), field("Height", f.height), swap, f.preset);
}

// The seed with its random button, then any `extra` buttons (the Generate page's reuse).
export function seedRow(f, ...extra) {
  const random = el("button", { type: "button", class: "icon", title: "Random seed (-1)", "aria-label": "Random seed",
    onclick: () => { f.seed.value = -1; f.seed.dispatchEvent(new Event("change", { bubbles: true })); } }, "⚄");
  return el("div", { class: "row" }, field("Seed", f.seed), random, ...extra);
}

// The values under A1111's API names (/sdapi/v1/txt2img, /api/sweeps).
export function baseBody(f) {
  return {
    prompt: f.prompt.value, negative_prompt: f.negative.value,
    model: f.model.value || undefined, sampler_name: f.sampler.value || undefined,
    scheduler: f.scheduler.value || undefined,
    steps: Number(f.steps.value), cfg_scale: Number(f.cfg.value),
    width: Number(f.width.value), height: Number(f.height.value), seed: Number(f.seed.value),
  };
}

// Set the controls from a library entry's `params` (pixref's storage format).
export function applyParams(f, stored) {
  const p = { ...PARAM_DEFAULTS, ...stored };
  f.prompt.value = p.prompt;
  f.negative.value = p.negative_prompt;
  f.steps.value = p.steps;
  f.cfg.value = p.cfg_scale;
  f.width.value = p.width;
  f.height.value = p.height;
  f.seed.value = p.seed;
  choose(f.model, p.model);
  choose(f.sampler, p.sampler, "unknown");
  choose(f.scheduler, p.schedule_type, "unknown");
}
