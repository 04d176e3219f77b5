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

    /// <summary>The stored name for a file ComfyUI produced for a job: prefixed with the job, so names from several servers cannot collide.</summary>
    public static string ForJob(Guid jobId, string comfyFileName)
    {
        var plain = new string([.. Path.GetFileName(comfyFileName.Replace('\\', '/')).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]).TrimStart('.');
        return $"{jobId.ToString("N")[..12]}_{(plain.Length > 0 ? plain : "output")}".Replace("..", "_", StringComparison.Ordinal);
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
