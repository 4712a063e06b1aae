"""A visitor that speaks Streamlit's own websocket protocol, for load benchmarks.

Twenty browsers on a 2-core machine measure the browsers, not the server: Chromium renderers
took 60 % of the CPU in ``bench_load.py``'s first runs. This client does what the page's
JavaScript does on the wire and nothing else: it opens ``/_stcore/stream``, asks for a page,
sends widget changes as ``rerun_script`` back-messages (with the widget's fragment, as the
browser does), uploads files through ``/_stcore/upload_file`` with the XSRF cookie, fetches the
media the run produced, and waits for ``script_finished``. The server does all its real work:
every script run, every picture encoded and served.

Only what the benchmark needs is covered: selectbox, slider, button and file uploader values,
Markdown, captions, alerts and exceptions.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
import websockets
from requests.adapters import HTTPAdapter
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileUploaderState, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from urllib3.util.retry import Retry


def _http_session() -> requests.Session:
    """HTTP for uploads and pictures. The server closes idle keep-alive connections after a
    few seconds; a browser then simply retries on a new one, and so does this session."""
    session = requests.Session()
    retry = Retry(total=3, connect=3, read=3, allowed_methods=None, backoff_factor=0.05)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


@dataclass
class Element:
    """The latest element at one place of the page, and the fragment that drew it."""

    proto: object  # streamlit.proto.Element_pb2.Element
    fragment_id: str


@dataclass
class Session:
    """One visitor's Streamlit session over a websocket (use ``async with Session(...)``)."""

    url: str  # http://127.0.0.1:PORT
    page: str = ""  # the page's URL path, "" for the home page
    timeout: float = 120.0
    session_id: str = ""
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _ws: object = None
    _http: requests.Session = field(default_factory=lambda: _http_session())
    _xsrf: str = ""
    _page_hash: str = ""
    _finished: asyncio.Event = field(default_factory=asyncio.Event)
    _media: set[str] = field(default_factory=set)  # pictures of the current run
    _fetched: set[str] = field(default_factory=set)  # pictures downloaded so far
    _responses: dict[str, object] = field(default_factory=dict)
    _reader: asyncio.Task | None = None

    async def __aenter__(self) -> Session:
        # The health check sets the XSRF cookie that uploads must echo, as in a browser.
        health = self.url + "/_stcore/health"
        response = await asyncio.to_thread(self._http.get, health, timeout=30)
        response.raise_for_status()
        self._xsrf = self._http.cookies.get("_streamlit_xsrf", "")
        host = urlsplit(self.url).netloc
        # Every cookie the server set, as a browser sends them: the XSRF one and a load
        # balancer's naming the replica that holds this session (deploy/haproxy.cfg).
        cookie = "; ".join(f"{c.name}={c.value}" for c in self._http.cookies)
        self._ws = await websockets.connect(
            f"ws://{host}/_stcore/stream",
            subprotocols=["streamlit", self._xsrf or "x"],
            additional_headers={"Origin": self.url, "Cookie": cookie},
            max_size=None,
        )
        self._reader = asyncio.create_task(self._read())
        await self.rerun([])
        return self

    async def __aexit__(self, *exc) -> None:
        await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self._http.close()

    # --- reading ---------------------------------------------------------------------------

    async def _read(self) -> None:
        async for data in self._ws:
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id
                self._page_hash = message.new_session.page_script_hash
            elif kind == "delta" and message.metadata.active_script_hash:
                self._page_hash = message.metadata.active_script_hash
                self._delta(message)
            elif kind == "delta":
                self._delta(message)
            elif kind == "file_urls_response":
                self._responses[message.file_urls_response.response_id] = message.file_urls_response
            elif kind == "script_finished":
                if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    self._finished.set()  # a run that ended early is followed by another

    def _delta(self, message: ForwardMsg) -> None:
        if message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            path = tuple(message.metadata.delta_path)
            self.elements[path] = Element(element, message.delta.fragment_id)
            self._note(element)

    def _note(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {element.exception.message}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self.errors.append(f"error box: {element.alert.body}")
        elif kind == "imgs":
            self._media.update(img.url for img in element.imgs.imgs)

    def texts(self) -> list[str]:
        """Every Markdown body, caption, alert and picture caption on the page now."""
        found = []
        for item in self.elements.values():
            element = item.proto
            kind = element.WhichOneof("type")
            if kind == "markdown":
                found.append(element.markdown.body)
            elif kind == "alert":
                found.append(element.alert.body)
            elif kind == "heading":
                found.append(element.heading.body)
            elif kind == "imgs":
                found.extend(img.caption for img in element.imgs.imgs if img.caption)
        return found

    def widget(self, key: str) -> tuple[str, str]:
        """The id and fragment of the widget made with ``key=key``."""
        for item in self.elements.values():
            kind = item.proto.WhichOneof("type")
            widget_id = getattr(getattr(item.proto, kind), "id", "") if kind else ""
            if isinstance(widget_id, str) and widget_id.endswith(f"-{key}"):
                return widget_id, item.fragment_id
        raise KeyError(f"no widget with key {key!r} on the page")

    # --- acting ----------------------------------------------------------------------------

    async def rerun(
        self, states: list[WidgetState], fragment_id: str = "", *, wait: bool = True
    ) -> None:
        """Send widget values, as a browser does on a change, and wait for the run to end.

        Then fetch the pictures the run made (as a browser would), so that serving them is
        part of the measured work. ``wait=False`` only sends (a training runs for long).
        """
        message = BackMsg()
        client = message.rerun_script
        client.page_name = self.page
        client.page_script_hash = self._page_hash
        client.fragment_id = fragment_id
        client.widget_states.widgets.extend(states)
        # What the run redraws replaces what was there: one fragment, or the whole page.
        for path in [p for p, e in self.elements.items() if e.fragment_id == fragment_id]:
            del self.elements[path]
        if not fragment_id:
            self.elements.clear()
        self._finished.clear()
        self._media.clear()
        await self._ws.send(message.SerializeToString())
        if not wait:
            return
        await asyncio.wait_for(self._finished.wait(), self.timeout)
        for path in sorted(self._media - self._fetched):  # a browser caches what it has
            response = await asyncio.to_thread(self._http.get, self.url + path, timeout=30)
            if response.status_code != 200:
                self.errors.append(f"media {path}: HTTP {response.status_code}")
            self._fetched.add(path)

    async def goto(self, page: str) -> None:
        """Open another page in the same session, as a click in the menu does."""
        self.page, self._page_hash = page, ""
        self.elements.clear()
        await self.rerun([])

    async def set_value(self, key: str, *, wait: bool = True, **value) -> None:
        """Set a widget's value, e.g. ``string_value="Sharpen"`` or ``trigger_value=True`` for
        a button click, and rerun its fragment (or the page)."""
        widget_id, fragment_id = self.widget(key)
        await self.rerun([WidgetState(id=widget_id, **value)], fragment_id, wait=wait)

    async def upload(self, key: str, name: str, data: bytes, mime: str) -> None:
        """Upload a file into the uploader made with ``key=key``, as the browser does."""
        widget_id, fragment_id = self.widget(key)
        request_id = uuid.uuid4().hex
        message = BackMsg()
        message.file_urls_request.request_id = request_id
        message.file_urls_request.session_id = self.session_id
        message.file_urls_request.file_names.append(name)
        await self._ws.send(message.SerializeToString())
        deadline = time.monotonic() + self.timeout
        while request_id not in self._responses:
            if time.monotonic() > deadline:
                raise TimeoutError("no upload address from the server")
            await asyncio.sleep(0.01)
        urls = self._responses.pop(request_id).file_urls[0]
        response = await asyncio.to_thread(
            self._http.put,
            self.url + urls.upload_url,
            files={"file": (name, data, mime)},
            headers={"X-Xsrftoken": self._xsrf},
            timeout=60,
        )
        response.raise_for_status()
        info = UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id, file_urls=urls)
        state = WidgetState(
            id=widget_id, file_uploader_state_value=FileUploaderState(uploaded_file_info=[info])
        )
        await self.rerun([state], fragment_id)
