import OpenEnvCore

/// A client for any server, with no Swift types for its environment: actions are sent as
/// the JSON given, observations and state come back as JSON objects (like the reference's
/// `GenericEnvClient`). Read `/schema` with ``EnvClient/schema()`` to learn their shape.
public typealias GenericEnvClient = EnvClient<JSONValue, JSONObject, JSONObject>
