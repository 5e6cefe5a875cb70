import Yams

/// One port added to, changed in or removed from a validated configuration (`port.add`, `port.set`,
/// `port.del`) without reading the whole document again.
///
/// Only the changed port's entry is decoded, by the decoder `parse(yaml:)` runs on every element of the
/// ports list and under the key path it would have there (`ports[1000]`); the other ports are the typed
/// configuration `self`, already validated, which is what `parse(yaml:)` would decode from their rendering
/// (`renderYAML` reads back to an equal value). The result is then checked as a whole by the same
/// validation as a parsed document (`checked`), so a port given here meets exactly the rules of one written
/// in the config file, and its problems name the same key paths. On a host of 1000 ports this is what keeps
/// a change in milliseconds: decoding the whole document with Yams took about 90 % of it (docs/port-scale.md).
extension SluiceConfig {
    /// `self` with one more port at the end of the list. `entry` is one element of the config file's
    /// `ports` list as YAML or JSON text (JSON is YAML's flow notation).
    public func addingPort(_ entry: String, host: HostFacts = .unknown) throws(ConfigError) -> SluiceConfig {
        let log = ProblemLog()
        var config = self
        config.ports.append(try Self.decodePort(entry, at: ports.count, into: log))
        return try config.checked(log, host: host)
    }

    /// `self` with the port at `index` replaced by `entry` (as in `addingPort`), e.g. its rendering with some
    /// keys changed.
    public func replacingPort(
        at index: Int, with entry: String, host: HostFacts = .unknown
    ) throws(ConfigError) -> SluiceConfig {
        precondition(ports.indices.contains(index), "ports[\(index)] does not exist")
        let log = ProblemLog()
        var config = self
        config.ports[index] = try Self.decodePort(entry, at: index, into: log)
        return try config.checked(log, host: host)
    }

    /// `self` without the ports named `name`, and without the patches they were in: a patch cannot outlive
    /// one of its ports.
    public func removingPort(named name: String, host: HostFacts = .unknown) throws(ConfigError) -> SluiceConfig {
        var config = self
        config.ports.removeAll { $0.name == name }
        config.patches.removeAll { $0.a == name || $0.b == name }
        return try config.checked(ProblemLog(), host: host)
    }

    /// Decodes one element of the ports list as `parse(yaml:)` decodes `ports[index]`; its problems go to
    /// `log` (the result is then a placeholder), except text that is not YAML at all, which throws.
    private static func decodePort(_ entry: String, at index: Int, into log: ProblemLog) throws(ConfigError)
        -> PortConfig
    {
        let path = KeyPath.element("ports", index)
        let node: Node?
        do {
            node = try Yams.compose(yaml: entry)
        } catch let error as YamlError {
            throw ConfigError(path: path, message: describe(error))
        } catch {
            throw ConfigError(path: path, message: "cannot parse the port: \(error)")
        }
        guard let node else {
            throw ConfigError(path: path, message: "is empty; expected a port mapping with name and devargs")
        }
        return ConfigDecoder(log: log).decodePort(node, at: path)
    }
}

extension PortConfig {
    /// The port's entry of the config file's `ports` list as one line of JSON (the `renderJSON()` of the
    /// whole configuration holds the same object), which `SluiceConfig.replacingPort` reads back.
    public func renderJSON() -> String {
        document.json(pretty: false)
    }
}
