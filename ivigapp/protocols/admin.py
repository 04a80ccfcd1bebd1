import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
        source = self.instance.rules if self.instance.pk else services.triage_ruleset_v1_document()
        self.fields["document"].initial = json.dumps(source, indent=1, ensure_ascii=False)

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
    readonly_fields = ["version", "status", "author", "approved_by", "approved_at", "published_at"]
    actions = ["submit", "approve", "publish"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.triage_ruleset_draft(author=request.user, document=form.cleaned_data["document"])
        obj.pk = created.pk

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
