import Training
import XCTest

/// The learning rate per step against values computed by hand.
final class LearningRateScheduleTests: XCTestCase {
    /// 4 warm-up steps of 12, peak 1e-3.
    func schedule(_ kind: LearningRateSchedule.Kind) -> LearningRateSchedule {
        LearningRateSchedule(kind: kind, peak: 1e-3, warmupSteps: 4, totalSteps: 12)
    }

    func testWarmUpRisesLinearlyToThePeak() {
        for kind in LearningRateSchedule.Kind.allCases {
            let s = schedule(kind)
            XCTAssertEqual(s.rate(at: 0), 2.5e-4, accuracy: 1e-15, "\(kind)")
            XCTAssertEqual(s.rate(at: 1), 5e-4, accuracy: 1e-15, "\(kind)")
            XCTAssertEqual(s.rate(at: 3), 1e-3, accuracy: 1e-15, "\(kind)")
            XCTAssertEqual(s.rate(at: 4), 1e-3, accuracy: 1e-15, "\(kind): t = 0 after warm-up is the peak")
        }
    }

    func testCosine() {
        let s = schedule(.cosine)  // T = 8 steps after warm-up
        XCTAssertEqual(s.rate(at: 4 + 2), 0.5e-3 * (1 + 0.5.squareRoot()), accuracy: 1e-15)  // cos(pi/4)
        XCTAssertEqual(s.rate(at: 4 + 4), 0.5e-3, accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 4 + 7), 0.5e-3 * (1 + cos(7 * Double.pi / 8)), accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 4 + 8), 0, accuracy: 1e-15, "the end of T")
    }

    func testPoly() {
        let s = schedule(.poly)
        XCTAssertEqual(s.rate(at: 4 + 4), 1e-3 * 0.535_886_731_268_146_8, accuracy: 1e-15)  // 0.5^0.9
        XCTAssertEqual(s.rate(at: 4 + 6), 1e-3 * 0.287_174_588_749_258_7, accuracy: 1e-15)  // 0.25^0.9
        XCTAssertEqual(s.rate(at: 4 + 8), 0, accuracy: 1e-15)
    }

    /// Without warm-up, constant is the peak itself at every step: the run of before schedules.
    func testConstantIsThePeakBitForBit() {
        let peak = Double(Float(5e-4))
        let s = LearningRateSchedule(kind: .constant, peak: peak, warmupSteps: 0, totalSteps: 100)
        XCTAssertTrue((0..<100).allSatisfy { s.rate(at: $0).bitPattern == peak.bitPattern })
        XCTAssertEqual(TrainingSettings().lrSchedule, .constant)
        XCTAssertEqual([TrainingSettings().warmupEpochs, TrainingSettings().patience], [0, 0])
    }

    /// From the settings: warm-up and total in steps per epoch.
    func testStepsFromEpochs() {
        var settings = TrainingSettings()
        settings.epochs = 5
        settings.warmupEpochs = 2
        settings.lrSchedule = .poly
        let s = LearningRateSchedule(settings, peak: 1, stepsPerEpoch: 3)
        XCTAssertEqual(s, LearningRateSchedule(kind: .poly, peak: 1, warmupSteps: 6, totalSteps: 15))
    }

    /// Improvement, `--min-delta` and the patience count.
    func testPositionCountsValidationsWithoutImprovement() {
        var p = TrainingCheckpoint.Position.start
        XCTAssertTrue(p.recordValidation(epoch: 1, dice: 0.5, minDelta: 0.1))
        XCTAssertEqual([p.bestEpoch, p.epochsWithoutImprovement], [1, 0])
        XCTAssertTrue(p.recordValidation(epoch: 2, dice: 0.55, minDelta: 0.1), "a new best (best.h5)...")
        XCTAssertEqual([p.bestEpoch, p.epochsWithoutImprovement], [2, 1], "...but not by more than min-delta")
        XCTAssertFalse(p.recordValidation(epoch: 3, dice: .nan, minDelta: 0.1), "no validation counts for nothing")
        XCTAssertEqual(p.epochsWithoutImprovement, 1)
        XCTAssertFalse(p.recordValidation(epoch: 4, dice: 0.4, minDelta: 0.1))
        XCTAssertEqual([p.bestEpoch, p.epochsWithoutImprovement], [2, 2])
        XCTAssertTrue(p.recordValidation(epoch: 5, dice: 0.7, minDelta: 0.1))
        XCTAssertEqual([p.bestEpoch, p.epochsWithoutImprovement], [5, 0])
        XCTAssertEqual(p.bestDice, 0.7)
    }

    func testEndRecordIsTheDocumentedLine() {
        let position = TrainingCheckpoint.Position(epoch: 23, step: 230, bestDice: 0.8125, bestEpoch: 18,
                                                   epochsWithoutImprovement: 5)
        let end = TrainingEnd(position: position, reason: .earlyStop)
        XCTAssertEqual(end.jsonLine(),
                       #"{"event":"end","stop_reason":"early_stop","epochs_run":23,"best_epoch":18,"best_val_dice":0.8125}"#)
        XCTAssertEqual(end.summary(patience: 5),
                       "early stop at epoch 23: validation Dice did not improve for 5 epochs (best 0.812 at epoch 18)")
        XCTAssertEqual(TrainingEnd(position: .start, reason: .signal).jsonLine(),
                       #"{"event":"end","stop_reason":"signal","epochs_run":0,"best_epoch":0,"best_val_dice":null}"#)
        XCTAssertTrue(MetricsLog.isEvent(end.jsonLine()))
    }
}
