// A1111's Ctrl+Up/Down in prompt boxes: raise or lower the weight of the selection
// (or of the word under the caret) as "(text:1.1)", 0.1 a step; at 1.0 the
// parentheses go. Works on a <textarea> in place.

const STEP = 0.1;

function enclosingWeight(text, start, end) {
  // Is [start, end) inside "(...:w)"? Return the bracket span and weight.
  const open = text.lastIndexOf("(", start - 1);
  const close = text.indexOf(")", end);
  if (open < 0 || close < 0) return null;
  const inner = text.slice(open + 1, close);
  const match = inner.match(/^([^()]*):(-?\d+(?:\.\d+)?)$/);
  if (!match || open + 1 + match[1].length < end) return null;
  return { open, close, body: match[1], weight: Number(match[2]) };
}

function wordAt(text, caret) {
  const stops = /[\s,()[\]{}|:]/;
  let start = caret;
  let end = caret;
  while (start > 0 && !stops.test(text[start - 1])) start -= 1;
  while (end < text.length && !stops.test(text[end])) end += 1;
  return [start, end];
}

const formatWeight = (w) => (Number.isInteger(w) ? w.toFixed(1) : String(w));

export function editAttention(area, direction) {
  const text = area.value;
  let { selectionStart: start, selectionEnd: end } = area;
  const found = enclosingWeight(text, start, end);
  if (found) {
    const weight = Math.round((found.weight + direction * STEP) * 100) / 100;
    const replacement = weight === 1 ? found.body : `(${found.body}:${formatWeight(weight)})`;
    area.value = text.slice(0, found.open) + replacement + text.slice(found.close + 1);
    const bodyStart = weight === 1 ? found.open : found.open + 1;
    area.setSelectionRange(bodyStart, bodyStart + found.body.length);
    return;
  }
  if (start === end) [start, end] = wordAt(text, start);
  while (start < end && text[start] === " ") start += 1;
  while (end > start && text[end - 1] === " ") end -= 1;
  if (start === end) return;
  const body = text.slice(start, end);
  const weight = formatWeight(Math.round((1 + direction * STEP) * 100) / 100);
  area.value = `${text.slice(0, start)}(${body}:${weight})${text.slice(end)}`;
  area.setSelectionRange(start + 1, start + 1 + body.length);
}

export function bindAttentionKeys(area) {
  area.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || !["ArrowUp", "ArrowDown"].includes(event.key)) return;
    event.preventDefault();
    editAttention(area, event.key === "ArrowUp" ? 1 : -1);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
}
