// Check-ins after an infusion (24/48/72 h and later ones for risk groups): the open ones are
// answered with the same checklist as "I feel unwell", linked to the check (followup_id).
import { episodes, followups } from "./data.js";
import { format, formatDate, formatDateTime, gettext, h } from "./dom.js";

function kindLabel(kind) {
  const labels = {
    h24: gettext("24 hours after"),
    h48: gettext("48 hours after"),
    h72: gettext("72 hours after"),
    d5: gettext("Day 5"),
    d7: gettext("Day 7"),
    d10: gettext("Day 10"),
  };
  return labels[kind] || kind;
}

export async function render(ctx) {
  const tz = ctx.me.timezone;
  const { open, later, missed } = await followups();
  // Checks of two infusions read alike ("24 hours after"): each names its infusion's day.
  const started = new Map((await episodes()).map((episode) => [episode.id, episode.started_at || episode.scheduled_start]));
  const infusion = (check) => (started.get(check.episode_id) ? format(gettext("After the infusion of %(day)s"), { day: formatDate(started.get(check.episode_id), tz) }) : "");
  const line = (check) => {
    const about = infusion(check);
    return h("li", {}, kindLabel(check.kind), " · ", formatDateTime(check.due_at, tz), about ? h("span", { class: "hint check-infusion" }, " · ", about) : null);
  };
  return [
    h("h1", {}, gettext("Check-ins")),
    h("h2", {}, gettext("Due now")),
    open.length
      ? h(
          "ul",
          { class: "cards" },
          open.map((check) =>
            h(
              "li",
              { class: "card card-important" },
              h("p", { class: "entry-title" }, kindLabel(check.kind)),
              h("p", { class: "hint check-infusion" }, infusion(check)),
              h("p", { class: "hint" }, format(gettext("Answer before %(when)s"), { when: formatDateTime(check.window_ends_at, tz) })),
              h("a", { class: "button-link", href: `#/unwell?followup=${encodeURIComponent(check.id)}` }, gettext("Answer now")),
            ),
          ),
        )
      : h("p", {}, gettext("Nothing to answer now.")),
    later.length
      ? [
          h("h2", {}, gettext("Coming up")),
          h("ul", { class: "entries" }, later.map(line)),
        ]
      : null,
    missed.length
      ? [
          h("h2", {}, gettext("Missed")),
          h("p", { class: "hint" }, gettext("Your nurse has been told about missed check-ins. Use “I feel unwell” if anything is wrong.")),
          h("ul", { class: "entries" }, missed.map(line)),
        ]
      : null,
  ];
}
