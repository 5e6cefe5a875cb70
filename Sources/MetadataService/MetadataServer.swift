import Hummingbird
import Logging

/// A request context that knows who is asking.
public protocol MetadataCallerContext: RequestContext {
    /// The address the request came from: the caller's identity. Never read from the request's headers in
    /// production (a guest could write anything there).
    func callerAddress(of request: Request) -> String?
}

/// The production context: the caller is the TCP peer's address.
public struct MetadataRequestContext: MetadataCallerContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    public func callerAddress(of request: Request) -> String? { remoteAddress }
}

/// Hummingbird's side: every request, whatever its method and path, goes to `MetadataService.respond`.
public struct MetadataResponder<Context: MetadataCallerContext>: HTTPResponder {
    public let service: MetadataService

    public init(service: MetadataService) {
        self.service = service
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let reply = await service.respond(
            method: request.method, path: request.uri.path, headers: request.headers,
            caller: context.callerAddress(of: request))
        return Response(
            status: reply.status, headers: reply.headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

extension MetadataService {
    /// The HTTP server of `sluice-metadata`, listening on `host`:`port`.
    public func application(
        host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
    ) -> Application<MetadataResponder<MetadataRequestContext>> {
        Application(
            responder: MetadataResponder<MetadataRequestContext>(service: self),
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "sluice-metadata"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
            logger: logger)
    }
}
