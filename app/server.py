"""The workbench as an ASGI app: Streamlit's ``st.App`` with :class:`app.hosts.HostCheck` in front.

``aad app`` runs ``streamlit run`` on this file; Streamlit finds ``app`` below and serves it
with uvicorn, with the same settings (port, address, XSRF, upload limit) as a plain script.
The pages are ``streamlit_app.py`` beside it.
"""

import streamlit as st
from starlette.middleware import Middleware

from app.hosts import HostCheck

app = st.App("streamlit_app.py", middleware=[Middleware(HostCheck)])
