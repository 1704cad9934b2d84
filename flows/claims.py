"""Claims on papers, so that several batches (processes, hosts) can split one corpus without doing a paper twice.

Batches started with `shared=True` on the same staging folder and database claim each paper before
extracting it. The claims live in the staging folder (a file system every batch sees: a local disk,
NFS, Lustre), as small files, with no server:

    STAGING/claims/<key>/owners/<pid>@<host>.<token>   one per live batch; its mtime is the heartbeat
    STAGING/claims/<key>/papers/<sha256>/<generation>  {"owner": ..., "state": "claimed" | "done"}

`<key>` is a hash of the extraction key, so a batch with another model or rule set claims anew. A
paper's current claim is its highest generation. Claiming creates the next generation's file with
an exclusive create (os.link of a finished temporary file: it fails when the name exists, and the
file is never seen half-written), so of two batches that both see a paper free, or both see its
claim expired, exactly one wins: no claim is ever taken away by renaming or deleting another's file.

A claim holds while its owner lives: the owner's file is touched every ttl/4 seconds by a thread of
its own; a killed batch stops touching it, and after ttl seconds its claims are free again (on the
same host at once, when its pid is gone). A finished paper's claim becomes "done": batches that were
already running when it was marked skip it; a batch started later decides from the database as
always (a failed paper is tried again, a merged one skipped). Times are compared on the file
system's clock (the mtime of this batch's own heartbeat file), not on each host's.

What this does not promise: a batch whose heartbeat stalls for longer than ttl (a stopped VM) loses
its claims and may extract a paper another batch also extracts; the merge writes a paper whole, so
the database still holds it once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

from schemas.storage import atomic_write_text

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 120.0


def claims_dir(staging: Path, extraction_key: str) -> Path:
    return Path(staging) / "claims" / hashlib.sha256(extraction_key.encode()).hexdigest()[:16]


class Claims:
    """This batch's claims on papers of one extraction key; use as a context manager (it starts the heartbeat).

    Thread-safe for one batch's threads; other batches are kept apart through the file system.
    """

    def __init__(self, staging: Path, extraction_key: str, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.root = claims_dir(staging, extraction_key)
        self.ttl_s = ttl_s
        self.host = socket.gethostname()
        self.owner = f"{os.getpid()}@{self.host}.{secrets.token_hex(3)}"
        self._owner_file = self.root / "owners" / self.owner
        self._mine: dict[str, int] = {}  # sha -> generation held
        self._alive: dict[str, tuple[float, bool]] = {}  # owner -> (checked at, alive)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._skew = 0.0  # file system clock minus this host's
        self.started_fs = 0.0
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifetime

    def __enter__(self) -> Claims:
        (self.root / "owners").mkdir(parents=True, exist_ok=True)
        (self.root / "papers").mkdir(parents=True, exist_ok=True)
        self._owner_file.write_text(json.dumps({"pid": os.getpid(), "host": self.host}), encoding="utf-8")
        self._beat()
        self.started_fs = self._owner_file.stat().st_mtime
        self._thread = threading.Thread(target=self._heartbeat, name="propmine-claims", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        """Stop the heartbeat and remove the owner file: claims still held become free at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self._owner_file.unlink(missing_ok=True)

    def _beat(self) -> None:
        before = time.time()
        os.utime(self._owner_file)  # None: "now" by the file system's clock (the server's, on NFS)
        self._skew = self._owner_file.stat().st_mtime - before

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl_s / 4):
            try:
                self._beat()
            except FileNotFoundError:  # someone cleaned the folder: say we are here again
                self._owner_file.parent.mkdir(parents=True, exist_ok=True)
                self._owner_file.write_text(json.dumps({"pid": os.getpid(), "host": self.host}), encoding="utf-8")
            except OSError:
                log.warning("claims heartbeat failed", exc_info=True)

    def now_fs(self) -> float:
        return time.time() + self._skew

    # ------------------------------------------------------------ claims

    def claim(self, sha: str) -> bool:
        """Claim one paper for this batch; False when another live batch holds it or marked it done since we began."""
        folder = self.root / "papers" / sha
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # a claim file removed between listing and reading: look again
            generations = _generations(folder)
            if not generations:
                take = 0
            else:
                top = generations[-1]
                try:
                    held = json.loads((folder / str(top)).read_text(encoding="utf-8"))
                    stamp = (folder / str(top)).stat().st_mtime
                except FileNotFoundError:
                    continue
                except (OSError, ValueError):
                    held, stamp = {}, 0.0  # unreadable: only its age counts
                if not isinstance(held, dict):
                    held = {}
                owner = held.get("owner")
                if held.get("state") == "done":
                    if stamp >= self.started_fs:
                        return False  # finished by a batch running beside this one
                elif self._held_by_other(owner, stamp):
                    return False
                take = top + 1
            if _create_exclusive(folder / str(take), json.dumps({"owner": self.owner, "state": "claimed"})):
                with self._lock:
                    self._mine[sha] = take
                for old in generations:  # the highest generation decides: older files are only clutter
                    (folder / str(old)).unlink(missing_ok=True)
                return True
            return False  # another batch created that generation first
        return False

    def _held_by_other(self, owner: object, stamp: float) -> bool:
        """Whether a "claimed" file still holds: its owner lives (an unreadable one: it is younger than ttl)."""
        if isinstance(owner, str) and owner:
            return owner == self.owner or self.owner_alive(owner)
        return self.now_fs() - stamp < self.ttl_s

    def holds(self, sha: str) -> bool:
        """Whether this batch still holds the paper (no batch took it over after our heartbeat stalled)."""
        with self._lock:
            generation = self._mine.get(sha)
        if generation is None:
            return False
        folder = self.root / "papers" / sha
        return (folder / str(generation)).is_file() and not (folder / str(generation + 1)).exists()

    def done(self, sha: str) -> None:
        """Mark a claimed paper finished (its result is staged): batches already running skip it."""
        with self._lock:
            generation = self._mine.pop(sha, None)
        if generation is not None:
            path = self.root / "papers" / sha / str(generation)
            atomic_write_text(path, json.dumps({"owner": self.owner, "state": "done"}))

    def release(self, sha: str) -> None:
        """Give a claimed paper back unfinished (a stop, a lost Dask task): any batch may take it at once."""
        with self._lock:
            generation = self._mine.pop(sha, None)
        if generation is not None:
            (self.root / "papers" / sha / str(generation)).unlink(missing_ok=True)

    def owner_alive(self, owner: str) -> bool:
        """An owner lives while its file is fresh (and, on this host, while its pid runs); cached for ttl/8."""
        now = time.monotonic()
        with self._lock:
            cached = self._alive.get(owner)
        if cached is not None and now - cached[0] < self.ttl_s / 8:
            return cached[1]
        alive = self._check_owner(owner)
        with self._lock:
            self._alive[owner] = (now, alive)
        return alive

    def _check_owner(self, owner: str) -> bool:
        try:
            stamp = (self.root / "owners" / owner).stat().st_mtime
        except FileNotFoundError:
            return False
        if self.now_fs() - stamp > self.ttl_s:
            return False
        pid, _, rest = owner.partition("@")
        if rest.rpartition(".")[0] == self.host and pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
        return True


def _generations(folder: Path) -> list[int]:
    try:
        return sorted(int(name) for name in os.listdir(folder) if name.isdigit())
    except FileNotFoundError:
        return []


def _create_exclusive(path: Path, text: str) -> bool:
    """Create `path` with `text` unless it exists; never seen half-written. True when this call created it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        os.link(tmp, path)  # atomic, and fails when the name exists (also on NFS, unlike O_EXCL on old clients)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
