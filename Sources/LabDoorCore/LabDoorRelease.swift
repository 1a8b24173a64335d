/// The LabDoor release these programs are part of (`--version`, the Debian package).
public enum LabDoorRelease {
    /// The version, `MAJOR.MINOR.PATCH`.
    public static let version = "0.5.0"
}
