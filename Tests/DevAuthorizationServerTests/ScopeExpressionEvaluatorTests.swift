import PEPCore
import Testing

@testable import DevAuthorizationServer

/// JsonLogic scope expressions as the AS evaluates them (SPEC Part B §3.5).
@Suite struct ScopeExpressionEvaluatorTests {
    private func parse(_ text: String) -> JSONValue { JSONText.parse(text) ?? .null }

    /// oxd accepts expressions whose JsonLogic value over the scope names is one of them.
    @Test(arguments: [
        (#"{"rule":{"or":[{"var":0},{"var":1}]},"data":["a","b"]}"#, true),
        (#"{"rule":{"and":[{"var":0},{"or":[{"var":1},{"var":2}]}]},"data":["a","b","c"]}"#, true),
        (#"{"rule":{"or":[{"var":0},{"!":[{"var":1}]}]},"data":["a","b"]}"#, true),
        (#"{"rule":{"!":[{"var":0}]},"data":["a"]}"#, false),
        (#"{"rule":{"var":1},"data":["a"]}"#, false),
        (#"{"rule":{"xor":[{"var":0}]},"data":["a"]}"#, false),
        (#"{"data":["a"]}"#, false),
        (#"{"rule":{"var":0},"data":[]}"#, false),
    ])
    func validation(expression: String, valid: Bool) {
        #expect((ScopeExpressionEvaluator.validatedData(self.parse(expression)) != nil) == valid)
    }

    /// Boolean evaluation over per-scope results.
    @Test func evaluation() {
        let rule = self.parse(#"{"and":[{"var":0},{"or":[{"var":1},{"!":[{"var":2}]}]}]}"#)
        #expect(ScopeExpressionEvaluator.evaluate(rule, vector: [true, false, false]) == true)
        #expect(ScopeExpressionEvaluator.evaluate(rule, vector: [true, false, true]) == false)
        #expect(ScopeExpressionEvaluator.evaluate(rule, vector: [false, true, true]) == false)
        #expect(ScopeExpressionEvaluator.evaluate(self.parse(#"{"var":7}"#), vector: [true]) == nil)
    }
}
