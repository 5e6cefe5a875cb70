import ControlProtocol
import Foundation
import Testing

/// Every method of the control protocol against a fake handler: the request that works, and each way a
/// request can be wrong.
@Suite("Control protocol")
struct ProtocolTests {
    /// Valid params for each method (nil: the method takes none).
    static func validParams(_ method: String) -> String? {
        switch method {
        case "mac.flush": #"{"port":"p0"}"#
        case "config.apply": #"{"document":"ports: []\n","dryRun":true}"#
        case "port.add": #"{"port":{"name":"vm3","devargs":"net_tap3,iface=vm3","vlan":{"mode":"access","id":100}}}"#
        case "port.del": #"{"name":"p1","dryRun":false}"#
        case "port.set": #"{"name":"p0","settings":{"admin":"down","max-macs":null}}"#
        case "port.retry": #"{"name":"p1"}"#
        default: nil
        }
    }

    @Test("every method answers its result", arguments: FakeHandler.allMethodNames)
    func methodAnswers(method: String) throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.raw().roundTrip(requestLine(method, id: 7, params: Self.validParams(method)))
        #expect(response.id == .number(7))
        #expect(response.error == nil)
        switch method {
        case "version": #expect(try decodeResult(response, as: VersionInfo.self) == FakeHandler.versionInfo)
        case "port.list":
            #expect(try decodeResult(response, as: [PortStatus].self) == FakeHandler.portList(count: 2, call: 1))
        case "pmd.list": #expect(try decodeResult(response, as: [PMDStatus].self) == FakeHandler.pmdList)
        case "stage.list": #expect(try decodeResult(response, as: [StageStatus].self) == FakeHandler.stageList(call: 1))
        case "mac.list": #expect(try decodeResult(response, as: [MACEntry].self) == FakeHandler.macTable)
        case "mac.flush": #expect(try decodeResult(response, as: MACFlushResult.self) == MACFlushResult(flushed: 2))
        case "health": #expect(try decodeResult(response, as: HealthStatus.self).status == "ok")
        case "vlan.list": #expect(try decodeResult(response, as: [VLANStatus].self) == FakeHandler.vlanList)
        case "config.get": #expect(try decodeResult(response, as: ConfigDocumentResult.self) == FakeHandler.document)
        case "config.apply":
            let plan = try decodeResult(response, as: ConfigApplyResult.self)
            #expect(plan.dryRun && !plan.applied && plan.changes.count == 3)
        case "port.add":
            #expect(try decodeResult(response, as: ConfigApplyResult.self).changes.map(\.target) == ["vm3"])
        case "port.del":
            #expect(try decodeResult(response, as: ConfigApplyResult.self).changes.map(\.action) == ["remove-port"])
        case "port.set":
            #expect(
                try decodeResult(response, as: ConfigApplyResult.self).changes.first?.fields == ["admin", "max-macs"])
        case "port.retry":
            #expect(try decodeResult(response, as: PortStatus.self) == FakeHandler.portList(count: 2, call: 1)[1])
        default:
            Issue.record("no expectation for the result of \(method)")
        }
        // The handler was called once, with the params as sent.
        let calls = server.handler.calls
        #expect(calls.map(\.method) == [method])
        if let params = Self.validParams(method) {
            let sent = try JSONDecoder().decode(JSONValue.self, from: Data(params.utf8))
            let seen = try JSONDecoder().decode(JSONValue.self, from: Data(calls[0].params.utf8))
            #expect(sent == seen)
        }
    }

    @Test("the typed client decodes every method")
    func typedClient() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        #expect(try client.call(StatusMethods.version) == FakeHandler.versionInfo)
        #expect(try client.call(BridgeMethods.vlanList) == FakeHandler.vlanList)
        #expect(try client.call(StatusMethods.health).pmds == 1)
        #expect(try client.call(ConfigMethods.get).revision == 3)
        let flush = try client.call(BridgeMethods.macFlush, MACFlushParams(vlan: 100))
        #expect(flush.flushed == 1)
        let set = try client.call(
            PortMethods.set,
            PortSetParams(
                name: "p0",
                settings: .object([
                    "vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(100), .string("200-210")])])
                ]), dryRun: true))
        #expect(set.dryRun && set.revision == 3)
        #expect(
            server.handler.calls.last?.params
                == #"{"dryRun":true,"name":"p0","settings":{"vlan":{"allowed":[100,"200-210"],"mode":"trunk"}}}"#)
    }

    @Test("mac.flush without params flushes everything")
    func flushWithoutParams() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.raw().roundTrip(requestLine("mac.flush"))
        #expect(try decodeResult(response, as: MACFlushResult.self).flushed == 3)
        #expect(server.handler.calls.map(\.params) == ["{}"])
    }

    @Test(
        "methods that need params refuse a request without them",
        arguments: [
            ConfigMethods.apply.name, PortMethods.add.name, PortMethods.delete.name, PortMethods.set.name,
            PortMethods.retry.name,
        ])
    func missingParams(method: String) throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.raw().roundTrip(requestLine(method, id: 3))
        #expect(response.id == .number(3))
        #expect(response.error?.code == RPCErrorObject.invalidParams)
        #expect(response.error?.message == "params are required")
        #expect(server.handler.calls.isEmpty, "the handler is not called")
    }

    @Test(
        "params of the wrong type name the path and what was expected",
        arguments: [
            ("config.apply", #"{"document":5}"#, "params.document: expected String"),
            ("config.apply", #"{"dryRun":true}"#, "params.document is required"),
            ("config.apply", #"{"document":"x","dryRun":"yes"}"#, "params.dryRun: expected Bool"),
            ("port.add", #"{}"#, "params.port is required"),
            ("port.del", #"{"name":1}"#, "params.name: expected String"),
            ("port.set", #"{"name":"p0"}"#, "params.settings is required"),
            ("port.retry", #"{}"#, "params.name is required"),
            ("mac.flush", #"{"vlan":"ten"}"#, "params.vlan: expected Int"),
            ("mac.flush", #"[1,2]"#, "params: expected"),
            ("port.del", #""p0""#, "params: expected"),
        ])
    func wrongParamTypes(method: String, params: String, message: String) throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.raw().roundTrip(requestLine(method, id: 11, params: params))
        #expect(response.id == .number(11))
        #expect(response.error?.code == RPCErrorObject.invalidParams)
        #expect(response.error?.message.hasPrefix(message) == true, "\(String(describing: response.error))")
        #expect(server.handler.calls.isEmpty)
    }

    @Test("params of methods that take none are ignored")
    func paramsIgnored() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.raw().roundTrip(requestLine("version", params: #"{"verbose":true}"#))
        #expect(try decodeResult(response, as: VersionInfo.self) == FakeHandler.versionInfo)
    }

    @Test("an unknown method is -32601 and the message lists the methods")
    func unknownMethod() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.raw().roundTrip(requestLine("port.frobnicate", id: 5))
        #expect(response.id == .number(5))
        #expect(response.error?.code == RPCErrorObject.methodNotFound)
        #expect(
            response.error?.message == "unknown method 'port.frobnicate'; methods: "
                + "version, health, pmd.list, stage.list, port.list, port.add, port.del, port.set, port.retry, "
                + "mac.list, mac.flush, vlan.list, config.get, config.apply")
    }

    @Test(
        "envelope errors are -32600 and echo the id when there is one",
        arguments: [
            (#"{"jsonrpc":"1.0","id":4,"method":"version"}"#, RPCID?.some(.number(4)), "\"jsonrpc\" must be \"2.0\""),
            (#"{"id":"a","method":"version"}"#, RPCID?.some(.string("a")), "\"jsonrpc\" must be \"2.0\""),
            (#"{"jsonrpc":2.0,"id":4,"method":"version"}"#, RPCID?.some(.number(4)), "\"jsonrpc\" must be \"2.0\""),
            (#"{"jsonrpc":"2.0","id":4}"#, RPCID?.some(.number(4)), "missing \"method\""),
            (#"{"jsonrpc":"2.0","id":4,"method":7}"#, RPCID?.some(.number(4)), "\"method\" must be a string"),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"version"}"#, RPCID?.none, "\"id\" must be an integer or a string"),
            (#"{"jsonrpc":"2.0","id":[1],"method":"version"}"#, RPCID?.none, "\"id\" must be an integer or a string"),
            (
                #"{"jsonrpc":"2.0","id":{"x":1},"method":"version"}"#, RPCID?.none,
                "\"id\" must be an integer or a string"
            ),
            (#"[{"jsonrpc":"2.0","id":1,"method":"version"}]"#, RPCID?.none, "a request must be a JSON object"),
            (#""version""#, RPCID?.none, "a request must be a JSON object"),
            (#"42"#, RPCID?.none, "a request must be a JSON object"),
            (#"null"#, RPCID?.none, "a request must be a JSON object"),
        ])
    func invalidRequests(line: String, id: RPCID?, message: String) throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try server.raw().roundTrip(line)
        #expect(response.error?.code == RPCErrorObject.invalidRequest, "\(String(describing: response.error))")
        #expect(response.id == id)
        if !message.isEmpty { #expect(response.error?.message == message) }
        #expect(response.result == nil)
        #expect(server.handler.calls.isEmpty)
    }

    @Test(
        "text that is not JSON is -32700 with a null id",
        arguments: [#"{"jsonrpc":"2.0","id":1,"method":"version""#, "hello", "{'a':1}", #"{"a":tru}"#, "}{"])
    func parseErrors(line: String) throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        let response = try client.roundTrip(line)
        #expect(response.error?.code == RPCErrorObject.parseError)
        #expect(response.id == nil)
        // The connection stays usable.
        #expect(try decodeResult(client.roundTrip(requestLine("version")), as: VersionInfo.self).pid == 4242)
    }

    @Test("string and number ids are echoed; a request with id null is answered with id null")
    func ids() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        #expect(try client.roundTrip(#"{"jsonrpc":"2.0","id":"req-α","method":"version"}"#).id == .string("req-α"))
        #expect(try client.roundTrip(#"{"jsonrpc":"2.0","id":-3,"method":"version"}"#).id == .number(-3))
        #expect(try client.roundTrip(#"{"jsonrpc":"2.0","id":0,"method":"version"}"#).id == .number(0))
        let nullID = try client.roundTrip(#"{"jsonrpc":"2.0","id":null,"method":"mac.flush"}"#)
        #expect(nullID.id == nil && nullID.result != nil)
        #expect(server.handler.calls.map(\.method) == ["version", "version", "version", "mac.flush"])
    }

    @Test("notifications (no id member) run their method and get no answer, even when they fail")
    func notifications() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        let notifications = [
            #"{"jsonrpc":"2.0","method":"mac.flush","params":{"port":"p0"}}"#,
            #"{"jsonrpc":"2.0","method":"mac.flush","params":{"port":"nope"}}"#,  // the method fails
            #"{"jsonrpc":"2.0","method":"port.frobnicate"}"#,  // no such method
            #"{"jsonrpc":"2.0","method":"port.set","params":[1]}"#,  // invalid params
        ]
        for line in notifications { #expect(client.send(line + "\n")) }
        // The first line back answers the request after them: the notifications produced none.
        let response = try client.roundTrip(requestLine("version", id: 21))
        #expect(response.id == .number(21))
        #expect(try decodeResult(response, as: VersionInfo.self) == FakeHandler.versionInfo)
        #expect(server.handler.calls.map(\.method) == ["mac.flush", "mac.flush", "version"])
        // Invalid requests without an id are not notifications: they are answered, with id null.
        let invalid = try client.roundTrip(#"{"jsonrpc":"1.0","method":"version"}"#)
        #expect(invalid.id == nil && invalid.error?.code == RPCErrorObject.invalidRequest)
        let noMethod = try client.roundTrip(#"{"jsonrpc":"2.0"}"#)
        #expect(noMethod.id == nil && noMethod.error?.code == RPCErrorObject.invalidRequest)
        // After the client stops sending, the server closes without writing anything for a notification.
        #expect(client.send(#"{"jsonrpc":"2.0","method":"version"}"# + "\n"))
        client.finishSending()
        #expect(client.readLine(timeout: .seconds(30)) == .closed)
    }

    @Test("handler errors reach the client with their code and data")
    func handlerErrors() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        func applyError(_ document: String) -> RPCErrorObject? {
            do {
                _ = try client.call(ConfigMethods.apply, ConfigApplyParams(document: document))
                return nil
            } catch {
                if case .server(let rpcError) = error { return rpcError }
                return nil
            }
        }
        #expect(applyError("INVALID") == FakeHandler.invalidConfig)
        #expect(applyError("INVALID")?.data?.problems?.count == 2)
        #expect(applyError("RESTART") == FakeHandler.restartRequired)
        #expect(applyError("FAIL") == FakeHandler.applyFailed)
        #expect(applyError("FAIL")?.data == nil)

        let raw = try server.raw()
        let flush = try raw.roundTrip(requestLine("mac.flush", id: 9, params: #"{"port":"nope"}"#))
        #expect(flush.id == .number(9))
        #expect(flush.error == RPCErrorObject(code: RPCErrorObject.invalidParams, message: "no port named 'nope'"))
        let add = try raw.roundTrip(requestLine("port.add", id: 10, params: #"{"port":{"name":"p0","devargs":"x"}}"#))
        #expect(add.error?.code == RPCErrorObject.invalidConfig)
        #expect(add.error?.data?.problems == ["ports[2].name: \"p0\" is already the name of ports[0]"])
        let del = try raw.roundTrip(requestLine("port.del", id: 12, params: #"{"name":"ghost"}"#))
        #expect(del.error?.code == RPCErrorObject.invalidParams)
        let set = try raw.roundTrip(requestLine("port.set", id: 13, params: #"{"name":"p0","settings":[1]}"#))
        #expect(set.error?.code == RPCErrorObject.invalidParams)
        // On the wire: code, message and data; absent data is left out.
        raw.send(requestLine("config.apply", id: 14, params: #"{"document":"RESTART"}"#) + "\n")
        guard case .line(let line) = raw.readLine() else { throw TestFailure("no answer") }
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"{"error":{"code":-32011,"data":{"needsRestart":["eal.pmd-cpu-mask","mempool.mbufs"]},"message":"the change needs a restart of sluiced"},"id":14,"jsonrpc":"2.0"}"#
        )
    }

    @Test("pipelined requests are answered in order; blank lines and CRLF are accepted")
    func pipelining() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        let lines = (1...50).map { requestLine($0 % 2 == 0 ? "version" : "mac.list", id: $0) }
        client.send("\n  \r\n" + lines.joined(separator: "\r\n") + "\r\n")
        for id in 1...50 { #expect(try client.response().id == .number(id)) }
    }

    @Test("a request split over many writes is answered once complete")
    func splitRequest() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        for byte in Array((requestLine("vlan.list", id: 21) + "\n").utf8) {
            client.send([byte])
        }
        #expect(try client.response().id == .number(21))
    }

    @Test("a client that sends its request and closes its sending side still gets the answer (printf | socat)")
    func halfClose() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        client.send(requestLine("version", id: 1) + "\n" + requestLine("health", id: 2))  // the last without newline
        client.finishSending()
        #expect(try client.response().id == .number(1))
        #expect(try client.response().id == .number(2))
        #expect(client.waitClosed(), "the server closes once the answers are out")
    }

    @Test("every request is logged with its method and the peer's pid, uid and gid")
    func peerLogging() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        _ = try client.call(StatusMethods.version)
        _ = try client.call(BridgeMethods.vlanList)
        let requests = server.log.all.filter { $0.message == "request" }
        #expect(requests.map { $0.metadata["method"] } == ["version", "vlan.list"])
        for record in requests {
            #expect(record.metadata["peer"] == "pid=\(getpid()) uid=\(getuid()) gid=\(getgid())")
        }
    }
}
