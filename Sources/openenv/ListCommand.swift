import ArgumentParser
import OpenEnvCore
import OpenEnvEnvironments

/// `openenv list`: the built-in environments, one per line as `name<TAB>kind<TAB>description`.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the built-in environments.")

    @Flag(help: "Print a JSON array of {\"name\", \"kind\", \"description\"} objects instead of tab-separated lines.")
    var json = false

    func run() throws {
        if json {
            let entries = BuiltinEnvironments.all.map { entry -> JSONValue in
                ["name": .string(entry.name), "kind": .string(entry.kind), "description": .string(entry.description)]
            }
            print(JSONWriter().string(.array(entries)))
        } else {
            for entry in BuiltinEnvironments.all { print("\(entry.name)\t\(entry.kind)\t\(entry.description)") }
        }
    }
}
