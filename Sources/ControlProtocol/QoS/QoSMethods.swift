/// QoS's methods.
public enum QoSMethods {
    /// Every limited port and direction, in configuration order (from-vm before to-vm).
    public static let show = RPCMethod<NoParams, [QoSDirectionStatus]>("qos.show")
}
