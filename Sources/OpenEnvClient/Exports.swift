// The client's API speaks OpenEnvCore's types (JSONValue, StepResult, Reward, MCPAction…):
// `import OpenEnvClient` is enough to use it.
@_exported import OpenEnvCore
