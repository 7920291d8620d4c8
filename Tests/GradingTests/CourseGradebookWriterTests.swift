import Foundation
import Testing
@testable import Grading
import Support

// The course gradebook's three layouts, byte for byte, from a roster and two assignments: every
// roster student a row, missing and late marked, fields quoted and kept from formulas as the lesson
// gradebook's are.

@Suite("the course gradebook's layouts")
struct CourseGradebookWriterTests {
    static func roster(_ text: String) throws -> Roster {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roster-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try Roster(file: path)
    }

    static let assignments = [
        CourseGradebook.Assignment(title: "Lesson 1: f = (x + y) z", maxPoints: 12, grades: [
            "s1": .init(points: 12, feedback: "all 9 exercises right", late: false),
            "s2": .init(points: 2.5, feedback: "q-value 0/1: you gave 4", late: true),
        ]),
        CourseGradebook.Assignment(title: "Lesson 2", maxPoints: 5, grades: ["s2": .init(points: 5, feedback: "all 3 exercises right", late: false)]),
    ]

    @Test("plain CSV and Moodle from Moodle's roster")
    func moodle() throws {
        let roster = try Self.roster("ID number,First name,Last name\ns1,Ada,Lovelace\ns2,=cmd,\"Turing, A\"\ns3,Grace,Hopper\n")
        let csv = try CourseGradebook(roster: roster, idColumn: 0, assignments: Self.assignments, format: .csv)
        #expect(csv.text == """
            student,name,Lesson 1: f = (x + y) z,Lesson 1: f = (x + y) z: status,Lesson 2,Lesson 2: status,total\r
            s1,Ada Lovelace,12,on time,,missing,12\r
            s2,"'=cmd Turing, A",2.5,late,5,on time,7.5\r
            s3,Grace Hopper,,missing,,missing,0\r

            """)
        #expect(csv.rows == 3 && csv.missing == 3 && csv.late == 1)
        let moodle = try CourseGradebook(roster: roster, idColumn: 0, assignments: Self.assignments, format: .moodle)
        #expect(moodle.text == """
            ID number,Full name,Lesson 1: f = (x + y) z,Feedback: Lesson 1: f = (x + y) z,Lesson 2,Feedback: Lesson 2\r
            s1,Ada Lovelace,12,all 9 exercises right,,missing: no answer was sent\r
            s2,"'=cmd Turing, A",2.5,late: q-value 0/1: you gave 4,5,all 3 exercises right\r
            s3,Grace Hopper,,missing: no answer was sent,,missing: no answer was sent\r

            """)
        // Canvas needs its own export's columns.
        #expect(throws: WorkbenchFailure.self) { try CourseGradebook(roster: roster, idColumn: 0, assignments: Self.assignments, format: .canvas) }
    }

    @Test("Canvas from Canvas's roster: the student columns copied, Points Possible, empty cells when missing")
    func canvas() throws {
        let roster = try Self.roster("Student,ID,SIS User ID,SIS Login ID,Section\nPoints Possible,,,,\nAda Lovelace,101,s1,ada,A\n\"Turing, Alan\",102,s2,alan,B\n")
        let book = try CourseGradebook(roster: roster, idColumn: 2, assignments: Self.assignments, format: .canvas)
        #expect(book.text == """
            Student,ID,SIS User ID,SIS Login ID,Section,Lesson 1: f = (x + y) z,Lesson 2\r
            Points Possible,,,,,12,5\r
            Ada Lovelace,101,s1,ada,A,12,\r
            "Turing, Alan",102,s2,alan,B,2.5,5\r

            """)
        #expect(book.text.hasPrefix(Gradebook.canvasColumns.joined(separator: ",")))
    }
}
