// The patient app: loads the translations, registers the service worker, starts sync and
// renders one screen per location hash (#/infusion, #/unwell, ...). Every screen builds its DOM
// with dom.js helpers; no HTML string ever carries data.
import { db, getMeta, pendingCount } from "./store.js";
import { onStatus, startSync, status, syncNow, uiLanguage } from "./sync.js";
import { gettext, h, ngettext, format, relativeTime, telLink } from "./dom.js";
import * as home from "./home.js";
import * as infusion from "./infusion.js";
import * as unwell from "./unwell.js";
import * as checks from "./checks.js";
import * as diary from "./diary.js";
import * as content from "./content.js";
import * as settings from "./settings.js";
import * as reminders from "./reminders.js";
import * as syncstatus from "./syncstatus.js";
import * as welcome from "./welcome.js";
import { currentRegistration, offlineState, registerWorker } from "./worker.js";

const ROUTES = {
  "": home,
  welcome,
  infusion,
  unwell,
  checks,
  diary,
  content,
  settings,
  reminder: reminders,
  sync: syncstatus,
};
// Screens that show synced data and re-render when a sync brings something new.
const LIVE = new Set([home, diary, checks, syncstatus]);

const main = document.getElementById("main");
const banner = document.getElementById("banner");
const tabbar = document.getElementById("tabbar");
let leaveHandlers = [];
let lastHash = null;
let current = null;
let rendering = Promise.resolve();

function loadScript(src) {
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve(true);
    script.onerror = () => resolve(false);
    document.head.append(script);
  });
}

async function loadLanguage() {
  const me = await getMeta("me");
  const wanted = uiLanguage(me);
  const language = ["en", "es", "fr", "ar"].includes(wanted) ? wanted : "en";
  // The compiled catalogue merges into window.django.catalog: start from an empty one so a
  // language switch leaves no strings of the previous language behind.
  if (window.django) window.django.catalog = {};
  await loadScript(`${document.body.dataset.static}jsi18n/${language}/djangojs.js`);
  document.documentElement.lang = language;
  document.documentElement.dir = language === "ar" ? "rtl" : "ltr";
  document.querySelector(".skip-link").textContent = gettext("Skip to content");
}

function parseHash() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...params] = path.split("/");
  return { name, params, query: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function tab(href, label, icon, extraClass = "") {
  const active = (location.hash || "#/") === href || (href !== "#/" && location.hash.startsWith(href));
  return h(
    "a",
    { href, class: `tab ${extraClass}`.trim(), "aria-current": active ? "page" : null },
    h("span", { class: "tab-icon", "aria-hidden": "true" }, icon),
    h("span", { class: "tab-label" }, label),
  );
}

function renderTabbar(show) {
  tabbar.hidden = !show;
  if (!show) return;
  tabbar.setAttribute("aria-label", gettext("Main"));
  tabbar.replaceChildren(
    tab("#/", gettext("Home"), "⌂"),
    tab("#/infusion", gettext("Infusion"), "▶"),
    tab("#/unwell", gettext("Unwell"), "!", "tab-unwell"),
    tab("#/diary", gettext("Diary"), "☰"),
    tab("#/settings", gettext("More"), "⋯"),
  );
}

async function statusChip() {
  const state = status();
  const pending = await pendingCount().catch(() => 0);
  let text;
  let kind = "ok";
  if (state.phase === "offline" || !navigator.onLine) {
    text = pending
      ? format(ngettext("Offline: %(n)s entry waiting", "Offline: %(n)s entries waiting", pending), { n: pending })
      : gettext("Offline: everything is saved on this phone");
    kind = "offline";
  } else if (pending) {
    text = format(ngettext("%(n)s entry not sent yet", "%(n)s entries not sent yet", pending), { n: pending });
    kind = "pending";
  } else if (state.phase === "syncing") {
    text = gettext("Sending…");
  } else {
    text = format(gettext("All sent · %(when)s"), { when: relativeTime(state.lastSyncedAt) });
  }
  return h("a", { href: "#/sync", class: `status-chip status-${kind}`, id: "status-chip" }, text);
}

async function updateChip() {
  const chip = document.getElementById("status-chip");
  if (chip) chip.replaceWith(await statusChip());
}

function lockScreen(me, kind) {
  const login = document.body.dataset.loginUrl;
  return [
    h("h1", { tabindex: "-1" }, gettext("Please sign in again")),
    kind === "other_user"
      ? h("p", {}, gettext("This phone holds entries of another account. Sign in as that person to send them."))
      : h("p", {}, gettext("Your session has ended. Your entries are kept safely on this phone and are sent after you sign in.")),
    h("p", { id: "lock-pending" }),
    h("a", { class: "button-link", href: login }, gettext("Sign in")),
    me
      ? h(
          "section",
          { class: "card card-danger", "aria-labelledby": "lock-emergency" },
          h("h2", { id: "lock-emergency" }, gettext("In an emergency")),
          telLink(me.region.emergency_number, gettext("Call the emergency number"), "call-emergency"),
        )
      : null,
  ];
}

async function render() {
  rendering = rendering.then(renderNow, renderNow);
  return rendering;
}

async function renderNow() {
  for (const leave of leaveHandlers) leave();
  leaveHandlers = [];
  const route = parseHash();
  const me = await getMeta("me");
  const state = status();
  const pending = await pendingCount();
  if (state.locked && (me || pending)) {
    renderTabbar(false);
    main.dataset.screen = "locked";
    main.replaceChildren(...lockScreen(me, state.locked));
    document.getElementById("lock-pending").textContent = pending
      ? format(ngettext("%(n)s entry is waiting to be sent.", "%(n)s entries are waiting to be sent.", pending), { n: pending })
      : "";
    current = null;
    return;
  }
  let screen = ROUTES[route.name] || home;
  // Never signed in on this phone: onboarding (install coaching, then sign in).
  if (!me && screen !== content) screen = welcome;
  current = screen;
  const ctx = {
    me,
    params: route.params,
    query: route.query,
    navigate,
    rerender: render,
    onLeave: (handler) => leaveHandlers.push(handler),
    ruleset: await getMeta("ruleset"),
  };
  const nodes = await screen.render(ctx);
  renderTabbar(screen !== welcome && Boolean(me));
  main.replaceChildren(screen === welcome ? "" : await statusChip(), ...[nodes].flat(Infinity).filter(Boolean));
  main.dataset.screen = screen === welcome ? "welcome" : route.name || "home";
  if (location.hash !== lastHash) {
    lastHash = location.hash;
    window.scrollTo(0, 0);
  }
  const heading = main.querySelector("h1");
  if (heading && !main.contains(document.activeElement)) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

function showBanner(text, action) {
  banner.replaceChildren(text ? h("span", {}, text) : "", action || "");
  banner.classList.toggle("visible", Boolean(text));
}

// Service worker (worker.js): precaches the shell and modules. A new version waits until the
// patient chooses to reload (or the server demands it with 426); the outbox lives in IndexedDB,
// which the worker never touches, so an update cannot lose an entry.
let updating = false;

function applyUpdate(worker) {
  updating = true;
  worker.postMessage({ type: "SKIP_WAITING" });
}

function offerUpdate(worker) {
  if (status().phase === "update") {
    applyUpdate(worker);
    return;
  }
  showBanner(
    gettext("A new version of the app is ready."),
    h("button", { type: "button", class: "secondary", id: "update-now", onclick: () => applyUpdate(worker) }, gettext("Update now")),
  );
}

if ("serviceWorker" in navigator) {
  // Reload only when the patient (or a 426) asked for the new version, not when the very first
  // worker takes control of a page that is already running.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (updating) location.reload();
  });
}

onStatus(async (state) => {
  await updateChip();
  if (state.phase === "update") {
    showBanner(gettext("This app must be updated before it can send your entries."));
    const registration = currentRegistration();
    if (registration && registration.waiting) applyUpdate(registration.waiting);
    else if (registration) registration.update().catch(() => {});
  }
  if (Boolean(state.locked) !== (main.dataset.screen === "locked")) {
    render();
    return;
  }
  if (state.phase !== "idle") return;
  const typing = document.activeElement && ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if (typing) return;
  if (LIVE.has(current) || (current === welcome && (await getMeta("me")))) render();
});

window.addEventListener("hashchange", render);
window.addEventListener("online", updateChip);
window.addEventListener("offline", updateChip);

async function boot() {
  await db.open();
  await loadLanguage();
  // Not awaited: the browser queues register() behind an update still downloading, and the
  // first screen must not wait for that on a slow connection.
  registerWorker(offerUpdate);
  await render();
  await startSync();
  // The first sign-in on this phone brings the profile: its language may differ.
  if (document.documentElement.lang !== uiLanguage(await getMeta("me"))) {
    await loadLanguage();
    await render();
  }
}

// For the browser tests and for support: no data, only the sync state.
window.ivigapp = { syncNow, status, pendingCount, offlineState };
boot();
