from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ivigapp.core.admin import adopt
from ivigapp.protocols import services
from ivigapp.protocols.content import admin as content_admin  # noqa: F401  (registers the content admin)
from ivigapp.protocols.models import Product, RateProtocol, TriageRuleSet
from ivigapp.protocols.signoff_admin import DocumentForm, SignedOffAdmin, SignOffActions


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Once a plan uses a product, its concentration is only read: plans convert their rates and
    caps with it (a product of another strength is another product)."""

    list_display = [
        "brand",
        "concentration_pct",
        "manufacturer",
        "contains_sucrose",
        "contains_maltose",
        "contains_sorbitol",
    ]

    def get_readonly_fields(self, request, obj=None):
        from ivigapp.reactions.models import Plan

        if obj is not None and Plan.objects.filter(product=obj).exists():
            return ["concentration_pct"]
        return []


class RateProtocolForm(forms.ModelForm):
    class Meta:
        model = RateProtocol
        fields = [*RateProtocol.USE, *services.RATE_PROTOCOL_FIELDS]

    def clean_steps(self):
        steps = self.cleaned_data["steps"]
        try:
            services.rate_protocol_steps_check(steps)
        except ValidationError as error:  # the service names its field; clean_<field> may not
            raise ValidationError(error.message_dict["steps"]) from None
        return steps

    def clean(self):
        data = super().clean()
        if not self.errors:  # the service's checks, on the form's fields (a draft being edited has them all)
            fields = {name: data.get(name, getattr(self.instance, name)) for name in services.RATE_PROTOCOL_FIELDS}
            services.rate_protocol_check(fields)
        return data


SIGNOFF_FIELDS = ["version", "status", "author", "approved_by", "approved_at", "published_at"]


@admin.register(RateProtocol)
class RateProtocolAdmin(SignOffActions):
    """A new protocol, or a new version of one ("Start a new version" on the version in use), is a
    draft its author may edit; then it is signed off like the other clinical content. A version
    submitted for review, approved, published or retired is only read."""

    form = RateProtocolForm
    list_display = ["product", "indication", "infusion_type", "version", "status", "max_rate", "max_rate_unit"]
    list_filter = ["status", "product", "indication"]
    list_select_related = ["product"]
    actions = ["new_version", *SignOffActions.actions]

    def version_label(self, obj) -> str:
        return f"{obj.product} {obj.indication} {obj.infusion_type} v{obj.version}"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The use (product, indication, kind of infusion) is part of a version's identity.
        return ["product", "indication", "infusion_type", *SIGNOFF_FIELDS]

    def get_fields(self, request, obj=None):
        return [*RateProtocolForm.Meta.fields, *SIGNOFF_FIELDS] if obj else RateProtocolForm.Meta.fields

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.RATE_PROTOCOL_FIELDS if name in form.cleaned_data}
        if change:
            adopt(obj, services.rate_protocol_update(actor=request.user, protocol=obj, **fields))
            return
        use = {name: form.cleaned_data[name] for name in RateProtocol.USE}
        adopt(obj, services.rate_protocol_draft(author=request.user, **use, **fields))

    def publish_service(self, *, actor, obj):
        return services.rate_protocol_publish(actor=actor, protocol=obj)

    @admin.action(description=_("Start a new version from this one"))
    def new_version(self, request, queryset):
        for protocol in queryset:
            try:
                draft = services.rate_protocol_new_version(author=request.user, protocol=protocol)
            except ValidationError as error:  # say, steps today's checks refuse: copy by hand and fix
                outcome, level, label = "; ".join(error.messages), messages.ERROR, self.version_label(protocol)
            else:
                outcome, level, label = _("a new draft to edit"), messages.SUCCESS, self.version_label(draft)
            self.message_user(request, f"{label}: {outcome}", level)


class RuleSetForm(DocumentForm):
    document_attr = "rules"

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

    def update(self, request, obj, document):
        return services.triage_ruleset_update(actor=request.user, ruleset=obj, document=document)

    def publish_service(self, *, actor, obj):
        return services.triage_ruleset_publish(actor=actor, ruleset=obj)
