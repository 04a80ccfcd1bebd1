// "I feel unwell": every red-flag question first (yes/no), then the symptom checklist with
// severity, pain score and temperature, then the approved advice at once. The advice comes from
// the JavaScript triage evaluator and the rule set stored on the phone, so it needs no network;
// the report is queued like any entry and the server triages it again when it arrives.
import { evaluate } from "../triage.js";
import { activeEpisode, triageContext } from "./data.js";
import { adviceBlock, builtinAdvice } from "./content.js";
import { field, format, formatNumber, gettext, h, pgettext, telLink, uid, yesNo } from "./dom.js";
import { badges, write } from "./store.js";
import { onStatus } from "./sync.js";

// The answers survive re-renders (a sync finishing, a language change) until the advice shows.
let draft = null;

function fresh(ctx) {
  return { step: "flags", followup: ctx.query.get("followup") || null, flags: {}, symptoms: {}, temperature: "", actions: [], text: "", result: null };
}

function callButtons(me, emergencyFirst) {
  const emergency = telLink(me.region.emergency_number, gettext("Call the emergency number"), "call-emergency");
  const team = me.care_team_phone ? telLink(me.care_team_phone, gettext("Call your care team"), "call-team") : null;
  return h("div", { class: "call-buttons" }, emergencyFirst ? [emergency, team] : [team, emergency]);
}

// The facts the triage rules read, with `redFlags` the codes answered yes.
async function factsFor(ctx, redFlags) {
  const { me } = ctx;
  const temperature = draft.temperature === "" ? null : Number(draft.temperature);
  return {
    context: await triageContext(me),
    red_flags: redFlags,
    symptoms: draft.symptoms,
    temperature_c: temperature,
    sbp: null,
    indication: me.indication,
    risk_flags: me.risk_flags,
    plan: me.plan ? me.plan.features : [],
  };
}

function yesFlags() {
  return Object.keys(draft.flags).filter((code) => draft.flags[code] === true);
}

// The advice for the red flags answered yes so far, if it is already at the highest level (call
// the emergency number): no other answer can raise it, so it shows at once, and the patient may
// send the report without answering the rest. Null otherwise, or without the rule set.
async function emergencyNow(ctx) {
  const yes = yesFlags();
  if (!yes.length || !ctx.ruleset) return null;
  try {
    const result = evaluate(ctx.ruleset, await factsFor(ctx, yes));
    return result.level === ctx.ruleset.levels[ctx.ruleset.levels.length - 1] ? result : null;
  } catch (error) {
    console.error("triage", error);
    return null;
  }
}

// The first question still to answer before the report may go, or null: none is left, or the
// answers so far already call for the emergency number.
async function stillToAnswer(ctx) {
  const missing = ctx.me.checklist.red_flags.find((flag) => draft.flags[flag.code] === undefined);
  return missing && !(await emergencyNow(ctx)) ? missing : null;
}

function flagsStep(ctx) {
  const { me } = ctx;
  const error = h("p", { class: "error", role: "alert", id: "flags-error" });
  // One report, however often a send button is tapped: after a report is written the draft is at
  // the advice step, and nothing sends again until the patient starts over.
  let sending = false;
  const send = async () => {
    if (sending || draft.step !== "flags") return;
    sending = true;
    try {
      // Checked again at the tap: an answer may have changed while the advice was being made.
      if (!yesFlags().length || (await stillToAnswer(ctx))) return;
      await submit(ctx);
    } finally {
      sending = false;
    }
    ctx.rerender();
  };
  const questions = me.checklist.red_flags.map((flag) => yesNo(flag.code, flag.label, draft.flags[flag.code]));
  const form = h(
    "form",
    { class: "stack", novalidate: true, id: "red-flags" },
    questions,
    h("button", { type: "submit", class: "big-button" }, gettext("Next")),
    error,
  );
  // Shown under the first question answered yes while the answers call for the emergency number.
  // It stays in place while the patient answers the rest: it is only rebuilt when its advice or
  // place changes, and scrolled to and announced only when it first appears.
  let now = null;
  let nowKey = "";
  let shown = 0;
  const showAdvice = async () => {
    const ask = ++shown; // answers given while the advice was being made win
    const result = await emergencyNow(ctx);
    const first = me.checklist.red_flags.findIndex((flag) => draft.flags[flag.code] === true);
    const key = result ? `${first}:${result.advice.join(",")}` : "";
    if (ask !== shown || key === nowKey) return;
    const blocks = result ? await Promise.all(result.advice.map((k) => adviceBlock(k))) : [];
    if (ask !== shown) return;
    const appears = !draft.adviceShown; // kept in the draft, so a re-render does not repeat it
    if (now) now.remove();
    now = null;
    nowKey = key;
    draft.adviceShown = Boolean(result);
    if (!result) return;
    now = h(
      "section",
      { class: "advice advice-emergency", id: "advice-now", role: appears ? "alert" : null, "aria-labelledby": "advice-now-title" },
      h("h2", { id: "advice-now-title" }, gettext("Get help now")),
      blocks,
      callButtons(me, true),
      h("p", { class: "hint" }, gettext("Answer the other questions if you can: they may add advice. Or send your report now.")),
      h("button", { type: "button", class: "big-button", id: "send-now", onclick: send }, gettext("Send my report now")),
    );
    questions[first].after(now);
    if (appears) now.scrollIntoView({ block: "nearest" });
  };
  form.addEventListener("change", (event) => {
    if (event.target.type !== "radio") return;
    draft.flags[event.target.name] = event.target.value === "yes";
    error.textContent = "";
    showAdvice();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = await stillToAnswer(ctx);
    if (missing) {
      error.textContent = gettext("Answer every question with yes or no.");
      form.querySelector(`input[name="${missing.code}"]`).focus();
      return;
    }
    // Any red flag: no checklist first. The advice (call now) shows straight away.
    if (yesFlags().length) await send();
    else {
      draft.step = "symptoms";
      ctx.rerender();
    }
  });
  if (yesFlags().length) showAdvice(); // answers kept across a re-render
  return [
    h("h1", {}, gettext("I feel unwell")),
    h("p", {}, gettext("First, a few urgent questions. Do you have any of these now?")),
    form,
  ];
}

const SEVERITY = () => [
  [1, pgettext("severity", "Mild")],
  [2, pgettext("severity", "Moderate")],
  [3, pgettext("severity", "Severe")],
];

/** A pain score as typed: null when empty, NaN unless a whole number from 0 to 10. */
function painScore(text) {
  if (String(text).trim() === "") return null;
  const value = Number(text);
  return Number.isInteger(value) && value >= 0 && value <= 10 ? value : NaN;
}

/** The first ticked symptom the patient has not finished: its severity, or a pain score out of range. */
function unfinishedSymptom(form) {
  for (const row of form.querySelectorAll("li.symptom")) {
    const box = row.querySelector("input[name=symptom]");
    const entry = box.checked ? draft.symptoms[box.value] : null;
    if (!entry) continue;
    if (!entry.severity) return { focus: row.querySelector("input[type=radio]"), text: gettext("Choose how bad it is for each symptom you ticked.") };
    const score = row.querySelector("input[type=number]");
    if (score && Number.isNaN(painScore(score.value))) return { focus: score, text: gettext("Enter a pain score from 0 to 10, or leave it empty.") };
  }
  return null;
}

function symptomRow(symptom) {
  const entry = draft.symptoms[symptom.code];
  const box = h("input", { type: "checkbox", id: uid("s"), name: "symptom", value: symptom.code, checked: Boolean(entry) });
  const details = h("div", { class: "symptom-details", hidden: !entry });
  const severityName = `severity-${symptom.code}`;
  details.append(
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, gettext("How bad is it?")),
      SEVERITY().map(([value, label]) => {
        const id = uid("sev");
        return [h("input", { type: "radio", id, name: severityName, value: String(value), checked: entry && entry.severity === value }), h("label", { for: id }, label)];
      }),
    ),
  );
  if (symptom.pain_score) {
    const score = h("input", { type: "number", name: `nrs-${symptom.code}`, inputmode: "numeric", min: "0", max: "10", value: entry && entry.nrs != null ? String(entry.nrs) : "" });
    details.append(field(gettext("Pain score from 0 (none) to 10 (worst)"), score));
  }
  box.addEventListener("change", () => {
    details.hidden = !box.checked;
    if (box.checked) {
      // No severity is chosen for the patient: "mild" ticked in advance would soften the advice.
      draft.symptoms[symptom.code] = draft.symptoms[symptom.code] || {};
    } else {
      // Unticked, its answers go too: a severity still shown on screen was not in the report.
      delete draft.symptoms[symptom.code];
      for (const radio of details.querySelectorAll("input[type=radio]")) radio.checked = false;
      for (const score of details.querySelectorAll("input[type=number]")) score.value = "";
    }
  });
  details.addEventListener("change", (event) => {
    const current = draft.symptoms[symptom.code];
    if (!current) return;
    if (event.target.name === severityName) current.severity = Number(event.target.value);
    if (event.target.name === `nrs-${symptom.code}`) {
      const value = painScore(event.target.value);
      if (value === null || Number.isNaN(value)) delete current.nrs; // a score out of range is refused on saving
      else current.nrs = value;
    }
  });
  return h("li", { class: "symptom" }, h("div", { class: "check" }, box, h("label", { for: box.id }, symptom.label)), details);
}

function symptomsStep(ctx) {
  const { me } = ctx;
  const temperature = h("input", { type: "number", name: "temperature_c", inputmode: "decimal", step: "0.1", min: "30", max: "45", value: draft.temperature });
  temperature.addEventListener("input", () => {
    draft.temperature = temperature.value;
  });
  const text = h("textarea", { name: "free_text", rows: "3", maxlength: "2000" }, draft.text);
  text.addEventListener("input", () => {
    draft.text = text.value;
  });
  const actions = h(
    "fieldset",
    { class: "choices-column" },
    h("legend", {}, gettext("What have you done so far?")),
    me.checklist.actions.map((action) => {
      const id = uid("a");
      const box = h("input", { type: "checkbox", id, value: action.code, checked: draft.actions.includes(action.code) });
      box.addEventListener("change", () => {
        draft.actions = box.checked ? [...draft.actions, action.code] : draft.actions.filter((code) => code !== action.code);
      });
      return h("div", { class: "check" }, box, h("label", { for: id }, action.label));
    }),
  );
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "stack", novalidate: true, id: "symptoms" },
    h("fieldset", { class: "choices-column" }, h("legend", {}, gettext("Which of these do you have?")), h("ul", { class: "symptoms" }, me.checklist.symptoms.map(symptomRow))),
    field(gettext("Temperature in °C (if you measured it)"), temperature),
    actions,
    field(gettext("Anything else your nurse should know?"), text),
    h("button", { type: "submit", class: "big-button" }, gettext("Save and see advice")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const unfinished = unfinishedSymptom(form);
    if (unfinished) {
      error.textContent = unfinished.text;
      unfinished.focus.focus();
      return;
    }
    const t = draft.temperature === "" ? null : Number(draft.temperature);
    if (t !== null && !(t >= 30 && t <= 45)) {
      error.textContent =
        t >= 86 && t <= 113
          ? format(gettext("%(t)s looks like degrees Fahrenheit, which is %(c)s °C. Enter it in °C."), { t: formatNumber(t), c: formatNumber(Math.round(((t - 32) * 5) / 9 * 10) / 10) })
          : gettext("Enter a temperature between 30 and 45 °C, or leave it empty.");
      temperature.focus();
      return;
    }
    await submit(ctx);
    ctx.rerender();
  });
  return [h("h1", {}, gettext("How do you feel?")), h("p", { class: "hint" }, gettext("None of the urgent signs. Now tick what you have.")), form];
}

async function submit(ctx) {
  const { me } = ctx;
  if (draft.step === "advice") return; // written already
  // A question left unanswered (null) only once the answers called for the emergency number.
  const answers = {};
  for (const flag of me.checklist.red_flags) answers[flag.code] = flag.code in draft.flags ? draft.flags[flag.code] : null;
  const temperature = draft.temperature === "" ? null : Number(draft.temperature);
  const facts = await factsFor(ctx, yesFlags());
  let result = null;
  try {
    result = ctx.ruleset ? evaluate(ctx.ruleset, facts) : null;
  } catch (error) {
    console.error("triage", error);
  }
  const episode = await activeEpisode();
  draft.reportId = await write("symptom_report", null, {
    episode_id: episode ? episode.id : null,
    followup_id: draft.followup,
    onset_at: new Date().toISOString(),
    red_flag_answers: answers,
    symptoms: draft.symptoms,
    temperature_c: temperature === null ? null : temperature.toFixed(1),
    actions_taken: draft.actions,
    free_text: draft.text.trim(),
  });
  draft.result = result || { level: "urgent", advice: ["ADV_CALL_TEAM_NOW"], red_flag: facts.red_flags.length > 0 };
  draft.step = "advice";
}

async function adviceStep(ctx) {
  const { me } = ctx;
  const result = draft.result;
  const emergency = result.red_flag || result.level === "emergency";
  const blocks = await Promise.all(result.advice.map((key) => adviceBlock(key)));
  const again = h("button", { type: "button", class: "secondary", onclick: () => { draft = null; ctx.navigate("#/"); } }, gettext("Done"));
  return [
    h(
      "section",
      { class: emergency ? "advice advice-emergency" : `advice advice-${result.level}`, "aria-labelledby": "advice-title", id: "advice" },
      h("h1", { id: "advice-title" }, emergency ? gettext("Get help now") : gettext("What to do")),
      blocks.length ? blocks : h("p", {}, builtinAdvice("ADV_LOG_ONLY")),
      callButtons(me, emergency),
    ),
    await reportState(ctx),
    again,
  ];
}

// Where the report is: on this phone, sent, or refused. Updated in place after each sync.
async function reportState(ctx) {
  const line = h("p", { class: "hint", id: "report-state", role: "status" });
  const reportId = draft.reportId;
  const show = async () => {
    const kind = (await badges())({ id: reportId, _conflicts: [] });
    const texts = {
      synced: gettext("Sent: your report has reached your nurse."),
      rejected: gettext("The server did not accept your report. Open Sync status to see why."),
      pending: navigator.onLine
        ? gettext("Your report is saved on this phone and is being sent to your nurse.")
        : gettext("Your report is saved on this phone and goes to your nurse as soon as there is a connection."),
    };
    line.textContent = texts[kind] || texts.pending;
    line.dataset.state = kind;
  };
  await show();
  const stop = onStatus(() => show());
  ctx.onLeave(stop);
  return line;
}

export async function render(ctx) {
  const followup = ctx.query.get("followup") || null;
  if (!draft || (draft.step !== "advice" && draft.followup !== followup) || (draft.step === "advice" && ctx.query.get("new"))) draft = fresh(ctx);
  if (draft.step === "advice") {
    const nodes = await adviceStep(ctx);
    // Leaving the advice ends this report: the next visit starts a new one.
    ctx.onLeave(() => {
      if (!location.hash.startsWith("#/unwell")) draft = null;
    });
    return nodes;
  }
  if (draft.step === "symptoms") return symptomsStep(ctx);
  return flagsStep(ctx);
}
