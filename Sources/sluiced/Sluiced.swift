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

    @Flag(
        name: .customLong("check-config"),
        help: ArgumentHelp(
            "Validate the configuration and exit.",
            discussion:
                "Checks what start-up would run: --config merged with the state file (unless --discard-state or --state-file ''), against this machine's CPUs and running DPDK processes."
        ))
    var checkConfig = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(
        help: ArgumentHelp(
            "Where configuration applied through the control socket is persisted and restored from at start.",
            discussion:
                "At start, ports, patches and l2 settings come from this file when it exists; everything else from --config. Empty: no persistence."
        ))
    var stateFile = "/var/lib/sluice/state.yaml"

    @Flag(help: "Ignore (and on the next change overwrite) the persisted state: start from --config alone.")
    var discardState = false

    @Option(
        help: ArgumentHelp(
            "pipeline (the switch) or io (no stage at all: a benchmark floor).",
            discussion:
                "io sends each port's packets straight to its peer, as dpdk-testpmd --forward-mode=io does: peers are the patch pairs, otherwise the ports paired in configuration order (first with second, third with fourth, ...), fixed at start. Nothing is parsed, learned or filtered; Benchmarks/pvp runs it beside the pipeline so that each report carries its own floor."
        ))
    var forwardMode: ForwardingMode = .pipeline

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluiced")

        // --check-config and start-up run exactly the same checks on exactly the same merged document, so
        // that what validates also starts; only the DPDK calls are left out.
        let host = HostFacts.current()
        var settings: SluiceConfig
        do {
            settings = try SluiceConfig.load(path: config, host: host)
        } catch {
            FileHandle.standardError.write(
                Data("sluiced: invalid configuration \(config):\n\(error.description)\n".utf8))
            throw ExitCode(2)
        }
        let statePath = stateFile.isEmpty ? nil : stateFile
        // A port the persisted state names may have lost its device while sluiced was down: the other ports
        // must still come up (and a supervisor must not restart sluiced into the same failure), so such a
        // port is kept failed. A port of --config alone is written by hand and must run as written.
        // --check-config validates the same merged document that start-up would run.
        var portFailures = PortFailurePolicy.failFast
        if let statePath, !discardState {
            do {
                if let state = try StateFile.read(path: statePath) {
                    // Validated as a whole: the config file's restart-only settings may have changed since.
                    settings = try settings.withRuntimeState(from: state, host: host)
                    portFailures = .keepFailed
                    if !checkConfig {
                        logger.notice(
                            "restored ports, patches and l2 settings from \(statePath) (\(settings.ports.count) ports)")
                    }
                }
            } catch {
                FileHandle.standardError.write(
                    Data(
                        "sluiced: the persisted state \(statePath) does not fit the configuration \(config):\n\(error.description)\nFix or remove the state file, or start with --discard-state.\n"
                            .utf8))
                throw ExitCode(2)
            }
        }
        // The `auto` DHCP addresses of the previous run (docs/dhcp.md, "Allocation"), beside the state file.
        var dhcpAllocations = DHCPAllocations()
        if let statePath, !discardState {
            do {
                dhcpAllocations = try DHCPAllocationFile.read(path: DHCPAllocationFile.path(forStateFile: statePath))
            } catch {
                FileHandle.standardError.write(
                    Data(
                        "sluiced: \(error.description)\nFix or remove it, or start with --discard-state.\n".utf8))
                throw ExitCode(2)
            }
        }
        // Every served port's metadata pool address written into the state, so it is persisted (Metadata/).
        settings = settings.withMetadataAddresses(previous: nil)
        if checkConfig {
            print("\(config): OK (\(settings.ports.count) ports, \(settings.pmdLcores.count) PMD threads)")
            return
        }
        StopSignal.install()
        PMDStallHook.installIfArmed()

        let dataplane: Dataplane
        do {
            dataplane = try Dataplane(
                config: settings, mode: forwardMode, portFailures: portFailures, dhcpAllocations: dhcpAllocations)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        if forwardMode == .ioBaseline {
            logger.notice("forward mode io: no pipeline stage runs; each port's packets go straight to its peer")
        }
        // Each feature registers its own control methods; the order is the one the method-not-found error lists.
        let desiredState = DesiredState(dataplane: dataplane, stateFile: statePath, logger: logger)
        desiredState.persistDHCPAllocations()  // this run's allocations (new ports, ended quarantines)
        var methods = ControlMethodRegistry()
        StatusControl(dataplane: dataplane).register(into: &methods)
        PortControl(desiredState: desiredState).register(into: &methods)
        BridgeControl(dataplane: dataplane).register(into: &methods)
        SecurityGroupsControl(dataplane: dataplane).register(into: &methods)
        QoSControl(dataplane: dataplane).register(into: &methods)
        VXLANControl(dataplane: dataplane).register(into: &methods)
        DHCPControl(dataplane: dataplane).register(into: &methods)
        TraceControl(dataplane: dataplane).register(into: &methods)
        MetadataControl(dataplane: dataplane).register(into: &methods)
        CaptureControl(dataplane: dataplane).register(into: &methods)
        RxqBalanceControl(dataplane: dataplane).register(into: &methods)
        PlanControl(desiredState: desiredState).register(into: &methods)
        let server: ControlServer
        do {
            server = try ControlServer(
                path: settings.control.socketPath, mode: settings.control.socketMode,
                group: settings.control.socketGroup, methods: methods, logger: logger)
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
            logger.info(
                "port \(port.name): \(port.config.resolvedDevargs) driver=\(port.info.driverName) admin=\(port.config.admin.rawValue) rxq=\(port.config.rxQueues) txq=\(port.txQueues)"
            )
        }
        for port in settings.ports {
            guard let failed = dataplane.failedPorts[port.name] else { continue }
            let advice =
                "it stays in the desired state; fix the cause and run `sluicectl port retry \(port.name)`, "
                + "or remove it with `sluicectl port del \(port.name)`"
            logger.error("port \(port.name) of the persisted state is not running: \(failed.error) (\(advice))")
        }
        for pmd in dataplane.pmdStatuses() {
            logger.info("pmd lcore \(pmd.lcore): polling \(pmd.rxQueues.joined(separator: " "))")
        }
        let summary =
            "\(dataplane.ports.count) ports\(failedSummary(dataplane)), \(dataplane.pmds.count) PMD threads, "
            + "control socket \(server.path)"
        logger.notice("ready: \(summary)")

        var lastMaintenance = ContinuousClock.now
        var reportedStall: PMDStall?
        server.run(
            periodic: {
                dataplane.punt.service()  // punted packets to their features' handlers, on every pass
                dataplane.maintainVXLAN()  // the VTEP's underlay: next hops published, ARP requests due sent
                dataplane.serviceCaptures()  // captured copies to their sessions (Capture/)
                guard ContinuousClock.now - lastMaintenance >= .seconds(1) else { return }
                lastMaintenance = ContinuousClock.now
                dataplane.watchPMDs()
                let stall = dataplane.stalledPMDs
                if stall != reportedStall {
                    if let stall { logger.error("\(stall)") } else { logger.notice("no PMD is stalled any more") }
                    reportedStall = stall
                }
                let (aged, recycled) = dataplane.maintainMACTable()
                if aged > 0 || recycled > 0 { logger.debug("mac table: \(aged) aged out, \(recycled) slots recycled") }
                dataplane.expireMetadataFlows()  // NAT entries of closed or idle requests (Metadata/)
                RxqBalanceControl.rebalanceIfDue(dataplane, logger: logger)  // eal.rxq-rebalance-interval (RxqBalance/)
                let ct = dataplane.maintainConntrack()
                if ct.expired + ct.revoked > 0 {
                    logger.debug("conntrack: \(ct.expired) expired, \(ct.revoked) revoked, \(ct.recycled) recycled")
                }
            }, until: { StopSignal.received })

        logger.notice("stopping")
        server.close()
        if let wedged = dataplane.shutdown() {
            // Its lcore may still be inside a driver or the tables: releasing them under it could crash or
            // corrupt; the process exit releases them instead.
            let lcores = wedged.lcores.map { "lcore \($0)" }.joined(separator: ", ")
            logger.critical(
                "the PMD on \(lcores) did not stop within \(wedged.timeout.components.seconds) s (stalled): exiting without releasing the ports, the packet pool and EAL"
            )
            // _exit, not exit: atexit handlers and DPDK's destructors must not run under the wedged lcore.
            _exit(1)
        }
        logger.notice("stopped")
    }
}

/// ", 1 failed (vm3)" for the ready line when ports of the desired state are not running, else "".
private func failedSummary(_ dataplane: Dataplane) -> String {
    let names = dataplane.config.ports.map(\.name).filter { dataplane.failedPorts[$0] != nil }
    return names.isEmpty ? "" : ", \(names.count) failed (\(names.joined(separator: ", ")))"
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

/// `--forward-mode pipeline|io`.
extension ForwardingMode: ExpressibleByArgument {}
