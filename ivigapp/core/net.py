from django.conf import settings


def client_ip(request) -> str:
    """The client's address. X-Forwarded-For counts only behind TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it saw, so the client is the entry that many places
    from the right; anything further left was written by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if not hops:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return forwarded[-hops]
