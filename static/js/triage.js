// Triage evaluator for the browser (and Node). This is the twin of
// ivigapp/protocols/triage/evaluator.py: same facts in, same result out.
// Both must pass tests/triage_vectors.json; change one, change the other, and add vectors.
// The facts and the result are described in the docstring of evaluator.py.

const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

// Python truthiness for a symptom entry: null, undefined and {} are "no entry".
const isEmpty = (entry) => !entry || Object.keys(entry).length === 0;

function severity(ruleset, entry) {
  let value = Math.trunc(Number(entry.severity || 0));
  const nrs = entry.nrs;
  if (nrs !== null && nrs !== undefined) {
    for (const [low, high, band] of ruleset.severity_from_pain_score) {
      if (low <= nrs && nrs <= high) value = Math.max(value, band);
    }
  }
  return value;
}

function holds(condition, facts, ruleset) {
  if (has(condition, "any_of")) return condition.any_of.some((inner) => holds(inner, facts, ruleset));
  if (has(condition, "red_flag")) return facts.red_flags.includes(condition.red_flag);
  if (has(condition, "symptom")) {
    const entry = facts.symptoms[condition.symptom];
    if (isEmpty(entry)) return false;
    if (condition.persisting && !entry.persisting) return false;
    const value = severity(ruleset, entry);
    return condition.min <= value && value <= condition.max;
  }
  if (has(condition, "any_symptom_min")) {
    return Object.values(facts.symptoms).some((entry) => severity(ruleset, entry) >= condition.any_symptom_min);
  }
  const t = facts.temperature_c;
  const sbp = facts.sbp;
  if (has(condition, "temperature_min")) return t !== null && t >= condition.temperature_min;
  if (has(condition, "temperature_below")) return t !== null && t < condition.temperature_below;
  if (has(condition, "sbp_below")) return sbp !== null && sbp < condition.sbp_below;
  if (has(condition, "sbp_min")) return sbp !== null && sbp >= condition.sbp_min;
  if (has(condition, "indication_in")) return condition.indication_in.includes(facts.indication);
  if (has(condition, "risk_flag")) return facts.risk_flags.includes(condition.risk_flag);
  if (has(condition, "no_risk_flag")) return !facts.risk_flags.includes(condition.no_risk_flag);
  throw new Error(`unknown condition ${JSON.stringify(Object.keys(condition).sort())}`);
}

export function normaliseFacts(facts) {
  if (!has(facts, "context")) throw new Error("facts need a context");
  return {
    context: facts.context,
    red_flags: [...(facts.red_flags || [])],
    symptoms: { ...(facts.symptoms || {}) },
    temperature_c: facts.temperature_c ?? null,
    sbp: facts.sbp ?? null,
    indication: facts.indication || "",
    risk_flags: [...(facts.risk_flags || [])],
    plan: [...(facts.plan || [])],
  };
}

// Matches every rule; red-flag rules alone decide the advice; the highest level wins.
export function evaluate(ruleset, rawFacts) {
  const facts = normaliseFacts(rawFacts);
  const levelOf = (rule) => {
    const index = ruleset.levels.indexOf(rule.alert);
    if (index < 0) throw new Error(`unknown alert level ${rule.alert}`);
    return index;
  };
  const matched = ruleset.rules.filter(
    (rule) => rule.contexts.includes(facts.context) && rule.when.every((c) => holds(c, facts, ruleset)),
  );
  if (matched.length === 0) {
    const fallback = ruleset.default;
    return {
      level: fallback.alert,
      advice: [...fallback.advice],
      rule_ids: [fallback.id],
      primary_rule_id: fallback.id,
      red_flag: false,
    };
  }
  const red = matched.filter((rule) => rule.red_flag);
  // Array.prototype.sort is stable, so equal levels keep rule-file order.
  const shown = [...(red.length ? red : matched)].sort((a, b) => levelOf(b) - levelOf(a));
  const substitutions = new Map((ruleset.substitutions || []).map((s) => [s.advice, s]));
  const advice = [];
  for (const rule of shown) {
    for (let key of rule.advice) {
      const swap = substitutions.get(key);
      if (swap && !facts.plan.includes(swap.unless_plan)) key = swap.use;
      if (key && !advice.includes(key)) advice.push(key);
    }
  }
  return {
    level: ruleset.levels[Math.max(...matched.map(levelOf))],
    advice,
    rule_ids: shown.map((rule) => rule.id),
    primary_rule_id: shown[0].id,
    red_flag: red.length > 0,
  };
}
