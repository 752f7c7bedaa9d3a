"""The cache a consolidation keeps in its output folder (``.perfxl-cache/``: hidden, and never in
the inbox), so that a rerun costs what changed.

- Each file's read (its tables and per-file findings) by content digest: a rerun reads only the
  files whose content changed; a file whose size, time and inode are as recorded is not even
  opened.
- Each book's mark: the digest of what a unit's book is made of (its part of the run) and of what
  it shows. A unit's book made of the same is not even built; only the books whose contents
  changed are rewritten (and only when the file on disk is still the one perfxl wrote).
- The whole last run: a rerun where nothing changed at all returns it as it was.

Every entry is keyed by the perfxl code, the rules, the labels and the limits. An entry that cannot
be read (damaged, written by another version) is ignored, and a cache that cannot be written is
skipped: the cache never stops a run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import hmac
import io
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..cyclic_gc import paused
from ..model import Consolidation, Problem
from ..read.limits import Limits
from ..review.ruleset import RuleSet
from ..tables.vocabulary import Vocabulary
from .file_read import STILL_CHANGING, FileRead

CACHE_DIR = ".perfxl-cache"
_MANIFEST = "manifest.pickle"
_LAST_RUN = "run.pickle"
_LAST_RESULTS = "results.pickle"
_FORMAT = 4  # bump when what is stored changes shape
SHARDS = 32

Stat = tuple[int, int, int]  # size, mtime_ns, inode


_MAC_BYTES = 32


@functools.cache
def secret_key() -> bytes:
    """The key this user's perfxl signs its cache entries with, kept outside the output folder
    (``~/.cache/perfxl/cache-key``, readable by the user only), so that an entry planted in a shared
    output folder is never unpickled. Where it cannot be kept, a key for this process only (the
    cache then lasts one run)."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "perfxl"
    path = folder / "cache-key"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
            if len(key) >= 32:
                return key
            raise OSError("short key") from None
        with os.fdopen(fd, "wb") as fh:
            key = os.urandom(32)
            fh.write(key)
        return key
    except (OSError, RuntimeError):  # RuntimeError: no home folder
        return os.urandom(32)


@functools.cache
def code_digest() -> str:
    """A digest of perfxl's own files (code and data): a changed perfxl never uses old entries."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def settings_key(rules: RuleSet, vocab: Vocabulary, limits: Limits) -> str:
    """What every entry depends on besides the file itself: perfxl, the rules, labels and limits
    (their values, wherever they were loaded from)."""
    values = dataclasses.replace(rules, source="")  # where the rules came from shows in the books only
    text = "\0".join((str(_FORMAT), code_digest(), repr(values), repr(vocab.sections), repr(limits)))
    return hashlib.sha256(text.encode()).hexdigest()


def book_fingerprint(head: Any, contents: Sequence[Any], ignore: str = "") -> str:
    """A digest of everything a book shows, sheet by sheet, ``ignore`` (the time of the run) left
    out. Pickled without a memo, equal values give equal bytes, at a third of the cost of repr."""
    digest = BookDigest(head, ignore)
    for part in contents:
        digest.add(part)
    return digest.hexdigest()


class BookDigest:
    """``book_fingerprint`` taken a sheet at a time, as a book's sheets are made and written."""

    def __init__(self, head: Any, ignore: str = "") -> None:
        self._digest = hashlib.sha256(_pickled(head))
        self._mask = ignore.encode("utf-8", "surrogatepass")

    def add(self, part: Any) -> None:
        data = _pickled(part)
        self._digest.update(data.replace(self._mask, b"") if self._mask else data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _pickled(value: Any) -> bytes:
    out = io.BytesIO()
    _pickler(out).dump(value)
    return out.getvalue()


def _pickler(file: Any) -> pickle.Pickler:
    """A pickler without the memo (what perfxl stores holds no cycles): faster, and it keeps no
    table of every object it has seen (a large run's would take a hundred megabytes)."""
    pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    return pickler


def _stat(path: str | Path) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


class ReadCache:
    """The cache of one output folder for one set of settings (``settings_key``)."""

    def __init__(self, out_dir: str | os.PathLike[str], key: str) -> None:
        self.folder = Path(out_dir) / CACHE_DIR
        self.key = key
        manifest = self._load(self.folder / _MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("key") != key:
            manifest = {"key": key, "files": {}, "books": {}, "run": None}
        self.files: dict[str, tuple[Stat, str]] = manifest["files"]
        self.books: dict[str, tuple[str, int, int]] = manifest["books"]
        self.run_key: str | None = manifest["run"]
        self._before: dict[str, Stat | None] = {}
        self._pending_books: dict[str, str] = {}
        self._shards: dict[int, dict[str, FileRead]] = {}  # loaded shards of entries, by number
        self._dirty: set[int] = set()
        self._unsaved = False  # a shard could not be written: the manifest is not either
        self._results: tuple[int, str] | None = None  # the run whose results keep_results wrote, their digest

    # files

    def read(self, paths: Sequence[str], read: Callable[[list[str]], list[FileRead]],
             tick: Callable[[int], None] | None = None) -> list[FileRead]:
        """Every path's read, in input order: from the cache when its content (or, unchanged on
        disk, its size, time and inode) is known, else by ``read`` of the paths left over."""
        out: list[FileRead | None] = [None] * len(paths)
        todo: list[int] = []
        for i, path in enumerate(paths):
            stat = self._before[path] = _stat(path)
            known = self.files.get(path)
            entry = self._entry(path, known[1]) if known and stat and tuple(known[0]) == stat else None
            if entry is None:
                todo.append(i)
            else:
                out[i] = entry
        if tick and len(todo) < len(paths):
            tick(len(paths) - len(todo))
        fresh = read([paths[i] for i in todo]) if todo else []
        for i, found in zip(todo, fresh, strict=True):
            out[i] = found
            self._store(paths[i], found)
        seen = set(paths)
        for path in [p for p in self.files if p not in seen]:
            self._dirty.add(self._shard(self._key(path, self.files.pop(path)[1]))[0])
        return [r for r in out if r is not None]

    # Entries are kept in SHARDS files by their key, not one file each: writing a file costs
    # a third of a millisecond or more, as much as reading the workbook did.

    def _key(self, path: str, digest: str) -> str:
        return hashlib.sha256(f"{self.key}\0{path}\0{digest}".encode("utf-8", "surrogatepass")).hexdigest()

    def _shard(self, key: str) -> tuple[int, dict[str, FileRead]]:
        number = int(key[:8], 16) % SHARDS
        shard = self._shards.get(number)
        if shard is None:
            found = self._load(self.folder / "reads" / f"{number:02d}.pickle")
            shard = self._shards[number] = found if isinstance(found, dict) else {}
        return number, shard

    def _entry(self, path: str, digest: str) -> FileRead | None:
        key = self._key(path, digest)
        found = self._shard(key)[1].get(key)
        if isinstance(found, FileRead) and found.sha256 == digest and found.result.source == path:
            return found
        return None

    def _store(self, path: str, read: FileRead) -> None:
        before = self._before.get(path)
        if not read.sha256 or before is None or _stat(path) != before or before[0] != read.size \
                or any(p.message == STILL_CHANGING for p in read.result.problems):
            self.files.pop(path, None)  # changing (or unreadable) as it was read: read it again next time
            return
        key = self._key(path, read.sha256)
        number, shard = self._shard(key)
        shard[key] = read
        self._dirty.add(number)
        self.files[path] = (before, read.sha256)

    # books

    def book_mark(self, target: Path) -> str | None:
        """The fingerprint of the contents of the book on disk, when it is as perfxl wrote it."""
        known, stat = self.books.get(target.name), _stat(target)
        return known[0] if known is not None and stat is not None and tuple(known[1:]) == stat[:2] else None

    def book_unchanged(self, target: Path, fingerprint: str) -> bool:
        """The book on disk is the one perfxl wrote with these very contents."""
        return self.book_mark(target) == fingerprint

    def book_written(self, target: Path, fingerprint: str) -> None:
        self._pending_books[str(target)] = fingerprint

    def settle_books(self, outputs: Iterable[str]) -> None:
        """Record the books now on disk (call once they are in place)."""
        keep = {Path(p).name for p in outputs}
        for path, fingerprint in self._pending_books.items():
            stat = _stat(path)
            if stat is not None:
                self.books[Path(path).name] = (fingerprint, stat[0], stat[1])
        self._pending_books.clear()
        for name in [n for n in self.books if n not in keep]:
            del self.books[name]

    # the whole run

    def inputs_key(self, paths: Sequence[str], skipped: Sequence[Problem], *extra: Any) -> str:
        """A digest of a run's inputs: every file found with its size, time and inode, every file
        passed over, and ``extra`` (options and folders that shape the run)."""
        digest = hashlib.sha256(self.key.encode())
        for path in paths:
            digest.update(f"{path}\0{_stat(path)}\0".encode("utf-8", "surrogatepass"))
        digest.update(repr((list(skipped), extra)).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def last_run(self, inputs: str, outputs_of: Callable[[Consolidation], list[str]]) -> Consolidation | None:
        """The last run when its inputs were these and every book it wrote is still as written."""
        if self.run_key != inputs:
            return None
        kept = self._load(self.folder / _LAST_RUN)
        # the results are vouched for by their digest in the signed head: one pass over them, not two
        stored = self._read(self.folder / _LAST_RESULTS)
        if not isinstance(kept, tuple) or len(kept) != 3 or not isinstance(kept[0], Consolidation) \
                or stored is None or hashlib.sha256(stored[1]).hexdigest() != kept[2]:
            return None
        run = KeptRun(kept[0], stored[1], kept[1])
        for output in map(Path, outputs_of(run)):
            known = self.books.get(output.name)
            if known is None or not self.book_unchanged(output, known[0]):
                return None
            if (output.parent / f"~${output.name}").exists():  # open in Excel: the full run says so
                return None
        return run

    def keep_results(self, run: Consolidation) -> None:
        """Write ``run``'s results for ``keep_run``, which then writes the rest; they do not wait
        for the books, so this can be done while the writers write."""
        digest = self._dump_streamed(self.folder / _LAST_RESULTS, run.results)
        self._results = (id(run), digest) if digest is not None else None

    def keep_run(self, inputs: str, run: Consolidation) -> None:
        """Keep ``run`` for a rerun where nothing changes: its results apart from the rest, which
        is all such a rerun reads unless its caller asks for the results themselves."""
        if self._results is None or self._results[0] != id(run):
            self.keep_results(run)
        head = dataclasses.replace(run, results=[])
        summary = (run.table_count, run.indicator_count, run.nothing_read)
        # the head with the memo: its problems and sources name the same files again and again, and
        # shared strings are read back in half the time
        kept = self._results is not None \
            and self._dump(self.folder / _LAST_RUN, pickle.dumps((head, summary, self._results[1]),
                                                                 pickle.HIGHEST_PROTOCOL), raw=True)
        self.run_key = inputs if kept else None
        self._results = None

    def save_reads(self) -> None:
        """Write the shards of reads that changed (without the entries no file refers to any
        more); ``save`` then writes what refers to them. A shard written by a run that fails
        before ``save`` costs only reading its files again."""
        keep = {self._key(path, digest) for path, (_, digest) in self.files.items()}
        for number in sorted(self._dirty):
            shard = {k: v for k, v in self._shards[number].items() if k in keep}
            if not self._dump(self.folder / "reads" / f"{number:02d}.pickle", shard):
                self._unsaved = True
                return
            self._dirty.discard(number)

    def save(self) -> None:
        """Write the shards that changed (``save_reads``), then the manifest."""
        self.save_reads()
        if self._unsaved:
            return  # the old manifest still describes what is on disk
        manifest = {"key": self.key, "files": self.files, "books": self.books, "run": self.run_key}
        self._dump(self.folder / _MANIFEST, manifest)

    # storage

    @staticmethod
    def _read(path: Path) -> tuple[bytes, bytes] | None:
        """A file of the cache: its signature and what that signs; None if it cannot be read."""
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        return (data[:_MAC_BYTES], data[_MAC_BYTES:]) if len(data) >= _MAC_BYTES else None

    @classmethod
    def _load(cls, path: Path) -> Any:
        """What ``path`` holds, if this user's perfxl wrote it (signed it with its own key): unpickling
        runs code."""
        found = cls._read(path)
        if found is None or not hmac.compare_digest(found[0], hmac.new(secret_key(), found[1], "sha256").digest()):
            return None
        return _unpickled(found[1])

    @staticmethod
    def _dump(path: Path, value: Any, raw: bool = False) -> bool:
        """Write ``value`` (pickled, or bytes already pickled when ``raw``) atomically (a temporary
        file, then one rename); False when it cannot be written."""
        def write(fh: Any) -> None:
            body = value if raw else _pickled(value)
            fh.write(hmac.new(secret_key(), body, "sha256").digest() + body)

        return _atomically(path, write)

    @staticmethod
    def _dump_streamed(path: Path, value: Any) -> str | None:
        """``_dump`` of a value pickled straight into the file (the results of a large run are
        hundreds of megabytes, twice over as bytes in memory): the sha256 of its body, or None
        when it cannot be written."""
        signed: list[_Signed] = []

        def write(fh: Any) -> None:
            fh.write(bytes(_MAC_BYTES))  # the signature's place, filled in once the body is written
            signed.append(_Signed(fh))
            _pickler(signed[0]).dump(value)
            fh.seek(0)
            fh.write(signed[0].mac.digest())

        return signed[0].sha.hexdigest() if _atomically(path, write) else None


def _atomically(path: Path, write: Callable[[Any], None]) -> bool:
    """``write(file)`` to a temporary file beside ``path``, then one rename onto it; False (and
    nothing left behind) when it cannot be done."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".~", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(name, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return False
    return True


class _Signed:
    """A file being written whose body's signature and digest are taken as it is written."""

    def __init__(self, fh: Any) -> None:
        self.fh, self.mac, self.sha = fh, hmac.new(secret_key(), digestmod="sha256"), hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        self.sha.update(data)
        return int(self.fh.write(data))


def _unpickled(body: bytes) -> Any:
    try:
        with paused():  # many small objects, no cycles worth a scan
            return pickle.loads(body)
    except Exception:  # damaged or written by another version: as if absent
        return None


class KeptRun(Consolidation):
    """The last run, read back from the cache for a rerun where nothing changed: its results
    (most of its bytes) unpickled only when asked for; their counts, which the report needs,
    kept beside."""

    def __init__(self, head: Consolidation, results: bytes, summary: tuple[int, int, bool]) -> None:
        self.__dict__.update(vars(head))
        del self.__dict__["results"]
        self._results, (self._tables, self._indicators, self._nothing_read) = results, summary

    def __getattr__(self, name: str) -> Any:
        if name != "results":
            raise AttributeError(name)
        results = _unpickled(self._results)
        if not isinstance(results, list):  # signed and digested as written: never, short of a bug
            raise RuntimeError("perfxl 缓存中上次运行的结果无法读取")
        self.results = results
        return results

    @property
    def nothing_read(self) -> bool:
        return self._nothing_read

    @property
    def table_count(self) -> int:
        return self._tables

    @property
    def indicator_count(self) -> int:
        return self._indicators

    def __reduce__(self) -> tuple[Any, ...]:
        # sent elsewhere, a plain Consolidation with its results
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(Consolidation)}
        return _rebuilt, (fields,)


def _rebuilt(fields: dict[str, Any]) -> Consolidation:
    return Consolidation(**fields)
