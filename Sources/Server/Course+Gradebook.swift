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
            let (title, maxPoints) = try exercises(number).with { set in ("Lesson \(number): \(set.lesson.title)", set.maxPoints) }
            let grades = try shownGrades(number, attempts.map { (id: $0.id, student: $0.student, answers: $0.answers) }, reveal: reveal)
            var entries: [String: CourseGradebook.Entry] = [:]
            for (attempt, grade) in zip(attempts, grades) where grade.rejection == nil {
                entries[attempt.student] = CourseGradebook.Entry(points: grade.points, feedback: Gradebook.feedback(grade), late: attempt.late)
            }
            return .success(CourseGradebook.Assignment(title: title, maxPoints: maxPoints, grades: entries))
        } catch { return .failure(.failure(error, httpStatus: 500)) }
    }

    /// Attempts graded as the policy lets their student see them now, each against its own student's
    /// variant (the notes' numbers when the lesson does not vary; a student with no variant is a
    /// rejection with the reason): with `reveal` the teacher's grades (kept in `teacherGrades`); without,
    /// graded again with the engine's figures held back. The course gradebook's feedback and the
    /// student's own view of their attempts (`GET /api/me/attempts`) both take them from here.
    func shownGrades(_ number: Int, _ attempts: [(id: Int64, student: String?, answers: Answers)], reveal: Bool) throws(WorkbenchFailure) -> [SubmissionGrade] {
        if reveal { return try teacherGrades(number, attempts) }
        var grades: [SubmissionGrade] = []
        for attempt in attempts {
            let file = "attempt \(attempt.id)"
            do throws(WorkbenchFailure) {
                grades.append(try exercises(number, student: attempt.student).with { set in
                    Course.grade(attempt.answers, lesson: number, with: set, file: file, reveal: false) })
            } catch where error.exitStatus == .badInput && attempt.student != nil {
                grades.append(try exercises(number).with { set in set.rejected(file: file, student: attempt.student, reason: error.what) })
            }
        }
        return grades
    }
}
