from django import forms
from django.contrib import admin

from ivigapp.protocols import services
from ivigapp.protocols.content import admin as content_admin  # noqa: F401  (registers the content admin)
from ivigapp.protocols.models import Product, RateProtocol, TriageRuleSet
from ivigapp.protocols.signoff_admin import DocumentForm, SignedOffAdmin


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


class RuleSetForm(DocumentForm):
    class Meta:
        model = TriageRuleSet
        fields = []

    def starting_point(self) -> dict:
        # A new version starts from the one in use, so that an edit never quietly drops the
        # changes published since v1.
        current = services.triage_ruleset_current()
        return current.rules if current else services.triage_ruleset_v1_document()

    def check(self, document) -> None:
        services.triage_document_check(document)


@admin.register(TriageRuleSet)
class TriageRuleSetAdmin(SignedOffAdmin):
    form = RuleSetForm
    document_attr = "rules"

    def draft(self, request, document):
        return services.triage_ruleset_draft(author=request.user, document=document)
