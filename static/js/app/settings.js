// Settings: language, time zone and quiet hours (kept by the server, so reminders and emails follow
// them), this phone's notifications, storage, and signing out.
//
// A setting changed offline is kept on the phone (meta "settings_pending") and sent by
// settingsFlush(): at once when online, else when the connection comes back or after the next
// sync. Until then the screen shows it as waiting. The server answers with the new profile.
import { field, format, gettext, h } from "./dom.js";
import { getMeta, setMeta } from "./store.js";
import { api, onStatus, syncNow, uiLanguage } from "./sync.js";
import { signOut } from "./session.js";
import { pushDisable, pushEnable, pushErrorText, pushState } from "./reminders.js";

const LANGUAGES = [
  ["en", "English"],
  ["es", "Español"],
  ["fr", "Français"],
  ["ar", "العربية"],
];
const PENDING = "settings_pending";
const ERRORS = "settings_errors";
const YEAR_SECONDS = 365 * 24 * 3600;

let flushing = null;

/** Sends the settings waiting on this phone. Resolves to "sent", "waiting" or "refused". */
export function settingsFlush() {
  flushing = flushing || flushNow().finally(() => (flushing = null));
  return flushing;
}

async function flushNow() {
  const pending = (await getMeta(PENDING)) || {};
  if (!Object.keys(pending).length) return "sent";
  if (!navigator.onLine) return "waiting";
  let response;
  try {
    response = await api("PATCH", "/api/v1/me/", pending);
  } catch {
    return "waiting";
  }
  if (response.status !== 200 && response.status !== 400) return "waiting"; // signed out, 5xx: later
  const errors = response.status === 400 ? await response.json().catch(() => ({})) : {};
  // Clear what was sent (a refused field would only be refused again; it is shown instead), but
  // not a newer value chosen while the request ran. Quiet hours go as a pair.
  const refused = new Set(Object.keys(errors));
  if (refused.has("quiet_start") || refused.has("quiet_end")) refused.add("quiet_start").add("quiet_end");
  // An answer that names none of the fields sent would be refused again as it is: clear them all.
  const named = Object.keys(pending).some((name) => refused.has(name));
  const now = (await getMeta(PENDING)) || {};
  for (const [name, value] of Object.entries(pending)) {
    const done = response.status === 200 || !named || refused.has(name);
    if (done && now[name] === value) delete now[name];
  }
  await setMeta(PENDING, now);
  await setMeta(ERRORS, errors);
  if (response.status === 400) return "refused";
  await setMeta("me", await response.json());
  for (const note of document.querySelectorAll(".settings-waiting")) note.remove();
  // The sync's own profile refresh may have read the old profile while this ran: read it again.
  syncNow({ force: true });
  return Object.keys(now).length ? "waiting" : "sent";
}

window.addEventListener("online", () => settingsFlush());
onStatus((state) => {
  if (state.phase === "idle") settingsFlush();
});

async function settingsSave(values) {
  const pending = (await getMeta(PENDING)) || {};
  await setMeta(PENDING, { ...pending, ...values });
  return settingsFlush();
}

function waiting(text) {
  return h("p", { class: "warning settings-waiting" }, text);
}

function saveOutcome(outcome, status) {
  status.textContent =
    outcome === "sent"
      ? gettext("Saved.")
      : outcome === "waiting"
        ? gettext("Saved on this phone. It will be sent when you are online.")
        : "";
}

function errorsOf(errors, ...names) {
  return names.flatMap((name) => errors[name] || []).map((text) => h("p", { class: "error", role: "alert" }, String(text)));
}

function languageCookieSet(code) {
  const name = document.body.dataset.languageCookie || "django_language";
  const secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = `${name}=${code}; path=/; max-age=${YEAR_SECONDS}; samesite=lax${secure}`;
}

function languageForm(ctx, pending, errors) {
  const current = pending.language || uiLanguage(ctx.me);
  const select = h(
    "select",
    { name: "language", id: "language" },
    LANGUAGES.map(([code, name]) => h("option", { value: code, lang: code, selected: code === current }, name)),
  );
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "stack", id: "language-form" },
    field(gettext("Language"), select, gettext("The app, your reminders and emails use this language.")),
    h("button", { type: "submit", class: "secondary" }, gettext("Change language")),
    status,
    errorsOf(errors, "language"),
    pending.language ? waiting(gettext("Not sent yet: it will be sent when you are online.")) : null,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The app switches at once (its catalogues are on the phone); the server follows.
    languageCookieSet(select.value);
    const outcome = await settingsSave({ language: select.value });
    if (outcome === "refused") return ctx.rerender();
    location.reload();
  });
  return form;
}

function timeZones(...wanted) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set([...zones, ...wanted.filter(Boolean), "UTC"])].sort();
}

function timezoneForm(ctx, pending, errors) {
  const current = pending.timezone || ctx.me.timezone;
  const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const select = h(
    "select",
    { name: "timezone", id: "timezone", dir: "ltr" },
    timeZones(current, device).map((zone) => h("option", { value: zone, selected: zone === current }, zone)),
  );
  const status = h("p", { class: "form-status", role: "status" });
  const save = async () => {
    saveOutcome(await settingsSave({ timezone: select.value }), status);
    if ((await getMeta(ERRORS, {})).timezone) ctx.rerender();
  };
  const form = h(
    "form",
    { class: "stack", id: "timezone-form" },
    field(gettext("Time zone"), select, gettext("Reminders come at the local times of this zone, and the app shows times in it.")),
    h("button", { type: "submit", class: "secondary" }, gettext("Save time zone")),
    device && device !== current
      ? h(
          "button",
          {
            type: "button",
            class: "secondary",
            id: "timezone-device",
            onclick: () => {
              select.value = device;
              save();
            },
          },
          format(gettext("Use this phone's time zone (%(zone)s)"), { zone: device }),
        )
      : null,
    status,
    errorsOf(errors, "timezone"),
    pending.timezone ? waiting(gettext("Not sent yet: it will be sent when you are online.")) : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  return form;
}

const hhmm = (value) => (value ? String(value).slice(0, 5) : "");

function quietHoursForm(ctx, pending, errors) {
  const inPending = "quiet_start" in pending;
  const start = h("input", { type: "time", name: "quiet_start", id: "quiet-start", value: hhmm(inPending ? pending.quiet_start : ctx.me.quiet_start) });
  const end = h("input", { type: "time", name: "quiet_end", id: "quiet-end", value: hhmm(inPending ? pending.quiet_end : ctx.me.quiet_end) });
  const status = h("p", { class: "form-status", role: "status" });
  const error = h("p", { class: "error", role: "alert" });
  const save = async (values) => {
    error.textContent = "";
    if (Boolean(values.quiet_start) !== Boolean(values.quiet_end)) {
      error.textContent = gettext("Give both the start and the end of quiet hours, or neither.");
      return;
    }
    if (values.quiet_start && values.quiet_start === values.quiet_end) {
      error.textContent = gettext("Quiet hours must end at another time than they start.");
      return;
    }
    saveOutcome(await settingsSave(values), status);
    const refused = await getMeta(ERRORS, {});
    if (refused.quiet_start || refused.quiet_end) ctx.rerender();
  };
  const form = h(
    "form",
    { class: "stack", id: "quiet-form" },
    h(
      "fieldset",
      { class: "quiet-hours" },
      h("legend", {}, gettext("Quiet hours")),
      h("p", { class: "hint" }, gettext("Reminders that fall in quiet hours come when they end.")),
      h("div", { class: "quiet-times" }, field(gettext("From"), start), field(gettext("Until"), end)),
    ),
    h("button", { type: "submit", class: "secondary" }, gettext("Save quiet hours")),
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        id: "quiet-clear",
        onclick: () => {
          start.value = "";
          end.value = "";
          save({ quiet_start: null, quiet_end: null });
        },
      },
      gettext("No quiet hours"),
    ),
    status,
    error,
    errorsOf(errors, "quiet_start", "quiet_end"),
    inPending ? waiting(gettext("Not sent yet: it will be sent when you are online.")) : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save({ quiet_start: start.value || null, quiet_end: end.value || null });
  });
  return form;
}

const PUSH_TEXT = {
  on: () => gettext("On: reminders come as notifications on this phone."),
  off: () => gettext("Off: reminders come by email."),
  blocked: () => gettext("Blocked by the browser: reminders come by email. To get them on this phone, allow notifications for this site in the browser's settings."),
  unsupported: () => gettext("This browser cannot show notifications: reminders come by email. On an iPhone, add the app to the Home Screen first."),
};

function notifications() {
  const state = h("p", { id: "push-state", class: "push-state", role: "status" });
  const error = h("p", { class: "error", role: "alert", id: "push-error" });
  const button = h("button", { type: "button", id: "push-toggle", hidden: true });
  const show = async () => {
    const now = await pushState();
    state.dataset.state = now;
    state.textContent = PUSH_TEXT[now]();
    button.hidden = now === "blocked" || now === "unsupported";
    button.className = now === "on" ? "secondary" : "";
    button.textContent = now === "on" ? gettext("Turn off notifications") : gettext("Turn on notifications");
    button.dataset.action = now === "on" ? "off" : "on";
  };
  // Busy, not disabled, while it works: a disabled button would drop the keyboard focus.
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    error.textContent = "";
    try {
      await (button.dataset.action === "off" ? pushDisable() : pushEnable());
    } catch (failure) {
      error.textContent = pushErrorText(failure);
    }
    await show();
    button.setAttribute("aria-busy", "false");
  });
  show();
  return [state, button, error];
}

export async function render(ctx) {
  const pending = (await getMeta(PENDING)) || {};
  const errors = (await getMeta(ERRORS)) || {};
  const persisted = await getMeta("persisted");
  const signOutButton = h("button", { type: "button", class: "danger", id: "sign-out" }, gettext("Sign out"));
  signOutButton.addEventListener("click", () => signOut());
  return [
    h("h1", {}, gettext("Settings")),
    h("section", { class: "card", "aria-labelledby": "lang-title" }, h("h2", { id: "lang-title" }, gettext("Language")), languageForm(ctx, pending, errors)),
    h(
      "section",
      { class: "card", "aria-labelledby": "notify-title", id: "notifications" },
      h("h2", { id: "notify-title" }, gettext("Reminders and notifications")),
      notifications(),
      quietHoursForm(ctx, pending, errors),
    ),
    h("section", { class: "card", "aria-labelledby": "tz-title" }, h("h2", { id: "tz-title" }, gettext("Time zone")), timezoneForm(ctx, pending, errors)),
    h(
      "section",
      { class: "card", "aria-labelledby": "storage-title" },
      h("h2", { id: "storage-title" }, gettext("This phone")),
      h("p", {}, persisted ? gettext("Your entries are stored permanently on this phone.") : gettext("The browser may clear this app's storage when space runs low. Sync often.")),
      h("ul", { class: "link-list" }, h("li", {}, h("a", { href: "#/sync" }, gettext("Sync status"))), h("li", {}, h("a", { href: "#/checks" }, gettext("Check-ins"))), h("li", {}, h("a", { href: "#/content" }, gettext("Guidance")))),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "leave-title" },
      h("h2", { id: "leave-title" }, gettext("Sign out")),
      h("p", { class: "hint" }, gettext("Signing out sends your entries first, then removes everything this app stored on this phone.")),
      signOutButton,
    ),
  ];
}
