import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("MAC aging time changes take effect")
    struct MACAging {
        /// A learned MAC older than the new aging time survives under the old one and goes once the change
        /// is applied; under the new time a MAC is kept while its age is at most `mac-aging-seconds` and
        /// forgotten after, judged on the daemon's own clock: ages from `mac.list`, never test-side sleeps.
        /// While a MAC is known, frames to it go to its port alone; once forgotten, they are flooded.
        @Test func agingTimeChangeAndDeadline() throws {
            let hosts = try SilentHosts(ports: ["h1", "h2"], tag: "ag")
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    l2:
                      mac-aging-seconds: 300
                    ports:
                      - name: h1
                        devargs: "\(hosts.devargs("h1"))"
                      - name: h2
                        devargs: "\(hosts.devargs("h2"))"
                      - name: n1
                        devargs: "net_null_agn1,no-rx=1"
                    """, label: "aging")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            try hosts.adopt(macs: ["h1": "02:00:00:00:61:01", "h2": "02:00:00:00:62:01"])
            let client = try daemon.client()
            let (stationA, stationB, stationC) = ("02:00:00:00:62:0a", "02:00:00:00:62:0b", "02:00:00:00:62:0c")
            func learn(_ station: String) throws {
                try hosts.send(1, from: "h2", source: station, to: "02:00:00:00:61:01", through: daemon)
            }
            func ages() throws -> [String: Int] {
                Dictionary(
                    uniqueKeysWithValues: try client.call(BridgeMethods.macList).filter { $0.port == "h2" }.map {
                        ($0.mac, $0.ageSeconds)
                    })
            }
            /// Sends 20 frames from h1 to `station`: true if they went to h2 alone, false if they were flooded.
            func unicast(to station: String) throws -> Bool {
                let before = try CounterSnapshot(daemon)
                try hosts.send(20, from: "h1", source: "02:00:00:00:61:01", to: station, through: daemon)
                let after = try CounterSnapshot(daemon)
                let (toH2, toN1) = (
                    try after.portGrowth("h2", since: before, \.txPackets),
                    try after.portGrowth("n1", since: before, \.txPackets)
                )
                guard toH2 == 20 && (toN1 == 0 || toN1 == 20) else {
                    throw TestFailure("20 frames to \(station): \(toH2) to h2, \(toN1) to n1")
                }
                return toN1 == 0
            }

            // Under 300 s, A is kept past 10 s (and frames to it are switched to h2 alone).
            try learn(stationA)
            try System.waitUntil("A to be 11 seconds old", timeout: .seconds(60)) {
                guard let age = try ages()[stationA] else { throw TestFailure("A was forgotten under 300 s") }
                return age >= 11
            }
            #expect(try unicast(to: stationA))
            // Set to 10 s: A, already older, is forgotten at the next sweep, and frames to it are flooded.
            let document = try client.call(ConfigMethods.get).yaml
            let aging = try #require(document.range(of: "mac-aging-seconds: 300"), "\(document)")
            let applied = try client.call(
                "config.apply",
                params: ConfigApplyParams(
                    document: document.replacingCharacters(in: aging, with: "mac-aging-seconds: 10")),
                as: ConfigApplyResult.self)
            #expect(applied.changes.map(\.action) == ["update-l2"])
            try System.waitUntil("A to age out under the new aging time", timeout: .seconds(30)) {
                try ages()[stationA] == nil
            }
            #expect(try !unicast(to: stationA))

            // The deadline, on the daemon's clock. B is learned, then C three or more seconds later, so that
            // C's age tells B's in every dump, also in the one where B is gone: B's age = C's + offset.
            try learn(stationB)
            try System.waitUntil("B to be 3 seconds old") { (try ages()[stationB] ?? 0) >= 3 }
            try learn(stationC)
            let first = try ages()
            let offset = try #require(first[stationB]) - (try #require(first[stationC]))
            #expect(offset >= 3)
            var checkedUnicast = false
            var lastPresentAge = 0
            try System.waitUntil("B to age out", timeout: .seconds(60)) {
                let dump = try ages()
                guard let ageC = dump[stationC] else { throw TestFailure("C aged out before B: \(dump)") }
                let ageB = ageC + offset
                if let reported = dump[stationB] {
                    #expect(reported == ageB, "B's age follows C's")
                    #expect(ageB <= 13, "B is kept until age \(ageB): aging is 10 s, swept once a second")
                    lastPresentAge = ageB
                    if !checkedUnicast && (5...8).contains(ageB) {
                        #expect(try unicast(to: stationB), "B is known at age \(ageB)")
                        checkedUnicast = true
                    }
                    return false
                }
                #expect(ageB > 10, "B was forgotten at age \(ageB), before the 10 s aging time")
                return true
            }
            print("mac aging: B last seen present at age \(lastPresentAge), aging time 10 s")
            #expect(checkedUnicast)
            #expect(try !unicast(to: stationB), "frames to a forgotten MAC are flooded")
            #expect(try daemon.stop() == 0, "\(daemon.log)")
        }
    }
}
