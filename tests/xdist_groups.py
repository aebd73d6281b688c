"""``--dist loadgroup`` for pytest 9: the group suffix that pytest-xdist 3.8 can no longer write.

Under ``--dist loadgroup`` each pytest-xdist worker appends ``@<group>`` to the node id of every
test marked ``xdist_group``, and the controller sends all the tests of one group to one worker.
pytest-xdist 3.8.0 writes the suffix to ``item._nodeid``, which pytest 9 no longer reads (a node
id is now ``item._id``, a structured ``NodeId``). So with the pinned pytest 9.2 the marks did
nothing: a module-scoped fixture that costs minutes (a grading of six assignments, a fresh
virtual environment, the audit of every page) was made on both workers. Both conftests call
:func:`suffix_groups` last, and it writes the same suffix where pytest 9 reads it; where
pytest-xdist already did (a release that knows pytest 9), it does nothing.
"""

from __future__ import annotations

import pytest
from _pytest.nodeid import NodeId


def group_names(item: pytest.Item) -> list[str]:
    """The names of the item's ``xdist_group`` marks, sorted, as pytest-xdist reads them."""
    names = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
             for mark in item.iter_markers("xdist_group")}
    return sorted(names)


def suffix_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a pytest-xdist worker under ``--dist loadgroup``, give each grouped item its ``@group``,
    and put the grouped items first.

    A group is a costly fixture and the tests that share it: one unit of work, often the longest
    of the run (a minute or more). Started last, it ran alone while the other worker had nothing
    left to do; started first, the short tests fill the other worker meanwhile. The controller
    sends the units in the order the workers collected them when ``--no-loadscope-reorder`` is
    given (the Makefile gives it); by default it sorts them by their number of tests, which put a
    group of one long test at the very end.
    """
    if not getattr(config.option, "loadgroup", False):  # the controller, or another --dist
        return
    for item in items:
        names = group_names(item)
        if names and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")
    items.sort(key=lambda item: "@" not in item.nodeid)  # stable: collection order otherwise
