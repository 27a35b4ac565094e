// Talking to pixref's server: JSON in and out, errors as readable messages.

export class ApiError extends Error {
  constructor(status, kind, detail) {
    super(detail);
    this.status = status;
    this.kind = kind;
  }
}

// FastAPI validation errors come as a list; show the first in one line.
function messageOf(body, status) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail) && body.detail.length) {
    const first = body.detail[0];
    const where = (first.loc || []).filter((x) => x !== "body").join(".");
    return `${where ? where + ": " : ""}${first.msg}`;
  }
  return `the server answered ${status}`;
}

async function handle(response) {
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, body?.error, messageOf(body, response.status));
  return body ?? response;
}

export async function getJSON(url) {
  return handle(await fetch(url, { headers: { Accept: "application/json" } }));
}

export async function send(method, url, data) {
  const init = { method, headers: { Accept: "application/json" } };
  if (data instanceof FormData) init.body = data;
  else if (data !== undefined) {
    init.body = JSON.stringify(data);
    init.headers["Content-Type"] = "application/json";
  }
  return handle(await fetch(url, init));
}

export const postJSON = (url, data) => send("POST", url, data);

// A File or Blob as base64 (no data: prefix), for A1111's JSON image fields.
export function toBase64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

export const pngDataUrl = (b64) => `data:image/png;base64,${b64}`;
