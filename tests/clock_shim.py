"""Run a module as ``python -m`` would, on the test's pinned clock.

    python -m tests.clock_shim OFFSET_SECONDS MODULE [ARGS…]

The worker tests start Celery through this, with the offset between the test's
pinned clock and the wall clock, so the worker and beat see the same time as
the test that started them.
"""

import runpy
import sys
import time

import time_machine


def main() -> None:
    offset, module, *args = sys.argv[1:]
    time_machine.travel(time.time() + float(offset), tick=True).start()
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
