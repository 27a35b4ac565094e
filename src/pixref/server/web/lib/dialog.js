// Modal questions that keyboards answer: Enter (the focused button) confirms, Escape cancels.
import { el, ensureStyle } from "./dom.js";

// Show a <dialog> modally (styled, removed from the page once closed).
export function showDialog(dialog) {
  ensureStyle("/ui/lib/dialog.css");
  dialog.classList.add("ui-dialog");
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// Resolves true when confirmed, false when cancelled; `ok` is the confirming button's text.
export function confirmDialog(message, { ok = "OK", cancel = "Cancel" } = {}) {
  return new Promise((resolve) => {
    const yes = el("button", { type: "submit", value: "ok", class: "primary" }, ok);
    const no = el("button", { type: "submit", value: "cancel" }, cancel);
    const dialog = el("dialog", { "aria-label": message },
      el("form", { method: "dialog" }, el("p", {}, message), el("div", { class: "ui-dialog-buttons" }, no, yes)));
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"));
    showDialog(dialog);
    yes.focus();
  });
}
