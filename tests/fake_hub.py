"""A small fake Hugging Face Hub (stdlib ``http.server`` on 127.0.0.1) that records what a client pushes.

    with FakeHub() as hub:                 # serves in a thread; hub.endpoint == "http://127.0.0.1:<port>"
        env = hub.client_env()             # HF_ENDPOINT, HF_TOKEN, HF_HUB_DISABLE_XET=1, HF_HUB_OFFLINE=0
        subprocess.run([...], env=env)     # set before huggingface_hub is imported, so use a subprocess
        hub.files["tester/model"]["README.md"]  # bytes of every committed file

It answers what ``huggingface_hub`` needs to create a repo and commit regular (non-LFS, non-Xet) files:
``GET /api/whoami-v2``, ``POST /api/repos/create``, ``POST /api/validate-yaml``,
``POST /api/models/{repo}/preupload/{rev}`` and ``POST /api/models/{repo}/commit/{rev}`` (NDJSON, base64 files).
Anything else gets a 404 and is listed in ``hub.unhandled``, so a test can show what a client asked for.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


USER = "tester"
TOKEN = "hf_fake_token_for_tests"


class FakeHub:
    def __init__(self):
        self.repos: set[str] = set()
        self.files: dict[str, dict[str, bytes]] = {}
        self.commits: list[dict] = []
        self.unhandled: list[str] = []
        self.authorized: list[bool] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def client_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(base or {})
        env.update(HF_ENDPOINT=self.endpoint, HF_TOKEN=TOKEN, HF_HUB_DISABLE_XET="1", HF_HUB_OFFLINE="0")
        env.update(HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_ETAG_TIMEOUT="5", HF_HUB_DOWNLOAD_TIMEOUT="5")
        return env

    # --- API ---------------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        if method == "GET" and path == "/api/whoami-v2":
            return 200, {"type": "user", "name": USER, "orgs": [], "auth": {"type": "access_token"}}
        if method == "POST" and path == "/api/repos/create":
            request = json.loads(body)
            repo = f"{request.get('organization') or USER}/{request['name']}"
            if repo in self.repos:
                return 409, {"error": "You already created this model repo", "url": f"{self.endpoint}/{repo}"}
            self.repos.add(repo)
            self.files[repo] = {}
            return 200, {"url": f"{self.endpoint}/{repo}", "name": repo, "id": repo}
        if method == "POST" and path == "/api/validate-yaml":
            return 200, {"errors": [], "warnings": []}
        match = re.fullmatch(r"/api/models/([^/]+/[^/]+)/(preupload|commit)/([^/?]+)", path)
        if method == "POST" and match:
            repo, action, _ = match.groups()
            if repo not in self.repos:
                return 404, {"error": f"Repository {repo} not found"}
            if action == "preupload":
                files = json.loads(body)["files"]
                return 200, {
                    "files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]
                }
            return self._commit(repo, body)
        self.unhandled.append(f"{method} {path}")
        return 404, {"error": f"fake hub: no route for {method} {path}"}

    def _commit(self, repo: str, body: bytes) -> tuple[int, dict]:
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        header = next(line["value"] for line in lines if line["key"] == "header")
        written = {}
        for line in lines:
            if line["key"] == "file":
                value = line["value"]
                if value.get("encoding") != "base64":
                    return 400, {"error": f"unexpected encoding {value.get('encoding')!r}"}
                written[value["path"]] = base64.b64decode(value["content"])
            elif line["key"] != "header":
                return 400, {"error": f"fake hub only takes regular files, got {line['key']!r}"}
        self.files[repo].update(written)
        sha = hashlib.sha1(body).hexdigest()
        self.commits.append({"repo": repo, "summary": header.get("summary"), "files": sorted(written), "sha": sha})
        return 200, {"commitUrl": f"{self.endpoint}/{repo}/commit/{sha}", "commitOid": sha, "pullRequestUrl": None}


def _handler(hub: FakeHub):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            hub.authorized.append(self.headers.get("Authorization") == f"Bearer {TOKEN}")
            status, payload = hub.handle(self.command, self.path.split("?")[0], body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_HEAD = _serve

        def log_message(self, *args) -> None:  # quiet
            pass

    return Handler


if __name__ == "__main__":  # serve until interrupted, for trying a push by hand
    with FakeHub() as hub:
        print("\n".join(f"export {k}={v}" for k, v in hub.client_env().items()), flush=True)
        threading.Event().wait()
