namespace AgentFleet.ComfyBridge.Outputs;

/// <summary>
/// Output file names as the bridge stores and serves them: one plain name in one folder. Anything that could name
/// another place (separators, <c>..</c>, a drive or root, control characters, percent-encoding left after routing)
/// is refused rather than cleaned, so a name either means exactly one file of the folder or nothing.
/// </summary>
public static class OutputNames
{
    public const int MaxLength = 255;

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength }
        && name != "." && name != ".."
        && !name.StartsWith('.')
        && name.IndexOfAny(['/', '\\', '%', ':', '\0']) < 0
        && !name.Any(char.IsControl)
        && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>
    /// The stored name for a file ComfyUI produced for a job: prefixed with the job (names from several servers
    /// cannot collide) and its subfolder (two prefixes in different folders can make the same file name), in plain
    /// ASCII, so a name never needs percent-encoding in a URL.
    /// </summary>
    public static string ForJob(Guid jobId, string subfolder, string comfyFileName)
    {
        static string Plain(string text) => new([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
        var name = Plain(Path.GetFileName(comfyFileName.Replace('\\', '/'))).TrimStart('.');
        var folder = Plain(subfolder.Trim('/', '\\')).Trim('.');
        var stored = $"{jobId.ToString("N")[..12]}_{(folder.Length > 0 ? folder + "_" : "")}{(name.Length > 0 ? name : "output")}".Replace("..", "_", StringComparison.Ordinal);
        // Too long: the job prefix and the end (with the extension that gives the content type) are what matter.
        return stored.Length > MaxLength ? stored[..13] + stored[^(MaxLength - 13)..] : stored;
    }

    public static string ContentTypeFor(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".webp" => "image/webp",
        ".gif" => "image/gif",
        ".mp4" => "video/mp4",
        ".webm" => "video/webm",
        ".wav" => "audio/wav",
        ".flac" => "audio/flac",
        ".mp3" => "audio/mpeg",
        ".json" => "application/json",
        ".txt" => "text/plain",
        _ => "application/octet-stream",
    };
}
