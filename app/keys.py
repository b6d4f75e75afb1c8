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
LAST_PRESS = "aad_last_press"  # the Label page press applied last (app.state.Press)
UNDO_CONFIRMED = "aad_undo_confirmed"  # (session id, action number): another analyst's action the page named
ANALYST = "aad_analyst"  # the name given in this tab ("" when none: the server's user)
ANALYST_INPUT = "analyst_name"  # the sidebar's name field
ANALYST_COOKIE = "aad_analyst_cookie"  # a name just given, to write into the browser's cookie
LAUNCH_ASKED = "aad_launch_asked"  # this tab has had its launch session (or chosen one)
LAUNCH_CHOICES = "aad_launch_choices"  # ids of the sessions on the launched data to choose from
TABLE_GENERATION = "aad_table_generation"  # counts table edits: a new editor after each
UPLOAD_GENERATION = "aad_upload_generation"  # counts labels uploads: a new, empty uploader after each
LEFT_SESSION = "aad_left_session"  # this tab let a session go: give its memory back next run

# URL query parameter carrying the session id
URL_SESSION = "session"
URL_VIEW = "view"  # the Label page's view, "table" when not the cards: a reload keeps it

# empty state: resume the latest stored session
RESUME_LATEST = "resume_latest"

# Label page
LABEL_ANOMALY = "label_anomaly"
LABEL_NOMINAL = "label_nominal"
LABEL_SKIP = "label_skip"
LABEL_UNDO = "label_undo"
LABEL_REDO = "label_redo"  # gives back what Undo took back
LABEL_UNSKIP = "label_unskip"
LABEL_DIFFERENT = "label_different"  # "something different": the top of another ranking
LABEL_NOTHING_DIFFERENT = "aad_nothing_different"  # the card Different found nothing other than
RETURN_FOCUS = "return_focus"  # a setting was chosen: give the keyboard back to the page
RETURN_FOCUS_COUNT = "return_focus_count"  # how many times, so that each script is new to the browser
LABEL_STRATEGY = "label_strategy"
LABEL_BATCH_SIZE = "label_batch_size"
CARD_CURRENT = "card_current"  # the container of the card the shortcuts act on
LABEL_COUNTS = "label_counts"
LABEL_KIND = "label_kind"  # the first card's kind of anomaly
LABEL_NOTE = "label_note"  # the first card's note
LABEL_ANNOTATED_ROW = "aad_annotated_row"  # the card the kind and note fields are for
LABEL_KEEP_KIND = "label_keep_kind"  # the checkbox: keep the kind for the next cards
LABEL_KEEP_KIND_ON = "aad_keep_kind_on"  # its value, kept while other pages are shown
LABEL_KEPT_KIND = "aad_kept_kind"  # (session id, kind): the kind box's value, kept across pages
LABEL_VIEW = "label_view"  # cards or table
#: The Label page's two views (the values of LABEL_VIEW): the keys act in the cards only.
CARDS, TABLE = "Cards", "Table"
LABEL_TABLE_ROWS = "label_table_rows"  # how many top rows the table view lists
LABEL_TABLE = "label_table"  # the container of the table view
LABEL_ACTIONS = "label_actions"  # the container of the Anomaly/Nominal/Skip/Undo/Redo bar


def for_card(name: str, row: int | None) -> str:
    """The key of a Label page button acting on ``row`` (``label_anomaly-286``).

    A press sent by a page still showing an earlier card names that card's button, which
    no longer exists, and Streamlit drops it: a key pressed twice quickly cannot label the
    next card before it is drawn. (With one key for every card, the press would run the
    newest button's callback, whose row is the next card.)
    """
    return f"{name}-{'none' if row is None else row}"


# keyboard shortcuts of the Label page buttons (Streamlit reserves R, and a shortcut fires only with
# exactly its modifiers: U undoes, Shift+U redoes)
SHORTCUTS = {
    LABEL_ANOMALY: "A",
    LABEL_NOMINAL: "N",
    LABEL_SKIP: "S",
    LABEL_UNDO: "U",
    LABEL_REDO: "Shift+U",
    LABEL_DIFFERENT: "D",
}

# Explore page
EXPLORE_BULK_ANOMALY = "explore_bulk_anomaly"
EXPLORE_BULK_NOMINAL = "explore_bulk_nominal"
EXPLORE_HISTOGRAM = "explore_histogram"
EXPLORE_KIND = "explore_kind"  # the kind given to a bulk anomaly label

# Rows page (find and fix)
ROWS_SEARCH = "rows_search"
ROWS_LABELS = "rows_labels"
ROWS_KINDS = "rows_kinds"
ROWS_TOP = "rows_top"
ROWS_RANGE_COLUMNS = "rows_range_columns"
ROWS_GOTO = "rows_goto"
ROWS_PICKED = "aad_rows_picked"  # the row whose card the Rows page shows
ROWS_KIND = "rows_kind"  # a row's kind field (per row: for_card)
ROWS_NOTE = "rows_note"  # a row's note field (per row: for_card)
ROWS_BULK_ANOMALY = "rows_bulk_anomaly"
ROWS_BULK_NOMINAL = "rows_bulk_nominal"
ROWS_BULK_KIND = "rows_bulk_kind"
ROWS_RESULTS = "rows_results"  # the container of the results table
ROWS_CARD = "rows_card"  # the container of the row's card
ROWS_UPLOAD = "rows_upload"  # the labels file uploader
ROWS_IMPORT = "rows_import"  # the expander holding it
IMPORT_MESSAGE = "aad_import_message"  # (level, text): what the last labels upload did

# Rules page
RULES_TABLE = "rules_table"
RULES_DOWNLOAD_LABELS = "rules_download_labels"
RULES_DOWNLOAD_SCORES = "rules_download_scores"
RULES_CACHE = "aad_rules"  # (session id, model version, description)

# Progress page
PROGRESS_CHART = "progress_chart"
PROGRESS_WEIGHTS = "progress_weights"  # an ensemble's member weights over labels
GROW_UPLOAD = "grow_upload"  # the uploader of rows to add to the session
GROW_EXPANDER = "grow_expander"  # the expander holding it
GROW_CHART = "grow_chart"  # the scores before and after the latest addition
GROW_MESSAGE = "aad_grow_message"  # (level, text): what the last rows upload did
PROGRESS_HISTORY = "progress_history"
PROGRESS_KINDS = "progress_kinds"
KIND_RENAME_EXPANDER = "kind_rename_expander"  # the expander holding the rename form
KIND_RENAME_OLD = "kind_rename_old"  # the kind to rename
KIND_RENAME_NEW = "kind_rename_new"  # its new name
KIND_RENAME = "kind_rename"  # the Rename / Merge button
KIND_RENAME_MESSAGE = "aad_kind_rename_message"  # (level, text): what the last rename did

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
DATA_DETECTOR = "data_detector"  # which detector learns from the labels (aad.DETECTORS)
DATA_NDIM = "data_ndim"  # the extended forest's features per split
DATA_MEMBERS = "data_members"  # an ensemble's built-in members
DATA_SCORES = "data_scores"  # an uploaded scores file beside the data: more ensemble members
DATA_COLUMNS_OF = "data_columns_of"  # fingerprint the column choices belong to
DATA_SOURCE_OF = "data_source_of"  # the file the typed ground-truth name and value belong to
DATA_FEATURES_KEPT = "data_features_kept"  # the features chosen, kept apart from their widget
DATA_TRUTH_KEPT = "data_truth_kept"  # the ground-truth column chosen, kept apart from its widget
DATA_TRUTH_TAKEN = "data_truth_taken"  # the feature the ground-truth choice took out of the features
DATA_CATEGORIES = "data_categories"  # the numeric columns read as categories (codes: an HTTP status)
DATA_CATEGORIES_KEPT = "data_categories_kept"  # ... kept apart from their widget
DATA_WS_SAMPLE = "data_ws_sample"  # a table too big to hold: rows of the working set's uniform sample
DATA_WS_TOP = "data_ws_top"  # ... and of its top rows
DATA_WS_SEED = "data_ws_seed"  # ... and the seed of the sample and the forest
DATA_WS_BUILD = "data_ws_build"
DATA_WS_BUILT = "data_ws_built"  # (table, settings) -> the working set's file, once built

# Sessions page
SESSIONS_TABLE = "sessions_table"
SESSIONS_PICK = "sessions_pick"
SESSIONS_RESUME = "sessions_resume"
SESSIONS_TITLE = "sessions_title"
SESSIONS_DESCRIPTION = "sessions_description"
SESSIONS_SHOWN = "aad_sessions_shown"  # the title and description the form showed, as stored then
SESSIONS_SAVE = "sessions_save"
SESSIONS_EDIT = "sessions_edit"  # the expander holding the title, description and Delete
SESSIONS_DELETE = "sessions_delete"
SESSIONS_CONFIRM = "sessions_confirm"  # the typed id that confirms a deletion
SESSIONS_DELETE_CONFIRMED = "sessions_delete_confirmed"
SESSIONS_ARCHIVE = "sessions_archive"
SESSIONS_DOWNLOAD = "sessions_download"  # the session file of the session picked
SESSIONS_LOAD = "sessions_load"  # the expander holding the session file upload
SESSIONS_UPLOAD = "sessions_upload"  # + the upload generation: a session file to load
SESSIONS_NEW_ID = "sessions_new_id"  # load the session file as a new session (a new id)
SESSIONS_LOAD_MESSAGE = "aad_sessions_load_message"  # the outcome of the last session file loaded
#: The file id of the last session file the Sessions page loaded (one upload loads once).
SESSIONS_LOADED_UPLOAD = "sessions_loaded_upload"
#: Set by the Resume callback: the Sessions page then switches to the Label page.
SESSIONS_RESUMED = "sessions_resumed"


def card(row: int) -> str:
    """Key of the container of the card of ``row`` (other than the current one)."""
    return f"card_{row}"


def card_button(action: str, row: int) -> str:
    """Key of a per-card button (``action`` is anomaly, nominal or skip)."""
    return f"card_{action}_{row}"


def resume_launch(session_id: str) -> str:
    """Key of the Resume button of one of the sessions offered when ``aad app DATA`` asks."""
    return f"resume_launch_{session_id}"


def restore_button(session_id: str) -> str:
    """Key of the Restore button of a deleted session."""
    return f"sessions_restore_{session_id}"


def table_editor(name: str, session_id: str, version: int, generation: int) -> str:
    """Key of an editable table of rows: new with every model version and every edit, so that
    the editor starts from the stored labels again."""
    return f"{name}_{session_id}_v{version}_{generation}"


def drawn_table(name: str) -> str:
    """Session-state key of what the editable table ``name`` showed when last drawn."""
    return f"aad_drawn_{name}"


def explore_chart(version: int) -> str:
    """Key of the Explore scatter at model version ``version`` (a new key clears the selection)."""
    return f"explore_chart_v{version}"


def rules_download(fmt: str) -> str:
    """Key of the download button of the rules in format ``fmt``."""
    return f"rules_download_{fmt}"
