import Foundation

/// A plain-text table for people: left-aligned text, right-aligned numbers, two spaces between columns.
struct Table {
    let header: [String]
    let rows: [[String]]

    init(_ header: [String], _ rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in
            all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        let numeric = header.indices.map { column in
            !rows.isEmpty
                && rows.allSatisfy { row in
                    row.indices.contains(column) && Double(row[column].trimmingCharacters(in: ["%", "s"])) != nil
                }
        }
        var out = ""
        for row in all {
            let cells = header.indices.map { column -> String in
                let text = row.indices.contains(column) ? row[column] : ""
                let pad = String(repeating: " ", count: widths[column] - text.count)
                return numeric[column] ? pad + text : text + pad
            }
            out +=
                cells.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
                + "\n"
        }
        return out
    }
}
