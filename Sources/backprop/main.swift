import ArgumentParser
import Foundation
import Support
import Diagrams

// The one place exit statuses are decided: 0 success, 1 the work failed, 2 bad usage or input.
do {
    var command = try Backprop.parseAsRoot()
    try command.run()
} catch let diagnostic as any Diagnostic {
    FileHandle.standardError.write(Data(("backprop: " + diagnostic.headline + (diagnostic.detail.map { "\n" + $0 } ?? "") + "\n").utf8))
    exit(diagnostic.exitStatus.rawValue)
} catch {
    let code = Backprop.exitCode(for: error)
    if code == .success {
        print(Backprop.fullMessage(for: error))     // --help, --version
        exit(0)
    }
    if let exit = error as? ExitCode { Foundation.exit(exit == .success ? 0 : (exit.rawValue == 1 ? 1 : 2)) }
    // swift-argument-parser says 64 for a usage error; the workbench says 2, with one line.
    let message = Backprop.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    FileHandle.standardError.write(Data("backprop: error: \(message) (see 'backprop help')\n".utf8))
    exit(ExitStatus.badInput.rawValue)
}
