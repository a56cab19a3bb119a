"""swift-openenv: the `openenv` command of swift-openenv (OpenEnv's wire protocol served from
Swift), shipped as a binary with its resource bundles next to it. The console command is
`swift-openenv`, so this package installs beside the official `openenv` package, whose
command is `openenv`."""

from pathlib import Path

BINARY = Path(__file__).resolve().parent / "bin" / "openenv"
