import ArgumentParser
import ControlProtocol
import Foundation
import PcapFile

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Runs a frame through the current pipeline without sending it: each stage's decision.",
        discussion: """
            Nothing is learned, counted or sent. Give the frame as hex (--frame 'ffffffffffff0200...') or as \
            frame N (from 1) of a pcap file.
            """)
    @OptionGroup var connection: Connection
    @Option(help: "The port the frame arrives on.", completion: portNameCompletion) var port: String
    @Option(help: "The frame from its Ethernet header, in hex (spaces and colons allowed).") var frame: String?
    @Option(help: "A pcap file (Ethernet) holding the frame.", completion: .file()) var pcap: String?
    @Option(help: "Which frame of --pcap, from 1.") var index: Int?

    func validate() throws {
        switch (frame, pcap) {
        case (nil, nil): throw ValidationError("give the frame: --frame HEX or --pcap FILE")
        case (.some, .some): throw ValidationError("--frame and --pcap: give one of them")
        default: break
        }
        if index != nil && pcap == nil { throw ValidationError("--index needs --pcap") }
        if let index, index < 1 { throw ValidationError("--index: frames are numbered from 1") }
    }

    func run() throws {
        let hex: String
        if let frame {
            switch HexFrame.parse(frame) {
            case .success(let bytes): hex = HexFrame.format(bytes)
            case .failure(let error): throw failure("--frame: \(error)", Exit.usage)
            }
        } else {
            hex = HexFrame.format(try frameFromPcap())
        }
        let result = try connection.call(TraceMethods.packet, PacketTraceParams(port: port, frame: hex))
        connection.emit(result) { Self.render(result) }
    }

    func frameFromPcap() throws -> [UInt8] {
        let path = pcap ?? ""
        let file: PcapFile
        do {
            file = try PcapFile.read(path: path)
        } catch {
            throw failure("--pcap \(path): \(error)", Exit.usage)
        }
        guard file.linkType == PcapFile.ethernet else {
            throw failure("--pcap \(path): link type \(file.linkType), not Ethernet (1)", Exit.usage)
        }
        let number = index ?? 1
        guard number <= file.frames.count else {
            throw failure("--index \(number): \(path) holds \(file.frames.count) frames", Exit.usage)
        }
        return file.frames[number - 1]
    }

    /// One block per stage, its facts indented, then the verdict.
    static func render(_ result: PacketTraceResult) -> String {
        var out = "frame: \(result.length) bytes in on \(result.port)\n"
        for (number, stage) in result.stages.enumerated() {
            let verdict = stage.reason.map { "drop (\($0))" } ?? stage.verdict
            out += "\(number + 1). \(stage.stage): \(verdict)\n"
            for fact in stage.facts { out += "     \(fact.name): \(fact.value)\n" }
        }
        if let stage = result.dropStage, let reason = result.dropReason {
            out += "verdict: dropped by \(stage) (\(reason))\n"
        } else {
            let outputs = result.outputs.map { "\($0.port) (\($0.tagging))" }.joined(separator: ", ")
            // No port: the last stage took the frame (punted to sluiced, or only tunnel copies that failed).
            out +=
                outputs.isEmpty
                ? "verdict: no port (see \(result.stages.last?.stage ?? "the stages"))\n"
                : "verdict: output to \(outputs)\n"
        }
        return out
    }
}
