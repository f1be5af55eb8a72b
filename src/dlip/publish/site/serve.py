"""`dlip serve`: the site on a live-reloading server that rebuilds only what a save changed.

MkDocs' live-reload server (the one `mkdocs serve` uses: it tells open browsers to reload
after each rebuild), told of saves at once where it can (`watch`), with a rebuild of our
own. A save that only edits published posts regenerates just their pages
(`incremental.update`) and renders just those with the MkDocs state kept from the last full
build (`live.LiveSite`): at 10,000 posts that is a fraction of a second instead of a full
pass over every page. Anything else (a new post, a README, a milestone, mkdocs.yml, a
hand-written page under docs/) regenerates everything and runs MkDocs' dirty build, which
renders the pages whose Markdown changed. The blog index, feed, sitemap and search index
catch up with an edit on the next full build.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from dlip.publish.project import Project
from dlip.publish.site import config as site_config
from dlip.publish.site import incremental
from dlip.publish.site.build import log_to_stderr
from dlip.publish.site.hook import authored_paths
from dlip.publish.site.live import LiveSite
from dlip.publish.site.watch import Observer, native_ok

log = logging.getLogger("mkdocs.dlip")
_CHANGES = frozenset({"created", "deleted", "modified", "moved"})  # watchdog event types


def serve(project: Project, dev_addr: str = "127.0.0.1:8000") -> int:
    """Build the site, serve it at `dev_addr` and rebuild what each save changed."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException
    from mkdocs.livereload import _serve_url

    config_file = str(project.user_mkdocs_yml or site_config.write_default_config(project))
    site_dir = tempfile.mkdtemp(prefix="dlip-serve-")
    handler = log_to_stderr(logging.INFO)
    handler.addFilter(_not_dirty_warning)
    previous = os.environ.get(site_config.READY_ENV)
    # Pages are generated here before each build: the hook only sets the nav and the rest.
    os.environ[site_config.READY_ENV] = "1"
    stop = _stop_on_sigterm()
    config = None
    try:
        _report(incremental.update(project))
        config = load_config(config_file, site_dir=site_dir, dev_addr=dev_addr)
        config.plugins.on_startup(command="serve", dirty=True)
        host, port = config.dev_addr
        mount_path = urlsplit(config.site_url or "/").path  # a project page serves at /repo/
        site = LiveSite(lambda: load_config(config_file, site_dir=site_dir, dev_addr=dev_addr),
                        _serve_url(host, port, mount_path))
        log.info("Building the site (dirty builds: only changed pages are rendered "
                 "again; `dlip build` makes the whole site)...")
        site.build(config)
        server = _server(project, site, config, site_dir, mount_path)
        try:
            server.serve()
        finally:
            server.shutdown()
    except KeyboardInterrupt:
        log.info("Shutting down...")
    except MkDocsException as exc:
        print(f"error: {config_file}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the address is taken, or the site cannot be written
        where = exc.filename or dev_addr
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, stop if stop is not None else signal.SIG_DFL)
        if config is not None:
            config.plugins.on_shutdown()
        shutil.rmtree(site_dir, ignore_errors=True)
        logging.getLogger("mkdocs").removeHandler(handler)
        if previous is None:
            os.environ.pop(site_config.READY_ENV, None)
        else:
            os.environ[site_config.READY_ENV] = previous
    return 0


def rebuild(project: Project, site: LiveSite, changed: set[str]) -> str:
    """One rebuild after a save; `changed` are the paths the watcher saw change. Says what it
    did: "rendered N pages" when only posts were edited, else "full build"."""
    done = incremental.update(project)
    _report(done)
    # A file `update` does not look at (a hand-written page under the author's docs/, a
    # folder named in mkdocs.yml's `watch:`) is MkDocs' to find: a full (dirty) build.
    unseen = any(not incremental.covers(project, path) for path in changed)
    if done.written is not None and not unseen and site.render(done.written):
        return f"rendered {len(done.written)} page{'' if len(done.written) == 1 else 's'}"
    site.build()
    return "full build"


def _not_dirty_warning(record: logging.LogRecord) -> bool:
    """MkDocs warns on every dirty build that the navigation may be off; serve always
    builds dirty, and says so once."""
    return not record.getMessage().startswith("A 'dirty' build is being performed")


def _stop_on_sigterm():
    """Ctrl-C and `kill` both stop the server cleanly (the temporary site folder is removed);
    returns the handler to put back."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _report(done: incremental.Update) -> None:
    for problem in done.problems:
        print(f"{problem.severity}: {problem.path}: {problem.reason}", file=sys.stderr)


def _under(path: str, folder: str) -> bool:
    """`path` is `folder` or below it (by name: a deleted file counts too)."""
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _server(project: Project, site: LiveSite, config, site_dir: str, mount_path: str):
    """MkDocs' live-reload server, watching what the author edits (not the generated pages)
    and remembering which files changed, for `rebuild`."""
    from mkdocs.livereload import LiveReloadServer

    class Server(LiveReloadServer):
        def __init__(self, ignore: Callable[[str], bool], **kwargs) -> None:
            super().__init__(**kwargs)
            self._ignore = ignore
            self.changed: set[str] = set()

        def watch(self, path, func=None, *, recursive: bool = True) -> None:
            """LiveReloadServer.watch, keeping the changed paths and skipping our own writes."""
            import watchdog.events

            path = os.path.abspath(path)
            if path in self._watched_paths:
                self._watched_paths[path] += 1
                return
            self._watched_paths[path] = 1
            # A file is watched through its folder: an editor that saves by replacing the
            # file would leave a watch on the file itself looking at the old one.
            single = os.path.isfile(path)

            def callback(event) -> None:
                if event.is_directory or event.event_type not in _CHANGES:
                    return  # a file opened or read (our own generation reads every post)
                paths = {p for p in (event.src_path, getattr(event, "dest_path", "")) if p}
                paths = {os.fsdecode(p) for p in paths}
                if single:
                    paths &= {path}
                if all(self._ignore(p) for p in paths):
                    return
                with self._rebuild_cond:
                    self.changed.update(paths)
                    self._want_rebuild = True
                    self._rebuild_cond.notify_all()

            handler = watchdog.events.FileSystemEventHandler()
            handler.on_any_event = callback  # type: ignore[method-assign]
            self._watch_refs[path] = self.observer.schedule(
                handler, os.path.dirname(path) if single else path,
                recursive=recursive and not single)

        def take_changed(self) -> set[str]:
            with self._rebuild_cond:
                changed, self.changed = self.changed, set()
            return changed

    docs = str(project.docs_dir)

    def ignore(path: str) -> bool:
        """Editors' swap files; pages the generator writes into the author's docs/."""
        if incremental.editor_scratch(os.path.basename(path)):
            return True
        if not _under(path, docs):
            return False
        rel = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(docs))).as_posix()
        return rel in incremental.generated(project)

    def builder() -> None:
        start = time.perf_counter()
        what = rebuild(project, site, server.take_changed())
        log.info("%s in %.2f s", what, time.perf_counter() - start)

    host, port = config.dev_addr
    server = Server(ignore, builder=builder, host=host, port=port, root=site_dir,
                    mount_path=mount_path)
    server.observer = Observer(native_ok(str(project.root)))

    def error_page(code: int) -> bytes | None:
        page = Path(site_dir) / f"{code}.html"
        return page.read_bytes() if code in (404, 500) and page.is_file() else None

    server.error_handler = error_page
    if project.user_mkdocs_yml is not None:  # the author's docs/; the generated one is ours
        server.watch(config.docs_dir)
    if config.config_file_path:
        server.watch(config.config_file_path)
    server = config.plugins.on_serve(server, config=config, builder=builder)
    # What the author edits, even when their own mkdocs.yml does not list the hook that asks
    # for it (the hook adds the same folders to `watch`).
    authored = [str(p) for p in authored_paths(project, incremental.milestones(project))]
    folders: list[str] = []
    for item in sorted({os.path.abspath(w) for w in [*config.watch, *authored]}):
        if not any(_under(item, folder) for folder in folders):  # code/ covers code/000_x
            server.watch(item)
            if os.path.isdir(item):
                folders.append(item)
    return server
