"""lrcore: logistic regression and gradient descent in PyTorch, as the book teaches them.

Shapes follow the lab: inputs ``x`` (n, D), weights ``w`` (D, 1), bias ``b`` (1, 1),
labels and predictions (n, 1). Every function is pure: it returns new tensors of the input's
dtype and device and never modifies its arguments. Label 1 means *malignant*.
"""

# The three modules that need heavy libraries are imported on first use, so that `import lrcore`
# costs PyTorch and little else: `data` (scikit-learn's data set and split, pandas), `margin`
# (scikit-learn's SVC, SciPy's linprog) and `plotting` (matplotlib). `lrcore.X` and
# `from lrcore import X` work for every X as before (module `__getattr__`, PEP 562), and
# `dir(lrcore)` lists the same names. tests/test_package.py checks both, and the import's cost.
import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

from lrcore import _version
from lrcore._validation import DivergenceWarning, NonFiniteWarning
from lrcore.calibration import (
    BrierDecomposition,
    CalibrationCurve,
    brier_decomposition,
    brier_score,
    calibration_curve,
    expected_calibration_error,
)
from lrcore.gradients import (
    compute_gradients,
    compute_gradients_chain_rule,
    dJi_dS,
    dS_dZ,
    dZ_dB,
    dZ_dW,
)
from lrcore.landscape import loss_landscape
from lrcore.losses import binary_cross_entropy, binary_cross_entropy_with_logits
from lrcore.metrics import (
    UndefinedMetricWarning,
    accuracy,
    auc,
    compute_metrics,
    confusion_matrix,
    f1_score,
    metrics_along_trajectory,
    precision,
    precision_recall_curve,
    recall,
    roc_curve,
)
from lrcore.minibatch import fit_minibatch
from lrcore.model import linear, logistic_regression, predict, sigmoid
from lrcore.newton import ConvergenceWarning, NewtonHistory, fit_newton
from lrcore.optim import History, fit, gradient_descent_step
from lrcore.preprocessing import fit_standardizer, standardize
from lrcore.resampling import (
    ConfidenceInterval,
    bootstrap_confidence_intervals,
    bootstrap_indices,
    bootstrap_metrics,
    cross_validate,
    percentile_interval,
    stratified_k_fold,
)

#: Module -> the names ``lrcore`` exports from it, imported when one of them is first asked for.
_LAZY_MODULES = {
    "data": ("TARGET_NAME", "load_breast_cancer_means", "to_tensors", "train_val_test_split"),
    "margin": ("angle_between", "hard_margin_svm", "margins"),
    "plotting": (
        "CLASS_COLORS",
        "plot_bce_per_sample",
        "plot_confusion_matrix",
        "plot_decision_boundary",
        "plot_loss_curves",
        "plot_loss_landscape",
        "plot_metric_curves",
        "plot_precision_recall_curve",
        "plot_reliability_diagram",
        "plot_roc_curve",
        "plot_sigmoid",
        "use_book_style",
    ),
}
_LAZY_NAMES = {name: module for module, names in _LAZY_MODULES.items() for name in names}

if _TYPE_CHECKING:  # what type checkers and editors see: the eager imports
    from lrcore.data import TARGET_NAME, load_breast_cancer_means, to_tensors, train_val_test_split
    from lrcore.margin import angle_between, hard_margin_svm, margins
    from lrcore.plotting import (
        CLASS_COLORS,
        plot_bce_per_sample,
        plot_confusion_matrix,
        plot_decision_boundary,
        plot_loss_curves,
        plot_loss_landscape,
        plot_metric_curves,
        plot_precision_recall_curve,
        plot_reliability_diagram,
        plot_roc_curve,
        plot_sigmoid,
        use_book_style,
    )


def __getattr__(name: str):
    module = _LAZY_NAMES.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(f"lrcore.{module}"), name)
        globals()[name] = value
        return value
    if name in _LAZY_MODULES:
        return _importlib.import_module(f"lrcore.{name}")  # also sets lrcore.<name>
    raise AttributeError(f"module 'lrcore' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The same names as when every module was imported eagerly."""
    private = {"_importlib", "_TYPE_CHECKING", "_LAZY_MODULES", "_LAZY_NAMES", "__getattr__", "__dir__"}
    return sorted({*globals(), *_LAZY_NAMES, *_LAZY_MODULES} - private)


# The one number is pyproject.toml's (lrcore/_version.py reads it, or the installed metadata).
__version__ = _version.version()

__all__ = [
    "CLASS_COLORS",
    "TARGET_NAME",
    "BrierDecomposition",
    "CalibrationCurve",
    "ConfidenceInterval",
    "ConvergenceWarning",
    "DivergenceWarning",
    "History",
    "NewtonHistory",
    "NonFiniteWarning",
    "UndefinedMetricWarning",
    "accuracy",
    "angle_between",
    "auc",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "bootstrap_confidence_intervals",
    "bootstrap_indices",
    "bootstrap_metrics",
    "brier_decomposition",
    "brier_score",
    "calibration_curve",
    "compute_gradients",
    "compute_gradients_chain_rule",
    "compute_metrics",
    "confusion_matrix",
    "cross_validate",
    "dJi_dS",
    "dS_dZ",
    "dZ_dB",
    "dZ_dW",
    "expected_calibration_error",
    "f1_score",
    "fit",
    "fit_minibatch",
    "fit_newton",
    "fit_standardizer",
    "gradient_descent_step",
    "hard_margin_svm",
    "linear",
    "load_breast_cancer_means",
    "logistic_regression",
    "margins",
    "metrics_along_trajectory",
    "predict",
    "loss_landscape",
    "percentile_interval",
    "plot_bce_per_sample",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_loss_curves",
    "plot_loss_landscape",
    "plot_metric_curves",
    "plot_precision_recall_curve",
    "plot_reliability_diagram",
    "plot_roc_curve",
    "plot_sigmoid",
    "precision",
    "precision_recall_curve",
    "recall",
    "roc_curve",
    "sigmoid",
    "standardize",
    "stratified_k_fold",
    "to_tensors",
    "train_val_test_split",
    "use_book_style",
]
