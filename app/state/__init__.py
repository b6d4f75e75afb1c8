"""The workbench's state, by concern (one import for the pages: ``from app import state``).

* :mod:`app.state.session`: this tab's one :class:`aad.Session` (from the URL, held, or the
  launch session) and switching between sessions.
* :mod:`app.state.actions`: the callbacks: button presses, table edits, bulk labels, labels
  uploads, session titles and deletions.
* :mod:`app.state.identity`: who is labelling.
* :mod:`app.state.kinds`: the Label page's kind box (kept for the next cards on request) and
  renaming or merging a kind.
* :mod:`app.state.caches`: the server-wide, bounded caches (store, tables, fitted models).
* :mod:`app.state.messages`: messages shown once, and the guard turning engine errors into one.
* :mod:`app.state.pages`: what every page shares (empty state, sidebar, rules, uploads).
* :mod:`app.state.transfer`: a session in one file: its download, and loading one uploaded.
"""

from __future__ import annotations

from aad.scale import working_set
from app.state.actions import (
    MAX_BULK,
    Press,
    add_rows,
    apply_presses,
    apply_table_edits,
    change_view,
    configure,
    delete,
    different,
    import_labels,
    label,
    label_many,
    label_row,
    redo,
    remember_table,
    rename,
    restore,
    return_focus,
    skip,
    undo,
    unskip,
)
from app.state.caches import (
    MAX_UPLOAD_MB,
    found_label_column,
    label_values,
    load,
    max_upload_mb,
    model_factory,
    plane_features,
    projection,
    store,
)
from app.state.identity import analyst
from app.state.kinds import keep_kind, keeps_kind, kept_kind, prepare_kind_box, rename_kind
from app.state.messages import guard, notify, show_message
from app.state.pages import (
    COMPACT_CSS,
    describe,
    error_text,
    keep_rows_filters,
    key_guard,
    label_view,
    require_session,
    save_upload,
    sidebar,
    try_load,
)
from app.state.session import (
    LAUNCHED,
    current,
    get_session,
    launch_categories,
    launch_file,
    resume,
    resume_here,
    sync,
    use,
)
from app.state.working_sets import (
    big_table,
    build_working_set,
    is_working_set,
    working_set_settings,
    working_set_spec,
)

__all__ = [
    "COMPACT_CSS",
    "LAUNCHED",
    "MAX_BULK",
    "MAX_UPLOAD_MB",
    "Press",
    "add_rows",
    "analyst",
    "apply_presses",
    "apply_table_edits",
    "big_table",
    "build_working_set",
    "change_view",
    "configure",
    "current",
    "delete",
    "describe",
    "different",
    "error_text",
    "found_label_column",
    "get_session",
    "guard",
    "import_labels",
    "is_working_set",
    "keep_kind",
    "keep_rows_filters",
    "keeps_kind",
    "kept_kind",
    "key_guard",
    "label",
    "label_many",
    "label_row",
    "label_values",
    "label_view",
    "launch_categories",
    "launch_file",
    "load",
    "max_upload_mb",
    "model_factory",
    "notify",
    "plane_features",
    "prepare_kind_box",
    "projection",
    "redo",
    "remember_table",
    "rename",
    "rename_kind",
    "require_session",
    "restore",
    "resume",
    "resume_here",
    "return_focus",
    "save_upload",
    "show_message",
    "sidebar",
    "skip",
    "store",
    "sync",
    "try_load",
    "undo",
    "unskip",
    "use",
    "working_set",
    "working_set_settings",
    "working_set_spec",
]
