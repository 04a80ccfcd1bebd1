// B1 peer: replicate N documents from a fresh local PouchDB (LevelDB on disk) to pouchdb-server.
//   node push.mjs --remote http://127.0.0.1:PORT --db NAME --docs docs.json --local DIR --batch-size 100
//                 [--start-at EPOCH_MS]
// Loading the local database is not timed; only replicate.to() is. With --start-at, the replication
// waits for that wall-clock instant, so several processes (devices) start together. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import PouchDB from 'pouchdb-node';
import { parseArgs } from './_args.mjs';

const args = parseArgs(process.argv.slice(2), {
  remote: undefined, db: undefined, docs: undefined, local: undefined, batchSize: 100, startAt: 0,
});
const docs = JSON.parse(readFileSync(args.docs, 'utf8'));
const local = new PouchDB(args.local);
for (let i = 0; i < docs.length; i += 1000) {
  await local.bulkDocs(docs.slice(i, i + 1000));
}
const remote = new PouchDB(`${args.remote}/${args.db}`);
await remote.info(); // creates the remote database outside the timed part

const wait = args.startAt - Date.now();
if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
const startedEpochMs = performance.timeOrigin + performance.now();
const started = performance.now();
const result = await local.replicate.to(remote, { batch_size: args.batchSize });
const seconds = (performance.now() - started) / 1000;
const endedEpochMs = performance.timeOrigin + performance.now();

const info = await remote.info();
await local.close();
await remote.close();
console.log(JSON.stringify({
  seconds,
  started_epoch_ms: startedEpochMs,
  ended_epoch_ms: endedEpochMs,
  docs: docs.length,
  docs_written: result.docs_written,
  remote_doc_count: info.doc_count,
  ok: result.ok,
  errors: result.errors.length,
  batch_size: args.batchSize,
  pouchdb: PouchDB.version,
}));
