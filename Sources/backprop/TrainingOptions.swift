import ArgumentParser
import NeuralNetworks

/// The hyperparameters `backprop train` takes, turned into `Trainer.Settings` (docs/training.md).
struct TrainingOptions: ParsableArguments {
    @Option(help: "Mini-batch size.") var batch = 32
    @Option(help: "Learning rate.") var lr = 0.01
    @Option(help: "The optimizer: sgd, adam or rmsprop (torch.optim's formulas).") var optimizer: String = "sgd"
    @Option(help: "Momentum of sgd or rmsprop (default 0.5 for sgd as in the notes, 0 for rmsprop; adam takes none).") var momentum: Double?
    @Flag(help: "Nesterov momentum (sgd).") var nesterov = false
    @Option(help: "Weight decay: λ·p added to every gradient (torch.optim's weight_decay).") var weightDecay = 0.0
    @Option(help: "Multiply the learning rate by --lr-gamma every N epochs (PyTorch's StepLR).") var lrStep: Int?
    @Option(help: "The schedule's factor.") var lrGamma = 0.1
    @Option(help: "The loss: cross_entropy, nll, mse, mae, bce or hinge.") var loss = "cross_entropy"
    @Option(help: "L1 penalty λ·Σ|W| on the weights.") var l1: Double?
    @Option(help: "L2 penalty λ·ΣW² on the weights (the notes' R(W)).") var l2: Double?
    @Option(help: "float32 (fused, fast) or float64 (a graph per batch on the engine, the reference).") var precision = "float32"
    @Option(help: "Seed of the initialization, the shuffles, dropout and the split.") var seed: UInt64 = 1

    func validate() throws {
        guard batch >= 1, batch <= 65_536 else { throw ValidationError("--batch \(batch): use 1 to 65536") }
        guard let kind = Trainer.Optimizer(rawValue: optimizer) else { throw ValidationError("--optimizer \(optimizer): use sgd, adam or rmsprop") }
        if kind == .adam, momentum != nil { throw ValidationError("--momentum: adam takes no momentum (its β₁ 0.9 plays that part)") }
        guard LossKind(rawValue: loss) != nil else {
            throw ValidationError("--loss \(loss): use " + LossKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard Trainer.Precision(rawValue: precision) != nil else { throw ValidationError("--precision \(precision): use float32 or float64") }
        if l1 != nil, l2 != nil { throw ValidationError("--l1 and --l2: choose one penalty") }
        if let problem = settings.update.problem() ?? settings.penalty?.problem() { throw ValidationError(problem) }
    }

    /// The trainer's settings. - Precondition: `validate()` passed.
    var settings: Trainer.Settings {
        var settings = Trainer.Settings()
        let kind = Trainer.Optimizer(rawValue: optimizer) ?? .sgd
        settings.update = OptimizerSettings(kind: kind, learningRate: lr, momentum: momentum ?? (kind == .sgd ? 0.5 : 0),
                                            nesterov: nesterov, weightDecay: weightDecay, stepSize: lrStep, gamma: lrGamma)
        settings.loss = LossKind(rawValue: loss) ?? .crossEntropy
        settings.penalty = l1.map(Penalty.l1) ?? l2.map(Penalty.l2)
        settings.precision = Trainer.Precision(rawValue: precision) ?? .float32
        settings.batchSize = batch
        settings.seed = seed
        return settings
    }

    /// How the run is described on its first line and in the curves' title: `SGD lr 0.01 momentum 0.5`.
    var summary: String {
        let update = settings.update
        var parts: [String]
        switch update.kind {
        case .sgd: parts = ["SGD lr \(lr) momentum \(update.momentum)" + (nesterov ? " (Nesterov)" : "")]
        case .adam: parts = ["Adam lr \(lr)"]
        case .rmsprop: parts = ["RMSprop lr \(lr)" + (update.momentum > 0 ? " momentum \(update.momentum)" : "")]
        }
        if weightDecay > 0 { parts.append("weight decay \(weightDecay)") }
        if let lrStep { parts.append("lr × \(lrGamma) every \(lrStep) epochs") }
        if loss != "cross_entropy" { parts.append("\(loss) loss") }
        if let l1 { parts.append("L1 \(l1)") }
        if let l2 { parts.append("L2 \(l2)") }
        if precision != "float32" { parts.append(precision) }
        return parts.joined(separator: ", ")
    }
}
