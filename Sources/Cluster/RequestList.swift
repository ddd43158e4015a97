internal import CMPI

/// Non-blocking MPI operations this rank has posted and not yet seen complete,
/// each with the rank it waits on (for a receive), so that a stall report can say
/// whose message is missing.
struct RequestList {
    private var requests: [MPI_Request?] = []
    /// The sending rank for a receive; nil for a send or a collective.
    private var peers: [Int?] = []

    var isEmpty: Bool { requests.isEmpty }

    /// Posts an operation: `post` fills in the request and returns MPI's code.
    mutating func post(_ function: String, awaiting peer: Int? = nil,
                       _ post: (UnsafeMutablePointer<MPI_Request?>) -> Int32) throws {
        var request: MPI_Request? = cmpi_request_null()
        try check(function, post(&request))
        requests.append(request)
        peers.append(peer)
    }

    /// Tests every pending operation once (`MPI_Test`, which also drives MPI's progress)
    /// and forgets the completed ones. Returns true when none is left.
    mutating func test() throws -> Bool {
        var index = 0
        while index < requests.count {
            var done: Int32 = 0
            try check("MPI_Test", MPI_Test(&requests[index], &done, cmpi_status_ignore()))
            if done != 0 {
                requests.remove(at: index)
                peers.remove(at: index)
            } else {
                index += 1
            }
        }
        return requests.isEmpty
    }

    /// The ranks whose messages have not arrived yet, in rank order.
    var awaitedRanks: [Int] { Array(Set(peers.compactMap { $0 })).sorted() }
}
