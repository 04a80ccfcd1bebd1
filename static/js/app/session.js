// Leaving safely (RELIABILITY.md T18): send what can be sent, ask before losing anything, then
// wipe everything this app stored on the phone and end the session on the server, which also
// sends Clear-Site-Data.
import { ask, format, gettext, h, ngettext } from "./dom.js";
import { pushDisable } from "./reminders.js";
import { pendingCount, wipe } from "./store.js";
import { csrfToken, stopSync, syncNow } from "./sync.js";
import { stopWorker } from "./worker.js";

export async function deviceWipe() {
  stopWorker();
  await wipe();
  if (window.caches) {
    for (const key of await caches.keys()) await caches.delete(key);
  }
  localStorage.clear();
  sessionStorage.clear();
  if (navigator.serviceWorker) {
    for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
  }
}

/** Resolves to false when the patient chose to stay signed in. */
export async function signOut() {
  if (navigator.onLine) await syncNow();
  const pending = await pendingCount();
  if (pending) {
    const choice = await ask({
      title: gettext("Entries not sent yet"),
      text: format(ngettext("%(n)s entry is not sent yet. Sign out and lose it?", "%(n)s entries are not sent yet. Sign out and lose them?", pending), { n: pending }),
      buttons: [
        { value: "stay", label: gettext("Stay signed in"), class: "" },
        { value: "lose", label: gettext("Sign out without sending"), class: "danger" },
      ],
    });
    if (choice !== "lose") return false;
  }
  const token = csrfToken();
  stopSync();
  // Reminders for this phone stop with the session (other devices keep theirs). Offline, the
  // push service's 410 removes it later and the server falls back to email.
  if (navigator.onLine) await pushDisable().catch(() => {});
  await deviceWipe();
  const form = h(
    "form",
    { method: "post", action: document.body.dataset.logoutUrl, hidden: true },
    h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token }),
  );
  document.body.append(form);
  if (!navigator.onLine) {
    // Nothing of the patient's is left on the phone; the server's session ends as soon as the
    // network is back (the page stays open to send the sign-out).
    document.getElementById("tabbar").hidden = true;
    document.getElementById("main").replaceChildren(
      h("h1", { tabindex: "-1" }, gettext("Signed out on this phone")),
      h("p", {}, gettext("Everything this app stored here has been removed. Keep this page open: the sign-out finishes when the phone is back online.")),
      h("button", { type: "button", onclick: () => form.submit() }, gettext("Finish signing out")),
    );
    window.addEventListener("online", () => form.submit(), { once: true });
    return true;
  }
  form.submit();
  return true;
}
