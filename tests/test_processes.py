"""The real processes start as the README and Procfile say: ``serve``, gunicorn, the clock.

These start subprocesses and read their output until they say they are listening (no sleeps).
"""

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from app import build_runtime
from clock import JOB_DEFAULTS, build_scheduler
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command, env, ready_text):
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if ready_text in line:
            return process
        if len(seen) > 200:
            break
    process.kill()
    pytest.fail("process did not start:\n" + "".join(seen))


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.mark.slow
def test_serve_migrates_and_answers_readyz(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"}
    process = start([str(BIN / "carers-line"), "serve", "--port", str(port)], env, "Running on")
    try:
        status, body = get_json(f"http://127.0.0.1:{port}/readyz")
        assert status == 200 and body["status"] == "ready"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_procfile_release_and_web_processes(tmp_path):
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert set(procfile) == {"release", "web", "clock"}
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    release = subprocess.run(
        procfile["release"],
        shell=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert release.returncode == 0, release.stderr
    web = start(["bash", "-c", f"exec {procfile['web']}"], env, "Booting worker")
    try:
        status, body = get_json(f"http://127.0.0.1:{port}/readyz")
        assert status == 200 and body["migrations"] == "head"
    finally:
        web.terminate()
        web.wait(timeout=20)


def test_clock_registers_its_jobs_with_deliberate_defaults(tmp_path):
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'clock.db'}"})
    scheduler = build_scheduler(build_runtime(settings))
    assert [job.id for job in scheduler.get_jobs()][:2] == ["heartbeat", "outbox"]
    assert JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    assert str(scheduler.timezone) == "Europe/London"
