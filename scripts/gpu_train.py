"""One prepared GPU run: pack the training data here, train a teacher and two students on a lent GPU.

The GPU machine (one H200, 15 minutes of device time per session, start-up included) has
Python 3.12 and JAX with CUDA, but no Keras, no TensorFlow, no OpenCV and no network; what it
needs travels with the working tree (64 MiB in all). So:

1. Here, on the CPU, with ``../shared/data`` and the network (once; the folder is git-ignored)::

       python scripts/gpu_train.py pack --data ../shared/data --into runs/gpu_pack

   writes FER+ ``train``, CK+ ``train``'s training subjects and the portraits' training people
   (framed by the default detector) as JPEG mosaics, FER+ ``val`` (duplicates of training
   images removed) and CK+'s held-out subjects (20 %, posed expressions) as lossless PNG
   mosaics, their targets, and the ``keras``, ``namex``, ``optree`` (and, in case,
   ``pillow``) wheels for Python 3.12 (unpacked onto ``sys.path`` there: no pip needed).

2. Smoke-test the train step on the CPU with tiny budgets (``tests/test_training_gpu_script.py``
   does this on a small pack, with OpenCV and TensorFlow hidden as on the GPU machine)::

       python scripts/gpu_train.py train --pack runs/gpu_pack --out runs/gpu_smoke --smoke

3. On the GPU, with the device tool, in one call (about 7 minutes of the 15)::

       run(command="python scripts/gpu_train.py train --pack runs/gpu_pack --out $OUT",
           carry=["runs/gpu_pack"], timeout_s=600)

   installs the carried wheels, trains (JAX backend, bf16, all augmentation inside the
   compiled step) the teacher (ResNet-18 for 48 px, width 48: 6.3 M parameters, 1.4 GFLOP)
   for ``--teacher-seconds``, then the students distilled from it with consistent teaching
   (the teacher labels the very augmented, mixed batch each student sees): ``default``
   (compact width 32, 112.8 MFLOP) and ``fast`` (compact width 16, 28.5 MFLOP: see
   ``STUDENTS``; ``--fast-width``), each for ``--student-seconds``. It writes ``teacher.keras`` (float16 weights, under 16 MiB),
   ``default.keras``, ``fast.keras`` and ``gpu_train.json`` (epochs, seconds, FER+ ``val``
   figures and the posed-negative recall on the held-out CK+ people, of the final weights:
   nothing is selected on either) to ``--out``. ``gpu_train.json`` is rewritten after each
   network, checkpoints stay outside ``--out``, and a network that fails (out of memory, a
   compile error) is recorded there while the others still train (students untaught if the
   teacher failed; the exit status says which did not train): a call cut short or half
   failed still brings back what it made.

4. Back here: make each network a model directory with its LiteRT exports, then evaluate it::

       python scripts/gpu_train.py ship gpu_out/fast.keras --out runs/fast_model
       python scripts/evaluate_default_model.py --model runs/fast_model

The recipe (issue 24): SGD with Nesterov momentum 0.9, weight decay 5e-4, warm-up over 3 % of
the budget then a cosine to 0; teacher batch 256, learning rate 0.1, no mixup; students batch
512, learning rate 0.2, mixup α 0.4, targets 0.3 × labels + 0.7 × teacher; sampling ∝ class
frequency^-0.3; rotation ±15°, scale ±10 %, shift ±10 %, flip, brightness/contrast, camera
degradations (0.25), random erasing 0.5.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TILE = 48
GRID = 64  # faces per mosaic side: 4,096 faces per 3,072-px mosaic
WHEELS = ("keras", "namex", "optree", "pillow")
PACK_LIMIT = 48 * 2**20  # leaves room for the working tree within the 64 MiB that travel
FILE_LIMIT = 16 * 2**20
MAX_FILES = 8
#: name: (width, FLOP limit). `fast` is width 16 (28.5 MFLOP), not 22 (53.6): in LiteRT on CPU B, crops per second
#: (benchmarks/fast_widths.py), float32 / int8: width 32 1,516 / 5,166, 22 2,474 / 7,580, 18 2,963 / 8,573, 16 5,293 /
#: 13,506 (channels in multiples of 16 suit XNNPACK's kernels). An AVX2-only CPU runs float32, where the default
#: does 1,381 faces/s against fer's 2,050: width 22 would be about 1.1x fer there, width 16 about 2.4x.
STUDENTS = {"default": (32, 113e6), "fast": (16, 55e6)}


# --------------------------------------------------------------------------- pack (CPU, here)


def mosaic(faces: np.ndarray) -> list[np.ndarray]:
    """Tile (N, 48, 48) faces into GRID×GRID mosaics; 48 is a multiple of JPEG's 8-px blocks, so no
    block straddles two faces and a mosaic compresses each face as it would alone.

    >>> [m.shape for m in mosaic(np.zeros((4097, 48, 48), np.uint8))]
    [(3072, 3072), (48, 3072)]
    """
    out = []
    for start in range(0, len(faces), GRID * GRID):
        chunk = faces[start : start + GRID * GRID]
        rows = -(-len(chunk) // GRID)
        padded = np.zeros((rows * GRID, TILE, TILE), np.uint8)
        padded[: len(chunk)] = chunk
        out.append(padded.reshape(rows, GRID, TILE, TILE).transpose(0, 2, 1, 3).reshape(rows * TILE, GRID * TILE))
    return out


def unmosaic(images: list[np.ndarray], n: int) -> np.ndarray:
    """The inverse of `mosaic`: the first ``n`` faces, (n, 48, 48, 1) uint8.

    >>> faces = np.arange(5 * 48 * 48, dtype=np.uint32).reshape(5, 48, 48).astype(np.uint8)
    >>> bool((unmosaic(mosaic(faces), 5)[..., 0] == faces).all())
    True
    """
    parts = [
        m.reshape(m.shape[0] // TILE, TILE, GRID, TILE).transpose(0, 2, 1, 3).reshape(-1, TILE, TILE) for m in images
    ]
    return np.concatenate(parts)[:n, :, :, None]


def _limit(data: Any, per_class: int | None, seed: int = 0) -> Any:
    if not per_class:
        return data
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.permutation(np.flatnonzero(data.labels == c))[:per_class] for c in range(9)])
    return data.subset(np.sort(keep))


def pack(args: argparse.Namespace) -> None:
    from PIL import Image

    sys.path.insert(0, str(ROOT / "scripts"))
    from facemotion.training import FaceDataset, load_image_folder, load_vote_folder, recipe_preprocessing
    from facemotion.training.datasets import identity_split

    from train_default_model import PORTRAITS_HELD_OUT, ckplus_people, duplicate_val_files

    prep = recipe_preprocessing("compact")
    data: Path = args.data
    votes = data / "ferplus" / "votes.csv"
    parts = [_limit(load_vote_folder(data / "ferplus" / "train", votes, prep), args.per_class)]
    sources = [np.zeros(len(parts[0]), np.int8)]
    posed = None
    if (data / "ckplus48" / "train").is_dir():
        ck_train, ck_held = ckplus_people(data, prep)
        parts.append(_limit(ck_train, args.per_class))
        sources.append(np.ones(len(parts[-1]), np.int8))
        posed = _limit(ck_held, args.per_class)
    if args.portraits and (data / "portraits").is_dir():
        faces = load_image_folder(data / "portraits", prep, detect_faces=True, seed=1)
        parts.append(_limit(faces.subset(~identity_split(faces.paths, PORTRAITS_HELD_OUT)), args.per_class))
        sources.append(np.full(len(parts[-1]), 2, np.int8))
    train = FaceDataset.concatenate(parts)
    val = load_vote_folder(data / "ferplus" / "val", votes, prep)
    dup = duplicate_val_files(data / "ferplus" / "duplicates.csv")
    val = _limit(val.subset(np.array([Path(p).name not in dup for p in val.paths])), args.per_class)

    into: Path = args.into
    into.mkdir(parents=True, exist_ok=True)
    for old in into.glob("*_faces_*"):
        old.unlink()
    for i, image in enumerate(mosaic(train.images[..., 0])):
        Image.fromarray(image).save(into / f"train_faces_{i:02d}.jpg", quality=args.quality)
    targets: dict[str, np.ndarray] = {
        "train_labels": train.labels.astype(np.int8),
        "train_soft": train.soft_labels.astype(np.float16),
        "train_affect": train.affect.astype(np.float16),
        "train_source": np.concatenate(sources),
    }
    for name, judge in (("val", val), ("posed", posed)):
        if judge is None:
            continue
        for i, image in enumerate(mosaic(judge.images[..., 0])):  # lossless: these faces judge the models
            Image.fromarray(image).save(into / f"{name}_faces_{i:02d}.png", optimize=True)
        targets |= {
            f"{name}_labels": judge.labels.astype(np.int8),
            f"{name}_soft": judge.soft_labels.astype(np.float16),
            f"{name}_affect": judge.affect.astype(np.float16),
        }
    np.savez_compressed(into / "targets.npz", **targets)
    if args.wheels:
        wheels = into / "wheels"
        wheels.mkdir(exist_ok=True)
        platforms = ["manylinux2014_x86_64", "manylinux_2_27_x86_64", "manylinux_2_28_x86_64"]
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        command += ["--python-version", "3.12", *(f"--platform={p}" for p in platforms), "-d", str(wheels), *WHEELS]
        subprocess.run(command, check=True)
    size = sum(p.stat().st_size for p in into.rglob("*") if p.is_file())
    source = np.concatenate(sources)
    manifest = {
        "train": len(train),
        "train_by_source": {name: int((source == k).sum()) for k, name in enumerate(SOURCES)},
        "val": len(val),
        "posed": len(posed) if posed is not None else 0,
        "jpeg_quality": args.quality,
        "bytes": size,
        "command": " ".join(["python scripts/gpu_train.py", *sys.argv[1:]]),
    }
    (into / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest, indent=2))
    if size > PACK_LIMIT:
        raise SystemExit(f"the pack is {size / 2**20:.1f} MiB, over {PACK_LIMIT / 2**20:.0f} MiB: lower --quality")


# --------------------------------------------------------------------------- train (GPU, there)


def ensure_packages(wheels: Path) -> None:
    """Make the carried wheels importable where their packages are missing (no network, maybe no pip there).

    A wheel is a zip of the files an installation would copy, so unpacking the ones needed
    into a temporary folder on ``sys.path`` installs them for this process.
    """
    needed = [w for w, module in (("keras", "keras"), ("pillow", "PIL")) if importlib.util.find_spec(module) is None]
    if "keras" in needed:
        needed += [
            w for w, module in (("namex", "namex"), ("optree", "optree")) if not importlib.util.find_spec(module)
        ]
    if needed:
        import tempfile
        import zipfile

        site = Path(tempfile.mkdtemp(prefix="gpu_train_site_"))
        for name in needed:
            found = sorted(wheels.glob(f"{name}-*.whl"))
            if not found:
                raise SystemExit(f"{name} is not installed here and {wheels} has no {name} wheel")
            with zipfile.ZipFile(found[-1]) as wheel:
                wheel.extractall(site)
        sys.path.insert(0, str(site))
        importlib.invalidate_caches()
        print(f"unpacked {', '.join(needed)} from {wheels}", flush=True)
    for module in ("keras", "PIL", "absl", "rich", "h5py", "ml_dtypes", "namex", "optree"):
        if importlib.util.find_spec(module) is None:
            raise SystemExit(f"{module} is missing on this machine and not among the carried wheels")


def opencv_placeholder() -> None:
    """facemotion.preprocessing imports OpenCV at the top, though training from a pack never calls it.

    Where OpenCV is not installed (the GPU machine), a placeholder module lets the import
    succeed; any use of it raises, so nothing can silently depend on it.
    """
    try:
        if importlib.util.find_spec("cv2") is not None:
            return
    except ImportError:
        pass

    def missing(name: str) -> Any:
        raise ImportError(f"cv2.{name}: OpenCV is not installed on this machine")

    placeholder = types.ModuleType("cv2")
    placeholder.__getattr__ = missing  # type: ignore[method-assign]
    sys.modules["cv2"] = placeholder


SOURCES = ("ferplus", "ckplus", "portraits")  # train_source codes in the pack
POSED_NEGATIVES = ("anger", "disgust", "fear", "sad")


def load_pack(pack_dir: Path, repeats: dict[str, int] | None = None) -> tuple[Any, Any, Any]:
    """The pack's training faces (each source repeated ``repeats[source]`` times), FER+ ``val``, and the held-out
    CK+ people (``None`` in a pack without them)."""
    from PIL import Image

    from facemotion.training.datasets import FaceDataset

    t = np.load(pack_dir / "targets.npz")

    def part(name: str, suffix: str) -> Any:
        if f"{name}_labels" not in t:
            return None
        n = len(t[f"{name}_labels"])
        images = [np.asarray(Image.open(p).convert("L")) for p in sorted(pack_dir.glob(f"{name}_faces_*.{suffix}"))]
        return FaceDataset(
            unmosaic(images, n),
            t[f"{name}_labels"].astype(np.int64),
            t[f"{name}_soft"].astype(np.float32),
            t[f"{name}_affect"].astype(np.float32),
            [f"{name}/{i}" for i in range(n)],
        )

    train = part("train", "jpg")
    extra = [
        train.subset(np.flatnonzero(t["train_source"] == code))
        for code, source in enumerate(SOURCES)
        for _ in range(max(0, (repeats or {}).get(source, 1) - 1))
    ]
    return FaceDataset.concatenate([train, *extra]), part("val", "png"), part("posed", "png")


def posed_figures(model: Any, posed: Any, prep: Any) -> dict[str, Any]:
    """Accuracy (most probable of eight) and the recall of each posed negative on the held-out CK+ people."""
    if posed is None:
        return {}
    from facemotion.training.evaluate import classification_report
    from facemotion.training.run import emotion_probabilities

    r = classification_report(emotion_probabilities(model, posed, prep), posed.labels)
    recall = {k: round(r.per_class[k]["recall"], 3) for k in POSED_NEGATIVES if k in r.per_class}
    return {"posed_accuracy_8": round(r.accuracy_8 or 0.0, 4), "posed_recall": recall}


def as_dtype(model: Any, build: Any, dtype: str) -> Any:
    """The same network built anew with ``dtype`` variables and computation, holding ``model``'s weights."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(dtype)
    try:
        clone = build()
    finally:
        keras.config.set_dtype_policy(previous)
    clone.set_weights([np.asarray(w, dtype) for w in model.get_weights()])
    return clone


def train(args: argparse.Namespace) -> None:
    started = time.monotonic()
    ensure_packages(args.pack / "wheels")
    if "KERAS_BACKEND" not in os.environ:
        os.environ["KERAS_BACKEND"] = "jax" if importlib.util.find_spec("jax") else "tensorflow"
    opencv_placeholder()
    sys.path.insert(0, str(ROOT / "src"))
    import keras

    from facemotion.models import attach_heads, build_resnet18
    from facemotion.models.cost import flops
    from facemotion.training import Augmentation, TrainingConfig, build_model, finetune, recipe_preprocessing
    from facemotion.training.evaluate import classification_report
    from facemotion.training.run import emotion_probabilities

    if args.smoke:
        args.teacher_seconds, args.student_seconds, args.teacher_width, args.max_epochs = 5.0, 5.0, 8, 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    keras.config.set_dtype_policy(args.precision)
    keras.utils.set_random_seed(args.seed)
    prep = recipe_preprocessing("compact")
    repeats = {"ckplus": args.ckplus_repeat, "portraits": args.portraits_repeat}
    train_set, val, posed = load_pack(args.pack, repeats)
    print(
        f"backend {keras.backend.backend()}, {args.precision}; train {len(train_set)}, val {len(val)}, "
        f"posed {len(posed) if posed is not None else 0}",
        flush=True,
    )
    augmentation = Augmentation(
        rotation=15.0, shift=0.1, scale=0.1, brightness=0.2, contrast=0.3, erasing=0.5, photometric=0.25
    )
    report: dict[str, Any] = {
        "backend": keras.backend.backend(),
        "precision": args.precision,
        "command": " ".join(["python scripts/gpu_train.py", *sys.argv[1:]]),
        "models": {},
    }
    # Checkpoints never go into OUT: only what it holds comes back (8 files at most), also when the call is cut.
    work_root = Path(tempfile.mkdtemp(prefix="gpu_train_work_"))

    def save_report() -> None:
        """gpu_train.json as it stands: written after each network, so a run cut short still says what it made."""
        report["files"] = {f.name: f.stat().st_size for f in sorted(out.glob("*.keras"))}
        report["seconds"] = round(time.monotonic() - started, 1)
        partial = out / "gpu_train.json.partial"
        partial.write_text(json.dumps(report, indent=2) + "\n")
        partial.replace(out / "gpu_train.json")

    def build_teacher() -> Any:
        return attach_heads(build_resnet18(width=args.teacher_width), style="pooled", dropout=0.2)

    def fit(name: str, build: Any, config: Any, teachers: list[Any], width: int, store: str) -> Any:
        """Train one network, save it as ``name``.keras in ``store`` precision, record its figures; None if it failed.

        One network failing (out of memory, a compile error) must not cost the others their device time.
        """
        t0 = time.monotonic()
        work = work_root / name
        try:
            model = build()
            history = finetune(
                model, train_set, val, prep, work, config, teachers=teachers, teacher_weight=args.distill, verbose=2
            )
            r = classification_report(emotion_probabilities(model, val, prep), val.labels)
            row = {
                "epochs": len(history.history["loss"]),
                "seconds": round(time.monotonic() - t0, 1),
                "val_accuracy_8": round(r.accuracy_8 or 0.0, 4),
                "val_accuracy_9": round(r.accuracy, 4),
                "val_macro_f1": round(r.macro_f1, 4),
                "recall": {k: round(v["recall"], 3) for k, v in r.per_class.items()},
                **posed_figures(model, posed, prep),
                "flops": flops(model),
                "params": model.count_params(),
                "width": width,
                "taught": bool(teachers),
            }
            as_dtype(model, build, store).save(out / f"{name}.keras")
        except Exception as err:  # recorded in the report, and the run goes on
            report["models"][name] = {
                "error": f"{type(err).__name__}: {err}",
                "seconds": round(time.monotonic() - t0, 1),
            }
            print(name, "FAILED:", report["models"][name]["error"], flush=True)
            save_report()
            return None
        print(name, json.dumps(row), flush=True)
        history_csv = work / "history.csv"
        report["models"][name] = {**row, "history_csv": history_csv.read_text() if history_csv.is_file() else ""}
        save_report()
        return model

    teacher_config = TrainingConfig(
        epochs=args.max_epochs,
        batch_size=256,
        learning_rate=0.1,
        optimizer="sgd",
        balance=0.3,
        time_budget=args.teacher_seconds,
        augmentation=augmentation,
        seed=args.seed,
    )
    # float16 weights: half the bytes, under 16 MiB at width 48
    teacher = fit("teacher", build_teacher, teacher_config, [], args.teacher_width, "float16")
    if teacher is not None:
        teacher.trainable = False
    students = {**STUDENTS, "fast": (args.fast_width, STUDENTS["fast"][1])}
    for name, (width, limit) in students.items():
        width = max(2, width // 8) if args.smoke else width
        cost = flops(build_model("compact", width=width))
        if cost > limit:
            raise SystemExit(f"{name}: {cost / 1e6:.1f} MFLOP, over {limit / 1e6:.0f}")
        config = TrainingConfig(
            epochs=args.max_epochs,
            batch_size=512,
            learning_rate=0.2,
            optimizer="sgd",
            balance=0.3,
            time_budget=args.student_seconds,
            augmentation=Augmentation(**{**augmentation.__dict__, "mixup": 0.4}),
            seed=args.seed,
        )
        fit(
            name,
            functools.partial(build_model, "compact", width=width),
            config,
            [teacher] if teacher is not None else [],
            width,
            "float32",
        )
    shutil.rmtree(work_root, ignore_errors=True)
    save_report()
    files = sorted(out.glob("*.keras"))
    too_big = [f.name for f in files if f.stat().st_size > FILE_LIMIT]
    if too_big or len(files) > MAX_FILES:
        raise SystemExit(f"over the limits of what comes back: {too_big or len(files)}")
    failed = [name for name, m in report["models"].items() if "error" in m]
    print(f"done in {report['seconds']} s: {', '.join(f.name for f in files)}", flush=True)
    if failed:
        raise SystemExit(f"not trained: {', '.join(failed)} (see gpu_train.json)")


# --------------------------------------------------------------------------- ship (CPU, here)


def ship(args: argparse.Namespace) -> None:
    """Make one trained network a model directory: float32 weights, card with the run's figures, LiteRT exports."""
    os.environ["KERAS_BACKEND"] = "tensorflow"  # the LiteRT converter works on TensorFlow models only
    import keras

    from facemotion.artifact import ModelCard, save_pretrained
    from facemotion.errors import ModelLoadError
    from facemotion.models import attach_heads, build_resnet18
    from facemotion.preprocessing import normalize
    from facemotion.training import build_model, recipe_preprocessing
    from facemotion.training.export import export_tflite

    run = json.loads((args.keras.parent / "gpu_train.json").read_text())
    name = args.keras.stem
    figures = run["models"].get(name, {"error": "not in gpu_train.json"})
    if "error" in figures:
        raise SystemExit(f"{name} did not train: {figures['error']}")
    trained = keras.saving.load_model(args.keras, compile=False)
    if name == "teacher":
        width = figures["width"]
        model = as_dtype(
            trained, lambda: attach_heads(build_resnet18(width=width), style="pooled", dropout=0.2), "float32"
        )
    else:
        model = as_dtype(trained, lambda: build_model("compact", width=figures["width"]), "float32")
    prep = recipe_preprocessing("compact")
    recipe = "resnet18" if name == "teacher" else "compact"
    keys = ("val_accuracy_8", "val_accuracy_9", "val_macro_f1", "posed_accuracy_8", "posed_recall", "epochs", "seconds")
    metrics = {k: figures[k] for k in keys if k in figures}
    card = ModelCard(
        description=f"facemotion {name} model from the prepared GPU run: {recipe}, width {figures['width']}, "
        f"{figures['flops'] / 1e6:.1f} MFLOP per face. Nothing was selected on FER+ val (final weights).",
        training_data="FER+ train + CK+ train's training subjects (80 %; the others judge posed expressions) "
        "+ the portraits' training people (80 % of the identities)",
        training_command=run["command"],
        metrics={**metrics, "backend": run["backend"], "precision": run["precision"]},
    )
    save_pretrained(model, args.out, prep, recipe=recipe, card=card)
    train_set, val, _ = load_pack(args.pack)
    picks = np.random.default_rng(0).permutation(len(train_set))[:512]
    export_tflite(args.out, quantization="none", samples=normalize(val.images[:512].astype(np.float32), prep))
    try:
        export_tflite(
            args.out, quantization="int8", samples=normalize(train_set.images[picks].astype(np.float32), prep)
        )
    except ModelLoadError as err:  # the check refused it: the float32 export serves
        print(f"{args.out}: no int8 export ({err})")
    exports = ", ".join(sorted(json.loads((args.out / "config.json").read_text())["runtimes"]))
    print(f"{args.out}: {name}, LiteRT exports: {exports}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("pack", help="write the training data and wheels into a folder that travels (CPU, here)")
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--into", type=Path, default=ROOT / "runs" / "gpu_pack")
    p.add_argument("--quality", type=int, default=90, help="JPEG quality of the training faces")
    p.add_argument("--per-class", type=int, default=None, help="at most this many faces per class and source")
    p.add_argument("--no-portraits", dest="portraits", action="store_false", help="leave the portraits out")
    p.add_argument("--no-wheels", dest="wheels", action="store_false", help="do not download the wheels")
    p.set_defaults(func=pack)
    t = sub.add_parser("train", help="train the teacher and the students (GPU, there; --smoke on a CPU)")
    t.add_argument("--pack", type=Path, default=ROOT / "runs" / "gpu_pack")
    t.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "runs/gpu_out")))
    t.add_argument("--teacher-seconds", type=float, default=180.0)
    t.add_argument("--student-seconds", type=float, default=100.0, help="for each of the two students")
    t.add_argument("--teacher-width", type=int, default=48)
    t.add_argument("--distill", type=float, default=0.7, help="weight of the teacher in the students' targets")
    t.add_argument("--fast-width", type=int, default=STUDENTS["fast"][0], help="width of the fast student")
    t.add_argument("--portraits-repeat", type=int, default=2, help="times the portraits' training people are seen")
    t.add_argument("--ckplus-repeat", type=int, default=3, help="times the CK+ training people are seen")
    t.add_argument("--precision", default="mixed_bfloat16", help="Keras dtype policy (float32 on a CPU is faster)")
    t.add_argument("--max-epochs", type=int, default=10_000, help="a cap; the budgets end the runs")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--smoke", action="store_true", help="tiny networks and 5-second budgets: finds errors on a CPU")
    t.set_defaults(func=train)
    h = sub.add_parser("ship", help="make one returned .keras file a model directory with LiteRT exports (CPU)")
    h.add_argument("keras", type=Path, help="teacher.keras, default.keras or fast.keras beside gpu_train.json")
    h.add_argument("--out", type=Path, required=True, help="model directory to write")
    h.add_argument("--pack", type=Path, default=ROOT / "runs" / "gpu_pack", help="faces to check the exports on")
    h.set_defaults(func=ship)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
