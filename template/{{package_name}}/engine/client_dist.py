# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``python -m <package>.engine.client_dist``: both clients' packages, versioned with the service.

Writes into ``dist/clients/`` (``--out`` to change it) the Python client's wheel
``<service>_client-<version>-py3-none-any.whl`` and the TypeScript client's npm tarball
``<service>-client-<version>.tgz``: what another application installs, without this
repository. The version is the service's (``[project] version`` in ``pyproject.toml``),
stamped on temporary copies of ``clients/``, so the project's own files never change.
Node and npm build the tarball only; the service never needs them.

Exit codes: 0 both written; 1 a build failed; 2 bad arguments; 3 no usable version in
``pyproject.toml``; 4 the wheel was written, but the tarball needs Node and npm.
"""

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

# `__package__`, not `__name__`: under `python -m` this module is `__main__`.
PACKAGE = (__package__ or "").split(".")[0]
COMMAND = f"python -m {PACKAGE}.engine.client_dist"
# engine/ → the package → the project's root, where pyproject.toml and clients/ are.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
OUT = Path("dist", "clients")
PYTHON_CLIENT = Path("clients", "python")
TYPESCRIPT_CLIENT = Path("clients", "typescript")
EXIT_BUILD_FAILED, EXIT_NO_VERSION, EXIT_NO_NPM = 1, 3, 4
# Builds fetch their tools (hatchling, typescript) from the package indexes: bounded all the same.
BUILD_TIMEOUT = 900.0
# The versions pip and npm both accept, each with one spelling: 1.2.3, 1.2.3rc1 (npm: 1.2.3-rc.1).
_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:(a|b|rc)(0|[1-9]\d*))?")
_NPM_PRE_RELEASE = {"a": "alpha", "b": "beta", "rc": "rc"}
# Local build leftovers: the copies are built from their sources only.
_LEFTOVERS = shutil.ignore_patterns(
    "node_modules", "dist", "build", "*.egg-info", "*.tgz", "__pycache__", ".*_cache"
)


class DistError(Exception):
    """A build that cannot go on: its one-line message and the command's exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_BUILD_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def read_version(root: Path) -> str:
    """The service's version, ``[project] version`` in `root`'s ``pyproject.toml``.

    Raises:
        DistError: no such file or field, or a version pip and npm would not both accept.
    """
    pyproject = root / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except FileNotFoundError:
        message = f"no {pyproject}: pass the project's folder as --root"
        raise DistError(message, EXIT_NO_VERSION) from None
    except tomllib.TOMLDecodeError as error:
        raise DistError(f"{pyproject} is not valid TOML: {error}", EXIT_NO_VERSION) from None
    version = project.get("version") if isinstance(project, dict) else None
    if not isinstance(version, str):
        raise DistError(f"{pyproject} has no [project] version string", EXIT_NO_VERSION)
    if not _VERSION.fullmatch(version):
        raise DistError(
            f"{pyproject}: version {version!r} is not MAJOR.MINOR.PATCH with an optional "
            "aN, bN or rcN, which both pip and npm accept",
            EXIT_NO_VERSION,
        )
    return version


def npm_version(version: str) -> str:
    """`version` (one :func:`read_version` accepts) as semver spells it: 1.2.3rc1 → 1.2.3-rc.1."""
    match = _VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"not a version read_version accepts: {version!r}")
    major, minor, patch, pre, number = match.groups()
    base = f"{major}.{minor}.{patch}"
    return f"{base}-{_NPM_PRE_RELEASE[pre]}.{number}" if pre else base


def stamp_python_client(root: Path, dest: Path, version: str) -> Path:
    """Copy `root`'s Python client to `dest` with `version` in its manifest and ``__version__``."""
    _copy(root / PYTHON_CLIENT, dest)
    _replace_one(dest / "pyproject.toml", r'^version = "[^"\n]*"$', f'version = "{version}"')
    init = _only(dest, "*_client/__init__.py")
    _replace_one(init, r'^__version__ = "[^"\n]*"$', f'__version__ = "{version}"')
    manifest = tomllib.loads((dest / "pyproject.toml").read_text(encoding="utf-8"))
    if manifest["project"]["version"] != version:
        raise DistError(f"could not stamp the version on {PYTHON_CLIENT / 'pyproject.toml'}")
    return dest


def stamp_typescript_client(root: Path, dest: Path, version: str) -> Path:
    """Copy `root`'s TypeScript client to `dest` with `version` (npm's spelling) in package.json."""
    _copy(root / TYPESCRIPT_CLIENT, dest)
    manifest_path = dest / "package.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["version"] = npm_version(version)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    manifest_path.write_text(text, encoding="utf-8")
    return dest


def wheel_command(source: Path, out: Path) -> list[str]:
    """The command that builds `source`'s wheel into `out`: pip's, else uv's (uv venvs lack pip).

    Raises:
        DistError: neither is available.
    """
    if importlib.util.find_spec("pip") is not None:
        pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
        return [*pip, "-w", str(out), str(source)]
    uv = shutil.which("uv")
    if uv is not None:
        return [uv, "build", "-q", "--wheel", "--out-dir", str(out), str(source)]
    raise DistError("building the Python wheel needs pip (or uv): install one")


def build_wheel(root: Path, version: str, out: Path) -> Path:
    """Build the Python client's wheel, stamped with `version`, into `out`; return its path."""
    with tempfile.TemporaryDirectory(prefix="client-dist-") as scratch:
        source = stamp_python_client(root, Path(scratch, "python"), version)
        built = Path(scratch, "out")
        _run(wheel_command(source, built), source, "the Python wheel")
        return _move_one(built, "*.whl", out)


def build_tarball(root: Path, version: str, out: Path) -> Path:
    """Build the TypeScript client's npm tarball, stamped with `version`, into `out`.

    Raises:
        DistError: with exit code 4 when npm is not installed.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise DistError("the npm tarball needs Node and npm: install them", EXIT_NO_NPM)
    with tempfile.TemporaryDirectory(prefix="client-dist-") as scratch:
        source = stamp_typescript_client(root, Path(scratch, "typescript"), version)
        built = Path(scratch, "out")
        built.mkdir()
        quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
        # The typescript devDependency: the package's `prepack` compiles src/ into dist/.
        _run([npm, "install", *quiet], source, "the npm tarball")
        _run([npm, "pack", *quiet, "--pack-destination", str(built)], source, "the npm tarball")
        return _move_one(built, "*.tgz", out)


def main(argv: Sequence[str] | None = None) -> int:
    """Build both clients' packages and print their paths; one line on stderr when one fails."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help=f"where to write them (default: {OUT})")
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the project's root")
    args = parser.parse_args(argv)
    out: Path = args.out if args.out is not None else args.root / OUT
    try:
        version = read_version(args.root)
        print(f"wrote {build_wheel(args.root, version, out)}")
        print(f"wrote {build_tarball(args.root, version, out)}")
    except DistError as error:
        print(f"{COMMAND}: {error}", file=sys.stderr)
        return error.exit_code
    return 0


def _replace_one(path: Path, pattern: str, replacement: str) -> None:
    text, count = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), flags=re.M)
    if count != 1:
        raise DistError(f"{path.name}: expected one line matching {pattern}, found {count}")
    path.write_text(text, encoding="utf-8")


def _run(command: list[str], cwd: Path, what: str) -> None:
    """Run a build step; a failure becomes one line naming `what` and the tool's own error."""
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise DistError(f"building {what} took over {BUILD_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        tool = command[2] if command[1:2] == ["-m"] else Path(command[0]).name
        raise DistError(
            f"building {what} failed ({tool} exited {done.returncode}): {_telling_line(done)}"
        )


def _telling_line(done: subprocess.CompletedProcess[str]) -> str:
    """The line of a tool's output that says what went wrong, as far as one line can."""
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() and "log of this run" not in line]
    return (errors or lines or ["no output"])[-1]


def _copy(source: Path, dest: Path) -> None:
    if not source.is_dir():
        raise DistError(f"no {source}: the client's sources are missing")
    shutil.copytree(source, dest, ignore=_LEFTOVERS)


def _only(folder: Path, pattern: str) -> Path:
    found = list(folder.glob(pattern))
    if len(found) != 1:
        raise DistError(f"expected one {pattern} in {folder}, found {len(found)}")
    return found[0]


def _move_one(built: Path, pattern: str, out: Path) -> Path:
    artifact = _only(built, pattern)
    out.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(artifact, out / artifact.name))


if __name__ == "__main__":
    sys.exit(main())
