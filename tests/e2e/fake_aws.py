"""A fake AWS account for the end-to-end tests: moto's server, in this process, on 127.0.0.1.

`FakeAws` runs moto's `ThreadedMotoServer` on a free loopback port and serves IAM (awsquery,
XML) and AWS Config (awsJson1.1) to the real Rust SDK in the function under test. Because
the server runs in this process, the tests shape the account through moto's own backends
(create roles, set their `create_date`, `last_used`, `last_used_region`: moto documents
`Role.last_used` as public API) and read what the function sent.

Where moto 5.2 does not behave like AWS in a way the scenarios depend on, this module adds the
real behaviour while the server runs, and says which one:

* GetAccountAuthorizationDetails: moto returns every entity in one response and ignores
  `MaxItems`/`Marker`. Real IAM pages: `MaxItems` 1..1000 (default 100), `IsTruncated` and an
  opaque `Marker` to pass back. `_paginated_get_account_authorization_details` reproduces that.
* PutEvaluations: moto validates the request and answers `FailedEvaluations: []` but keeps
  nothing (and only accepts `TestMode=true`). The backend call is wrapped to record every
  request, so the tests can assert exactly what the rule sent.

Every request moto dispatches is also logged (service, action, Content-Type, HTTP status), so a
test can assert that a bad event made no AWS call at all, and that each service was spoken to
in its own wire protocol.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from moto.config.models import ConfigBackend
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.exceptions import ValidationError
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.server import ThreadedMotoServer

# moto's default account: the one the events in events/ name.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
START_TIMEOUT_S = 30

# Real IAM: "MaxItems ... If you do not include this parameter, the number of items defaults
# to 100 ... Valid Range: Minimum value of 1. Maximum value of 1000."
IAM_DEFAULT_MAX_ITEMS = 100
IAM_MAX_MAX_ITEMS = 1000
_MARKER_PREFIX = "e2e-fake-iam-marker:"

# A real trust policy, so the role details look like IAM's (the rule ignores them).
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@dataclass
class RequestRecord:
    """One request moto dispatched."""

    service: str
    action: str
    content_type: str
    status: int


@dataclass
class IamPageRecord:
    """One GetAccountAuthorizationDetails call and the page it got."""

    filter: list[str]
    max_items: int | None
    marker: str | None
    roles_returned: int
    is_truncated: bool
    next_marker: str | None


@dataclass
class PutEvaluationsRecord:
    """One PutEvaluations call, as moto's Config backend received it."""

    account_id: str
    region: str
    evaluations: list[dict[str, Any]]
    result_token: str | None
    test_mode: bool | None


@dataclass
class Recorder:
    requests: list[RequestRecord] = field(default_factory=list)
    iam_pages: list[IamPageRecord] = field(default_factory=list)
    put_evaluations: list[PutEvaluationsRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.iam_pages.clear()
            self.put_evaluations.clear()

    def snapshot(self) -> Recorder:
        """A copy that later requests do not change."""
        with self.lock:
            return Recorder(
                requests=list(self.requests),
                iam_pages=list(self.iam_pages),
                put_evaluations=list(self.put_evaluations),
            )


def _encode_marker(offset: int) -> str:
    return base64.b64encode(f"{_MARKER_PREFIX}{offset}".encode()).decode()


def _decode_marker(marker: str) -> int:
    try:
        text = base64.b64decode(marker.encode(), validate=True).decode()
        if not text.startswith(_MARKER_PREFIX):
            raise ValueError(text)
        offset = int(text[len(_MARKER_PREFIX) :])
        if offset <= 0:
            raise ValueError(text)
        return offset
    except ValueError as error:
        raise ValidationError(f"Invalid Marker: {marker!r}") from error


class FakeAws:
    """moto's server plus the patches and recordings described in the module docstring.

    Use as a context manager; `stop()` shuts the server down and removes the patches.
    """

    def __init__(self) -> None:
        self.recorder = Recorder()
        self._server: ThreadedMotoServer | None = None
        self._originals: list[tuple[type, str, Any]] = []
        self.endpoint_url = ""
        self.log_handler = _MemoryLogHandler()
        self._werkzeug_propagate = True

    # ---- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeAws:
        self._patch()
        # werkzeug logs one line per request: keep them for a failing test's report, and only
        # there (not propagated to pytest's log capture as well).
        werkzeug_log = logging.getLogger("werkzeug")
        werkzeug_log.addHandler(self.log_handler)
        self._werkzeug_propagate = werkzeug_log.propagate
        werkzeug_log.propagate = False
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        # start() returns once the socket listens, and waits for that without a limit: bound it.
        starter = threading.Thread(target=server.start, daemon=True)
        starter.start()
        starter.join(START_TIMEOUT_S)
        if starter.is_alive():
            raise RuntimeError(f"moto's server did not start within {START_TIMEOUT_S}s")
        self._server = server
        host, port = server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        werkzeug_log = logging.getLogger("werkzeug")
        werkzeug_log.removeHandler(self.log_handler)
        werkzeug_log.propagate = self._werkzeug_propagate
        self._unpatch()

    def __enter__(self) -> FakeAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def server_log(self) -> str:
        return self.log_handler.text()

    # ---- the account ------------------------------------------------------------------

    @property
    def iam(self):
        return iam_backends[ACCOUNT_ID]["global"]

    def create_role(
        self,
        name: str,
        path: str,
        created: datetime,
        last_used: datetime | None,
        last_used_region: str | None,
        tags: list[dict[str, str]],
    ) -> str:
        """Creates a role through moto's IAM backend and returns its RoleId (`AROA...`)."""
        role = self.iam.create_role(
            role_name=name,
            assume_role_policy_document=TRUST_POLICY,
            path=path,
            permissions_boundary=None,
            description="",
            tags=tags,
            max_session_duration="3600",
        )
        # moto keeps naive UTC datetimes (moto.core.utils.utcnow) and serialises them with a
        # `Z`; IAM's own timestamps have whole seconds.
        role.create_date = _naive_utc(created)
        role.last_used = _naive_utc(last_used) if last_used else None
        role.last_used_region = last_used_region
        return role.id

    def role_count(self) -> int:
        return len(self.iam.roles)

    # ---- patches ----------------------------------------------------------------------

    def _patch(self) -> None:
        recorder = self.recorder
        original_call_action = BaseResponse.call_action
        original_put_evaluations = ConfigBackend.put_evaluations

        def call_action(response: BaseResponse):
            result = original_call_action(response)
            try:
                action = response._get_action()
            except Exception:  # noqa: BLE001 - the log must not break the request
                action = "?"
            with recorder.lock:
                recorder.requests.append(
                    RequestRecord(
                        service=response.service_name or "?",
                        action=action,
                        content_type=response.headers.get("Content-Type", ""),
                        status=int(result[0]) if isinstance(result, tuple) else 0,
                    )
                )
            return result

        def put_evaluations(backend, evaluations=None, result_token=None, test_mode=False):
            with recorder.lock:
                recorder.put_evaluations.append(
                    PutEvaluationsRecord(
                        account_id=backend.account_id,
                        region=backend.region_name,
                        evaluations=copy.deepcopy(evaluations or []),
                        result_token=result_token,
                        test_mode=test_mode,
                    )
                )
            return original_put_evaluations(backend, evaluations, result_token, test_mode)

        def get_account_authorization_details(response: IamResponse):
            return _paginated_get_account_authorization_details(response, recorder)

        for owner, name, replacement in (
            (BaseResponse, "call_action", call_action),
            (ConfigBackend, "put_evaluations", put_evaluations),
            (IamResponse, "get_account_authorization_details", get_account_authorization_details),
        ):
            self._originals.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, replacement)

    def _unpatch(self) -> None:
        while self._originals:
            owner, name, original = self._originals.pop()
            setattr(owner, name, original)


def _paginated_get_account_authorization_details(
    response: IamResponse, recorder: Recorder
) -> ActionResult:
    """moto's GetAccountAuthorizationDetails with real IAM's paging (MaxItems, Marker,
    IsTruncated). Entities are paged in one sequence, users, groups, roles then policies, in
    moto's (creation) order, which is stable between calls as long as nothing is created."""
    filter_param = list(response._get_param("Filter", []) or [])
    raw_max_items = response._get_param("MaxItems")
    marker = response._get_param("Marker")
    max_items = int(raw_max_items) if raw_max_items is not None else None
    page_size = IAM_DEFAULT_MAX_ITEMS if max_items is None else max_items
    if not 1 <= page_size <= IAM_MAX_MAX_ITEMS:
        raise ValidationError(
            f"1 validation error detected: Value '{page_size}' at 'maxItems' failed to satisfy "
            f"constraint: Member must have value less than or equal to {IAM_MAX_MAX_ITEMS}"
        )
    offset = _decode_marker(marker) if marker else 0

    details = response.backend.get_account_authorization_details(filter_param)
    keys = ("users", "groups", "roles", "managed_policies")
    entities = [(key, entity) for key in keys for entity in details[key]]
    page = entities[offset : offset + page_size]
    truncated = offset + page_size < len(entities)
    next_marker = _encode_marker(offset + page_size) if truncated else None

    result: dict[str, Any] = {
        "UserDetailList": [e for k, e in page if k == "users"],
        "GroupDetailList": [e for k, e in page if k == "groups"],
        "RoleDetailList": [e for k, e in page if k == "roles"],
        "Policies": [e for k, e in page if k == "managed_policies"],
        "IsTruncated": truncated,
    }
    if next_marker:
        result["Marker"] = next_marker
    with recorder.lock:
        recorder.iam_pages.append(
            IamPageRecord(
                filter=filter_param,
                max_items=max_items,
                marker=marker,
                roles_returned=len(result["RoleDetailList"]),
                is_truncated=truncated,
                next_marker=next_marker,
            )
        )
    return ActionResult(result)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


class _MemoryLogHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lines_lock:
            self._lines.append(self.format(record))

    def text(self) -> str:
        with self._lines_lock:
            return "\n".join(self._lines)
