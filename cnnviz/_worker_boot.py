"""Start a training worker (``python -m cnnviz._worker_boot``), see :mod:`cnnviz.worker`.

A separate entry point so that the worker lowers its priority before anything else: importing
numpy already starts OpenBLAS's threads, and a thread keeps the nice value it was started with.
"""

import os

if __name__ == "__main__":
    niceness = int(os.environ.get("CNNVIZ_WORKER_NICE", "0"))
    if niceness > 0 and hasattr(os, "nice"):
        os.nice(niceness)  # before any thread exists: every later thread inherits it

    from cnnviz.worker import main

    main()
