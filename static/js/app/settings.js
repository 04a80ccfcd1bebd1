// Settings: language (Django's set_language), time zone, quiet hours and notifications (set up
// by the reminders feature), storage, and signing out.
import { field, format, gettext, h } from "./dom.js";
import { getMeta } from "./store.js";
import { csrfToken, uiLanguage } from "./sync.js";
import { signOut } from "./session.js";

const LANGUAGES = [
  ["en", "English"],
  ["es", "Español"],
  ["fr", "Français"],
  ["ar", "العربية"],
];

function languageForm(ctx) {
  const current = uiLanguage(ctx.me);
  const select = h(
    "select",
    { name: "language", id: "language" },
    LANGUAGES.map(([code, name]) => h("option", { value: code, lang: code, selected: code === current }, name)),
  );
  const form = h(
    "form",
    { method: "post", action: document.body.dataset.setlangUrl, class: "stack" },
    h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken() }),
    h("input", { type: "hidden", name: "next", value: "/app/#/settings" }),
    field(gettext("Language"), select),
    h("button", { type: "submit", class: "secondary", disabled: !navigator.onLine }, gettext("Change language")),
    navigator.onLine ? null : h("p", { class: "hint" }, gettext("Changing the language needs a connection.")),
  );
  // The token may have changed since the screen was drawn (a new sign-in): read it on submit.
  form.addEventListener("submit", () => {
    form.querySelector("[name=csrfmiddlewaretoken]").value = csrfToken();
  });
  return form;
}

export async function render(ctx) {
  const { me } = ctx;
  const deviceZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const persisted = await getMeta("persisted");
  const signOutButton = h("button", { type: "button", class: "danger", id: "sign-out" }, gettext("Sign out"));
  signOutButton.addEventListener("click", () => signOut());
  return [
    h("h1", {}, gettext("Settings")),
    h("section", { class: "card", "aria-labelledby": "lang-title" }, h("h2", { id: "lang-title" }, gettext("Language")), languageForm(ctx)),
    h(
      "section",
      { class: "card", "aria-labelledby": "tz-title" },
      h("h2", { id: "tz-title" }, gettext("Time zone")),
      h("p", {}, format(gettext("Your care team uses: %(zone)s"), { zone: me.timezone })),
      deviceZone && deviceZone !== me.timezone ? h("p", { class: "warning" }, format(gettext("This phone is set to %(zone)s. Times are shown in your care team's time zone."), { zone: deviceZone })) : null,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "notify-title", id: "notifications" },
      h("h2", { id: "notify-title" }, gettext("Reminders and notifications")),
      h("p", { class: "hint" }, gettext("Quiet hours and notifications can be set here once reminders are available.")),
    ),
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
