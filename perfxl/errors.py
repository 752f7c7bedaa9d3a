"""Exceptions for the "cannot continue" channel; everything found in the data is a Problem."""

from __future__ import annotations

import errno


class PerfxlError(Exception):
    """Base class of every error perfxl raises on purpose."""


ENCRYPTED = "工作簿设置了打开密码，无法读取；请取消密码后重新提交"  # the reason for every encrypted format


class UnreadableWorkbook(PerfxlError):
    """The file cannot be opened as a workbook (missing, corrupt, encrypted, not a spreadsheet)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[UnreadableWorkbook], tuple[str, str]]:
        # pickled by its fields: it is raised in a reader process and re-raised in the main one
        return type(self), (self.path, self.reason)


class RulesFileError(PerfxlError):
    """The review-rules file is missing or malformed."""


class OutputError(PerfxlError):
    """An output could not be written (folder missing, read-only or full)."""


class LabelsFileError(PerfxlError):
    """The label vocabulary file is missing or malformed."""


class RosterFileError(PerfxlError):
    """The roster of expected units is missing, unreadable or has no 单位名称 column."""


class ClusterError(PerfxlError):
    """The Dask cluster given to read on cannot be used (dask missing, no scheduler or workers,
    workers with another perfxl)."""


_OS_REASONS = {
    errno.ENOENT: "文件或文件夹不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
    errno.ENOSPC: "磁盘空间已满", errno.EROFS: "磁盘或文件夹是只读的", errno.EISDIR: "这是一个文件夹",
    errno.ENOTDIR: "路径中有一段不是文件夹", errno.ENAMETOOLONG: "文件名或路径太长", errno.EEXIST: "已经存在",
    errno.EBUSY: "文件正被其他程序使用", errno.EMFILE: "同时打开的文件太多", errno.EIO: "读写磁盘出错",
}


def os_reason(exc: OSError) -> str:
    """An operating-system error in Chinese ("没有权限"), else as the system words it."""
    return _OS_REASONS.get(exc.errno or -1) or exc.strerror or str(exc)
