// Builds the service worker: Workbox injectManifest writes the precache list (the app's own
// collected static files, with a content revision each, plus the /app/ shell) into
// pwa/sw-src.js and saves the result as <data dir>/sw.js, which Django serves at /sw.js.
// Run after collectstatic (the Makefile does): node tools/build-sw.mjs
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { injectManifest } from "workbox-build";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.resolve(process.env.IVIGAPP_DATA_DIR || path.join(root, "var"));
const staticRoot = path.join(dataDir, "static");
if (!existsSync(path.join(staticRoot, "js", "app", "main.js"))) {
  console.error(`build-sw: ${staticRoot} has no js/app/main.js; run manage.py collectstatic first`);
  process.exit(1);
}

// The shell is rendered by Django; its revision follows the templates it is made of.
const shellRevision = createHash("sha256")
  .update(readFileSync(path.join(root, "templates", "patientapp", "shell.html")))
  .update(readFileSync(path.join(root, "templates", "pwa.html")))
  .digest("hex")
  .slice(0, 16);
// ManifestStaticFilesStorage also writes hashed copies (main.0123456789ab.js): the app loads the
// plain names, which Workbox revisions itself.
const HASHED = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/;

const { count, size, warnings } = await injectManifest({
  swSrc: path.join(root, "pwa", "sw-src.js"),
  swDest: path.join(dataDir, "sw.js"),
  globDirectory: staticRoot,
  globPatterns: [
    "js/app/*.js",
    "js/triage.js",
    "js/i18n.js",
    "css/app.css",
    "css/app-pwa.css",
    "icons/*.png",
    "vendor/dexie/modern/dexie.min.mjs",
    "jsi18n/*/djangojs.js",
  ],
  globIgnores: ["**/*.gz", "**/*.br"],
  modifyURLPrefix: { "": "/static/" },
  manifestTransforms: [(entries) => ({ manifest: entries.filter((entry) => !HASHED.test(entry.url)), warnings: [] })],
  additionalManifestEntries: [{ url: "/app/", revision: shellRevision }],
  maximumFileSizeToCacheInBytes: 2 * 1024 * 1024,
});
for (const warning of warnings) console.warn(`build-sw: ${warning}`);
console.log(`build-sw: ${path.join(dataDir, "sw.js")} precaches ${count} files (${Math.round(size / 1024)} KiB)`);
