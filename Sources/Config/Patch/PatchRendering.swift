extension PatchPair {
    var document: ConfigDocument {
        .list([.string(a), .string(b)])
    }
}
