"""The one model of the book: what chapters 11 and 12 choose on validation is what 12 and 13 use.

Chapters are separate notebooks, so 12 and 13 write the chosen learning rate, number of steps
and L2 strength into their code. This reads the numbers each chapter glued in the last build
(``<chapter>.glue.json`` beside the executed notebooks) and fails, naming the chapter to
update, when a choice changed and a later chapter still uses the old one.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build")) / "jupyter_execute" / "book"

#: (chapter that chooses, its key) -> [(chapter that uses the choice, its key), ...]
CHOICES = {
    ("11_learning_rate", "lr_best_rate"): [
        ("12_conditioning", "cond_chosen_rate"),
        ("13_threshold", "thr_final_rate"),
        ("14_minibatch_sgd", "sgd_chosen_rate"),
        ("15_uncertainty", "unc_final_rate"),
        ("16_calibration", "cal_final_rate"),
    ],
    ("11_learning_rate", "lr_best_steps"): [
        ("12_conditioning", "cond_chosen_steps"),
        ("13_threshold", "thr_final_steps"),
        ("14_minibatch_sgd", "sgd_chosen_steps"),
        ("15_uncertainty", "unc_final_steps"),
        ("16_calibration", "cal_final_steps"),
    ],
    ("12_conditioning", "cond_chosen_l2"): [
        ("13_threshold", "thr_final_l2"),
        ("14_minibatch_sgd", "sgd_chosen_l2"),
        ("15_uncertainty", "unc_final_l2"),
        ("16_calibration", "cal_final_l2"),
    ],
    ("13_threshold", "thr_t_star"): [("15_uncertainty", "unc_final_threshold")],
}


def glued(chapter: str, key: str):
    path = EXECUTED / f"{chapter}.glue.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make book` first", pytrace=False)
    entries = json.loads(path.read_text())
    assert key in entries, f"{chapter} no longer glues {key!r}: update this test with the chapter"
    return ast.literal_eval(entries[key]["data"]["text/plain"])


@pytest.mark.parametrize(("chooser", "users"), CHOICES.items(), ids=lambda x: x[1] if isinstance(x, tuple) else "")
def test_later_chapters_use_the_choice_made_on_validation(chooser, users):
    chosen = glued(*chooser)
    for chapter, key in users:
        assert glued(chapter, key) == chosen, f"{chapter} uses {glued(chapter, key)}, but {chooser[0]} chose {chosen}"
