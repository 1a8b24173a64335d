import CLabDoorGPIO
import CLibUSB

/// The versions of the hardware libraries linked at run time, for `labdoord --version` and bug reports.
public enum LibraryVersions {
    /// libusb's version, e.g. "1.0.26". Wraps `libusb_get_version(3)`.
    public static var libusb: String {
        guard let version = libusb_get_version() else { return "unknown" }
        let v = version.pointee
        return "\(v.major).\(v.minor).\(v.micro)"
    }

    /// libgpiod's version and the API generation the facade was built for, e.g. "1.6.3 (API 1)".
    public static var libgpiod: String {
        let version = labdoor_gpio_library_version().map { String(cString: $0) } ?? "unknown"
        return "\(version) (API \(labdoor_gpio_api_generation()))"
    }
}
