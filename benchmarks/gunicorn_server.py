"""Starting the app under gunicorn for the benchmarks that time real HTTP (intake.py, sms_webhook.py)."""
from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, port: int, workers: int, threads: int, env: dict, ready_path: str,
                   ready: Callable[[subprocess.Popen], bool] = lambda server: True,
                   tries: int = 300) -> subprocess.Popen:
    """gunicorn serving `app` ("module:factory()" in benchmarks/), returned once `ready_path` answers 200 and
    `ready(server)` holds."""
    command = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"{HOST}:{port}",
               "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
               "--keep-alive", "30", "--log-level", "warning", "--pythonpath", str(ROOT / "benchmarks"),
               "--chdir", str(ROOT), app]
    server = subprocess.Popen(command, env=env)
    for _ in range(tries):
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=1)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200 and ready(server):
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")
