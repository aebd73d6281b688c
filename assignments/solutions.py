"""The solutions of the graded assignments: each function's body as a student would write it.

``tools/assignments.py`` puts each body under the signature and docstring that the student
notebook shows (read from ``lrcore``'s source), between otter's ``# BEGIN SOLUTION`` and
``# END SOLUTION``. They are instructors' material: this folder is not part of the ``lrcore``
package, and nothing published (the site, the wheel, the student notebooks) contains them
(``tests/test_assignments.py``). Every body is graded by the assignment's own tests, public and
hidden, when ``make assignments`` runs (``otter assign`` runs the tests on the solutions) and in
the tests.

Each function here is the reference text of one body: only the lines after its docstring are
used, so the signatures need no annotations.
"""

# ruff: noqa: F821  (torch and lrcore are the notebook's, imported by its set-up cell)


def fit_standardizer(x):
    """Solution."""
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, keepdim=True, correction=0)
    std = torch.where(std == 0, torch.ones_like(std), std)
    return mean, std


def standardize(x, mean, std):
    """Solution."""
    return (x - mean) / std


def linear(x, w, b):
    """Solution."""
    return x @ w + b


def sigmoid(z):
    """Solution."""
    return 1 / (1 + torch.exp(-z))


def logistic_regression(x, w, b):
    """Solution."""
    return sigmoid(linear(x, w, b))


def binary_cross_entropy(y_pred, y_true):
    """Solution."""
    per_sample = torch.xlogy(y_true, y_pred) + torch.xlogy(1 - y_true, 1 - y_pred)
    return -per_sample.mean()


def compute_gradients(x, y_pred, y_true):
    """Solution."""
    n = x.shape[0]
    residual = y_pred - y_true
    dw = x.T @ residual / n
    db = residual.sum(dim=0, keepdim=True) / n
    return dw, db


def gradient_descent_step(x, y, w, b, learning_rate):
    """Solution."""
    # The chapter's model and loss are lrcore's; the gradients are the student's own.
    y_pred = lrcore.logistic_regression(x, w, b)
    loss = lrcore.binary_cross_entropy(y_pred, y)
    dw, db = compute_gradients(x, y_pred, y)
    return loss, w - learning_rate * dw, b - learning_rate * db


def precision(y_pred, y_true):
    """Solution."""
    predicted, actual = y_pred == 1, y_true == 1
    tp = int((predicted & actual).sum())
    fp = int((predicted & ~actual).sum())
    return tp / (tp + fp) if tp + fp > 0 else 0.0


def recall(y_pred, y_true):
    """Solution."""
    predicted, actual = y_pred == 1, y_true == 1
    tp = int((predicted & actual).sum())
    fn = int((~predicted & actual).sum())
    return tp / (tp + fn) if tp + fn > 0 else 0.0


def f1_score(y_pred, y_true):
    """Solution."""
    predicted, actual = y_pred == 1, y_true == 1
    tp = int((predicted & actual).sum())
    fp = int((predicted & ~actual).sum())
    fn = int((~predicted & actual).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0


def dJi_dS(y_pred, y_true):
    """Solution."""
    return torch.where(y_true == 1, -1 / y_pred, 1 / (1 - y_pred))


def dS_dZ(y_pred):
    """Solution."""
    return y_pred * (1 - y_pred)


def dZ_dW(x):
    """Solution."""
    return x.clone()


def dZ_dB(x):
    """Solution."""
    return torch.ones(x.shape[0], 1, dtype=x.dtype)
