"""Writes to products, rate protocols and triage rule sets. The admin calls these too."""

import json
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.patients.roles import ROLE_ADMIN, user_role
from ivigapp.protocols.models import ApprovalStatus, Product, RateProtocol, RateUnit, TriageRuleSet
from ivigapp.protocols.triage.evaluator import RULESET_V1_PATH, evaluate

CONDITION_KEYS = {
    "any_of",
    "red_flag",
    "symptom",
    "any_symptom_min",
    "temperature_min",
    "temperature_below",
    "sbp_below",
    "sbp_min",
    "indication_in",
    "risk_flag",
    "no_risk_flag",
}
CONTEXTS = {"PRE", "D-N", "D-S", "P"}


def rate_protocol_steps_check(steps) -> None:
    if not isinstance(steps, list) or not steps:
        raise ValidationError({"steps": _("Give at least one titration step.")})
    for number, step in enumerate(steps, start=1):
        try:
            rate = Decimal(str(step["rate"]))
        except (KeyError, TypeError, InvalidOperation):
            raise ValidationError({"steps": _("Step %(n)s has no valid rate.") % {"n": number}}) from None
        if rate <= 0 or step.get("unit") not in RateUnit.values:
            raise ValidationError({"steps": _("Step %(n)s needs a positive rate and a known unit.") % {"n": number}})
        minutes = step.get("minutes")
        if minutes is not None and (not isinstance(minutes, int) or minutes <= 0):
            raise ValidationError({"steps": _("Step %(n)s needs a positive number of minutes.") % {"n": number}})


@transaction.atomic
def rate_protocol_create(
    *,
    product: Product,
    indication: str,
    infusion_type: str,
    steps: list,
    max_rate,
    max_rate_unit: str,
    at_risk_max_rate=None,
    at_risk_max_rate_unit: str = "",
    source: str = "",
) -> RateProtocol:
    rate_protocol_steps_check(steps)
    protocol = RateProtocol(
        product=product,
        indication=indication,
        infusion_type=infusion_type,
        steps=steps,
        max_rate=max_rate,
        max_rate_unit=max_rate_unit,
        at_risk_max_rate=at_risk_max_rate,
        at_risk_max_rate_unit=at_risk_max_rate_unit,
        source=source,
    )
    protocol.full_clean()
    protocol.save()
    return protocol


def _check_condition(condition, where: str) -> None:
    if not isinstance(condition, dict) or len(condition.keys() & CONDITION_KEYS) != 1:
        raise ValidationError({"rules": _("%(where)s has an unknown condition.") % {"where": where}})
    for inner in condition.get("any_of", []):
        _check_condition(inner, where)


def triage_document_check(document: dict) -> None:
    """Refuses a rule set the evaluators could not run or that could hide a red flag."""
    try:
        levels = document["levels"]
        rules = document["rules"]
        ids = [rule["id"] for rule in rules]
    except (KeyError, TypeError):
        raise ValidationError({"rules": _("The rule set needs levels and rules with ids.")}) from None
    if len(ids) != len(set(ids)):
        raise ValidationError({"rules": _("Rule ids must be unique.")})
    for rule in rules:
        where = rule["id"]
        if rule.get("alert") not in levels or not set(rule.get("contexts", [])) <= CONTEXTS or not rule["contexts"]:
            raise ValidationError({"rules": _("%(where)s needs a known level and contexts.") % {"where": where}})
        if not rule.get("advice") or not rule.get("when"):
            raise ValidationError({"rules": _("%(where)s needs conditions and advice.") % {"where": where}})
        for condition in rule["when"]:
            _check_condition(condition, where)
    # Dry run: every red flag on its own must reach at least the urgent level in every context.
    red_flags = {c["red_flag"] for rule in rules for c in _flatten(rule["when"]) if "red_flag" in c}
    for code in sorted(red_flags):
        for context in sorted(CONTEXTS):
            result = evaluate(document, {"context": context, "red_flags": [code]})
            if levels.index(result["level"]) < levels.index("urgent"):
                raise ValidationError(
                    {
                        "rules": _("Red flag %(code)s is not escalated in %(context)s.")
                        % {"code": code, "context": context}
                    }
                )


def _flatten(conditions):
    for condition in conditions:
        yield condition
        yield from _flatten(condition.get("any_of", []))


def versions_locked(model) -> None:
    """Until commit, one transaction at a time drafts or publishes versions of `model` (a kind of
    versioned content with no parent row to lock; its ContentType row stands in). Without it, two
    drafts saved at once read the same highest version and the second fails on the unique number,
    and two publications at once each retire only what was published before both, leaving two
    published versions. SQLite writes one transaction at a time anyway (BEGIN IMMEDIATE)."""
    meta = model._meta
    ContentType.objects.select_for_update().get(app_label=meta.app_label, model=meta.model_name)


@transaction.atomic
def triage_ruleset_draft(*, author, document: dict) -> TriageRuleSet:
    triage_document_check(document)
    versions_locked(TriageRuleSet)
    version = (TriageRuleSet.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    return TriageRuleSet.objects.create(version=version, rules=document, author=author)


# Sign-off, shared by every versioned kind of clinical content with an ApprovalStatus `status`
# (triage rule sets, reminder plans): draft -> in review -> approved by someone other than the
# author -> published, which retires the version published before.


def _transition(obj, expected: str, new: str, **fields):
    updated = type(obj).objects.filter(pk=obj.pk, status=expected).update(status=new, **fields)
    if not updated:
        raise ValidationError({"status": _("This version is not %(state)s.") % {"state": expected}})
    obj.refresh_from_db()
    return obj


def signoff_submit(*, actor, obj):
    return _transition(obj, ApprovalStatus.DRAFT, ApprovalStatus.IN_REVIEW)


def signoff_approve(*, actor, obj):
    if user_role(actor) != ROLE_ADMIN:
        raise ValidationError({"approved_by": _("Only a clinical administrator can approve.")})
    if obj.author_id is None or actor.pk == obj.author_id:
        raise ValidationError({"approved_by": _("The author cannot approve their own version.")})
    return _transition(
        obj, ApprovalStatus.IN_REVIEW, ApprovalStatus.APPROVED, approved_by=actor, approved_at=timezone.now()
    )


@transaction.atomic
def signoff_publish(*, actor, obj, others):
    """Publishes `obj` and retires whatever of `others` (a queryset of the same kind) was published."""
    if user_role(actor) != ROLE_ADMIN:
        raise ValidationError({"status": _("Only a clinical administrator can publish.")})
    versions_locked(others.model)
    others.filter(status=ApprovalStatus.PUBLISHED).exclude(pk=obj.pk).update(status=ApprovalStatus.RETIRED)
    return _transition(obj, ApprovalStatus.APPROVED, ApprovalStatus.PUBLISHED, published_at=timezone.now())


def triage_ruleset_submit(*, actor, ruleset: TriageRuleSet) -> TriageRuleSet:
    return signoff_submit(actor=actor, obj=ruleset)


def triage_ruleset_approve(*, actor, ruleset: TriageRuleSet) -> TriageRuleSet:
    return signoff_approve(actor=actor, obj=ruleset)


def triage_ruleset_publish(*, actor, ruleset: TriageRuleSet) -> TriageRuleSet:
    return signoff_publish(actor=actor, obj=ruleset, others=TriageRuleSet.objects.all())


def triage_ruleset_current() -> TriageRuleSet | None:
    return TriageRuleSet.objects.filter(status=ApprovalStatus.PUBLISHED).order_by("-version").first()


def triage_ruleset_v1_document() -> dict:
    return json.loads(RULESET_V1_PATH.read_text())
