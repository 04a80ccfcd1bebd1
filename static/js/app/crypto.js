// Health data at rest (RELIABILITY.md T19): a Dexie DBCore middleware that seals every stored
// field that is neither a key nor an index with AES-GCM (WebCrypto), so that the replica, the
// outbox and the profile never reach the disk as plain text. Keys and indexed fields stay clear,
// so the queries the app makes keep working. The rest of the code sees plain records.
//
// The key is a non-extractable AES-GCM key made on this device at the first sign-in and kept in
// the same database (meta "data_key"); signing out deletes the database and with it the key.
// That defeats reading the files of the profile (a backup, a grep, a lost phone's disk image);
// it does not defeat script running in the app's origin (XSS), which can use the key, nor a
// determined attacker with the whole profile, because Chromium keeps the key's bytes beside it.
//
// Why not dexie-encrypted: it takes raw key bytes (so the key must be extractable) and encrypts
// with tweetnacl synchronously; WebCrypto is asynchronous, which an IndexedDB transaction does not
// wait for. Here each wait keeps the transaction alive with cheap reads until the crypto is done
// (what Dexie.waitFor does), and the work carries on inside the last of those reads' callbacks.
//
// Limits: sealed tables are read with get/bulkGet/toArray (Dexie turns where/orderBy/limit into
// those); cursors over values (each, filter, modify) refuse to run rather than return sealed data.
// Sealed fields must hold JSON values.
import Dexie from "../../vendor/dexie/modern/dexie.min.mjs";

export const KEY_ROW = "data_key";
const SEALED = "_sealed";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let key = null;

export function useKey(cryptoKey) {
  key = cryptoKey;
}

export function newKey() {
  return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

async function seal(fields) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(JSON.stringify(fields)));
  return { iv, data };
}

async function unseal(sealed) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
  return JSON.parse(decoder.decode(plain));
}

/**
 * Resolves to what `promise` resolves to, inside a success callback of a request of `trans`:
 * the transaction is then active, so the caller may go on using it. Until then a read of a key
 * that cannot exist keeps the transaction from committing for lack of work. The answer is given
 * in Dexie's zone of the caller (`zone`), as Dexie's own requests do, so that the code awaiting
 * it stays in its transaction.
 */
function inTransaction(zone, trans, storeName, promise) {
  return new Promise((resolve, reject) => {
    let outcome = null;
    promise.then(
      (value) => (outcome = () => resolve(value)),
      (error) => (outcome = () => reject(error)),
    );
    const store = trans.objectStore(storeName);
    (function spin() {
      if (outcome) Dexie.Promise.usePSD(zone, outcome);
      else store.get(-Infinity).onsuccess = spin;
    })();
  });
}

function topLevel(keyPath) {
  if (keyPath === null || keyPath === undefined) return [];
  return (Array.isArray(keyPath) ? keyPath : [keyPath]).map((path) => path.split(".")[0]);
}

/**
 * The middleware for db.use(). `tables`: the names of the tables to seal; `keep(table, value)`:
 * true for a record to store as it is (the key row itself).
 */
export function sealingMiddleware(tables, keep) {
  return {
    stack: "dbcore",
    name: "sealing",
    // Below Dexie's own middlewares (hooks, caches, live queries): all of them see plain records.
    level: -2,
    create(down) {
      return {
        ...down,
        table(name) {
          const table = down.table(name);
          if (!tables.includes(name)) return table;
          const schema = table.schema;
          const clear = new Set([...topLevel(schema.primaryKey.keyPath), ...schema.indexes.flatMap((index) => topLevel(index.keyPath))]);

          async function sealOne(value) {
            if (!key || !value || typeof value !== "object" || keep(name, value)) return value;
            const stored = {};
            const hidden = {};
            for (const [field, content] of Object.entries(value)) (clear.has(field) ? stored : hidden)[field] = content;
            stored[SEALED] = await seal(hidden);
            return stored;
          }

          async function openOne(value) {
            // Records stored before this middleware existed are read as they are (and sealed
            // again by store.js on the first start after the update).
            if (!value || typeof value !== "object" || !(SEALED in value)) return value;
            const { [SEALED]: sealed, ...stored } = value;
            return { ...stored, ...(await unseal(sealed)) };
          }

          const openAll = (zone, trans, values) => inTransaction(zone, trans, name, Promise.all(values.map(openOne)));

          return {
            ...table,
            mutate(req) {
              if (req.type !== "add" && req.type !== "put") return table.mutate(req);
              const zone = Dexie.Promise.PSD;
              return inTransaction(zone, req.trans, name, Promise.all(req.values.map(sealOne))).then((values) =>
                table.mutate({ ...req, values }),
              );
            },
            get(req) {
              const zone = Dexie.Promise.PSD;
              return table.get(req).then((value) => openAll(zone, req.trans, [value]).then((values) => values[0]));
            },
            getMany(req) {
              const zone = Dexie.Promise.PSD;
              return table.getMany(req).then((values) => openAll(zone, req.trans, values));
            },
            query(req) {
              if (!req.values) return table.query(req);
              const zone = Dexie.Promise.PSD;
              return table.query(req).then((answer) => openAll(zone, req.trans, answer.result).then((result) => ({ ...answer, result })));
            },
            openCursor(req) {
              if (req.values) return Promise.reject(new Error(`${name} is sealed: read it with get() or toArray(), not a cursor`));
              return table.openCursor(req);
            },
          };
        },
      };
    },
  };
}
