// The infusion in progress: the current rate step with its timer, the next step of the plan in
// the pump's mL/h, a custom rate, pause and resume, vials by lot and expiry, medicines, the end.
// Everything is written locally first (store.write) and sent by sync.js when there is network.
import { builtinAdvice } from "./content.js";
import { activeEpisode, episodeToPrepare, episodes, nextCourseDay, partsOf, plannedEpisode } from "./data.js";
import { ask, field, format, formatDateTime, formatDay, formatDuration, formatNumber, gettext, h, localInputValue } from "./dom.js";
import { drinkCard } from "./drinks.js";
import { write } from "./store.js";

const LOT = /^[A-Z0-9][A-Z0-9-]{2,19}$/;
const EARLIEST_START_MS = 90 * 86400000; // as the server: reactions.services.diary.EARLIEST_START
const time = (iso) => Date.parse(iso);

function startForm(ctx, planned) {
  const { me } = ctx;
  const at = h("input", { type: "datetime-local", name: "started_at", value: localInputValue(), required: true });
  const error = h("p", { class: "error", role: "alert" });
  const first = me.plan.steps[0];
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    field(gettext("Start time"), at),
    first ? h("p", {}, format(gettext("Set the pump to %(rate)s mL/h (step 1)."), { rate: formatNumber(first.rate_ml_h) })) : null,
    h("button", { type: "submit", class: "big-button", id: "start-infusion" }, gettext("Start the infusion")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = at.value ? new Date(at.value) : new Date();
    if (Number.isNaN(chosen.getTime()) || chosen.getTime() > Date.now() + 5 * 60000) {
      error.textContent = gettext("Enter a start time that is not in the future.");
      at.focus();
      return;
    }
    if (chosen.getTime() < Date.now() - EARLIEST_START_MS) {
      error.textContent = gettext("A start more than 90 days in the past cannot be entered. Check the date.");
      at.focus();
      return;
    }
    const startedAt = chosen.toISOString();
    const prepared = await plannedEpisode();
    if (prepared && prepared.fever_or_infection) {
      // The checklist said: do not start, call the care team. Starting anyway is the patient's (or
      // the nurse's) decision, made knowingly.
      const choice = await ask({
        title: gettext("You have a fever or signs of an infection"),
        text: builtinAdvice("ADV_DELAY_INFUSION_CALL_TEAM"),
        buttons: [
          { value: "no", label: gettext("Do not start") },
          { value: "yes", label: gettext("My care team said to start"), class: "danger" },
        ],
      });
      if (choice !== "yes") return;
    }
    const episode = await episodeToPrepare(me, startedAt, nextCourseDay(me, await episodes()));
    await write("infusion_episode", episode.id, { started_at: startedAt, status: "in_progress" });
    if (first) {
      await write("rate_change", null, { episode_id: episode.id, at: startedAt, rate_ml_h: String(first.rate_ml_h), step_no: 1, reason: "titration" });
    }
    ctx.rerender();
  });
  return [
    h("h1", {}, gettext("Start an infusion")),
    h(
      "section",
      { class: "card" },
      planned && planned.fever_or_infection ? h("p", { class: "warning", id: "fever-warning" }, builtinAdvice("ADV_DELAY_INFUSION_CALL_TEAM")) : null,
      h("p", {}, format(gettext("%(product)s: %(dose)s g in %(volume)s mL."), { product: me.plan.product, dose: me.plan.rounded_dose_g, volume: me.plan.volume_ml })),
      form,
    ),
  ];
}

/** Milliseconds since `since`, leaving out the time the infusion was paused. */
function runningMs(since, pauses, now = Date.now()) {
  let paused = 0;
  for (const pause of pauses) {
    const from = Math.max(time(pause.paused_at), since);
    const to = Math.min(pause.resumed_at ? time(pause.resumed_at) : now, now);
    if (to > from) paused += to - from;
  }
  return Math.max(0, now - since - paused);
}

function stepCard(ctx, episode, rates, pauses) {
  const paused = pauses.some((pause) => !pause.resumed_at);
  const { plan } = ctx.me;
  const sorted = [...rates].sort((a, b) => time(a.at) - time(b.at) || (a.step_no || 0) - (b.step_no || 0));
  const current = sorted[sorted.length - 1];
  // Where the pump is on the plan is read from its rate, not from the number the entry carries: after
  // slowing down the next step is the plan's next one above the rate running now, never a jump.
  const currentNo = current ? planStepAt(plan, Number(current.rate_ml_h)) : 0;
  const onStep = current && currentNo > 0 && Math.abs(Number(plan.steps[currentNo - 1].rate_ml_h) - Number(current.rate_ml_h)) < 0.05;
  const planned = onStep ? plan.steps[currentNo - 1] : null;
  const next = plan.steps.find((step) => step.step_no === currentNo + 1);
  const slowed = current && current.reason === "reaction_slow";
  const timer = h("span", { class: "timer", id: "step-timer" }, "00:00");
  const tick = () => {
    timer.textContent = current ? formatDuration(runningMs(time(current.at), pauses)) : "00:00";
  };
  tick();
  const interval = setInterval(tick, 1000);
  ctx.onLeave(() => clearInterval(interval));
  const cap = Number(plan.rate_cap_ml_h);
  const nextAllowed = next && !next.above_cap && Number(next.rate_ml_h) <= cap;
  const aboveCap = current && Number(current.rate_ml_h) > cap + 0.05;
  const nextButton = next && !aboveCap
    ? h(
        "button",
        { type: "button", class: "big-button", id: "next-step", disabled: !nextAllowed || paused },
        format(gettext("Next step: %(rate)s mL/h"), { rate: formatNumber(next.rate_ml_h) }),
      )
    : null;
  if (nextButton) {
    nextButton.addEventListener("click", async () => {
      await write("rate_change", null, {
        episode_id: episode.id,
        at: new Date().toISOString(),
        rate_ml_h: String(next.rate_ml_h),
        step_no: next.step_no,
        reason: "titration",
      });
      ctx.rerender();
    });
  }
  return h(
    "section",
    { class: "card card-important", "aria-labelledby": "step-title" },
    h("h2", { id: "step-title" }, !current ? gettext("No rate logged yet") : onStep ? format(gettext("Step %(n)s of %(total)s"), { n: currentNo, total: plan.steps.length }) : currentNo === plan.steps.length ? format(gettext("Above step %(n)s of %(total)s"), { n: currentNo, total: plan.steps.length }) : currentNo ? format(gettext("Between steps %(n)s and %(m)s of %(total)s"), { n: currentNo, m: currentNo + 1, total: plan.steps.length }) : format(gettext("Below step 1 of %(total)s"), { total: plan.steps.length })),
    current ? h("p", { class: "rate-now" }, h("span", { dir: "ltr" }, `${formatNumber(current.rate_ml_h)} mL/h`)) : null,
    h("p", {}, gettext("Time at this rate:"), " ", timer, planned && planned.minutes ? h("span", { class: "hint" }, " · ", format(gettext("planned %(n)s min"), { n: planned.minutes })) : null),
    paused ? h("p", { class: "warning" }, gettext("The infusion is paused.")) : null,
    aboveCap
      ? h("p", { class: "warning", id: "above-cap" }, format(gettext("This is above your maximum rate of %(cap)s mL/h. Turn the pump down to %(cap)s mL/h or lower. Your nurse will be told."), { cap: formatNumber(cap) }))
      : null,
    slowed && next && !aboveCap ? h("p", { class: "warning", id: "slowed-hint" }, gettext("You slowed the drip for a reaction. Go up a step only once the symptoms have gone, as your plan says. If they come back, slow down again and call your care team.")) : null,
    nextButton,
    next && !nextAllowed && !aboveCap ? h("p", { class: "hint" }, gettext("The next step is above your maximum rate. Stay at this rate.")) : null,
    !next && current && !aboveCap ? h("p", { class: "hint" }, gettext("This is the last step of your plan.")) : null,
    h("p", { class: "hint" }, format(gettext("Your maximum rate: %(cap)s mL/h"), { cap: formatNumber(cap) })),
  );
}

/** The highest step of the plan whose rate is at or below `rate` (0: below step 1). */
function planStepAt(plan, rate) {
  let found = 0;
  for (const step of plan.steps) {
    if (Number(step.rate_ml_h) <= rate + 0.05) found = Math.max(found, step.step_no);
  }
  return found;
}

const RATE_REASONS = ["reaction_slow", "patient_request", "restart", "pump", "titration"];

/** Why a rate was logged, in the words of the form that logged it. */
export function rateReasonText(reason) {
  return (
    {
      reaction_slow: gettext("Slowed for a reaction"),
      patient_request: gettext("I asked for it"),
      restart: gettext("Restarted after a pause"),
      pump: gettext("Pump problem"),
      titration: gettext("Step up as planned"),
    }[reason] || reason
  );
}

// No immunoglobulin keeps for 10 years: an expiry further away than that is a typing slip (9999).
// The server checks the same (reactions.services.diary.EXPIRY_YEARS_AHEAD).
const EXPIRY_YEARS_AHEAD = 10;

function customRate(ctx, episode, rates) {
  const rate = h("input", { type: "number", name: "rate_ml_h", inputmode: "decimal", step: "0.1", min: "0.1", max: "1000", required: true });
  const reason = h(
    "select",
    { name: "reason", required: true },
    h("option", { value: "" }, gettext("Choose why")),
    RATE_REASONS.map((value) => h("option", { value }, rateReasonText(value))),
  );
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", novalidate: true }, field(gettext("Pump rate in mL/h"), rate), field(gettext("Why"), reason), h("button", { type: "submit", class: "secondary" }, gettext("Log this rate")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const value = Number(rate.value);
    // The message shows above the tab bar, under the field it is about.
    const fail = (text, control) => {
      error.textContent = text;
      control.focus();
      error.scrollIntoView({ block: "nearest" });
    };
    if (!(value >= 0.1 && value <= 1000)) return fail(gettext("Enter the pump rate in mL/h, between 0.1 and 1000."), rate);
    if (!reason.value) return fail(gettext("Choose why you changed the rate."), reason);
    const running = [...rates].sort((a, b) => time(a.at) - time(b.at)).pop();
    if (reason.value === "reaction_slow" && running && value >= Number(running.rate_ml_h)) {
      return fail(format(gettext("Slowing down for a reaction means a rate below the one running now (%(rate)s mL/h)."), { rate: formatNumber(running.rate_ml_h) }), rate);
    }
    const cap = Number(ctx.me.plan.rate_cap_ml_h);
    if (value > cap) {
      const choice = await ask({
        title: gettext("Above your maximum rate"),
        text: format(gettext("%(rate)s mL/h is above your maximum of %(cap)s mL/h. Your nurse will be told. Log it anyway?"), { rate: formatNumber(value), cap: formatNumber(cap) }),
        buttons: [
          { value: "no", label: gettext("Go back") },
          { value: "yes", label: gettext("Log it"), class: "danger" },
        ],
      });
      if (choice !== "yes") return;
    }
    const stepNo = Math.max(1, planStepAt(ctx.me.plan, value)); // the plan's step at or below this rate
    await write("rate_change", null, { episode_id: episode.id, at: new Date().toISOString(), rate_ml_h: value.toFixed(1), step_no: stepNo, reason: reason.value });
    ctx.rerender();
  });
  return h("details", { class: "card" }, h("summary", {}, gettext("Log a different rate")), form);
}

function pauseCard(ctx, episode, pauses) {
  const open = pauses.find((pause) => !pause.resumed_at);
  const button = open
    ? h("button", { type: "button", class: "big-button", id: "resume" }, gettext("Resume the infusion"))
    : h("button", { type: "button", class: "secondary", id: "pause" }, gettext("Pause the infusion"));
  button.addEventListener("click", async () => {
    if (open) await write("pause", open.id, { resumed_at: new Date().toISOString() });
    else await write("pause", null, { episode_id: episode.id, paused_at: new Date().toISOString(), reason: "" });
    ctx.rerender();
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "pause-title" },
    h("h2", { id: "pause-title" }, gettext("Pause")),
    open ? h("p", {}, format(gettext("Paused since %(when)s"), { when: formatDateTime(open.paused_at, ctx.me.timezone) })) : null,
    button,
  );
}

function vialCard(ctx, episode, vials) {
  const sizes = ctx.me.plan.vial_sizes_g || [];
  const lot = h("input", { type: "text", name: "lot_number", autocapitalize: "characters", spellcheck: "false", required: true, maxlength: "20" });
  const expiry = h("input", { type: "date", name: "expiry_date", required: true });
  const size = h("select", { name: "vial_size_g" }, sizes.map((g) => h("option", { value: String(g) }, `${formatNumber(g)} g`)));
  const quantity = h("input", { type: "number", name: "quantity", inputmode: "numeric", min: "1", max: "50", value: "1" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    field(gettext("Lot number"), lot, gettext("As printed on the vial, for example LE12F045.")),
    field(gettext("Expiry date"), expiry),
    field(gettext("Vial size"), size),
    field(gettext("How many vials"), quantity),
    h("button", { type: "submit", class: "secondary", id: "add-vial" }, gettext("Add vial")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const lotNumber = lot.value.trim().toUpperCase();
    if (!LOT.test(lotNumber)) {
      error.textContent = gettext("Enter the lot number as printed: 3 to 20 letters, digits or dashes.");
      lot.focus();
      return;
    }
    if (!expiry.value) {
      error.textContent = gettext("Enter the expiry date printed on the vial.");
      expiry.focus();
      return;
    }
    if (expiry.value < localInputValue().slice(0, 10)) {
      error.textContent = gettext("This vial has expired. Do not use it.");
      expiry.focus();
      return;
    }
    if (Number(expiry.value.slice(0, 4)) > new Date().getFullYear() + EXPIRY_YEARS_AHEAD) {
      error.textContent = gettext("That expiry date is years away. Check the date printed on the vial.");
      expiry.focus();
      return;
    }
    const count = Number(quantity.value || "1");
    if (!Number.isInteger(count) || count < 1 || count > 50) {
      error.textContent = gettext("Enter how many vials of this lot: 1 to 50.");
      quantity.focus();
      return;
    }
    await write("vial", null, { episode_id: episode.id, lot_number: lotNumber, expiry_date: expiry.value, vial_size_g: size.value, quantity: count });
    ctx.rerender();
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "vials-title" },
    h("h2", { id: "vials-title" }, gettext("Vials")),
    vials.length
      ? h("ul", { class: "entries" }, vials.map((vial) => h("li", {}, h("span", { dir: "ltr" }, vial.lot_number), " · ", format(gettext("expires %(date)s"), { date: formatDay(vial.expiry_date) }), " · ", `${formatNumber(vial.vial_size_g)} g × ${vial.quantity}`)))
      : h("p", { class: "hint" }, gettext("No vials logged yet.")),
    h("details", {}, h("summary", {}, gettext("Add a vial")), form),
  );
}

function medicineCard(ctx, episode, medicines) {
  const premeds = ctx.me.plan.premedication || [];
  const log = async (category, drug, dose) => {
    await write("medication", null, { episode_id: episode.id, category, drug, dose, given_at: new Date().toISOString() });
    ctx.rerender();
  };
  const drug = h("input", { type: "text", name: "drug", required: true, maxlength: "100" });
  const dose = h("input", { type: "text", name: "dose", required: true, maxlength: "40" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", novalidate: true }, field(gettext("Medicine"), drug), field(gettext("Dose"), dose), h("button", { type: "submit", class: "secondary" }, gettext("Log as-needed medicine")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!drug.value.trim()) {
      error.textContent = gettext("Name the medicine.");
      drug.focus();
      return;
    }
    if (!dose.value.trim()) {
      error.textContent = gettext("Enter the dose, for example 1 g.");
      dose.focus();
      return;
    }
    await log("as_needed", drug.value.trim(), dose.value.trim());
  });
  const given = new Set(medicines.filter((m) => m.category === "premed").map((m) => m.drug));
  return h(
    "section",
    { class: "card", "aria-labelledby": "meds-title" },
    h("h2", { id: "meds-title" }, gettext("Medicines")),
    premeds.length
      ? h(
          "ul",
          { class: "entries" },
          premeds.map((order) =>
            h(
              "li",
              {},
              `${order.drug} ${order.dose || ""}`,
              " ",
              given.has(order.drug)
                ? h("span", { class: "badge badge-synced" }, gettext("Taken"))
                : h("button", { type: "button", class: "secondary small", onclick: () => log("premed", order.drug, order.dose || "") }, gettext("Taken now")),
            ),
          ),
        )
      : null,
    medicines.filter((m) => m.category !== "premed").map((m) => h("p", {}, `${m.drug} ${m.dose || ""} · ${formatDateTime(m.given_at, ctx.me.timezone)}`)),
    h("details", {}, h("summary", {}, gettext("Log an as-needed medicine")), form),
  );
}

function endCard(ctx, episode) {
  const how = h(
    "select",
    { name: "status" },
    h("option", { value: "complete" }, gettext("All given")),
    h("option", { value: "partial" }, gettext("Partly given")),
    h("option", { value: "stopped_reaction" }, gettext("Stopped for a reaction")),
    h("option", { value: "stopped_access" }, gettext("Stopped for a drip problem")),
  );
  const form = h("form", { class: "stack" }, field(gettext("How did it end?"), how), h("button", { type: "submit", class: "secondary", id: "end-infusion" }, gettext("End the infusion")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // One tap used to end it: an infusion ended by mistake cannot be started again.
    const choice = await ask({
      title: gettext("End the infusion?"),
      text: format(gettext("It started %(when)s. End it only once the pump has stopped. How it ended: %(how)s."), {
        when: formatDateTime(episode.started_at, ctx.me.timezone),
        how: how.options[how.selectedIndex].text,
      }),
      buttons: [
        { value: "no", label: gettext("Go back") },
        { value: "yes", label: gettext("End it") },
      ],
    });
    if (choice !== "yes") return;
    await write("infusion_episode", episode.id, { ended_at: new Date().toISOString(), status: how.value });
    ctx.navigate("#/");
  });
  return h("section", { class: "card", "aria-labelledby": "end-title" }, h("h2", { id: "end-title" }, gettext("End")), form);
}

export async function render(ctx) {
  const { me } = ctx;
  if (!me.plan) return [h("h1", {}, gettext("Infusion")), h("p", {}, gettext("Your care team has not added your plan yet."))];
  const episode = await activeEpisode();
  if (!episode) return startForm(ctx, await plannedEpisode());
  const [rates, pauses, vials, medicines, drinks] = await Promise.all(["rate_change", "pause", "vial", "medication", "hydration"].map((table) => partsOf(table, episode.id)));
  return [
    h("h1", {}, gettext("Infusion in progress")),
    h("p", { class: "hint" }, format(gettext("Started %(when)s"), { when: formatDateTime(episode.started_at, me.timezone) })),
    stepCard(ctx, episode, rates, pauses),
    h("a", { class: "big-button unwell-button", href: "#/unwell" }, gettext("I feel unwell")),
    customRate(ctx, episode, rates),
    pauseCard(ctx, episode, pauses),
    vialCard(ctx, episode, vials),
    medicineCard(ctx, episode, medicines),
    drinkCard(ctx, episode, drinks, "during"),
    endCard(ctx, episode),
  ];
}
