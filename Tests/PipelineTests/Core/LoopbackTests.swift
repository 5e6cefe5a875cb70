import DPDK
import Pipeline
import Testing

extension DPDKBackedTests {
    /// The assumptions the other suites build on (see DPDKFixture.swift): how net_ring loops frames back and
    /// what a test thread is to EAL.
    @Suite struct LoopbackTests {
        @Test("test threads are not EAL lcores; mbufs still allocate and free on them")
        func testThreadIsNotAnLcore() throws {
            try TestDPDK.run { env in
                #expect(EAL.currentLcore == nil)
                #expect(EAL.mainLcore == 0)
                let before = env.pool.available
                #expect(env.pool.inUse == TestDPDK.poolSize - before)
                let mbuf = env.frame(tag: 1, length: 64)
                #expect(env.pool.available == before - 1)
                #expect(env.pool.inUse == TestDPDK.poolSize - before + 1)
                mbuf.free()
                #expect(env.pool.available == before)
            }
        }

        @Test("a net_ring port receives on queue q, in order, what it transmitted on queue q")
        func loopbackPerQueue() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                #expect(env.ports.count == TestDPDK.portCount)
                let driver = try env.ports[0].info().driverName
                #expect(driver == "net_ring")
                #expect(env.inject(tags: 0..<5, port: 2, queue: 0) == 5)
                #expect(env.inject(tags: 10..<13, port: 2, queue: 1) == 3)
                #expect(env.pool.available == before - 8)
                for port in [0, 1, 3] {
                    for queue: UInt16 in [0, 1] { #expect(env.drain(port: port, queue: queue) == []) }
                }
                #expect(env.drain(port: 2, queue: 1) == frames(10..<13))
                #expect(env.drain(port: 2, queue: 0) == frames(0..<5))
            }
        }

        @Test("a net_ring queue holds 1023 frames; a transmit to a full ring takes none")
        func ringCapacity() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                #expect(env.inject(tags: 0..<1030, port: 1, queue: 0) == TestDPDK.ringCapacity)
                #expect(env.inject(tags: [5000], port: 1, queue: 0) == 0)
                #expect(env.pool.available == before - TestDPDK.ringCapacity)
                #expect(env.drain(port: 1, queue: 0) == frames(0..<1023))
            }
        }

        @Test("net_ring hands back the same mbufs and leaves mbuf.port unset")
        func sameBuffersComeBack() throws {
            try TestDPDK.run { env in
                let mbuf = env.frame(tag: 7, length: 100)
                var out = MbufBurst(capacity: 1)
                out.append(mbuf)
                #expect(env.ports[3].transmit(queue: 0, out.slots, count: 1) == 1)
                out.removeFirst(1)
                var back = MbufBurst(capacity: 4)
                #expect(env.ports[3].receive(queue: 0, into: &back) == 1)
                #expect(back[0].raw == mbuf.raw)
                #expect(back[0].packetLength == 100)
                #expect(back[0].inputPort == UInt16.max)
            }
        }
    }
}
