import ArgumentParser
import DevAuthorizationServer
import PEPProxy
import UMAClient

@main
struct UMAPEP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uma-pep",
        abstract: "A UMA 2.0 Policy Enforcement Point reverse proxy.",
        subcommands: [Version.self])
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print versions of uma-pep and its libraries.")
    func run() {
        print("uma-pep 0.1.0")
        print("libevent \(LibeventInfo.version)")
        print("\(CurlInfo.version)")
        print("\(OpenSSLInfo.version)")
    }
}
