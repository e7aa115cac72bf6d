"""A tiny HTTP server on a free port that records what it receives (a webhook receiver)."""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # The status codes to answer, in turn; 200 once they are used up.
    answers: list[int] = field(default_factory=list)
    redirect_to: str = ""
    # Called before answering (to look at the database while the sender waits).
    on_request: Callable[[], object] | None = None

    @property
    def ids(self) -> list[str]:
        return [request.headers["webhook-id"] for request in self.received]


def start() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.received.append(
                Received({k.lower(): v for k, v in self.headers.items()}, body)
            )
            if receiver.on_request:
                receiver.on_request()
            code = receiver.answers.pop(0) if receiver.answers else 200
            if receiver.redirect_to:
                code = 307
            self.send_response(code)
            if receiver.redirect_to:
                self.send_header("Location", receiver.redirect_to)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return receiver, server
