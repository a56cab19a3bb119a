"""The client that ``EnvFleet.session()`` returns: the official ``GenericEnvClient``, bound
to one server, that never reconnects behind its user's back.

The official client reconnects silently: when the far end closed its WebSocket, the next call
opens a new one to the same URL, which is a new, empty session on the server. For a fleet that
is wrong twice over: the episode is gone, and the URL may by then belong to another process.
``FleetSession`` is a ``GenericEnvClient`` (same calls, same results, ``.sync()`` works) with
one difference: once its connection is lost, every later call raises ``SessionLost`` (a
``ConnectionError``) naming the server, its node and the cause, and nothing is retried. A lost
session is never repaired; open a new one with ``fleet.session()``.

``close()`` ends the session and returns its slot to the fleet; a closed ``FleetSession``
refuses further calls (``SessionLost`` too, with the reason "closed").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from openenv import GenericEnvClient
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

if TYPE_CHECKING:  # pragma: no cover
    from .fleet import EnvFleet


class SessionLost(ConnectionError):
    """A fleet session's server connection is gone; the episode cannot be continued.

    Attributes: ``server_url``, ``node_id``, ``server_id`` and ``reason``.
    """

    def __init__(self, message: str, *, server_url: str, server_id: str, node_id: str, reason: str):
        super().__init__(message)
        self.server_url = server_url
        self.server_id = server_id
        self.node_id = node_id
        self.reason = reason


class FleetFull(RuntimeError):
    """Every routable server of the fleet is at its session limit (and the fleet is at
    ``max_servers``, or its new servers are not up yet)."""


class FleetSession(GenericEnvClient):
    """A ``GenericEnvClient`` for one fleet session (see the module docstring)."""

    def __init__(self, base_url: Optional[str] = None, *, fleet: "Optional[EnvFleet]" = None,
                 server_id: str = "", node_id: str = "", generation: int = 0, **kwargs: Any):
        super().__init__(base_url=base_url, **kwargs)
        self._fleet = fleet
        self._server_id = server_id
        self._node_id = node_id
        self._generation = generation
        self._was_connected = False
        self._lost: Optional[SessionLost] = None
        self._released = False
        self._connecting = False

    # ---- what the user may read --------------------------------------------------------

    @property
    def server_id(self) -> str:
        return self._server_id

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def lost(self) -> Optional[SessionLost]:
        return self._lost

    # ---- called by the fleet -----------------------------------------------------------

    def _mark_lost(self, reason: str) -> SessionLost:
        """Records why the session is gone (first reason wins); later calls raise it."""
        if self._lost is None:
            self._lost = SessionLost(
                f"openenv fleet session lost: server {self._server_id} at {self._base_url} "
                f"(node {self._node_id[:12]}) {reason}; the episode's state is gone and nothing "
                f"was retried; open a new session with fleet.session()",
                server_url=self._base_url or "", server_id=self._server_id,
                node_id=self._node_id, reason=reason)
        return self._lost

    def _fail(self, reason: str) -> SessionLost:
        fleet_reason = self._fleet._loss_reason(self._server_id, self._generation) if self._fleet else None
        err = self._mark_lost(fleet_reason or reason)
        self._release()
        return err

    def _release(self) -> None:
        if not self._released:
            self._released = True
            if self._fleet is not None:
                self._fleet._release(self)

    def _rebind(self, url: str, server_id: str, node_id: str, generation: int) -> None:
        """Before the first connection only: another server (the fleet's ``_reassign``)."""
        self._set_base_url(url)
        self._server_id, self._node_id, self._generation = server_id, node_id, generation

    # ---- the official client's internals, made explicit ---------------------------------

    async def _connect_async(self) -> "FleetSession":
        if self._lost is not None:
            raise self._lost
        if self._was_connected:
            ws = self._ws
            if ws is None:
                # Dropped by the client itself after a timeout: a new socket is a new session.
                raise self._fail("dropped its connection after a message timeout")
            if ws.state in (State.CLOSING, State.CLOSED):
                code = getattr(ws, "close_code", None)
                raise self._fail(_describe_close(code, getattr(ws, "close_reason", None)))
        tries = 0
        while True:
            try:
                self._connecting = True
                try:
                    await super()._connect_async()
                finally:
                    self._connecting = False
                break
            except ConnectionError as e:
                # No session existed yet, so another server is no silent reconnect: the fleet
                # checks this one (and retires it if it is gone) and offers the next best.
                tries += 1
                if self._fleet is None or tries > 3 or not self._fleet._reassign(self):
                    raise self._fail(f"refused the connection ({e})") from e
        self._was_connected = True
        return self

    async def _send_and_receive(self, message: Dict[str, Any]) -> Dict[str, Any]:
        if self._lost is not None:
            raise self._lost
        try:
            return await super()._send_and_receive(message)
        except ConnectionClosed as e:
            rcvd = e.rcvd
            raise self._fail(_describe_close(rcvd.code if rcvd else None, rcvd.reason if rcvd else None)) from e
        except OSError as e:
            raise self._fail(f"connection failed ({e!r})") from e

    async def _close_async(self) -> None:
        if self._connecting:  # the official client closes itself when a connect fails
            await super()._close_async()
            return
        try:
            await super()._close_async()
        finally:
            if self._lost is None:
                self._mark_lost("closed by its user")
            self._release()

    async def new_session(self) -> "FleetSession":
        """A new fleet session (on the least-loaded server, not necessarily this one)."""
        if self._fleet is None:
            raise RuntimeError("this FleetSession has no fleet")
        client = self._fleet.session()
        await client.connect()
        return client


def _describe_close(code: Optional[int], reason: Optional[str]) -> str:
    if code == 1001:
        return f"closed the session while shutting down (close 1001{': ' + reason if reason else ''})"
    if code is None or code == 1006:
        return "dropped the connection without a close frame (the server process or its node died)"
    return f"closed the connection (close {code} {reason or ''})".rstrip()
