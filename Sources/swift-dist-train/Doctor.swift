import ArgumentParser
import Cluster
import Foundation
import HDF5
import PatchStore
import Tensors

/// `doctor`: what every rank runs on, to check an installation and a launch.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each rank's MPI, HDF5, oneDNN and NIfTI library versions, in rank order.")

    @Flag(help: "Print one JSON document (on rank 0) instead of text.")
    var json = false

    func run() throws {
        Job.run {
            let world = Communicator.world
            let report = RankReport.current(world)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let line = String(decoding: try encoder.encode(report), as: UTF8.self)
            let lines = try world.gather(line)
            guard world.isRoot else { return }
            let reports = try lines.map { try JSONDecoder().decode(RankReport.self, from: Data($0.utf8)) }
            if json {
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try encoder.encode(reports), as: UTF8.self))
            } else {
                reports.forEach { print($0.text) }
            }
        }
    }
}

/// What one rank knows about its environment.
struct RankReport: Codable {
    var rank: Int
    var size: Int
    var host: String
    var mpi: String
    var hdf5: String
    var onednn: String
    var onednnISA: String
    var nifti: String
    var ompThreads: Int
    var program: String

    static func current(_ world: Communicator) -> RankReport {
        RankReport(rank: world.rank, size: world.size, host: world.processorName,
                   mpi: Communicator.libraryVersion, hdf5: H5Library.version,
                   onednn: DNNLInfo.version, onednnISA: DNNLInfo.isa,
                   nifti: NIfTILibrary.version, ompThreads: Threads.count, program: programVersion)
    }

    var text: String {
        "rank \(rank)/\(size) host=\(host) mpi=\"\(mpi)\" hdf5=\(hdf5) onednn=\(onednn) isa=\(onednnISA) "
            + "nifti=\"\(nifti)\" omp_threads=\(ompThreads)"
    }
}
