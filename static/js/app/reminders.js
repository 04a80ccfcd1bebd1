// Reminders in the app: the screen a notification opens (#/reminder/<id>) with Done and Snooze,
// the next reminders on Home, and this phone's notifications (Web Push) for Settings.
// The server plans and sends reminders. A notification carries no health data, only the
// reminder's id, so what it is about is read here from the reminders API; the last list read is
// kept on the phone so the screen still says something offline.
import { append, field, format, formatDate, formatDateTime, gettext, h, ngettext } from "./dom.js";
import { getMeta, rowsOf, setMeta } from "./store.js";
import { api, SyncStop } from "./sync.js";

const SNOOZE_MINUTES = [15, 30, 60, 120];
const NEXT_SHOWN = 3;

// The notification's click sends an open window of the app to the reminder (see pwa/sw-src.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    const hash = event.data && event.data.type === "OPEN" ? String(event.data.hash) : "";
    if (/^#\/(reminder\/[0-9a-f-]{36})?$/.test(hash)) location.hash = hash;
  });
}

/** What a reminder is about, in the app's language (the same words as the server's kinds). */
export function kindText(kind) {
  switch (kind) {
    case "hydration_day_before":
      return gettext("Drink well the day before");
    case "hydration_morning":
      return gettext("Drink well this morning");
    case "premedication":
      return gettext("Take your premedication");
    case "infusion_start":
      return gettext("Infusion time");
    case "hydration_day_after":
      return gettext("Keep drinking well today");
    case "check_24h":
      return gettext("24-hour check");
    case "check_48h":
      return gettext("48-hour check");
    case "check_72h":
      return gettext("72-hour check");
    case "check_d5":
      return gettext("Day 5 check");
    case "check_d7":
      return gettext("Day 7 check");
    case "check_d10":
      return gettext("Day 10 check");
    case "recheck":
      return gettext("Check how you feel again");
    default:
      return gettext("Reminder");
  }
}

/** The reminders list from the server, kept on the phone; throws SyncStop when unreachable. */
export async function remindersFetch() {
  if (!navigator.onLine) throw new SyncStop("offline");
  const response = await api("GET", "/api/v1/reminders/");
  if (!response.ok) throw new SyncStop(response.status === 403 ? "locked" : "server", response.status);
  const list = await response.json();
  await setMeta("reminders", { at: new Date().toISOString(), list });
  return list;
}

async function remindersCached() {
  return (await getMeta("reminders")) || { at: null, list: [] };
}

async function cacheReplace(reminder) {
  const cached = await remindersCached();
  const list = cached.list.map((r) => (r.id === reminder.id ? reminder : r));
  await setMeta("reminders", { ...cached, list });
}

function failureText(error) {
  const kind = error instanceof SyncStop ? error.kind : "server";
  if (kind === "offline") return gettext("You are offline, so this was not sent. Try again when you are connected.");
  if (kind === "locked") return gettext("Your session has ended. Sign in again, then try again.");
  return gettext("The server did not answer. Try again in a moment.");
}

async function closeNotification(reminder) {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration("/app/");
  if (!registration || !registration.getNotifications) return;
  for (const notification of await registration.getNotifications({ tag: reminder.id.replace(/-/g, "") })) notification.close();
}

// Done and Snooze: sent at once or not at all. A failure is shown where the patient pressed,
// with the buttons still there to try again; nothing is queued behind their back. A second press
// while the first is on its way does nothing (the buttons stay enabled, so focus stays put).
async function act(ctx, reminder, action, payload, box) {
  if (box.getAttribute("aria-busy") === "true") return;
  const error = box.querySelector(".error");
  box.setAttribute("aria-busy", "true");
  error.textContent = "";
  let response;
  try {
    response = await api("POST", `/api/v1/reminders/${reminder.id}/${action}`, payload);
  } catch (failure) {
    error.textContent = failureText(failure);
    return;
  } finally {
    box.setAttribute("aria-busy", "false");
  }
  if (response.ok) {
    await cacheReplace(await response.json());
    await closeNotification(reminder);
    ctx.rerender();
    return;
  }
  const body = response.status === 400 ? await response.json().catch(() => ({})) : {};
  const reason = Object.values(body).flat()[0];
  error.textContent = reason ? String(reason) : failureText(new SyncStop(response.status === 403 ? "locked" : "server"));
}

// Why the server did not send a reminder that came due (Reminder.SUPPRESSED_REASONS).
function notSentBecause(reason) {
  const texts = {
    too_late: gettext("Not sent: it was too late to be useful."),
    infusion_cancelled: gettext("Not needed: the infusion was cancelled."),
    already_started: gettext("Not needed: your infusion had already started."),
  };
  return texts[reason] || gettext("Not needed: you have already logged this.");
}

function stateLine(reminder, tz) {
  if (reminder.acknowledged_at) return h("p", { class: "reminder-state reminder-done" }, gettext("Done. Thank you."));
  if (reminder.status === "suppressed") return h("p", { class: "reminder-state" }, notSentBecause(reminder.suppressed_reason));
  if (reminder.status === "pending" && reminder.snoozed_until) {
    return h("p", { class: "reminder-state" }, format(gettext("Snoozed until %(when)s."), { when: formatDateTime(reminder.snoozed_until, tz) }));
  }
  if (reminder.status === "pending") return h("p", { class: "reminder-state" }, gettext("Coming up: you will get a notification or an email at that time."));
  return null;
}

function actions(ctx, reminder) {
  if (reminder.acknowledged_at || reminder.status !== "dispatched") return null;
  const minutes = h(
    "select",
    { name: "minutes", id: "snooze-minutes" },
    SNOOZE_MINUTES.map((n) =>
      h("option", { value: String(n) }, n < 60 ? format(ngettext("%(n)s minute", "%(n)s minutes", n), { n }) : format(ngettext("%(n)s hour", "%(n)s hours", n / 60), { n: n / 60 })),
    ),
  );
  const box = h("div", { class: "stack reminder-actions" });
  return append(
    box,
    [
      h("button", { type: "button", class: "big-button", id: "reminder-done", onclick: () => act(ctx, reminder, "acknowledge", {}, box) }, gettext("Done")),
      h(
        "div",
        { class: "snooze" },
        field(gettext("Remind me again in"), minutes),
        h("button", { type: "button", class: "secondary", id: "reminder-snooze", onclick: () => act(ctx, reminder, "snooze", { minutes: Number(minutes.value) }, box) }, gettext("Snooze")),
      ),
      h("p", { class: "error", role: "alert", id: "reminder-error" }),
    ],
  );
}

function nextStep(kind) {
  if (kind.startsWith("check_")) return h("a", { class: "button-link", href: "#/checks" }, gettext("Answer the check-in"));
  if (kind === "recheck") return h("a", { class: "button-link", href: "#/unwell" }, gettext("Tell us how you feel now"));
  if (kind === "infusion_start") return h("a", { class: "button-link", href: "#/infusion" }, gettext("Open the infusion"));
  return null;
}

/** The reminder screen: #/reminder/<id>. */
export async function render(ctx) {
  const id = String(ctx.params[0] || "").toLowerCase();
  const tz = ctx.me.timezone;
  let { list, at } = await remindersCached();
  let trouble = null;
  try {
    list = await remindersFetch();
    at = null;
  } catch (error) {
    trouble = error;
  }
  const reminder = list.find((r) => r.id === id);
  const offlineNote = trouble
    ? h(
        "p",
        { class: "warning", id: "reminder-offline" },
        trouble.kind === "offline"
          ? gettext("You are offline. Done and Snooze need a connection.")
          : gettext("The server could not be reached. Done and Snooze may not work until it can."),
        at ? " " + format(gettext("Shown as of %(when)s."), { when: formatDateTime(at, tz) }) : "",
      )
    : null;
  if (!reminder) {
    return [
      h("h1", {}, gettext("Reminder")),
      offlineNote,
      h("p", {}, trouble ? gettext("This reminder can be shown once you are online.") : gettext("This reminder is no longer in your list.")),
      h("a", { class: "button-link", href: "#/" }, gettext("Home")),
    ];
  }
  const episode = (await rowsOf("infusion_episode")).find((e) => e.id === reminder.episode_id);
  const about = infusionOf(reminder, episode, tz);
  return [
    h("h1", {}, kindText(reminder.kind)),
    offlineNote,
    h(
      "section",
      { class: "card card-important", "aria-labelledby": "reminder-when-title" },
      h("h2", { id: "reminder-when-title" }, gettext("When")),
      h("p", { class: "reminder-when" }, formatDateTime(reminder.due_at, tz)),
      about ? h("p", { class: "hint", id: "reminder-infusion" }, about) : null,
      reminder.window_minutes ? h("p", { class: "hint" }, format(gettext("Within %(n)s minutes of this time."), { n: reminder.window_minutes })) : null,
      stateLine(reminder, tz),
      actions(ctx, reminder),
    ),
    nextStep(reminder.kind),
  ];
}

// A sent reminder waits for an answer while it still means something: not once its infusion has
// started (for the ones before an infusion), and not after half a day.
const BEFORE_START = new Set(["hydration_day_before", "hydration_morning", "premedication", "infusion_start"]);
const WAITS_MS = 12 * 3600 * 1000;

function upcoming(list, started) {
  const now = Date.now();
  const waiting = list.filter(
    (r) =>
      r.status === "dispatched" &&
      !r.acknowledged_at &&
      now - Date.parse(r.due_at) < WAITS_MS &&
      !(BEFORE_START.has(r.kind) && started.has(r.episode_id)),
  );
  // Nor is a reminder about getting ready once its infusion has started (an infusion started early).
  const next = list.filter((r) => r.status === "pending" && Date.parse(r.due_at) >= now - 60000 && !(BEFORE_START.has(r.kind) && started.has(r.episode_id)));
  return [...waiting, ...next.slice(0, NEXT_SHOWN)];
}

/** Which infusion a reminder belongs to ("After the infusion of 5 Dec 2026"), from the phone's diary. */
function infusionOf(reminder, episode, tz) {
  const at = episode && (episode.started_at || episode.scheduled_start);
  if (!at || reminder.kind === "recheck") return null; // about the report, not the infusion
  const template = BEFORE_START.has(reminder.kind) ? gettext("For the infusion of %(day)s") : gettext("After the infusion of %(day)s");
  return format(template, { day: formatDate(at, tz) });
}

function reminderItems(list, tz, episodes) {
  const started = new Set([...episodes.values()].filter((e) => e.started_at).map((e) => e.id));
  const shown = upcoming(list, started);
  if (!shown.length) return h("p", { class: "hint" }, gettext("No reminders are planned right now."));
  return h(
    "ul",
    { class: "link-list reminder-list" },
    shown.map((r) =>
      h(
        "li",
        {},
        h(
          "a",
          { href: `#/reminder/${r.id}` },
          h("span", { class: "reminder-kind" }, kindText(r.kind)),
          h("span", { class: "reminder-time" }, r.status === "dispatched" ? gettext("Now: open to answer") : formatDateTime(r.due_at, tz)),
          h("span", { class: "reminder-infusion" }, infusionOf(r, episodes.get(r.episode_id), tz)),
        ),
      ),
    ),
  );
}

function pushLine(state) {
  const text = {
    on: gettext("Notifications are on for this phone."),
    off: gettext("Notifications are off for this phone: reminders come by email."),
    blocked: gettext("Notifications are blocked in this browser: reminders come by email."),
    unsupported: gettext("This browser cannot show notifications: reminders come by email."),
  }[state];
  return h("p", { class: "hint" }, text, " ", h("a", { href: "#/settings" }, gettext("Change in Settings")));
}

/** Home's card: the next reminders, from the phone's copy at once, then fresh from the server. */
export function remindersCard(ctx) {
  const tz = ctx.me.timezone;
  const body = h("div", { id: "reminder-status" });
  const fill = async (list, note) => {
    const noteNode = note ? h("p", { class: "warning", id: "reminders-note" }, note) : "";
    const episodes = new Map((await rowsOf("infusion_episode")).map((e) => [e.id, e]));
    body.replaceChildren(noteNode, reminderItems(list, tz, episodes), pushLine(await pushState()));
  };
  (async () => {
    const cached = await remindersCached();
    if (!navigator.onLine) {
      const note = cached.at
        ? format(gettext("You are offline: this list is from %(when)s."), { when: formatDateTime(cached.at, tz) })
        : gettext("You are offline: your reminders show here once you are online.");
      await fill(cached.list, note);
      return;
    }
    if (cached.at) await fill(cached.list, null);
    try {
      await fill(await remindersFetch(), null);
    } catch {
      await fill(cached.list, gettext("Reminders could not be refreshed just now."));
    }
  })();
  return h("section", { class: "card", "aria-labelledby": "reminders-title" }, h("h2", { id: "reminders-title" }, gettext("Reminders")), body);
}

// Web Push on this phone. "on" means the browser holds a subscription AND the server has it.

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

async function pushRegistration() {
  return (await navigator.serviceWorker.getRegistration("/app/")) || null;
}

/** "on", "off", "blocked" (by the browser's permission) or "unsupported". */
export async function pushState() {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  const registration = await pushRegistration();
  const subscription = registration ? await registration.pushManager.getSubscription() : null;
  const known = await getMeta("push_endpoint");
  return subscription && known === subscription.endpoint ? "on" : "off";
}

export class PushError extends Error {
  // "offline", "dismissed", "blocked", "push_service" (the browser's push service could not be
  // reached or refused), "server" (our server refused or did not answer).
  constructor(kind, detail) {
    super(kind);
    this.kind = kind;
    this.detail = detail;
  }
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function post(url, payload) {
  let response;
  try {
    response = await api("POST", url, payload);
  } catch (error) {
    throw new PushError(error instanceof SyncStop && error.kind === "offline" ? "offline" : "server", String(error));
  }
  if (!response.ok) throw new PushError("server", response.status);
  return response;
}

/** Asks for permission, subscribes with the server's VAPID key and registers the subscription. */
export async function pushEnable() {
  if (!pushSupported()) throw new PushError("unsupported");
  if (!navigator.onLine) throw new PushError("offline");
  const permission = await Notification.requestPermission();
  if (permission === "denied") throw new PushError("blocked");
  if (permission !== "granted") throw new PushError("dismissed");
  const registration = await pushRegistration();
  if (!registration) throw new PushError("push_service", "no service worker");
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    let key;
    try {
      const response = await api("GET", "/api/v1/push/public-key");
      if (!response.ok) throw new PushError("server", response.status);
      key = (await response.json()).public_key;
    } catch (error) {
      throw error instanceof PushError ? error : new PushError(error.kind === "offline" ? "offline" : "server", String(error));
    }
    try {
      subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    } catch (error) {
      throw new PushError(error && error.name === "NotAllowedError" ? "blocked" : "push_service", String(error));
    }
  }
  const { endpoint, keys } = subscription.toJSON();
  await post("/api/v1/push/subscriptions", { endpoint, keys, client_id: await getMeta("client_id") });
  await setMeta("push_endpoint", endpoint);
}

/** Removes the subscription from the server first (else it would keep sending), then the browser. */
export async function pushDisable() {
  const registration = pushSupported() ? await pushRegistration() : null;
  const subscription = registration ? await registration.pushManager.getSubscription() : null;
  const endpoint = (subscription && subscription.endpoint) || (await getMeta("push_endpoint"));
  if (endpoint) {
    if (!navigator.onLine) throw new PushError("offline");
    await post("/api/v1/push/subscriptions/delete", { endpoint });
  }
  if (subscription) await subscription.unsubscribe();
  await setMeta("push_endpoint", null);
}

export function pushErrorText(error) {
  switch (error instanceof PushError ? error.kind : "server") {
    case "offline":
      return gettext("Turning notifications on or off needs a connection. Try again when you are online.");
    case "dismissed":
      return gettext("Notifications were not allowed. Reminders come by email; press the button again to be asked again.");
    case "blocked":
      return gettext("Notifications are blocked for this app. Allow them in the browser's site settings, then try again. Until then, reminders come by email.");
    case "push_service":
      return gettext("This phone could not reach the browser's notification service, so notifications are not on. Reminders still come by email. Check the connection and try again.");
    case "unsupported":
      return gettext("This browser cannot show notifications: reminders come by email.");
    default:
      return gettext("The server did not accept this just now. Reminders still come by email. Try again later.");
  }
}
