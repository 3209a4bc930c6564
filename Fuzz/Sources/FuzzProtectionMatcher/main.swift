// libFuzzer entry for the protection-document matcher (SPEC A4 / Gluu's `uma_scope_expression` paths): random
// rules and random requests. The input is lines:
//
//   `R <pattern> <METHOD,METHOD,...> [public]`   a rule (one condition); `?` as a method means any method
//   `<METHOD> <path>`                            a request to match against every rule so far
//
// and, as a whole, also a JSON protection document for `ProtectionDocument.load(jsonText:)` (the config check).
// Properties (a broken one traps):
//
// 1. Nothing traps: a bad pattern (`{regex}`, `??`, …) is a `PathMatcherError` or a `ConfigError`.
// 2. A match names an existing rule and condition, carries that rule's pattern, and the condition covers the
//    method (listed, `?`, or `HEAD` authorized as a listed `GET`).
// 3. `matchWithCaptures` finds the same rule as `match`; matching is deterministic.
// 4. With `near_miss: protect`, an exact match wins unchanged; a near miss is never a public condition and is
//    only reported for a request that matched nothing exactly.
// 5. A document that passes the configuration check compiles.
import CFuzzDriver
import PEPCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtectionMatcher(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count), as: UTF8.self)
    checkDocumentText(text)
    var rules: [ResourceRule] = []
    var requests: [(method: String, path: String)] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true).prefix(64) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if words.first == "R", words.count >= 3 {
            let methods = words[2].split(separator: ",").map(String.init)
            rules.append(
                ResourceRule(
                    path: words[1],
                    conditions: [
                        RuleCondition(
                            httpMethods: methods, scopes: ["s"], isPublic: words.count > 3 && words[3] == "public")
                    ]))
        } else if words.count >= 2 {
            requests.append((words[0], words[1]))
        }
    }
    let document = ProtectionDocument(rules: rules)
    guard let exact = try? RuleResolver(document: document, nearMiss: .off, denyByDefault: true) else { return 0 }
    let nearMiss = try? RuleResolver(document: document, nearMiss: .protect, denyByDefault: false)
    precondition(nearMiss != nil, "matcher: compiles exactly but not case-folded")
    for request in requests {
        let match = exact.resolve(method: request.method, path: request.path)
        precondition(match == exact.resolve(method: request.method, path: request.path), "matcher: not deterministic")
        let captured = exact.matcher.matchWithCaptures(method: request.method, path: request.path)
        precondition(captured?.0 == match, "matcher: matchWithCaptures disagrees with match")
        if let match { checkMatch(match, document, request.method) }
        let near = nearMiss?.resolve(method: request.method, path: request.path)
        if let match {
            precondition(near == match, "matcher: near-miss resolver changed an exact match")
        } else if let near {
            let nearMissInfo = near.nearMiss
            precondition(nearMissInfo != nil, "matcher: a near miss not marked as one")
            checkMatch(near, document, request.method)
            precondition(
                !document.rules[near.ruleIndex].conditions[near.conditionIndex].isPublic,
                "matcher: a near miss onto a public condition")
        }
    }
    return 0
}

/// Debug builds: SwiftPM links executables with `--defsym main=FuzzProtectionMatcher_main` (see FuzzHTTP1).
@_cdecl("FuzzProtectionMatcher_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzProtectionMatcher(UnsafeRawPointer(data), size) }
}

private func checkMatch(_ match: RuleMatch, _ document: ProtectionDocument, _ method: String) {
    precondition(document.rules.indices.contains(match.ruleIndex), "matcher: rule index out of range")
    let rule = document.rules[match.ruleIndex]
    precondition(rule.conditions.indices.contains(match.conditionIndex), "matcher: condition index out of range")
    precondition(match.pattern == rule.path, "matcher: pattern is not the rule's")
    let methods = rule.conditions[match.conditionIndex].httpMethods
    let covered =
        methods.contains(method) || methods.contains("?")
        || (method == "HEAD" && match.authorizedMethod == "GET" && methods.contains("GET"))
    precondition(covered, "matcher: the condition does not cover \(method)")
}

private func checkDocumentText(_ text: String) {
    guard let loaded = try? ProtectionDocument.load(jsonText: text) else { return }
    do {
        _ = try RuleResolver(document: loaded.document, nearMiss: .protect, denyByDefault: false)
    } catch {
        preconditionFailure("matcher: a document that passed the check does not compile: \(error)")
    }
}
