"""`make run` starts the Procfile's processes under honcho, and its readiness check (wait_ready)
must poll the port the web process listens on. honcho hands every process a PORT of its own (the
base, then +100 for each process), so a check reading $PORT polled a port nobody listened on and
stopped everything after two minutes."""

import os
import subprocess
from pathlib import Path

from honcho.environ import expand_processes, parse_procfile

ROOT = Path(__file__).resolve().parents[2]
# What the shell or an outer make (`make test`) may have set, which would change make's answer.
OUTER = {"HOST", "PORT", "WEB_PORT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}


def make_env(**variables) -> dict:
    """HOST and WEB_PORT as the Makefile exports them to honcho, read from make itself."""
    shown = subprocess.run(
        ["make", "--no-print-directory", "-s", "--eval", "show-env: ; @echo $$HOST $$WEB_PORT", "show-env"]
        + [f"{name}={value}" for name, value in variables.items()],
        cwd=ROOT,
        env={name: value for name, value in os.environ.items() if name not in OUTER},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {"HOST": shown[0], "WEB_PORT": shown[1]}


def words(process) -> list[str]:
    """The process's command line as the shell honcho runs it in expands it."""
    expanded = subprocess.run(
        ["sh", "-c", f'printf "%s\\n" {process.cmd}'],
        env={**process.env, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return expanded.splitlines()


def test_the_readiness_check_polls_the_port_the_web_process_binds():
    env = make_env(PORT=9123)
    procfile = parse_procfile((ROOT / "Procfile").read_text())
    processes = {p.name.split(".")[0]: p for p in expand_processes(procfile.processes, env=env, port=9123)}
    assert processes["ready"].env["PORT"] != "9123"  # honcho's own numbering, which the check must not read
    web, ready = words(processes["web"]), words(processes["ready"])
    assert web[web.index("--bind") + 1] == "127.0.0.1:9123"
    assert ready[ready.index("--url") + 1] == "http://127.0.0.1:9123"


def test_host_and_port_come_from_the_environment():
    assert make_env(HOST="192.0.2.1", PORT=9000) == {"HOST": "192.0.2.1", "WEB_PORT": "9000"}
    assert make_env() == {"HOST": "127.0.0.1", "WEB_PORT": "8000"}
