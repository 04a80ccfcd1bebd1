// Minimal "--key value" argument parsing shared by push.mjs and pull.mjs.
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option ${argv[i]}`);
    const value = argv[i + 1];
    out[key] = typeof defaults[key] === 'number' ? Number(value) : value;
  }
  for (const [key, value] of Object.entries(out)) {
    if (value === undefined) throw new Error(`missing --${key}`);
  }
  return out;
}
