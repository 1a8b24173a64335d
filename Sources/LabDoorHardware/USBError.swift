import CLibUSB

/// A libusb call that failed, with its libusb error code (`LIBUSB_ERROR_*`).
public struct USBError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call.
    public let call: String
    /// The libusb error code (negative).
    public let code: Int32

    /// Records a failed call.
    public init(_ call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// The call, libusb's name for the code, and what to check.
    public var description: String {
        let name = USBReaderHub.errorName(code)
        let hint =
            switch code {
            case LIBUSB_ERROR_ACCESS.rawValue: "; check the udev rule for the labdoor group"
            case LIBUSB_ERROR_NOT_SUPPORTED.rawValue: "; this libusb was built without hot-plug support (udev)"
            case LIBUSB_ERROR_NO_MEM.rawValue, LIBUSB_ERROR_OTHER.rawValue:
                "; is /dev/bus/usb present (and visible to the service)?"
            default: ""
            }
        return "\(call) failed: \(name)\(hint)"
    }
}
