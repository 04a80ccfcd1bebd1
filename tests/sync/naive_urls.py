"""Test-only URLs: the app's own, plus two deliberately naive endpoints used as negative controls.

- `naive/hydration` creates a drink entry with a server-made id and no mutation id: a retried or
  duplicated POST makes a second row (what the sync push exists to prevent).
- `naive/pull` pages changes with a wall-clock cursor (`received_at > cursor`, cursor = the
  largest `received_at` seen): a row stamped early but committed late falls behind the cursor and
  is never sent (Airbyte #21500, JuiceFS #7521; what the per-scope version cursor exists to prevent).

Neither is reachable outside tests marked `@pytest.mark.urls("tests.sync.naive_urls")`.
"""

from django.db.models import Q
from django.urls import path
from django.utils.dateparse import parse_datetime
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ivigapp.reactions import services
from ivigapp.reactions.models import InfusionEpisode
from ivigapp.sync.pull import allowed_scopes
from ivigapp.sync.tables import TABLES
from ivigapp.urls import urlpatterns as app_urlpatterns


@api_view(["POST"])
def naive_hydration(request):
    """One POST, one new row; the server makes the id, so a replay cannot be recognised."""
    episode = InfusionEpisode.objects.get(pk=request.data["episode_id"], patient__user=request.user)
    log = services.hydration_record(
        actor=request.user,
        episode=episode,
        phase=request.data["phase"],
        volume_ml=int(request.data["volume_ml"]),
        logged_at=parse_datetime(request.data["logged_at"]),
    )
    return Response({"id": str(log.pk)}, status=status.HTTP_201_CREATED)


@api_view(["POST"])
def naive_pull(request):
    """Changes in the user's scopes with `received_at` after the cursor, oldest first, paged."""
    cursor = parse_datetime(request.data["cursor"]) if request.data.get("cursor") else None
    limit = int(request.data.get("limit", 100))
    wanted = Q(scope_id__in=allowed_scopes(request.user))
    if cursor is not None:
        wanted &= Q(received_at__gt=cursor)
    candidates = []
    for table in TABLES.values():
        for obj in table.model.objects.filter(wanted).order_by("received_at")[: limit + 1]:
            candidates.append((obj.received_at, table.name, obj))
    candidates.sort(key=lambda c: c[0])
    page = candidates[:limit]
    changes = [
        {"table": name, "id": str(obj.pk), "version": obj.version, "deleted": obj.deleted} for _, name, obj in page
    ]
    return Response(
        {
            "changes": changes,
            "cursor": page[-1][0].isoformat() if page else request.data.get("cursor"),
            "has_more": len(candidates) > limit,
        }
    )


urlpatterns = [
    path("naive/hydration", naive_hydration),
    path("naive/pull", naive_pull),
    *app_urlpatterns,
]
