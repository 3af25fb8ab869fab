"""Find every translatable message in the source (with `ast`): pybabel's extraction method."""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog

from bot.i18n import N_

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("bot", "adapters")

# Messages passed to ctx.t() as variables the source does not spell out: delivery states.
# Marked here so extraction finds them; announcement states come from /stats' loop.
RUNTIME_MESSAGES = (N_("sent"), N_("pending"), N_("failed"), N_("dead"), N_("skipped"))

# Calls whose first argument is a message: ctx.t("..."), t("..."), N_("...").
_FIRST_ARG = frozenset({"t", "N_"})
# Calls whose second argument is a message: translate(language, "..."), t(language, "...").
_SECOND_ARG = frozenset({"translate"})
# Plural calls: ctx.tn(singular, plural, n) and translate_plural(language, singular, plural, n).
_PLURAL_AT = {"tn": 0, "translate_plural": 1}


@dataclass(frozen=True, slots=True)
class Site:
    """Where something was found: `path:line`."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(slots=True)
class Extraction:
    """Messages found, and translate calls whose message could not be worked out statically."""

    messages: dict[str, list[Site]] = field(default_factory=dict)
    dynamic: list[tuple[Site, str]] = field(default_factory=list)
    # Singular msgid → its English plural, for messages that take a number.
    plurals: dict[str, str] = field(default_factory=dict)

    def add(self, message: str, site: Site) -> None:
        """Record one occurrence of a message."""
        self.messages.setdefault(message, []).append(site)


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Scope:
    """Names bound to message strings in one function (or the module), for `t(name)` calls."""

    def __init__(self, body: Iterable[ast.AST], parent: _Scope | None) -> None:
        self.parent = parent
        self.bindings: dict[str, list[ast.expr]] = {}
        for node in body:
            for sub in _walk_scope(node):
                self._bind(sub)

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.bindings.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            if isinstance(node.target, ast.Name):
                self.bindings.setdefault(node.target.id, []).append(node.value)
        elif (
            isinstance(node, ast.For | ast.comprehension)
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Tuple | ast.List)
        ):
            self.bindings.setdefault(node.target.id, []).extend(node.iter.elts)

    def lookup(self, name: str) -> list[ast.expr] | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope.bindings[name]
            scope = scope.parent
        return None


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of one scope, not descending into nested functions or classes."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        yield from _walk_scope(child)


def _resolve(node: ast.expr, scope: _Scope, seen: frozenset[str] = frozenset()) -> list[str] | None:
    """The message strings an expression can be, or None when it is not static."""
    text = _string(node)
    if text is not None:
        return [text]
    if isinstance(node, ast.IfExp):
        body, orelse = _resolve(node.body, scope, seen), _resolve(node.orelse, scope, seen)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.Call) and _call_name(node.func) == "N_" and node.args:
        return _resolve(node.args[0], scope, seen)
    if isinstance(node, ast.Name) and node.id not in seen:
        values = scope.lookup(node.id)
        if not values:
            return None
        found: list[str] = []
        for value in values:
            resolved = _resolve(value, scope, seen | {node.id})
            if resolved is None:
                return None
            found.extend(resolved)
        return found
    return None


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, result: Extraction, module: ast.Module) -> None:
        self.path = path
        self.result = result
        self.scope = _Scope(module.body, None)

    def _site(self, node: ast.AST) -> Site:
        return Site(self.path, getattr(node, "lineno", 0))

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        outer = self.scope
        body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
        self.scope = _Scope(body, outer)
        self.generic_visit(node)
        self.scope = outer

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._enter(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._enter(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._enter(node)

    def _message(self, node: ast.expr, call: ast.Call) -> None:
        resolved = _resolve(node, self.scope)
        if resolved is None:
            self.result.dynamic.append((self._site(call), ast.unparse(node)))
            return
        for text in resolved:
            self.result.add(text, self._site(node if _string(node) is not None else call))

    def _plural(self, singular: ast.expr, plural: ast.expr, call: ast.Call) -> None:
        one, many = _string(singular), _string(plural)
        if one is None or many is None:
            self.result.dynamic.append((self._site(call), ast.unparse(singular)))
            return
        self.result.add(one, self._site(singular))
        self.result.plurals[one] = many

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node.func)
        args = node.args
        at = _PLURAL_AT.get(name or "")
        if at is not None and len(args) == at + 3:
            self._plural(args[at], args[at + 1], node)
        elif name in _FIRST_ARG and len(args) == 1:
            self._message(args[0], node)
        elif (name in _SECOND_ARG or name in _FIRST_ARG) and len(args) == 2:
            self._message(args[1], node)
        elif name == "Route":
            description = args[1] if len(args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg == "description":
                    description = keyword.value
            if description is not None:
                self._message(description, node)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._constant(target.id, node.value)
        self.generic_visit(node)

    def _constant(self, name: str, value: ast.expr) -> None:
        if name.endswith("_USAGE"):
            text = _string(value)
            if text is not None:
                self.result.add(text, self._site(value))
        elif name.endswith("_HELP") and isinstance(value, ast.Tuple | ast.List):
            # (command, usage, description) rows: only the description is prose.
            for row in value.elts:
                if isinstance(row, ast.Tuple) and len(row.elts) == 3:
                    text = _string(row.elts[2])
                    if text is not None:
                        self.result.add(text, self._site(row.elts[2]))


def python_files(root: Path = ROOT, dirs: Iterable[str] = SOURCE_DIRS) -> list[Path]:
    """Every .py file under the scanned folders, sorted."""
    return sorted(path for name in dirs for path in (root / name).rglob("*.py"))


def extract(files: Iterable[Path], root: Path = ROOT) -> Extraction:
    """Messages and dynamic translate calls in `files`."""
    result = Extraction()
    for path in files:
        module = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        _Visitor(relative, result, module).visit(module)
    return result


def template(
    messages: Mapping[str, Iterable[Site]], plurals: Mapping[str, str] | None = None
) -> Catalog:
    """A catalog of `messages` (plural entries where `plurals` names one), no translations."""
    catalog = Catalog(project="Herald", charset="utf-8")
    for message, sites in sorted(messages.items()):
        plural = (plurals or {}).get(message)
        catalog.add(
            (message, plural) if plural is not None else message,
            locations=sorted({(site.path, site.line) for site in sites}),
        )
    return catalog


# What pybabel's extraction method yields: line, keyword, message(s), translator comments.
ExtractedMessage = tuple[int, str | None, str | tuple[str, str], list[str]]


def babel_extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[ExtractedMessage]:
    """pybabel's extraction method (named in pyproject.toml): this module's rules on one file."""
    del keywords, comment_tags  # the rules above know Herald's calls; no keyword list applies
    source = fileobj.read().decode(str(options.get("encoding", "utf-8")))
    module = ast.parse(source)
    result = Extraction()
    _Visitor("", result, module).visit(module)
    for message, sites in result.messages.items():
        plural = result.plurals.get(message)
        for site in sites:
            if plural is None:
                yield site.line, None, message, []
            else:
                # "ngettext" is one of pybabel's default keywords: (singular, plural).
                yield site.line, "ngettext", (message, plural), []


def main(argv: list[str]) -> int:
    """List every message; dynamic calls to stderr (`--update` runs the whole catalog workflow)."""
    if "--update" in argv:
        # Imported here: bot.i18n.catalogs imports this module.
        from bot.i18n.catalogs import main as catalogs_main

        return catalogs_main([])
    result = extract(python_files())
    for message, sites in sorted(result.messages.items()):
        sys.stdout.write(f"{message!r}\n    {', '.join(map(str, sites))}\n")
    for site, expression in result.dynamic:
        sys.stderr.write(f"dynamic: {site}: {expression}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
