"""The engine stays free of user-interface libraries."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_engine_loads_no_ui_library():
    code = "import sys, aad; print(sorted(m for m in ('streamlit', 'plotly', 'typer') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
