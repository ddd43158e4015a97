/// `MPI_Iallreduce` (sum, in place) as a `PendingSum`: MPI's algorithm and order of
/// additions, so the bits may change with the rank count or the library.
final class MPIAllreduceSum<T: ReducibleScalar>: PendingSum {
    private var requests = RequestList()
    private var done = false

    init(_ buffer: UnsafeMutableBufferPointer<T>, communicator: Communicator) throws {
        try communicator.postAllreduceSum(buffer, into: &requests)
    }

    var stage: String { "MPI_Iallreduce" }

    /// MPI does not say which ranks a collective waits for.
    var awaitedRanks: [Int]? { nil }

    func progress() throws -> Bool {
        if !done { done = try requests.test() }
        return done
    }
}
