"""swift-openenv environment servers as a fleet on a Ray cluster (docs/scale-out.md)."""

from .fleet import EnvFleet
from .server_actor import ServerProcess, ServerSpec
from .session import FleetFull, FleetSession, SessionLost

__all__ = ["EnvFleet", "FleetFull", "FleetSession", "ServerProcess", "ServerSpec", "SessionLost"]
__version__ = "0.1.0"
