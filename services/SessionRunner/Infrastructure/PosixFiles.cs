using System.Runtime.InteropServices;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>The few POSIX calls .NET has no API for: who we run as, and giving a directory to another uid.</summary>
public static partial class PosixFiles
{
    public static bool IsRoot => geteuid() == 0;

    /// <summary>A directory only its owner may enter: 0700.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void SetMode(string path, UnixFileMode mode)
    {
        // Agents only run on Linux; the guard keeps the platform analyzer content.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    /// <summary>Sets the owner without following a symlink, so a planted link never hands over its target.</summary>
    public static void ChangeOwner(string path, int uid, int gid)
    {
        if (lchown(path, (uint)uid, (uint)gid) != 0)
        {
            throw new IOException($"chown {uid}:{gid} failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);
}
