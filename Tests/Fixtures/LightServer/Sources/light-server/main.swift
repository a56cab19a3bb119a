#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer

// light-server <echo|grid> <port>: serves one light environment on 127.0.0.1 and prints
// "listening <port>" once bound (port 0 picks a free one).
let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[2]),
      let entry = [EchoEnvironment.entry, GridEnvironment.entry].first(where: { $0.name == arguments[1] }) else {
    print("usage: light-server <echo|grid> <port>")
    exit(2)
}
let server = OpenEnvServer(factory: entry.factory, configuration: ServerConfiguration(host: "127.0.0.1", port: port))
try await server.run { port in
    let line = Array("listening \(port)\n".utf8)
    _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }  // unbuffered: the test reads it at once
}
