namespace AgentFleet.AppHost.Configuration;

/// <summary>Files holding secrets: readable by their owner only from the moment they exist.</summary>
public static class PrivateFile
{
    public static void Write(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var file = new FileStream(path, options);
        file.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }
}
