"""The shared triage vectors (tests/triage_vectors.json) against the Python evaluator, the JS twin
(static/js/triage.js, run through Node's test runner), and a broken rule set that they must catch."""

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ivigapp.protocols.triage.evaluator import RULESET_V1_PATH, evaluate

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS_PATH = REPO_ROOT / "tests" / "triage_vectors.json"

RULESET = json.loads(RULESET_V1_PATH.read_text(encoding="utf-8"))
VECTOR_FILE = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
VECTORS = VECTOR_FILE["vectors"]


def _mismatches(ruleset: dict, vector: dict) -> dict:
    """What the evaluator gave, for each expected key it got wrong."""
    got = evaluate(ruleset, copy.deepcopy(vector["facts"]))
    return {key: got[key] for key, wanted in vector["expect"].items() if got[key] != wanted}


def test_it_reads_a_vector_file_written_for_this_rule_set():
    assert VECTOR_FILE["format"] == 1
    assert VECTOR_FILE["ruleset_version"] == 1
    assert RULESET_V1_PATH.name == "ruleset_v1.json"


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_it_gives_the_hand_written_result_for_every_vector(vector):
    assert _mismatches(RULESET, vector) == {}, vector["expect"]


def test_it_has_enough_vectors_with_unique_names():
    names = [vector["name"] for vector in VECTORS]
    assert len(names) >= 60
    assert len(names) == len(set(names))


def test_it_makes_every_rule_the_primary_rule_of_some_vector():
    rule_ids = {rule["id"] for rule in RULESET["rules"]} | {RULESET["default"]["id"]}
    primaries = {vector["expect"]["primary_rule_id"] for vector in VECTORS}
    shadowed = set(VECTOR_FILE.get("shadowed_rules", {}))
    assert rule_ids - primaries == shadowed
    # A rule that can never be primary must still be seen matching, in an expected rule_ids list.
    listed = {rule_id for vector in VECTORS for rule_id in vector["expect"].get("rule_ids", [])}
    assert shadowed <= listed


def test_it_passes_the_same_vectors_in_the_javascript_twin():
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed, so the JS triage evaluator is untested")
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--test", "static/js/tests/"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_catches_a_rule_whose_alert_level_was_changed():
    broken = copy.deepcopy(RULESET)
    (chest,) = [rule for rule in broken["rules"] if rule["id"] == "T02"]
    chest["alert"] = "log"
    failing = [vector["name"] for vector in VECTORS if _mismatches(broken, vector)]
    assert failing, "no vector noticed that T02 (chest pain) was downgraded to log"
    assert all(_mismatches(RULESET, vector) == {} for vector in VECTORS)
