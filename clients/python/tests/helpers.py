"""Small helpers the tests share."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, List, Optional

from conftest import T

import wardcast


class Recorder:
    """Collects what a listener is called with, and waits (with a timeout)
    until what was collected satisfies a condition."""

    def __init__(self) -> None:
        self.items: List[Any] = []
        self._cond = threading.Condition()

    def __call__(self, item: Any) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def wait_for(self, pred: Callable[[List[Any]], bool], what: str, timeout: float = T) -> List[Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: pred(self.items), timeout):
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; got {self.items!r}")
            return list(self.items)


def subscribed(client: wardcast.Client, features: List[str]) -> Dict[str, Any]:
    """Subscribes and waits for the result."""
    result = client.wait_msg(client.set_required_features(features), timeout=T, raises=True)
    assert result["success"] is True, result
    return dict(result)


class Process:
    """A child process whose stdout and stderr lines are read as they come."""

    def __init__(self, args: List[str], env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
        )
        self.out: "queue.Queue[str]" = queue.Queue()
        self.err: "queue.Queue[str]" = queue.Queue()
        self.err_seen: List[str] = []
        threading.Thread(target=self._drain, args=(self.proc.stdout, self.out), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr, self.err), daemon=True).start()

    @staticmethod
    def _drain(stream: Any, into: "queue.Queue[str]") -> None:
        for line in stream:
            into.put(line.rstrip("\n"))

    def line(self, lines: "queue.Queue[str]", pred: Callable[[str], bool], what: str, timeout: float = T) -> str:
        """The next line of `lines` that satisfies `pred` (earlier ones are
        skipped)."""
        seen: List[str] = []
        while True:
            try:
                text = lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line {what} within {timeout} s; saw {seen!r}") from None
            seen.append(text)
            if lines is self.err:
                self.err_seen.append(text)
            if pred(text):
                return text

    def wait(self, timeout: float = T) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
