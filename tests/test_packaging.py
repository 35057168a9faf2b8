"""The distribution: a wheel built with `python -m build` from the tracked files, installed into a
clean virtualenv, runs `tutor --help`, `tutor ingest`, `tutor search` and `tutor eval` from outside
the source tree, and ships only the owner's packages (no top-level `cli`, `commands` or `app`).

The clean virtualenv gets the wheel alone (--no-deps); its third-party dependencies (torch, faiss,
the model packages: gigabytes) are borrowed from the development environment through a plain path
entry, which Python appends after the venv's own site-packages without running that folder's .pth
files, so the development (editable) install of the tutor itself stays invisible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import CACHE, ROOT, SHARED

pytestmark = pytest.mark.slow


def _run(cmd, cwd, env, timeout=900) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{cmd} failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the tracked files (what a fresh clone has)."""
    src = tmp_path_factory.mktemp("src")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        path = ROOT / name
        if path.is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(path.read_bytes())
    dist = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with this environment's setuptools (the registry is not needed).
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(src)],
         cwd=src, env=os.environ.copy())
    (built,) = dist.glob("interview_tutor-*.whl")
    return built


def test_wheel_ships_only_the_owners_packages(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"tutor", "ingest", "eval"}, top
    assert "eval/grading/dev_en.jsonl" in names  # package data the grading bench reads
    meta = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    entry_points = zipfile.ZipFile(wheel).read(meta).decode()
    assert "interview-tutor = tutor.cli:main" in entry_points and "tutor = tutor.cli:main" in entry_points
    assert "ingest = ingest.cli:register" in entry_points and "eval = eval.cli:register" in entry_points


@pytest.fixture(scope="module")
def clean_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent, env=os.environ.copy())
    vpy = venv / "bin" / "python"
    # Install the wheel with the development environment's pip, targeting the clean venv.
    _run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "--no-deps", "--no-index", str(wheel)],
         cwd=venv.parent, env=os.environ.copy())
    site = Path(subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUTOR_", "PYTHON"))}
    env.update(HF_HUB_OFFLINE="1", TUTOR_CACHE=str(CACHE), TUTOR_THREADS="2", TUTOR_SHARED=str(SHARED),
               TUTOR_DB=str(tmp_path / "progress.sqlite"))
    return env


def test_installed_package_is_the_wheels(clean_venv, tmp_path):
    out = _run([str(clean_venv / "bin" / "python"), "-c", ("import tutor, ingest, eval; "
                "print(tutor.__file__); print(ingest.__file__); print(eval.__file__)")],
               cwd=tmp_path, env=_env(tmp_path))
    for line in out.stdout.split():
        assert line.startswith(str(clean_venv)), line  # not the source tree's copy
    for generic in ("cli", "commands", "app"):
        probe = subprocess.run([str(clean_venv / "bin" / "python"), "-c", f"import {generic}"],
                               cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True)
        assert probe.returncode != 0, f"`import {generic}` works in the clean venv"


def test_wheel_runs_help_ingest_search_eval(clean_venv, seed_index, tmp_path):
    env = _env(tmp_path)
    bindir = clean_venv / "bin"
    for command in ("tutor", "interview-tutor"):
        helptext = _run([str(bindir / command), "--help"], cwd=tmp_path, env=env).stdout
        for sub in ("ingest", "records", "search", "ask", "grade", "interview", "eval"):
            assert sub in helptext, (command, sub)

    index = tmp_path / "index"
    _run([str(bindir / "tutor"), "ingest", str(ROOT / "bank"), "--index", str(index), "--quiet"],
         cwd=tmp_path, env=env)
    hits = json.loads(_run([str(bindir / "tutor"), "search", "How do you prevent overfitting?", "--index",
                            str(index), "--json", "--k", "3"], cwd=tmp_path, env=env).stdout)["hits"]
    assert hits and "overfit" in hits[0]["question"].casefold()

    # eval's default query file comes from settings (TUTOR_SHARED), not from the package's position.
    queries = tmp_path / "q.jsonl"
    with open(SHARED / "eval" / "dev_queries.jsonl", encoding="utf-8") as fh:
        queries.write_text("".join(fh.readlines()[:4]), encoding="utf-8")
    result = json.loads(_run([str(bindir / "tutor"), "eval", "--index", str(seed_index), "--queries", str(queries),
                              "--config", "hybrid", "--json"], cwd=tmp_path, env=env).stdout)
    assert result["metrics"]["ALL"]["n"] == 4
