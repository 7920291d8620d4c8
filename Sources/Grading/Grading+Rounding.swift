import Expressions
import Autograd
import Foundation
import Support
import Claims
import Lessons

// How a number answer is judged when it is not within the tolerance, the way people round: a figure
// cut off instead of rounded gets "round, don't truncate"; a figure rounded right but to fewer digits
// than the exercise asks gets "give more digits"; anything else (2.99 for exactly 3) is simply wrong.
// The sheet states the rule (`roundingRule`), so the grader and the sheet say the same thing.

extension ExerciseSet {
    /// The rule as the sheet states it, for exercises without their own `digits` or `tolerance`.
    public static let roundingRule = "A number is right when it is within half a unit in the 3rd significant digit of the engine's value (−0.1966 may be written −0.197, and 3.00 as 3). Round, don't cut off: −0.196 for −0.1966 is wrong. An exact value may be written with fewer digits (3, 0.5, 1/3, exp(-1)); a rounded one may not (0.3 for 0.333… is too few digits)."

    /// The rule of an exercise whose `digits` or `tolerance` differs from the sheet's rule, or nil.
    static func ownRoundingRule(_ exercise: Lesson.Exercise) -> String? {
        guard [.number, .vector, .matrix, .graph].contains(exercise.kind) else { return nil }
        if let tolerance = exercise.tolerance {
            return "(A number here is right within ±\(TraceFormat.number(tolerance, significantDigits: 3)) of the engine's value.)"
        }
        guard exercise.digits != 3 else { return nil }
        return "(A number here is right within half a unit in its \(ordinal(exercise.digits)) significant digit.)"
    }

    static func ordinal(_ n: Int) -> String {
        let suffix = (11...13).contains(n % 100) ? "th" : (n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th")
        return "\(n)\(suffix)"
    }

    /// Why a number outside the tolerance is wrong when the reason is its rounding: the mistake code
    /// (`truncated` or `close`) and the sentence; nil when it is simply another number.
    static func roundingSlip(_ given: Double, expected: Double, tolerance: Double) -> (String, String)? {
        guard given.isFinite, expected.isFinite, tolerance > 0 else { return nil }
        let decimals = Rounding.decimals(of: given)
        let engine = GradeFormat.number(expected)
        if Rounding.isTruncation(given, of: expected, decimals: decimals) {
            return ("truncated", "\(engine) rounded to \(decimals) decimal\(decimals == 1 ? "" : "s") is \(Rounding.fixed(Rounding.rounded(expected, decimals: decimals), decimals: decimals)); round, don't truncate")
        }
        let scale = pow(10, Double(decimals))
        if abs(Rounding.rounded(expected, decimals: decimals) - given) * scale < 1e-6 {
            return ("close", "right to the \(decimals) decimal\(decimals == 1 ? "" : "s") you gave, but the exercise asks for ±\(GradeFormat.number(tolerance)); give more digits")
        }
        return nil
    }
}

extension ExerciseSet {
    /// `column 9: unknown name 'zz'; did you mean 'z'?`: an error in one line of a student's or a
    /// teacher's text, the column the parser counted in that text.
    static func placed(_ error: ExpressionError) -> String {
        guard let column = error.position?.column else { return error.message }
        return "column \(column): " + error.message
    }
}
