from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ivigapp.audit.services import audit_record
from ivigapp.core.admin import adopt
from ivigapp.patients import services
from ivigapp.patients.models import CareAssignment, Patient, Region, RiskProfile


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "emergency_number"]


class PatientEnrolForm(forms.ModelForm):
    username = forms.CharField(label=_("username"), max_length=150)
    email = forms.EmailField(label=_("email"), help_text=_("The activation link is sent here."))

    class Meta:
        model = Patient
        fields = [
            "display_name",
            "date_of_birth",
            "sex_for_ibw",
            "language",
            "timezone",
            "region",
            "care_model",
            "indication",
            "care_team_phone",
        ]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken."))
        return username


class RiskProfileInline(admin.StackedInline):
    model = RiskProfile
    can_delete = False
    exclude = ["reviewed_by", "reviewed_at"]


class CareAssignmentInline(admin.TabularInline):
    model = CareAssignment
    extra = 0
    fields = ["nurse", "starts_at", "ends_at"]
    readonly_fields = ["nurse", "starts_at", "ends_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    """Enrolment data only; diaries are never shown here. Opening a patient is audited."""

    list_display = ["display_name", "region", "care_model", "language"]
    list_filter = ["care_model", "language", "region"]
    search_fields = ["display_name", "user__username"]
    inlines = [RiskProfileInline, CareAssignmentInline]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PatientEnrolForm
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["username", "email", *PatientEnrolForm.Meta.fields]})]
        return super().get_fieldsets(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        audit_record(
            request.user,
            action="admin.patient.view",
            patient_id=object_id,
            object_type="patient",
            object_ids=[object_id],
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            audit_record(
                request.user,
                action="admin.patient.change",
                patient_id=obj.pk,
                object_type="patient",
                object_ids=[obj.pk],
            )
            return
        data = form.cleaned_data
        enrolled = services.patient_enrol(
            actor=request.user,
            username=data["username"],
            email=data["email"],
            display_name=data["display_name"],
            region=data["region"],
            care_model=data["care_model"],
            indication=data["indication"],
            language=data["language"],
            timezone_name=data["timezone"],
            date_of_birth=data["date_of_birth"],
            sex_for_ibw=data["sex_for_ibw"],
            care_team_phone=data["care_team_phone"],
        )
        obj.pk = enrolled.pk
        obj.user = enrolled.user

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CareAssignment)
class CareAssignmentAdmin(admin.ModelAdmin):
    list_display = ["nurse", "patient", "starts_at", "ends_at"]
    list_filter = ["nurse"]
    autocomplete_fields = ["patient"]

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.care_team_assign(
                actor=request.user, nurse=obj.nurse, patient=obj.patient, starts_at=obj.starts_at
            )
            adopt(obj, created)
        elif "ends_at" in form.changed_data and obj.ends_at:
            services.care_team_end(actor=request.user, assignment=obj, ends_at=obj.ends_at)
        else:
            super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False
