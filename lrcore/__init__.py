"""lrcore: logistic regression and gradient descent in PyTorch, as the book teaches them.

Shapes follow the lab: inputs ``x`` (n, D), weights ``w`` (D, 1), bias ``b`` (1, 1),
labels and predictions (n, 1). Every function is pure: it returns new tensors of the input's
dtype and device and never modifies its arguments. Label 1 means *malignant*.
"""

from lrcore._validation import NonFiniteWarning
from lrcore.calibration import (
    BrierDecomposition,
    CalibrationCurve,
    brier_decomposition,
    brier_score,
    calibration_curve,
    expected_calibration_error,
)
from lrcore.data import TARGET_NAME, load_breast_cancer_means, to_tensors, train_val_test_split
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
from lrcore.margin import angle_between, hard_margin_svm, margins
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

__version__ = "0.1.0"

__all__ = [
    "CLASS_COLORS",
    "TARGET_NAME",
    "BrierDecomposition",
    "CalibrationCurve",
    "ConfidenceInterval",
    "ConvergenceWarning",
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
