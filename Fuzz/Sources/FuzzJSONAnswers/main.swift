// libFuzzer entry: authorization-server answers through the JSON codec and the decoders that read them, with
// properties that must hold for any bytes. A broken property traps (a crash with the input saved).
//
// 1. JSON codec (PEPCore `JSONCodec`): a parsed value serializes to bytes that parse back to the same value, and
//    serializing that again gives the same bytes (the writer is canonical: sorted members).
// 2. Introspection (oxd `/introspect-rpt`, RFC 7662 / UMA 2.0 introspection), both decoders: PEPCore's
//    `IntrospectionResult.decode` and UMAClient's `IntrospectionResult(introspectionResponse:)` (what the oxd and
//    UMA 2.0 clients run). An active result only ever comes from `"active": true` (a JSON boolean; SECURITY case
//    20: a malformed answer is never mistaken for an active token); a status other than 200 is never a result;
//    decoding the parsed value and the raw body agree.
// 3. oxd `/uma-rs-check-access` (PEPCore `CheckAccessResponse`): `granted` only from `"access": "granted"`.
// 4. Permission tickets (oxd and UMA 2.0 permission endpoint): a ticket is the answer's non-empty `ticket` string.
import CFuzzDriver
import PEPCore
import UMAIntrospection

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONAnswers(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count > 0 && start != nil ? Array(UnsafeRawBufferPointer(start: start, count: count)) : []
    let parsed = try? JSONCodec.parse(bytes)
    if let parsed { checkRoundTrip(parsed) }
    checkIntrospection(bytes, parsed)
    checkCheckAccess(bytes, parsed)
    checkTicket(bytes, parsed)
    return 0
}

/// Debug builds: SwiftPM links executables with `--defsym main=FuzzJSONAnswers_main` (see FuzzHTTP1).
@_cdecl("FuzzJSONAnswers_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzJSONAnswers(UnsafeRawPointer(data), size) }
}

private func checkRoundTrip(_ value: JSONValue) {
    let written = JSONCodec.serialize(value)
    guard let again = try? JSONCodec.parse(written) else { preconditionFailure("json: own output does not parse") }
    precondition(again == value, "json: round trip changed the value")
    precondition(JSONCodec.serialize(again) == written, "json: writer not canonical")
}

private func checkIntrospection(_ bytes: [UInt8], _ parsed: JSONValue?) {
    let isActiveTrue = parsed?["active"] == .bool(true)
    switch IntrospectionResult.decode(status: 200, body: bytes) {
    case .success(let result):
        precondition(parsed != nil, "introspection: decoded from bytes that are not JSON")
        precondition(result.active == isActiveTrue, "introspection: active without \"active\": true")
        if case .success(let again) = IntrospectionResult.decode(json: parsed!) {
            precondition(again == result, "introspection: body and parsed value decode differently")
        } else {
            preconditionFailure("introspection: the parsed value is refused")
        }
    case .failure:
        if let parsed, case .success = IntrospectionResult.decode(json: parsed) {
            preconditionFailure("introspection: the parsed value decodes but the body does not")
        }
    }
    if case .success = IntrospectionResult.decode(status: 500, body: bytes) {
        preconditionFailure("introspection: a 500 answer decoded")
    }
    if let parsed, let result = try? IntrospectionResult(introspectionResponse: parsed) {
        precondition(result.active == isActiveTrue, "introspection (UMAClient): active without \"active\": true")
        precondition(result.active || result.permissions.isEmpty, "introspection (UMAClient): inactive with grants")
    }
}

private func checkCheckAccess(_ bytes: [UInt8], _ parsed: JSONValue?) {
    guard case .success(let response) = CheckAccessResponse.decode(status: 200, body: bytes) else { return }
    precondition(parsed != nil, "check-access: decoded from bytes that are not JSON")
    if case .granted = response {
        precondition(parsed?["access"] == .string("granted"), "check-access: granted without \"access\": \"granted\"")
    } else {
        precondition(parsed?["access"] != .string("granted"), "check-access: \"granted\" read as something else")
    }
}

private func checkTicket(_ bytes: [UInt8], _ parsed: JSONValue?) {
    guard case .success(let ticket) = PermissionTicket.decode(status: 201, body: bytes) else { return }
    guard case .string(let text)? = parsed?["ticket"] else { preconditionFailure("ticket: no ticket member") }
    precondition(!text.isEmpty && ticket == PermissionTicket(text), "ticket: not the answer's ticket")
}
