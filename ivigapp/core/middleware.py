from ivigapp.core.requestid import request_id_end, request_id_start


class RequestIdMiddleware:
    """Gives every request an id (a sane incoming X-Request-ID is kept) and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id, token = request_id_start(request.headers.get("X-Request-ID"))
        try:
            response = self.get_response(request)
        finally:
            request_id_end(token)
        response["X-Request-ID"] = request.request_id
        return response


class NoStoreMiddleware:
    """Dynamic responses may carry patient data: no cache may keep them unless a view opts in.

    Static files never reach this middleware (WhiteNoise answers them first), and views that
    serve immutable, non-personal content set their own Cache-Control.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
