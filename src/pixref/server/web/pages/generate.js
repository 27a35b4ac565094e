// Generate: txt2img / img2img / inpaint through A1111's /sdapi/v1, with live progress.
import { getJSON, pngDataUrl, postJSON, toBase64 } from "../lib/api.js";
import { bindAttentionKeys } from "../lib/attention.js";
import { el, field, showError, toast } from "../lib/dom.js";
import { imageUrl, sendTo } from "../lib/nav.js";
import { MaskPainter } from "../lib/mask.js";
import { SIZE_PRESETS, seedRow, setOptions, sizeRow } from "../lib/params-form.js";

const state = { lastSeed: null, polling: null, mask: null, initBlob: null, poseBlob: null };

const number = (attrs) => el("input", { type: "number", ...attrs });

function buildForm() {
  const f = {};
  f.mode = "txt2img";
  f.prompt = el("textarea", { id: "prompt", rows: 4, placeholder: "prompt — Ctrl+↑/↓ changes the weight of the selection" });
  f.negative = el("textarea", { id: "negative", rows: 2, placeholder: "negative prompt" });
  bindAttentionKeys(f.prompt);
  bindAttentionKeys(f.negative);
  f.model = el("select", { id: "model" });
  f.vae = el("select", { id: "vae" });
  f.sampler = el("select", { id: "sampler" });
  f.scheduler = el("select", { id: "scheduler" });
  f.steps = number({ id: "steps", min: 1, max: 150, value: 20 });
  f.cfg = number({ id: "cfg", min: 0, max: 30, step: 0.5, value: 7 });
  f.width = number({ id: "width", min: 64, max: 4096, step: 8, value: 512 });
  f.height = number({ id: "height", min: 64, max: 4096, step: 8, value: 512 });
  f.preset = el("select", { id: "preset", "aria-label": "Size preset" },
    el("option", { value: "" }, "presets…"), SIZE_PRESETS.map((p) => el("option", { value: p }, p.replace("x", " × "))));
  f.seed = number({ id: "seed", value: -1 });
  f.subseed = number({ id: "subseed", value: -1 });
  f.subseedStrength = number({ id: "subseed-strength", min: 0, max: 1, step: 0.01, value: 0 });
  f.batchCount = number({ id: "batch-count", min: 1, max: 100, value: 1 });
  f.batchSize = number({ id: "batch-size", min: 1, max: 8, value: 1 });
  f.refiner = el("select", { id: "refiner" });
  f.switchAt = number({ id: "switch-at", min: 0.01, max: 1, step: 0.01, value: 0.8 });
  f.denoise = number({ id: "denoise", min: 0, max: 1, step: 0.01, value: 0.75 });
  f.initFile = el("input", { id: "init-image", type: "file", accept: "image/*" });
  f.cnEnabled = el("input", { id: "cn-enabled", type: "checkbox" });
  f.cnModel = el("select", { id: "cn-model" });
  f.cnFile = el("input", { id: "cn-pose", type: "file", accept: "image/*,.json,application/json" });
  f.cnWeight = number({ id: "cn-weight", min: 0, max: 2, step: 0.05, value: 1 });
  f.cnStart = number({ id: "cn-start", min: 0, max: 1, step: 0.01, value: 0 });
  f.cnEnd = number({ id: "cn-end", min: 0, max: 1, step: 0.01, value: 1 });
  f.brush = el("input", { id: "brush", type: "range", min: 1, max: 128, value: 24 });
  return f;
}

function reuseSeedButton(f) {
  return el("button", { type: "button", class: "icon", title: "Reuse the last image's seed", "aria-label": "Reuse last seed",
    onclick: () => { if (state.lastSeed !== null) f.seed.value = state.lastSeed; else toast("no image generated yet"); } }, "♻");
}

function modeTabs(f, panels) {
  const buttons = ["txt2img", "img2img", "inpaint"].map((mode) =>
    el("button", { type: "button", dataset: { mode }, class: mode === f.mode ? "active" : "",
      onclick: () => setMode(f, panels, buttons, mode) }, mode));
  return el("div", { class: "tabs", role: "tablist" }, buttons);
}

function setMode(f, panels, buttons, mode) {
  f.mode = mode;
  for (const b of buttons) b.classList.toggle("active", b.dataset.mode === mode);
  panels.init.classList.toggle("hidden", mode === "txt2img");
  panels.maskTools.classList.toggle("hidden", mode !== "inpaint");
  if (state.mask) state.mask.setEnabled(mode === "inpaint");
}

async function loadLists(f, slot) {
  try {
    const [models, vaes, samplers, schedulers, controlnets] = await Promise.all([
      getJSON("/sdapi/v1/sd-models"), getJSON("/sdapi/v1/sd-vae"), getJSON("/sdapi/v1/samplers"),
      getJSON("/sdapi/v1/schedulers"), getJSON("/controlnet/model_list").catch(() => ({ model_list: [] })),
    ]);
    setOptions(f.model, models.map((m) => [m.title, m.model_name]));
    setOptions(f.refiner, [["", "none"], ...models.map((m) => [m.title, m.model_name])]);
    setOptions(f.vae, [["Automatic", "Automatic"], ["None", "None"], ...vaes.map((v) => [v.model_name, v.model_name])]);
    setOptions(f.sampler, samplers.map((s) => [s.name]));
    if (samplers.some((s) => s.name === "DPM++ 2M")) f.sampler.value = "DPM++ 2M";
    setOptions(f.scheduler, schedulers.map((s) => [s.label]));
    setOptions(f.cnModel, (controlnets.model_list || []).map((m) => [m]));
    if (!models.length) showError(slot, "no checkpoint installed: put one in the models folder's Stable-diffusion/ and reload");
  } catch (err) {
    showError(slot, err);
  }
}

async function poseImage(file) {
  // A pose JSON is rendered by the server into the guide image ControlNet sees.
  if (!file.name.toLowerCase().endsWith(".json")) return file;
  const response = await fetch("/api/pose/render", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: await file.text(),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.detail || `pose render failed (${response.status})`);
  }
  return response.blob();
}

async function payload(f) {
  const body = {
    prompt: f.prompt.value, negative_prompt: f.negative.value,
    sampler_name: f.sampler.value, scheduler: f.scheduler.value,
    steps: Number(f.steps.value), cfg_scale: Number(f.cfg.value),
    width: Number(f.width.value), height: Number(f.height.value),
    seed: Number(f.seed.value), subseed: Number(f.subseed.value),
    subseed_strength: Number(f.subseedStrength.value),
    batch_size: Number(f.batchSize.value), n_iter: Number(f.batchCount.value),
    override_settings: { sd_model_checkpoint: f.model.value, sd_vae: f.vae.value },
  };
  if (f.refiner.value) Object.assign(body, { refiner_checkpoint: f.refiner.value, refiner_switch_at: Number(f.switchAt.value) });
  if (f.cnEnabled.checked) {
    if (!state.poseBlob) throw new Error("ControlNet: choose a pose image or pose JSON first");
    body.alwayson_scripts = { controlnet: { args: [{
      enabled: true, module: "none", model: f.cnModel.value, image: await toBase64(state.poseBlob),
      weight: Number(f.cnWeight.value), guidance_start: Number(f.cnStart.value), guidance_end: Number(f.cnEnd.value),
    }] } };
  }
  if (f.mode !== "txt2img") {
    if (!state.initBlob) throw new Error("choose an init image first");
    Object.assign(body, { init_images: [await toBase64(state.initBlob)], denoising_strength: Number(f.denoise.value) });
    if (f.mode === "inpaint") {
      if (!state.mask || state.mask.isEmpty()) throw new Error("paint a mask over the part to regenerate");
      Object.assign(body, { mask: await toBase64(await state.mask.toBlob()), inpainting_fill: 1, inpaint_full_res: false, mask_blur: 4 });
    }
  }
  return body;
}

function startPolling(bar, preview, status) {
  stopPolling();
  state.polling = setInterval(async () => {
    try {
      const p = await getJSON("/sdapi/v1/progress");
      bar.style.width = `${Math.round(p.progress * 100)}%`;
      const s = p.state || {};
      status.textContent = s.sampling_steps ? `step ${s.sampling_step}/${s.sampling_steps}` +
        (p.eta_relative ? ` · ${p.eta_relative.toFixed(1)} s left` : "") : "";
      if (p.current_image) preview.src = pngDataUrl(p.current_image);
    } catch { /* the next poll will tell */ }
  }, 500);
}

function stopPolling() {
  clearInterval(state.polling);
  state.polling = null;
}

// Small images are shown at a whole multiple of their size, never smoothed.
export function zoomToFit(img, target) {
  const scale = Math.max(1, Math.floor(target / Math.max(img.naturalWidth, img.naturalHeight)));
  img.style.width = `${img.naturalWidth * scale}px`;
}

function showResults(out, response) {
  const info = JSON.parse(response.info || "{}");
  const ids = info.pixref_entry_ids || [];
  state.lastSeed = info.seed ?? state.lastSeed;
  out.replaceChildren();
  response.images.forEach((b64, i) => {
    const id = ids[i];
    const text = (info.infotexts || [])[i] || "";
    const copy = el("button", { type: "button", onclick: () => navigator.clipboard?.writeText(text).then(() => toast("infotext copied")) }, "copy infotext");
    const actions = id ? [
      el("a", { href: `#/library/${id}` }, `library #${id}`), " ",
      el("button", { type: "button", onclick: () => sendTo("pixelize", id) }, "pixelize"),
      el("button", { type: "button", onclick: () => sendTo("generate", id, { mode: "img2img" }) }, "img2img"),
    ] : [];
    const img = el("img", { src: pngDataUrl(b64), alt: `result ${i + 1}`, class: "checker" });
    img.addEventListener("load", () => zoomToFit(img, 512));
    out.append(el("figure", { class: "panel result" }, img,
      el("figcaption", {}, el("div", { class: "row" }, copy, ...actions), el("div", { class: "infotext" }, text))));
  });
  if (!response.images.length) out.append(el("p", { class: "muted" }, "interrupted before any image was finished"));
}

async function setInit(f, blob, stack) {
  state.initBlob = blob;
  const url = URL.createObjectURL(blob);
  const img = el("img", { src: url, alt: "init image", id: "init-preview" });
  await img.decode();
  state.mask = new MaskPainter(img.naturalWidth, img.naturalHeight, () => Number(f.brush.value));
  state.mask.setEnabled(f.mode === "inpaint");
  stack.replaceChildren(img, state.mask.canvas);
  f.width.value = Math.round(img.naturalWidth / 8) * 8;
  f.height.value = Math.round(img.naturalHeight / 8) * 8;
}

export async function mount(root, { query }) {
  const f = buildForm();
  const formError = el("div", { class: "error", id: "generate-error" });
  const cnError = el("div", { class: "error" });
  const bar = el("div");
  const status = el("span", { class: "muted", id: "progress-status" });
  const preview = el("img", { id: "live-preview", alt: "", class: "checker" });
  const out = el("div", { class: "gallery", id: "results" });
  const stack = el("div", { class: "stack checker" });
  const posePreview = el("img", { id: "pose-preview", alt: "", style: "max-width:160px" });
  const panels = {
    init: el("div", { class: "panel hidden", id: "init-panel" },
      el("div", { class: "row" }, field("Init image", f.initFile), field("Denoising strength", f.denoise)), stack),
    maskTools: el("div", { class: "row hidden" }, field("Brush", f.brush),
      el("button", { type: "button", onclick: () => state.mask?.clear() }, "clear mask"),
      el("button", { type: "button", onclick: () => state.mask?.invert() }, "invert mask")),
  };
  panels.init.append(panels.maskTools);
  f.initFile.addEventListener("change", () => f.initFile.files[0] && setInit(f, f.initFile.files[0], stack));
  f.cnFile.addEventListener("change", async () => {
    showError(cnError, null);
    try {
      state.poseBlob = await poseImage(f.cnFile.files[0]);
      posePreview.src = URL.createObjectURL(state.poseBlob);
      f.cnEnabled.checked = true;
    } catch (err) { showError(cnError, err); }
  });
  const go = el("button", { type: "submit", class: "primary", id: "generate" }, "Generate");
  const interrupt = el("button", { type: "button", onclick: () => postJSON("/sdapi/v1/interrupt") }, "Interrupt");
  const skip = el("button", { type: "button", onclick: () => postJSON("/sdapi/v1/skip") }, "Skip");
  const form = el("form", { class: "panel", id: "generate-form" },
    modeTabs(f, panels),
    field("Prompt", f.prompt), field("Negative prompt", f.negative),
    el("div", { class: "row" }, field("Checkpoint", f.model), field("VAE", f.vae)),
    el("div", { class: "row" }, field("Sampler", f.sampler), field("Schedule type", f.scheduler)),
    el("div", { class: "row" }, field("Steps", f.steps), field("CFG scale", f.cfg)),
    sizeRow(f), seedRow(f, reuseSeedButton(f)),
    el("details", {}, el("summary", {}, "Variation, batch, refiner"),
      el("div", { class: "row" }, field("Variation seed", f.subseed), field("Variation strength", f.subseedStrength)),
      el("div", { class: "row" }, field("Batch count", f.batchCount), field("Batch size", f.batchSize)),
      el("div", { class: "row" }, field("Refiner", f.refiner), field("Switch at", f.switchAt))),
    el("details", {}, el("summary", {}, "ControlNet (OpenPose)"),
      el("label", { class: "inline" }, f.cnEnabled, "enabled"),
      el("div", { class: "row" }, field("Model", f.cnModel), field("Pose image or JSON", f.cnFile)),
      el("div", { class: "row" }, field("Weight", f.cnWeight), field("Start", f.cnStart), field("End", f.cnEnd)),
      posePreview, cnError),
    el("div", { class: "row" }, go, interrupt, skip), formError);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(formError, null);
    go.disabled = true;
    startPolling(bar, preview, status);
    try {
      const body = await payload(f);
      const endpoint = f.mode === "txt2img" ? "txt2img" : "img2img";
      showResults(out, await postJSON(`/sdapi/v1/${endpoint}`, body));
    } catch (err) {
      showError(formError, err);
    } finally {
      stopPolling();
      bar.style.width = "0";
      status.textContent = "";
      preview.removeAttribute("src");
      go.disabled = false;
    }
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  root.append(el("div", { class: "layout" },
    el("div", {}, form, panels.init),
    el("section", { "aria-label": "Results" },
      el("div", { class: "panel" }, el("div", { class: "progress", role: "progressbar" }, bar), status, preview),
      el("div", { class: "panel" }, out))));
  await loadLists(f, formError);
  const mode = query.get("mode");
  const image = query.get("image");
  if (image) {
    const blob = await fetch(imageUrl(image)).then((r) => (r.ok ? r.blob() : null));
    if (blob) await setInit(f, blob, stack);
    const buttons = [...form.querySelectorAll(".tabs button")];
    setMode(f, panels, buttons, mode === "inpaint" ? "inpaint" : "img2img");
  }
  f.prompt.focus();
}

export function unmount() {
  stopPolling();
}
