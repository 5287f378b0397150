// What something costly to make came to, for the last few distinct values it was made from:
// frames of one kind end on the same few stacks, find the same few routes, meet the same few
// why-not changes and share most parts of their rendering, so a value met again is not made
// again. Exact by construction: a remembered value is what making it again would give.
// (@inlinable: the renderers use it from another module, where an unspecialised generic
// lookup per part made JSON --jobs 2 a third slower, measured.)

public final class Recent<Key, Value> {
    @usableFromInline var recent: [(key: Key, value: Value)] = []
    @usableFromInline var nextSlot = 0
    @usableFromInline let remembered: Int

    @inlinable public init(remembering n: Int = 16) { remembered = n }

    /// The value remembered for the first key `matches` accepts.
    @inlinable public func value(where matches: (Key) -> Bool) -> Value? {
        recent.withUnsafeBufferPointer { b in
            for i in b.indices where matches(b[i].key) { return b[i].value }
            return nil
        }
    }

    /// Remembers `value` for `key`, in place of the oldest once full.
    @inlinable public func remember(_ key: Key, _ value: Value) {
        if recent.count < remembered { recent.append((key, value)) } else { recent[nextSlot] = (key, value) }
        nextSlot = (nextSlot + 1) % remembered
    }
}

extension Recent where Key: Equatable {
    /// The value for `key`: remembered, or made and remembered.
    @inlinable public func value(for key: Key, make: (Key) -> Value) -> Value {
        // Compared in place: `for r in recent` copied each pair (a retain and release per field)
        // to look at it, a twentieth of JSON's rendering.
        let at: Int? = recent.withUnsafeBufferPointer { b in
            for i in b.indices where b[i].key == key { return i }
            return nil
        }
        if let at {
            // A key met again moves one place to the front (transposition): the kinds a capture
            // is made of most are then found after the fewest comparisons.
            // (New keys still take the oldest slot in turn: no key stays for good.)
            if at > 0 {
                // Swapped in place by moves (Array's swapAt copies each pair: a retain and a
                // release per field).
                recent.withUnsafeMutableBufferPointer { $0.swapAt(at, at - 1) }
                return recent[at - 1].value
            }
            return recent[at].value
        }
        let v = make(key)
        remember(key, v)
        return v
    }
}
