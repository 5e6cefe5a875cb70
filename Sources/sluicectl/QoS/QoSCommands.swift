import ArgumentParser
import ControlProtocol
import Foundation

struct QoS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qos",
        abstract: "Token-bucket limits per port and direction: rate, burst, tokens now, passed, held back or dropped.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this port.", completion: portNameCompletion) var port: String?

    func run() throws {
        let rows = try connection.call(QoSMethods.show).filter { port == nil || $0.port == port }
        connection.emit(rows) {
            var lines: [[String]] = []
            for row in rows {
                for bucket in row.buckets {
                    let isBandwidth = bucket.kind == "bandwidth"
                    lines.append([
                        row.port, row.direction, bucket.kind,
                        isBandwidth
                            ? String(format: "%.3f Mbit/s", bucket.rate / 1e6)
                            : String(format: "%.0f pps", bucket.rate),
                        isBandwidth ? "\(bucket.burst) B" : "\(bucket.burst) pkts", "\(bucket.tokens)",
                        "\(bucket.oneTimeBurstLeft)", "\(row.passedPackets)", "\(row.passedBytes)",
                        row.direction == "from-vm" ? "\(row.heldPolls)" : "-",
                        row.direction == "from-vm" ? String(format: "%.3f", row.heldSeconds) : "-",
                        row.direction == "to-vm" ? "\(row.droppedPackets)" : "-",
                    ])
                }
            }
            return Table(
                [
                    "port", "direction", "bucket", "rate", "burst", "tokens", "one-time-left", "passed-pkts",
                    "passed-bytes", "held-polls", "held-s", "dropped",
                ], lines
            ).render()
        }
    }
}
