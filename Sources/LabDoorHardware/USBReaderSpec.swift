import Foundation
public import LabDoorCore

/// A USB badge reader to drive — a keyboard wedge or a CCID (NFC) reader: selected by vendor and product id,
/// optionally pinned to a port path and a serial number.
public struct USBReaderSpec: Hashable, Sendable {
    /// The reader's name in events ("entry").
    public var name: String
    /// USB vendor id.
    public var vendorID: UInt16
    /// USB product id.
    public var productID: UInt16
    /// Only the device on this port path ("1-1.2").
    public var port: String?
    /// Only the device with this serial number.
    public var serial: String?
    /// Partial input is dropped after this pause between keys (keyboard wedges).
    public var interkeyTimeout: Duration = .milliseconds(100)
    /// How the reader speaks.
    public var family = Family.keyboard

    /// The two families of USB readers.
    public enum Family: Hashable, Sendable {
        /// A HID boot keyboard that types the badge number.
        case keyboard
        /// A CCID contactless reader; the card's UID becomes the badge number in this format.
        case ccid(UIDFormat)
    }

    /// A reader spec.
    public init(name: String, vendorID: UInt16, productID: UInt16) {
        self.name = name
        self.vendorID = vendorID
        self.productID = productID
    }

    var id: String { String(format: "%04x:%04x", vendorID, productID) }
}
