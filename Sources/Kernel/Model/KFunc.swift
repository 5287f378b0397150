// The kernel functions the model runs, as small numbers (the table: KFunc+Table.swift): the call
// trace records, compares and looks up a function by its id (no string is hashed or retained per call); its name is read
// only when printed. Names not in the table (none today, but `init(named:)` takes any) get ids
// past it, once, at run time.
import Synchronization

public struct KFunc: Hashable, Sendable, BitwiseCopyable {
    public let id: UInt16
    init(id: UInt16) { self.id = id }

    /// The function of this name (ids are handed out once per name).
    public init(named name: String) {
        if let f = Self.byName[name] { self = f; return }
        id = Self.extra.withLock { extra in
            if let i = extra.firstIndex(of: name) { return UInt16(Self.names.count + i) }
            extra.append(name)
            return UInt16(Self.names.count + extra.count - 1)
        }
    }

    /// The C name.
    public var name: String {
        Int(id) < Self.names.count ? Self.names[Int(id)] : Self.extra.withLock { $0[Int(id) - Self.names.count] }
    }

    static let byName: [String: KFunc] = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, KFunc(id: UInt16($0))) })
    private static let extra = Mutex<[String]>([])
}
