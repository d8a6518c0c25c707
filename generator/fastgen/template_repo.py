"""The template as a git repository: its canonical URL, and a local stand-in for it.

Projects record where their template lives (``_src_path``) and which version made them
(``_commit``); ``copier update`` needs both. fastgen records the canonical URL, never the
folder it rendered from, and keeps updates offline by building a local git repository of the
template's history (shipped in the wheel as a git bundle, or read from a source checkout) and
letting git itself redirect the canonical URL to it (``url.<repo>.insteadOf``): Copier clones
with the git command, so the redirection is invisible to it.

The shipped template is rendered from the real commit it came from, so ``fastgen new`` records
the ``_commit`` a plain ``copier copy`` of that commit records (``git describe --tags
--always``): a tag, ``<tag>-<n>-g<hash>``, or a bare hash, all of which Copier can order.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import FastgenError
from .template_source import CHECKOUT_TEMPLATE, COPIER_FILE, PACKAGE_DIR, bundled_template
from .versions import latest_tag, parse_version, release_tag

# Where build_history keeps the commit the template history was read from.
SHIPPED_REF = "refs/fastgen/shipped"
# Bumped when build_history's output changes, so older cache entries are not reused.
HISTORY_FORMAT = "2"

# fastgen and its template live in one repository (copier.yml at its root).
DEFAULT_TEMPLATE_URL = "gh:fastgen-dev/fastgen"
# Where projects generated before the move recorded the template: served like the canonical
# URL, so `fastgen update` and `fastgen check` keep working for them.
LEGACY_TEMPLATE_URLS = ("gh:org/fastapi-ws-template",)
TEMPLATE_URL_ENV = "FASTGEN_TEMPLATE_URL"
# Written into wheels by hatch_build.py: the repository's HEAD and its tags.
HISTORY_BUNDLE = PACKAGE_DIR / "_template_history.bundle"
TEMPLATE_DIR = "template"

# Copier's shortcuts, expanded the same way Copier expands them (copier._vcs.get_repo).
_ALIASES = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_GIT_PREFIXES = ("git@", "git://", "git+", "https://github.com/", "https://gitlab.com/")


class GitError(FastgenError):
    """A git command failed."""


def canonical_url() -> str:
    """Where the template officially lives: ``$FASTGEN_TEMPLATE_URL`` or the default."""
    return os.environ.get(TEMPLATE_URL_ENV, "").strip() or DEFAULT_TEMPLATE_URL


def template_urls() -> tuple[str, ...]:
    """Every URL (as git sees it) that names fastgen's template: the canonical one first."""
    urls = (canonical_url(), DEFAULT_TEMPLATE_URL, *LEGACY_TEMPLATE_URLS)
    return tuple(dict.fromkeys(expand_url(url) for url in urls))


def expand_url(src: str) -> str:
    """The URL git is given for a Copier source (``gh:org/x`` -> ``https://github.com/org/x.git``).

    This is the string a ``url.<repo>.insteadOf`` rule must match.
    """
    url = src
    for alias, base in _ALIASES.items():
        if url.startswith(alias):
            rest = url.removeprefix(alias).lstrip("/")
            url = base + (rest if rest.endswith(".git") else f"{rest}.git")
    if url.endswith(".git") or url.startswith(_GIT_PREFIXES):
        if url.startswith("git+"):
            return url.removeprefix("git+")
        if url.startswith("https://") and not url.endswith(".git"):
            return f"{url}.git"
        return url
    return Path(url).expanduser().as_posix()


def effective_url(url: str) -> str:
    """The URL git really fetches for `url`, after every ``url.<base>.insteadOf`` rule.

    The rules are the user's (system and global config) and any `redirected` adds. Git is
    asked from an empty folder, as Copier's clone runs: no repository's own config applies.
    On equally long matches git takes the rule configured first, so a user's rule for the
    exact URL beats fastgen's; the caller learns which one won from the answer.
    """
    with tempfile.TemporaryDirectory(prefix="fastgen-url-") as neutral:
        answer = git("ls-remote", "--get-url", "--", url, cwd=Path(neutral), check=False)
    return answer.strip() or url


FASTGEN_IDENTITY = ("-c", "user.name=fastgen", "-c", "user.email=fastgen@localhost")


def git(
    *args: str | Path,
    cwd: Path | None = None,
    check: bool = True,
    as_fastgen: bool = True,
    timeout: float | None = None,
) -> str:
    """Run git; return its stdout.

    Args:
        args: git's arguments.
        cwd: where to run it.
        check: raise on a non-zero exit.
        as_fastgen: commit under a fixed identity (fastgen's own template history); False
            for commits in the user's project, which are the user's.
        timeout: seconds before git is stopped (a GitError), for commands that may wait on
            something outside fastgen (a signing agent, a hook).

    Raises:
        GitError: git exited non-zero (only when `check`), or ran out of time.
    """
    try:
        completed = _run_git(args, cwd, as_fastgen, timeout)
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} did not finish within {timeout:.0f} s") from exc
    if check and completed.returncode != 0:
        detail = " ".join((completed.stderr or completed.stdout).split())
        raise GitError(f"git {args[0]} failed: {detail}")
    return completed.stdout


def _run_git(
    args: tuple[str | Path, ...], cwd: Path | None, as_fastgen: bool, timeout: float | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *(FASTGEN_IDENTITY if as_fastgen else ()), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


@dataclass(frozen=True)
class TemplateHistory:
    """A local git repository holding the template's versions."""

    repo: Path
    commit: str
    """The commit of the template this fastgen ships: what ``fastgen new`` renders."""
    name: str
    """What Copier records as ``_commit`` for it (``git describe --tags --always``)."""
    notes: tuple[str, ...] = ()


def describe(repo: Path, commit: str) -> str:
    """What Copier records as ``_commit`` for `commit`: ``git describe --tags --always``."""
    return git("describe", "--tags", "--always", commit, cwd=repo).strip()


def default_history_source() -> Path | None:
    """Where this fastgen's template history comes from, if anywhere.

    A wheel carries a git bundle; a source checkout has its own ``.git``; a build from an
    sdist has neither, and only the shipped version is known.
    """
    if HISTORY_BUNDLE.is_file():
        return HISTORY_BUNDLE
    if bundled_template() == CHECKOUT_TEMPLATE and (CHECKOUT_TEMPLATE / ".git").exists():
        return CHECKOUT_TEMPLATE
    return None


def build_history(
    workdir: Path,
    *,
    template: Path | None = None,
    history: Path | None = None,
    version: str | None = None,
) -> TemplateHistory:
    """Make a git repository in `workdir` with the template's history and shipped commit.

    `history`'s HEAD and tags are fetched as they are. When the shipped `template` folder
    (``copier.yml`` + ``template/``) is HEAD's, HEAD is the shipped commit, so projects
    record what ``copier copy`` of it records. Otherwise (uncommitted edits in a checkout)
    the shipped files are committed on top of HEAD, as Copier commits a dirty template's
    edits before rendering them. With no history at all (an sdist) the shipped files become
    a lone commit tagged ``v{version}``, the only version such a fastgen can name.

    Args:
        workdir: an empty or missing folder for the repository.
        template: the folder holding ``copier.yml`` and ``template/``; default: fastgen's own.
        history: a git repository or bundle; default: `default_history_source`.
        version: this fastgen's version; default: its own.
    """
    version = version or __version__
    template = template or bundled_template()
    history = history if history is not None else default_history_source()
    repo = workdir
    repo.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", "main", cwd=repo)
    notes: list[str] = []
    head = None
    if history is not None:
        try:
            git("fetch", "-q", "--no-tags", history, "+refs/tags/*:refs/tags/*", cwd=repo)
            git("fetch", "-q", "--no-tags", history, f"+HEAD:{SHIPPED_REF}", cwd=repo)
            head = git("rev-parse", f"{SHIPPED_REF}^{{commit}}", cwd=repo).strip()
        except GitError as exc:
            # Losing older versions only limits updates from them; generation still works.
            notes.append(f"template history unavailable ({exc}); only v{version} is known")
    shutil.copy2(template / COPIER_FILE, repo / COPIER_FILE)
    shutil.copytree(template / TEMPLATE_DIR, repo / TEMPLATE_DIR)
    git("add", "-A", cwd=repo)
    tree = git("write-tree", cwd=repo).strip()

    if head is not None and _same_template(repo, head, tree):
        commit = head
    elif head is not None:
        commit = git(
            "commit-tree", tree, "-p", head, "-m", "fastgen: uncommitted template edits", cwd=repo
        ).strip()
    else:
        tags = git("tag", "--list", "v*", cwd=repo).split()
        newest = latest_tag(t for t in tags if parse_version(t) is not None)
        parents = ["-p", f"{newest}^{{commit}}"] if newest else []
        commit = git(
            "commit-tree", tree, *parents, "-m", f"fastgen {version} template", cwd=repo
        ).strip()
        if release_tag(version) not in tags:
            git("tag", release_tag(version), commit, cwd=repo)
    git("update-ref", "refs/heads/main", commit, cwd=repo)
    return TemplateHistory(
        repo=repo, commit=commit, name=describe(repo, commit), notes=tuple(notes)
    )


def _same_template(repo: Path, commit: str, tree: str) -> bool:
    """Whether `commit` holds the same ``copier.yml`` and ``template/`` as `tree`."""
    for path in (COPIER_FILE, TEMPLATE_DIR):
        ours = git("rev-parse", "--verify", "-q", f"{tree}:{path}", cwd=repo, check=False)
        theirs = git("rev-parse", "--verify", "-q", f"{commit}:{path}", cwd=repo, check=False)
        if ours.strip() != theirs.strip():
            return False
    return True


@contextmanager
def redirected(redirects: Mapping[str, str | Path]) -> Iterator[None]:
    """Within the block, git fetches each URL (as git sees it) from the given repository.

    The rules go into the environment as ``GIT_CONFIG_COUNT``/``KEY``/``VALUE`` entries after
    any the user already has. Copier caches mirrors of remote templates per URL: a throwaway
    ``COPIER_CACHE_DIR`` keeps the redirected content out of the user's cache.
    """
    from plumbum import local  # Copier's subprocess layer: it snapshots os.environ at import

    start = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    with tempfile.TemporaryDirectory(prefix="fastgen-copier-cache-") as cache:
        env = {"COPIER_CACHE_DIR": cache, "GIT_CONFIG_COUNT": str(start + len(redirects))}
        for index, (url, target) in enumerate(redirects.items(), start):
            where = target.resolve().as_posix() if isinstance(target, Path) else target
            env[f"GIT_CONFIG_KEY_{index}"] = f"url.{where}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{index}"] = url
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            with local.env(**env):
                yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def cache_root() -> Path:
    """Where built template histories are kept between runs (``$XDG_CACHE_HOME/fastgen``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fastgen" / "template-history"


def history_key(template: Path, history: Path | None, version: str) -> str:
    """A digest of everything `build_history` reads: equal keys build equal repositories."""
    digest = hashlib.sha256(f"{HISTORY_FORMAT}\0{version}\0{history}\0".encode())
    files = [template / COPIER_FILE, *(template / TEMPLATE_DIR).rglob("*")]
    for path in sorted(p for p in files if p.is_file()):
        digest.update(path.relative_to(template).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    if history is not None and history.is_file():  # a bundle
        digest.update(history.read_bytes())
    elif history is not None:  # a checkout: its HEAD and tags are what is fetched
        refs = git("for-each-ref", "--format=%(objectname) %(refname)", "refs/tags", cwd=history)
        head = git("rev-parse", "-q", "--verify", "HEAD", cwd=history, check=False)
        digest.update(f"{refs}\0{head}".encode())
    return digest.hexdigest()[:32]


@contextmanager
def shipped_history() -> Iterator[TemplateHistory]:
    """This fastgen's template history, built once per content and reused from the cache.

    Building it costs about ten git commands; `fastgen new` and `fastgen update` would pay
    that on every run. An entry is built in a scratch folder and renamed into place, so a
    reader never sees a half-built one; where the cache cannot be written, or the build had
    to leave versions out, a throwaway history is built instead.
    """
    template, history = bundled_template(), default_history_source()
    entry = cache_root() / history_key(template, history, __version__)
    shipped_file = entry / "shipped"
    if shipped_file.is_file():
        yield _cached(entry)
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=entry.parent))
    except OSError:
        scratch = None
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="fastgen-template-") as workdir:
            yield build_history(Path(workdir) / "repo", template=template, history=history)
        return
    try:
        built = build_history(scratch / "repo", template=template, history=history)
        if built.notes:
            yield built  # incomplete: do not keep it for later runs
            return
        (scratch / "shipped").write_text(f"{built.commit}\n{built.name}\n", encoding="utf-8")
        try:
            scratch.rename(entry)
        except OSError:  # another run cached the same content first
            pass
        else:
            scratch = None
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    yield _cached(entry)


def _cached(entry: Path) -> TemplateHistory:
    """The history `shipped_history` keeps in cache folder `entry`."""
    commit, name = (entry / "shipped").read_text(encoding="utf-8").split()
    return TemplateHistory(repo=entry / "repo", commit=commit, name=name)


@contextmanager
def packaged_template() -> Iterator[tuple[str, TemplateHistory]]:
    """The canonical URL, served from this fastgen's own template history for the block.

    Yields:
        The canonical URL (what projects record) and the local history standing in for it.
    """
    url = canonical_url()
    with (
        shipped_history() as history,
        redirected(dict.fromkeys(template_urls(), history.repo)),
    ):
        yield url, history
