"""Consoles shared by every CLI command: results on stdout, everything else on stderr.

``emoji=False``: A1111 prompt syntax such as ``[kitty:dog:10]`` must not turn into 🐶.
"""

from rich.console import Console

console = Console(highlight=False, soft_wrap=True, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
