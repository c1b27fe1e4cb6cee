"""The Rules page in a real browser: read, break, fix, preview the impact, save; and a proxy's user header.

Runs `riskcheck app` on a loopback port with RISKCHECK_HOME pointing to a copy of the rules and two
scenarios (the bundled files are never touched), driven by Debian's chromium through playwright.
Screenshots of the editing flow go to out/screenshots/ (06-... to 10-...). Every wait is bounded
and every server started here is stopped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.app.test_rules_files import CHANGES, broken, lowered, make_home

from .server import free_port, serve
from .test_browser import CHROMIUM, FLAGS, ROOT, WAIT_MS, shot, sync_api

NAME = "baseline.yaml"


@pytest.fixture(autouse=True)
def patient_expect():
    """Assertions wait up to WAIT_MS (the first render can take seconds on a loaded machine), then
    the default comes back for other modules."""
    sync_api.expect.set_options(timeout=WAIT_MS)
    yield
    sync_api.expect.set_options(timeout=5_000)


@contextmanager
def app_server(tmp: Path, env: dict[str, str], port: int | None = None, cwd: Path = ROOT) -> Iterator[str]:
    port = port or free_port()
    log = tmp / "server.log"
    riskcheck = Path(sys.executable).with_name("riskcheck")
    cmd = [
        str(riskcheck),
        "app",
        "--port",
        str(port),
        "--address",
        "127.0.0.1",
        "--db",
        f"sqlite:///{tmp / 'h.db'}",
    ]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RISKCHECK_")} | env
    with serve(cmd, port, log, env=full_env, cwd=cwd) as url:
        yield url


@contextmanager
def browser_page(headers: dict[str, str] | None = None):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 2000}, extra_http_headers=headers
            )
            pg = context.new_page()
            pg.set_default_timeout(WAIT_MS)
            yield pg
        finally:
            browser.close()


EDITOR_FRAME = 'iframe[title="code_editor.code_editor"]'


def ace(page, script: str):
    """Run ``script`` (a function of the Ace editor object) inside the code editor's frame."""
    frame = page.frame_locator(EDITOR_FRAME)
    frame.locator(".ace_editor").wait_for()
    return frame.locator(".ace_editor").evaluate(f"el => ({script})(el.env.editor)")


def type_into_editor(page, text: str) -> None:
    """Replace the editor's text as a paste would; the editor sends it once typing stops."""
    ace(page, f"ed => ed.setValue({json.dumps(text)}, -1)")


def test_rules_page_editing_flow(tmp_path):
    home = make_home(tmp_path)
    path = home / "rules" / NAME
    original = path.read_text()
    expect = sync_api.expect
    with app_server(tmp_path, {"RISKCHECK_HOME": str(home)}) as url, browser_page() as page:
        page.goto(f"{url}/rules", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="Rule sets")).to_be_visible()
        expect(page.get_by_text("Criterion 2(a): internal repression", exact=True).first).to_be_visible()
        shot(page, "06-rules-read.png")

        page.get_by_role("tab", name="Edit", exact=True).click()
        frame = page.frame_locator(EDITOR_FRAME)
        expect(frame.locator(".ace_editor")).to_be_visible()
        # a code editor: line numbers in a gutter, YAML highlighting, long lines not wrapped but scrolled
        expect(frame.locator(".ace_gutter-cell").first).to_have_text("1")
        expect(frame.locator(".ace_meta, .ace_keyword, .ace_string").first).to_be_visible()
        assert ace(page, "ed => ed.session.getMode().$id") == "ace/mode/yaml"
        assert ace(page, "ed => ed.session.getUseWrapMode()") is False
        width = page.locator(EDITOR_FRAME).bounding_box()["width"]
        main = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
        assert width > 0.85 * main, (width, main)  # the page's whole width, not half of it
        bad, line = broken(original)
        type_into_editor(page, bad)
        expect(
            page.get_by_text("1 problem: this text cannot be saved until it is fixed.", exact=False)
        ).to_be_visible()
        expect(page.get_by_text(f"Line {line}, column", exact=False)).to_be_visible()
        expect(page.get_by_role("button", name="Save", exact=True)).to_be_disabled()
        # the problem is marked at its line in the editor, and "Go to line" moves the cursor there
        page.wait_for_function(
            """([sel, line]) => {
                 const f = document.querySelector(sel);
                 const el = f && f.contentDocument && f.contentDocument.querySelector('.ace_editor');
                 return el && el.env.editor.session.getAnnotations().some(a => a.row === line - 1 && a.type === 'error');
               }""",
            arg=[EDITOR_FRAME, line],
        )
        ace(page, "ed => { ed.gotoLine(1, 0, false); ed.scrollToLine(0, false, false, () => {}); }")
        page.get_by_role("button", name=f"Go to line {line}", exact=True).click()
        page.wait_for_function(
            """([sel, line]) => {
                 const f = document.querySelector(sel);
                 const el = f && f.contentDocument && f.contentDocument.querySelector('.ace_editor');
                 return el && el.env.editor.getCursorPosition().row === line - 1;
               }""",
            arg=[EDITOR_FRAME, line],
        )
        first, last = ace(page, "ed => [ed.renderer.getFirstVisibleRow(), ed.renderer.getLastVisibleRow()]")
        assert first <= line - 1 <= last, (first, last, line)
        # typing elsewhere does not move the view: the text stays where the reviewer is
        assert ace(page, "ed => ed.getValue()") == bad
        shot(page, "07-rules-invalid-edit.png")

        type_into_editor(page, lowered(original))
        expect(page.get_by_text("Valid: no problem found.", exact=True)).to_be_visible()
        impact = page.locator(f'[data-testid="rc-impact"][data-scenario="{CHANGES}"]')
        expect(impact).to_have_attribute("data-new", "deny")
        expect(page.get_by_text("1 of 2 scenarios change outcome", exact=False)).to_be_visible()
        page.get_by_text(f"Why {CHANGES} changes", exact=True).click()
        shot(page, "08-rules-impact-preview.png")

        page.get_by_label("Why this change", exact=False).fill(
            "Lower the clear-risk thresholds (review 2025)"
        )
        page.get_by_label("Why this change", exact=False).press("Enter")
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("recorded as rule edit #1", exact=False)).to_be_visible()
        shot(page, "09-rules-saved.png")
        assert path.read_text() == lowered(original)
        assert len(list((home / "rules" / ".versions").glob(f"{NAME}.*.bak"))) == 1

        page.get_by_role("tab", name="Edit log", exact=True).click()
        expect(page.get_by_text("1 rule edits recorded; hash chain intact.", exact=True)).to_be_visible()
        shot(page, "10-rules-edit-log.png")


def headers_reach_websockets() -> bool:
    """Whether this chromium sends a context's extra HTTP headers on the WebSocket handshake, where
    Streamlit reads them (st.context.headers). Debian's chromium 150 sends them on page requests only;
    a real proxy sets them on both. A throwaway Starlette server (Streamlit's own) records what arrives."""
    import threading

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route, WebSocketRoute

    seen: dict[str, str | None] = {}

    async def page(request):
        return HTMLResponse(
            "<script>const w=new WebSocket('ws://'+location.host+'/ws');"
            "w.onopen=()=>{document.body.dataset.open='1'}</script>"
        )

    async def ws(websocket):
        seen["ws"] = websocket.headers.get("x-forwarded-user")
        await websocket.accept()
        await websocket.close()

    port = free_port()
    app = Starlette(routes=[Route("/", page), WebSocketRoute("/ws", ws)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    try:
        while not server.started:
            time.sleep(0.05)
        with browser_page({"X-Forwarded-User": "probe"}) as pg:
            pg.goto(f"http://127.0.0.1:{port}/")
            pg.wait_for_selector("body[data-open='1']", state="attached")
    finally:
        server.should_exit = True
    return seen.get("ws") == "probe"


def test_a_proxy_header_names_the_reviewer_only_when_trusted(tmp_path):
    if not headers_reach_websockets():
        pytest.skip(
            "this chromium does not send extra HTTP headers on the WebSocket handshake, where the app "
            "reads the proxy's header; tests/test_access.py covers the header rules"
        )
    home = make_home(tmp_path)
    env = {"RISKCHECK_HOME": str(home), "RISKCHECK_AUTH": "proxy", "RISKCHECK_REVIEWERS": "alice"}
    expect = sync_api.expect
    with app_server(tmp_path, env) as url:
        with browser_page({"X-Forwarded-User": "alice"}) as page:
            page.goto(f"{url}/rules", wait_until="domcontentloaded")
            page.get_by_role("tab", name="Edit", exact=True).click()
            expect(
                page.get_by_text("You may save edits (alice is a named reviewer", exact=False)
            ).to_be_visible()
        with browser_page({"X-Forwarded-User": "mallory"}) as page:
            page.goto(f"{url}/rules", wait_until="domcontentloaded")
            page.get_by_role("tab", name="Edit", exact=True).click()
            expect(page.get_by_text("mallory is not a named reviewer", exact=False)).to_be_visible()
        with browser_page() as page:
            page.goto(f"{url}/rules", wait_until="domcontentloaded")
            expect(
                page.get_by_text("No user was named by the X-Forwarded-User header", exact=False)
            ).to_be_visible()


# --- OpenID Connect: docs/deployment.md's configuration against a local provider ---------------------------


class MockProvider:
    """A minimal OpenID provider on loopback: discovery, authorize (signs in ``email`` at once), token
    (an RS256 id_token carrying the nonce), JWKS. Enough for Authlib, which Streamlit's st.login uses."""

    def __init__(self, email: str):
        import http.server
        import json
        import secrets
        import threading
        import urllib.parse

        from joserfc import jwt
        from joserfc.jwk import RSAKey

        self.email = email
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.codes: dict[str, str] = {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args):  # quiet
                pass

            def _json(self, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                url = urllib.parse.urlparse(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    b = provider.base
                    self._json(
                        {
                            "issuer": b,
                            "authorization_endpoint": f"{b}/authorize",
                            "token_endpoint": f"{b}/token",
                            "jwks_uri": f"{b}/jwks",
                            "response_types_supported": ["code"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = (q.get("nonce", ""), q.get("client_id", ""))
                    target = f"{q['redirect_uri']}?" + urllib.parse.urlencode(
                        {"code": code, "state": q["state"]}
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                nonce, client_id = provider.codes.pop(form.get("code", ""), ("", ""))
                if self.path != "/token" or not client_id:
                    self.send_error(400)
                    return
                now = int(time.time())
                claims = {
                    "iss": provider.base,
                    "sub": "user-1",
                    "aud": client_id,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": nonce,
                    "email": provider.email,
                    "name": "Alice Reviewer",
                }
                id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, provider.key)
                self._json(
                    {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
                )

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MockProvider:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def readme_oidc_secrets(app_url: str, provider: MockProvider) -> str:
    """docs/deployment.md's example secrets.toml, with the example hosts swapped for the local ones."""
    readme = (ROOT / "docs" / "deployment.md").read_text()
    after = readme[readme.index("<!-- oidc-example") :]
    block = after[after.index("```toml\n") + len("```toml\n") :]
    block = block[: block.index("```")]
    block = block.replace("https://riskcheck.example.org", app_url)
    block = block.replace(
        "https://login.example.org/realms/ministry/.well-known/openid-configuration",
        f"{provider.base}/.well-known/openid-configuration",
    )
    assert app_url in block and provider.base in block, "the docs/deployment.md example changed shape"
    return block


def test_oidc_sign_in_with_the_readme_configuration(tmp_path):
    pytest.importorskip("authlib", reason="st.login needs Authlib (pip install 'streamlit[auth]')")
    home = make_home(tmp_path)
    expect = sync_api.expect
    with MockProvider("alice@example.org") as provider:
        port = free_port()
        app_url = f"http://127.0.0.1:{port}"
        (tmp_path / ".streamlit").mkdir()
        (tmp_path / ".streamlit" / "secrets.toml").write_text(readme_oidc_secrets(app_url, provider))
        with (
            app_server(tmp_path, {"RISKCHECK_HOME": str(home)}, port=port, cwd=tmp_path) as url,
            browser_page() as page,
        ):
            page.goto(url, wait_until="domcontentloaded")
            expect(page.get_by_text("Sign in to use riskcheck.", exact=True)).to_be_visible()
            expect(page.get_by_role("link", name="Assess")).to_have_count(0)  # nothing before signing in
            page.get_by_role("button", name="Sign in", exact=True).click()
            expect(
                page.get_by_text("alice@example.org · OpenID Connect sign-in", exact=False)
            ).to_be_visible()
            page.goto(f"{url}/rules", wait_until="domcontentloaded")
            page.get_by_role("tab", name="Edit", exact=True).click()
            expect(
                page.get_by_text("You may save edits (alice@example.org is a named reviewer", exact=False)
            ).to_be_visible()
            shot(page, "11-rules-oidc-reviewer.png")
