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
# The advice keys of clinical.md section 4: the phone has a built-in text for each, and content
# items translate them. A rule naming any other key would show the patient the key itself.
ADVICE_KEYS = {
    "ADV_LOG_ONLY",
    "ADV_HYDRATE_REST",
    "ADV_PRN_PER_PLAN",
    "ADV_TELL_NURSE_NOW",
    "ADV_SLOW_PER_PLAN",
    "ADV_PAUSE_CALL_TEAM",
    "ADV_CALL_TEAM_TODAY",
    "ADV_CALL_TEAM_NOW",
    "ADV_STOP_CALL_EMERGENCY",
    "ADV_EPI_CALL_EMERGENCY",
    "ADV_CALL_EMERGENCY_NOW",
    "ADV_DELAY_INFUSION_CALL_TEAM",
    "ADV_RECHECK_30MIN",
    "ADV_RECHECK_2H",
}


def rate_protocol_steps_check(steps) -> None:
    if not isinstance(steps, list) or not steps:
        raise ValidationError({"steps": _("Give at least one titration step.")})
    for number, step in enumerate(steps, start=1):
        try:
            rate = Decimal(str(step["rate"]))
        except (KeyError, TypeError, InvalidOperation):
            rate = None
        if rate is None or not rate.is_finite():  # "NaN" and "Infinity" parse, and compare with nothing
            raise ValidationError({"steps": _("Step %(n)s has no valid rate.") % {"n": number}})
        if rate <= 0 or step.get("unit") not in RateUnit.values:
            raise ValidationError({"steps": _("Step %(n)s needs a positive rate and a known unit.") % {"n": number}})
        minutes = step.get("minutes")
        if minutes is not None and (not isinstance(minutes, int) or minutes <= 0):
            raise ValidationError({"steps": _("Step %(n)s needs a positive number of minutes.") % {"n": number}})


def rate_protocol_check(fields: dict) -> None:
    """The steps, and maximums a pump could follow: positive, with a unit, the at-risk maximum not
    above the label maximum, and no step above the label maximum (when they share a unit)."""
    rate_protocol_steps_check(fields.get("steps"))
    errors = {}
    top, unit = fields.get("max_rate"), fields.get("max_rate_unit")
    if top is None or Decimal(str(top)) <= 0:
        errors["max_rate"] = _("The label maximum must be above zero.")
    elif unit not in RateUnit.values:
        errors["max_rate_unit"] = _("Choose the unit of the label maximum.")
    else:
        top = Decimal(str(top))
        steps = fields["steps"]
        above = [n for n, step in enumerate(steps, 1) if step["unit"] == unit and Decimal(str(step["rate"])) > top]
        if above:
            errors["steps"] = _("Step %(n)s is above the label maximum.") % {"n": above[0]}
    at_risk, at_risk_unit = fields.get("at_risk_max_rate"), fields.get("at_risk_max_rate_unit") or ""
    if at_risk is not None:
        if Decimal(str(at_risk)) <= 0:
            errors["at_risk_max_rate"] = _("The maximum for patients at risk must be above zero.")
        elif at_risk_unit not in RateUnit.values:
            errors["at_risk_max_rate_unit"] = _("Choose the unit of the maximum for patients at risk.")
        elif at_risk_unit == unit and "max_rate" not in errors and Decimal(str(at_risk)) > Decimal(str(top)):
            errors["at_risk_max_rate"] = _("The maximum for patients at risk cannot be above the label maximum.")
    if errors:
        raise ValidationError(errors)


RATE_PROTOCOL_FIELDS = (
    "steps",
    "max_rate",
    "max_rate_unit",
    "at_risk_max_rate",
    "at_risk_max_rate_unit",
    "source",
)


def _content(protocol: RateProtocol) -> dict:
    return {name: getattr(protocol, name) for name in RATE_PROTOCOL_FIELDS}


@transaction.atomic
def rate_protocol_draft(*, author, product: Product, indication: str, infusion_type: str, **fields) -> RateProtocol:
    """A new version of the rate protocol for this product, indication and kind of infusion, as a
    draft (`fields`: RATE_PROTOCOL_FIELDS). It plans nothing until approved and published."""
    rate_protocol_check(fields)
    use = {"product": product, "indication": indication, "infusion_type": infusion_type}
    version = version_next(RateProtocol.objects.filter(**use))
    protocol = RateProtocol(**use, **fields, version=version, author=author, status=ApprovalStatus.DRAFT)
    protocol.full_clean()
    protocol.save()
    return protocol


@transaction.atomic
def rate_protocol_update(*, actor, protocol: RateProtocol, **fields) -> RateProtocol:
    """Edits a draft, by its author only."""
    locked = draft_locked(actor=actor, obj=protocol)
    for name, value in fields.items():
        if name not in RATE_PROTOCOL_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(locked, name, value)
    rate_protocol_check(_content(locked))
    locked.full_clean()
    locked.save(update_fields=list(fields))
    return locked


def rate_protocol_new_version(*, author, protocol: RateProtocol) -> RateProtocol:
    """A draft that starts as a copy of `protocol` (usually the one in use)."""
    return rate_protocol_draft(
        author=author,
        product=protocol.product,
        indication=protocol.indication,
        infusion_type=protocol.infusion_type,
        **_content(protocol),
    )


def rate_protocol_publish(*, actor, protocol: RateProtocol) -> RateProtocol:
    """Publishes an approved version and retires the one of the same use published before. Plans
    keep the version they were prescribed with."""
    rate_protocol_check(_content(protocol))  # today's checks
    return signoff_publish(actor=actor, obj=protocol, others=RateProtocol.objects.filter(**protocol.use()))


def rate_protocol_signed_off(*, author, approver, **fields) -> RateProtocol:
    """Draft, review, approval by `approver` and publication in one go: for seeding demo and
    test data, where two administrators are at hand."""
    protocol = rate_protocol_draft(author=author, **fields)
    signoff_submit(actor=author, obj=protocol)
    signoff_approve(actor=approver, obj=protocol)
    return rate_protocol_publish(actor=author, protocol=protocol)


def _check_condition(condition, where: str) -> None:
    from ivigapp.reactions.models.reports import RED_FLAGS, SYMPTOMS

    if not isinstance(condition, dict) or len(condition.keys() & CONDITION_KEYS) != 1:
        raise ValidationError({"rules": _("%(where)s has an unknown condition.") % {"where": where}})
    # A code the checklist does not ask about never matches: the rule would silently never fire.
    if ("red_flag" in condition and condition["red_flag"] not in RED_FLAGS) or (
        "symptom" in condition and condition["symptom"] not in SYMPTOMS
    ):
        raise ValidationError({"rules": _("%(where)s names a question the checklist does not ask.") % {"where": where}})
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
        unknown = [key for key in rule["advice"] if key not in ADVICE_KEYS]
        if unknown:
            raise ValidationError(
                {
                    "rules": _("%(where)s gives advice with no text: %(keys)s.")
                    % {"where": where, "keys": ", ".join(map(str, unknown))}
                }
            )
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
    # NO KEY: other writers that only reference the row (the admin's log) do not wait.
    ContentType.objects.select_for_update(no_key=True).get(app_label=meta.app_label, model=meta.model_name)


def version_next(versions, after: int = 0) -> int:
    """The number of a new version among `versions` (a queryset), above `after`, with the kind's
    lock taken so that no other draft can take the same number before commit."""
    versions_locked(versions.model)
    return max(versions.aggregate(v=Max("version"))["v"] or 0, after) + 1


@transaction.atomic
def triage_ruleset_draft(*, author, document: dict) -> TriageRuleSet:
    triage_document_check(document)
    version = version_next(TriageRuleSet.objects.all())
    return TriageRuleSet.objects.create(version=version, rules=document, author=author)


@transaction.atomic
def triage_ruleset_update(*, actor, ruleset: TriageRuleSet, document: dict) -> TriageRuleSet:
    return draft_document_update(
        actor=actor, obj=ruleset, field="rules", document=document, check=triage_document_check
    )


def draft_locked(*, actor, obj):
    """The row of a signed-off version, locked until commit, if `actor` may edit it: a draft, by its
    author only (an approver who edited would approve their own words)."""
    locked = type(obj).objects.select_for_update().get(pk=obj.pk)
    if locked.status != ApprovalStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft can be edited; start a new version instead.")})
    if locked.author_id != actor.pk:
        raise ValidationError({"author": _("Only the author edits a draft.")})
    return locked


def draft_document_update(*, actor, obj, field: str, document, check):
    """Edits the JSON of a draft (a triage rule set, a reminder plan), checked as on drafting."""
    locked = draft_locked(actor=actor, obj=obj)
    check(document)
    setattr(locked, field, document)
    locked.save(update_fields=[field])
    return locked


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
    triage_document_check(ruleset.rules)  # the checks of the day, whenever the version was drafted
    return signoff_publish(actor=actor, obj=ruleset, others=TriageRuleSet.objects.all())


def triage_ruleset_current() -> TriageRuleSet | None:
    return TriageRuleSet.objects.filter(status=ApprovalStatus.PUBLISHED).order_by("-version").first()


def triage_ruleset_v1_document() -> dict:
    return json.loads(RULESET_V1_PATH.read_text())
