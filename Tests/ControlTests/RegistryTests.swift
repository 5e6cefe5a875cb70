import Control
import ControlProtocol
import Foundation
import Testing

/// The method registry: what a feature registers is what the server answers, with the same params rules, errors
/// and logging as every built-in method.
@Suite("Control method registry")
struct RegistryTests {
    struct EchoParams: Codable, Sendable, Equatable {
        var text: String
        var times: Int?
    }

    struct EchoResult: Codable, Sendable, Equatable {
        var echoed: String
    }

    /// Methods a test feature declares, one per params rule.
    enum EchoMethods {
        static let echo = RPCMethod<EchoParams, EchoResult>("test.echo", params: .required)
        static let greet = RPCMethod<EchoParams, EchoResult>(
            "test.greet", params: .optional(default: EchoParams(text: "hi")))
        static let ping = RPCMethod<NoParams, EchoResult>("test.ping")
    }

    static func registerEcho(into methods: inout ControlMethodRegistry) {
        methods.register(EchoMethods.echo) { (params: EchoParams) throws(RPCErrorObject) in
            guard params.text != "refuse" else {
                throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "params.text: 'refuse' is refused")
            }
            return EchoResult(echoed: String(repeating: params.text, count: params.times ?? 1))
        }
        methods.register(EchoMethods.greet) { params in EchoResult(echoed: params.text + "!") }
        methods.register(EchoMethods.ping) { EchoResult(echoed: "pong") }
    }

    @Test("names are listed in the order of registration")
    func order() {
        var methods = ControlMethodRegistry()
        #expect(methods.names.isEmpty)
        Self.registerEcho(into: &methods)
        methods.register(StatusMethods.version) { FakeHandler.versionInfo }
        #expect(methods.names == ["test.echo", "test.greet", "test.ping", "version"])
    }

    @Test("registering a name twice stops the process, naming the method")
    func duplicateRegistration() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var methods = ControlMethodRegistry()
            methods.register(StatusMethods.pmdList) { [] }
            methods.register(StatusMethods.pmdList) { [] }
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("control method 'pmd.list' is registered twice"), "\(stderr)")
    }

    @Test("a server answers only what was registered; method-not-found lists exactly that")
    func onlyRegisteredMethods() throws {
        let server = try TestServer(features: [.status])
        defer { server.stop() }
        let client = try server.raw()
        let version = try client.roundTrip(requestLine("version"))
        #expect(try decodeResult(version, as: VersionInfo.self) == FakeHandler.versionInfo)
        let response = try client.roundTrip(requestLine("port.list", id: 4))
        #expect(response.id == .number(4))
        #expect(
            response.error
                == RPCErrorObject(
                    code: RPCErrorObject.methodNotFound,
                    message: "unknown method 'port.list'; methods: version, health, pmd.list, stage.list"))
        #expect(server.handler.calls.map(\.method) == ["version"])
    }

    @Test("a feature's own method, end to end through the socket server: typed client, params rules, errors, log")
    func extraMethod() throws {
        let server = try TestServer(features: [], extra: Self.registerEcho)
        defer { server.stop() }
        let client = try server.client()
        #expect(try client.call(EchoMethods.echo, EchoParams(text: "ab", times: 3)) == EchoResult(echoed: "ababab"))
        #expect(try client.call(EchoMethods.greet, EchoParams(text: "hello")) == EchoResult(echoed: "hello!"))
        #expect(try client.call(EchoMethods.ping) == EchoResult(echoed: "pong"))
        #expect(throws: ControlClient.ClientError.self) {
            try client.call(EchoMethods.echo, EchoParams(text: "refuse"))
        }

        let raw = try server.raw()
        let missing = try raw.roundTrip(requestLine("test.echo", id: 1))
        #expect(missing.error == RPCErrorObject(code: RPCErrorObject.invalidParams, message: "params are required"))
        let defaulted = try raw.roundTrip(requestLine("test.greet", id: 2))
        #expect(try decodeResult(defaulted, as: EchoResult.self) == EchoResult(echoed: "hi!"))
        let ignored = try raw.roundTrip(requestLine("test.ping", id: 3, params: "5"))
        #expect(try decodeResult(ignored, as: EchoResult.self) == EchoResult(echoed: "pong"))
        let wrongType = try raw.roundTrip(requestLine("test.echo", id: 4, params: #"{"text":"a","times":"two"}"#))
        #expect(wrongType.error?.code == RPCErrorObject.invalidParams)
        #expect(
            wrongType.error?.message.hasPrefix("params.times: expected Int") == true,
            "\(String(describing: wrongType.error))")
        let refused = try raw.roundTrip(requestLine("test.echo", id: 5, params: #"{"text":"refuse"}"#))
        #expect(refused.id == .number(5))
        #expect(
            refused.error
                == RPCErrorObject(code: RPCErrorObject.invalidParams, message: "params.text: 'refuse' is refused"))
        let unknown = try raw.roundTrip(requestLine("version", id: 6))
        #expect(unknown.error?.message == "unknown method 'version'; methods: test.echo, test.greet, test.ping")

        let logged = server.log.all.filter { $0.message == "request" }.compactMap { $0.metadata["method"] }
        #expect(
            logged == [
                "test.echo", "test.greet", "test.ping", "test.echo", "test.echo", "test.greet", "test.ping",
                "test.echo", "test.echo", "version",
            ])
    }
}
