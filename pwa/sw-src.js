// The patient app's service worker. tools/build-sw.mjs runs Workbox injectManifest on this
// file: the list below becomes the app's own files with a content revision each.
//
// Strategy (SYNC.md 3.2):
// - the app's files (modules, css, icons, Dexie, translation catalogues, the /app/ shell) are
//   precached by revision and served from the cache; a new build replaces them atomically;
// - navigations to /app/ go to the network first (3 s) and fall back to the precached shell;
// - nothing under /api/ is ever cached here: patient data lives in IndexedDB, owned by the app's
//   sync engine, and the sync endpoints are network-only.
// The worker never opens IndexedDB, so installing or activating a new version cannot touch the
// outbox.
const PRECACHE = self.__WB_MANIFEST;
const CACHE = "ivigapp-precache-v1";
const SHELL = "/app/";
const NAVIGATION_TIMEOUT_MS = 3000;

const absolute = (url) => new URL(url, self.location.origin).href;
const cacheKey = (entry) => {
  const url = new URL(entry.url, self.location.origin);
  if (entry.revision) url.searchParams.set("__rev", entry.revision);
  return url.href;
};
const KEYS = new Map(PRECACHE.map((entry) => [absolute(entry.url), cacheKey(entry)]));

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const have = new Set((await cache.keys()).map((request) => request.url));
      for (const entry of PRECACHE) {
        const key = cacheKey(entry);
        if (have.has(key)) continue;
        const response = await fetch(entry.url, { cache: "reload", credentials: "same-origin" });
        if (!response.ok) throw new Error(`precache ${entry.url}: ${response.status}`);
        await cache.put(key, response);
      }
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const wanted = new Set(KEYS.values());
      for (const name of await caches.keys()) {
        if (name !== CACHE && name.startsWith("ivigapp-")) await caches.delete(name);
      }
      const cache = await caches.open(CACHE);
      for (const request of await cache.keys()) {
        if (!wanted.has(request.url)) await cache.delete(request);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

async function fromPrecache(url) {
  const key = KEYS.get(absolute(url));
  if (!key) return undefined;
  const cache = await caches.open(CACHE);
  return cache.match(key);
}

async function shell(request) {
  const network = fetch(request).then((response) => (response.ok ? response : Promise.reject(new Error(String(response.status)))));
  const timeout = new Promise((_resolve, reject) => setTimeout(() => reject(new Error("timeout")), NAVIGATION_TIMEOUT_MS));
  try {
    return await Promise.race([network, timeout]);
  } catch {
    network.catch(() => {});
    return (await fromPrecache(SHELL)) || network;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    if (url.pathname === SHELL) event.respondWith(shell(request));
    return;
  }
  if (!KEYS.has(url.origin + url.pathname)) return;
  event.respondWith(fromPrecache(url.origin + url.pathname).then((cached) => cached || fetch(request)));
});

// Reminders (DESIGN.md 8): the push carries no health data, only a generic line in the patient's
// language and the reminder's id. The tag is the reminder, so a push delivered twice (a retry,
// a snooze's next round) replaces the notification instead of adding one.
const REMINDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function reminderPayload(event) {
  try {
    const data = event.data ? event.data.json() : {};
    return data && typeof data === "object" ? data : {};
  } catch {
    return {};
  }
}

self.addEventListener("push", (event) => {
  const data = reminderPayload(event);
  const id = REMINDER_ID.test(String(data.id)) ? String(data.id).toLowerCase() : null;
  const title = typeof data.title === "string" && data.title ? data.title : "ivigapp";
  // The server always sends the body in the patient's language; this fallback is never shown
  // unless a payload comes broken, and a push must always show something (userVisibleOnly).
  const body = typeof data.body === "string" && data.body ? data.body : "Open ivigapp to see your reminder.";
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      // The server's Topic header and payload tag are the id without dashes: the same here.
      tag: id ? id.replace(/-/g, "") : "ivigapp",
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      data: { reminderId: id },
    }),
  );
});

// The app opens on the reminder's screen: an open window of the app is told where to go (its router
// follows the hash) and focused; otherwise a new one is opened there.
async function reminderOpen(id) {
  const hash = id ? `#/reminder/${id}` : "#/";
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const app = windows.find((client) => new URL(client.url).pathname === SHELL);
  if (!app) return self.clients.openWindow(SHELL + hash);
  app.postMessage({ type: "OPEN", hash });
  return app.focus();
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(reminderOpen(event.notification.data && event.notification.data.reminderId));
});
