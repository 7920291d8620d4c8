import Foundation
import Grading
import Lessons
import Support

// A variant per student (docs/grading.md): a signed-in student's form, sheet and grades are their
// own variant's; the teacher's grades too, each attempt against its student's variant.

extension Course {
    /// The most students' sets kept at once (a lesson and a student each); past it, it starts again.
    static let variantPoolLimit = 4_096

    /// The exercise sets of lesson `number` for `student`: their own variant's when the course has a
    /// secret and the lesson's inputs vary, else the notes' (`exercises(_:)`).
    /// - Throws: `badInput` for a student not on the roster; `failed` when no variant can be drawn.
    func exercises(_ number: Int, student: String?) throws(WorkbenchFailure) -> SetPool {
        let pool = try exercises(number)
        guard let student, pool.lesson.exerciseInputs != nil, let variants = variants.withLock({ $0 }), variants.varies else { return pool }
        let key = "\(number)\u{0}\(student)"
        if let cached = variantPools.withLock({ $0[key] }) { return cached }
        let (variant, set) = try variants.variant(pool.lesson, student: student)
        guard let variant else { return pool }
        let made = SetPool(variant.lesson, limit: 2, student: student, first: set)
        return variantPools.withLock { pools in
            if let other = pools[key] { return other }   // made at the same time by another request: one pool per student
            if pools.count >= Course.variantPoolLimit { pools = [:] }
            pools[key] = made
            return made
        }
    }
}
