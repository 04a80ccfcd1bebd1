// The device's copy of the diary: the replica pulled from the server, the outbox of changes
// not yet acknowledged, and a few settings (meta), in IndexedDB through Dexie.
//
// Rules that keep entries from ever being lost (SYNC.md 2.10 and 2.12):
// - a local write and its outbox entry are stored in ONE transaction, and the mutation id is
//   assigned right then, from a counter kept in the same transaction;
// - the outbox is only pruned at or below an id the server has acknowledged;
// - a new schema version adds stores or indexes; it never drops or rewrites "outbox".
// Health data is sealed at rest by crypto.js: every field of the replica, the outbox, the
// rejected entries and meta that is neither a key nor an index (RELIABILITY.md T19).
import Dexie from "../../vendor/dexie/modern/dexie.min.mjs";
import { KEY_ROW, newKey, sealingMiddleware, useKey } from "./crypto.js";

export const DB_NAME = "ivigapp";
// The sync protocol's schema_version this app speaks (settings.SYNC_SCHEMA_RANGE on the server).
export const SCHEMA_VERSION = 1;
export const MUTATION_FORMAT = 2;

export const db = new Dexie(DB_NAME);
// Version 1: replica rows by [table+id], the outbox by mutation id, meta key/values, the
// rejected mutations the patient must see, and content documents by sha256.
db.version(1).stores({
  rows: "[table+id], table",
  outbox: "id, row_id",
  meta: "key",
  rejected: "id, row_id",
  content: "sha256, key",
});
// Version 2 adds an index for the diary screen. Upgrades only ever add: the outbox is copied
// across untouched by IndexedDB itself, because its store is declared again unchanged.
db.version(2).stores({
  rows: "[table+id], table, episode_id",
  outbox: "id, row_id",
  meta: "key",
  rejected: "id, row_id",
  content: "sha256, key",
});

const SEALED_TABLES = ["rows", "outbox", "rejected", "meta"];
db.use(sealingMiddleware(SEALED_TABLES, (table, value) => table === "meta" && value.key === KEY_ROW));
// Before anything else reads the database: load this device's key, or make one. Making it is
// also the first start after the update that brought sealing, so whatever an older version
// stored in clear is sealed in the same transaction. Another tab may have won the race: then its
// key is used.
db.on(
  "ready",
  async () => {
    const found = await db.meta.get(KEY_ROW);
    if (found) return useKey(found.value);
    const fresh = await newKey();
    const tables = SEALED_TABLES.map((name) => db.table(name));
    await db.transaction("rw", tables, async () => {
      const winner = await db.meta.get(KEY_ROW);
      if (winner) return useKey(winner.value);
      await db.meta.add({ key: KEY_ROW, value: fresh });
      useKey(fresh);
      for (const table of tables) {
        const plain = (await table.toArray()).filter((entry) => table.name !== "meta" || entry.key !== KEY_ROW);
        if (plain.length) await table.bulkPut(plain);
      }
    }).catch((error) => {
      useKey(null);
      throw error;
    });
  },
  true,
);

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function getMeta(key, fallback = null) {
  const entry = await db.meta.get(key);
  return entry === undefined ? fallback : entry.value;
}

export function setMeta(key, value) {
  return db.meta.put({ key, value });
}

// Listeners told after every local write (sync.js schedules a push; screens re-render).
const writeListeners = new Set();
export function onWrite(listener) {
  writeListeners.add(listener);
  return () => writeListeners.delete(listener);
}

/**
 * Records a change locally and queues it for the server, atomically.
 * create: write("vial", null, {episode_id, ...}) -> new row id
 * update: write("infusion_episode", id, {started_at: ...}) -> the same id, with base_version/base
 *         taken from the replica so the server can merge field by field.
 * shown: fields for the local copy only (what the server will derive, e.g. a new infusion's status).
 */
export async function write(table, rowId, values, shown = {}) {
  const now = new Date().toISOString();
  let id = rowId;
  await db.transaction("rw", db.rows, db.outbox, db.meta, async () => {
    const next = (await getMeta("next_mutation_id", 1)) || 1;
    let mutation;
    if (!id) {
      id = uuid();
      mutation = { kind: "upsert", table, row_id: id, base_version: null, set: { ...values }, base: {} };
      // A new row's first server version is 1; later local edits build on that (predicted).
      await db.rows.put({ table, id, version: 0, predicted: 1, row: { ...shown, ...values }, conflicts: [], local: true, episode_id: values.episode_id || null });
    } else {
      const current = await db.rows.get([table, id]);
      const row = current ? current.row : {};
      const base = {};
      // Null bases are left out: the server parses base values with the table's update
      // serializer, and one unparseable value would void the whole base.
      for (const name of Object.keys(values)) if (row[name] !== undefined && row[name] !== null) base[name] = row[name];
      const baseVersion = current ? current.predicted ?? current.version : 0;
      mutation = { kind: "upsert", table, row_id: id, base_version: baseVersion, set: { ...values }, base };
      await db.rows.put({
        ...(current || { table, id, conflicts: [], version: 0, episode_id: values.episode_id || null }),
        row: { ...row, ...shown, ...values },
        predicted: baseVersion + 1,
      });
    }
    mutation.id = next;
    mutation.recorded_at = now;
    mutation.mutation_format = MUTATION_FORMAT;
    await db.outbox.add(mutation);
    await setMeta("next_mutation_id", next + 1);
  });
  for (const listener of writeListeners) listener(table, id);
  return id;
}

export async function rowsOf(table) {
  const found = await db.rows.where("table").equals(table).toArray();
  return found.map(view);
}

export async function rowOf(table, id) {
  const found = await db.rows.get([table, id]);
  return found ? view(found) : null;
}

// A row as the screens use it: its fields plus id, version and conflicts.
function view(entry) {
  return { ...entry.row, id: entry.id, _table: entry.table, _version: entry.version, _conflicts: entry.conflicts || [], _local: !!entry.local };
}

export function pendingCount() {
  return db.outbox.count();
}

// Sync badge of one entry: rejected > pending > conflict > synced.
export async function badges() {
  const pending = new Set((await db.outbox.toArray()).map((m) => m.row_id));
  const rejected = new Map((await db.rejected.toArray()).filter((r) => !r.superseded).map((r) => [r.row_id, r]));
  return (row) => {
    if (rejected.has(row.id)) return "rejected";
    if (pending.has(row.id)) return "pending";
    if (row._conflicts.length) return "conflict";
    return "synced";
  };
}

export async function wipe() {
  db.close();
  await Dexie.delete(DB_NAME);
  useKey(null);
}
