import ArgumentParser
import OpenEnvCore

/// `list`: the program's environments, one per line as `name<TAB>kind<TAB>description`.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the environments this program serves.")

    @Flag(help: "Print a JSON array of {\"name\", \"kind\", \"description\"} objects instead of tab-separated lines.")
    var json = false

    func run() throws {
        if json {
            let entries = OpenEnvCommandLine.context.environments.map { entry -> JSONValue in
                ["name": .string(entry.name), "kind": .string(entry.kind.rawValue), "description": .string(entry.description)]
            }
            print(JSONWriter().string(.array(entries)))
        } else {
            for entry in OpenEnvCommandLine.context.environments { print("\(entry.name)\t\(entry.kind.rawValue)\t\(entry.description)") }
        }
    }
}
