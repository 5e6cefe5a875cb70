/// The methods that report on the daemon as a whole: what runs, whether it works, the PMD threads and stages.
public enum StatusMethods {
    public static let version = RPCMethod<NoParams, VersionInfo>("version")
    public static let health = RPCMethod<NoParams, HealthStatus>("health")
    public static let pmdList = RPCMethod<NoParams, [PMDStatus]>("pmd.list")
    public static let stageList = RPCMethod<NoParams, [StageStatus]>("stage.list")
}
