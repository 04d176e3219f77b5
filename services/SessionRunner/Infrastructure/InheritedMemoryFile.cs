using System.Runtime.InteropServices;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>
/// Bytes in an anonymous memory file (memfd) whose descriptor the next child process inherits, for a program that
/// reads its input from a numbered descriptor (bubblewrap's <c>--seccomp FD</c>). .NET opens its own files
/// close-on-exec; this one is not, so create it, start the child, then dispose it, all under <see cref="SpawnGate"/>,
/// so that no other child started meanwhile inherits it.
/// </summary>
public sealed partial class InheritedMemoryFile : IDisposable
{
    /// <summary>Held while an inheritable descriptor exists, around the start of the process meant to get it.</summary>
    public static readonly Lock SpawnGate = new();

    public InheritedMemoryFile(string name, ReadOnlySpan<byte> content)
    {
        Descriptor = memfd_create(name, 0);
        if (Descriptor < 0)
        {
            throw new IOException($"memfd_create failed with errno {Marshal.GetLastPInvokeError()}.");
        }
        unsafe
        {
            fixed (byte* data = content)
            {
                if (write(Descriptor, data, (nuint)content.Length) != content.Length)
                {
                    close(Descriptor);
                    throw new IOException($"Writing the memory file failed with errno {Marshal.GetLastPInvokeError()}.");
                }
            }
        }
        lseek(Descriptor, 0, 0);
    }

    public int Descriptor { get; }

    public void Dispose() => close(Descriptor);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
