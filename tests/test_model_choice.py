"""The one model of the book: what 12 and 13 choose on validation (and 11's rate) is what later chapters use.

The final model is the penalised minimum of the training loss, with the L2 strength that chapter 12
chooses on validation by the one-standard-error rule (``cond_chosen_l2``); it has no learning rate,
number of steps or starting point, since every stable run of gradient descent ends at that one
minimum. Chapter 13 adds a threshold chosen on validation (``thr_t_star``). Chapter 11 chooses no
model: it shows that stopping early gains nothing the validation split can detect, and names the
learning rate the book uses when it runs gradient descent on the whole training split
(``lr_best_rate``), which chapter 14's runs use.

Chapters are separate notebooks, so later chapters write these numbers into their code. This reads
the numbers each chapter glued in the last build (``<chapter>.glue.json`` beside the executed
notebooks) and fails, naming the chapter to update, when a choice changed and a later chapter still
uses the old one.
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
    ("11_learning_rate", "lr_best_rate"): [("14_minibatch_sgd", "sgd_chosen_rate")],
    ("12_conditioning", "cond_chosen_l2"): [
        ("13_threshold", "thr_final_l2"),
        ("14_minibatch_sgd", "sgd_chosen_l2"),
        ("15_uncertainty", "unc_final_l2"),
        ("16_calibration", "cal_final_l2"),
    ],
    ("13_threshold", "thr_t_star"): [("15_uncertainty", "unc_final_threshold"), ("16_calibration", "cal_t_star")],
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
