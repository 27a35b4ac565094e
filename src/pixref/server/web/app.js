// The web UI's shell: hash routes (#/page/arg) load one page module at a time.
import { toast } from "./lib/dom.js";

const PAGES = ["generate", "library", "sweep", "mockup", "pixelize", "snap"];
const root = document.getElementById("page");
let current = null;

function parseHash() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("?")[0].split("/");
  const page = PAGES.includes(name) ? name : "generate";
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  return { page, args: rest.map((x) => decodeURIComponent(x.split("?")[0])), query };
}

async function route() {
  const { page, args, query } = parseHash();
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.dataset.page === page);
    link.toggleAttribute("aria-current", link.dataset.page === page);
  }
  if (current?.unmount) current.unmount();
  root.replaceChildren();
  try {
    current = await import(`./pages/${page}.js`);
    await current.mount(root, { args, query });
  } catch (err) {
    console.warn(err);
    toast(`could not open ${page}: ${err.message}`, { error: true });
  }
}

window.addEventListener("hashchange", route);
route();
