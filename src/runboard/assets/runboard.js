// The Runboard's only script (the CSP allows no inline script). Pages are rendered on the server; this
// listens to the server-sent events of the page it is on and swaps in what the server renders.
const body = document.body;
const base = body.dataset.base;
const liveState = document.getElementById("live-state");

function connect(url, handlers) {
  const source = new EventSource(url);
  source.addEventListener("open", () => liveState && (liveState.textContent = "live"));
  source.addEventListener("error", () => liveState && (liveState.textContent = "reconnecting…"));
  for (const [event, handler] of Object.entries(handlers)) source.addEventListener(event, (e) => handler(e.data));
  return source;
}

if (body.dataset.page === "board") {
  const live = document.getElementById("board-live");
  connect(`${base}/board/stream`, { board: (html) => (live.innerHTML = html) });
}

if (body.dataset.page === "run") {
  const log = document.getElementById("log");
  const follow = document.getElementById("log-follow");
  const search = document.getElementById("log-search");
  const count = document.getElementById("log-count");
  const live = document.getElementById("run-live");
  const token = body.dataset.token || "";

  const applySearch = () => {
    const needle = search.value.trim().toLowerCase();
    let shown = 0;
    for (const line of log.children) {
      const hit = !needle || line.textContent.toLowerCase().includes(needle);
      line.hidden = !hit;
      if (hit) shown++;
    }
    count.textContent = needle ? `${shown} of ${log.children.length} lines` : `${log.children.length} lines`;
  };
  const scrollToEnd = () => follow.checked && (log.scrollTop = log.scrollHeight);
  search.addEventListener("input", () => {
    applySearch();
    scrollToEnd();
  });
  follow.addEventListener("change", scrollToEnd);
  // Scrolling up in the log stops following; back at the end follows again.
  log.addEventListener("scroll", () => (follow.checked = log.scrollTop + log.clientHeight >= log.scrollHeight - 8));
  applySearch();
  scrollToEnd();

  const query = `${token ? `${token}&` : "?"}after=${body.dataset.lastEvent}`;
  connect(`${base}/runs/${body.dataset.run}/stream${query}`, {
    log: (html) => {
      log.insertAdjacentHTML("beforeend", html);
      applySearch();
      scrollToEnd();
    },
    run: (html) => (live.innerHTML = html),
  });
}

if (body.dataset.page === "history") {
  // Choosing from a list filters at once; typed fields filter on Enter or the button.
  const form = document.getElementById("history-filters");
  for (const select of form.querySelectorAll("select")) select.addEventListener("change", () => form.requestSubmit());
}
