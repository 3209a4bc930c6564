import PEPCore

/// A response whose body was run through the strict JSON reader (oxd and UMA 2.0 endpoints always answer JSON).
struct JSONReply: Sendable {
    /// HTTP status code.
    var status: Int
    /// The parsed body, or why it is not JSON (an empty body is not JSON either).
    var json: Result<JSONValue, JSONCodecError>

    /// The `error` member of a JSON error body (RFC 6749 §5.2, oxd error bodies), if any.
    var errorCode: String? {
        guard case .success(let value) = self.json else { return nil }
        return value["error"]?.stringValue
    }

    /// The `error_description` member of a JSON error body, if any.
    var errorDescription: String? {
        guard case .success(let value) = self.json else { return nil }
        return value["error_description"]?.stringValue
    }
}

extension ControlPlane {
    /// Submits `call` and parses the response body as JSON; completion on the control-plane thread.
    func submitJSON(_ call: HTTPCall, completion: @escaping @Sendable (Result<JSONReply, ControlPlaneError>) -> Void) {
        self.submit(call) { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .response(let response):
                let json = Result { () throws(JSONCodecError) -> JSONValue in try JSONCodec.parse(response.body) }
                completion(.success(JSONReply(status: response.status, json: json)))
            }
        }
    }
}
