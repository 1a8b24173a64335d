import Foundation
import Testing

/// The module graph as written down (docs/architecture.md, which follows DESIGN.md's module table) against the
/// code: every `import` in `Sources/` and every target dependency in `Package.swift` must be in its module's row.
@Suite("The module graph: imports and target dependencies against docs/architecture.md")
struct ModuleGraphTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Module name → what it may import (nil: a C module, which may import no Swift module).
    static func allowed() throws -> [String: Set<String>?] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        var rows: [String: Set<String>?] = [:]
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("| module | holds | may import |") {
                inTable = true
                continue
            }
            guard inTable else { continue }
            guard line.hasPrefix("|") else { break }
            if line.hasPrefix("|---") { continue }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let imports = cells[2] == "C only" ? nil : Set(names(in: cells[2]))
            for module in names(in: cells[0]) { rows[module] = imports }
        }
        return rows
    }

    /// The names in backticks in a table cell.
    static func names(in cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().compactMap { index, part in
            index % 2 == 1 ? String(part) : nil
        }
    }

    /// The modules an import line names (`import X`, `public import X`, `@testable import X`, `import struct X.Y`).
    static func imported(in source: String) -> Set<String> {
        var modules: Set<String> = []
        for raw in source.split(separator: "\n") {
            var words = raw.split(separator: " ").map(String.init)
            while let first = words.first,
                [
                    "public", "internal", "package", "private", "fileprivate", "@testable",
                    "@_exported", "@preconcurrency",
                ].contains(first)
            {
                words.removeFirst()
            }
            guard words.first == "import", words.count >= 2 else { continue }
            let kinds: Set<String> = ["struct", "class", "enum", "protocol", "typealias", "func", "var", "let"]
            let target = kinds.contains(words[1]) && words.count >= 3 ? words[2] : words[1]
            if let module = target.split(separator: ".").first { modules.insert(String(module)) }
        }
        return modules
    }

    /// Each module directory's Swift imports.
    static func sourceImports() throws -> [String: Set<String>] {
        let sources = root.appendingPathComponent("Sources")
        var result: [String: Set<String>] = [:]
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path) {
            let directory = sources.appendingPathComponent(module)
            guard let files = FileManager.default.enumerator(atPath: directory.path) else { continue }
            var imports: Set<String> = []
            for case let file as String in files where file.hasSuffix(".swift") {
                imports.formUnion(
                    imported(in: try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)))
            }
            result[module] = imports
        }
        return result
    }

    @Test("every module in Sources has a row, and every row names a module that exists")
    func everyModuleHasARow() throws {
        let rows = try Self.allowed()
        let modules = Set(
            try FileManager.default.contentsOfDirectory(
                atPath: Self.root.appendingPathComponent("Sources").path))
        #expect(
            modules.subtracting(rows.keys).isEmpty,
            "no row in docs/architecture.md for \(modules.subtracting(rows.keys).sorted())")
        #expect(
            Set(rows.keys).subtracting(modules).isEmpty,
            "rows without a module: \(Set(rows.keys).subtracting(modules).sorted())")
    }

    @Test("every import in Sources is allowed by its module's row")
    func importsAreAllowed() throws {
        let rows = try Self.allowed()
        for (module, imports) in try Self.sourceImports() {
            guard let row = rows[module] else { continue }  // reported by everyModuleHasARow
            guard let allowed = row else {
                #expect(imports.isEmpty, "\(module) is a C module but has Swift imports \(imports.sorted())")
                continue
            }
            let forbidden = imports.subtracting(allowed).subtracting([module])
            #expect(
                forbidden.isEmpty,
                "\(module) imports \(forbidden.sorted().joined(separator: ", ")), which its row in docs/architecture.md does not allow"
            )
        }
    }

    @Test("Package.swift gives each target only dependencies its row allows")
    func packageDependencies() throws {
        let rows = try Self.allowed()
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var checked = 0
        for (target, dependencies) in Self.targets(in: manifest) {
            guard let row = rows[target], let allowed = row else { continue }  // tests and C targets
            checked += 1
            let extra = dependencies.subtracting(allowed)
            #expect(extra.isEmpty, "Package.swift: \(target) depends on \(extra.sorted()), not in its row")
        }
        #expect(checked >= 9, "only \(checked) Swift targets found in Package.swift")
    }

    /// `(target name, dependency module names)` for each `.target`/`.executableTarget` in the manifest.
    static func targets(in manifest: String) -> [(String, Set<String>)] {
        var result: [(String, Set<String>)] = []
        var rest = Substring(manifest)
        while let start = rest.range(of: #"\.(target|executableTarget)\("#, options: .regularExpression) {
            rest = rest[start.upperBound...]
            // The call's text up to its closing parenthesis.
            var depth = 1
            var end = rest.startIndex
            while end < rest.endIndex, depth > 0 {
                if rest[end] == "(" { depth += 1 }
                if rest[end] == ")" { depth -= 1 }
                end = rest.index(after: end)
            }
            let call = rest[..<end]
            let quoted = call.split(separator: "\"", omittingEmptySubsequences: false).enumerated().compactMap {
                $0.offset % 2 == 1 ? String($0.element) : nil
            }
            guard let name = quoted.first else { continue }
            var dependencies: Set<String> = []
            if let list = call.range(of: "dependencies: [") {
                let tail = call[list.upperBound...]
                let body = tail[..<(tail.range(of: "],")?.lowerBound ?? tail.endIndex)]
                let strings = body.split(separator: "\"", omittingEmptySubsequences: false).enumerated().compactMap {
                    $0.offset % 2 == 1 ? String($0.element) : nil
                }
                // `.product(name: "GRDB", package: "GRDB.swift")`: the product's module is its name; the package
                // name that follows is not a module.
                var skipNext = false
                for (index, string) in strings.enumerated() {
                    if skipNext {
                        skipNext = false
                        continue
                    }
                    dependencies.insert(string)
                    if index + 1 < strings.count,
                        body.contains("name: \"\(string)\", package: \"\(strings[index + 1])\"")
                    {
                        skipNext = true
                    }
                }
            }
            result.append((name, dependencies))
        }
        return result
    }
}
