import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ivigapp.core.admin import adopt
from ivigapp.protocols import services
from ivigapp.protocols.content import admin as content_admin  # noqa: F401  (registers the content admin)
from ivigapp.protocols.models import Product, RateProtocol, TriageRuleSet


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "brand",
        "concentration_pct",
        "manufacturer",
        "contains_sucrose",
        "contains_maltose",
        "contains_sorbitol",
    ]


class RateProtocolForm(forms.ModelForm):
    class Meta:
        model = RateProtocol
        fields = [
            "product",
            "indication",
            "infusion_type",
            "steps",
            "max_rate",
            "max_rate_unit",
            "at_risk_max_rate",
            "at_risk_max_rate_unit",
            "source",
        ]

    def clean_steps(self):
        steps = self.cleaned_data["steps"]
        services.rate_protocol_steps_check(steps)
        return steps


@admin.register(RateProtocol)
class RateProtocolAdmin(admin.ModelAdmin):
    form = RateProtocolForm
    list_display = ["product", "indication", "infusion_type", "max_rate", "max_rate_unit", "at_risk_max_rate"]
    list_filter = ["product", "indication"]


class RuleSetForm(forms.ModelForm):
    document = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "cols": 100}), label=_("rule set (JSON)"))

    class Meta:
        model = TriageRuleSet
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].initial = json.dumps(self._starting_point(), indent=1, ensure_ascii=False)

    def _starting_point(self) -> dict:
        # A new version starts from the one in use, so that an edit never quietly drops the
        # changes published since v1.
        if self.instance.pk:
            return self.instance.rules
        current = services.triage_ruleset_current()
        return current.rules if current else services.triage_ruleset_v1_document()

    def clean_document(self):
        try:
            document = json.loads(self.cleaned_data["document"])
        except json.JSONDecodeError as error:
            raise ValidationError(_("This is not valid JSON: %(error)s") % {"error": error}) from None
        try:
            services.triage_document_check(document)
        except ValidationError as error:
            raise ValidationError(error.message_dict["rules"]) from None
        return document


@admin.register(TriageRuleSet)
class TriageRuleSetAdmin(admin.ModelAdmin):
    """New versions start as drafts; submit, approve (by someone else) and publish are actions."""

    form = RuleSetForm
    list_display = ["version", "status", "author", "approved_by", "published_at"]
    readonly_fields = ["version", "status", "author", "approved_by", "approved_at", "published_at", "rules_shown"]
    actions = ["submit", "approve", "publish"]

    def get_readonly_fields(self, request, obj=None):
        # An existing version is read, never edited: its rules as indented JSON. A new one is
        # written in the form's document field.
        fields = super().get_readonly_fields(request, obj)
        return fields if obj else [f for f in fields if f != "rules_shown"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f != "document"] if obj else fields

    @admin.display(description=_("rule set (JSON)"))
    def rules_shown(self, obj):
        return format_html('<pre class="rules-json">{}</pre>', json.dumps(obj.rules, indent=1, ensure_ascii=False))

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.triage_ruleset_draft(author=request.user, document=form.cleaned_data["document"])
        adopt(obj, created)

    def _run(self, request, queryset, service, done):
        for ruleset in queryset:
            try:
                service(actor=request.user, ruleset=ruleset)
            except ValidationError as error:
                self.message_user(request, f"v{ruleset.version}: {'; '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"v{ruleset.version}: {done}", messages.SUCCESS)

    @admin.action(description=_("Submit for review"))
    def submit(self, request, queryset):
        self._run(request, queryset, services.triage_ruleset_submit, _("submitted for review"))

    @admin.action(description=_("Approve (a different person from the author)"))
    def approve(self, request, queryset):
        self._run(request, queryset, services.triage_ruleset_approve, _("approved"))

    @admin.action(description=_("Publish"))
    def publish(self, request, queryset):
        self._run(request, queryset, services.triage_ruleset_publish, _("published"))
