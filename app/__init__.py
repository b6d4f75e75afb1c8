"""User interfaces over the :mod:`aad` engine: the command line and the Streamlit workbench."""
