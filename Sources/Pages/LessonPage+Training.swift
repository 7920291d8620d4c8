import Autograd
import Diagrams
import Lessons

extension LessonPage {
    /// A `[model]` lesson's training as pictures: the loss and accuracy curves of the run (every
    /// batch, and the held-out examples after each epoch) drawn by `TrainingCurves`, then the
    /// held-out confusion matrices before training and after epoch 1 (and a first convolution's
    /// first filter) as the terminal prints them.
    static func trainingFigures(_ run: ModelRun) -> [String] {
        guard let training = run.training, !training.points.isEmpty else { return [] }
        let model = run.model
        var curves = TrainingCurves(title: "\(run.spec.name) on \(model.data ?? ""), batch \(model.batch), "
                                    + "\(model.optimizer.rawValue == "adam" ? "Adam" : "SGD") lr \(TraceFormat.number(model.rate))"
                                    + (model.momentum > 0 ? " momentum \(TraceFormat.number(model.momentum))" : ""))
        for point in training.points { curves.addBatch(position: point.position, loss: point.loss) }
        // Epoch 0: the held-out figures of the initial weights (no training figures yet, a gap).
        curves.add(.init(epoch: 0, trainingLoss: .nan, trainingAccuracy: .nan,
                         heldOutLoss: training.untrained.loss, heldOutAccuracy: training.untrained.accuracy))
        for (index, epoch) in training.epochs.enumerated() {
            curves.add(.init(epoch: index + 1, trainingLoss: epoch.loss, trainingAccuracy: epoch.accuracy,
                             heldOutLoss: epoch.heldOutLoss, heldOutAccuracy: epoch.heldOutAccuracy))
        }
        var html = ["<h2 id=\"training\">What training did</h2>",
                    "<p>From this run: the loss of every batch (faint), each epoch's mean training loss and accuracy (blue), and the loss and accuracy on the held-out examples before training (at 0) and after each epoch (red).</p>",
                    "<figure class=\"curves\">" + inlinable(curves.svg()) + "</figure>"]
        // The text charts (the first two steps) are the SVG above; the confusion matrices and a
        // convolution's filter follow as the terminal prints them.
        for text in run.pictureSteps().dropFirst(2) {
            html.append("<pre class=\"lines\">" + htmlText(LessonText.fit(text)) + "</pre>")
        }
        return html
    }
}
