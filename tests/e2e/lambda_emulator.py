"""A prebuilt function binary under cargo-lambda's Lambda Runtime API emulator, invoked with
`cargo lambda invoke`, everything bound to 127.0.0.1 on a port picked here.

Nothing is compiled here. `cargo lambda watch --only-lambda-apis` serves the invoke API and the
Runtime API and does not build or start a function (it reads `cargo metadata`, no build). The
binary, built beforehand (by `cargo test`, or `sam build`), is started by this module, the way
scripts/check-deploy starts the sam-built bootstrap: with
`AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:PORT/.rt/<function name>`, under which the emulator
hands it the events that `cargo lambda invoke <function name> --invoke-port PORT` sends.

Each of the two servers runs in its own process group (`start_new_session`), and stop() ends
exactly those two groups. Each writes its own log file: function.log() is the function's own
stdout and stderr, the lines CloudWatch would hold.

The deadline. Lambda hands the function its deadline on every `/next` response, as
`Lambda-Runtime-Deadline-Ms`: the invocation's start plus the function's timeout, in Unix epoch
milliseconds. cargo-lambda 1.9.2's emulator instead sends the constant `600000` (it means "10
minutes", but read as epoch milliseconds it is 1970-01-01T00:10:00Z), and its `--timeout` only
bounds how long `cargo lambda invoke` waits. The function counts a deadline already past as
"now" (a deadline it cannot meet), so under the bare emulator every invocation that gets past
decoding failed at once with DeadlineTooClose. So the function talks to the emulator's Runtime
API through `_DeadlineProxy`, a pass-through on 127.0.0.1 that rewrites that one header the way
Lambda sets it: the time the invocation was handed out + `function_timeout_s`. That also gives
the deadline test a real short function timeout (Lambda's Timeout setting); the emulator's own
`--timeout` is set to the same value, so an invocation that overruns it fails as on Lambda.

The function's ARN. Lambda hands it over on every `/next` response too, as
`Lambda-Runtime-Invoked-Function-Arn` (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`); the
function reads its own account from it. cargo-lambda 1.9.2 sends the constant `function-arn`,
in which there is no account. Given `invoked_function_arn`, the proxy sets that header as
Lambda would; without it, the emulator's value goes through unchanged (the function then knows
no account of its own).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# The function's name in the emulator, in AWS_LAMBDA_FUNCTION_NAME and on `cargo lambda invoke`
# (the Cargo binary's name, the function's default name; scripts/check-deploy uses the same).
FUNCTION_NAME = "iam-role-last-used"
START_TIMEOUT_S = 30
# The function's timeout (Lambda's Timeout; template.yaml deploys 300 s). The suite uses 180 s,
# which bounds a hung test sooner and still leaves the function's deadline checks nothing to
# refuse: the SDK gives up on a request after 90 s (src/core/settings.rs), and a run of 2 500 roles
# against moto takes a few seconds. `cargo lambda invoke` is stopped 30 s after it.
INVOKE_TIMEOUT_S = 180
STOP_TIMEOUT_S = 15
# What Lambda itself sets for the function (template.yaml: MemorySize 128). The log format is
# left at text (no AWS_LAMBDA_LOG_FORMAT): the log-line assertions read the text format.
LAMBDA_ENVIRONMENT = {
    "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
}


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


class _Server:
    """A background process in its own process group, its output in a log file."""

    def __init__(self, name: str, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log_file = None

    def start(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self._log_file = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends exactly that group
            )
        except OSError as error:
            raise RuntimeError(f"could not start {self.name} ({command[0]}): {error}") from error

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log(self) -> str:
        if self._log_file:
            self._log_file.flush()
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, first_signal: signal.Signals) -> None:
        """first_signal to the group, SIGKILL if the leader is still there after STOP_TIMEOUT_S,
        then SIGKILL to whatever of the group is left, by pid."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                _signal_group(process.pid, first_signal)
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    _signal_group(process.pid, signal.SIGKILL)
                    process.wait(timeout=STOP_TIMEOUT_S)
            for pid in _group_members(process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self._log_file:
            self._log_file.close()
            self._log_file = None


class LambdaEmulator:
    """`cargo lambda watch --only-lambda-apis` plus the function binary, started against it."""

    def __init__(
        self,
        repo_root: Path,
        cargo_lambda: str,
        function_binary: Path,
        env: dict[str, str],
        log_dir: Path,
        function_timeout_s: int = INVOKE_TIMEOUT_S,
        invoked_function_arn: str | None = None,
    ):
        self.repo_root = repo_root
        self.invoked_function_arn = invoked_function_arn
        self.cargo_lambda = cargo_lambda
        self.function_binary = function_binary
        self.function_env = env
        self.function_timeout_s = function_timeout_s
        self.port = 0
        self.emulator = _Server("cargo lambda watch --only-lambda-apis", log_dir / "emulator.log")
        self.function = _Server(f"the function ({function_binary})", log_dir / "function.log")
        self.runtime_proxy: _DeadlineProxy | None = None

    def start(self) -> LambdaEmulator:
        self.port = free_port()
        self.emulator.start(
            [
                self.cargo_lambda, "lambda", "watch",
                "--only-lambda-apis",
                "--invoke-address", "127.0.0.1",
                "--invoke-port", str(self.port),
                "--timeout", str(self.function_timeout_s),
            ],
            cwd=self.repo_root,
            env=_without_aws_settings(os.environ),
        )  # fmt: skip
        self._wait_for_emulator()
        self.runtime_proxy = _DeadlineProxy(
            self.port, self.function_timeout_s, self.invoked_function_arn
        ).start()
        # Exactly the environment Lambda gives a function plus the test's settings: nothing
        # inherited but PATH, so no AWS_* value, profile or RUST_LOG of the caller's leaks in.
        # The Runtime API is reached through the deadline proxy (see the module docstring).
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **LAMBDA_ENVIRONMENT,
            "AWS_LAMBDA_RUNTIME_API": (
                f"http://127.0.0.1:{self.runtime_proxy.port}/.rt/{FUNCTION_NAME}"
            ),
            **self.function_env,
        }
        self.function.start([str(self.function_binary)], cwd=self.repo_root, env=env)
        # It polls /next at once; an early crash (a missing variable, a binary for another
        # architecture) shows here rather than as a hung invocation.
        time.sleep(0.3)
        if (code := self.function.exited()) is not None:
            raise RuntimeError(f"the function exited with {code} at start:\n{self.log()}")
        return self

    def _wait_for_emulator(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if (code := self.emulator.exited()) is not None:
                raise RuntimeError(
                    f"cargo lambda watch exited with {code}:\n{self.emulator.log()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(
            f"cargo lambda watch did not listen on 127.0.0.1:{self.port} within "
            f"{START_TIMEOUT_S}s:\n{self.emulator.log()}"
        )

    def invoke(
        self, event_file: Path | None = None, *, data_ascii: str | None = None
    ) -> Invocation:
        """`cargo lambda invoke` with an event file (`--data-file`) or a literal payload
        (`--data-ascii`, which may be anything, JSON or not, or empty), bounded by the function
        timeout + 30 s, and stopped early (after a second for an answer already on its way) if
        the function process dies under it."""
        if (event_file is None) == (data_ascii is None):
            raise ValueError("give exactly one of event_file and data_ascii")
        payload = (
            ["--data-file", str(event_file)]
            if event_file is not None
            else [f"--data-ascii={data_ascii}"]
        )
        command = [
            self.cargo_lambda, "lambda", "invoke",
            "--invoke-address", "127.0.0.1",
            "--invoke-port", str(self.port),
            *payload,
            "--color", "never",
            FUNCTION_NAME,
        ]  # fmt: skip
        started = time.monotonic()
        deadline = started + self.function_timeout_s + 30
        process = subprocess.Popen(
            command,
            cwd=self.repo_root,
            env={**_without_aws_settings(os.environ), "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        problem = ""
        function_gone_at = None
        while True:
            try:
                stdout, stderr = process.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if function_gone_at is None and self.function.exited() is not None:
                function_gone_at = now
            if function_gone_at is not None and now - function_gone_at > 1:
                problem = (
                    f"the function process exited with {self.function.exited()} during the "
                    "invocation; see its log"
                )
            elif now > deadline:
                problem = f"cargo lambda invoke did not return within {deadline - started:.0f}s"
            if problem:
                _signal_group(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate(timeout=STOP_TIMEOUT_S)
                break
        returncode = process.returncode
        if problem:
            returncode = returncode or 1
            stderr = f"{stderr}\n[e2e] {problem}"
        return Invocation(returncode, stdout, stderr, time.monotonic() - started)

    def log(self) -> str:
        """The function's own output (its tracing log lines)."""
        return self.function.log()

    def emulator_log(self) -> str:
        return self.emulator.log()

    def deadlines_handed_out(self) -> list[int]:
        """The Lambda-Runtime-Deadline-Ms of each invocation handed to the function."""
        return [] if self.runtime_proxy is None else list(self.runtime_proxy.deadlines_ms)

    def errors_posted_at(self) -> list[float]:
        """When each error of errors_posted() reached the Runtime API, in Unix seconds."""
        return [] if self.runtime_proxy is None else list(self.runtime_proxy.errors_posted_at)

    def errors_posted(self) -> list[dict]:
        """Each error the function reported to the Runtime API (`/invocation/<id>/error`), as
        the JSON it sent: {"errorType": ..., "errorMessage": ...}, exactly, before
        `cargo lambda invoke` re-wraps it for the terminal."""
        if self.runtime_proxy is None:
            return []
        return [json.loads(body) for body in self.runtime_proxy.errors_posted]

    def stop(self) -> None:
        """Ends the two process groups started above, and only them: the function first
        (SIGTERM, which Lambda sends too), then the emulator (SIGINT, its Ctrl-C shutdown);
        then the in-process Runtime API proxy."""
        try:
            self.function.stop(signal.SIGTERM)
        finally:
            try:
                self.emulator.stop(signal.SIGINT)
            finally:
                if self.runtime_proxy is not None:
                    self.runtime_proxy.stop()
                    self.runtime_proxy = None


# Headers that describe one hop of a connection, not the message: never forwarded as they are.
_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
    "upgrade", "content-length",
}  # fmt: skip
_DEADLINE_HEADER = "lambda-runtime-deadline-ms"
_FUNCTION_ARN_HEADER = "lambda-runtime-invoked-function-arn"


@dataclass
class _DeadlineProxy:
    """The function's Runtime API, passed through to cargo-lambda's on 127.0.0.1, with
    `Lambda-Runtime-Deadline-Ms` on each event handed out set as Lambda sets it: now + the
    function timeout, in epoch milliseconds (see the module docstring). Everything else, the
    long-polled `/next`, `/response`, `/error`, goes through unchanged, one upstream connection
    per request. With `invoked_function_arn`, `Lambda-Runtime-Invoked-Function-Arn` is set to
    it on each event handed out, as Lambda sets the function's own ARN."""

    upstream_port: int
    function_timeout_s: int
    invoked_function_arn: str | None = None
    deadlines_ms: list[int] = field(default_factory=list)
    # The body of each `/error` the function posted: its exact errorType and errorMessage.
    errors_posted: list[bytes] = field(default_factory=list)
    # When each of those arrived (Unix seconds, the clock of deadlines_ms).
    errors_posted_at: list[float] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    def start(self) -> _DeadlineProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._forward()

            def do_POST(self) -> None:  # noqa: N802
                self._forward()

            def _read_body(self) -> bytes | None:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return body
                        body += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else None

            def _forward(self) -> None:
                body = self._read_body()
                if self.command == "POST" and self.path.endswith("/error"):
                    proxy.errors_posted.append(body or b"")
                    proxy.errors_posted_at.append(time.time())
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                # No timeout: `/next` is a long poll that lasts until the next invocation.
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                    out = [
                        (k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP
                    ]
                except (OSError, http.client.HTTPException):
                    # The emulator went away (stop() ends it while the function's `/next` is
                    # still polling): drop the connection, as the emulator itself would.
                    self.close_connection = True
                    return
                finally:
                    upstream.close()
                if (
                    self.command == "GET"
                    and self.path.endswith("/runtime/invocation/next")
                    and response.status == 200
                ):
                    deadline = int(time.time() * 1000) + proxy.function_timeout_s * 1000
                    proxy.deadlines_ms.append(deadline)
                    out = [(k, v) for k, v in out if k.lower() != _DEADLINE_HEADER]
                    out.append(("Lambda-Runtime-Deadline-Ms", str(deadline)))
                    if proxy.invoked_function_arn is not None:
                        out = [(k, v) for k, v in out if k.lower() != _FUNCTION_ARN_HEADER]
                        out.append(
                            ("Lambda-Runtime-Invoked-Function-Arn", proxy.invoked_function_arn)
                        )
                self.send_response(response.status, response.reason)
                for key, value in out:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass  # the emulator logs the calls

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a `/next` still polling does not hold up stop()
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self.thread is not None:
            self.thread.join(STOP_TIMEOUT_S)
            self.thread = None


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


def _without_aws_settings(environ) -> dict[str, str]:
    """An environment without AWS settings, for the cargo-lambda tools: they need none, and
    must never see a developer's profile or real credentials."""
    return {key: value for key, value in environ.items() if not key.startswith("AWS_")}
