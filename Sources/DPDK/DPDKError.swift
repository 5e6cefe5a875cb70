import CDPDK

/// A failed DPDK call: which operation, DPDK's error code (a positive errno value) and its text.
public struct DPDKError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code < 0 ? -code : code
    }

    /// Reads `rte_errno`, for calls that signal failure through it rather than a return value.
    public static func fromErrno(_ operation: String) -> DPDKError {
        DPDKError(operation, code: sl_errno())
    }

    public var description: String {
        // Many drivers return a bare -1 for any failure, which ethdev passes on as -EPERM: printing
        // "Operation not permitted" would name a cause that is usually not the real one.
        if code == EPERM {
            return "\(operation) failed with -1, which drivers return for any error (DPDK's log above says why; "
                + "as an errno it would read \"\(String(cString: rte_strerror(code)))\")"
        }
        return "\(operation): \(String(cString: rte_strerror(code))) (errno \(code))"
    }
}

/// Turns DPDK's "negative errno on failure" convention into a throw.
@discardableResult
@usableFromInline
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(DPDKError) -> Int32 {
    if result < 0 { throw DPDKError(operation(), code: result) }
    return result
}
