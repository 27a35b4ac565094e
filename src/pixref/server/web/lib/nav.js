// "Send to": open an image on another page, as #/page?image=ID&...

export function sendTo(page, imageId, extra = {}) {
  const query = new URLSearchParams({ image: String(imageId), ...extra });
  location.hash = `#/${page}?${query}`;
}

export const imageUrl = (id) => `/api/images/${encodeURIComponent(id)}`;
export const thumbUrl = (id, size = 256) => `/api/images/${encodeURIComponent(id)}/thumbnail?size=${size}`;
