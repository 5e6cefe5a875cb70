import ControlProtocol
import Pipeline
import Testing

/// The capacity clients read from the protocol (sluice-exporter's `sluice_metadata_nat_capacity`) is the NAT
/// table's.
@Suite struct MetadataNATCapacityTests {
    @Test("MetadataNATEntry.entriesPerPort is MetadataNAT.entriesPerPort")
    func capacityAgrees() {
        #expect(MetadataNATEntry.entriesPerPort == MetadataNAT.entriesPerPort)
    }
}
