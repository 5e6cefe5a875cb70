import Foundation

/// A network namespace this test created, removed again on `delete()`. Test traffic only ever flows
/// between namespaces made here.
struct Namespace {
    let name: String

    static func create(_ name: String) throws -> Namespace {
        _ = try? System.run(["ip", "netns", "delete", name])
        try System.must(["ip", "netns", "add", name])
        try System.must(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])
        return Namespace(name: name)
    }

    /// Moves an interface of the root namespace in here, addresses it and brings it up.
    func adopt(interface: String, address: String) throws {
        try System.must(["ip", "link", "set", interface, "netns", name])
        try exec(["ip", "addr", "add", address, "dev", interface])
        try exec(["ip", "link", "set", interface, "up"])
    }

    @discardableResult
    func exec(_ command: [String], timeout: Duration = .seconds(60)) throws -> String {
        try System.must(["ip", "netns", "exec", name] + command, timeout: timeout)
    }

    func run(_ command: [String], timeout: Duration = .seconds(60)) throws -> System.CommandResult {
        try System.run(["ip", "netns", "exec", name] + command, timeout: timeout)
    }

    /// Moves an interface in with a fixed MAC and neither IPv6 nor addresses, and brings it up: the kernel
    /// sends nothing on it by itself, so every frame on it is one the test sent.
    func adoptSilent(interface: String, mac: String) throws {
        try System.must(["ip", "link", "set", interface, "netns", name])
        try exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        try exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
        try exec(["ip", "link", "set", interface, "address", mac])
        try exec(["ip", "link", "set", interface, "up"])
    }

    func delete() { _ = try? System.run(["ip", "netns", "delete", name]) }
}

/// Short unique names: Linux interface names have at most 15 characters.
func uniqueName(_ tag: String) -> String { "sl\(getpid() % 100_000)\(tag)" }
