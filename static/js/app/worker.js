// The service worker that lets the app open with no connection, and how far its install got.
//
// The first install downloads every file of the app. One dropped connection fails it, and the
// browser then forgets the registration until the app is next opened: on a poor phone network a
// patient could go days without the offline app. So the app tries again by itself, after a pause
// that grows from 3 s to 5 min, and at once when the connection returns. The sync screen shows
// the state (offlineState), and the browser tests read it too.
//
// A new version (an update, with an active worker already in place) waits until the patient
// chooses to reload: `offer` is called with the waiting worker.

const FIRST_PAUSE_MS = 3000;
const LONGEST_PAUSE_MS = 5 * 60 * 1000;

let state = "installing"; // "installing" | "retrying" | "ready" | "unsupported"
let current = null;
let pause = FIRST_PAUSE_MS;
let timer = null;
const listeners = [];

export const offlineState = () => state;
export const currentRegistration = () => current;
export const onOfflineState = (listener) => listeners.push(listener);

function setState(next) {
  if (state === next) return;
  state = next;
  for (const listener of listeners) listener(next);
}

function tryAgainLater() {
  if (stopped) return;
  setState("retrying");
  clearTimeout(timer);
  timer = setTimeout(install, pause);
  pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
}

// Follows a worker that is installing; the first one that fails with nothing active to fall
// back on means the app is not saved on this phone yet.
const followed = new WeakSet();

function follow(registration, worker, offer) {
  if (!worker || followed.has(worker)) return;
  followed.add(worker);
  worker.addEventListener("statechange", () => {
    if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    if (worker.state === "activated") setState("ready");
    if (worker.state !== "redundant") return;
    // Browsers differ in whether `installing` still names this worker when it turns redundant.
    const others = [registration.installing, registration.waiting, registration.active].filter((w) => w && w !== worker && w.state !== "redundant");
    if (!others.length) tryAgainLater();
  });
}

let offerUpdate = () => {};
let stopped = false;

// Signing out removes the worker and its caches: no retry may bring them back afterwards.
export function stopWorker() {
  stopped = true;
  clearTimeout(timer);
  timer = null;
}

async function install() {
  clearTimeout(timer);
  timer = null;
  if (stopped) return null;
  setState("installing");
  let registration;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/app/" });
  } catch (error) {
    console.warn("service worker not registered", error);
    // A TypeError is a failed download of sw.js (offline, a dropped connection, a server error):
    // worth trying again. Anything else (storage blocked, say) will not change by waiting.
    if (error instanceof TypeError) tryAgainLater();
    else setState("unsupported");
    return null;
  }
  if (registration !== current) {
    current = registration;
    registration.addEventListener("updatefound", () => follow(registration, registration.installing, offerUpdate));
  }
  if (registration.active) {
    pause = FIRST_PAUSE_MS;
    setState(registration.active.state === "activated" ? "ready" : "installing");
    if (registration.active.state !== "activated") follow(registration, registration.active, offerUpdate);
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  } else if (registration.installing || registration.waiting) {
    follow(registration, registration.installing || registration.waiting, offerUpdate);
  } else {
    tryAgainLater();
  }
  return registration;
}

export async function registerWorker(offer) {
  if (!("serviceWorker" in navigator)) {
    setState("unsupported");
    return null;
  }
  offerUpdate = offer;
  window.addEventListener("online", () => {
    if (state === "retrying") install();
  });
  return install();
}
