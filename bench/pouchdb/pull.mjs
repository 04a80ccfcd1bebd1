// B2 peer: first replication of a pouchdb-server database into a fresh local PouchDB (LevelDB on
// disk), then no-op incremental replications from the checkpoint it left.
//   node pull.mjs --remote http://127.0.0.1:PORT --db NAME --local DIR --batch-size 100 --noop 10
// Prints one JSON line.
import { performance } from 'node:perf_hooks';
import PouchDB from 'pouchdb-node';
import { parseArgs } from './_args.mjs';

const args = parseArgs(process.argv.slice(2), {
  remote: undefined, db: undefined, local: undefined, batchSize: 100, noop: 10,
});
const remote = new PouchDB(`${args.remote}/${args.db}`, { skip_setup: true });
const local = new PouchDB(args.local);

const started = performance.now();
const result = await local.replicate.from(remote, { batch_size: args.batchSize });
const seconds = (performance.now() - started) / 1000;

const noopMs = [];
for (let i = 0; i < args.noop; i += 1) {
  const t0 = performance.now();
  const again = await local.replicate.from(remote, { batch_size: args.batchSize });
  noopMs.push(performance.now() - t0);
  if (again.docs_written !== 0) throw new Error('no-op replication wrote documents');
}
const info = await local.info();
await local.close();
await remote.close();
console.log(JSON.stringify({
  seconds,
  docs_written: result.docs_written,
  local_doc_count: info.doc_count,
  ok: result.ok,
  errors: result.errors.length,
  batch_size: args.batchSize,
  noop_ms: noopMs,
  pouchdb: PouchDB.version,
}));
