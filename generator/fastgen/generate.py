"""``fastgen new``: render the template into a staging folder, then move it into place.

Nothing is left half-written: Copier renders into a hidden folder beside the destination,
and only a complete project is moved in. An existing non-empty destination is refused
unless ``force`` is given, and even then no existing file is touched.
"""

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .data import parse_data
from .errors import FastgenError, UsageError
from .refs import require_ref
from .template_repo import expand_url, packaged_template
from .template_source import COPIER_FILE, template_questions

ANSWERS_FILE = ".copier-answers.yml"


@dataclass(frozen=True)
class NewProject:
    """What `new_project` made."""

    dest: Path
    answers: dict[str, Any]
    files: list[Path]
    kept: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_remote(src: str) -> bool:
    """True for template sources Copier clones (URLs, ``gh:``/``gl:`` shortcuts, ``git@``)."""
    return src.startswith(("gh:", "gl:", "git@", "git+", "http://", "https://", "ssh://"))


@contextmanager
def resolved_source(
    src: str | None, vcs_ref: str | None
) -> Iterator[tuple[str, str | None, dict[str, Any] | None, list[str]]]:
    """The Copier source and ref to use, for local sources their questions, and notes.

    Without `src` the source is the template's canonical URL, served from the template this
    fastgen ships (see `template_repo`), so projects record an updatable ``_src_path`` and,
    as ``_commit``, what Copier records for the commit the template came from, offline.

    Raises:
        UsageError: a local source that is not a template folder, or an unknown `vcs_ref`.
    """
    if src is None:
        with packaged_template() as (url, history):
            if vcs_ref is not None:
                require_ref(str(history.repo), vcs_ref, "the template this fastgen carries")
            yield url, vcs_ref or history.commit, template_questions(), list(history.notes)
        return
    if is_remote(src):
        if vcs_ref is not None:
            require_ref(expand_url(src), vcs_ref, src)
        yield src, vcs_ref, None, []
        return
    path = Path(src).expanduser().resolve()
    if not (path / COPIER_FILE).is_file():
        raise UsageError(f"--src {src}: not a template folder (no {COPIER_FILE} in it)")
    if vcs_ref is not None and (path / ".git").exists():
        require_ref(str(path), vcs_ref, src)
    yield str(path), vcs_ref, template_questions(path), []


def _first_existing_parent(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor)


def _relative_files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() or p.is_symlink())


def new_project(
    dest: Path,
    *,
    service: str | None = None,
    package: str | None = None,
    data: Sequence[str] = (),
    src: str | None = None,
    vcs_ref: str | None = None,
    defaults: bool = True,
    force: bool = False,
) -> NewProject:
    """Generate a project at `dest` from the template.

    Args:
        dest: the project folder; it must not exist, be empty, or (with `force`) be a folder
            whose existing files are all kept as they are.
        service: the ``service_name`` answer.
        package: the ``package_name`` answer.
        data: more answers as ``KEY=VALUE``; ``project_name`` defaults to ``dest``'s name.
        src: template source (local folder or git URL); None is the template inside fastgen.
        vcs_ref: git ref of the template to render (tag, branch, ``HEAD``).
        defaults: use defaults for unanswered questions instead of prompting.
        force: add the project's files to a non-empty `dest`, keeping every existing file.

    Raises:
        UsageError: bad destination or answers.
        FastgenError: the template could not be rendered.
    """
    import copier  # deferred: costs ~0.7 s, and `fastgen --help` must stay instant

    dest = dest.expanduser().resolve()
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} exists and is not a folder")
    occupied = dest.is_dir() and any(dest.iterdir())
    if occupied and not force:
        raise UsageError(
            f"{dest} exists and is not empty; choose another folder or pass --force "
            "(existing files are kept)"
        )
    with (
        resolved_source(src, vcs_ref) as (source, vcs_ref, questions, notes),
        tempfile.TemporaryDirectory(
            prefix=f".{dest.name}.fastgen-", dir=_first_existing_parent(dest.parent)
        ) as staging,
    ):
        answers: dict[str, Any] = {"project_name": dest.name, **parse_data(data, questions)}
        if service is not None:
            answers["service_name"] = service
        if package is not None:
            answers["package_name"] = package
        rendered = Path(staging) / "project"
        notes += run_copier(
            copier.run_copy,
            source,
            rendered,
            data=answers,
            defaults=defaults,
            vcs_ref=vcs_ref,
        )
        files = _relative_files(rendered)
        kept = _move_into_place(rendered, dest, files) if occupied else []
        if not occupied:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                dest.rmdir()
            shutil.move(rendered, dest)

    return NewProject(
        dest=dest,
        answers=read_answers(dest / ANSWERS_FILE),
        files=files,
        kept=kept,
        notes=notes,
    )


def _move_into_place(rendered: Path, dest: Path, files: list[Path]) -> list[Path]:
    """Move rendered files into an existing folder; files already there win. Returns those."""
    kept: list[Path] = []
    for relative in files:
        target = dest / relative
        if target.exists() or target.is_symlink():
            kept.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(rendered / relative, target)
    return kept


def read_answers(path: Path) -> dict[str, Any]:
    """A project's Copier answers (empty when the file is missing or holds no mapping).

    Raises:
        UsageError: the file is not valid YAML.
    """
    import yaml  # deferred: `fastgen --help` must stay instant

    if not path.is_file():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from exc
    return loaded if isinstance(loaded, dict) else {}


def run_copier(action: Callable[..., object], *args: Any, **kwargs: Any) -> list[str]:
    """Run a Copier entry point quietly and safely (no ``--trust``).

    Returns:
        Copier's warnings, one line each, for the caller to show as notes.

    Raises:
        FastgenError: Copier's error, as one line.
    """
    import copier
    from plumbum import ProcessExecutionError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            action(*args, quiet=True, unsafe=False, **kwargs)
    except KeyboardInterrupt:
        # Copier's CopierAnswersInterrupt prints every answer given so far: the caller
        # reports a plain interruption instead.
        raise KeyboardInterrupt from None
    except (ValueError, copier.errors.CopierError, ProcessExecutionError) as exc:
        raise copier_error(exc) from exc
    return [_one_line(warning.message) for warning in caught]


def copier_error(exc: Exception) -> FastgenError:
    """A Copier failure as one line; a failed git command (e.g. an unknown ref) as git's words.

    An invalid answer (Copier raises a plain ``ValueError`` for a failed validator or an
    unknown choice) is a `UsageError`.
    """
    stderr = getattr(exc, "stderr", None)
    if isinstance(stderr, str) and stderr.strip():
        return FastgenError(f"git failed: {_one_line(stderr)}")
    if isinstance(exc, ValueError):
        return UsageError(_one_line(exc))
    return FastgenError(_one_line(exc))


def _one_line(error: object) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
