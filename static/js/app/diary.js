// The diary: every infusion with its rate steps, vials, medicines and reaction reports, each with
// its sync badge, and the nurse's receipts ("Your nurse has seen this", the nurse's notes, also on
// alerts the patient did not report, such as a rate above the cap).
import { episodes, partsOf } from "./data.js";
import { badge, format, formatDateTime, formatDay, formatNumber, gettext, h } from "./dom.js";
import { rateReasonText } from "./infusion.js";
import { badges, rowsOf } from "./store.js";

function statusLabel(status) {
  const labels = {
    planned: gettext("Planned"),
    in_progress: gettext("In progress"),
    complete: gettext("All given"),
    partial: gettext("Partly given"),
    stopped_reaction: gettext("Stopped for a reaction"),
    stopped_access: gettext("Stopped for a drip problem"),
    deferred: gettext("Put off"),
  };
  return labels[status] || status;
}

// The nurse writes in their own language: the note's direction follows its text.
const nurseNote = (note) => h("blockquote", { class: "nurse-note" }, h("p", { class: "hint" }, gettext("Note from your nurse:")), h("p", { dir: "auto" }, note.text));

function receipts(report, alerts, notes, tz) {
  const mine = alerts.filter((alert) => alert.report_id === report.id);
  return mine.map((alert) =>
    h(
      "div",
      { class: "receipt" },
      alert.acknowledged_at
        ? h("p", { class: "receipt-seen" }, "✓ ", format(gettext("Your nurse has seen this (%(when)s)."), { when: formatDateTime(alert.acknowledged_at, tz) }))
        : alert.level !== "log"
          ? h("p", { class: "hint" }, gettext("Your nurse has not seen this yet."))
          : null,
      notes
        .filter((note) => note.alert_id === alert.id)
        .map(nurseNote),
    ),
  );
}

// What an alert without a report of the patient's was about (a rate above the cap, a missed
// check-in, ...): the nurse's notes on it belong in the diary too.
function alertTopic(source) {
  const topics = {
    rate_cap: gettext("About the drip rate"),
    missed_check: gettext("About a missed check-in"),
    weight_change: gettext("About your weight"),
    readiness: gettext("About your pre-infusion checklist"),
  };
  return topics[source] || gettext("From your nurse");
}

function nurseMessages(alerts, notes) {
  return alerts
    .filter((alert) => notes.some((note) => note.alert_id === alert.id))
    .map((alert) =>
      h(
        "li",
        { class: "entry nurse-message" },
        h("p", { class: "entry-title" }, alertTopic(alert.source)),
        notes
          .filter((note) => note.alert_id === alert.id)
          .map(nurseNote),
      ),
    );
}

function reportItem(report, ctx, badgeOf, alerts, notes) {
  const flags = Object.entries(report.red_flag_answers || {}).filter(([, yes]) => yes).map(([code]) => code);
  const labels = new Map([...ctx.me.checklist.red_flags, ...ctx.me.checklist.symptoms].map((item) => [item.code, item.label]));
  const symptoms = Object.keys(report.symptoms || {});
  return h(
    "li",
    { class: "entry report" },
    h("p", { class: "entry-title" }, gettext("Symptom report"), " · ", formatDateTime(report.onset_at, ctx.me.timezone), " ", badge(badgeOf(report))),
    flags.length ? h("p", { class: "warning" }, gettext("Urgent signs:"), " ", flags.map((code) => labels.get(code) || code).join("; ")) : null,
    symptoms.length ? h("p", {}, symptoms.map((code) => labels.get(code) || code).join("; ")) : null,
    report.free_text ? h("p", { class: "free-text" }, report.free_text) : null,
    receipts(report, alerts, notes, ctx.me.timezone),
  );
}

export async function render(ctx) {
  const tz = ctx.me.timezone;
  const badgeOf = await badges();
  const all = await episodes();
  const reports = (await rowsOf("symptom_report")).sort((a, b) => Date.parse(b.onset_at) - Date.parse(a.onset_at));
  const alerts = await rowsOf("alert");
  const notes = await rowsOf("alert_note");
  const cards = [];
  for (const episode of all) {
    const [rates, vials, medicines, drinks] = await Promise.all(["rate_change", "vial", "medication", "hydration"].map((table) => partsOf(table, episode.id)));
    rates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    medicines.sort((a, b) => Date.parse(a.given_at) - Date.parse(b.given_at));
    drinks.sort((a, b) => Date.parse(a.logged_at) - Date.parse(b.logged_at));
    const own = reports.filter((report) => report.episode_id === episode.id);
    const ownMessages = nurseMessages(alerts.filter((alert) => !alert.report_id && alert.episode_id === episode.id), notes);
    cards.push(
      h(
        "li",
        { class: "card diary-episode" },
        h("h2", {}, formatDateTime(episode.started_at || episode.scheduled_start, tz), " ", badge(badgeOf(episode))),
        h("p", { class: "hint" }, statusLabel(episode.status)),
        rates.length
          ? h(
              "ul",
              { class: "entries", "aria-label": gettext("Rate steps") },
              rates.map((rate) =>
                // A step of the plan only when it was stepped up to; any other rate says why it was set.
                h("li", {}, !rate.reason || rate.reason === "titration" ? format(gettext("Step %(n)s"), { n: rate.step_no || "?" }) : rateReasonText(rate.reason), " · ", h("span", { dir: "ltr" }, `${formatNumber(rate.rate_ml_h)} mL/h`), " · ", formatDateTime(rate.at, tz), " ", badge(badgeOf(rate))),
              ),
            )
          : null,
        vials.length
          ? h("ul", { class: "entries", "aria-label": gettext("Vials") }, vials.map((vial) => h("li", {}, gettext("Lot number"), " ", h("span", { dir: "ltr" }, vial.lot_number), " · ", format(gettext("expires %(date)s"), { date: formatDay(vial.expiry_date) }), " ", badge(badgeOf(vial)))))
          : null,
        medicines.length
          ? h("ul", { class: "entries", "aria-label": gettext("Medicines") }, medicines.map((m) => h("li", {}, `${m.drug} ${m.dose || ""}`, " ", badge(badgeOf(m)))))
          : null,
        drinks.length
          ? h("ul", { class: "entries", "aria-label": gettext("Drinks") }, drinks.map((drink) => h("li", {}, format(gettext("Drink: %(ml)s mL"), { ml: drink.volume_ml }), " ", badge(badgeOf(drink)))))
          : null,
        own.length ? h("ul", { class: "entries" }, own.map((report) => reportItem(report, ctx, badgeOf, alerts, notes))) : null,
        ownMessages.length ? h("ul", { class: "entries" }, ownMessages) : null,
      ),
    );
  }
  const loose = reports.filter((report) => !report.episode_id || !all.some((episode) => episode.id === report.episode_id));
  const looseMessages = nurseMessages(
    alerts.filter((alert) => !alert.report_id && (!alert.episode_id || !all.some((episode) => episode.id === alert.episode_id))),
    notes,
  );
  return [
    h("h1", {}, gettext("Diary")),
    looseMessages.length ? [h("h2", {}, gettext("From your nurse")), h("ul", { class: "entries" }, looseMessages)] : null,
    loose.length ? [h("h2", {}, gettext("Symptom reports")), h("ul", { class: "entries" }, loose.map((report) => reportItem(report, ctx, badgeOf, alerts, notes)))] : null,
    cards.length ? h("ul", { class: "cards" }, cards) : h("p", {}, gettext("Nothing in your diary yet.")),
  ];
}
