"""Make sphinx-exercise's ``hide_solutions = True`` work with gated solutions.

sphinx-exercise (1.2.1 and its main branch; executablebooks/sphinx-exercise#89) leaves a gated
``{solution-start}`` out of the document when ``hide_solutions`` is set, but keeps the
``{solution-end}`` node and everything in between, so the HTML writer crashes on the end node
(and the solution's text and code cells would show). This extension, loaded by
``tools/build_book.py --hide-solutions`` only, replaces the start directive with one that
leaves a marker when solutions are hidden, and a transform removes everything from the marker
to its ``{solution-end}``, both included, before sphinx-exercise merges gated directives.
Non-gated ``{solution}`` directives are hidden by sphinx-exercise itself.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node


class hidden_solution_start(nodes.Element):  # noqa: N801 (docutils node classes are lower case)
    """Where a hidden gated solution starts; removed with the solution before writing."""


class HiddenSolutionStartDirective(SolutionStartDirective):
    def run(self) -> list[nodes.Node]:
        result = super().run()  # registers the gated start; returns [] when solutions are hidden
        if self.env.app.config.hide_solutions and not result:
            return [hidden_solution_start()]
        return result


class RemoveHiddenGatedSolutions(SphinxTransform):
    """Remove each hidden gated solution: its marker, its content and its ``{solution-end}``."""

    default_priority = 9  # before sphinx-exercise's MergeGatedSolutions (10)

    def apply(self, **kwargs) -> None:
        for start in list(self.document.findall(hidden_solution_start)):
            parent = start.parent
            first = parent.index(start)
            last = next(
                (i for i in range(first + 1, len(parent.children)) if isinstance(parent[i], solution_end_node)),
                first,  # no end among the siblings: sphinx-exercise's own check reports it
            )
            for child in parent.children[first : last + 1]:
                parent.remove(child)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx_exercise")
    app.add_node(hidden_solution_start)
    app.add_directive("solution-start", HiddenSolutionStartDirective, override=True)
    app.add_transform(RemoveHiddenGatedSolutions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
