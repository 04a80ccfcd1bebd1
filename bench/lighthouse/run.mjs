// Lighthouse runs for bench/lighthouse.py: mobile defaults (Moto G Power emulation, simulated
// slow 4G and 4x CPU throttling), each run in a fresh Chromium profile. Pages are interleaved
// (run 1 of each page, then run 2, ...) so that load on the shared machine hits them alike.
//
//   node bench/lighthouse/run.mjs '{"base": "http://localhost:8100", "runs": 5, ...}'
//
// Prints one JSON line per run on stdout; full reports go to <reports>/ when given.
import { writeFileSync } from "node:fs";
import path from "node:path";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const args = JSON.parse(process.argv[2]);
const CATEGORIES = ["performance", "accessibility", "best-practices"];
const METRICS = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"];
// Lighthouse leaves cookies alone but would keep IndexedDB and localStorage between runs; a fresh
// profile per run makes that moot, and clearing them too keeps a run a true first load.
const CONFIG = {
  extends: "lighthouse:default",
  settings: {
    onlyCategories: CATEGORIES,
    clearStorageTypes: ["file_systems", "shader_cache", "service_workers", "cache_storage", "indexeddb", "local_storage"],
  },
};

async function signIn(port) {
  // The session cookie lands in the profile Lighthouse then measures with. The sign-in goes to the
  // profile page, not to /app/, so that the measured load of /app/ is the app's first one.
  const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${port}` });
  const page = await browser.newPage();
  await page.goto(`${args.base}/accounts/login/?next=/patients/me/`);
  await page.type("#id_username", args.user);
  await page.type("#id_password", args.password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  const cookies = await browser.cookies();
  if (!cookies.some((cookie) => cookie.name.endsWith("sessionid"))) throw new Error(`sign-in as ${args.user} failed at ${page.url()}`);
  await page.close();
  browser.disconnect();
}

function failing(lhr) {
  const found = [];
  for (const name of CATEGORIES) {
    for (const ref of lhr.categories[name].auditRefs) {
      const audit = lhr.audits[ref.id];
      if (audit.score === null || audit.score >= 0.9) continue;
      if (audit.scoreDisplayMode === "informative" || audit.scoreDisplayMode === "manual" || audit.scoreDisplayMode === "notApplicable") continue;
      found.push({ category: name, id: ref.id, weight: ref.weight, score: audit.score, value: audit.displayValue || "" });
    }
  }
  return found;
}

async function once(page, run) {
  const flags = ["--headless=new", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"];
  if (process.getuid && process.getuid() === 0) flags.push("--no-sandbox");
  const chrome = await chromeLauncher.launch({ chromePath: args.chrome, chromeFlags: flags });
  try {
    if (page.signIn) await signIn(chrome.port);
    const result = await lighthouse(`${args.base}${page.path}`, { port: chrome.port, output: "json", logLevel: "error" }, CONFIG);
    const lhr = result.lhr;
    if (args.reports) writeFileSync(path.join(args.reports, `${page.name}-${run}.json`), result.report);
    const scripts = lhr.audits["resource-summary"].details.items.find((item) => item.resourceType === "script");
    return {
      page: page.name,
      run,
      final_url: lhr.finalDisplayedUrl,
      runtime_error: lhr.runtimeError ? lhr.runtimeError.message : null,
      warnings: lhr.runWarnings,
      scores: Object.fromEntries(CATEGORIES.map((name) => [name, lhr.categories[name].score === null ? null : Math.round(lhr.categories[name].score * 100)])),
      metrics: Object.fromEntries(METRICS.map((id) => [id, lhr.audits[id].numericValue])),
      script_transfer_bytes: scripts ? scripts.transferSize : null,
      script_requests: scripts ? scripts.requestCount : null,
      failing: failing(lhr),
    };
  } finally {
    await chrome.kill();
  }
}

const pages = [
  { name: "login", path: "/accounts/login/", signIn: false },
  { name: "app", path: "/app/", signIn: true },
];
for (let run = 1; run <= args.runs; run++) {
  for (const page of pages) {
    if (args.only && args.only !== page.name) continue;
    // A trace Lighthouse could not record (NO_NAVSTART and the like, seen on a busy box) is run
    // again, up to twice, so that the median is over complete runs; the retries are reported.
    let result;
    for (let attempt = 1; attempt <= 3; attempt++) {
      result = { ...(await once(page, run)), attempt };
      if (!result.runtime_error) break;
    }
    console.log(JSON.stringify(result));
  }
}
