"""Widget and session-state keys of the workbench, defined once.

Tests address widgets by these keys (``at.button(key=keys.LABEL_ANOMALY)``) and the
browser tests find containers by their ``st-key-<key>`` CSS class.
"""

from __future__ import annotations

# session state
SESSION = "aad_session"  # the one aad.Session of this browser tab
MESSAGE = "aad_message"  # (level, text) shown once at the top of the next page
UPLOADS = "aad_uploads"  # uploaded file id -> stored path
PRESSES = "aad_presses"  # Label page button presses not yet applied (app.state.Press)

# URL query parameter carrying the session id
URL_SESSION = "session"

# empty state: resume the latest stored session
RESUME_LATEST = "resume_latest"

# Label page
LABEL_ANOMALY = "label_anomaly"
LABEL_NOMINAL = "label_nominal"
LABEL_SKIP = "label_skip"
LABEL_UNDO = "label_undo"
LABEL_UNSKIP = "label_unskip"
RETURN_FOCUS = "return_focus"  # a setting was chosen: give the keyboard back to the page
RETURN_FOCUS_COUNT = "return_focus_count"  # how many times, so that each script is new to the browser
LABEL_STRATEGY = "label_strategy"
LABEL_BATCH_SIZE = "label_batch_size"
CARD_CURRENT = "card_current"  # the container of the card the shortcuts act on
LABEL_COUNTS = "label_counts"


def for_card(name: str, row: int | None) -> str:
    """The key of a Label page button acting on ``row`` (``label_anomaly-286``).

    A press sent by a page still showing an earlier card names that card's button, which
    no longer exists, and Streamlit drops it: a key pressed twice quickly cannot label the
    next card before it is drawn. (With one key for every card, the press would run the
    newest button's callback, whose row is the next card.)
    """
    return f"{name}-{'none' if row is None else row}"


# one-key shortcuts of the Label page buttons
SHORTCUTS = {LABEL_ANOMALY: "A", LABEL_NOMINAL: "N", LABEL_SKIP: "S", LABEL_UNDO: "U"}

# Explore page
EXPLORE_BULK_ANOMALY = "explore_bulk_anomaly"
EXPLORE_BULK_NOMINAL = "explore_bulk_nominal"
EXPLORE_HISTOGRAM = "explore_histogram"

# Rules page
RULES_TABLE = "rules_table"
RULES_DOWNLOAD_LABELS = "rules_download_labels"
RULES_DOWNLOAD_SCORES = "rules_download_scores"
RULES_CACHE = "aad_rules"  # (session id, model version, description)

# Progress page
PROGRESS_CHART = "progress_chart"
PROGRESS_HISTORY = "progress_history"

# Data page
DATA_SOURCE = "data_source"
DATA_SHIPPED = "data_shipped"
DATA_UPLOAD = "data_upload"
DATA_FEATURES = "data_features"
DATA_LABEL_COLUMN = "data_label_column"
DATA_LABEL_NAME = "data_label_name"  # names a text ground-truth column the loader did not detect
DATA_ANOMALY_VALUE = "data_anomaly_value"  # the value of that column that marks an anomaly
DATA_N_ESTIMATORS = "data_n_estimators"
DATA_MAX_SAMPLES = "data_max_samples"
DATA_ETA = "data_eta"
DATA_SEED = "data_seed"
DATA_STRATEGY = "data_strategy"
DATA_BATCH_SIZE = "data_batch_size"
DATA_START = "data_start"
DATA_COLUMNS_OF = "data_columns_of"  # fingerprint the column choices belong to
DATA_SOURCE_OF = "data_source_of"  # the file the typed ground-truth name and value belong to
DATA_TRUTH_TAKEN = "data_truth_taken"  # the feature the ground-truth choice took out of the features
DATA_WS_SAMPLE = "data_ws_sample"  # a table too big to hold: rows of the working set's uniform sample
DATA_WS_TOP = "data_ws_top"  # ... and of its top rows
DATA_WS_SEED = "data_ws_seed"  # ... and the seed of the sample and the forest
DATA_WS_BUILD = "data_ws_build"
DATA_WS_BUILT = "data_ws_built"  # (table, settings) -> the working set's file, once built

# Sessions page
SESSIONS_TABLE = "sessions_table"
SESSIONS_PICK = "sessions_pick"
SESSIONS_RESUME = "sessions_resume"
#: Set by the Resume callback: the Sessions page then switches to the Label page.
SESSIONS_RESUMED = "sessions_resumed"


def card(row: int) -> str:
    """Key of the container of the card of ``row`` (other than the current one)."""
    return f"card_{row}"


def card_button(action: str, row: int) -> str:
    """Key of a per-card button (``action`` is anomaly, nominal or skip)."""
    return f"card_{action}_{row}"


def explore_chart(version: int) -> str:
    """Key of the Explore scatter at model version ``version`` (a new key clears the selection)."""
    return f"explore_chart_v{version}"


def rules_download(fmt: str) -> str:
    """Key of the download button of the rules in format ``fmt``."""
    return f"rules_download_{fmt}"
