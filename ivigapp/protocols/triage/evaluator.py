"""The Python triage evaluator. static/js/triage.js is its twin; both pass
tests/triage_vectors.json. Change one, change the other, and add vectors.

Input facts (JSON-shaped, the same in both evaluators):
    context        "PRE" | "D-N" | "D-S" | "P"  (before, during with a nurse, during self-infusing, after)
    red_flags      list of red-flag codes answered yes
    symptoms       {code: {"severity": 0-3, "nrs": 0-10 or null, "persisting": bool}}
    temperature_c  number or null
    sbp            systolic blood pressure in mmHg or null
    indication     the patient's indication code
    risk_flags     list, e.g. "renal_risk", "thrombosis_risk"
    plan           list of plan features, e.g. "step_down", "epinephrine"

Output: {"level", "advice", "rule_ids", "primary_rule_id", "red_flag"}.
"""

from pathlib import Path

RULESET_V1_PATH = Path(__file__).with_name("ruleset_v1.json")


def _severity(ruleset: dict, entry: dict) -> int:
    severity = int(entry.get("severity") or 0)
    nrs = entry.get("nrs")
    if nrs is not None:
        for low, high, band in ruleset["severity_from_pain_score"]:
            if low <= nrs <= high:
                severity = max(severity, band)
    return severity


def _holds(condition: dict, facts: dict, ruleset: dict) -> bool:
    if "any_of" in condition:
        return any(_holds(inner, facts, ruleset) for inner in condition["any_of"])
    if "red_flag" in condition:
        return condition["red_flag"] in facts["red_flags"]
    if "symptom" in condition:
        entry = facts["symptoms"].get(condition["symptom"])
        if not entry:
            return False
        if condition.get("persisting") and not entry.get("persisting"):
            return False
        return condition["min"] <= _severity(ruleset, entry) <= condition["max"]
    if "any_symptom_min" in condition:
        return any(_severity(ruleset, e) >= condition["any_symptom_min"] for e in facts["symptoms"].values())
    if "temperature_min" in condition:
        return facts["temperature_c"] is not None and facts["temperature_c"] >= condition["temperature_min"]
    if "temperature_below" in condition:
        return facts["temperature_c"] is not None and facts["temperature_c"] < condition["temperature_below"]
    if "sbp_below" in condition:
        return facts["sbp"] is not None and facts["sbp"] < condition["sbp_below"]
    if "sbp_min" in condition:
        return facts["sbp"] is not None and facts["sbp"] >= condition["sbp_min"]
    if "indication_in" in condition:
        return facts["indication"] in condition["indication_in"]
    if "risk_flag" in condition:
        return condition["risk_flag"] in facts["risk_flags"]
    if "no_risk_flag" in condition:
        return condition["no_risk_flag"] not in facts["risk_flags"]
    raise ValueError(f"unknown condition {sorted(condition)}")


def normalise_facts(facts: dict) -> dict:
    return {
        "context": facts["context"],
        "red_flags": list(facts.get("red_flags") or []),
        "symptoms": dict(facts.get("symptoms") or {}),
        "temperature_c": facts.get("temperature_c"),
        "sbp": facts.get("sbp"),
        "indication": facts.get("indication") or "",
        "risk_flags": list(facts.get("risk_flags") or []),
        "plan": list(facts.get("plan") or []),
    }


def evaluate(ruleset: dict, facts: dict) -> dict:
    """Matches every rule; red-flag rules alone decide the advice; the highest level wins."""
    facts = normalise_facts(facts)
    levels = ruleset["levels"]
    matched = [
        rule
        for rule in ruleset["rules"]
        if facts["context"] in rule["contexts"] and all(_holds(c, facts, ruleset) for c in rule["when"])
    ]
    if not matched:
        default = ruleset["default"]
        return {
            "level": default["alert"],
            "advice": list(default["advice"]),
            "rule_ids": [default["id"]],
            "primary_rule_id": default["id"],
            "red_flag": False,
        }
    red = [rule for rule in matched if rule.get("red_flag")]
    shown = sorted(red or matched, key=lambda rule: -levels.index(rule["alert"]))  # stable: file order
    substitutions = {s["advice"]: s for s in ruleset.get("substitutions", [])}
    advice = []
    for rule in shown:
        for key in rule["advice"]:
            swap = substitutions.get(key)
            if swap and swap["unless_plan"] not in facts["plan"]:
                key = swap["use"]
            if key and key not in advice:
                advice.append(key)
    return {
        "level": levels[max(levels.index(rule["alert"]) for rule in matched)],
        "advice": advice,
        "rule_ids": [rule["id"] for rule in shown],
        "primary_rule_id": shown[0]["id"],
        "red_flag": bool(red),
    }
