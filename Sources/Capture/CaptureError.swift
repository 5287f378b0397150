/// What went wrong reading, filtering or writing a capture, as one line naming the file (and the
/// frame, where there is one). libpcap's own words are kept.
public enum CaptureError: Error, Equatable, CustomStringConvertible {
    case open(path: String, message: String)
    case read(path: String, frame: Int, message: String)
    case unsupportedLinkType(path: String, dlt: Int32, name: String)
    case filter(expression: String, message: String)
    case write(path: String, message: String)

    public var description: String {
        switch self {
        case .open(let path, let message): "\(path): \(message)"
        case .read(let path, let frame, let message): "\(path): frame \(frame): \(message)"
        case .unsupportedLinkType(let path, let dlt, let name):
            "\(path): unsupported link type \(name) (DLT \(dlt)); tracer reads EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL and LOOP"
        case .filter(let expression, let message): "bad filter expression '\(expression)': \(message)"
        case .write(let path, let message): "\(path): \(message)"
        }
    }
}
