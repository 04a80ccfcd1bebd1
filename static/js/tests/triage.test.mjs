// Runs the shared triage vectors (tests/triage_vectors.json) against static/js/triage.js,
// the twin of ivigapp/protocols/triage/evaluator.py. Run: node --test static/js/tests/
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { evaluate } from "../triage.js";

const readJson = (relative) => JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8"));
const ruleset = readJson("../../../ivigapp/protocols/triage/ruleset_v1.json");
const vectorFile = readJson("../../../tests/triage_vectors.json");

for (const vector of vectorFile.vectors) {
  test(vector.name, () => {
    const got = evaluate(ruleset, structuredClone(vector.facts));
    const { expect } = vector;
    assert.equal(got.level, expect.level, "level");
    assert.deepEqual(got.advice, expect.advice, "advice");
    assert.equal(got.primary_rule_id, expect.primary_rule_id, "primary_rule_id");
    assert.equal(got.red_flag, expect.red_flag, "red_flag");
    if (expect.rule_ids) assert.deepEqual(got.rule_ids, expect.rule_ids, "rule_ids");
    assert.deepEqual(Object.keys(got).sort(), ["advice", "level", "primary_rule_id", "red_flag", "rule_ids"]);
  });
}

test("every rule is the primary rule of some vector, except the documented shadowed ones", () => {
  const ruleIds = new Set([...ruleset.rules.map((rule) => rule.id), ruleset.default.id]);
  const primaries = new Set(vectorFile.vectors.map((vector) => vector.expect.primary_rule_id));
  const shadowed = Object.keys(vectorFile.shadowed_rules || {});
  const missing = [...ruleIds].filter((id) => !primaries.has(id)).sort();
  assert.deepEqual(missing, [...shadowed].sort());
  const listed = new Set(vectorFile.vectors.flatMap((vector) => vector.expect.rule_ids || []));
  for (const id of shadowed) assert.ok(listed.has(id), `${id} never appears in an expected rule_ids list`);
});

test("an unknown condition throws", () => {
  const broken = structuredClone(ruleset);
  broken.rules[0].when = [{ moon_phase: "full" }];
  assert.throws(() => evaluate(broken, { context: "P" }), /unknown condition/);
});
