"""The output contract shared by ``facemotion analyze --out`` and ``facemotion batch``.

- **Keys**: an input is its resolved absolute path plus its size and modification time
  (`source_key`), so ``DIR`` and ``$PWD/DIR`` are the same inputs and an edited file is
  analysed again.
- **Settings**: every record states the model (`model_identity`: its name, revision,
  version, runtime and a hash of its files) and the settings that change results
  (`run_settings`). Resuming
  skips only inputs finished with the same settings; other settings into the same output
  are refused (`SettingsMismatch`, one line naming the difference) unless the caller asks
  to overwrite.
- **Writes** (`RecordLog`): one JSON line per finished input, appended and fsynced, so a
  crash or Ctrl-C loses at most the input in flight. A torn last line is cut off when the
  file is next read; a failed input is retried on the next run and its old record replaced
  (the file is rewritten to a temporary name and renamed), never appended again.
- **Parquet** (`write_parquet`, `parquet_rows`): written to a temporary name and renamed;
  a cut, corrupt or empty file is detected (and redone by ``batch``).

>>> import tempfile
>>> log = RecordLog(Path(tempfile.mkdtemp()) / "r.jsonl")
>>> log.append([{"path": "/a.jpg", "error": None}])
>>> with log.path.open("a") as f:
...     _ = f.write('{"path": "/b.j')  # what a crash in the middle of a write leaves
>>> [r["path"] for r in log.load()], log.path.read_text()
(['/a.jpg'], '{"path": "/a.jpg", "error": null}\\n')
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facemotion.atomic import atomic_write, replacing
from facemotion.errors import FacemotionError, OutputError

if TYPE_CHECKING:
    import pyarrow as pa

    from facemotion.runtime import FaceModel

log = logging.getLogger(__name__)

OVERWRITE_HINT = "--overwrite"


class SettingsMismatch(FacemotionError):
    """An output already holds results made with another model or other settings."""


def source_key(path: str | Path) -> dict[str, Any]:
    """``{"path", "size", "mtime_ns"}`` of an input: its resolved absolute path (URIs as given).

    >>> key = source_key("no/such/file.jpg")
    >>> Path(key["path"]).is_absolute(), key["size"]
    (True, None)
    """
    text = str(path)
    if "://" in text:
        return {"path": text, **_remote_stat(text)}
    resolved = resolved_path(text)
    try:
        info = os.stat(resolved)
    except OSError:
        return {"path": resolved, "size": None, "mtime_ns": None}
    return {"path": resolved, "size": info.st_size, "mtime_ns": info.st_mtime_ns}


def resolved_path(path: str | Path) -> str:
    """The resolved absolute path of a local input (links followed); a URI as given.

    >>> resolved_path("s3://bucket/a.jpg")
    's3://bucket/a.jpg'
    """
    text = str(path)
    return text if "://" in text else os.path.realpath(text)


def _remote_stat(uri: str) -> dict[str, Any]:
    from pyarrow import fs

    try:
        filesystem, remote = fs.FileSystem.from_uri(uri)
        info = filesystem.get_file_info(remote)
    except (OSError, ValueError):
        return {"size": None, "mtime_ns": None}
    return {"size": info.size, "mtime_ns": info.mtime_ns}


def model_identity(model: str | Path | FaceModel | None = None, revision: str | None = None) -> str:
    """The model that makes results, as one line: name, revision, version, runtime and content hash.

    From `facemotion.runtime.FaceModel.identity` (a model given by name or folder is
    loaded for it; give the loaded `FaceModel` to avoid that).

    >>> model_identity().startswith("default v")
    True
    """
    from facemotion.runtime import FaceModel

    face_model = model if isinstance(model, FaceModel) else FaceModel(model, revision, threads=1)
    identity = face_model.identity
    name = identity["name"] + (f"@{identity['revision']}" if identity["revision"] else "")
    return f"{name} v{identity['version']} ({identity['runtime']}, sha256 {identity['sha256']})"


def run_settings(
    model: str | Path | FaceModel | None,
    revision: str | None,
    detector: str | None,
    mirror: bool | None,
    **others: Any,
) -> dict[str, Any]:
    """The settings that change results, as stored with every record (``others``: fps, crops…).

    ``mirror`` is stored as it takes effect (``None``: the model's own setting).

    >>> settings = run_settings(None, None, None, None, fps=5.0)
    >>> sorted(settings), settings["mirror"], settings["detector"]
    (['detector', 'fps', 'mirror', 'model'], False, 'blazeface')
    """
    from facemotion.detection import DEFAULT_DETECTOR
    from facemotion.runtime import FaceModel

    face_model = model if isinstance(model, FaceModel) else FaceModel(model, revision, mirror=mirror, threads=1)
    return {
        "model": model_identity(face_model),
        "detector": detector or DEFAULT_DETECTOR,
        "mirror": face_model.mirror,
        **others,
    }


def settings_difference(old: dict[str, Any] | None, new: dict[str, Any]) -> str | None:
    """What differs between the settings of stored results and of this run, or None.

    >>> settings_difference({"fps": 5.0, "mirror": None}, {"fps": 2.0, "mirror": None})
    'fps 5.0 there, 2.0 now'
    >>> settings_difference({"fps": 5.0}, {"fps": 5.0}) is None
    True
    """
    if old is None:
        return "the results there do not say which model and settings made them"
    parts = [
        f"{key} {old.get(key)!r} there, {new.get(key)!r} now".replace("'", "")
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
    return "; ".join(parts) or None


def refuse_other_settings(where: Path, stored: Iterable[dict[str, Any] | None], settings: dict[str, Any]) -> None:
    """Raise `SettingsMismatch` when any stored settings differ from ``settings``."""
    for old in stored:
        difference = settings_difference(old, settings)
        if difference:
            raise SettingsMismatch(
                f"{where} holds results made with other settings ({difference}); "
                f"write to another output, or pass {OVERWRITE_HINT} to replace them"
            )


#: How every record's line begins (`json.dumps` of a dict whose first key is ``path``).
RECORD_START = b'{"path": '


class NotAResultsLog(OutputError):
    """A file given for results holds something else (notes, a photo): it is neither cut nor replaced."""


class RecordLog:
    """An append-only JSON Lines file: one record (a dict whose first key is ``path``) per line; see the
    module's docs. A file that does not begin like one is refused (`NotAResultsLog`), never changed."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> list[dict[str, Any]]:
        """The records, oldest first; a torn last line is cut off the file, other bad lines skipped."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except IsADirectoryError:
            raise FacemotionError(f"{self.path} is a folder; give a file name for the results") from None
        if not _looks_like_a_log(data):
            raise NotAResultsLog(
                f"{self.path} is not a results file written by facemotion (its first line is not a record with "
                "a path); it was left as it is: give a new file name"
            )
        end = len(data)
        if data and not data.endswith(b"\n"):  # torn: the last write did not finish
            end = data.rfind(b"\n") + 1
            with self.path.open("r+b") as handle:
                handle.truncate(end)
                os.fsync(handle.fileno())
            log.warning(
                "%s: cut off an unfinished last line (%d bytes); that input is redone", self.path, len(data) - end
            )
        records = []
        for number, line in enumerate(data[:end].splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                records.append(record)
            elif line.strip():
                log.warning("%s:%d is not a JSON record; ignored", self.path, number)
        return records

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        """Append ``records`` and flush them to disk before returning."""
        if not records:
            return
        text = "".join(_line(r) for r in records)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def rewrite(self, records: Sequence[dict[str, Any]]) -> None:
        """Replace the file's content by ``records`` atomically (a temporary file, renamed)."""
        atomic_write(self.path, "".join(_line(r) for r in records).encode())


def _looks_like_a_log(data: bytes) -> bool:
    """Whether ``data`` begins like a records log: its first line that is not blank (or NUL bytes,
    as a crash can leave) is a JSON object with a ``path``, or, unfinished, begins like one.

    >>> _looks_like_a_log(b'{"path": "a.jpg"}\\n{"pa'), _looks_like_a_log(b'{"pa'), _looks_like_a_log(b"")
    (True, True, True)
    >>> _looks_like_a_log(b'{"path":"a.jpg"}\\n'), _looks_like_a_log(b'{"notes": 1}'), _looks_like_a_log(b"\\xff\\xd8")
    (True, False, False)
    """
    lines = data.split(b"\n")
    first = next((i for i, line in enumerate(lines) if line.strip(b" \t\r\x00")), None)
    if first is None:
        return True
    line = lines[first].strip(b" \t\r\x00")
    if first == len(lines) - 1:  # unfinished: a record cut short
        return RECORD_START.startswith(line[: len(RECORD_START)]) or line.startswith(b'{"path":')
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and "path" in record


def _line(record: dict[str, Any]) -> str:
    """A record's line, ``path`` first (`RECORD_START`)."""
    return json.dumps({"path": record["path"], **record}) + "\n"


def resume(
    records_log: RecordLog,
    keys: Sequence[dict[str, Any]],
    settings: dict[str, Any],
    *,
    overwrite: bool = False,
    valid: Callable[[dict[str, Any]], bool] = lambda record: True,
) -> tuple[list[dict[str, Any]], set[str]]:
    """The records kept, and the paths among ``keys`` (`source_key`) already finished with ``settings``.

    The log is brought to one record per input: records of inputs to redo (failed,
    changed since, or whose outputs ``valid`` finds damaged) are dropped now, and this run
    appends their new ones. ``overwrite`` empties it; otherwise other settings are a
    `SettingsMismatch`.
    """
    if overwrite:
        records_log.load()  # only a results file is replaced
        records_log.rewrite([])
        return [], set()
    records = records_log.load()
    refuse_other_settings(records_log.path, (r.get("settings") for r in records), settings)
    latest = {str(r.get("path")): r for r in records}
    wanted = {k["path"]: k for k in keys}
    done = set()
    for path, record in latest.items():
        key = wanted.get(path)
        unchanged = key is None or (record.get("size"), record.get("mtime_ns")) == (key["size"], key["mtime_ns"])
        if record.get("error") is None and unchanged and valid(record):
            done.add(path)
    kept = [r for p, r in latest.items() if p in done or p not in wanted]
    if len(kept) != len(records):
        records_log.rewrite(kept)
    return kept, done & set(wanted)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` whole or not at all (`replacing`)."""
    import pyarrow.parquet as pq

    with replacing(path) as tmp:
        pq.write_table(table, str(tmp))


def parquet_rows(path: Path) -> int | None:
    """The number of rows of a complete Parquet file, or None when it is missing, empty, cut or corrupt.

    >>> parquet_rows(Path("missing.parquet")) is None
    True
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return int(pq.read_metadata(path).num_rows)
    except (OSError, pa.ArrowException):
        return None
