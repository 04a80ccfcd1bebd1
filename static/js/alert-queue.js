// The alert queue: live countdowns and new alerts without a reload. Polling is marked as
// background traffic so it never keeps an idle staff session alive.
import { gettext } from "./i18n.js";

const root = document.getElementById("alert-queue");
const POLL_MS = 30000;

// Hours and minutes in the page's language ("2 h 5 min", "٢ س ٥ د").
const unit = (name) => new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "unit", unit: name, unitDisplay: "short" });
const HOURS = unit("hour");
const MINUTES = unit("minute");

function remaining(ms) {
  const minutes = Math.round(Math.abs(ms) / 60000);
  const text = minutes >= 90 ? `${HOURS.format(Math.floor(minutes / 60))} ${MINUTES.format(minutes % 60)}` : MINUTES.format(minutes);
  return ms >= 0 ? gettext("in %s").replace("%s", text) : gettext("%s overdue").replace("%s", text);
}

function tick() {
  const now = Date.now();
  for (const time of root.querySelectorAll("time[data-deadline]")) {
    const ms = Date.parse(time.dataset.deadline) - now;
    time.textContent = remaining(ms);
    time.closest("li")?.classList.toggle("overdue", ms < 0);
  }
}

async function poll() {
  if (document.visibilityState !== "visible") return;
  try {
    const response = await fetch(root.dataset.feed, {
      headers: { "X-Ivig-Background": "1", Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.redirected || !response.ok) return;
    const body = await response.json();
    const known = new Set([...root.querySelectorAll("li[id^=alert-]")].map((li) => li.id.slice(6)));
    const added = body.ids.filter((id) => !known.has(id));
    if (added.length || body.ids.length !== known.size) {
      root.innerHTML = body.html;
      for (const id of added) document.getElementById(`alert-${id}`)?.classList.add("new");
      tick();
    }
  } catch {
    // Offline or the server is restarting: the next poll tries again.
  }
}

tick();
setInterval(tick, 1000);
setInterval(poll, POLL_MS);
document.addEventListener("visibilitychange", poll);
