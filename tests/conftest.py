"""Shared test configuration.

pytest's default ``prepend`` import mode puts this directory on ``sys.path`` while it
loads this conftest, so test modules anywhere under ``tests/`` can ``import strategies``
(the shared hypothesis strategies) without any ``sys.path`` manipulation.
"""

import signal

# A test run started in the background of a non-interactive shell (``cmd &``, as CI scripts and
# nohup do) inherits SIGINT *ignored*, and so would every ``evodeap`` command a test starts:
# the Ctrl-C tests would then see their SIGINT ignored. Python's own handler here makes the
# commands start with SIGINT at its default (an ignored signal is inherited across exec, a
# handler is not), as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
