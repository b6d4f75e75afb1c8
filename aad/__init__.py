"""aad: Active Anomaly Discovery on isolation forests.

Find the anomalies hidden in a table by labelling as few rows as possible: an isolation
forest ranks every row, each label re-learns the forest's leaf weights, and the next
query is more likely to be a true anomaly. This package is the engine; it has no user
interface (see ``app/`` for the command line and the Streamlit workbench).
"""

from . import diverse as _diverse  # noqa: F401  (registers the top-random, bal-d and bal-e strategies)
from ._validation import MAX_SEED
from .data import (
    AUTO,
    Dataset,
    dataset_from_frame,
    detect_label_column,
    label_values,
    list_datasets,
    load_classes,
    load_dataset,
    load_rows,
    parse_labels,
    require_file,
)
from .describe import DescribedRule, Description, describe_anomalies, describe_rows, solve_cover
from .detectors import (
    DETECTORS,
    AADEnsemble,
    Calibration,
    ExtendedAADForest,
    ScoreTable,
    load_scores,
    make_detector,
)
from .encoding import FeatureSpec
from .errors import (
    AADError,
    DataError,
    DescriptionError,
    LabelError,
    NotFittedError,
    UnknownStrategyError,
)
from .export import export_notes, export_rules, numbers_from_text, read_rules, rule_columns, rule_features
from .forest import LeafForest, NodeTable, average_path_length, fit_forest
from .labelfile import read_labels
from .labels import ANOMALY, NOMINAL, UNLABELLED, label_array, label_name, to_label
from .learner import ActiveLearner, LabelEvent
from .model import AADForest
from .query import QueryContext, register_strategy, select_queries, strategy_names
from .regions import RowExplanation, explain_row
from .rules import Predicate, Rule
from .scale import ModelFileError, PortableModel, export_model, load_model
from .scores import score_table
from .session import Edit, Session, fit_model, load_data, select_columns
from .simulate import SimulationResult, SimulationRun, simulate, simulate_run
from .store import (
    DatabaseError,
    SessionNotFoundError,
    SessionRecord,
    SessionSummary,
    Store,
    default_db_path,
    labels_csv,
    labels_export,
)
from .stream import StreamingAAD, StreamResult, replay_stream
from .terms import ColumnTest, rule_tests, rule_text
from .transfer import dump_session, load_session
from .weights import leaf_values, linear_update

__version__ = "0.1.0"

__all__ = [
    "ANOMALY",
    "AUTO",
    "DETECTORS",
    "MAX_SEED",
    "NOMINAL",
    "UNLABELLED",
    "AADEnsemble",
    "AADError",
    "AADForest",
    "ActiveLearner",
    "Calibration",
    "ColumnTest",
    "DataError",
    "DatabaseError",
    "Dataset",
    "DescribedRule",
    "Description",
    "DescriptionError",
    "Edit",
    "ExtendedAADForest",
    "FeatureSpec",
    "LabelError",
    "LabelEvent",
    "LeafForest",
    "ModelFileError",
    "NodeTable",
    "NotFittedError",
    "PortableModel",
    "Predicate",
    "QueryContext",
    "RowExplanation",
    "Rule",
    "ScoreTable",
    "Session",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionSummary",
    "SimulationResult",
    "SimulationRun",
    "Store",
    "StreamResult",
    "StreamingAAD",
    "UnknownStrategyError",
    "__version__",
    "average_path_length",
    "dataset_from_frame",
    "default_db_path",
    "describe_anomalies",
    "describe_rows",
    "detect_label_column",
    "dump_session",
    "explain_row",
    "export_model",
    "export_notes",
    "export_rules",
    "fit_forest",
    "fit_model",
    "label_array",
    "label_name",
    "label_values",
    "labels_csv",
    "labels_export",
    "leaf_values",
    "linear_update",
    "list_datasets",
    "load_classes",
    "load_data",
    "load_dataset",
    "load_model",
    "load_rows",
    "load_scores",
    "load_session",
    "make_detector",
    "numbers_from_text",
    "parse_labels",
    "read_labels",
    "read_rules",
    "register_strategy",
    "replay_stream",
    "require_file",
    "rule_columns",
    "rule_features",
    "rule_tests",
    "rule_text",
    "score_table",
    "select_columns",
    "select_queries",
    "simulate",
    "simulate_run",
    "solve_cover",
    "strategy_names",
    "to_label",
]
