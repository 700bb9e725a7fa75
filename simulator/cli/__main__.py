"""``python -m simulator.cli``: the ``dlsim`` command without the console script (e.g. from a source tree)."""

from simulator.cli.app import main

main()
