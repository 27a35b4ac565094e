// Following a background job (/api/jobs): Server-Sent Events when the browser and the
// connection allow, polling otherwise. Events carry the job's summary: state, progress,
// eta, step/steps, image/images, message, error.

export const FINISHED = ["done", "failed", "cancelled"];
// EventSource's readyState values, usable where the browser has no EventSource.
const OPEN = 1;
const CLOSED = 2;

// One shared EventSource for the page, fanned out to every follower.
const followers = new Set();
let source = null;

function dispatch(event) {
  let summary;
  try {
    summary = JSON.parse(event.data);
  } catch {
    return;
  }
  for (const f of [...followers]) if (f.jobId === summary.id) f.update(summary);
}

function openSource() {
  if (source || typeof EventSource === "undefined") return source;
  source = new EventSource("/api/jobs/events");
  for (const name of ["queued", "started", "progress", "done", "failed", "cancelled"]) {
    source.addEventListener(name, dispatch);
  }
  // Connected (or reconnected): events sent while away are lost, so ask once.
  source.addEventListener("open", () => { for (const f of followers) f.catchUp(); });
  source.addEventListener("error", () => {
    if (source.readyState === CLOSED) closeSource();
    for (const f of followers) f.fallBack();
  });
  return source;
}

function closeSource() {
  source?.close();
  source = null;
}

// Call `onUpdate(summary)` for each change of job `jobId` until it finishes or `stop()`.
// `poll()` returns the summary now (e.g. from GET /api/jobs/ID); it runs once the stream
// is open and every `interval` ms whenever the stream is unavailable.
export function followJob(jobId, { onUpdate, poll, interval = 1000 }) {
  let timer = null;
  let stopped = false;
  const follower = {
    jobId,
    update(summary) {
      if (stopped) return;
      onUpdate(summary);
      if (FINISHED.includes(summary.state)) stop();
    },
    async catchUp() {
      try {
        const summary = await poll();
        if (summary) follower.update(summary);
      } catch { /* the next event or poll will tell */ }
    },
    fallBack() {
      if (timer || stopped) return;
      timer = setInterval(() => {
        if (source?.readyState === OPEN) {
          clearInterval(timer); // the stream is back
          timer = null;
        }
        follower.catchUp();
      }, interval);
    },
  };
  function stop() {
    stopped = true;
    clearInterval(timer);
    followers.delete(follower);
    if (!followers.size) closeSource();
  }
  followers.add(follower);
  if (openSource()) {
    if (source.readyState === OPEN) follower.catchUp();
  } else {
    follower.fallBack();
    follower.catchUp();
  }
  return { stop };
}

// "42 s", "3 min 5 s", "1 h 2 min": a job's time left.
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
