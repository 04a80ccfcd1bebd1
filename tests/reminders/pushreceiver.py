"""A Web Push service and browser in one, on loopback: it hands out subscriptions with real
P-256 keys, accepts what the app posts, decrypts each payload (RFC 8291, aes128gcm) and keeps it.
Endpoints whose id is in `gone` answer 410 like a push service whose subscription expired."""

import base64
import json
import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class PushReceiver:
    def __init__(self):
        self.keys = {}
        self.received = []  # (subscription id, headers, payload dict)
        self.connections = set()  # the senders' (host, port): one per TCP connection
        self.gone = set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as push services offer

            def log_message(self, *args):
                pass

            def do_POST(self):
                sub_id = self.path.rsplit("/", 1)[-1]
                with receiver.lock:
                    receiver.connections.add(self.client_address)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if sub_id in receiver.gone:
                    self.send_response(410)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                private_key, auth = receiver.keys[sub_id]
                plain = http_ece.decrypt(body, private_key=private_key, auth_secret=auth, version="aes128gcm")
                with receiver.lock:
                    receiver.received.append(
                        (sub_id, {k.lower(): v for k, v in self.headers.items()}, json.loads(plain))
                    )
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def subscription(self) -> dict:
        """What PushSubscription.toJSON() gives a browser."""
        sub_id = os.urandom(8).hex()
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self.keys[sub_id] = (private_key, auth)
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": f"{self.base}/push/{sub_id}", "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def tags(self) -> Counter:
        with self.lock:
            return Counter(payload["tag"] for _, _, payload in self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
