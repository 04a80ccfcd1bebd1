import inspect

from django import forms
from django.contrib import admin

from ivigapp.audit.services import audit_record
from ivigapp.core.admin import adopt
from ivigapp.protocols.models import ApprovalStatus, RateProtocol
from ivigapp.reactions import services
from ivigapp.reactions.models import Plan


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = [
            "patient",
            "product",
            "rate_protocol",
            "dose_g_per_kg",
            "weight_method",
            "interval_days",
            "course_days",
            "premedication",
            "hydration",
            "has_step_down_instruction",
            "epinephrine_prescribed",
            "max_rate_override_ml_h",
            "max_rate_override_reason",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "rate_protocol" in self.fields:
            self.fields["rate_protocol"].queryset = RateProtocol.objects.filter(
                status=ApprovalStatus.PUBLISHED
            ).select_related("product")

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not self.errors:
            # The service's checks, shown on the form's fields instead of as an error page.
            checked = inspect.signature(services.plan_check).parameters  # what plan_check reads
            services.plan_check(**{name: value for name, value in data.items() if name in checked})
        return data


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans are created through plan_create (which computes and records the dose); afterwards
    only `active` changes. Opening a plan is an audited read of patient data."""

    form = PlanForm
    list_display = ["patient", "product", "dose_g_per_kg", "rounded_dose_g", "interval_days", "active"]
    list_filter = ["active", "product"]
    autocomplete_fields = ["patient"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*PlanForm.Meta.fields, "dosing_weight_kg", "dose_g", "rounded_dose_g", "volume_ml", "computation"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        plan = Plan.objects.filter(pk=object_id).values("patient_id").first()
        if plan:
            audit_record(
                request.user,
                action="admin.plan.view",
                patient_id=plan["patient_id"],
                object_type="plan",
                object_ids=[object_id],
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["active"])
            return
        data = {name: form.cleaned_data[name] for name in PlanForm.Meta.fields}
        created = services.plan_create(actor=request.user, **data)
        adopt(obj, created)

    def has_delete_permission(self, request, obj=None):
        return False
