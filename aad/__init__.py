"""aad: Active Anomaly Discovery on isolation forests.

Find the anomalies hidden in a table by labelling as few rows as possible: an isolation
forest ranks every row, each label re-learns the forest's leaf weights, and the next
query is more likely to be a true anomaly. This package is the engine; it has no user
interface (see ``app/`` for the command line and the Streamlit workbench).
"""

from .data import AUTO, Dataset, dataset_from_frame, list_datasets, load_classes, load_dataset
from .errors import (
    AADError,
    DataError,
    DescriptionError,
    LabelError,
    NotFittedError,
    UnknownStrategyError,
)
from .forest import LeafForest, NodeTable, average_path_length, fit_forest
from .labels import ANOMALY, NOMINAL, UNLABELLED, label_name, to_label
from .learner import ActiveLearner, LabelEvent
from .model import AADForest
from .query import QueryContext, register_strategy, select_queries, strategy_names
from .simulate import SimulationResult, SimulationRun, simulate, simulate_run
from .weights import leaf_values, linear_update

__version__ = "0.1.0"

__all__ = [
    "ANOMALY",
    "AUTO",
    "NOMINAL",
    "UNLABELLED",
    "AADError",
    "AADForest",
    "ActiveLearner",
    "DataError",
    "Dataset",
    "DescriptionError",
    "LabelError",
    "LabelEvent",
    "LeafForest",
    "NodeTable",
    "NotFittedError",
    "QueryContext",
    "SimulationResult",
    "SimulationRun",
    "UnknownStrategyError",
    "__version__",
    "average_path_length",
    "dataset_from_frame",
    "fit_forest",
    "label_name",
    "leaf_values",
    "linear_update",
    "list_datasets",
    "load_classes",
    "load_dataset",
    "register_strategy",
    "select_queries",
    "simulate",
    "simulate_run",
    "strategy_names",
    "to_label",
]
