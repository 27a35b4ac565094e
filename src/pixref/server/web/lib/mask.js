// Painting an inpainting mask over an image: white = regenerate, as A1111's masks.

export class MaskPainter {
  constructor(width, height, brushSize) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "overlay";
    this.canvas.width = width;
    this.canvas.height = height;
    this.canvas.setAttribute("aria-label", "Inpainting mask: drag to paint, Shift-drag to erase");
    this.ctx = this.canvas.getContext("2d");
    this.brushSize = brushSize;
    this.enabled = false;
    this.painted = false;
    this.canvas.style.opacity = "0.5";
    this.canvas.addEventListener("pointerdown", (e) => this.start(e));
    this.canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const end of ["pointerup", "pointerleave", "pointercancel"]) {
      this.canvas.addEventListener(end, () => { this.last = null; });
    }
  }

  setEnabled(on) {
    this.enabled = on;
    this.canvas.style.pointerEvents = on ? "auto" : "none";
    this.canvas.style.display = on ? "" : "none";
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * this.canvas.width / box.width,
      (event.clientY - box.top) * this.canvas.height / box.height];
  }

  start(event) {
    if (!this.enabled) return;
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.stroke(event, this.last);
  }

  move(event) {
    if (!this.last) return;
    this.stroke(event, this.point(event));
  }

  stroke(event, to) {
    const ctx = this.ctx;
    ctx.globalCompositeOperation = event.shiftKey ? "destination-out" : "source-over";
    ctx.strokeStyle = "#fff";
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.lineWidth = this.brushSize();
    ctx.beginPath();
    ctx.moveTo(...this.last);
    ctx.lineTo(...to);
    ctx.stroke();
    this.last = to;
    this.painted = true;
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.painted = false;
  }

  invert() {
    const { width, height } = this.canvas;
    const data = this.ctx.getImageData(0, 0, width, height);
    for (let i = 0; i < data.data.length; i += 4) {
      const on = data.data[i + 3] > 127;
      data.data.fill(255, i, i + 3);
      data.data[i + 3] = on ? 0 : 255;
    }
    this.ctx.putImageData(data, 0, 0);
    this.painted = true;
  }

  isEmpty() {
    if (!this.painted) return true;
    const { data } = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return false;
    return true;
  }

  // The mask as an opaque black-and-white PNG at the image's size.
  toBlob() {
    const out = document.createElement("canvas");
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.canvas, 0, 0);
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }
}
