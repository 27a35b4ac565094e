// A virtual grid of fixed-size tiles over a paged list: only the rows in view (and a
// few around them) are in the DOM, and only their pages are fetched.
//
//   const grid = new VirtualGrid({ fetchPage, renderTile, onOpen, onCursor, onKey, onError });
//   parent.append(grid.el); await grid.reload();
//
// fetchPage(offset, limit) resolves to { total, items }; renderTile(tile, item, index,
// inView) fills a tile (item is undefined while its page loads; inView is false for
// the rows rendered around the view) and is called on every render, so it should
// skip work when nothing changed. Keyboard: arrows move the
// cursor, PageUp/PageDown a screen, Home/End the ends, Enter opens; onKey and onClick
// see other keys and clicks first (return true when handled).

const OVERSCAN_ROWS = 2;
const MAX_PAGES = 40; // pages kept in memory; the farthest from the view go first
const FETCH_DELAY_MS = 40; // while the scrollbar is dragged far, fetch where it stops

export class VirtualGrid {
  constructor({ fetchPage, renderTile, onOpen, onCursor, onKey, onClick, onError, onTotal,
    pageSize = 120, tileSize = 128, gap = 8, label = "Entries" }) {
    Object.assign(this, { fetchPage, renderTile, onOpen, onCursor, onKey, onClick, onError, onTotal, pageSize, tileSize, gap });
    this.total = 0;
    this.cursor = -1;
    this.pages = new Map(); // page number -> items, or a Promise while loading
    this.tiles = new Map(); // index -> tile element
    this.generation = 0;
    this.cols = 1;
    this.view = [0, 0]; // the indices in view, without the rows rendered around them
    this.frame = 0;
    this.fetchTimer = 0;
    this.el = document.createElement("div");
    this.el.className = "vgrid";
    this.el.tabIndex = 0;
    this.el.setAttribute("role", "listbox");
    this.el.setAttribute("aria-multiselectable", "true");
    this.el.setAttribute("aria-label", label);
    this.spacer = document.createElement("div");
    this.spacer.className = "vgrid-spacer";
    this.el.append(this.spacer);
    this.el.addEventListener("scroll", () => this.schedule());
    this.el.addEventListener("keydown", (event) => this.keydown(event));
    this.el.addEventListener("click", (event) => this.click(event));
    this.el.addEventListener("dblclick", (event) => {
      const index = this.indexOf(event.target);
      if (index >= 0 && this.itemAt(index)) this.onOpen?.(index, this.itemAt(index));
    });
    this.resizer = new ResizeObserver(() => this.schedule());
    this.resizer.observe(this.el);
  }

  destroy() {
    this.resizer.disconnect();
    cancelAnimationFrame(this.frame);
    clearTimeout(this.fetchTimer);
    this.generation += 1;
  }

  // ------------------------------------------------------------------ data

  // Fetch the first page again (new filters, or the list changed); keepScroll keeps
  // the position (an edit), otherwise the grid starts at the top.
  async reload({ keepScroll = false } = {}) {
    const generation = ++this.generation;
    const first = keepScroll ? Math.floor(this.firstVisibleIndex() / this.pageSize) : 0;
    const { total, items } = await this.fetchPage(first * this.pageSize, this.pageSize);
    if (generation !== this.generation) return false;
    this.pages = new Map([[first, items]]);
    this.total = total;
    this.onTotal?.(total);
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
    if (!keepScroll) {
      this.el.scrollTop = 0;
      this.cursor = total ? 0 : -1;
    } else {
      this.cursor = Math.min(this.cursor, total - 1);
    }
    this.el.setAttribute("aria-rowcount", String(Math.ceil(total / this.cols)));
    this.render();
    return true;
  }

  itemAt(index) {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return Array.isArray(page) ? page[index % this.pageSize] : undefined;
  }

  // Replace loaded items that `match` (an annotation changed); redraw their tiles.
  update(match, item) {
    for (const page of this.pages.values()) {
      if (!Array.isArray(page)) continue;
      for (let i = 0; i < page.length; i += 1) if (match(page[i])) page[i] = { ...page[i], ...item };
    }
    this.redraw();
  }

  // Draw every rendered tile again (marks or annotations changed).
  redraw() {
    for (const [index, tile] of this.tiles) this.paint(tile, index);
  }

  loadPages(firstPage, lastPage) {
    const generation = this.generation;
    this.evict(firstPage, lastPage);
    for (let n = firstPage; n <= lastPage; n += 1) {
      if (this.pages.has(n)) continue;
      const pending = this.fetchPage(n * this.pageSize, this.pageSize).then(({ total, items }) => {
        if (generation !== this.generation) return;
        this.pages.set(n, items);
        if (total !== this.total) {
          this.total = total;
          this.onTotal?.(total);
        }
        this.schedule();
      }, (err) => {
        if (generation !== this.generation) return;
        this.pages.delete(n); // try again when it is next in view
        this.onError?.(err);
      });
      this.pages.set(n, pending);
    }
  }

  // Scrolling through 100k entries would otherwise keep every page it saw.
  evict(firstPage, lastPage) {
    if (this.pages.size < MAX_PAGES) return;
    const far = [...this.pages.keys()]
      .filter((n) => Array.isArray(this.pages.get(n)) && (n < firstPage || n > lastPage))
      .sort((a, b) => Math.min(Math.abs(b - firstPage), Math.abs(b - lastPage))
        - Math.min(Math.abs(a - firstPage), Math.abs(a - lastPage)));
    for (const n of far.slice(0, this.pages.size - MAX_PAGES + (lastPage - firstPage + 1))) this.pages.delete(n);
  }

  // ------------------------------------------------------------------ layout

  metrics() {
    const style = getComputedStyle(this.el);
    const inner = this.el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const step = this.tileSize + this.gap;
    this.cols = Math.max(1, Math.floor((inner + this.gap) / step));
    return { step, pad: parseFloat(style.paddingTop) || 0 };
  }

  setTileSize(size) {
    const anchor = this.cursor >= 0 ? this.cursor : this.firstVisibleIndex();
    this.tileSize = size;
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
    this.render();
    this.scrollToIndex(anchor, true);
  }

  firstVisibleIndex() {
    const step = this.tileSize + this.gap;
    return Math.max(0, Math.floor(this.el.scrollTop / step) * this.cols);
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const { step, pad } = this.metrics();
    const rows = Math.ceil(this.total / this.cols);
    this.spacer.style.height = `${rows ? rows * step - this.gap : 0}px`;
    const top = Math.max(0, this.el.scrollTop - pad);
    const firstRow = Math.max(0, Math.floor(top / step) - OVERSCAN_ROWS);
    const lastRow = Math.min(rows - 1, Math.floor((top + this.el.clientHeight) / step) + OVERSCAN_ROWS);
    const start = firstRow * this.cols;
    const end = Math.min(this.total, (lastRow + 1) * this.cols);
    this.view = [Math.floor(top / step) * this.cols, Math.min(end, (Math.floor((top + this.el.clientHeight) / step) + 1) * this.cols)];
    for (const [index, tile] of this.tiles) {
      if (index < start || index >= end) {
        tile.remove();
        this.tiles.delete(index);
      }
    }
    for (let index = start; index < end; index += 1) {
      let tile = this.tiles.get(index);
      if (!tile) {
        tile = document.createElement("div");
        tile.className = "tile";
        tile.id = `vgrid-tile-${index}`;
        tile.setAttribute("role", "option");
        tile.setAttribute("aria-posinset", String(index + 1));
        tile.dataset.index = String(index);
        this.tiles.set(index, tile);
        this.spacer.append(tile);
      }
      const row = Math.floor(index / this.cols);
      const col = index % this.cols;
      tile.style.cssText = `width:${this.tileSize}px;height:${this.tileSize}px;` +
        `transform:translate(${col * step}px,${row * step}px)`;
      tile.setAttribute("aria-setsize", String(this.total));
      this.paint(tile, index);
    }
    if (end > start) {
      const firstPage = Math.floor(start / this.pageSize);
      const lastPage = Math.floor((end - 1) / this.pageSize);
      const missing = [];
      for (let n = firstPage; n <= lastPage; n += 1) if (!this.pages.has(n)) missing.push(n);
      if (missing.length) {
        clearTimeout(this.fetchTimer);
        this.fetchTimer = setTimeout(() => this.loadPages(firstPage, lastPage), FETCH_DELAY_MS);
      }
    }
    this.markCursor();
  }

  paint(tile, index) {
    const inView = index >= this.view[0] && index < this.view[1];
    this.renderTile(tile, this.itemAt(index), index, inView);
    tile.classList.toggle("cursor", index === this.cursor);
  }

  // ------------------------------------------------------------------ cursor and keys

  markCursor() {
    for (const [index, tile] of this.tiles) tile.classList.toggle("cursor", index === this.cursor);
    const tile = this.tiles.get(this.cursor);
    if (tile) this.el.setAttribute("aria-activedescendant", tile.id);
    else this.el.removeAttribute("aria-activedescendant");
  }

  setCursor(index, { scroll = true } = {}) {
    if (!this.total) return;
    index = Math.max(0, Math.min(this.total - 1, index));
    this.cursor = index;
    if (scroll) this.scrollToIndex(index);
    this.render();
    this.onCursor?.(index, this.itemAt(index));
  }

  scrollToIndex(index, center = false) {
    const step = this.tileSize + this.gap;
    const pad = parseFloat(getComputedStyle(this.el).paddingTop) || 0;
    const top = Math.floor(index / this.cols) * step;
    const view = this.el.clientHeight;
    if (center) this.el.scrollTop = Math.max(0, top - (view - step) / 2);
    else if (top < this.el.scrollTop) this.el.scrollTop = top;
    else if (top + step + pad * 2 > this.el.scrollTop + view) this.el.scrollTop = top + step + pad * 2 - view;
  }

  indexOf(target) {
    const tile = target.closest?.(".tile");
    return tile && this.el.contains(tile) ? Number(tile.dataset.index) : -1;
  }

  click(event) {
    const index = this.indexOf(event.target);
    if (index < 0) return;
    this.el.focus({ preventScroll: true });
    if (this.onClick?.(event, index, this.itemAt(index))) return; // e.g. Ctrl-click marks
    this.setCursor(index, { scroll: false });
    const item = this.itemAt(index);
    if (item) this.onOpen?.(index, item);
  }

  keydown(event) {
    if (event.target !== this.el || event.altKey) return;
    const rowsInView = Math.max(1, Math.floor(this.el.clientHeight / (this.tileSize + this.gap)));
    const moves = {
      ArrowLeft: -1, ArrowRight: 1, ArrowUp: -this.cols, ArrowDown: this.cols,
      PageUp: -this.cols * rowsInView, PageDown: this.cols * rowsInView,
    };
    const from = this.cursor < 0 ? 0 : this.cursor;
    if (event.key in moves && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      const to = from + moves[event.key];
      if (to >= 0 && to < this.total) this.setCursor(to);
      else if (event.key.startsWith("Page")) this.setCursor(to < 0 ? 0 : this.total - 1);
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      this.setCursor(event.key === "Home" ? 0 : this.total - 1);
    } else if (event.key === "Enter") {
      const item = this.itemAt(from);
      if (item) {
        event.preventDefault();
        this.onOpen?.(from, item);
      }
    } else if (this.onKey?.(event, from, this.itemAt(from))) {
      event.preventDefault();
    }
  }
}
