"""Models with a LiteRT export load offline from a real Hugging Face cache, and the cache's
symbolic links are followed only into that repository's ``blobs/`` folder."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from facemotion import EmotionClassifier, ModelLoadError
from facemotion.artifact import artifact_file
from facemotion.hub import DEFAULT_MODEL_DIR, resolve_model
from facemotion.runtime import FaceModel

REPO = "facemotion-test/bundled-copy"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fill_hub_cache(cache: Path, repo_id: str, model_dir: Path, commit: str = COMMIT, tag: str = "v1.0") -> Path:
    """Lay out a huggingface_hub cache entry as a download leaves it; return the snapshot folder.

    ``models--org--name/blobs/<sha256>`` holds the files, ``snapshots/<commit>/<file>`` are
    relative symbolic links ``../../blobs/<sha256>``, ``refs/main`` and ``refs/<tag>`` name the commit.
    """
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    blobs = repo / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir(exist_ok=True)
    for file in sorted(model_dir.iterdir()):
        sha = hashlib.sha256(file.read_bytes()).hexdigest()
        shutil.copyfile(file, blobs / sha)
        (snapshot / file.name).symlink_to(Path("..") / ".." / "blobs" / sha)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    (repo / "refs" / tag).write_text(commit)
    return snapshot


@pytest.fixture()
def cache(tmp_path: Path) -> Path:
    fill_hub_cache(tmp_path / "hub", REPO, DEFAULT_MODEL_DIR)
    return tmp_path / "hub"


def test_the_cache_layout_is_the_real_one(cache: Path) -> None:
    """huggingface_hub itself serves the files offline from this layout (so the test cache is genuine)."""
    from huggingface_hub import hf_hub_download, snapshot_download

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    config = hf_hub_download(REPO, "config.json", cache_dir=cache)
    assert Path(config).is_symlink() and Path(config).resolve().parent.name == "blobs"
    assert Path(snapshot_download(REPO, revision="v1.0", cache_dir=cache)).name == COMMIT


@pytest.mark.parametrize("revision", [None, "v1.0", COMMIT])
def test_a_litert_model_loads_offline_from_the_cache_and_reads_faces_like_the_bundled_one(
    cache: Path, astronaut: np.ndarray, revision: str | None
) -> None:
    hub = EmotionClassifier.from_pretrained(REPO, revision=revision, cache_dir=cache)
    assert hub.model.path.name == COMMIT and hub.model.runtime.startswith("tflite")
    bundled = EmotionClassifier()
    assert hub.model.runtime == bundled.model.runtime
    got, want = hub.predict(astronaut), bundled.predict(astronaut)
    assert len(got) == len(want) == 1 and got[0].label == want[0].label == "happy"
    assert got[0].probabilities == want[0].probabilities and got[0].valence == want[0].valence


def test_both_exports_of_a_cached_model_load(cache: Path) -> None:
    for runtime in ("tflite-int8", "tflite-float32"):
        assert FaceModel(REPO, cache_dir=cache, runtime=runtime).runtime == runtime


def test_identity_of_a_hub_model_names_the_repo_and_commit(cache: Path) -> None:
    identity = FaceModel(REPO, "v1.0", cache_dir=cache).identity
    bundled = FaceModel().identity
    assert identity["name"] == REPO and identity["revision"] == COMMIT
    assert bundled["name"] == "default" and bundled["revision"] is None
    assert identity["sha256"] == bundled["sha256"]  # the same files, byte for byte


def test_an_unknown_revision_offline_says_it_is_not_cached(cache: Path) -> None:
    with pytest.raises(ModelLoadError, match="not in the local Hugging Face cache"):
        resolve_model(REPO, revision="v9.9", cache_dir=cache)


def _retarget(link: Path, target: Path) -> None:
    link.unlink()
    link.symlink_to(os.path.relpath(target, link.parent))


def test_a_snapshot_link_into_another_repos_blobs_is_refused(cache: Path) -> None:
    other = fill_hub_cache(cache, "someone/else", DEFAULT_MODEL_DIR)
    snapshot = resolve_model(REPO, cache_dir=cache)
    _retarget(snapshot / "model.tflite", (other / "model.tflite").resolve())
    with pytest.raises(ModelLoadError, match=r"model\.tflite leads to .*someone--else.*, outside the model directory"):
        FaceModel(REPO, cache_dir=cache)


def test_a_snapshot_link_out_of_the_cache_is_refused(cache: Path, tmp_path: Path) -> None:
    snapshot = resolve_model(REPO, cache_dir=cache)
    outside = tmp_path / "elsewhere.tflite"
    shutil.copyfile(DEFAULT_MODEL_DIR / "model_float32.tflite", outside)
    _retarget(snapshot / "model_float32.tflite", outside)
    with pytest.raises(
        ModelLoadError, match=r"model_float32\.tflite leads to .*elsewhere\.tflite, outside the model directory"
    ):
        FaceModel(REPO, cache_dir=cache)


def test_a_config_name_climbing_out_of_a_snapshot_into_blobs_is_refused(cache: Path) -> None:
    """Only the cache's own links may reach blobs/: a config naming ``../../blobs/<sha>`` may not."""
    snapshot = resolve_model(REPO, cache_dir=cache)
    blob = (snapshot / "model.tflite").resolve()
    with pytest.raises(ModelLoadError, match="outside the model directory"):
        artifact_file(snapshot, f"../../blobs/{blob.name}")


def test_a_link_out_of_a_plain_model_folder_is_refused(tmp_path: Path) -> None:
    """Outside the Hub cache, a link that leaves the folder is refused, a link inside it is fine."""
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    (model / "model.tflite").rename(model / "int8.tflite")
    (model / "model.tflite").symlink_to("int8.tflite")
    assert FaceModel(model, runtime="tflite-int8").runtime == "tflite-int8"
    (model / "model.tflite").unlink()
    (model / "model.tflite").symlink_to(DEFAULT_MODEL_DIR / "model.tflite")
    with pytest.raises(ModelLoadError, match="outside the model directory"):
        FaceModel(model)


def test_a_folder_that_only_looks_like_a_snapshot_gets_no_blobs_exception(tmp_path: Path) -> None:
    fake = tmp_path / "not-a-cache" / "snapshots" / COMMIT
    shutil.copytree(DEFAULT_MODEL_DIR, fake)
    (tmp_path / "not-a-cache" / "blobs").mkdir()
    (fake / "model.tflite").rename(tmp_path / "not-a-cache" / "blobs" / "x")
    (fake / "model.tflite").symlink_to("../../blobs/x")
    with pytest.raises(ModelLoadError, match="outside the model directory"):
        FaceModel(fake)


def test_a_cached_model_with_a_broken_config_is_refused_like_a_local_one(cache: Path) -> None:
    snapshot = resolve_model(REPO, cache_dir=cache)
    config = json.loads((snapshot / "config.json").read_text())
    config["preprocessing"]["input_size"] = 64
    (snapshot / "config.json").unlink()
    (snapshot / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match=r"takes input \[48, 48, 1\] but config.json preprocessing says \[64"):
        EmotionClassifier.from_pretrained(REPO, cache_dir=cache)


def test_push_to_hub_refuses_a_model_that_would_not_load(tmp_path: Path) -> None:
    """Checked before any network call: a broken model is never published."""
    from facemotion.hub import push_to_hub

    model = Path(shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "model"))
    (model / "model_float32.tflite").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match=r"model_float32\.tflite is not a usable LiteRT model"):
        push_to_hub(model, "someone/broken", token="not-used")


def test_a_cache_reached_through_a_symbolic_link_works(cache: Path, tmp_path: Path) -> None:
    """``~/.cache/huggingface`` is often a link to a bigger disk."""
    (tmp_path / "linked-cache").symlink_to(cache)
    model = FaceModel(REPO, cache_dir=tmp_path / "linked-cache")
    assert model.runtime.startswith("tflite") and model.identity["revision"] == COMMIT


def test_an_uncached_model_says_whether_offline_mode_or_the_network_is_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ModelLoadError, match="not in the local Hugging Face cache and HF_HUB_OFFLINE is set; unset it"):
        resolve_model("facemotion-test/not-cached", cache_dir=tmp_path)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # as without HF_HUB_OFFLINE, and no network:
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{_closed_port()}")  # connection refused
    with pytest.raises(
        ModelLoadError,
        match=r"the Hub cannot be reached \(or did not answer in time\); connect to the network once",
    ) as info:
        resolve_model("facemotion-test/not-cached", cache_dir=tmp_path)
    assert "HF_HUB_OFFLINE" not in str(info.value)


def test_publishing_offline_or_unreachable_is_one_hub_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tests run with HF_HUB_OFFLINE=1; the network failure is the HTTP client's error, raised here
    without touching the network."""
    import huggingface_hub

    from facemotion.cli import main
    from facemotion.errors import HubError
    from facemotion.hub import push_to_hub

    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    with pytest.raises(HubError, match="HF_HUB_OFFLINE is set"):
        push_to_hub(DEFAULT_MODEL_DIR, "someone/mine", token="not-used")
    with pytest.raises(HubError, match="not a Hub repository id"):
        push_to_hub(DEFAULT_MODEL_DIR, "mine", token="not-used")

    class ConnectError(Exception):  # what the HTTP client raises without a network
        pass

    def no_network(*args: object, **kwargs: object) -> None:
        raise ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(huggingface_hub.HfApi, "repo_info", no_network)
    assert main(["publish", str(DEFAULT_MODEL_DIR), "someone/mine"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "facemotion: error: cannot publish to someone/mine: ConnectError: [Errno -2] Name or service not known"
    )


def test_a_snapshot_copied_without_its_blobs_says_so(cache: Path, tmp_path: Path) -> None:
    """`cp -r` of a snapshot keeps its relative links, which then lead nowhere."""
    copy = tmp_path / "mymodel"
    shutil.copytree(resolve_model(REPO, cache_dir=cache), copy, symlinks=True)
    with pytest.raises(ModelLoadError, match=r"config\.json is a symbolic link to .*, which is missing .*cp -rL"):
        FaceModel(copy)


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when this returns: nothing listens there


def _hub_at(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Talk to a local server on ``port`` as the Hub, online (no proxy): nothing leaves this machine."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)


@contextlib.contextmanager
def _answering(status: int, content_type: str, body: bytes) -> Iterator[int]:
    """A local HTTP server answering every request so; yields its port."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()


@pytest.mark.parametrize("status", [401, 500])
def test_a_hub_answering_with_an_error_is_reported_not_taken_for_no_network(
    cache: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """An answer is the Hub's, even an error: a refused token must not read "connect to the network"
    (the Hub's error is reported; a cached copy is still served, as huggingface_hub does)."""
    with _answering(status, "application/json", b'{"error": "refused"}') as port:
        _hub_at(port, monkeypatch)
        with pytest.raises(ModelLoadError, match=rf"facemotion-test/not-cached.*{status}") as info:
            FaceModel("facemotion-test/not-cached", cache_dir=cache)
        assert "cannot be reached" not in str(info.value)
        assert FaceModel(REPO, cache_dir=cache).runtime.startswith("tflite")  # huggingface_hub serves the cache


def test_a_captive_portal_s_page_is_no_answer(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hotel network answers every address with its login page: not the Hub's answer, so the cache serves."""
    with _answering(200, "text/html", b"<html>Log in to the hotel network</html>") as port:
        _hub_at(port, monkeypatch)
        assert FaceModel(REPO, cache_dir=cache).runtime.startswith("tflite")


def test_a_hub_that_never_answers_falls_back_to_the_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A proxy or server that accepts and never answers hung the load of a cached model (huggingface_hub
    waits without end); now the Hub gets `HUB_TIMEOUT` seconds, then the cached copy is used."""
    import socket
    import time

    import facemotion.hub as hub

    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        _hub_at(silent.getsockname()[1], monkeypatch)
        monkeypatch.setattr(hub, "HUB_TIMEOUT", 0.5)
        start = time.perf_counter()
        model = FaceModel(REPO, cache_dir=cache)
    assert time.perf_counter() - start < 10 and model.runtime.startswith("tflite")
    assert (
        "the Hub did not answer" in caplog.text
        and "looking for facemotion-test/bundled-copy in the cache" in caplog.text
    )
