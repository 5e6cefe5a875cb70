import Control
import ControlProtocol
import Dataplane
import Foundation

/// The control methods that report on the daemon as a whole: version, health, PMD threads, stages.
struct StatusControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(StatusMethods.version) { version() }
        methods.register(StatusMethods.health) { dataplane.health() }
        methods.register(StatusMethods.pmdList) { dataplane.pmdStatuses() }
        methods.register(StatusMethods.stageList) { dataplane.stageStatuses() }
    }

    func version() -> VersionInfo {
        let elapsed = ContinuousClock.now - dataplane.startedAt
        return VersionInfo(
            sluice: SluiceVersion.current, dpdk: Dataplane.dpdkVersion, pid: getpid(),
            uptimeSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
