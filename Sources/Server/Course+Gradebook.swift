import Grading
import Support

// The course gradebook's work (docs/serve.md, "The course gradebook"): each assignment's counted
// attempts graded as `backprop grade` grades them, one column of `CourseGradebook`.

extension Course {
    /// A counted attempt, as the course gradebook needs it.
    struct CountedAttempt: Sendable {
        let id: Int64
        let student: String
        let late: Bool
        let answers: Answers
    }

    /// One assignment's column: each counted attempt's grade keyed by student (a rejected attempt is
    /// no grade: missing). With `reveal` the teacher's grades (kept, as the lesson gradebooks'); without,
    /// graded again with the engine's figures held back, since Moodle shows the feedback to the student.
    func courseColumn(_ number: Int, _ attempts: [CountedAttempt], reveal: Bool) -> Result<CourseGradebook.Assignment, Reply> {
        do throws(WorkbenchFailure) {
            return .success(try exercises(number).with { set in
                let grades = reveal ? teacherGrades(number, attempts.map { (id: $0.id, answers: $0.answers) }, with: set)
                                    : attempts.map { Course.grade($0.answers, lesson: number, with: set, file: "attempt \($0.id)", reveal: false) }
                var entries: [String: CourseGradebook.Entry] = [:]
                for (attempt, grade) in zip(attempts, grades) where grade.rejection == nil {
                    entries[attempt.student] = CourseGradebook.Entry(points: grade.points, feedback: Gradebook.feedback(grade), late: attempt.late)
                }
                return CourseGradebook.Assignment(title: "Lesson \(number): \(set.lesson.title)", maxPoints: set.maxPoints, grades: entries)
            })
        } catch { return .failure(.failure(error, httpStatus: 500)) }
    }
}
