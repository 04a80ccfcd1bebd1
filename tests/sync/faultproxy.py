"""A small asyncio TCP proxy on 127.0.0.1 that misbehaves like a bad mobile network (SYNC.md B1).

It sits in front of the live server and, for each HTTP request, with seeded probabilities:

- drops the response: forwards the request, waits for the server's complete answer, then closes
  the client's connection without sending it (the write happened, the client never hears);
- duplicates the request: sends it to the server twice, concurrently (the client gets one answer);
- delays it by 0 to `max_delay` seconds before forwarding.

One request per client connection: the proxy asks the server to close after answering
(`Connection: close`), so "the server answered" means "the server closed the socket". The proxy
runs its own event loop in a daemon thread and stops when the `with` block ends; every wait is
bounded. `counts` says what it actually did (and every status the server answered, including
answers to duplicates that no client reads), so a test can prove the faults happened.
"""

import asyncio
import random
import threading
from collections import Counter

HEAD_LIMIT = 64 * 1024


class FaultProxy:
    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        seed: int = 0,
        p_drop_response: float = 0.0,
        p_duplicate: float = 0.0,
        p_delay: float = 0.0,
        max_delay: float = 0.2,
        upstream_timeout: float = 30.0,
    ):
        self.upstream = upstream
        self.random = random.Random(seed)
        self.p_drop_response, self.p_duplicate, self.p_delay = p_drop_response, p_duplicate, p_delay
        self.max_delay, self.upstream_timeout = max_delay, upstream_timeout
        self.counts = Counter()
        self.host, self.port = "127.0.0.1", None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # Lifecycle -------------------------------------------------------------------------------

    def __enter__(self):
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        if not self._thread.is_alive():
            return

        async def shutdown():
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        self._thread.join(timeout)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.counts)

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    # One client connection = one request -----------------------------------------------------

    def _decide(self) -> tuple[float, bool, bool]:
        # Always draw all four numbers, so the fault sequence depends only on the seed and the
        # order in which requests arrive.
        with self._lock:
            delay_roll, delay, dup_roll, drop_roll = (self.random.random() for _ in range(4))
        delay = delay * self.max_delay if delay_roll < self.p_delay else 0.0
        return delay, dup_roll < self.p_duplicate, drop_roll < self.p_drop_response

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(_read_request(reader), timeout=self.upstream_timeout)
            if request is None:
                self._count("empty_connections")
                return
            self._count("requests")
            delay, duplicate, drop = self._decide()
            if delay:
                self._count("delayed")
                await asyncio.sleep(delay)
            copies = 2 if duplicate else 1
            answers = await asyncio.gather(*(self._roundtrip(request) for _ in range(copies)), return_exceptions=True)
            self._count("forwarded", copies)
            if duplicate:
                self._count("duplicated")
            for copy in answers:  # every answer the server gave, including the one nobody reads
                status = copy.split(b" ", 2)[1].decode() if isinstance(copy, bytes) and copy else "none"
                self._count(f"status_{status}")
            answer = answers[0]
            if isinstance(answer, BaseException) or not answer:
                self._count("upstream_errors")
                return
            if drop:
                self._count("dropped_responses")
                return
            self._count("answered")
            writer.write(_closing(answer))
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            self._count("client_errors")
        finally:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), timeout=1)
            except (TimeoutError, ConnectionError):
                pass

    async def _roundtrip(self, request: bytes) -> bytes:
        async def exchange():
            reader, writer = await asyncio.open_connection(*self.upstream)
            try:
                writer.write(request)
                await writer.drain()
                return await reader.read(-1)  # the server closes after its answer
            finally:
                writer.close()

        return await asyncio.wait_for(exchange(), timeout=self.upstream_timeout)


def _without_connection_headers(lines: list[bytes]) -> list[bytes]:
    return [
        line
        for line in lines
        if line.partition(b":")[0].strip().lower() not in (b"connection", b"keep-alive", b"proxy-connection")
    ]


def _closing(response: bytes) -> bytes:
    """The server's answer, telling the client that this connection ends here (so it never reuses
    a pooled connection the proxy has closed)."""
    head, separator, body = response.partition(b"\r\n\r\n")
    if not separator:
        return response
    status_line, *header_lines = head.split(b"\r\n")
    return (
        b"\r\n".join([status_line, *_without_connection_headers(header_lines), b"Connection: close"]) + separator + body
    )


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP/1.1 request with a Content-Length body, rewritten to `Connection: close`."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            return None  # the client opened and closed without a request
        raise
    if len(head) > HEAD_LIMIT:
        raise ConnectionError("request head too large")
    request_line, *header_lines = head[:-4].split(b"\r\n")
    headers, length = _without_connection_headers(header_lines), 0
    for line in headers:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value.strip())
        if key == b"transfer-encoding":
            raise ConnectionError("chunked request bodies are not supported")
    body = await reader.readexactly(length) if length else b""
    return b"\r\n".join([request_line, *headers, b"Connection: close"]) + b"\r\n\r\n" + body


# The client side ------------------------------------------------------------------------------


def http_session(base_url: str, user):
    """A `requests` session logged in as `user` against a live server (or a proxy in front of it).

    The session comes from Django's test client (`force_login`); the CSRF cookie from the login
    page. Both cookies are set by hand, without a domain or Secure flag, so they are sent to any
    loopback host and port; unsafe requests carry the matching X-CSRFToken header, as the PWA does.
    """
    import requests
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(max_retries=0))
    http.trust_env = False  # loopback only: never a proxy from the environment
    page = http.get(f"{base_url}/accounts/login/", timeout=10)  # anonymous: the form sets the CSRF cookie
    page.raise_for_status()
    token = page.cookies.get(settings.CSRF_COOKIE_NAME)
    assert token, "the login page sets a CSRF cookie"
    http.cookies.clear()
    http.cookies.set(settings.CSRF_COOKIE_NAME, token)
    http.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    http.headers["X-CSRFToken"] = token
    return http
