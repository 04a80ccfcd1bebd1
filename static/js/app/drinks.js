// Drinks for an infusion: what the patient drank the day before, on the day before the start,
// during and after it (the plan's hydration orders). Written locally first, like every entry.
import { field, format, formatDateTime, gettext, h } from "./dom.js";
import { write } from "./store.js";

export const PHASES = () => [
  ["day_before", gettext("The day before")],
  ["same_day", gettext("The same day, before")],
  ["during", gettext("During")],
  ["after", gettext("After")],
];

export function drinkCard(ctx, episode, drinks, phase) {
  const volume = h("input", { type: "number", name: "volume_ml", inputmode: "numeric", min: "1", max: "5000", step: "50", required: true });
  const when = h("select", { name: "phase" }, PHASES().map(([value, label]) => h("option", { value, selected: value === phase }, label)));
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "stack", novalidate: true, id: "drink-form" },
    field(gettext("How much, in mL"), volume, gettext("A glass is about 250 mL.")),
    field(gettext("When"), when),
    h("button", { type: "submit", class: "secondary", id: "add-drink" }, gettext("Log this drink")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ml = Number(volume.value);
    if (!Number.isInteger(ml) || ml < 1 || ml > 5000) {
      error.textContent = gettext("Enter how much you drank in mL, between 1 and 5000.");
      volume.focus();
      return;
    }
    await write("hydration", null, { episode_id: episode.id, phase: when.value, volume_ml: ml, logged_at: new Date().toISOString() });
    ctx.rerender();
  });
  const labels = Object.fromEntries(PHASES());
  const total = drinks.reduce((sum, drink) => sum + Number(drink.volume_ml || 0), 0);
  return h(
    "section",
    { class: "card", "aria-labelledby": "drinks-title" },
    h("h2", { id: "drinks-title" }, gettext("Drinks")),
    drinks.length
      ? [
          h(
            "ul",
            { class: "entries" },
            [...drinks]
              .sort((a, b) => Date.parse(a.logged_at) - Date.parse(b.logged_at))
              .map((drink) => h("li", {}, format(gettext("%(ml)s mL · %(phase)s · %(when)s"), { ml: drink.volume_ml, phase: labels[drink.phase] || drink.phase, when: formatDateTime(drink.logged_at, ctx.me.timezone) }))),
          ),
          h("p", { class: "hint", id: "drinks-total" }, format(gettext("In all: %(ml)s mL"), { ml: total })),
        ]
      : h("p", { class: "hint" }, gettext("No drinks logged yet.")),
    h("details", {}, h("summary", {}, gettext("Log a drink")), form),
  );
}
