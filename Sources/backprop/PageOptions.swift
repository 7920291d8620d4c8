import ArgumentParser
import Workbench

extension Paper: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { Paper.allCases.map(\.rawValue) }
}
