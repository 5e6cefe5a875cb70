import Control
import ControlProtocol
import Dataplane

/// The packet capture methods (docs/capture.md).
struct CaptureControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(CaptureMethods.start, start)
        methods.register(CaptureMethods.read, read)
        methods.register(CaptureMethods.stop, stop)
        methods.register(CaptureMethods.list) { () throws(RPCErrorObject) -> [CaptureSession] in
            dataplane.captures.list()
        }
    }

    func start(_ params: CaptureStartParams) throws(RPCErrorObject) -> CaptureSession {
        do {
            return try dataplane.startCapture(
                port: params.port, direction: params.direction, snapLength: params.snaplen, count: params.count)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }

    func read(_ params: CaptureReadParams) throws(RPCErrorObject) -> CaptureBatch {
        do {
            return try dataplane.captures.read(id: params.id, max: params.max)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }

    func stop(_ params: CaptureIDParams) throws(RPCErrorObject) -> CaptureBatch {
        do {
            return try dataplane.captures.stop(id: params.id)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }
}
