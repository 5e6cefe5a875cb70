import ControlProtocol
import Dispatch
import Logging

/// Who is behind each pool address: sluiced's `metadata.clients` map, cached. The map is fetched again when a
/// request comes from an address it does not know (a port added since) or when it is older than `maximumAge`
/// (an instance id changed), but at most once per `minimumRefreshInterval`, so a flood of requests from
/// unknown addresses cannot flood the control socket. While sluiced cannot be asked, the last map answers.
public actor CallerDirectory {
    public typealias Fetch = @Sendable () async throws -> [MetadataClient]

    /// What a caller's address resolved to.
    public enum Resolution: Equatable, Sendable {
        case client(MetadataClient)
        /// Sluiced answered and no enabled port has this pool address.
        case unknown
        /// Sluiced could not be asked and no earlier map has this address.
        case unavailable(String)
    }

    private let fetch: Fetch
    private let clock: MetadataClock
    private let minimumRefreshInterval: Duration
    private let maximumAge: Duration
    private let logger: Logger
    private var clients: [String: MetadataClient] = [:]
    /// When the map was last fetched successfully, and when a fetch was last tried.
    private var fetchedAt: Duration?
    private var triedAt: Duration?
    private var lastError: String?
    private var inFlight: Task<Void, Never>?
    /// How many fetches were started (for tests and the log).
    public private(set) var fetchCount = 0

    public init(
        clock: MetadataClock, minimumRefreshInterval: Duration = .seconds(1), maximumAge: Duration = .seconds(30),
        logger: Logger = Logger(label: "sluice-metadata"), fetch: @escaping Fetch
    ) {
        self.fetch = fetch
        self.clock = clock
        self.minimumRefreshInterval = minimumRefreshInterval
        self.maximumAge = maximumAge
        self.logger = logger
    }

    public func resolve(_ address: String) async -> Resolution {
        let now = clock.now()
        let fresh = fetchedAt.map { now - $0 < maximumAge } ?? false
        if fresh, let client = clients[address] { return .client(client) }
        let mayRefresh = triedAt.map { now - $0 >= minimumRefreshInterval } ?? true
        if mayRefresh || inFlight != nil { await refresh() }
        if let client = clients[address] { return .client(client) }
        if fetchedAt == nil || lastError != nil {
            return .unavailable(lastError ?? "the client map was never fetched")
        }
        return .unknown
    }

    /// Fetches the map once, however many requests wait for it.
    private func refresh() async {
        if let inFlight {
            await inFlight.value
            return
        }
        triedAt = clock.now()
        fetchCount += 1
        let task = Task { await self.load() }
        inFlight = task
        await task.value
        inFlight = nil
    }

    private func load() async {
        do {
            let list = try await fetch()
            clients = Self.map(list, logger: logger)
            fetchedAt = clock.now()
            lastError = nil
        } catch {
            lastError = "\(error)"
            logger.warning("cannot fetch metadata.clients: \(error)")
        }
    }

    /// The list as a map by normalised address. An address listed twice names no one (the service refuses
    /// rather than guess between two instances).
    static func map(_ list: [MetadataClient], logger: Logger) -> [String: MetadataClient] {
        var result: [String: MetadataClient] = [:]
        var duplicates: Set<String> = []
        for client in list {
            let address = normalizedAddress(client.address)
            if result.updateValue(client, forKey: address) != nil { duplicates.insert(address) }
        }
        for address in duplicates {
            logger.error("metadata.clients lists \(address) more than once: its requests are refused")
            result[address] = nil
        }
        return result
    }

    /// An IPv4 address as a dotted quad, also when a dual-stack socket reports it IPv4-mapped.
    public static func normalizedAddress(_ address: String) -> String {
        let lower = address.lowercased()
        return lower.hasPrefix("::ffff:") && lower.contains(".") ? String(lower.dropFirst(7)) : lower
    }
}

extension CallerDirectory {
    /// The production source of the map: `metadata.clients` on sluiced's control socket, called on a thread
    /// of its own (the control client blocks; the service's event loops never wait on it).
    public static func controlSocket(path: String, timeout: Duration = .seconds(2)) -> Fetch {
        {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    do {
                        let client = try ControlClient(socketPath: path, timeout: timeout)
                        continuation.resume(returning: try client.call(MetadataMethods.clients))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        }
    }
}
