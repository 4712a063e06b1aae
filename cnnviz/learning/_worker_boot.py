"""Start a training worker (``python -m _worker_boot``), see :mod:`~cnnviz.learning.worker`.

A separate entry point so that the worker lowers its priority before anything else: importing
numpy already starts OpenBLAS's threads, and a thread keeps the nice value it was started with.
"""

import os
import signal

if __name__ == "__main__":
    niceness = int(os.environ.get("CNNVIZ_WORKER_NICE", "0"))
    if niceness > 0 and hasattr(os, "nice"):
        os.nice(niceness)  # before any thread exists: every later thread inherits it
    # A Ctrl-C in the server's terminal reaches its workers too; they end when the server's
    # end of the socket closes, without printing a KeyboardInterrupt each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from cnnviz.learning.worker import main

    main()
