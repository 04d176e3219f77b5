using System.Security.Cryptography;
using System.Text.Json;

namespace AgentFleet.AppHost.Configuration;

/// <summary>Generated secrets, kept in <c>.fleet/secrets.json</c> (mode 0600) so they survive restarts.</summary>
public sealed class SecretStore(string path)
{
    private readonly Lock _gate = new();

    public string Path { get; } = path;

    /// <summary>The stored value, or a new random one saved now; <paramref name="generated"/> says which.</summary>
    public string GetOrCreate(string name, out bool generated)
    {
        lock (_gate)
        {
            var secrets = Load();
            if (secrets.TryGetValue(name, out var value))
            {
                generated = false;
                return value;
            }
            value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            secrets[name] = value;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var temporary = Path + ".tmp";
            PrivateFile.Write(temporary, JsonSerializer.Serialize(secrets, new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temporary, Path, overwrite: true);
            generated = true;
            return value;
        }
    }

    private Dictionary<string, string> Load() =>
        File.Exists(Path) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path)) ?? [] : [];
}
