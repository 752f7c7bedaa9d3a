"""``python -m perfxl``: the same command as ``perfxl``."""

from .cli import main

main()
