from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ivigapp.protocols.signoff_admin import DocumentForm, SignedOffAdmin
from ivigapp.reminders import plans
from ivigapp.reminders.models import ReminderPlan
from ivigapp.reminders.planning import DEFAULT_PLAN


class ReminderPlanForm(DocumentForm):
    document_attr = "steps"

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

    def update(self, request, obj, document):
        return plans.reminder_plan_update(actor=request.user, plan=obj, steps=document)

    def changelist_view(self, request, extra_context=None):
        # The built-in plan is version 1 and has no row: say so, or "0 reminder plans" and a first
        # draft called v2 read as a mistake.
        if request.method == "GET" and plans.reminder_plan_in_use() is None:
            self.message_user(
                request,
                _("Reminders follow the built-in plan (version 1) until a version is published here."),
                messages.INFO,
            )
        return super().changelist_view(request, extra_context)

    def publish_service(self, *, actor, obj):
        return plans.reminder_plan_publish(actor=actor, plan=obj)
