"""A workbook refused with a problem of its own code (``xlsb-not-read``, ``read-timeout`` …)
rather than the plain ``unreadable``: the reader raises it, whoever reports the file takes the
problem as it is."""

from __future__ import annotations

from typing import Any

from ..errors import UnreadableWorkbook
from ..problems import problem


class RefusedWorkbook(UnreadableWorkbook):
    """The file is not read; ``problem`` (code ``code`` with ``params``) says why and what to do."""

    def __init__(self, path: str, code: str, **params: Any) -> None:
        self.problem = problem(code, file=path, **params)
        super().__init__(path, self.problem.message)
        self.code, self.params = code, params

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled by its fields: it is raised in a reader process and re-raised in the main one
        return _rebuild, (type(self), self.path, self.code, self.params)


def _rebuild(kind: type[RefusedWorkbook], path: str, code: str, params: dict[str, Any]) -> RefusedWorkbook:
    return kind(path, code, **params)
