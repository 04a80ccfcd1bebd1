// Reads of the local replica that several screens share (no writes here: see store.js).
import { rowsOf, write } from "./store.js";

export const ENDED = new Set(["complete", "partial", "stopped_reaction", "stopped_access"]);

const time = (iso) => (iso ? Date.parse(iso) : 0);

export async function episodes() {
  const all = await rowsOf("infusion_episode");
  return all.sort((a, b) => time(b.started_at || b.scheduled_start) - time(a.started_at || a.scheduled_start));
}

export async function activeEpisode() {
  return (await episodes()).find((episode) => episode.status === "in_progress") || null;
}

export async function plannedEpisode() {
  const planned = (await episodes()).filter((episode) => episode.status === "planned");
  return planned.sort((a, b) => time(a.scheduled_start) - time(b.scheduled_start))[0] || null;
}

export async function partsOf(table, episodeId) {
  const rows = await rowsOf(table);
  return rows.filter((row) => row.episode_id === episodeId);
}

/** When the next infusion is due: a planned one, else the last start plus the plan's interval. */
export function nextInfusionAt(me, allEpisodes) {
  const planned = allEpisodes.filter((e) => e.status === "planned").sort((a, b) => time(a.scheduled_start) - time(b.scheduled_start));
  if (planned.length) return planned[0].scheduled_start;
  const last = allEpisodes.find((e) => e.started_at);
  if (!last || !me || !me.plan) return null;
  // A course of several days goes on the next day; the next course after the plan's interval.
  const days = (Number(last.course_day) || 1) < (me.plan.course_days || 1) ? 1 : me.plan.interval_days;
  return new Date(time(last.started_at) + days * 86400000).toISOString();
}

/** The course day of the infusion that follows the last one started (1 when a new course begins). */
export function nextCourseDay(me, allEpisodes) {
  const last = allEpisodes.find((e) => e.started_at);
  const day = last ? Number(last.course_day) || 1 : 0;
  return me && me.plan && day >= 1 && day < (me.plan.course_days || 1) ? day + 1 : 1;
}

/** The triage context the server would place a report in now (reactions.services.reports). */
export async function triageContext(me) {
  const all = await episodes();
  const now = Date.now();
  if (all.some((e) => e.status === "in_progress" && e.started_at && time(e.started_at) <= now)) {
    return me && me.care_model === "nurse_administered" ? "D-N" : "D-S";
  }
  if (all.some((e) => e.ended_at && time(e.ended_at) <= now)) return "P";
  return "PRE";
}

/** Follow-up checks: open now, coming later, and missed; answered ones are left out. */
export async function followups() {
  const checks = await rowsOf("followup_check");
  const answered = new Set((await rowsOf("symptom_report")).map((report) => report.followup_id).filter(Boolean));
  const now = Date.now();
  const open = [];
  const later = [];
  const missed = [];
  for (const check of checks) {
    if (check.completed_at || answered.has(check.id)) continue;
    if (check.missed_at || time(check.window_ends_at) < now) missed.push(check);
    else if (time(check.due_at) <= now) open.push(check);
    else later.push(check);
  }
  const byDue = (a, b) => time(a.due_at) - time(b.due_at);
  return { open: open.sort(byDue), later: later.sort(byDue), missed: missed.sort(byDue) };
}

/** The planned infusion to prepare or start, made (as a local entry) when there is none. */
export async function episodeToPrepare(me, scheduledStart = new Date().toISOString(), courseDay = 1) {
  const active = await activeEpisode();
  if (active) return active;
  const planned = await plannedEpisode();
  if (planned) return planned;
  if (!me || !me.plan) return null;
  // A new infusion is planned for `scheduledStart`: its reminders are planned from it, so an
  // infusion prepared for another day must not be planned for now.
  const id = await write("infusion_episode", null, {
    plan_id: me.plan.id,
    scheduled_start: scheduledStart,
    course_day: courseDay,
  }, { status: "planned" });
  return (await rowsOf("infusion_episode")).find((episode) => episode.id === id);
}
