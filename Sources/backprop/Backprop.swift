import ArgumentParser

/// `backprop`: backpropagation, shown.
struct Backprop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backprop",
        abstract: "Backpropagation, shown: trace a program's computation graph, draw it, replay the notes' lessons.",
        discussion: """
            Exit status: 0 success; 1 the work failed (a check disagreed, NaN or infinity); 2 bad usage or input.
            Examples:
              backprop lesson 1
              backprop trace "q = x + y; f = q * z" --at x=-2,y=5,z=-4 -o f.svg
            """,
        version: "0.1.0",
        subcommands: [LessonsCommand.self, LessonCommand.self, TraceCommand.self, SummaryCommand.self, TrainCommand.self, EvaluateCommand.self, GradCAMCommand.self, StyleCommand.self, CheckCommand.self, ExercisesCommand.self, GradeCommand.self, SiteCommand.self, ServeCommand.self, CourseCommand.self, BenchCommand.self, DoctorCommand.self])
}
