import ArgumentParser
import OpenEnvValidation

/// `--level` of `validate`: `static`, `runtime`, `protocol` or `semantic` (the raw values).
extension ValidationLevel: ExpressibleByArgument {}
