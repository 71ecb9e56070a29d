"""The fake Kakao as a process of its own, and the few admin calls the bench needs.

It runs apart from the service so that its CPU is not charged to the service (and so that the
bench can measure the fake's own CPU and say when the fake, not the service, is the limit).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from bench.client import call
from bench.processes import ManagedProcess, python_module, start_on_free_port


class KakaoProcess:
    """`python -m bench.fake_kakao` on a free port; `url` serves kapi, kauth and /_mock/.

    It is also the Kakao of our service's id_tokens: their `iss` is `url` (the fake's default
    issuer is the base URL a request reached) and their `aud` is `app_key`, its REST API key.
    """

    def __init__(self, log_dir: Path, uvloop: bool = True) -> None:
        self._log_dir = log_dir
        self._uvloop = uvloop
        self._process: ManagedProcess | None = None
        self.url = ""
        self.app_key = ""

    @property
    def process(self) -> ManagedProcess:
        if self._process is None:
            raise RuntimeError("the fake Kakao is not running")
        return self._process

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> KakaoProcess:
        def build(port: int) -> ManagedProcess:
            argv = python_module("bench.fake_kakao", "--port", str(port))
            return ManagedProcess("fake-kakao", argv + ["--uvloop"] * self._uvloop, self._log_dir)

        self._process, self.url = start_on_free_port(build, "/_mock/faults", timeout=30)
        status, config = call("GET", f"{self.url}/_mock/config")
        _expect((status, config), "tell its configuration")
        self.app_key = config["rest_api_key"]
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()

    def set_latency(self, latency_ms: int) -> None:
        """Every kapi/kauth call answers `latency_ms` late (0 removes every fault)."""
        faults = [{"kind": "latency", "latency_ms": latency_ms}] if latency_ms else []
        _expect(call("PUT", f"{self.url}/_mock/faults", faults), "set the latency")

    def issue_id_token(self, user_id: int) -> str:
        """A fresh id_token of `user_id` for our app key (`POST /_mock/users/{id}/tokens`).

        It lives as long as the fake's access tokens (hours): one covers a whole run.
        """
        url = f"{self.url}/_mock/users/{user_id}/tokens"
        status, body = call("POST", url, {"scope": "openid"})
        _expect((status, body), "issue an id_token")
        return body["id_token"]

    def clear_log(self) -> None:
        """Empty the fake's request log, so it does not grow across the whole run."""
        _expect(call("DELETE", f"{self.url}/_mock/requests"), "clear the request log")

    def __enter__(self) -> KakaoProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _expect(answer: tuple[int, object], doing: str) -> None:
    status, body = answer
    if status >= 300:
        raise RuntimeError(f"the fake Kakao refused to {doing}: {status} {body}")
