"""The three roles, as Django groups. A user holds at most one of them."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

ROLE_PATIENT = "patient"
ROLE_NURSE = "nurse"
ROLE_ADMIN = "clinical_admin"
STAFF_ROLES = {ROLE_NURSE, ROLE_ADMIN}
# Not a role of its own: nurses in this group also receive escalations of overdue alerts.
GROUP_ON_CALL = "on_call"

# Model permissions each group holds, as "app_label.codename". Administrators manage accounts,
# care teams and enrolment data in the Django admin; clinical rows stay behind the access module.
ROLE_PERMISSIONS = {
    ROLE_PATIENT: [],
    ROLE_NURSE: ["patients.view_patient", "patients.view_careassignment"],
    ROLE_ADMIN: [
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_careassignment",
        "patients.add_careassignment",
        "patients.change_careassignment",
        "patients.view_region",
        "patients.add_region",
        "patients.change_region",
        "audit.view_auditevent",
        "protocols.view_product",
        "protocols.add_product",
        "protocols.change_product",
        "protocols.view_rateprotocol",
        "protocols.add_rateprotocol",
        "protocols.change_rateprotocol",
        "protocols.view_triageruleset",
        "protocols.add_triageruleset",
        "protocols.view_contentitem",
        "protocols.add_contentitem",
        "protocols.change_contentitem",
        "protocols.view_contentversion",
        "protocols.add_contentversion",
        "protocols.change_contentversion",
        "protocols.view_contenttranslation",
        "protocols.change_contenttranslation",
        "reactions.view_plan",
        "reactions.add_plan",
        "reactions.change_plan",
    ],
}


def user_role(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_ivig_role", "unset")
    if cached != "unset":
        return cached
    if user.is_superuser:
        role = ROLE_ADMIN
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = next((r for r in (ROLE_ADMIN, ROLE_NURSE, ROLE_PATIENT) if r in names), None)
    user._ivig_role = role
    return role


def is_staff_role(user) -> bool:
    return user_role(user) in STAFF_ROLES


def roles_ensure() -> None:
    """Creates the groups and gives them exactly their permissions (idempotent)."""
    # Permissions of apps migrated after this one may not exist yet: make them first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    Group.objects.get_or_create(name=GROUP_ON_CALL)
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
