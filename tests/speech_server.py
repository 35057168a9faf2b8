"""A real OpenAI-compatible speech endpoint for tests: POST /v1/audio/transcriptions on loopback.

It parses the multipart form the openai client sends (file, model, language, response_format),
keeps every request it got, and answers with what `transcriber(audio_bytes, language)` returns
(a dict in OpenAI's verbose_json shape). Started and stopped by the tests, also on failure.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_form(content_type: str, body: bytes) -> dict[str, bytes | str]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    form: dict[str, bytes | str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        form[name] = payload if part.get_filename() else payload.decode("utf-8")
    return form


@contextmanager
def speech_server(transcriber, status: int = 200):
    """(base_url, requests): a server on 127.0.0.1 and the list of forms it received."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.rstrip("/") != "/v1/audio/transcriptions":
                self.send_error(404)
                return
            form = parse_form(self.headers["Content-Type"], body)
            received.append({**form, "authorization": self.headers.get("Authorization")})
            reply = json.dumps({"error": "busy"} if status != 200 else transcriber(form["file"], form.get("language")))
            data = reply.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
