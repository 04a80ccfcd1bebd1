// Onboarding, before the first sign-in on this phone. On iPhone and iPad the app must be added
// to the Home Screen first: Safari keeps the Home Screen app's storage apart from the browser's,
// so entries made in a Safari tab would not be in the installed app (SYNC.md 3.4).
import { gettext, h } from "./dom.js";

function isIos() {
  const ua = navigator.userAgent || "";
  return /iPhone|iPad|iPod/.test(ua) || (ua.includes("Macintosh") && navigator.maxTouchPoints > 1);
}

function installed() {
  return navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
}

export async function render() {
  const login = document.body.dataset.loginUrl;
  const coach = isIos() && !installed();
  return [
    h("h1", {}, gettext("Welcome to ivigapp")),
    h("p", {}, gettext("Your infusion diary, reaction checklist and your care team's advice, on this phone, even with no signal.")),
    h(
      "section",
      { class: coach ? "card card-important" : "card", "aria-labelledby": "install-title" },
      h("h2", { id: "install-title" }, gettext("First, add the app to your Home Screen")),
      h(
        "ol",
        { class: "steps" },
        h("li", {}, gettext("In Safari, tap the Share button (a square with an arrow pointing up).")),
        h("li", {}, gettext("Choose “Add to Home Screen”, then “Add”.")),
        h("li", {}, gettext("Open ivigapp from your Home Screen and sign in there.")),
      ),
      h("p", { class: "hint" }, gettext("On iPhone, entries made in a Safari tab are not kept in the Home Screen app. On Android, use “Install app” or “Add to Home screen” in the browser menu.")),
    ),
    h("a", { class: "button-link", href: login, id: "sign-in" }, gettext("Sign in")),
  ];
}
