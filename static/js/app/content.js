// Approved content in the patient's language, downloaded by sha256 into IndexedDB so it can be
// read with no network (SYNC.md 2.11). Essential items (the advice texts) come first.
// Without content (the server has none, or it never downloaded) the screens fall back to the
// short built-in wording of each advice key below.
import { db, getMeta, setMeta } from "./store.js";
import { gettext, h, safeContent } from "./dom.js";

export function builtinAdvice(key) {
  const texts = {
    ADV_CALL_EMERGENCY_NOW: gettext("Call the emergency number now."),
    ADV_STOP_CALL_EMERGENCY: gettext("Stop the infusion and call the emergency number now."),
    ADV_EPI_CALL_EMERGENCY: gettext("Use your adrenaline auto-injector, then call the emergency number."),
    ADV_CALL_TEAM_NOW: gettext("Call your care team now."),
    ADV_CALL_TEAM_TODAY: gettext("Call your care team today."),
    ADV_PAUSE_CALL_TEAM: gettext("Pause the infusion and call your care team."),
    ADV_SLOW_PER_PLAN: gettext("Slow the infusion as your plan says."),
    ADV_TELL_NURSE_NOW: gettext("Tell your nurse now."),
    ADV_DELAY_INFUSION_CALL_TEAM: gettext("Do not start the infusion. Call your care team."),
    ADV_PRN_PER_PLAN: gettext("Take your as-needed medicine as your plan says."),
    ADV_HYDRATE_REST: gettext("Drink water and rest."),
    ADV_RECHECK_30MIN: gettext("Check again in 30 minutes."),
    ADV_RECHECK_2H: gettext("Check again in 2 hours."),
    ADV_LOG_ONLY: gettext("Saved in your diary."),
  };
  return texts[key] || key;
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fetches the manifest (one 304 when unchanged) and every blob not stored yet. */
export async function contentRefresh(language, api) {
  const etagKey = `content_etag_${language}`;
  const etag = await getMeta(etagKey);
  const response = await api("GET", `/api/sync/v1/content/manifest?lang=${encodeURIComponent(language)}`, undefined, etag ? { "If-None-Match": etag } : {});
  if (response.status === 404 || response.status === 400) return; // no content service: built-in texts
  let manifest = await getMeta("content_manifest");
  if (response.status === 200) {
    manifest = await response.json();
  } else if (response.status !== 304 || !manifest || manifest.language !== language) {
    return;
  }
  const items = [...manifest.items].sort((a, b) => Number(b.essential) - Number(a.essential));
  const have = new Set(await db.content.toCollection().primaryKeys());
  for (const item of items) {
    if (have.has(item.sha256)) continue;
    const blob = await api("GET", manifest.blob_url.replace("{sha256}", item.sha256));
    if (!blob.ok) continue;
    const bytes = await blob.arrayBuffer();
    if ((await sha256Hex(bytes)) !== item.sha256) continue; // never store what does not match
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    await db.content.put({ sha256: item.sha256, key: item.id, doc });
  }
  const keep = new Set(items.map((item) => item.sha256));
  await db.transaction("rw", db.content, db.meta, async () => {
    await db.content.filter((entry) => !keep.has(entry.sha256)).delete();
    await setMeta("content_manifest", manifest);
    await setMeta(etagKey, response.headers.get("ETag"));
  });
}

export async function contentDoc(key) {
  const manifest = await getMeta("content_manifest");
  const item = manifest && manifest.items.find((entry) => entry.id === key);
  if (!item) return null;
  const stored = await db.content.get(item.sha256);
  return stored ? stored.doc : null;
}

/** One advice key as a block: the approved text when stored, else the built-in sentence. */
export async function adviceBlock(key) {
  const doc = await contentDoc(key);
  if (!doc) return h("div", { class: "advice-item" }, h("p", { class: "advice-title" }, builtinAdvice(key)));
  return h(
    "div",
    { class: "advice-item", lang: doc.language },
    h("p", { class: "advice-title" }, doc.title),
    safeContent(doc.body_html),
  );
}

export async function render(ctx) {
  const key = ctx.params[0];
  if (key) {
    const doc = await contentDoc(decodeURIComponent(key));
    if (!doc) {
      return [h("h1", {}, builtinAdvice(key)), h("p", {}, gettext("This text is not on this phone yet. It downloads when you are online."))];
    }
    return [
      h("p", {}, h("a", { href: "#/content" }, gettext("All guidance"))),
      h("article", { lang: doc.language, class: "content-doc" }, h("h1", {}, doc.title), safeContent(doc.body_html)),
      doc.translation_pending ? h("p", { class: "hint" }, gettext("This text is not translated yet; it is shown in English.")) : null,
    ];
  }
  const manifest = await getMeta("content_manifest");
  const stored = new Set(await db.content.toCollection().primaryKeys());
  const items = manifest ? manifest.items.filter((item) => stored.has(item.sha256)) : [];
  if (!items.length) {
    return [h("h1", {}, gettext("Guidance")), h("p", {}, gettext("No guidance is stored on this phone yet. It downloads when you are online."))];
  }
  const essential = items.filter((item) => item.essential);
  const other = items.filter((item) => !item.essential);
  const list = (entries) =>
    h("ul", { class: "link-list" }, entries.map((item) => h("li", {}, h("a", { href: `#/content/${encodeURIComponent(item.id)}` }, item.title))));
  return [
    h("h1", {}, gettext("Guidance")),
    h("p", { class: "hint" }, gettext("Everything here can be read with no network.")),
    essential.length ? [h("h2", {}, gettext("What to do if you feel unwell")), list(essential)] : null,
    other.length ? [h("h2", {}, gettext("More to read")), list(other)] : null,
  ];
}
