using System.Runtime.InteropServices;

namespace AgentFleet.SessionRunner.Sandbox;

/// <summary>
/// A seccomp filter (classic BPF, as the kernel and bubblewrap's <c>--seccomp</c> take it) that refuses new user
/// namespaces: <c>clone</c> and <c>unshare</c> with CLONE_NEWUSER fail with EPERM, and <c>clone3</c>, whose flags a
/// filter cannot read, fails with ENOSYS so the C library falls back to <c>clone</c> (as Docker's default profile
/// does). Inside a user namespace an agent would be root over its own mounts, and such namespaces are the usual
/// way into kernel bugs. x86_64 only; on another architecture nothing is filtered.
/// </summary>
public static class UserNamespaceFilter
{
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint CloneNewUser = 0x10000000;
    private const uint SysClone = 56, SysUnshare = 272, SysClone3 = 435;
    private const uint X32Bit = 0x40000000;

    private const ushort LoadWordAbsolute = 0x20, JumpEqual = 0x15, JumpGreaterOrEqual = 0x35, JumpSet = 0x45, Return = 0x06;
    private const uint Allow = 0x7fff0000, Errno = 0x00050000, EPERM = 1, ENOSYS = 38;

    public static bool Applies => RuntimeInformation.OSArchitecture == Architecture.X64;

    /// <summary>The program: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in host byte order.</summary>
    public static byte[] Program()
    {
        (ushort Code, byte JumpTrue, byte JumpFalse, uint K)[] program =
        [
            (LoadWordAbsolute, 0, 0, 4),                  // 0: the architecture
            (JumpEqual, 0, 5, AuditArchX86_64),           // 1: not x86_64 -> 7 allow
            (LoadWordAbsolute, 0, 0, 0),                  // 2: the system call number
            (JumpGreaterOrEqual, 8, 0, X32Bit),           // 3: the x32 ABI -> 12 ENOSYS
            (JumpEqual, 7, 0, SysClone3),                 // 4: clone3 -> 12 ENOSYS
            (JumpEqual, 2, 0, SysClone),                  // 5: clone -> 8 check its flags
            (JumpEqual, 1, 0, SysUnshare),                // 6: unshare -> 8 check its flags
            (Return, 0, 0, Allow),                        // 7
            (LoadWordAbsolute, 0, 0, 16),                 // 8: the low half of the first argument, the flags
            (JumpSet, 1, 0, CloneNewUser),                // 9: CLONE_NEWUSER -> 11 EPERM
            (Return, 0, 0, Allow),                        // 10
            (Return, 0, 0, Errno | EPERM),                // 11
            (Return, 0, 0, Errno | ENOSYS),               // 12
        ];
        var bytes = new byte[program.Length * 8];
        for (var i = 0; i < program.Length; i++)
        {
            var (code, jumpTrue, jumpFalse, k) = program[i];
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8, 2), code);
            bytes[i * 8 + 2] = jumpTrue;
            bytes[i * 8 + 3] = jumpFalse;
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8 + 4, 4), k);
        }
        return bytes;
    }
}
