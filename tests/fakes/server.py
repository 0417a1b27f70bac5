"""Run an ASGI app on a real socket in a thread, as `baton serve` would."""

from baton_devkit.local import LocalServer as RunningServer

__all__ = ["RunningServer"]
