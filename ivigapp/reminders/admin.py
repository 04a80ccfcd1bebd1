from django.contrib import admin

from ivigapp.protocols.signoff_admin import DocumentForm, SignedOffAdmin
from ivigapp.reminders import plans
from ivigapp.reminders.models import ReminderPlan
from ivigapp.reminders.planning import DEFAULT_PLAN


class ReminderPlanForm(DocumentForm):
    class Meta:
        model = ReminderPlan
        fields = []

    def starting_point(self) -> list:
        current = plans.reminder_plan_in_use()
        return current.steps if current else DEFAULT_PLAN["steps"]

    def check(self, document) -> None:
        plans.reminder_plan_check(document)


@admin.register(ReminderPlan)
class ReminderPlanAdmin(SignedOffAdmin):
    """The steps of the reminder plan (planning.DEFAULT_PLAN until a version is published); a new
    version plans every infusion once published (those planned before it at the next dispatch tick)."""

    form = ReminderPlanForm
    document_attr = "steps"

    def draft(self, request, document):
        return plans.reminder_plan_draft(author=request.user, steps=document)

    def publish_service(self, *, actor, obj):
        return plans.reminder_plan_publish(actor=actor, plan=obj)
