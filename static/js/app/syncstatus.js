// Sync status: how many entries wait, when the phone last synced, entries the server refused
// (with its message), and conflicts: both values side by side, and the patient chooses.
import { format, formatDateTime, gettext, h, ngettext, relativeTime } from "./dom.js";
import { db, getMeta, pendingCount, rowOf, rowsOf, write } from "./store.js";
import { status, syncNow } from "./sync.js";
import { ENDED } from "./data.js";
import { offlineState, onOfflineState } from "./worker.js";

// Tables and fields a patient can still change on this phone (the server's update serializers).
const EDITABLE = {
  infusion_episode: ["scheduled_start", "course_day", "hydrated", "premeds_taken", "weight_kg", "fever_or_infection", "anaphylaxis_kit_present"],
  vial: ["lot_number", "expiry_date", "vial_size_g", "quantity"],
  medication: ["category", "drug", "dose", "given_at"],
  hydration: ["phase", "volume_ml", "logged_at"],
  vitals: ["measured_at", "temperature_c", "heart_rate", "systolic", "diastolic"],
};

const shown = (value) => (value === null || value === undefined || value === "" ? gettext("(empty)") : typeof value === "object" ? JSON.stringify(value) : String(value));

function tableLabel(table) {
  const labels = {
    infusion_episode: gettext("Infusion"),
    vial: gettext("Vial"),
    rate_change: gettext("Rate change"),
    pause: gettext("Pause"),
    medication: gettext("Medicine"),
    hydration: gettext("Drink"),
    vitals: gettext("Vital signs"),
    symptom_report: gettext("Symptom report"),
    amendment: gettext("Correction"),
  };
  return labels[table] || table;
}

function fieldLabel(name) {
  const labels = {
    scheduled_start: gettext("Planned start"),
    course_day: gettext("Course day"),
    hydrated: gettext("Drinking as planned"),
    premeds_taken: gettext("Premedication taken"),
    weight_kg: gettext("Weight (kg)"),
    fever_or_infection: gettext("Fever or infection"),
    anaphylaxis_kit_present: gettext("Emergency kit with you"),
    lot_number: gettext("Lot number"),
    expiry_date: gettext("Expiry date"),
    vial_size_g: gettext("Vial size (g)"),
    quantity: gettext("How many vials"),
    category: gettext("Kind of medicine"),
    drug: gettext("Medicine"),
    dose: gettext("Dose"),
    given_at: gettext("Time taken"),
    phase: gettext("When"),
    volume_ml: gettext("Amount (mL)"),
    logged_at: gettext("Time"),
    measured_at: gettext("Time measured"),
    temperature_c: gettext("Temperature (°C)"),
    heart_rate: gettext("Heart rate"),
    systolic: gettext("Upper blood pressure"),
    diastolic: gettext("Lower blood pressure"),
    __deleted__: gettext("Change to a deleted entry"),
    __row__: gettext("Deleted after a change"),
  };
  return labels[name] || name;
}

async function conflictItem(conflict, ctx, resolved) {
  const editable = (EDITABLE[conflict.table_name] || []).includes(conflict.field);
  const choose = async (value) => {
    const row = await rowOf(conflict.table_name, conflict.row_id);
    if (editable && row) {
      // A finished infusion is append-only: the choice becomes an amendment of the entry.
      const episode = conflict.table_name === "infusion_episode" ? row : await rowOf("infusion_episode", row.episode_id);
      if (episode && ENDED.has(episode.status)) {
        await write("amendment", null, { target_table: conflict.table_name, target_id: conflict.row_id, changes: { [conflict.field]: value }, reason: "conflict" });
      } else {
        await write(conflict.table_name, conflict.row_id, { [conflict.field]: value });
      }
    }
    // Settled for every device (and the nurse) once this reaches the server.
    await write("sync_conflict", conflict.id, { resolved: true });
    ctx.rerender();
  };
  return h(
    "li",
    { class: "card conflict" },
    h("p", { class: "entry-title" }, tableLabel(conflict.table_name), " · ", fieldLabel(conflict.field)),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, gettext("Saved now")),
      h("dd", {}, shown(conflict.kept_value)),
      h("dt", {}, gettext("Replaced value")),
      h("dd", {}, shown(conflict.other_value)),
    ),
    editable
      ? h(
          "div",
          { class: "choice-buttons" },
          h("button", { type: "button", class: "secondary", onclick: () => choose(conflict.kept_value) }, format(gettext("Keep “%(value)s”"), { value: shown(conflict.kept_value) })),
          h("button", { type: "button", class: "secondary", onclick: () => choose(conflict.other_value) }, format(gettext("Use “%(value)s”"), { value: shown(conflict.other_value) })),
        )
      : h("button", { type: "button", class: "secondary", onclick: () => choose(null) }, gettext("I have seen this")),
  );
}

// Whether the app itself is saved on this phone, so that it opens with no connection.
function offlineReady(state) {
  const texts = {
    ready: gettext("Yes"),
    installing: gettext("Not yet: saving the app on this phone"),
    retrying: gettext("Not yet: the download stopped. The app tries again, and at once when you are back online."),
    unsupported: gettext("No: this browser cannot keep the app"),
  };
  return texts[state];
}

onOfflineState((state) => {
  const cell = document.getElementById("offline-ready");
  if (cell) cell.textContent = offlineReady(state);
});

function messages(detail) {
  return Object.entries(detail || {}).map(([name, list]) => `${fieldLabel(name)}: ${[].concat(list).join(" ")}`);
}

/** Which entry a refusal is about, in the patient's words: the lot of a vial, the medicine, the drink. */
function entrySummary(entry) {
  const set = entry.set || {};
  const what = set.lot_number || set.drug || (set.volume_ml ? `${set.volume_ml} mL` : null) || (set.rate_ml_h ? `${set.rate_ml_h} mL/h` : null);
  return what ? h("span", { dir: "auto" }, ` (${what})`) : null;
}

export async function render(ctx) {
  const pending = await pendingCount();
  const last = await getMeta("last_synced_at");
  const state = status();
  const rejected = await db.rejected.toArray();
  const resolved = (await getMeta("resolved_conflicts")) || [];
  const conflicts = (await rowsOf("sync_conflict")).filter((c) => !c.resolved_at && !c.resolved && !resolved.includes(c.id));
  const now = h("button", { type: "button", id: "sync-now", disabled: !navigator.onLine }, gettext("Sync now"));
  now.addEventListener("click", async () => {
    now.disabled = true;
    await syncNow({ force: true });
    ctx.rerender();
  });
  return [
    h("h1", {}, gettext("Sync status")),
    h(
      "dl",
      { class: "facts card" },
      h("dt", {}, gettext("Waiting to be sent")),
      h("dd", { id: "pending-count" }, format(ngettext("%(n)s entry", "%(n)s entries", pending), { n: pending })),
      h("dt", {}, gettext("Last synced")),
      h("dd", {}, last ? `${relativeTime(last)} (${formatDateTime(last, ctx.me.timezone)})` : gettext("never")),
      h("dt", {}, gettext("Connection")),
      h("dd", {}, navigator.onLine && state.phase !== "offline" ? gettext("Online") : gettext("Offline")),
      h("dt", {}, gettext("Opens without a connection")),
      h("dd", { id: "offline-ready" }, offlineReady(offlineState())),
    ),
    now,
    h("h2", {}, gettext("Needs your choice")),
    conflicts.length
      ? h("ul", { class: "cards" }, await Promise.all(conflicts.map((c) => conflictItem(c, ctx, resolved))))
      : h("p", {}, gettext("No conflicts.")),
    h("h2", {}, gettext("Not saved by the server")),
    rejected.length
      ? h(
          "ul",
          { class: "cards" },
          rejected.map((entry) =>
            h(
              "li",
              { class: "card rejected" },
              h("p", { class: "entry-title" }, tableLabel(entry.table), entrySummary(entry), " · ", formatDateTime(entry.recorded_at, ctx.me.timezone), " ", h("span", { class: "badge badge-rejected" }, gettext("Not saved"))),
              messages(entry.detail).map((text) => h("p", { class: "error" }, text)),
              h("p", { class: "hint" }, entry.superseded ? gettext("A later change of this entry was saved; this change was not.") : gettext("Check the details and enter it again, or tell your nurse.")),
              h(
                "button",
                {
                  type: "button",
                  class: "secondary",
                  onclick: async () => {
                    // A refused new entry never reached the server: dismissing it removes it here too.
                    await db.transaction("rw", db.rejected, db.rows, async () => {
                      await db.rejected.delete(entry.id);
                      const row = await db.rows.get([entry.table, entry.row_id]);
                      if (row && row.local) await db.rows.delete([entry.table, entry.row_id]);
                    });
                    ctx.rerender();
                  },
                },
                gettext("Dismiss"),
              ),
            ),
          ),
        )
      : h("p", {}, gettext("Nothing was refused.")),
  ];
}
