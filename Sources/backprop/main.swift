import ArgumentParser
import Foundation
import Workbench

// The one place exit statuses are decided: 0 success, 1 the work failed, 2 bad usage or input.
do {
    var command = try Backprop.parseAsRoot()
    try command.run()
} catch let failure as WorkbenchFailure {
    let prefix = failure.message.contains("error:") ? "backprop: " : "backprop: error: "
    FileHandle.standardError.write(Data((prefix + failure.description + "\n").utf8))
    exit(failure.status.rawValue)
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
