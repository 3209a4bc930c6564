/// The three-way outcome of parsing a message head in place (picohttpparser's contract, STYLE rule 7).
public enum HTTP1ParseResult<Head: Sendable & Equatable>: Sendable, Equatable {
    /// A whole head was parsed. `consumed` bytes from the start of the buffer belong to it (leading empty lines
    /// included); the body, if any, starts right after.
    case complete(Head, consumed: Int)
    /// The head has not ended yet; call again with the same bytes plus more. Nothing was consumed.
    case incomplete
    /// The head is invalid or over a limit; answer with the error's status and close the connection.
    case rejected(HTTP1ParseError)
}
