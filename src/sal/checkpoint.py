"""Resumable long runs: the whole state of a run, pickled atomically to one file after units of work.

A checkpoint records its ``kind`` (which loop wrote it), the run's parameters except ``epochs`` (so a run
may be resumed with more epochs) and the number of epochs done. Loading refuses a file of another kind,
of other parameters or beyond the epochs asked for, with an error naming the file.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path


def _resumable(params: dict) -> str:
    """The parameters a checkpoint must share with the run that resumes it (all but ``epochs``)."""
    return json.dumps({k: v for k, v in params.items() if k != "epochs"}, sort_keys=True)


class Checkpoint:
    """The checkpoint file of one run (``path`` None: no checkpointing; every call is then a no-op).

    ``save`` writes at most every ``interval`` seconds (0: every call), so that fast loops do not spend
    their time pickling; an interrupted run then repeats at most ``interval`` seconds of work.
    """

    def __init__(self, path, kind: str, params: dict, interval: float = 0.0):
        self.path = None if path is None else Path(path)
        self.kind, self.params, self.interval = kind, params, float(interval)
        self._last = time.monotonic()

    def load(self) -> dict | None:
        """The saved state (with its ``epoch``), or None when there is no checkpoint to resume from."""
        if self.path is None or not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as handle:
                state = pickle.load(handle)
        except Exception as err:  # truncated or foreign file
            raise ValueError(f"{self.path}: not a readable checkpoint: {err}") from err
        if not isinstance(state, dict) or state.get("kind") != self.kind:
            raise ValueError(f"{self.path}: not a {self.kind}")
        if state["params"] != _resumable(self.params):
            raise ValueError(f"{self.path}: checkpoint of a run with other parameters; delete it or use another path")
        if state["epoch"] > self.params["epochs"]:
            raise ValueError(f"{self.path}: checkpoint is at epoch {state['epoch']}, beyond the "
                             f"{self.params['epochs']} requested")
        return state

    def save(self, epoch: int, state: dict) -> None:
        """Save ``state`` as the state after ``epoch`` epochs (atomically: a crash leaves the old file)."""
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        record = {**state, "kind": self.kind, "params": _resumable(self.params), "epoch": epoch}
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        try:
            with open(tmp, "wb") as handle:
                pickle.dump(record, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
