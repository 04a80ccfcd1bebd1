// Home: the next infusion, the readiness checklist for it, follow-up checks that are due, the
// next reminders, and the way to "I feel unwell" within one thumb's reach.
import { activeEpisode, episodeToPrepare, episodes, followups, nextCourseDay, nextInfusionAt, partsOf, plannedEpisode } from "./data.js";
import { drinkCard } from "./drinks.js";
import { field, format, formatDateTime, gettext, h, ngettext, yesNo } from "./dom.js";
import { rowsOf, write } from "./store.js";
import { builtinAdvice } from "./content.js";
import { remindersCard } from "./reminders.js";

const QUESTIONS = ["hydrated", "premeds_taken", "fever_or_infection", "anaphylaxis_kit_present"];

const answer = (form, name) => {
  const value = new FormData(form).get(name);
  return value === "yes" ? true : value === "no" ? false : null;
};

function readiness(ctx, episode) {
  // The advice for a fever stays for as long as the saved checklist says so (the screen is drawn
  // again after every sync, which used to wipe it within a second).
  const answered = episode && QUESTIONS.every((name) => episode[name] === true || episode[name] === false);
  const status = h("p", { class: "form-status", role: "status" }, episode && episode.fever_or_infection ? feverAdvice() : answered ? gettext("Checklist saved.") : null);
  const weight = h("input", { type: "number", name: "weight_kg", inputmode: "decimal", step: "0.1", min: "1", max: "400", value: episode && episode.weight_kg ? episode.weight_kg : "" });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    yesNo("hydrated", gettext("Have you been drinking as your plan says?"), episode && episode.hydrated),
    yesNo("premeds_taken", gettext("Have you taken your premedication (if you have any)?"), episode && episode.premeds_taken),
    yesNo("fever_or_infection", gettext("Do you have a fever or signs of an infection today?"), episode && episode.fever_or_infection),
    yesNo("anaphylaxis_kit_present", gettext("Is your emergency kit with you?"), episode && episode.anaphylaxis_kit_present),
    field(gettext("Today's weight in kg (optional)"), weight),
    h("button", { type: "submit" }, gettext("Save checklist")),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const unanswered = QUESTIONS.find((name) => answer(form, name) === null);
    if (unanswered) {
      status.replaceChildren(h("span", { class: "error" }, gettext("Answer each question with yes or no.")));
      form.querySelector(`input[name=${unanswered}]`).focus();
      return;
    }
    const kg = weight.value ? Number(weight.value) : null;
    if (kg !== null && !(kg >= 1 && kg <= 400)) {
      status.replaceChildren(h("span", { class: "error" }, gettext("Enter your weight in kg, between 1 and 400, or leave it empty.")));
      weight.focus();
      return;
    }
    const all = await episodes();
    const target = await episodeToPrepare(ctx.me, upcomingStart(ctx.me, all), nextCourseDay(ctx.me, all));
    if (!target) return;
    const values = Object.fromEntries(QUESTIONS.map((name) => [name, answer(form, name)]));
    if (kg !== null) values.weight_kg = kg.toFixed(1);
    await write("infusion_episode", target.id, values);
    status.replaceChildren(values.fever_or_infection ? feverAdvice() : gettext("Checklist saved."));
  });
  return h("section", { class: "card", "aria-labelledby": "ready-title" }, h("h2", { id: "ready-title" }, gettext("Ready for your infusion?")), form);
}

// A nurse's note was only in the diary, where a patient did not look for it: the latest ones of the
// last three days show on Home too.
const NOTES_SHOWN_DAYS = 3;

async function nurseNotesCard(tz) {
  const since = Date.now() - NOTES_SHOWN_DAYS * 86400000;
  const notes = (await rowsOf("alert_note"))
    .filter((note) => Date.parse(note.created_at) >= since)
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))
    .slice(0, 2);
  if (!notes.length) return null;
  return h(
    "section",
    { class: "card card-important", "aria-labelledby": "nurse-notes-title", id: "nurse-notes" },
    h("h2", { id: "nurse-notes-title" }, gettext("From your nurse")),
    notes.map((note) => h("blockquote", { class: "nurse-note" }, h("p", { dir: "auto" }, note.text), h("p", { class: "hint" }, formatDateTime(note.created_at, tz)))),
    h("a", { href: "#/diary" }, gettext("See it in your diary")),
  );
}

function feverAdvice() {
  return h("strong", { id: "fever-advice" }, builtinAdvice("ADV_DELAY_INFUSION_CALL_TEAM"));
}

/** When an infusion prepared from Home is planned for: the next one by the plan's interval, or now
 * when that day has come (planning it for now would send its reminders at once). */
function upcomingStart(me, all) {
  const next = nextInfusionAt(me, all);
  return next && Date.parse(next) > Date.now() ? next : new Date().toISOString();
}

export async function render(ctx) {
  const { me } = ctx;
  const all = await episodes();
  const active = await activeEpisode();
  const planned = await plannedEpisode();
  const checks = await followups();
  const next = nextInfusionAt(me, all);
  const justEnded = all.find((e) => e.ended_at && Date.now() - Date.parse(e.ended_at) < 2 * 86400000) || null;
  const untilPlanned = planned ? Date.parse(planned.scheduled_start) - Date.now() : Infinity;
  const plannedSoon = untilPlanned < 36 * 3600000; // the day before, or the day itself
  const tz = me.timezone;
  return [
    h("h1", {}, format(gettext("Hello, %(name)s"), { name: me.display_name })),
    h("a", { class: "big-button unwell-button", href: "#/unwell" }, gettext("I feel unwell")),
    await nurseNotesCard(tz),
    active
      ? h(
          "section",
          { class: "card card-important", "aria-labelledby": "now-title" },
          h("h2", { id: "now-title" }, gettext("Infusion in progress")),
          h("p", {}, format(gettext("Started %(when)s"), { when: formatDateTime(active.started_at, tz) })),
          h("a", { class: "button-link", href: "#/infusion" }, gettext("Open the infusion")),
        )
      : h(
          "section",
          { class: "card", "aria-labelledby": "next-title" },
          h("h2", { id: "next-title" }, gettext("Next infusion")),
          h("p", {}, next ? formatDateTime(next, tz) : gettext("Not planned yet")),
          me.plan
            ? h("p", { class: "hint" }, format(gettext("%(product)s, %(dose)s g"), { product: me.plan.product, dose: me.plan.rounded_dose_g }))
            : h("p", { class: "hint" }, gettext("Your care team has not added your plan yet.")),
          me.plan ? h("a", { class: "button-link", href: "#/infusion" }, gettext("Start an infusion")) : null,
        ),
    checks.open.length
      ? h(
          "section",
          { class: "card card-important", "aria-labelledby": "checks-title" },
          h("h2", { id: "checks-title" }, gettext("Check-in due")),
          h("p", {}, format(ngettext("%(n)s check-in after your infusion is waiting.", "%(n)s check-ins after your infusion are waiting.", checks.open.length), { n: checks.open.length })),
          h("a", { class: "button-link", href: "#/checks" }, gettext("Answer now")),
        )
      : null,
    !active && me.plan ? readiness(ctx, planned) : null,
    // Drinking is part of the plan: from the day before an infusion, logged against the one it
    // prepares; for two days after one, against the one that ended.
    !active && plannedSoon
      ? drinkCard(ctx, planned, await partsOf("hydration", planned.id), untilPlanned > 12 * 3600000 ? "day_before" : "same_day")
      : !active && justEnded
        ? drinkCard(ctx, justEnded, await partsOf("hydration", justEnded.id), "after")
        : null,
    remindersCard(ctx),
    h(
      "ul",
      { class: "link-list" },
      h("li", {}, h("a", { href: "#/checks" }, gettext("Check-ins after an infusion"))),
      h("li", {}, h("a", { href: "#/content" }, gettext("Guidance"))),
      h("li", {}, h("a", { href: "#/sync" }, gettext("Sync status"))),
    ),
  ];
}
