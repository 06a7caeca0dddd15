"""The function under `cargo lambda watch` (cargo-lambda's Lambda Runtime API emulator), invoked
with `cargo lambda invoke`, both bound to 127.0.0.1 on a port picked here.

`cargo lambda watch` runs the function with `cargo run --bin iam-role-last-used` in its own
process group (started here with `start_new_session`), passes it the variables given with
`--env-var` on top of watch's own environment, and serves both the invoke API and the Runtime
API (`AWS_LAMBDA_RUNTIME_API`) on `--invoke-address`/`--invoke-port`. `--ignore-changes` keeps
it from rebuilding and restarting the function when a file in the work tree changes mid-run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

FUNCTION_BIN = "iam-role-last-used"
START_TIMEOUT_S = 60
# The function's SDK gives up on a request after 90 s (src/aws.rs); a run of 2 500 roles
# against moto takes a few seconds.
INVOKE_TIMEOUT_S = 180
STOP_TIMEOUT_S = 15


def free_port() -> int:
    """A port the kernel has just handed out on 127.0.0.1 and that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Invocation:
    """What `cargo lambda invoke` returned."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def response(self) -> dict:
        assert self.ok, f"the invocation failed:\n{self.stdout}\n{self.stderr}"
        return json.loads(self.stdout)

    def error(self) -> tuple[str, str]:
        """(errorType, errorMessage) of a failed invocation. `cargo lambda invoke` prints them
        through miette: `Error: <errorType>`, then the message wrapped at 80 columns behind a
        `×` and `│` gutter. The message comes back with whitespace as the wrapping left it:
        compare it with `same_text`."""
        assert not self.ok, f"the invocation succeeded: {self.stdout}"
        text = self.stdout + self.stderr
        match = re.search(r"^Error: (\S+)\s*$", text, re.MULTILINE)
        assert match, f"no `Error: <type>` line in the output of cargo lambda invoke:\n{text}"
        lines = []
        for line in text[match.end() :].splitlines():
            stripped = line.strip()
            if stripped.startswith(("×", "│")):
                lines.append(stripped[1:].strip())
            elif lines and not stripped:
                break
        return match.group(1), " ".join(lines)


def same_text(a: str, b: str) -> bool:
    """Equal but for whitespace (miette re-wraps messages, breaking lines after `/` too)."""
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


class LambdaEmulator:
    def __init__(self, repo_root: Path, cargo_lambda: str, env: dict[str, str], log_path: Path):
        self.repo_root = repo_root
        self.cargo_lambda = cargo_lambda
        self.function_env = env
        self.log_path = log_path
        self.port = 0
        self._process: subprocess.Popen | None = None
        self._log_file = None

    def start(self) -> LambdaEmulator:
        self.port = free_port()
        command = [
            self.cargo_lambda, "lambda", "watch",
            "--ignore-changes",
            "--invoke-address", "127.0.0.1",
            "--invoke-port", str(self.port),
            "--timeout", str(INVOKE_TIMEOUT_S),
            "--bin", FUNCTION_BIN,
        ]  # fmt: skip
        for key, value in sorted(self.function_env.items()):
            command += ["--env-var", f"{key}={value}"]
        self._log_file = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        self._process = subprocess.Popen(
            command,
            cwd=self.repo_root,
            env=_watch_environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends exactly that group
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"cargo lambda watch exited with {self._process.returncode}:\n{self.log()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(
            f"cargo lambda watch did not listen on 127.0.0.1:{self.port} within "
            f"{START_TIMEOUT_S}s:\n{self.log()}"
        )

    def invoke(self, event_file: Path) -> Invocation:
        command = [
            self.cargo_lambda, "lambda", "invoke",
            "--invoke-address", "127.0.0.1",
            "--invoke-port", str(self.port),
            "--data-file", str(event_file),
            "--color", "never",
            FUNCTION_BIN_ALIAS,
        ]  # fmt: skip
        started = time.monotonic()
        completed = subprocess.run(
            command,
            cwd=self.repo_root,
            env={**_watch_environment(), "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=INVOKE_TIMEOUT_S + 30,
        )
        return Invocation(
            completed.returncode,
            completed.stdout,
            completed.stderr,
            time.monotonic() - started,
        )

    def log(self) -> str:
        if self._log_file:
            self._log_file.flush()
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Ends the process group started above, and only it: SIGINT (watch shuts its function
        down), then SIGKILL if it is still there after STOP_TIMEOUT_S."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)
        # The function ran in the same group: end whatever of the group is left, by pid.
        for pid in _group_members(process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._log_file:
            self._log_file.close()
            self._log_file = None


# `cargo lambda watch` names the function it starts for `--bin` after the package's default
# function, `_`, which is also what `cargo lambda invoke` targets by default.
FUNCTION_BIN_ALIAS = "_"


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _watch_environment() -> dict[str, str]:
    """This process's environment without AWS settings: the function gets exactly the ones the
    test passes with --env-var, never a developer's profile or real credentials."""
    return {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
