// The sync engine (SYNC.md 2.4, 2.5 and 2.12): push the outbox, then pull until has_more is
// false, then refresh the reference data (profile, triage rules, content).
//
// One cycle at a time per device: a Web Lock spans every tab of the app, and a write made
// during a cycle marks it dirty so it runs again. Cycles start when the app opens, when the
// network comes back, when the app becomes visible, shortly after each write and every minute
// while visible. Background Sync is not relied on (Safari has none).
import { db, getMeta, onWrite, SCHEMA_VERSION, setMeta, uuid } from "./store.js";
import { contentRefresh } from "./content.js";

const PUSH_BATCH = 100;
const PULL_LIMIT = 500;
const WRITE_DEBOUNCE_MS = 2000;
const INTERVAL_MS = 60000;
const REQUEST_TIMEOUT_MS = 30000;
const REFERENCE_MAX_AGE_MS = 10 * 60 * 1000;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 5 * 60 * 1000;

const body = () => document.body.dataset;

// Why a cycle stopped early. "locked": the session is gone (the outbox is kept);
// "other_user": this device's entries belong to another account; "update": the server needs a
// newer app; "offline": no network.
export class SyncStop extends Error {
  constructor(kind, detail) {
    super(kind);
    this.kind = kind;
    this.detail = detail;
  }
}

const state = { phase: "idle", pending: 0, lastSyncedAt: null, locked: null, error: null };
const listeners = new Set();

export function onStatus(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function status() {
  return { ...state };
}

let stopped = false;

/** Stops every trigger and cycle (signing out wipes the database next). */
export function stopSync() {
  stopped = true;
}

async function announce(changes) {
  if (stopped) return;
  Object.assign(state, changes);
  state.pending = await db.outbox.count();
  state.lastSyncedAt = await getMeta("last_synced_at");
  for (const listener of listeners) listener(status());
}

export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return "";
}

export function csrfToken() {
  return cookie(body().csrfCookie || "csrftoken");
}

export async function api(method, url, payload, headers = {}) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        Accept: "application/json",
        "X-Ivig-Background": "1",
        ...(payload === undefined ? {} : { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }),
        ...headers,
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: AbortSignal.timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined,
    });
  } catch (error) {
    throw new SyncStop("offline", String(error));
  }
  if (response.status === 426) throw new SyncStop("update");
  if (response.status === 401) throw new SyncStop("locked");
  return response;
}

// DRF answers 403 both to a missing session and to a foreign client id: ask which.
async function forbidden() {
  const me = await api("GET", "/api/v1/me/");
  if (me.status === 403 || me.status === 401) throw new SyncStop("locked");
  throw new SyncStop("other_user");
}

async function json(response) {
  if (response.status === 403) await forbidden();
  if (!response.ok) throw new SyncStop("server", response.status);
  return response.json();
}

async function clientId() {
  let id = await getMeta("client_id");
  if (!id) {
    id = uuid();
    await setMeta("client_id", id);
  }
  return id;
}

let registered = false;

async function register() {
  const id = await clientId();
  const answer = await json(
    await api("POST", "/api/sync/v1/clients", { client_id: id, schema_version: SCHEMA_VERSION, device_label: "ivigapp PWA" }),
  );
  await db.outbox.where("id").belowOrEqual(answer.last_mutation_id).delete();
  registered = true;
  return id;
}

function wire(mutation) {
  const { id, kind, table, row_id, base_version, set, base, recorded_at, mutation_format } = mutation;
  return { id, kind, table, row_id, base_version, set, base, recorded_at, mutation_format };
}

// 409 mutation_gap: the server expects another id than our oldest pending one.
async function gapMend(expected, firstPending) {
  await db.transaction("rw", db.outbox, db.meta, async () => {
    if (expected > firstPending) {
      // The server applied these already (we lost its answer): they are acknowledged.
      await db.outbox.where("id").below(expected).delete();
      return;
    }
    // The server lost ids we had pruned (a restored database): renumber, keeping the order.
    const pending = await db.outbox.orderBy("id").toArray();
    await db.outbox.clear();
    let next = expected;
    for (const mutation of pending) await db.outbox.add({ ...mutation, id: next++ });
    await setMeta("next_mutation_id", next);
  });
}

async function push(id) {
  for (let round = 0; round < 10000; round++) {
    const batch = await db.outbox.orderBy("id").limit(PUSH_BATCH).toArray();
    if (!batch.length) return;
    const response = await api("POST", "/api/sync/v1/push", {
      client_id: id,
      schema_version: SCHEMA_VERSION,
      mutations: batch.map(wire),
    });
    if (response.status === 409) {
      const gap = await response.json();
      if (gap.error !== "mutation_gap") throw new SyncStop("server", 409);
      await gapMend(gap.expected, batch[0].id);
      continue;
    }
    const answer = await json(response);
    const sent = new Map(batch.map((m) => [m.id, m]));
    await db.transaction("rw", db.outbox, db.rejected, async () => {
      for (const result of answer.results) {
        const mutation = sent.get(result.id);
        if (result.status !== "rejected" && mutation) {
          // A later change of the same entry was saved: its earlier refusal no longer marks the entry
          // as not saved (the refused change itself stays listed on the sync screen).
          for (const earlier of await db.rejected.where("row_id").equals(mutation.row_id).toArray()) {
            if (earlier.id < mutation.id && !earlier.superseded) await db.rejected.put({ ...earlier, superseded: true });
          }
        }
        if (result.status === "rejected" && mutation) {
          // Acknowledged but not applied: kept and shown with the server's message.
          await db.rejected.put({
            id: mutation.id,
            row_id: mutation.row_id,
            table: mutation.table,
            set: mutation.set,
            recorded_at: mutation.recorded_at,
            reason: result.reason,
            detail: result.detail || {},
          });
        }
      }
      await db.outbox.where("id").belowOrEqual(answer.last_mutation_id).delete();
    });
    if (answer.last_mutation_id < batch[0].id) throw new SyncStop("server", "no progress");
  }
}

async function pull(id) {
  let cursor = await getMeta("cursor");
  for (let page = 0; page < 10000; page++) {
    const answer = await json(
      await api("POST", "/api/sync/v1/pull", { client_id: id, schema_version: SCHEMA_VERSION, cursor, limit: PULL_LIMIT }),
    );
    if (answer.reset && cursor !== null) {
      // Discard the replica, never the outbox, and start again from nothing.
      await db.transaction("rw", db.rows, db.meta, async () => {
        await db.rows.clear();
        await setMeta("cursor", null);
      });
      cursor = null;
      continue;
    }
    // One transaction per page: rows and cursor land together or not at all.
    await db.transaction("rw", db.rows, db.meta, db.outbox, async () => {
      if (answer.scopes_removed.length) await db.rows.clear();
      // Pending local fields override pulled ones for display until they are sent.
      const pending = new Map();
      for (const m of await db.outbox.toArray()) {
        if (m.kind === "upsert") pending.set(m.row_id, [...(pending.get(m.row_id) || []), m]);
      }
      const gone = [];
      const rows = [];
      for (const change of answer.changes) {
        if (change.deleted) {
          gone.push([change.table, change.id]);
          continue;
        }
        const mine = pending.get(change.id) || [];
        let row = change.row;
        for (const mutation of mine) row = { ...row, ...mutation.set };
        rows.push({
          table: change.table,
          id: change.id,
          version: change.version,
          predicted: change.version + mine.length,
          row,
          conflicts: change.conflicts || [],
          local: false,
          episode_id: row.episode_id || null,
        });
      }
      // A page holds each row once, so the order of deletes and puts does not matter.
      if (gone.length) await db.rows.bulkDelete(gone);
      if (rows.length) await db.rows.bulkPut(rows);
      await db.outbox.where("id").belowOrEqual(answer.last_mutation_id).delete();
      await setMeta("cursor", answer.cursor);
      await setMeta("server_time_offset_ms", Date.parse(answer.server_time) - Date.now());
    });
    cursor = answer.cursor;
    if (!answer.has_more) return;
  }
}

export function uiLanguage(me) {
  const { languageCookie } = body();
  return cookie(languageCookie || "django_language") || (me && me.language) || document.documentElement.lang || "en";
}

// The profile, the triage rules and content: needed offline, refreshed now and then.
async function referenceRefresh(force) {
  const last = (await getMeta("reference_at")) || 0;
  const me = await getMeta("me");
  if (!force && me && Date.now() - last < REFERENCE_MAX_AGE_MS) return;
  const fresh = await json(await api("GET", "/api/v1/me/"));
  await setMeta("me", fresh);
  const etag = await getMeta("ruleset_etag");
  const rules = await api("GET", "/api/v1/triage/ruleset/", undefined, etag ? { "If-None-Match": etag } : {});
  if (rules.status === 200) {
    await setMeta("ruleset", await rules.json());
    await setMeta("ruleset_etag", rules.headers.get("ETag"));
  }
  await contentRefresh(uiLanguage(fresh), api);
  await setMeta("reference_at", Date.now());
}

async function cycle(force) {
  if (!navigator.onLine) throw new SyncStop("offline");
  const id = registered ? await clientId() : await register();
  await push(id);
  await pull(id);
  await referenceRefresh(force);
  await setMeta("last_synced_at", new Date().toISOString());
  if (!(await getMeta("persist_asked"))) {
    await setMeta("persist_asked", true);
    const granted = navigator.storage && navigator.storage.persist ? await navigator.storage.persist() : false;
    await setMeta("persisted", granted);
  }
}

let running = null;
let dirty = false;
let retryDelay = RETRY_FIRST_MS;
let retryTimer = null;
let forced = false;

async function runLocked() {
  do {
    dirty = false;
    const force = forced;
    forced = false;
    await cycle(force);
  } while (dirty);
}

/** Runs a sync cycle now, or joins the one running. Resolves to the final status. */
export function syncNow({ force = false } = {}) {
  if (stopped) return Promise.resolve(status());
  forced = forced || force;
  if (running) {
    dirty = true;
    return running;
  }
  running = (async () => {
    await announce({ phase: "syncing", error: null });
    try {
      if (navigator.locks && navigator.locks.request) {
        await navigator.locks.request("ivigapp-sync", runLocked);
      } else {
        await runLocked();
      }
      await announce({ phase: "idle", locked: null });
      retryDelay = RETRY_FIRST_MS;
    } catch (error) {
      const kind = error instanceof SyncStop ? error.kind : "server";
      if (kind === "locked" || kind === "other_user") registered = false;
      // 429, 5xx, timeouts: try again later, backing off with jitter (SYNC.md 2.8). Going
      // offline needs no timer: the "online" event starts the next cycle.
      if (kind === "server") {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => syncNow(), retryDelay * (0.5 + Math.random()));
        retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
      }
      await announce({
        phase: kind === "locked" || kind === "other_user" ? "locked" : kind,
        locked: kind === "locked" || kind === "other_user" ? kind : null,
        error: error instanceof SyncStop ? null : String(error),
      });
    } finally {
      running = null;
    }
    // Asked for while a cycle was failing: the request still deserves a cycle of its own.
    if (dirty && !stopped) {
      dirty = false;
      return syncNow();
    }
    return status();
  })();
  return running;
}

let debounce = null;

export function startSync() {
  onWrite(() => {
    announce({});
    clearTimeout(debounce);
    debounce = setTimeout(() => syncNow(), WRITE_DEBOUNCE_MS);
  });
  window.addEventListener("online", () => syncNow());
  window.addEventListener("offline", () => announce({ phase: "offline" }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow();
  });
  setInterval(() => {
    if (document.visibilityState === "visible") syncNow();
  }, INTERVAL_MS);
  return syncNow({ force: true });
}
