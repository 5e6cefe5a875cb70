import Control
import ControlProtocol
import Dataplane

/// The packet trace method.
struct TraceControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(TraceMethods.packet, trace)
    }

    /// A frame that is not hex, or an unknown port, is an invalid-params error.
    func trace(_ params: PacketTraceParams) throws(RPCErrorObject) -> PacketTraceResult {
        let frame: [UInt8]
        switch HexFrame.parse(params.frame) {
        case .success(let bytes): frame = bytes
        case .failure(let error):
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "frame: \(error.description)")
        }
        do {
            return try dataplane.trace(frame: frame, port: params.port)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }
}
