/// Where the Float32 training path's time goes (`backprop bench train --profile`): each stage's
/// forward and backward, summed over the replicas (thread seconds), and the wall seconds of the
/// batch's passes, of merging the replicas' gradients and of the optimizer's update.
public struct TrainingProfile: Sendable {
    public struct Stage: Sendable {
        public let name: String
        public let forward: Double, backward: Double
    }
    public let stages: [Stage]
    public let passes: Double, merge: Double, update: Double
}

extension Trainer {
    /// Whether the Float32 path times its stages and phases (off by default: it reads the clock
    /// twice per stage). Setting it starts a new profile.
    public var profiling: Bool {
        get { fast?.profiling ?? false }
        set {
            for network in [fast, peer].compactMap({ $0 }) { network.profiling = newValue; network.resetProfile() }
            phaseSeconds = (0, 0, 0)
        }
    }

    /// The profile since `profiling` was set; nil on the engine's Float64 path.
    public var profile: TrainingProfile? {
        guard let fast else { return nil }
        let names = fast.stageNames
        let stages = names.indices.map { i in
            let both = [fast, peer].compactMap { $0 }.map { $0.stageSeconds[i] }
            return TrainingProfile.Stage(name: names[i], forward: both.map(\.forward).reduce(0, +), backward: both.map(\.backward).reduce(0, +))
        }
        return TrainingProfile(stages: stages, passes: phaseSeconds.passes, merge: phaseSeconds.merge, update: phaseSeconds.update)
    }
}
