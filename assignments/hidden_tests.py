"""The hidden tests of the graded assignments: other inputs than the public checks'.

For every function a student writes, ``HIDDEN[name]`` makes the cases of its hidden test:
other shapes, dtypes, seeds and edge values than ``lrcore.checks.check_<name>`` uses, so that a
function written to pass the public cases (a table of their answers, a branch on their shapes)
fails here. Each result is compared with ``lrcore``'s own function by the machinery of
``lrcore.checks`` (same tolerances, same hints). The hidden test also fails a function that is
``lrcore``'s own, or calls it under the same name, instead of the student's code.

``tools/assignments.py`` copies each case function's source into the assignment's hidden test
(so each is self-contained: its imports inside, nothing else from this module). The seeds are
fixed: grading is deterministic. This folder is instructors' material and is not part of the
``lrcore`` package; ``tests/test_assignments.py`` checks that nothing published contains it,
and that no hidden input equals a public one.
"""

from __future__ import annotations

#: Marks every hidden test's source; what must never appear in anything published.
SENTINEL = "lrcore-assignments: hidden test (instructors only)"


def fit_standardizer():
    import torch

    from lrcore import checks as c

    two_constant = c._features(30, 4, 2301, torch.float32)
    two_constant[:, 1], two_constant[:, 3] = 7.5, -2.0
    shifted = c._normal(2302, 9, 3) * 0.01 + 1000.0  # a large mean, a small spread
    return [
        c.Case("x 7×6 on the lab's scales, float64", (c._features(7, 6, 2303, torch.float64),)),
        c.Case("x 2×5 (two samples), float32", (c._features(2, 5, 2304, torch.float32),)),
        c.Case("x 30×4 with two constant features, float32", (two_constant,)),
        c.Case("x 9×3 with mean 1000 and std 0.01, float64", (shifted,)),
        c.Case("x 1×3 (one sample: every std is 0), float64", (c._features(1, 3, 2305, torch.float64),)),
    ]


def standardize():
    import torch

    import lrcore
    from lrcore import checks as c

    train = c._features(20, 6, 2311, torch.float64)
    train32 = c._features(25, 2, 2312, torch.float32)
    return [
        c.Case("x 9×2 with training statistics, float32",
               (c._features(9, 2, 2313, torch.float32), *lrcore.fit_standardizer(train32))),
        c.Case("x 2×6 with training statistics, float64",
               (c._features(2, 6, 2314, torch.float64), *lrcore.fit_standardizer(train))),
        c.Case("x 4×3 with a negative mean and std 0.5, float64",
               (c._normal(2315, 4, 3), torch.tensor([[-1.0, -3.0, 2.0]], dtype=torch.float64),
                torch.full((1, 3), 0.5, dtype=torch.float64))),
        c.Case("x 100×6 with training statistics, float64",
               (c._features(100, 6, 2316, torch.float64), *lrcore.fit_standardizer(train))),
    ]  # fmt: skip


def linear():
    import torch

    from lrcore import checks as c

    return [
        c.Case("x 7×5, float32", (c._normal(2321, 7, 5, dtype=torch.float32), *c._params(5, 2322, torch.float32))),
        c.Case("x 2×1, float64", (c._normal(2323, 2, 1), *c._params(1, 2324, torch.float64))),
        c.Case("x 20×3 with a bias of -4, float64",
               (c._normal(2325, 20, 3), c._normal(2326, 3, 1), torch.tensor([[-4.0]], dtype=torch.float64))),
        c.Case("x 100×30, float32",
               (c._normal(2327, 100, 30, dtype=torch.float32), *c._params(30, 2328, torch.float32))),
    ]  # fmt: skip


def sigmoid():
    import torch

    from lrcore import checks as c

    return [
        c.Case("z = -5, 0.3, 7, shape (3, 1), float64", (torch.tensor([[-5.0], [0.3], [7.0]], dtype=torch.float64),)),
        c.Case("z of shape (2, 2, 2), float32", (c._normal(2331, 2, 2, 2, dtype=torch.float32, scale=10.0),)),
        c.Case("z = ±30, ±88, ±89, float32",
               (torch.tensor([[30.0], [-30.0], [88.0], [-88.0], [89.0], [-89.0]], dtype=torch.float32),)),
        c.Case("z of shape (1000, 1), float64", (c._normal(2332, 1000, 1, scale=5.0),)),
    ]  # fmt: skip


def logistic_regression():
    import torch

    from lrcore import checks as c

    return [
        c.Case("x 8×4, float64", (c._normal(2341, 8, 4), *c._params(4, 2342, torch.float64))),
        c.Case("x 2×7, float32", (c._normal(2343, 2, 7, dtype=torch.float32), *c._params(7, 2344, torch.float32))),
        c.Case("x 30×1 with large logits, float64",
               (c._normal(2345, 30, 1, scale=40.0), c._normal(2346, 1, 1), torch.tensor([[3.0]], dtype=torch.float64))),
    ]  # fmt: skip


def binary_cross_entropy():
    import torch

    from lrcore import checks as c

    return [
        c.Case("7 random predictions, float64",
               (c._probabilities(7, 2351, torch.float64), c._labels(7, 2352, torch.float64))),
        c.Case("3 predictions, every label 1, float32",
               (torch.tensor([[0.9], [0.2], [0.6]]), torch.ones(3, 1))),
        c.Case("3 predictions, every label 0, float64",
               (torch.tensor([[0.1], [0.7], [0.4]], dtype=torch.float64), torch.zeros(3, 1, dtype=torch.float64))),
        c.Case("a sure and wrong prediction (p = 1 for y = 0), float64",
               (torch.tensor([[1.0], [0.3]], dtype=torch.float64), torch.tensor([[0.0], [1.0]], dtype=torch.float64))),
        c.Case("200 random predictions, float64",
               (c._probabilities(200, 2353, torch.float64), c._labels(200, 2354, torch.float64))),
    ]  # fmt: skip


def compute_gradients():
    import torch

    from lrcore import checks as c

    return [
        c.Case("x 7×2, float32",
               (c._normal(2361, 7, 2, dtype=torch.float32), c._probabilities(7, 2362, torch.float32),
                c._labels(7, 2363, torch.float32))),
        c.Case("x 2×5, float64", (c._normal(2364, 2, 5), c._probabilities(2, 2365, torch.float64),
                                  c._labels(2, 2366, torch.float64))),
        c.Case("x 25×4, every label 1, float64",
               (c._normal(2367, 25, 4), c._probabilities(25, 2368, torch.float64),
                torch.ones(25, 1, dtype=torch.float64))),
    ]  # fmt: skip


def gradient_descent_step():
    import torch

    from lrcore import checks as c

    return [
        c.Case("x 5×2, float64, learning rate 1",
               (c._normal(2371, 5, 2), c._labels(5, 2372, torch.float64), *c._params(2, 2373, torch.float64), 1.0)),
        c.Case("x 12×3, float32, learning rate 0.3",
               (c._normal(2374, 12, 3, dtype=torch.float32), c._labels(12, 2375, torch.float32),
                *c._params(3, 2376, torch.float32), 0.3)),
        c.Case("x 2×4, float64, learning rate 0.01",
               (c._normal(2377, 2, 4), c._labels(2, 2378, torch.float64), *c._params(4, 2379, torch.float64), 0.01)),
    ]  # fmt: skip


def _metric_cases():
    import torch

    from lrcore import checks as c

    return [
        c.Case("TP=1 (one sample), float64", c._from_counts(1, 0, 0, 0, torch.float64, 2381)),
        c.Case("TP=7, FP=3, FN=2, TN=11, float32", c._from_counts(7, 3, 2, 11, torch.float32, 2382)),
        c.Case("TP=2, FP=9, FN=6, TN=1, float64", c._from_counts(2, 9, 6, 1, torch.float64, 2383)),
        c.Case("only false positives (FP=4), float32", c._from_counts(0, 4, 0, 0, torch.float32, 2384)),
        c.Case("only false negatives (FN=4), float64", c._from_counts(0, 0, 4, 0, torch.float64, 2385)),
        c.Case("only true negatives (TN=3), float32", c._from_counts(0, 0, 0, 3, torch.float32, 2386)),
    ]


precision = recall = f1_score = _metric_cases


def dJi_dS():
    import torch

    from lrcore import checks as c

    return [
        c.Case("6 random predictions, float32",
               (c._probabilities(6, 2391, torch.float32), c._labels(6, 2392, torch.float32))),
        c.Case("s = 0.999 for y = 0 and s = 0.001 for y = 1, float64",
               (torch.tensor([[0.999], [0.001]], dtype=torch.float64),
                torch.tensor([[0.0], [1.0]], dtype=torch.float64))),
        c.Case("one prediction, float64",
               (torch.tensor([[0.3]], dtype=torch.float64), torch.tensor([[1.0]], dtype=torch.float64))),
    ]  # fmt: skip


def dS_dZ():
    import torch

    from lrcore import checks as c

    return [
        c.Case("s of shape (3, 1), float32", (c._probabilities(3, 2401, torch.float32),)),
        c.Case("s = 1e-8 and 1 - 1e-8, float64", (torch.tensor([[1e-8], [1 - 1e-8]], dtype=torch.float64),)),
        c.Case("20 random probabilities, float64", (c._probabilities(20, 2402, torch.float64),)),
    ]


def dZ_dW():
    import torch

    from lrcore import checks as c

    return [
        c.Case("x 1×1, float64", (c._normal(2411, 1, 1),)),
        c.Case("x 6×2, float32", (c._normal(2412, 6, 2, dtype=torch.float32),)),
        c.Case("x 3×7, float64", (c._normal(2413, 3, 7),)),
    ]


def dZ_dB():
    import torch

    from lrcore import checks as c

    return [
        c.Case("x 1×1, float32", (c._normal(2421, 1, 1, dtype=torch.float32),)),
        c.Case("x 7×2, float64", (c._normal(2422, 7, 2),)),
        c.Case("x 3×5, float32", (c._normal(2423, 3, 5, dtype=torch.float32),)),
    ]


#: The hidden cases of each function a student writes.
HIDDEN = {
    name: globals()[name]
    for name in (
        "fit_standardizer", "standardize", "linear", "sigmoid", "logistic_regression", "binary_cross_entropy",
        "compute_gradients", "gradient_descent_step", "precision", "recall", "f1_score", "dJi_dS", "dS_dZ",
        "dZ_dW", "dZ_dB",
    )
}  # fmt: skip
