import Foundation
import Hummingbird
import Support

// What a lesson's worked example shows a student while its assignment is open (docs/serve.md, "What a
// lesson page shows"). The worked example (`/lessons/N`, `/api/lessons/N`) is the notes' run: for a
// lesson whose exercises do not vary its figures are the exercises' answers, and for one that varies
// the answers that do not depend on the inputs (∂q/∂x = 1, counts, shapes) are the same for everyone.
// So with a course, while an assignment's figures are not revealed (its `reveal` policy), its lesson's
// worked example is held back from everyone but the teachers: a page that says when it comes, and links
// to the exercises. Without a course, for lessons that are not assignments, and once the figures are
// revealed, the page is the library's, as `lesson N --html` writes it.

extension WorkbenchServer {
    /// `GET /lessons/N` (`json == false`) or `GET /api/lessons/N`: the lesson's worked example, or the
    /// reason it is held back (403).
    func lessonReply(_ number: Int, _ request: Request, json: Bool) async -> Reply {
        if let held = heldBack(number, request) {
            return json ? .error(held.sentence, exitStatus: 2, httpStatus: 403) : held.page
        }
        return await gate.run { json ? self.course.lessonReport(number) : self.course.lessonPage(number) }
    }

    /// Why lesson `number`'s worked example is not shown to this request now, or nil when it is.
    func heldBack(_ number: Int, _ request: Request, now: Date = Date()) -> (sentence: String, page: Reply)? {
        guard let courseFile, let assignment = courseFile.assignment(number), !assignment.reveals(at: now),
              !TeacherOnly.allows(request, token: token, digests: courseFile.teachers.map(\.tokenSHA256), ltiTeachers: lti?.teachers) else { return nil }
        let when: String
        switch assignment.reveal {
        case .never: when = "This course never shows the figures of this assignment, so its worked example stays held back."
        case .always: when = ""
        case .afterDue:
            let closes = assignment.lateUntil ?? assignment.due
            when = closes.map { "It is shown once answers close, at \(ISO8601DateFormatter().string(from: $0))." }
                ?? "The assignment has no due time, so its worked example stays held back."
        }
        let sentence = "lesson \(number)'s worked example is held back while its assignment is open: its figures answer the exercises. \(when)"
        let title = (try? course.lesson(number).title) ?? "Lesson \(number)"
        let body = """
            <main>
            <h1>Lesson \(number): \(TerminalText.html(title))</h1>
            <p id="held-back">The worked example of this lesson is held back while its assignment is open: its figures are \
            the answers of the exercises (or, where your exercises have their own numbers, the answers that do not depend \
            on them). \(TerminalText.html(when))</p>
            <p><a href="/exercises/\(number)">The exercises</a> · <a href="/exercises/\(number)/sheet">the exercise sheet</a> · \
            <a href="/lessons">all lessons</a></p>
            </main>
            """
        var page = Reply.text(Pages.page("Lesson \(number)", body, script: ""), type: "text/html; charset=utf-8", exitStatus: 2)
        page.status = 403
        return (sentence, page)
    }
}
