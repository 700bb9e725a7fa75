"""dlsim: a data-localisation policy impact simulator.

An agent-based model of firms in Latin America, Africa and the rest of the world trading over a network, under
data-localisation and data-flow rules set by scenario files.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dlsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["Effects", "__version__", "compare"]


def __getattr__(name: str) -> object:
    """The public API, imported on first use (``import simulator`` stays light for the command line)."""
    if name == "compare":
        from simulator.experiment.compare import compare

        return compare
    if name == "Effects":
        from simulator.experiment.effects import Effects

        return Effects
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
