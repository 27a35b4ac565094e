// The web UI's shell: hash routes (#/page/arg) load one page module at a time.
import { toast } from "./lib/dom.js";

const PAGES = ["generate", "library", "sweep", "mockup", "pixelize", "snap"];
const root = document.getElementById("page");
let current = null;

function parseHash() {
  // #/page/arg?query: the query is cut off first, so "#/pixelize?image=3" names pixelize.
  const hash = location.hash.replace(/^#\/?/, "");
  const cut = hash.includes("?") ? hash.indexOf("?") : hash.length;
  const [path, search] = [hash.slice(0, cut), hash.slice(cut + 1)];
  const [name, ...rest] = path.split("/");
  const page = PAGES.includes(name) ? name : "generate";
  return { page, args: rest.filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

let routes = 0; // counts route() calls, so a slow page load never mounts over a newer one

async function route() {
  const mine = ++routes;
  const { page, args, query } = parseHash();
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.dataset.page === page);
    link.toggleAttribute("aria-current", link.dataset.page === page);
  }
  if (current?.unmount) current.unmount();
  current = null;
  root.replaceChildren();
  root.className = "";
  try {
    const module = await import(`./pages/${page}.js`);
    if (mine !== routes) return; // the address changed again while this page loaded
    current = module;
    await module.mount(root, { args, query });
  } catch (err) {
    console.warn(err);
    toast(`could not open ${page}: ${err.message}`, { error: true });
  }
}

window.addEventListener("hashchange", route);
route();
