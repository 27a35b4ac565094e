// Drawing a mockup document (its .pixmock.json form) in the browser, as pixref.mockup
// renders it: placement, adjustments, feathered masks, opacity and blend modes. Close to
// the server's render, not bit-exact (canvas resampling, blur and blending differ a
// little), so the Mockup page shows this while something moves and the server's render
// once it comes back.

// Canvas composite operations for pixref's blend modes (both follow W3C Compositing 1;
// "add" is Porter-Duff plus, which matches min(1, Cb + Cs) over opaque backdrops).
export const BLEND_OPS = {
  normal: "source-over", multiply: "multiply", screen: "screen", overlay: "overlay",
  darken: "darken", lighten: "lighten", color_dodge: "color-dodge", color_burn: "color-burn",
  hard_light: "hard-light", soft_light: "soft-light", difference: "difference", add: "lighter",
  hue: "hue", saturation: "saturation", color: "color", luminosity: "luminosity",
};
export const BLEND_MODES = Object.keys(BLEND_OPS);

// ---------------------------------------------------------------- placement
// Matrices are canvas order [a, b, c, d, e, f]: x' = a·x + c·y + e, y' = b·x + d·y + f.

export function multiply(A, B) {
  return [
    A[0] * B[0] + A[2] * B[1], A[1] * B[0] + A[3] * B[1],
    A[0] * B[2] + A[2] * B[3], A[1] * B[2] + A[3] * B[3],
    A[0] * B[4] + A[2] * B[5] + A[4], A[1] * B[4] + A[3] * B[5] + A[5],
  ];
}

export function invert(M) {
  const [a, b, c, d, e, f] = M;
  const det = a * d - b * c || 1e-12;
  return [d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det];
}

export const apply = (M, [x, y]) => [M[0] * x + M[2] * y + M[4], M[1] * x + M[3] * y + M[5]];

export function scaleOf(layer) {
  const s = layer.scale ?? 1;
  return Array.isArray(s) ? s : [s, s];
}

// Source pixels → canvas pixels, as pixref.mockup's `homography`: flip, scale, rotate
// clockwise about the scaled centre, move to (x, y). A four-corner perspective is drawn
// as the affine map through its top-left, top-right and bottom-left corners.
export function layerMatrix(layer, w, h) {
  const flip = [layer.flip_x ? -1 : 1, 0, 0, layer.flip_y ? -1 : 1, layer.flip_x ? w : 0, layer.flip_y ? h : 0];
  if (layer.perspective) {
    const [[x0, y0], [x1, y1], , [x3, y3]] = layer.perspective;
    return multiply([(x1 - x0) / w, (y1 - y0) / w, (x3 - x0) / h, (y3 - y0) / h, x0, y0], flip);
  }
  const [sx, sy] = scaleOf(layer);
  const cx = (w * sx) / 2;
  const cy = (h * sy) / 2;
  const t = ((layer.rotate || 0) * Math.PI) / 180;
  const snap = (v) => (Math.abs(v) < 1e-12 ? 0 : v);
  const cos = snap(Math.cos(t));
  const sin = snap(Math.sin(t));
  const rot = [cos, sin, -sin, cos, cx - cos * cx + sin * cy, cy - sin * cx - cos * cy];
  return multiply([1, 0, 0, 1, layer.x || 0, layer.y || 0], multiply(rot, multiply([sx, 0, 0, sy, 0, 0], flip)));
}

// The canvas corners of a w×h source: top-left, top-right, bottom-right, bottom-left.
export function corners(layer, w, h) {
  if (layer.perspective) return layer.perspective.map(([x, y]) => [x, y]);
  const M = layerMatrix(layer, w, h);
  return [[0, 0], [w, 0], [w, h], [0, h]].map((p) => apply(M, p));
}

// ---------------------------------------------------------------- adjustments

export function isIdentityAdjust(adj) {
  if (!adj) return true;
  const lv = adj.levels;
  const levelsIdentity = !lv || ((lv.in_low ?? 0) === 0 && (lv.in_high ?? 1) === 1 && (lv.gamma ?? 1) === 1
    && (lv.out_low ?? 0) === 0 && (lv.out_high ?? 1) === 1);
  const balance = adj.color_balance || [0, 0, 0];
  return levelsIdentity && !adj.brightness && !adj.contrast && !adj.hue && !adj.saturation
    && !adj.lightness && !balance.some((v) => v);
}

const clip01 = (v) => (v < 0 ? 0 : v > 1 ? 1 : v);

// pixref.mockup's `adjust`, pixel by pixel, on RGBA bytes in place (alpha unchanged).
export function adjustPixels(data, adj) {
  const lv = adj.levels;
  const levels = lv && {
    lo: lv.in_low ?? 0, span: Math.max((lv.in_high ?? 1) - (lv.in_low ?? 0), 1e-6),
    inv: 1 / (lv.gamma ?? 1), olo: lv.out_low ?? 0, ospan: (lv.out_high ?? 1) - (lv.out_low ?? 0),
  };
  const bright = adj.brightness || 0;
  const contrast = adj.contrast || 0;
  const hue = (adj.hue || 0) / 360;
  const sat = adj.saturation || 0;
  const light = adj.lightness || 0;
  const [br, bg, bb] = adj.color_balance || [0, 0, 0];
  const hsl = hue || sat || light;
  const rgb = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) {
    for (let k = 0; k < 3; k += 1) {
      let v = data[i + k] / 255;
      if (levels) {
        v = clip01((v - levels.lo) / levels.span);
        if (levels.inv !== 1) v **= levels.inv;
        v = levels.olo + levels.ospan * v;
      }
      v += bright;
      if (contrast) v = (v - 0.5) * (1 + contrast) + 0.5;
      rgb[k] = v;
    }
    if (hsl) shiftHsl(rgb, hue, sat, light);
    data[i] = Math.round(clip01(rgb[0] + br) * 255);
    data[i + 1] = Math.round(clip01(rgb[1] + bg) * 255);
    data[i + 2] = Math.round(clip01(rgb[2] + bb) * 255);
  }
}

function shiftHsl(rgb, hue, sat, light) {
  const r = clip01(rgb[0]);
  const g = clip01(rgb[1]);
  const b = clip01(rgb[2]);
  const mx = Math.max(r, g, b);
  const mn = Math.min(r, g, b);
  const l = (mx + mn) / 2;
  const d = mx - mn;
  let h = 0;
  let s = 0;
  if (d !== 0) {
    s = d / (1 - Math.abs(2 * l - 1));
    if (mx === r) h = ((((g - b) / d) % 6) + 6) % 6;
    else if (mx === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h /= 6;
  }
  h = (((h + hue) % 1) + 1) % 1;
  s = clip01(s * (1 + sat));
  const c = (1 - Math.abs(2 * l - 1)) * s;
  [0, 8, 4].forEach((n, k) => {
    const kk = (n + h * 12) % 12;
    let v = l - (c / 2) * Math.max(-1, Math.min(kk - 3, 9 - kk, 1));
    if (light > 0) v += (1 - v) * light;
    else if (light < 0) v *= 1 + light;
    rgb[k] = v;
  });
}

// ---------------------------------------------------------------- masks

export function makeCanvas(w, h) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(w));
  canvas.height = Math.max(1, Math.round(h));
  return canvas;
}

// One mask item drawn white on a clear canvas (source pixels).
function drawItem(ctx, item, w, h, maskImage) {
  const pts = item.points || [];
  ctx.fillStyle = ctx.strokeStyle = "#fff";
  if (item.shape === "image") {
    if (maskImage) ctx.drawImage(maskImage, 0, 0, w, h);
  } else if (item.shape === "rect") {
    const [[x0, y0], [x1, y1]] = pts;
    ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
  } else if (item.shape === "ellipse") {
    const [[x0, y0], [x1, y1]] = pts;
    ctx.beginPath();
    ctx.ellipse((x0 + x1) / 2, (y0 + y1) / 2, Math.abs(x1 - x0) / 2, Math.abs(y1 - y0) / 2, 0, 0, 2 * Math.PI);
    ctx.fill();
  } else if (item.shape === "polygon") {
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.fill();
  } else if (item.shape === "stroke") {
    const width = item.width ?? 16;
    ctx.lineWidth = width;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    if (pts.length === 1) ctx.arc(pts[0][0], pts[0][1], width / 2, 0, 2 * Math.PI);
    if (pts.length === 1) ctx.fill();
    else ctx.stroke();
  }
}

// Coverage 0–255 of one item: white shapes by alpha; an image mask by its alpha when it
// has transparency, else by its luminance (as pixref's `read_gray`).
function coverage(item, w, h, maskImage) {
  let canvas = makeCanvas(w, h);
  let ctx = canvas.getContext("2d", { willReadFrequently: true });
  drawItem(ctx, item, w, h, maskImage);
  if (item.shape === "image") {
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const d = img.data;
    let transparent = false;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 255) { transparent = true; break; }
    for (let i = 0; i < d.length; i += 4) {
      const gray = transparent ? d[i + 3] : (d[i] * 299 + d[i + 1] * 587 + d[i + 2] * 114) / 1000;
      d[i] = d[i + 1] = d[i + 2] = 255;
      d[i + 3] = gray;
    }
    ctx.putImageData(img, 0, 0);
  }
  if (item.feather > 0 && "filter" in ctx) {
    const blurred = makeCanvas(w, h);
    const bctx = blurred.getContext("2d", { willReadFrequently: true });
    bctx.filter = `blur(${item.feather}px)`;
    bctx.drawImage(canvas, 0, 0);
    canvas = blurred;
    ctx = bctx;
  }
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const out = new Uint8ClampedArray(canvas.width * canvas.height);
  for (let i = 0, j = 3; i < out.length; i += 1, j += 4) out[i] = item.invert ? 255 - d[j] : d[j];
  return out;
}

// A canvas whose alpha is the layer mask (items combined in order: add = max,
// subtract = min(m, 1 − item), intersect = min); null when there is no mask.
export function maskCanvas(items, w, h, maskImages = new Map()) {
  if (!items || !items.length) return null;
  const canvas = makeCanvas(w, h);
  const n = canvas.width * canvas.height;
  const mask = new Uint8ClampedArray(n).fill((items[0].op || "add") === "add" ? 0 : 255);
  for (const item of items) {
    const cov = coverage(item, canvas.width, canvas.height, maskImages.get(item.image));
    const op = item.op || "add";
    for (let i = 0; i < n; i += 1) {
      if (op === "add") mask[i] = Math.max(mask[i], cov[i]);
      else if (op === "subtract") mask[i] = Math.min(mask[i], 255 - cov[i]);
      else mask[i] = Math.min(mask[i], cov[i]);
    }
  }
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0, j = 0; i < n; i += 1, j += 4) {
    img.data[j] = img.data[j + 1] = img.data[j + 2] = 255;
    img.data[j + 3] = mask[i];
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

// ---------------------------------------------------------------- layers

// The key pixref gives a source (`Source.key`): one loaded image per key.
export function sourceKey(source) {
  if (source.path !== undefined) return `path:${source.path}`;
  if (source.library !== undefined) return `library:${source.library}`;
  return `color:${source.color}:${(source.size || []).join("x")}`;
}

// A layer's pixels, adjusted and masked, in source pixels (cached on `cache` by what they
// depend on). `images` maps source keys to loaded images; null while one is missing.
export function layerPixels(layer, doc, images, maskImages, cache) {
  const src = layer.source;
  let image = null;
  let w;
  let h;
  if (src.color !== undefined) {
    [w, h] = src.size || [doc.width, doc.height];
  } else {
    image = images.get(sourceKey(src));
    if (!image) return null;
    w = image.width;
    h = image.height;
  }
  const sig = JSON.stringify([sourceKey(src), w, h, layer.adjust || null, layer.mask || null]);
  const hit = cache.get(layer.name);
  if (hit && hit.sig === sig && hit.image === image) return hit.canvas;
  const canvas = makeCanvas(w, h);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (image) ctx.drawImage(image, 0, 0);
  else {
    ctx.fillStyle = src.color;
    ctx.fillRect(0, 0, w, h);
  }
  if (!isIdentityAdjust(layer.adjust)) {
    const img = ctx.getImageData(0, 0, w, h);
    adjustPixels(img.data, layer.adjust);
    ctx.putImageData(img, 0, 0);
  }
  const mask = maskCanvas(layer.mask, w, h, maskImages);
  if (mask) {
    ctx.globalCompositeOperation = "destination-in";
    ctx.drawImage(mask, 0, 0);
    ctx.globalCompositeOperation = "source-over";
  }
  cache.set(layer.name, { sig, image, canvas });
  return canvas;
}

function drawItems(ctx, items, doc, images, maskImages, cache) {
  for (const item of items) {
    if (item.visible === false) continue;
    if (item.group !== undefined) {
      const inner = makeCanvas(doc.width, doc.height);
      drawItems(inner.getContext("2d"), item.layers || [], doc, images, maskImages, cache);
      ctx.save();
      ctx.globalAlpha = item.opacity ?? 1;
      ctx.globalCompositeOperation = BLEND_OPS[item.blend || "normal"];
      ctx.drawImage(inner, 0, 0);
      ctx.restore();
      continue;
    }
    const pixels = layerPixels(item, doc, images, maskImages, cache);
    if (!pixels) continue;
    ctx.save();
    ctx.globalAlpha = item.opacity ?? 1;
    ctx.globalCompositeOperation = BLEND_OPS[item.blend || "normal"];
    ctx.imageSmoothingEnabled = doc.resample !== "nearest";
    ctx.imageSmoothingQuality = "high";
    ctx.setTransform(...layerMatrix(item, pixels.width, pixels.height));
    ctx.drawImage(pixels, 0, 0);
    ctx.restore();
  }
}

// Flatten `doc` onto `ctx` (a canvas of the document's size).
export function drawDocument(ctx, doc, images, maskImages, cache) {
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = "source-over";
  ctx.clearRect(0, 0, doc.width, doc.height);
  if (doc.background) {
    ctx.fillStyle = doc.background;
    ctx.fillRect(0, 0, doc.width, doc.height);
  }
  drawItems(ctx, doc.layers || [], doc, images, maskImages, cache);
  ctx.restore();
}

// Every layer of the document, bottom to top, groups flattened (as `Document.walk`),
// each with the name of its group (or null).
export function walk(items, group = null, out = []) {
  for (const item of items || []) {
    if (item.group !== undefined) walk(item.layers, item.group, out);
    else out.push({ layer: item, group });
  }
  return out;
}
