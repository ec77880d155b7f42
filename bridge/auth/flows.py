"""``pm-bridge connect``: the tool's authorization in a browser, then the token set into the vault.

Two ways back from the browser (docs/connect.md):

* the local callback: a one-request HTTP server on ``127.0.0.1:<oauth.redirect_port>`` receives
  the redirect, checks ``state`` (so a page elsewhere cannot plant its own code), and stops;
* paste: for a server without a browser, the user opens the address anywhere, and pastes back the
  address the browser was sent to (or just the code, or Trello's token).

Trello sends its token in the URL fragment, which never reaches a server: the callback answers
the first request with a small page that sends the fragment back as a query.
"""

from __future__ import annotations

import http.server
import secrets as random
import threading
import urllib.parse
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bridge import secrets
from bridge.auth.credential import ToolAuth
from bridge.auth.vault import Held, Vault
from bridge.config.connection import ConnectionConfig
from bridge.errors import AuthError, ConfigError

CALLBACK_PATH = "/callback"
_FRAGMENT_PAGE = b"""<!doctype html><title>pm-bridge</title><script>
var back = location.hash.slice(1);
if (back) { location.replace(location.pathname + location.search + (location.search ? "&" : "?") + back); }
else { document.write("No token in this address: copy it into pm-bridge connect --paste."); }
</script>"""
_DONE_PAGE = b"<!doctype html><title>pm-bridge</title><p>pm-bridge is connected. You can close this tab.</p>"


def redirect_uri(connection: ConnectionConfig) -> str:
    port = connection.oauth.redirect_port if connection.oauth else 8765
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


@dataclass
class Answer:
    """What came back from the browser: the code (or Trello's token), the state it carried, or the tool's error."""

    code: str | None = None
    state: str | None = None
    error: str | None = None


def read_answer(pasted: str, fragment: bool) -> Answer:
    """The user's paste: the whole address the browser went to, or the bare code/token."""
    text = pasted.strip()
    if not text.startswith(("http://", "https://")):
        return Answer(code=text or None)
    parts = urllib.parse.urlsplit(text)
    found = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
    found |= {k: v[-1] for k, v in urllib.parse.parse_qs(parts.fragment).items()}
    return _answer(found, fragment)


def _answer(found: dict[str, str], fragment: bool) -> Answer:
    code = found.get("token" if fragment else "code")
    return Answer(code=code, state=found.get("state"), error=found.get("error_description") or found.get("error"))


class LocalCallback:
    """One HTTP server on 127.0.0.1 that waits for the browser's redirect."""

    def __init__(self, port: int, fragment: bool) -> None:
        self.fragment = fragment
        self.answer: Answer | None = None
        self._arrived = threading.Event()
        callback = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                parts = urllib.parse.urlsplit(self.path)
                found = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
                if parts.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                answer = _answer(found, callback.fragment)
                if callback.fragment and answer.code is None and answer.error is None:
                    self._reply(_FRAGMENT_PAGE)  # the token is in the fragment: have the page send it back
                    return
                self._reply(_DONE_PAGE)
                callback.answer = answer
                callback._arrived.set()

            def _reply(self, page: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
                pass  # the request line carries the code: never log it

        try:
            self.server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port} for the callback: {exc.strerror}",
                              hint="free the port, set oauth.redirect_port (and the app's redirect URI), "
                                   "or use --paste") from None
        self._thread = threading.Thread(target=self.server.serve_forever, name="pm-bridge-callback", daemon=True)

    def __enter__(self) -> LocalCallback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout: float) -> Answer:
        if not self._arrived.wait(timeout):
            raise AuthError(f"no answer from the browser within {timeout:.0f} s",
                            hint="run pm-bridge connect again, or use --paste on a machine without a browser")
        assert self.answer is not None
        return self.answer


def connect(
    name: str,
    connection: ConnectionConfig,
    tool: ToolAuth,
    vault: Vault,
    http: httpx.Client,
    epoch: Callable[[], float],
    *,
    paste: bool = False,
    open_browser: bool = True,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
    timeout: float = 300.0,
) -> Held:
    """Authorize ``name`` and keep its token set in ``vault``; the token is never printed."""
    if not tool.interactive:
        return vault.save(name, connection.auth, tool.exchange(connection, "", "", http, epoch()))
    state = random.token_urlsafe(24)
    back = redirect_uri(connection)
    address = tool.authorize_url(connection, back, state)
    if paste:
        say(f"Open this address in any browser and approve pm-bridge:\n\n  {address}\n")
        say(f"The browser then goes to {back}... (which may not load here): copy that whole address.")
        answer = read_answer(ask("Paste the address (or the code): "), tool.code_in_fragment)
    else:
        with LocalCallback(int(back.rsplit(":", 1)[1].split("/")[0]), tool.code_in_fragment) as callback:
            say(f"Approve pm-bridge in your browser; if it does not open, open:\n\n  {address}\n")
            if open_browser:
                webbrowser.open(address)
            answer = callback.wait(timeout)
    if answer.error:
        raise AuthError(f"{connection.kind} refused the authorization: {secrets.redact(answer.error)}",
                        hint=f"run `pm-bridge connect {name}` again and approve")
    if answer.state is not None and answer.state != state or (answer.state is None and not paste):
        raise AuthError("the answer from the browser does not carry this request's state: refused",
                        hint=f"run `pm-bridge connect {name}` again")
    if not answer.code:
        raise AuthError("no code in the answer from the browser", hint="paste the whole address the browser went to")
    secrets.register(answer.code)
    credential = tool.exchange(connection, answer.code, back, http, epoch())
    return vault.save(name, connection.auth, credential)
