"""lrcore.margin against independent references, and the implicit bias of gradient descent.

References: closed forms worked out below (two points, right angles), numpy in float64,
``scipy.optimize.nnls`` solving the hard-margin problem as a least-distance program
(Lawson and Hanson, *Solving Least Squares Problems*, 1974), ``scipy.optimize``'s
SLSQP on the primal problem, and ``torch.autograd.gradcheck``. The last tests check what
chapter 17 shows: on separable data the direction of gradient descent's ``[w; b]`` tends to
the hard-margin SVM with the bias penalised (Soudry et al., 2018), and the L2-penalised
minimiser, whose bias is not penalised, tends to the SVM with a free bias (Rosset et al., 2004).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize, nnls
from sklearn.datasets import load_breast_cancer

import lrcore

F64 = torch.float64


def full(message: str) -> str:
    return "^" + re.escape(message) + "$"


def signed_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows ``a_i = (2 y_i - 1) [x_i, 1]``: the margins of ``theta = [w; b]`` are ``A theta``."""
    return (2 * y.reshape(-1, 1) - 1) * np.hstack([x, np.ones((len(x), 1))])


def least_distance(A: np.ndarray) -> np.ndarray:
    """The smallest ``theta`` with ``A theta >= 1``, by NNLS (Lawson and Hanson's LDP algorithm)."""
    m, k = A.shape
    E = np.vstack([A.T, np.ones((1, m))])
    f = np.zeros(k + 1)
    f[-1] = 1.0
    u, _ = nnls(E, f, maxiter=50 * m)
    r = E @ u - f
    return -r[:k] / r[k]


def free_bias_svm(A: np.ndarray) -> np.ndarray:
    """The smallest ``||w||`` with ``A [w; b] >= 1`` and ``b`` free, by SLSQP from a feasible start."""
    start = least_distance(A)
    result = minimize(
        lambda t: 0.5 * t[:-1] @ t[:-1],
        start,
        jac=lambda t: np.append(t[:-1], 0.0),
        constraints=[{"type": "ineq", "fun": lambda t: A @ t - 1, "jac": lambda t: A}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    assert (A @ result.x).min() > 1 - 1e-8
    return result.x


def theta_of(w: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    return torch.cat([w, b]).reshape(-1).double().numpy()


def degrees(u, v) -> float:
    return math.degrees(lrcore.angle_between(torch.as_tensor(u, dtype=F64), torch.as_tensor(v, dtype=F64)).item())


def separable_problem(seed: int, n: int = 40, d: int = 3, gap: float = 0.5, offset: float = 2.0):
    """Gaussian points away from the origin, labelled by a random hyperplane, a band of 2 gap removed."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4 * n, d)) + offset
    normal = rng.normal(size=d)
    score = (x - offset) @ normal / np.linalg.norm(normal)
    keep = np.abs(score) > gap
    x, y = x[keep][:n], (score[keep][:n] > 0).astype(float)
    return x, y


# ---------------------------------------------------------------------------- margins


def test_margins_against_numpy_and_gradient():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(7, 3, generator=g, dtype=F64)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0], [1.0]], dtype=F64)
    w = torch.randn(3, 1, generator=g, dtype=F64).requires_grad_()
    b = torch.randn(1, 1, generator=g, dtype=F64)
    before = (x.clone(), y.clone(), w.detach().clone(), b.clone())
    m = lrcore.margins(x, y, w, b)
    expected = (2 * y.numpy() - 1) * (x.numpy() @ w.detach().numpy() + b.numpy())
    np.testing.assert_allclose(m.detach().numpy(), expected, rtol=1e-14)
    m.sum().backward()
    # d/dw sum_i (2 y_i - 1)(x_i w + b) = sum_i (2 y_i - 1) x_i
    np.testing.assert_allclose(w.grad.numpy(), x.numpy().T @ (2 * y.numpy() - 1), rtol=1e-14)
    for t, t0 in zip((x, y, w.detach(), b), before, strict=True):
        assert torch.equal(t, t0)


def test_margins_validation():
    x, y, w, b = torch.ones(3, 2), torch.tensor([[0.0], [1.0], [2.0]]), torch.ones(2, 1), torch.zeros(1, 1)
    with pytest.raises(ValueError, match=full("y must contain only 0 and 1, got 2.0")):
        lrcore.margins(x, y, w, b)
    with pytest.raises(ValueError, match=full("w must have shape (2, 1) to match x of shape (3, 2), got shape (3, 1)")):
        lrcore.margins(x, torch.ones(3, 1), torch.ones(3, 1), b)


# ---------------------------------------------------------------------------- angle_between


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_angle_known_values(dtype):
    u = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [1.0, 1.0]], dtype=dtype)
    got = lrcore.angle_between(u, torch.tensor([5.0, 0.0], dtype=dtype))
    assert got.dtype == dtype and got.shape == (4,)
    torch.testing.assert_close(got, torch.tensor([0.0, math.pi / 2, math.pi, math.pi / 4], dtype=dtype))


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_angle_is_accurate_where_arccos_is_not(dtype):
    # The angle between (1, 0) and (1, t) is atan(t) = t - t^3/3 + ..., so t itself for t = 1e-12.
    u, v = torch.tensor([1.0, 0.0], dtype=dtype), torch.tensor([1.0, 1e-12], dtype=dtype)
    assert torch.arccos(torch.dot(u, v) / (u.norm() * v.norm())).item() == 0.0  # the cosine rounds to 1
    assert lrcore.angle_between(u, v).item() == pytest.approx(1e-12, rel=1e-6)


def test_angle_against_arccos_in_float64():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=(50, 6)), rng.normal(size=(50, 6))
    cosine = (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    got = lrcore.angle_between(torch.tensor(u), torch.tensor(v)).numpy()
    np.testing.assert_allclose(got, np.arccos(cosine), rtol=1e-12)


def test_angle_broadcasts_and_ignores_scale():
    rng = np.random.default_rng(2)
    path, target = torch.tensor(rng.normal(size=(4, 5, 3))), torch.tensor(rng.normal(size=3))
    got = lrcore.angle_between(path, target)
    assert got.shape == (4, 5)
    one_by_one = torch.stack([torch.stack([lrcore.angle_between(p, target) for p in row]) for row in path])
    torch.testing.assert_close(got, one_by_one, rtol=1e-14, atol=0)
    torch.testing.assert_close(lrcore.angle_between(path * 1e300, target * 1e-300), got, rtol=1e-12, atol=0)


def test_angle_gradient_and_inputs_unchanged():
    u = torch.tensor([0.3, -1.2, 0.5], dtype=F64, requires_grad=True)
    v = torch.tensor([1.0, 0.4, -0.2], dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lrcore.angle_between, (u, v))
    before = u.detach().clone()
    lrcore.angle_between(u, v)
    assert torch.equal(u.detach(), before)


@pytest.mark.parametrize(
    ("u", "v", "exc", "message"),
    [
        ([1.0, 2.0], torch.ones(2), TypeError, "u must be a torch.Tensor, got list"),
        (torch.zeros(2), torch.ones(2), ValueError, "u must not contain a zero vector: a zero vector has no direction"),
        (
            torch.ones(2),
            torch.zeros(3, 2),
            ValueError,
            "v must not contain a zero vector: a zero vector has no direction",
        ),
        (
            torch.ones(3),
            torch.ones(2),
            ValueError,
            "u and v must have the same last dimension, got shapes (3,) and (2,)",
        ),
        (
            torch.ones(3, 2),
            torch.ones(4, 2),
            ValueError,
            "u and v must have broadcastable leading dimensions, got shapes (3, 2) and (4, 2)",
        ),
        (
            torch.ones(2),
            torch.ones(2, dtype=F64),
            TypeError,
            "u and v must have the same dtype, got torch.float32 and torch.float64",
        ),
        (torch.tensor([1.0, math.nan]), torch.ones(2), ValueError, "u must contain only finite values, got NaN or inf"),
        (
            torch.ones(2, dtype=torch.int64),
            torch.ones(2),
            TypeError,
            "u must have dtype torch.float32 or torch.float64, got torch.int64; convert it with u.float()",
        ),
    ],
)
def test_angle_validation(u, v, exc, message):
    with pytest.raises(exc, match=full(message)):
        lrcore.angle_between(u, v)


# ---------------------------------------------------------------------------- hard_margin_svm


TWO_POINTS = [
    # x_1 (label 1), x_2 (label 0): the two examples of chapter 17 and two more.
    ([1.0, 3.0], [3.0, 3.0]),
    ([0.0, 1.0], [2.0, 0.0]),
    ([-1.0, 2.0, 0.5], [1.5, 2.5, 1.0]),
    ([2.0], [5.0]),
]


@pytest.mark.parametrize(("positive", "negative"), TWO_POINTS)
def test_two_points_closed_forms(positive, negative):
    x1, x2 = np.array(positive), np.array(negative)
    x = torch.tensor(np.vstack([x1, x2]))
    y = torch.tensor([[1.0], [0.0]], dtype=F64)
    # Bias free: the perpendicular bisector, w = 2 (x1 - x2) / |x1 - x2|^2, b = -w . (x1 + x2) / 2.
    w_free = 2 * (x1 - x2) / np.sum((x1 - x2) ** 2)
    expected_free = np.append(w_free, -w_free @ (x1 + x2) / 2)
    # Bias penalised, both margins active: theta = A^T (A A^T)^-1 1 with the rows a_i = (2 y_i - 1) [x_i, 1].
    A = signed_rows(x.numpy(), y.numpy())
    multipliers = np.linalg.solve(A @ A.T, np.ones(2))
    assert (multipliers > 0).all()  # so both constraints are active at the optimum (KKT)
    expected_pen = A.T @ multipliers
    for penalize_bias, expected in ((False, expected_free), (True, expected_pen)):
        w, b = lrcore.hard_margin_svm(x, y, penalize_bias=penalize_bias)
        assert w.shape == (len(positive), 1) and b.shape == (1, 1) and w.dtype == F64
        np.testing.assert_allclose(theta_of(w, b), expected, rtol=2e-4, atol=2e-4)


def test_chapter_example_tilts_towards_the_origin():
    # The chapter's two-point example worked out by hand: theta = [-1, 0.6, 0.2] against [-1, 0, 2].
    x = torch.tensor([[1.0, 3.0], [3.0, 3.0]], dtype=F64)
    y = torch.tensor([[1.0], [0.0]], dtype=F64)
    np.testing.assert_allclose(theta_of(*lrcore.hard_margin_svm(x, y)), [-1.0, 0.6, 0.2], atol=2e-4)
    np.testing.assert_allclose(
        theta_of(*lrcore.hard_margin_svm(x, y, penalize_bias=False)), [-1.0, 0.0, 2.0], atol=2e-4
    )


def test_symmetric_data_give_one_svm():
    # Data symmetric about the origin (x, y) -> (-x, 1 - y): the best bias is 0, so both kinds agree,
    # and the margin is the distance of the closest point to the line through the origin.
    x = torch.tensor([[2.0, 1.0], [1.0, 3.0], [-2.0, -1.0], [-1.0, -3.0]], dtype=F64)
    y = torch.tensor([[1.0], [1.0], [0.0], [0.0]], dtype=F64)
    pen, free = (theta_of(*lrcore.hard_margin_svm(x, y, penalize_bias=p)) for p in (True, False))
    np.testing.assert_allclose(pen, free, atol=2e-4)
    np.testing.assert_allclose(pen, least_distance(signed_rows(x.numpy(), y.numpy())), atol=2e-4)
    assert abs(pen[-1]) < 2e-4


@pytest.mark.parametrize("seed", range(6))
def test_generated_problems_against_scipy(seed):
    x_np, y_np = separable_problem(seed)
    x, y = torch.tensor(x_np), torch.tensor(y_np).reshape(-1, 1)
    A = signed_rows(x_np, y_np)
    for penalize_bias, reference in ((True, least_distance(A)), (False, free_bias_svm(A))):
        theta = theta_of(*lrcore.hard_margin_svm(x, y, penalize_bias=penalize_bias))
        assert degrees(theta, reference) < 0.01
        size = np.linalg.norm(theta if penalize_bias else theta[:-1])
        expected = np.linalg.norm(reference if penalize_bias else reference[:-1])
        assert size == pytest.approx(expected, rel=1e-3)
        margins = A @ theta
        assert margins.min() >= 1 - 1e-3 and np.sort(margins)[0] <= 1 + 1e-3  # a hard margin, attained


@pytest.fixture(scope="module")
def breast30():
    """The chapter's data: the 30 standardized features of the training split, float64."""
    frame = load_breast_cancer(as_frame=True).frame
    X30 = frame.drop(columns="target")
    y30 = (1 - frame["target"]).rename(lrcore.TARGET_NAME)
    X_train, _, _, y_train, _, _ = lrcore.train_val_test_split(X30, y30)
    x, y = lrcore.to_tensors(X_train, y_train, dtype=F64)
    mean, std = lrcore.fit_standardizer(x)
    return lrcore.standardize(x, mean, std), y


def test_book_data_against_least_distance(breast30):
    x, y = breast30
    A = signed_rows(x.numpy(), y.numpy())
    reference = least_distance(A)
    w, b = lrcore.hard_margin_svm(x, y)
    theta = theta_of(w, b)
    assert degrees(theta, reference) < 0.01
    assert np.linalg.norm(theta) == pytest.approx(np.linalg.norm(reference), rel=1e-4)
    margins = lrcore.margins(x, y, w, b)
    assert margins.min().item() >= 1 - 1e-3
    assert degrees(theta, free_bias_svm(A)) < 1  # the free-bias SVM is close here (centred features)


def test_float32_inputs_unchanged(breast30):
    x, y = breast30[0].float(), breast30[1].float()
    before = x.clone(), y.clone()
    w, b = lrcore.hard_margin_svm(x, y)
    assert w.dtype == b.dtype == torch.float32 and not w.requires_grad
    assert torch.equal(x, before[0]) and torch.equal(y, before[1])
    assert degrees(theta_of(w, b), theta_of(*lrcore.hard_margin_svm(*(t.double() for t in breast30)))) < 0.01


def test_not_separable_and_one_class():
    x = torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=F64)
    y = torch.tensor([[0.0], [1.0], [0.0], [1.0]], dtype=F64)  # labels alternate: no threshold separates them
    message = (
        "x and y must be linearly separable, got classes that no hyperplane separates "
        "(no w, b give every margin (2 y - 1) (x w + b) >= 1)"
    )
    for penalize_bias in (True, False):
        with pytest.raises(ValueError, match=full(message)):
            lrcore.hard_margin_svm(x, y, penalize_bias=penalize_bias)
    with pytest.raises(ValueError, match=full("y must contain both classes 0 and 1, got only 1")):
        lrcore.hard_margin_svm(x, torch.ones(4, 1, dtype=F64))
    with pytest.raises(TypeError, match=full("penalize_bias must be a bool (True or False), got int")):
        lrcore.hard_margin_svm(x, y, penalize_bias=1)


def test_ten_mean_features_are_not_separable():
    # Chapter 12 finds the minimum of the ten-feature loss: such data cannot be separable.
    X, y = lrcore.load_breast_cancer_means()
    X_train, _, _, y_train, _, _ = lrcore.train_val_test_split(X, y)
    x, y_t = lrcore.to_tensors(X_train, y_train, dtype=F64)
    with pytest.raises(ValueError, match="^x and y must be linearly separable"):
        lrcore.hard_margin_svm(x, y_t)


# ---------------------------------------------------------------------------- the implicit bias


def log_spaced_run(x, y, learning_rate, num_decades):
    """Gradient descent from 0, parameters after 1, 2, ..., 10, 20, ..., 100, ... 10**num_decades steps."""
    w, b = torch.zeros(x.shape[1], 1, dtype=x.dtype), torch.zeros(1, 1, dtype=x.dtype)
    steps, thetas = [], []
    for k in range(num_decades):
        count = 10 if k == 0 else 9 * 10**k
        history = lrcore.fit(x, y, w, b, learning_rate, count, record_every=10**k)
        w, b = history.w, history.b
        thetas.append(torch.cat([history.weights, history.biases], dim=1)[1:, :, 0])
        steps += [10**k * j for j in range(1 if k == 0 else 2, 11)]
    return np.array(steps), torch.cat(thetas)


def curvature_bound(x):
    xa = torch.cat([x, torch.ones(x.shape[0], 1, dtype=x.dtype)], dim=1)
    return torch.linalg.eigvalsh(xa.T @ xa / x.shape[0])[-1].item() / 4


def test_gradient_descent_tends_to_the_penalised_svm_on_the_book_data(breast30):
    x, y = breast30
    theta_pen = torch.cat(lrcore.hard_margin_svm(x, y)).reshape(-1)
    theta_free = torch.cat(lrcore.hard_margin_svm(x, y, penalize_bias=False)).reshape(-1)
    rate = 30 / curvature_bound(x)  # as chapter 17
    steps, thetas = log_spaced_run(x, y, rate, 5)  # up to 10**5 steps
    to_pen = np.degrees(lrcore.angle_between(thetas, theta_pen).numpy())
    to_free = np.degrees(lrcore.angle_between(thetas, theta_free).numpy())
    late = steps >= 100
    assert (np.diff(to_pen[late]) < 0).all()  # after the first hundred steps, closer at every checkpoint
    assert to_pen[0] > 60 and to_pen[-1] < 10
    assert (to_pen[steps >= 1000] < to_free[steps >= 1000]).all()
    # |theta| grows like |theta_svm| ln t: the slope over the last decade is within 3 %.
    norms = thetas.norm(dim=1).numpy()
    slope = (norms[-1] - norms[steps == 10**4][0]) / math.log(10)
    assert slope == pytest.approx(theta_pen.norm().item(), rel=0.03)
    # The loss falls like |theta_svm|^2 / (rate t).
    loss = lrcore.binary_cross_entropy_with_logits(lrcore.linear(x, thetas[-1, :-1, None], thetas[-1, -1:, None]), y)
    assert (rate * steps[-1] * loss.item()) == pytest.approx(theta_pen.norm().item() ** 2, rel=0.05)


TOY_X = torch.tensor([[1.0, 3.0], [0.0, 2.0], [0.5, 4.0], [3.0, 3.0], [4.0, 3.5], [3.5, 2.0]], dtype=F64)
TOY_Y = torch.tensor([[1.0], [1.0], [1.0], [0.0], [0.0], [0.0]], dtype=F64)
TOY_PEN, TOY_FREE = np.array([-1.0, 0.6, 0.2]), np.array([-1.0, 0.0, 2.0])  # by hand, from the two closest points


def test_toy_svms_are_those_of_the_closest_pair():
    assert degrees(theta_of(*lrcore.hard_margin_svm(TOY_X, TOY_Y)), TOY_PEN) < 0.01
    assert degrees(theta_of(*lrcore.hard_margin_svm(TOY_X, TOY_Y, penalize_bias=False)), TOY_FREE) < 0.01
    np.testing.assert_allclose(least_distance(signed_rows(TOY_X.numpy(), TOY_Y.numpy())), TOY_PEN, atol=1e-9)


def test_gradient_descent_on_the_toy_goes_to_the_penalised_svm():
    steps, thetas = log_spaced_run(TOY_X, TOY_Y, 10 / curvature_bound(TOY_X), 5)
    to_pen = np.array([degrees(t, TOY_PEN) for t in thetas])
    to_free = np.array([degrees(t, TOY_FREE) for t in thetas])
    assert (np.diff(to_pen[steps >= 100]) < 0).all() and to_pen[-1] < 0.5
    assert (to_free > 55).all()  # the widest street is 58 degrees away, and stays so


def test_l2_path_tends_to_the_free_bias_svm():
    # lrcore's L2 penalty leaves the bias free, so as l2 -> 0 the direction tends to the free-bias SVM.
    angles = []
    for l2 in (1e-2, 1e-4, 1e-6, 1e-8):
        w, b, _ = lrcore.fit_newton(TOY_X, TOY_Y, l2=l2)
        angles.append((degrees(theta_of(w, b), TOY_FREE), degrees(theta_of(w, b), TOY_PEN)))
    to_free, to_pen = np.array(angles).T
    assert (np.diff(to_free) < 0).all() and to_free[-1] < 0.05
    assert (to_pen > 50).all()


def test_separable_only_by_rounding_falls_back_on_the_margins():
    # Points on a line with labels 0, 1, 1, 0, 1 along it: not separable in exact arithmetic, but the
    # float32 rounding of k / 10 moves them off the line, and a linear program then finds a huge
    # theta that separates them. libsvm cannot reach such margins; the margin check reports it.
    x = torch.arange(15, dtype=torch.float32).reshape(5, 3) / 10
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0]])
    with pytest.raises(
        ValueError,
        match=r"^x and y must be separable by parameters that torch.float32 can hold, got classes so close that "
        r"the SVM's w and b, rounded to torch.float32, leave a smallest margin of -?[0-9.e+]+, not 1: rescale x "
        r"or use float64$",
    ):
        lrcore.hard_margin_svm(x, y)


# ------------------------------------------- issue 22: separable data far from the origin or from scale 1
F64_PAIR_Y = torch.tensor([[0.0], [1.0]], dtype=F64)


@pytest.mark.parametrize(
    ("x", "penalize_bias", "expected"),
    [
        ([[0.0], [1e-4]], True, None),
        ([[1000.0], [1001.0]], True, (2.0, -2001.0)),
        ([[1000.0], [1001.0]], False, (2.0, -2001.0)),
        ([[10000.0], [10010.0]], False, (0.2, -2001.0)),
        ([[1e-300], [2e-300]], False, (2e300, -3.0)),
        ([[1e-300], [2e-300]], True, (2e300, -3.0)),
    ],
)
def test_two_points_far_from_the_origin_or_from_scale_one_are_separated_exactly(x, penalize_bias, expected):
    # Two points: both are support vectors, so both margins are exactly 1 (the two equations fix w and b
    # with the bias free; with it penalised, the smallest theta on that line, computed here by hand).
    x = torch.tensor(x, dtype=F64)
    w, b = lrcore.hard_margin_svm(x, F64_PAIR_Y, penalize_bias=penalize_bias)
    np.testing.assert_allclose(lrcore.margins(x, F64_PAIR_Y, w, b).ravel().numpy(), [1.0, 1.0], rtol=1e-9)
    if expected is None:  # penalised bias, x0 = 0: -b = 1 and w x1 + b = 1
        expected = (2 / 1e-4, -1.0)
    np.testing.assert_allclose([w.item(), b.item()], expected, rtol=1e-6)


@pytest.mark.parametrize("k", [4, 10, 30])
@pytest.mark.parametrize("penalize_bias", [True, False])
def test_raw_mean_area_extremes_are_separated(k, penalize_bias):
    # The k smallest benign against the k largest malignant "mean area" values (hundreds to thousands,
    # unstandardized): clearly separable, the street between the largest benign and smallest malignant.
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    area = data.data[:, list(data.feature_names).index("mean area")]
    benign, malignant = np.sort(area[data.target == 1])[:k], np.sort(area[data.target == 0])[-k:]
    x = torch.tensor(np.concatenate([benign, malignant])[:, None], dtype=F64)
    y = torch.tensor(np.r_[np.zeros(k), np.ones(k)][:, None], dtype=F64)
    w, b = lrcore.hard_margin_svm(x, y, penalize_bias=penalize_bias)
    m = lrcore.margins(x, y, w, b).ravel()
    assert m.min().item() > 1 - 1e-6
    if not penalize_bias:  # the two closest points on the margin: w = 2 / gap, b at the midpoint
        low, high = benign.max(), malignant.min()
        np.testing.assert_allclose([w.item(), b.item()], [2 / (high - low), -(high + low) / (high - low)], rtol=1e-6)


@settings(max_examples=30, derandomize=True, deadline=None)
@given(
    offset=st.floats(-1e6, 1e6),
    log_scale=st.floats(-6, 6),
    penalize_bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_hard_margin_svm_solves_every_separable_shifted_or_scaled_input(offset, log_scale, penalize_bias, seed):
    # Separable 2-D clusters moved and scaled: the solution has every margin >= 1 and meets KKT
    # (theta a nonnegative combination of the support vectors' a_i), checked with scipy's nnls.
    import scipy.optimize

    rng = np.random.default_rng(seed)
    points = np.vstack([rng.normal(-3, 1, (6, 2)), rng.normal(3, 1, (6, 2))])
    labels = np.r_[np.zeros(6), np.ones(6)]
    keep = (points @ np.array([1.0, 1.0]) < 0) == (labels == 0)
    assume(keep.all())
    x = torch.tensor(points * 10.0**log_scale + offset, dtype=F64)
    y = torch.tensor(labels[:, None], dtype=F64)
    w, b = lrcore.hard_margin_svm(x, y, penalize_bias=penalize_bias)
    m = lrcore.margins(x, y, w, b).ravel().numpy()
    tol = 1e-6 + 1e-12 * (np.abs(x.numpy()) @ np.abs(w.numpy()).ravel() + abs(b.item()))
    assert (m >= 1 - 1e-3 - tol).all()
    on_margin = m < 1 + 1e-3 + tol
    signs = 2 * labels - 1
    if penalize_bias:
        a = signs[:, None] * np.hstack([x.numpy(), np.ones((12, 1))])
        theta = np.append(w.numpy().ravel(), b.item())
        _, residual = scipy.optimize.nnls(a[on_margin].T, theta)
        assert residual <= 1e-3 * np.linalg.norm(theta)
    else:
        a = signs[:, None] * x.numpy()
        matrix = np.vstack([a[on_margin].T, signs[on_margin][None, :] * 1e3])
        _, residual = scipy.optimize.nnls(matrix, np.append(w.numpy().ravel(), 0.0))
        assert residual <= 1e-3 * np.linalg.norm(w.numpy())
