import ArgumentParser
import Config
import Control
import ControlProtocol
import Dataplane
import Foundation
import Logging
import Synchronization

@main
struct Sluiced: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluiced",
        abstract: "Sluice's packet-switching dataplane: PMD threads polling DPDK ports, a control socket.",
        version: SluiceVersion.current)

    @Option(name: .shortAndLong, help: "The YAML configuration file.")
    var config = "/etc/sluice/sluice.yaml"

    @Flag(name: .customLong("check-config"), help: "Validate the configuration and exit.")
    var checkConfig = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluiced")

        let settings: SluiceConfig
        do {
            settings = try SluiceConfig.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("sluiced: invalid configuration \(config):\n\(error.description)\n".utf8))
            throw ExitCode(2)
        }
        if checkConfig {
            print("\(config): OK (\(settings.ports.count) ports, \(settings.pmdLcores.count) PMD threads)")
            return
        }
        StopSignal.install()

        let dataplane: Dataplane
        do {
            dataplane = try Dataplane(config: settings)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        let server: ControlServer
        do {
            server = try ControlServer(
                path: settings.control.socketPath, mode: settings.control.socketMode,
                group: settings.control.socketGroup, handler: DataplaneControl(dataplane: dataplane), logger: logger)
        } catch {
            logger.critical("\(error)")
            dataplane.shutdown()
            throw ExitCode(1)
        }
        do {
            try dataplane.start()
        } catch {
            logger.critical("\(error)")
            server.close()
            dataplane.shutdown()
            throw ExitCode(1)
        }
        for port in dataplane.ports {
            logger.info("port \(port.name): \(port.config.resolvedDevargs) driver=\(port.info.driverName) admin=\(port.config.admin.rawValue) rxq=\(port.config.rxQueues) txq=\(port.txQueues)")
        }
        for pmd in dataplane.pmds {
            let queues = pmd.rxQueues.map { "\(dataplane.ports[Int($0.portIndex)].name)/\($0.queue)" }
            logger.info("pmd lcore \(pmd.lcore): polling \(queues.joined(separator: " "))")
        }
        logger.notice("ready: \(dataplane.ports.count) ports, \(dataplane.pmds.count) PMD threads, control socket \(server.path)")

        var lastMaintenance = ContinuousClock.now
        server.run(periodic: {
            guard ContinuousClock.now - lastMaintenance >= .seconds(1) else { return }
            lastMaintenance = ContinuousClock.now
            let (aged, recycled) = dataplane.maintainMACTable()
            if aged > 0 || recycled > 0 { logger.debug("mac table: \(aged) aged out, \(recycled) slots recycled") }
        }, until: { StopSignal.received })

        logger.notice("stopping")
        server.close()
        dataplane.shutdown()
        logger.notice("stopped")
    }
}

/// SIGTERM/SIGINT only raise a flag; the control loop sees it within one poll tick and shuts down in order.
enum StopSignal {
    static let flag = Atomic<Bool>(false)

    static var received: Bool { flag.load(ordering: .acquiring) }

    /// Must run before EAL starts its threads: they inherit the signal mask.
    static func install() {
        // A parent may have started us with these signals blocked (test runners and some supervisors do);
        // a daemon that cannot be stopped with SIGTERM would leak its hugepages and sockets.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        signal(SIGTERM) { _ in StopSignal.flag.store(true, ordering: .releasing) }
        signal(SIGINT) { _ in StopSignal.flag.store(true, ordering: .releasing) }
        signal(SIGPIPE, SIG_IGN)
    }
}

/// The control API over the running dataplane.
final class DataplaneControl: ControlHandler {
    let dataplane: Dataplane

    init(dataplane: Dataplane) { self.dataplane = dataplane }

    func version() -> VersionInfo {
        let elapsed = ContinuousClock.now - dataplane.startedAt
        return VersionInfo(
            sluice: SluiceVersion.current, dpdk: Dataplane.dpdkVersion, pid: getpid(),
            uptimeSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func ports() -> [PortStatus] { dataplane.portStatuses() }
    func pmds() -> [PMDStatus] { dataplane.pmdStatuses() }
    func stages() -> [StageStatus] { dataplane.stageStatuses() }
    func macs() -> [MACEntry] { dataplane.macEntries() }

    func flushMACs(_ params: MACFlushParams) throws(RPCErrorObject) -> MACFlushResult {
        do {
            return MACFlushResult(flushed: try dataplane.flushMACs(port: params.port, vlan: params.vlan))
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }
}
